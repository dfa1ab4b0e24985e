//! The breaking-change checker on the fixture pairs in `contracts/fixtures/compat/`.

use std::collections::BTreeSet;

use odto_contracts::Schema;
use odto_contracts::compat::{Change, ChangeKind, CompatError, check_version_bump, diff};
use serde_json::Value;

use crate::{fixture_path, read_json};

struct Case {
    name: String,
    old: Value,
    new: Value,
    breaking: bool,
    kinds: BTreeSet<ChangeKind>,
    paths: Option<BTreeSet<String>>,
}

fn cases() -> Vec<Case> {
    let root = fixture_path("compat");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let dir = root.join(&name);
            let expect = read_json(&dir.join("expect.json"));
            Case {
                old: read_json(&dir.join("old.json")),
                new: read_json(&dir.join("new.json")),
                breaking: expect["breaking"]
                    .as_bool()
                    .expect("expect.json has breaking"),
                kinds: serde_json::from_value(expect["kinds"].clone())
                    .expect("expect.json has kinds"),
                paths: expect
                    .get("paths")
                    .map(|p| serde_json::from_value(p.clone()).unwrap()),
                name,
            }
        })
        .collect()
}

fn with_version(schema: &Value, version: &str) -> Value {
    let mut schema = schema.clone();
    schema["$version"] = version.into();
    schema
}

#[test]
fn every_case_reports_the_expected_kinds_paths_and_severity() {
    let cases = cases();
    assert!(cases.len() >= 9, "only {} compat cases", cases.len());
    for case in cases {
        let changes = diff(&case.old, &case.new);
        let kinds: BTreeSet<ChangeKind> = changes.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, case.kinds, "{}: {changes:#?}", case.name);
        assert_eq!(
            changes.iter().any(|c| c.breaking),
            case.breaking,
            "{}: {changes:#?}",
            case.name
        );
        if let Some(expected) = &case.paths {
            let found: BTreeSet<String> = changes.iter().map(|c| c.path.clone()).collect();
            assert_eq!(&found, expected, "{}", case.name);
        }
    }
}

#[test]
fn every_case_pair_is_versioned_correctly_as_committed() {
    for case in cases() {
        assert!(
            check_version_bump(&case.old, &case.new).is_ok(),
            "{}",
            case.name
        );
    }
}

#[test]
fn breaking_cases_fail_with_a_minor_bump_and_pass_with_a_major_one() {
    for case in cases().into_iter().filter(|c| c.breaking) {
        let old = with_version(&case.old, "1.0.0");
        let minor = check_version_bump(&old, &with_version(&case.new, "1.1.0"));
        assert!(
            matches!(minor, Err(CompatError::MajorBumpRequired { .. })),
            "{}: {minor:?}",
            case.name
        );
        assert!(
            check_version_bump(&old, &with_version(&case.new, "2.0.0")).is_ok(),
            "{}",
            case.name
        );
    }
}

#[test]
fn compatible_changes_need_a_minor_bump_and_no_change_needs_none() {
    for case in cases().into_iter().filter(|c| !c.breaking) {
        let old = with_version(&case.old, "1.0.0");
        let same = check_version_bump(&old, &with_version(&case.new, "1.0.0"));
        let patch = check_version_bump(&old, &with_version(&case.new, "1.0.1"));
        if case.kinds.is_empty() {
            assert!(same.is_ok() && patch.is_ok(), "{}", case.name);
        } else {
            assert!(
                matches!(same, Err(CompatError::MinorBumpRequired { .. })),
                "{}: {same:?}",
                case.name
            );
            assert!(
                matches!(patch, Err(CompatError::MinorBumpRequired { .. })),
                "{}: {patch:?}",
                case.name
            );
            assert!(
                check_version_bump(&old, &with_version(&case.new, "1.1.0")).is_ok(),
                "{}",
                case.name
            );
        }
    }
}

#[test]
fn every_current_schema_is_unchanged_against_itself() {
    for schema in Schema::ALL {
        assert_eq!(
            diff(schema.document(), schema.document()),
            Vec::<Change>::new(),
            "{}",
            schema.name()
        );
    }
}

fn breaking_paths(reference: &str, schema: Schema) -> BTreeSet<(String, ChangeKind)> {
    let old = read_json(&fixture_path(&format!("reference-1.0.0/{reference}")));
    let changes =
        check_version_bump(&old, schema.document()).expect("2.0.0 is a MAJOR step over 1.0.0");
    changes
        .into_iter()
        .filter(|c| c.breaking)
        .map(|c| (c.path, c.kind))
        .collect()
}

#[test]
fn the_job_contract_narrows_the_reference_only_in_id_and_type() {
    let expected = BTreeSet::from([
        ("/properties/id".to_owned(), ChangeKind::PatternChanged),
        ("/properties/type".to_owned(), ChangeKind::PatternChanged),
    ]);
    assert_eq!(breaking_paths("job.json", Schema::Job), expected);
}

#[test]
fn the_envelope_contract_narrows_the_reference_only_in_event_id_and_correlation_id_length() {
    // The reference required correlationId to be a UUID (36 characters), so bounding it to
    // 1..=128 characters of any kind narrows nothing it accepted; the checker cannot know that.
    let expected = BTreeSet::from([
        ("/properties/eventId".to_owned(), ChangeKind::PatternChanged),
        (
            "/properties/correlationId".to_owned(),
            ChangeKind::ConstraintTightened,
        ),
    ]);
    assert_eq!(
        breaking_paths("event-envelope.json", Schema::EventEnvelope),
        expected
    );
}

/// `contracts/released/` holds each schema as last released; editing a schema without the
/// version bump its changes need fails here.
#[test]
fn every_schema_keeps_the_semver_promise_against_its_last_release() {
    for schema in Schema::ALL {
        let released = read_json(&fixture_path(&format!(
            "../released/{}.json",
            schema.name()
        )));
        if let Err(error) = check_version_bump(&released, schema.document()) {
            panic!("contracts/schemas/{}.json: {error}", schema.name());
        }
    }
}
