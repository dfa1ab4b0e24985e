//! The processor's health endpoints: `/readyz` follows its dependencies, `/healthz` does not.

use std::sync::Arc;
use std::time::Duration;

use odto_bus::JobBus;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_processor::{Application, ProcessorBackends, ProcessorConfig};
use odto_store::postgres::{PgSettings, PgStore};
use odto_test_support::{TcpProxy, TestDatabase, TestVhost, eventually};
use serde_json::Value;

#[tokio::test]
async fn readiness_fails_while_postgres_is_unreachable_and_liveness_does_not() {
    let vhost = TestVhost::create().await;
    let db = TestDatabase::create().await;
    let proxy = TcpProxy::start("127.0.0.1:5432").await;
    let store = PgStore::connect(&PgSettings::new(db.url_via(&proxy.addr().to_string())))
        .await
        .unwrap();
    let bus: Arc<dyn JobBus> =
        Arc::new(RabbitBus::start(RabbitConfig::new(vhost.amqp_url(), "probe-test")).unwrap());
    let config = ProcessorConfig::for_tests(vhost.amqp_url(), db.url());
    let backends = ProcessorBackends {
        bus,
        jobs: Arc::new(store),
    };
    let app = Application::build_with(config, backends).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let status = |path: &'static str| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            client
                .get(url)
                .send()
                .await
                .ok()
                .map(|r| r.status().as_u16())
        }
    };
    eventually(Duration::from_secs(10), "readiness", || async {
        (status("/readyz").await == Some(200)).then_some(())
    })
    .await;

    proxy.cut();
    let body: Value = eventually(Duration::from_secs(15), "readiness to fail", || async {
        let response = client.get(format!("{base}/readyz")).send().await.ok()?;
        (response.status() == 503).then_some(())?;
        response.json().await.ok()
    })
    .await;

    assert_eq!(body["error"]["details"][0]["path"], "postgres");
    assert_eq!(status("/healthz").await, Some(200));
    proxy.restore();
    eventually(Duration::from_secs(15), "readiness to recover", || async {
        (status("/readyz").await == Some(200)).then_some(())
    })
    .await;
    let _ = stop.send(());
    running.await.unwrap().unwrap();
}
