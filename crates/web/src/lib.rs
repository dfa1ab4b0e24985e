//! `odto web`: the terminal dashboard in the browser. The service runs `odd-dashboard
//! --server-mode` in a pseudo-terminal per session and streams it over a WebSocket (`/ws`); a
//! dropped connection re-attaches to the same dashboard process and gets every frame it missed.
//!
//! Its shape is every service's: `config.rs`, `error.rs`, `routes.rs` (`/ws` and the probes),
//! domain modules, and this file: [`WebBackends`], then [`Application::build`] or
//! [`Application::build_with`], [`Application::local_addr`], [`Application::run_until_stopped`].
//!
//! - [`protocol`]: the wire protocol, JSON text frames tagged by `type`, compatible with the
//!   reference's page.
//! - [`session`]: sessions that survive a dropped connection: one dashboard each, its frames
//!   numbered and kept for replay, a model of its screen for a client that missed too much.
//! - [`pty`]: the dashboard in a pseudo-terminal, resized with the window, killed with its
//!   [`pty::Terminal`].
//! - [`replay`] and [`utf8`]: the bounded buffer of numbered frames, and PTY bytes turned into
//!   text frames without splitting a character.
//! - `page`: the page, xterm.js and its client bundled from `page/` into `assets/` (committed)
//!   and compiled in; and `/summary`, the read model's figures for the page's fallback view.
//!
//! `/ws` refuses pages of other origins (unless allowed) and, with a token configured, clients
//! without it (a bearer token, or the cookie of `POST /auth`); read-only mode lets only
//! navigation keys through; caps bound the sessions per client (the TCP peer, or
//! `X-Forwarded-For` from a trusted proxy) and in all.
//!
//! A session nobody types into for the idle timeout ends; a connection that answers no ping for
//! two keepalive intervals is dropped (its session waits for a reconnect).
//!
//! `/metrics` has the `odto_web_` series: sessions active, started, re-attached and refused (by
//! code), output bytes, replayed and truncated frames, inputs dropped by read-only mode.
//!
//! ```no_run
//! # async fn run(config: odto_web::WebConfig) -> Result<(), Box<dyn std::error::Error>> {
//! let app = odto_web::Application::build(config).await?;
//! println!("listening on {}", app.local_addr());
//! app.run_until_stopped(odto_http::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

mod auth;
mod config;
mod error;
mod guard;
mod metrics;
mod page;
pub mod protocol;
pub mod pty;
pub mod replay;
mod routes;
pub mod session;
pub mod utf8;

use std::ffi::OsString;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

pub use auth::Secret;
pub use config::WebConfig;
pub use error::{SessionError, StartError};
pub use routes::{AppState, router};

use crate::auth::Auth;
use crate::guard::Cidr;
use crate::metrics::WebMetrics;
use crate::pty::Program;
use crate::session::{SessionSettings, Sessions};

/// How often sessions past their grace period are ended.
const REAP_EVERY: Duration = Duration::from_secs(1);

/// What the web terminal runs on: the dashboard, found.
#[derive(Debug, Clone)]
pub struct WebBackends {
    /// The dashboard's binary.
    pub dashboard: PathBuf,
    /// Arguments before the dashboard's own (`dashboard` when it is `odto dashboard`).
    pub dashboard_command: Vec<OsString>,
}

impl WebBackends {
    /// The configured dashboard binary, or the `odd-dashboard` next to this program; missing
    /// is a start-up error, not a blank page later.
    pub fn open(config: &WebConfig) -> Result<Self, StartError> {
        let dashboard = match &config.dashboard_bin {
            Some(path) => path.clone(),
            None => next_to_this_program("odd-dashboard"),
        };
        if !dashboard.is_file() {
            return Err(StartError::NoDashboard(dashboard));
        }
        Ok(Self {
            dashboard,
            dashboard_command: Vec::new(),
        })
    }

    /// Like [`WebBackends::open`], but when no binary is named and none is next to this
    /// program, this program run with `subcommand`: `odto` has the dashboard built in (`odto
    /// dashboard`), so `cargo run -p odto -- up` gives the browser view without building
    /// `odd-dashboard` too.
    pub fn open_or_this_program(config: &WebConfig, subcommand: &str) -> Result<Self, StartError> {
        match Self::open(config) {
            Err(StartError::NoDashboard(_)) if config.dashboard_bin.is_none() => {
                let this = std::env::current_exe().map_err(|error| {
                    StartError::Config(format!("cannot find this program's path: {error}"))
                })?;
                Ok(Self {
                    dashboard: this,
                    dashboard_command: vec![subcommand.into()],
                })
            }
            found => found,
        }
    }
}

