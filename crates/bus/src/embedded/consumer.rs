//! The consumer loop: takes ready messages of one queue, runs the handler on each (at most
//! `concurrency` at a time), and makes each [`Outcome`] durable before the message leaves the
//! consumer.
//!
//! Redelivery: before a message is first handed to a handler, its row is marked delivered and
//! the mark committed (one small UPDATE, sharing the group commit with every other write, and
//! skipped for messages already marked). So after a crash, `redelivered` is exact: true for
//! every message a handler may have started on, false for the others, without re-reading
//! anything while running. A retried or requeued message keeps its mark, so it, too, comes back
//! with `redelivered: true`.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, warn};

use super::Inner;
use super::queues::Delivery;
use super::store::now_millis;
use crate::topology::DEAD_LETTER_QUEUE;
use crate::{BusError, DeadLetterInfo, MessageHandler, Outcome};

/// How long a message waits after its handler panicked, or its outcome could not be stored,
/// before it is delivered again (no hot loop).
const PAUSE: Duration = Duration::from_secs(1);

/// Consumes `inner.queues[queue]` until `stop` (or the bus closes), then waits for the messages
/// in progress.
pub(super) async fn consume(
    inner: Arc<Inner>,
    queue: usize,
    concurrency: usize,
    handler: Arc<dyn MessageHandler>,
    stop: CancellationToken,
) {
    let concurrency = concurrency.max(1);
    let slots = Arc::new(Semaphore::new(concurrency));
    let _counted = inner.queues[queue].register_consumer();
    let stopped = async {
        tokio::select! {
            () = stop.cancelled() => {}
            () = inner.shutdown.cancelled() => {}
        }
    };
    tokio::pin!(stopped);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut stopped => break,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let delivery = tokio::select! {
            biased;
            () = &mut stopped => break,
            delivery = inner.queues[queue].next() => delivery,
        };
        let consumer = Consumer {
            inner: inner.clone(),
            queue,
            handler: handler.clone(),
        };
        // A task of its own, so a handler still running when this future is dropped settles.
        tokio::spawn(consumer.deliver(delivery, slot));
    }
    // Every slot free again: every message taken has been settled (or returned).
    let _all = slots.acquire_many(concurrency as u32).await;
}

struct Consumer {
    inner: Arc<Inner>,
    queue: usize,
    handler: Arc<dyn MessageHandler>,
}

impl Consumer {
    async fn deliver(self, delivery: Delivery, slot: OwnedSemaphorePermit) {
        let name = self.inner.queues[self.queue].name;
        if !delivery.redelivered
            && let Err(error) = self.mark_delivered(delivery.id).await
        {
            warn!(%error, queue = name, "could not record a delivery; the message will come back");
            return self.return_later(delivery.id, PAUSE, slot);
        }
        let handled = AssertUnwindSafe(self.handler.handle(delivery.message()))
            .catch_unwind()
            .await;
        let outcome = handled.unwrap_or_else(|_| {
            error!(
                queue = name,
                message_id = delivery.message_id.as_deref(),
                "the message handler panicked; the message will be delivered again"
            );
            Outcome::Requeue { after: PAUSE }
        });
        debug!(queue = name, ?outcome, "handled");
        if let Err(error) = self.settle(&delivery, outcome).await {
            warn!(%error, queue = name, "could not settle a message; it will be delivered again");
            return self.return_later(delivery.id, PAUSE, slot);
        }
        drop(slot);
    }

    async fn mark_delivered(&self, id: i64) -> Result<(), BusError> {
        let _writing = self.inner.writing().await?;
        self.inner
            .store
            .mark_delivered(id)
            .await
            .map_err(super::unavailable)?;
        self.inner.queues[self.queue].set_delivered(id);
        Ok(())
    }

    /// Makes `outcome` durable, then applies it to the queues in memory.
    async fn settle(&self, delivery: &Delivery, outcome: Outcome) -> Result<(), BusError> {
        let _writing = self.inner.writing().await?;
        let (inner, id) = (&self.inner, delivery.id);
        let queue = &inner.queues[self.queue];
        match outcome {
            Outcome::Ack => {
                inner.store.delete(id).await.map_err(super::unavailable)?;
                queue.remove(id);
            }
            // Without delay queues to choose from, both wait exactly `after`.
            Outcome::Retry { after } | Outcome::Requeue { after } => {
                let millis = i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
                let available_at = now_millis().saturating_add(millis);
                let stored = inner.store.delay(id, available_at).await;
                stored.map_err(super::unavailable)?;
                self.wait_in_memory(id, after);
            }
            Outcome::DeadLetter { reason } => self.move_to_dead_letters(delivery, reason).await?,
        }
        Ok(())
    }

    async fn move_to_dead_letters(
        &self,
        delivery: &Delivery,
        reason: String,
    ) -> Result<(), BusError> {
        let inner = &self.inner;
        let source = inner.queues[self.queue].name;
        let id = uuid::Uuid::new_v4().to_string();
        let mut letter = inner.message(delivery.body.clone(), Some(id), 0);
        letter.dead_letter = Some(DeadLetterInfo {
            reason,
            source: source.to_owned(),
        });
        let dead_letters = inner.index_of(DEAD_LETTER_QUEUE);
        let moved = inner
            .store
            .replace(delivery.id, DEAD_LETTER_QUEUE, letter.clone())
            .await;
        moved.map_err(super::unavailable)?;
        inner.queues[self.queue].remove(delivery.id);
        inner.queues[dead_letters].push_ready(letter);
        Ok(())
    }

    /// Puts an in-flight message back after `after`, without changing what is stored: the row
    /// still says it may be delivered, so a restart meanwhile delivers it too.
    fn return_later(&self, id: i64, after: Duration, slot: OwnedSemaphorePermit) {
        self.wait_in_memory(id, after);
        drop(slot);
    }

    fn wait_in_memory(&self, id: i64, after: Duration) {
        self.inner.queues[self.queue].delay(id);
        self.inner.timers.schedule_after(after, self.queue, id);
    }
}
