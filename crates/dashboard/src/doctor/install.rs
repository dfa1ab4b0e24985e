//! How to install what the doctor found missing, per operating system.

/// The operating systems the hints know, from `std::env::consts::OS` and `/etc/os-release`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    Debian,
    Fedora,
    Arch,
    Alpine,
    OtherLinux,
    MacOs,
    Windows,
    Other,
}

impl Os {
    pub fn detect() -> Os {
        let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        Os::from(std::env::consts::OS, &release)
    }

    /// `os` is `std::env::consts::OS`; `release` the text of `/etc/os-release`.
    pub fn from(os: &str, release: &str) -> Os {
        match os {
            "macos" => return Os::MacOs,
            "windows" => return Os::Windows,
            "linux" => {}
            _ => return Os::Other,
        }
        let ids: Vec<&str> = release
            .lines()
            .filter_map(|line| {
                line.strip_prefix("ID=")
                    .or_else(|| line.strip_prefix("ID_LIKE="))
            })
            .flat_map(|value| value.trim_matches('"').split_whitespace())
            .collect();
        let has = |names: &[&str]| ids.iter().any(|id| names.contains(id));
        match () {
            _ if has(&["debian", "ubuntu"]) => Os::Debian,
            _ if has(&["fedora", "rhel", "centos"]) => Os::Fedora,
            _ if has(&["arch"]) => Os::Arch,
            _ if has(&["alpine"]) => Os::Alpine,
            _ => Os::OtherLinux,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Os::Debian => "Debian/Ubuntu",
            Os::Fedora => "Fedora/RHEL",
            Os::Arch => "Arch Linux",
            Os::Alpine => "Alpine Linux",
            Os::OtherLinux => "Linux",
            Os::MacOs => "macOS",
            Os::Windows => "Windows",
            Os::Other => "this system",
        }
    }
}

/// What the doctor may find missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Odto,
    RabbitMq,
    Postgres,
    Redis,
    Docker,
    Kubectl,
    Kind,
}

/// The command (or steps) that installs `tool` on `os`.
pub fn hint(tool: Tool, os: Os) -> String {
    use Os::*;
    let package =
        |debian: &str, fedora: &str, arch: &str, alpine: &str, mac: &str, windows: &str| match os {
            Debian => format!("sudo apt-get install -y {debian}"),
            Fedora => format!("sudo dnf install -y {fedora}"),
            Arch => format!("sudo pacman -S {arch}"),
            Alpine => format!("sudo apk add {alpine}"),
            MacOs => format!("brew install {mac}"),
            Windows => format!("winget install {windows}"),
            OtherLinux | Other => format!("install {debian} with your package manager"),
        };
    match tool {
        Tool::Odto => {
            "from the repository: cargo build --release -p odto, then put target/release/odto \
                       on PATH or next to odd-dashboard (or set ODTO_BIN)"
                .into()
        }
        Tool::RabbitMq => {
            package(
                "rabbitmq-server",
                "rabbitmq-server",
                "rabbitmq",
                "rabbitmq-server",
                "rabbitmq",
                "RabbitMQ.RabbitMQServer",
            ) + &service_hint(os, "rabbitmq-server", "rabbitmq")
        }
        Tool::Postgres => {
            package(
                "postgresql",
                "postgresql-server",
                "postgresql",
                "postgresql",
                "postgresql@16",
                "PostgreSQL.PostgreSQL.16",
            ) + &service_hint(os, "postgresql", "postgresql@16")
        }
        Tool::Redis => {
            package(
                "redis-server",
                "redis",
                "redis",
                "redis",
                "redis",
                "Redis.Redis",
            ) + &service_hint(os, "redis-server", "redis")
        }
        Tool::Docker => package(
            "docker.io",
            "moby-engine",
            "docker",
            "docker",
            "--cask docker",
            "Docker.DockerDesktop",
        ),
        Tool::Kubectl => package(
            "kubernetes-client",
            "kubernetes-client",
            "kubectl",
            "kubectl",
            "kubectl",
            "Kubernetes.kubectl",
        ),
        Tool::Kind => match os {
            MacOs => "brew install kind".into(),
            Windows => "winget install Kubernetes.kind".into(),
            _ => "go install sigs.k8s.io/kind@latest (needs Go), or download a release of kind"
                .into(),
        },
    }
}

/// How to start a service once installed.
fn service_hint(os: Os, systemd_unit: &str, brew_formula: &str) -> String {
    match os {
        Os::MacOs => format!(", then brew services start {brew_formula}"),
        Os::Windows => String::new(),
        _ => format!(", then sudo systemctl start {systemd_unit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_distribution_is_read_from_os_release() {
        let ubuntu = "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n";
        assert_eq!(Os::from("linux", ubuntu), Os::Debian);
        assert_eq!(
            Os::from("linux", "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n"),
            Os::Fedora
        );
        assert_eq!(Os::from("linux", ""), Os::OtherLinux);
        assert_eq!(Os::from("macos", ubuntu), Os::MacOs);
    }

    #[test]
    fn hints_use_the_systems_own_package_manager() {
        assert!(hint(Tool::Redis, Os::Debian).starts_with("sudo apt-get install -y redis-server"));
        assert!(hint(Tool::Postgres, Os::MacOs).contains("brew services start postgresql@16"));
        assert!(hint(Tool::Kubectl, Os::Fedora).starts_with("sudo dnf install"));
        assert!(hint(Tool::Odto, Os::Windows).contains("cargo build --release -p odto"));
    }
}
