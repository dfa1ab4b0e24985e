//! The web terminal's HTTP side: every route in [`router`]. `/ws` speaks the [`protocol`]; the
//! probes come from `odto_http`.
//!
//! [`protocol`]: crate::protocol

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use odto_http::{ApiError, Readiness, instrument};
use serde::Deserialize;

use crate::auth::{Auth, COOKIE_LIFETIME, COOKIE_NAME};
use crate::error::SessionError;
use crate::guard::{self, Cidr};
use crate::metrics::WebMetrics;
use crate::page;
use crate::protocol::{ClientMessage, ErrorCode, ServerMessage};
use crate::pty::Size;
use crate::session::{Attached, Sessions};

/// How long a new connection may take to say what it wants.
const FIRST_FRAME: Duration = Duration::from_secs(10);
/// How long `/readyz` waits for the read model.
const READ_MODEL_CHECK: Duration = Duration::from_secs(1);

/// Everything a handler needs.
#[derive(Clone, Debug)]
pub struct AppState {
    pub sessions: Arc<Sessions>,
    pub metrics: WebMetrics,
    /// Where the dashboard reads from, for `/readyz`.
    pub read_model_url: String,
    /// The dashboard's binary, for `/readyz` (it may be removed, e.g. by an upgrade).
    pub dashboard: std::path::PathBuf,
    pub client: reqwest::Client,
    /// Origins besides our own whose pages may open `/ws`.
    pub allowed_origins: Arc<[String]>,
    /// Only navigation keys reach the dashboard.
    pub read_only: bool,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<[Cidr]>,
    /// How often a connection is pinged; one silent for two intervals is dropped.
    pub keepalive: Duration,
    pub auth: Arc<Auth>,
}

/// The body of `POST /auth`.
#[derive(Debug, Deserialize)]
struct Login {
    token: String,
}

/// Every route of the web terminal.
pub fn router(state: AppState) -> Router {
    let metrics = state.metrics.service.clone();
    let routes = Router::new()
        .route("/ws", get(upgrade))
        .route("/auth", post(login))
        .route("/", get(page::index))
        .route("/app.js", get(page::script))
        .route("/app.css", get(page::stylesheet))
        .route("/summary", get(page::summary))
        .with_state(state.clone())
        .merge(odto_http::probes_route(
            "web",
            metrics.clone(),
            Arc::new(state),
        ))
        .fallback(odto_http::route_not_found)
        .method_not_allowed_fallback(odto_http::method_not_allowed);
    instrument(routes, metrics)
}

/// Ready while the dashboard's binary is there and the read model answers (without it the
/// dashboard shows nothing).
#[async_trait]
impl Readiness for AppState {
    async fn check(&self) -> Vec<(&'static str, bool)> {
        let url = format!("{}/healthz", self.read_model_url);
        let answered = self.client.get(url).timeout(READ_MODEL_CHECK).send().await;
        let up = answered.is_ok_and(|response| response.status().is_success());
        vec![("dashboard", self.dashboard.is_file()), ("read-model", up)]
    }

    /// Readiness, and the sessions alive as of this scrape.
    async fn refresh_metrics(&self) {
        self.check().await;
        self.metrics.set_sessions_active(self.sessions.count());
    }
}

/// `GET /ws`: the WebSocket of one browser tab, if its page may open it.
async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !guard::origin_allowed(&headers, &state.allowed_origins) {
        let message =
            "pages of this origin may not open the web terminal (ODTO_WEB_ALLOWED_ORIGINS)";
        return ApiError::new(StatusCode::FORBIDDEN, "origin_not_allowed", message).into_response();
    }
    let client = guard::client_address(peer.ip(), &headers, &state.trusted_proxies);
    let allowed = state.auth.check(&headers);
    upgrade.on_upgrade(move |socket| async move {
        match allowed {
            Ok(()) => connection(state, socket, client).await,
            Err(ErrorCode::AuthRequired) => {
                refuse(&state, socket, ErrorCode::AuthRequired, AUTH_HINT).await
            }
            Err(code) => refuse(&state, socket, code, "wrong token").await,
        }
    })
}

/// `POST /auth` with `{"token": "…"}`: the session cookie for a page, if the token is right.
async fn login(
    State(state): State<AppState>,
    body: Result<Json<Login>, JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(rejection) => return ApiError::from(rejection).into_response(),
    };
    match state.auth.login(&body.token) {
        None => {
            ApiError::new(StatusCode::UNAUTHORIZED, "auth_failed", "wrong token").into_response()
        }
        Some(None) => StatusCode::NO_CONTENT.into_response(),
        Some(Some(cookie)) => {
            let max_age = COOKIE_LIFETIME.as_secs();
            let value = format!(
                "{COOKIE_NAME}={cookie}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}"
            );
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(SET_COOKIE, value);
            }
            response
        }
    }
}

/// The answer to a plain request (not the WebSocket) without the right token.
pub(crate) fn auth_refusal(code: ErrorCode) -> ApiError {
    match code {
        ErrorCode::AuthRequired => {
            ApiError::new(StatusCode::UNAUTHORIZED, "auth_required", AUTH_HINT)
        }
        _ => ApiError::new(StatusCode::UNAUTHORIZED, "auth_failed", "wrong token"),
    }
}

