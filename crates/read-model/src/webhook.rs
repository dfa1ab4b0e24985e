//! Alertmanager's webhook payload (version 4), checked whole before anything is stored: every
//! mistake is named by its JSON pointer, and a payload with any mistake stores nothing.
//!
//! ```json
//! {"version": "4", "groupKey": "{}:{alertname=\"X\"}", "truncatedAlerts": 0,
//!  "status": "firing", "receiver": "odto", "groupLabels": {}, "commonLabels": {},
//!  "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
//!  "alerts": [{"status": "firing", "labels": {"alertname": "X", "severity": "critical"},
//!              "annotations": {"summary": "…", "description": "…", "runbook_url": "…"},
//!              "startsAt": "2025-01-01T12:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
//!              "generatorURL": "…", "fingerprint": "c6eadffa33fcdf37"}]}
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use odto_contracts::read_api::Alert;
use odto_http::ErrorDetail;
use odto_store::alerts::{AlertDelivery, KeyedAlert};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Longest fingerprint kept as a key; Alertmanager's are 16 hex digits.
const MAX_FINGERPRINT: usize = 256;

/// Keys of alerts that come without a fingerprint: version-5 UUIDs of their labels in this
/// namespace (a random constant), so one label set always gets the same key.
const LABELS_NAMESPACE: Uuid = Uuid::from_u128(0x6d1f_2a0e_93c4_4b7e_8f35_a1c2_d4e5_f607);

/// One alert of the payload, checked.
struct Reported {
    firing: bool,
    key: String,
    alert: Alert,
}

/// Reads `body` as one notification received at `now`: the alerts to store and remove, and
/// whether it proves the alert source alive (it carries the firing [`Alert::WATCHDOG`], which
/// is never stored). `Err` lists every mistake found.
pub fn delivery(body: &Value, now: DateTime<Utc>) -> Result<AlertDelivery, Vec<ErrorDetail>> {
    let mut problems = Vec::new();
    let Some(payload) = body.as_object() else {
        return Err(vec![ErrorDetail::new("", "must be a JSON object")]);
    };
    if payload.get("version").and_then(Value::as_str) != Some("4") {
        problems.push(ErrorDetail::new("/version", "must be \"4\""));
    }
    let group = required_text(payload, "", "groupKey", &mut problems);
    status(payload, "", &mut problems);
    for name in ["receiver", "externalURL"] {
        optional_text(payload, "", name, &mut problems);
    }
    for name in ["groupLabels", "commonLabels", "commonAnnotations"] {
        optional_strings(payload, "", name, &mut problems);
    }
    let truncated = match payload.get("truncatedAlerts") {
        None | Some(Value::Null) => 0,
        Some(value) => value.as_u64().unwrap_or_else(|| {
            let message = "must be a whole number of 0 or more";
            problems.push(ErrorDetail::new("/truncatedAlerts", message));
            0
        }),
    };
    let reported = match payload.get("alerts").and_then(Value::as_array) {
        Some(alerts) => alerts
            .iter()
            .enumerate()
            .filter_map(|(i, alert)| reported(alert, &format!("/alerts/{i}"), &mut problems))
            .collect(),
        None => {
            problems.push(ErrorDetail::new("/alerts", "must be an array of alerts"));
            Vec::new()
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(assemble(
        group.unwrap_or_default(),
        truncated == 0,
        reported,
        now,
    ))
}

/// The checked alerts as the store takes them.
fn assemble(
    group: String,
    complete: bool,
    reported: Vec<Reported>,
    now: DateTime<Utc>,
) -> AlertDelivery {
    let mut delivery = AlertDelivery {
        group,
        firing: Vec::new(),
        resolved: Vec::new(),
        complete,
        heard_at: None,
        received_at: now,
    };
    for Reported { firing, key, alert } in reported {
        match (alert.name == Alert::WATCHDOG, firing) {
            (true, true) => delivery.heard_at = Some(now),
            // A resolved watchdog means its source stopped sending it: nothing was heard.
            (true, false) => {}
            (false, true) => delivery.firing.push(KeyedAlert { key, alert }),
            (false, false) => delivery.resolved.push(key),
        }
    }
    delivery
}

/// One alert of `alerts`, or `None` (with the problems recorded) if it is not one.
fn reported(value: &Value, at: &str, problems: &mut Vec<ErrorDetail>) -> Option<Reported> {
    let Some(alert) = value.as_object() else {
        problems.push(ErrorDetail::new(at, "must be an object"));
        return None;
    };
    let before = problems.len();
    let firing = status(alert, at, problems);
    let labels = match alert.get("labels") {
        Some(_) => optional_strings(alert, at, "labels", problems),
        None => {
            problems.push(ErrorDetail::new(format!("{at}/labels"), "is required"));
            None
        }
    };
    let annotations = optional_strings(alert, at, "annotations", problems);
    let starts_at = instant(alert, at, "startsAt", true, problems);
    instant(alert, at, "endsAt", false, problems);
    optional_text(alert, at, "generatorURL", problems);
    let fingerprint = optional_text(alert, at, "fingerprint", problems);
    if fingerprint
        .as_ref()
        .is_some_and(|f| f.len() > MAX_FINGERPRINT)
    {
        let message = format!("must be at most {MAX_FINGERPRINT} bytes");
        problems.push(ErrorDetail::new(format!("{at}/fingerprint"), message));
    }
    if problems.len() > before {
        return None;
    }
    let labels = labels.unwrap_or_default();
    let mut annotations = annotations.unwrap_or_default();
    let key = match fingerprint.filter(|f| !f.is_empty()) {
        Some(fingerprint) => fingerprint,
        None => labels_key(&labels),
    };
    let alert = Alert {
        name: labels.get("alertname").cloned().unwrap_or_default(),
        severity: labels.get("severity").cloned().unwrap_or_default(),
        summary: annotations.remove("summary").unwrap_or_default(),
        description: annotations.remove("description").unwrap_or_default(),
        runbook_url: annotations.remove("runbook_url"),
        since: starts_at,
        labels,
    };
    Some(Reported {
        firing: firing == Some(true),
        key,
        alert,
    })
}

/// The key of an alert without a fingerprint: a hash of its labels (sorted, so their order in
/// the payload does not matter).
fn labels_key(labels: &BTreeMap<String, String>) -> String {
    let canonical = serde_json::to_vec(labels).unwrap_or_default();
    format!(
        "labels:{}",
        Uuid::new_v5(&LABELS_NAMESPACE, &canonical).simple()
    )
}

/// `status`: `Some(true)` for "firing", `Some(false)` for "resolved".
fn status(object: &Map<String, Value>, at: &str, problems: &mut Vec<ErrorDetail>) -> Option<bool> {
    match object.get("status").and_then(Value::as_str) {
        Some("firing") => Some(true),
        Some("resolved") => Some(false),
        _ => {
            let message = "must be \"firing\" or \"resolved\"";
            problems.push(ErrorDetail::new(format!("{at}/status"), message));
            None
        }
    }
}

fn required_text(
    object: &Map<String, Value>,
    at: &str,
    name: &str,
    problems: &mut Vec<ErrorDetail>,
) -> Option<String> {
    if object.get(name).is_none() {
        problems.push(ErrorDetail::new(format!("{at}/{name}"), "is required"));
        return None;
    }
    optional_text(object, at, name, problems)
}

/// A string member, if present (`null` counts as absent).
fn optional_text(
    object: &Map<String, Value>,
    at: &str,
    name: &str,
    problems: &mut Vec<ErrorDetail>,
) -> Option<String> {
    match object.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            problems.push(ErrorDetail::new(format!("{at}/{name}"), "must be a string"));
            None
        }
    }
}

