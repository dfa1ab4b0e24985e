//! How SQLite errors become [`StoreError`]s: a database the process cannot use right now (busy,
//! full disk, I/O error, closed) is `Unavailable`, the caller may retry later; data or a query
//! this version cannot read (corruption, constraint violations, undecodable rows) is `Corrupt`,
//! as with PostgreSQL.

use odto_sqlite::DbError;
use rusqlite::ErrorCode;

use crate::StoreError;

/// Classifies an error raised inside a read or write.
pub(super) fn store_error(error: &rusqlite::Error) -> StoreError {
    let unavailable = error.sqlite_error_code().is_some_and(|code| {
        matches!(
            code,
            ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::SystemIoFailure
                | ErrorCode::DiskFull
                | ErrorCode::CannotOpen
                | ErrorCode::ReadOnly
                | ErrorCode::PermissionDenied
                | ErrorCode::OutOfMemory
                | ErrorCode::OperationInterrupted
                | ErrorCode::FileLockingProtocolFailed
        )
    });
    if unavailable {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Corrupt(error.to_string())
    }
}

/// Classifies an error of the database itself: it could not be opened, has shut down, or could
/// not begin or commit a transaction (a full disk, an I/O error): all `Unavailable`.
pub(super) fn db_error(error: DbError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// A value read from a row that this version cannot decode.
pub(super) fn undecodable(
    column: usize,
    error: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, error.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn a_busy_or_failing_disk_is_unavailable() {
        for code in [rusqlite::ffi::SQLITE_BUSY, rusqlite::ffi::SQLITE_FULL] {
            let error = store_error(&sqlite(code));
            assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        }
    }

    #[test]
    fn corruption_and_undecodable_rows_are_corrupt() {
        let errors = [
            sqlite(rusqlite::ffi::SQLITE_CORRUPT),
            sqlite(rusqlite::ffi::SQLITE_CONSTRAINT),
            undecodable(3, "not JSON"),
        ];
        for error in errors {
            let error = store_error(&error);
            assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
        }
    }

    #[test]
    fn a_closed_database_is_unavailable() {
        assert!(matches!(
            db_error(DbError::Closed),
            StoreError::Unavailable(_)
        ));
    }
}
