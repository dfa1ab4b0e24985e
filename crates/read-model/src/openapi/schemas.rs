//! Schemas of the read API's answers (`odto_contracts::read_api`), referring to the
//! contract's `Job`, `EventEnvelope` and their definitions wherever they reuse them.

use serde_json::{Map, Value, json};

use super::schema_ref;

/// A nullable value of the given schema.
fn nullable(schema: Value) -> Value {
    json!({"oneOf": [schema, {"type": "null"}]})
}

fn counter() -> Value {
    json!({"type": "integer", "minimum": 0})
}

fn array_of(name: &str) -> Value {
    json!({"type": "array", "items": schema_ref(name)})
}

/// The read model's schemas, by component name.
pub fn read_model_schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    for (name, schema) in [
        ("Error", error()),
        ("RecentJob", recent_job()),
        ("JobView", job_view()),
        ("JobPage", job_page()),
        ("Attempt", attempt()),
        ("JobDetail", job_detail()),
        ("StatusCounts", status_counts()),
        ("Throughput", throughput()),
        ("Stats", stats()),
        ("QueueStats", queue_stats()),
        ("DeadLetter", dead_letter()),
        ("DeadLetterPage", dead_letter_page()),
        ("Alert", alert()),
        ("AlertmanagerWebhook", alertmanager_webhook()),
        ("WebhookReceipt", webhook_receipt()),
    ] {
        schemas.insert(name.to_owned(), schema);
    }
    schemas
}

fn error() -> Value {
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

fn recent_job() -> Value {
    json!({
        "type": "object",
        "description": "The reference's recent-job shape.",
        "required": ["id", "type", "status", "createdAt"],
        "properties": {
            "id": schema_ref("uuid"),
            "type": schema_ref("jobType"),
            "status": schema_ref("jobStatus"),
            "createdAt": schema_ref("dateTime")
        }
    })
}

fn job_view() -> Value {
    json!({
        "description": "The contract Job with its current status, plus bookkeeping the contract does not carry.",
        "allOf": [schema_ref("Job"), {
            "type": "object",
            "required": ["maxAttempts", "runAttempts", "correlationId", "finishedAt"],
            "properties": {
                "maxAttempts": {"type": "integer", "minimum": 1, "description": "Attempts allowed per run (the job's own, or the default)."},
                "runAttempts": {"type": "integer", "minimum": 0, "description": "Attempts started since the job was last queued by hand."},
                "correlationId": {"type": "string", "description": "Of the request that created the job."},
                "finishedAt": nullable(schema_ref("dateTime"))
            }
        }]
    })
}

fn job_page() -> Value {
    json!({
        "type": "object",
        "required": ["items", "nextCursor"],
        "properties": {
            "items": array_of("JobView"),
            "nextCursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last page."}
        }
    })
}

fn attempt() -> Value {
    json!({
        "type": "object",
        "required": ["jobId", "number", "worker", "startedAt", "finishedAt", "outcome", "error"],
        "properties": {
            "jobId": schema_ref("uuid"),
            "number": {"type": "integer", "minimum": 1, "description": "1 for the first attempt; keeps counting across manual retries."},
            "worker": {"type": "string", "description": "The processor instance that ran it."},
            "startedAt": schema_ref("dateTime"),
            "finishedAt": nullable(schema_ref("dateTime")),
            "outcome": {"enum": ["completed", "failed", "timed_out", null]},
            "error": {"type": ["string", "null"]}
        }
    })
}

fn job_detail() -> Value {
    json!({
        "type": "object",
        "required": ["job", "attempts", "events"],
        "properties": {
            "job": schema_ref("JobView"),
            "attempts": {"type": "array", "items": schema_ref("Attempt"), "description": "Oldest first."},
            "events": {"type": "array", "items": schema_ref("EventEnvelope"), "description": "The job's timeline, oldest first."}
        }
    })
}

fn status_counts() -> Value {
    let names = [
        "pending",
        "validated",
        "executing",
        "completed",
        "failed",
        "cancelled",
    ];
    let properties: Map<String, Value> = names.iter().map(|n| ((*n).into(), counter())).collect();
    json!({"type": "object", "required": names, "properties": properties})
}

fn throughput() -> Value {
    json!({
        "type": "object",
        "required": ["second", "accepted", "completed", "failed"],
        "properties": {
            "second": {"type": "integer", "description": "Unix time of the second (event time)."},
            "accepted": counter(), "completed": counter(), "failed": counter()
        }
    })
}

