//! Sessions over the real dashboard: a new session streams numbered frames, a dropped connection
//! re-attaches to the same dashboard (its state intact) with every frame it missed, a token works
//! once, a client with an empty screen gets the whole screen, and a session without a connection
//! ends after its grace period.

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use odto_web::SessionError;
use odto_web::protocol::{ErrorCode, ServerMessage};
use odto_web::pty::Size;
use odto_web::session::{Attached, SessionSettings, Sessions};
use support::{SOON, program};

const SIZE: Size = Size { cols: 80, rows: 24 };
const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn sessions(state: &tempfile::TempDir, grace: Duration) -> Arc<Sessions> {
    capped(state, grace, 50, 5)
}

fn capped(
    state: &tempfile::TempDir,
    grace: Duration,
    global_cap: usize,
    per_client_cap: usize,
) -> Arc<Sessions> {
    Sessions::new(settings(state, grace, global_cap, per_client_cap))
}

fn settings(
    state: &tempfile::TempDir,
    grace: Duration,
    global_cap: usize,
    per_client_cap: usize,
) -> SessionSettings {
    SessionSettings {
        program: program(state),
        grace,
        replay_frames: 256,
        replay_bytes: 1 << 20,
        client_queue: 512,
        global_cap,
        per_client_cap,
        idle_timeout: Duration::from_secs(1_800),
    }
}

/// A connection's view: the frames it got, applied to a screen model.
struct Client {
    attached: Attached,
    screen: vt100::Parser,
    seqs: Vec<u64>,
    others: Vec<ServerMessage>,
}

impl Client {
    fn new(attached: Attached) -> Self {
        Self {
            attached,
            screen: vt100::Parser::new(SIZE.rows, SIZE.cols, 0),
            seqs: Vec::new(),
            others: Vec::new(),
        }
    }

    /// Applies frames until the screen satisfies `ready`.
    async fn until(&mut self, what: &str, ready: impl Fn(&vt100::Screen) -> bool) {
        let deadline = Instant::now() + SOON;
        while !ready(self.screen.screen()) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.attached.frames.recv()).await {
                Ok(Some(ServerMessage::Output { data, seq })) => {
                    self.screen.process(data.as_bytes());
                    self.seqs.push(seq);
                }
                Ok(Some(other)) => self.others.push(other),
                Ok(None) => panic!("the session closed before {what}"),
                Err(_) => panic!(
                    "no {what} within {SOON:?}; the screen:\n{}",
                    self.screen.screen().contents()
                ),
            }
        }
    }

    fn token(&self) -> String {
        self.others
            .iter()
            .rev()
            .find_map(|m| match m {
                ServerMessage::Session {
                    reconnect_token, ..
                }
                | ServerMessage::Reconnected {
                    reconnect_token, ..
                } => Some(reconnect_token.clone()),
                _ => None,
            })
            .expect("a session or reconnected frame")
    }

    fn last_seq(&self) -> u64 {
        self.seqs.last().copied().unwrap_or(0)
    }
}

