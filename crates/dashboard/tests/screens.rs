//! Every screen, drawn at 80x24 and 160x48 and compared with its snapshot, plus checks of the
//! colours and of what a snapshot cannot show.

mod common;

use common::*;
use odd_dashboard::api::FetchError;
use odd_dashboard::state::{
    FilterForm, FormStatus, LaunchPhase, Link, Modal, NewTaskField, NewTaskForm, State, TextField,
    View,
};
use odto_contracts::{JobStatus, JobType};
use ratatui::style::{Color, Modifier};

fn both_sizes(name: &str, state: &State) {
    assert_screen(name, state, SMALL);
    assert_screen(name, state, LARGE);
}

#[test]
fn the_loading_splash_shows_the_logo_a_spinner_and_a_rotating_message() {
    let mut state = State::new(settings(), now());
    state.frame = 13;
    both_sizes("loading", &state);
}

#[test]
fn the_launcher_offers_to_start_a_stack_when_none_answers() {
    let mut state = State::new(settings(), now());
    state.view = View::Launcher;
    state.read_model = Link::Down {
        reason: refused().to_string(),
        next_in: std::time::Duration::from_secs(2),
    };
    both_sizes("launcher", &state);
}

#[test]
fn the_launcher_follows_the_start_up_log() {
    let mut state = State::new(settings(), now());
    state.view = View::Launcher;
    state.launch = LaunchPhase::Starting {
        pid: Some(4242),
        log: Some(log_path()),
    };
    state.launch_log = launch_log();
    both_sizes("launcher_starting", &state);
}

#[test]
fn a_failed_start_shows_why_and_offers_another_try() {
    let mut state = State::new(settings(), now());
    state.view = View::Launcher;
    state.launch = LaunchPhase::Failed("odto up exited with exit status: 1".into());
    state.launch_log = vec!["Error: address 127.0.0.1:3000 already in use".into()];
    both_sizes("launcher_failed", &state);
}

#[test]
fn many_jobs_fill_the_table_and_firing_alerts_are_listed() {
    let mut state = dashboard(many_jobs(100));
    state.alerts.update(Ok(firing_alerts()));
    state.selected = 2;
    both_sizes("dashboard_many_jobs", &state);
}

#[test]
fn a_firing_alert_shows_its_severity_and_summary() {
    let mut state = dashboard(many_jobs(10));
    state
        .alerts
        .update(Ok(vec![odto_contracts::read_api::Alert {
            name: "OdtoServiceDown".into(),
            severity: "critical".into(),
            summary: "gateway is down".into(),
            description: "up == 0 for 1m".into(),
            since: Some(ago(90)),
            runbook_url: Some("https://runbooks.example/OdtoServiceDown".into()),
            ..Default::default()
        }]));
    state.alerts_heard_at = Some(ago(30));
    both_sizes("dashboard_alert_firing", &state);
    let buffer = draw(&state, SMALL);
    let (x, y) = find(&buffer, "● OdtoServiceDown").expect("the alert is listed");
    assert_eq!(buffer[(x, y)].fg, Color::Red, "critical is red");
    assert!(!screen_text(&buffer).contains("silent"));
}

#[test]
fn a_silent_alerting_pipeline_is_announced_not_called_all_clear() {
    let mut state = dashboard(many_jobs(10));
    state.alerts_heard_at = Some(ago(12 * 60));
    both_sizes("dashboard_alerts_silent", &state);
    let buffer = draw(&state, SMALL);
    let (x, y) = find(&buffer, "alerting pipeline silent").expect("the warning");
    assert_eq!(buffer[(x, y)].fg, Color::Red);
    assert!(!screen_text(&buffer).contains("none firing"));
}

#[test]
fn with_no_jobs_the_table_says_how_to_create_one() {
    let mut state = dashboard(vec![]);
    let mut stats = stats();
    stats
        .throughput
        .iter_mut()
        .for_each(|p| *p = Default::default());
    stats.total_jobs = 0;
    state.stats.update(Ok(stats));
    both_sizes("dashboard_no_jobs", &state);
}

