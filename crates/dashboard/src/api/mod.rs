//! Talking to the services over HTTP. What they answer is read into the shared wire types:
//! `odto_contracts::read_api` for the read model, `odto_contracts::JobAccepted` for the gateway.

mod client;

pub use client::{AlertsAnswer, Api, DEAD_LETTER_LIMIT, FetchError, JOB_LIMIT, JobFilter};
