//! Web terminal settings: every flag has an `ODTO_*` environment twin.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use odto_settings::{GatewayUrl, ReadModelUrl};

use crate::auth::Secret;

/// How the web terminal listens, which dashboard it runs, and where that dashboard reads from.
#[derive(Clone, Debug, clap::Args)]
pub struct WebConfig {
    /// Address the page and the WebSocket are served on.
    #[arg(
        long = "listen",
        env = "ODTO_WEB_LISTEN",
        default_value = "0.0.0.0:8081"
    )]
    pub listen: SocketAddr,

    /// The read model the dashboard reads from (and `/readyz` checks).
    #[command(flatten)]
    pub read_model: ReadModelUrl,

    /// The gateway the dashboard submits to.
    #[command(flatten)]
    pub gateway: GatewayUrl,

    /// The `odd-dashboard` binary to run [default: the one next to this program].
    #[arg(long, env = "ODTO_WEB_DASHBOARD_BIN")]
    pub dashboard_bin: Option<PathBuf>,

    /// Seconds a session lives on after its connection dropped, waiting for a reconnect.
    #[arg(long, env = "ODTO_WEB_GRACE_SECS", default_value_t = 30)]
    pub grace_secs: u64,

    /// Origins besides this server's own whose pages may open the WebSocket, comma-separated;
    /// `*` allows any.
    #[arg(long, env = "ODTO_WEB_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Only navigation keys reach the dashboard (arrows, page keys, Tab, Enter, Esc, ?, /, R, D,
    /// F); everything else is dropped with a notice. The variable turns it on with any value but
    /// 0, false, no, off or empty.
    #[arg(long, env = "ODTO_WEB_READ_ONLY",
          value_parser = clap::builder::FalseyValueParser::new())]
    pub read_only: bool,

    /// A shared secret every client must show: programs as `Authorization: Bearer …`, pages
    /// once to `POST /auth` (which sets a cookie). Unset: no secret.
    #[arg(long, env = "ODTO_WEB_TOKEN", hide_env_values = true)]
    pub token: Option<Secret>,

    /// Seconds a session may go without input before it ends, attached or not.
    #[arg(long, env = "ODTO_WEB_IDLE_TIMEOUT_SECS", default_value_t = 1800)]
    pub idle_timeout_secs: u64,

    /// Seconds between pings to each connection; one that answers nothing for two of them is
    /// dropped (its session waits for a reconnect).
    #[arg(long, env = "ODTO_WEB_KEEPALIVE_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub keepalive_secs: u64,

    /// Most sessions one client may hold at once.
    #[arg(long, env = "ODTO_WEB_PER_CLIENT_CAP", default_value_t = 5)]
    pub per_client_cap: usize,

    /// Most sessions at once.
    #[arg(long, env = "ODTO_WEB_GLOBAL_CAP", default_value_t = 50)]
    pub global_cap: usize,

    /// Proxies (addresses or CIDRs, comma-separated) whose `X-Forwarded-For` names the client;
    /// from anyone else the TCP peer is the client.
    #[arg(long, env = "ODTO_WEB_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
}

impl WebConfig {
    /// Defaults for a read model and gateway at `read_model_url` and `gateway_url`, running
    /// `dashboard_bin`, on an ephemeral loopback port (for tests).
    pub fn for_tests(dashboard_bin: PathBuf, read_model_url: &str, gateway_url: &str) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            read_model: ReadModelUrl::new(read_model_url),
            gateway: GatewayUrl::new(gateway_url),
            dashboard_bin: Some(dashboard_bin),
            grace_secs: 30,
            allowed_origins: Vec::new(),
            read_only: false,
            per_client_cap: 5,
            global_cap: 50,
            trusted_proxies: Vec::new(),
            token: None,
            idle_timeout_secs: 1800,
            keepalive_secs: 30,
        }
    }

    pub fn grace(&self) -> Duration {
        Duration::from_secs(self.grace_secs)
    }
}