fn stats() -> Value {
    let totals = [
        "totalJobs",
        "pendingJobs",
        "validatedJobs",
        "executingJobs",
        "completedJobs",
        "failedJobs",
        "cancelledJobs",
    ];
    let mut properties: Map<String, Value> =
        totals.iter().map(|n| ((*n).into(), counter())).collect();
    properties["totalJobs"]["description"] = "Jobs accepted (not completions).".into();
    properties.insert("lastEventTime".into(), nullable(schema_ref("dateTime")));
    properties.insert(
        "byType".into(),
        json!({"type": "object", "additionalProperties": schema_ref("StatusCounts"), "description": "Counts per job type."}),
    );
    properties.insert("conservation".into(), json!({
        "type": "object",
        "required": ["accepted", "accounted", "holds"],
        "description": "accepted = pending + validated + executing + completed + failed + cancelled.",
        "properties": {"accepted": counter(), "accounted": counter(), "holds": {"type": "boolean"}}
    }));
    properties.insert(
        "throughput".into(),
        json!({"type": "array", "items": schema_ref("Throughput"), "description": "The last 60 seconds, oldest first, one entry per second."}),
    );
    let required: Vec<&String> = properties.keys().collect();
    json!({"type": "object", "required": required, "properties": properties})
}

fn queue_stats() -> Value {
    json!({
        "type": "object",
        "required": ["name", "depth", "inFlight", "consumers", "oldestAgeSeconds"],
        "properties": {
            "name": {"type": "string"},
            "depth": {"type": "integer", "minimum": 0, "description": "Messages waiting."},
            "inFlight": {"type": "integer", "minimum": 0, "description": "Delivered, not yet acknowledged."},
            "consumers": {"type": "integer", "minimum": 0},
            "oldestAgeSeconds": {"type": ["number", "null"], "description": "Age of the oldest waiting message, when the broker reports it."}
        }
    })
}

fn dead_letter() -> Value {
    json!({
        "type": "object",
        "required": ["id", "receivedAt", "source", "reason", "body", "jobId", "retriedAt"],
        "properties": {
            "id": schema_ref("uuid"),
            "receivedAt": schema_ref("dateTime"),
            "source": {"type": "string", "description": "Queue the message was taken from."},
            "reason": {"type": "string"},
            "body": {"type": "string", "description": "The message body as text."},
            "jobId": nullable(schema_ref("uuid")),
            "retriedAt": nullable(schema_ref("dateTime"))
        }
    })
}

fn dead_letter_page() -> Value {
    json!({
        "type": "object",
        "required": ["items", "nextCursor", "total"],
        "properties": {
            "items": array_of("DeadLetter"),
            "nextCursor": {"type": ["string", "null"]},
            "total": {"type": "integer", "minimum": 0, "description": "Dead letters stored in all."}
        }
    })
}

fn strings() -> Value {
    json!({"type": "object", "additionalProperties": {"type": "string"}})
}

fn alert() -> Value {
    json!({
        "type": "object",
        "description": "A firing alert, flat: its labels and annotations under their usual names.",
        "required": ["name", "severity", "summary", "description", "labels", "since", "runbookUrl"],
        "properties": {
            "name": {"type": "string", "description": "labels.alertname ('' when none)."},
            "severity": {"type": "string", "description": "labels.severity ('' when none)."},
            "summary": {"type": "string", "description": "annotations.summary ('' when none)."},
            "description": {"type": "string", "description": "annotations.description ('' when none)."},
            "labels": strings(),
            "since": nullable(schema_ref("dateTime")),
            "runbookUrl": {"type": ["string", "null"], "description": "annotations.runbook_url."}
        }
    })
}

fn alertmanager_webhook() -> Value {
    let alert = json!({
        "type": "object",
        "required": ["status", "labels", "startsAt"],
        "properties": {
            "status": {"enum": ["firing", "resolved"]},
            "labels": strings(),
            "annotations": strings(),
            "startsAt": {"type": "string", "format": "date-time"},
            "endsAt": {"type": "string", "format": "date-time", "description": "0001-01-01T00:00:00Z while firing."},
            "generatorURL": {"type": "string"},
            "fingerprint": {"type": "string", "maxLength": 256, "description": "The key the alert is stored under; without one, a hash of the labels is."}
        }
    });
    json!({
        "type": "object",
        "description": "What Alertmanager's webhook_config sends (version 4).",
        "required": ["version", "groupKey", "status", "alerts"],
        "properties": {
            "version": {"const": "4"},
            "groupKey": {"type": "string"},
            "truncatedAlerts": {"type": "integer", "minimum": 0},
            "status": {"enum": ["firing", "resolved"]},
            "receiver": {"type": "string"},
            "groupLabels": strings(),
            "commonLabels": strings(),
            "commonAnnotations": strings(),
            "externalURL": {"type": "string"},
            "alerts": {"type": "array", "items": alert}
        }
    })
}

fn webhook_receipt() -> Value {
    json!({
        "type": "object",
        "required": ["firing", "resolved", "sourceHeard"],
        "properties": {
            "firing": {"type": "integer", "minimum": 0, "description": "Alerts stored as firing."},
            "resolved": {"type": "integer", "minimum": 0, "description": "Alerts reported resolved."},
            "sourceHeard": {"type": "boolean", "description": "Whether it carried the firing Watchdog."}
        }
    })
}
