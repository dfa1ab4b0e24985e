//! Processing one message of the intake queue: the "do one unit" function of the processor.
//!
//! For each `job.created` message: start the job's next attempt in the job store (which refuses
//! a finished job, a job another processor holds, or one not due yet), publish `job.started`, run
//! the handler under a timeout, record the attempt's end and the job's next state, publish the
//! matching event, and only then let the consumer acknowledge. Every step is idempotent, so a
//! redelivery or a duplicate message never runs a finished job again.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use odto_bus::{JobBus, Message, MessageHandler, Outcome};
use odto_contracts::{EventEnvelope, EventType, Producer, Schema};
use odto_store::jobs::{AttemptOutcome, Begin, JobRecord, JobStore, Next};
use tracing::{Instrument, info_span, warn};

use crate::error::Interrupted;
use crate::handlers::{JobFailure, Registry};
use crate::metrics::ProcessorMetrics;
use crate::retry::Backoff;

/// Pause before a message goes back to its queue while a backend is down.
const BACKEND_PAUSE: Duration = Duration::from_secs(1);

/// Settings of a worker.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Identifies this processor in attempts and event producers.
    pub instance_id: String,
    pub job_timeout: Duration,
    /// Extra lease beyond the job timeout, so that a slow but alive processor is not taken over.
    pub lease_margin: Duration,
    pub backoff: Backoff,
}

/// Runs jobs; shared by all concurrent deliveries of one processor.
pub struct Worker {
    bus: Arc<dyn JobBus>,
    jobs: Arc<dyn JobStore>,
    handlers: Registry,
    settings: WorkerSettings,
    producer: Producer,
    metrics: ProcessorMetrics,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl MessageHandler for Worker {
    async fn handle(&self, message: Message) -> Outcome {
        self.process(&message.body).await
    }
}

impl Worker {
    pub fn new(
        bus: Arc<dyn JobBus>,
        jobs: Arc<dyn JobStore>,
        handlers: Registry,
        settings: WorkerSettings,
        metrics: ProcessorMetrics,
    ) -> Self {
        let producer = Producer::new(
            "processor",
            settings.instance_id.clone(),
            env!("CARGO_PKG_VERSION"),
        );
        Self {
            bus,
            jobs,
            handlers,
            settings,
            producer,
            metrics,
        }
    }

    /// Processes one message body and says what to do with the message.
    pub async fn process(&self, body: &[u8]) -> Outcome {
        let created = match parse(body) {
            Ok(created) => created,
            Err(reason) => {
                self.metrics.record("dead_lettered_invalid");
                return Outcome::DeadLetter { reason };
            }
        };
        let span = info_span!("job", job_id = %created.payload.id, correlation_id = %created.correlation_id);
        match self.run(&created).instrument(span).await {
            Ok(outcome) => outcome,
            Err(error) => {
                warn!(%error, job_id = %created.payload.id, "backend unavailable; the job will be redelivered");
                self.metrics.record("interrupted");
                Outcome::Requeue {
                    after: BACKEND_PAUSE,
                }
            }
        }
    }

    async fn run(&self, created: &EventEnvelope) -> Result<Outcome, Interrupted> {
        let now = Utc::now();
        let lease = self.settings.job_timeout + self.settings.lease_margin;
        let job = &created.payload;
        let begin = self
            .jobs
            .begin_attempt(
                job,
                &created.correlation_id,
                &self.settings.instance_id,
                lease,
                now,
            )
            .await?;
        match begin {
            Begin::Finished(_) => {
                self.metrics.record("duplicate");
                Ok(Outcome::Ack)
            }
            // A copy of a job that is running (a duplicate delivery) looks again soon: once
            // that run ends it is acknowledged, and if that run's processor died, the job is
            // taken over when the lease ends.
            Begin::Running(record) => Ok(Outcome::Retry {
                after: until(record.lease_until, now).min(RUNNING_RECHECK),
            }),
            Begin::NotYet(record) => {
                self.bus.publish_event(created).await?;
                Ok(Outcome::Retry {
                    after: until(record.job.run_at, now),
                })
            }
            Begin::Started(record) => self.attempt(created, record).await,
        }
    }

