//! The throughput chart's memory. `/stats` reports only the last minute; the dashboard keeps
//! what it has seen so that the chart covers the last few minutes.

use std::collections::BTreeMap;

use odto_contracts::read_api::Throughput;

/// Seconds the chart covers at most.
pub const HISTORY_SECS: i64 = 300;
/// Seconds the chart covers at least, so a fresh dashboard does not stretch one minute wide.
pub const MIN_SPAN_SECS: i64 = 60;

/// Per-second counts by Unix second. A second reported again (it was still being counted when
/// first seen) replaces the earlier report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThroughputHistory {
    points: BTreeMap<i64, Throughput>,
}

/// The chart's data: x is seconds before `now` (negative), y the count in that second.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub accepted: Vec<(f64, f64)>,
    pub completed: Vec<(f64, f64)>,
    pub failed: Vec<(f64, f64)>,
    pub span_secs: i64,
    pub peak: u64,
}

impl ThroughputHistory {
    pub fn merge(&mut self, points: &[Throughput], now: i64) {
        for point in points {
            self.points.insert(point.second, *point);
        }
        let oldest_kept = now - HISTORY_SECS;
        self.points = self.points.split_off(&oldest_kept);
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Every second from the window's start to `now`, seconds without a report counting zero.
    pub fn series(&self, now: i64) -> Series {
        let oldest = self.points.keys().next().copied().unwrap_or(now);
        let span_secs = (now - oldest).clamp(MIN_SPAN_SECS, HISTORY_SECS);
        let mut series = Series {
            span_secs,
            ..Series::default()
        };
        for second in now - span_secs..=now {
            let point = self.points.get(&second).copied().unwrap_or_default();
            let x = (second - now) as f64;
            series.accepted.push((x, point.accepted as f64));
            series.completed.push((x, point.completed as f64));
            series.failed.push((x, point.failed as f64));
            series.peak = series
                .peak
                .max(point.accepted)
                .max(point.completed)
                .max(point.failed);
        }
        series
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(second: i64, accepted: u64) -> Throughput {
        Throughput {
            second,
            accepted,
            completed: 0,
            failed: 0,
        }
    }

    #[test]
    fn a_second_reported_twice_keeps_the_newer_count_and_old_seconds_are_forgotten() {
        let mut history = ThroughputHistory::default();
        history.merge(&[point(1_000, 3), point(1_001, 1)], 1_001);
        history.merge(&[point(1_001, 7)], 1_001);
        let series = history.series(1_001);
        assert_eq!(series.accepted.last(), Some(&(0.0, 7.0)));
        assert_eq!(series.peak, 7);
        history.merge(&[], 1_000 + HISTORY_SECS + 2);
        assert!(history.is_empty());
    }

    #[test]
    fn the_window_spans_at_least_a_minute_and_at_most_five() {
        let mut history = ThroughputHistory::default();
        history.merge(&[point(990, 1)], 1_000);
        assert_eq!(history.series(1_000).span_secs, MIN_SPAN_SECS);
        assert_eq!(history.series(1_000).accepted.len(), 61);
        history.merge(&[point(700, 1)], 1_000);
        assert_eq!(history.series(1_000).span_secs, HISTORY_SECS);
    }
}
