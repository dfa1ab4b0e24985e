//! The UI loop: waits for a key, a background report or an animation tick, updates the
//! state, draws it. It never waits for the network: requests run in spawned tasks that report
//! back over a channel. It draws only after something happened, and ticks only while
//! something on screen moves, so an idle dashboard costs next to nothing.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

use crate::api::Api;
use crate::browser::{self, Opening};
use crate::config::DashboardConfig;
use crate::event::AppEvent;
use crate::poller::{Interest, Poller};
use crate::state::keys::handle_key;
use crate::state::{Action, LaunchPhase, Settings, State, View, update};
use crate::terminal::TerminalGuard;
use crate::{build_info, launcher, logging, ui};

/// Animation frame time (spinner), only while something moves.
const FRAME: Duration = Duration::from_millis(100);

/// Runs the dashboard in this terminal until the user quits. Call it from inside a
/// multi-threaded tokio runtime. The terminal is restored on every way out, panics included.
pub async fn run(config: DashboardConfig) -> anyhow::Result<()> {
    let mut guard = TerminalGuard::enter().context("cannot take over the terminal")?;
    let result = Dashboard::new(config)?.run(&mut guard.terminal).await;
    drop(guard);
    result
}

/// Aborts a task when dropped, so no background work outlives the dashboard.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Dashboard {
    config: DashboardConfig,
    api: Api,
    state: State,
    events_tx: mpsc::Sender<AppEvent>,
    events: mpsc::Receiver<AppEvent>,
    interest: watch::Sender<Interest>,
    wake: Arc<Notify>,
    poller: Option<AbortOnDrop>,
    /// Following a stack the launcher started; dropped once the dashboard shows.
    follow: Option<AbortOnDrop>,
}

impl Dashboard {
    fn new(config: DashboardConfig) -> anyhow::Result<Dashboard> {
        let api = Api::new(
            &config.read_model_url,
            &config.gateway_url,
            config.request_timeout,
        )?;
        let settings = Settings {
            read_model_url: config.read_model_url.clone(),
            gateway_url: config.gateway_url.clone(),
            allow_launcher: config.allow_launcher,
            read_only: config.read_only,
            version: build_info::VERSION.into(),
        };
        let (events_tx, events) = mpsc::channel(64);
        Ok(Dashboard {
            state: State::new(settings, Utc::now()),
            interest: watch::channel(Interest::default()).0,
            wake: Arc::new(Notify::new()),
            poller: None,
            follow: None,
            config,
            api,
            events_tx,
            events,
        })
    }

    async fn run<B: Backend>(mut self, terminal: &mut Terminal<B>) -> anyhow::Result<()>
    where
        B::Error: Send + Sync + 'static,
    {
        self.start_poller();
        let mut keys = EventStream::new();
        let mut ticker = tokio::time::interval(FRAME);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        while !self.state.quit {
            self.state.now = Utc::now();
            terminal.draw(|frame| ui::render(&self.state, frame))?;
            let animating = self.state.animating();
            tokio::select! {
                key = keys.next() => match key {
                    Some(Ok(Event::Key(key))) => {
                        if let Some(action) = handle_key(&mut self.state, key) {
                            self.perform(action);
                        }
                    }
                    Some(Ok(_)) => {} // resize and the like: just draw again
                    Some(Err(error)) => return Err(error).context("reading the terminal"),
                    None => return Ok(()),
                },
                Some(event) = self.events.recv() => update::apply(&mut self.state, event),
                _ = ticker.tick(), if animating => self.state.frame += 1,
            }
            self.after_change();
        }
        Ok(())
    }

    fn start_poller(&mut self) {
        let interest = self.interest.subscribe();
        let poller = Poller {
            api: self.api.clone(),
            refresh: self.config.refresh,
            interest,
            wake: self.wake.clone(),
            events: self.events_tx.clone(),
        };
        self.poller = Some(AbortOnDrop(tokio::spawn(poller.run())));
    }

    /// Tells the poller what the screen needs now; stops following a launched stack once
    /// the dashboard shows it.
    fn after_change(&mut self) {
        let wanted = self.state.interest();
        self.interest.send_if_modified(|current| {
            let changed = *current != wanted;
            *current = wanted;
            changed
        });
        if self.state.view != View::Launcher {
            self.follow = None;
        }
    }

    fn perform(&mut self, action: Action) {
        match action {
            Action::Quit => self.state.quit = true,
            Action::Refresh => self.wake.notify_one(),
            Action::Submit(body) => {
                let (api, events, wake) = self.handles();
                tokio::spawn(async move {
                    let result = api.submit(&body).await;
                    let _ = events.send(AppEvent::Submitted(result)).await;
                    wake.notify_one();
                });
            }
            Action::Retry(job_id) => {
                let (api, events, wake) = self.handles();
                tokio::spawn(async move {
                    let result = api.retry(&job_id).await;
                    let _ = events.send(AppEvent::Retried { job_id, result }).await;
                    wake.notify_one();
                });
            }
            Action::Open(url) => self.open(url),
            Action::Launch => self.launch(),
        }
    }

    fn handles(&self) -> (Api, mpsc::Sender<AppEvent>, Arc<Notify>) {
        (self.api.clone(), self.events_tx.clone(), self.wake.clone())
    }

    fn open(&mut self, url: String) {
        match browser::open(&url, self.config.server_mode) {
            Opening::Shown(reason) => self
                .state
                .notify(format!("open {url} in your browser ({reason})"), false),
            Opening::Launched(mut child) => {
                self.state.notify(format!("opening {url}…"), false);
                let events = self.events_tx.clone();
                tokio::spawn(async move {
                    let reason = match child.wait().await {
                        Ok(status) if status.success() => return,
                        Ok(status) => format!("the browser launcher ended with {status}"),
                        Err(error) => error.to_string(),
                    };
                    let _ = events.send(AppEvent::BrowserFailed { url, reason }).await;
                });
            }
        }
    }

    fn launch(&mut self) {
        let Some(odto) = launcher::locate_odto(self.config.odto_binary.as_deref()) else {
            let reason = "no odto binary next to odd-dashboard or on PATH (cargo build --release -p odto; \
                          or set ODTO_BIN)";
            self.state.launch = LaunchPhase::Failed(reason.into());
            return;
        };
        let log = logging::state_dir().join("odto-up.log");
        let task = launcher::start(
            &odto,
            &self.config.read_model_url,
            &self.config.gateway_url,
            log,
            self.events_tx.clone(),
        );
        self.follow = Some(AbortOnDrop(task));
        self.wake.notify_one();
    }
}
