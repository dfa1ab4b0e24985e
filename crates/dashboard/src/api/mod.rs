//! Talking to the services: the wire types the dashboard reads and the HTTP client.

mod client;
mod types;

pub use client::{Api, DEAD_LETTER_LIMIT, FetchError, JOB_LIMIT, JobFilter};
pub use types::{
    Accepted, Alert, Attempt, Conservation, DeadLetter, DeadLetterPage, EventJob, JobDetail,
    JobPage, JobRow, Producer, Stats, ThroughputPoint, TimelineEvent,
};
