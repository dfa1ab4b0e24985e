//! Puts jobs through their lifecycle the way the pipeline does, through the real stores'
//! write methods: the job store's transitions, one event per state change in the event store,
//! and the same events applied to the statistics.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use odto_contracts::{EventEnvelope, EventType, Job, JobType, Producer};
use odto_store::dead_letters::{DeadLetter, DeadLetterStore};
use odto_store::events::EventStore;
use odto_store::jobs::{AttemptOutcome, Begin, JobRecord, JobStore, Next};
use odto_store::stats::StatsStore;
use serde_json::Value;
use uuid::Uuid;

use crate::harness::TestReadModel;

pub const WORKER: &str = "test-worker-1";

/// A PENDING job of `job_type` created at `created_at`, with `payload` (an object).
pub fn job(job_type: &str, payload: Value, created_at: DateTime<Utc>) -> Job {
    let mut job = Job::new(
        Uuid::now_v7(),
        JobType::parse(job_type).unwrap(),
        created_at,
    );
    job.payload = payload.as_object().cloned();
    job
}

/// `base` plus `seconds`.
pub fn at(base: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    base + TimeDelta::seconds(seconds)
}

pub fn correlation_id(job: &Job) -> String {
    format!("corr-{}", job.id.simple())
}

fn envelope(event_type: EventType, job: &Job, occurred_at: DateTime<Utc>) -> EventEnvelope {
    let producer = Producer::new("processor", WORKER, "0.0.0-test");
    let key = format!("{}:{}", job.id, job.revision.unwrap_or(0));
    EventEnvelope::new(
        event_type,
        job.clone(),
        producer,
        correlation_id(job),
        key,
        occurred_at,
    )
}

impl TestReadModel {
    /// Stores events and applies them to the statistics, as the metrics engine does.
    pub async fn record(&self, events: &[EventEnvelope]) {
        self.postgres.append(events).await.expect("events stored");
        self.stats.apply(events).await.expect("statistics applied");
    }

    /// Records `job` as created (PENDING); returns its `job.created` event.
    pub async fn create(&self, job: &Job) -> EventEnvelope {
        let new = self
            .postgres
            .record_created(job, &correlation_id(job))
            .await
            .expect("job recorded");
        assert!(new, "job {} recorded twice", job.id);
        let event = envelope(EventType::JobCreated, job, job.created_at);
        self.record(std::slice::from_ref(&event)).await;
        event
    }

    /// Starts an attempt of `job` at `now`; returns the EXECUTING record and its event.
    pub async fn start(&self, job: &Job, now: DateTime<Utc>) -> (JobRecord, EventEnvelope) {
        let lease = Duration::from_secs(60);
        let begun = self
            .postgres
            .begin_attempt(job, &correlation_id(job), WORKER, lease, now)
            .await
            .expect("attempt begun");
        let Begin::Started(record) = begun else {
            panic!("attempt of {} not started: {begun:?}", job.id);
        };
        let event = envelope(EventType::JobStarted, &record.job, now);
        self.record(std::slice::from_ref(&event)).await;
        (record, event)
    }

    /// Ends the running attempt of `record` at `now`: completed, or failed for good with
    /// `error`. Returns the final event.
    pub async fn finish(
        &self,
        record: &JobRecord,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> EventEnvelope {
        let (outcome, next, event_type) = match error {
            None => (
                AttemptOutcome::Completed,
                Next::Complete,
                EventType::JobCompleted,
            ),
            Some(error) => {
                let next = Next::Fail {
                    error: error.into(),
                };
                (AttemptOutcome::Failed, next, EventType::JobFailed)
            }
        };
        let attempt = record.job.attempts.expect("a started job counts attempts");
        let finished = self
            .postgres
            .finish_attempt(record.job.id, attempt, outcome, next, now)
            .await
            .expect("attempt finished")
            .expect("the attempt was running");
        let event = envelope(event_type, &finished.job, now);
        self.record(std::slice::from_ref(&event)).await;
        event
    }

    /// Creates `job`, runs one attempt a second after its creation and ends it (see
    /// [`Self::finish`]); returns its three events, oldest first.
    pub async fn run(&self, job: &Job, error: Option<&str>) -> Vec<EventEnvelope> {
        let created = self.create(job).await;
        let (record, started) = self.start(job, at(job.created_at, 1)).await;
        let finished = self.finish(&record, error, at(job.created_at, 2)).await;
        vec![created, started, finished]
    }

    /// Stores a dead letter received at `received_at`.
    pub async fn dead_letter(&self, reason: &str, received_at: DateTime<Utc>) -> DeadLetter {
        let letter = DeadLetter {
            id: Uuid::now_v7(),
            received_at,
            source: "jobs.created".into(),
            reason: reason.into(),
            body: format!("{{\"unparseable\": \"{reason}\"}}"),
            job_id: None,
            retried_at: None,
        };
        assert!(
            self.postgres
                .add(&letter)
                .await
                .expect("dead letter stored")
        );
        letter
    }
}
