//! The `Job` contract (`contracts/schemas/job.json`).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::wire::{canonical_uuid, optional_integer};

/// Where a job is in its lifecycle. `CANCELLED` is new in 2.0.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Pending,
    Validated,
    Executing,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [
        Self::Pending,
        Self::Validated,
        Self::Executing,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The wire name, e.g. `"PENDING"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Validated => "VALIDATED",
            Self::Executing => "EXECUTING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// True when nothing more happens to the job unless an operator acts (e.g. retries it).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = UnknownVariant;

    /// Parses the exact wire name (wire names are case-sensitive).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| UnknownVariant::new("job status", text))
    }
}

/// A wire name that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}: {value:?}")]
pub struct UnknownVariant {
    pub what: &'static str,
    pub value: String,
}

impl UnknownVariant {
    pub(crate) fn new(what: &'static str, value: &str) -> Self {
        Self {
            what,
            value: value.to_owned(),
        }
    }
}

/// Which handler runs a job: 1 to 64 characters of `[A-Za-z0-9_.:-]`.
///
/// The restriction keeps job types safe in metric labels, queue names and log lines.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct JobType(String);

/// Why a string is not a valid [`JobType`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("job type {0:?} must be 1 to 64 characters of A-Z a-z 0-9 _ . : -")]
pub struct InvalidJobType(pub String);

impl JobType {
    pub const MAX_LEN: usize = 64;

    pub fn parse(text: &str) -> Result<JobType, InvalidJobType> {
        Self::try_from(text.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn is_allowed(byte: u8) -> bool {
        byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b':' | b'-')
    }
}

impl TryFrom<String> for JobType {
    type Error = InvalidJobType;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let bytes = text.as_bytes();
        // Every allowed character is ASCII, so the byte length is the character length.
        if bytes.is_empty()
            || bytes.len() > Self::MAX_LEN
            || !bytes.iter().all(|&b| Self::is_allowed(b))
        {
            return Err(InvalidJobType(text));
        }
        Ok(Self(text))
    }
}

impl Serialize for JobType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl fmt::Display for JobType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A unit of work. Field order and names follow `job.json`; unknown fields live in `extra` and
/// are written back unchanged, so a job survives every hop with what the client sent.
///
/// The Rust type does not enforce the schema's ranges (`maxAttempts` 1..=100, `priority` 0..=9):
/// values built in code should be checked with [`crate::Schema::Job`] where they come from users.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    #[serde(deserialize_with = "canonical_uuid")]
    pub id: Uuid,
    #[serde(rename = "type")]
    pub job_type: JobType,
    pub status: JobStatus,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(
        default,
        deserialize_with = "optional_integer",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_attempts: Option<u32>,
    #[serde(
        default,
        deserialize_with = "optional_integer",
        skip_serializing_if = "Option::is_none"
    )]
    pub priority: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_at: Option<DateTime<Utc>>,
    /// Attempts started so far (2.1.0).
    #[serde(
        default,
        deserialize_with = "optional_integer",
        skip_serializing_if = "Option::is_none"
    )]
    pub attempts: Option<u32>,
    /// Increases with every state change; `None` is 0, the job as submitted (2.1.0).
    #[serde(
        default,
        deserialize_with = "optional_integer",
        skip_serializing_if = "Option::is_none"
    )]
    pub revision: Option<u64>,
    /// Why the latest attempt failed (2.1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Job {
    /// A new PENDING job with only the required fields set.
    pub fn new(id: Uuid, job_type: JobType, created_at: DateTime<Utc>) -> Job {
        Job {
            id,
            job_type,
            status: JobStatus::Pending,
            created_at,
            updated_at: None,
            payload: None,
            metadata: None,
            max_attempts: None,
            priority: None,
            run_at: None,
            attempts: None,
            revision: None,
            last_error: None,
            extra: Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_type_accepts_the_allowed_alphabet_up_to_64_characters() {
        assert!(JobType::parse("email.send:v2_fast-1").is_ok());
        assert!(JobType::parse(&"a".repeat(64)).is_ok());
        assert!(JobType::parse(&"a".repeat(65)).is_err());
        assert!(JobType::parse("").is_err());
        assert!(JobType::parse("has space").is_err());
        assert!(JobType::parse("émoji").is_err());
    }

    #[test]
    fn status_wire_names_parse_back_and_terminal_ones_are_final() {
        for status in JobStatus::ALL {
            assert_eq!(status.as_str().parse::<JobStatus>(), Ok(status));
        }
        assert!("pending".parse::<JobStatus>().is_err());
        assert!(JobStatus::Cancelled.is_terminal() && !JobStatus::Executing.is_terminal());
    }
}
