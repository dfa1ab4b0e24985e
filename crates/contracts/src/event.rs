//! The `EventEnvelope` contract (`contracts/schemas/event-envelope.json`).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::job::{Job, UnknownVariant};
use crate::wire::canonical_uuid;

/// A job lifecycle step. The last four variants are 2.0.0 additions (a MINOR widening).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "job.created")]
    JobCreated,
    #[serde(rename = "job.validated")]
    JobValidated,
    #[serde(rename = "job.executed")]
    JobExecuted,
    #[serde(rename = "job.failed")]
    JobFailed,
    #[serde(rename = "job.completed")]
    JobCompleted,
    #[serde(rename = "job.started")]
    JobStarted,
    #[serde(rename = "job.attempt_failed")]
    JobAttemptFailed,
    #[serde(rename = "job.cancelled")]
    JobCancelled,
    #[serde(rename = "job.retried")]
    JobRetried,
}

impl EventType {
    pub const ALL: [EventType; 9] = [
        Self::JobCreated,
        Self::JobValidated,
        Self::JobExecuted,
        Self::JobFailed,
        Self::JobCompleted,
        Self::JobStarted,
        Self::JobAttemptFailed,
        Self::JobCancelled,
        Self::JobRetried,
    ];

    /// The wire name, e.g. `"job.created"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JobCreated => "job.created",
            Self::JobValidated => "job.validated",
            Self::JobExecuted => "job.executed",
            Self::JobFailed => "job.failed",
            Self::JobCompleted => "job.completed",
            Self::JobStarted => "job.started",
            Self::JobAttemptFailed => "job.attempt_failed",
            Self::JobCancelled => "job.cancelled",
            Self::JobRetried => "job.retried",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = UnknownVariant;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|event_type| event_type.as_str() == text)
            .ok_or_else(|| UnknownVariant::new("event type", text))
    }
}

/// The service instance that emitted an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Producer {
    pub service: String,
    pub instance_id: String,
    pub version: String,
}

impl Producer {
    pub fn new(
        service: impl Into<String>,
        instance_id: impl Into<String>,
        version: impl Into<String>,
    ) -> Producer {
        Producer {
            service: service.into(),
            instance_id: instance_id.into(),
            version: version.into(),
        }
    }
}

/// One message on the event spine: a lifecycle step and the job as of that step.
///
/// `contract_version` is kept as sent: consumers accept 1.x envelopes. `correlation_id` is any
/// string of 1 to 128 characters, never required to be a UUID. Extra envelope fields are allowed
/// by the schema but not kept by this type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventEnvelope {
    pub contract_version: String,
    pub event_type: EventType,
    #[serde(deserialize_with = "canonical_uuid")]
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub producer: Producer,
    pub correlation_id: String,
    pub idempotency_key: String,
    pub payload: Job,
}

impl EventEnvelope {
    /// An envelope for `job` at this build's [`crate::CONTRACT_VERSION`], with a fresh
    /// time-ordered event id.
    pub fn new(
        event_type: EventType,
        job: Job,
        producer: Producer,
        correlation_id: impl Into<String>,
        idempotency_key: impl Into<String>,
        occurred_at: DateTime<Utc>,
    ) -> EventEnvelope {
        EventEnvelope {
            contract_version: crate::CONTRACT_VERSION.to_owned(),
            event_type,
            event_id: Uuid::now_v7(),
            occurred_at,
            producer,
            correlation_id: correlation_id.into(),
            idempotency_key: idempotency_key.into(),
            payload: job,
        }
    }

    /// The event of a state change of `job`, which already carries its new `revision` and
    /// `updatedAt`: the idempotency key is `<jobId>:<revision>` (one per state change) and the
    /// event time is the change's time.
    pub fn state_change(
        event_type: EventType,
        job: Job,
        producer: Producer,
        correlation_id: impl Into<String>,
    ) -> EventEnvelope {
        let key = format!("{}:{}", job.id, job.revision.unwrap_or(0));
        let at = job.updated_at.unwrap_or_else(Utc::now);
        EventEnvelope::new(event_type, job, producer, correlation_id, key, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_change_event_is_keyed_by_revision_and_timed_by_the_change() {
        let at: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        let mut job = Job::new(Uuid::now_v7(), crate::JobType::parse("t").unwrap(), at);
        job.revision = Some(3);
        job.updated_at = Some(at);
        let producer = Producer::new("processor", "p-1", "0");

        let event =
            EventEnvelope::state_change(EventType::JobCompleted, job.clone(), producer, "c");

        assert_eq!(event.idempotency_key, format!("{}:3", job.id));
        assert_eq!(event.occurred_at, at);
        assert_eq!(event.payload, job);
    }

    #[test]
    fn event_type_wire_names_round_trip_through_serde_and_from_str() {
        for event_type in EventType::ALL {
            let json = serde_json::to_value(event_type).unwrap();
            assert_eq!(json, event_type.as_str());
            assert_eq!(event_type.as_str().parse::<EventType>(), Ok(event_type));
        }
        assert!("job.unknown".parse::<EventType>().is_err());
    }
}
