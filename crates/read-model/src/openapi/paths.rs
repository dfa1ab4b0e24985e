//! Every route of the read model, as OpenAPI path items.

use serde_json::{Map, Value, json};

use super::schema_ref;

fn ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn error(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema_ref("Error")}}})
}

fn unavailable() -> Value {
    error(
        "A backing store is unreachable or did not answer in time (code store_unavailable). Honour Retry-After.",
    )
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn limit(default: u32, max: u32) -> Value {
    query(
        "limit",
        "Most items to return.",
        json!({"type": "integer", "minimum": 1, "maximum": max, "default": default}),
    )
}

fn cursor() -> Value {
    query(
        "cursor",
        "The `nextCursor` of the previous page.",
        json!({"type": "string"}),
    )
}

fn array_of(name: &str) -> Value {
    json!({"type": "array", "items": schema_ref(name)})
}

pub fn paths() -> Value {
    let mut paths = read_paths();
    paths
        .as_object_mut()
        .expect("paths are an object")
        .extend(alert_paths());
    paths
}

/// `GET /alerts` and `POST /alerts/webhook`.
fn alert_paths() -> Map<String, Value> {
    let heard_at = json!({
        "description": "When the alert source was last heard from: the last delivery that carried the firing Watchdog alert (RFC 3339). Absent when it never was. Clients may call the alerting pipeline silent when it is old.",
        "schema": schema_ref("dateTime")
    });
    let list = json!({"get": {
        "summary": "Alerts firing now, as Alertmanager reported them to the webhook",
        "description": "The most severe first (critical, error, warning, info, others), then the newest. The Watchdog alert is never listed; when it last arrived is in the x-alerts-source-heard-at header.",
        "responses": {
            "200": {
                "description": "[] when none fires.",
                "headers": {"x-alerts-source-heard-at": heard_at},
                "content": {"application/json": {"schema": array_of("Alert")}}
            },
            "503": unavailable()
        }
    }});
    let webhook = json!({"post": {
        "summary": "Alertmanager's webhook receiver (payload version 4)",
        "description": "Stores the notification's firing alerts (by fingerprint, or a hash of the labels), removes its resolved ones and, unless Alertmanager truncated the list, the alerts of its group it no longer lists; all in one transaction, so a repeat changes nothing. The whole payload is checked first: a mistake anywhere stores nothing. A firing Watchdog alert is not stored but records when the alert source was heard from. With ODTO_ALERTS_WEBHOOK_TOKEN set, the request needs Authorization: Bearer <token>.",
        "security": [{}, {"webhookToken": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": schema_ref("AlertmanagerWebhook")}}},
        "responses": {
            "200": ok("Stored.", schema_ref("WebhookReceipt")),
            "400": error("Not JSON (code malformed_json), or not a version-4 payload (code invalid_alert_payload; details name each field by JSON pointer)."),
            "401": error("A token is set and the request lacks it or has another (code unauthorized)."),
            "413": error("Body over 2 MiB (code payload_too_large)."),
            "503": unavailable()
        }
    }});
    Map::from_iter([
        ("/alerts".to_owned(), list),
        ("/alerts/webhook".to_owned(), webhook),
    ])
}

fn read_paths() -> Value {
    json!({
        "/stats": {"get": {
            "summary": "Live statistics",
            "description": "Jobs by status and by type, the conservation check (accepted = sum of statuses), the newest event's time and the last minute's throughput.",
            "responses": {"200": ok("Statistics.", schema_ref("Stats")), "503": unavailable()}
        }},
        "/jobs/recent": {"get": {
            "summary": "The most recently created jobs (the reference's shape)",
            "parameters": [limit(10, 100)],
            "responses": {
                "200": ok("Newest first; [] when there are none.", array_of("RecentJob")),
                "400": error("Bad limit."),
                "503": unavailable()
            }
        }},
        "/jobs": {"get": {
            "summary": "Jobs, filtered and searched, one page at a time",
            "parameters": [
                query("status", "Only jobs in this status (any letter case).", schema_ref("jobStatus")),
                query("type", "Only jobs of this type.", schema_ref("jobType")),
                query("q", "Case-insensitive text to find in the payload.", json!({"type": "string", "maxLength": 200})),
                limit(50, 500),
                cursor()
            ],
            "responses": {
                "200": ok("Newest first.", schema_ref("JobPage")),
                "400": error("Bad status, type, limit or cursor (details name the parameter)."),
                "503": unavailable()
            }
        }},
        "/jobs/{id}": {"get": {
            "summary": "One job with its attempts and its event timeline",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": schema_ref("uuid")}],
            "responses": {
                "200": ok("The job.", schema_ref("JobDetail")),
                "400": error("The id is not a canonical UUID (code invalid_job_id)."),
                "404": error("No such job (code job_not_found)."),
                "503": unavailable()
            }
        }},
        "/events": {"get": {
            "summary": "Lifecycle events, full envelopes",
            "parameters": [
                query("jobId", "Only this job's events.", schema_ref("uuid")),
                query("type", "Only events of this type, e.g. job.completed.", json!({"type": "string"})),
                limit(50, 1000)
            ],
            "responses": {
                "200": ok("Newest first; [] when there are none.", array_of("EventEnvelope")),
                "400": error("Bad jobId, type or limit."),
                "503": unavailable()
            }
        }},
        "/queues": {"get": {
            "summary": "The broker's queues: depth, in flight, consumers, oldest message age",
            "description": "Read from the RabbitMQ management API, whose figures lag by up to its statistics interval (5 s by default). The dead-letter queue is one of them; a queue not declared yet shows zeros.",
            "responses": {
                "200": ok("Every queue of the topology.", array_of("QueueStats")),
                "503": error("The broker's management API is unreachable (code broker_unavailable).")
            }
        }},
        "/dlq": {"get": {
            "summary": "Dead letters: messages that could not be processed, with the reason",
            "parameters": [limit(50, 500), cursor()],
            "responses": {
                "200": ok("Newest first.", schema_ref("DeadLetterPage")),
                "400": error("Bad limit or cursor."),
                "503": unavailable()
            }
        }},
        "/healthz": {"get": {"summary": "Liveness: the process is up (never checks backends)", "responses": {"200": {"description": "Alive."}}}},
        "/readyz": {"get": {
            "summary": "Readiness: the job store (PostgreSQL) and the statistics store (Redis) answer",
            "responses": {"200": {"description": "Ready."}, "503": error("Not ready; details name each backend that is down (postgres, redis).")}
        }},
        "/metrics": {"get": {"summary": "Prometheus metrics (text format)", "responses": {"200": {"description": "Metrics.", "content": {"text/plain": {}}}}}},
        "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1 document."}}}},
        "/docs": {"get": {"summary": "Swagger UI (served from the binary)", "responses": {"200": {"description": "HTML."}}}}
    })
}
