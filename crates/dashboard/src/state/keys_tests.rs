use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use odto_contracts::read_api::{DeadLetter, DeadLetterPage, JobDetail, JobView};

use super::*;
use crate::state::Settings;
use crate::state::fixtures::{self, id};

fn state(view: View) -> State {
    let settings = Settings {
        read_model_url: "http://127.0.0.1:8080".into(),
        gateway_url: "http://127.0.0.1:3000".into(),
        allow_launcher: true,
        read_only: false,
        version: "0.0.0".into(),
    };
    let mut state = State::new(settings, Utc.timestamp_opt(1_700_000_000, 0).unwrap());
    state.view = view;
    state.jobs.value = Some(vec![job("a", "COMPLETED"), job("b", "FAILED")]);
    state
}

fn job(name: &str, status: &str) -> JobView {
    fixtures::job(name, "email.send", status)
}

fn press(state: &mut State, code: KeyCode) -> Option<Action> {
    handle_key(state, KeyEvent::new(code, KeyModifiers::NONE))
}

fn shifted(state: &mut State, c: char) -> Option<Action> {
    handle_key(state, KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT))
}

fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

#[test]
fn q_quits_in_either_case_and_ctrl_c_quits_even_inside_a_form() {
    assert_eq!(
        press(&mut state(View::Dashboard), KeyCode::Char('q')),
        Some(Action::Quit)
    );
    assert_eq!(
        shifted(&mut state(View::Dashboard), 'Q'),
        Some(Action::Quit)
    );
    // Caps Lock: an upper-case letter without Shift.
    assert_eq!(
        press(&mut state(View::Loading), KeyCode::Char('Q')),
        Some(Action::Quit)
    );
    let mut in_form = state(View::Dashboard);
    shifted(&mut in_form, 'N');
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(handle_key(&mut in_form, ctrl_c), Some(Action::Quit));
}

#[test]
fn a_new_task_is_typed_validated_and_submitted_and_q_inside_it_is_text() {
    let mut state = state(View::Dashboard);
    shifted(&mut state, 'N');
    type_text(&mut state, "quick");
    press(&mut state, KeyCode::Tab);
    type_text(&mut state, r#"{"durationMs": 1}"#);
    let action = press(&mut state, KeyCode::Enter);
    let body = serde_json::json!({"type": "quick", "payload": {"durationMs": 1}});
    assert_eq!(action, Some(Action::Submit(body)));
    let Some(Modal::NewTask(form)) = &state.modal else {
        panic!("the form closed: {:?}", state.modal)
    };
    assert_eq!(form.status, FormStatus::Submitting);
}

#[test]
fn an_invalid_job_type_is_refused_before_anything_is_sent() {
    let mut state = state(View::Dashboard);
    press(&mut state, KeyCode::Char('n'));
    type_text(&mut state, "has space");
    assert_eq!(press(&mut state, KeyCode::Enter), None);
    let Some(Modal::NewTask(form)) = &state.modal else {
        panic!("the form closed")
    };
    assert!(matches!(&form.status, FormStatus::Invalid(p) if p[0].starts_with("job type")));
}

#[test]
fn read_only_refuses_new_tasks_and_retries() {
    let mut state = state(View::Dashboard);
    state.settings.read_only = true;
    assert_eq!(press(&mut state, KeyCode::Char('n')), None);
    assert_eq!(state.modal, None);
    assert!(state.notice.as_ref().unwrap().text.contains("read-only"));
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Enter);
    let detail = state.detail.as_mut().unwrap();
    detail.job.value = Some(JobDetail {
        job: job("b", "FAILED"),
        attempts: vec![],
        events: vec![],
    });
    assert_eq!(shifted(&mut state, 'T'), None);
    assert!(state.notice.as_ref().unwrap().text.contains("read-only"));
}

#[test]
fn enter_opens_the_selected_jobs_detail_and_esc_goes_back() {
    let mut state = state(View::Dashboard);
    press(&mut state, KeyCode::Char('J'));
    press(&mut state, KeyCode::Enter);
    assert_eq!(state.view, View::JobDetail);
    assert_eq!(state.interest().detail, Some(id("b").to_string()));
    press(&mut state, KeyCode::Esc);
    assert_eq!(state.view, View::Dashboard);
    assert_eq!(state.interest().detail, None);
}

