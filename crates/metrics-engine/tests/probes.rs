//! The metrics engine's `/readyz` follows PostgreSQL, Redis and the broker; `/healthz` does not.

use std::sync::Arc;
use std::time::Duration;

use odto_bus::JobBus;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_metrics_engine::{Application, EngineBackends, EngineConfig, EventSinks};
use odto_store::postgres::{PgSettings, PgStore};
use odto_store::redis::RedisStats;
use odto_test_support::{
    TcpProxy, TestDatabase, TestVhost, eventually, redis_url, unique_redis_prefix,
};
use serde_json::Value;

#[tokio::test]
async fn readiness_names_the_backend_that_is_down_and_recovers_with_it() {
    let vhost = TestVhost::create().await;
    let db = TestDatabase::create().await;
    let redis = TcpProxy::start("127.0.0.1:6379").await;
    let store = Arc::new(PgStore::connect(&PgSettings::new(db.url())).await.unwrap());
    let stats =
        RedisStats::new(&format!("redis://{}", redis.addr()), unique_redis_prefix()).unwrap();
    let bus: Arc<dyn JobBus> =
        Arc::new(RabbitBus::start(RabbitConfig::new(vhost.amqp_url(), "engine-probe")).unwrap());
    let sinks = EventSinks {
        events: store.clone(),
        jobs: store.clone(),
        stats: Arc::new(stats),
    };
    let backends = EngineBackends {
        bus,
        sinks,
        dead_letters: store,
    };
    let config = EngineConfig::for_tests(
        vhost.amqp_url(),
        db.url(),
        redis_url(),
        unique_redis_prefix(),
    );
    let app = Application::build_with(config, backends).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let ready = || async { client.get(format!("{base}/readyz")).send().await.ok() };
    eventually(Duration::from_secs(10), "readiness", || async {
        (ready().await?.status() == 200).then_some(())
    })
    .await;

    redis.cut();
    let body: Value = eventually(Duration::from_secs(15), "readiness to fail", || async {
        let response = ready().await?;
        (response.status() == 503).then_some(())?;
        response.json().await.ok()
    })
    .await;

    assert_eq!(body["error"]["details"][0]["path"], "redis");
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    redis.restore();
    eventually(Duration::from_secs(15), "readiness to recover", || async {
        (ready().await?.status() == 200).then_some(())
    })
    .await;
    let _ = stop.send(());
    running.await.unwrap().unwrap();
}
