//! `JobStore::list`: filters, payload search and cursor pagination.

use std::collections::HashSet;

use chrono::TimeDelta;
use odto_contracts::{Job, JobStatus};
use odto_store::StoreError;
use odto_store::jobs::{JobQuery, JobStore};
use serde_json::json;
use uuid::Uuid;

use crate::backend::{Backend, job, now, on_every_backend, start};

/// Records `job_type` jobs created `minutes` apart into the past, the first newest.
async fn record(store: &dyn JobStore, jobs: &[(&str, serde_json::Value)]) -> Vec<Job> {
    let start = now();
    let mut recorded = Vec::new();
    for (age, (job_type, payload)) in (0..).zip(jobs) {
        let mut job = job(job_type);
        job.created_at = start - TimeDelta::minutes(age);
        job.payload = payload.as_object().cloned();
        store.record_created(&job, "c").await.unwrap();
        recorded.push(job);
    }
    recorded
}

fn ids(items: &[odto_store::jobs::JobRecord]) -> Vec<Uuid> {
    items.iter().map(|r| r.job.id).collect()
}

async fn filters_on_status_and_type_are_combined(backend: Backend) {
    let store = backend.jobs().await;
    let jobs = record(
        &*store,
        &[
            ("a", json!({})),
            ("b", json!({})),
            ("a", json!({})),
            ("a", json!({})),
        ],
    )
    .await;
    start(&*store, &jobs[0], now()).await;
    start(&*store, &jobs[1], now()).await;

    let query = JobQuery {
        status: Some(JobStatus::Pending),
        job_type: Some("a".into()),
        limit: 10,
        ..JobQuery::default()
    };
    let page = store.list(&query).await.unwrap();

    assert_eq!(ids(&page.items), [jobs[2].id, jobs[3].id]);
    assert_eq!(page.next_cursor, None);
}

async fn text_search_is_case_insensitive_and_takes_wildcards_literally(backend: Backend) {
    let store = backend.jobs().await;
    let jobs = record(
        &*store,
        &[
            ("t", json!({"to": "Alice@Example.com"})),
            ("t", json!({"note": "50% off"})),
            ("t", json!({"note": "500 off"})),
            ("t", json!({"note": "a_b"})),
            ("t", json!({"note": "axb"})),
        ],
    )
    .await;
    let search = |text: &str| JobQuery {
        text: Some(text.into()),
        limit: 10,
        ..JobQuery::default()
    };

    let alice = store.list(&search("alice@example")).await.unwrap();
    let percent = store.list(&search("50%")).await.unwrap();
    let underscore = store.list(&search("a_b")).await.unwrap();
    // The payload's text is JSON as PostgreSQL prints jsonb: a space after the colon.
    let key_and_value = store.list(&search("\"TO\": \"alice")).await.unwrap();

    assert_eq!(ids(&alice.items), [jobs[0].id]);
    assert_eq!(ids(&percent.items), [jobs[1].id]);
    assert_eq!(ids(&underscore.items), [jobs[3].id]);
    assert_eq!(ids(&key_and_value.items), [jobs[0].id]);
}

async fn pages_list_every_job_once_newest_first(backend: Backend) {
    let store = backend.jobs().await;
    let payloads: Vec<_> = (0..23).map(|i| ("t", json!({ "i": i }))).collect();
    let jobs = record(&*store, &payloads).await;
    // Two jobs created in the same microsecond are ordered by id.
    let mut twin = job("t");
    twin.created_at = jobs[5].created_at;
    store.record_created(&twin, "c").await.unwrap();

    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let query = JobQuery {
            limit: 5,
            cursor,
            ..JobQuery::default()
        };
        let page = store.list(&query).await.unwrap();
        seen.extend(ids(&page.items));
        pages += 1;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }

    assert_eq!(pages, 5);
    assert_eq!(seen.len(), 24);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        24,
        "no duplicates"
    );
    let mut expected: Vec<_> = jobs
        .iter()
        .chain([&twin])
        .map(|j| (j.created_at, j.id))
        .collect();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        seen,
        expected.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    );
}

async fn a_cursor_the_store_did_not_issue_is_refused(backend: Backend) {
    let store = backend.jobs().await;
    let query = JobQuery {
        limit: 5,
        cursor: Some("not-a-cursor".into()),
        ..JobQuery::default()
    };

    let listed = store.list(&query).await;

    assert!(matches!(listed, Err(StoreError::Corrupt(_))), "{listed:?}");
}

on_every_backend!(postgres:
    filters_on_status_and_type_are_combined,
    text_search_is_case_insensitive_and_takes_wildcards_literally,
    pages_list_every_job_once_newest_first,
    a_cursor_the_store_did_not_issue_is_refused,
);
