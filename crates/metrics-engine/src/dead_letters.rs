//! Recording dead letters: every message that reaches the dead-letter queue is stored with its
//! reason, so the read model can list it and someone can retry it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use odto_bus::{Message, MessageHandler, Outcome};
use odto_store::dead_letters::{DeadLetter, DeadLetterStore};
use serde_json::Value;
use tracing::warn;
use uuid::Uuid;

use crate::metrics::EngineMetrics;

/// Consumes the dead-letter queue.
pub struct DeadLetterRecorder {
    pub store: Arc<dyn DeadLetterStore>,
    pub metrics: EngineMetrics,
}

impl std::fmt::Debug for DeadLetterRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetterRecorder").finish_non_exhaustive()
    }
}

#[async_trait]
impl MessageHandler for DeadLetterRecorder {
    async fn handle(&self, message: Message) -> Outcome {
        let letter = dead_letter(&message);
        match self.store.add(&letter).await {
            Ok(new) => {
                if new {
                    self.metrics.dead_letters.inc();
                }
                Outcome::Ack
            }
            Err(error) => {
                warn!(%error, "could not record a dead letter; it will be redelivered");
                Outcome::Requeue {
                    after: Duration::from_secs(1),
                }
            }
        }
    }
}

fn dead_letter(message: &Message) -> DeadLetter {
    let info = message.dead_letter.clone();
    let body = String::from_utf8_lossy(&message.body).into_owned();
    DeadLetter {
        id: letter_id(message),
        received_at: Utc::now(),
        source: info
            .as_ref()
            .map_or_else(|| "unknown".into(), |i| i.source.clone()),
        reason: info.map_or_else(|| "no reason recorded".into(), |i| i.reason),
        job_id: job_id(&message.body),
        body,
        retried_at: None,
    }
}

/// The message id when it is a UUID (every dead-lettering gets a fresh one), so a redelivered
/// dead letter is stored once; else one derived from the content.
fn letter_id(message: &Message) -> Uuid {
    message
        .message_id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id).ok())
        .unwrap_or_else(|| Uuid::new_v5(&Uuid::NAMESPACE_OID, &message.body))
}

/// The job a dead letter is about: an envelope's `payload.id`, or a bare job's `id`.
fn job_id(body: &[u8]) -> Option<Uuid> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let id = value
        .pointer("/payload/id")
        .or_else(|| value.get("id"))?
        .as_str()?;
    odto_contracts::parse_canonical_uuid(id)
}
