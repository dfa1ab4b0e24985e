//! `GET /dlq`: dead letters, newest first, in pages, with the total.

use chrono::{SubsecRound, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::spawn_read_model;
use crate::seed::at;

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|letter| letter["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn dead_letters_page_newest_first_with_the_total() {
    let read_model = spawn_read_model().await;
    let base = Utc::now().trunc_subsecs(3);
    let mut letters = Vec::new();
    for i in 0..5 {
        let reason = format!("unparseable #{i}");
        letters.push(read_model.dead_letter(&reason, at(base, i)).await);
    }

    let first = read_model.get_json("/dlq?limit=3").await;
    let cursor = first["nextCursor"].as_str().expect("a next page");
    let second = read_model
        .get_json(&format!("/dlq?limit=3&cursor={cursor}"))
        .await;

    let newest_first: Vec<String> = letters.iter().rev().map(|l| l.id.to_string()).collect();
    assert_eq!(ids(&first), newest_first[..3]);
    assert_eq!(ids(&second), newest_first[3..]);
    assert_eq!(second["nextCursor"], Value::Null);
    assert_eq!(
        (first["total"].clone(), second["total"].clone()),
        (json!(5), json!(5))
    );
    let newest = &first["items"][0];
    assert_eq!(newest["reason"], "unparseable #4");
    assert_eq!(newest["source"], "jobs.created");
    assert_eq!(newest["body"], "{\"unparseable\": \"unparseable #4\"}");
    assert_eq!(newest["jobId"], Value::Null);
}

#[tokio::test]
async fn no_dead_letters_is_an_empty_page() {
    let read_model = spawn_read_model().await;

    let page = read_model.get_json("/dlq").await;

    assert_eq!(page, json!({"items": [], "nextCursor": null, "total": 0}));
}

#[tokio::test]
async fn bad_dead_letter_parameters_are_400_json() {
    let read_model = spawn_read_model().await;

    for (path, parameter) in [
        ("/dlq?limit=0", "limit"),
        ("/dlq?limit=many", "limit"),
        ("/dlq?cursor=garbage", "cursor"),
    ] {
        let body = read_model.get_error(path, StatusCode::BAD_REQUEST).await;

        assert_eq!(body["error"]["details"][0]["path"], parameter, "{path}");
    }
}
