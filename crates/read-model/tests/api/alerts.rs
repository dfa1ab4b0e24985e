//! `POST /alerts/webhook` and `GET /alerts`, on both homes of the alerts: PostgreSQL (the
//! distributed mode, a fresh database per test) and the embedded SQLite store (`odto up`, a
//! file in a temporary directory). `on_both_backends!` turns each behaviour into one test per
//! backend; a restart stops the read model and opens its store again.

use std::sync::Arc;

use odto_bus::rabbitmq::management::ManagementInspector;
use odto_read_model::{Application, ReadModelBackends, ReadModelConfig, WebhookToken};
use odto_store::sqlite::{Options, SqliteStore};
use odto_test_support::{TestDatabase, redis_url, unique_redis_prefix};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::harness::{error_body, management_url};

const HEARD_AT: &str = "x-alerts-source-heard-at";
const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

macro_rules! on_both_backends {
    ($($behaviour:ident),+ $(,)?) => {
        mod postgres {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    super::$behaviour(super::Backend::Postgres).await;
                }
            )+
        }
        mod sqlite {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    super::$behaviour(super::Backend::Sqlite).await;
                }
            )+
        }
    };
}

#[derive(Debug, Clone, Copy)]
enum Backend {
    Postgres,
    Sqlite,
}

/// Where the alerts live, kept across restarts of the read model.
enum Home {
    Postgres(TestDatabase),
    Sqlite(TempDir),
}

struct Running {
    base: String,
    stop: oneshot::Sender<()>,
    served: JoinHandle<std::io::Result<()>>,
}

struct AlertsReadModel {
    home: Home,
    token: Option<&'static str>,
    running: Option<Running>,
    client: reqwest::Client,
}

impl AlertsReadModel {
    async fn start(backend: Backend, token: Option<&'static str>) -> Self {
        let home = match backend {
            Backend::Postgres => Home::Postgres(TestDatabase::create().await),
            Backend::Sqlite => Home::Sqlite(tempfile::tempdir().expect("a temporary directory")),
        };
        let mut read_model = Self {
            home,
            token,
            running: None,
            client: reqwest::Client::new(),
        };
        read_model.running = Some(read_model.serve().await);
        read_model
    }

    /// A read model on the home's store, as `odto read-model` (PostgreSQL) or `odto up`
    /// (SQLite) builds it.
    async fn serve(&self) -> Running {
        let postgres_url = match &self.home {
            Home::Postgres(db) => db.url(),
            Home::Sqlite(_) => String::new(),
        };
        let mut config = ReadModelConfig::for_tests(
            postgres_url,
            redis_url(),
            unique_redis_prefix(),
            AMQP.into(),
        );
        config.alerts_webhook_token = self.token.map(WebhookToken::new);
        let app = match &self.home {
            Home::Postgres(_) => Application::build(config).await,
            Home::Sqlite(dir) => {
                let path = dir.path().join("store.sqlite");
                let store = Arc::new(SqliteStore::open(&path, &Options::default()).unwrap());
                let queues = ManagementInspector::new(&management_url(), AMQP).unwrap();
                let backends = ReadModelBackends {
                    jobs: store.clone(),
                    events: store.clone(),
                    dead_letters: store.clone(),
                    stats: store,
                    queues: Arc::new(queues),
                };
                Application::build_with(config, backends).await
            }
        }
        .expect("the read model builds");
        let base = format!("http://{}", app.local_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Running { base, stop, served }
    }

    /// Stops the read model, waits until it has let go of its store, and starts another.
    async fn restart(&mut self) {
        let running = self.running.take().expect("running");
        let _ = running.stop.send(());
        running.served.await.unwrap().unwrap();
        self.running = Some(self.serve().await);
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.as_ref().expect("running").base)
    }

