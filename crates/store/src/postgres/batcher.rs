//! Grouped commits: concurrent callers hand requests to one task that serves whatever is waiting
//! as one batch (one transaction of multi-row statements), a few batches at a time.
//!
//! Batches form by themselves under load and add no delay when idle: the task takes whatever is
//! queued as soon as one of [`MAX_IN_FLIGHT`] slots is free. While every slot is busy, new
//! requests queue up and leave together in the next batch. The same shape as the bus's event
//! batcher (`odto-bus`, `rabbitmq/batcher.rs`).

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::StoreError;

/// Batches of one kind being committed at once (each holds a pooled connection).
const MAX_IN_FLIGHT: usize = 4;
/// Most requests in one batch.
const MAX_BATCH: usize = 256;
/// Requests waiting for a batch; past it, callers wait to enqueue (backpressure).
const QUEUE_CAPACITY: usize = 8_192;

/// One kind of batched work.
pub(super) trait Work: Send + Sync + 'static {
    type Request: Send + Sync + 'static;
    type Reply: Send + 'static;

    /// Serves every request of `batch`, one reply per request in the same order.
    fn run(
        &self,
        batch: &[Self::Request],
    ) -> impl Future<Output = Result<Vec<Self::Reply>, StoreError>> + Send;
}

struct Item<W: Work> {
    request: W::Request,
    reply: oneshot::Sender<Result<W::Reply, StoreError>>,
}

/// Handle to a batching task; the task stops when the last handle is dropped.
pub(super) struct Batcher<W: Work> {
    queue: mpsc::Sender<Item<W>>,
}

impl<W: Work> Clone for Batcher<W> {
    fn clone(&self) -> Self {
        Batcher {
            queue: self.queue.clone(),
        }
    }
}

impl<W: Work> Batcher<W> {
    pub fn start(work: W) -> Batcher<W> {
        let (queue, waiting) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(run(Arc::new(work), waiting));
        Batcher { queue }
    }

    /// Queues `request` and waits for its batch to be committed.
    pub async fn call(&self, request: W::Request) -> Result<W::Reply, StoreError> {
        let gone = || StoreError::Unavailable("the store's batching task has stopped".into());
        let (reply, replied) = oneshot::channel();
        self.queue
            .send(Item { request, reply })
            .await
            .map_err(|_| gone())?;
        replied.await.unwrap_or_else(|_| Err(gone()))
    }
}

async fn run<W: Work>(work: Arc<W>, mut waiting: mpsc::Receiver<Item<W>>) {
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = waiting.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            let Ok(item) = waiting.try_recv() else { break };
            batch.push(item);
        }
        let work = work.clone();
        tokio::spawn(async move {
            serve(&*work, batch).await;
            drop(slot);
        });
    }
}

async fn serve<W: Work>(work: &W, batch: Vec<Item<W>>) {
    let (requests, replies): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|item| (item.request, item.reply))
        .unzip();
    match work.run(&requests).await {
        Ok(answers) => {
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(Ok(answer));
            }
        }
        // One request PostgreSQL refuses (say, a payload it cannot store) must not fail the
        // others that happened to share its batch: serve them one by one.
        Err(StoreError::Corrupt(_)) if requests.len() > 1 => {
            for (request, reply) in requests.iter().zip(replies) {
                let answer = work
                    .run(std::slice::from_ref(request))
                    .await
                    .and_then(|answers| {
                        let missing = || StoreError::Corrupt("a batch returned no reply".into());
                        answers.into_iter().next().ok_or_else(missing)
                    });
                let _ = reply.send(answer);
            }
        }
        Err(error) => {
            for reply in replies {
                let _ = reply.send(Err(same(&error)));
            }
        }
    }
}

/// A copy of `error` for each caller of a failed batch (`StoreError` is not `Clone`).
fn same(error: &StoreError) -> StoreError {
    match error {
        StoreError::Unavailable(message) => StoreError::Unavailable(message.clone()),
        StoreError::Corrupt(message) => StoreError::Corrupt(message.clone()),
    }
}
