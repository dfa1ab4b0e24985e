//! Helpers shared by the integration tests: every test gets its own RabbitMQ vhost and Redis key
//! prefix so tests run in parallel against the real services, and none of them skips when a
//! service is missing: it fails and says how to start it.

mod browser;
mod postgres;
mod proxy;
mod rabbitmq;

pub use browser::browser_script;
pub use postgres::TestDatabase;
pub use proxy::TcpProxy;
pub use rabbitmq::{TestVhost, get_messages};

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

/// An address that accepts connections and never says anything: a backend whose traffic is
/// black-holed. The connections stay open until the test's runtime ends.
pub async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

/// Address of the Redis used by tests (`ODTO_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`).
pub fn redis_url() -> String {
    std::env::var("ODTO_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A Redis key prefix no other test uses.
pub fn unique_redis_prefix() -> String {
    format!("odto-test-{}", uuid::Uuid::new_v4().simple())
}

/// Panics with instructions unless something listens on `addr`.
pub async fn require_service(name: &str, addr: &str, how_to_start: &str) {
    let reachable =
        tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr))
            .await
            .is_ok_and(|connected| connected.is_ok());
    assert!(
        reachable,
        "{name} is not reachable at {addr}; these tests need it. Start it with: {how_to_start}"
    );
}

/// Polls `check` every 20 ms until it returns `Some`, panicking with `what` after `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
