//! `validate_files`, the library half of `odto validate`.

use std::path::PathBuf;

use odto_contracts::{Schema, validate_files};

use crate::fixture_path;

/// A file under the system temp directory, unique to this test process.
fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("odto-contracts-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn valid_files_are_reported_ok_and_invalid_ones_by_pointer() {
    let golden = fixture_path("golden/job/minimal.json");
    let negative = fixture_path("negative/job/id-urn.json");

    let report = validate_files(Schema::Job, &[golden.clone(), negative.clone()]);

    assert!(!report.all_valid());
    let text = report.to_string();
    assert!(
        text.contains(&format!("{}: ok\n", golden.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}: /id: ", negative.display())),
        "{text}"
    );
    assert!(
        !text.contains(&format!("{}: ok", negative.display())),
        "{text}"
    );
}

#[test]
fn malformed_and_missing_files_are_reported_not_skipped() {
    let malformed = temp_file("malformed.json", "{\"id\": ");
    let missing = std::env::temp_dir().join("odto-contracts-no-such-file.json");

    let report = validate_files(Schema::Job, &[malformed.clone(), missing.clone()]);

    std::fs::remove_file(&malformed).unwrap();
    assert_eq!(report.files.len(), 2);
    assert!(report.files.iter().all(|file| !file.is_valid()));
    let text = report.to_string();
    assert!(
        text.contains(&format!("{}: /: not valid JSON", malformed.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}: /: cannot read file", missing.display())),
        "{text}"
    );
}

#[test]
fn the_shipped_ui_registry_file_is_valid() {
    let registry = fixture_path("../ui-registry.json");

    let report = validate_files(Schema::UiRegistry, &[registry]);

    assert!(report.all_valid(), "{report}");
}
