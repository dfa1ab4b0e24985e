//! Starts a gateway on port 0 against an isolated vhost, and reads what it published.

use std::time::Duration;

use odto_bus::topology::JOBS_QUEUE;
use odto_gateway::{Application, GatewayConfig};
use odto_test_support::{
    TcpProxy, TestVhost, eventually, get_messages, redis_url, unique_redis_prefix,
};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

pub struct TestGateway {
    pub base: String,
    pub client: reqwest::Client,
    pub vhost: TestVhost,
    pub proxy: Option<TcpProxy>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A gateway on the real broker, ready (broker connected) before it is returned.
pub async fn spawn_gateway() -> TestGateway {
    let vhost = TestVhost::create().await;
    let config = GatewayConfig::for_tests(vhost.amqp_url(), redis_url(), unique_redis_prefix());
    start(config, vhost, None, true).await
}

/// A gateway that reaches the broker through a proxy the test can cut. With `broker_down`, the
/// proxy is cut before the gateway starts and the gateway is returned without waiting.
pub async fn spawn_gateway_behind_proxy(broker_down: bool) -> TestGateway {
    let vhost = TestVhost::create().await;
    let proxy = TcpProxy::start("127.0.0.1:5672").await;
    if broker_down {
        proxy.cut();
    }
    let url = vhost.amqp_url_via(&proxy.addr().to_string());
    let config = GatewayConfig::for_tests(url, redis_url(), unique_redis_prefix());
    start(config, vhost, Some(proxy), !broker_down).await
}

/// A gateway with custom settings (the test edits the config before start).
pub async fn spawn_gateway_with(edit: impl FnOnce(&mut GatewayConfig)) -> TestGateway {
    let vhost = TestVhost::create().await;
    let mut config = GatewayConfig::for_tests(vhost.amqp_url(), redis_url(), unique_redis_prefix());
    edit(&mut config);
    start(config, vhost, None, true).await
}

async fn start(
    config: GatewayConfig,
    vhost: TestVhost,
    proxy: Option<TcpProxy>,
    ready: bool,
) -> TestGateway {
    let app = Application::build(config).await.expect("gateway builds");
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let gateway = TestGateway {
        base,
        client: reqwest::Client::new(),
        vhost,
        proxy,
        stop: Some(stop),
        server: Some(server),
    };
    if ready {
        gateway.wait_ready().await;
    }
    gateway
}

impl TestGateway {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn wait_ready(&self) {
        eventually(
            Duration::from_secs(10),
            "the gateway to become ready",
            || async {
                let response = self.client.get(self.url("/readyz")).send().await.ok()?;
                (response.status() == StatusCode::OK).then_some(())
            },
        )
        .await;
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Every message waiting on the intake queue, parsed as JSON (taken off the queue).
    pub async fn take_published(&self) -> Vec<Value> {
        get_messages(&self.vhost.amqp_url(), JOBS_QUEUE, 10_000)
            .await
            .into_iter()
            .map(|delivery| serde_json::from_slice(&delivery.data).expect("published JSON"))
            .collect()
    }

    /// Stops the server gracefully and waits for it to finish.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("server task"),
            None => Ok(()),
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

/// The value of the sample named `name` whose labels include all of `labels` (the text format
/// promises no label order).
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (series_name, series_labels) = series.split_once('{')?;
        let all_present = labels
            .iter()
            .all(|(key, val)| series_labels.contains(&format!("{key}=\"{val}\"")));
        (series_name == name && all_present).then(|| value.parse().expect("a numeric sample"))
    })
}
