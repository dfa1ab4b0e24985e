//! JSON bodies for liveness and readiness probes.

use axum::Json;
use serde_json::{Value, json};

/// `{"status":"ok","service":…,"version":…}`: the body of a passing `/healthz` or `/readyz`.
pub fn health_body(service: &str, version: &str) -> Json<Value> {
    Json(json!({ "status": "ok", "service": service, "version": version }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_body_names_the_service_and_version() {
        let Json(body) = health_body("gateway", "1.2.3");

        assert_eq!(
            body,
            json!({ "status": "ok", "service": "gateway", "version": "1.2.3" })
        );
    }
}
