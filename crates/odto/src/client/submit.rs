//! `odto submit`: posts jobs to the gateway (short form) and prints each accepted job id; with
//! `--wait`, waits until every job is finished and prints its final state instead.
//!
//! Submission stops at the first refusal (the jobs already in flight still finish and are
//! printed); the gateway's error is shown and the exit status is 1. With `--wait` the exit
//! status is 0 only if every job COMPLETED.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use clap::builder::FalseyValueParser;
use futures_util::{StreamExt, stream};
use odto_contracts::read_api::JobView;
use odto_contracts::{Job, JobStatus};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::gateway::{Accepted, Gateway, Refusal};
use super::read_model::ReadModel;
use super::{Endpoints, http};

/// Requests in flight at once.
const PARALLEL: usize = 16;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    odto submit --type report.render --payload '{\"durationMs\": 250}'\n  \
    odto submit --type email.send --count 100 --json\n  \
    odto submit --type demo --payload '{\"fail\": true}' --max-attempts 2 --wait")]
pub struct SubmitArgs {
    #[command(flatten)]
    pub endpoints: Endpoints,
    /// Job type: 1 to 64 characters of A-Z a-z 0-9 _ . : -
    #[arg(long = "type", env = "ODTO_SUBMIT_TYPE")]
    pub job_type: String,
    /// Payload, a JSON object; the built-in work reads durationMs, fail, failProbability.
    #[arg(long, env = "ODTO_SUBMIT_PAYLOAD", value_parser = json_object)]
    pub payload: Option<Map<String, Value>>,
    /// Metadata, a JSON object kept with the job.
    #[arg(long, env = "ODTO_SUBMIT_METADATA", value_parser = json_object)]
    pub metadata: Option<Map<String, Value>>,
    /// How many jobs to submit, each with the same type and payload.
    #[arg(long, env = "ODTO_SUBMIT_COUNT", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub count: u32,
    /// Priority, 0 (default) to 9 (first).
    #[arg(long, env = "ODTO_SUBMIT_PRIORITY")]
    pub priority: Option<u8>,
    /// Attempts before the job is FAILED (gateway default 3).
    #[arg(long, env = "ODTO_SUBMIT_MAX_ATTEMPTS")]
    pub max_attempts: Option<u32>,
    /// Run no earlier than this many milliseconds after acceptance.
    #[arg(long, env = "ODTO_SUBMIT_DELAY_MS")]
    pub delay_ms: Option<u64>,
    /// Idempotency key: a repeat within the retention window returns the first job and
    /// enqueues nothing. With --count N, job i gets the key KEY-i (1-based).
    #[arg(long, env = "ODTO_SUBMIT_IDEMPOTENCY_KEY")]
    pub idempotency_key: Option<String>,
    /// Correlation id sent as X-Correlation-Id (any string up to 128 characters).
    #[arg(long, env = "ODTO_CORRELATION_ID")]
    pub correlation_id: Option<String>,
    /// Wait until every job is finished, then print `ID STATUS` (exit 0 only if all COMPLETED).
    #[arg(long, env = "ODTO_SUBMIT_WAIT", value_parser = FalseyValueParser::new())]
    pub wait: bool,
    /// How long --wait waits (e.g. 500ms, 30s, 2m).
    #[arg(long, env = "ODTO_SUBMIT_TIMEOUT", default_value = "60s", value_parser = http::duration)]
    pub timeout: Duration,
    /// Print one JSON object per job: {jobId, eventId, replayed}, or with --wait the job as the
    /// read model shows it.
    #[arg(long, env = "ODTO_SUBMIT_JSON", value_parser = FalseyValueParser::new())]
    pub json: bool,
}

fn json_object(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str(text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err("must be a JSON object, e.g. '{\"durationMs\": 250}'".into()),
        Err(error) => Err(format!("not JSON: {error}")),
    }
}

pub async fn run(args: SubmitArgs) -> anyhow::Result<ExitCode> {
    let client = http::client(PARALLEL)?;
    let gateway = Gateway::new(client.clone(), &args.endpoints.gateway.url)?;
    let (accepted, refused) = submit_all(&gateway, &args).await;
    if let Some((index, refusal)) = &refused {
        let (done, count) = (accepted.len(), args.count);
        eprintln!(
            "odto: job {} of {count} was not accepted: {refusal}",
            index + 1
        );
        if count > 1 {
            eprintln!("odto: {done} of {count} jobs were accepted");
        }
        return Ok(ExitCode::FAILURE);
    }
    if !args.wait {
        return Ok(ExitCode::SUCCESS);
    }
    let read_model = ReadModel::new(client, &args.endpoints.read_model.url);
    let ids: Vec<Uuid> = accepted.iter().map(|a| a.job.job_id).collect();
    let finished = wait_finished(&read_model, &ids, args.timeout).await?;
    Ok(print_finished(&ids, &finished, args.json, args.timeout))
}

/// Submits the jobs in order, printing each accepted one at once unless waiting; stops
/// submitting at the first refusal and returns it with the job's index.
async fn submit_all(
    gateway: &Gateway,
    args: &SubmitArgs,
) -> (Vec<Accepted>, Option<(u32, Refusal)>) {
    let refused = AtomicBool::new(false);
    let shared = (args.idempotency_key.is_none()).then(|| body(args, None));
    let mut answers = stream::iter(0..args.count)
        .map(|index| {
            let body = shared.clone().unwrap_or_else(|| body(args, Some(index)));
            let refused = &refused;
            async move {
                if refused.load(Ordering::Relaxed) {
                    return None;
                }
                let answer = gateway.submit(body, args.correlation_id.as_deref()).await;
                refused.fetch_or(answer.is_err(), Ordering::Relaxed);
                Some((index, answer))
            }
        })
        .buffered(PARALLEL);
    let mut accepted = Vec::new();
    let mut first_refusal = None;
    while let Some(answer) = answers.next().await {
        match answer {
            Some((_, Ok(job))) => {
                if !args.wait {
                    print_accepted(&job, args.json);
                }
                accepted.push(job);
            }
            Some((index, Err(refusal))) => {
                first_refusal.get_or_insert((index, refusal));
            }
            None => {}
        }
    }
    (accepted, first_refusal)
}

