//! The Redis stores against the real Redis, each test under its own key prefix.

mod idempotency;
mod stats;

use odto_test_support::{redis_url, require_service};

/// Panics with instructions unless the test Redis answers.
async fn require_redis() {
    let url = redis_url();
    let addr = url.trim_start_matches("redis://").to_owned();
    require_service(
        "Redis",
        &addr,
        "redis-server --daemonize yes --port 6379 --save ''",
    )
    .await;
}
