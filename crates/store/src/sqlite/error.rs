//! How SQLite errors become [`StoreError`]s: a database the process cannot use right now (busy,
//! full disk, I/O error, closed) is `Unavailable`, the caller may retry later; data or a query
//! this version cannot read (corruption, constraint violations, undecodable rows) is `Corrupt`,
//! as with PostgreSQL.

use odto_sqlite::DbError;
use rusqlite::ErrorCode;

use crate::StoreError;

/// Classifies an error of a read or write: SQLite's code says whether the database cannot be
/// used right now (`Unavailable`) or refused or could not decode the data (`Corrupt`). Errors
/// of the database itself (it could not be opened, has shut down) are `Unavailable`.
pub(super) fn db_error(error: DbError) -> StoreError {
    match &error {
        DbError::Sqlite { code, .. } if !code.is_some_and(unavailable) => {
            StoreError::Corrupt(error.to_string())
        }
        _ => StoreError::Unavailable(error.to_string()),
    }
}

/// Codes of a database that cannot be used right now; the caller may retry later.
fn unavailable(code: ErrorCode) -> bool {
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
            let error = db_error(DbError::from(sqlite(code)));
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
            let error = db_error(DbError::from(error));
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
