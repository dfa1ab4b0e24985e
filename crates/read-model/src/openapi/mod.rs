//! The read model's OpenAPI 3.1 document. `Job` and `EventEnvelope` are the contract files
//! themselves (OpenAPI 3.1 speaks JSON Schema 2020-12), re-homed under `components.schemas`, so
//! the documentation cannot drift from the contracts; the read model's own shapes are in
//! [`schemas`], its routes in [`paths`].

mod paths;
mod schemas;

use std::sync::LazyLock;

use odto_contracts::Schema;
use serde_json::{Map, Value, json};

/// The document served at `/openapi.json`.
pub fn document() -> &'static Value {
    static DOCUMENT: LazyLock<Value> = LazyLock::new(build);
    &DOCUMENT
}

fn build() -> Value {
    let mut components = Map::new();
    for (name, schema) in [
        ("Job", Schema::Job),
        ("EventEnvelope", Schema::EventEnvelope),
    ] {
        let mut document = schema.document().clone();
        if let Some(Value::Object(defs)) = document.as_object_mut().and_then(|d| d.remove("$defs"))
        {
            for (def_name, def) in defs {
                components.insert(def_name, rehome(def));
            }
        }
        components.insert(name.to_owned(), rehome(document));
    }
    components.extend(schemas::read_model_schemas());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Distributed Task Observatory: Read Model API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Read side of the observatory, one API for every UI: statistics, jobs with their attempts and event timelines, events, queues and dead letters. JSON, camelCase; every listing is newest first and an empty one is []. Every error is JSON: {\"error\": {\"code\", \"message\", \"details\"}}; a backend that is down gives 503 with Retry-After."
        },
        "paths": paths::paths(),
        "components": {"schemas": components}
    })
}

/// Drops the standalone-file keywords and points every `$ref` into `components.schemas`.
fn rehome(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(key, _)| !matches!(key.as_str(), "$id" | "$schema" | "$version"))
                .map(|(key, value)| match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => (key, Value::String(component_ref(&target))),
                    (_, value) => (key, rehome(value)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(rehome).collect()),
        other => other,
    }
}

fn component_ref(target: &str) -> String {
    let name = match target.rsplit_once("#/$defs/") {
        Some((_, def)) => def.to_owned(),
        None if target.starts_with("job.json") => "Job".to_owned(),
        None => target.to_owned(),
    };
    format!("#/components/schemas/{name}")
}

/// `{"$ref": "#/components/schemas/<name>"}`.
fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}
