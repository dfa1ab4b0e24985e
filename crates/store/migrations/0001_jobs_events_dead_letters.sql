-- The PostgreSQL schema of odto-store: jobs and their attempts, the event store, dead letters.
--
-- Timestamps: PostgreSQL keeps microseconds, chrono keeps nanoseconds. The three instants that
-- arrive inside a caller's object and must read back unchanged (a job's createdAt, an event's
-- occurredAt, a dead letter's receivedAt) keep their sub-microsecond remainder in a `*_nanos`
-- column (0..=999); every other timestamp is stored, and returned, at microsecond precision.

-- One row per job: the contract Job's fields plus the store's bookkeeping.
CREATE TABLE jobs (
    id             uuid PRIMARY KEY,
    type           text        NOT NULL,
    status         text        NOT NULL CHECK (status IN
                       ('PENDING', 'VALIDATED', 'EXECUTING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    payload        jsonb,                          -- NULL when the job has none (not '{}')
    metadata       jsonb,
    extra          jsonb       NOT NULL DEFAULT '{}',  -- the Job's unknown fields, kept verbatim
    max_attempts   integer,                        -- as the job asked; NULL = the store's default
    priority       smallint,
    run_at         timestamptz,                    -- NULL = may start at once
    attempts       integer     NOT NULL DEFAULT 0, -- attempts ever started (Job.attempts)
    run_attempts   integer     NOT NULL DEFAULT 0, -- attempts since the last manual requeue
    revision       bigint      NOT NULL DEFAULT 0, -- +1 on every state change (Job.revision)
    last_error     text,
    correlation_id text        NOT NULL,
    lease_until    timestamptz,                    -- set while EXECUTING
    created_at     timestamptz NOT NULL,
    created_nanos  smallint    NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL,
    finished_at    timestamptz
);

-- Newest-first listings, alone or filtered by status or type, with keyset pagination.
CREATE INDEX jobs_newest ON jobs (created_at DESC, id DESC);
CREATE INDEX jobs_status_newest ON jobs (status, created_at DESC, id DESC);
CREATE INDEX jobs_type_newest ON jobs (type, created_at DESC, id DESC);

-- One row per attempt; `number` is the job's `attempts` when the attempt started.
CREATE TABLE job_attempts (
    job_id      uuid        NOT NULL REFERENCES jobs (id),
    number      integer     NOT NULL,
    worker      text        NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    outcome     text CHECK (outcome IN ('completed', 'failed', 'timed_out')),
    error       text,
    PRIMARY KEY (job_id, number)
);

-- The event store: each envelope once, every field kept (the reference lost producer and
-- idempotencyKey). `payload` is the Job as of the event, as JSON.
CREATE TABLE events (
    event_id            uuid PRIMARY KEY,
    job_id              uuid        NOT NULL,     -- payload.id, for the job's timeline
    event_type          text        NOT NULL,
    occurred_at         timestamptz NOT NULL,
    occurred_nanos      smallint    NOT NULL DEFAULT 0,
    contract_version    text        NOT NULL,
    producer_service    text        NOT NULL,
    producer_instance   text        NOT NULL,
    producer_version    text        NOT NULL,
    correlation_id      text        NOT NULL,
    idempotency_key     text        NOT NULL,
    payload             jsonb       NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_by_job ON events (job_id, occurred_at, occurred_nanos, event_id);
CREATE INDEX events_newest ON events (occurred_at DESC, occurred_nanos DESC, event_id DESC);

-- Messages that could not be processed, with the reason, until someone retries them.
CREATE TABLE dead_letters (
    id             uuid PRIMARY KEY,
    received_at    timestamptz NOT NULL,
    received_nanos smallint    NOT NULL DEFAULT 0,
    source         text        NOT NULL,
    reason         text        NOT NULL,
    body           text        NOT NULL,
    job_id         uuid,
    retried_at     timestamptz
);

CREATE INDEX dead_letters_newest ON dead_letters (received_at DESC, id DESC);
