//! The broker layout, declared identically (and idempotently) by every service on connect.
//!
//! ```text
//!  job.created ──(default exchange, key jobs.created)──► jobs.created ────────────────┐
//!                                  ▲                          │ retry later          │
//!                                  └──(TTL expires)── jobs.created.delay.<tier> ◄─┘ │ rejected
//!  event batches ──► odto.events (fanout) ──► odto.metrics-engine.events ────────────┤
//!                                                                                    ▼
//!                                     odto.dead-letter (fanout) ──► odto.dead-letters
//! ```
//!
//! One message per job goes to `jobs.created`: it is what processors compete for, and what the
//! gateway's 202 waits on. Lifecycle events for the metrics engine travel as *event batches*
//! (a JSON array of envelopes per message), so under load many events share one broker write.
//! `jobs.created` keeps the reference's name and is reached through the default exchange, so a
//! message the reference gateway publishes lands in the same queue.
//!
//! Queues are lazy classic queues (version 2): messages go to disk as they arrive instead of
//! being held in memory and paged out later, which measured ~40 % faster for persistent
//! publishing on a 2-core machine. Queue arguments cannot change once a queue exists: change them
//! only with a migration.

/// Intake queue of the processors: one `job.created` envelope per message.
pub const JOBS_QUEUE: &str = "jobs.created";
/// Fanout exchange for event batches.
pub const EVENTS_EXCHANGE: &str = "odto.events";
/// Queue of the metrics engine: every event batch.
pub const METRICS_QUEUE: &str = "odto.metrics-engine.events";
/// Exchange that rejected messages are dead-lettered to.
pub const DEAD_LETTER_EXCHANGE: &str = "odto.dead-letter";
/// The dead-letter queue: nothing is ever dropped silently, it ends up here with its reason.
pub const DEAD_LETTER_QUEUE: &str = "odto.dead-letters";
/// Highest message priority honoured on the intake queue (a job's `priority` is 0..=9).
pub const MAX_PRIORITY: u8 = 9;
/// AMQP `type` property of an event batch message.
pub const EVENT_BATCH_TYPE: &str = "odto.event-batch";

/// Where a job waits before it is tried again: one queue per delay, whose messages expire after
/// that delay and are then dead-lettered back to `jobs.created`. One TTL per queue (not per
/// message) because RabbitMQ expires messages only at the head of a queue.
pub const JOB_DELAYS: [(&str, u32); 6] = [
    ("jobs.created.delay.250ms", 250),
    ("jobs.created.delay.1s", 1_000),
    ("jobs.created.delay.5s", 5_000),
    ("jobs.created.delay.30s", 30_000),
    ("jobs.created.delay.2m", 120_000),
    ("jobs.created.delay.10m", 600_000),
];

/// The delay queue for waiting about `millis`: the longest tier not above it (a job that must wait
/// longer than the longest tier simply comes back and waits again).
pub fn delay_queue(millis: u64) -> &'static str {
    JOB_DELAYS
        .iter()
        .rev()
        .find(|(_, tier)| u64::from(*tier) <= millis)
        .unwrap_or(&JOB_DELAYS[0])
        .0
}

/// A durable fanout exchange.
#[derive(Debug, Clone, Copy)]
pub struct Exchange {
    pub name: &'static str,
}

/// A durable lazy queue, the exchange it is bound to (none: reached by the default exchange),
/// whether rejected messages are dead-lettered, and its priority levels.
#[derive(Debug, Clone, Copy)]
pub struct Queue {
    pub name: &'static str,
    pub bound_to: Option<&'static str>,
    pub dead_letter: bool,
    pub max_priority: Option<u8>,
}

/// Every exchange, in declaration order.
pub const EXCHANGES: [Exchange; 2] = [
    Exchange {
        name: EVENTS_EXCHANGE,
    },
    Exchange {
        name: DEAD_LETTER_EXCHANGE,
    },
];

/// Every queue with its binding.
pub const QUEUES: [Queue; 3] = [
    Queue {
        name: JOBS_QUEUE,
        bound_to: None,
        dead_letter: true,
        max_priority: Some(MAX_PRIORITY),
    },
    Queue {
        name: METRICS_QUEUE,
        bound_to: Some(EVENTS_EXCHANGE),
        dead_letter: true,
        max_priority: None,
    },
    Queue {
        name: DEAD_LETTER_QUEUE,
        bound_to: Some(DEAD_LETTER_EXCHANGE),
        dead_letter: false,
        max_priority: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delay_picks_the_longest_tier_that_does_not_overshoot() {
        assert_eq!(delay_queue(0), "jobs.created.delay.250ms");
        assert_eq!(delay_queue(999), "jobs.created.delay.250ms");
        assert_eq!(delay_queue(1_000), "jobs.created.delay.1s");
        assert_eq!(delay_queue(29_000), "jobs.created.delay.5s");
        assert_eq!(delay_queue(86_400_000), "jobs.created.delay.10m");
    }
}