/// An object of strings (labels, annotations), if present.
fn optional_strings(
    object: &Map<String, Value>,
    at: &str,
    name: &str,
    problems: &mut Vec<ErrorDetail>,
) -> Option<BTreeMap<String, String>> {
    let value = object.get(name).filter(|v| !v.is_null())?;
    let strings = value.as_object().and_then(|members| {
        members
            .iter()
            .map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect::<Option<BTreeMap<_, _>>>()
    });
    if strings.is_none() {
        let message = "must be an object of strings";
        problems.push(ErrorDetail::new(format!("{at}/{name}"), message));
    }
    strings
}

/// An RFC 3339 instant. `startsAt` is required; Alertmanager writes year 1 for "not set",
/// which reads as `None`.
fn instant(
    object: &Map<String, Value>,
    at: &str,
    name: &str,
    required: bool,
    problems: &mut Vec<ErrorDetail>,
) -> Option<DateTime<Utc>> {
    let text = match object.get(name) {
        None | Some(Value::Null) if !required => return None,
        Some(Value::String(text)) => text,
        _ => {
            let message = "must be an RFC 3339 date-time";
            problems.push(ErrorDetail::new(format!("{at}/{name}"), message));
            return None;
        }
    };
    match DateTime::parse_from_rfc3339(text) {
        Ok(parsed) => Some(parsed.with_timezone(&Utc)).filter(|t| t.timestamp() > UNSET_BEFORE),
        Err(error) => {
            let message = format!("must be an RFC 3339 date-time: {error}");
            problems.push(ErrorDetail::new(format!("{at}/{name}"), message));
            None
        }
    }
}

/// Instants before the year 2 (Unix seconds) are Go's zero time: not set.
const UNSET_BEFORE: i64 = -62_104_060_800;

#[cfg(test)]
mod tests;
