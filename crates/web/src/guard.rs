//! What a connection may do and who it is: open the WebSocket at all (its `Origin`), which
//! client it counts as for the caps (the TCP peer, or `X-Forwarded-For` from a trusted proxy),
//! and, in read-only mode, which keys reach the dashboard.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// A network such as `10.0.0.0/8` or `fd00::/8`; a bare address is a network of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = text.split_once('/').unwrap_or((text, ""));
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an address or a network like 10.0.0.0/8"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            "" => bits,
            digits => digits
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("{text:?}: the prefix must be 0 to {bits}"))?,
        };
        Ok(Self { network, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        let (network, address, bits) = match (self.network, address) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                (u128::from(n.to_bits()), u128::from(a.to_bits()), 32)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => (n.to_bits(), a.to_bits(), 128),
            _ => return false,
        };
        let host_bits = bits - u32::from(self.prefix);
        host_bits >= bits || network >> host_bits == address >> host_bits
    }
}

/// The client a connection counts as: the TCP peer, unless the peer is a trusted proxy; then
/// the nearest address in `X-Forwarded-For` that is not a trusted proxy itself (addresses a
/// client wrote further left are not believed).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |address: IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|hop| !is_trusted(*hop))
        .unwrap_or(peer)
}

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
    fn networks_contain_their_addresses() {
        let lan: Cidr = "10.1.0.0/16".parse().unwrap();
        let one: Cidr = "127.0.0.1".parse().unwrap();
        let v6: Cidr = "fd00::/8".parse().unwrap();

        assert!(lan.contains("10.1.200.3".parse().unwrap()));
        assert!(!lan.contains("10.2.0.1".parse().unwrap()));
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains("10.1.0.1".parse().unwrap()));
        assert!(
            "0.0.0.0/0"
                .parse::<Cidr>()
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted: Vec<Cidr> = vec!["10.0.0.0/24".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.7, 10.0.0.9"),
        );

        // The proxy says who connected to it (and what that client claimed further left).
        assert_eq!(
            client_address(proxy, &headers, &trusted),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        // Anyone else is who they are, whatever they write.
        let stranger: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(client_address(stranger, &headers, &trusted), stranger);
        assert_eq!(client_address(proxy, &HeaderMap::new(), &trusted), proxy);
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