/// The short-form body of job `index`: its idempotency key, if any, made unique per job.
fn body(args: &SubmitArgs, index: Option<u32>) -> Bytes {
    let mut job = Map::new();
    job.insert("type".into(), args.job_type.clone().into());
    let optional = [
        ("payload", args.payload.clone().map(Value::Object)),
        ("metadata", args.metadata.clone().map(Value::Object)),
        ("priority", args.priority.map(Value::from)),
        ("maxAttempts", args.max_attempts.map(Value::from)),
        ("delayMs", args.delay_ms.map(Value::from)),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            job.insert(name.into(), value);
        }
    }
    if let Some(key) = &args.idempotency_key {
        let key = match index {
            Some(index) if args.count > 1 => format!("{key}-{}", index + 1),
            _ => key.clone(),
        };
        job.insert("idempotencyKey".into(), key.into());
    }
    Bytes::from(Value::Object(job).to_string())
}

fn print_accepted(accepted: &Accepted, json: bool) {
    let job = &accepted.job;
    if json {
        let line =
            json!({"jobId": job.job_id, "eventId": job.event_id, "replayed": accepted.replayed});
        println!("{line}");
    } else {
        println!("{}", job.job_id);
    }
}

/// Polls the read model until every job is finished or `timeout` passes; returns the latest
/// view of each job the read model knows.
async fn wait_finished(
    read_model: &ReadModel,
    ids: &[Uuid],
    timeout: Duration,
) -> anyhow::Result<HashMap<Uuid, JobView>> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut seen: HashMap<Uuid, JobView> = HashMap::new();
    let mut pending: Vec<Uuid> = ids.to_vec();
    let mut pause = Duration::from_millis(50);
    while !pending.is_empty() {
        let views: Vec<_> = stream::iter(&pending)
            .map(|id| async move { (*id, read_model.job(*id).await) })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for (id, view) in views {
            if let Some(view) = view? {
                seen.insert(id, view);
            }
        }
        pending.retain(|id| !seen.get(id).is_some_and(is_finished));
        if pending.is_empty() || tokio::time::Instant::now() >= deadline {
            break;
        }
        // Not a wait for a condition in a test: the pace at which a client polls a server.
        tokio::time::sleep(pause.min(deadline - tokio::time::Instant::now())).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
    Ok(seen)
}

fn is_finished(view: &JobView) -> bool {
    view.job.status.is_terminal()
}

/// Prints each job's final state in submission order; exit 0 only if every job COMPLETED.
fn print_finished(
    ids: &[Uuid],
    seen: &HashMap<Uuid, JobView>,
    json: bool,
    timeout: Duration,
) -> ExitCode {
    let mut all_completed = true;
    for id in ids {
        let view = seen.get(id);
        let job = view.map(|view| &view.job);
        all_completed &= job.is_some_and(|j| j.status == JobStatus::Completed);
        if json {
            let line = view.map_or_else(|| json!({"id": id, "status": null}), |view| json!(view));
            println!("{line}");
            continue;
        }
        let line = match job {
            None => format!("{id} UNKNOWN (the read model does not know it after {timeout:?})"),
            Some(j) if !j.status.is_terminal() => {
                format!("{id} {} (not finished after {timeout:?})", j.status)
            }
            Some(Job {
                last_error: Some(error),
                status: JobStatus::Failed,
                ..
            }) => format!("{id} FAILED ({error})"),
            Some(j) => format!("{id} {}", j.status),
        };
        println!("{line}");
    }
    if all_completed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        submit: SubmitArgs,
    }

    fn parse(args: &[&str]) -> SubmitArgs {
        Cli::try_parse_from(std::iter::once("submit").chain(args.iter().copied()))
            .unwrap()
            .submit
    }

    fn body_of(args: &SubmitArgs, index: Option<u32>) -> Value {
        serde_json::from_slice(&body(args, index)).unwrap()
    }

    #[test]
    fn the_body_is_the_short_form_with_only_the_fields_given() {
        let args = parse(&[
            "--type",
            "t",
            "--payload",
            r#"{"durationMs": 5}"#,
            "--priority",
            "7",
        ]);

        let body = body_of(&args, None);

        assert_eq!(
            body,
            json!({"type": "t", "payload": {"durationMs": 5}, "priority": 7})
        );
    }

    #[test]
    fn each_of_many_jobs_gets_its_own_idempotency_key() {
        let many = parse(&["--type", "t", "--count", "3", "--idempotency-key", "k"]);
        let one = parse(&["--type", "t", "--idempotency-key", "k"]);

        assert_eq!(body_of(&many, Some(0))["idempotencyKey"], "k-1");
        assert_eq!(body_of(&many, Some(2))["idempotencyKey"], "k-3");
        assert_eq!(body_of(&one, Some(0))["idempotencyKey"], "k");
    }

    #[test]
    fn a_payload_that_is_not_a_json_object_is_refused_with_the_reason() {
        let cli = |payload: &str| {
            Cli::try_parse_from(["submit", "--type", "t", "--payload", payload])
                .unwrap_err()
                .to_string()
        };

        assert!(
            cli("[1, 2]").contains("must be a JSON object"),
            "{}",
            cli("[1, 2]")
        );
        assert!(cli("{oops").contains("not JSON"), "{}", cli("{oops"));
    }
}