    /// Runs the started attempt and records how it ended. `job.started` is published while the
    /// handler runs (both must finish before the attempt's end is recorded), which saves a
    /// broker round trip per job.
    async fn attempt(
        &self,
        created: &EventEnvelope,
        record: JobRecord,
    ) -> Result<Outcome, Interrupted> {
        let started = self.event(EventType::JobStarted, &record, created);
        if record.job.attempts == Some(1) {
            self.metrics
                .observe_queue_wait(record.job.created_at, Utc::now());
        }
        let attempt = record.job.attempts.unwrap_or(1);
        let (announced, (outcome, next)) =
            tokio::join!(self.bus.publish_event(&started), self.execute(&record));
        announced?;
        let finished = self
            .jobs
            .finish_attempt(record.job.id, attempt, outcome, next.clone(), Utc::now())
            .await?;
        let Some(finished) = finished else {
            // Our lease was taken over: the other attempt owns the job now.
            self.metrics.record("superseded");
            return Ok(Outcome::Ack);
        };
        let event_type = match next {
            Next::Complete => EventType::JobCompleted,
            Next::Retry { .. } => EventType::JobAttemptFailed,
            Next::Fail { .. } => EventType::JobFailed,
        };
        self.bus
            .publish_event(&self.event(event_type, &finished, created))
            .await?;
        Ok(self.settle(next, &finished))
    }

    /// Runs the handler under the job timeout and decides the job's next state.
    async fn execute(&self, record: &JobRecord) -> (AttemptOutcome, Next) {
        let job = &record.job;
        let handler = self.handlers.handler_for(job.job_type.as_str());
        let clock = std::time::Instant::now();
        let result = tokio::time::timeout(self.settings.job_timeout, handler.run(job)).await;
        self.metrics.observe_duration(clock.elapsed());
        let (outcome, error) = match result {
            Ok(Ok(())) => return (AttemptOutcome::Completed, Next::Complete),
            Ok(Err(JobFailure(error))) => (AttemptOutcome::Failed, error),
            Err(_) => {
                let error = format!("timed out after {:?}", self.settings.job_timeout);
                (AttemptOutcome::TimedOut, error)
            }
        };
        if record.run_attempts < record.max_attempts {
            let run_at = Utc::now() + self.settings.backoff.delay(record.run_attempts);
            (outcome, Next::Retry { error, run_at })
        } else {
            (outcome, Next::Fail { error })
        }
    }

    fn settle(&self, next: Next, finished: &JobRecord) -> Outcome {
        match next {
            Next::Complete => {
                self.metrics.record("completed");
                self.metrics
                    .observe_completion(finished.job.created_at, Utc::now());
                Outcome::Ack
            }
            Next::Retry { run_at, .. } => {
                self.metrics.record("retried");
                Outcome::Retry {
                    after: until(Some(run_at), Utc::now()),
                }
            }
            Next::Fail { error } => {
                self.metrics.record("failed");
                let attempts = finished.job.attempts.unwrap_or(0);
                Outcome::DeadLetter {
                    reason: format!("failed after {attempts} attempt(s): {error}"),
                }
            }
        }
    }

    /// The event for a state change: the job as the store now holds it, at the change's time.
    fn event(
        &self,
        event_type: EventType,
        record: &JobRecord,
        cause: &EventEnvelope,
    ) -> EventEnvelope {
        let producer = self.producer.clone();
        EventEnvelope::state_change(
            event_type,
            record.job.clone(),
            producer,
            cause.correlation_id.clone(),
        )
    }
}

/// Reads a `job.created` (or manually `job.retried`) envelope; anything else is refused with the
/// reason, for the dead-letter queue.
fn parse(body: &[u8]) -> Result<EventEnvelope, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    if let Err(violations) = Schema::EventEnvelope.validate(&value) {
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        return Err(format!("not a valid event envelope: {}", list.join("; ")));
    }
    let envelope: EventEnvelope = serde_json::from_value(value)
        .map_err(|e| format!("the payload is not a valid Job: {e}"))?;
    match envelope.event_type {
        EventType::JobCreated | EventType::JobRetried => Ok(envelope),
        other => Err(format!("{other} does not belong on the intake queue")),
    }
}

/// How long until `at` (at least a moment, so a retry never spins).
/// Longest wait before a copy of a running job is looked at again.
const RUNNING_RECHECK: Duration = Duration::from_secs(2);

fn until(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Duration {
    let wait = at.map_or(chrono::Duration::zero(), |at| at - now);
    wait.to_std()
        .unwrap_or_default()
        .max(Duration::from_millis(100))
}