#[test]
fn a_long_job_type_is_cut_with_an_ellipsis() {
    let long = "a.very.long.job.type.that.uses.all.sixty-four.characters.allowed";
    assert_eq!(long.len(), 64);
    let mut jobs = many_jobs(3);
    jobs[0].job.job_type = JobType::parse(long).unwrap();
    both_sizes("dashboard_long_job_type", &dashboard(jobs));
}

#[test]
fn a_stopped_service_is_announced_and_its_last_data_marked_stale() {
    both_sizes("dashboard_service_down", &service_down());
}

#[test]
fn without_any_answer_every_panel_says_unavailable() {
    let mut state = State::new(settings(), now());
    state.view = View::Dashboard;
    state.settings.allow_launcher = false;
    state.read_model = Link::Down {
        reason: refused().to_string(),
        next_in: std::time::Duration::from_secs(1),
    };
    state.gateway = state.read_model.clone();
    state.stats.update(Err(refused()));
    state.jobs.update(Err(refused()));
    state.alerts.update(Err(refused()));
    both_sizes("dashboard_never_up", &state);
}

#[test]
fn a_filter_and_a_missing_alerts_endpoint_are_shown_honestly() {
    let mut state = dashboard(
        many_jobs(12)
            .into_iter()
            .filter(|j| j.job.status == JobStatus::Failed)
            .collect(),
    );
    state.alerts.update(Err(FetchError::Status {
        status: 404,
        code: "route_not_found".into(),
        message: "no route".into(),
    }));
    state.filter.status = Some(odto_contracts::JobStatus::Failed);
    state.filter.job_type = Some("cpu".into());
    state.notify(
        "job 0190c6f2-7a1b-7c3d-8e4f-000000000003 queued again",
        false,
    );
    both_sizes("dashboard_filtered", &state);
}

#[test]
fn server_mode_offers_no_new_task_key() {
    let mut state = dashboard(many_jobs(5));
    state.settings.read_only = true;
    state.settings.allow_launcher = false;
    both_sizes("dashboard_server_mode", &state);
}

#[test]
fn a_jobs_detail_shows_its_attempts_and_event_timeline() {
    let job = job(3, "report.render", "COMPLETED");
    let id = job.job.id.to_string();
    let state = with_detail(dashboard(many_jobs(5)), Ok(detail(job)), &id);
    both_sizes("job_detail", &state);
}

#[test]
fn a_retried_failed_job_shows_its_run_its_error_and_its_payload() {
    let mut job = job(4, &"x".repeat(64), "FAILED");
    // Retried once by hand: four attempts in all, one in this run.
    (job.job.attempts, job.run_attempts) = (Some(4), Some(1));
    job.job.payload = Some(payload(
        serde_json::json!({"fail": true, "note": "a payload long enough to need wrapping on a small terminal, and then some more"}),
    ));
    let id = job.job.id.to_string();
    let state = with_detail(dashboard(many_jobs(5)), Ok(detail(job)), &id);
    both_sizes("job_detail_failed", &state);
}

#[test]
fn an_unknown_job_is_reported_as_such() {
    let missing = FetchError::Status {
        status: 404,
        code: "job_not_found".into(),
        message: "no job".into(),
    };
    let state = with_detail(dashboard(vec![]), Err(missing), &job_id(99));
    both_sizes("job_detail_not_found", &state);
}

#[test]
fn dead_letters_list_reasons_and_show_the_selected_letter() {
    let mut state = dashboard(many_jobs(5));
    state.view = View::DeadLetters;
    state.dead_letters.update(Ok(dead_letters(6)));
    state.dead_letter_selected = 1;
    both_sizes("dead_letters", &state);
}

#[test]
fn no_dead_letters_is_said_plainly() {
    let mut state = dashboard(many_jobs(5));
    state.view = View::DeadLetters;
    state.dead_letters.update(Ok(dead_letters(0)));
    both_sizes("dead_letters_none", &state);
}

#[test]
fn the_help_lists_every_key() {
    let mut state = dashboard(many_jobs(20));
    state.modal = Some(Modal::Help);
    both_sizes("help", &state);
}

