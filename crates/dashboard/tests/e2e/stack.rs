//! A real `odto up --no-dashboard` on free ports, and a tiny HTTP client to talk to it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The ports of one stack: gateway, read model, processor, metrics engine.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    pub gateway: u16,
    pub read_model: u16,
    pub processor: u16,
    pub metrics_engine: u16,
}

impl Ports {
    /// Four ports that were free a moment ago (not 3000/8080, so tests run beside a real stack).
    pub fn free() -> Ports {
        let listeners: Vec<TcpListener> = (0..4)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let port = |i: usize| listeners[i].local_addr().unwrap().port();
        Ports {
            gateway: port(0),
            read_model: port(1),
            processor: port(2),
            metrics_engine: port(3),
        }
    }
}

/// A running `odto up`; killed when dropped.
pub struct Stack {
    child: Child,
}

impl Stack {
    pub fn start(odto: &Path, data_dir: &Path, ports: Ports, log: &Path) -> Stack {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let address = |port: u16| format!("127.0.0.1:{port}");
        let mut command = Command::new(odto);
        // Embedded backends whatever the caller's environment says (ODTO_POSTGRES_URL, …).
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("ODTO_")) {
            command.env_remove(name);
        }
        let child = command
            .args(["up", "--no-dashboard", "--no-web", "--data-dir"])
            .arg(data_dir)
            .args(["--gateway-listen", &address(ports.gateway)])
            .args(["--read-model-listen", &address(ports.read_model)])
            .args(["--processor-listen", &address(ports.processor)])
            .args(["--metrics-engine-listen", &address(ports.metrics_engine)])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("odto up starts");
        Stack { child }
    }

    /// Waits until both HTTP services answer their liveness probe.
    pub fn wait_ready(&mut self, ports: Ports, log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "odto up exited ({status}):\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            let up = |port| matches!(http(port, "GET", "/healthz", None), Ok((200, _)));
            if up(ports.gateway) && up(ports.read_model) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "odto up not ready within 60 s:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }

    /// Stops it as an operator would (SIGTERM), killing it if it lingers.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.0 request to 127.0.0.1:`port`: (status, body).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, body.to_owned()))
}

/// The binary next to this test's `odd-dashboard`, built by `cargo test --workspace`.
pub fn odto_next_to(dashboard: &Path) -> PathBuf {
    dashboard.with_file_name(format!("odto{}", std::env::consts::EXE_SUFFIX))
}
