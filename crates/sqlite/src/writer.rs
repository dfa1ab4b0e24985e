//! The writer thread: group commit.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::mpsc;

use crate::DbError;

/// What the writer calls once the transaction holding a write has committed (or failed).
pub(crate) type Reply = Box<dyn FnOnce(Result<(), DbError>) + Send>;

/// One write: runs inside the shared transaction (or learns that there is none) and returns how
/// to answer its caller.
pub(crate) type Write = Box<dyn FnOnce(Result<&Connection, DbError>) -> Reply + Send>;

/// Starts the writer thread; it stops when every sender is dropped.
pub(crate) fn spawn(
    connection: Connection,
    max_batch: usize,
    path: &Path,
) -> std::io::Result<mpsc::Sender<Write>> {
    let (sender, receiver) = mpsc::channel(max_batch * 4);
    let name = format!(
        "sqlite-writer-{}",
        path.file_stem().unwrap_or_default().to_string_lossy()
    );
    std::thread::Builder::new()
        .name(name)
        .spawn(move || run(connection, receiver, max_batch))?;
    Ok(sender)
}

fn run(mut connection: Connection, mut receiver: mpsc::Receiver<Write>, max_batch: usize) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = receiver.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(write) => batch.push(write),
                Err(_) => break,
            }
        }
        commit(&mut connection, &mut batch);
    }
}

/// Runs every write of `batch` in one transaction, commits, then answers them all.
fn commit(connection: &mut Connection, batch: &mut Vec<Write>) {
    let transaction = match connection.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(transaction) => transaction,
        Err(error) => {
            tracing::error!(%error, "cannot begin a write transaction");
            let error = DbError::from(error);
            for write in batch.drain(..) {
                write(Err(error.clone()))(Err(error.clone()));
            }
            return;
        }
    };
    let replies: Vec<Reply> = batch
        .drain(..)
        .map(|write| write(Ok(&transaction)))
        .collect();
    let committed = transaction.commit().map_err(|error| {
        tracing::error!(%error, "a write transaction failed to commit");
        DbError::from(error)
    });
    for reply in replies {
        reply(committed.clone());
    }
}

/// Runs `write` in a savepoint, so that its error undoes its own changes only.
pub(crate) fn in_savepoint<T>(
    connection: &Connection,
    write: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> Result<T, DbError> {
    connection.prepare_cached("SAVEPOINT write")?.execute([])?;
    match write(connection) {
        Ok(value) => {
            connection.prepare_cached("RELEASE write")?.execute([])?;
            Ok(value)
        }
        Err(error) => {
            connection
                .prepare_cached("ROLLBACK TO write")?
                .execute([])?;
            connection.prepare_cached("RELEASE write")?.execute([])?;
            Err(error.into())
        }
    }
}
