//! Alerts: what Alertmanager reported firing (through the read model's webhook), kept until it
//! reports them resolved, and when the alert source was last heard from. They live in the job
//! store's database ([`crate::jobs::JobStore::alerts`]), so they survive a restart.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
pub use odto_contracts::read_api::Alert;

use crate::{StoreError, codec};

/// A firing alert and the key it is stored under (Alertmanager's fingerprint, or a hash of
/// its labels): a later report under the same key replaces it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyedAlert {
    pub key: String,
    pub alert: Alert,
}

/// One notification of one Alertmanager group, applied at once (one transaction), so that a
/// reader never sees half of it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertDelivery {
    /// Alertmanager's `groupKey`: which group of alerts this notification is about.
    pub group: String,
    /// The group's alerts that fire: each stored, replacing what its key held.
    pub firing: Vec<KeyedAlert>,
    /// Keys of the group's alerts reported resolved: removed.
    pub resolved: Vec<String>,
    /// Whether `firing` is every alert of the group that fires (Alertmanager truncated none).
    /// Then an alert stored for this group and not in `firing` has stopped firing, e.g. one
    /// whose resolution was silenced, and is removed too.
    pub complete: bool,
    /// When the alert source was heard from, if the notification carried its watchdog.
    pub heard_at: Option<DateTime<Utc>>,
    /// When the notification arrived.
    pub received_at: DateTime<Utc>,
}

/// What `GET /alerts` shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActiveAlerts {
    /// Newest first (by `since`, then key).
    pub alerts: Vec<Alert>,
    /// The latest `heard_at` ever recorded.
    pub source_heard_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait AlertStore: Send + Sync + 'static {
    /// Applies `delivery` in one transaction: stores `firing`, then removes `resolved` (and,
    /// when `complete`, the group's other alerts), and moves the time the source was last
    /// heard from forward to `heard_at` (never back). Applying it twice changes nothing more.
    async fn record_alerts(&self, delivery: &AlertDelivery) -> Result<(), StoreError>;

    async fn active_alerts(&self) -> Result<ActiveAlerts, StoreError>;
}

/// A delivery as both backends write it: text PostgreSQL can store, instants at microseconds,
/// one alert per key (the last reported wins) in key order, so that concurrent deliveries lock
/// rows in the same order.
pub(crate) struct Storable {
    pub group: String,
    pub firing: Vec<KeyedAlert>,
    pub resolved: Vec<String>,
    /// Keys of `firing`, when the delivery is complete: the group's other alerts are removed.
    pub keep: Option<Vec<String>>,
    pub heard_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
}

impl Storable {
    pub fn new(delivery: &AlertDelivery) -> Storable {
        let text = |t: &str| codec::storable_text(t);
        let mut firing = std::collections::BTreeMap::new();
        for keyed in &delivery.firing {
            let alert = &keyed.alert;
            let stored = Alert {
                name: text(&alert.name),
                severity: text(&alert.severity),
                summary: text(&alert.summary),
                description: text(&alert.description),
                labels: alert
                    .labels
                    .iter()
                    .map(|(k, v)| (text(k), text(v)))
                    .collect(),
                since: alert.since.map(codec::micros),
                runbook_url: alert.runbook_url.as_deref().map(text),
            };
            firing.insert(text(&keyed.key), stored);
        }
        let mut resolved: Vec<String> = delivery.resolved.iter().map(|k| text(k)).collect();
        resolved.sort();
        resolved.dedup();
        let keep = delivery.complete.then(|| firing.keys().cloned().collect());
        Storable {
            group: text(&delivery.group),
            firing: firing
                .into_iter()
                .map(|(key, alert)| KeyedAlert { key, alert })
                .collect(),
            resolved,
            keep,
            heard_at: delivery.heard_at.map(codec::micros),
            received_at: codec::micros(delivery.received_at),
        }
    }
}
