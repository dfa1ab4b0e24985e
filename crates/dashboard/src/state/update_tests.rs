use std::time::Duration;

use chrono::{TimeZone, Utc};
use odto_contracts::read_api::{JobDetail, JobView, Stats};

use super::*;
use crate::state::fixtures::{self, id};
use crate::state::{ALERTS_SILENT_AFTER, NewTaskForm, Settings};

fn state(allow_launcher: bool) -> State {
    let settings = Settings {
        read_model_url: "http://127.0.0.1:8080".into(),
        gateway_url: "http://127.0.0.1:3000".into(),
        allow_launcher,
        read_only: false,
        version: "0.0.0".into(),
    };
    State::new(settings, Utc.timestamp_opt(1_700_000_000, 0).unwrap())
}

fn job(name: &str) -> JobView {
    fixtures::job(name, "t", "PENDING")
}

fn refused() -> FetchError {
    FetchError::Unreachable("Connection refused (os error 111)".into())
}

fn up(jobs: Vec<JobView>) -> AppEvent {
    AppEvent::Polled(Box::new(Poll {
        stats: Ok(Stats::default()),
        jobs: Ok(jobs),
        alerts: Err(FetchError::Status {
            status: 404,
            code: "route_not_found".into(),
            message: "no route".into(),
        }),
        gateway: Ok(()),
        detail: None,
        dead_letters: None,
        next_in: Duration::from_secs(1),
    }))
}

fn down() -> AppEvent {
    AppEvent::Polled(Box::new(Poll {
        stats: Err(refused()),
        jobs: Err(refused()),
        alerts: Err(refused()),
        gateway: Err(refused()),
        detail: None,
        dead_letters: None,
        next_in: Duration::from_secs(2),
    }))
}

#[test]
fn no_answer_at_start_shows_the_launcher_where_it_is_allowed() {
    let mut launcher = state(true);
    apply(&mut launcher, down());
    assert_eq!(launcher.view, View::Launcher);
    let mut embedded = state(false);
    apply(&mut embedded, down());
    assert_eq!(embedded.view, View::Dashboard);
    assert!(embedded.read_model.is_down());
}

#[test]
fn the_launcher_gives_way_to_the_dashboard_once_the_stack_answers() {
    let mut state = state(true);
    apply(&mut state, down());
    state.launch = LaunchPhase::Starting {
        pid: None,
        log: None,
    };
    let log = std::path::PathBuf::from("/tmp/up.log");
    apply(
        &mut state,
        AppEvent::Launch(LaunchEvent::Started { pid: 42, log }),
    );
    apply(&mut state, up(vec![]));
    assert_eq!(state.view, View::Dashboard);
    assert_eq!(state.launch, LaunchPhase::Idle);
    assert!(state.notice.unwrap().text.contains("pid 42"));
}

#[test]
fn a_stopped_read_model_is_marked_down_and_its_last_jobs_are_kept() {
    let mut state = state(true);
    apply(&mut state, up(vec![job("a")]));
    apply(&mut state, down());
    assert_eq!(
        state.view,
        View::Dashboard,
        "no launcher once the dashboard was shown"
    );
    let Link::Down { reason, next_in } = &state.read_model else {
        panic!("not down: {:?}", state.read_model)
    };
    assert!(reason.contains("refused"));
    assert_eq!(*next_in, Duration::from_secs(2));
    assert_eq!(state.jobs().len(), 1);
    assert!(state.jobs.error.is_some());
    apply(&mut state, up(vec![job("a")]));
    assert_eq!(state.read_model, Link::Up);
}

#[test]
fn the_highlighted_job_stays_highlighted_as_newer_jobs_arrive() {
    let mut state = state(true);
    apply(&mut state, up(vec![job("b"), job("a")]));
    state.selected = 1;
    apply(&mut state, up(vec![job("d"), job("c"), job("b"), job("a")]));
    assert_eq!(state.selected_job().unwrap().job.id, id("a"));
    apply(&mut state, up(vec![job("x")]));
    assert_eq!(state.selected, 0, "clamped when the job is gone");
}

