//! `odd-dashboard doctor`: what each deployment mode needs on this machine, what is missing,
//! and how to install it here.

mod checks;
mod install;

use std::path::PathBuf;

use odto_settings::BackendSettings;

pub use checks::Check;
pub use install::{Os, Tool};

/// A deployment mode (SPEC section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// `odto up`: everything in one process, nothing else to install.
    AllInOne,
    /// Each service its own process, on RabbitMQ, PostgreSQL and Redis.
    Distributed,
    /// Containers on Kubernetes (kind locally).
    Cluster,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::AllInOne => "all-in-one",
            Mode::Distributed => "distributed",
            Mode::Cluster => "cluster",
        }
    }
}

/// What the checks look at: the dashboard's settings and the services' environment.
#[derive(Clone, Debug)]
pub struct Environment {
    pub odto_bin: Option<PathBuf>,
    pub gateway_url: String,
    pub read_model_url: String,
    /// Where the services of the distributed mode find their backends.
    pub backends: BackendSettings,
    /// `ODTO_*` variables by name (the services' listen addresses).
    pub var: fn(&str) -> Option<String>,
}

/// Runs the checks of `mode`.
pub fn checks(mode: Mode, env: &Environment, os: Os) -> Vec<Check> {
    let var = |name: &str, default: &str| (env.var)(name).unwrap_or_else(|| default.to_owned());
    match mode {
        Mode::AllInOne => {
            let port =
                |url: &str, default| checks::host_port(url, default).map_or(default, |(_, p)| p);
            let listen = |name: &str, default: &str| {
                let address = var(name, default);
                checks::host_port(&address, 0).map_or(0, |(_, port)| port)
            };
            vec![
                checks::odto_binary(env.odto_bin.as_deref(), os),
                checks::free_port(
                    "gateway",
                    port(&env.gateway_url, 3000),
                    "ODTO_GATEWAY_LISTEN",
                ),
                checks::free_port(
                    "read model",
                    port(&env.read_model_url, 8080),
                    "ODTO_READ_MODEL_LISTEN",
                ),
                checks::free_port(
                    "processor",
                    listen("ODTO_PROCESSOR_LISTEN", "127.0.0.1:9101"),
                    "ODTO_PROCESSOR_LISTEN",
                ),
                checks::free_port(
                    "metrics engine",
                    listen("ODTO_METRICS_ENGINE_LISTEN", "127.0.0.1:9102"),
                    "ODTO_METRICS_ENGINE_LISTEN",
                ),
                checks::free_port(
                    "web terminal",
                    listen("ODTO_WEB_LISTEN", "127.0.0.1:8081"),
                    "ODTO_WEB_LISTEN",
                ),
                checks::web_dashboard((env.var)("ODTO_WEB_DASHBOARD_BIN").as_deref()),
            ]
        }
        Mode::Distributed => vec![
            checks::odto_binary(env.odto_bin.as_deref(), os),
            checks::reachable(
                "RabbitMQ",
                env.backends.rabbitmq_url(),
                5672,
                Tool::RabbitMq,
                os,
            ),
            checks::reachable(
                "PostgreSQL",
                env.backends.postgres_url(),
                5432,
                Tool::Postgres,
                os,
            ),
            checks::reachable("Redis", env.backends.redis_url(), 6379, Tool::Redis, os),
            checks::web_dashboard((env.var)("ODTO_WEB_DASHBOARD_BIN").as_deref()),
        ],
        Mode::Cluster => vec![
            checks::command("docker", Tool::Docker, os),
            checks::command("kubectl", Tool::Kubectl, os),
            checks::command("kind", Tool::Kind, os),
        ],
    }
}

/// The report, as printed.
pub fn report(mode: Mode, os: Os, checks: &[Check]) -> String {
    let mut out = format!(
        "odd-dashboard doctor: {} mode on {}\n\n",
        mode.name(),
        os.name()
    );
    for check in checks {
        let mark = if check.ok { "ok  " } else { "FAIL" };
        out.push_str(&format!("  [{mark}] {:<32} {}\n", check.what, check.found));
        if let Some(fix) = &check.fix {
            out.push_str(&format!("         fix: {fix}\n"));
        }
    }
    let problems = checks.iter().filter(|c| !c.ok).count();
    out.push('\n');
    match problems {
        0 => out.push_str(&format!("{}: ready\n", mode.name())),
        n => out.push_str(&format!("{}: not ready ({n} to fix)\n", mode.name())),
    }
    let others: Vec<String> = [Mode::AllInOne, Mode::Distributed, Mode::Cluster]
        .into_iter()
        .filter(|m| *m != mode)
        .map(|m| format!("--mode {}", m.name()))
        .collect();
    out.push_str(&format!(
        "Other modes: odd-dashboard doctor {}\n",
        others.join(" | ")
    ));
    out
}

/// Prints the report of `mode`; true when the mode can run.
pub fn run(mode: Mode, env: &Environment) -> bool {
    let os = Os::detect();
    let checks = checks(mode, env, os);
    print!("{}", report(mode, os, &checks));
    checks.iter().all(|c| c.ok)
}
