//! `odto web` over a real WebSocket, running the real dashboard against a real stack (`odto up`'s
//! services, in process): a first `resize` starts a session whose screen arrives as numbered
//! frames; a dropped connection re-attaches with `reconnect` to the same dashboard (its open help
//! intact) without a gap; a used token and a frame of another protocol are refused with the
//! reference's codes.

mod support;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use odto_up::{Stack, UpConfig};
use odto_web::protocol::{ClientMessage, ErrorCode, ServerMessage};
use odto_web::{Application, Secret, WebBackends, WebConfig};
use support::{SOON, dashboard};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What keeps a test's web terminal, and the stack its dashboards read, running.
struct Running {
    _stop: tokio::sync::oneshot::Sender<()>,
    stack: Option<Stack>,
    _data: tempfile::TempDir,
}

/// A web terminal whose dashboards read a real stack: `odto up`'s services, in this process,
/// on embedded backends in a temporary directory.
async fn start() -> (String, Running) {
    start_with(|_| {}).await
}

/// [`start`] with settings the test edits.
async fn start_with(edit: impl FnOnce(&mut WebConfig)) -> (String, Running) {
    let data = tempfile::tempdir().unwrap();
    let stack = Stack::start(&UpConfig::for_tests(data.path().into()), &|_| {})
        .await
        .expect("the stack starts");
    let read_model = format!("http://{}", stack.addresses().read_model);
    let gateway = format!("http://{}", stack.addresses().gateway);
    let mut config = WebConfig::for_tests(dashboard(), &read_model, &gateway);
    edit(&mut config);
    let backends = WebBackends::open(&config).expect("the dashboard is there");
    let app = Application::build_with(config, backends).await.unwrap();
    let addr = app.local_addr().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let running = Running {
        _stop: stop,
        stack: Some(stack),
        _data: data,
    };
    (addr, running)
}

async fn connect(addr: &str) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("the WebSocket opens");
    socket
}

/// Opens `/ws` as a page of `origin` would.
async fn connect_from(addr: &str, origin: &str) -> Result<Socket, tungstenite::Error> {
    connect_with(addr, "origin", origin).await
}

/// Opens `/ws` with one more header.
async fn connect_with(
    addr: &str,
    name: &'static str,
    value: &str,
) -> Result<Socket, tungstenite::Error> {
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    let value = HeaderValue::from_str(value).unwrap();
    request.headers_mut().insert(name, value);
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

/// Starts a session on `socket`; its first frame, `session` or `error`.
async fn open_session(socket: &mut Socket) -> ServerMessage {
    send(socket, &ClientMessage::Resize { cols: 80, rows: 24 }).await;
    next(socket).await
}

fn refused_with(frame: &ServerMessage) -> Option<ErrorCode> {
    match frame {
        ServerMessage::Error { code, .. } => Some(*code),
        _ => None,
    }
}

async fn send(socket: &mut Socket, message: &ClientMessage) {
    let frame = serde_json::to_string(message).unwrap();
    socket.send(Message::text(frame)).await.unwrap();
}

/// The next protocol frame (pings and the like skipped).
async fn next(socket: &mut Socket) -> ServerMessage {
    loop {
        let frame = tokio::time::timeout(SOON, socket.next()).await;
        match frame.expect("a frame in time").expect("the socket is open") {
            Ok(Message::Text(text)) => {
                return serde_json::from_str(text.as_str()).expect("a protocol frame");
            }
            Ok(Message::Close(_)) => panic!("closed by the server"),
            Ok(_) => {}
            Err(error) => panic!("{error}"),
        }
    }
}

/// A browser tab: its socket, its screen, the last `seq` it saw.
struct Tab {
    socket: Socket,
    screen: vt100::Parser,
    last_seq: u64,
}

impl Tab {
    /// Applies output until the screen satisfies `ready`; other frames must not come.
    async fn until(&mut self, what: &str, ready: impl Fn(&vt100::Screen) -> bool) {
        let deadline = Instant::now() + SOON;
        while !ready(self.screen.screen()) {
            assert!(
                Instant::now() < deadline,
                "no {what}; the screen:\n{}",
                self.screen.screen().contents()
            );
            match next(&mut self.socket).await {
                ServerMessage::Output { data, seq } => self.output(&data, seq),
                other => panic!("{other:?} while waiting for {what}"),
            }
        }
    }

    fn output(&mut self, data: &str, seq: u64) {
        assert_eq!(seq, self.last_seq + 1, "seq goes up by one per frame");
        self.screen.process(data.as_bytes());
        self.last_seq = seq;
    }
}

/// The web terminal's `/metrics`.
async fn scrape(addr: &str) -> String {
    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    response.text().await.unwrap()
}

/// The value of the first series of `text` that starts with `series`.
fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
}

