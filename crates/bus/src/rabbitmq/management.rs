//! [`QueueInspector`] on the RabbitMQ management HTTP API: depth, in-flight messages, consumers
//! and the age of the oldest waiting message of every queue of the topology, without consuming.
//!
//! The management API refreshes its figures every few seconds (`collect_statistics_interval`,
//! 5 s by default), so what it reports may lag the broker by that much. The age of the oldest
//! message comes from `head_message_timestamp`, which RabbitMQ 3.x leaves null for messages a
//! lazy queue (as the topology's are) keeps on disk: the age is then `None`.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::try_join_all;
use serde::Deserialize;

use super::redact_url;
use crate::BusError;
use crate::inspect::{QueueInspector, QueueStats};
use crate::topology;

/// Longest wait for one management API request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// Reads queue statistics of one vhost from the management API.
#[derive(Clone)]
pub struct ManagementInspector {
    client: reqwest::Client,
    /// e.g. `http://127.0.0.1:15672`, without a trailing slash.
    base_url: String,
    vhost: String,
    username: String,
    password: String,
}

impl std::fmt::Debug for ManagementInspector {
    // The password stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagementInspector")
            .field("base_url", &redact_url(&self.base_url))
            .field("vhost", &self.vhost)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The fields of `GET /api/queues/{vhost}/{name}` this inspector reads. Figures are absent
/// until the broker has collected statistics for a new queue: they count as zero.
#[derive(Debug, Deserialize)]
struct QueueDetails {
    #[serde(default)]
    messages_ready: u64,
    #[serde(default)]
    messages_unacknowledged: u64,
    #[serde(default)]
    consumers: u64,
    /// Unix seconds of the `timestamp` property of the message at the head of the queue.
    #[serde(default)]
    head_message_timestamp: Option<i64>,
}

impl ManagementInspector {
    /// An inspector of the vhost named in `amqp_url` (percent-decoded, so `%2f` is `/`), using
    /// that URL's credentials against the management API at `management_url`. Connects lazily:
    /// fails only when a URL is malformed.
    pub fn new(management_url: &str, amqp_url: &str) -> Result<Self, BusError> {
        let uri: lapin::uri::AMQPUri = amqp_url.parse().map_err(|e: String| {
            BusError::InvalidConfig(format!("{}: {e}", redact_url(amqp_url)))
        })?;
        let base_url = management_url.trim_end_matches('/').to_owned();
        // reqwest is built without TLS in this workspace: an https URL could never answer.
        if !base_url.starts_with("http://") {
            let shown = redact_url(&base_url);
            return Err(BusError::InvalidConfig(format!(
                "management URL {shown} must start with http:// (https is not supported)"
            )));
        }
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| BusError::InvalidConfig(e.to_string()))?;
        Ok(Self {
            client,
            base_url,
            vhost: uri.vhost,
            username: uri.authority.userinfo.username,
            password: uri.authority.userinfo.password,
        })
    }

    /// The vhost whose queues are inspected.
    pub fn vhost(&self) -> &str {
        &self.vhost
    }

    async fn queue(&self, name: &str) -> Result<QueueStats, BusError> {
        let url = format!(
            "{}/api/queues/{}/{}",
            self.base_url,
            encode_segment(&self.vhost),
            encode_segment(name)
        );
        let response = self
            .client
            .get(url)
            .basic_auth(&self.username, Some(&self.password))
            .send()
            .await
            .map_err(|e| unavailable(name, &e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            // Not declared yet (no service has connected): nothing is waiting in it.
            return Ok(empty(name));
        }
        if !status.is_success() {
            return Err(BusError::Unavailable(format!(
                "management API answered {status} for queue {name}"
            )));
        }
        let details: QueueDetails = response.json().await.map_err(|e| unavailable(name, &e))?;
        Ok(stats(name, &details, unix_now_secs()))
    }
}

#[async_trait]
impl QueueInspector for ManagementInspector {
    async fn queues(&self) -> Result<Vec<QueueStats>, BusError> {
        try_join_all(topology::QUEUES.iter().map(|queue| self.queue(queue.name))).await
    }
}

fn unavailable(name: &str, error: &reqwest::Error) -> BusError {
    // reqwest errors carry the URL, which holds no credentials (they travel in a header).
    BusError::Unavailable(format!("management API, queue {name}: {error}"))
}

fn empty(name: &str) -> QueueStats {
    QueueStats {
        name: name.to_owned(),
        depth: 0,
        in_flight: 0,
        consumers: 0,
        oldest_age_seconds: None,
    }
}

fn stats(name: &str, details: &QueueDetails, now_secs: i64) -> QueueStats {
    QueueStats {
        name: name.to_owned(),
        depth: details.messages_ready,
        in_flight: details.messages_unacknowledged,
        consumers: details.consumers,
        oldest_age_seconds: details
            .head_message_timestamp
            .map(|timestamp| now_secs.saturating_sub(timestamp).max(0) as f64),
    }
}

fn unix_now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// Percent-encodes one URL path segment: everything but RFC 3986 unreserved characters.
fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vhost_and_credentials_come_from_the_amqp_url() {
        let inspector = ManagementInspector::new(
            "http://127.0.0.1:15672/",
            "amqp://watcher:s%40cret@127.0.0.1:5672/%2f",
        )
        .unwrap();

        assert_eq!(inspector.vhost(), "/");
        assert_eq!(inspector.username, "watcher");
        assert_eq!(inspector.password, "s@cret");
        assert_eq!(inspector.base_url, "http://127.0.0.1:15672");
        assert!(!format!("{inspector:?}").contains("s@cret"));
    }

    #[test]
    fn malformed_urls_are_refused_as_configuration_errors() {
        let bad_amqp = ManagementInspector::new("http://127.0.0.1:15672", "not a url");
        let bad_management = ManagementInspector::new("127.0.0.1:15672", "amqp://localhost/%2f");
        let tls = ManagementInspector::new("https://broker:15671", "amqp://localhost/%2f");

        assert!(matches!(bad_amqp, Err(BusError::InvalidConfig(_))));
        assert!(matches!(bad_management, Err(BusError::InvalidConfig(_))));
        assert!(matches!(tls, Err(BusError::InvalidConfig(_))));
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(encode_segment("/"), "%2F");
        assert_eq!(encode_segment("jobs.created"), "jobs.created");
        assert_eq!(encode_segment("a b/ü"), "a%20b%2F%C3%BC");
    }

    #[test]
    fn the_oldest_age_is_measured_from_the_head_message_timestamp() {
        let details: QueueDetails = serde_json::from_value(serde_json::json!({
            "messages_ready": 4, "messages_unacknowledged": 2, "consumers": 1,
            "head_message_timestamp": 1_000
        }))
        .unwrap();
        let fresh: QueueDetails = serde_json::from_value(serde_json::json!({})).unwrap();

        let busy = stats("q", &details, 1_030);
        let new = stats("q", &fresh, 1_030);

        assert_eq!((busy.depth, busy.in_flight, busy.consumers), (4, 2, 1));
        assert_eq!(busy.oldest_age_seconds, Some(30.0));
        assert_eq!(new, empty("q"));
    }
}
