//! `GET /dlq`: messages that could not be processed, with the reason.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One dead-lettered message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// Unique per message (its AMQP message id when it had one, else assigned).
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    /// Queue the message was taken from, e.g. `jobs.created`.
    #[serde(default)]
    pub source: String,
    /// Why it was dead-lettered, for people.
    #[serde(default)]
    pub reason: String,
    /// The message body, as UTF-8 (lossy) text.
    #[serde(default)]
    pub body: String,
    /// The job it concerns, when that could be read from it.
    #[serde(default)]
    pub job_id: Option<Uuid>,
    #[serde(default)]
    pub retried_at: Option<DateTime<Utc>>,
}

/// `GET /dlq`: a page of dead letters, newest first, and how many there are in all.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeadLetterPage {
    pub items: Vec<DeadLetter>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    pub total: u64,
}
