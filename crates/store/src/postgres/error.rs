//! How sqlx errors become [`StoreError`]s, and which ones are worth an immediate retry.

use std::future::Future;

use crate::StoreError;

/// Transactions re-run after a deadlock or serialization failure before giving up.
const CONFLICT_RETRIES: usize = 3;

/// Unreachable server, exhausted pool, server-side shutdowns and timeouts are `Unavailable` (the
/// caller may retry later); everything else means the data or the query is wrong: `Corrupt`.
pub(super) fn store_error(error: sqlx::Error) -> StoreError {
    if is_unavailable(&error) {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Corrupt(error.to_string())
    }
}

fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception, 53: insufficient resources, 57P: operator intervention
            // (shutdown, crash, not accepting connections yet), 40: conflicts left after retries,
            // 3D000: the database was dropped, 57014: cancelled (the statement timeout).
            ["08", "53", "57P", "40"]
                .iter()
                .any(|c| code.starts_with(c))
                || code == "3D000"
                || code == "57014"
        }),
        _ => false,
    }
}

/// A deadlock (40P01) or serialization failure (40001): the transaction may simply run again.
fn is_conflict(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == "40P01" || code == "40001")
}

/// A database error with this SQLSTATE code.
pub(super) fn has_code(error: &sqlx::Error, code: &str) -> bool {
    error
        .as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|c| c == code)
}

/// Runs `transaction` again (a few times) when PostgreSQL aborted it as a deadlock victim.
/// Lock order makes deadlocks unlikely; this covers what ordering cannot (other writers).
pub(super) async fn retry_conflicts<T, F, Fut>(mut transaction: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    let mut tries = 0;
    loop {
        match transaction().await {
            Err(error) if is_conflict(&error) && tries < CONFLICT_RETRIES => tries += 1,
            result => return result.map_err(store_error),
        }
    }
}
