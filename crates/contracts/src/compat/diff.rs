//! The structural diff behind [`super::check_version_bump`].

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{Change, ChangeKind};
use crate::violation::child;

/// Lists the differences between two schema documents that change what they accept.
///
/// It walks `properties`, `items`, `additionalProperties` and `$defs` recursively and compares
/// `type`, `enum`, `required`, `format`, `pattern`, numeric and length bounds,
/// `additionalProperties` and `$ref`. A missing subschema counts as `{}` (accepts anything).
/// Local `$ref`s (`#/$defs/uuid`) are followed, so a property is compared with what it means,
/// whether it is written inline or through a definition. References to other files are compared
/// as text: a change behind them shows up when that file is diffed.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut differ = Differ {
        old_root: old,
        new_root: new,
        depth: 0,
        changes: Vec::new(),
    };
    differ.node("", &as_schema(old), &as_schema(new));
    differ.changes
}

/// Deeper than this the walk stops (only a recursive schema gets there) and any remaining
/// difference counts as breaking.
const MAX_DEPTH: usize = 32;

pub(super) struct Differ<'a> {
    old_root: &'a Value,
    new_root: &'a Value,
    depth: usize,
    changes: Vec<Change>,
}

impl Differ<'_> {
    pub(super) fn push(
        &mut self,
        path: &str,
        kind: ChangeKind,
        breaking: bool,
        description: String,
    ) {
        self.changes.push(Change {
            path: path.to_owned(),
            kind,
            breaking,
            description,
        });
    }

    fn node(&mut self, path: &str, old: &Map<String, Value>, new: &Map<String, Value>) {
        if self.depth == MAX_DEPTH {
            if old != new {
                let description = "too deeply nested to compare; counted as breaking".to_owned();
                self.push(path, ChangeKind::Unclassified, true, description);
            }
            return;
        }
        self.depth += 1;
        let (old, new) = (resolve(old, self.old_root), resolve(new, self.new_root));
        self.keywords(path, &old, &new);
        self.depth -= 1;
    }

    fn keywords(&mut self, path: &str, old: &Map<String, Value>, new: &Map<String, Value>) {
        self.types(path, old.get("type"), new.get("type"));
        self.enums(path, old.get("enum"), new.get("enum"));
        self.required(path, old, new);
        self.properties(path, old, new);
        self.format(path, old.get("format"), new.get("format"));
        self.pattern(path, old.get("pattern"), new.get("pattern"));
        self.bounds(path, old, new);
        self.additional_properties(
            path,
            old.get("additionalProperties"),
            new.get("additionalProperties"),
        );
        self.subschema(&child(path, "items"), old.get("items"), new.get("items"));
        self.defs(path, old, new);
        self.reference(path, old.get("$ref"), new.get("$ref"));
        self.unclassified(path, old, new);
    }

    fn required(&mut self, path: &str, old: &Map<String, Value>, new: &Map<String, Value>) {
        let (old_required, new_required) = (
            string_set(old.get("required")),
            string_set(new.get("required")),
        );
        let still_defined =
            |name: &str| property(new, name).is_some() || property(old, name).is_none();
        for name in new_required
            .iter()
            .filter(|name| !old_required.contains(name))
        {
            let at = child(&child(path, "properties"), name);
            self.push(
                &at,
                ChangeKind::MadeRequired,
                true,
                format!("{name} is now required"),
            );
        }
        // A required field that disappeared altogether is reported once, as FieldRemoved.
        for name in old_required
            .iter()
            .filter(|name| !new_required.contains(name) && still_defined(name))
        {
            let at = child(&child(path, "properties"), name);
            self.push(
                &at,
                ChangeKind::MadeOptional,
                false,
                format!("{name} is now optional"),
            );
        }
    }

    fn properties(&mut self, path: &str, old: &Map<String, Value>, new: &Map<String, Value>) {
        let empty = Map::new();
        let old_properties = old
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new_properties = new
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let base = child(path, "properties");
        for (name, old_schema) in old_properties {
            let at = child(&base, name);
            match new_properties.get(name) {
                Some(new_schema) => self.node(&at, &as_schema(old_schema), &as_schema(new_schema)),
                None => {
                    let required = string_set(old.get("required")).contains(&name.as_str());
                    let what = if required { "required field" } else { "field" };
                    self.push(
                        &at,
                        ChangeKind::FieldRemoved,
                        true,
                        format!("{what} {name} removed"),
                    );
                }
            }
        }
        for name in new_properties
            .keys()
            .filter(|name| !old_properties.contains_key(*name))
        {
            self.push(
                &child(&base, name),
                ChangeKind::FieldAdded,
                false,
                format!("field {name} added"),
            );
        }
    }

    /// `false` closes an object to unknown fields; anything else is a subschema for them.
    fn additional_properties(&mut self, path: &str, old: Option<&Value>, new: Option<&Value>) {
        let at = child(path, "additionalProperties");
        let closed = |value: Option<&Value>| value == Some(&Value::Bool(false));
        match (closed(old), closed(new)) {
            (false, true) => self.push(
                &at,
                ChangeKind::ConstraintTightened,
                true,
                "unknown fields are no longer allowed".to_owned(),
            ),
            (true, false) => self.push(
                &at,
                ChangeKind::ConstraintLoosened,
                false,
                "unknown fields are now allowed".to_owned(),
            ),
            (true, true) => {}
            (false, false) => self.subschema(&at, old, new),
        }
    }

    fn subschema(&mut self, path: &str, old: Option<&Value>, new: Option<&Value>) {
        if old.is_some() || new.is_some() {
            let accept_all = Value::Bool(true);
            self.node(
                path,
                &as_schema(old.unwrap_or(&accept_all)),
                &as_schema(new.unwrap_or(&accept_all)),
            );
        }
    }

    /// Only definitions present in both versions are compared: an added or removed definition
    /// matters only through a `$ref`, which is compared where it is used.
    fn defs(&mut self, path: &str, old: &Map<String, Value>, new: &Map<String, Value>) {
        let (Some(old_defs), Some(new_defs)) = (
            old.get("$defs").and_then(Value::as_object),
            new.get("$defs").and_then(Value::as_object),
        ) else {
            return;
        };
        let base = child(path, "$defs");
        for (name, old_def) in old_defs {
            if let Some(new_def) = new_defs.get(name) {
                self.node(
                    &child(&base, name),
                    &as_schema(old_def),
                    &as_schema(new_def),
                );
            }
        }
    }
}

