//! `odto bench`: drives a running stack (any mode) with N jobs, then reports throughput,
//! completion latency and lost jobs. It reaches the stack over HTTP only.
//!
//! A run has two phases:
//! 1. **Submit** ([`load`]): N short-form jobs `{"type": "<prefix>.<run id>", "payload":
//!    {"durationMs": D, "benchRun": "<run id>"}}` at a concurrency (closed loop) or a rate
//!    (open loop, paced). The run's own job type is what lets the next phase find exactly its
//!    jobs cheaply; it also gives each run its own line in `/stats` by type.
//! 2. **Complete** ([`collect`]): wait until every accepted job is finished, reading the run's
//!    jobs from the read model by job type, 500 a page.
//!
//! The figures ([`report`]):
//! - `accepted_per_s` = accepted jobs ÷ the submit phase's wall time, from the first request
//!   sent to the last answer received (client clock). Not first to last 202: that span is
//!   empty for one job and ignores the first request's own time.
//! - `completed_per_s` = COMPLETED jobs ÷ the time from the first job's `job.created` to the
//!   last `job.completed`/`job.failed` (event time, the stack's clocks).
//! - `latency_ms` = per job, `job.created` → `job.completed`/`job.failed` (event time); p50,
//!   p90, p99 are nearest-rank percentiles. The read model's job gives both instants: a
//!   finished job's `updatedAt` is its terminal event's `occurredAt` (the processor builds
//!   the event from the stored state change), and `createdAt` is stamped by the gateway just
//!   before it validates the job, `job.created` just after (same request, same clock): some
//!   microseconds apart, more for the first job after the gateway started (it compiles the
//!   schemas then) and, with `--batch`, up to the time the gateway takes to parse the batch.
//! - `lost` = accepted jobs that are not finished when `--timeout` has passed after the last
//!   submission, or that the read model does not know. Any lost or refused job makes the exit
//!   status 1.

mod collect;
mod load;
mod progress;
mod report;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use clap::Args;
use clap::builder::FalseyValueParser;
use serde_json::json;
use uuid::Uuid;

use self::load::{Bodies, Plan, Submitted};
use self::progress::Progress;
use self::report::{Report, Settings};
use super::gateway::Gateway;
use super::read_model::ReadModel;
use odto_settings::{GatewayUrl, ReadModelUrl};

use super::{Endpoints, http};

const DEFINITIONS: &str = "\
What it reports:
  accepted/s   accepted jobs / submit phase wall time (first request sent to last answer,
               client clock)
  completed/s  COMPLETED jobs / (first job.created -> last job.completed or job.failed),
               event time
  latency      per job, job.created -> job.completed or job.failed, event time (the job's
               createdAt and its final updatedAt in the read model); nearest-rank p50/p90/p99
  lost         accepted jobs not finished --timeout after the last submission, or unknown to
               the read model

The run's jobs have their own type, <--type>.<run id> (the run id is also in the payload as
benchRun), so that the read model lists exactly them (GET /jobs?type=...). They run the
processor's default handler: simulated work of --duration-ms. Exit status 1 if any job is
lost or refused, or the stack cannot be reached.

Examples:
  odto bench --jobs 50000 --concurrency 200
  odto bench --jobs 30000 --rate 1000 --json
  odto bench --jobs 2000 --duration-ms 250 --concurrency 64 --timeout 2m";

#[derive(Debug, Args)]
#[command(after_long_help = DEFINITIONS)]
pub struct BenchArgs {
    #[command(flatten)]
    pub endpoints: Endpoints,
    /// Jobs to submit.
    #[arg(long, env = "ODTO_BENCH_JOBS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs: u64,
    /// Requests in flight at most; without --rate, each sends its next job when answered.
    #[arg(long, env = "ODTO_BENCH_CONCURRENCY", default_value_t = 64,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Submit at this many jobs per second, paced from the start (open loop).
    #[arg(long, env = "ODTO_BENCH_RATE", value_parser = positive)]
    pub rate: Option<f64>,
    /// How long each job's simulated work takes (payload durationMs; 0 = none).
    #[arg(long, env = "ODTO_BENCH_DURATION_MS", default_value_t = 0)]
    pub duration_ms: u64,
    /// Prefix of the run's job type, <TYPE>.<run id>: up to 47 of A-Z a-z 0-9 _ . : -
    #[arg(long = "type", env = "ODTO_BENCH_TYPE", default_value = "bench", value_parser = type_prefix)]
    pub job_type: String,
    /// Jobs per request: 1 posts each job to /jobs; more posts them to /jobs/batch.
    #[arg(long, env = "ODTO_BENCH_BATCH", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch: u16,
    /// How long to wait after the last submission for every job to finish (e.g. 90s, 5m).
    #[arg(long, env = "ODTO_BENCH_TIMEOUT", default_value = "60s", value_parser = http::duration)]
    pub timeout: Duration,
    /// Print the report as one JSON object on stdout.
    #[arg(long, env = "ODTO_BENCH_JSON", value_parser = FalseyValueParser::new())]
    pub json: bool,
    /// No progress bar (it is shown only when stderr is a terminal anyway).
    #[arg(long, env = "ODTO_BENCH_QUIET", value_parser = FalseyValueParser::new())]
    pub quiet: bool,
}

