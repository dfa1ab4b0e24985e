//! `odto validate`: exit codes and the report, on the contract fixtures.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/fixtures")
        .join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter(|path| !path.ends_with("expectations.json"))
        .collect();
    files.sort();
    files
}

fn validate(schema: &str, files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_odto"))
        .args(["validate", "--schema", schema])
        .args(files)
        .output()
        .expect("odto runs")
}

#[test]
fn valid_files_exit_zero_and_are_reported_ok() {
    let files = fixtures("golden/job");

    let output = validate("job", &files);

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let report = String::from_utf8(output.stdout).unwrap();
    assert_eq!(report.lines().count(), files.len());
    assert!(
        report.lines().all(|line| line.ends_with(": ok")),
        "{report}"
    );
}

#[test]
fn an_invalid_file_exits_one_and_names_the_file_and_json_path() {
    let good = fixtures("golden/job").remove(0);
    let bad = fixtures("negative/job");

    let output = validate("job", &[vec![good.clone()], bad.clone()].concat());

    assert_eq!(output.status.code(), Some(1));
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(
        report.contains(&format!("{}: ok", good.display())),
        "{report}"
    );
    for file in &bad {
        let line = report
            .lines()
            .find(|line| line.starts_with(&format!("{}: /", file.display())))
            .unwrap_or_else(|| panic!("no error line for {} in\n{report}", file.display()));
        assert!(
            line.splitn(3, ": ").count() == 3,
            "expected FILE: /path: message, got {line}"
        );
    }
}

#[test]
fn unreadable_or_malformed_files_are_reported_not_crashed_on() {
    let missing = PathBuf::from("/nonexistent/job.json");

    let output = validate("event-envelope", std::slice::from_ref(&missing));

    assert_eq!(output.status.code(), Some(1));
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(report.contains("/nonexistent/job.json"), "{report}");
}

#[test]
fn an_unknown_schema_name_is_a_usage_error_listing_the_known_ones() {
    let output = validate("jobz", &[PathBuf::from("x.json")]);

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("event-envelope") && stderr.contains("job-accepted"),
        "{stderr}"
    );
}
