//! Sessions: one dashboard in a pseudo-terminal each, numbered output frames, and at most one
//! attached connection. A dropped connection leaves the session running for a grace period;
//! `reconnect` with the single-use token re-attaches to the same dashboard and gets every frame
//! it missed, or, when those are gone, the whole screen.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use uuid::Uuid;

use crate::error::SessionError;
use crate::protocol::{ErrorCode, ServerMessage};
use crate::pty::{Program, Size, Terminal};
use crate::replay::{Missed, Replay};

/// How long output is gathered into one frame: a redraw arrives in several reads.
const COALESCE: Duration = Duration::from_millis(4);
/// Text chunks from the terminal waiting to be framed.
const TERMINAL_QUEUE: usize = 64;

/// How sessions run.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// The dashboard and its arguments.
    pub program: Program,
    /// How long a session without a connection lives on.
    pub grace: Duration,
    /// Frames kept for replay (at most; see [`Replay`]).
    pub replay_frames: usize,
    /// Bytes kept for replay (at most).
    pub replay_bytes: usize,
    /// Frames queued for one connection; a client that falls further behind is detached and
    /// re-attaches with a replay or the whole screen.
    pub client_queue: usize,
    /// Most sessions at once, and most per client address. A session holds its slot until it
    /// ends (its grace period over), however its connection ended.
    pub global_cap: usize,
    pub per_client_cap: usize,
    /// A session nobody typed into for this long ends, attached or not.
    pub idle_timeout: Duration,
}

/// Every session of this server.
#[derive(Debug)]
pub struct Sessions {
    settings: SessionSettings,
    live: Mutex<HashMap<String, Arc<Session>>>,
}

/// A session's dashboard and what was sent from it.
pub struct Session {
    id: String,
    /// Who started it, for the per-client cap.
    client: IpAddr,
    terminal: Mutex<Terminal>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

struct State {
    /// The token that re-attaches once; replaced on every attach.
    token: String,
    replay: Replay,
    /// The screen as the dashboard drew it, for a client that needs all of it.
    screen: vt100::Parser,
    /// The attached connection: its number and its queue.
    client: Option<(u64, mpsc::Sender<ServerMessage>)>,
    /// The number of the next connection to attach.
    next_attachment: u64,
    /// Since when no connection is attached.
    detached_since: Option<Instant>,
    /// When the last input (or the start, or a re-attach) was.
    active_at: Instant,
}

/// A connection attached to a session: its frames arrive on `frames`, the first ones being
/// `session` or `reconnected` and what it missed.
#[derive(Debug)]
pub struct Attached {
    pub session: Arc<Session>,
    pub frames: mpsc::Receiver<ServerMessage>,
    /// Which attachment this is, for [`Session::detach`].
    pub attachment: u64,
    /// Frames sent again to this connection, and frames it missed that were gone.
    pub replayed: u64,
    pub truncated: u64,
}

impl Sessions {
    pub fn new(settings: SessionSettings) -> Arc<Self> {
        Arc::new(Self {
            settings,
            live: Mutex::default(),
        })
    }

    /// Starts a dashboard at `size` for `client` and attaches the caller to it, unless the
    /// server or that client holds as many sessions as it may.
    pub fn create(self: &Arc<Self>, size: Size, client: IpAddr) -> Result<Attached, SessionError> {
        // Held until the session is in the map, so that two creates cannot both take a last slot.
        let mut live = lock(&self.live);
        let settings = &self.settings;
        if live.len() >= settings.global_cap {
            return Err(SessionError::GlobalCap(settings.global_cap));
        }
        if live.values().filter(|s| s.client == client).count() >= settings.per_client_cap {
            return Err(SessionError::PerClientCap(settings.per_client_cap));
        }
        let (output, chunks) = mpsc::channel(TERMINAL_QUEUE);
        let terminal =
            Terminal::spawn(&self.settings.program, size, output).map_err(SessionError::Spawn)?;
        let id = Uuid::new_v4().to_string();
        let token = new_token();
        let (queue, frames) = mpsc::channel(self.settings.client_queue.max(8));
        let first = ServerMessage::Session {
            session_id: id.clone(),
            reconnect_token: token.clone(),
        };
        let _ = queue.try_send(first);
        let session = Arc::new(Session {
            id: id.clone(),
            client,
            terminal: Mutex::new(terminal),
            state: Mutex::new(State {
                token,
                replay: Replay::new(self.settings.replay_frames, self.settings.replay_bytes),
                screen: vt100::Parser::new(size.rows.max(1), size.cols.max(1), 0),
                client: Some((0, queue)),
                next_attachment: 1,
                detached_since: None,
                active_at: Instant::now(),
            }),
        });
        live.insert(id, session.clone());
        drop(live);
        tokio::spawn(pump(Arc::downgrade(self), Arc::downgrade(&session), chunks));
        Ok(Attached {
            session,
            frames,
            attachment: 0,
            replayed: 0,
            truncated: 0,
        })
    }

