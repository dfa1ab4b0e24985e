//! Serves Swagger UI and a tiny OpenAPI 3.1 document, for eyeballing `/docs/` in a browser and for
//! `tests/browser/check-docs.mjs`.
//!
//! ```text
//! cargo run -p odto-http --example docs_demo -- [port]   # port 0 (default) picks a free one
//! ```
//!
//! Prints `listening on http://127.0.0.1:<port>` once the socket is bound, then serves until
//! ctrl-c or SIGTERM.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::LazyLock;

use axum::Router;
use axum::routing::get;
use odto_http::{
    ServiceMetrics, health_body, instrument, method_not_allowed, metrics_route, openapi_route,
    route_not_found, shutdown_signal, swagger_ui,
};
use serde_json::{Value, json};

const OPENAPI_URL: &str = "/openapi.json";

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ODTO docs demo",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A tiny document served by odto-http's docs_demo example."
        },
        "paths": {
            "/healthz": {
                "get": {
                    "summary": "Liveness probe",
                    "responses": {"200": {"description": "The process is up"}}
                }
            }
        }
    })
});

fn router() -> Router {
    let metrics = ServiceMetrics::new("docs_demo");
    let routes = Router::new()
        .route(
            "/healthz",
            get(|| async { health_body("docs_demo", env!("CARGO_PKG_VERSION")) }),
        )
        .merge(swagger_ui(OPENAPI_URL))
        .merge(openapi_route(OPENAPI_URL, &DOCUMENT))
        .merge(metrics_route(metrics.clone()))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed);
    instrument(routes, metrics)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(std::io::Error::other)?,
        None => 0,
    };
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    // Scripts wait for this line to learn the port.
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router())
        .with_graceful_shutdown(shutdown_signal())
        .await
}
