//! A throw-away RabbitMQ vhost per test, created and deleted through the management API.

use std::time::Duration;

use lapin::options::BasicGetOptions;
use lapin::{Connection, ConnectionProperties};

const HOW_TO_START: &str =
    "rabbitmq-server -detached && rabbitmq-plugins enable rabbitmq_management";

fn host() -> String {
    std::env::var("ODTO_TEST_RABBITMQ_HOST").unwrap_or_else(|_| "127.0.0.1".into())
}

fn management_url(path: &str) -> String {
    format!("http://{}:15672/api/{path}", host())
}

/// A vhost that exists for the life of this value, with full permissions for `guest`.
#[derive(Debug)]
pub struct TestVhost {
    name: String,
}

impl TestVhost {
    /// Creates a uniquely named vhost; panics (never skips) if RabbitMQ is unreachable.
    pub async fn create() -> Self {
        let amqp = format!("{}:5672", host());
        crate::require_service("RabbitMQ", &amqp, HOW_TO_START).await;
        let name = format!("odto-test-{}", uuid::Uuid::new_v4().simple());
        let client = reqwest::Client::new();
        let put = |path: String, body: serde_json::Value| {
            client
                .put(management_url(&path))
                .basic_auth("guest", Some("guest"))
                .json(&body)
                .send()
        };
        let created = put(format!("vhosts/{name}"), serde_json::json!({})).await;
        let created = created.unwrap_or_else(|e| {
            panic!("RabbitMQ management API unreachable ({e}); start it with: {HOW_TO_START}")
        });
        assert!(
            created.status().is_success(),
            "create vhost: {}",
            created.status()
        );
        let permissions = serde_json::json!({"configure": ".*", "write": ".*", "read": ".*"});
        let granted = put(format!("permissions/{name}/guest"), permissions)
            .await
            .expect("grant");
        assert!(
            granted.status().is_success(),
            "grant permissions: {}",
            granted.status()
        );
        Self { name }
    }

    /// The vhost's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// AMQP URL of this vhost on the real broker.
    pub fn amqp_url(&self) -> String {
        self.amqp_url_via(&format!("{}:5672", host()))
    }

    /// AMQP URL of this vhost through another address, e.g. a [`crate::TcpProxy`].
    pub fn amqp_url_via(&self, addr: &str) -> String {
        format!("amqp://guest:guest@{addr}/{}", self.name)
    }
}

impl Drop for TestVhost {
    fn drop(&mut self) {
        // Drop cannot be async and may run inside a runtime: delete from a plain thread.
        let url = management_url(&format!("vhosts/{}", self.name));
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    let request = reqwest::Client::new()
                        .delete(url)
                        .basic_auth("guest", Some("guest"));
                    let _ = tokio::time::timeout(Duration::from_secs(5), request.send()).await;
                });
            }
        })
        .join();
    }
}

/// Takes (and acknowledges) up to `max` messages waiting in `queue`, oldest first.
pub async fn get_messages(
    amqp_url: &str,
    queue: &str,
    max: usize,
) -> Vec<lapin::message::Delivery> {
    let connection = Connection::connect(amqp_url, ConnectionProperties::default())
        .await
        .expect("connect");
    let channel = connection.create_channel().await.expect("channel");
    let mut messages = Vec::new();
    while messages.len() < max {
        let options = BasicGetOptions { no_ack: true };
        match channel
            .basic_get(queue.into(), options)
            .await
            .expect("basic.get")
        {
            Some(message) => messages.push(message.delivery),
            None => break,
        }
    }
    let _ = connection.close(200, "done".into()).await;
    messages
}
