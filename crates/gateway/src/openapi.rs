//! The gateway's OpenAPI 3.1 document. Request and response schemas are the contract files
//! themselves (OpenAPI 3.1 speaks JSON Schema 2020-12), re-homed under `components.schemas`,
//! so the documentation cannot drift from what the gateway validates.

use std::sync::LazyLock;

use odto_contracts::{Schema, openapi_components};
use serde_json::{Value, json};

/// The document served at `/openapi.json`.
pub fn document() -> &'static Value {
    static DOCUMENT: LazyLock<Value> = LazyLock::new(build);
    &DOCUMENT
}

fn build() -> Value {
    let mut schemas = openapi_components(&[
        ("Job", Schema::Job),
        ("JobSubmission", Schema::JobSubmission),
        ("JobAccepted", Schema::JobAccepted),
        ("EventEnvelope", Schema::EventEnvelope),
    ]);
    schemas.insert("Error".into(), error_schema());
    let mut document = paths();
    document["components"] = json!({ "schemas": schemas });
    document
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code."},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"path": {"type": "string"}, "message": {"type": "string"}}
                }}
            }
        }}
    })
}

fn error(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn paths() -> Value {
    let accepted = json!({
        "description": "Accepted: the job is durable on the message broker.",
        "headers": {
            "Location": {"schema": {"type": "string"}, "description": "The job in the read model."},
            "X-Correlation-Id": {"schema": {"type": "string"}},
            "Idempotent-Replayed": {"schema": {"type": "string"}, "description": "`true` when this answer repeats an earlier request with the same idempotency key."}
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobAccepted"}}}
    });
    let submission = json!({"oneOf": [
        {"$ref": "#/components/schemas/Job"},
        {"$ref": "#/components/schemas/JobSubmission"}
    ]});
    let common_headers = json!([
        {"name": "X-Correlation-Id", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}, "description": "Any string up to 128 characters; echoed back and carried into the job's events. Generated when absent."},
        {"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "minLength": 1, "maxLength": 255}, "description": "Repeats within the retention window (24 h by default) return the first answer and enqueue nothing."}
    ]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Distributed Task Observatory: Gateway API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Write side of the observatory: accepts jobs and makes them durable on the message broker (publisher-confirmed) before answering 202. Every error is JSON: {\"error\": {\"code\", \"message\", \"details\"}}."
        },
        "paths": {
            "/jobs": {"post": {
                "summary": "Submit a job",
                "description": "Accepts either a full Job (the reference's 1.0.0 body: id, type, status, createdAt, …; the job is recorded as PENDING) or the short form (type and optional payload, metadata, idempotencyKey, maxAttempts, priority, delayMs; the server assigns a time-ordered id).",
                "parameters": common_headers,
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": submission,
                    "examples": {
                        "short": {"summary": "Short form", "value": {"type": "report.render", "payload": {"durationMs": 250}}},
                        "full": {"summary": "Full Job (reference form)", "value": {"id": "0b9d3b8e-4a3f-4c4e-9a51-6f5a0d3c2e11", "type": "report.render", "status": "PENDING", "createdAt": "2026-01-01T10:00:00+02:00", "payload": {}}}
                    }
                }}},
                "responses": {
                    "202": accepted,
                    "400": error("Malformed JSON, or a job that does not satisfy the contract (details name each field)."),
                    "409": error("A request with this idempotency key is still in progress; retry shortly."),
                    "413": error("Body larger than the limit (256 KiB by default)."),
                    "415": error("Content-Type is not application/json."),
                    "422": error("The idempotency key was already used for a different request."),
                    "503": error("The message broker (or, with an idempotency key, Redis) is unreachable; nothing was enqueued. Honour Retry-After.")
                }
            }},
            "/jobs/batch": {"post": {
                "summary": "Submit up to 1000 jobs at once",
                "description": "Validation is all-or-nothing: if any item is invalid, nothing is enqueued and each problem is reported at /jobs/<index>/…. Items may carry their own idempotencyKey. If publishing fails for some items, the answer lists what became of each item.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["jobs"],
                    "properties": {"jobs": {"type": "array", "minItems": 1, "maxItems": 1000, "items": submission}}
                }}}},
                "responses": {
                    "202": {"description": "Every job accepted.", "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"jobs": {"type": "array", "items": {"$ref": "#/components/schemas/JobAccepted"}}}
                    }}}},
                    "400": error("Some item is invalid; nothing was enqueued."),
                    "503": error("Some items could not be enqueued; details say which.")
                }
            }},
            "/jobs/{id}/cancel": {"post": {
                "summary": "Cancel a PENDING job",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                "responses": {
                    "200": {"description": "Cancelled; the job as it is now.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
                    "400": error("Not a canonical UUID."),
                    "404": error("Unknown job."),
                    "409": error("The job is not PENDING."),
                    "503": error("The job store or the broker is unreachable.")
                }
            }},
            "/jobs/{id}/retry": {"post": {
                "summary": "Retry a FAILED (dead-lettered) job with a fresh attempt budget",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                "responses": {
                    "202": {"description": "PENDING again and enqueued.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobAccepted"}}}},
                    "400": error("Not a canonical UUID."),
                    "404": error("Unknown job."),
                    "409": error("The job is not FAILED."),
                    "503": error("The job store or the broker is unreachable.")
                }
            }},
            "/healthz": {"get": {"summary": "Liveness: the process is up (never checks backends)", "responses": {"200": {"description": "Alive."}}}},
            "/health": {"get": {"summary": "Liveness, as /healthz (the name the reference's clients probe)", "responses": {"200": {"description": "Alive."}}}},
            "/readyz": {"get": {"summary": "Readiness: the message broker is connected", "responses": {"200": {"description": "Ready."}, "503": error("Not ready.")}}},
            "/metrics": {"get": {"summary": "Prometheus metrics (text format)", "responses": {"200": {"description": "Metrics.", "content": {"text/plain": {}}}}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1 document."}}}},
            "/docs": {"get": {"summary": "Swagger UI (served from the binary)", "responses": {"200": {"description": "HTML."}}}}
        }
    })
}
