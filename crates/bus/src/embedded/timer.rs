//! Delayed messages: one heap of deadlines for the whole bus and one task that makes each message
//! ready when its time comes, so a message waiting for a retry holds neither a consumer slot nor
//! a task of its own.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::queues::Queue;

/// When a message (queue index, message id) becomes ready.
type Deadline = Reverse<(Instant, usize, i64)>;

#[derive(Debug, Default)]
pub(super) struct Timers {
    heap: Mutex<BinaryHeap<Deadline>>,
    /// Woken when a deadline earlier than every other one is added.
    earlier: Notify,
}

impl Timers {
    /// Makes message `id` of `queues[queue]` ready at `at` (the message must be delayed).
    fn schedule(&self, at: Instant, queue: usize, id: i64) {
        let mut heap = self.heap.lock().unwrap_or_else(PoisonError::into_inner);
        let first = heap.peek().is_none_or(|Reverse((next, ..))| at < *next);
        heap.push(Reverse((at, queue, id)));
        drop(heap);
        if first {
            self.earlier.notify_one();
        }
    }

    /// Makes message `id` of `queues[queue]` ready after `delay` (capped at a year).
    pub(super) fn schedule_after(&self, delay: Duration, queue: usize, id: i64) {
        let delay = delay.min(Duration::from_secs(365 * 24 * 3_600));
        self.schedule(Instant::now() + delay, queue, id);
    }

    /// Removes and returns every deadline that has passed, and the next one still to come.
    fn due(&self, now: Instant) -> (Vec<(usize, i64)>, Option<Instant>) {
        let mut heap = self.heap.lock().unwrap_or_else(PoisonError::into_inner);
        let mut due = Vec::new();
        while let Some(Reverse((at, queue, id))) = heap.peek().copied() {
            if at > now {
                return (due, Some(at));
            }
            heap.pop();
            due.push((queue, id));
        }
        (due, None)
    }

    /// Wakes delayed messages until `shutdown`.
    pub(super) async fn run(self: Arc<Self>, queues: Arc<[Queue]>, shutdown: CancellationToken) {
        loop {
            let (due, next) = self.due(Instant::now());
            for (queue, id) in due {
                queues[queue].wake(id);
            }
            let sleep = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = sleep => {}
                () = self.earlier.notified() => {}
            }
        }
    }
}
