//! A whole observatory in this process, on the real backends (plus, when a test wants to kill
//! one, processors as child processes) or on the embedded ones of `odto up`, and the assertions
//! every test shares.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use odto_bus::JobBus;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};

use odto_contracts::{EventEnvelope, Schema};
use odto_store::events::EventStore;
use odto_store::jobs::{JobRecord, JobStore};
use odto_store::postgres::{PgSettings, PgStore};
use odto_test_support::{TestDatabase, TestVhost, eventually, redis_url, unique_redis_prefix};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use uuid::Uuid;

pub struct Stack {
    pub gateway: String,
    pub read_model: String,
    pub client: reqwest::Client,
    pub jobs: Arc<dyn JobStore>,
    pub events: Arc<dyn EventStore>,
    /// The bus the services use, for tests that put messages on it directly.
    pub bus: Arc<dyn JobBus>,
    backend: Backend,
}

/// What the services run on.
enum Backend {
    /// RabbitMQ, PostgreSQL and Redis; each service built on its own, as separate processes are.
    Real(Real),
    /// The all-in-one stack of `odto up` on its embedded backends.
    Embedded {
        stack: Box<odto_up::Stack>,
        data_dir: tempfile::TempDir,
    },
}

pub struct Real {
    pub vhost: TestVhost,
    pub db: TestDatabase,
    pub redis_prefix: String,
    stops: Vec<oneshot::Sender<()>>,
}

/// How to start the stack on the real backends.
pub struct Options {
    pub processors: usize,
    /// PostgreSQL address the processors use (e.g. a proxy the test cuts); default the real one.
    pub processor_postgres: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            processors: 2,
            processor_postgres: None,
        }
    }
}

/// The backends every behavioural test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Real,
    Embedded,
}

/// Starts a stack on `kind` with its defaults.
pub async fn start_on(kind: Kind) -> Stack {
    match kind {
        Kind::Real => start(Options::default()).await,
        Kind::Embedded => start_embedded(tempfile::tempdir().expect("a temporary directory")).await,
    }
}

/// The all-in-one stack on embedded backends in `data_dir`, every service on a free port.
pub async fn start_embedded(data_dir: tempfile::TempDir) -> Stack {
    let config = odto_up::UpConfig::for_tests(data_dir.path().to_owned());
    let stack = odto_up::Stack::start(&config, &|_| {})
        .await
        .expect("the all-in-one stack starts");
    let addresses = stack.addresses();
    let backends = stack.backends().clone();
    let stack = Stack {
        gateway: format!("http://{}", addresses.gateway),
        read_model: format!("http://{}", addresses.read_model),
        client: reqwest::Client::new(),
        jobs: backends.jobs,
        events: backends.events,
        bus: backends.bus,
        backend: Backend::Embedded {
            stack: Box::new(stack),
            data_dir,
        },
    };
    stack.wait_ready().await;
    stack
}

pub async fn start(options: Options) -> Stack {
    let vhost = TestVhost::create().await;
    let db = TestDatabase::create().await;
    let redis_prefix = unique_redis_prefix();
    let store = Arc::new(
        PgStore::connect(&PgSettings::new(db.url()))
            .await
            .expect("database ready"),
    );
    let bus = RabbitBus::start(RabbitConfig::new(vhost.amqp_url(), "pipeline-test"))
        .expect("the test's bus starts");
    let mut stack = Stack {
        gateway: String::new(),
        read_model: String::new(),
        client: reqwest::Client::new(),
        jobs: store.clone(),
        events: store,
        bus: Arc::new(bus),
        backend: Backend::Real(Real {
            stops: Vec::new(),
            vhost,
            db,
            redis_prefix,
        }),
    };
    stack.gateway = stack.spawn_gateway().await;
    stack.read_model = stack.spawn_read_model().await;
    stack.spawn_metrics_engine().await;
    let processor_db = options
        .processor_postgres
        .unwrap_or_else(|| stack.real().db.url());
    for _ in 0..options.processors {
        stack.spawn_processor(processor_db.clone()).await;
    }
    stack.wait_ready().await;
    stack
}

