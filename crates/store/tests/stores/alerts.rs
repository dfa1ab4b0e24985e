//! Alerts: stored by key while they fire, replaced by a later report, removed when resolved or
//! when a complete notification of their group no longer lists them; the source's heard time
//! only moves forward.

use chrono::{DateTime, Utc};
use odto_store::alerts::{Alert, AlertDelivery, KeyedAlert};

use crate::backend::{Backend, later, now, on_every_backend};

fn alert(name: &str, since: DateTime<Utc>) -> Alert {
    Alert {
        name: name.into(),
        severity: "critical".into(),
        summary: format!("{name} fires"),
        description: "for a test".into(),
        labels: [("alertname", name), ("severity", "critical")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into(),
        since: Some(since),
        runbook_url: Some(format!("https://runbooks.example/{name}")),
    }
}

fn keyed(key: &str, alert: Alert) -> KeyedAlert {
    KeyedAlert {
        key: key.into(),
        alert,
    }
}

/// A complete notification of group `g` with these firing alerts.
fn delivery(firing: Vec<KeyedAlert>) -> AlertDelivery {
    AlertDelivery {
        group: "g".into(),
        firing,
        resolved: vec![],
        complete: true,
        heard_at: None,
        received_at: now(),
    }
}

fn names(alerts: &[Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.name.as_str()).collect()
}

async fn a_firing_alert_is_kept_with_every_field(backend: Backend) {
    let store = backend.alerts().await;
    let fired = alert("OdtoServiceDown", now());

    store
        .record_alerts(&delivery(vec![keyed("fp1", fired.clone())]))
        .await
        .unwrap();

    let active = store.active_alerts().await.unwrap();
    assert_eq!(active.alerts, [fired]);
    assert_eq!(active.source_heard_at, None);
}

async fn nothing_recorded_is_no_alert_and_no_heard_time(backend: Backend) {
    let store = backend.alerts().await;

    let active = store.active_alerts().await.unwrap();

    assert!(active.alerts.is_empty());
    assert_eq!(active.source_heard_at, None);
}

async fn a_repeated_delivery_changes_nothing(backend: Backend) {
    let store = backend.alerts().await;
    let once = delivery(vec![keyed("fp1", alert("A", now()))]);
    store.record_alerts(&once).await.unwrap();
    let first = store.active_alerts().await.unwrap();

    store.record_alerts(&once).await.unwrap();

    assert_eq!(store.active_alerts().await.unwrap(), first);
    assert_eq!(first.alerts.len(), 1);
}

async fn a_later_report_under_the_same_key_replaces_the_alert(backend: Backend) {
    let store = backend.alerts().await;
    let mut changed = alert("A", now());
    store
        .record_alerts(&delivery(vec![keyed("fp1", changed.clone())]))
        .await
        .unwrap();
    changed.summary = "worse now".into();
    changed.runbook_url = None;

    store
        .record_alerts(&delivery(vec![keyed("fp1", changed.clone())]))
        .await
        .unwrap();

    assert_eq!(store.active_alerts().await.unwrap().alerts, [changed]);
}

async fn a_resolved_alert_is_removed_and_the_others_stay(backend: Backend) {
    let store = backend.alerts().await;
    let start = now();
    let (a, b) = (alert("A", start), alert("B", later(start, 1)));
    store
        .record_alerts(&delivery(vec![keyed("a", a.clone()), keyed("b", b)]))
        .await
        .unwrap();
    let mut resolution = delivery(vec![keyed("a", a.clone())]);
    resolution.resolved = vec!["b".into(), "never-stored".into()];

    store.record_alerts(&resolution).await.unwrap();

    assert_eq!(store.active_alerts().await.unwrap().alerts, [a]);
}

async fn a_complete_notification_removes_the_alerts_of_its_group_it_no_longer_lists(
    backend: Backend,
) {
    let store = backend.alerts().await;
    let start = now();
    store
        .record_alerts(&delivery(vec![
            keyed("a", alert("A", start)),
            keyed("b", alert("B", start)),
        ]))
        .await
        .unwrap();
    let mut elsewhere = delivery(vec![keyed("c", alert("C", start))]);
    elsewhere.group = "other".into();
    store.record_alerts(&elsewhere).await.unwrap();
    let mut truncated = delivery(vec![]);
    truncated.complete = false;

    store.record_alerts(&truncated).await.unwrap();
    let after_truncated = store.active_alerts().await.unwrap().alerts;
    store
        .record_alerts(&delivery(vec![keyed("b", alert("B", start))]))
        .await
        .unwrap();

    assert_eq!(after_truncated.len(), 3, "a truncated list removes nothing");
    let mut left = names(&store.active_alerts().await.unwrap().alerts)
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    left.sort();
    assert_eq!(left, ["B", "C"]);
}

async fn alerts_are_listed_newest_first(backend: Backend) {
    let store = backend.alerts().await;
    let start = now();
    let mut undated = alert("Undated", start);
    undated.since = None;

    store
        .record_alerts(&delivery(vec![
            keyed("1", alert("Oldest", start)),
            keyed("2", undated),
            keyed("3", alert("Newest", later(start, 60))),
            keyed("4", alert("Middle", later(start, 30))),
        ]))
        .await
        .unwrap();

    let listed = store.active_alerts().await.unwrap().alerts;
    assert_eq!(names(&listed), ["Newest", "Middle", "Oldest", "Undated"]);
}

async fn the_source_heard_time_only_moves_forward(backend: Backend) {
    let store = backend.alerts().await;
    let start = now();
    let heard = |at: DateTime<Utc>| AlertDelivery {
        heard_at: Some(at),
        ..delivery(vec![])
    };

    store.record_alerts(&heard(later(start, 10))).await.unwrap();
    store.record_alerts(&heard(start)).await.unwrap();
    store.record_alerts(&delivery(vec![])).await.unwrap();

    let active = store.active_alerts().await.unwrap();
    assert_eq!(active.source_heard_at, Some(later(start, 10)));
}

async fn text_with_nul_bytes_is_kept_readable(backend: Backend) {
    let store = backend.alerts().await;
    let mut odd = alert("A\0B", now());
    odd.labels.insert("k\0".into(), "v\0".into());

    store
        .record_alerts(&delivery(vec![keyed("fp\0", odd)]))
        .await
        .unwrap();

    let read = &store.active_alerts().await.unwrap().alerts[0];
    assert_eq!(read.name, "A\u{FFFD}B");
    assert_eq!(read.labels["k\u{FFFD}"], "v\u{FFFD}");
}

on_every_backend!(postgres:
    a_firing_alert_is_kept_with_every_field,
    nothing_recorded_is_no_alert_and_no_heard_time,
    a_repeated_delivery_changes_nothing,
    a_later_report_under_the_same_key_replaces_the_alert,
    a_resolved_alert_is_removed_and_the_others_stay,
    a_complete_notification_removes_the_alerts_of_its_group_it_no_longer_lists,
    alerts_are_listed_newest_first,
    the_source_heard_time_only_moves_forward,
    text_with_nul_bytes_is_kept_readable,
);
