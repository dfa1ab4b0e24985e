//! HTTP plumbing shared by every service of the Distributed Task Observatory.
//!
//! Each service (gateway, read model, …) is an axum server that must answer the same way at its
//! edges, so those edges live here once:
//!
//! - [`error`]: the single JSON error shape `{"error":{"code","message","details"}}`, including
//!   the fallbacks for unknown routes and wrong methods, so no service ever answers HTML or an
//!   empty body.
//! - [`metrics`]: a Prometheus registry per service (`odto_<service>_…`, `service` label, plus
//!   `process_*` and `odto_build_info` from [`build_info`]) and a middleware that counts requests
//!   and times them with bounded label values.
//! - [`docs`]: Swagger UI compiled into the binary (no CDN) and the OpenAPI document route.
//! - [`probes`]: `/healthz` (and its alias `/health`), `/readyz` and `/metrics`, answered the
//!   same way by every service from one [`Readiness`] (its dependencies, and how to refresh its
//!   gauges before a scrape): [`probes_route`] to merge into a service's router,
//!   [`probe_routes`] as the whole router of a service without an API of its own.
//! - [`health`] and [`shutdown`]: the liveness body and the graceful-shutdown signal.
//!
//! A service's router typically ends like this:
//!
//! ```
//! use axum::{Router, routing::get};
//! use odto_http::{ServiceMetrics, instrument, metrics_route, method_not_allowed, route_not_found};
//!
//! let metrics = ServiceMetrics::new("example");
//! let router = Router::new()
//!     .route("/things/{id}", get(|| async { "thing" }))
//!     .merge(metrics_route(metrics.clone()))
//!     .fallback(route_not_found)
//!     .method_not_allowed_fallback(method_not_allowed);
//! let router = instrument(router, metrics);
//! # let _ = router;
//! ```

pub mod build_info;
pub mod docs;
pub mod error;
pub mod health;
pub mod metrics;
pub mod probes;
pub mod shutdown;

pub use docs::{leak_document, openapi_route, swagger_ui};
pub use error::{ApiError, ErrorDetail, method_not_allowed, route_not_found};
pub use health::health_body;
pub use metrics::{ServiceMetrics, instrument, metrics_handler, metrics_route};
pub use probes::{Readiness, probe_routes, probes_route};
pub use shutdown::{shutdown_signal, spawn_server};
