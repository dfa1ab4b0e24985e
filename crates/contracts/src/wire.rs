//! Serde helpers that make the Rust types as strict, or as lenient, as the schemas.

use serde::{Deserialize, Deserializer, de::Error as _};
use uuid::Uuid;

/// Parses a UUID only in its canonical hyphenated form (8-4-4-4-12 hex digits, any case).
///
/// `uuid::Uuid::parse_str` also accepts `urn:uuid:…`, braced and unhyphenated forms; the reference
/// let those in and they poisoned the queue, so every id in this crate goes through here.
pub fn parse_canonical_uuid(text: &str) -> Option<Uuid> {
    let bytes = text.as_bytes();
    let hyphens_in_place = [8, 13, 18, 23].iter().all(|&i| bytes.get(i) == Some(&b'-'));
    if bytes.len() != 36 || !hyphens_in_place {
        return None;
    }
    Uuid::try_parse(text).ok()
}

/// `deserialize_with` for id fields: see [`parse_canonical_uuid`].
pub(crate) fn canonical_uuid<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Uuid, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_canonical_uuid(&text).ok_or_else(|| {
        D::Error::custom(format!(
            "{text:?} is not a canonical hyphenated UUID (8-4-4-4-12 hex digits)"
        ))
    })
}

/// `deserialize_with` for optional integer fields.
///
/// JSON Schema counts `3.0` as an integer, so a body the schema accepted must not fail here
/// just because serde's integer types refuse a written fraction of zero.
pub(crate) fn optional_integer<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    integer_value(&number)
        .and_then(|n| T::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("{number} is not an integer in range")))
}

/// The value of a JSON number that is a non-negative integer, even when written as `3.0`.
pub(crate) fn integer_value(number: &serde_json::Number) -> Option<u64> {
    number.as_u64().or_else(|| {
        let float = number.as_f64()?;
        // 2^53: above it an f64 no longer says which integer it meant.
        let exact = float.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&float);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        exact.then_some(float as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hyphenated_form_is_canonical() {
        let lower = "0190b3a2-7c4e-7d4b-9a1e-3f2d1c0b9a88";
        assert!(parse_canonical_uuid(lower).is_some());
        assert!(parse_canonical_uuid(&lower.to_uppercase()).is_some());
        assert!(parse_canonical_uuid(&format!("urn:uuid:{lower}")).is_none());
        assert!(parse_canonical_uuid(&format!("{{{lower}}}")).is_none());
        assert!(parse_canonical_uuid(&lower.replace('-', "")).is_none());
        assert!(parse_canonical_uuid("0190b3a2-7c4e-7d4b-9a1e-3f2d1c0b9a8g").is_none());
    }

    #[test]
    fn integers_written_with_a_zero_fraction_are_integers() {
        let value = |text: &str| integer_value(&serde_json::from_str(text).unwrap());
        assert_eq!(value("3"), Some(3));
        assert_eq!(value("3.0"), Some(3));
        assert_eq!(value("3.5"), None);
        assert_eq!(value("-1"), None);
    }
}
