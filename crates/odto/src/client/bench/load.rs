//! The submit phase: `concurrency` tasks share one HTTP client and one pre-serialized body, each
//! claiming the next job (or batch) by index until all are sent.
//!
//! Without a rate the loop is closed: a task sends its next request when the previous one is
//! answered, so throughput is what `concurrency` requests in flight can get. With a rate it is
//! open: job `i` is due at `start + i / rate` whatever the answers do, so latency at a fixed
//! rate is measured at that rate (coordinated omission avoided) as long as `concurrency` is
//! enough to keep sending; if it is not, sends fall behind schedule and `max_send_lag` says by
//! how much.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;
use uuid::Uuid;

use crate::client::gateway::{Gateway, Refusal};

/// How to submit.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub jobs: u64,
    pub concurrency: usize,
    /// Jobs per second, or as fast as `concurrency` allows.
    pub rate: Option<f64>,
    /// Jobs per request: 1 posts to `/jobs`, more to `/jobs/batch`.
    pub batch: usize,
}

/// What the submit phase saw.
#[derive(Debug, Default)]
pub struct Submitted {
    /// Jobs sent (each job of a batch counts).
    pub submitted: u64,
    /// Ids of the accepted jobs.
    pub accepted: Vec<Uuid>,
    /// Refused jobs by error code, with the first refusal of each code.
    pub refused: BTreeMap<String, (u64, String)>,
    /// Time from the first request sent to the last answer received.
    pub wall: Duration,
    /// Each request's time to its answer, in microseconds.
    pub request_micros: Vec<u32>,
    /// Longest a paced request was sent after it was due.
    pub max_send_lag: Duration,
}

impl Submitted {
    pub fn rejected(&self) -> u64 {
        self.refused.values().map(|(count, _)| count).sum()
    }

    fn refuse(&mut self, jobs: u64, refusal: &Refusal) {
        let entry = self
            .refused
            .entry(refusal.code().to_owned())
            .or_insert_with(|| (0, refusal.to_string()));
        entry.0 += jobs;
    }

    fn merge(&mut self, other: Submitted) {
        self.submitted += other.submitted;
        self.accepted.extend(other.accepted);
        for (code, (count, first)) in other.refused {
            self.refused.entry(code).or_insert((0, first)).0 += count;
        }
        self.request_micros.extend(other.request_micros);
        self.max_send_lag = self.max_send_lag.max(other.max_send_lag);
    }
}

/// The request bodies, made once: one job, a full batch and the last, shorter batch.
#[derive(Debug, Clone)]
pub struct Bodies {
    job: Bytes,
    full_batch: Bytes,
    last_batch: Bytes,
}

impl Bodies {
    /// `job` is one short-form job as JSON.
    pub fn new(job: &str, plan: &Plan) -> Bodies {
        let batch = |n: u64| {
            Bytes::from(format!(
                "{{\"jobs\":[{}]}}",
                vec![job; n as usize].join(",")
            ))
        };
        let rest = plan.jobs % plan.batch as u64;
        Bodies {
            job: Bytes::from(job.to_owned()),
            full_batch: batch(plan.batch as u64),
            last_batch: batch(if rest == 0 { plan.batch as u64 } else { rest }),
        }
    }
}

/// When the job with this index is due, after the start, at `rate` jobs per second.
pub fn due_after(index: u64, rate: f64) -> Duration {
    Duration::from_secs_f64(index as f64 / rate)
}

/// Submits every job of the plan; `answered` counts the jobs answered so far (for progress).
pub async fn run(
    gateway: Gateway,
    plan: Plan,
    bodies: Bodies,
    answered: Arc<AtomicU64>,
) -> Submitted {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..plan.concurrency)
        .map(|_| {
            let worker = Worker {
                gateway: gateway.clone(),
                plan,
                bodies: bodies.clone(),
                next: next.clone(),
                answered: answered.clone(),
                start,
            };
            tokio::spawn(worker.run())
        })
        .collect();
    let mut total = Submitted::default();
    let (mut first_sent, mut last_answer) = (None::<Instant>, start);
    for worker in workers {
        // A worker only panics on a bug; losing its tally would misreport, so propagate.
        let (tally, first, last) = worker.await.expect("a submit task panicked");
        first_sent = match (first_sent, first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        last_answer = last_answer.max(last);
        total.merge(tally);
    }
    total.wall = last_answer.saturating_duration_since(first_sent.unwrap_or(start));
    total
}