#[test]
fn only_failed_jobs_are_retried_from_their_detail() {
    let mut state = state(View::Dashboard);
    press(&mut state, KeyCode::Enter);
    state.detail.as_mut().unwrap().job.value = Some(JobDetail {
        job: job("a", "COMPLETED"),
        attempts: vec![],
        events: vec![],
    });
    assert_eq!(press(&mut state, KeyCode::Char('t')), None);
    state
        .detail
        .as_mut()
        .unwrap()
        .job
        .value
        .as_mut()
        .unwrap()
        .job
        .job
        .status = JobStatus::Failed;
    assert_eq!(
        shifted(&mut state, 'T'),
        Some(Action::Retry(id("a").to_string()))
    );
}

#[test]
fn slash_and_f_open_the_filter_which_changes_what_is_polled() {
    for key in [KeyCode::Char('/'), KeyCode::Char('F'), KeyCode::Char('f')] {
        let mut state = state(View::Dashboard);
        press(&mut state, key);
        press(&mut state, KeyCode::Right);
        press(&mut state, KeyCode::Tab);
        type_text(&mut state, "email.send");
        press(&mut state, KeyCode::Enter);
        assert_eq!(state.modal, None);
        let interest = state.interest();
        assert_eq!(
            interest.filter.status,
            Some(odto_contracts::JobStatus::Pending)
        );
        assert_eq!(interest.filter.job_type.as_deref(), Some("email.send"));
        press(&mut state, KeyCode::Esc);
        assert!(
            !state.interest().filter.is_active(),
            "Esc clears the filter"
        );
    }
}

#[test]
fn dead_letters_open_with_d_and_retry_the_job_they_name() {
    let mut state = state(View::Dashboard);
    shifted(&mut state, 'D');
    assert_eq!(state.view, View::DeadLetters);
    assert!(state.interest().dead_letters);
    let letter = |job_id: Option<&str>| DeadLetter {
        id: id("l"),
        received_at: state.now,
        source: "jobs.created".into(),
        reason: "exhausted".into(),
        body: "{}".into(),
        job_id: job_id.map(id),
        retried_at: None,
    };
    let items = vec![letter(Some("j1")), letter(None)];
    state.dead_letters.value = Some(DeadLetterPage {
        items,
        next_cursor: None,
        total: 2,
    });
    assert_eq!(
        press(&mut state, KeyCode::Char('t')),
        Some(Action::Retry(id("j1").to_string()))
    );
    press(&mut state, KeyCode::Down);
    assert_eq!(press(&mut state, KeyCode::Char('t')), None);
    assert!(state.notice.as_ref().unwrap().is_error);
    press(&mut state, KeyCode::Up);
    press(&mut state, KeyCode::Enter);
    assert_eq!(state.view, View::JobDetail);
    press(&mut state, KeyCode::Esc);
    assert_eq!(
        state.view,
        View::DeadLetters,
        "back to where the detail was opened"
    );
}

#[test]
fn l_launches_only_where_the_launcher_is_allowed_and_only_once() {
    let mut state = state(View::Launcher);
    assert_eq!(shifted(&mut state, 'L'), Some(Action::Launch));
    assert_eq!(
        press(&mut state, KeyCode::Char('l')),
        None,
        "already starting"
    );
    let mut embedded = self::state(View::Launcher);
    embedded.settings.allow_launcher = false;
    assert_eq!(press(&mut embedded, KeyCode::Char('l')), None);
}

#[test]
fn the_ui_launcher_opens_the_selected_address() {
    let mut state = state(View::Dashboard);
    shifted(&mut state, 'U');
    press(&mut state, KeyCode::Down);
    let action = press(&mut state, KeyCode::Enter);
    assert_eq!(action, Some(Action::Open(state.ui_links[1].url.clone())));
    assert_eq!(state.modal, None);
}

#[test]
fn help_opens_with_question_mark_and_any_key_closes_it() {
    let mut state = state(View::Dashboard);
    press(&mut state, KeyCode::Char('?'));
    assert_eq!(state.modal, Some(Modal::Help));
    assert_eq!(
        press(&mut state, KeyCode::Char('q')),
        None,
        "q closes the help first"
    );
    assert_eq!(state.modal, None);
}