#[test]
fn a_refused_job_type_is_explained_in_the_form() {
    let mut state = dashboard(many_jobs(20));
    let form = NewTaskForm {
        job_type: TextField {
            text: "has space".into(),
        },
        payload: TextField {
            text: r#"{"durationMs": 500}"#.into(),
        },
        focus: NewTaskField::JobType,
        status: FormStatus::Invalid(vec![
            "job type: 1 to 64 characters of A-Z a-z 0-9 _ . : -".into(),
        ]),
    };
    state.modal = Some(Modal::NewTask(form));
    both_sizes("new_task_invalid", &state);
}

#[test]
fn an_accepted_task_shows_its_job_id() {
    let mut state = dashboard(many_jobs(20));
    let form = NewTaskForm {
        job_type: TextField {
            text: "email.send".into(),
        },
        payload: TextField::default(),
        focus: NewTaskField::Payload,
        status: FormStatus::Accepted(job_id(77)),
    };
    state.modal = Some(Modal::NewTask(form));
    both_sizes("new_task_accepted", &state);
}

#[test]
fn the_filter_form_shows_status_and_type() {
    let mut state = dashboard(many_jobs(20));
    let form = FilterForm {
        status: Some(odto_contracts::JobStatus::Failed),
        job_type: TextField {
            text: "email.send".into(),
        },
        ..FilterForm::default()
    };
    state.modal = Some(Modal::Filter(form));
    both_sizes("filter", &state);
}

#[test]
fn the_ui_launcher_lists_the_registry_with_addresses() {
    let mut state = dashboard(many_jobs(20));
    state.modal = Some(Modal::UiLauncher { selected: 1 });
    both_sizes("ui_launcher", &state);
}

#[test]
fn statuses_are_coloured_and_the_selected_job_is_highlighted() {
    let mut state = dashboard(many_jobs(6));
    state.selected = 3;
    let buffer = draw(&state, LARGE);
    let (x, y) = find(&buffer, "FAILED").expect("a FAILED job is listed");
    assert_eq!(buffer[(x, y)].fg, Color::Red);
    let (x, y) = find(&buffer, "COMPLETED ").expect("a COMPLETED job is listed");
    assert_eq!(buffer[(x, y)].fg, Color::Green);
    let (x, y) = find(&buffer, "▶").expect("the selection marker");
    assert!(buffer[(x, y)].modifier.contains(Modifier::REVERSED));
    assert_eq!(
        find(&buffer, &job_id(3)).map(|(_, row)| row),
        Some(y),
        "job 3 is selected"
    );
}

#[test]
fn a_down_read_model_is_a_red_banner_and_no_alerts_is_not_claimed() {
    let buffer = draw(&service_down(), SMALL);
    let (x, y) = find(&buffer, "read model unreachable").expect("the banner");
    assert_eq!(buffer[(x, y)].bg, Color::Red);
    let text = screen_text(&buffer);
    assert!(
        !text.contains("none firing"),
        "stale data must not say all is well:\n{text}"
    );
    assert!(text.contains("unavailable"));
}

#[test]
fn tiny_terminals_do_not_crash_any_screen() {
    let mut states = vec![State::new(settings(), now()), service_down()];
    let mut launcher = State::new(settings(), now());
    launcher.view = View::Launcher;
    launcher.launch_log = launch_log();
    states.push(launcher);
    let job = job(1, "t", "FAILED");
    let id = job.job.id.to_string();
    states.push(with_detail(dashboard(many_jobs(3)), Ok(detail(job)), &id));
    let mut dlq = dashboard(vec![]);
    dlq.view = View::DeadLetters;
    dlq.dead_letters.update(Ok(dead_letters(3)));
    dlq.modal = Some(Modal::Help);
    states.push(dlq);
    for state in &states {
        for size in [(1, 1), (20, 5), (40, 10), (60, 15)] {
            let buffer = draw(state, size);
            assert_eq!((buffer.area.width, buffer.area.height), size);
        }
    }
}