/// Room for `.` and the 16 characters of a run id within the 64 of a job type.
fn type_prefix(text: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_.:-".contains(c);
    if (1..=47).contains(&text.len()) && text.chars().all(allowed) {
        Ok(text.to_owned())
    } else {
        Err("must be 1 to 47 characters of A-Z a-z 0-9 _ . : -".into())
    }
}

fn positive(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err("must be a number of jobs per second above 0".into()),
    }
}

pub async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let plan = Plan {
        jobs: args.jobs,
        concurrency: usize::from(args.concurrency),
        rate: args.rate,
        batch: usize::from(args.batch),
    };
    let client = http::client(plan.concurrency)?;
    let Endpoints {
        gateway: GatewayUrl { url: gateway_url },
        read_model: ReadModelUrl {
            url: read_model_url,
        },
    } = &args.endpoints;
    http::ensure_ready(&client, "gateway", gateway_url).await?;
    http::ensure_ready(&client, "read model", read_model_url).await?;
    let gateway = Gateway::new(client.clone(), gateway_url)?;
    let read_model = ReadModel::new(client, read_model_url);

    let run_id = Uuid::new_v4().simple().to_string()[..16].to_owned();
    let run_type = format!("{}.{run_id}", args.job_type);
    let payload = json!({"durationMs": args.duration_ms, "benchRun": run_id});
    let job = json!({"type": run_type, "payload": payload});
    let bodies = Bodies::new(&job.to_string(), &plan);
    let progress = Progress::new(!args.quiet);
    // The bar's estimate of finished jobs, before few remain, is the growth of this total.
    let baseline = if progress.is_visible() {
        read_model.finished_total().await.ok()
    } else {
        None
    };

    let submitted = submit(&progress, gateway, plan, bodies).await;
    progress.phase("finish", submitted.accepted.len() as u64);
    let deadline = tokio::time::Instant::now() + args.timeout;
    let collected = collect::collect(
        &read_model,
        &run_type,
        &submitted.accepted,
        deadline,
        &progress,
        baseline,
    )
    .await?;
    progress.clear();

    let settings = Settings {
        jobs: plan.jobs,
        concurrency: plan.concurrency,
        rate: plan.rate,
        batch: plan.batch,
        duration_ms: args.duration_ms,
        job_type: run_type,
        timeout_s: args.timeout.as_secs_f64(),
    };
    print_report(
        &Report::new(run_id, settings, &submitted, &collected),
        args.json,
    )
}

/// The submit phase, with the progress bar following the answers.
async fn submit(progress: &Progress, gateway: Gateway, plan: Plan, bodies: Bodies) -> Submitted {
    progress.phase("submit", plan.jobs);
    let answered = Arc::new(AtomicU64::new(0));
    let ticker = progress.follow(answered.clone());
    let submitted = load::run(gateway, plan, bodies, answered).await;
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    submitted
}

fn print_report(report: &Report, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string(report)?);
    } else {
        print!("{report}");
    }
    Ok(verdict(report))
}

/// Exit status 0 only if every job was accepted and finished; otherwise says why on stderr.
fn verdict(report: &Report) -> ExitCode {
    if report.passed() {
        return ExitCode::SUCCESS;
    }
    if report.rejected > 0 {
        eprintln!(
            "odto: {} of {} jobs were not accepted",
            report.rejected, report.submitted
        );
    }
    if report.lost > 0 {
        eprintln!(
            "odto: {} of {} accepted jobs were lost (not finished within {} s of the last submission)",
            report.lost, report.accepted, report.settings.timeout_s
        );
    }
    ExitCode::FAILURE
}
