//! The gateway's own metrics, registered next to the shared HTTP ones.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts};

use crate::error::GatewayError;
use crate::intake::Submitted;
use odto_http::ServiceMetrics;

/// Counters of accepted, replayed and refused jobs, and the broker connection state.
#[derive(Clone)]
pub struct GatewayMetrics {
    pub service: ServiceMetrics,
    accepted: IntCounter,
    replayed: IntCounter,
    rejected: IntCounterVec,
    broker_up: IntGauge,
}

impl GatewayMetrics {
    pub fn new() -> Self {
        let service = ServiceMetrics::new("gateway");
        let accepted = IntCounter::new("jobs_accepted_total", "Jobs made durable on the bus.")
            .expect("valid metric");
        let replayed = IntCounter::new(
            "jobs_replayed_total",
            "Submissions answered from an earlier request with the same idempotency key.",
        )
        .expect("valid metric");
        let rejected = IntCounterVec::new(
            Opts::new(
                "jobs_rejected_total",
                "Submissions not accepted, by error code.",
            ),
            &["code"],
        )
        .expect("valid metric");
        let broker_up = IntGauge::new("broker_up", "1 while the message broker is connected.")
            .expect("valid metric");
        let registry = service.registry();
        for collector in [
            Box::new(accepted.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(replayed.clone()),
            Box::new(rejected.clone()),
            Box::new(broker_up.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric registered once");
        }
        Self {
            service,
            accepted,
            replayed,
            rejected,
            broker_up,
        }
    }

    pub fn record_outcome(&self, outcome: &Result<Submitted, GatewayError>) {
        match outcome {
            Ok(Submitted::Accepted(_)) => self.accepted.inc(),
            Ok(Submitted::Replayed(_)) => self.replayed.inc(),
            Err(error) => self.record_rejection(error),
        }
    }

    /// Counts a refused submission; the label is the stable error code, a bounded set.
    pub fn record_rejection(&self, error: &GatewayError) {
        self.rejected.with_label_values(&[error.code()]).inc();
    }

    pub fn set_broker_up(&self, up: bool) {
        self.broker_up.set(i64::from(up));
    }
}

impl Default for GatewayMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for GatewayMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayMetrics").finish_non_exhaustive()
    }
}
