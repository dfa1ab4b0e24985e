//! The processor's failures: why it could not start, and why a message was not processed now
//! (logged once, by the worker, when the message goes back to its queue).

use std::net::SocketAddr;

use odto_bus::BusError;
use odto_store::StoreError;

/// Why the processor could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid RabbitMQ settings: {0}")]
    Broker(BusError),
    #[error("the job store (PostgreSQL): {0}")]
    Store(StoreError),
}

/// A step failed because a backend did; the message goes back to its queue.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Interrupted {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Bus(#[from] BusError),
}