fn next_to_this_program(name: &str) -> PathBuf {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&file)))
        .unwrap_or_else(|| PathBuf::from(file))
}

/// A web terminal bound to its port, ready to serve.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    sessions: Arc<Sessions>,
}

impl Application {
    /// Binds the port, running the dashboard [`WebBackends::open`] finds.
    pub async fn build(config: WebConfig) -> Result<Self, StartError> {
        let backends = WebBackends::open(&config)?;
        Self::build_with(config, backends).await
    }

    /// Like [`Application::build`], with the dashboard the caller chose.
    pub async fn build_with(config: WebConfig, backends: WebBackends) -> Result<Self, StartError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let mut args = backends.dashboard_command;
        args.extend(
            [
                "--server-mode",
                "--read-model-url",
                &config.read_model.url,
                "--gateway-url",
                &config.gateway.url,
            ]
            .map(OsString::from),
        );
        if config.read_only {
            // Refused here as well as filtered at the socket.
            args.push("--read-only".into());
        }
        let program = Program {
            path: backends.dashboard.clone(),
            args,
            env: Vec::new(),
        };
        let sessions = Sessions::new(SessionSettings {
            program,
            grace: config.grace(),
            replay_frames: 1_000,
            replay_bytes: 1 << 20,
            client_queue: 1_024,
            global_cap: config.global_cap,
            per_client_cap: config.per_client_cap,
            idle_timeout: Duration::from_secs(config.idle_timeout_secs),
        });
        let trusted_proxies = config
            .trusted_proxies
            .iter()
            .filter(|proxy| !proxy.trim().is_empty())
            .map(|proxy| proxy.parse())
            .collect::<Result<Vec<Cidr>, String>>()
            .map_err(|why| StartError::Config(format!("ODTO_WEB_TRUSTED_PROXIES: {why}")))?;
        let state = AppState {
            sessions: sessions.clone(),
            metrics: WebMetrics::new(),
            read_model_url: config.read_model.url.clone(),
            dashboard: backends.dashboard.clone(),
            client: reqwest::Client::new(),
            allowed_origins: config.allowed_origins.clone().into(),
            read_only: config.read_only,
            trusted_proxies: trusted_proxies.into(),
            auth: Arc::new(Auth::new(config.token.clone())),
            keepalive: Duration::from_secs(config.keepalive_secs.max(1)),
        };
        Ok(Self {
            listener,
            router: router(state),
            sessions,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes; then every session ends and its dashboard stops.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let sessions = self.sessions.clone();
        let reaper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(REAP_EVERY);
            loop {
                tick.tick().await;
                let ended = sessions.reap(Instant::now());
                if ended > 0 {
                    tracing::info!(sessions = ended, "sessions ended after their grace period");
                }
            }
        });
        // The peer address names the client for the caps.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // Keystroke echoes are small frames that must not wait: with Nagle's algorithm on, one
        // waited for the browser's delayed ACK of the frame before it (40 ms on Linux).
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "cannot turn Nagle's algorithm off");
            }
        });
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        reaper.abort();
        self.sessions.end_all();
        served
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_dashboard_must_exist_and_an_unnamed_one_falls_back_to_this_program() {
        let missing = PathBuf::from("/nonexistent/odd-dashboard");
        let mut config = WebConfig::for_tests(missing, "http://127.0.0.1:1", "http://127.0.0.1:1");
        let named = WebBackends::open_or_this_program(&config, "dashboard");
        assert!(
            matches!(named, Err(StartError::NoDashboard(_))),
            "{named:?}"
        );

        // Unit tests run from target/<profile>/deps, where no odd-dashboard is.
        config.dashboard_bin = None;
        assert!(matches!(
            WebBackends::open(&config),
            Err(StartError::NoDashboard(_))
        ));
        let builtin = WebBackends::open_or_this_program(&config, "dashboard").unwrap();
        assert_eq!(builtin.dashboard, std::env::current_exe().unwrap());
        assert_eq!(builtin.dashboard_command, ["dashboard"]);
    }
}
