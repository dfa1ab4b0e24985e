//! Start-up: make sure the database exists, bring its schema up to date, open the pool.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};

use super::PgSettings;
use super::error::{has_code, store_error};
use crate::StoreError;

type BoxedSend<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// SQLSTATE of "database does not exist".
const INVALID_CATALOG_NAME: &str = "3D000";
/// SQLSTATE of "database already exists".
const DUPLICATE_DATABASE: &str = "42P04";
/// Two `CREATE DATABASE` of one name racing: the loser may hit pg_database's unique index.
const UNIQUE_VIOLATION: &str = "23505";

/// Creates the database if needed, migrates it, and returns a pool that connects lazily, so a
/// PostgreSQL restart later on costs failed calls, not a broken store. The statement timeout,
/// if any, is the pool's only: migrating may wait on another process's migration lock.
pub(super) async fn open(settings: &PgSettings) -> Result<PgPool, StoreError> {
    let options: PgConnectOptions = settings
        .url
        .parse()
        .map_err(|e| StoreError::Unavailable(format!("invalid PostgreSQL URL: {e}")))?;
    let options = options.application_name("odto");
    let mut connection = connect_creating(&options, settings.connect_timeout).await?;
    let migrated = migrate(&mut connection).await;
    // Closing ends the session, which also frees the migrator's advisory lock if it failed.
    let _ = connection.close().await;
    migrated?;
    let options = match settings.statement_timeout {
        // Milliseconds, at least 1: PostgreSQL reads 0 as "no limit".
        Some(limit) => options.options([("statement_timeout", limit.as_millis().max(1))]),
        None => options,
    };
    Ok(PgPoolOptions::new()
        .max_connections(settings.max_connections.max(1))
        .acquire_timeout(settings.connect_timeout)
        // sqlx already pings every connection when it comes back to the pool and closes the
        // broken ones; a second ping before each use would add a round trip to every batch.
        // After a server restart, an idle connection fails one call before it is replaced.
        .test_before_acquire(false)
        .connect_lazy_with(options))
}

/// Connects to the database, creating it first if it does not exist.
async fn connect_creating(
    options: &PgConnectOptions,
    timeout: Duration,
) -> Result<PgConnection, StoreError> {
    match connect_once(options, timeout).await {
        Err(error) if has_code(&error, INVALID_CATALOG_NAME) => {
            create_database(options, timeout).await?;
            connect_once(options, timeout).await.map_err(store_error)
        }
        connected => connected.map_err(store_error),
    }
}

async fn connect_once(
    options: &PgConnectOptions,
    timeout: Duration,
) -> Result<PgConnection, sqlx::Error> {
    // Boxed as `Send` here, where the compiler can prove it: left generic, sqlx's futures hit a
    // higher-ranked lifetime limitation that makes `PgStore::connect` unusable in spawned tasks.
    let connecting: BoxedSend<'_, Result<PgConnection, sqlx::Error>> =
        Box::pin(PgConnection::connect_with(options));
    tokio::time::timeout(timeout, connecting)
        .await
        .unwrap_or_else(|_| {
            let elapsed = std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out");
            Err(sqlx::Error::Io(elapsed))
        })
}

/// `CREATE DATABASE`, from the `postgres` maintenance database of the same server. Another
/// process creating it at the same moment is fine.
async fn create_database(options: &PgConnectOptions, timeout: Duration) -> Result<(), StoreError> {
    let name = options
        .get_database()
        .unwrap_or_else(|| options.get_username())
        .to_owned();
    let maintenance = options.clone().database("postgres");
    let mut connection = connect_once(&maintenance, timeout)
        .await
        .map_err(store_error)?;
    let statement = format!("CREATE DATABASE {}", quote_identifier(&name));
    // Simple-query protocol: CREATE DATABASE refuses to run inside any transaction block.
    let created = sqlx::raw_sql(AssertSqlSafe(statement))
        .execute(&mut connection)
        .await;
    let _ = connection.close().await;
    match created {
        Ok(_) => {
            tracing::info!(database = %name, "created the PostgreSQL database");
            Ok(())
        }
        Err(error)
            if has_code(&error, DUPLICATE_DATABASE) || has_code(&error, UNIQUE_VIOLATION) =>
        {
            Ok(())
        }
        Err(error) => Err(store_error(error)),
    }
}

/// A quoted SQL identifier: `"` doubled inside double quotes.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Applies the embedded migrations. sqlx's migrator holds `pg_advisory_lock` while it checks
/// and applies them, so processes starting together run them once, one after the other.
async fn migrate(connection: &mut PgConnection) -> Result<(), StoreError> {
    let mut migrator = sqlx::migrate!();
    // A process of an older release may start against a schema a newer one has migrated.
    migrator.set_ignore_missing(true);
    // `run_direct` is what `run` calls, minus the generic `Acquire` that defeats `Send` proofs.
    let running: BoxedSend<'_, Result<(), sqlx::migrate::MigrateError>> =
        Box::pin(migrator.run_direct(None, connection, false));
    running.await.map_err(|error| match error {
        sqlx::migrate::MigrateError::Execute(error) => store_error(error),
        other => StoreError::Corrupt(format!("migrations: {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_with_inner_quotes_doubled() {
        assert_eq!(quote_identifier("odto"), "\"odto\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