    /// Re-attaches to session `id` with its single-use `token`: the client gets `reconnected`
    /// with a fresh token, then every frame after `last_seq` between `replay_begin` and
    /// `replay_end`, or, when those are gone (or `last_seq` is 0), `buffer_truncated` and the
    /// whole screen as one frame. A connection still attached is detached.
    pub fn reattach(&self, id: &str, token: &str, last_seq: u64) -> Result<Attached, SessionError> {
        let session = lock(&self.live)
            .get(id)
            .cloned()
            .ok_or_else(|| SessionError::NotFound(id.to_owned()))?;
        let mut state = lock(&session.state);
        if !same_secret(&state.token, token) {
            return Err(SessionError::InvalidToken);
        }
        state.token = new_token();
        let mut messages = vec![ServerMessage::Reconnected {
            session_id: session.id.clone(),
            reconnect_token: state.token.clone(),
        }];
        let (mut replayed, mut truncated) = (0, 0);
        match state.replay.after(last_seq) {
            Missed::Frames(frames) => {
                replayed = frames.len() as u64;
                messages.push(ServerMessage::ReplayBegin {
                    from_seq: last_seq + 1,
                });
                messages.extend(frames.into_iter().map(|frame| ServerMessage::Output {
                    data: frame.data.clone(),
                    seq: frame.seq,
                }));
                messages.push(ServerMessage::ReplayEnd {
                    last_seq: state.replay.last_seq(),
                });
            }
            Missed::Truncated { frames_dropped } => {
                truncated = frames_dropped;
                messages.push(ServerMessage::BufferTruncated { frames_dropped });
                messages.push(ServerMessage::Output {
                    data: snapshot(&state.screen),
                    seq: state.replay.last_seq(),
                });
            }
        }
        let (client, frames) = mpsc::channel(messages.len() + self.settings.client_queue.max(8));
        for message in messages {
            let _ = client.try_send(message);
        }
        let attachment = state.next_attachment;
        state.next_attachment += 1;
        state.client = Some((attachment, client));
        state.detached_since = None;
        state.active_at = Instant::now();
        drop(state);
        Ok(Attached {
            session,
            frames,
            attachment,
            replayed,
            truncated,
        })
    }

    /// Ends sessions whose connection has been gone longer than the grace period, and those
    /// nobody typed into for the idle timeout (their connection is told); their dashboards
    /// stop. Returns how many ended.
    pub fn reap(&self, now: Instant) -> usize {
        let SessionSettings {
            grace,
            idle_timeout,
            ..
        } = self.settings;
        // Taken out under the lock, dropped (which stops their dashboards) after it.
        let ended: Vec<_> = lock(&self.live)
            .extract_if(|_, session| {
                let mut state = lock(&session.state);
                let gone = state
                    .detached_since
                    .is_some_and(|since| now.duration_since(since) >= grace);
                let idle = now.duration_since(state.active_at) >= idle_timeout;
                if idle && let Some((_, client)) = state.client.take() {
                    let seconds = idle_timeout.as_secs();
                    let _ = client.try_send(ServerMessage::Notice {
                        message: format!("the session ended after {seconds} s without input"),
                    });
                }
                gone || idle
            })
            .collect();
        ended.len()
    }

