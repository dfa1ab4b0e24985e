//! The metrics engine's metrics, including the live statistics and the conservation check
//! (accepted = pending + validated + executing + completed + failed + cancelled).

use odto_http::ServiceMetrics;
use odto_store::stats::Stats;
use prometheus::{IntCounter, IntGauge, IntGaugeVec, Opts};

#[derive(Clone)]
pub struct EngineMetrics {
    pub service: ServiceMetrics,
    pub received: IntCounter,
    pub stored: IntCounter,
    pub invalid: IntCounter,
    pub dead_letters: IntCounter,
    jobs: IntGaugeVec,
    accepted: IntGauge,
    drift: IntGauge,
    pub broker_up: IntGauge,
    pub store_up: IntGauge,
}

impl std::fmt::Debug for EngineMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineMetrics").finish_non_exhaustive()
    }
}

fn counter(name: &str, help: &str) -> IntCounter {
    IntCounter::new(name, help).expect("valid metric")
}

fn gauge(name: &str, help: &str) -> IntGauge {
    IntGauge::new(name, help).expect("valid metric")
}

impl EngineMetrics {
    pub fn new() -> Self {
        let service = ServiceMetrics::new("metrics_engine");
        let jobs = IntGaugeVec::new(Opts::new("jobs", "Jobs by current status."), &["status"])
            .expect("valid metric");
        let metrics = Self {
            received: counter(
                "events_received_total",
                "Valid events received (redeliveries included).",
            ),
            stored: counter("events_stored_total", "Events new to the event store."),
            invalid: counter(
                "invalid_messages_total",
                "Messages or batch elements that were not valid events (dead-lettered).",
            ),
            dead_letters: counter("dead_letters_recorded_total", "Dead letters recorded."),
            accepted: gauge("jobs_accepted", "Jobs ever accepted."),
            drift: gauge(
                "conservation_drift",
                "accepted − (pending + validated + executing + completed + failed + cancelled); 0 when no job is lost or double counted.",
            ),
            broker_up: gauge("broker_up", "1 while the message broker is connected."),
            store_up: gauge("store_up", "1 while PostgreSQL and Redis answer."),
            jobs,
            service,
        };
        let registry = metrics.service.registry();
        let collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(metrics.received.clone()),
            Box::new(metrics.stored.clone()),
            Box::new(metrics.invalid.clone()),
            Box::new(metrics.dead_letters.clone()),
            Box::new(metrics.jobs.clone()),
            Box::new(metrics.accepted.clone()),
            Box::new(metrics.drift.clone()),
            Box::new(metrics.broker_up.clone()),
            Box::new(metrics.store_up.clone()),
        ];
        for collector in collectors {
            registry.register(collector).expect("registered once");
        }
        metrics
    }

    /// Publishes a statistics snapshot as gauges.
    pub fn show(&self, stats: &Stats) {
        let counts = stats.by_status;
        for (status, value) in [
            ("PENDING", counts.pending),
            ("VALIDATED", counts.validated),
            ("EXECUTING", counts.executing),
            ("COMPLETED", counts.completed),
            ("FAILED", counts.failed),
            ("CANCELLED", counts.cancelled),
        ] {
            self.jobs
                .with_label_values(&[status])
                .set(gauge_value(value));
        }
        self.accepted.set(gauge_value(stats.accepted));
        self.drift
            .set(gauge_value(stats.accepted) - gauge_value(counts.total()));
    }
}

impl Default for EngineMetrics {
    fn default() -> Self {
        Self::new()
    }
}

fn gauge_value(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
