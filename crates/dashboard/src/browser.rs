//! Opening a web UI: a browser where there is one, the address on screen where there is not
//! (over SSH, without a display, in server mode where the user's browser is elsewhere).

use std::process::Stdio;

use tokio::process::{Child, Command};

/// How an address is opened.
#[derive(Debug)]
pub enum Opening {
    /// A browser launcher was started.
    Launched(Child),
    /// No browser here: show the address, for this reason.
    Shown(String),
}

pub fn open(url: &str, server_mode: bool) -> Opening {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let program = match launcher(&env, std::env::consts::OS, server_mode) {
        Ok(program) => program,
        Err(reason) => return Opening::Shown(reason),
    };
    let mut command = Command::new(program[0]);
    command
        .args(&program[1..])
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match command.spawn() {
        Ok(child) => Opening::Launched(child),
        Err(error) => Opening::Shown(format!("{} failed: {error}", program[0])),
    }
}

/// The command that opens a URL here, or why there is none.
pub fn launcher(
    env: &dyn Fn(&str) -> Option<String>,
    os: &str,
    server_mode: bool,
) -> Result<&'static [&'static str], String> {
    if server_mode {
        return Err("server mode: open it in your own browser".into());
    }
    if env("SSH_CONNECTION").is_some() || env("SSH_TTY").is_some() {
        return Err("over SSH".into());
    }
    match os {
        "macos" => Ok(&["open"]),
        "windows" => Ok(&["cmd", "/C", "start", ""]),
        _ if env("DISPLAY").is_none() && env("WAYLAND_DISPLAY").is_none() => {
            Err("no display".into())
        }
        _ => Ok(&["xdg-open"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn a_desktop_gets_a_browser_and_ssh_headless_and_server_mode_get_the_address() {
        let desktop = env_of(&[("DISPLAY", ":0")]);
        assert_eq!(launcher(&desktop, "linux", false), Ok(&["xdg-open"][..]));
        assert_eq!(launcher(&env_of(&[]), "macos", false), Ok(&["open"][..]));
        let ssh = env_of(&[
            ("DISPLAY", ":0"),
            ("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 22"),
        ]);
        assert_eq!(launcher(&ssh, "linux", false), Err("over SSH".into()));
        assert_eq!(
            launcher(&env_of(&[]), "linux", false),
            Err("no display".into())
        );
        assert!(launcher(&desktop, "linux", true).is_err());
    }
}
