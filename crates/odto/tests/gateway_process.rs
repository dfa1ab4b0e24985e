//! The real `odto gateway` process: it serves without its backends (liveness never depends on
//! them) and a SIGTERM stops it gracefully with exit status 0.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

fn wait_until_serving(gateway: &mut Child, port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(response) = get(port, "/healthz") {
            return response;
        }
        assert!(
            gateway.try_wait().unwrap().is_none(),
            "gateway exited early"
        );
        assert!(
            Instant::now() < deadline,
            "gateway did not serve within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_gateway_serves_without_a_broker_and_stops_cleanly_on_sigterm() {
    let port = free_port();
    let closed_broker = format!("amqp://guest:guest@127.0.0.1:{}/%2f", free_port());
    let mut gateway = Command::new(env!("CARGO_BIN_EXE_odto"))
        .args(["gateway", "--listen", &format!("127.0.0.1:{port}")])
        .env("ODTO_RABBITMQ_URL", closed_broker)
        .env("ODTO_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("odto starts");

    let health = wait_until_serving(&mut gateway, port);
    let readiness = get(port, "/readyz").expect("readyz answers");
    let killed = Command::new("kill")
        .args(["-TERM", &gateway.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = gateway.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };

    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(readiness.starts_with("HTTP/1.1 503"), "{readiness}");
    assert!(killed.success());
    assert!(status.success(), "exit status {status}");
    let mut logs = String::new();
    gateway
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let first = logs.lines().next().expect("a log line");
    assert!(
        first.starts_with('{') && first.contains("\"level\""),
        "JSON logs: {first}"
    );
    assert!(
        !logs.contains("guest:guest"),
        "the broker password must never be logged"
    );
}
