//! Handling one event batch: validate each envelope, store the new ones, record the jobs they
//! create, apply them to the statistics. Every step is idempotent (unique `eventId`, insert-if-
//! absent jobs, revision-guarded statistics), so a redelivered batch changes nothing.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use odto_bus::topology::METRICS_QUEUE;
use odto_bus::{JobBus, Message, MessageHandler, Outcome};
use odto_contracts::{EventEnvelope, EventType, Schema};
use odto_store::events::EventStore;
use odto_store::jobs::JobStore;
use odto_store::stats::StatsStore;
use serde_json::Value;
use tracing::warn;

use crate::metrics::EngineMetrics;

const BACKEND_PAUSE: Duration = Duration::from_secs(1);

/// The stores an event batch is written to.
#[derive(Clone)]
pub struct EventSinks {
    pub events: Arc<dyn EventStore>,
    pub jobs: Arc<dyn JobStore>,
    pub stats: Arc<dyn StatsStore>,
}

impl std::fmt::Debug for EventSinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSinks").finish_non_exhaustive()
    }
}

/// Consumes event batches.
pub struct EventsHandler {
    pub bus: Arc<dyn JobBus>,
    pub sinks: EventSinks,
    pub metrics: EngineMetrics,
}

impl std::fmt::Debug for EventsHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsHandler")
            .field("sinks", &self.sinks)
            .finish_non_exhaustive()
    }
}

/// An element of a batch that is not a valid envelope, with why.
struct Invalid {
    body: Vec<u8>,
    reason: String,
}

#[async_trait]
impl MessageHandler for EventsHandler {
    async fn handle(&self, message: Message) -> Outcome {
        let elements = match split(&message.body) {
            Ok(elements) => elements,
            Err(reason) => {
                self.metrics.invalid.inc();
                return Outcome::DeadLetter { reason };
            }
        };
        let (valid, invalid): (Vec<_>, Vec<_>) =
            elements.into_iter().map(parse).partition(Result::is_ok);
        let valid: Vec<EventEnvelope> = valid.into_iter().flatten().collect();
        for Invalid { body, reason } in invalid.into_iter().filter_map(Result::err) {
            self.metrics.invalid.inc();
            if let Err(error) = self.bus.dead_letter(METRICS_QUEUE, &body, &reason).await {
                warn!(%error, "could not dead-letter an invalid event; the batch will be redelivered");
                return Outcome::Requeue {
                    after: BACKEND_PAUSE,
                };
            }
        }
        match record(&self.sinks, &valid).await {
            Ok(stored) => {
                self.metrics.received.inc_by(valid.len() as u64);
                self.metrics.stored.inc_by(stored);
                Outcome::Ack
            }
            Err(error) => {
                warn!(%error, events = valid.len(), "could not record events; the batch will be redelivered");
                Outcome::Requeue {
                    after: BACKEND_PAUSE,
                }
            }
        }
    }
}

/// Stores the events, records the jobs they create, applies them to the statistics; returns how
/// many events were new to the event store.
pub async fn record(
    sinks: &EventSinks,
    events: &[EventEnvelope],
) -> Result<u64, odto_store::StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let stored = sinks.events.append(events).await?.len() as u64;
    let created: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == EventType::JobCreated)
        .map(|e| (e.payload.clone(), e.correlation_id.clone()))
        .collect();
    if !created.is_empty() {
        sinks.jobs.record_created_many(&created).await?;
    }
    sinks.stats.apply(events).await?;
    Ok(stored)
}

/// A message is an event batch (a JSON array of envelopes) or a single envelope.
fn split(body: &[u8]) -> Result<Vec<Value>, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(elements)) if !elements.is_empty() => Ok(elements),
        Ok(Value::Array(_)) => Err("an empty event batch".into()),
        Ok(object @ Value::Object(_)) => Ok(vec![object]),
        Ok(_) => Err("neither an event envelope nor a batch of them".into()),
        Err(error) => Err(format!("not JSON: {error}")),
    }
}

fn parse(element: Value) -> Result<EventEnvelope, Invalid> {
    let invalid = |element: &Value, reason: String| Invalid {
        body: serde_json::to_vec(element).unwrap_or_default(),
        reason,
    };
    if let Err(violations) = Schema::EventEnvelope.validate(&element) {
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        return Err(invalid(
            &element,
            format!("not a valid event envelope: {}", list.join("; ")),
        ));
    }
    serde_json::from_value(element.clone())
        .map_err(|e| invalid(&element, format!("the payload is not a valid Job: {e}")))
}
