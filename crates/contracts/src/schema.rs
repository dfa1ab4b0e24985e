//! The embedded JSON Schemas and their compiled validators.

use std::sync::LazyLock;

use jsonschema::Validator;
use serde_json::Value;

use crate::violation::{Violation, violations_of};

/// One of the schema files in `contracts/schemas/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Schema {
    Job,
    EventEnvelope,
    JobAccepted,
    JobSubmission,
    UiRegistry,
}

/// Schema files, in the order of [`Schema::ALL`]. Embedded so services need no files at run time.
const SOURCES: [&str; 5] = [
    include_str!("../../../contracts/schemas/job.json"),
    include_str!("../../../contracts/schemas/event-envelope.json"),
    include_str!("../../../contracts/schemas/job-accepted.json"),
    include_str!("../../../contracts/schemas/job-submission.json"),
    include_str!("../../../contracts/schemas/ui-registry.json"),
];

static DOCUMENTS: LazyLock<[Value; 5]> = LazyLock::new(|| {
    SOURCES.map(|source| serde_json::from_str(source).expect("embedded schemas are valid JSON"))
});

static VALIDATORS: LazyLock<[Validator; 5]> = LazyLock::new(compile_all);

impl Schema {
    pub const ALL: [Schema; 5] = [
        Schema::Job,
        Schema::EventEnvelope,
        Schema::JobAccepted,
        Schema::JobSubmission,
        Schema::UiRegistry,
    ];

    /// The file stem under `contracts/schemas/`, e.g. `"event-envelope"`.
    pub fn name(self) -> &'static str {
        match self {
            Schema::Job => "job",
            Schema::EventEnvelope => "event-envelope",
            Schema::JobAccepted => "job-accepted",
            Schema::JobSubmission => "job-submission",
            Schema::UiRegistry => "ui-registry",
        }
    }

    /// The schema called `name` (with or without a `.json` suffix).
    pub fn from_name(name: &str) -> Option<Schema> {
        let stem = name.strip_suffix(".json").unwrap_or(name);
        Self::ALL.into_iter().find(|schema| schema.name() == stem)
    }

    /// The schema file's text, as embedded at build time.
    pub fn source(self) -> &'static str {
        SOURCES[self.index()]
    }

    /// The parsed schema document.
    pub fn document(self) -> &'static Value {
        &DOCUMENTS[self.index()]
    }

    /// The schema's `$id`, e.g. `https://odto.dev/contracts/job.json`.
    pub fn id(self) -> &'static str {
        self.document()["$id"]
            .as_str()
            .expect("every schema has an $id")
    }

    /// The schema's SemVer `$version`.
    pub fn version(self) -> &'static str {
        self.document()["$version"]
            .as_str()
            .expect("every schema has a $version")
    }

    /// Checks `instance` against this schema, formats (`uuid`, `date-time`) included.
    ///
    /// The common case, a valid instance, takes the fast boolean path; violations are only
    /// collected when there are some.
    pub fn validate(self, instance: &Value) -> Result<(), Vec<Violation>> {
        let validator = &VALIDATORS[self.index()];
        if validator.is_valid(instance) {
            return Ok(());
        }
        Err(violations_of(validator.iter_errors(instance)))
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Each schema file stands alone (only local `$ref`s), so nothing is ever fetched; formats are
/// assertions here, not the 2020-12 default of annotations.
fn compile_all() -> [Validator; 5] {
    Schema::ALL.map(|schema| {
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(schema.document())
            .unwrap_or_else(|error| panic!("schema {} does not compile: {error}", schema.name()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_compiles_and_is_found_by_its_name() {
        for schema in Schema::ALL {
            assert_eq!(Schema::from_name(schema.name()), Some(schema));
            assert!(schema.id().ends_with(&format!("/{}.json", schema.name())));
            assert!(!VALIDATORS[schema.index()].is_valid(&serde_json::json!(null)));
        }
        assert_eq!(Schema::from_name("job.json"), Some(Schema::Job));
        assert_eq!(Schema::from_name("nope"), None);
    }

    #[test]
    fn definitions_copied_from_the_job_schema_are_identical_to_it() {
        let job_defs = &Schema::Job.document()["$defs"];
        for schema in Schema::ALL {
            let Some(defs) = schema.document()["$defs"].as_object() else {
                continue;
            };
            for (name, definition) in defs
                .iter()
                .filter(|(name, _)| job_defs.get(name.as_str()).is_some())
            {
                assert_eq!(
                    definition,
                    &job_defs[name.as_str()],
                    "{}: $defs/{name}",
                    schema.name()
                );
            }
        }
    }

    #[test]
    fn every_schema_is_at_the_crate_contract_version() {
        for schema in Schema::ALL {
            assert_eq!(
                schema.version(),
                crate::CONTRACT_VERSION,
                "{}",
                schema.name()
            );
        }
    }
}
