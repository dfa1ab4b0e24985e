//! Envelopes written by Rust code satisfy the schema; old and unusual ones are still read.

use chrono::{DateTime, Utc};
use odto_contracts::{
    CONTRACT_VERSION, EventEnvelope, EventType, Job, JobStatus, JobType, Producer, Schema,
};
use uuid::Uuid;

fn sample_job() -> Job {
    let created = "2024-05-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let mut job = Job::new(
        Uuid::now_v7(),
        JobType::parse("email.send").unwrap(),
        created,
    );
    job.max_attempts = Some(3);
    job.payload = Some(
        serde_json::json!({"to": "ops@example.com"})
            .as_object()
            .unwrap()
            .clone(),
    );
    job
}

#[test]
fn an_envelope_built_in_rust_validates_and_carries_a_valid_job() {
    let producer = Producer::new("processor", "processor-1", "0.1.0");
    let job = sample_job();
    let key = format!("{}:started", job.id);
    let envelope = EventEnvelope::new(
        EventType::JobStarted,
        job,
        producer,
        "req-7",
        key,
        Utc::now(),
    );

    let written = serde_json::to_value(&envelope).unwrap();

    assert_eq!(Schema::EventEnvelope.validate(&written), Ok(()));
    assert_eq!(Schema::Job.validate(&written["payload"]), Ok(()));
    assert_eq!(written["contractVersion"], CONTRACT_VERSION);
    assert_eq!(written["eventType"], "job.started");
}

#[test]
fn every_event_type_and_job_status_written_by_rust_is_accepted_by_the_schemas() {
    for (event_type, status) in EventType::ALL
        .into_iter()
        .zip(JobStatus::ALL.into_iter().cycle())
    {
        let job = Job {
            status,
            ..sample_job()
        };
        let producer = Producer::new("gateway", "g-1", "0.1.0");
        let envelope = EventEnvelope::new(event_type, job, producer, "c", "k", Utc::now());
        let written = serde_json::to_value(&envelope).unwrap();
        assert_eq!(
            Schema::EventEnvelope.validate(&written),
            Ok(()),
            "{event_type}"
        );
        assert_eq!(
            Schema::Job.validate(&written["payload"]),
            Ok(()),
            "{status}"
        );
    }
}

#[test]
fn a_1_0_0_envelope_with_a_non_uuid_correlation_id_is_read_as_sent() {
    let mut old = crate::read_json(&crate::fixture_path(
        "golden/event-envelope/contract-version-1.json",
    ));
    old["correlationId"] = "not-a-uuid".into();

    let envelope: EventEnvelope = serde_json::from_value(old.clone()).unwrap();

    assert_eq!(Schema::EventEnvelope.validate(&old), Ok(()));
    assert_eq!(envelope.contract_version, "1.0.0");
    assert_eq!(envelope.correlation_id, "not-a-uuid");
    assert_eq!(envelope.payload.status, JobStatus::Completed);
}
