//! The RabbitMQ bus against the real broker, each test in its own vhost: the behavioural suite
//! every bus runs, then what only RabbitMQ has (persistent AMQP messages, the declared topology,
//! reconnection).

#[macro_use]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::event;
use common::suite::Backend;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_bus::topology::{DEAD_LETTER_QUEUE, JOBS_QUEUE, METRICS_QUEUE};
use odto_bus::{BusError, JobBus};
use odto_contracts::{EventType, Schema};
use odto_test_support::{TcpProxy, TestVhost, eventually, get_messages};
use serde_json::Value;

/// A bus on a vhost of its own; a restart is a new connection to the same vhost.
struct Rabbit {
    vhost: TestVhost,
    bus: Arc<RabbitBus>,
}

impl Backend for Rabbit {
    async fn start() -> Self {
        let vhost = TestVhost::create().await;
        let bus = Arc::new(connected_bus(vhost.amqp_url()).await);
        Self { vhost, bus }
    }

    fn bus(&self) -> Arc<dyn JobBus> {
        self.bus.clone()
    }

    async fn restart(&mut self) {
        self.bus.close().await;
        self.bus = Arc::new(connected_bus(self.vhost.amqp_url()).await);
    }
}

behavioural_suite!(Rabbit);

async fn connected_bus(url: String) -> RabbitBus {
    let bus = RabbitBus::start(RabbitConfig::new(url, "bus-test")).expect("valid URL");
    assert!(
        bus.wait_connected(Duration::from_secs(10)).await,
        "bus connects"
    );
    bus
}

/// Every envelope in every event batch waiting on the metrics queue.
async fn batched_events(vhost: &TestVhost) -> Vec<Value> {
    let messages = get_messages(&vhost.amqp_url(), METRICS_QUEUE, 10_000).await;
    messages
        .iter()
        .flat_map(|m| {
            let batch: Value = serde_json::from_slice(&m.data).expect("batch is JSON");
            batch.as_array().expect("batch is an array").clone()
        })
        .collect()
}

#[tokio::test]
async fn an_enqueued_job_is_one_persistent_message_on_the_intake_queue_and_copied_to_the_event_stream()
 {
    let vhost = TestVhost::create().await;
    let bus = connected_bus(vhost.amqp_url()).await;
    let created = event(EventType::JobCreated, "mail.send");

    bus.enqueue(&created).await.expect("enqueued");

    let jobs = get_messages(&vhost.amqp_url(), JOBS_QUEUE, 10).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].properties.delivery_mode(), &Some(2));
    let message: Value = serde_json::from_slice(&jobs[0].data).unwrap();
    Schema::EventEnvelope
        .validate(&message)
        .expect("a valid envelope");
    assert_eq!(message["eventId"], created.event_id.to_string());
    let copies = eventually(Duration::from_secs(5), "the event copy", || async {
        let events = batched_events(&vhost).await;
        (!events.is_empty()).then_some(events)
    })
    .await;
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0]["eventId"], created.event_id.to_string());
}

#[tokio::test]
async fn the_topology_can_be_declared_again_by_another_service() {
    let vhost = TestVhost::create().await;
    let first = connected_bus(vhost.amqp_url()).await;
    let second = connected_bus(vhost.amqp_url()).await;

    first
        .enqueue(&event(EventType::JobCreated, "a"))
        .await
        .unwrap();
    second
        .enqueue(&event(EventType::JobCreated, "b"))
        .await
        .unwrap();

    assert_eq!(
        get_messages(&vhost.amqp_url(), JOBS_QUEUE, 10).await.len(),
        2
    );
    assert!(
        get_messages(&vhost.amqp_url(), DEAD_LETTER_QUEUE, 10)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn publishing_without_a_broker_fails_at_once_and_succeeds_after_it_returns() {
    let vhost = TestVhost::create().await;
    let proxy = TcpProxy::start("127.0.0.1:5672").await;
    let bus = connected_bus(vhost.amqp_url_via(&proxy.addr().to_string())).await;

    proxy.cut();
    eventually(Duration::from_secs(5), "the bus to notice", || async {
        (!bus.is_connected()).then_some(())
    })
    .await;
    let started = std::time::Instant::now();
    let refused = bus.enqueue(&event(EventType::JobCreated, "t")).await;

    assert!(
        matches!(refused, Err(BusError::Unavailable(_))),
        "{refused:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(100));
    let refused = bus.publish_event(&event(EventType::JobStarted, "t")).await;
    assert!(
        matches!(refused, Err(BusError::Unavailable(_))),
        "{refused:?}"
    );

    proxy.restore();
    assert!(
        bus.wait_connected(Duration::from_secs(15)).await,
        "reconnects by itself"
    );
    bus.enqueue(&event(EventType::JobCreated, "t"))
        .await
        .expect("enqueued after recovery");
    assert_eq!(
        get_messages(&vhost.amqp_url(), JOBS_QUEUE, 10).await.len(),
        1
    );
}

#[tokio::test]
async fn a_malformed_broker_url_is_refused_at_start() {
    let started = RabbitBus::start(RabbitConfig::new("amqp://guest:secret@host:notaport/", "t"));

    let error = started.expect_err("malformed URL refused").to_string();
    assert!(error.contains("invalid message broker settings"), "{error}");
    assert!(!error.contains("secret"), "password leaked: {error}");
}

#[tokio::test]
async fn connecting_declares_every_queue_of_the_topology_including_the_delay_queues() {
    let vhost = TestVhost::create().await;
    let _bus = connected_bus(vhost.amqp_url()).await;
    let connection = lapin::Connection::connect(&vhost.amqp_url(), Default::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let passive = lapin::options::QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };

    let names = odto_bus::topology::QUEUES.iter().map(|q| q.name);
    let delays = odto_bus::topology::JOB_DELAYS.iter().map(|(name, _)| *name);
    for name in names.chain(delays) {
        // A passive declare fails (and closes the channel) if the queue does not exist.
        let declared = channel
            .queue_declare(name.into(), passive, Default::default())
            .await;
        assert!(
            declared.is_ok(),
            "queue {name} was not declared: {declared:?}"
        );
    }
}
