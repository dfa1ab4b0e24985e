//! `GET /alerts` *(planned)*: the alerts firing now.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An active alert. Written flat (`name`, `severity`, `summary`); read leniently, from that
/// shape or from Alertmanager's own (`labels.alertname`, `labels.severity`,
/// `annotations.summary`), so a reader can also be pointed at Alertmanager.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Value")]
pub struct Alert {
    pub name: String,
    pub severity: String,
    pub summary: String,
}

impl Alert {
    /// Reads either shape; a field found in neither is empty.
    pub fn from_value(value: &Value) -> Alert {
        let text = |paths: &[&[&str]]| {
            paths
                .iter()
                .find_map(|path| {
                    let found = path.iter().try_fold(value, |v, key| v.get(key))?;
                    found.as_str().map(str::to_owned)
                })
                .unwrap_or_default()
        };
        Alert {
            name: text(&[&["labels", "alertname"], &["alertname"], &["name"]]),
            severity: text(&[&["labels", "severity"], &["severity"]]),
            summary: text(&[
                &["annotations", "summary"],
                &["summary"],
                &["annotations", "description"],
            ]),
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
                            "annotations": {"summary": "gateway is down"}});
        let flat = json!({"name": "Backlog", "severity": "warning", "summary": "old jobs"});
        assert_eq!(
            Alert::from_value(&nested),
            Alert {
                name: "ServiceDown".into(),
                severity: "critical".into(),
                summary: "gateway is down".into()
            }
        );
        assert_eq!(Alert::from_value(&flat).name, "Backlog");
        assert_eq!(Alert::from_value(&json!({})).name, "");
    }
}
