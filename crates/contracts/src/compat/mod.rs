//! The breaking-change checker: compares two versions of a schema and enforces SemVer.
//!
//! A change is **breaking** when the new schema may reject something the old one accepted, or
//! drops a field readers relied on: field removed, type changed, enum narrowed, field made
//! required, format or pattern added or changed, a bound or `additionalProperties` tightened, a
//! `$ref` retargeted, or any keyword the checker does not understand changed (counted as breaking
//! to be safe). Breaking changes need a MAJOR bump. Any other change to what is accepted (new
//! optional field, widened enum or type, loosened bound) needs at least a MINOR bump. A schema
//! whose validation keywords are unchanged may keep its version (annotations such as
//! `description` are not compared).
//!
//! New optional fields count as MINOR even though, with extra fields allowed, they constrain
//! any extra field of the same name that an old instance carried: that is the SemVer promise in
//! `contracts/VERSIONS.md`.

mod diff;
mod keywords;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use diff::diff;

/// One difference between two versions of a schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// JSON pointer into the schema document, e.g. `/properties/producer/properties/service`.
    pub path: String,
    pub kind: ChangeKind,
    pub breaking: bool,
    pub description: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = if self.breaking {
            "breaking"
        } else {
            "compatible"
        };
        write!(
            f,
            "{}: {} ({:?}, {severity})",
            self.path, self.description, self.kind
        )
    }
}

/// What kind of difference a [`Change`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChangeKind {
    FieldAdded,
    FieldRemoved,
    TypeChanged,
    TypeWidened,
    EnumWidened,
    EnumNarrowed,
    MadeRequired,
    MadeOptional,
    FormatTightened,
    FormatLoosened,
    PatternChanged,
    ConstraintTightened,
    ConstraintLoosened,
    ReferenceChanged,
    /// A keyword the checker does not model changed; always counted as breaking.
    Unclassified,
}

/// Why a version bump does not fit the changes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompatError {
    #[error("the {which} schema has no string \"$version\"")]
    MissingVersion { which: &'static str },
    #[error("the {which} schema's \"$version\" {value:?} is not MAJOR.MINOR.PATCH")]
    InvalidVersion { which: &'static str, value: String },
    #[error("the version went backwards, from {old} to {new}")]
    VersionDecreased { old: String, new: String },
    #[error("{} breaking change(s) need a MAJOR bump from {old}, got {new}: {}", changes.len(), list(changes))]
    MajorBumpRequired {
        old: String,
        new: String,
        changes: Vec<Change>,
    },
    #[error("{} change(s) need at least a MINOR bump from {old}, got {new}: {}", changes.len(), list(changes))]
    MinorBumpRequired {
        old: String,
        new: String,
        changes: Vec<Change>,
    },
}

fn list(changes: &[Change]) -> String {
    let lines: Vec<String> = changes.iter().map(Change::to_string).collect();
    lines.join("; ")
}

/// Diffs `old` and `new` and checks that the `$version` step fits the changes.
///
/// Returns the changes when it does. The version may never go down; breaking changes need a
/// higher MAJOR; other changes need a higher MAJOR.MINOR; no change needs no bump.
pub fn check_version_bump(old: &Value, new: &Value) -> Result<Vec<Change>, CompatError> {
    let old_version = Version::of(old, "old")?;
    let new_version = Version::of(new, "new")?;
    if new_version < old_version {
        return Err(CompatError::VersionDecreased {
            old: old_version.to_string(),
            new: new_version.to_string(),
        });
    }
    let changes = diff(old, new);
    let (old_text, new_text) = (old_version.to_string(), new_version.to_string());
    if changes.iter().any(|change| change.breaking) && new_version.major <= old_version.major {
        let breaking = changes
            .into_iter()
            .filter(|change| change.breaking)
            .collect();
        return Err(CompatError::MajorBumpRequired {
            old: old_text,
            new: new_text,
            changes: breaking,
        });
    }
    if !changes.is_empty() && new_version.feature_level() <= old_version.feature_level() {
        return Err(CompatError::MinorBumpRequired {
            old: old_text,
            new: new_text,
            changes,
        });
    }
    Ok(changes)
}

/// A `MAJOR.MINOR.PATCH` version; pre-release and build suffixes are not used by our schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Version {
    major: u64,
    minor: u64,
    patch: u64,
}

impl Version {
    fn of(schema: &Value, which: &'static str) -> Result<Version, CompatError> {
        let text = schema
            .get("$version")
            .and_then(Value::as_str)
            .ok_or(CompatError::MissingVersion { which })?;
        Self::parse(text).ok_or_else(|| CompatError::InvalidVersion {
            which,
            value: text.to_owned(),
        })
    }

    fn parse(text: &str) -> Option<Version> {
        let mut parts = text.split('.').map(|part| {
            let digits_only = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            digits_only.then(|| part.parse().ok()).flatten()
        });
        let version = Version {
            major: parts.next()??,
            minor: parts.next()??,
            patch: parts.next()??,
        };
        parts.next().is_none().then_some(version)
    }

    fn feature_level(self) -> (u64, u64) {
        (self.major, self.minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_parse_only_as_three_numbers() {
        assert_eq!(
            Version::parse("2.10.3"),
            Some(Version {
                major: 2,
                minor: 10,
                patch: 3
            })
        );
        for bad in ["2.0", "2.0.0.1", "2.0.x", "v2.0.0", "2..0", "2.0.0-rc1"] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_unchanged_schema_may_keep_or_patch_its_version() {
        let old = json!({"$version": "2.0.0", "type": "object", "description": "a"});
        let new = json!({"$version": "2.0.1", "type": "object", "description": "b"});
        assert_eq!(check_version_bump(&old, &old), Ok(vec![]));
        assert_eq!(check_version_bump(&old, &new), Ok(vec![]));
    }

    #[test]
    fn a_version_going_backwards_is_refused() {
        let old = json!({"$version": "2.1.0"});
        let new = json!({"$version": "2.0.9"});
        assert!(matches!(
            check_version_bump(&old, &new),
            Err(CompatError::VersionDecreased { .. })
        ));
    }

    #[test]
    fn a_schema_without_a_version_is_refused() {
        let versioned = json!({"$version": "2.0.0"});
        let result = check_version_bump(&versioned, &json!({}));
        assert_eq!(result, Err(CompatError::MissingVersion { which: "new" }));
    }
}
