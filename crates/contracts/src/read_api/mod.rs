//! The read API's answers (the read model's HTTP responses), shared by the server that writes
//! them and every client that reads them: camelCase JSON, one Rust type per shape.
//!
//! The server always writes every field. Readers may meet an older read model, so every field
//! a reader can live without has a serde default: a missing one reads as empty, never as an
//! error. Jobs and events are the contract's [`crate::Job`] and [`crate::EventEnvelope`].

mod alerts;
mod dead_letters;
mod jobs;
mod stats;

pub use alerts::Alert;
pub use dead_letters::{DeadLetter, DeadLetterPage};
pub use jobs::{Attempt, AttemptOutcome, JobDetail, JobPage, JobView, RecentJob};
pub use stats::{Conservation, Stats, StatusCounts, Throughput};
