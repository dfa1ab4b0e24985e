//! Accepting a job: turn a validated submission into a `job.created` event and make it durable
//! on the bus exactly once per idempotency key.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use odto_bus::JobBus;
use odto_contracts::{
    CONTRACT_VERSION, EventEnvelope, EventType, Job, JobAccepted, Producer, Submission,
};
use odto_store::StoreError;
use odto_store::idempotency::{Claim, IdempotencyRecord, IdempotencyStore, RecordState};
use odto_store::jobs::JobRecord;
use tracing::warn;
use uuid::Uuid;

use crate::error::GatewayError;
use crate::metrics::GatewayMetrics;

/// What became of an accepted submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// Published now.
    Accepted(JobAccepted),
    /// A repeat of an earlier request with the same idempotency key: nothing was published.
    Replayed(JobAccepted),
}

impl Submitted {
    pub fn accepted(&self) -> JobAccepted {
        match self {
            Self::Accepted(accepted) | Self::Replayed(accepted) => *accepted,
        }
    }
}

/// The write side of the gateway, independent of HTTP.
#[derive(Clone)]
pub struct Intake {
    bus: Arc<dyn JobBus>,
    keys: Arc<dyn IdempotencyStore>,
    producer: Producer,
    retention: Duration,
    metrics: GatewayMetrics,
}

impl std::fmt::Debug for Intake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intake")
            .field("producer", &self.producer)
            .finish_non_exhaustive()
    }
}

impl Intake {
    pub fn new(
        bus: Arc<dyn JobBus>,
        keys: Arc<dyn IdempotencyStore>,
        producer: Producer,
        retention: Duration,
        metrics: GatewayMetrics,
    ) -> Self {
        Self {
            bus,
            keys,
            producer,
            retention,
            metrics,
        }
    }

    /// Publishes the submitted job, or replays the answer to an earlier request with the same
    /// `key`. `fingerprint` identifies the request body, to refuse a key reused for another job.
    pub async fn submit(
        &self,
        submission: Submission,
        key: Option<&str>,
        fingerprint: &str,
        correlation_id: &str,
    ) -> Result<Submitted, GatewayError> {
        let event = self.created_event(submission.job, correlation_id);
        let accepted = JobAccepted {
            job_id: event.payload.id,
            event_id: event.event_id,
        };
        let outcome = match key {
            None => self
                .publish(&event)
                .await
                .map(|()| Submitted::Accepted(accepted)),
            Some(key) => self.publish_once(key, fingerprint, &event, accepted).await,
        };
        self.metrics.record_outcome(&outcome);
        outcome
    }

    pub fn bus(&self) -> &Arc<dyn JobBus> {
        &self.bus
    }

    pub fn keys(&self) -> &Arc<dyn IdempotencyStore> {
        &self.keys
    }

    /// The event for a state change the gateway made (cancel, retry): the job as stored now.
    pub fn event(
        &self,
        event_type: EventType,
        record: &JobRecord,
        correlation_id: &str,
    ) -> EventEnvelope {
        EventEnvelope::state_change(
            event_type,
            record.job.clone(),
            self.producer.clone(),
            correlation_id,
        )
    }

    fn created_event(&self, job: Job, correlation_id: &str) -> EventEnvelope {
        EventEnvelope {
            contract_version: CONTRACT_VERSION.to_owned(),
            event_type: EventType::JobCreated,
            event_id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            producer: self.producer.clone(),
            correlation_id: correlation_id.to_owned(),
            idempotency_key: format!("{}:{}", job.id, EventType::JobCreated.as_str()),
            payload: job,
        }
    }

    async fn publish(&self, event: &EventEnvelope) -> Result<(), GatewayError> {
        self.bus.enqueue(event).await.map_err(GatewayError::Broker)
    }

    /// Claims the key, publishes, then records the answer; on failure the key is freed again
    /// so the client's retry is not mistaken for a repeat of a job that was never accepted.
    async fn publish_once(
        &self,
        key: &str,
        fingerprint: &str,
        event: &EventEnvelope,
        accepted: JobAccepted,
    ) -> Result<Submitted, GatewayError> {
        let response = serde_json::to_string(&accepted).map_err(|e| corrupt(e.to_string()))?;
        let mut record = IdempotencyRecord {
            state: RecordState::InProgress,
            fingerprint: fingerprint.to_owned(),
            response,
        };
        let claim = self.keys.claim(key, &record, self.retention).await;
        match claim.map_err(GatewayError::IdempotencyUnavailable)? {
            Claim::Existing(previous) => return replay(previous, fingerprint),
            Claim::Acquired => {}
        }
        if let Err(error) = self.publish(event).await {
            if let Err(release) = self.keys.release(key).await {
                warn!(%release, "could not free an idempotency key after a failed publish");
            }
            return Err(error);
        }
        record.state = RecordState::Completed;
        if let Err(error) = self.keys.complete(key, &record, self.retention).await {
            // The job is durable, so the client still gets its 202; repeats of this key will
            // be told "in progress" until the key expires.
            warn!(%error, "could not mark an idempotency key completed");
        }
        Ok(Submitted::Accepted(accepted))
    }
}

fn replay(previous: IdempotencyRecord, fingerprint: &str) -> Result<Submitted, GatewayError> {
    if previous.fingerprint != fingerprint {
        return Err(GatewayError::IdempotencyKeyReused);
    }
    match previous.state {
        RecordState::InProgress => Err(GatewayError::IdempotencyKeyInProgress),
        RecordState::Completed => serde_json::from_str(&previous.response)
            .map(Submitted::Replayed)
            .map_err(|e| corrupt(e.to_string())),
    }
}

fn corrupt(message: String) -> GatewayError {
    GatewayError::IdempotencyUnavailable(StoreError::Corrupt(message))
}
