//! The bench's figures, computed from what the submit and completion phases saw, and shown as
//! text or as one JSON object (see the module docs of `bench` for the definitions).

use std::fmt;

use chrono::{DateTime, Utc};
use odto_contracts::{Job, JobStatus};
use serde::Serialize;
use uuid::Uuid;

use super::collect::Collected;
use super::load::Submitted;

/// At most this many lost jobs are listed by id.
const LISTED_LOST: usize = 100;

/// What was asked of the bench.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub jobs: u64,
    pub concurrency: usize,
    pub rate: Option<f64>,
    pub batch: usize,
    pub duration_ms: u64,
    pub job_type: String,
    pub timeout_s: f64,
}

/// p50, p90, p99 and max in milliseconds (nearest rank); all `null` without samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl Percentiles {
    pub fn of(mut samples: Vec<f64>) -> Percentiles {
        samples.sort_by(f64::total_cmp);
        let at = |p: f64| percentile(&samples, p).map(round3);
        Percentiles {
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            max: samples.last().copied().map(round3),
        }
    }
}

/// The nearest-rank percentile of sorted samples: the smallest sample with at least `p` % of
/// the samples at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub code: String,
    pub count: u64,
    pub first: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LostJob {
    pub id: Uuid,
    /// Its status when the bench gave up; `null` when the read model does not know the job.
    pub status: Option<JobStatus>,
}

/// Everything the bench reports; serialized as the `--json` object.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub run_id: String,
    pub settings: Settings,
    pub submitted: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub lost: u64,
    /// Jobs of the run the read model shows whose 202 the bench never received.
    pub untracked: u64,
    pub accepted_per_s: Option<f64>,
    pub completed_per_s: Option<f64>,
    /// First request sent to last answer received (client clock).
    pub submit_s: f64,
    /// First `job.created` to the last `job.completed`/`job.failed` (event time).
    pub completion_s: Option<f64>,
    /// `job.created` → `job.completed`/`job.failed`, per job, in event time.
    pub latency_ms: Percentiles,
    /// Each submit request's time to its answer (client clock).
    pub request_ms: Percentiles,
    /// With `--rate`: the longest a request was sent after it was due.
    pub max_send_lag_ms: Option<f64>,
    pub rejections: Vec<Rejection>,
    /// Up to 100 of the lost jobs.
    pub lost_jobs: Vec<LostJob>,
}

impl Report {
    pub fn new(
        run_id: String,
        settings: Settings,
        submitted: &Submitted,
        collected: &Collected,
    ) -> Report {
        let count = |status| {
            let n = collected.finished.iter().filter(|j| j.status == status);
            n.count() as u64
        };
        let ran: Vec<&Job> = collected
            .finished
            .iter()
            .filter(|j| matches!(j.status, JobStatus::Completed | JobStatus::Failed))
            .collect();
        let completed = count(JobStatus::Completed);
        let completion_s = completion_span(&ran);
        let submit_s = submitted.wall.as_secs_f64();
        let rate = settings.rate;
        Report {
            run_id,
            settings,
            submitted: submitted.submitted,
            accepted: submitted.accepted.len() as u64,
            rejected: submitted.rejected(),
            completed,
            failed: count(JobStatus::Failed),
            cancelled: count(JobStatus::Cancelled),
            lost: collected.lost.len() as u64,
            untracked: collected.unexpected,
            accepted_per_s: per_second(submitted.accepted.len() as u64, submit_s),
            completed_per_s: completion_s.and_then(|span| per_second(completed, span)),
            submit_s: round3(submit_s),
            completion_s: completion_s.map(round3),
            latency_ms: Percentiles::of(ran.iter().filter_map(|j| latency_ms(j)).collect()),
            request_ms: Percentiles::of(
                submitted
                    .request_micros
                    .iter()
                    .map(|&us| f64::from(us) / 1_000.0)
                    .collect(),
            ),
            max_send_lag_ms: rate.map(|_| round3(submitted.max_send_lag.as_secs_f64() * 1e3)),
            rejections: submitted
                .refused
                .iter()
                .map(|(code, (count, first))| Rejection {
                    code: code.clone(),
                    count: *count,
                    first: first.clone(),
                })
                .collect(),
            lost_jobs: collected
                .lost
                .iter()
                .take(LISTED_LOST)
                .map(|&(id, status)| LostJob { id, status })
                .collect(),
        }
    }