impl Stack {
    /// The real backends of this stack (for tests that only make sense on them).
    pub fn real(&self) -> &Real {
        match &self.backend {
            Backend::Real(real) => real,
            Backend::Embedded { .. } => panic!("this test needs the real backends"),
        }
    }

    fn real_mut(&mut self) -> &mut Real {
        match &mut self.backend {
            Backend::Real(real) => real,
            Backend::Embedded { .. } => panic!("this test needs the real backends"),
        }
    }

    fn stopper(&mut self) -> impl Future<Output = ()> + Send + 'static {
        let (stop, stopped) = oneshot::channel::<()>();
        self.real_mut().stops.push(stop);
        async move {
            let _ = stopped.await;
        }
    }

    async fn spawn_gateway(&mut self) -> String {
        let real = self.real();
        let config = odto_gateway::GatewayConfig::for_tests(
            real.vhost.amqp_url(),
            redis_url(),
            real.redis_prefix.clone(),
        );
        let app = odto_gateway::Application::build(config)
            .await
            .expect("gateway");
        let base = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until_stopped(self.stopper()));
        base
    }

    async fn spawn_read_model(&mut self) -> String {
        let real = self.real();
        let config = odto_read_model::ReadModelConfig::for_tests(
            real.db.url(),
            redis_url(),
            real.redis_prefix.clone(),
            real.vhost.amqp_url(),
        );
        let app = odto_read_model::Application::build(config)
            .await
            .expect("read model");
        let base = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until_stopped(self.stopper()));
        base
    }

    async fn spawn_metrics_engine(&mut self) {
        let real = self.real();
        let config = odto_metrics_engine::EngineConfig::for_tests(
            real.vhost.amqp_url(),
            real.db.url(),
            redis_url(),
            real.redis_prefix.clone(),
        );
        let app = odto_metrics_engine::Application::build(config)
            .await
            .expect("metrics engine");
        tokio::spawn(app.run_until_stopped(self.stopper()));
    }

    /// Starts an in-process processor; returns its health address.
    pub async fn spawn_processor(&mut self, postgres_url: String) -> String {
        let config =
            odto_processor::ProcessorConfig::for_tests(self.real().vhost.amqp_url(), postgres_url);
        let app = odto_processor::Application::build(config)
            .await
            .expect("processor");
        let base = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until_stopped(self.stopper()));
        base
    }

    async fn wait_ready(&self) {
        eventually(
            Duration::from_secs(15),
            "the gateway and read model to be ready",
            || async {
                let gateway = self
                    .client
                    .get(format!("{}/readyz", self.gateway))
                    .send()
                    .await
                    .ok()?;
                let reads = self
                    .client
                    .get(format!("{}/readyz", self.read_model))
                    .send()
                    .await
                    .ok()?;
                (gateway.status() == 200 && reads.status() == 200).then_some(())
            },
        )
        .await;
    }

    /// Submits a short-form job; returns its id.
    pub async fn submit(&self, job: Value) -> Uuid {
        let response = self
            .client
            .post(format!("{}/jobs", self.gateway))
            .json(&job)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "submit {job}");
        let body: Value = response.json().await.unwrap();
        body["jobId"].as_str().unwrap().parse().unwrap()
    }

    pub async fn stats(&self) -> Value {
        let response = self
            .client
            .get(format!("{}/stats", self.read_model))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Waits until every job in `ids` is in a terminal state in the job store; on timeout, fails
    /// naming the jobs that are not, with their state.
    pub async fn wait_all_terminal(&self, ids: &[Uuid], limit: Duration) -> Vec<JobRecord> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let mut records = Vec::with_capacity(ids.len());
            for id in ids {
                if let Ok(Some(record)) = self.jobs.get(*id).await {
                    records.push(record);
                }
            }
            let unfinished: Vec<_> = records
                .iter()
                .filter(|r| !r.job.status.is_terminal())
                .collect();
            if records.len() == ids.len() && unfinished.is_empty() {
                return records;
            }
            if tokio::time::Instant::now() >= deadline {
                let states: Vec<String> = unfinished
                    .iter()
                    .take(5)
                    .map(|r| {
                        format!(
                            "{} {} attempts={:?} runAt={:?} lease={:?} error={:?}",
                            r.job.id,
                            r.job.status,
                            r.job.attempts,
                            r.job.run_at,
                            r.lease_until,
                            r.job.last_error
                        )
                    })
                    .collect();
                panic!(
                    "after {limit:?}, {} of {} jobs are known and {} unfinished: {states:#?}",
                    records.len(),
                    ids.len(),
                    unfinished.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the read model's statistics show `terminal` finished jobs.
    pub async fn wait_stats_settled(&self, terminal: u64, limit: Duration) -> Value {
        eventually(
            limit,
            "the statistics to count every finished job",
            || async {
                let stats = self.stats().await;
                let done = ["completedJobs", "failedJobs", "cancelledJobs"]
                    .iter()
                    .map(|k| stats[k].as_u64().unwrap_or(0))
                    .sum::<u64>();
                (done == terminal && stats["pendingJobs"] == 0 && stats["executingJobs"] == 0)
                    .then_some(stats)
            },
        )
        .await
    }

    /// Waits until no queue holds a message, delivered or not, as the read model's `/queues`
    /// reports it (on RabbitMQ its management API refreshes every few seconds, so this takes at
    /// least that long there).
    pub async fn wait_idle(&self) {
        let url = format!("{}/queues", self.read_model);
        eventually(
            Duration::from_secs(40),
            "every queue to be empty",
            || async {
                let response = self.client.get(&url).send().await.ok()?;
                let queues: Vec<Value> = response.json().await.ok()?;
                let busy = queues
                    .iter()
                    .any(|q| q["depth"].as_u64() != Some(0) || q["inFlight"].as_u64() != Some(0));
                (!queues.is_empty() && !busy).then_some(())
            },
        )
        .await;
    }

    /// Raw AMQP publish to the default exchange (what a foreign or broken producer would do).
    pub async fn publish_raw(&self, routing_key: &str, body: &[u8]) {
        use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
        let connection =
            lapin::Connection::connect(&self.real().vhost.amqp_url(), Default::default())
                .await
                .unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        let properties = lapin::BasicProperties::default().with_delivery_mode(2);
        let confirm = channel
            .basic_publish(
                "".into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                properties,
            )
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(confirm.is_ack());
        let _ = connection.close(200, "done".into()).await;
    }

    pub async fn stop(self) {
        match self.backend {
            Backend::Real(mut real) => {
                for stop in real.stops.drain(..) {
                    let _ = stop.send(());
                }
            }
            Backend::Embedded { stack, data_dir } => {
                stack.stop().await;
                drop(data_dir);
            }
        }
    }
}

/// Checks one job's events against the contract and against its stored state; returns them.
pub async fn verified_events(store: &dyn EventStore, record: &JobRecord) -> Vec<EventEnvelope> {
    let events = store.for_job(record.job.id).await.unwrap();
    let mut ids: Vec<_> = events.iter().map(|e| e.event_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        events.len(),
        "duplicate event ids for {}",
        record.job.id
    );
    for event in &events {
        let value = serde_json::to_value(event).unwrap();
        Schema::EventEnvelope
            .validate(&value)
            .expect("every stored event is a valid envelope");
    }
    let newest = events
        .iter()
        .max_by_key(|e| e.payload.revision.unwrap_or(0))
        .expect("events");
    assert_eq!(
        newest.payload.status, record.job.status,
        "events rebuild the final state"
    );
    assert_eq!(
        newest.payload.revision, record.job.revision,
        "events reach the final revision"
    );
    events
}

/// Counts by status derived from the event store alone: each job's highest-revision event.
pub async fn counts_from_events(
    store: &dyn EventStore,
    ids: &[Uuid],
) -> BTreeMap<&'static str, u64> {
    let mut counts = BTreeMap::new();
    for id in ids {
        let events = store.for_job(*id).await.unwrap();
        let newest = events
            .iter()
            .max_by_key(|e| e.payload.revision.unwrap_or(0))
            .expect("events");
        *counts.entry(newest.payload.status.as_str()).or_insert(0) += 1;
    }
    counts
}

pub fn instant() -> Value {
    json!({"type": "test.instant", "payload": {"durationMs": 0}})
}
