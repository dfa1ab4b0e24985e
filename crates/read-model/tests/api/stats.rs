//! `GET /stats`: the statistics as applied, under the reference's field names.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::harness::spawn_read_model;
use crate::seed::{at, job};

fn parse_time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("{value} is not an RFC 3339 time"))
}

#[tokio::test]
async fn stats_report_what_was_applied_under_the_reference_names() {
    let read_model = spawn_read_model().await;
    let base = Utc::now().trunc_subsecs(3) - chrono::TimeDelta::seconds(20);
    let done = job("report.render", json!({}), base);
    let broken = job("report.render", json!({}), at(base, 1));
    let waiting = job("email.send", json!({}), at(base, 2));
    let running = job("email.send", json!({}), at(base, 3));
    read_model.run(&done, None).await;
    let failed = read_model.run(&broken, Some("boom")).await;
    read_model.create(&waiting).await;
    read_model.create(&running).await;
    read_model.start(&running, at(base, 4)).await;

    let stats = read_model.get_json("/stats").await;

    assert_eq!(stats["totalJobs"], 4, "accepted, not completed: {stats}");
    assert_eq!(stats["pendingJobs"], 1);
    assert_eq!(stats["executingJobs"], 1);
    assert_eq!(stats["completedJobs"], 1);
    assert_eq!(stats["failedJobs"], 1);
    assert_eq!(stats["cancelledJobs"], 0);
    let newest = failed.last().unwrap().occurred_at.max(at(base, 4));
    assert_eq!(parse_time(&stats["lastEventTime"]), newest);
    assert_eq!(stats["byType"]["report.render"]["completed"], 1);
    assert_eq!(stats["byType"]["report.render"]["failed"], 1);
    assert_eq!(stats["byType"]["email.send"]["pending"], 1);
    assert_eq!(stats["byType"]["email.send"]["executing"], 1);
    assert_eq!(
        stats["conservation"],
        json!({"accepted": 4, "accounted": 4, "holds": true})
    );
    let throughput = stats["throughput"].as_array().unwrap();
    assert_eq!(
        throughput.len(),
        60,
        "one entry per second of the last minute"
    );
    let sum = |what: &str| {
        throughput
            .iter()
            .map(|s| s[what].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(
        (sum("accepted"), sum("completed"), sum("failed")),
        (4, 1, 1)
    );
    let seconds: Vec<i64> = throughput
        .iter()
        .map(|s| s["second"].as_i64().unwrap())
        .collect();
    assert!(seconds.windows(2).all(|w| w[1] == w[0] + 1), "oldest first");
}

#[tokio::test]
async fn stats_of_an_empty_system_are_zeros_with_no_last_event_time() {
    let read_model = spawn_read_model().await;

    let stats = read_model.get_json("/stats").await;

    for field in [
        "totalJobs",
        "pendingJobs",
        "executingJobs",
        "completedJobs",
        "failedJobs",
    ] {
        assert_eq!(stats[field], 0, "{field} in {stats}");
    }
    assert_eq!(stats["lastEventTime"], Value::Null);
    assert_eq!(stats["byType"], json!({}));
    assert_eq!(stats["conservation"]["holds"], true);
    assert_eq!(stats["throughput"].as_array().unwrap().len(), 60);
}