struct Worker {
    gateway: Gateway,
    plan: Plan,
    bodies: Bodies,
    next: Arc<AtomicU64>,
    answered: Arc<AtomicU64>,
    start: Instant,
}

impl Worker {
    /// Sends requests until every job is claimed; returns its tally, its first send and its
    /// last answer.
    async fn run(self) -> (Submitted, Option<Instant>, Instant) {
        let mut tally = Submitted::default();
        let (mut first_sent, mut last_answer) = (None, self.start);
        let batch = self.plan.batch as u64;
        loop {
            let index = self.next.fetch_add(batch, Ordering::Relaxed);
            if index >= self.plan.jobs {
                break;
            }
            let jobs = batch.min(self.plan.jobs - index);
            if let Some(rate) = self.plan.rate {
                let due = self.start + due_after(index, rate);
                tokio::time::sleep_until(due).await;
                tally.max_send_lag = tally.max_send_lag.max(Instant::now() - due);
            }
            let sent = Instant::now();
            first_sent.get_or_insert(sent);
            if let Some(refusal) = self.send(index, jobs, &mut tally).await
                && refusal.is_permanent()
            {
                // The same request would be refused again: claim every remaining job.
                self.next.fetch_max(self.plan.jobs, Ordering::Relaxed);
            }
            last_answer = Instant::now();
            let micros = (last_answer - sent).as_micros();
            tally
                .request_micros
                .push(u32::try_from(micros).unwrap_or(u32::MAX));
            tally.submitted += jobs;
            self.answered.fetch_add(jobs, Ordering::Relaxed);
        }
        (tally, first_sent, last_answer)
    }

    /// Sends one request; returns the refusal, if any.
    async fn send(&self, index: u64, jobs: u64, tally: &mut Submitted) -> Option<Refusal> {
        if self.plan.batch == 1 {
            return match self.gateway.submit(self.bodies.job.clone(), None).await {
                Ok(accepted) => {
                    tally.accepted.push(accepted.job.job_id);
                    None
                }
                Err(refusal) => {
                    tally.refuse(1, &refusal);
                    Some(refusal)
                }
            };
        }
        let last = index + jobs >= self.plan.jobs;
        let body = if last {
            &self.bodies.last_batch
        } else {
            &self.bodies.full_batch
        };
        let (ids, refusal) = match self.gateway.submit_batch(body.clone()).await {
            Ok(ids) => (ids, None),
            Err((ids, refusal)) => (ids, Some(refusal)),
        };
        if let Some(refusal) = &refusal {
            tally.refuse(jobs - ids.len() as u64, refusal);
        }
        tally.accepted.extend(ids);
        refusal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paced_jobs_are_due_at_their_index_over_the_rate() {
        assert_eq!(due_after(0, 200.0), Duration::ZERO);
        assert_eq!(due_after(1, 200.0), Duration::from_millis(5));
        assert_eq!(due_after(99, 200.0), Duration::from_millis(495));
        assert_eq!(due_after(5_000, 1_000.0), Duration::from_secs(5));
    }

    #[test]
    fn batches_repeat_the_job_and_the_last_one_holds_the_rest() {
        let plan = Plan {
            jobs: 7,
            concurrency: 1,
            rate: None,
            batch: 3,
        };

        let bodies = Bodies::new(r#"{"type":"t"}"#, &plan);

        let jobs = |body: &Bytes| {
            let value: serde_json::Value = serde_json::from_slice(body).unwrap();
            value["jobs"].as_array().unwrap().len()
        };
        assert_eq!(jobs(&bodies.full_batch), 3);
        assert_eq!(jobs(&bodies.last_batch), 1);
        assert_eq!(&bodies.job[..], br#"{"type":"t"}"#);
    }

    #[test]
    fn refusals_are_counted_by_code_keeping_the_first_message() {
        let mut tally = Submitted::default();
        let busy = |line: &str| Refusal::Answered {
            status: 503,
            code: "broker_unavailable".into(),
            line: line.into(),
        };

        tally.refuse(1, &busy("first"));
        tally.refuse(2, &busy("second"));
        tally.refuse(1, &Refusal::NoAnswer("refused".into()));

        assert_eq!(tally.rejected(), 4);
        assert_eq!(tally.refused["broker_unavailable"], (3, "first".to_owned()));
        assert_eq!(tally.refused["no_answer"], (1, "refused".to_owned()));
    }
}
