//! The behaviour every [`JobBus`] must have, whatever is behind it. Each backend's test file
//! implements [`Backend`] and runs the whole suite with `behavioural_suite!(TheBackend);`.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::join_all;
use odto_bus::topology::{DEAD_LETTER_QUEUE, JOBS_QUEUE, METRICS_QUEUE};
use odto_bus::{BusError, DeadLetterInfo, JobBus, Message, MessageHandler, Outcome};
use odto_contracts::{EventType, Schema};
use serde_json::Value;
use tokio::time::Instant;

use super::{Consumer, Holding, Recorder, batch_ids, event, event_id, job};

/// A bus implementation under test, on queues no other test uses.
#[allow(async_fn_in_trait)] // only awaited in place, never sent
pub trait Backend: Sized {
    async fn start() -> Self;
    fn bus(&self) -> Arc<dyn JobBus>;
    /// Closes the bus as a stopping process would, and starts a new one on the same queues.
    async fn restart(&mut self);
}

/// Runs every behaviour below as a test of `$backend`.
macro_rules! behavioural_suite {
    ($backend:ident) => {
        behavioural_suite!($backend;
            an_enqueued_job_is_delivered_on_the_intake_queue_with_the_exact_body,
            an_enqueued_job_is_copied_to_the_event_stream_inside_a_batch,
            concurrent_events_share_batches_and_every_one_arrives_once,
            a_higher_priority_job_is_delivered_first,
            a_retried_message_comes_back_after_its_delay_without_holding_a_slot,
            a_job_retried_again_and_again_always_comes_back,
            a_requeued_message_comes_back_marked_redelivered,
            a_message_dead_lettered_by_its_handler_keeps_its_body_with_reason_and_source,
            dead_letter_stores_a_message_with_its_reason_and_source,
            two_consumers_on_one_queue_share_the_messages_without_duplicates,
            a_consumer_never_runs_more_handlers_than_its_concurrency,
            stopping_a_consumer_waits_for_the_handlers_in_progress,
            a_panicking_handler_does_not_lose_its_message,
            a_message_in_flight_when_the_bus_stops_is_delivered_again_marked_redelivered,
            acknowledged_messages_do_not_come_back_after_a_restart,
            publishing_after_close_fails_at_once,
        );
    };
    ($backend:ident; $($behaviour:ident),* $(,)?) => {
        mod behaviour {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    crate::common::suite::$behaviour::<super::$backend>().await;
                }
            )*
        }
    };
}

pub async fn an_enqueued_job_is_delivered_on_the_intake_queue_with_the_exact_body<B: Backend>() {
    let backend = B::start().await;
    let created = job();
    backend.bus().enqueue(&created).await.expect("enqueued");

    let recorder = Recorder::acking();
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 4, recorder.clone());
    let delivered = recorder.wait_for(1, "the job").await;
    consumer.stop().await;

    let message = &delivered[0].message;
    assert_eq!(message.body, serde_json::to_vec(&created).unwrap());
    assert_eq!(message.message_id, Some(created.event_id.to_string()));
    assert!(!message.redelivered);
    assert_eq!(message.dead_letter, None);
}

pub async fn an_enqueued_job_is_copied_to_the_event_stream_inside_a_batch<B: Backend>() {
    let backend = B::start().await;
    let created = job();
    backend.bus().enqueue(&created).await.expect("enqueued");

    let recorder = Recorder::acking();
    let consumer = Consumer::start(&backend.bus(), METRICS_QUEUE, 4, recorder.clone());
    let delivered = recorder.wait_for(1, "the event copy").await;
    consumer.stop().await;

    let batch: Vec<Value> = serde_json::from_slice(&delivered[0].message.body).unwrap();
    assert_eq!(batch.len(), 1);
    Schema::EventEnvelope
        .validate(&batch[0])
        .expect("a valid envelope");
    assert_eq!(batch[0], serde_json::to_value(&created).unwrap());
}

