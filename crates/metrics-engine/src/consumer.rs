//! What the metrics engine consumes: the event batches of its queue, `concurrency` at once, and
//! the dead-letter queue. On shutdown, the batches in progress finish first.

use std::sync::Arc;

use odto_bus::JobBus;
use odto_bus::topology::{DEAD_LETTER_QUEUE, METRICS_QUEUE};
use tokio_util::sync::CancellationToken;

use crate::{DeadLetterRecorder, EventsHandler};

/// Dead letters are rare; a few at once keep up with any burst.
const DEAD_LETTER_CONCURRENCY: usize = 4;

/// Consumes both queues until `shutdown`; cancels `stop` then, and returns once both
/// consumers have finished.
pub(crate) async fn consume(
    bus: &dyn JobBus,
    events: Arc<EventsHandler>,
    dead_letters: Arc<DeadLetterRecorder>,
    concurrency: usize,
    shutdown: impl Future<Output = ()>,
    stop: CancellationToken,
) {
    let events = bus.consume(METRICS_QUEUE, concurrency, events, stop.clone());
    let letters = bus.consume(
        DEAD_LETTER_QUEUE,
        DEAD_LETTER_CONCURRENCY,
        dead_letters,
        stop.clone(),
    );
    let stopper = async {
        shutdown.await;
        stop.cancel();
    };
    tokio::join!(events, letters, stopper);
}
