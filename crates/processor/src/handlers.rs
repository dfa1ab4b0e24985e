//! Handlers do the work of a job, chosen by its type. [`Handler`] is the public extension point:
//! register your own with [`Registry::register`]. The built-ins simulate work so the system can be
//! demonstrated: [`SimulatedWork`] (the default for unknown types) and [`CpuWork`] (type `cpu`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use odto_contracts::Job;
use serde_json::Value;

/// Why an attempt failed; the message is recorded with the attempt and shown to people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JobFailure(pub String);

/// The work behind one job type. Runs may overlap and may repeat for the same job (at-least-once
/// delivery, retries), so real work should be idempotent.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn run(&self, job: &Job) -> Result<(), JobFailure>;
}

/// Handlers by job type, with a fallback for types nobody registered.
#[derive(Clone)]
pub struct Registry {
    by_type: HashMap<String, Arc<dyn Handler>>,
    fallback: Arc<dyn Handler>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("types", &self.by_type.keys())
            .finish_non_exhaustive()
    }
}

impl Registry {
    pub fn new(fallback: Arc<dyn Handler>) -> Self {
        Self {
            by_type: HashMap::new(),
            fallback,
        }
    }

    /// The built-ins: [`SimulatedWork`] for every type, [`CpuWork`] for type `cpu`.
    pub fn with_builtins(default_duration: Duration) -> Self {
        let mut registry = Self::new(Arc::new(SimulatedWork { default_duration }));
        registry.register("cpu", Arc::new(CpuWork));
        registry
    }

    pub fn register(
        &mut self,
        job_type: impl Into<String>,
        handler: Arc<dyn Handler>,
    ) -> &mut Self {
        self.by_type.insert(job_type.into(), handler);
        self
    }

    pub fn handler_for(&self, job_type: &str) -> &Arc<dyn Handler> {
        self.by_type.get(job_type).unwrap_or(&self.fallback)
    }
}

fn payload_field<'a>(job: &'a Job, name: &str) -> Option<&'a Value> {
    job.payload.as_ref().and_then(|payload| payload.get(name))
}

/// Waits `payload.durationMs` (or the configured default), then fails if the payload says so:
/// `fail: true` fails every attempt, `failProbability` (0.0–1.0) fails each attempt at random.
#[derive(Debug, Clone, Copy)]
pub struct SimulatedWork {
    pub default_duration: Duration,
}

/// Longest simulated duration honoured (a typo must not park a worker for a week).
const MAX_SIMULATED: Duration = Duration::from_secs(3_600);

#[async_trait]
impl Handler for SimulatedWork {
    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let duration = payload_field(job, "durationMs")
            .and_then(Value::as_f64)
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map_or(self.default_duration, |ms| {
                Duration::from_secs_f64(ms / 1_000.0)
            });
        if !duration.is_zero() {
            tokio::time::sleep(duration.min(MAX_SIMULATED)).await;
        }
        if payload_field(job, "fail").and_then(Value::as_bool) == Some(true) {
            return Err(JobFailure(
                "the payload asks every attempt to fail (fail: true)".into(),
            ));
        }
        let probability = payload_field(job, "failProbability").and_then(Value::as_f64);
        match probability {
            Some(p) if rand::random::<f64>() < p => Err(JobFailure(format!(
                "simulated failure (failProbability {p})"
            ))),
            _ => Ok(()),
        }
    }
}

/// CPU-bound work off the async threads: `payload.iterations` rounds (default 1,000,000) of an
/// integer hash; `fail: true` fails like [`SimulatedWork`].
#[derive(Debug, Clone, Copy)]
pub struct CpuWork;

#[async_trait]
impl Handler for CpuWork {
    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let iterations = payload_field(job, "iterations")
            .and_then(Value::as_u64)
            .unwrap_or(1_000_000);
        let digest = tokio::task::spawn_blocking(move || spin(iterations.min(1_000_000_000)))
            .await
            .map_err(|e| JobFailure(format!("the CPU task stopped: {e}")))?;
        std::hint::black_box(digest);
        if payload_field(job, "fail").and_then(Value::as_bool) == Some(true) {
            return Err(JobFailure(
                "the payload asks every attempt to fail (fail: true)".into(),
            ));
        }
        Ok(())
    }
}

fn spin(iterations: u64) -> u64 {
    (0..iterations).fold(0xcbf2_9ce4_8422_2325_u64, |hash, i| {
        (hash ^ i).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use odto_contracts::JobType;
    use serde_json::json;

    fn job(job_type: &str, payload: Value) -> Job {
        let mut job = Job::new(
            uuid::Uuid::now_v7(),
            JobType::parse(job_type).unwrap(),
            Utc::now(),
        );
        job.payload = payload.as_object().cloned();
        job
    }

    #[tokio::test]
    async fn simulated_work_fails_only_when_the_payload_says_so() {
        let work = SimulatedWork {
            default_duration: Duration::ZERO,
        };

        assert!(work.run(&job("t", json!({}))).await.is_ok());
        assert!(work.run(&job("t", json!({"fail": true}))).await.is_err());
        assert!(
            work.run(&job("t", json!({"failProbability": 1.0})))
                .await
                .is_err()
        );
        assert!(
            work.run(&job("t", json!({"failProbability": 0.0})))
                .await
                .is_ok()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn simulated_work_takes_the_payload_duration() {
        let work = SimulatedWork {
            default_duration: Duration::from_secs(9),
        };
        let started = tokio::time::Instant::now();

        work.run(&job("t", json!({"durationMs": 1500})))
            .await
            .unwrap();

        assert_eq!(started.elapsed(), Duration::from_millis(1500));
    }

    #[test]
    fn unknown_types_use_the_fallback_and_cpu_has_its_own_handler() {
        let registry = Registry::with_builtins(Duration::ZERO);
        let cpu = registry.handler_for("cpu");
        let other = registry.handler_for("anything.else");

        assert!(!Arc::ptr_eq(cpu, other));
        assert!(Arc::ptr_eq(other, registry.handler_for("yet.another")));
    }

    #[tokio::test]
    async fn cpu_work_runs_off_the_async_threads() {
        assert!(
            CpuWork
                .run(&job("cpu", json!({"iterations": 1000})))
                .await
                .is_ok()
        );
        assert!(
            CpuWork
                .run(&job("cpu", json!({"iterations": 10, "fail": true})))
                .await
                .is_err()
        );
    }
}
