//! The connection to RabbitMQ: a supervisor task keeps one [`Link`] (connection + confirm-mode
//! channels) up, reconnecting with backoff whenever it is lost, and [`Shared::publish`] sends one
//! message on it and waits for the broker's confirm.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Event};
use tokio::sync::Notify;
use tokio::time::{sleep, timeout};
use tracing::{info, warn};

use super::{RabbitConfig, redact_url};
use crate::BusError;
use crate::topology;

/// An open connection with its confirm-mode channels.
pub(super) struct Link {
    connection: Connection,
    channels: Vec<Channel>,
}

impl Link {
    fn is_healthy(&self) -> bool {
        self.connection.status().connected() && self.channels.iter().all(|c| c.status().connected())
    }
}

/// State shared by the bus, its batcher and the supervisor.
pub(super) struct Shared {
    pub(super) config: RabbitConfig,
    link: RwLock<Option<Arc<Link>>>,
    next_channel: AtomicUsize,
    /// Woken by a publish that found the link dead, so the supervisor reconnects at once.
    broken: Notify,
}

impl Shared {
    pub(super) fn new(config: RabbitConfig) -> Self {
        Self {
            config,
            link: RwLock::new(None),
            next_channel: AtomicUsize::new(0),
            broken: Notify::new(),
        }
    }

    fn current(&self) -> Option<Arc<Link>> {
        self.link.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, link: Option<Arc<Link>>) {
        *self.link.write().unwrap_or_else(|e| e.into_inner()) = link;
    }

    pub(super) fn is_connected(&self) -> bool {
        self.current().is_some_and(|link| link.is_healthy())
    }

    /// Publishes one persistent message and waits for the broker's confirm. Fails at once,
    /// without waiting, while there is no connection.
    pub(super) async fn publish(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<(), BusError> {
        let link = self.current().ok_or_else(|| {
            BusError::Unavailable("not connected (reconnecting in the background)".into())
        })?;
        let index = self.next_channel.fetch_add(1, Ordering::Relaxed);
        let channel = &link.channels[index % link.channels.len()];
        let options = BasicPublishOptions {
            mandatory: true,
            ..Default::default()
        };
        let limit = self.config.confirm_timeout;
        let confirmed = timeout(limit, async {
            channel
                .basic_publish(
                    exchange.into(),
                    routing_key.into(),
                    options,
                    body,
                    properties,
                )
                .await?
                .await
        })
        .await;
        match confirmed {
            Err(_) => Err(BusError::ConfirmTimeout(limit)),
            Ok(Err(error)) => {
                self.broken.notify_one();
                Err(BusError::Unavailable(error.to_string()))
            }
            Ok(Ok(confirmation)) if confirmation.is_nack() => {
                Err(BusError::Rejected("negative acknowledgement".into()))
            }
            Ok(Ok(confirmation)) => match confirmation.take_message() {
                Some(returned) => Err(BusError::Rejected(format!(
                    "unroutable: {}",
                    returned.reply_text
                ))),
                None => Ok(()),
            },
        }
    }

    /// A new channel on the current connection (consumers get their own), if connected.
    pub(super) async fn open_channel(&self) -> Option<Channel> {
        let link = self.current().filter(|link| link.is_healthy())?;
        link.connection.create_channel().await.ok()
    }

    /// Waits for outstanding confirms, then closes the connection.
    pub(super) async fn close(&self) {
        if let Some(link) = self.current() {
            for channel in &link.channels {
                let _ = timeout(Duration::from_secs(2), channel.wait_for_confirms()).await;
            }
            let _ = link.connection.close(200, "shutdown".into()).await;
        }
        self.set(None);
    }
}

/// Keeps a link up for as long as the bus lives.
pub(super) async fn supervise(shared: Arc<Shared>) {
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
    let uri = broker_uri(&config.url).map_err(|e| {
        lapin::Error::from(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            e.to_string(),
        ))
    })?;
    let connection = Connection::connect_uri(uri, properties).await?;
    let events: Events = Box::pin(connection.events_listener());
    let setup = connection.create_channel().await?;
    declare_topology(&setup).await?;
    let _ = setup.close(200, "topology declared".into()).await;
    let mut channels = Vec::with_capacity(config.channels.max(1));
    for _ in 0..config.channels.max(1) {
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        channels.push(channel);
    }
    Ok((
        Link {
            connection,
            channels,
        },
        events,
    ))
}

