//! The RabbitMQ bus against the real broker, each test in its own vhost.

use std::time::Duration;

use chrono::Utc;
use futures_util::future::join_all;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_bus::topology::{DEAD_LETTER_QUEUE, JOBS_QUEUE, METRICS_QUEUE};
use odto_bus::{BusError, JobBus};
use odto_contracts::{EventEnvelope, EventType, Job, JobType, Producer, Schema};
use odto_test_support::{TcpProxy, TestVhost, eventually, get_messages};
use serde_json::Value;
use uuid::Uuid;

fn event(event_type: EventType, job_type: &str) -> EventEnvelope {
    let job = Job::new(
        Uuid::now_v7(),
        JobType::parse(job_type).unwrap(),
        Utc::now(),
    );
    let producer = Producer::new("bus-test", "test-1", "0.0.0");
    EventEnvelope::new(event_type, job, producer, "corr-1", "key-1", Utc::now())
}

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
async fn concurrent_events_share_batches_and_every_one_arrives_exactly_once() {
    let vhost = TestVhost::create().await;
    let bus = connected_bus(vhost.amqp_url()).await;
    let events: Vec<_> = (0..400)
        .map(|_| event(EventType::JobCompleted, "t"))
        .collect();

    let results = join_all(events.iter().map(|e| bus.publish_event(e))).await;

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let messages = get_messages(&vhost.amqp_url(), METRICS_QUEUE, 10_000).await;
    assert!(
        messages.len() < 400,
        "{} messages for 400 events: no batching",
        messages.len()
    );
    let mut received: Vec<String> = batched_events_from(&messages);
    let mut sent: Vec<String> = events.iter().map(|e| e.event_id.to_string()).collect();
    received.sort();
    sent.sort();
    assert_eq!(received, sent);
    assert!(
        get_messages(&vhost.amqp_url(), JOBS_QUEUE, 10)
            .await
            .is_empty()
    );
}

fn batched_events_from(messages: &[lapin::message::Delivery]) -> Vec<String> {
    messages
        .iter()
        .flat_map(|m| serde_json::from_slice::<Vec<Value>>(&m.data).unwrap())
        .map(|e| {
            Schema::EventEnvelope
                .validate(&e)
                .expect("a valid envelope");
            e["eventId"].as_str().unwrap().to_owned()
        })
        .collect()
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

/// Returns `Retry` for the first `retries` deliveries, then `Ack`; counts deliveries.
struct RetryThenAck {
    retries: usize,
    seen: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl odto_bus::MessageHandler for RetryThenAck {
    async fn handle(&self, _message: odto_bus::Message) -> odto_bus::Outcome {
        let seen = self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if seen < self.retries {
            odto_bus::Outcome::Retry {
                after: Duration::from_millis(300),
            }
        } else {
            odto_bus::Outcome::Ack
        }
    }
}

#[tokio::test]
async fn a_job_retried_again_and_again_through_one_delay_queue_always_comes_back() {
    let vhost = TestVhost::create().await;
    let bus = std::sync::Arc::new(connected_bus(vhost.amqp_url()).await);
    let handler = std::sync::Arc::new(RetryThenAck {
        retries: 3,
        seen: Default::default(),
    });
    bus.enqueue(&event(EventType::JobCreated, "t"))
        .await
        .unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let consuming = tokio::spawn({
        let (bus, handler, stop) = (bus.clone(), handler.clone(), stop.clone());
        async move { bus.consume(JOBS_QUEUE, 4, handler, stop).await }
    });

    eventually(
        Duration::from_secs(20),
        "four deliveries (three retries, then done)",
        || async { (handler.seen.load(std::sync::atomic::Ordering::SeqCst) >= 4).then_some(()) },
    )
    .await;

    stop.cancel();
    consuming.await.unwrap();
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

#[tokio::test]
async fn a_retried_message_waits_in_its_delay_queue_and_comes_back_by_itself() {
    let vhost = TestVhost::create().await;
    let bus = connected_bus(vhost.amqp_url()).await;
    bus.enqueue(&event(EventType::JobCreated, "t"))
        .await
        .unwrap();
    let handler = std::sync::Arc::new(RetryThenAck {
        retries: 1,
        seen: Default::default(),
    });
    let stop = tokio_util::sync::CancellationToken::new();
    let bus = std::sync::Arc::new(bus);
    let consuming = tokio::spawn({
        let (bus, handler, stop) = (bus.clone(), handler.clone(), stop.clone());
        async move { bus.consume(JOBS_QUEUE, 4, handler, stop).await }
    });

    eventually(
        Duration::from_secs(10),
        "the retry and its return",
        || async { (handler.seen.load(std::sync::atomic::Ordering::SeqCst) >= 2).then_some(()) },
    )
    .await;
    stop.cancel();
    consuming.await.unwrap();

    assert!(
        get_messages(&vhost.amqp_url(), DEAD_LETTER_QUEUE, 10)
            .await
            .is_empty()
    );
}
