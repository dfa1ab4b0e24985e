//! What a connection may do: open the WebSocket at all (its `Origin`), and, in read-only mode,
//! which keys reach the dashboard.

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// Whether a WebSocket upgrade with these headers comes from a page allowed to open it: the
/// same origin as this server, or one of `allowed` (`*`: any). A request without `Origin` is not
/// from a browser page (browsers always send it on a WebSocket), so no other site is using a
/// visitor's browser to reach it, and it is let through to the other checks.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if allowed
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/') == origin)
    {
        return true;
    }
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    matches!((authority, host), (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host))
}

/// The keys read-only mode lets through: navigation only. Arrows (both cursor modes), page keys,
/// Home and End, Tab, Enter, Esc, `?` (help), `/` (filter), `R` (refresh), `D` (dead letters),
/// `F` (filter), in either case.
const NAVIGATION: &[&str] = &[
    "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1bOA", "\x1bOB", "\x1bOC", "\x1bOD", "\x1b[5~",
    "\x1b[6~", "\x1b[H", "\x1b[F", "\x1b[1~", "\x1b[4~", "\t", "\r", "\x1b", "?", "/", "r", "R",
    "d", "D", "f", "F",
];

/// Whether `input` (one `input` frame) is a single navigation key. Anything else, pasted text
/// and several keys in one frame included, is refused whole.
pub fn read_only_allows(input: &str) -> bool {
    NAVIGATION.contains(&input)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static(host));
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_static(origin));
        }
        headers
    }

    #[test]
    fn the_same_origin_is_allowed_and_another_is_not() {
        let none: &[String] = &[];
        let same = headers(Some("http://127.0.0.1:8081"), "127.0.0.1:8081");
        let other = headers(Some("http://evil.example"), "127.0.0.1:8081");
        let other_port = headers(Some("http://127.0.0.1:9999"), "127.0.0.1:8081");

        assert!(origin_allowed(&same, none));
        assert!(!origin_allowed(&other, none));
        assert!(!origin_allowed(&other_port, none));
        assert!(origin_allowed(&headers(None, "127.0.0.1:8081"), none));
    }

    #[test]
    fn configured_origins_widen_the_rule() {
        let allowed = vec!["https://ops.example/".to_owned()];
        let listed = headers(Some("https://ops.example"), "internal:8081");
        let unlisted = headers(Some("https://evil.example"), "internal:8081");

        assert!(origin_allowed(&listed, &allowed));
        assert!(!origin_allowed(&unlisted, &allowed));
        assert!(origin_allowed(&unlisted, &["*".to_owned()]));
    }

    #[test]
    fn read_only_lets_navigation_through_and_nothing_else() {
        for key in [
            "\x1b[A", "\x1bOB", "\x1b[6~", "\t", "\r", "\x1b", "?", "/", "r", "D", "F",
        ] {
            assert!(read_only_allows(key), "{key:?}");
        }
        for key in [
            "n", "N", "t", "T", "l", "L", "q", "Q", "\x03", "\x04", "n\r", "rm -rf /", "",
        ] {
            assert!(!read_only_allows(key), "{key:?}");
        }
    }
}
