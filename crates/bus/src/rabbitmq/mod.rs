//! [`JobBus`] on RabbitMQ (lapin): publisher confirms on every message, a connection that heals
//! itself, and batched events.
//!
//! Publishing never waits for a connection: while the broker is unreachable every publish fails
//! at once with [`BusError::Unavailable`], so callers can answer "try again" instead of hanging.

mod consumer;
mod link;
pub mod management;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lapin::BasicProperties;
use odto_contracts::EventEnvelope;
use odto_settings::redact_url;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::warn;

pub use link::declare_topology;

use crate::batcher::{BatchSink, Batcher};
use crate::topology::{self, DEAD_LETTER_EXCHANGE, EVENT_BATCH_TYPE, EVENTS_EXCHANGE, JOBS_QUEUE};
use crate::{BusError, JobBus, MessageHandler, serialize};
use link::Shared;

/// How to reach the broker and how long to wait for it.
#[derive(Clone)]
pub struct RabbitConfig {
    /// AMQP URL, e.g. `amqp://guest:guest@127.0.0.1:5672/%2f`.
    pub url: String,
    /// Name shown for this connection in the broker's management UI.
    pub connection_name: String,
    /// Confirm-mode channels to spread publishes over.
    pub channels: usize,
    /// Longest wait for a publisher confirm before the publish counts as failed.
    pub confirm_timeout: Duration,
    /// Longest wait for one connection attempt.
    pub connect_timeout: Duration,
}

impl RabbitConfig {
    /// Defaults: 2 channels, 5 s confirm timeout, 3 s connect timeout.
    pub fn new(url: impl Into<String>, connection_name: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connection_name: connection_name.into(),
            channels: 2,
            confirm_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(3),
        }
    }
}

impl std::fmt::Debug for RabbitConfig {
    // The URL may carry a password: show only where it points.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitConfig")
            .field("url", &redact_url(&self.url))
            .field("connection_name", &self.connection_name)
            .field("channels", &self.channels)
            .field("confirm_timeout", &self.confirm_timeout)
            .finish_non_exhaustive()
    }
}

/// The RabbitMQ bus. Share it behind an `Arc`; dropping it stops its background tasks.
pub struct RabbitBus {
    shared: Arc<Shared>,
    batcher: Batcher,
    tasks: [JoinHandle<()>; 2],
}

impl std::fmt::Debug for RabbitBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitBus")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl RabbitBus {
    /// Starts connecting in the background and returns at once; fails only if the URL is
    /// malformed.
    pub fn start(config: RabbitConfig) -> Result<Self, BusError> {
        link::broker_uri(&config.url)?;
        let shared = Arc::new(Shared::new(config));
        let supervisor = tokio::spawn(link::supervise(shared.clone()));
        let (batcher, batching) = Batcher::start(shared.clone());
        Ok(Self {
            shared,
            batcher,
            tasks: [supervisor, batching],
        })
    }

    /// Waits until the bus is connected, or `limit` has passed; returns whether it is.
    pub async fn wait_connected(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.is_connected() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }
}

impl Drop for RabbitBus {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

#[async_trait]
impl JobBus for RabbitBus {
    async fn enqueue(&self, created: &EventEnvelope) -> Result<(), BusError> {
        let body = serialize(created)?;
        let (job, copy) = tokio::join!(
            self.shared
                .publish("", JOBS_QUEUE, &body, job_properties(created)),
            self.batcher.publish(body.clone()),
        );
        job?;
        if let Err(error) = copy {
            let job_id = created.payload.id;
            warn!(%error, %job_id, "job accepted, but its job.created event copy was not");
        }
        Ok(())
    }

    async fn publish_event(&self, event: &EventEnvelope) -> Result<(), BusError> {
        self.batcher.publish(serialize(event)?).await
    }

    fn is_connected(&self) -> bool {
        self.shared.is_connected()
    }

    async fn consume(
        &self,
        queue: &'static str,
        concurrency: usize,
        handler: Arc<dyn MessageHandler>,
        stop: CancellationToken,
    ) {
        consumer::consume(self.shared.clone(), queue, concurrency, handler, stop).await;
    }

    async fn dead_letter(&self, source: &str, body: &[u8], reason: &str) -> Result<(), BusError> {
        let properties = BasicProperties::default().with_content_type("application/json".into());
        let properties = consumer::with_reason(properties, source, reason);
        self.shared
            .publish(DEAD_LETTER_EXCHANGE, "", body, properties)
            .await
    }

    /// Stops reconnecting and closes the connection, letting in-flight confirms finish first.
    async fn close(&self) {
        self.tasks[0].abort();
        self.shared.close().await;
        self.tasks[1].abort();
    }
}

/// An event batch is one persistent message on the events exchange.
#[async_trait]
impl BatchSink for Shared {
    async fn send_batch(&self, body: Vec<u8>) -> Result<(), BusError> {
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type("application/json".into())
            .with_type(EVENT_BATCH_TYPE.into());
        self.publish(EVENTS_EXCHANGE, "", &body, properties).await
    }
}

/// Persistent, typed, traceable properties of a job message.
fn job_properties(event: &EventEnvelope) -> BasicProperties {
    let properties = BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_message_id(event.event_id.to_string().into())
        .with_correlation_id(event.correlation_id.as_str().into())
        .with_type(event.event_type.as_str().into())
        .with_app_id(event.producer.service.as_str().into())
        .with_timestamp(event.occurred_at.timestamp().max(0) as u64);
    match event.payload.priority {
        Some(priority) => properties.with_priority(priority.min(topology::MAX_PRIORITY)),
        None => properties,
    }
}
