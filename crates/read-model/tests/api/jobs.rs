//! `GET /jobs/recent` and `GET /jobs`: newest first, filters, payload search, cursor pages.

use std::collections::BTreeSet;

use chrono::{SubsecRound, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::spawn_read_model;
use crate::seed::{at, correlation_id, job};

fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn recent_jobs_are_newest_first_in_the_reference_shape() {
    let read_model = spawn_read_model().await;
    let base = Utc::now().trunc_subsecs(3);
    let jobs: Vec<_> = (0..12)
        .map(|i| job("report.render", json!({"n": i}), at(base, i)))
        .collect();
    for job in &jobs {
        read_model.create(job).await;
    }

    let recent = read_model.get_json("/jobs/recent").await;
    let three = read_model.get_json("/jobs/recent?limit=3").await;

    let newest_first: Vec<String> = jobs.iter().rev().map(|j| j.id.to_string()).collect();
    assert_eq!(ids(&recent), newest_first[..10], "default limit 10");
    assert_eq!(ids(&three), newest_first[..3]);
    let first = recent[0].as_object().unwrap();
    let keys: BTreeSet<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["id", "type", "status", "createdAt"]));
    assert_eq!(first["type"], "report.render");
    assert_eq!(first["status"], "PENDING");
}

#[tokio::test]
async fn empty_listings_are_empty_arrays_never_null() {
    let read_model = spawn_read_model().await;

    let recent = read_model.get_json("/jobs/recent").await;
    let page = read_model.get_json("/jobs").await;

    assert_eq!(recent, json!([]));
    assert_eq!(page, json!({"items": [], "nextCursor": null}));
}

#[tokio::test]
async fn jobs_filter_by_status_and_type_and_carry_their_bookkeeping() {
    let read_model = spawn_read_model().await;
    let base = Utc::now().trunc_subsecs(3);
    let done = job("report.render", json!({}), base);
    let broken = job("report.render", json!({}), at(base, 10));
    let other = job("email.send", json!({}), at(base, 20));
    read_model.run(&done, None).await;
    read_model.run(&broken, Some("disk full")).await;
    read_model.create(&other).await;

    let failed = read_model.get_json("/jobs?status=FAILED").await;
    let lower_case = read_model.get_json("/jobs?status=failed").await;
    let reports = read_model.get_json("/jobs?type=report.render").await;
    let completed_emails = read_model
        .get_json("/jobs?type=email.send&status=COMPLETED")
        .await;

    assert_eq!(ids(&failed["items"]), [broken.id.to_string()]);
    assert_eq!(lower_case["items"], failed["items"]);
    let report_ids = [broken.id.to_string(), done.id.to_string()];
    assert_eq!(ids(&reports["items"]), report_ids);
    assert_eq!(completed_emails["items"], json!([]));
    let item = &failed["items"][0];
    assert_eq!(item["status"], "FAILED");
    assert_eq!(item["lastError"], "disk full");
    assert_eq!(item["maxAttempts"], 3, "the default when the job sets none");
    assert_eq!(item["runAttempts"], 1);
    assert_eq!(item["correlationId"], correlation_id(&broken));
    assert!(item["finishedAt"].is_string(), "{item}");
    let pending = read_model.get_json("/jobs?status=PENDING").await;
    assert_eq!(pending["items"][0]["finishedAt"], Value::Null);
}

#[tokio::test]
async fn payload_search_finds_text_in_payloads_case_insensitively() {
    let read_model = spawn_read_model().await;
    let base = Utc::now().trunc_subsecs(3);
    let invoice = job("email.send", json!({"to": "Ada@Example.org"}), base);
    let report = job(
        "email.send",
        json!({"to": "grace@example.org"}),
        at(base, 1),
    );
    let literal = job("email.send", json!({"note": "50%_off"}), at(base, 2));
    for job in [&invoice, &report, &literal] {
        read_model.create(job).await;
    }

    let ada = read_model.get_json("/jobs?q=ada%40example").await;
    let both = read_model.get_json("/jobs?q=EXAMPLE.ORG").await;
    let percent = read_model.get_json("/jobs?q=50%25_").await;
    let nobody = read_model.get_json("/jobs?q=nobody").await;

    assert_eq!(ids(&ada["items"]), [invoice.id.to_string()]);
    assert_eq!(
        ids(&both["items"]),
        [report.id.to_string(), invoice.id.to_string()]
    );
    assert_eq!(ids(&percent["items"]), [literal.id.to_string()]);
    assert_eq!(nobody["items"], json!([]));
}

#[tokio::test]
async fn cursor_pages_cover_every_job_once_newest_first() {
    let read_model = spawn_read_model().await;
    let base = Utc::now().trunc_subsecs(3);
    let jobs: Vec<_> = (0..7)
        .map(|i| job("batch.item", json!({"i": i}), at(base, i)))
        .collect();
    for job in &jobs {
        read_model.create(job).await;
    }

    let mut seen = Vec::new();
    let mut path = "/jobs?limit=3".to_owned();
    let mut pages = 0;
    loop {
        let page = read_model.get_json(&path).await;
        pages += 1;
        seen.extend(ids(&page["items"]));
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/jobs?limit=3&cursor={cursor}"),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }

    let newest_first: Vec<String> = jobs.iter().rev().map(|j| j.id.to_string()).collect();
    assert_eq!(seen, newest_first);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn bad_listing_parameters_are_400_json_naming_the_parameter() {
    let read_model = spawn_read_model().await;

    for (path, parameter) in [
        ("/jobs?status=DONE", "status"),
        ("/jobs?limit=0", "limit"),
        ("/jobs?limit=501", "limit"),
        ("/jobs?limit=ten", "limit"),
        ("/jobs?type=has%20space", "type"),
        ("/jobs?cursor=not-a-cursor", "cursor"),
        ("/jobs/recent?limit=101", "limit"),
        ("/jobs/recent?limit=-1", "limit"),
    ] {
        let body = read_model.get_error(path, StatusCode::BAD_REQUEST).await;

        assert_eq!(body["error"]["code"], "invalid_query", "{path}: {body}");
        assert_eq!(body["error"]["details"][0]["path"], parameter, "{path}");
    }
}