/// Replaces a local `$ref` by the keywords of its target, keeping the sibling keywords.
fn resolve<'m>(schema: &'m Map<String, Value>, root: &'m Value) -> Cow<'m, Map<String, Value>> {
    let mut resolved = Cow::Borrowed(schema);
    // A few hops allow a definition that refers to another; a cycle ends here too.
    for _ in 0..8 {
        let target = resolved
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix('#'));
        let Some(target) = target.and_then(|pointer| root.pointer(pointer)) else {
            break;
        };
        let mut merged = as_schema(target).into_owned();
        let siblings = resolved
            .iter()
            .filter(|(keyword, _)| keyword.as_str() != "$ref");
        merged.extend(siblings.map(|(keyword, value)| (keyword.clone(), value.clone())));
        resolved = Cow::Owned(merged);
    }
    resolved
}

/// A schema as a keyword map: `true` is `{}`, `false` is `{"not": {}}`.
fn as_schema(value: &Value) -> Cow<'_, Map<String, Value>> {
    match value {
        Value::Object(map) => Cow::Borrowed(map),
        Value::Bool(false) => Cow::Owned(Map::from_iter([(
            "not".to_owned(),
            Value::Object(Map::new()),
        )])),
        _ => Cow::Owned(Map::new()),
    }
}

/// A string or array of strings (`type`, `required`) as a sorted list.
pub(super) fn string_set(value: Option<&Value>) -> Vec<&str> {
    let mut strings: Vec<&str> = match value {
        Some(Value::String(single)) => vec![single.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    strings.sort_unstable();
    strings
}

fn property<'a>(schema: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    schema.get("properties")?.get(name)
}
