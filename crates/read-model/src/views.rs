//! The read API's answers (`odto_contracts::read_api`), built from what the stores return.

use odto_contracts::read_api::{self, Conservation, DeadLetterPage, JobPage, JobView, RecentJob};
use odto_store::Page;
use odto_store::dead_letters::DeadLetter;
use odto_store::jobs::JobRecord;
use odto_store::stats::Throughput;

/// `GET /stats`: the snapshot under the reference's names, with the conservation check.
pub fn stats(snapshot: odto_store::stats::Stats, throughput: Vec<Throughput>) -> read_api::Stats {
    let counts = snapshot.by_status;
    let accounted = counts.total();
    read_api::Stats {
        total_jobs: snapshot.accepted,
        pending_jobs: counts.pending,
        validated_jobs: counts.validated,
        executing_jobs: counts.executing,
        completed_jobs: counts.completed,
        failed_jobs: counts.failed,
        cancelled_jobs: counts.cancelled,
        last_event_time: snapshot.last_event_time,
        by_type: snapshot.by_type,
        conservation: Some(Conservation {
            accepted: snapshot.accepted,
            accounted,
            holds: snapshot.accepted == accounted,
        }),
        throughput,
    }
}

/// An item of `GET /jobs/recent`.
pub fn recent_job(record: &JobRecord) -> RecentJob {
    RecentJob {
        id: record.job.id,
        job_type: record.job.job_type.clone(),
        status: record.job.status,
        created_at: record.job.created_at,
    }
}

/// A job as listed: the contract `Job` with its current status, plus `maxAttempts` (the
/// effective one), `runAttempts`, `correlationId` and `finishedAt` (null until finished).
pub fn job_view(record: JobRecord) -> JobView {
    JobView::new(
        record.job,
        record.max_attempts,
        record.run_attempts,
        record.correlation_id,
        record.finished_at,
    )
}

/// `GET /jobs`.
pub fn job_page(page: Page<JobRecord>) -> JobPage {
    JobPage {
        items: page.items.into_iter().map(job_view).collect(),
        next_cursor: page.next_cursor,
    }
}

/// `GET /dlq`: a page of dead letters and how many there are in all.
pub fn dead_letter_page(page: Page<DeadLetter>, total: u64) -> DeadLetterPage {
    DeadLetterPage {
        items: page.items,
        next_cursor: page.next_cursor,
        total,
    }
}
