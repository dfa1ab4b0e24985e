use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::spawn_gateway;

/// Every `$ref` in the document, to check that each one resolves.
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
async fn the_openapi_document_covers_every_route_and_both_body_forms() {
    let gateway = spawn_gateway().await;

    let document: Value = gateway.get("/openapi.json").await.json().await.unwrap();

    assert_eq!(document["openapi"], "3.1.0");
    for path in [
        "/jobs",
        "/jobs/batch",
        "/healthz",
        "/health",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/docs",
    ] {
        assert!(document["paths"][path].is_object(), "{path} undocumented");
    }
    let forms = &document["paths"]["/jobs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        ["oneOf"];
    let forms: Vec<_> = forms
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["$ref"].clone())
        .collect();
    assert!(forms.contains(&Value::from("#/components/schemas/Job")));
    assert!(forms.contains(&Value::from("#/components/schemas/JobSubmission")));
    let mut targets = BTreeSet::new();
    refs(&document, &mut targets);
    for target in targets {
        let name = target
            .strip_prefix("#/components/schemas/")
            .expect("local component ref");
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{target} dangles"
        );
    }
    let text = document.to_string();
    assert!(
        !text.contains("odto.dev/contracts"),
        "remote schema ids would make Swagger UI fetch"
    );
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let gateway = spawn_gateway().await;

    let page = gateway.get("/docs/").await;

    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let initializer = gateway
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
}
