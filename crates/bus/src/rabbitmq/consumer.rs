//! The consumer loop: takes deliveries from one queue, runs the handler on each (bounded
//! concurrency = prefetch), and applies the [`Outcome`]. Retries and dead letters are published
//! (confirmed) before the original is acknowledged, so a crash in between duplicates a message
//! but never loses one; handlers are idempotent.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::link::Shared;
use crate::topology::{self, DEAD_LETTER_EXCHANGE, JOBS_QUEUE};
use crate::{DeadLetterInfo, Message, MessageHandler, Outcome};

const REASON_HEADER: &str = "x-odto-reason";
const SOURCE_HEADER: &str = "x-odto-source";
const ORIGINAL_ID_HEADER: &str = "x-odto-original-message-id";

/// Consumes `queue` until `stop`, resubscribing after every connection loss.
pub(super) async fn consume(
    shared: Arc<Shared>,
    queue: &'static str,
    concurrency: usize,
    handler: Arc<dyn MessageHandler>,
    stop: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut current = None;
    while !stop.is_cancelled() {
        match shared.open_channel().await {
            Some(channel) => {
                let context = Context {
                    shared: shared.clone(),
                    queue,
                    handler: handler.clone(),
                };
                if let Err(error) = subscribe(&channel, context, &slots, concurrency, &stop).await {
                    warn!(%error, queue, "consumer interrupted; resubscribing");
                }
                if stop.is_cancelled() {
                    current = Some(channel);
                } else {
                    // Closing returns what this channel prefetched but we did not handle to the
                    // queue; left open, those messages would stay unacknowledged until the
                    // connection itself closes.
                    let _ = channel.close(200, "consumer interrupted".into()).await;
                }
            }
            None => tokio::select! {
                () = stop.cancelled() => {}
                () = tokio::time::sleep(Duration::from_millis(200)) => {}
            },
        }
    }
    // Wait for the messages in progress (every slot free again), which acknowledge on the
    // channel, then close it so that anything prefetched and not started goes back at once.
    let _all = slots.acquire_many(concurrency.max(1) as u32).await;
    if let Some(channel) = current {
        let _ = channel.close(200, "consumer stopped".into()).await;
    }
}

#[derive(Clone)]
struct Context {
    shared: Arc<Shared>,
    queue: &'static str,
    handler: Arc<dyn MessageHandler>,
}

async fn subscribe(
    channel: &Channel,
    context: Context,
    slots: &Arc<Semaphore>,
    concurrency: usize,
    stop: &CancellationToken,
) -> lapin::Result<()> {
    let prefetch = u16::try_from(concurrency).unwrap_or(u16::MAX);
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let options = BasicConsumeOptions::default();
    let mut deliveries = channel
        .basic_consume(
            context.queue.into(),
            "".into(),
            options,
            FieldTable::default(),
        )
        .await?;
    loop {
        let slot = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let delivery = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            delivery = deliveries.next() => match delivery {
                Some(delivery) => delivery?,
                None => return Ok(()),
            },
        };
        let context = context.clone();
        tokio::spawn(async move {
            handle(context, delivery).await;
            drop(slot);
        });
    }
}

async fn handle(context: Context, delivery: Delivery) {
    let message = Message {
        body: delivery.data.clone(),
        redelivered: delivery.redelivered,
        message_id: delivery
            .properties
            .message_id()
            .as_ref()
            .map(ToString::to_string),
        dead_letter: dead_letter_info(delivery.properties.headers().as_ref()),
    };
    let outcome = context.handler.handle(message).await;
    debug!(queue = context.queue, ?outcome, "handled");
    if let Err(error) = apply(&context, &delivery, outcome).await {
        warn!(%error, queue = context.queue, "could not settle a message; the broker will redeliver it");
    }
}

async fn apply(context: &Context, delivery: &Delivery, outcome: Outcome) -> lapin::Result<bool> {
    let outcome = match outcome {
        Outcome::Retry { after } if context.queue != JOBS_QUEUE => Outcome::Requeue { after },
        other => other,
    };
    let republished = match &outcome {
        Outcome::Ack => return delivery.ack(BasicAckOptions::default()).await,
        Outcome::Requeue { after } => {
            tokio::time::sleep(*after).await;
            return delivery
                .nack(BasicNackOptions {
                    requeue: true,
                    ..Default::default()
                })
                .await;
        }
        Outcome::Retry { after } => {
            let delay = topology::delay_queue(u64::try_from(after.as_millis()).unwrap_or(u64::MAX));
            let properties = delivery.properties.clone();
            context
                .shared
                .publish("", delay, &delivery.data, properties)
                .await
        }
        Outcome::DeadLetter { reason } => {
            let properties = with_reason(delivery.properties.clone(), context.queue, reason);
            context
                .shared
                .publish(DEAD_LETTER_EXCHANGE, "", &delivery.data, properties)
                .await
        }
    };
    match republished {
        Ok(()) => delivery.ack(BasicAckOptions::default()).await,
        Err(error) => {
            warn!(%error, "could not republish a message; returning it to its queue");
            tokio::time::sleep(Duration::from_secs(1)).await;
            delivery
                .nack(BasicNackOptions {
                    requeue: true,
                    ..Default::default()
                })
                .await
        }
    }
}

/// The message's properties with the dead-letter reason and source added as headers, and a
/// message id of its own (the original is kept in a header): each dead-lettering is one dead
/// letter, however often the same job fails.
pub(super) fn with_reason(
    properties: BasicProperties,
    source: &str,
    reason: &str,
) -> BasicProperties {
    let mut headers = properties.headers().clone().unwrap_or_default();
    headers.insert(REASON_HEADER.into(), AMQPValue::LongString(reason.into()));
    headers.insert(SOURCE_HEADER.into(), AMQPValue::LongString(source.into()));
    if let Some(original) = properties.message_id() {
        headers.insert(
            ORIGINAL_ID_HEADER.into(),
            AMQPValue::LongString(original.to_string().into()),
        );
    }
    let id = uuid::Uuid::new_v4().to_string();
    properties
        .with_headers(headers)
        .with_delivery_mode(2)
        .with_message_id(id.into())
}

/// Our own reason headers, or else the broker's `x-death` record (rejected, expired, …).
fn dead_letter_info(headers: Option<&FieldTable>) -> Option<DeadLetterInfo> {
    let headers = headers?;
    let text = |table: &FieldTable, key: &str| match table.inner().get(key) {
        Some(AMQPValue::LongString(value)) => Some(value.to_string()),
        Some(AMQPValue::ShortString(value)) => Some(value.to_string()),
        _ => None,
    };
    if let Some(reason) = text(headers, REASON_HEADER) {
        let source = text(headers, SOURCE_HEADER).unwrap_or_default();
        return Some(DeadLetterInfo { reason, source });
    }
    let Some(AMQPValue::FieldArray(deaths)) = headers.inner().get("x-death") else {
        return None;
    };
    let Some(AMQPValue::FieldTable(first)) = deaths.as_slice().first() else {
        return None;
    };
    let reason = format!(
        "broker: {}",
        text(first, "reason").unwrap_or_else(|| "unknown".into())
    );
    Some(DeadLetterInfo {
        reason,
        source: text(first, "queue").unwrap_or_default(),
    })
}
