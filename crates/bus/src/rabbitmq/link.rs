//! [`JobBus`] on RabbitMQ: one connection, a few confirm-mode channels, and a supervisor task
//! that (re)connects with backoff whenever the link is lost.
//!
//! Publishing never waits for a connection: while the broker is unreachable every publish fails
//! at once with [`BusError::Unavailable`], so callers can answer "try again" instead of hanging.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Event};
use odto_contracts::EventEnvelope;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout};
use tracing::{info, warn};

use crate::topology::{self, ExchangeKind};
use crate::{BusError, JobBus};

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
    /// Defaults suited to a gateway: 4 channels, 5 s confirm timeout, 3 s connect timeout.
    pub fn new(url: impl Into<String>, connection_name: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connection_name: connection_name.into(),
            channels: 4,
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

/// Replaces the password of a `scheme://user:password@host/...` URL with `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((credentials, host)) = rest.split_once('@') else { return url.to_owned() };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// An open connection with its confirm-mode channels.
struct Link {
    connection: Connection,
    channels: Vec<Channel>,
}

impl Link {
    fn is_healthy(&self) -> bool {
        self.connection.status().connected() && self.channels.iter().all(|c| c.status().connected())
    }
}

struct Shared {
    config: RabbitConfig,
    link: RwLock<Option<Arc<Link>>>,
    next_channel: AtomicUsize,
    /// Woken by a publish that found the link dead, so the supervisor reconnects at once.
    broken: Notify,
}

impl Shared {
    fn current(&self) -> Option<Arc<Link>> {
        self.link.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, link: Option<Arc<Link>>) {
        *self.link.write().unwrap_or_else(|e| e.into_inner()) = link;
    }
}

/// The RabbitMQ bus. Cheap to share behind an `Arc`; dropping it stops reconnecting.
pub struct RabbitBus {
    shared: Arc<Shared>,
    supervisor: JoinHandle<()>,
}

impl std::fmt::Debug for RabbitBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitBus").field("config", &self.shared.config).finish()
    }
}

impl RabbitBus {
    /// Starts connecting in the background and returns at once.
    pub fn start(config: RabbitConfig) -> Self {
        let shared = Arc::new(Shared {
            config,
            link: RwLock::new(None),
            next_channel: AtomicUsize::new(0),
            broken: Notify::new(),
        });
        let supervisor = tokio::spawn(supervise(shared.clone()));
        Self { shared, supervisor }
    }

    /// Waits until the bus is connected, or `limit` has passed; returns whether it is.
    pub async fn wait_connected(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.is_connected() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            sleep(Duration::from_millis(20)).await;
        }
        true
    }

}

impl Drop for RabbitBus {
    fn drop(&mut self) {
        self.supervisor.abort();
    }
}

#[async_trait]
impl JobBus for RabbitBus {
    async fn publish(&self, event: &EventEnvelope) -> Result<(), BusError> {
        let link = self.shared.current().ok_or_else(|| {
            BusError::Unavailable("not connected (reconnecting in the background)".into())
        })?;
        let index = self.shared.next_channel.fetch_add(1, Ordering::Relaxed);
        let channel = &link.channels[index % link.channels.len()];
        let body = serde_json::to_vec(event).map_err(|e| BusError::Rejected(e.to_string()))?;
        let limit = self.shared.config.confirm_timeout;
        let confirmed = timeout(limit, async {
            channel
                .basic_publish(
                    topology::EVENTS_EXCHANGE.into(),
                    event.event_type.as_str().into(),
                    BasicPublishOptions { mandatory: true, ..Default::default() },
                    &body,
                    properties(event),
                )
                .await?
                .await
        })
        .await;
        match confirmed {
            Err(_) => Err(BusError::ConfirmTimeout(limit)),
            Ok(Err(error)) => {
                self.shared.broken.notify_one();
                Err(BusError::Unavailable(error.to_string()))
            }
            Ok(Ok(confirmation)) if confirmation.is_nack() => {
                Err(BusError::Rejected("negative acknowledgement".into()))
            }
            Ok(Ok(confirmation)) => match confirmation.take_message() {
                Some(returned) => Err(BusError::Rejected(format!("unroutable: {}", returned.reply_text))),
                None => Ok(()),
            },
        }
    }

    fn is_connected(&self) -> bool {
        self.shared.current().is_some_and(|link| link.is_healthy())
    }

    /// Stops reconnecting and closes the connection, letting in-flight confirms finish first.
    async fn close(&self) {
        self.supervisor.abort();
        if let Some(link) = self.shared.current() {
            for channel in &link.channels {
                let _ = timeout(Duration::from_secs(2), channel.wait_for_confirms()).await;
            }
            let _ = link.connection.close(200, "shutdown".into()).await;
        }
        self.shared.set(None);
    }
}

