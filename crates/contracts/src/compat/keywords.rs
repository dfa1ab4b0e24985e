//! Comparison of the leaf keywords of one schema node: what each change means for SemVer.

use serde_json::{Map, Value};

use super::ChangeKind;
use super::diff::{Differ, string_set};

/// Keywords that only annotate: changing them never changes what a schema accepts.
const ANNOTATIONS: [&str; 12] = [
    "$schema",
    "$id",
    "$version",
    "$comment",
    "$anchor",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Keywords the walk in `diff.rs` and this module compare themselves.
/// Bound keywords are modelled too; they are listed in [`BOUNDS`].
const MODELLED: [&str; 10] = [
    "type",
    "enum",
    "required",
    "properties",
    "format",
    "pattern",
    "additionalProperties",
    "items",
    "$defs",
    "$ref",
];

/// Bound keywords, and whether a larger value accepts less (a lower bound).
const BOUNDS: [(&str, bool); 10] = [
    ("minimum", true),
    ("exclusiveMinimum", true),
    ("minLength", true),
    ("minItems", true),
    ("minProperties", true),
    ("maximum", false),
    ("exclusiveMaximum", false),
    ("maxLength", false),
    ("maxItems", false),
    ("maxProperties", false),
];

impl Differ<'_> {
    pub(super) fn types(&mut self, path: &str, old: Option<&Value>, new: Option<&Value>) {
        let (old_types, new_types) = (string_set(old), string_set(new));
        if old_types == new_types {
            return;
        }
        let covered = |t: &str| {
            new_types
                .iter()
                .any(|&n| n == t || (t == "integer" && n == "number"))
        };
        let widened = new.is_none() || (old.is_some() && old_types.iter().all(|t| covered(t)));
        let (kind, verb) = if widened {
            (ChangeKind::TypeWidened, "widened")
        } else {
            (ChangeKind::TypeChanged, "changed")
        };
        self.push(
            path,
            kind,
            !widened,
            format!("type {verb} from {} to {}", show(old), show(new)),
        );
    }

    pub(super) fn enums(&mut self, path: &str, old: Option<&Value>, new: Option<&Value>) {
        match (old.and_then(Value::as_array), new.and_then(Value::as_array)) {
            (None, None) => {}
            (None, Some(_)) => self.push(
                path,
                ChangeKind::EnumNarrowed,
                true,
                format!("enum {} introduced", show(new)),
            ),
            (Some(_), None) => self.push(
                path,
                ChangeKind::EnumWidened,
                false,
                "enum removed".to_owned(),
            ),
            (Some(old_values), Some(new_values)) => {
                let removed = missing_from(old_values, new_values);
                let added = missing_from(new_values, old_values);
                if !removed.is_empty() {
                    self.push(
                        path,
                        ChangeKind::EnumNarrowed,
                        true,
                        format!("enum values removed: {}", removed.join(", ")),
                    );
                }
                if !added.is_empty() {
                    self.push(
                        path,
                        ChangeKind::EnumWidened,
                        false,
                        format!("enum values added: {}", added.join(", ")),
                    );
                }
            }
        }
    }

    pub(super) fn format(&mut self, path: &str, old: Option<&Value>, new: Option<&Value>) {
        match (old, new) {
            (Some(_), None) => self.push(
                path,
                ChangeKind::FormatLoosened,
                false,
                format!("format {} removed", show(old)),
            ),
            (_, Some(_)) if old != new => {
                self.push(
                    path,
                    ChangeKind::FormatTightened,
                    true,
                    format!("format changed from {} to {}", show(old), show(new)),
                );
            }
            _ => {}
        }
    }

    /// Whether one regular expression accepts less than another cannot be decided in general,
    /// so any new or changed pattern is breaking and only a removed one is not.
    pub(super) fn pattern(&mut self, path: &str, old: Option<&Value>, new: Option<&Value>) {
        if old != new {
            let breaking = new.is_some();
            self.push(
                path,
                ChangeKind::PatternChanged,
                breaking,
                format!("pattern changed from {} to {}", show(old), show(new)),
            );
        }
    }

    pub(super) fn bounds(
        &mut self,
        path: &str,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
    ) {
        for (keyword, is_lower) in BOUNDS {
            let (old_bound, new_bound) = (
                old.get(keyword).and_then(Value::as_f64),
                new.get(keyword).and_then(Value::as_f64),
            );
            let tightened = match (old_bound, new_bound) {
                (Some(o), Some(n)) if o == n => continue,
                (None, None) => continue,
                (Some(o), Some(n)) => (n > o) == is_lower,
                (None, Some(_)) => true,
                (Some(_), None) => false,
            };
            let kind = if tightened {
                ChangeKind::ConstraintTightened
            } else {
                ChangeKind::ConstraintLoosened
            };
            let description = format!(
                "{keyword} changed from {} to {}",
                show(old.get(keyword)),
                show(new.get(keyword))
            );
            self.push(path, kind, tightened, description);
        }
    }

    pub(super) fn reference(&mut self, path: &str, old: Option<&Value>, new: Option<&Value>) {
        if old != new {
            self.push(
                path,
                ChangeKind::ReferenceChanged,
                true,
                format!("$ref changed from {} to {}", show(old), show(new)),
            );
        }
    }

    pub(super) fn unclassified(
        &mut self,
        path: &str,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
    ) {
        let known = |keyword: &str| {
            ANNOTATIONS.contains(&keyword)
                || MODELLED.contains(&keyword)
                || BOUNDS.iter().any(|(bound, _)| *bound == keyword)
        };
        let mut keywords: Vec<&String> =
            old.keys().chain(new.keys()).filter(|k| !known(k)).collect();
        keywords.sort();
        keywords.dedup();
        for keyword in keywords.into_iter().filter(|k| old.get(*k) != new.get(*k)) {
            let description = format!(
                "{keyword} changed from {} to {}; not modelled, so counted as breaking",
                show(old.get(keyword)),
                show(new.get(keyword))
            );
            self.push(path, ChangeKind::Unclassified, true, description);
        }
    }
}

fn missing_from(values: &[Value], other: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter(|value| !other.contains(value))
        .map(Value::to_string)
        .collect()
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "(none)".to_owned(), Value::to_string)
}