pub async fn concurrent_events_share_batches_and_every_one_arrives_once<B: Backend>() {
    let backend = B::start().await;
    let bus = backend.bus();
    let events: Vec<_> = (0..400)
        .map(|_| event(EventType::JobCompleted, "t"))
        .collect();

    let results = join_all(events.iter().map(|e| bus.publish_event(e))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let recorder = Recorder::acking();
    let consumer = Consumer::start(&bus, METRICS_QUEUE, 8, recorder.clone());
    let mut received = eventually_all_ids(&recorder, 400).await;
    consumer.stop().await;
    let batches = recorder.deliveries().len();
    assert!(
        batches < 400,
        "{batches} messages for 400 events: no batching"
    );
    let mut sent: Vec<String> = events.iter().map(|e| e.event_id.to_string()).collect();
    received.sort();
    sent.sort();
    assert_eq!(received, sent);
}

/// The event ids of every batch recorded, once at least `count` have arrived.
async fn eventually_all_ids(recorder: &Recorder, count: usize) -> Vec<String> {
    odto_test_support::eventually(super::PATIENCE, "every event", || async {
        let ids: Vec<String> = recorder
            .deliveries()
            .iter()
            .flat_map(|d| batch_ids(&d.message))
            .collect();
        (ids.len() >= count).then_some(ids)
    })
    .await
}

pub async fn a_higher_priority_job_is_delivered_first<B: Backend>() {
    let backend = B::start().await;
    let (mut low, mut high) = (job(), job());
    low.payload.priority = Some(1);
    high.payload.priority = Some(9);
    backend.bus().enqueue(&low).await.unwrap();
    backend.bus().enqueue(&high).await.unwrap();

    let recorder = Recorder::acking();
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, recorder.clone());
    let delivered = recorder.wait_for(2, "both jobs").await;
    consumer.stop().await;

    let order: Vec<String> = delivered.iter().map(|d| event_id(&d.message)).collect();
    assert_eq!(order, [high.event_id.to_string(), low.event_id.to_string()]);
}

pub async fn a_retried_message_comes_back_after_its_delay_without_holding_a_slot<B: Backend>() {
    let backend = B::start().await;
    let delay = Duration::from_secs(1);
    let waited = a_delayed_message_lets_another_pass(
        backend.bus(),
        Outcome::Retry { after: delay },
        "the retry and its return",
    )
    .await;
    assert!(
        waited >= delay - Duration::from_millis(100),
        "came back after {waited:?}"
    );
}

/// Puts two jobs on the intake queue and consumes them one at a time, answering `outcome` to the
/// first delivery of the first: the second must be delivered meanwhile (no slot held), then the
/// first again. Returns how long the first took to come back.
pub async fn a_delayed_message_lets_another_pass(
    bus: Arc<dyn JobBus>,
    outcome: Outcome,
    what: &str,
) -> Duration {
    let (delayed, other) = (job(), job());
    bus.enqueue(&delayed).await.unwrap();
    bus.enqueue(&other).await.unwrap();
    let delayed_id = delayed.event_id.to_string();
    let recorder = Recorder::with(move |message, before| {
        if event_id(message) == delayed_id && before == 0 {
            outcome.clone()
        } else {
            Outcome::Ack
        }
    });

    let consumer = Consumer::start(&bus, JOBS_QUEUE, 1, recorder.clone());
    let delivered = recorder.wait_for(3, what).await;
    consumer.stop().await;

    let order: Vec<String> = delivered.iter().map(|d| event_id(&d.message)).collect();
    let (delayed, other) = (delayed.event_id.to_string(), other.event_id.to_string());
    assert_eq!(order, [&*delayed, &other, &delayed]);
    let other_after = delivered[1].at - delivered[0].at;
    assert!(
        other_after < Duration::from_millis(500),
        "the other job waited {other_after:?}"
    );
    delivered[2].at - delivered[0].at
}

pub async fn a_job_retried_again_and_again_always_comes_back<B: Backend>() {
    let backend = B::start().await;
    backend.bus().enqueue(&job()).await.unwrap();
    let recorder = Recorder::with(|_, before| {
        if before < 3 {
            Outcome::Retry {
                after: Duration::from_millis(300),
            }
        } else {
            Outcome::Ack
        }
    });

    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 4, recorder.clone());
    recorder
        .wait_for(4, "four deliveries (three retries, then done)")
        .await;
    consumer.stop().await;
}

pub async fn a_requeued_message_comes_back_marked_redelivered<B: Backend>() {
    let backend = B::start().await;
    backend.bus().enqueue(&job()).await.unwrap();
    let recorder = Recorder::with(|_, before| match before {
        0 => Outcome::Requeue {
            after: Duration::from_millis(300),
        },
        _ => Outcome::Ack,
    });

    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, recorder.clone());
    let delivered = recorder.wait_for(2, "the requeued message").await;
    consumer.stop().await;

    assert!(!delivered[0].message.redelivered);
    assert!(delivered[1].message.redelivered);
    assert_eq!(delivered[0].message.body, delivered[1].message.body);
    let waited = delivered[1].at - delivered[0].at;
    assert!(
        waited >= Duration::from_millis(250),
        "came back after {waited:?}"
    );
}

