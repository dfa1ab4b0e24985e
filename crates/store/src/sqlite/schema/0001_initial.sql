-- The SQLite schema of odto-store's embedded backend: the PostgreSQL tables (see
-- crates/store/migrations/) plus the statistics and idempotency keys that Redis holds in
-- distributed mode.
--
-- Ids are 16-byte BLOBs (they sort as PostgreSQL sorts uuids). Instants are INTEGER microseconds
-- since the epoch; the three that must read back exactly (a job's createdAt, an event's
-- occurredAt, a dead letter's receivedAt) keep their sub-microsecond remainder in `*_nanos`,
-- as in PostgreSQL. JSON is TEXT.
--
-- `jobs` and `events` are WITHOUT ROWID tables keyed by their id: a lookup is one B-tree search
-- and an insert one B-tree fewer, which the writer thread (the bottleneck) notices. Their rows
-- are small in practice; a large payload spills to overflow pages as it would in a rowid table.

-- One row per job: the contract Job's fields plus the store's bookkeeping.
CREATE TABLE jobs (
    id             BLOB PRIMARY KEY,
    type           TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    payload        TEXT,             -- printed as PostgreSQL prints jsonb, for the text search
    metadata       TEXT,
    extra          TEXT    NOT NULL, -- the Job's unknown fields, kept verbatim
    max_attempts   INTEGER,          -- as the job asked; NULL = the store's default
    priority       INTEGER,
    run_at         INTEGER,          -- NULL = may start at once
    attempts       INTEGER NOT NULL DEFAULT 0,
    run_attempts   INTEGER NOT NULL DEFAULT 0,
    revision       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    correlation_id TEXT    NOT NULL,
    lease_until    INTEGER,
    created_at     INTEGER NOT NULL,
    created_nanos  INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL,
    finished_at    INTEGER
) WITHOUT ROWID;

-- Newest-first listings, alone or filtered by status or type, with keyset pagination.
CREATE INDEX jobs_newest ON jobs (created_at, id);
CREATE INDEX jobs_status_newest ON jobs (status, created_at, id);
CREATE INDEX jobs_type_newest ON jobs (type, created_at, id);

-- One row per attempt; `number` is the job's `attempts` when the attempt started.
CREATE TABLE job_attempts (
    job_id      BLOB    NOT NULL,
    number      INTEGER NOT NULL,
    worker      TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    outcome     TEXT,
    error       TEXT,
    PRIMARY KEY (job_id, number)
) WITHOUT ROWID;

-- The event store: each envelope once, every field kept; `payload` is the Job as JSON.
CREATE TABLE events (
    event_id          BLOB    PRIMARY KEY,
    job_id            BLOB    NOT NULL,
    event_type        TEXT    NOT NULL,
    occurred_at       INTEGER NOT NULL,
    occurred_nanos    INTEGER NOT NULL,
    contract_version  TEXT    NOT NULL,
    producer_service  TEXT    NOT NULL,
    producer_instance TEXT    NOT NULL,
    producer_version  TEXT    NOT NULL,
    correlation_id    TEXT    NOT NULL,
    idempotency_key   TEXT    NOT NULL,
    payload           TEXT    NOT NULL
) WITHOUT ROWID;

CREATE INDEX events_by_job ON events (job_id, occurred_at, occurred_nanos, event_id);
CREATE INDEX events_in_order ON events (occurred_at, occurred_nanos, event_id);

-- Messages that could not be processed, with the reason, until someone retries them.
CREATE TABLE dead_letters (
    id             BLOB    NOT NULL UNIQUE,
    received_at    INTEGER NOT NULL,
    received_nanos INTEGER NOT NULL,
    source         TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    job_id         BLOB,
    retried_at     INTEGER
);

CREATE INDEX dead_letters_newest ON dead_letters (received_at, id);

-- Statistics (see stats.rs): the newest revision applied per job, which makes applying an
-- event exactly-once per revision...
CREATE TABLE stats_jobs (
    job_id   BLOB    PRIMARY KEY,
    revision INTEGER NOT NULL,
    status   TEXT    NOT NULL,
    type     TEXT    NOT NULL
) WITHOUT ROWID;

-- ...the totals, in one row...
CREATE TABLE stats_totals (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    accepted       INTEGER NOT NULL DEFAULT 0,
    events_applied INTEGER NOT NULL DEFAULT 0,
    last_event_ms  INTEGER,          -- event time of the newest event applied
    pending        INTEGER NOT NULL DEFAULT 0,
    validated      INTEGER NOT NULL DEFAULT 0,
    executing      INTEGER NOT NULL DEFAULT 0,
    completed      INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0,
    cancelled      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO stats_totals (id) VALUES (1);

-- ...jobs per type and status...
CREATE TABLE stats_types (
    type   TEXT    NOT NULL,
    status TEXT    NOT NULL,
    jobs   INTEGER NOT NULL,
    PRIMARY KEY (type, status)
) WITHOUT ROWID;

-- ...and per-second throughput by event time, each second kept an hour after its last change
-- (wall clock, as the Redis buckets expire).
CREATE TABLE stats_seconds (
    second     INTEGER PRIMARY KEY,
    accepted   INTEGER NOT NULL DEFAULT 0,
    completed  INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    expires_ms INTEGER NOT NULL
);

CREATE INDEX stats_seconds_expiry ON stats_seconds (expires_ms);

-- Idempotency keys; a record past `expires_ms` (wall clock) counts as absent.
CREATE TABLE idempotency_keys (
    key        TEXT    PRIMARY KEY,
    record     TEXT    NOT NULL,     -- JSON of the IdempotencyRecord
    expires_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_ms);
