//! The read model's own metrics, next to the shared HTTP ones: gauges of what it reads (dead
//! letters, queues, backend reachability), refreshed when Prometheus scrapes.

use odto_bus::inspect::QueueStats;
use odto_bus::topology;
use prometheus::core::Collector;
use prometheus::{Gauge, GaugeVec, IntGauge, IntGaugeVec, Opts};

use odto_http::ServiceMetrics;

/// A backend the read model depends on, as named in `odto_read_model_backend_up{backend}`.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// Jobs, attempts, events and dead letters (PostgreSQL in distributed mode).
    Jobs,
    /// Live statistics (Redis in distributed mode).
    Stats,
    /// The broker's management API.
    Broker,
}

impl Backend {
    fn label(self) -> &'static str {
        match self {
            Self::Jobs => "postgres",
            Self::Stats => "redis",
            Self::Broker => "broker",
        }
    }
}

/// Gauges set at scrape time. Label values are bounded: `queue` is one of the topology's
/// queues (anything else an inspector reports is skipped), `backend` one of [`Backend`].
#[derive(Clone)]
pub struct ReadModelMetrics {
    pub service: ServiceMetrics,
    dead_letters: IntGauge,
    queue_depth: IntGaugeVec,
    queue_in_flight: IntGaugeVec,
    queue_consumers: IntGaugeVec,
    queue_oldest_age: GaugeVec,
    backend_up: IntGaugeVec,
    last_refresh: Gauge,
}

fn int_vec(name: &str, help: &str, label: &str) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help), &[label]).expect("valid metric")
}

impl ReadModelMetrics {
    pub fn new() -> Self {
        let service = ServiceMetrics::new("read_model");
        let metrics = Self {
            dead_letters: IntGauge::new("dead_letters", "Dead letters stored (read at scrape).")
                .expect("valid metric"),
            queue_depth: int_vec("queue_depth", "Messages waiting in a queue.", "queue"),
            queue_in_flight: int_vec(
                "queue_in_flight",
                "Messages delivered and not yet acknowledged.",
                "queue",
            ),
            queue_consumers: int_vec("queue_consumers", "Consumers of a queue.", "queue"),
            queue_oldest_age: GaugeVec::new(
                Opts::new(
                    "queue_oldest_message_age_seconds",
                    "Age of the oldest waiting message, when the broker reports it.",
                ),
                &["queue"],
            )
            .expect("valid metric"),
            backend_up: int_vec(
                "backend_up",
                "1 when the backend answered at the last scrape.",
                "backend",
            ),
            last_refresh: Gauge::new(
                "scrape_refresh_seconds",
                "Time the last scrape spent reading the backends.",
            )
            .expect("valid metric"),
            service,
        };
        let collectors: [Box<dyn Collector>; 7] = [
            Box::new(metrics.dead_letters.clone()),
            Box::new(metrics.queue_depth.clone()),
            Box::new(metrics.queue_in_flight.clone()),
            Box::new(metrics.queue_consumers.clone()),
            Box::new(metrics.queue_oldest_age.clone()),
            Box::new(metrics.backend_up.clone()),
            Box::new(metrics.last_refresh.clone()),
        ];
        metrics.service.register_all(collectors);
        metrics
    }

    pub fn set_backend_up(&self, backend: Backend, up: bool) {
        self.backend_up
            .with_label_values(&[backend.label()])
            .set(i64::from(up));
    }

    pub fn set_dead_letters(&self, total: u64) {
        self.dead_letters
            .set(i64::try_from(total).unwrap_or(i64::MAX));
    }

    pub fn set_refresh_seconds(&self, seconds: f64) {
        self.last_refresh.set(seconds);
    }

    /// Records the queues' state; queues outside the topology are ignored (bounded labels).
    pub fn set_queues(&self, queues: &[QueueStats]) {
        let known = |name: &str| topology::QUEUES.iter().any(|queue| queue.name == name);
        for queue in queues.iter().filter(|queue| known(&queue.name)) {
            let labels = [queue.name.as_str()];
            let gauge = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
            self.queue_depth
                .with_label_values(&labels)
                .set(gauge(queue.depth));
            self.queue_in_flight
                .with_label_values(&labels)
                .set(gauge(queue.in_flight));
            self.queue_consumers
                .with_label_values(&labels)
                .set(gauge(queue.consumers));
            match queue.oldest_age_seconds {
                Some(age) => self.queue_oldest_age.with_label_values(&labels).set(age),
                // No figure means none to show, not an age of zero.
                None => {
                    let _ = self.queue_oldest_age.remove_label_values(&labels);
                }
            }
        }
    }
}

impl Default for ReadModelMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for ReadModelMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadModelMetrics").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(name: &str, depth: u64) -> QueueStats {
        QueueStats {
            name: name.into(),
            depth,
            in_flight: 1,
            consumers: 2,
            oldest_age_seconds: None,
        }
    }

    #[test]
    fn only_topology_queues_become_label_values() {
        let metrics = ReadModelMetrics::new();

        metrics.set_queues(&[queue(topology::JOBS_QUEUE, 7), queue("made.up", 9)]);

        let text = metrics.service.render();
        let depth = format!(
            r#"odto_read_model_queue_depth{{queue="{}",service="read_model"}} 7"#,
            topology::JOBS_QUEUE
        );
        assert!(text.contains(&depth), "{text}");
        assert!(!text.contains("made.up"), "{text}");
    }
}
