//! What the processor consumes and how it stops: the intake queue, run by the [`Worker`] with
//! `concurrency` jobs at once; on shutdown, the jobs in progress get a grace period.

use std::sync::Arc;
use std::time::Duration;

use odto_bus::JobBus;
use odto_bus::topology::JOBS_QUEUE;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::Worker;

/// Consumes the intake queue until `shutdown`, then stops taking jobs and lets the ones in
/// progress finish for up to `grace`; jobs still running then go back to the queue when the
/// connection closes. Cancels `stop` on the way out.
pub(crate) async fn consume(
    bus: &dyn JobBus,
    worker: Arc<Worker>,
    concurrency: usize,
    grace: Duration,
    shutdown: impl Future<Output = ()>,
    stop: CancellationToken,
) {
    let consuming = bus.consume(JOBS_QUEUE, concurrency, worker, stop.clone());
    tokio::pin!(consuming);
    tokio::select! {
        () = &mut consuming => {}
        () = shutdown => {
            info!("shutting down: finishing the jobs in progress");
            stop.cancel();
            if tokio::time::timeout(grace, &mut consuming).await.is_err() {
                warn!("grace period over; unfinished jobs return to the queue");
            }
        }
    }
    stop.cancel();
}
