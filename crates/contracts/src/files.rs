//! Validating JSON files against a contract: the library half of `odto validate`.
//!
//! This is the one module in the crate that touches the file system.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::schema::Schema;
use crate::violation::Violation;

/// The outcome for every file given to [`validate_files`], in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationReport {
    pub files: Vec<FileReport>,
}

/// One file's outcome: no violations means valid. A file that cannot be read or parsed gets a
/// single root violation saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub path: PathBuf,
    pub violations: Vec<Violation>,
}

impl FileReport {
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty()
    }
}

impl ValidationReport {
    pub fn all_valid(&self) -> bool {
        self.files.iter().all(FileReport::is_valid)
    }
}

/// Checks each file against `schema`; unreadable and malformed files are reported, not skipped.
pub fn validate_files(schema: Schema, files: &[PathBuf]) -> ValidationReport {
    let files = files
        .iter()
        .map(|path| FileReport {
            path: path.clone(),
            violations: check_file(schema, path),
        })
        .collect();
    ValidationReport { files }
}

fn check_file(schema: Schema, path: &Path) -> Vec<Violation> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => return vec![Violation::new("", format!("cannot read file: {error}"))],
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(instance) => schema.validate(&instance).err().unwrap_or_default(),
        Err(error) => vec![Violation::new("", format!("not valid JSON: {error}"))],
    }
}

/// One line per problem as `FILE: /pointer: message` (the root pointer shown as `/`), and
/// `FILE: ok` for each valid file.
impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.files {
            let name = file.path.display();
            if file.is_valid() {
                writeln!(f, "{name}: ok")?;
            }
            for violation in &file.violations {
                let pointer = if violation.path.is_empty() {
                    "/"
                } else {
                    &violation.path
                };
                writeln!(f, "{name}: {pointer}: {}", violation.message)?;
            }
        }
        Ok(())
    }
}
