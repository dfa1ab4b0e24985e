//! End-to-end tests of the whole pipeline: gateway, processors, metrics engine and read model.
//!
//! The behavioural tests run twice, on the real RabbitMQ, PostgreSQL and Redis (each test with its
//! own vhost, database and Redis key prefix) and on the embedded backends of `odto up` (each test
//! with its own data directory): see [`on_every_backend`]. Tests of what only one kind of backend
//! can suffer (a broker-side poison message, a database outage) run on that one.

/// Runs each named `async fn(Kind)` as two tests, `<name>::on_real_backends` and
/// `<name>::on_embedded_backends`.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn on_real_backends() {
                    super::$name(crate::stack::Kind::Real).await;
                }

                #[tokio::test]
                async fn on_embedded_backends() {
                    super::$name(crate::stack::Kind::Embedded).await;
                }
            }
        )*
    };
}

mod stack;

mod client;
mod crash;
mod duplicates;
mod lifecycle;
mod outage;
mod poison;
