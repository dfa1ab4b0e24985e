//! Cost of one `POST /jobs` through the gateway's router, measured two ways:
//! - `handler/*`: everything the gateway itself does (routing, correlation id, body read, JSON
//!   parse, contract validation, envelope build and serialization, metrics, response) with a bus
//!   that confirms instantly, so the figure is the gateway's own CPU cost per job;
//! - `rabbitmq/*`: the same request through a real, publisher-confirmed RabbitMQ publish
//!   (needs RabbitMQ with its management API on 127.0.0.1, as the tests do; it publishes into a
//!   throw-away vhost; sequential, so it is latency, not throughput).
//!
//! Run: `cargo bench -p odto-gateway --bench submit`

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_bus::{BusError, JobBus, MessageHandler};
use odto_contracts::{EventEnvelope, Producer};
use odto_gateway::{AppState, GatewayMetrics, Intake, router};
use odto_store::postgres::{LazyPgStore, PgSettings};
use odto_store::redis::RedisIdempotency;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Confirms at once, after serializing the event as the real bus does.
struct InstantBus;

#[async_trait]
impl JobBus for InstantBus {
    async fn enqueue(&self, event: &EventEnvelope) -> Result<(), BusError> {
        self.publish_event(event).await
    }

    async fn publish_event(&self, event: &EventEnvelope) -> Result<(), BusError> {
        let body = serde_json::to_vec(event).map_err(|e| BusError::Rejected(e.to_string()))?;
        std::hint::black_box(body);
        Ok(())
    }

    fn is_connected(&self) -> bool {
        true
    }

    async fn consume(
        &self,
        _queue: &'static str,
        _concurrency: usize,
        _handler: Arc<dyn MessageHandler>,
        _stop: CancellationToken,
    ) {
    }

    async fn dead_letter(&self, _: &str, _: &[u8], _: &str) -> Result<(), BusError> {
        Ok(())
    }
}

fn app(bus: Arc<dyn JobBus>) -> axum::Router {
    let metrics = GatewayMetrics::new();
    let keys = RedisIdempotency::new("redis://127.0.0.1:6379", "odto-bench").expect("redis url");
    let producer = Producer::new("gateway", "bench", env!("CARGO_PKG_VERSION"));
    let intake = Intake::new(
        bus,
        Arc::new(keys),
        producer,
        Duration::from_secs(60),
        metrics.clone(),
    );
    let jobs = LazyPgStore::new(PgSettings::new(
        "postgres://postgres@127.0.0.1:5432/odto_bench",
    ));
    router(AppState {
        intake,
        jobs: Arc::new(jobs),
        metrics,
        max_body_bytes: 256 * 1024,
        job_location_base: "http://127.0.0.1:8080".into(),
    })
}

const SHORT: &str =
    r#"{"type":"report.render","payload":{"durationMs":0,"customer":"c-42","lines":[1,2,3]}}"#;
const FULL: &str = r#"{"id":"0b9d3b8e-4a3f-4c4e-9a51-6f5a0d3c2e11","type":"report.render","status":"PENDING","createdAt":"2026-01-01T10:00:00+02:00","payload":{"durationMs":0}}"#;

fn request(body: &'static str) -> Request<Body> {
    Request::post("/jobs")
        .header("content-type", "application/json")
        .header("x-correlation-id", "bench")
        .body(Body::from(body))
        .expect("request")
}

async fn submit(app: &axum::Router, body: &'static str) {
    let response = app.clone().oneshot(request(body)).await.expect("response");
    assert_eq!(response.status(), 202);
}

fn handler(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = runtime.block_on(async { app(Arc::new(InstantBus)) });
    let mut group = c.benchmark_group("handler");
    group.throughput(Throughput::Elements(1));
    group.bench_function("short_form", |b| {
        b.to_async(&runtime).iter(|| submit(&app, SHORT))
    });
    group.bench_function("full_form", |b| {
        b.to_async(&runtime).iter(|| submit(&app, FULL))
    });
    group.finish();
}

fn rabbitmq(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (app, _vhost) = runtime.block_on(async {
        let vhost = odto_test_support::TestVhost::create().await;
        let bus =
            RabbitBus::start(RabbitConfig::new(vhost.amqp_url(), "odto-bench")).expect("valid URL");
        assert!(
            bus.wait_connected(Duration::from_secs(10)).await,
            "RabbitMQ on 127.0.0.1:5672"
        );
        (app(Arc::new(bus)), vhost)
    });
    let mut group = c.benchmark_group("rabbitmq");
    group.throughput(Throughput::Elements(1));
    group.bench_function("short_form_confirmed", |b| {
        b.to_async(&runtime).iter(|| submit(&app, SHORT))
    });
    group.finish();
}

criterion_group!(benches, handler, rabbitmq);
criterion_main!(benches);
