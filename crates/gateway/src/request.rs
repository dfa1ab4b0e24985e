//! Reading a submission off an HTTP request: content type, size cap, JSON, idempotency key.
//! Each failure is a distinct [`GatewayError`], so clients get a precise, stable error code.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;

use crate::error::GatewayError;

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
const MAX_KEY_LEN: usize = 255;

/// Refuses anything but `application/json` (parameters such as `charset` are fine).
pub fn require_json(headers: &HeaderMap) -> Result<(), GatewayError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let essence = content_type
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    match essence {
        Some(essence) if essence.eq_ignore_ascii_case("application/json") => Ok(()),
        _ => Err(GatewayError::UnsupportedMediaType),
    }
}

/// Reads the body as JSON, refusing more than `limit` bytes without buffering them.
pub async fn read_json(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Value, GatewayError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok());
    if declared
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|len| len > limit)
    {
        return Err(GatewayError::TooLarge { limit });
    }
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(GatewayError::TooLarge { limit });
        }
        Err(error) => return Err(GatewayError::UnreadableBody(error.to_string())),
    };
    serde_json::from_slice(&bytes).map_err(|e| GatewayError::MalformedJson(e.to_string()))
}

/// The `Idempotency-Key` header, if any: 1–255 visible ASCII characters.
pub fn header_key(headers: &HeaderMap) -> Result<Option<String>, GatewayError> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| GatewayError::InvalidIdempotencyKey)?;
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(GatewayError::InvalidIdempotencyKey);
    }
    Ok(Some(key.to_owned()))
}

/// Reconciles the header key with the body's `idempotencyKey`: either may be given, or both
/// when they agree.
pub fn effective_key(
    header: Option<String>,
    body: Option<String>,
) -> Result<Option<String>, GatewayError> {
    match (header, body) {
        (Some(header), Some(body)) if header != body => Err(GatewayError::IdempotencyKeyMismatch),
        (header, body) => Ok(header.or(body)),
    }
}

/// A stable digest of a JSON request, independent of key order and whitespace, used to tell a
/// true repeat from a different request that reuses an idempotency key. FNV-1a is enough here:
/// this guards against client mistakes, not adversaries.
pub fn fingerprint(value: &Value) -> String {
    let mut hash = Fnv::default();
    hash_value(&mut hash, value);
    format!("{:016x}", hash.0)
}

fn hash_value(hash: &mut Fnv, value: &Value) {
    match value {
        Value::Null => hash.write(b"n"),
        Value::Bool(b) => hash.write(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            hash.write(b"#");
            hash.write(n.to_string().as_bytes());
        }
        Value::String(s) => {
            hash.write(b"\"");
            hash.write(&s.len().to_le_bytes());
            hash.write(s.as_bytes());
        }
        Value::Array(items) => {
            hash.write(b"[");
            hash.write(&items.len().to_le_bytes());
            items.iter().for_each(|item| hash_value(hash, item));
        }
        Value::Object(map) => {
            hash.write(b"{");
            hash.write(&map.len().to_le_bytes());
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (key, item) in entries {
                hash_value(hash, &Value::String(key.clone()));
                hash_value(hash, item);
            }
        }
    }
}

struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fingerprint_ignores_key_order_but_not_values() {
        let a = json!({"type": "x", "payload": {"a": 1, "b": [1, 2]}});
        let b = json!({"payload": {"b": [1, 2], "a": 1}, "type": "x"});
        let c = json!({"payload": {"b": [2, 1], "a": 1}, "type": "x"});
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }

    #[test]
    fn json_content_type_may_carry_a_charset() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert!(require_json(&headers).is_ok());
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(matches!(
            require_json(&headers),
            Err(GatewayError::UnsupportedMediaType)
        ));
    }

    #[test]
    fn differing_header_and_body_keys_are_refused() {
        let key = |s: &str| Some(s.to_owned());
        assert_eq!(effective_key(key("a"), key("a")).unwrap(), key("a"));
        assert_eq!(effective_key(None, key("b")).unwrap(), key("b"));
        assert!(matches!(
            effective_key(key("a"), key("b")),
            Err(GatewayError::IdempotencyKeyMismatch)
        ));
    }
}
