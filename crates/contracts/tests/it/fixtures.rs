//! Golden fixtures validate and round-trip through the Rust types; negative ones fail where
//! their expectations say.

use chrono::{DateTime, Utc};
use odto_contracts::{EventEnvelope, Job, JobAccepted, Schema, UiRegistry, parse_submission};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use crate::{expectations, fixtures_in, paths};

/// Deserializes into `T`, serializes again and checks the result still satisfies `schema`.
fn round_trip<T: DeserializeOwned + Serialize>(
    schema: Schema,
    name: &str,
    golden: &Value,
) -> Value {
    let typed: T = serde_json::from_value(golden.clone())
        .unwrap_or_else(|e| panic!("{}/{name} does not deserialize: {e}", schema.name()));
    let written = serde_json::to_value(&typed).unwrap();
    assert_eq!(
        schema.validate(&written),
        Ok(()),
        "{}/{name} after a round trip",
        schema.name()
    );
    written
}

#[test]
fn every_schema_has_golden_and_negative_fixtures() {
    for schema in Schema::ALL {
        assert!(
            !fixtures_in(&format!("golden/{}", schema.name())).is_empty(),
            "{}",
            schema.name()
        );
        assert!(!expectations(schema.name()).is_empty(), "{}", schema.name());
    }
}

#[test]
fn every_golden_fixture_validates_against_its_schema() {
    for schema in Schema::ALL {
        for (name, golden) in fixtures_in(&format!("golden/{}", schema.name())) {
            assert_eq!(schema.validate(&golden), Ok(()), "{}/{name}", schema.name());
        }
    }
}

#[test]
fn every_golden_fixture_round_trips_through_its_rust_type() {
    let now = DateTime::<Utc>::from_timestamp(1_714_564_800, 0).unwrap();
    for schema in Schema::ALL {
        for (name, golden) in fixtures_in(&format!("golden/{}", schema.name())) {
            match schema {
                Schema::Job => drop(round_trip::<Job>(schema, &name, &golden)),
                Schema::EventEnvelope => drop(round_trip::<EventEnvelope>(schema, &name, &golden)),
                Schema::JobAccepted => drop(round_trip::<JobAccepted>(schema, &name, &golden)),
                Schema::UiRegistry => drop(round_trip::<UiRegistry>(schema, &name, &golden)),
                // The short form has no type of its own: it becomes a Job.
                Schema::JobSubmission => {
                    let submission = parse_submission(&golden, now, Uuid::now_v7)
                        .unwrap_or_else(|v| panic!("job-submission/{name}: {v:?}"));
                    let job = serde_json::to_value(submission.job).unwrap();
                    assert_eq!(Schema::Job.validate(&job), Ok(()), "job-submission/{name}");
                }
            }
        }
    }
}

#[test]
fn every_negative_fixture_fails_at_its_expected_pointer() {
    for schema in Schema::ALL {
        for (name, pointer) in expectations(schema.name()) {
            let negative = crate::read_json(&crate::fixture_path(&format!(
                "negative/{}/{name}",
                schema.name()
            )));
            let violations = schema
                .validate(&negative)
                .expect_err(&format!("{}/{name} must fail", schema.name()));
            assert!(
                violations.iter().any(|v| v.path == pointer),
                "{}/{name}: expected a violation at {pointer:?}, got {:?}",
                schema.name(),
                paths(&violations)
            );
        }
    }
}

#[test]
fn every_negative_fixture_is_listed_in_its_expectations() {
    for schema in Schema::ALL {
        let listed: Vec<String> = expectations(schema.name())
            .into_iter()
            .map(|(file, _)| file)
            .collect();
        let present: Vec<String> = fixtures_in(&format!("negative/{}", schema.name()))
            .into_iter()
            .map(|(file, _)| file)
            .collect();
        assert_eq!(listed, present, "negative/{}", schema.name());
    }
}

#[test]
fn extra_job_fields_survive_a_round_trip_unchanged() {
    let (_, golden) = fixtures_in("golden/job")
        .into_iter()
        .find(|(name, _)| name == "extra-fields-kept.json")
        .unwrap();
    let written = round_trip::<Job>(Schema::Job, "extra-fields-kept.json", &golden);
    for key in ["source", "retries", "trace", "labels"] {
        assert_eq!(written[key], golden[key], "{key}");
    }
}

#[test]
fn created_at_offsets_are_kept_as_the_same_instant_in_utc() {
    for name in ["created-at-plus-0200.json", "created-at-minus-0530.json"] {
        let (_, golden) = fixtures_in("golden/job")
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap();
        let job: Job = serde_json::from_value(golden).unwrap();
        assert_eq!(
            job.created_at,
            "2024-05-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn ids_in_non_canonical_forms_are_refused_by_the_rust_types_too() {
    for name in ["id-urn.json", "id-unhyphenated.json", "id-braced.json"] {
        let negative = crate::read_json(&crate::fixture_path(&format!("negative/job/{name}")));
        assert!(serde_json::from_value::<Job>(negative).is_err(), "{name}");
    }
    let accepted = crate::read_json(&crate::fixture_path(
        "negative/job-accepted/event-id-urn.json",
    ));
    assert!(serde_json::from_value::<JobAccepted>(accepted).is_err());
}

#[test]
fn job_accepted_refuses_an_extra_field_in_rust_as_the_schema_does() {
    let extra = crate::read_json(&crate::fixture_path(
        "negative/job-accepted/extra-field.json",
    ));
    assert!(serde_json::from_value::<JobAccepted>(extra).is_err());
}
