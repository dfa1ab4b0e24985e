//! The contract schemas as OpenAPI 3.1 components. OpenAPI 3.1 speaks JSON Schema 2020-12, so a
//! service's API document can embed the contract files themselves and never drift from them.

use serde_json::{Map, Value};

use crate::Schema;

/// `components.schemas` entries for `schemas` (each under its given name), with their `$defs`
/// hoisted beside them, standalone-file keywords (`$id`, `$schema`, `$version`) dropped, and every
/// `$ref` pointed into `#/components/schemas/`. Without `$id`, Swagger UI never tries to fetch a
/// schema from the internet.
pub fn openapi_components(schemas: &[(&str, Schema)]) -> Map<String, Value> {
    let mut components = Map::new();
    for (name, schema) in schemas {
        let mut document = schema.document().clone();
        if let Some(Value::Object(defs)) = document.as_object_mut().and_then(|d| d.remove("$defs"))
        {
            for (def_name, def) in defs {
                components.insert(def_name, rehome(def));
            }
        }
        components.insert((*name).to_owned(), rehome(document));
    }
    components
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_points_at_a_component_and_no_schema_keeps_an_id() {
        let components = openapi_components(&[
            ("Job", Schema::Job),
            ("EventEnvelope", Schema::EventEnvelope),
        ]);
        let text = Value::Object(components.clone()).to_string();

        assert!(
            !text.contains("$id") && !text.contains("odto.dev"),
            "{text}"
        );
        for target in text
            .split("\"$ref\":\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
        {
            let name = target
                .strip_prefix("#/components/schemas/")
                .expect("local ref");
            assert!(components.contains_key(name), "{target} dangles");
        }
    }
}
