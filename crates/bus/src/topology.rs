//! The broker layout, declared identically (and idempotently) by every service on connect.
//!
//! ```text
//!  publishers ──► odto.events (topic) ──job.created──► jobs.created ──(rejected/expired)──┐
//!                        │                                                               │
//!                        └──────job.#──────► odto.metrics-engine.events ──(rejected)───┤
//!                                                                                        ▼
//!                                     odto.dead-letter (fanout) ──► odto.dead-letters
//! ```
//!
//! `jobs.created` keeps the reference's name, so a message published to the default exchange
//! with routing key `jobs.created` (as the reference gateway does) lands in the same queue.

/// Topic exchange every lifecycle event is published to, with its `eventType` as routing key.
pub const EVENTS_EXCHANGE: &str = "odto.events";
/// Intake queue of the processors: every `job.created` event.
pub const JOBS_QUEUE: &str = "jobs.created";
/// Queue of the metrics engine: every lifecycle event.
pub const METRICS_QUEUE: &str = "odto.metrics-engine.events";
/// Exchange that rejected messages are dead-lettered to.
pub const DEAD_LETTER_EXCHANGE: &str = "odto.dead-letter";
/// The dead-letter queue: nothing is ever dropped silently, it ends up here with its reason.
pub const DEAD_LETTER_QUEUE: &str = "odto.dead-letters";
/// Highest message priority honoured on the intake queue (a job's `priority` is 0..=9).
pub const MAX_PRIORITY: u8 = 9;

/// Kind of an exchange in the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeKind {
    Topic,
    Fanout,
}

/// A durable exchange.
#[derive(Debug, Clone, Copy)]
pub struct Exchange {
    pub name: &'static str,
    pub kind: ExchangeKind,
}

/// A durable queue, the exchange it is bound to with which key, and where it dead-letters.
#[derive(Debug, Clone, Copy)]
pub struct Queue {
    pub name: &'static str,
    pub bound_to: &'static str,
    pub binding_key: &'static str,
    pub dead_letter: bool,
    pub max_priority: Option<u8>,
}

/// Every exchange, in declaration order.
pub const EXCHANGES: [Exchange; 2] = [
    Exchange { name: EVENTS_EXCHANGE, kind: ExchangeKind::Topic },
    Exchange { name: DEAD_LETTER_EXCHANGE, kind: ExchangeKind::Fanout },
];

/// Every queue with its binding.
pub const QUEUES: [Queue; 3] = [
    Queue {
        name: JOBS_QUEUE,
        bound_to: EVENTS_EXCHANGE,
        binding_key: "job.created",
        dead_letter: true,
        max_priority: Some(MAX_PRIORITY),
    },
    Queue {
        name: METRICS_QUEUE,
        bound_to: EVENTS_EXCHANGE,
        binding_key: "job.#",
        dead_letter: true,
        max_priority: None,
    },
    Queue {
        name: DEAD_LETTER_QUEUE,
        bound_to: DEAD_LETTER_EXCHANGE,
        binding_key: "",
        dead_letter: false,
        max_priority: None,
    },
];