    /// Whether the run went as it should: every job accepted and none lost.
    pub fn passed(&self) -> bool {
        self.lost == 0 && self.rejected == 0 && self.accepted == self.submitted
    }
}

/// A job's time from `job.created` (its `createdAt`) to its terminal event (its `updatedAt`
/// once finished), in milliseconds.
fn latency_ms(job: &Job) -> Option<f64> {
    let micros = (job.updated_at? - job.created_at).num_microseconds()?;
    Some(micros as f64 / 1_000.0)
}

/// Seconds from the first `job.created` to the last terminal event among `jobs`.
fn completion_span(jobs: &[&Job]) -> Option<f64> {
    let first: DateTime<Utc> = jobs.iter().map(|j| j.created_at).min()?;
    let last: DateTime<Utc> = jobs.iter().filter_map(|j| j.updated_at).max()?;
    let micros = (last - first).num_microseconds()?;
    Some(micros as f64 / 1e6)
}

/// `count` per second over `seconds`; `None` over an empty span.
pub fn per_second(count: u64, seconds: f64) -> Option<f64> {
    (seconds > 0.0).then(|| (count as f64 / seconds * 10.0).round() / 10.0)
}

fn round3(value: f64) -> f64 {
    (value * 1_000.0).round() / 1_000.0
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        let pace = match s.rate {
            Some(rate) => format!("paced at {rate} jobs/s"),
            None => "as fast as they are answered".into(),
        };
        let route = if s.batch > 1 {
            format!("POST /jobs/batch ({} a request)", s.batch)
        } else {
            "POST /jobs".into()
        };
        writeln!(
            f,
            "run {}: {} jobs of type {} (durationMs {}), {} in flight, {pace}, {route}",
            self.run_id, s.jobs, s.job_type, s.duration_ms, s.concurrency
        )?;
        writeln!(
            f,
            "  submitted {:>9} in {:.2} s",
            self.submitted, self.submit_s
        )?;
        writeln!(
            f,
            "  accepted  {:>9}  {} jobs/s   (request p50 {}, p99 {}, max {})",
            self.accepted,
            rate(self.accepted_per_s),
            ms(self.request_ms.p50),
            ms(self.request_ms.p99),
            ms(self.request_ms.max)
        )?;
        if let Some(lag) = self.max_send_lag_ms {
            let behind = if lag > 100.0 {
                " (the client fell behind the rate: raise --concurrency)"
            } else {
                ""
            };
            writeln!(
                f,
                "  paced: the latest request was sent {lag:.1} ms after it was due{behind}"
            )?;
        }
        writeln!(f, "  rejected  {:>9}", self.rejected)?;
        for r in &self.rejections {
            writeln!(f, "    {} x {}: {}", r.count, r.code, r.first)?;
        }
        let span = self
            .completion_s
            .map_or("-".into(), |s| format!("{s:.2} s"));
        writeln!(
            f,
            "  completed {:>9}  {} jobs/s   (first job.created to last terminal event: {span})",
            self.completed,
            rate(self.completed_per_s)
        )?;
        writeln!(f, "  failed    {:>9}", self.failed)?;
        if self.cancelled > 0 {
            writeln!(f, "  cancelled {:>9}", self.cancelled)?;
        }
        writeln!(f, "  lost      {:>9}", self.lost)?;
        let l = &self.latency_ms;
        writeln!(
            f,
            "  latency, job.created to job.completed/failed (event time): p50 {}, p90 {}, p99 {}, max {}",
            ms(l.p50),
            ms(l.p90),
            ms(l.p99),
            ms(l.max)
        )?;
        self.fmt_lost(f)
    }
}

impl Report {
    fn fmt_lost(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lost == 0 {
            return Ok(());
        }
        writeln!(
            f,
            "lost jobs (accepted, not finished within {} s):",
            self.settings.timeout_s
        )?;
        for job in self.lost_jobs.iter().take(20) {
            match job.status {
                Some(status) => writeln!(f, "  {} {status}", job.id)?,
                None => writeln!(f, "  {} unknown to the read model", job.id)?,
            }
        }
        if self.lost > 20 {
            writeln!(f, "  … and {} more", self.lost - 20)?;
        }
        Ok(())
    }
}

