//! One behavioural suite for every backend of the store traits. Each behaviour is an
//! `async fn(Backend)` written once against the traits, and `on_every_backend!` turns it into two
//! tests: one on the real backend (PostgreSQL for jobs, events and dead letters, Redis for
//! statistics and idempotency keys, each test in a database or key prefix of its own) and one on
//! the embedded [`SqliteStore`](odto_store::sqlite::SqliteStore) (a file in a temporary directory).
//!
//! What only one backend can show (a PostgreSQL outage, a Redis prefix, an SQLite file reopened)
//! is in the `postgres`, `redis` and `sqlite` test targets.

mod alerts;
mod backend;
mod concurrency;
mod dead_letters;
mod events;
mod idempotency;
mod lifecycle;
mod listing;
mod stats;
mod throughput;
