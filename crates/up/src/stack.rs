//! Starting every service on the chosen backends, and stopping them in order.

use std::fs::File;
use std::net::SocketAddr;

use odto_gateway::GatewayBackends;
use odto_metrics_engine::{EngineBackends, EventSinks};
use odto_processor::ProcessorBackends;
use odto_read_model::ReadModelBackends;
use odto_settings::{GatewayUrl, ReadModelUrl};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::UpError;
use crate::backends::Backends;
use crate::config::UpConfig;
use crate::observability::{Observability, ObservabilityAddresses};

/// Where each service listens (the actual ports, also when 0 was asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addresses {
    pub gateway: SocketAddr,
    pub read_model: SocketAddr,
    pub processor: SocketAddr,
    pub metrics_engine: SocketAddr,
    /// `None` when the web terminal is off.
    pub web: Option<SocketAddr>,
    /// Prometheus and Alertmanager, with `--observability` and when installed.
    pub observability: Option<ObservabilityAddresses>,
}

/// Every service of the observatory, running in this process.
#[derive(Debug)]
pub struct Stack {
    addresses: Addresses,
    backends: Backends,
    /// In the order they stop: intake first, so nothing new arrives while the rest drains.
    services: Vec<Service>,
    observability: Option<Observability>,
    /// A service stopped without being asked to.
    failed: CancellationToken,
    _lock: Option<File>,
}