/// A new session in a tab, its dashboard on screen; with its id and reconnect token.
async fn open_tab(addr: &str) -> (Tab, String, String) {
    let mut socket = connect(addr).await;
    let ServerMessage::Session {
        session_id,
        reconnect_token,
    } = open_session(&mut socket).await
    else {
        panic!("the first frame is not session");
    };
    let mut tab = Tab {
        socket,
        screen: vt100::Parser::new(24, 80, 0),
        last_seq: 0,
    };
    tab.until("the dashboard", |s| {
        s.contents().contains("read model ● up")
    })
    .await;
    (tab, session_id, reconnect_token)
}

#[tokio::test]
async fn a_dropped_connection_reattaches_to_the_same_dashboard() {
    let (addr, _running) = start().await;
    let (mut tab, session_id, reconnect_token) = open_tab(&addr).await;
    send(&mut tab.socket, &ClientMessage::Input { data: "?".into() }).await;
    tab.until("the help", |s| s.contents().contains("this help"))
        .await;

    // The connection drops; the page comes back with what it had.
    drop(tab.socket);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut socket = connect(&addr).await;
    let reconnect = ClientMessage::Reconnect {
        session: session_id.clone(),
        token: reconnect_token.clone(),
        last_seq: Some(tab.last_seq),
    };
    send(&mut socket, &reconnect).await;
    let ServerMessage::Reconnected {
        session_id: same, ..
    } = next(&mut socket).await
    else {
        panic!("not reconnected");
    };
    assert_eq!(same, session_id);
    let from = tab.last_seq + 1;
    assert_eq!(
        next(&mut socket).await,
        ServerMessage::ReplayBegin { from_seq: from }
    );
    tab.socket = socket;
    loop {
        match next(&mut tab.socket).await {
            ServerMessage::Output { data, seq } => tab.output(&data, seq),
            ServerMessage::ReplayEnd { last_seq } => {
                assert_eq!(last_seq, tab.last_seq);
                break;
            }
            other => panic!("{other:?} in the replay"),
        }
    }
    // The same dashboard, help still open; typing goes on working, and so does the numbering.
    assert!(tab.screen.screen().contents().contains("this help"));
    send(&mut tab.socket, &ClientMessage::Input { data: "?".into() }).await;
    tab.until("the help closed", |s| !s.contents().contains("this help"))
        .await;

    // The token of the first connection was spent by the reconnect.
    let mut thief = connect(&addr).await;
    send(&mut thief, &reconnect).await;
    match next(&mut thief).await {
        ServerMessage::Error { code, .. } => assert_eq!(code, ErrorCode::InvalidToken),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_reloaded_page_gets_the_whole_screen_at_once() {
    let (addr, _running) = start().await;
    let (mut tab, session_id, reconnect_token) = open_tab(&addr).await;
    send(&mut tab.socket, &ClientMessage::Input { data: "?".into() }).await;
    tab.until("the help", |s| s.contents().contains("this help"))
        .await;
    let before = tab.screen.screen().contents();

    // A reload: a new page with an empty screen, which has seen no frame.
    drop(tab);
    let mut socket = connect(&addr).await;
    let reconnect = ClientMessage::Reconnect {
        session: session_id,
        token: reconnect_token,
        last_seq: Some(0),
    };
    send(&mut socket, &reconnect).await;
    assert!(matches!(
        next(&mut socket).await,
        ServerMessage::Reconnected { .. }
    ));
    assert!(matches!(
        next(&mut socket).await,
        ServerMessage::BufferTruncated { .. }
    ));
    let ServerMessage::Output { data, .. } = next(&mut socket).await else {
        panic!("no snapshot after buffer_truncated");
    };
    let mut screen = vt100::Parser::new(24, 80, 0);
    screen.process(data.as_bytes());
    let after = screen.screen().contents();
    assert!(after.contains("this help"), "{after}");
    // Only the clock and the ages may have moved on since.
    let same = |a: &str, b: &str| a.lines().zip(b.lines()).filter(|(x, y)| x == y).count();
    assert!(
        same(&before, &after) >= 20,
        "before:\n{before}\nafter:\n{after}"
    );
}

#[tokio::test]
async fn a_first_frame_of_another_protocol_is_refused() {
    let (addr, _running) = start().await;
    let mut socket = connect(&addr).await;
    socket
        .send(Message::text(r#"{"hello":"world"}"#))
        .await
        .unwrap();

    match next(&mut socket).await {
        ServerMessage::Error { code, message } => {
            assert_eq!(code, ErrorCode::InternalError);
            assert!(message.contains("resize"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn readiness_follows_the_read_model_and_liveness_does_not() {
    let (addr, mut running) = start().await;
    let client = reqwest::Client::new();
    let ready = client.get(format!("http://{addr}/readyz")).send().await;
    assert_eq!(ready.unwrap().status(), 200);

    running.stack.take().unwrap().stop().await;
    let health = client.get(format!("http://{addr}/healthz")).send().await;
    let ready = client.get(format!("http://{addr}/readyz")).send().await;

    assert_eq!(health.unwrap().status(), 200);
    let ready = ready.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    let failing = body["error"]["details"].as_array().unwrap();
    let failing: Vec<_> = failing
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["read-model"], "the dashboard is there: {body}");
}

#[tokio::test]
async fn pages_of_another_origin_cannot_open_the_socket() {
    let (addr, _running) = start().await;

    let refused = connect_from(&addr, "http://evil.example").await;
    match refused {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a page of another origin opened the socket"),
    }
    let mut same = connect_from(&addr, &format!("http://{addr}"))
        .await
        .expect("a page of this server opens it");
    send(&mut same, &ClientMessage::Resize { cols: 80, rows: 24 }).await;
    assert!(matches!(
        next(&mut same).await,
        ServerMessage::Session { .. }
    ));
}

#[tokio::test]
async fn configured_origins_may_open_the_socket() {
    let (addr, _running) = start_with(|config| {
        config.allowed_origins = vec!["https://ops.example".into()];
    })
    .await;

    assert!(connect_from(&addr, "https://ops.example").await.is_ok());
    assert!(connect_from(&addr, "https://evil.example").await.is_err());
}

#[tokio::test]
async fn read_only_mode_drops_every_key_but_navigation() {
    let (addr, _running) = start_with(|config| config.read_only = true).await;
    let mut socket = connect(&addr).await;
    send(&mut socket, &ClientMessage::Resize { cols: 80, rows: 24 }).await;
    assert!(matches!(
        next(&mut socket).await,
        ServerMessage::Session { .. }
    ));
    let mut tab = Tab {
        socket,
        screen: vt100::Parser::new(24, 80, 0),
        last_seq: 0,
    };
    tab.until("the dashboard", |s| {
        s.contents().contains("read model ● up")
    })
    .await;

    for refused in ["N", "q", "\x03", "n\r"] {
        let input = ClientMessage::Input {
            data: refused.into(),
        };
        send(&mut tab.socket, &input).await;
        let reply = loop {
            match next(&mut tab.socket).await {
                ServerMessage::Output { data, seq } => tab.output(&data, seq),
                other => break other,
            }
        };
        assert!(
            matches!(&reply, ServerMessage::Notice { message } if message.contains("read-only")),
            "{refused:?}: {reply:?}"
        );
    }
    // Navigation still works: the help opens.
    send(&mut tab.socket, &ClientMessage::Input { data: "?".into() }).await;
    tab.until("the help", |s| s.contents().contains("this help"))
        .await;
}

#[tokio::test]
async fn the_per_client_cap_counts_clients_behind_a_trusted_proxy_and_frees_slots() {
    let (addr, _running) = start_with(|config| {
        config.per_client_cap = 1;
        config.grace_secs = 1;
        config.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    let forwarded = |client: &'static str| connect_with(&addr, "x-forwarded-for", client);

    let mut alice = forwarded("198.51.100.1").await.unwrap();
    assert!(matches!(
        open_session(&mut alice).await,
        ServerMessage::Session { .. }
    ));
    let mut bob = forwarded("198.51.100.2").await.unwrap();
    assert!(matches!(
        open_session(&mut bob).await,
        ServerMessage::Session { .. }
    ));
    let mut alice_again = forwarded("198.51.100.1").await.unwrap();
    assert_eq!(
        refused_with(&open_session(&mut alice_again).await),
        Some(ErrorCode::PerIpCap)
    );

    // Alice's connection dies without a goodbye; after the grace period her slot is free.
    drop(alice);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let mut alice_later = forwarded("198.51.100.1").await.unwrap();
    assert!(matches!(
        open_session(&mut alice_later).await,
        ServerMessage::Session { .. }
    ));
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let (addr, _running) = start_with(|config| config.per_client_cap = 1).await;

    let mut first = connect_with(&addr, "x-forwarded-for", "198.51.100.1")
        .await
        .unwrap();
    assert!(matches!(
        open_session(&mut first).await,
        ServerMessage::Session { .. }
    ));
    let mut second = connect_with(&addr, "x-forwarded-for", "198.51.100.2")
        .await
        .unwrap();
    assert_eq!(
        refused_with(&open_session(&mut second).await),
        Some(ErrorCode::PerIpCap),
        "both are 127.0.0.1, whatever they claim"
    );
}

#[tokio::test]
async fn the_global_cap_refuses_once_full() {
    let (addr, _running) = start_with(|config| config.global_cap = 1).await;

    let mut first = connect(&addr).await;
    assert!(matches!(
        open_session(&mut first).await,
        ServerMessage::Session { .. }
    ));
    let mut second = connect(&addr).await;
    assert_eq!(
        refused_with(&open_session(&mut second).await),
        Some(ErrorCode::GlobalCap)
    );
}

#[tokio::test]
async fn with_a_token_only_its_bearers_and_logged_in_pages_get_a_session() {
    let (addr, _running) =
        start_with(|config| config.token = Some(Secret("s3cret-token".into()))).await;

    let mut anonymous = connect(&addr).await;
    assert_eq!(
        refused_with(&next(&mut anonymous).await),
        Some(ErrorCode::AuthRequired)
    );
    let mut wrong = connect_with(&addr, "authorization", "Bearer guess")
        .await
        .unwrap();
    assert_eq!(
        refused_with(&next(&mut wrong).await),
        Some(ErrorCode::AuthFailed)
    );
    let mut bearer = connect_with(&addr, "authorization", "Bearer s3cret-token")
        .await
        .unwrap();
    assert!(matches!(
        open_session(&mut bearer).await,
        ServerMessage::Session { .. }
    ));

    // A page logs in once and then holds a cookie, not the token.
    let client = reqwest::Client::new();
    let login = |token: &'static str| {
        client
            .post(format!("http://{addr}/auth"))
            .json(&serde_json::json!({ "token": token }))
            .send()
    };
    assert_eq!(login("guess").await.unwrap().status(), 401);
    let accepted = login("s3cret-token").await.unwrap();
    assert_eq!(accepted.status(), 204);
    let set_cookie = accepted.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(!set_cookie.contains("s3cret-token"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap();
    let mut page = connect_with(&addr, "cookie", cookie).await.unwrap();
    assert!(matches!(
        open_session(&mut page).await,
        ServerMessage::Session { .. }
    ));
}

#[tokio::test]
async fn metrics_count_sessions_reattaches_refusals_and_output() {
    let (addr, _running) = start().await;
    let (tab, session_id, reconnect_token) = open_tab(&addr).await;
    drop(tab);
    let mut again = connect(&addr).await;
    let reconnect = ClientMessage::Reconnect {
        session: session_id,
        token: reconnect_token,
        last_seq: Some(0),
    };
    send(&mut again, &reconnect).await;
    assert!(matches!(
        next(&mut again).await,
        ServerMessage::Reconnected { .. }
    ));
    let mut spent = connect(&addr).await;
    send(&mut spent, &reconnect).await;
    assert_eq!(
        refused_with(&next(&mut spent).await),
        Some(ErrorCode::InvalidToken)
    );

    let text = scrape(&addr).await;
    let value = |series: &str| metric(&text, series);
    assert_eq!(value("odto_web_sessions_active"), 1.0);
    assert_eq!(value("odto_web_sessions_started_total"), 1.0);
    assert_eq!(value("odto_web_sessions_reattached_total"), 1.0);
    assert_eq!(
        value("odto_web_sessions_rejected_total{code=\"INVALID_TOKEN\""),
        1.0
    );
    assert!(value("odto_web_output_bytes_total") > 0.0);
    assert!(
        value("odto_web_truncated_frames_total") > 0.0,
        "last_seq 0: the whole screen"
    );
}

#[tokio::test]
async fn a_connection_that_answers_no_ping_is_dropped_and_its_session_ends_after_the_grace() {
    let (addr, _running) = start_with(|config| {
        config.keepalive_secs = 1;
        config.grace_secs = 1;
    })
    .await;
    let active = || async { metric(&scrape(&addr).await, "odto_web_sessions_active") };
    // A client that stops reading: it never answers the server's pings.
    let mut silent = connect(&addr).await;
    assert!(matches!(
        open_session(&mut silent).await,
        ServerMessage::Session { .. }
    ));
    assert_eq!(active().await, 1.0);

    // Two silent keepalive intervals, the grace period and a reap later, the session is gone.
    let deadline = Instant::now() + SOON;
    while active().await != 0.0 {
        assert!(
            Instant::now() < deadline,
            "the silent connection kept its session"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drop(silent);
}
