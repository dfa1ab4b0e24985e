//! The web terminal's own metrics (`odto_web_…`), registered next to the shared HTTP ones.

use prometheus::core::Collector;
use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts};

use odto_http::ServiceMetrics;

use crate::protocol::ErrorCode;

/// Sessions and what flowed through them.
#[derive(Clone)]
pub struct WebMetrics {
    pub service: ServiceMetrics,
    sessions_active: IntGauge,
    sessions_started: IntCounter,
    sessions_reattached: IntCounter,
    sessions_rejected: IntCounterVec,
    output_bytes: IntCounter,
    replayed_frames: IntCounter,
    truncated_frames: IntCounter,
    read_only_dropped: IntCounter,
}

fn counter(name: &str, help: &str) -> IntCounter {
    IntCounter::new(name, help).expect("valid metric")
}

impl WebMetrics {
    pub fn new() -> Self {
        let service = ServiceMetrics::new("web");
        let sessions_active = IntGauge::new(
            "sessions_active",
            "Sessions alive: attached, or waiting for a reconnect within their grace period.",
        )
        .expect("valid metric");
        let sessions_rejected = IntCounterVec::new(
            Opts::new(
                "sessions_rejected_total",
                "Connections that got no session, by error code.",
            ),
            &["code"],
        )
        .expect("valid metric");
        let metrics = Self {
            sessions_active,
            sessions_started: counter("sessions_started_total", "New sessions."),
            sessions_reattached: counter(
                "sessions_reattached_total",
                "Connections that re-attached to a session with its token.",
            ),
            sessions_rejected,
            output_bytes: counter("output_bytes_total", "Terminal output sent, in bytes."),
            replayed_frames: counter(
                "replayed_frames_total",
                "Output frames sent again to re-attaching connections.",
            ),
            truncated_frames: counter(
                "truncated_frames_total",
                "Frames a re-attaching connection missed that were no longer kept (it got the \
                 whole screen instead).",
            ),
            read_only_dropped: counter(
                "read_only_dropped_inputs_total",
                "Input frames dropped by read-only mode.",
            ),
            service,
        };
        let collectors: [Box<dyn Collector>; 8] = [
            Box::new(metrics.sessions_active.clone()),
            Box::new(metrics.sessions_started.clone()),
            Box::new(metrics.sessions_reattached.clone()),
            Box::new(metrics.sessions_rejected.clone()),
            Box::new(metrics.output_bytes.clone()),
            Box::new(metrics.replayed_frames.clone()),
            Box::new(metrics.truncated_frames.clone()),
            Box::new(metrics.read_only_dropped.clone()),
        ];
        metrics.service.register_all(collectors);
        metrics
    }

    pub fn set_sessions_active(&self, sessions: usize) {
        self.sessions_active
            .set(i64::try_from(sessions).unwrap_or(i64::MAX));
    }

    pub fn session_started(&self) {
        self.sessions_started.inc();
    }

    /// A re-attach that replayed `replayed` frames and skipped `truncated` ones.
    pub fn session_reattached(&self, replayed: u64, truncated: u64) {
        self.sessions_reattached.inc();
        self.replayed_frames.inc_by(replayed);
        self.truncated_frames.inc_by(truncated);
    }

    /// A refused connection; the label is a protocol error code, a bounded set.
    pub fn session_rejected(&self, code: ErrorCode) {
        let label = serde_json::to_value(code)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default();
        self.sessions_rejected.with_label_values(&[&label]).inc();
    }

    pub fn output_sent(&self, bytes: usize) {
        self.output_bytes.inc_by(bytes as u64);
    }

    pub fn read_only_dropped(&self) {
        self.read_only_dropped.inc();
    }
}

impl Default for WebMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for WebMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebMetrics").finish_non_exhaustive()
    }
}
