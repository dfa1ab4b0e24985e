//! Schema errors turned into short, located messages a client can act on.

use std::fmt;

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde::Serialize;
use serde_json::Value;

/// One reason an instance does not satisfy a contract.
///
/// `path` is a JSON pointer into the instance (`""` for the root). For a missing required
/// property or an unknown one it points at that property (`/id`), not at its parent, so a client
/// can tell which field to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

impl Violation {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Violation {
        Violation {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(root)"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

pub(crate) fn violations_of<'a>(
    errors: impl Iterator<Item = ValidationError<'a>>,
) -> Vec<Violation> {
    let errors: Vec<ValidationError<'a>> = errors.collect();
    let is_format_error =
        |error: &ValidationError<'_>| matches!(error.kind(), ValidationErrorKind::Format { .. });
    let format_paths: Vec<&str> = errors
        .iter()
        .filter(|e| is_format_error(e))
        .map(|e| e.instance_path().as_str())
        .collect();
    // An id failing `format: uuid` also fails its pattern; the format message alone says more.
    let redundant = |error: &ValidationError<'_>| {
        matches!(error.kind(), ValidationErrorKind::Pattern { .. })
            && format_paths.contains(&error.instance_path().as_str())
    };
    errors
        .iter()
        .filter(|error| !redundant(error))
        .flat_map(violations_of_one)
        .collect()
}

fn violations_of_one(error: &ValidationError<'_>) -> Vec<Violation> {
    let path = error.instance_path().as_str();
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            vec![Violation::new(child(path, name), "is required but missing")]
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|name| Violation::new(child(path, name), "is not a known property"))
            .collect(),
        _ => vec![Violation::new(path, message(error))],
    }
}

fn message(error: &ValidationError<'_>) -> String {
    let found = type_name(error.instance());
    match error.kind() {
        ValidationErrorKind::Type {
            kind: TypeKind::Single(expected),
        } => {
            format!("must be of type {expected}, not {found}")
        }
        ValidationErrorKind::Enum { options } => format!("must be one of {}", list(options)),
        ValidationErrorKind::Pattern { pattern } => format!("must match {pattern}"),
        ValidationErrorKind::Format { format } => format_message(format),
        ValidationErrorKind::MinLength { limit } => format!("must be at least {limit} characters"),
        ValidationErrorKind::MaxLength { limit } => format!("must be at most {limit} characters"),
        ValidationErrorKind::Minimum { limit } => format!("must be at least {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("must be at most {limit}"),
        // The remaining keywords are not used by our schemas; the library's wording will do,
        // with the instance masked so a large value is never echoed back.
        _ => error.masked().to_string(),
    }
}

fn format_message(format: &str) -> String {
    match format {
        "uuid" => "must be a UUID in canonical form (8-4-4-4-12 hex digits)".to_owned(),
        "date-time" => "must be an RFC 3339 date-time, e.g. 2024-05-01T12:00:00Z".to_owned(),
        other => format!("must be a valid {other}"),
    }
}

fn list(options: &Value) -> String {
    let names: Vec<String> = match options.as_array() {
        Some(items) => items.iter().map(Value::to_string).collect(),
        None => vec![options.to_string()],
    };
    names.join(", ")
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Appends one JSON-pointer segment, escaping `~` and `/` as RFC 6901 requires.
pub(crate) fn child(parent: &str, name: &str) -> String {
    let escaped = name.replace('~', "~0").replace('/', "~1");
    format!("{parent}/{escaped}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_segments_are_escaped() {
        assert_eq!(child("", "a/b~c"), "/a~1b~0c");
        assert_eq!(child("/producer", "service"), "/producer/service");
    }

    #[test]
    fn a_root_violation_displays_as_root() {
        assert_eq!(
            Violation::new("", "must be of type object").to_string(),
            "(root): must be of type object"
        );
    }
}
