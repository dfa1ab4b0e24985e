//! The wire contracts of the Distributed Task Observatory.
//!
//! Every boundary in the system (HTTP bodies, bus messages, stored events) speaks one of the JSON
//! Schemas in `contracts/schemas/`. This crate embeds those files at build time and offers:
//!
//! - Rust types that match them ([`Job`], [`EventEnvelope`], [`JobAccepted`]), camelCase on the
//!   wire, with ids that only accept canonical hyphenated UUIDs;
//! - validation of any JSON value against a schema, with JSON-pointer located [`Violation`]s
//!   ([`Schema::validate`]);
//! - [`parse_submission`], which turns a `POST /jobs` body (full Job or short form) into a [`Job`];
//! - the breaking-change checker ([`compat`]) that enforces the SemVer promise in
//!   `contracts/VERSIONS.md`;
//! - [`validate_files`], the library half of `odto validate` (the only function here that does IO);
//! - the UI launcher list ([`ui_registry`]);
//! - the read API's answers ([`read_api`]), shared by the read model and its clients.
//!
//! It depends on nothing else in the workspace, so every service and tool can share it.

mod accepted;
pub mod compat;
mod event;
mod files;
mod job;
mod openapi;
pub mod read_api;
mod schema;
mod submission;
mod ui;
mod violation;
mod wire;

pub use accepted::JobAccepted;
pub use event::{EventEnvelope, EventType, Producer};
pub use files::{FileReport, ValidationReport, validate_files};
pub use job::{InvalidJobType, Job, JobStatus, JobType, UnknownVariant};
pub use openapi::openapi_components;
pub use schema::Schema;
pub use submission::{Submission, SubmissionForm, parse_submission};
pub use ui::{DeploymentMode, UiEntry, UiRegistry, ui_registry};
pub use violation::Violation;
pub use wire::parse_canonical_uuid;

/// The contract version this build writes into every [`EventEnvelope`] it creates.
///
/// It equals the `$version` of every schema in `contracts/schemas/` (a test checks it).
pub const CONTRACT_VERSION: &str = "2.1.0";
