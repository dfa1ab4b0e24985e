//! Integration tests of `odto-contracts` against the fixtures in `contracts/fixtures/`.
//!
//! One test binary with a module per topic, so the suite links once.

mod compat;
mod envelope;
mod files;
mod fixtures;
mod submission;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// `contracts/fixtures/<relative>` in the repository.
pub fn fixture_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/fixtures")
        .join(relative)
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `*.json` fixtures of a directory, by file name, sorted; `expectations.json` is not one.
pub fn fixtures_in(relative: &str) -> Vec<(String, Value)> {
    let dir = fixture_path(relative);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json") && name != "expectations.json")
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| (name.clone(), read_json(&dir.join(&name))))
        .collect()
}

/// `negative/<schema>/expectations.json`: fixture file name -> the JSON pointer that must fail.
pub fn expectations(schema: &str) -> Vec<(String, String)> {
    let map = read_json(&fixture_path(&format!(
        "negative/{schema}/expectations.json"
    )));
    let map = map.as_object().expect("expectations.json is an object");
    map.iter()
        .map(|(file, pointer)| (file.clone(), pointer.as_str().unwrap().to_owned()))
        .collect()
}

/// The pointers of a list of violations, for assertion messages.
pub fn paths(violations: &[odto_contracts::Violation]) -> Vec<&str> {
    violations.iter().map(|v| v.path.as_str()).collect()
}