pub async fn a_message_dead_lettered_by_its_handler_keeps_its_body_with_reason_and_source<
    B: Backend,
>() {
    let backend = B::start().await;
    let created = job();
    backend.bus().enqueue(&created).await.unwrap();
    let rejecting = Recorder::with(|_, _| Outcome::DeadLetter {
        reason: "not a job".into(),
    });
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, rejecting.clone());

    let letters = Recorder::acking();
    let letters_consumer = Consumer::start(&backend.bus(), DEAD_LETTER_QUEUE, 1, letters.clone());
    let letter = letters.wait_for(1, "the dead letter").await[0]
        .message
        .clone();
    consumer.stop().await;
    letters_consumer.stop().await;

    assert_eq!(letter.body, serde_json::to_vec(&created).unwrap());
    let info = DeadLetterInfo {
        reason: "not a job".into(),
        source: JOBS_QUEUE.into(),
    };
    assert_eq!(letter.dead_letter, Some(info));
    assert_fresh_uuid(&letter, &created.event_id.to_string());
    assert_eq!(
        rejecting.deliveries().len(),
        1,
        "dead-lettered once, not retried"
    );
}

/// Every dead-lettering is a dead letter of its own: its message id is new.
fn assert_fresh_uuid(letter: &Message, original: &str) {
    let id = letter.message_id.as_deref().expect("a message id");
    uuid::Uuid::parse_str(id).expect("a UUID");
    assert_ne!(id, original);
}

pub async fn dead_letter_stores_a_message_with_its_reason_and_source<B: Backend>() {
    let backend = B::start().await;
    backend
        .bus()
        .dead_letter(METRICS_QUEUE, b"{not json", "unparseable")
        .await
        .expect("stored");

    let letters = Recorder::acking();
    let consumer = Consumer::start(&backend.bus(), DEAD_LETTER_QUEUE, 1, letters.clone());
    let letter = letters.wait_for(1, "the dead letter").await[0]
        .message
        .clone();
    consumer.stop().await;

    assert_eq!(letter.body, b"{not json");
    let info = DeadLetterInfo {
        reason: "unparseable".into(),
        source: METRICS_QUEUE.into(),
    };
    assert_eq!(letter.dead_letter, Some(info));
    assert_fresh_uuid(&letter, "");
}

pub async fn two_consumers_on_one_queue_share_the_messages_without_duplicates<B: Backend>() {
    let backend = B::start().await;
    let jobs: Vec<_> = (0..40).map(|_| job()).collect();
    let bus = backend.bus();
    let enqueued = join_all(jobs.iter().map(|j| bus.enqueue(j))).await;
    assert!(enqueued.iter().all(Result::is_ok), "{enqueued:?}");
    let (first, second) = (Recorder::acking(), Recorder::acking());

    let consumers = [&first, &second].map(|recorder| {
        let handler = Arc::new(SlowAcking(recorder.clone()));
        Consumer::start(&backend.bus(), JOBS_QUEUE, 1, handler)
    });
    odto_test_support::eventually(super::PATIENCE, "every job", || async {
        (first.deliveries().len() + second.deliveries().len() >= 40).then_some(())
    })
    .await;
    join_all(consumers.map(Consumer::stop)).await;

    let ids = |r: &Recorder| -> Vec<String> {
        r.deliveries()
            .iter()
            .map(|d| event_id(&d.message))
            .collect()
    };
    let (first, second) = (ids(&first), ids(&second));
    assert!(
        !first.is_empty() && !second.is_empty(),
        "both consumers got work"
    );
    let all: HashSet<String> = first.iter().chain(&second).cloned().collect();
    assert_eq!(all.len(), first.len() + second.len(), "no message twice");
    let sent: HashSet<String> = jobs.iter().map(|j| j.event_id.to_string()).collect();
    assert_eq!(all, sent);
}

/// Acknowledges after a few milliseconds of simulated work, so one consumer cannot take all.
struct SlowAcking(Arc<Recorder>);

#[async_trait]
impl MessageHandler for SlowAcking {
    async fn handle(&self, message: Message) -> Outcome {
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.0.handle(message).await
    }
}

/// Counts handlers running at once; each works for 20 ms.
#[derive(Default)]
struct Busy {
    running: AtomicUsize,
    most: AtomicUsize,
    done: AtomicUsize,
}

#[async_trait]
impl MessageHandler for Busy {
    async fn handle(&self, _message: Message) -> Outcome {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.done.fetch_add(1, Ordering::SeqCst);
        Outcome::Ack
    }
}

