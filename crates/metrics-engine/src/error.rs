//! Why the metrics engine could not start. A message it cannot process now goes back to its
//! queue, logged once by its handler ([`crate::EventsHandler`], [`crate::DeadLetterRecorder`]).

use std::net::SocketAddr;

use odto_bus::BusError;
use odto_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid RabbitMQ settings: {0}")]
    Broker(BusError),
    #[error("PostgreSQL (events, jobs, dead letters): {0}")]
    Postgres(StoreError),
    #[error("invalid Redis settings: {0}")]
    Redis(StoreError),
}