/// Frame size asked for unless the URL sets `frame_max`. lapin keeps two I/O buffers of 32
/// frames each; at the broker's default (128 KiB) that is 8 MiB per connection, at 16 KiB it is
/// 1 MiB. Larger messages simply span more frames.
const DEFAULT_FRAME_MAX: u32 = 16 * 1024;

/// Parses an AMQP URL, applying [`DEFAULT_FRAME_MAX`] unless the URL sets one.
pub(super) fn broker_uri(url: &str) -> Result<lapin::uri::AMQPUri, BusError> {
    let mut uri: lapin::uri::AMQPUri = url
        .parse()
        .map_err(|e: String| BusError::InvalidConfig(format!("{}: {e}", redact_url(url))))?;
    uri.query.frame_max.get_or_insert(DEFAULT_FRAME_MAX);
    Ok(uri)
}

/// Declares every exchange, queue and binding of [`topology`]; safe to repeat.
pub async fn declare_topology(channel: &Channel) -> lapin::Result<()> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    for exchange in topology::EXCHANGES {
        let kind = lapin::ExchangeKind::Fanout;
        channel
            .exchange_declare(exchange.name.into(), kind, durable, FieldTable::default())
            .await?;
    }
    for queue in topology::QUEUES {
        let arguments = queue_arguments(&queue);
        channel
            .queue_declare(queue.name.into(), QueueDeclareOptions::durable(), arguments)
            .await?;
        if let Some(exchange) = queue.bound_to {
            let (options, arguments) = (QueueBindOptions::default(), FieldTable::default());
            channel
                .queue_bind(
                    queue.name.into(),
                    exchange.into(),
                    "".into(),
                    options,
                    arguments,
                )
                .await?;
        }
    }
    for (name, ttl) in topology::JOB_DELAYS {
        let arguments = delay_arguments(ttl);
        channel
            .queue_declare(name.into(), QueueDeclareOptions::durable(), arguments)
            .await?;
    }
    Ok(())
}

/// A delay queue: messages expire after `ttl_ms` and go back to `jobs.created`.
fn delay_arguments(ttl_ms: u32) -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert("x-queue-mode".into(), AMQPValue::LongString("lazy".into()));
    arguments.insert("x-queue-version".into(), AMQPValue::ShortShortUInt(2));
    arguments.insert("x-message-ttl".into(), AMQPValue::LongUInt(ttl_ms));
    arguments.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString("".into()),
    );
    let back = AMQPValue::LongString(topology::JOBS_QUEUE.into());
    arguments.insert("x-dead-letter-routing-key".into(), back);
    arguments
}

fn queue_arguments(queue: &topology::Queue) -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert("x-queue-mode".into(), AMQPValue::LongString("lazy".into()));
    arguments.insert("x-queue-version".into(), AMQPValue::ShortShortUInt(2));
    if queue.dead_letter {
        let exchange = AMQPValue::LongString(topology::DEAD_LETTER_EXCHANGE.into());
        arguments.insert("x-dead-letter-exchange".into(), exchange);
    }
    if let Some(max) = queue.max_priority {
        arguments.insert("x-max-priority".into(), AMQPValue::ShortShortUInt(max));
    }
    arguments
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
            _ = broken.notified() => if !link.is_healthy() { return },
            _ = check.tick() => if !link.is_healthy() { return },
        }
    }
}

/// Exponential backoff with jitter, 100 ms doubling to 5 s.
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
    fn backoff_grows_to_a_ceiling_and_resets() {
        let mut backoff = Backoff::default();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
        let later: Vec<_> = (0..10).map(|_| backoff.next_delay()).collect();
        assert!(later.iter().all(|d| *d <= Duration::from_secs(5)));
        assert!(
            later
                .last()
                .is_some_and(|d| *d >= Duration::from_millis(2_500))
        );
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }
}
