//! Starts a read model on port 0 against a fresh database, a unique Redis prefix and its own
//! vhost, with the real stores at hand to seed what it should read.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use odto_read_model::{Application, ReadModelConfig};
use odto_store::postgres::{PgSettings, PgStore};
use odto_store::redis::RedisStats;
use odto_test_support::{
    TcpProxy, TestDatabase, TestVhost, eventually, redis_url, unique_redis_prefix,
};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

pub struct TestReadModel {
    pub base: String,
    pub client: reqwest::Client,
    /// The job, event and dead-letter store the read model reads, for seeding.
    pub postgres: Arc<PgStore>,
    /// The statistics the read model reads, for seeding.
    pub stats: Arc<RedisStats>,
    pub vhost: TestVhost,
    /// Between the read model and PostgreSQL, when the test wants to cut it.
    pub postgres_proxy: Option<TcpProxy>,
    /// Dropped (with its sessions) when the test ends.
    _db: TestDatabase,
    stop: Option<oneshot::Sender<()>>,
}

/// The broker's management API used by the tests.
pub fn management_url() -> String {
    let host = std::env::var("ODTO_TEST_RABBITMQ_HOST").unwrap_or_else(|_| "127.0.0.1".into());
    format!("http://{host}:15672")
}

/// An address nothing listens on (bound, then released).
pub fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// A read model on all-real backends, ready (PostgreSQL and Redis answer) before it is returned.
pub async fn spawn_read_model() -> TestReadModel {
    let read_model = spawn_read_model_with(|_| {}).await;
    read_model.wait_ready().await;
    read_model
}

/// A read model with custom settings (the test edits the config before start), returned
/// without waiting for readiness.
pub async fn spawn_read_model_with(edit: impl FnOnce(&mut ReadModelConfig)) -> TestReadModel {
    start(edit, None).await
}

/// A read model that reaches PostgreSQL through a proxy, cut before it starts.
pub async fn spawn_read_model_with_postgres_cut() -> TestReadModel {
    let proxy = TcpProxy::start(&postgres_addr()).await;
    proxy.cut();
    start(|_| {}, Some(proxy)).await
}

/// `host:port` of the test PostgreSQL.
fn postgres_addr() -> String {
    let server = std::env::var("ODTO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let authority = server
        .split_once("://")
        .map_or(server.as_str(), |(_, rest)| rest);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    host.trim_end_matches('/').to_owned()
}

async fn start(
    edit: impl FnOnce(&mut ReadModelConfig),
    postgres_proxy: Option<TcpProxy>,
) -> TestReadModel {
    let (db, vhost) = tokio::join!(TestDatabase::create(), TestVhost::create());
    let prefix = unique_redis_prefix();
    let postgres = PgStore::connect(&PgSettings::new(db.url()))
        .await
        .expect("test database reachable");
    let stats = RedisStats::new(&redis_url(), prefix.clone()).expect("Redis settings");
    let postgres_url = match &postgres_proxy {
        Some(proxy) => db.url_via(&proxy.addr().to_string()),
        None => db.url(),
    };
    let mut config =
        ReadModelConfig::for_tests(postgres_url, redis_url(), prefix, vhost.amqp_url());
    config.backends.rabbitmq_management_url = Some(management_url());
    edit(&mut config);
    let app = Application::build(config).await.expect("read model builds");
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestReadModel {
        base,
        client: reqwest::Client::new(),
        postgres: Arc::new(postgres),
        stats: Arc::new(stats),
        vhost,
        postgres_proxy,
        _db: db,
        stop: Some(stop),
    }
}

impl TestReadModel {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn wait_ready(&self) {
        eventually(
            Duration::from_secs(15),
            "the read model to become ready",
            || async {
                let response = self.client.get(self.url("/readyz")).send().await.ok()?;
                (response.status() == StatusCode::OK).then_some(())
            },
        )
        .await;
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// `GET path`, expecting 200 and JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// `GET path`, expecting the given error status and the shared JSON error; returns the body.
    pub async fn get_error(&self, path: &str, status: StatusCode) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), status, "GET {path}");
        error_body(response).await
    }
}

impl Drop for TestReadModel {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The JSON error body, after checking it is one: `{"error":{"code","message","details"}}`.
pub async fn error_body(response: Response) -> Value {
    let content_type = response.headers().get("content-type").cloned();
    assert_eq!(
        content_type.as_ref().and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let body: Value = response.json().await.expect("JSON error body");
    assert!(body["error"]["code"].is_string(), "error code in {body}");
    assert!(
        body["error"]["message"].is_string(),
        "error message in {body}"
    );
    assert!(
        body["error"]["details"].is_array(),
        "error details in {body}"
    );
    body
}
