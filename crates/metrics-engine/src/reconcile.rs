//! Rebuilding the live statistics from the event store, the source of truth (`odto reconcile`).
//! Safe while the metrics engine runs: applying an event twice changes nothing, and every event
//! is in the event store before it is applied to the statistics.

use odto_store::StoreError;
use odto_store::events::EventStore;
use odto_store::stats::{Stats, StatsStore};

const CHUNK: u32 = 1_000;

/// Clears the statistics, re-applies every stored event, and returns the result.
pub async fn reconcile(
    events: &dyn EventStore,
    stats: &dyn StatsStore,
) -> Result<Stats, StoreError> {
    stats.clear().await?;
    let mut after = None;
    loop {
        let chunk = events.scan(after, CHUNK).await?;
        let Some(last) = chunk.last() else { break };
        after = Some((last.occurred_at, last.event_id));
        stats.apply(&chunk).await?;
        if chunk.len() < CHUNK as usize {
            break;
        }
    }
    stats.snapshot().await
}
