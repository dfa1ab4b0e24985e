//! The JSON error shape, as a client sees it through a router.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use odto_http::{ApiError, ErrorDetail, method_not_allowed, route_not_found};
use serde_json::{Value, json};
use tower::ServiceExt;

fn router() -> Router {
    Router::new()
        .route("/things/{id}", get(|| async { "thing" }))
        .route("/busy", get(busy))
        .route("/invalid", get(invalid))
        .route("/echo", post(echo))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn busy() -> ApiError {
    ApiError::service_unavailable("broker_unavailable", "the broker is down", 7)
}

async fn invalid() -> ApiError {
    ApiError::bad_request("invalid_job", "the job is invalid")
        .with_details(vec![ErrorDetail::new("/type", "must not be empty")])
}

async fn echo(
    body: Result<axum::Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Response {
    use axum::response::IntoResponse;
    match body {
        Ok(json) => json.into_response(),
        Err(rejection) => ApiError::from(rejection).into_response(),
    }
}

async fn send(request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = router().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.unwrap();
    let json = serde_json::from_slice(&bytes).expect("error bodies are JSON");
    (parts.status, parts.headers, json)
}

fn get_request(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn unknown_route_answers_404_json_with_code_route_not_found() {
    let (status, headers, body) = send(get_request("/nope/at/all")).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(body["error"]["code"], "route_not_found");
    assert_eq!(body["error"]["details"], json!([]));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/nope/at/all")
    );
}

#[tokio::test]
async fn wrong_method_answers_405_json_and_keeps_the_allow_header() {
    let request = Request::delete("/things/1").body(Body::empty()).unwrap();

    let (status, headers, body) = send(request).await;

    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(body["error"]["code"], "method_not_allowed");
    assert!(headers[header::ALLOW].to_str().unwrap().contains("GET"));
}

#[tokio::test]
async fn service_unavailable_sets_the_retry_after_header() {
    let (status, headers, body) = send(get_request("/busy")).await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::RETRY_AFTER], "7");
    assert_eq!(body["error"]["code"], "broker_unavailable");
}

#[tokio::test]
async fn errors_without_retry_after_send_no_retry_after_header() {
    let (status, headers, body) = send(get_request("/invalid")).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers.get(header::RETRY_AFTER).is_none());
    assert_eq!(
        body,
        json!({"error": {
            "code": "invalid_job",
            "message": "the job is invalid",
            "details": [{"path": "/type", "message": "must not be empty"}]
        }})
    );
}

#[tokio::test]
async fn malformed_json_body_answers_json_not_plain_text() {
    let request = Request::post("/echo")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();

    let (status, headers, body) = send(request).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(body["error"]["code"], "malformed_json");
}

#[tokio::test]
async fn wrong_content_type_answers_415_unsupported_media_type() {
    let request = Request::post("/echo")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{}"))
        .unwrap();

    let (status, _, body) = send(request).await;

    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["error"]["code"], "unsupported_media_type");
}

#[test]
fn accessors_report_what_the_error_was_built_with() {
    let error = ApiError::not_found("no job 42").with_retry_after(3);

    assert_eq!(error.status(), StatusCode::NOT_FOUND);
    assert_eq!(error.code(), "not_found");
    assert_eq!(error.retry_after(), Some(3));
    assert_eq!(error.to_string(), "404 not_found: no job 42");
}
