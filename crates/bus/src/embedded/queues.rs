//! The queues in memory: which stored messages are ready, delayed or in flight, and who waits for
//! one. The database holds the same messages (see `store`); memory only decides delivery order,
//! so delivering never reads the database.
//!
//! Every message of a queue is in `messages` from its publication until it is settled, in exactly
//! one [`Status`]; `ready` holds the ids of the ready ones, highest priority first and, within a
//! priority, oldest first (the intake queue honours job priorities as RabbitMQ's does).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::store::Stored;
use crate::inspect::QueueStats;
use crate::{DeadLetterInfo, Message};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ready,
    /// Waiting for its timer: retried or requeued with a delay (also across a restart).
    Delayed,
    /// Given to a handler, not settled yet.
    InFlight,
}

#[derive(Debug)]
struct Entry {
    message: Stored,
    status: Status,
}

#[derive(Debug, Default)]
struct State {
    messages: BTreeMap<i64, Entry>,
    ready: BinaryHeap<(u8, Reverse<i64>)>,
    delayed: u64,
    in_flight: u64,
    consumers: u64,
}

/// A message taken for delivery; it stays in its queue, in flight, until settled.
#[derive(Debug, Clone)]
pub(super) struct Delivery {
    pub(super) id: i64,
    pub(super) body: std::sync::Arc<[u8]>,
    pub(super) message_id: Option<String>,
    pub(super) dead_letter: Option<DeadLetterInfo>,
    /// A handler was given this message before.
    pub(super) redelivered: bool,
}

impl Delivery {
    pub(super) fn message(&self) -> Message {
        Message {
            body: self.body.to_vec(),
            redelivered: self.redelivered,
            message_id: self.message_id.clone(),
            dead_letter: self.dead_letter.clone(),
        }
    }
}

/// One queue of the topology.
#[derive(Debug)]
pub(super) struct Queue {
    pub(super) name: &'static str,
    state: Mutex<State>,
    /// Woken whenever a message becomes ready.
    arrived: Notify,
}

impl Queue {
    pub(super) fn new(name: &'static str) -> Self {
        Self {
            name,
            state: Mutex::default(),
            arrived: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update below leaves the state consistent before it could panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a stored message, ready at once.
    pub(super) fn push_ready(&self, message: Stored) {
        let mut state = self.state();
        state.ready.push((message.priority, Reverse(message.id)));
        let entry = Entry {
            message,
            status: Status::Ready,
        };
        state.messages.insert(entry.message.id, entry);
        drop(state);
        self.arrived.notify_waiters();
    }

    /// Adds a stored message that waits for its timer.
    pub(super) fn push_delayed(&self, message: Stored) {
        let mut state = self.state();
        state.delayed += 1;
        let entry = Entry {
            message,
            status: Status::Delayed,
        };
        state.messages.insert(entry.message.id, entry);
    }

    /// Takes the next ready message, waiting for one. Cancel-safe: a message is taken only by
    /// the poll that returns it.
    pub(super) async fn next(&self) -> Delivery {
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            // Registered before looking, so a message that arrives in between wakes us.
            arrived.as_mut().enable();
            if let Some(delivery) = self.take() {
                return delivery;
            }
            arrived.await;
        }
    }

    fn take(&self) -> Option<Delivery> {
        let mut state = self.state();
        let (_, Reverse(id)) = state.ready.pop()?;
        let entry = state
            .messages
            .get_mut(&id)
            .expect("a ready id names a stored message");
        entry.status = Status::InFlight;
        let message = &entry.message;
        let delivery = Delivery {
            id,
            body: message.body.clone(),
            message_id: message.message_id.clone(),
            dead_letter: message.dead_letter.clone(),
            redelivered: message.delivered,
        };
        state.in_flight += 1;
        Some(delivery)
    }

    /// Notes that an in-flight message has been handed to a handler.
    pub(super) fn set_delivered(&self, id: i64) {
        if let Some(entry) = self.state().messages.get_mut(&id) {
            entry.message.delivered = true;
        }
    }

    /// An in-flight message leaves the queue (acknowledged, or moved to another queue).
    pub(super) fn remove(&self, id: i64) {
        let mut state = self.state();
        if state.messages.remove(&id).is_some() {
            state.in_flight -= 1;
        }
    }

    /// An in-flight message waits for its timer; [`Queue::wake`] makes it ready again.
    pub(super) fn delay(&self, id: i64) {
        let mut state = self.state();
        if let Some(entry) = state.messages.get_mut(&id) {
            entry.status = Status::Delayed;
            state.in_flight -= 1;
            state.delayed += 1;
        }
    }

    /// A delayed message's time has come.
    pub(super) fn wake(&self, id: i64) {
        let mut state = self.state();
        let Some(entry) = state.messages.get_mut(&id) else {
            return;
        };
        if entry.status != Status::Delayed {
            return;
        }
        entry.status = Status::Ready;
        let key = (entry.message.priority, Reverse(id));
        state.delayed -= 1;
        state.ready.push(key);
        drop(state);
        self.arrived.notify_waiters();
    }

    /// Counts a consumer for as long as the returned guard lives.
    pub(super) fn register_consumer(&self) -> ConsumerGuard<'_> {
        self.state().consumers += 1;
        ConsumerGuard { queue: self }
    }

    /// Depth (ready + delayed), in flight, consumers, and the age of the oldest waiting message.
    pub(super) fn stats(&self, now_millis: i64) -> QueueStats {
        let state = self.state();
        // In-flight messages are few (bounded by the consumers' concurrency), so skipping them
        // from the oldest end is cheap.
        let oldest = state
            .messages
            .values()
            .find(|entry| entry.status != Status::InFlight)
            .map(|entry| (now_millis - entry.message.enqueued_at).max(0) as f64 / 1_000.0);
        QueueStats {
            name: self.name.to_owned(),
            depth: state.ready.len() as u64 + state.delayed,
            in_flight: state.in_flight,
            consumers: state.consumers,
            oldest_age_seconds: oldest,
        }
    }
}

/// Keeps a consumer counted in [`Queue::stats`].
#[derive(Debug)]
pub(super) struct ConsumerGuard<'a> {
    queue: &'a Queue,
}

impl Drop for ConsumerGuard<'_> {
    fn drop(&mut self) {
        self.queue.state().consumers -= 1;
    }
}