pub async fn a_consumer_never_runs_more_handlers_than_its_concurrency<B: Backend>() {
    let backend = B::start().await;
    join_all((0..20).map(|_| async { backend.bus().enqueue(&job()).await.unwrap() })).await;
    let busy = Arc::new(Busy::default());

    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 3, busy.clone());
    odto_test_support::eventually(super::PATIENCE, "every job", || async {
        (busy.done.load(Ordering::SeqCst) >= 20).then_some(())
    })
    .await;
    consumer.stop().await;

    assert_eq!(busy.most.load(Ordering::SeqCst), 3);
}

pub async fn stopping_a_consumer_waits_for_the_handlers_in_progress<B: Backend>() {
    let backend = B::start().await;
    backend.bus().enqueue(&job()).await.unwrap();
    let holding = Arc::new(Holding::default());
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 2, holding.clone());
    holding.wait_started(1).await;

    let mut stopping = tokio::spawn(consumer.stop());
    let early = tokio::time::timeout(Duration::from_millis(300), &mut stopping).await;
    assert!(early.is_err(), "consume returned with a handler running");
    holding.release.cancel();
    stopping.await.unwrap();

    assert_eq!(holding.finished.load(Ordering::SeqCst), 1);
}

/// Panics on a message's first delivery, acknowledges it afterwards.
struct PanicsOnce(Arc<Recorder>);

#[async_trait]
impl MessageHandler for PanicsOnce {
    async fn handle(&self, message: Message) -> Outcome {
        let first = !message.redelivered;
        let outcome = self.0.handle(message).await;
        assert!(!first, "a handler bug (this panic is expected by the test)");
        outcome
    }
}

pub async fn a_panicking_handler_does_not_lose_its_message<B: Backend>() {
    let backend = B::start().await;
    let created = job();
    backend.bus().enqueue(&created).await.unwrap();
    let recorder = Recorder::acking();
    let panicking = Arc::new(PanicsOnce(recorder.clone()));

    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, panicking);
    recorder.wait_for(1, "the first delivery").await;
    consumer.stop().await;
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, recorder.clone());
    let delivered = recorder.wait_for(2, "the message again").await;
    consumer.stop().await;

    assert_eq!(
        event_id(&delivered[1].message),
        created.event_id.to_string()
    );
    assert!(delivered[1].message.redelivered);
}

pub async fn a_message_in_flight_when_the_bus_stops_is_delivered_again_marked_redelivered<
    B: Backend,
>() {
    let mut backend = B::start().await;
    let created = job();
    backend.bus().enqueue(&created).await.unwrap();
    let holding = Arc::new(Holding::default());
    let stranded = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, holding.clone());
    assert!(!holding.wait_started(1).await[0].redelivered);

    backend.restart().await;
    let recorder = Recorder::acking();
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, recorder.clone());
    let delivered = recorder.wait_for(1, "the message again").await;
    consumer.stop().await;
    holding.release.cancel();
    stranded.abandon();

    assert_eq!(
        event_id(&delivered[0].message),
        created.event_id.to_string()
    );
    assert!(delivered[0].message.redelivered);
}

pub async fn acknowledged_messages_do_not_come_back_after_a_restart<B: Backend>() {
    let mut backend = B::start().await;
    for _ in 0..2 {
        backend.bus().enqueue(&job()).await.unwrap();
    }
    let acking = Recorder::acking();
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 2, acking.clone());
    acking.wait_for(2, "both jobs").await;
    consumer.stop().await;

    backend.restart().await;
    // Queues are FIFO: had an acknowledged job come back, it would arrive before this one.
    let marker = job();
    backend.bus().enqueue(&marker).await.unwrap();
    let recorder = Recorder::acking();
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, recorder.clone());
    let delivered = recorder.wait_for(1, "the marker").await;
    consumer.stop().await;

    assert_eq!(event_id(&delivered[0].message), marker.event_id.to_string());
}

pub async fn publishing_after_close_fails_at_once<B: Backend>() {
    let backend = B::start().await;
    let bus = backend.bus();
    bus.close().await;

    let started = Instant::now();
    let enqueued = bus.enqueue(&job()).await;
    let published = bus.publish_event(&event(EventType::JobStarted, "t")).await;
    let dead_lettered = bus.dead_letter(JOBS_QUEUE, b"x", "r").await;

    for refused in [enqueued, published, dead_lettered] {
        assert!(
            matches!(refused, Err(BusError::Unavailable(_))),
            "{refused:?}"
        );
    }
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(!bus.is_connected());
}
