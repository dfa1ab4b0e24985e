//! `GET /alerts`: the alerts firing now, as the read model stored them from Alertmanager's
//! webhook (`POST /alerts/webhook`), and when the alert source was last heard from.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An active alert. Written flat (`name`, `severity`, `summary`, `description`, `labels`,
/// `since`, `runbookUrl`); read leniently, from that shape or from Alertmanager's own
/// (`labels.alertname`, `labels.severity`, `annotations.summary`, `startsAt`, …), so a reader
/// can also be pointed at Alertmanager.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Value", rename_all = "camelCase")]
pub struct Alert {
    pub name: String,
    pub severity: String,
    pub summary: String,
    pub description: String,
    /// Every label of the alert, `alertname` and `severity` included.
    pub labels: BTreeMap<String, String>,
    /// When it started firing (Alertmanager's `startsAt`).
    pub since: Option<DateTime<Utc>>,
    /// The `runbook_url` annotation.
    pub runbook_url: Option<String>,
}

impl Alert {
    /// Response header of `GET /alerts`: when the alert source last proved it works (a
    /// delivery carrying the firing [`Alert::WATCHDOG`]), RFC 3339. Absent when it was never
    /// heard from. A header, so that the body stays the array every reader already parses.
    pub const SOURCE_HEARD_AT_HEADER: &'static str = "x-alerts-source-heard-at";

    /// The alert that always fires (Prometheus's convention): while its notifications arrive,
    /// the whole alerting pipeline works. It is never listed as an active alert.
    pub const WATCHDOG: &'static str = "Watchdog";

    /// Reads either shape; a field found in neither is empty.
    pub fn from_value(value: &Value) -> Alert {
        let find = |paths: &[&[&str]]| {
            paths.iter().find_map(|path| {
                let found = path.iter().try_fold(value, |v, key| v.get(key))?;
                found.as_str().map(str::to_owned)
            })
        };
        let text = |paths: &[&[&str]]| find(paths).unwrap_or_default();
        let labels = value
            .get("labels")
            .and_then(Value::as_object)
            .map(|labels| {
                labels
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Alert {
            name: text(&[&["labels", "alertname"], &["alertname"], &["name"]]),
            severity: text(&[&["labels", "severity"], &["severity"]]),
            summary: text(&[
                &["annotations", "summary"],
                &["summary"],
                &["annotations", "description"],
            ]),
            description: text(&[&["annotations", "description"], &["description"]]),
            labels,
            since: find(&[&["since"], &["startsAt"]])
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc)),
            runbook_url: find(&[&["annotations", "runbook_url"], &["runbookUrl"]]),
        }
    }
}

impl From<Value> for Alert {
    fn from(value: Value) -> Alert {
        Alert::from_value(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn alerts_are_read_from_alertmanager_and_flat_shapes() {
        let nested = json!({"labels": {"alertname": "ServiceDown", "severity": "critical"},
                            "annotations": {"summary": "gateway is down",
                                            "runbook_url": "https://runbooks/service-down"},
                            "startsAt": "2025-01-01T12:00:00.5+01:00"});
        let flat = json!({"name": "Backlog", "severity": "warning", "summary": "old jobs"});
        let since = DateTime::parse_from_rfc3339("2025-01-01T11:00:00.5Z").unwrap();
        assert_eq!(
            Alert::from_value(&nested),
            Alert {
                name: "ServiceDown".into(),
                severity: "critical".into(),
                summary: "gateway is down".into(),
                description: String::new(),
                labels: [("alertname", "ServiceDown"), ("severity", "critical")]
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .into(),
                since: Some(since.with_timezone(&Utc)),
                runbook_url: Some("https://runbooks/service-down".into()),
            }
        );
        assert_eq!(Alert::from_value(&flat).name, "Backlog");
        assert_eq!(Alert::from_value(&json!({})), Alert::default());
    }

    #[test]
    fn the_flat_shape_written_reads_back_the_same() {
        let alert = Alert {
            name: "OdtoDeadLetters".into(),
            severity: "warning".into(),
            summary: "dead letters are piling up".into(),
            description: "more than 10 in 5 minutes".into(),
            labels: [("alertname".to_owned(), "OdtoDeadLetters".to_owned())].into(),
            since: Some(DateTime::from_timestamp(1_735_732_800, 0).unwrap()),
            runbook_url: None,
        };

        let written = serde_json::to_value(&alert).unwrap();

        assert_eq!(written["runbookUrl"], Value::Null);
        assert_eq!(written["since"], "2025-01-01T12:00:00Z");
        assert_eq!(serde_json::from_value::<Alert>(written).unwrap(), alert);
    }
}
