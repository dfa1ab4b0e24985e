//! The completion phase: waits until every accepted job of the run is finished, and reads each
//! job's accept and finish times, without one request per job.
//!
//! Every job of a run has the run's own job type, so `GET /jobs?type=<run type>` pages through
//! exactly the run's jobs on the job store's type index (500 a page, keyset cursor, so pages
//! stay stable while jobs change). A payload search (`q=`) would do the same without a type of
//! its own, but it scans the whole job table for every page (measured: ~85 ms a page beside
//! 50,000 jobs, against ~6 ms by type), which makes a pass over a large run quadratic.
//!
//! A full pass costs one request per 500 jobs, so it is made only when the cheap check
//! (`type=<run type>&status=PENDING|VALIDATED|EXECUTING&limit=1`, three requests) sees no
//! unfinished job, and again with growing pauses while the read model has not yet recorded
//! some jobs. Once few jobs remain, they are asked for one by one.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures_util::{StreamExt, stream};
use odto_contracts::{Job, JobStatus};
use tokio::time::Instant;
use uuid::Uuid;

use super::progress::Progress;
use crate::client::read_model::{ReadModel, Search};

/// At most this many unfinished jobs are asked for one by one rather than by a full pass.
const FEW: usize = 256;
/// Requests in flight when asking for jobs one by one.
const PARALLEL: usize = 16;
/// Pause between two checks.
const POLL: Duration = Duration::from_millis(100);

/// What became of the run's accepted jobs.
#[derive(Debug, Default)]
pub struct Collected {
    /// Jobs that reached a terminal state (COMPLETED, FAILED or CANCELLED).
    pub finished: Vec<Job>,
    /// Accepted jobs not finished by the deadline, with their status (`None`: unknown to the
    /// read model).
    pub lost: Vec<(Uuid, Option<JobStatus>)>,
    /// Jobs of the run the read model shows but whose 202 the bench never saw (a request that
    /// timed out after the gateway had accepted it).
    pub unexpected: u64,
}

/// Waits until every job of `accepted` is finished, or `deadline`.
pub async fn collect(
    read_model: &ReadModel,
    run_type: &str,
    accepted: &[Uuid],
    deadline: Instant,
    progress: &Progress,
    stats_baseline: Option<u64>,
) -> anyhow::Result<Collected> {
    let mut run = Run::new(accepted);
    let mut next_pass = Instant::now();
    let mut pass_pause = Duration::from_millis(500);
    while !run.pending.is_empty() {
        if run.pending.len() <= FEW {
            run.check_each(read_model).await?;
        } else if Instant::now() >= next_pass && !any_unfinished(read_model, run_type).await? {
            run.full_pass(read_model, run_type).await?;
            next_pass = Instant::now() + pass_pause;
            pass_pause = (pass_pause * 2).min(Duration::from_secs(5));
        }
        if progress.is_visible() {
            progress.set(run.finished_estimate(read_model, stats_baseline).await);
        }
        if run.pending.is_empty() || Instant::now() >= deadline {
            break;
        }
        // The pace of polling a server, not a wait in a test.
        tokio::time::sleep(POLL).await;
    }
    if run.pending.len() > FEW {
        // Learn what state the lost jobs are in (and catch any that finished meanwhile).
        run.full_pass(read_model, run_type).await?;
    }
    Ok(run.into_collected())
}

/// Whether the read model shows any job of the run that is not finished yet.
async fn any_unfinished(read_model: &ReadModel, run_type: &str) -> anyhow::Result<bool> {
    for status in [
        JobStatus::Executing,
        JobStatus::Pending,
        JobStatus::Validated,
    ] {
        let search = Search {
            job_type: run_type,
            status: Some(status),
            limit: 1,
            cursor: None,
        };
        if !read_model.page(search).await?.items.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The bookkeeping of one run's jobs.
struct Run {
    accepted: HashSet<Uuid>,
    pending: HashSet<Uuid>,
    finished: Vec<Job>,
    last_status: HashMap<Uuid, JobStatus>,
    unexpected: HashSet<Uuid>,
}

impl Run {
    fn new(accepted: &[Uuid]) -> Run {
        let accepted: HashSet<Uuid> = accepted.iter().copied().collect();
        Run {
            pending: accepted.clone(),
            accepted,
            finished: Vec::new(),
            last_status: HashMap::new(),
            unexpected: HashSet::new(),
        }
    }

    /// Takes in one job as the read model shows it.
    fn see(&mut self, job: Job) {
        if !self.accepted.contains(&job.id) {
            self.unexpected.insert(job.id);
            return;
        }
        self.last_status.insert(job.id, job.status);
        if job.status.is_terminal() && self.pending.remove(&job.id) {
            self.finished.push(job);
        }
    }

    async fn full_pass(&mut self, read_model: &ReadModel, run_type: &str) -> anyhow::Result<()> {
        for view in read_model.all_of_type(run_type).await? {
            self.see(view.job);
        }
        Ok(())
    }

    async fn check_each(&mut self, read_model: &ReadModel) -> anyhow::Result<()> {
        let views: Vec<_> = stream::iter(self.pending.clone())
            .map(|id| read_model.job(id))
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for view in views {
            if let Some(view) = view? {
                self.see(view.job);
            }
        }
        Ok(())
    }

    /// Finished jobs for the progress bar: exact once few remain; before, the growth of the
    /// stack's finished total since the run started (other traffic would inflate it).
    async fn finished_estimate(&self, read_model: &ReadModel, baseline: Option<u64>) -> u64 {
        let known = (self.accepted.len() - self.pending.len()) as u64;
        let Some(baseline) = baseline.filter(|_| self.pending.len() > FEW) else {
            return known;
        };
        let total = read_model.finished_total().await.unwrap_or(baseline);
        total
            .saturating_sub(baseline)
            .clamp(known, self.accepted.len() as u64)
    }

    fn into_collected(self) -> Collected {
        let mut lost: Vec<_> = self
            .pending
            .iter()
            .map(|id| (*id, self.last_status.get(id).copied()))
            .collect();
        lost.sort_by_key(|(id, _)| *id);
        Collected {
            finished: self.finished,
            lost,
            unexpected: self.unexpected.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use odto_contracts::JobType;

    fn job(id: Uuid, status: JobStatus) -> Job {
        let mut job = Job::new(id, JobType::parse("bench").unwrap(), Utc::now());
        job.status = status;
        job.updated_at = Some(Utc::now());
        job
    }

    #[test]
    fn a_job_counts_once_when_finished_and_is_lost_with_its_last_status_otherwise() {
        let (done, running, missing, foreign) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let mut run = Run::new(&[done, running, missing]);

        run.see(job(done, JobStatus::Executing));
        run.see(job(done, JobStatus::Completed));
        run.see(job(done, JobStatus::Completed));
        run.see(job(running, JobStatus::Executing));
        run.see(job(foreign, JobStatus::Completed));
        let collected = run.into_collected();

        assert_eq!(collected.finished.len(), 1);
        assert_eq!(collected.finished[0].id, done);
        let mut expected = vec![(running, Some(JobStatus::Executing)), (missing, None)];
        expected.sort_by_key(|(id, _)| *id);
        assert_eq!(collected.lost, expected);
        assert_eq!(collected.unexpected, 1);
    }
}