    /// Sessions alive (attached or within their grace period).
    pub fn count(&self) -> usize {
        lock(&self.live).len()
    }

    fn end(&self, id: &str) {
        lock(&self.live).remove(id);
    }

    /// Ends every session: their dashboards stop once no connection holds them, and every
    /// connection is told.
    pub fn end_all(&self) {
        let ended: Vec<Arc<Session>> = lock(&self.live).drain().map(|(_, s)| s).collect();
        for session in ended {
            if let Some((_, client)) = lock(&session.state).client.take() {
                let _ = client.try_send(ServerMessage::Error {
                    message: "the web terminal is stopping".into(),
                    code: ErrorCode::InternalError,
                });
            }
        }
    }
}

impl Session {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The dashboard's process id, while it runs.
    pub fn process_id(&self) -> Option<u32> {
        lock(&self.terminal).process_id()
    }

    /// Types `data` into the dashboard.
    pub fn input(&self, data: &str) -> std::io::Result<()> {
        lock(&self.state).active_at = Instant::now();
        lock(&self.terminal).write(data.as_bytes())
    }

    /// Resizes the terminal (and the server's model of the screen).
    pub fn resize(&self, size: Size) -> std::io::Result<()> {
        lock(&self.state)
            .screen
            .screen_mut()
            .set_size(size.rows.max(1), size.cols.max(1));
        lock(&self.terminal).resize(size)
    }

    /// Detaches connection `attachment` if it is still the attached one; the grace period
    /// starts.
    pub fn detach(&self, attachment: u64) {
        let mut state = lock(&self.state);
        if state
            .client
            .as_ref()
            .is_some_and(|(id, _)| *id == attachment)
        {
            state.client = None;
            state.detached_since = Some(Instant::now());
        }
    }
}

/// Frames the dashboard's output: gathers what arrives within [`COALESCE`], numbers it, keeps
/// it for replay and the screen model, and sends it to the attached connection. Ends the
/// session when the dashboard exits. It holds the session weakly: a session nobody holds any
/// more (reaped, or its server gone) is dropped, which stops its dashboard and so this task.
async fn pump(
    sessions: Weak<Sessions>,
    session: Weak<Session>,
    mut chunks: mpsc::Receiver<String>,
) {
    while let Some(mut data) = chunks.recv().await {
        let deadline = tokio::time::Instant::now() + COALESCE;
        while let Ok(Some(more)) = tokio::time::timeout_at(deadline, chunks.recv()).await {
            data.push_str(&more);
        }
        let Some(session) = session.upgrade() else {
            return;
        };
        let mut state = lock(&session.state);
        state.screen.process(data.as_bytes());
        let seq = state.replay.push(data.clone());
        if let Some((_, client)) = &state.client {
            match client.try_send(ServerMessage::Output { data, seq }) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) | Err(TrySendError::Closed(_)) => {
                    // Too far behind (or gone): it re-attaches and gets a replay or a snapshot.
                    state.client = None;
                    state.detached_since = Some(Instant::now());
                }
            }
        }
    }
    let Some(session) = session.upgrade() else {
        return;
    };
    tracing::info!(session = %session.id, "the dashboard exited; the session ends");
    if let Some((_, client)) = lock(&session.state).client.take() {
        let _ = client.try_send(ServerMessage::Error {
            message: "the dashboard exited".into(),
            code: ErrorCode::InternalError,
        });
    }
    if let Some(sessions) = sessions.upgrade() {
        sessions.end(&session.id);
    }
}

/// The screen as escape sequences that redraw it on an empty terminal.
fn snapshot(screen: &vt100::Parser) -> String {
    String::from_utf8_lossy(&screen.screen().state_formatted()).into_owned()
}

/// 244 random bits, as 64 hex digits.
pub(crate) fn new_token() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// Compares secrets in time that depends only on their lengths.
pub fn same_secret(expected: &str, given: &str) -> bool {
    let (expected, given) = (expected.as_bytes(), given.as_bytes());
    expected.len() == given.len()
        && expected
            .iter()
            .zip(given)
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
