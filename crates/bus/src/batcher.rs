//! Event batching, shared by every bus: concurrent publishers hand serialized envelopes to one
//! task that sends them as JSON arrays, one durable write (one confirm, one commit) per batch.
//!
//! Batches form by themselves under load and add no delay when idle: the task takes whatever is
//! waiting as soon as one of [`MAX_IN_FLIGHT`] send slots is free. While all slots await their
//! writes, new events queue up and leave together in the next batch.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::warn;

use crate::BusError;

/// Batches being written at once.
const MAX_IN_FLIGHT: usize = 4;
/// Most events in one batch.
const MAX_EVENTS: usize = 500;
/// A batch stops growing past this many bytes (a single larger event still goes alone).
const MAX_BYTES: usize = 1 << 20;
/// Events waiting for a batch before publishers are told the bus is overloaded.
const QUEUE_CAPACITY: usize = 16_384;

/// Where finished batches go: `send_batch` answers once the batch (a JSON array) is durable.
#[async_trait]
pub(crate) trait BatchSink: Send + Sync + 'static {
    async fn send_batch(&self, body: Vec<u8>) -> Result<(), BusError>;
}

/// One serialized envelope, and who to tell when it is durable.
struct Item {
    body: Vec<u8>,
    reply: oneshot::Sender<Result<(), BusError>>,
}

/// Handle to the batching task.
pub(crate) struct Batcher {
    queue: mpsc::Sender<Item>,
}

impl Batcher {
    pub(crate) fn start(sink: Arc<dyn BatchSink>) -> (Self, JoinHandle<()>) {
        let (queue, waiting) = mpsc::channel(QUEUE_CAPACITY);
        (Self { queue }, tokio::spawn(run(sink, waiting)))
    }

    /// Publishes one serialized envelope and waits until its batch is durable.
    pub(crate) async fn publish(&self, body: Vec<u8>) -> Result<(), BusError> {
        let (reply, confirmed) = oneshot::channel();
        self.queue
            .send(Item { body, reply })
            .await
            .map_err(|_| BusError::Unavailable("the bus is shut down".into()))?;
        confirmed
            .await
            .unwrap_or_else(|_| Err(BusError::Unavailable("the bus is shut down".into())))
    }
}

async fn run(sink: Arc<dyn BatchSink>, mut waiting: mpsc::Receiver<Item>) {
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut carried: Option<Item> = None;
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let first = match carried.take() {
            Some(item) => item,
            None => match waiting.recv().await {
                Some(item) => item,
                None => return,
            },
        };
        let (batch, overflow) = fill(first, &mut waiting);
        carried = overflow;
        let sink = sink.clone();
        tokio::spawn(async move {
            let result = sink.send_batch(json_array(&batch)).await;
            if let Err(error) = &result {
                warn!(%error, events = batch.len(), "an event batch was not stored");
            }
            for item in batch {
                let _ = item.reply.send(result.clone());
            }
            drop(slot);
        });
    }
}

/// Takes what is already waiting, up to the limits; returns the item that did not fit, if any.
fn fill(first: Item, waiting: &mut mpsc::Receiver<Item>) -> (Vec<Item>, Option<Item>) {
    let mut bytes = first.body.len();
    let mut batch = vec![first];
    while batch.len() < MAX_EVENTS {
        let Ok(item) = waiting.try_recv() else { break };
        if bytes + item.body.len() > MAX_BYTES {
            return (batch, Some(item));
        }
        bytes += item.body.len();
        batch.push(item);
    }
    (batch, None)
}

/// The envelopes of `batch` as one JSON array, without parsing them again.
fn json_array(batch: &[Item]) -> Vec<u8> {
    let mut body = Vec::with_capacity(batch.iter().map(|i| i.body.len() + 1).sum::<usize>() + 1);
    body.push(b'[');
    for (index, item) in batch.iter().enumerate() {
        if index > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&item.body);
    }
    body.push(b']');
    body
}
