//! Integration tests of the gateway against the real RabbitMQ and Redis; every test gets its
//! own vhost and key prefix.

mod harness;

mod actions;
mod batch;
mod browser;
mod docs;
mod idempotency;
mod metrics;
mod outage;
mod rejections;
mod submit;
