//! The web terminal's failures: why it could not start, and why a connection got no session
//! (answered to it as an `error` frame with the reference's code, then closed).

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::protocol::ErrorCode;

/// Why the web terminal could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "no dashboard binary at {0} (build it with `cargo build -p odd-dashboard`, or name it with \
         --dashboard-bin / ODTO_WEB_DASHBOARD_BIN)"
    )]
    NoDashboard(PathBuf),
    #[error("invalid settings: {0}")]
    Config(String),
}

/// Why a connection could not start or re-attach to a session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the first frame must be resize (a new session) or reconnect: {0}")]
    FirstFrame(String),
    #[error("no session {0}")]
    NotFound(String),
    #[error("the reconnect token is wrong, used or expired")]
    InvalidToken,
    #[error("the dashboard could not be started: {0}")]
    Spawn(std::io::Error),
    #[error("the web terminal holds as many sessions as it may ({0}); try again later")]
    GlobalCap(usize),
    #[error("this client holds as many sessions as it may ({0}); close one")]
    PerClientCap(usize),
}

impl SessionError {
    /// The code of the `error` frame.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::FirstFrame(_) => ErrorCode::InternalError,
            Self::NotFound(_) => ErrorCode::SessionNotFound,
            Self::InvalidToken => ErrorCode::InvalidToken,
            Self::Spawn(_) => ErrorCode::PtySpawnFailed,
            Self::GlobalCap(_) => ErrorCode::GlobalCap,
            Self::PerClientCap(_) => ErrorCode::PerIpCap,
        }
    }
}
