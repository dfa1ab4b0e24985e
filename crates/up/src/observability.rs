//! `odto up --observability`: Prometheus and Alertmanager as child processes, when they are
//! installed, configured from the files in `deploy/` (compiled in): the same rules and routes,
//! with the targets rewritten to this stack's ports. Their data lives in the data directory; they
//! stop with the stack.
//!
//! A child cannot be tied to this process's life without `unsafe` (no `prctl` here), so each one's
//! pid is written next to its data: a start after `odto up` was killed stops the leftovers first.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use crate::UpError;
use crate::stack::Addresses;

const PROMETHEUS_YML: &str = include_str!("../../../deploy/prometheus/prometheus.yml");
const ALERTMANAGER_YML: &str = include_str!("../../../deploy/alertmanager/alertmanager.yml");
/// The rule files, by the name `prometheus.yml` finds them under (`rules/`).
const RULE_FILES: &[(&str, &str)] = &[
    (
        "services.yml",
        include_str!("../../../deploy/prometheus/rules/services.yml"),
    ),
    (
        "jobs.yml",
        include_str!("../../../deploy/prometheus/rules/jobs.yml"),
    ),
    (
        "slo.yml",
        include_str!("../../../deploy/prometheus/rules/slo.yml"),
    ),
];
/// Where `prometheus.yml` starts its (last) job for the web terminal, dropped when it is off.
const WEB_JOB: &str = "  # The web terminal is optional";

/// How long a child has to stop after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Where Prometheus and Alertmanager listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObservabilityAddresses {
    pub prometheus: SocketAddr,
    pub alertmanager: SocketAddr,
}

/// Prometheus and Alertmanager, running for this stack.
#[derive(Debug)]
pub struct Observability {
    pub addresses: ObservabilityAddresses,
    children: Vec<(&'static str, Child)>,
}

/// Whichever of the two is not installed, and how to install it.
fn missing() -> Option<String> {
    let prometheus = on_path(&["prometheus"]);
    let alertmanager = on_path(&["prometheus-alertmanager", "alertmanager"]);
    match (prometheus, alertmanager) {
        (Some(_), Some(_)) => None,
        (None, None) => Some("Prometheus and Alertmanager".into()),
        (None, _) => Some("Prometheus".into()),
        (_, None) => Some("Alertmanager".into()),
    }
}

/// The first of `names` found on `PATH`.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

impl Observability {
    /// Starts both for a stack at `stack`, under `data_dir`; `None` (having said what to install)
    /// when either is missing, since the stack runs fine without them.
    pub async fn start(
        data_dir: &Path,
        stack: &Addresses,
        addresses: ObservabilityAddresses,
        progress: &dyn Fn(&str),
    ) -> Result<Option<Self>, UpError> {
        if let Some(what) = missing() {
            progress(&format!(
                "observability: {what} not installed, running without (Debian/Ubuntu: apt install \
                 prometheus prometheus-alertmanager)"
            ));
            return Ok(None);
        }
        let dir = data_dir.join("observability");
        let io = |source| UpError::DataDir {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir.join("rules")).map_err(io)?;
        stop_leftovers(&dir).await;

        let webhook_token = std::env::var("ODTO_ALERTS_WEBHOOK_TOKEN")
            .ok()
            .filter(|token| !token.is_empty());
        let files = [
            ("prometheus.yml", prometheus_config(stack, addresses)),
            (
                "alertmanager.yml",
                alertmanager_config(stack, webhook_token.as_deref()),
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).map_err(io)?;
        }
        for (name, text) in RULE_FILES {
            std::fs::write(dir.join("rules").join(name), text).map_err(io)?;
        }

        let prometheus = on_path(&["prometheus"]).expect("checked above");
        let alertmanager =
            on_path(&["prometheus-alertmanager", "alertmanager"]).expect("checked above");
        let mut children = Vec::new();
        let mut spawn = |name: &'static str, program: &Path, args: Vec<String>| {
            let log = std::fs::File::create(dir.join(format!("{name}.log")))?;
            let child = Command::new(program)
                .args(args)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .kill_on_drop(true)
                .spawn()?;
            if let Some(pid) = child.id() {
                std::fs::write(dir.join(format!("{name}.pid")), pid.to_string())?;
            }
            children.push((name, child));
            Ok::<_, std::io::Error>(())
        };
        let started = spawn(
            "alertmanager",
            &alertmanager,
            vec![
                format!("--config.file={}", dir.join("alertmanager.yml").display()),
                format!("--storage.path={}", dir.join("alertmanager").display()),
                format!("--web.listen-address={}", addresses.alertmanager),
                // One node: no gossip port to collide with anything.
                "--cluster.listen-address=".into(),
            ],
        )
        .and_then(|()| {
            // Alerts Prometheus fires before Alertmanager listens are dropped, and sent again only
            // a minute later.
            wait_for_port(addresses.alertmanager);
            spawn(
                "prometheus",
                &prometheus,
                vec![
                    format!("--config.file={}", dir.join("prometheus.yml").display()),
                    format!("--storage.tsdb.path={}", dir.join("prometheus").display()),
                    format!("--web.listen-address={}", addresses.prometheus),
                    "--storage.tsdb.retention.time=15d".into(),
                ],
            )
        });
        let mut observability = Self {
            addresses,
            children,
        };
        if let Err(error) = started {
            observability.stop().await;
            return Err(UpError::service("observability", error));
        }
        progress(&format!(
            "observability: Prometheus http://{}, Alertmanager http://{} (logs in {})",
            addresses.prometheus,
            addresses.alertmanager,
            dir.display()
        ));
        Ok(Some(observability))
    }

