//! `/openapi.json` and `/docs`: every route documented, every reference resolvable, no HTML
//! errors.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{error_body, spawn_read_model};

/// Every `$ref` in the document.
fn refs(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(key, item)| match (key.as_str(), item) {
                ("$ref", Value::String(target)) => {
                    found.insert(target.clone());
                }
                _ => refs(item, found),
            }),
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_with_resolvable_references() {
    let read_model = spawn_read_model().await;

    let document = read_model.get_json("/openapi.json").await;

    assert_eq!(document["openapi"], "3.1.0");
    for path in [
        "/stats",
        "/jobs/recent",
        "/jobs",
        "/jobs/{id}",
        "/events",
        "/queues",
        "/dlq",
        "/alerts",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/docs",
    ] {
        assert!(
            document["paths"][path]["get"].is_object(),
            "{path} undocumented"
        );
    }
    assert!(document["paths"]["/alerts/webhook"]["post"].is_object());
    let schemas = &document["components"]["schemas"];
    let mut targets = BTreeSet::new();
    refs(&document, &mut targets);
    for target in &targets {
        let name = target
            .strip_prefix("#/components/schemas/")
            .expect("local component ref");
        assert!(schemas[name].is_object(), "{target} dangles");
    }
    for reused in [
        "Job",
        "EventEnvelope",
        "Stats",
        "JobDetail",
        "QueueStats",
        "Alert",
        "AlertmanagerWebhook",
    ] {
        let target = format!("#/components/schemas/{reused}");
        assert!(targets.contains(&target), "{reused} not referenced");
    }
    assert!(
        !document.to_string().contains("odto.dev/contracts"),
        "remote schema ids would make Swagger UI fetch"
    );
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let read_model = spawn_read_model().await;

    let page = read_model.get("/docs/").await;
    let initializer = read_model.get("/docs/swagger-initializer.js").await;

    assert_eq!(page.status(), StatusCode::OK);
    let content_type = page.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(page.text().await.unwrap().contains("swagger-ui"));
    assert!(initializer.text().await.unwrap().contains("/openapi.json"));
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_json() {
    let read_model = spawn_read_model().await;

    let unknown = read_model.get("/nope").await;
    let wrong_method = read_model
        .client
        .post(read_model.url("/jobs"))
        .send()
        .await
        .unwrap();

    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        error_body(unknown).await["error"]["code"],
        "route_not_found"
    );
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        error_body(wrong_method).await["error"]["code"],
        "method_not_allowed"
    );
}
