//! `/metrics`: the shared HTTP metrics under `odto_read_model_…`, and gauges read at scrape time,
//! all with bounded label values.

use chrono::Utc;
use odto_bus::topology::QUEUES;
use uuid::Uuid;

use crate::harness::spawn_read_model;

/// The value of the sample of `name` carrying every label of `labels` (in any order).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter_map(|line| line.strip_prefix(name)?.strip_prefix('{'))
        .filter_map(|rest| rest.split_once("} "))
        .find(|(found, _)| {
            labels.iter().all(|(key, value)| {
                found
                    .split(',')
                    .any(|pair| pair == format!("{key}=\"{value}\""))
            })
        })
        .and_then(|(_, value)| value.trim().parse().ok())
}

#[tokio::test]
async fn requests_are_counted_by_route_pattern_never_by_path() {
    let read_model = spawn_read_model().await;
    let random_paths: Vec<String> = (0..3)
        .map(|_| format!("/jobs/{}", Uuid::new_v4()))
        .collect();
    for path in &random_paths {
        read_model.get(path).await;
    }
    read_model.get("/no/such/route").await;

    let response = read_model.get("/metrics").await;

    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap();
    let by_pattern = [
        ("route", "/jobs/{id}"),
        ("status", "404"),
        ("service", "read_model"),
    ];
    let requests = "odto_read_model_http_requests_total";
    assert_eq!(sample(&text, requests, &by_pattern), Some(3.0), "{text}");
    assert_eq!(
        sample(&text, requests, &[("route", "unmatched")]),
        Some(1.0),
        "{text}"
    );
    for path in random_paths
        .iter()
        .map(String::as_str)
        .chain(["/no/such/route"])
    {
        assert!(!text.contains(path), "{path} became a label value");
    }
}

#[tokio::test]
async fn gauges_show_dead_letters_queues_and_backends_as_of_the_scrape() {
    let read_model = spawn_read_model().await;
    let before = read_model.get("/metrics").await.text().await.unwrap();
    read_model.dead_letter("bad json", Utc::now()).await;
    read_model.dead_letter("bad type", Utc::now()).await;

    let text = read_model.get("/metrics").await.text().await.unwrap();

    let letters = "odto_read_model_dead_letters";
    assert_eq!(sample(&before, letters, &[]), Some(0.0), "{before}");
    assert_eq!(sample(&text, letters, &[]), Some(2.0), "{text}");
    for queue in QUEUES {
        let depth = sample(
            &text,
            "odto_read_model_queue_depth",
            &[("queue", queue.name)],
        );
        assert_eq!(depth, Some(0.0), "{} in {text}", queue.name);
    }
    let queue_series = text
        .lines()
        .filter(|line| line.starts_with("odto_read_model_queue_depth{"))
        .count();
    assert_eq!(queue_series, QUEUES.len(), "one series per topology queue");
    for backend in ["postgres", "redis", "broker"] {
        let up = sample(&text, "odto_read_model_backend_up", &[("backend", backend)]);
        assert_eq!(up, Some(1.0), "{backend} in {text}");
    }
}
