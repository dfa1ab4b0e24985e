//! Swagger UI served from the binary, and the OpenAPI document route.

use std::sync::LazyLock;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use odto_http::{openapi_route, swagger_ui};
use serde_json::{Value, json};
use tower::ServiceExt;

static DOCUMENT: LazyLock<Value> = LazyLock::new(
    || json!({"openapi": "3.1.0", "info": {"title": "Test API", "version": "1"}, "paths": {}}),
);

fn router() -> Router {
    swagger_ui("/api/openapi.json").merge(openapi_route("/api/openapi.json", &DOCUMENT))
}

async fn get(uri: &str) -> (StatusCode, String, String) {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let response = router().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = to_bytes(response.into_body(), 16 << 20).await.unwrap();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn mentions_a_remote_host(text: &str) -> bool {
    text.contains("http://") || text.contains("https://")
}

#[tokio::test]
async fn docs_without_trailing_slash_redirects_so_relative_assets_resolve() {
    let request = Request::get("/docs").body(Body::empty()).unwrap();

    let response = router().oneshot(request).await.unwrap();

    assert!(response.status().is_redirection());
    assert_eq!(response.headers()[header::LOCATION], "/docs/");
}

#[tokio::test]
async fn docs_index_is_html_that_loads_only_local_assets() {
    let (status, content_type, html) = get("/docs/").await;

    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(
        html.contains(r#"<script src="./swagger-ui-bundle.js""#),
        "{html}"
    );
    assert!(html.contains("./swagger-initializer.js"), "{html}");
    assert!(!mentions_a_remote_host(&html), "{html}");
}

#[tokio::test]
async fn initializer_loads_the_configured_document_with_the_validator_disabled() {
    let (status, content_type, script) = get("/docs/swagger-initializer.js").await;

    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("javascript"), "{content_type}");
    assert!(script.contains(r#""url": "/api/openapi.json""#), "{script}");
    // Swagger UI's default validatorUrl is validator.swagger.io; "none" turns the badge off.
    assert!(script.contains(r#""validatorUrl": "none""#), "{script}");
    assert!(
        script.contains(r#""queryConfigEnabled": false"#),
        "{script}"
    );
    // The upstream default (the petstore on swagger.io) must be gone.
    assert!(!mentions_a_remote_host(&script), "{script}");
}

#[tokio::test]
async fn stylesheets_embed_their_images_instead_of_fetching_them() {
    let (_, _, index_css) = get("/docs/index.css").await;
    let (status, content_type, css) = get("/docs/swagger-ui.css").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/css");
    assert!(!mentions_a_remote_host(&index_css), "{index_css}");
    assert!(!css.contains("@import") && !css.contains("@font-face"));
    // Every url(...) is a data: URI; the only "http://" in the file is the SVG namespace inside them.
    let urls: Vec<&str> = css.split("url(").skip(1).collect();
    assert!(!urls.is_empty());
    for url in urls {
        let url = url.trim_start_matches(['"', '\'']);
        assert!(
            url.starts_with("data:"),
            "remote url in css: {}",
            &url[..40]
        );
    }
}

#[tokio::test]
async fn unknown_docs_file_answers_json_404() {
    let (status, content_type, body) = get("/docs/no-such-file.js").await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(content_type, "application/json");
    assert!(body.contains(r#""code":"not_found""#), "{body}");
}

#[tokio::test]
async fn openapi_route_serves_the_document_as_json() {
    let (status, content_type, body) = get("/api/openapi.json").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/json");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), *DOCUMENT);
}