#[test]
fn a_missing_alerts_endpoint_is_kept_as_an_error_not_as_no_alerts() {
    let mut state = state(true);
    apply(&mut state, up(vec![]));
    assert!(state.alerts.value.is_none());
    assert!(state.alerts.error.as_ref().unwrap().is_not_found());
}

#[test]
fn the_gateways_answer_lands_in_the_open_form_or_in_the_status_bar() {
    let mut state = state(true);
    state.modal = Some(Modal::NewTask(NewTaskForm::default()));
    let accepted = JobAccepted {
        job_id: id("j1"),
        event_id: id("e1"),
    };
    apply(&mut state, AppEvent::Submitted(Ok(accepted)));
    let Some(Modal::NewTask(form)) = &state.modal else {
        panic!("form closed")
    };
    assert_eq!(form.status, FormStatus::Accepted(id("j1").to_string()));
    state.modal = None;
    apply(&mut state, AppEvent::Submitted(Err(refused())));
    assert!(state.notice.unwrap().is_error);
}

#[test]
fn a_late_report_about_another_job_does_not_fill_the_open_detail() {
    let mut state = state(true);
    state.detail = Some(super::super::DetailState {
        id: "open".into(),
        job: Default::default(),
        scroll: 0,
        back: View::Dashboard,
    });
    let other = JobDetail {
        job: job("other"),
        attempts: vec![],
        events: vec![],
    };
    let AppEvent::Polled(mut poll) = up(vec![]) else {
        unreachable!()
    };
    poll.detail = Some(("other".into(), Ok(other)));
    apply(&mut state, AppEvent::Polled(poll));
    assert!(state.detail.unwrap().job.value.is_none());
}

#[test]
fn the_launch_log_keeps_only_its_last_lines_and_an_early_exit_is_a_failure() {
    let mut state = state(true);
    apply(&mut state, down());
    let lines: Vec<String> = (0..250).map(|n| format!("line {n}")).collect();
    apply(&mut state, AppEvent::Launch(LaunchEvent::Output(lines)));
    assert_eq!(state.launch_log.len(), LAUNCH_LOG_LINES);
    assert_eq!(state.launch_log[0], "line 50");
    let exited = LaunchEvent::Exited("with status 1".into());
    apply(&mut state, AppEvent::Launch(exited));
    assert_eq!(
        state.launch,
        LaunchPhase::Failed("odto up exited with status 1".into())
    );
}

#[test]
fn the_heard_time_follows_the_answers_and_outlives_an_error() {
    let mut state = state(true);
    let heard = state.now - chrono::TimeDelta::minutes(6);
    let answered = |heard_at| {
        let AppEvent::Polled(mut poll) = up(vec![]) else {
            unreachable!()
        };
        poll.alerts = Ok(crate::api::AlertsAnswer {
            alerts: vec![],
            source_heard_at: heard_at,
        });
        AppEvent::Polled(poll)
    };

    apply(&mut state, answered(Some(heard)));
    let silent = state.alerts_silent_since();
    apply(&mut state, up(vec![]));
    let after_error = state.alerts_heard_at;
    let now = state.now;
    apply(&mut state, answered(Some(now)));

    assert_eq!(silent, Some(heard));
    assert_eq!(after_error, Some(heard));
    assert_eq!(state.alerts_silent_since(), None, "heard just now");
    assert_eq!(state.alerts.value, Some(vec![]));
}

#[test]
fn the_pipeline_is_silent_only_past_five_minutes_and_never_when_never_heard() {
    let mut state = state(true);
    assert_eq!(state.alerts_silent_since(), None);
    state.alerts_heard_at = Some(state.now - ALERTS_SILENT_AFTER);
    assert_eq!(state.alerts_silent_since(), None, "exactly five minutes");
    let older = state.now - ALERTS_SILENT_AFTER - chrono::TimeDelta::seconds(1);
    state.alerts_heard_at = Some(older);
    assert_eq!(state.alerts_silent_since(), Some(older));
}