const AUTH_HINT: &str = "this web terminal needs its token: send Authorization: Bearer <token>, \
                         or log in with POST /auth";

/// Answers a connection that may not have a session with `code`, then closes it.
async fn refuse(state: &AppState, mut socket: WebSocket, code: ErrorCode, message: &str) {
    state.metrics.session_rejected(code);
    let refusal = ServerMessage::Error {
        message: message.to_owned(),
        code,
    };
    let _ = socket.send(Message::text(refusal.to_frame())).await;
    let _ = socket.send(Message::Close(None)).await;
}

/// One connection: its first frame starts or re-attaches a session, then frames flow both ways
/// until either side closes. The session outlives the connection.
async fn connection(state: AppState, mut socket: WebSocket, client: IpAddr) {
    let attached = match tokio::time::timeout(FIRST_FRAME, next_text(&mut socket)).await {
        Ok(Some(frame)) => attach(&state, &frame, client),
        Ok(None) => return,
        Err(_) => Err(SessionError::FirstFrame(format!(
            "none within {FIRST_FRAME:?}"
        ))),
    };
    match attached {
        Ok(attached) => serve(socket, attached, &state).await,
        Err(error) => {
            tracing::info!(%error, "a connection got no session");
            refuse(&state, socket, error.code(), &error.to_string()).await;
        }
    }
}

fn attach(state: &AppState, frame: &str, client: IpAddr) -> Result<Attached, SessionError> {
    match ClientMessage::parse(frame).map_err(SessionError::FirstFrame)? {
        ClientMessage::Resize { cols, rows } => {
            let attached = state.sessions.create(Size { cols, rows }, client)?;
            state.metrics.session_started();
            Ok(attached)
        }
        ClientMessage::Reconnect {
            session,
            token,
            last_seq,
        } => {
            let attached = state
                .sessions
                .reattach(&session, &token, last_seq.unwrap_or(0))?;
            let metrics = &state.metrics;
            metrics.session_reattached(attached.replayed, attached.truncated);
            Ok(attached)
        }
        other => Err(SessionError::FirstFrame(format!("got {other:?}"))),
    }
}

/// Relays frames until the browser or the session ends the connection.
async fn serve(mut socket: WebSocket, mut attached: Attached, state: &AppState) {
    let read_only = state.read_only;
    let session = attached.session.clone();
    let mut keepalive = tokio::time::interval(state.keepalive);
    keepalive.tick().await;
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            _ = keepalive.tick() => {
                // Two intervals without a frame (pongs included): the peer is gone, though its
                // TCP connection may never say so. The session waits for a reconnect.
                if heard.elapsed() >= state.keepalive * 2 {
                    tracing::info!(session = %session.id(), "no answer to pings; dropping the connection");
                    break;
                }
                if socket.send(Message::Ping(Bytes::new())).await.is_err() {
                    break;
                }
            }
            frame = attached.frames.recv() => {
                let Some(frame) = frame else {
                    // Detached by the session (this client fell too far behind): it reconnects
                    // and gets what it missed.
                    break;
                };
                let last = matches!(frame, ServerMessage::Error { .. });
                if let ServerMessage::Output { data, .. } = &frame {
                    state.metrics.output_sent(data.len());
                }
                if socket.send(Message::text(frame.to_frame())).await.is_err() || last {
                    break;
                }
            }
            incoming = socket.recv() => {
                heard = Instant::now();
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    // Pings are answered by axum; binary frames are not part of the protocol.
                    Some(Ok(_)) => continue,
                };
                let reply = match ClientMessage::parse(text.as_str()) {
                    Ok(ClientMessage::Input { data }) if read_only && !guard::read_only_allows(&data) => {
                        state.metrics.read_only_dropped();
                        Some(ServerMessage::Notice {
                            message: "read-only: only navigation keys work here".into(),
                        })
                    }
                    Ok(ClientMessage::Input { data }) => session.input(&data).err().map(notice),
                    Ok(ClientMessage::Resize { cols, rows }) => {
                        session.resize(Size { cols, rows }).err().map(notice)
                    }
                    Ok(ClientMessage::Ping) => Some(ServerMessage::Pong),
                    Ok(ClientMessage::Reconnect { .. }) => Some(ServerMessage::Notice {
                        message: "this connection is attached already".into(),
                    }),
                    Err(why) => Some(ServerMessage::Notice { message: why }),
                };
                if let Some(reply) = reply
                    && socket.send(Message::text(reply.to_frame())).await.is_err()
                {
                    break;
                }
            }
        }
    }
    session.detach(attached.attachment);
}

fn notice(error: std::io::Error) -> ServerMessage {
    ServerMessage::Notice {
        message: format!("the terminal refused it: {error}"),
    }
}

/// The next text frame, or `None` once the connection is closed.
async fn next_text(socket: &mut WebSocket) -> Option<String> {
    loop {
        match socket.recv().await? {
            Ok(Message::Text(text)) => return Some(text.as_str().to_owned()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}
