//! [`JobBus`] and [`QueueInspector`] in the process, on a SQLite file: the bus of the all-in-one
//! mode, with the queues, message bodies and delivery semantics of the RabbitMQ bus, so the same
//! processors and metrics engine run on it unchanged.
//!
//! - **Queues**: those of [`topology::QUEUES`]. `jobs.created` gets one `job.created` envelope
//!   per job; the metrics engine's queue gets *event batches* (JSON arrays, formed by the same
//!   batcher as RabbitMQ's), including the copy of every `job.created`; the dead-letter queue
//!   gets messages carrying [`crate::DeadLetterInfo`] and a fresh message id.
//! - **Durable**: every message is a row of the file (`store`), written through SQLite's group
//!   commit; a publish returns `Ok` only after its commit, like a publisher confirm. The queues
//!   are also kept in memory (`queues`), rebuilt from the file at open, so delivery never reads
//!   the database.
//! - **At-least-once**: a delivered message stays stored until its [`crate::Outcome`] is committed
//!   (`consumer`): `Ack` deletes it, `Retry` and `Requeue` store when it may come back and leave
//!   it to a timer (`timer`), `DeadLetter` moves it to the dead-letter queue in one transaction.
//!   A message delivered and not settled when the process stopped is delivered again after the
//!   next open, with `redelivered: true`: its row is marked delivered, and the mark committed,
//!   before its handler starts (once per message; see `consumer`).
//!
//! Differences from RabbitMQ, all in the caller's favour: a retry waits for exactly its `after`
//! (no delay tiers, so also less than 250 ms), `Requeue` does not hold a consumer slot while it
//! waits, and the inspector's figures are exact and current, including the oldest message's age.
//! One difference in the flag only: a retried message comes back `redelivered: true` (RabbitMQ
//! republishes it through a delay queue, as a new message).

mod consumer;
mod queues;
mod store;
mod timer;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use async_trait::async_trait;
use odto_contracts::EventEnvelope;
use odto_sqlite::{DbError, Options};
use tokio::sync::{RwLock, RwLockReadGuard};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{error, warn};

use crate::batcher::{BatchSink, Batcher};
use crate::inspect::{QueueInspector, QueueStats};
use crate::topology::{self, DEAD_LETTER_QUEUE, JOBS_QUEUE, METRICS_QUEUE};
use crate::{BusError, DeadLetterInfo, JobBus, MessageHandler, serialize};
use queues::Queue;
use store::{Store, Stored, now_millis};
use timer::Timers;

/// The embedded bus. Share it behind an `Arc` (as `Arc<dyn JobBus>` and `Arc<dyn
/// QueueInspector>` at once); dropping it stops its background tasks.
pub struct EmbeddedBus {
    inner: Arc<Inner>,
    batcher: Batcher,
    tasks: [JoinHandle<()>; 2],
}

impl std::fmt::Debug for EmbeddedBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedBus")
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

/// What the bus, its consumers, its batcher and its timer share.
#[derive(Debug)]
struct Inner {
    store: Store,
    /// In the order of [`topology::QUEUES`].
    queues: Arc<[Queue]>,
    timers: Arc<Timers>,
    next_id: AtomicI64,
    open: AtomicBool,
    /// Held shared by every write in progress; `close` takes it exclusively to wait for them.
    writes: RwLock<()>,
    /// Cancelled by `close` (and on drop): consumers stop taking messages, the timer stops.
    shutdown: CancellationToken,
}

impl EmbeddedBus {
    /// Opens (creating it if needed) the bus's SQLite file at `path` and loads the messages it
    /// holds: those delivered before and never settled come back with `redelivered: true`.
    /// The file must belong to the bus alone (no other schema in it) and to one open bus at a
    /// time: two buses on one file would deliver the same messages. Runs inside a Tokio runtime.
    pub async fn open(path: &Path, options: &Options) -> Result<Self, BusError> {
        let (path, options) = (path.to_owned(), options.clone());
        let store = tokio::task::spawn_blocking(move || Store::open(&path, &options))
            .await
            .map_err(|e| BusError::Unavailable(format!("opening the bus panicked: {e}")))?
            .map_err(|e| BusError::InvalidConfig(e.to_string()))?;
        let loaded = store.load().await.map_err(unavailable)?;
        let queues: Arc<[Queue]> = topology::QUEUES
            .iter()
            .map(|q| Queue::new(q.name))
            .collect();
        let inner = Arc::new(Inner {
            store,
            queues,
            timers: Arc::default(),
            next_id: AtomicI64::new(1),
            open: AtomicBool::new(true),
            writes: RwLock::new(()),
            shutdown: CancellationToken::new(),
        });
        inner.restore(loaded);
        let timer = tokio::spawn(
            inner
                .timers
                .clone()
                .run(inner.queues.clone(), inner.shutdown.clone()),
        );
        let (batcher, batching) = Batcher::start(inner.clone());
        Ok(Self {
            inner,
            batcher,
            tasks: [timer, batching],
        })
    }
}

