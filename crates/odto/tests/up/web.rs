//! The web terminal `odto up` starts, as a browser tab would use it: over a real WebSocket, the
//! real dashboard in a real PTY reading the real stack, its screen read through a terminal model.
//! With a token set, which must be shown and must never be written to the log.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use odto_web::protocol::{ClientMessage, ErrorCode, ServerMessage};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::{Up, command, start_command, submit};

const TOKEN: &str = "web-token-4f1c9a7e-must-not-be-logged";
const SOON: Duration = Duration::from_secs(20);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `/ws` of `up`, showing `bearer` as the token when given.
async fn open(up: &Up, bearer: Option<&str>) -> Socket {
    let mut request = format!("ws://{}/ws", up.web).into_client_request().unwrap();
    if let Some(token) = bearer {
        let value = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
        request.headers_mut().insert("authorization", value);
    }
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the WebSocket opens");
    socket
}

async fn send(socket: &mut Socket, message: ClientMessage) {
    let text = serde_json::to_string(&message).unwrap();
    socket.send(Message::text(text)).await.unwrap();
}

/// The next protocol frame; pings are skipped.
async fn receive(socket: &mut Socket) -> ServerMessage {
    loop {
        let frame = tokio::time::timeout(SOON, socket.next()).await;
        match frame.expect("a frame in time").expect("the socket is open") {
            Ok(Message::Text(text)) => return serde_json::from_str(text.as_str()).unwrap(),
            Ok(Message::Close(_)) => panic!("closed by the server"),
            Ok(_) => {}
            Err(error) => panic!("{error}"),
        }
    }
}

/// Applies output frames to `screen` until `ready` holds for it.
async fn watch(
    socket: &mut Socket,
    screen: &mut vt100::Parser,
    what: &str,
    ready: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + SOON;
    while !ready(&screen.screen().contents()) {
        assert!(
            Instant::now() < deadline,
            "no {what} on the screen:\n{}",
            screen.screen().contents()
        );
        if let ServerMessage::Output { data, .. } = receive(socket).await {
            screen.process(data.as_bytes());
        }
    }
}

#[tokio::test]
async fn odto_ups_web_terminal_shows_the_live_dashboard_to_token_holders_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut up = command(dir.path());
    up.env("ODTO_WEB_TOKEN", TOKEN).env("ODTO_LOG", "debug");
    let up = start_command(up);
    let http = reqwest::Client::new();

    // Without the token, or with another, nothing: no session, no summary.
    let mut stranger = open(&up, None).await;
    send(&mut stranger, ClientMessage::Resize { cols: 80, rows: 24 }).await;
    match receive(&mut stranger).await {
        ServerMessage::Error { code, .. } => assert_eq!(code, ErrorCode::AuthRequired),
        other => panic!("{other:?}"),
    }
    let mut guesser = open(&up, Some("not-the-token")).await;
    send(&mut guesser, ClientMessage::Resize { cols: 80, rows: 24 }).await;
    match receive(&mut guesser).await {
        ServerMessage::Error { code, .. } => assert_eq!(code, ErrorCode::AuthFailed),
        other => panic!("{other:?}"),
    }
    let summary = format!("http://{}/summary", up.web);
    assert_eq!(http.get(&summary).send().await.unwrap().status(), 401);
    let login = format!("http://{}/auth", up.web);
    let wrong = http.post(&login).json(&json!({"token": "nope"})).send();
    assert_eq!(wrong.await.unwrap().status(), 401);
    let right = http.post(&login).json(&json!({"token": TOKEN})).send();
    let right = right.await.unwrap();
    assert_eq!(right.status(), 204);
    let cookie = right.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(
        !cookie.contains(TOKEN),
        "the cookie is not the token itself"
    );

    // The dashboard, reading this stack.
    let mut tab = open(&up, Some(TOKEN)).await;
    send(
        &mut tab,
        ClientMessage::Resize {
            cols: 120,
            rows: 36,
        },
    )
    .await;
    assert!(matches!(
        receive(&mut tab).await,
        ServerMessage::Session { .. }
    ));
    let mut screen = vt100::Parser::new(36, 120, 0);
    watch(&mut tab, &mut screen, "the dashboard", |s| {
        s.contains("Task Observatory") && s.contains("read model ● up")
    })
    .await;

    // A job submitted to the gateway shows up (by the end of its id).
    let id = submit(&http, &up, json!({"type": "demo"})).await;
    let tail = id.replace('-', "");
    let tail = &tail[tail.len() - 12..];
    watch(&mut tab, &mut screen, "the new job", |s| s.contains(tail)).await;

    // Not read-only: N opens the new-task form.
    send(&mut tab, ClientMessage::Input { data: "n".into() }).await;
    watch(&mut tab, &mut screen, "the new-task form", |s| {
        s.contains("New task")
    })
    .await;
    send(
        &mut tab,
        ClientMessage::Input {
            data: "\x1b".into(),
        },
    )
    .await;
    watch(&mut tab, &mut screen, "the form closed", |s| {
        !s.contains("New task")
    })
    .await;

    // A smaller window: the dashboard lays itself out again, its key bar on the new last row.
    send(&mut tab, ClientMessage::Resize { cols: 90, rows: 28 }).await;
    screen.screen_mut().set_size(28, 90);
    watch(&mut tab, &mut screen, "the dashboard at 90x28", |s| {
        s.lines().nth(27).is_some_and(|row| row.contains("Q quit"))
    })
    .await;

    // The fallback's summary, for a page that logged in.
    let session = cookie.split(';').next().unwrap();
    let answer = http.get(&summary).header("cookie", session).send();
    let body: serde_json::Value = answer.await.unwrap().json().await.unwrap();
    assert_eq!(body["readModel"]["reachable"], true, "{body}");
    assert!(body["stats"]["totalJobs"].as_u64() >= Some(1), "{body}");

    // The token was shown four times and typed once; the log never has it.
    drop(tab);
    let mut log = up.startup.clone();
    let mut child = up.child;
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    assert!(sent.unwrap().success());
    assert!(child.wait().unwrap().success(), "a graceful stop exits 0");
    // Until the pipe closes: the lines written while stopping, too.
    while let Ok(line) = up.output.recv_timeout(Duration::from_secs(5)) {
        log.push(line);
    }
    assert!(
        log.len() > up.startup.len(),
        "debug logging wrote something after the start"
    );
    let leaked: Vec<_> = log.iter().filter(|line| line.contains(TOKEN)).collect();
    assert!(leaked.is_empty(), "the token is in the log: {leaked:#?}");
}
