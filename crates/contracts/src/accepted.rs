//! The `JobAccepted` contract (`contracts/schemas/job-accepted.json`): the gateway's 202 body.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::wire::canonical_uuid;

/// The job is durably queued as `job_id`, announced by the event `event_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobAccepted {
    #[serde(deserialize_with = "canonical_uuid")]
    pub job_id: Uuid,
    #[serde(deserialize_with = "canonical_uuid")]
    pub event_id: Uuid,
}
