//! A throw-away PostgreSQL database per test, created empty and dropped, sessions and all, when
//! the value is dropped.

use std::time::Duration;

use sqlx::{AssertSqlSafe, Connection, PgConnection};

const HOW_TO_START: &str = "service postgresql start (the tests connect as user postgres with \
    trust auth; set ODTO_TEST_POSTGRES_URL to use another server)";

/// The test server without a database (`ODTO_TEST_POSTGRES_URL`, default
/// `postgres://postgres@127.0.0.1:5432`).
fn server_url() -> String {
    std::env::var("ODTO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
        .trim_end_matches('/')
        .to_owned()
}

/// `(scheme and user info, host:port)` of the server URL.
fn split_server_url() -> (String, String) {
    let url = server_url();
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", &url));
    match rest.rsplit_once('@') {
        Some((user, host)) => (format!("{scheme}://{user}@"), host.to_owned()),
        None => (format!("{scheme}://"), rest.to_owned()),
    }
}

fn unique_name() -> String {
    format!("odto_test_{}", uuid::Uuid::new_v4().simple())
}

/// A database that exists for the life of this value.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
}

impl TestDatabase {
    /// Creates an empty database named `odto_test_<uuid>`; panics (never skips) if PostgreSQL
    /// is unreachable.
    pub async fn create() -> TestDatabase {
        let (_, host) = split_server_url();
        crate::require_service("PostgreSQL", &host, HOW_TO_START).await;
        let name = unique_name();
        let mut connection = maintenance_connection().await;
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = connection.close().await;
        TestDatabase { name }
    }

    /// A unique name for a database that does not exist yet, for testing code that creates it;
    /// dropped with this value if something did.
    pub fn missing() -> TestDatabase {
        TestDatabase {
            name: unique_name(),
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// URL of this database on the real server.
    pub fn url(&self) -> String {
        let (_, host) = split_server_url();
        self.url_via(&host)
    }

    /// URL of this database through another address, e.g. a [`crate::TcpProxy`].
    pub fn url_via(&self, addr: &str) -> String {
        let (prefix, _) = split_server_url();
        format!("{prefix}{addr}/{}", self.name)
    }
}

/// The server's `postgres` database, from which databases are created and dropped.
fn maintenance_url() -> String {
    format!("{}/postgres", server_url())
}

async fn maintenance_connection() -> PgConnection {
    PgConnection::connect(&maintenance_url())
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL refused a connection ({e}); {HOW_TO_START}"))
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop cannot be async and may run inside a runtime: drop from a plain thread. FORCE
        // ends the sessions a pool under test may still hold.
        let statement = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    let drop_it = async {
                        let mut connection = PgConnection::connect(&maintenance_url()).await?;
                        sqlx::raw_sql(AssertSqlSafe(statement))
                            .execute(&mut connection)
                            .await?;
                        connection.close().await
                    };
                    let dropped = tokio::time::timeout(Duration::from_secs(10), drop_it).await;
                    if let Ok(Err(error)) = dropped {
                        eprintln!("could not drop a test database: {error}");
                    }
                });
            }
        })
        .join();
    }
}
