//! Integration tests of the read model against the real PostgreSQL, Redis and RabbitMQ: every
//! test gets its own database, Redis key prefix and vhost, and seeds them through the real
//! stores' write methods. The alert routes run against the embedded SQLite store as well.

mod harness;
mod seed;

mod alerts;
mod cors;
mod dlq;
mod docs;
mod events;
mod job_detail;
mod jobs;
mod metrics;
mod probes;
mod queues;
mod stats;