#[tokio::test]
async fn a_dropped_connection_reattaches_to_the_same_dashboard_without_a_gap() {
    let state = tempfile::tempdir().unwrap();
    let sessions = sessions(&state, Duration::from_secs(30));
    let mut first = Client::new(sessions.create(SIZE, LOCAL).expect("a session starts"));
    first
        .until("the dashboard", |s| s.contents().contains("unreachable"))
        .await;
    assert!(matches!(first.others[0], ServerMessage::Session { .. }));
    let numbered: Vec<u64> = (1..=first.last_seq()).collect();
    assert_eq!(
        first.seqs, numbered,
        "frames are numbered from 1 without gaps"
    );

    // Open the help, then lose the connection.
    first.attached.session.input("?").unwrap();
    first
        .until("the help", |s| s.contents().contains("this help"))
        .await;
    let id = first.attached.session.id().to_owned();
    let (token, seen) = (first.token(), first.last_seq());
    first.attached.session.detach(first.attached.attachment);
    drop(first);
    // The dashboard keeps drawing (its clock) while nobody is attached.
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    let mut second = sessions.reattach(&id, &token, seen).expect("re-attaches");
    let mut frames = Vec::new();
    while !matches!(frames.last(), Some(ServerMessage::ReplayEnd { .. })) {
        let frame = tokio::time::timeout(SOON, second.frames.recv()).await;
        frames.push(
            frame
                .expect("the replay arrives")
                .expect("the session is open"),
        );
    }

    assert!(
        matches!(&frames[0], ServerMessage::Reconnected { session_id, .. } if *session_id == id),
        "{:?}",
        frames[0]
    );
    assert_eq!(frames[1], ServerMessage::ReplayBegin { from_seq: seen + 1 });
    let Some(ServerMessage::ReplayEnd { last_seq: end }) = frames.last().cloned() else {
        unreachable!("the loop ends on replay_end");
    };
    let replayed: Vec<u64> = frames
        .iter()
        .filter_map(|f| match f {
            ServerMessage::Output { seq, .. } => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(replayed, (seen + 1..=end).collect::<Vec<u64>>());
    // Live output goes on from there: closing the help redraws.
    second.session.input("?").unwrap();
    let next = loop {
        let frame = tokio::time::timeout(SOON, second.frames.recv()).await;
        if let ServerMessage::Output { seq, .. } = frame.expect("output").expect("open") {
            break seq;
        }
    };
    assert_eq!(next, end + 1, "no gap between the replay and live output");
}

#[tokio::test]
async fn a_token_works_once_and_an_empty_screen_gets_the_whole_screen() {
    let state = tempfile::tempdir().unwrap();
    let sessions = sessions(&state, Duration::from_secs(30));
    let mut first = Client::new(sessions.create(SIZE, LOCAL).expect("a session starts"));
    first.attached.session.input("?").unwrap();
    first
        .until("the help", |s| s.contents().contains("this help"))
        .await;
    let id = first.attached.session.id().to_owned();
    let token = first.token();

    // A reloaded page: an empty screen, last_seq 0.
    let mut reloaded = Client::new(sessions.reattach(&id, &token, 0).expect("re-attaches"));
    reloaded
        .until("the whole screen", |s| s.contents().contains("this help"))
        .await;
    assert!(
        reloaded
            .others
            .iter()
            .any(|m| matches!(m, ServerMessage::BufferTruncated { .. })),
        "{:?}",
        reloaded.others
    );

    let reused = sessions.reattach(&id, &token, 0).expect_err("a used token");
    assert!(matches!(reused, SessionError::InvalidToken));
    assert_eq!(reused.code(), ErrorCode::InvalidToken);
    let unknown = sessions
        .reattach("no-such-session", &token, 0)
        .expect_err("an unknown session");
    assert_eq!(unknown.code(), ErrorCode::SessionNotFound);
}

#[tokio::test]
async fn a_session_without_a_connection_ends_after_its_grace_period() {
    let state = tempfile::tempdir().unwrap();
    let sessions = sessions(&state, Duration::from_millis(200));
    let mut client = Client::new(sessions.create(SIZE, LOCAL).expect("a session starts"));
    client
        .until("the dashboard", |s| !s.contents().trim().is_empty())
        .await;
    let pid = client
        .attached
        .session
        .process_id()
        .expect("a running dashboard");

    assert_eq!(sessions.reap(Instant::now()), 0, "attached: kept");
    client.attached.session.detach(client.attached.attachment);
    drop(client);
    assert_eq!(sessions.reap(Instant::now()), 0, "within the grace period");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sessions.reap(Instant::now()), 1);
    assert_eq!(sessions.count(), 0);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the dashboard (pid {pid}) outlived its session"
    );
}

#[tokio::test]
async fn caps_refuse_sessions_and_an_ended_session_frees_its_slot() {
    let state = tempfile::tempdir().unwrap();
    let sessions = capped(&state, Duration::ZERO, 2, 1);
    let (alice, bob, carol): (IpAddr, IpAddr, IpAddr) = (
        "192.0.2.1".parse().unwrap(),
        "192.0.2.2".parse().unwrap(),
        "192.0.2.3".parse().unwrap(),
    );

    let first = sessions.create(SIZE, alice).expect("alice's first session");
    let again = sessions.create(SIZE, alice).expect_err("alice's second");
    assert_eq!(again.code(), ErrorCode::PerIpCap);
    let _second = sessions.create(SIZE, bob).expect("bob's session");
    let full = sessions.create(SIZE, carol).expect_err("a third in all");
    assert_eq!(full.code(), ErrorCode::GlobalCap);

    // Alice's connection goes; once her session ends, the slot is free again.
    first.session.detach(first.attachment);
    drop(first);
    assert_eq!(sessions.reap(Instant::now()), 1);
    sessions
        .create(SIZE, carol)
        .expect("carol takes the freed slot");
}

#[tokio::test]
async fn a_session_nobody_types_into_ends_after_the_idle_timeout() {
    let state = tempfile::tempdir().unwrap();
    let sessions = Sessions::new(SessionSettings {
        idle_timeout: Duration::from_secs(1),
        ..settings(&state, Duration::from_secs(30), 50, 5)
    });
    let mut client = Client::new(sessions.create(SIZE, LOCAL).expect("a session starts"));
    client
        .until("the dashboard", |s| !s.contents().trim().is_empty())
        .await;

    tokio::time::sleep(Duration::from_millis(300)).await;
    client.attached.session.input("?").unwrap();
    let typed = Instant::now();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        sessions.reap(typed + Duration::from_millis(400)),
        0,
        "typing keeps it alive"
    );
    assert_eq!(sessions.reap(typed + Duration::from_millis(1_100)), 1);

    // The connection is told, then its frames end.
    let mut told = false;
    while let Some(frame) = client.attached.frames.recv().await {
        told |= matches!(&frame, ServerMessage::Notice { message } if message.contains("without input"));
    }
    assert!(told);
}
