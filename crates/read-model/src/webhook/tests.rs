use serde_json::json;

use super::*;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_735_732_800, 0).unwrap()
}

fn firing(name: &str, fingerprint: &str) -> Value {
    json!({
        "status": "firing",
        "labels": {"alertname": name, "severity": "critical", "instance": "gateway:3000"},
        "annotations": {"summary": format!("{name} fires"), "description": "long text",
                        "runbook_url": "https://runbooks.example/x"},
        "startsAt": "2025-01-01T11:58:00.123456789+01:00",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": fingerprint
    })
}

fn payload(alerts: Vec<Value>) -> Value {
    json!({
        "version": "4", "groupKey": "{}:{alertname=\"X\"}", "truncatedAlerts": 0,
        "status": "firing", "receiver": "odto", "groupLabels": {"alertname": "X"},
        "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
        "alerts": alerts
    })
}

fn paths(problems: &[ErrorDetail]) -> Vec<&str> {
    problems.iter().map(|p| p.path.as_str()).collect()
}

#[test]
fn a_firing_alert_becomes_a_stored_alert_with_every_field() {
    let delivery = delivery(&payload(vec![firing("OdtoServiceDown", "fp1")]), now()).unwrap();

    assert_eq!(delivery.group, "{}:{alertname=\"X\"}");
    assert!(delivery.complete);
    assert_eq!(delivery.heard_at, None);
    let [stored] = delivery.firing.as_slice() else {
        panic!("one alert: {delivery:?}")
    };
    assert_eq!(stored.key, "fp1");
    let alert = &stored.alert;
    assert_eq!(
        (alert.name.as_str(), alert.severity.as_str()),
        ("OdtoServiceDown", "critical")
    );
    assert_eq!(alert.summary, "OdtoServiceDown fires");
    assert_eq!(alert.description, "long text");
    assert_eq!(
        alert.runbook_url.as_deref(),
        Some("https://runbooks.example/x")
    );
    assert_eq!(alert.labels["instance"], "gateway:3000");
    let since = alert.since.unwrap();
    assert_eq!(since.to_rfc3339(), "2025-01-01T10:58:00.123456789+00:00");
}

#[test]
fn a_resolved_alert_is_a_key_to_remove() {
    let mut resolved = firing("A", "fp1");
    resolved["status"] = "resolved".into();
    resolved["endsAt"] = "2025-01-01T12:00:00Z".into();

    let delivery = delivery(&payload(vec![resolved]), now()).unwrap();

    assert!(delivery.firing.is_empty());
    assert_eq!(delivery.resolved, ["fp1"]);
}

#[test]
fn without_a_fingerprint_the_key_is_a_hash_of_the_labels_in_any_order() {
    let mut one = firing("A", "");
    let mut other = json!({"status": "firing", "startsAt": "2025-01-01T12:00:00Z",
        "labels": {"instance": "gateway:3000", "severity": "critical", "alertname": "A"}});
    one.as_object_mut().unwrap().remove("fingerprint");
    let mut different = other.clone();
    different["labels"]["instance"] = "processor:9101".into();
    other["fingerprint"] = Value::Null;

    let keys: Vec<String> = [one, other, different]
        .into_iter()
        .map(|alert| {
            delivery(&payload(vec![alert]), now()).unwrap().firing[0]
                .key
                .clone()
        })
        .collect();

    assert!(keys[0].starts_with("labels:"), "{}", keys[0]);
    assert_eq!(keys[0], keys[1]);
    assert_ne!(keys[0], keys[2]);
}

#[test]
fn the_firing_watchdog_is_heard_and_never_stored() {
    let alerts = vec![firing("Watchdog", "w"), firing("A", "fp1")];

    let delivery = delivery(&payload(alerts), now()).unwrap();

    assert_eq!(delivery.heard_at, Some(now()));
    assert_eq!(delivery.firing.len(), 1);
    assert_eq!(delivery.firing[0].alert.name, "A");
    assert!(delivery.resolved.is_empty());
}

#[test]
fn a_resolved_watchdog_is_not_heard() {
    let mut watchdog = firing("Watchdog", "w");
    watchdog["status"] = "resolved".into();

    let delivery = delivery(&payload(vec![watchdog]), now()).unwrap();

    assert_eq!(delivery.heard_at, None);
    assert!(delivery.resolved.is_empty());
}

#[test]
fn a_truncated_notification_is_not_complete() {
    let mut body = payload(vec![firing("A", "fp1")]);
    body["truncatedAlerts"] = 3.into();

    assert!(!delivery(&body, now()).unwrap().complete);
}

#[test]
fn every_mistake_is_named_by_its_pointer() {
    let mut bad_alert = firing("A", "fp1");
    bad_alert["startsAt"] = "yesterday".into();
    bad_alert["labels"]["severity"] = 3.into();
    bad_alert["status"] = "pending".into();
    let mut body = payload(vec![
        bad_alert,
        json!("text"),
        firing("B", &"f".repeat(300)),
    ]);
    body["version"] = "3".into();
    body["truncatedAlerts"] = (-1).into();
    body["commonLabels"] = json!([]);
    body.as_object_mut().unwrap().remove("groupKey");

    let problems = delivery(&body, now()).unwrap_err();

    assert_eq!(
        paths(&problems),
        [
            "/version",
            "/groupKey",
            "/commonLabels",
            "/truncatedAlerts",
            "/alerts/0/status",
            "/alerts/0/labels",
            "/alerts/0/startsAt",
            "/alerts/1",
            "/alerts/2/fingerprint",
        ]
    );
}

#[test]
fn what_is_not_a_payload_is_refused() {
    for (body, path) in [
        (json!([]), ""),
        (
            json!({"version": "4", "groupKey": "g", "status": "firing"}),
            "/alerts",
        ),
        (
            json!({"version": "4", "groupKey": "g", "status": "firing", "alerts": {}}),
            "/alerts",
        ),
        (
            json!({"version": "4", "groupKey": "g", "status": "firing",
                   "alerts": [{"status": "firing", "startsAt": "2025-01-01T12:00:00Z"}]}),
            "/alerts/0/labels",
        ),
        (
            json!({"version": "4", "groupKey": "g", "status": "firing",
                   "alerts": [{"status": "firing", "labels": {}}]}),
            "/alerts/0/startsAt",
        ),
    ] {
        let problems = delivery(&body, now()).unwrap_err();

        assert_eq!(paths(&problems), [path], "{body}");
    }
}
