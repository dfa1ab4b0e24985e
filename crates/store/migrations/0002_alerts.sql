-- Alerts Alertmanager reported firing through the read model's webhook, until it reports them
-- resolved, and when the alert source (its Watchdog) was last heard from.

-- One row per firing alert, under Alertmanager's fingerprint (or a hash of its labels).
CREATE TABLE alerts (
    key         text PRIMARY KEY,
    group_key   text        NOT NULL,  -- the Alertmanager group that last reported it
    name        text        NOT NULL,  -- labels.alertname
    severity    text        NOT NULL,  -- labels.severity, '' when none
    summary     text        NOT NULL,
    description text        NOT NULL,
    labels      jsonb       NOT NULL,  -- every label, as an object of strings
    runbook_url text,
    starts_at   timestamptz,           -- startsAt; NULL when the source gave none
    updated_at  timestamptz NOT NULL   -- the last notification that reported it firing
);

CREATE INDEX alerts_by_group ON alerts (group_key);

-- At most one row: when a notification last carried the firing Watchdog.
CREATE TABLE alert_source (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    heard_at timestamptz NOT NULL
);
