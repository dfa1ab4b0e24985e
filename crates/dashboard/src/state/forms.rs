//! The dashboard's forms: new task, job filter, UI launcher. Each checks its input the way the
//! service that receives it will, so a mistake is shown before anything is sent.

use chrono::Utc;
use odto_contracts::{JobStatus, JobType, parse_submission};
use serde_json::{Map, Value};

use crate::api::JobFilter;

/// A one-line text input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextField {
    pub text: String,
}

impl TextField {
    /// Longest input kept: more than any valid value, less than what could swamp the screen.
    pub const MAX_CHARS: usize = 2_000;

    pub fn push(&mut self, c: char) {
        if !c.is_control() && self.text.chars().count() < Self::MAX_CHARS {
            self.text.push(c);
        }
    }

    pub fn pop(&mut self) {
        self.text.pop();
    }

    pub fn clear(&mut self) {
        self.text.clear();
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NewTaskField {
    #[default]
    JobType,
    Payload,
}

/// Where a new-task submission is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FormStatus {
    #[default]
    Editing,
    /// Refused before sending: one line per problem.
    Invalid(Vec<String>),
    Submitting,
    /// The gateway accepted it as this job id.
    Accepted(String),
    /// The gateway refused it or could not be reached.
    Rejected(String),
}

/// `N`: a job type and an optional JSON payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewTaskForm {
    pub job_type: TextField,
    pub payload: TextField,
    pub focus: NewTaskField,
    pub status: FormStatus,
}

impl NewTaskForm {
    pub fn focused(&mut self) -> &mut TextField {
        match self.focus {
            NewTaskField::JobType => &mut self.job_type,
            NewTaskField::Payload => &mut self.payload,
        }
    }

    pub fn switch_field(&mut self) {
        self.focus = match self.focus {
            NewTaskField::JobType => NewTaskField::Payload,
            NewTaskField::Payload => NewTaskField::JobType,
        };
    }

    /// The short-form `POST /jobs` body, checked with the contracts crate exactly as the
    /// gateway checks it (`parse_submission`).
    pub fn body(&self) -> Result<Value, Vec<String>> {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            Value::String(self.job_type.text.trim().into()),
        );
        let payload = self.payload.text.trim();
        if !payload.is_empty() {
            let value: Value = serde_json::from_str(payload)
                .map_err(|e| vec![format!("payload is not JSON: {e}")])?;
            body.insert("payload".into(), value);
        }
        let body = Value::Object(body);
        match parse_submission(&body, Utc::now(), uuid::Uuid::now_v7) {
            Ok(_) => Ok(body),
            Err(violations) => Err(violations.iter().map(describe).collect()),
        }
    }
}

fn describe(violation: &odto_contracts::Violation) -> String {
    let field = violation.path.trim_start_matches('/');
    match field {
        "" => violation.message.clone(),
        "type" => format!("job type: {}", type_rule()),
        _ => format!("{field}: {}", violation.message),
    }
}

/// The job-type rule in words; the schema's own message quotes a regular expression.
fn type_rule() -> String {
    format!(
        "1 to {} characters of A-Z a-z 0-9 _ . : -",
        JobType::MAX_LEN
    )
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FilterField {
    #[default]
    Status,
    JobType,
}

/// `/` or `F`: which jobs the table lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterForm {
    pub status: Option<JobStatus>,
    pub job_type: TextField,
    pub focus: FilterField,
    pub error: Option<String>,
}

impl FilterForm {
    pub fn from_filter(filter: &JobFilter) -> FilterForm {
        FilterForm {
            status: filter.status,
            job_type: TextField {
                text: filter.job_type.clone().unwrap_or_default(),
            },
            ..FilterForm::default()
        }
    }

    pub fn switch_field(&mut self) {
        self.focus = match self.focus {
            FilterField::Status => FilterField::JobType,
            FilterField::JobType => FilterField::Status,
        };
    }

    /// Steps through "any status" and every status, forwards or backwards.
    pub fn cycle_status(&mut self, forward: bool) {
        let choices: Vec<Option<JobStatus>> = std::iter::once(None)
            .chain(JobStatus::ALL.into_iter().map(Some))
            .collect();
        let at = choices.iter().position(|c| *c == self.status).unwrap_or(0);
        let next = match forward {
            true => (at + 1) % choices.len(),
            false => (at + choices.len() - 1) % choices.len(),
        };
        self.status = choices[next];
    }

    /// The filter, with the type checked against the contract's alphabet (as the read model does).
    pub fn filter(&self) -> Result<JobFilter, String> {
        let text = self.job_type.text.trim();
        let job_type = match text.is_empty() {
            true => None,
            false => Some(
                JobType::parse(text)
                    .map_err(|_| format!("job type: {}", type_rule()))?
                    .as_str()
                    .to_owned(),
            ),
        };
        Ok(JobFilter {
            status: self.status,
            job_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(job_type: &str, payload: &str) -> NewTaskForm {
        NewTaskForm {
            job_type: TextField {
                text: job_type.into(),
            },
            payload: TextField {
                text: payload.into(),
            },
            ..NewTaskForm::default()
        }
    }

    #[test]
    fn a_valid_type_and_payload_make_a_short_form_body() {
        let body = form("email.send", r#"{"durationMs": 5}"#).body().unwrap();
        assert_eq!(
            body,
            serde_json::json!({"type": "email.send", "payload": {"durationMs": 5}})
        );
        assert_eq!(form("report", "").body().unwrap()["type"], "report");
    }

    #[test]
    fn types_the_gateway_refuses_are_refused_here() {
        for bad in ["", "has space", "ünïcode", &"x".repeat(65)] {
            let errors = form(bad, "").body().unwrap_err();
            assert!(errors[0].starts_with("job type:"), "{bad}: {errors:?}");
        }
    }

    #[test]
    fn a_payload_must_be_a_json_object() {
        let not_json = form("t", "{oops").body().unwrap_err();
        assert!(
            not_json[0].starts_with("payload is not JSON"),
            "{not_json:?}"
        );
        let not_object = form("t", "[1]").body().unwrap_err();
        assert!(not_object[0].starts_with("payload:"), "{not_object:?}");
    }

    #[test]
    fn the_filter_cycles_through_every_status_and_checks_the_type() {
        let mut filter = FilterForm::default();
        filter.cycle_status(false);
        assert_eq!(filter.status, Some(JobStatus::Cancelled));
        filter.cycle_status(true);
        assert_eq!(filter.status, None);
        filter.job_type.text = "bad type".into();
        assert!(filter.filter().is_err());
        filter.job_type.text = " email.send ".into();
        assert_eq!(
            filter.filter().unwrap().job_type.as_deref(),
            Some("email.send")
        );
    }
}
