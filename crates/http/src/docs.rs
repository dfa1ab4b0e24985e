//! Swagger UI and the OpenAPI document, served from the binary.
//!
//! The Swagger UI assets come from `utoipa-swagger-ui`'s `vendored` feature: they are compiled into
//! the binary from a zip shipped inside a crates.io package, so neither the build nor the browser
//! needs the internet (machines running the observatory may be offline).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use utoipa_swagger_ui::Config;

use crate::error::ApiError;

/// Where Swagger UI is mounted. Its `index.html` loads its assets by relative URL, which is why
/// `/docs` must redirect to `/docs/`.
pub const DOCS_PATH: &str = "/docs/";

/// Serves Swagger UI at `/docs` (redirects), `/docs/` and `/docs/{*file}`, configured to load the
/// OpenAPI document at `openapi_url`.
///
/// The online validator badge is disabled (`validatorUrl: "none"`): otherwise the browser would
/// send the document's URL to validator.swagger.io.
pub fn swagger_ui(openapi_url: &'static str) -> Router {
    let config = Arc::new(swagger_config(openapi_url));
    let index = {
        let config = config.clone();
        move || serve_asset(String::new(), config)
    };
    let asset = move |Path(file): Path<String>| serve_asset(file, config);
    Router::new()
        .route("/docs", get(|| async { Redirect::permanent(DOCS_PATH) }))
        .route(DOCS_PATH, get(index))
        .route("/docs/{*file}", get(asset))
}

/// The Swagger UI configuration: one document, no validator, no loading specs named in the
/// query string (`?url=` would let a link make the page fetch from any host).
fn swagger_config(openapi_url: &'static str) -> Config<'static> {
    Config::from(openapi_url)
        .validator_url("none")
        .query_config_enabled(false)
}

async fn serve_asset(file: String, config: Arc<Config<'static>>) -> Response {
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(asset)) => {
            let content_type = asset.content_type;
            let body = Bytes::from(asset.bytes.into_owned());
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Ok(None) => ApiError::not_found(format!("no Swagger UI file {file}")).into_response(),
        Err(error) => {
            tracing::error!(%error, file, "failed to render Swagger UI asset");
            ApiError::internal("failed to render Swagger UI").into_response()
        }
    }
}

/// Serves `document` as `application/json` at `path` (e.g. `/openapi.json`).
///
/// The document is serialized once, when the router is built. A `&'static` document is what a
/// `static DOC: std::sync::LazyLock<Value>` gives; see [`leak_document`] for one built at run time.
pub fn openapi_route(path: &'static str, document: &'static serde_json::Value) -> Router {
    let body = Bytes::from(serde_json::to_vec(document).expect("a Value always serializes"));
    let handler = move || async move { ([(header::CONTENT_TYPE, "application/json")], body) };
    Router::new().route(path, get(handler))
}

/// Gives a document built at start-up the `'static` lifetime [`openapi_route`] needs. Leaks one
/// allocation per call, so call it once per process, not per request or per test in a loop.
pub fn leak_document(document: serde_json::Value) -> &'static serde_json::Value {
    Box::leak(Box::new(document))
}
