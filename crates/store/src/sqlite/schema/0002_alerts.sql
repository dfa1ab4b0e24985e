-- Alerts Alertmanager reported firing through the read model's webhook, and when the alert
-- source (its Watchdog) was last heard from: the PostgreSQL tables of
-- crates/store/migrations/0002_alerts.sql, with instants as INTEGER microseconds and JSON as TEXT.

CREATE TABLE alerts (
    key         TEXT PRIMARY KEY,
    group_key   TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    summary     TEXT    NOT NULL,
    description TEXT    NOT NULL,
    labels      TEXT    NOT NULL,  -- every label, a JSON object of strings
    runbook_url TEXT,
    starts_at   INTEGER,           -- NULL when the source gave none
    updated_at  INTEGER NOT NULL
);

CREATE INDEX alerts_by_group ON alerts (group_key);

-- At most one row (id 1): when a notification last carried the firing Watchdog.
CREATE TABLE alert_source (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    heard_at INTEGER NOT NULL
);