impl Drop for EmbeddedBus {
    fn drop(&mut self) {
        self.inner.shutdown.cancel();
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

impl Inner {
    fn queue_index(&self, name: &str) -> Option<usize> {
        self.queues.iter().position(|queue| queue.name == name)
    }

    fn index_of(&self, name: &'static str) -> usize {
        self.queue_index(name)
            .expect("the name is a queue of the topology")
    }

    /// Puts the messages read from the file back in their queues, ready or delayed.
    fn restore(&self, loaded: Vec<store::Loaded>) {
        let now = now_millis();
        let mut last_id = 0;
        for store::Loaded {
            queue,
            message,
            available_at,
        } in loaded
        {
            last_id = last_id.max(message.id);
            let Some(index) = self.queue_index(&queue) else {
                warn!(
                    queue,
                    id = message.id,
                    "a stored message names an unknown queue; left alone"
                );
                continue;
            };
            if available_at > now {
                let wait = std::time::Duration::from_millis((available_at - now) as u64);
                self.timers.schedule_after(wait, index, message.id);
                self.queues[index].push_delayed(message);
            } else {
                self.queues[index].push_ready(message);
            }
        }
        self.next_id.store(last_id + 1, Ordering::Relaxed);
    }

    /// Admits one write, unless the bus is closed; `close` waits for the guard to be dropped.
    async fn writing(&self) -> Result<RwLockReadGuard<'_, ()>, BusError> {
        let guard = self.writes.read().await;
        if self.open.load(Ordering::Acquire) {
            Ok(guard)
        } else {
            Err(BusError::Unavailable("the embedded bus is closed".into()))
        }
    }

    /// A new message, not yet stored.
    fn message(&self, body: Arc<[u8]>, message_id: Option<String>, priority: u8) -> Stored {
        Stored {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            body,
            message_id,
            priority,
            enqueued_at: now_millis(),
            delivered: false,
            dead_letter: None,
        }
    }

    /// Stores `message` on `queue` and, once committed, makes it ready.
    async fn publish(&self, queue: usize, message: Stored) -> Result<(), BusError> {
        let name = self.queues[queue].name;
        self.store
            .insert(name, message.clone())
            .await
            .map_err(unavailable)?;
        self.queues[queue].push_ready(message);
        Ok(())
    }
}

/// An event batch is one message on the metrics engine's queue.
#[async_trait]
impl BatchSink for Inner {
    async fn send_batch(&self, body: Vec<u8>) -> Result<(), BusError> {
        let batch = self.message(body.into(), None, 0);
        self.publish(self.index_of(METRICS_QUEUE), batch).await
    }
}

fn unavailable(error: DbError) -> BusError {
    BusError::Unavailable(error.to_string())
}

#[async_trait]
impl JobBus for EmbeddedBus {
    async fn enqueue(&self, created: &EventEnvelope) -> Result<(), BusError> {
        let _writing = self.inner.writing().await?;
        let body = serialize(created)?;
        let priority = created.payload.priority.unwrap_or(0);
        let job = self.inner.message(
            body.as_slice().into(),
            Some(created.event_id.to_string()),
            priority.min(topology::MAX_PRIORITY),
        );
        let (job, copy) = tokio::join!(
            self.inner.publish(self.inner.index_of(JOBS_QUEUE), job),
            self.batcher.publish(body),
        );
        job?;
        if let Err(error) = copy {
            let job_id = created.payload.id;
            warn!(%error, %job_id, "job accepted, but its job.created event copy was not");
        }
        Ok(())
    }

    async fn publish_event(&self, event: &EventEnvelope) -> Result<(), BusError> {
        let _writing = self.inner.writing().await?;
        self.batcher.publish(serialize(event)?).await
    }

    fn is_connected(&self) -> bool {
        self.inner.open.load(Ordering::Acquire)
    }

    async fn consume(
        &self,
        queue: &'static str,
        concurrency: usize,
        handler: Arc<dyn MessageHandler>,
        stop: CancellationToken,
    ) {
        let Some(index) = self.inner.queue_index(queue) else {
            error!(queue, "cannot consume: no such queue in the topology");
            return stop.cancelled().await;
        };
        consumer::consume(self.inner.clone(), index, concurrency, handler, stop).await;
    }

    async fn dead_letter(&self, source: &str, body: &[u8], reason: &str) -> Result<(), BusError> {
        let _writing = self.inner.writing().await?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut letter = self.inner.message(body.into(), Some(id), 0);
        letter.dead_letter = Some(DeadLetterInfo {
            reason: reason.to_owned(),
            source: source.to_owned(),
        });
        let queue = self.inner.index_of(DEAD_LETTER_QUEUE);
        self.inner.publish(queue, letter).await
    }

    /// Refuses new writes, waits for those in progress, and stops delivering. Messages in flight
    /// stay stored and are delivered again after the next open.
    async fn close(&self) {
        self.inner.open.store(false, Ordering::Release);
        let _no_more_writes = self.inner.writes.write().await;
        self.inner.shutdown.cancel();
    }
}

#[async_trait]
impl QueueInspector for EmbeddedBus {
    async fn queues(&self) -> Result<Vec<QueueStats>, BusError> {
        let now = now_millis();
        Ok(self.inner.queues.iter().map(|q| q.stats(now)).collect())
    }
}
