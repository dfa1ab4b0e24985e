//! The doctor's checks: each looks at one thing a mode needs and says what it found.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use super::install::{Os, Tool, hint};
use crate::launcher;

/// How long a reachability check waits.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub what: String,
    pub ok: bool,
    pub found: String,
    /// How to fix it, when not ok.
    pub fix: Option<String>,
}

impl Check {
    fn pass(what: impl Into<String>, found: impl Into<String>) -> Check {
        Check {
            what: what.into(),
            ok: true,
            found: found.into(),
            fix: None,
        }
    }

    fn fail(what: impl Into<String>, found: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            what: what.into(),
            ok: false,
            found: found.into(),
            fix: Some(fix.into()),
        }
    }
}

pub fn odto_binary(given: Option<&Path>, os: Os) -> Check {
    match launcher::locate_odto(given) {
        Some(path) => Check::pass("odto binary", path.display().to_string()),
        None => {
            let found = match given {
                Some(path) => format!("{} is not a file", path.display()),
                None => "not next to odd-dashboard, not on PATH".into(),
            };
            Check::fail("odto binary", found, hint(Tool::Odto, os))
        }
    }
}

/// A port `odto up` will listen on: free, or already serving a running stack (then the
/// dashboard just connects to it).
pub fn free_port(service: &str, port: u16, listen_env: &str) -> Check {
    let what = format!("port {port} ({service})");
    if TcpListener::bind(("127.0.0.1", port)).is_ok() {
        return Check::pass(what, "free");
    }
    if health_answers(port) {
        return Check::pass(
            what,
            format!("in use by a running {service} (odd-dashboard connects to it)"),
        );
    }
    Check::fail(
        what,
        "in use by another program",
        format!(
            "stop it (see `ss -ltnp 'sport = :{port}'`) or choose another address with {listen_env}"
        ),
    )
}

/// Whether `GET /healthz` on this local port answers 200, as the observatory's services do.
fn health_answers(port: u16) -> bool {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(CONNECT_TIMEOUT));
    let request = "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 16];
    let read = stream.read(&mut head).unwrap_or(0);
    let status_line = String::from_utf8_lossy(&head[..read]);
    status_line.starts_with("HTTP/1.") && status_line.get(9..12) == Some("200")
}

/// A backend of the distributed mode: something accepts connections at its address.
pub fn reachable(name: &str, url: &str, default_port: u16, tool: Tool, os: Os) -> Check {
    let Some((host, port)) = host_port(url, default_port) else {
        return Check::fail(
            name,
            format!(
                "cannot read an address from {}",
                odto_settings::redact_url(url)
            ),
            "fix the URL",
        );
    };
    let what = format!("{name} at {host}:{port}");
    let addresses: Vec<SocketAddr> = (host.as_str(), port)
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default();
    let connected = addresses
        .iter()
        .any(|a| TcpStream::connect_timeout(a, CONNECT_TIMEOUT).is_ok());
    match connected {
        true => Check::pass(what, "reachable"),
        false if addresses.is_empty() => {
            Check::fail(what, "host name does not resolve", hint(tool, os))
        }
        false => Check::fail(what, "nothing answers", hint(tool, os)),
    }
}

/// `(host, port)` of a URL like `scheme://user:password@host:port/path`.
pub fn host_port(url: &str, default_port: u16) -> Option<(String, u16)> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    if host_port.is_empty() {
        return None;
    }
    // An IPv6 literal keeps its colons inside brackets.
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().ok()?),
        _ => (host_port, default_port),
    };
    Some((host.trim_matches(['[', ']']).to_owned(), port))
}

/// The dashboard the web terminal runs in its terminals: the one `ODTO_WEB_DASHBOARD_BIN`
/// names, which must exist, or else this program, which is one (`odd-dashboard`, or `odto`
/// with its built-in `odto dashboard`).
pub fn web_dashboard(named: Option<&str>) -> Check {
    let what = "web terminal's dashboard";
    match named {
        Some(path) if Path::new(path).is_file() => Check::pass(what, path),
        Some(path) => Check::fail(
            what,
            format!("ODTO_WEB_DASHBOARD_BIN={path} is not a file"),
            "point ODTO_WEB_DASHBOARD_BIN at odd-dashboard, or unset it to use the one next to odto",
        ),
        None => {
            let this = std::env::current_exe()
                .map_or_else(|_| "this program".into(), |path| path.display().to_string());
            Check::pass(what, format!("{this} (ODTO_WEB_DASHBOARD_BIN unset)"))
        }
    }
}

/// A command on PATH.
pub fn command(name: &str, tool: Tool, os: Os) -> Check {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    match launcher::on_path(&file) {
        Some(path) => Check::pass(name, path.display().to_string()),
        None => Check::fail(name, "not on PATH", hint(tool, os)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_from_service_urls() {
        let pg = host_port("postgres://postgres:secret@db.local:6543/odto", 5432);
        assert_eq!(pg, Some(("db.local".into(), 6543)));
        assert_eq!(
            host_port("redis://127.0.0.1", 6379),
            Some(("127.0.0.1".into(), 6379))
        );
        assert_eq!(
            host_port("amqp://guest:guest@[::1]:5672/%2f", 1),
            Some(("::1".into(), 5672))
        );
        assert_eq!(host_port("amqp://", 5672), None);
    }

    #[test]
    fn a_taken_port_fails_and_a_free_one_passes() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let check = free_port("gateway", port, "ODTO_GATEWAY_LISTEN");
        assert!(!check.ok, "{check:?}");
        assert!(check.fix.unwrap().contains("ODTO_GATEWAY_LISTEN"));
        drop(taken);
        assert!(free_port("gateway", port, "ODTO_GATEWAY_LISTEN").ok);
    }

    #[test]
    fn a_named_web_dashboard_must_exist() {
        let missing = web_dashboard(Some("/nonexistent/odd-dashboard"));
        assert!(!missing.ok, "{missing:?}");
        assert!(
            missing.found.contains("ODTO_WEB_DASHBOARD_BIN"),
            "{missing:?}"
        );
        let this = std::env::current_exe().unwrap();
        assert!(web_dashboard(this.to_str()).ok);
        assert!(web_dashboard(None).ok);
    }
}
