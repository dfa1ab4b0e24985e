//! The embedded bus on disk: one SQLite table holding every message not yet settled.
//!
//! A row is written when a message is published and deleted when it is acknowledged; nothing
//! else is ever read back while the bus runs (the queues live in memory, see `queues`). The
//! table is read once, at open, to rebuild them. Every write goes through the database's group
//! commit, so concurrent publishes and acknowledgements share one transaction and one fsync.

use std::path::Path;
use std::sync::Arc;

use odto_sqlite::{Database, DbError, Options};
use rusqlite::{Row, params};

use crate::DeadLetterInfo;

/// The bus's schema; `MIGRATIONS[i]` is applied once, in order. The file belongs to the bus alone
/// (another schema in the same file would collide on the migration counter).
const MIGRATIONS: &[&str] = &["CREATE TABLE bus_message (
        id           INTEGER PRIMARY KEY, -- delivery order within a priority level
        queue        TEXT    NOT NULL,
        body         BLOB    NOT NULL,
        message_id   TEXT,
        priority     INTEGER NOT NULL,
        enqueued_at  INTEGER NOT NULL,    -- unix milliseconds
        available_at INTEGER NOT NULL,    -- unix milliseconds; not delivered before that
        delivered    INTEGER NOT NULL,    -- 1 once a handler has been given the message
        dead_reason  TEXT,
        dead_source  TEXT
    ) STRICT;"];

const INSERT: &str = "INSERT INTO bus_message (id, queue, body, message_id, priority, enqueued_at,
     available_at, delivered, dead_reason, dead_source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9)";

/// A message as the bus keeps it. Cheap to clone: the body is shared.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    /// Unique within the file and increasing with publication: the delivery order.
    pub(super) id: i64,
    pub(super) body: Arc<[u8]>,
    pub(super) message_id: Option<String>,
    /// Higher first; only the intake queue publishes anything but 0.
    pub(super) priority: u8,
    pub(super) enqueued_at: i64,
    /// A handler was given it before (and did not settle it, or settled it with a delay).
    pub(super) delivered: bool,
    pub(super) dead_letter: Option<DeadLetterInfo>,
}

/// A row read back at open: the message, its queue and when it may be delivered.
#[derive(Debug)]
pub(super) struct Loaded {
    pub(super) queue: String,
    pub(super) message: Stored,
    pub(super) available_at: i64,
}

/// The bus's SQLite file.
#[derive(Debug, Clone)]
pub(super) struct Store {
    db: Database,
}

impl Store {
    /// Opens (or creates) the file and brings its schema up to date. Blocking.
    pub(super) fn open(path: &Path, options: &Options) -> Result<Self, DbError> {
        let db = Database::open(path, options, MIGRATIONS)?;
        Ok(Self { db })
    }

    /// Every stored message, in id order.
    pub(super) async fn load(&self) -> Result<Vec<Loaded>, DbError> {
        self.db
            .read(|c| {
                let mut select = c.prepare(
                    "SELECT id, queue, body, message_id, priority, enqueued_at, available_at,
                            delivered, dead_reason, dead_source
                     FROM bus_message ORDER BY id",
                )?;
                let rows = select.query_map([], loaded)?;
                rows.collect()
            })
            .await
    }

    /// Stores a new message of `queue`, available at once.
    pub(super) async fn insert(&self, queue: &'static str, message: Stored) -> Result<(), DbError> {
        self.db
            .write(move |c| insert(c, queue, &message).map(drop))
            .await
    }

    /// Records that `id` is about to be handed to a handler (see `consumer` on redelivery).
    pub(super) async fn mark_delivered(&self, id: i64) -> Result<(), DbError> {
        self.db
            .write(move |c| {
                c.prepare_cached("UPDATE bus_message SET delivered = 1 WHERE id = ?1")?
                    .execute([id])
                    .map(drop)
            })
            .await
    }

    /// Removes a settled message.
    pub(super) async fn delete(&self, id: i64) -> Result<(), DbError> {
        self.db.write(move |c| delete(c, id)).await
    }

    /// Makes `id` wait until `available_at` (unix milliseconds) before its next delivery.
    pub(super) async fn delay(&self, id: i64, available_at: i64) -> Result<(), DbError> {
        self.db
            .write(move |c| {
                c.prepare_cached("UPDATE bus_message SET available_at = ?2 WHERE id = ?1")?
                    .execute([id, available_at])
                    .map(drop)
            })
            .await
    }

    /// Replaces message `id` by `letter` on `queue`, in one transaction: never both, never none.
    pub(super) async fn replace(
        &self,
        id: i64,
        queue: &'static str,
        letter: Stored,
    ) -> Result<(), DbError> {
        self.db
            .write(move |c| {
                insert(c, queue, &letter)?;
                delete(c, id)
            })
            .await
    }
}

fn insert(c: &rusqlite::Connection, queue: &str, message: &Stored) -> rusqlite::Result<usize> {
    let info = message.dead_letter.as_ref();
    c.prepare_cached(INSERT)?.execute(params![
        message.id,
        queue,
        &message.body[..],
        message.message_id,
        message.priority,
        message.enqueued_at,
        message.enqueued_at,
        info.map(|i| &i.reason),
        info.map(|i| &i.source),
    ])
}

fn delete(c: &rusqlite::Connection, id: i64) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM bus_message WHERE id = ?1")?
        .execute([id])
        .map(drop)
}

fn loaded(row: &Row<'_>) -> rusqlite::Result<Loaded> {
    let body: Vec<u8> = row.get("body")?;
    let reason: Option<String> = row.get("dead_reason")?;
    let source: Option<String> = row.get("dead_source")?;
    let message = Stored {
        id: row.get("id")?,
        body: body.into(),
        message_id: row.get("message_id")?,
        priority: row.get("priority")?,
        enqueued_at: row.get("enqueued_at")?,
        delivered: row.get("delivered")?,
        dead_letter: reason.map(|reason| DeadLetterInfo {
            reason,
            source: source.unwrap_or_default(),
        }),
    };
    Ok(Loaded {
        queue: row.get("queue")?,
        message,
        available_at: row.get("available_at")?,
    })
}

/// Wall-clock time in unix milliseconds: what `enqueued_at` and `available_at` are measured in.
pub(super) fn now_millis() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
