//! The read model's OpenAPI 3.1 document. `Job` and `EventEnvelope` are the contract files
//! themselves (OpenAPI 3.1 speaks JSON Schema 2020-12), re-homed under `components.schemas`, so
//! the documentation cannot drift from the contracts; the read model's own shapes are in
//! [`schemas`], its routes in [`paths`].

mod paths;
mod schemas;

use std::sync::LazyLock;

use odto_contracts::{Schema, openapi_components};
use serde_json::{Value, json};

/// The document served at `/openapi.json`.
pub fn document() -> &'static Value {
    static DOCUMENT: LazyLock<Value> = LazyLock::new(build);
    &DOCUMENT
}

fn build() -> Value {
    let mut components = openapi_components(&[
        ("Job", Schema::Job),
        ("EventEnvelope", Schema::EventEnvelope),
    ]);
    components.extend(schemas::read_model_schemas());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Distributed Task Observatory: Read Model API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Read side of the observatory, one API for every UI: statistics, jobs with their attempts and event timelines, events, queues, dead letters and the alerts Alertmanager reports to its webhook. JSON, camelCase; every listing is newest first and an empty one is []. Every error is JSON: {\"error\": {\"code\", \"message\", \"details\"}}; a backend that is down gives 503 with Retry-After."
        },
        "paths": paths::paths(),
        "components": {
            "schemas": components,
            "securitySchemes": {"webhookToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "ODTO_ALERTS_WEBHOOK_TOKEN, required by POST /alerts/webhook when it is set."
            }}
        }
    })
}

/// `{"$ref": "#/components/schemas/<name>"}`.
fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}
