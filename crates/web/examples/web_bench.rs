//! Benchmark of a running `odto web`: memory per session, keystroke-to-screen latency on
//! loopback, and many sessions held open for a while. Prints markdown for docs/benchmarks.md.
//!
//! ```text
//! cargo run --release -p odto-web --example web_bench -- --url ws://127.0.0.1:28082/ws \
//!     --pid "$(pgrep -f 'odto web')"     # the server needs --per-client-cap/--global-cap ≥ 50
//! ```
//!
//! 1. Opens `--sessions` sessions, each until its screen shows `--ready-text` (the first screen
//!    with data), and compares the memory of the server and its child processes (the dashboards)
//!    with what it was before.
//! 2. On one session, alternately types `?` and Esc and times each until the help overlay
//!    (`--help-text`) appears on, or leaves, the client's model of the screen.
//! 3. Opens sessions up to `--concurrent`, keeps every one attached, read and pinged, and samples
//!    the total memory every `--sample-secs` for `--duration-secs`.
//!
//! Sessions stay attached until the end, so the three phases share them; when the connections
//! close, the server keeps the sessions for its grace period, and a second run waits for them.
//!
//! An example is one file; past the phases it has three parts: the client, memory from /proc,
//! and the report.

use std::fmt;
use std::fs;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use odto_web::protocol::{ClientMessage, ErrorCode, ServerMessage};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait for a session to open and draw its first screen.
const OPEN_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest wait for the dashboards of an earlier run to end (the server's grace period is 30 s).
const LEFTOVER_TIMEOUT: Duration = Duration::from_secs(45);
/// Most growth over the held period that still counts as flat.
const FLAT_WITHIN: f64 = 0.10;

#[derive(Debug, Parser)]
#[command(about = "Memory, latency and concurrency benchmark of a running `odto web`")]
struct Args {
    /// The server's WebSocket.
    #[arg(long, default_value = "ws://127.0.0.1:28082/ws")]
    url: String,
    /// The `odto web` process, whose memory and children are measured.
    #[arg(long)]
    pid: u32,
    /// `Origin` to send; none by default (programs without one are allowed).
    #[arg(long)]
    origin: Option<String>,
    /// Sessions opened for the memory figures.
    #[arg(long, default_value_t = 10)]
    sessions: usize,
    /// Terminal size of every session.
    #[arg(long, default_value_t = 120)]
    cols: u16,
    #[arg(long, default_value_t = 40)]
    rows: u16,
    /// A text the screen shows once the dashboard drew data from the read model.
    #[arg(long, default_value = "read model ● up")]
    ready_text: String,
    /// Seconds to let the sessions settle before their memory is read.
    #[arg(long, default_value_t = 3)]
    settle_secs: u64,
    /// `?` presses timed (each followed by a timed Esc).
    #[arg(long, default_value_t = 200)]
    keystrokes: usize,
    /// A text only the help overlay shows.
    #[arg(long, default_value = "this help")]
    help_text: String,
    /// Pause between two keys, as a person would type.
    #[arg(long, default_value_t = 20)]
    pause_ms: u64,
    /// Longest wait for one key's redraw; a longer one counts as lost.
    #[arg(long, default_value_t = 2_000)]
    keystroke_timeout_ms: u64,
    /// Sessions held open at once in the last phase.
    #[arg(long, default_value_t = 50)]
    concurrent: usize,
    /// Seconds the sessions are held once all are open (after the warm-up).
    #[arg(long, default_value_t = 60)]
    duration_secs: u64,
    /// Seconds between two memory samples.
    #[arg(long, default_value_t = 5)]
    sample_secs: u64,
    /// Seconds between opening the last session and the first sample.
    #[arg(long, default_value_t = 5)]
    warmup_secs: u64,
    /// Seconds between two protocol pings on every held connection.
    #[arg(long, default_value_t = 25)]
    ping_secs: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("web_bench: {failure}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Failure> {
    let command = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    println!("# `odto web` benchmark\n");
    println!("```sh\ncargo run --release -p odto-web --example web_bench -- {command}\n```\n");

    wait_for_leftovers(args.pid).await?;
    let before = Footprint::read(args.pid)?;
    let (mut clients, first_screens) = open_sessions(&args, args.sessions).await?;
    tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
    let after = Footprint::read(args.pid)?;
    print_memory(&args, &before, &after, &first_screens);

    let (stop, stopped) = watch::channel(false);
    let ping = Duration::from_secs(args.ping_secs);
    let mut probe = clients.remove(0);
    let mut held: Vec<_> = clients
        .into_iter()
        .map(|c| tokio::spawn(c.hold(ping, stopped.clone())))
        .collect();
    let latency = measure_latency(&args, &mut probe).await?;
    print_latency(&args, &latency);
    held.push(tokio::spawn(probe.hold(ping, stopped.clone())));

    let more = args.concurrent.saturating_sub(args.sessions);
    let (clients, _) = open_sessions(&args, more).await?;
    held.extend(
        clients
            .into_iter()
            .map(|c| tokio::spawn(c.hold(ping, stopped.clone()))),
    );
    tokio::time::sleep(Duration::from_secs(args.warmup_secs)).await;
    let samples = sample_memory(&args).await?;
    let _ = stop.send(true);
    let outcomes = join_all(held).await;
    print_concurrency(&args, &before, &samples, &outcomes);
    Ok(())
}

/// Waits until the dashboards of an earlier run (in their grace period) are gone.
async fn wait_for_leftovers(pid: u32) -> Result<(), Failure> {
    let deadline = Instant::now() + LEFTOVER_TIMEOUT;
    loop {
        let running = Footprint::read(pid)?.dashboards.len();
        if running == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            eprintln!("warning: {running} dashboards of another client are still running");
            return Ok(());
        }
        eprintln!("waiting for {running} dashboards of an earlier run to end…");
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}

/// Opens `count` sessions one after the other, each until its first screen; returns them with
/// the time each took.
async fn open_sessions(args: &Args, count: usize) -> Result<(Vec<Client>, Vec<Duration>), Failure> {
    let mut clients = Vec::with_capacity(count);
    let mut took = Vec::with_capacity(count);
    for n in 1..=count {
        let started = Instant::now();
        let client = Client::open(args).await.map_err(|failure| {
            Failure::Phase(format!("opening session {n} of {count}: {failure}"))
        })?;
        took.push(started.elapsed());
        clients.push(client);
    }
    eprintln!("{count} sessions open");
    Ok((clients, took))
}

/// Key-to-screen times: `?` until the help shows, Esc until it is gone.
#[derive(Debug, Default)]
struct Latency {
    open: Vec<Duration>,
    close: Vec<Duration>,
    lost: usize,
}

/// Types `?` or Esc, whichever changes the screen's state, `2 × keystrokes` times. A lost key
/// is counted and the next one is chosen from what the screen shows, so one loss costs one.
async fn measure_latency(args: &Args, probe: &mut Client) -> Result<Latency, Failure> {
    let timeout = Duration::from_millis(args.keystroke_timeout_ms);
    let mut latency = Latency::default();
    for _ in 0..args.keystrokes * 2 {
        let showing = probe.shows(&args.help_text);
        let key = if showing { "\x1b" } else { "?" };
        let help = args.help_text.as_str();
        match probe
            .time_key(
                key,
                |screen| screen.contents().contains(help) != showing,
                timeout,
            )
            .await
        {
            Ok(took) if showing => latency.close.push(took),
            Ok(took) => latency.open.push(took),
            Err(Failure::Timeout { .. }) => latency.lost += 1,
            Err(other) => return Err(other),
        }
        tokio::time::sleep(Duration::from_millis(args.pause_ms)).await;
    }
    Ok(latency)
}

/// Samples the server's footprint every `sample_secs` for `duration_secs`.
async fn sample_memory(args: &Args) -> Result<Vec<(Duration, Footprint)>, Failure> {
    let every = Duration::from_secs(args.sample_secs.max(1));
    let mut ticker = tokio::time::interval(every);
    let started = Instant::now();
    let mut samples = Vec::new();
    loop {
        ticker.tick().await;
        let at = started.elapsed();
        if at > Duration::from_secs(args.duration_secs) + every / 2 {
            return Ok(samples);
        }
        let footprint = Footprint::read(args.pid)?;
        eprintln!(
            "t={:>3}s {} dashboards, {} total PSS",
            at.as_secs(),
            footprint.dashboards.len(),
            mib(footprint.total_pss())
        );
        samples.push((at, footprint));
    }
}

async fn join_all(held: Vec<JoinHandle<Held>>) -> Vec<Held> {
    let mut outcomes = Vec::with_capacity(held.len());
    for task in held {
        match task.await {
            Ok(outcome) => outcomes.push(outcome),
            Err(error) => eprintln!("a held session's task failed: {error}"),
        }
    }
    outcomes
}

// ---- The client: one session over one WebSocket, with a model of its screen. ----

/// Why a session could not be used.
#[derive(Debug)]
enum Failure {
    /// The server answered with `error`.
    Refused {
        code: ErrorCode,
        message: String,
    },
    Closed,
    Timeout {
        waiting_for: String,
        screen: String,
    },
    Socket(tungstenite::Error),
    /// The server process cannot be read.
    Server(String),
    /// What the benchmark was doing when a failure happened.
    Phase(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused { code, message } => {
                // The wire name (PER_IP_CAP), as the docs and the server's metrics spell it.
                let code = serde_json::to_string(code).unwrap_or_default();
                write!(f, "refused with {}: {message}", code.trim_matches('"'))
            }
            Self::Closed => f.write_str("the server closed the connection"),
            Self::Timeout {
                waiting_for,
                screen,
            } => write!(
                f,
                "timed out waiting for {waiting_for}; the screen:\n{screen}"
            ),
            Self::Socket(error) => write!(f, "WebSocket: {error}"),
            Self::Server(why) | Self::Phase(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Failure {}

impl From<tungstenite::Error> for Failure {
    fn from(error: tungstenite::Error) -> Self {
        Self::Socket(error)
    }
}

struct Client {
    id: String,
    socket: Socket,
    screen: vt100::Parser,
}

/// How a held session ended: still attached at the stop, or why not; what it received.
#[derive(Debug)]
struct Held {
    id: String,
    ended: Option<String>,
    frames: u64,
    pings: u64,
    pongs: u64,
}

impl Client {
    /// Starts a session and waits until its screen shows `ready_text`.
    async fn open(args: &Args) -> Result<Self, Failure> {
        let mut request = args.url.as_str().into_client_request()?;
        if let Some(origin) = &args.origin {
            let origin = HeaderValue::from_str(origin)
                .map_err(|e| Failure::Phase(format!("--origin: {e}")))?;
            request.headers_mut().insert("origin", origin);
        }
        let deadline = Instant::now() + OPEN_TIMEOUT;
        // Browsers turn Nagle's algorithm off on their sockets; so does this client.
        let connecting = tokio_tungstenite::connect_async_with_config(request, None, true);
        let (socket, _) = tokio::time::timeout_at(deadline.into(), connecting)
            .await
            .map_err(|_| Failure::Timeout {
                waiting_for: "the WebSocket upgrade".into(),
                screen: String::new(),
            })??;
        let mut client = Self {
            id: String::new(),
            socket,
            screen: vt100::Parser::new(args.rows, args.cols, 0),
        };
        let (cols, rows) = (args.cols, args.rows);
        client.send(&ClientMessage::Resize { cols, rows }).await?;
        match client.next(deadline).await? {
            ServerMessage::Session { session_id, .. } => client.id = session_id,
            other => return Err(Failure::Phase(format!("expected `session`, got {other:?}"))),
        }
        let ready = args.ready_text.as_str();
        client
            .until(ready, |screen| screen.contents().contains(ready), deadline)
            .await?;
        Ok(client)
    }

    fn shows(&self, text: &str) -> bool {
        self.screen.screen().contents().contains(text)
    }

    /// Types `key` and returns how long until the screen satisfies `changed`.
    async fn time_key(
        &mut self,
        key: &str,
        changed: impl Fn(&vt100::Screen) -> bool,
        timeout: Duration,
    ) -> Result<Duration, Failure> {
        let typed = Instant::now();
        let data = key.to_owned();
        self.send(&ClientMessage::Input { data }).await?;
        let what = format!("the redraw after {key:?}");
        self.until(&what, changed, typed + timeout).await?;
        Ok(typed.elapsed())
    }

    /// Applies output frames until the screen satisfies `ready`.
    async fn until(
        &mut self,
        what: &str,
        ready: impl Fn(&vt100::Screen) -> bool,
        deadline: Instant,
    ) -> Result<(), Failure> {
        while !ready(self.screen.screen()) {
            match self.next(deadline).await {
                Ok(ServerMessage::Output { data, .. }) => self.screen.process(data.as_bytes()),
                Ok(_) => {}
                Err(Failure::Timeout { .. }) => {
                    return Err(Failure::Timeout {
                        waiting_for: what.to_owned(),
                        screen: self.screen.screen().contents(),
                    });
                }
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// The next protocol frame before `deadline`.
    async fn next(&mut self, deadline: Instant) -> Result<ServerMessage, Failure> {
        tokio::time::timeout_at(deadline.into(), self.recv())
            .await
            .map_err(|_| Failure::Timeout {
                waiting_for: "a frame".into(),
                screen: String::new(),
            })?
    }

    /// The next protocol frame; `error` frames are failures.
    async fn recv(&mut self) -> Result<ServerMessage, Failure> {
        loop {
            match self.socket.next().await.ok_or(Failure::Closed)?? {
                Message::Text(text) => return parse(text.as_str()),
                Message::Close(_) => return Err(Failure::Closed),
                _ => {}
            }
        }
    }

    async fn send(&mut self, message: &ClientMessage) -> Result<(), Failure> {
        let frame = serde_json::to_string(message).expect("a client message serializes");
        Ok(self.socket.send(Message::text(frame)).await?)
    }

    /// Keeps the session attached: reads every frame and pings every `ping`, until `stop`.
    async fn hold(mut self, ping: Duration, mut stop: watch::Receiver<bool>) -> Held {
        let mut held = Held {
            id: self.id.clone(),
            ended: None,
            frames: 0,
            pings: 0,
            pongs: 0,
        };
        let mut pinger = tokio::time::interval_at(tokio::time::Instant::now() + ping, ping);
        while held.ended.is_none() {
            tokio::select! {
                _ = stop.changed() => break,
                _ = pinger.tick() => {
                    held.pings += 1;
                    if let Err(failure) = self.send(&ClientMessage::Ping).await {
                        held.ended = Some(failure.to_string());
                    }
                }
                frame = self.recv() => match frame {
                    Ok(ServerMessage::Output { .. }) => held.frames += 1,
                    Ok(ServerMessage::Pong) => held.pongs += 1,
                    Ok(_) => {}
                    Err(failure) => held.ended = Some(failure.to_string()),
                },
            }
        }
        let _ = self.socket.close(None).await;
        held
    }
}

fn parse(text: &str) -> Result<ServerMessage, Failure> {
    match serde_json::from_str(text) {
        Ok(ServerMessage::Error { code, message }) => Err(Failure::Refused { code, message }),
        Ok(message) => Ok(message),
        Err(e) => Err(Failure::Phase(format!(
            "not a protocol frame ({e}): {text}"
        ))),
    }
}

// ---- Memory: the server process and its children, from /proc. ----

/// One process's memory in KiB; PSS and private memory where smaps_rollup is readable.
#[derive(Debug, Clone, Copy, Default)]
struct Memory {
    rss: u64,
    pss: Option<u64>,
    private: Option<u64>,
}

/// The server and its child processes (the dashboards).
#[derive(Debug, Clone)]
struct Footprint {
    server: Memory,
    dashboards: Vec<Memory>,
}

impl Footprint {
    fn read(pid: u32) -> Result<Self, Failure> {
        let server = Memory::of(pid)
            .ok_or_else(|| Failure::Server(format!("cannot read /proc/{pid}/status")))?;
        // A child without VmRSS is a zombie (or gone); it holds no memory.
        let dashboards = children_of(pid)
            .into_iter()
            .filter_map(Memory::of)
            .collect();
        Ok(Self { server, dashboards })
    }

    fn dashboards_sum(&self, part: impl Fn(&Memory) -> u64) -> u64 {
        self.dashboards.iter().map(part).sum()
    }

    fn total_rss(&self) -> u64 {
        self.server.rss + self.dashboards_sum(|m| m.rss)
    }

    fn total_pss(&self) -> u64 {
        self.server.pss() + self.dashboards_sum(Memory::pss)
    }
}

impl Memory {
    fn of(pid: u32) -> Option<Self> {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let rollup = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let private = field(&rollup, "Private_Clean:")
            .zip(field(&rollup, "Private_Dirty:"))
            .map(|(clean, dirty)| clean + dirty);
        Some(Self {
            rss: field(&status, "VmRSS:")?,
            pss: field(&rollup, "Pss:"),
            private,
        })
    }

    /// PSS, or RSS where PSS cannot be read.
    fn pss(&self) -> u64 {
        self.pss.unwrap_or(self.rss)
    }

    fn private(&self) -> u64 {
        self.private.unwrap_or(self.rss)
    }
}

/// The KiB value of a `Name:   123 kB` line.
fn field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The children of `pid`, from /proc/<pid>/task/*/children, else from every process's ppid.
fn children_of(pid: u32) -> Vec<u32> {
    listed_children(pid).unwrap_or_else(|| scanned_children(pid))
}

/// `None` when the kernel has no `children` files (CONFIG_PROC_CHILDREN off).
fn listed_children(pid: u32) -> Option<Vec<u32>> {
    let mut children = Vec::new();
    let mut listed = false;
    for task in fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        if let Ok(text) = fs::read_to_string(task.path().join("children")) {
            listed = true;
            children.extend(
                text.split_whitespace()
                    .filter_map(|n| n.parse::<u32>().ok()),
            );
        }
    }
    listed.then_some(children)
}

fn scanned_children(pid: u32) -> Vec<u32> {
    let Ok(processes) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let parent_of = |child: u32| {
        let stat = fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let after_comm = &stat[stat.rfind(')')? + 1..];
        after_comm.split_whitespace().nth(1)?.parse::<u32>().ok()
    };
    processes
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&child| parent_of(child) == Some(pid))
        .collect()
}

// ---- The report, as markdown. ----

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// `(after − before) / n` in MiB, to two decimals (a share can be well under one MiB).
fn per_session(before: u64, after: u64, n: usize) -> String {
    let delta = after as f64 - before as f64;
    format!("{:.2} MiB", delta / 1024.0 / n.max(1) as f64)
}

fn print_memory(args: &Args, before: &Footprint, after: &Footprint, first_screens: &[Duration]) {
    let n = args.sessions;
    let (b, a) = (before, after);
    println!(
        "## Memory per session ({n} sessions, {}×{})\n",
        args.cols, args.rows
    );
    println!("| | before | after {n} sessions | per session |\n|---|---|---|---|");
    let row = |name: &str, before: u64, after: u64| {
        let share = per_session(before, after, n);
        println!("| {name} | {} | {} | {share} |", mib(before), mib(after));
    };
    row("`odto web` RSS", b.server.rss, a.server.rss);
    row("`odto web` PSS", b.server.pss(), a.server.pss());
    println!(
        "| dashboard processes | {} | {} | |",
        b.dashboards.len(),
        a.dashboards.len()
    );
    row(
        "dashboards RSS",
        b.dashboards_sum(|m| m.rss),
        a.dashboards_sum(|m| m.rss),
    );
    row(
        "dashboards PSS",
        b.dashboards_sum(Memory::pss),
        a.dashboards_sum(Memory::pss),
    );
    let private = |f: &Footprint| f.dashboards_sum(Memory::private);
    row("dashboards private (USS)", private(b), private(a));
    let share = |f: &Footprint, part: fn(&Memory) -> u64| f.server.rss + f.dashboards_sum(part);
    let with_pss = per_session(share(b, Memory::pss), share(a, Memory::pss), n);
    let with_rss = per_session(share(b, |m| m.rss), share(a, |m| m.rss), n);
    println!("| **server share + dashboard PSS** | | | **{with_pss}** (goal < 15 MB) |");
    println!("| server share + dashboard RSS | | | {with_rss} |");
    let mut took = first_screens.to_vec();
    took.sort();
    println!(
        "\nTime to the first screen with data: p50 {}, max {}.\n",
        ms(percentile(&took, 0.5)),
        ms(took.last().copied().unwrap_or_default())
    );
}

fn print_latency(args: &Args, latency: &Latency) {
    let keys = args.keystrokes;
    println!("## Keystroke-to-screen latency ({keys} × `?` then Esc, loopback)\n");
    println!("| key → screen | n | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|");
    let mut all = [latency.open.as_slice(), latency.close.as_slice()].concat();
    all.sort();
    for (name, samples) in [
        ("`?` → help shown", &latency.open),
        ("Esc → help gone", &latency.close),
        ("both", &all),
    ] {
        let mut samples = samples.clone();
        samples.sort();
        let p = |q| ms(percentile(&samples, q));
        let max = ms(samples.last().copied().unwrap_or_default());
        let n = samples.len();
        println!(
            "| {name} | {n} | {} | {} | {} | {max} |",
            p(0.5),
            p(0.9),
            p(0.99)
        );
    }
    let met = !all.is_empty() && percentile(&all, 0.99) < Duration::from_millis(30);
    let verdict = if met { "met" } else { "missed" };
    println!(
        "\nGoal p99 < 30 ms: **{verdict}**. Keys lost (no redraw within {} ms): {}.\n",
        args.keystroke_timeout_ms, latency.lost
    );
}

fn print_concurrency(
    args: &Args,
    before: &Footprint,
    samples: &[(Duration, Footprint)],
    outcomes: &[Held],
) {
    let n = args.concurrent;
    println!("## {n} concurrent sessions for {} s\n", args.duration_secs);
    println!(
        "| t | dashboards | `odto web` RSS | dashboards RSS | dashboards PSS | total RSS | total PSS |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (at, f) in samples {
        println!(
            "| {} s | {} | {} | {} | {} | {} | {} |",
            at.as_secs(),
            f.dashboards.len(),
            mib(f.server.rss),
            mib(f.dashboards_sum(|m| m.rss)),
            mib(f.dashboards_sum(Memory::pss)),
            mib(f.total_rss()),
            mib(f.total_pss())
        );
    }
    if let (Some((_, first)), Some((_, last))) = (samples.first(), samples.last()) {
        let max = samples
            .iter()
            .map(|(_, f)| f.total_pss())
            .max()
            .unwrap_or(0);
        let growth = last.total_pss() as f64 / first.total_pss().max(1) as f64 - 1.0;
        let flat = if growth.abs() <= FLAT_WITHIN {
            "flat"
        } else {
            "**not flat**"
        };
        println!(
            "\nTotal PSS: first {}, last {}, max {}: {flat} ({:+.1} %, limit ±{:.0} %). \
             Per session at the first sample: {} (server share + dashboard PSS).\n",
            mib(first.total_pss()),
            mib(last.total_pss()),
            mib(max),
            growth * 100.0,
            FLAT_WITHIN * 100.0,
            per_session(before.total_pss(), first.total_pss(), n)
        );
    }
    print_outcomes(outcomes);
}

fn print_outcomes(outcomes: &[Held]) {
    let ended: Vec<_> = outcomes.iter().filter(|h| h.ended.is_some()).collect();
    let frames: u64 = outcomes.iter().map(|h| h.frames).sum();
    let pings: u64 = outcomes.iter().map(|h| h.pings).sum();
    let pongs: u64 = outcomes.iter().map(|h| h.pongs).sum();
    println!(
        "Sessions held: {}; ended early: {}; output frames read: {frames}; pings answered: \
         {pongs}/{pings}.",
        outcomes.len(),
        ended.len()
    );
    for held in ended {
        let why = held.ended.as_deref().unwrap_or_default();
        println!("- session {} ended: {why}", held.id);
    }
}

/// The nearest-rank percentile of sorted `samples`.
fn percentile(samples: &[Duration], q: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}
