//! `parse_submission`: both forms of a `POST /jobs` body.

use chrono::{DateTime, TimeDelta, Utc};
use odto_contracts::{JobStatus, Schema, SubmissionForm, Violation, parse_submission};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{expectations, fixtures_in, paths};

const SERVER_ID: &str = "0190b3a2-0000-7000-8000-000000000001";

fn now() -> DateTime<Utc> {
    "2024-06-01T09:00:00Z".parse().unwrap()
}

fn server_id() -> Uuid {
    SERVER_ID.parse().unwrap()
}

fn refused(body: Value) -> Vec<Violation> {
    parse_submission(&body, now(), server_id).expect_err("the body must be refused")
}

#[test]
fn the_short_form_gets_a_server_id_pending_status_and_the_current_time() {
    let body = json!({"type": "report.build", "payload": {"m": 4}, "metadata": {"by": "ops"}, "maxAttempts": 3, "priority": 9});

    let submission = parse_submission(&body, now(), server_id).unwrap();

    let job = &submission.job;
    assert_eq!(submission.form, SubmissionForm::Short);
    assert_eq!(
        (job.id, job.status, job.created_at),
        (server_id(), JobStatus::Pending, now())
    );
    assert_eq!(job.job_type.as_str(), "report.build");
    assert_eq!(
        (job.max_attempts, job.priority, job.run_at),
        (Some(3), Some(9), None)
    );
    assert_eq!(job.payload.as_ref().unwrap()["m"], 4);
    assert_eq!(job.metadata.as_ref().unwrap()["by"], "ops");
}

#[test]
fn a_positive_delay_sets_run_at_and_a_zero_delay_does_not() {
    let delayed =
        parse_submission(&json!({"type": "t", "delayMs": 1500}), now(), server_id).unwrap();
    let immediate =
        parse_submission(&json!({"type": "t", "delayMs": 0}), now(), server_id).unwrap();

    assert_eq!(
        delayed.job.run_at,
        Some(now() + TimeDelta::milliseconds(1500))
    );
    assert_eq!(immediate.job.run_at, None);
}

#[test]
fn the_short_form_idempotency_key_is_returned_beside_the_job() {
    let submission = parse_submission(
        &json!({"type": "t", "idempotencyKey": "abc"}),
        now(),
        server_id,
    )
    .unwrap();

    assert_eq!(submission.idempotency_key.as_deref(), Some("abc"));
    assert!(submission.job.extra.is_empty());
}

#[test]
fn the_full_form_keeps_the_clients_fields_but_becomes_pending() {
    let body = json!({
        "id": "3F6C2A1E-8B4D-4C2A-9E1F-7A6B5C4D3E2F", "type": "email.send", "status": "EXECUTING",
        "createdAt": "2024-05-01T14:00:00+02:00", "updatedAt": "2024-05-01T14:00:01+02:00",
        "payload": {"to": "x"}, "source": "cli"
    });

    let submission =
        parse_submission(&body, now(), || panic!("the full form keeps its own id")).unwrap();

    let job = &submission.job;
    assert_eq!(submission.form, SubmissionForm::Full);
    assert_eq!(job.id.to_string(), "3f6c2a1e-8b4d-4c2a-9e1f-7a6b5c4d3e2f");
    assert_eq!(job.status, JobStatus::Pending);
    assert_eq!(
        job.created_at,
        "2024-05-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(
        job.updated_at,
        Some("2024-05-01T12:00:01Z".parse().unwrap())
    );
    assert_eq!(job.extra["source"], "cli");
}

#[test]
fn a_full_form_idempotency_key_moves_out_of_the_extra_fields() {
    let mut body = crate::read_json(&crate::fixture_path("golden/job/minimal.json"));
    body["idempotencyKey"] = "order-17".into();

    let submission = parse_submission(&body, now(), server_id).unwrap();

    assert_eq!(submission.idempotency_key.as_deref(), Some("order-17"));
    assert!(!submission.job.extra.contains_key("idempotencyKey"));
}

#[test]
fn a_full_form_idempotency_key_that_is_empty_or_too_long_is_refused_at_its_pointer() {
    for key in [String::new(), "k".repeat(256)] {
        let mut body = crate::read_json(&crate::fixture_path("golden/job/minimal.json"));
        body["idempotencyKey"] = key.into();
        assert_eq!(paths(&refused(body)), ["/idempotencyKey"]);
    }
}

#[test]
fn a_full_form_idempotency_key_that_is_not_a_string_stays_an_extra_field() {
    let mut body = crate::read_json(&crate::fixture_path("golden/job/minimal.json"));
    body["idempotencyKey"] = 42.into();

    let submission = parse_submission(&body, now(), server_id).unwrap();

    assert_eq!(submission.idempotency_key, None);
    assert_eq!(submission.job.extra["idempotencyKey"], 42);
}

#[test]
fn a_body_that_is_not_an_object_is_refused_at_the_root() {
    for body in [json!([]), json!("job"), json!(null), json!(3)] {
        assert_eq!(paths(&refused(body)), [""]);
    }
}

#[test]
fn every_violation_in_a_body_is_reported_with_a_readable_message() {
    let violations = refused(json!({"type": "bad type!", "priority": 12, "colour": "red"}));

    let message_at = |path: &str| &violations.iter().find(|v| v.path == path).unwrap().message;
    assert!(
        message_at("/type").contains("^[A-Za-z0-9_.:-]{1,64}$"),
        "{violations:?}"
    );
    assert!(message_at("/priority").contains('9'), "{violations:?}");
    assert!(
        message_at("/colour").contains("not a known property"),
        "{violations:?}"
    );
}

#[test]
fn a_missing_field_and_a_malformed_id_get_messages_that_say_so() {
    let violations = refused(
        json!({"id": "urn:uuid:3f6c2a1e-8b4d-4c2a-9e1f-7a6b5c4d3e2f", "type": "t", "status": "PENDING"}),
    );

    let message_at = |path: &str| &violations.iter().find(|v| v.path == path).unwrap().message;
    assert!(
        message_at("/createdAt").contains("required"),
        "{violations:?}"
    );
    assert!(message_at("/id").contains("UUID"), "{violations:?}");
}

#[test]
fn every_golden_job_is_accepted_as_a_full_submission_and_stays_valid() {
    for (name, golden) in fixtures_in("golden/job") {
        let submission =
            parse_submission(&golden, now(), server_id).unwrap_or_else(|v| panic!("{name}: {v:?}"));
        assert_eq!(submission.form, SubmissionForm::Full, "{name}");
        let written = serde_json::to_value(&submission.job).unwrap();
        assert_eq!(Schema::Job.validate(&written), Ok(()), "{name}");
    }
}

#[test]
fn every_negative_job_and_submission_fixture_is_refused_at_its_pointer() {
    for schema in ["job", "job-submission"] {
        for (name, pointer) in expectations(schema) {
            let body = crate::read_json(&crate::fixture_path(&format!("negative/{schema}/{name}")));
            let violations = refused(body);
            assert!(
                violations.iter().any(|v| v.path == pointer),
                "{schema}/{name}: {:?}",
                paths(&violations)
            );
        }
    }
}
