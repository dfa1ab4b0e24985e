//! `odto web`: the terminal dashboard in the browser. The service runs `odd-dashboard` in a
//! pseudo-terminal and streams it over a WebSocket to an xterm.js page; a dropped connection
//! re-attaches to the same dashboard process and gets every frame it missed.
//!
//! Built so far:
//!
//! - [`pty`]: the dashboard (or any program) in a pseudo-terminal, resized with the window,
//!   killed with its [`pty::Terminal`].
//! - [`protocol`]: the wire protocol, JSON text frames tagged by `type`, compatible with the
//!   reference's page.
//! - [`session`]: sessions that survive a dropped connection: one dashboard each, its frames
//!   numbered and kept for replay, a model of its screen for a client that missed too much.
//! - [`replay`]: the bounded buffer of numbered output frames a re-attaching client is replayed
//!   from.
//! - [`utf8`]: turning PTY bytes into text frames without splitting a character.
//!
//! Still to come (see the README's status): the service itself (sessions over a PTY, the
//! page, authentication, caps, read-only mode, the fallback view) and `odto web`.

pub mod protocol;
pub mod pty;
pub mod replay;
pub mod session;
pub mod utf8;
