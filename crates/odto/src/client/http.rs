//! What both client commands do the same way: one HTTP client with keep-alive, the flags' value
//! parsers, and error messages that say which service at which address failed, and why.

use std::time::Duration;

use serde_json::Value;

/// Longest wait for any one request: the gateway answers within its publish timeout (5 s) and
/// the read model within its store timeout, so this only catches a stack that hangs.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One client for the whole command: keep-alive connections, up to `connections` idle ones kept
/// per host, Nagle off (small requests answered at once), no proxy (the stack is addressed
/// directly, and a proxy from the environment would only add a hop).
pub fn client(connections: usize) -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .tcp_nodelay(true)
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .no_proxy()
        .build()?;
    Ok(client)
}

/// A duration: a number with `ms`, `s` or `m`, or a plain number of seconds (`90`, `1.5s`).
pub fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds_per_unit = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        _ => return Err(format!("unknown unit `{unit}`; use ms, s or m")),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 500ms, 30s or 2m"))?;
    Duration::try_from_secs_f64(value * seconds_per_unit)
        .map_err(|_| format!("`{text}` is not a positive duration"))
}

/// Why a request got no answer, naming the service and its address.
pub fn unreachable(service: &str, url: &str, error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("the {service} at {url} did not answer within {REQUEST_TIMEOUT:?}");
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    if error.is_connect() {
        format!("cannot reach the {service} at {url}: {cause}")
    } else {
        format!("request to the {service} at {url} failed: {cause}")
    }
}

/// Fails unless the service answers `GET {base}/readyz` with 200, saying what is wrong.
pub async fn ensure_ready(
    client: &reqwest::Client,
    service: &str,
    base: &str,
) -> anyhow::Result<()> {
    let response = client.get(format!("{base}/readyz")).send().await;
    let response = response.map_err(|e| anyhow::anyhow!(unreachable(service, base, &e)))?;
    let status = response.status().as_u16();
    if status == 200 {
        return Ok(());
    }
    let body = response.bytes().await.unwrap_or_default();
    let (_, line) = describe_error(status, &body);
    anyhow::bail!("the {service} at {base} is not ready: {line}")
}

/// An error answer in one line: the stable code, the message and each detail when the body is
/// the API's JSON error (`{"error": {"code", "message", "details"}}`), else the start of the body.
pub fn describe_error(status: u16, body: &[u8]) -> (String, String) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let Some(code) = error.and_then(|e| e.get("code")).and_then(Value::as_str) else {
        let text = String::from_utf8_lossy(body);
        let start: String = text.chars().take(200).collect();
        return (format!("http_{status}"), format!("HTTP {status}: {start}"));
    };
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let details: Vec<String> = error
        .and_then(|e| e.get("details"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|d| {
            let path = d.get("path").and_then(Value::as_str).unwrap_or("");
            let message = d.get("message").and_then(Value::as_str).unwrap_or("");
            format!("{path}: {message}")
        })
        .collect();
    let mut line = format!("HTTP {status} {code}: {message}");
    if !details.is_empty() {
        line.push_str(&format!(" ({})", details.join("; ")));
    }
    (code.to_owned(), line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_or_default_to_seconds() {
        assert_eq!(duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(duration("1.5s").unwrap(), Duration::from_millis(1_500));
        assert_eq!(duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(duration("2m").unwrap(), Duration::from_secs(120));
        for bad in ["", "ten", "5h", "-1s", "1e400"] {
            assert!(duration(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn an_api_error_is_shown_with_its_code_message_and_details() {
        let body = br#"{"error": {"code": "invalid_job", "message": "the job breaks the contract",
            "details": [{"path": "/type", "message": "must match the pattern"}]}}"#;

        let (code, line) = describe_error(400, body);

        assert_eq!(code, "invalid_job");
        assert_eq!(
            line,
            "HTTP 400 invalid_job: the job breaks the contract (/type: must match the pattern)"
        );
    }

    #[test]
    fn a_foreign_error_body_is_shown_as_text() {
        let (code, line) = describe_error(502, b"<html>Bad Gateway</html>");
        assert_eq!(code, "http_502");
        assert_eq!(line, "HTTP 502: <html>Bad Gateway</html>");
    }
}