/// Persistent, typed, traceable message properties for one event.
fn properties(event: &EventEnvelope) -> BasicProperties {
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

/// Keeps a link up for as long as the bus lives.
async fn supervise(shared: Arc<Shared>) {
    let mut backoff = Backoff::default();
    loop {
        match timeout(shared.config.connect_timeout, connect(&shared.config)).await {
            Ok(Ok((link, events))) => {
                backoff.reset();
                info!(broker = %redact_url(&shared.config.url), "connected to the message broker");
                let link = Arc::new(link);
                shared.set(Some(link.clone()));
                wait_for_failure(&link, events, &shared.broken).await;
                shared.set(None);
                warn!("lost the message broker connection; reconnecting");
            }
            Ok(Err(error)) => warn!(%error, "cannot connect to the message broker"),
            Err(_) => warn!("connecting to the message broker timed out"),
        }
        sleep(backoff.next_delay()).await;
    }
}

type Events = futures_util::stream::BoxStream<'static, Event>;

async fn connect(config: &RabbitConfig) -> lapin::Result<(Link, Events)> {
    let properties = ConnectionProperties::default()
        .with_connection_name(config.connection_name.as_str().into());
    let connection = Connection::connect(&config.url, properties).await?;
    let events: Events = Box::pin(connection.events_listener());
    let setup = connection.create_channel().await?;
    declare_topology(&setup).await?;
    let _ = setup.close(200, "topology declared".into()).await;
    let mut channels = Vec::with_capacity(config.channels.max(1));
    for _ in 0..config.channels.max(1) {
        let channel = connection.create_channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        channels.push(channel);
    }
    Ok((Link { connection, channels }, events))
}

/// Declares every exchange, queue and binding of [`topology`]; safe to repeat.
pub async fn declare_topology(channel: &Channel) -> lapin::Result<()> {
    let durable_exchange = ExchangeDeclareOptions { durable: true, ..Default::default() };
    for exchange in topology::EXCHANGES {
        let kind = match exchange.kind {
            ExchangeKind::Topic => lapin::ExchangeKind::Topic,
            ExchangeKind::Fanout => lapin::ExchangeKind::Fanout,
        };
        channel
            .exchange_declare(exchange.name.into(), kind, durable_exchange, FieldTable::default())
            .await?;
    }
    for queue in topology::QUEUES {
        let mut arguments = FieldTable::default();
        if queue.dead_letter {
            arguments.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString(topology::DEAD_LETTER_EXCHANGE.into()),
            );
        }
        if let Some(max) = queue.max_priority {
            arguments.insert("x-max-priority".into(), AMQPValue::ShortShortUInt(max));
        }
        channel.queue_declare(queue.name.into(), QueueDeclareOptions::durable(), arguments).await?;
        channel
            .queue_bind(
                queue.name.into(),
                queue.bound_to.into(),
                queue.binding_key.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

/// Returns when the link is unusable: an error event, a publish that reported it, or a failed
/// periodic health check (some failures only show in the status).
async fn wait_for_failure(link: &Link, mut events: Events, broken: &Notify) {
    use futures_util::StreamExt;
    let mut check = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(Event::Error(error)) => {
                    warn!(%error, "message broker connection error");
                    return;
                }
                Some(_) => {}
                None => return,
            },
            _ = broken.notified() => {
                if !link.is_healthy() {
                    return;
                }
            }
            _ = check.tick() => {
                if !link.is_healthy() {
                    return;
                }
            }
        }
    }
}

/// Exponential backoff with full jitter, 100 ms doubling to 5 s.
#[derive(Debug, Default)]
struct Backoff {
    attempt: u32,
}

impl Backoff {
    fn next_delay(&mut self) -> Duration {
        let ceiling_ms = (100u64 << self.attempt.min(6)).min(5_000);
        self.attempt = self.attempt.saturating_add(1);
        Duration::from_millis(rand::random_range(ceiling_ms / 2..=ceiling_ms))
    }

    fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_url_hides_the_password_only() {
        assert_eq!(
            redact_url("amqp://guest:secret@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(redact_url("amqp://127.0.0.1:5672"), "amqp://127.0.0.1:5672");
    }

    #[test]
    fn backoff_grows_to_a_ceiling_and_resets() {
        let mut backoff = Backoff::default();
        let first = backoff.next_delay();
        assert!(first <= Duration::from_millis(100));
        let later: Vec<_> = (0..10).map(|_| backoff.next_delay()).collect();
        assert!(later.iter().all(|d| *d <= Duration::from_secs(5)));
        assert!(later.last().is_some_and(|d| *d >= Duration::from_millis(2_500)));
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }
}