#[derive(Debug)]
struct Service {
    name: &'static str,
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl Stack {
    /// Opens the backends and starts the metrics engine, the processor, the read model, the
    /// gateway (so that jobs are accepted only once the rest runs) and, unless it is off, the
    /// web terminal. `progress` hears each step, for people watching the start.
    pub async fn start(config: &UpConfig, progress: &dyn Fn(&str)) -> Result<Self, UpError> {
        let lock = if Backends::uses_data_dir(config) {
            progress(&format!("data directory {}", config.data_dir.display()));
            Some(crate::data_dir::lock(&config.data_dir)?)
        } else {
            None
        };
        let settings = ServiceSettings::from_env(config)?;
        let backends = Backends::open(config).await?;
        for (role, backend) in &backends.summary {
            progress(&format!("{role}: {backend}"));
        }
        let mut stack = Stack {
            addresses: Addresses {
                gateway: config.gateway_listen,
                read_model: config.read_model_listen,
                processor: config.processor_listen,
                metrics_engine: config.metrics_engine_listen,
                web: None,
                observability: None,
            },
            backends,
            services: Vec::new(),
            observability: None,
            failed: CancellationToken::new(),
            _lock: lock,
        };
        let started = match stack.start_services(settings, progress).await {
            Ok(()) if config.observability => stack.start_observability(config, progress).await,
            other => other,
        };
        match started {
            Ok(()) => Ok(stack),
            Err(error) => {
                stack.stop().await;
                Err(error)
            }
        }
    }

    async fn start_services(
        &mut self,
        settings: ServiceSettings,
        progress: &dyn Fn(&str),
    ) -> Result<(), UpError> {
        let b = self.backends.clone();

        let sinks = EventSinks {
            events: b.events.clone(),
            jobs: b.jobs.clone(),
            stats: b.stats.clone(),
        };
        let engine = EngineBackends {
            bus: b.bus.clone(),
            sinks,
            dead_letters: b.dead_letters.clone(),
        };
        let engine = odto_metrics_engine::Application::build_with(settings.engine, engine)
            .await
            .map_err(|e| UpError::service("metrics engine", e))?;
        self.addresses.metrics_engine = engine.local_addr();
        self.spawn("metrics engine", |stop| engine.run_until_stopped(stop));
        progress("metrics engine started");

        let processor = ProcessorBackends {
            bus: b.bus.clone(),
            jobs: b.jobs.clone(),
        };
        let processor = odto_processor::Application::build_with(settings.processor, processor)
            .await
            .map_err(|e| UpError::service("processor", e))?;
        self.addresses.processor = processor.local_addr();
        self.spawn("processor", |stop| processor.run_until_stopped(stop));
        progress("processor started");

        let stores = ReadModelBackends {
            jobs: b.jobs.clone(),
            events: b.events.clone(),
            dead_letters: b.dead_letters.clone(),
            stats: b.stats.clone(),
            queues: b.queues.clone(),
        };
        let reads = odto_read_model::Application::build_with(settings.read_model, stores)
            .await
            .map_err(|e| UpError::service("read model", e))?;
        self.addresses.read_model = reads.local_addr();
        self.spawn("read model", |stop| reads.run_until_stopped(stop));
        progress("read model started");

        let gateway = GatewayBackends {
            bus: b.bus.clone(),
            keys: b.keys.clone(),
            jobs: b.jobs.clone(),
        };
        let gateway = odto_gateway::Application::build_with(settings.gateway, gateway)
            .await
            .map_err(|e| UpError::service("gateway", e))?;
        self.addresses.gateway = gateway.local_addr();
        self.spawn("gateway", |stop| gateway.run_until_stopped(stop));
        progress("gateway started");

        if let Some(mut web) = settings.web {
            // The addresses bound, which differ from those asked for when a port was 0.
            web.read_model = ReadModelUrl::new(format!("http://{}", self.addresses.read_model));
            web.gateway = GatewayUrl::new(format!("http://{}", self.addresses.gateway));
            // `odto up` is `odto`, whose own `dashboard` command is the fallback dashboard.
            let dashboard = odto_web::WebBackends::open_or_this_program(&web, "dashboard")
                .map_err(|e| UpError::service("web terminal", e))?;
            let web = odto_web::Application::build_with(web, dashboard)
                .await
                .map_err(|e| UpError::service("web terminal", e))?;
            self.addresses.web = Some(web.local_addr());
            self.spawn("web terminal", |stop| web.run_until_stopped(stop));
            progress("web terminal started");
        }
        Ok(())
    }

    async fn start_observability(
        &mut self,
        config: &UpConfig,
        progress: &dyn Fn(&str),
    ) -> Result<(), UpError> {
        let at = ObservabilityAddresses {
            prometheus: config.prometheus_listen,
            alertmanager: config.alertmanager_listen,
        };
        self.observability =
            Observability::start(&config.data_dir, &self.addresses, at, progress).await?;
        self.addresses.observability = self.observability.as_ref().map(|o| o.addresses);
        Ok(())
    }

    /// Runs one service until its stop token is cancelled; it goes first in the stop order.
    fn spawn<F>(&mut self, name: &'static str, run: impl FnOnce(StopSignal) -> F)
    where
        F: Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let stop = CancellationToken::new();
        let running = run(stop.clone().cancelled_owned());
        let failed = self.failed.clone();
        let asked = stop.clone();
        let task = tokio::spawn(async move {
            let result = running.await;
            if !asked.is_cancelled() {
                tracing::error!(service = name, ?result, "a service stopped on its own");
                failed.cancel();
            }
            result
        });
        self.services.insert(0, Service { name, stop, task });
    }

    pub fn addresses(&self) -> Addresses {
        self.addresses
    }

    /// The backends, e.g. for a test that checks what was stored.
    pub fn backends(&self) -> &Backends {
        &self.backends
    }

    /// Completes when a service has stopped without being asked to (the stack should then be
    /// stopped and the process should fail).
    pub async fn failed(&self) {
        self.failed.cancelled().await;
    }

    /// Stops Prometheus and Alertmanager if they run, then the services one by one (web
    /// terminal, gateway, read model, processor, metrics engine), each gracefully, then closes
    /// the bus.
    pub async fn stop(mut self) {
        if let Some(observability) = &mut self.observability {
            observability.stop().await;
        }
        for service in self.services {
            service.stop.cancel();
            match service.task.await {
                Ok(Ok(())) => tracing::debug!(service = service.name, "stopped"),
                Ok(Err(error)) => {
                    tracing::warn!(service = service.name, %error, "stopped with an error")
                }
                Err(error) => tracing::error!(service = service.name, %error, "panicked"),
            }
        }
        self.backends.bus.close().await;
    }
}

type StopSignal = tokio_util::sync::WaitForCancellationFutureOwned;

/// Each service's settings: the distributed mode's (from `ODTO_*` variables and defaults), with
/// what `odto up` decides put over them.
struct ServiceSettings {
    gateway: odto_gateway::GatewayConfig,
    processor: odto_processor::ProcessorConfig,
    engine: odto_metrics_engine::EngineConfig,
    read_model: odto_read_model::ReadModelConfig,
    /// `None` when the web terminal is off.
    web: Option<odto_web::WebConfig>,
}

impl ServiceSettings {
    fn from_env(config: &UpConfig) -> Result<Self, UpError> {
        let mut gateway: odto_gateway::GatewayConfig = from_env()?;
        let mut processor: odto_processor::ProcessorConfig = from_env()?;
        let mut engine: odto_metrics_engine::EngineConfig = from_env()?;
        let mut read_model: odto_read_model::ReadModelConfig = from_env()?;
        gateway.listen = config.gateway_listen;
        gateway.read_model = ReadModelUrl::new(format!("http://{}", config.read_model_listen));
        processor.listen = config.processor_listen;
        processor.concurrency = config.processor_concurrency;
        engine.listen = config.metrics_engine_listen;
        read_model.listen = config.read_model_listen;
        gateway.backends = config.backends.clone();
        processor.backends = config.backends.clone();
        engine.backends = config.backends.clone();
        read_model.backends = config.backends.clone();
        let web = if config.no_web {
            None
        } else {
            let mut web: odto_web::WebConfig = from_env()?;
            web.listen = config.web_listen;
            web.dashboard_bin = config.dashboard_bin.clone();
            Some(web)
        };
        Ok(Self {
            web,
            gateway,
            processor,
            engine,
            read_model,
        })
    }
}

/// A service's settings from the environment alone (flags are `odto up`'s own).
fn from_env<T: clap::Args>() -> Result<T, UpError> {
    odto_settings::from_env().map_err(|error| UpError::Config(error.to_string()))
}
