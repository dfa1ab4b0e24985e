//! An embedded SQLite database for the all-in-one mode: the durable home of the embedded bus and
//! the embedded stores.
//!
//! SQLite allows one writer at a time, and each durable commit costs an fsync. So every write
//! goes to one writer thread, which takes all the writes waiting, runs each in its own savepoint
//! inside one transaction, commits once and only then answers each caller: concurrent writes
//! share a commit (group commit), and no caller hears "done" before its write is on disk. Reads
//! run on a small pool of connections; WAL mode lets them proceed while the writer writes.

mod readers;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{mpsc, oneshot};

use crate::readers::Readers;
use crate::writer::Write;

/// Why a database call did not happen. Cloneable: one failed commit fails every write in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {path}: {message}")]
    Open { path: String, message: String },
    /// SQLite refused a statement or a commit; `code` says why when SQLite gave a code (a
    /// value that could not be decoded has none).
    #[error("database error: {message}")]
    Sqlite {
        message: String,
        code: Option<rusqlite::ErrorCode>,
    },
    /// A read's closure panicked.
    #[error("a database read panicked: {0}")]
    Panicked(String),
    /// The writer thread has stopped (the process is shutting down).
    #[error("the database is closed")]
    Closed,
}

impl From<rusqlite::Error> for DbError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sqlite {
            code: error.sqlite_error_code(),
            message: error.to_string(),
        }
    }
}

/// When a commit counts as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// After an fsync of the log (`synchronous=FULL`): survives a crash of the machine.
    #[default]
    Full,
    /// After the write reached the operating system (`synchronous=NORMAL`): survives a crash of
    /// the process, not of the machine.
    Normal,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub durability: Durability,
    /// Connections for reads.
    pub readers: usize,
    /// Most writes committed together.
    pub max_batch: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            durability: Durability::Full,
            readers: 4,
            max_batch: 1024,
        }
    }
}

/// A SQLite database file; cheap to clone (clones share the writer and the readers).
#[derive(Clone)]
pub struct Database {
    writes: mpsc::Sender<Write>,
    readers: Arc<Readers>,
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens (creating it and its directory if needed) the database at `path` and brings its
    /// schema up to date: `migrations[i]` is applied once, in order, tracked by `user_version`.
    pub fn open(path: &Path, options: &Options, migrations: &[&str]) -> Result<Self, DbError> {
        let open_error = |message: String| DbError::Open {
            path: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|error| open_error(error.to_string()))?;
        }
        let mut writer =
            connect(path, options.durability).map_err(|e| open_error(e.to_string()))?;
        migrate(&mut writer, migrations).map_err(open_error)?;
        let readers = Readers::open(path, options.durability, options.readers.max(1))
            .map_err(|e| open_error(e.to_string()))?;
        let writes = writer::spawn(writer, options.max_batch.max(1), path)
            .map_err(|e| open_error(e.to_string()))?;
        Ok(Self {
            writes,
            readers: Arc::new(readers),
            path: Arc::new(path.to_owned()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `write` in the writer's transaction and returns its value once that transaction is
    /// committed. An error from `write` undoes only its own changes (its savepoint); put
    /// outcomes that should still commit in `T`.
    pub async fn write<T, F>(&self, write: F) -> Result<T, DbError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let op: Write = Box::new(move |connection| {
            let result = connection.and_then(|connection| writer::in_savepoint(connection, write));
            Box::new(move |committed: Result<(), DbError>| {
                let _ = reply.send(committed.and(result));
            })
        });
        self.writes.send(op).await.map_err(|_| DbError::Closed)?;
        answer.await.map_err(|_| DbError::Closed)?
    }

    /// Runs `read` on a reader connection, off the async threads. It sees every write whose
    /// `write` call has returned.
    pub async fn read<T, F>(&self, read: F) -> Result<T, DbError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.readers.run(read).await
    }
}

/// Opens one connection with the settings every connection shares.
fn connect(path: &Path, durability: Durability) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags)?;
    let synchronous = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    connection.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = {synchronous};
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;"
    ))?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

fn migrate(connection: &mut Connection, migrations: &[&str]) -> Result<(), String> {
    let applied: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| e.to_string())?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > migrations.len() {
        return Err(format!(
            "the database has schema version {applied}; this build knows only {}",
            migrations.len()
        ));
    }
    let apply = |connection: &mut Connection| -> rusqlite::Result<()> {
        let transaction = connection.transaction()?;
        for (index, migration) in migrations.iter().enumerate().skip(applied) {
            transaction.execute_batch(migration)?;
            transaction.pragma_update(None, "user_version", (index + 1) as i64)?;
        }
        transaction.commit()
    };
    apply(connection).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
