//! Query-string parameters of the listings, read as text and checked here so that every
//! mistake is a 400 naming the parameter. An empty value (`?status=`) means "not given".

use odto_contracts::{EventType, JobStatus, JobType, parse_canonical_uuid};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::ReadError;

/// Longest accepted `q` (payload search) and `cursor`.
const MAX_TEXT: usize = 200;
const MAX_CURSOR: usize = 512;

/// `GET /jobs/recent`.
#[derive(Debug, Default, Deserialize)]
pub struct RecentParams {
    pub limit: Option<String>,
}

/// `GET /jobs`.
#[derive(Debug, Default, Deserialize)]
pub struct JobListParams {
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub job_type: Option<String>,
    pub q: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// `GET /events`.
#[derive(Debug, Default, Deserialize)]
pub struct EventParams {
    #[serde(rename = "jobId")]
    pub job_id: Option<String>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub limit: Option<String>,
}

/// `GET /dlq`.
#[derive(Debug, Default, Deserialize)]
pub struct DeadLetterParams {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

fn given(raw: &Option<String>) -> Option<&str> {
    raw.as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// `limit`: `default` when absent, otherwise 1..=`max`.
pub fn limit(raw: &Option<String>, default: u32, max: u32) -> Result<u32, ReadError> {
    let Some(text) = given(raw) else {
        return Ok(default);
    };
    match text.parse::<u32>() {
        Ok(limit) if (1..=max).contains(&limit) => Ok(limit),
        _ => Err(ReadError::invalid_query(
            "limit",
            format!("must be a whole number from 1 to {max}"),
        )),
    }
}

/// `status`: a job status, in any letter case (`failed` or `FAILED`).
pub fn status(raw: &Option<String>) -> Result<Option<JobStatus>, ReadError> {
    given(raw)
        .map(|text| {
            text.to_ascii_uppercase().parse().map_err(|_| {
                let names: Vec<_> = JobStatus::ALL.iter().map(|s| s.as_str()).collect();
                ReadError::invalid_query("status", format!("must be one of {}", names.join(", ")))
            })
        })
        .transpose()
}

/// `type` of a job: the contract's job-type alphabet.
pub fn job_type(raw: &Option<String>) -> Result<Option<String>, ReadError> {
    given(raw)
        .map(|text| {
            JobType::parse(text)
                .map(|job_type| job_type.as_str().to_owned())
                .map_err(|error| ReadError::invalid_query("type", error.to_string()))
        })
        .transpose()
}

/// `type` of an event, e.g. `job.completed`.
pub fn event_type(raw: &Option<String>) -> Result<Option<EventType>, ReadError> {
    given(raw)
        .map(|text| {
            text.to_ascii_lowercase().parse().map_err(|_| {
                let names: Vec<_> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                ReadError::invalid_query("type", format!("must be one of {}", names.join(", ")))
            })
        })
        .transpose()
}

/// A job id in the query (`jobId`).
pub fn job_id(raw: &Option<String>) -> Result<Option<Uuid>, ReadError> {
    given(raw)
        .map(|text| {
            parse_canonical_uuid(text)
                .ok_or_else(|| ReadError::invalid_query("jobId", "must be a canonical UUID"))
        })
        .transpose()
}

/// `q`: text searched for in payloads.
pub fn search_text(raw: &Option<String>) -> Result<Option<String>, ReadError> {
    match given(raw) {
        Some(text) if text.chars().count() > MAX_TEXT => Err(ReadError::invalid_query(
            "q",
            format!("must be at most {MAX_TEXT} characters"),
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

/// `cursor`: the opaque `nextCursor` of the previous page.
pub fn cursor(raw: &Option<String>) -> Result<Option<String>, ReadError> {
    match given(raw) {
        Some(text) if text.len() > MAX_CURSOR => Err(ReadError::invalid_query(
            "cursor",
            "is not a cursor this API handed out",
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    #[test]
    fn limits_default_when_absent_and_refuse_zero_overflow_and_words() {
        assert_eq!(limit(&None, 10, 100).unwrap(), 10);
        assert_eq!(limit(&some(""), 10, 100).unwrap(), 10);
        assert_eq!(limit(&some("100"), 10, 100).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", "1.5", "99999999999"] {
            assert!(limit(&some(bad), 10, 100).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn statuses_and_event_types_parse_in_any_case_and_refuse_unknown_names() {
        assert_eq!(status(&some("failed")).unwrap(), Some(JobStatus::Failed));
        assert_eq!(status(&None).unwrap(), None);
        assert!(status(&some("DONE")).is_err());
        let completed = event_type(&some("JOB.COMPLETED")).unwrap();
        assert_eq!(completed, Some(EventType::JobCompleted));
        assert!(event_type(&some("job.exploded")).is_err());
    }

    #[test]
    fn ids_types_and_texts_are_checked() {
        assert!(job_id(&some("urn:uuid:0b9d3b8e-4a3f-4c4e-9a51-6f5a0d3c2e11")).is_err());
        assert!(job_id(&some("0b9d3b8e-4a3f-4c4e-9a51-6f5a0d3c2e11")).is_ok());
        assert!(job_type(&some("has space")).is_err());
        assert_eq!(
            job_type(&some("email.send")).unwrap().as_deref(),
            Some("email.send")
        );
        assert!(search_text(&some(&"x".repeat(201))).is_err());
        assert!(cursor(&some(&"c".repeat(513))).is_err());
    }
}