fn ms(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.1} ms"))
}

fn rate(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.1}"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use chrono::TimeDelta;
    use odto_contracts::JobType;

    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();

        let p = Percentiles::of(samples.into_iter().rev().collect());

        assert_eq!(p.p50, Some(50.0));
        assert_eq!(p.p90, Some(90.0));
        assert_eq!(p.p99, Some(99.0));
        assert_eq!(p.max, Some(100.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), Some(2.0));
        assert_eq!(Percentiles::of(Vec::new()), Percentiles::default());
    }

    fn settings(jobs: u64) -> Settings {
        Settings {
            jobs,
            concurrency: 4,
            rate: None,
            batch: 1,
            duration_ms: 0,
            job_type: "bench".into(),
            timeout_s: 60.0,
        }
    }

    fn finished(created_ms: i64, latency_ms: i64, status: JobStatus) -> Job {
        let start = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let created_at = start + TimeDelta::milliseconds(created_ms);
        let mut job = Job::new(Uuid::now_v7(), JobType::parse("bench").unwrap(), created_at);
        job.status = status;
        job.updated_at = Some(created_at + TimeDelta::milliseconds(latency_ms));
        job
    }

    /// Four jobs created at 0, 100, 200 and 300 ms, finished 50, 100, 150 and 700 ms later;
    /// one more accepted job never finished.
    fn example() -> Report {
        let lost = Uuid::now_v7();
        let jobs = vec![
            finished(0, 50, JobStatus::Completed),
            finished(100, 100, JobStatus::Completed),
            finished(200, 150, JobStatus::Failed),
            finished(300, 700, JobStatus::Completed),
        ];
        let mut accepted: Vec<Uuid> = jobs.iter().map(|j| j.id).collect();
        accepted.push(lost);
        let submitted = Submitted {
            submitted: 5,
            accepted,
            refused: BTreeMap::new(),
            wall: Duration::from_millis(250),
            request_micros: vec![1_000, 2_000, 3_000, 4_000, 5_000],
            max_send_lag: Duration::ZERO,
        };
        let collected = Collected {
            finished: jobs,
            lost: vec![(lost, Some(JobStatus::Pending))],
            unexpected: 0,
        };
        Report::new("bench-x".into(), settings(5), &submitted, &collected)
    }

    #[test]
    fn rates_and_latencies_follow_the_definitions() {
        let report = example();

        assert_eq!((report.completed, report.failed, report.lost), (3, 1, 1));
        assert_eq!(report.accepted_per_s, Some(20.0), "5 accepted in 0.25 s");
        assert_eq!(
            report.completion_s,
            Some(1.0),
            "created at 0 ms, last finished at 1000 ms"
        );
        assert_eq!(report.completed_per_s, Some(3.0), "3 completed in 1 s");
        assert_eq!(report.latency_ms.p50, Some(100.0));
        assert_eq!(report.latency_ms.max, Some(700.0));
        assert_eq!(report.request_ms.p99, Some(5.0));
        assert!(!report.passed(), "a lost job fails the run");
    }

    #[test]
    fn the_json_report_has_every_promised_key() {
        let value = serde_json::to_value(example()).unwrap();

        for key in [
            "submitted",
            "accepted",
            "completed",
            "failed",
            "lost",
            "accepted_per_s",
            "completed_per_s",
        ] {
            assert!(value[key].is_number(), "{key} in {value}");
        }
        for key in ["p50", "p90", "p99", "max"] {
            assert!(value["latency_ms"][key].is_number(), "latency_ms.{key}");
        }
        assert_eq!(value["lost_jobs"][0]["status"], "PENDING");
    }

    #[test]
    fn the_text_report_names_the_figures_and_the_lost_jobs() {
        let report = example();
        let lost = report.lost_jobs[0].id;

        let text = report.to_string();

        assert!(text.contains("accepted          5  20.0 jobs/s"), "{text}");
        assert!(text.contains("completed         3  3.0 jobs/s"), "{text}");
        assert!(
            text.contains("p50 100.0 ms, p90 700.0 ms, p99 700.0 ms, max 700.0 ms"),
            "{text}"
        );
        assert!(text.contains(&format!("{lost} PENDING")), "{text}");
    }
}
