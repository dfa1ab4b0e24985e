//! The background task that polls the services and reports each round to the UI loop.
//!
//! It polls every refresh interval while the read model answers, and backs off (doubling up
//! to [`MAX_BACKOFF`]) while it does not, so a stopped stack costs nothing and a restarted one
//! is noticed within seconds. There is one dashboard per user, so there is no herd to spread
//! out and the backoff needs no jitter.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};

use crate::api::{Api, JobFilter};
use crate::event::{AppEvent, Poll};

/// Longest wait between two tries while the read model is down.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What the screen needs polled besides the stats, jobs and alerts it always shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interest {
    pub filter: JobFilter,
    /// The job whose detail is open.
    pub detail: Option<String>,
    pub dead_letters: bool,
}

/// Polls the services until the UI loop goes away.
#[derive(Debug)]
pub struct Poller {
    pub api: Api,
    pub refresh: Duration,
    pub interest: watch::Receiver<Interest>,
    /// Notified to poll at once (the `R` key, after a submission).
    pub wake: Arc<Notify>,
    pub events: mpsc::Sender<AppEvent>,
}

impl Poller {
    pub async fn run(mut self) {
        let mut failures = 0u32;
        loop {
            let interest = self.interest.borrow_and_update().clone();
            let mut poll = poll_once(&self.api, &interest).await;
            failures = if poll.read_model_answered() {
                0
            } else {
                failures.saturating_add(1)
            };
            let next_in = delay(self.refresh, failures);
            poll.next_in = next_in;
            if self
                .events
                .send(AppEvent::Polled(Box::new(poll)))
                .await
                .is_err()
            {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(next_in) => {}
                _ = self.wake.notified() => {}
                changed = self.interest.changed() => if changed.is_err() { return },
            }
        }
    }
}

/// The wait after `failures` rounds in a row without an answer: the refresh interval while
/// up, then doubling, capped at [`MAX_BACKOFF`] (or the refresh interval if that is longer).
pub fn delay(refresh: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return refresh;
    }
    let doubled = refresh.saturating_mul(1 << failures.min(16));
    doubled.min(MAX_BACKOFF.max(refresh))
}

/// One round: every request at once, so a round lasts as long as its slowest request.
pub async fn poll_once(api: &Api, interest: &Interest) -> Poll {
    let detail = async {
        match &interest.detail {
            Some(id) => Some((id.clone(), api.job(id).await)),
            None => None,
        }
    };
    let dead_letters = async {
        match interest.dead_letters {
            true => Some(api.dead_letters().await),
            false => None,
        }
    };
    let (stats, jobs, alerts, gateway, detail, dead_letters) = tokio::join!(
        api.stats(),
        api.jobs(&interest.filter),
        api.alerts(),
        api.gateway_health(),
        detail,
        dead_letters,
    );
    Poll {
        stats,
        jobs,
        alerts,
        gateway,
        detail,
        dead_letters,
        next_in: Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_while_down_and_is_capped() {
        let second = Duration::from_secs(1);
        let waits: Vec<u64> = (0..6).map(|n| delay(second, n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5, 5]);
        let slow = Duration::from_secs(10);
        assert_eq!(
            delay(slow, 3),
            slow,
            "never polls faster than asked while down"
        );
        assert_eq!(delay(second, u32::MAX), MAX_BACKOFF);
    }
}