    async fn post(&self, body: impl Into<reqwest::Body>, token: Option<&str>) -> Response {
        let mut request = self
            .client
            .post(self.url("/alerts/webhook"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    /// Delivers `payload` with the right token, expecting 200; returns the receipt.
    async fn deliver(&self, payload: &Value) -> Value {
        let response = self.post(payload.to_string(), self.token).await;
        assert_eq!(response.status(), StatusCode::OK, "delivery of {payload}");
        response.json().await.expect("a JSON receipt")
    }

    /// `GET /alerts`: the body and the heard-at header.
    async fn alerts(&self) -> (Vec<Value>, Option<String>) {
        let response = self.client.get(self.url("/alerts")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let heard = response
            .headers()
            .get(HEARD_AT)
            .map(|v| v.to_str().unwrap().to_owned());
        (response.json().await.expect("a JSON array"), heard)
    }

    async fn alert_names(&self) -> Vec<String> {
        let (alerts, _) = self.alerts().await;
        alerts
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn alert(name: &str, status: &str, fingerprint: &str) -> Value {
    json!({
        "status": status,
        "labels": {"alertname": name, "severity": "critical", "service": "gateway"},
        "annotations": {"summary": format!("{name} fires"), "description": "the gateway answers no probe",
                        "runbook_url": format!("https://runbooks.example/{name}")},
        "startsAt": "2025-01-01T12:00:00.25Z",
        "endsAt": if status == "firing" { "0001-01-01T00:00:00Z" } else { "2025-01-01T12:05:00Z" },
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
        "fingerprint": fingerprint
    })
}

/// A version-4 notification of group `group` carrying `alerts`.
fn notification(group: &str, alerts: Vec<Value>) -> Value {
    let status = match alerts.iter().any(|a| a["status"] == "firing") {
        true => "firing",
        false => "resolved",
    };
    json!({
        "version": "4", "groupKey": group, "truncatedAlerts": 0, "status": status,
        "receiver": "odto", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093", "alerts": alerts
    })
}

async fn no_alert_is_an_empty_array_without_a_heard_time(backend: Backend) {
    let read_model = AlertsReadModel::start(backend, None).await;

    let (alerts, heard) = read_model.alerts().await;

    assert_eq!(alerts, Vec::<Value>::new());
    assert_eq!(heard, None);
}

async fn a_firing_alert_is_listed_with_every_field(backend: Backend) {
    let read_model = AlertsReadModel::start(backend, None).await;

    let receipt = read_model
        .deliver(&notification(
            "g",
            vec![alert("OdtoServiceDown", "firing", "fp1")],
        ))
        .await;

    assert_eq!(
        receipt,
        json!({"firing": 1, "resolved": 0, "sourceHeard": false})
    );
    let (alerts, heard) = read_model.alerts().await;
    assert_eq!(
        alerts,
        [json!({
            "name": "OdtoServiceDown",
            "severity": "critical",
            "summary": "OdtoServiceDown fires",
            "description": "the gateway answers no probe",
            "labels": {"alertname": "OdtoServiceDown", "severity": "critical", "service": "gateway"},
            "since": "2025-01-01T12:00:00.250Z",
            "runbookUrl": "https://runbooks.example/OdtoServiceDown"
        })]
    );
    assert_eq!(heard, None);
}

async fn a_resolved_alert_is_no_longer_listed(backend: Backend) {
    let read_model = AlertsReadModel::start(backend, None).await;
    let firing = vec![alert("A", "firing", "a"), alert("B", "firing", "b")];
    read_model.deliver(&notification("g", firing)).await;

    let resolution = vec![alert("A", "firing", "a"), alert("B", "resolved", "b")];
    let receipt = read_model.deliver(&notification("g", resolution)).await;

    assert_eq!(receipt["resolved"], 1);
    assert_eq!(read_model.alert_names().await, ["A"]);
}

async fn a_repeated_delivery_lists_the_alert_once(backend: Backend) {
    let read_model = AlertsReadModel::start(backend, None).await;
    let once = notification("g", vec![alert("A", "firing", "a")]);

    for _ in 0..3 {
        read_model.deliver(&once).await;
    }

    assert_eq!(read_model.alert_names().await, ["A"]);
}

async fn a_malformed_delivery_is_a_json_4xx_and_stores_nothing(backend: Backend) {
    let read_model = AlertsReadModel::start(backend, None).await;
    read_model
        .deliver(&notification("g", vec![alert("A", "firing", "a")]))
        .await;
    let before = read_model.alerts().await;
    // Each would resolve A and store B, were it accepted.
    let changes = || vec![alert("A", "resolved", "a"), alert("B", "firing", "b")];
    let with = |edit: fn(&mut Value)| {
        let mut body = notification("g", changes());
        edit(&mut body);
        body.to_string()
    };
    let bodies: Vec<(String, StatusCode, &str)> = vec![
        ("not json".into(), StatusCode::BAD_REQUEST, "malformed_json"),
        (String::new(), StatusCode::BAD_REQUEST, "malformed_json"),
        (
            with(|b| b["version"] = "3".into()),
            StatusCode::BAD_REQUEST,
            "invalid_alert_payload",
        ),
        (
            with(|b| {
                b.as_object_mut().unwrap().remove("alerts");
            }),
            StatusCode::BAD_REQUEST,
            "invalid_alert_payload",
        ),
        (
            with(|b| b["alerts"][1]["startsAt"] = "last tuesday".into()),
            StatusCode::BAD_REQUEST,
            "invalid_alert_payload",
        ),
        (
            with(|b| b["alerts"][1]["endsAt"] = 1_735_732_800.into()),
            StatusCode::BAD_REQUEST,
            "invalid_alert_payload",
        ),
        (
            json!(changes()).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid_alert_payload",
        ),
        (
            with(|b| b["commonAnnotations"]["pad"] = "x".repeat(3 << 20).into()),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];

    for (body, status, code) in bodies {
        let shown = body.chars().take(60).collect::<String>();
        let response = read_model.post(body, None).await;

        assert_eq!(response.status(), status, "{shown}");
        assert_eq!(error_body(response).await["error"]["code"], code, "{shown}");
    }
    assert_eq!(read_model.alerts().await, before);
}

async fn a_bad_field_is_named_in_the_details(backend: Backend) {
    let read_model = AlertsReadModel::start(backend, None).await;
    let mut body = notification("g", vec![alert("A", "firing", "a")]);
    body["alerts"][0]["status"] = "pending".into();

    let response = read_model.post(body.to_string(), None).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = error_body(response).await;
    assert_eq!(error["error"]["details"][0]["path"], "/alerts/0/status");
}

async fn the_watchdog_is_not_listed_and_says_when_the_source_was_heard(backend: Backend) {
    let read_model = AlertsReadModel::start(backend, None).await;
    let sent = chrono::Utc::now();

    let receipt = read_model
        .deliver(&notification("w", vec![alert("Watchdog", "firing", "w")]))
        .await;

    assert_eq!(
        receipt,
        json!({"firing": 0, "resolved": 0, "sourceHeard": true})
    );
    let (alerts, heard) = read_model.alerts().await;
    assert!(alerts.is_empty(), "{alerts:?}");
    let heard = chrono::DateTime::parse_from_rfc3339(&heard.expect("the heard-at header"))
        .unwrap()
        .with_timezone(&chrono::Utc);
    let late = chrono::Utc::now() - heard;
    assert!(
        heard >= sent - chrono::TimeDelta::milliseconds(1),
        "{heard} before {sent}"
    );
    assert!(late < chrono::TimeDelta::seconds(10), "{heard} is not now");
}

async fn with_a_token_only_its_bearer_may_deliver(backend: Backend) {
    let read_model = AlertsReadModel::start(backend, Some("hook-s3cret")).await;
    let body = notification("g", vec![alert("A", "firing", "a")]).to_string();

    let missing = read_model.post(body.clone(), None).await;
    let wrong = read_model.post(body.clone(), Some("hook-s3cres")).await;
    let names_after_refusals = read_model.alert_names().await;
    let right = read_model.post(body, Some("hook-s3cret")).await;

    for refused in [missing, wrong] {
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(refused.headers()["www-authenticate"], "Bearer");
        assert_eq!(error_body(refused).await["error"]["code"], "unauthorized");
    }
    assert!(names_after_refusals.is_empty());
    assert_eq!(right.status(), StatusCode::OK);
    assert_eq!(read_model.alert_names().await, ["A"]);
}

async fn without_a_token_the_webhook_is_open(backend: Backend) {
    let read_model = AlertsReadModel::start(backend, None).await;
    let body = notification("g", vec![alert("A", "firing", "a")]).to_string();

    let response = read_model.post(body, Some("anything")).await;

    assert_eq!(response.status(), StatusCode::OK);
}

async fn active_alerts_and_the_heard_time_survive_a_restart(backend: Backend) {
    let mut read_model = AlertsReadModel::start(backend, None).await;
    read_model
        .deliver(&notification(
            "g",
            vec![alert("A", "firing", "a"), alert("B", "firing", "b")],
        ))
        .await;
    read_model
        .deliver(&notification("w", vec![alert("Watchdog", "firing", "w")]))
        .await;
    read_model
        .deliver(&notification(
            "g",
            vec![alert("A", "firing", "a"), alert("B", "resolved", "b")],
        ))
        .await;
    let before = read_model.alerts().await;

    read_model.restart().await;

    let after = read_model.alerts().await;
    assert_eq!(after, before);
    assert_eq!(read_model.alert_names().await, ["A"]);
    assert!(after.1.is_some(), "the heard time is kept");
}

on_both_backends!(
    no_alert_is_an_empty_array_without_a_heard_time,
    a_firing_alert_is_listed_with_every_field,
    a_resolved_alert_is_no_longer_listed,
    a_repeated_delivery_lists_the_alert_once,
    a_malformed_delivery_is_a_json_4xx_and_stores_nothing,
    a_bad_field_is_named_in_the_details,
    the_watchdog_is_not_listed_and_says_when_the_source_was_heard,
    with_a_token_only_its_bearer_may_deliver,
    without_a_token_the_webhook_is_open,
    active_alerts_and_the_heard_time_survive_a_restart,
);
