use std::time::Duration;

use odto_contracts::{EventType, JobStatus};
use serde_json::json;

use crate::stack::{self, Kind, counts_from_events, verified_events};

on_every_backend!(a_few_hundred_mixed_jobs_all_finish_and_every_record_agrees);

async fn a_few_hundred_mixed_jobs_all_finish_and_every_record_agrees(kind: Kind) {
    let stack = stack::start_on(kind).await;
    let mut submissions = Vec::new();
    for i in 0..300 {
        let job = match i % 4 {
            0 => json!({"type": "test.instant", "payload": {"durationMs": 0}}),
            1 => json!({"type": "test.slow", "payload": {"durationMs": 150}}),
            2 => json!({"type": "test.doomed", "payload": {"fail": true}, "maxAttempts": 2}),
            _ => {
                json!({"type": "test.flaky", "payload": {"failProbability": 0.5}, "maxAttempts": 6})
            }
        };
        submissions.push((i % 4, stack.submit(job).await));
    }
    let ids: Vec<_> = submissions.iter().map(|(_, id)| *id).collect();

    let records = stack.wait_all_terminal(&ids, Duration::from_secs(90)).await;

    for ((kind, _), record) in submissions.iter().zip(&records) {
        let events = verified_events(stack.events.as_ref(), record).await;
        let attempts = stack.jobs.attempts(record.job.id).await.unwrap();
        assert_eq!(
            attempts.len() as u32,
            record.job.attempts.unwrap(),
            "one row per attempt"
        );
        match kind {
            0 | 1 => assert_eq!(record.job.status, JobStatus::Completed),
            2 => {
                assert_eq!(record.job.status, JobStatus::Failed);
                assert_eq!(
                    attempts.len(),
                    2,
                    "a failing job runs exactly maxAttempts times"
                );
                assert!(events.iter().any(|e| e.event_type == EventType::JobFailed));
            }
            _ => assert!(record.job.status.is_terminal()),
        }
        let created = events
            .iter()
            .filter(|e| e.event_type == EventType::JobCreated)
            .count();
        assert_eq!(
            created, 1,
            "job.created stored once although gateway and processor both send it"
        );
    }
    let truth = counts_from_events(stack.events.as_ref(), &ids).await;
    let terminal = truth.values().sum::<u64>();
    let stats = stack
        .wait_stats_settled(terminal, Duration::from_secs(30))
        .await;
    assert_eq!(stats["totalJobs"], 300);
    assert_eq!(
        stats["completedJobs"],
        *truth.get("COMPLETED").unwrap_or(&0)
    );
    assert_eq!(stats["failedJobs"], *truth.get("FAILED").unwrap_or(&0));
    assert_eq!(stats["conservation"]["holds"], true, "{stats}");
    stack.stop().await;
}