    /// SIGTERM to each, then SIGKILL to any still running after the grace.
    pub async fn stop(&mut self) {
        for (name, child) in &mut self.children {
            if let Some(pid) = child.id() {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
            }
            match tokio::time::timeout(STOP_GRACE, child.wait()).await {
                Ok(_) => tracing::debug!(name, "stopped"),
                Err(_) => {
                    tracing::warn!(name, "did not stop within the grace; killing it");
                    let _ = child.kill().await;
                }
            }
        }
        self.children.clear();
    }
}

/// Waits, for at most a few seconds, until something accepts connections at `addr`.
fn wait_for_port(addr: SocketAddr) {
    for _ in 0..50 {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Children of an `odto up` that was killed: their pid files are still there, and the process
/// with that pid runs with a config file of this directory.
async fn stop_leftovers(dir: &Path) {
    for name in ["prometheus", "alertmanager"] {
        let file = dir.join(format!("{name}.pid"));
        let Some(pid) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok())
        else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let ours = String::from_utf8_lossy(&cmdline).contains(&*dir.to_string_lossy());
        if ours {
            tracing::info!(name, pid, "stopping a leftover of an earlier odto up");
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            for _ in 0..50 {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = std::fs::remove_file(&file);
    }
}

/// `deploy/prometheus/prometheus.yml` with its targets (the distributed mode's default ports on
/// localhost) pointed at this stack.
fn prometheus_config(stack: &Addresses, at: ObservabilityAddresses) -> String {
    let mut targets = vec![
        ("localhost:3000", stack.gateway.to_string()),
        ("localhost:8080", stack.read_model.to_string()),
        ("localhost:9101", stack.processor.to_string()),
        ("localhost:9102", stack.metrics_engine.to_string()),
        ("localhost:9093", at.alertmanager.to_string()),
        ("localhost:9090", at.prometheus.to_string()),
    ];
    let config = match stack.web {
        Some(web) => {
            targets.push(("localhost:8081", web.to_string()));
            PROMETHEUS_YML
        }
        // Else its target would be down, and its alert firing, for as long as the stack runs.
        None => PROMETHEUS_YML
            .split_once(WEB_JOB)
            .map_or(PROMETHEUS_YML, |(before, _)| before.trim_end()),
    };
    rewrite(config, &targets)
}

/// `deploy/alertmanager/alertmanager.yml` sending to this stack's read model, with the webhook's
/// token when the read model requires one.
fn alertmanager_config(stack: &Addresses, token: Option<&str>) -> String {
    let read_model = [("localhost:8080", stack.read_model.to_string())];
    let mut text = rewrite(ALERTMANAGER_YML, &read_model);
    if let Some(token) = token {
        let commented = "        # http_config:\n        #   authorization:\n        #     credentials: <ODTO_ALERTS_WEBHOOK_TOKEN>\n";
        // YAML's single quotes take everything literally but a quote, which is doubled.
        let quoted = format!("'{}'", token.replace('\'', "''"));
        let enabled = format!(
            "        http_config:\n          authorization:\n            credentials: {quoted}\n"
        );
        text = text.replace(commented, &enabled);
    }
    text
}

fn rewrite(text: &str, targets: &[(&str, String)]) -> String {
    targets
        .iter()
        .fold(text.to_owned(), |text, (from, to)| text.replace(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack() -> Addresses {
        let at = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        Addresses {
            gateway: at(13000),
            read_model: at(18080),
            processor: at(19101),
            metrics_engine: at(19102),
            web: Some(at(18081)),
            observability: None,
        }
    }

    #[test]
    fn every_target_is_this_stacks_own() {
        let at = ObservabilityAddresses {
            prometheus: "127.0.0.1:19090".parse().unwrap(),
            alertmanager: "127.0.0.1:19093".parse().unwrap(),
        };
        let config = prometheus_config(&stack(), at);
        assert!(!config.contains("localhost:"), "{config}");
        for port in [13000, 18080, 19101, 19102, 18081, 19093] {
            assert!(
                config.contains(&format!("127.0.0.1:{port}")),
                "{port}: {config}"
            );
        }
    }

    #[test]
    fn without_the_web_terminal_there_is_no_job_for_it() {
        let at = ObservabilityAddresses {
            prometheus: "127.0.0.1:19090".parse().unwrap(),
            alertmanager: "127.0.0.1:19093".parse().unwrap(),
        };
        let stack = Addresses {
            web: None,
            ..stack()
        };
        let config = prometheus_config(&stack, at);
        assert!(!config.contains("job_name: web"), "{config}");
        assert!(!config.contains("localhost:"), "{config}");
        assert!(config.contains("job_name: alertmanager"), "{config}");
    }

    #[test]
    fn alerts_go_to_this_stacks_read_model_with_its_token() {
        let open = alertmanager_config(&stack(), None);
        assert!(
            open.contains("http://127.0.0.1:18080/alerts/webhook"),
            "{open}"
        );
        assert!(!open.contains("\n        http_config:"), "{open}");
        let guarded = alertmanager_config(&stack(), Some("s3cret"));
        assert!(guarded.contains("credentials: 's3cret'"), "{guarded}");
    }
}
