//! What `odto up` runs on: listen addresses, the data directory, and the optional real backends.
//!
//! Service settings that `odto up` does not name here (retry backoff, job timeout, Redis key
//! prefix, …) are read from the same `ODTO_*` environment variables as in distributed mode.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::ValueEnum;
use odto_settings::BackendSettings;

#[derive(Clone, Debug, clap::Args)]
pub struct UpConfig {
    /// Directory holding the embedded backends' data (created if missing). Default:
    /// `$XDG_DATA_HOME/odto`, else `~/.local/share/odto`.
    #[arg(long, env = "ODTO_DATA_DIR", default_value_os_t = default_data_dir())]
    pub data_dir: PathBuf,

    /// Address of the gateway (the write API).
    #[arg(long, env = "ODTO_GATEWAY_LISTEN", default_value = "127.0.0.1:3000")]
    pub gateway_listen: SocketAddr,

    /// Address of the read model (the read API of every UI).
    #[arg(long, env = "ODTO_READ_MODEL_LISTEN", default_value = "127.0.0.1:8080")]
    pub read_model_listen: SocketAddr,

    /// Address of the processor's health and metrics endpoints.
    #[arg(long, env = "ODTO_PROCESSOR_LISTEN", default_value = "127.0.0.1:9101")]
    pub processor_listen: SocketAddr,

    /// Address of the metrics engine's health and metrics endpoints.
    #[arg(
        long,
        env = "ODTO_METRICS_ENGINE_LISTEN",
        default_value = "127.0.0.1:9102"
    )]
    pub metrics_engine_listen: SocketAddr,

    /// Address of the web terminal: the dashboard in the browser.
    #[arg(long, env = "ODTO_WEB_LISTEN", default_value = "127.0.0.1:8081")]
    pub web_listen: SocketAddr,

    /// Run without the web terminal.
    #[arg(long, env = "ODTO_NO_WEB",
          value_parser = clap::builder::FalseyValueParser::new())]
    pub no_web: bool,

    /// The dashboard the web terminal runs [default: the `odd-dashboard` next to this program,
    /// else this program's own (`odto dashboard`)].
    #[arg(long, env = "ODTO_WEB_DASHBOARD_BIN")]
    pub dashboard_bin: Option<PathBuf>,

    /// Also run Prometheus and Alertmanager (when installed: `prometheus`, and
    /// `prometheus-alertmanager` or `alertmanager`, on PATH) with the rules and routes of
    /// `deploy/`, scraping and alerting this stack; their data goes in the data directory.
    #[arg(long, env = "ODTO_OBSERVABILITY",
          value_parser = clap::builder::FalseyValueParser::new())]
    pub observability: bool,

    /// Address of Prometheus, with --observability.
    #[arg(long, env = "ODTO_PROMETHEUS_LISTEN", default_value = "127.0.0.1:9090")]
    pub prometheus_listen: SocketAddr,

    /// Address of Alertmanager, with --observability.
    #[arg(
        long,
        env = "ODTO_ALERTMANAGER_LISTEN",
        default_value = "127.0.0.1:9093"
    )]
    pub alertmanager_listen: SocketAddr,

    /// Jobs run at once.
    #[arg(long, env = "ODTO_PROCESSOR_CONCURRENCY", default_value_t = 512)]
    pub processor_concurrency: usize,

    /// A backend whose URL is given (RabbitMQ as the bus, PostgreSQL for jobs, attempts,
    /// events and dead letters, Redis for statistics and idempotency keys) replaces the
    /// embedded one in that role.
    #[command(flatten)]
    pub backends: BackendSettings,

    /// When a write to the embedded backends counts as done: `full` waits for the disk (survives
    /// a power cut), `normal` for the operating system (survives a crash of the process).
    #[arg(long, env = "ODTO_EMBEDDED_DURABILITY", default_value = "full")]
    pub durability: Durability,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Durability {
    Full,
    Normal,
}

impl UpConfig {
    /// Embedded backends in `data_dir`, every service on a free loopback port.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        let any_port: SocketAddr = "127.0.0.1:0".parse().expect("a valid address");
        Self {
            data_dir,
            gateway_listen: any_port,
            read_model_listen: any_port,
            processor_listen: any_port,
            metrics_engine_listen: any_port,
            web_listen: any_port,
            // A test's own program has no dashboard in it; tests that want the web terminal
            // name one.
            no_web: true,
            dashboard_bin: None,
            observability: false,
            prometheus_listen: any_port,
            alertmanager_listen: any_port,
            processor_concurrency: 64,
            backends: BackendSettings::local(),
            durability: Durability::Normal,
        }
    }

    pub(crate) fn sqlite_options(&self) -> odto_sqlite::Options {
        odto_sqlite::Options {
            durability: match self.durability {
                Durability::Full => odto_sqlite::Durability::Full,
                Durability::Normal => odto_sqlite::Durability::Normal,
            },
            ..odto_sqlite::Options::default()
        }
    }
}

/// `$XDG_DATA_HOME/odto`, else `$HOME/.local/share/odto`, else `.odto` here.
pub fn default_data_dir() -> PathBuf {
    let from = |var: &str| std::env::var_os(var).filter(|value| !value.is_empty());
    if let Some(data_home) = from("XDG_DATA_HOME") {
        return PathBuf::from(data_home).join("odto");
    }
    match from("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/odto"),
        None => PathBuf::from(".odto"),
    }
}
