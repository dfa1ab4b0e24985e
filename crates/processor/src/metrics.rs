//! The processor's metrics: outcomes, attempt durations, queue wait, completion latency.

use std::time::Duration;

use chrono::{DateTime, Utc};
use odto_http::ServiceMetrics;
use prometheus::{Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts};

/// Outcome labels, a closed set.
const OUTCOMES: [&str; 7] = [
    "completed",
    "retried",
    "failed",
    "duplicate",
    "superseded",
    "dead_lettered_invalid",
    "interrupted",
];

#[derive(Clone)]
pub struct ProcessorMetrics {
    pub service: ServiceMetrics,
    outcomes: IntCounterVec,
    duration: Histogram,
    queue_wait: Histogram,
    completion: Histogram,
    pub broker_up: IntGauge,
    pub store_up: IntGauge,
}

impl std::fmt::Debug for ProcessorMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessorMetrics").finish_non_exhaustive()
    }
}

fn seconds_buckets() -> Vec<f64> {
    vec![
        0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
    ]
}

impl ProcessorMetrics {
    pub fn new() -> Self {
        let service = ServiceMetrics::new("processor");
        let outcomes = IntCounterVec::new(
            Opts::new(
                "jobs_total",
                "Messages of the intake queue handled, by outcome.",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let duration = Histogram::with_opts(
            HistogramOpts::new("job_duration_seconds", "Time a handler ran, per attempt.")
                .buckets(seconds_buckets()),
        )
        .expect("valid metric");
        let queue_wait = Histogram::with_opts(
            HistogramOpts::new(
                "queue_wait_seconds",
                "From a job's creation to its first attempt.",
            )
            .buckets(seconds_buckets()),
        )
        .expect("valid metric");
        let completion = Histogram::with_opts(
            HistogramOpts::new(
                "job_completion_seconds",
                "From a job's creation to its completion: the completion-latency SLO's measure.",
            )
            .buckets(seconds_buckets()),
        )
        .expect("valid metric");
        let broker_up = IntGauge::new("broker_up", "1 while the message broker is connected.")
            .expect("valid metric");
        let store_up =
            IntGauge::new("store_up", "1 while the job store answers.").expect("valid metric");
        let registry = service.registry();
        registry
            .register(Box::new(outcomes.clone()))
            .expect("registered once");
        registry
            .register(Box::new(duration.clone()))
            .expect("registered once");
        registry
            .register(Box::new(queue_wait.clone()))
            .expect("registered once");
        registry
            .register(Box::new(completion.clone()))
            .expect("registered once");
        registry
            .register(Box::new(broker_up.clone()))
            .expect("registered once");
        registry
            .register(Box::new(store_up.clone()))
            .expect("registered once");
        for outcome in OUTCOMES {
            outcomes.with_label_values(&[outcome]); // export zeros from the start
        }
        Self {
            service,
            outcomes,
            duration,
            queue_wait,
            completion,
            broker_up,
            store_up,
        }
    }

    pub fn record(&self, outcome: &'static str) {
        debug_assert!(OUTCOMES.contains(&outcome));
        self.outcomes.with_label_values(&[outcome]).inc();
    }

    pub fn observe_duration(&self, duration: Duration) {
        self.duration.observe(duration.as_secs_f64());
    }

    pub fn observe_queue_wait(&self, created_at: DateTime<Utc>, started_at: DateTime<Utc>) {
        let wait = (started_at - created_at).to_std().unwrap_or_default();
        self.queue_wait.observe(wait.as_secs_f64());
    }
}

impl ProcessorMetrics {
    pub fn observe_completion(&self, created_at: DateTime<Utc>, completed_at: DateTime<Utc>) {
        let latency = (completed_at - created_at).to_std().unwrap_or_default();
        self.completion.observe(latency.as_secs_f64());
    }
}

impl Default for ProcessorMetrics {
    fn default() -> Self {
        Self::new()
    }
}
