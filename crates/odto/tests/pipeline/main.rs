//! End-to-end tests of the whole pipeline on the real RabbitMQ, PostgreSQL and Redis: gateway,
//! processors, metrics engine and read model, each test with its own vhost, database and Redis
//! key prefix.

mod stack;

mod crash;
mod duplicates;
mod lifecycle;
mod outage;
mod poison;
