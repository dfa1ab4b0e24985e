//! Turning a `POST /jobs` body into a [`Job`].
//!
//! Two forms are accepted. The **full** form is a reference-style Job body (it carries `id`,
//! `status` or `createdAt`) and is checked against `job.json`. The **short** form names only the
//! work (`type`, optional `payload`, `metadata`, `idempotencyKey`, `maxAttempts`, `priority`,
//! `delayMs`) and is checked against `job-submission.json`; the server fills in the rest.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::job::{Job, JobStatus, JobType};
use crate::schema::Schema;
use crate::violation::Violation;
use crate::wire::optional_integer;

/// Which form of `POST /jobs` body a [`Submission`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmissionForm {
    Full,
    Short,
}

/// A validated job submission, ready to be enqueued.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    pub job: Job,
    pub form: SubmissionForm,
    /// The body's `idempotencyKey`, if any; the gateway also honours the `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

/// Fields whose presence marks a full Job body: the short form never has them.
const FULL_FORM_MARKERS: [&str; 3] = ["id", "status", "createdAt"];
const IDEMPOTENCY_KEY: &str = "idempotencyKey";
const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// Validates a `POST /jobs` body and builds the job it asks for.
///
/// Full form: the job keeps the client's `id` (written back lower-case), `type`, `createdAt`
/// (converted to UTC, same instant), `updatedAt`, `payload`, `metadata`, the 2.0.0 fields and
/// every unknown field, but its `status` becomes PENDING whatever was sent: a job the gateway has
/// just accepted has not been validated or run yet. A string `idempotencyKey` field is moved out
/// of the extra fields into [`Submission::idempotency_key`] and must be 1 to 255 characters; a
/// non-string one stays an ordinary extra field, as 1.0.0 allowed.
///
/// Short form: the job gets `new_id()`, status PENDING, `createdAt = now` and, when `delayMs` is
/// positive, `runAt = now + delayMs`.
///
/// Errors list every violation found, each located by a JSON pointer into `body`.
pub fn parse_submission(
    body: &Value,
    now: DateTime<Utc>,
    new_id: impl FnOnce() -> Uuid,
) -> Result<Submission, Vec<Violation>> {
    let Some(object) = body.as_object() else {
        return Err(vec![Violation::new(
            "",
            "the request body must be a JSON object",
        )]);
    };
    if FULL_FORM_MARKERS
        .iter()
        .any(|marker| object.contains_key(*marker))
    {
        parse_full(body, object)
    } else {
        parse_short(body, now, new_id)
    }
}

fn parse_full(body: &Value, object: &Map<String, Value>) -> Result<Submission, Vec<Violation>> {
    let mut violations = Schema::Job.validate(body).err().unwrap_or_default();
    violations.extend(check_idempotency_key(object));
    if !violations.is_empty() {
        return Err(violations);
    }
    let mut job = Job::deserialize(body).map_err(unreadable)?;
    job.status = JobStatus::Pending;
    let idempotency_key = take_idempotency_key(&mut job.extra);
    Ok(Submission {
        job,
        form: SubmissionForm::Full,
        idempotency_key,
    })
}

fn check_idempotency_key(object: &Map<String, Value>) -> Option<Violation> {
    let key = object.get(IDEMPOTENCY_KEY)?.as_str()?;
    let chars = key.chars().count();
    (chars == 0 || chars > MAX_IDEMPOTENCY_KEY_CHARS)
        .then(|| Violation::new("/idempotencyKey", "must be 1 to 255 characters"))
}

/// Moves a string `idempotencyKey` out of the extra fields; any other value stays where it is.
fn take_idempotency_key(extra: &mut Map<String, Value>) -> Option<String> {
    if !extra.get(IDEMPOTENCY_KEY)?.is_string() {
        return None;
    }
    match extra.remove(IDEMPOTENCY_KEY) {
        Some(Value::String(key)) => Some(key),
        _ => None,
    }
}

/// The short form as `job-submission.json` describes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShortForm {
    #[serde(rename = "type")]
    job_type: JobType,
    payload: Option<Map<String, Value>>,
    metadata: Option<Map<String, Value>>,
    idempotency_key: Option<String>,
    #[serde(default, deserialize_with = "optional_integer")]
    max_attempts: Option<u32>,
    #[serde(default, deserialize_with = "optional_integer")]
    priority: Option<u8>,
    #[serde(default, deserialize_with = "optional_integer")]
    delay_ms: Option<u64>,
}

fn parse_short(
    body: &Value,
    now: DateTime<Utc>,
    new_id: impl FnOnce() -> Uuid,
) -> Result<Submission, Vec<Violation>> {
    Schema::JobSubmission.validate(body)?;
    let short = ShortForm::deserialize(body).map_err(unreadable)?;
    let run_at = match short.delay_ms {
        Some(delay) if delay > 0 => Some(after(now, delay)?),
        _ => None,
    };
    let job = Job {
        payload: short.payload,
        metadata: short.metadata,
        max_attempts: short.max_attempts,
        priority: short.priority,
        run_at,
        ..Job::new(new_id(), short.job_type, now)
    };
    Ok(Submission {
        job,
        form: SubmissionForm::Short,
        idempotency_key: short.idempotency_key,
    })
}

fn after(now: DateTime<Utc>, delay_ms: u64) -> Result<DateTime<Utc>, Vec<Violation>> {
    i64::try_from(delay_ms)
        .ok()
        .and_then(TimeDelta::try_milliseconds)
        .and_then(|delay| now.checked_add_signed(delay))
        .ok_or_else(|| {
            vec![Violation::new(
                "/delayMs",
                "puts the start time out of range",
            )]
        })
}

/// A body the schema accepted but serde could not read: a gap between the two, reported rather
/// than turned into a server error.
fn unreadable(error: serde_json::Error) -> Vec<Violation> {
    vec![Violation::new("", format!("could not be read: {error}"))]
}
