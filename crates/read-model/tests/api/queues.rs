//! `GET /queues`: the topology's queues as the broker's management API reports them. Its
//! figures refresh every few seconds, hence the polling.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use odto_bus::rabbitmq::declare_topology;
use odto_bus::topology::{JOBS_QUEUE, QUEUES};
use odto_test_support::eventually;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{
    TestReadModel, closed_port, error_body, spawn_read_model, spawn_read_model_with,
};

async fn channel(read_model: &TestReadModel) -> (Connection, Channel) {
    let url = read_model.vhost.amqp_url();
    let connection = Connection::connect(&url, ConnectionProperties::default())
        .await
        .expect("connect");
    let channel = connection.create_channel().await.expect("channel");
    (connection, channel)
}

/// Publishes `count` messages to the intake queue, stamped `age` ago.
async fn publish(channel: &Channel, count: usize, age: Duration) {
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() - age;
    for _ in 0..count {
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_timestamp(stamp.as_secs());
        let options = BasicPublishOptions::default();
        let publish =
            channel.basic_publish("".into(), JOBS_QUEUE.into(), options, b"{}", properties);
        publish.await.expect("publish").await.expect("confirm");
    }
}

/// Polls `/queues` until the intake queue satisfies `wanted`; returns it.
async fn intake_when(read_model: &TestReadModel, wanted: impl Fn(&Value) -> bool) -> Value {
    eventually(Duration::from_secs(30), "the broker's figures", || async {
        let queues = read_model.get_json("/queues").await;
        let intake = queues
            .as_array()?
            .iter()
            .find(|q| q["name"] == JOBS_QUEUE)?
            .clone();
        wanted(&intake).then_some(intake)
    })
    .await
}

#[tokio::test]
async fn queues_not_declared_yet_are_listed_with_zeros() {
    let read_model = spawn_read_model().await;

    let queues = read_model.get_json("/queues").await;

    let expected: Vec<Value> = QUEUES
        .iter()
        .map(|q| json!({"name": q.name, "depth": 0, "inFlight": 0, "consumers": 0, "oldestAgeSeconds": null}))
        .collect();
    assert_eq!(queues, Value::Array(expected));
}

#[tokio::test]
async fn waiting_and_unacknowledged_messages_and_consumers_are_reported() {
    let read_model = spawn_read_model().await;
    let (_connection, channel) = channel(&read_model).await;
    declare_topology(&channel).await.expect("topology");
    publish(&channel, 3, Duration::ZERO).await;

    channel
        .basic_qos(1, BasicQosOptions::default())
        .await
        .unwrap();
    let options = BasicConsumeOptions::default();
    let mut consumer = channel
        .basic_consume(
            JOBS_QUEUE.into(),
            "test".into(),
            options,
            FieldTable::default(),
        )
        .await
        .unwrap();
    let _held = consumer
        .next()
        .await
        .expect("a delivery")
        .expect("delivered");

    // Each figure is refreshed on its own schedule: wait until all three show.
    let expected = json!({"depth": 2, "inFlight": 1, "consumers": 1});
    intake_when(&read_model, |q| {
        ["depth", "inFlight", "consumers"]
            .iter()
            .all(|field| q[*field] == expected[*field])
    })
    .await;
}

#[tokio::test]
async fn the_oldest_age_comes_from_the_head_messages_timestamp() {
    let read_model = spawn_read_model().await;
    let (_connection, channel) = channel(&read_model).await;
    // The topology's lazy queues keep messages on disk, where RabbitMQ 3.x does not read their
    // timestamp (it reports null); a plain queue of the same name shows the broker's figure.
    let durable = QueueDeclareOptions::durable();
    channel
        .queue_declare(JOBS_QUEUE.into(), durable, FieldTable::default())
        .await
        .unwrap();
    publish(&channel, 1, Duration::from_secs(120)).await;

    // The broker updates the head timestamp and the counts at different moments.
    let intake = intake_when(&read_model, |q| {
        q["oldestAgeSeconds"].is_number() && q["depth"] == 1
    })
    .await;

    let age = intake["oldestAgeSeconds"].as_f64().unwrap();
    assert!((119.0..200.0).contains(&age), "age {age}");
}

#[tokio::test]
async fn an_unreachable_management_api_is_a_quick_503_json_error() {
    let read_model = spawn_read_model_with(|config| {
        config.backends.rabbitmq_management_url = Some(format!("http://{}", closed_port()));
    })
    .await;
    read_model.wait_ready().await;

    let started = Instant::now();
    let response = read_model.get("/queues").await;
    let took = started.elapsed();

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(
        error_body(response).await["error"]["code"],
        "broker_unavailable"
    );
    assert_eq!(read_model.get("/readyz").await.status(), StatusCode::OK);
}
