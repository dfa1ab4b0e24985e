//! Keys. Letters work in either case (`q` and `Q` both quit): the reference's lower-case-only
//! keys were a defect. What a key needs done outside the state is returned as an [`Action`].

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use odto_contracts::JobStatus;
use serde_json::Value;

use super::{
    DetailState, FilterField, FilterForm, FormStatus, LaunchPhase, Modal, NewTaskForm, Remote,
    State, View,
};

/// Work a key asks of the UI loop.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Quit,
    /// Poll now.
    Refresh,
    /// `POST /jobs` with this (already validated) body.
    Submit(Value),
    /// `POST /jobs/{id}/retry`.
    Retry(String),
    /// Open this address in a browser, or show it when there is none.
    Open(String),
    /// Start `odto up --no-dashboard` in the background.
    Launch,
}

/// Rows a page key moves.
const PAGE: usize = 10;

pub fn handle_key(state: &mut State, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && command(key, true) == Some('c') {
        return Some(Action::Quit);
    }
    if let Some(modal) = state.modal.take() {
        return modal_key(state, modal, key);
    }
    state.notice = None;
    match command(key, false) {
        Some('q') => return Some(Action::Quit),
        Some('?') => {
            state.modal = Some(Modal::Help);
            return None;
        }
        Some('r') => return Some(Action::Refresh),
        _ => {}
    }
    match state.view {
        View::Loading => None,
        View::Launcher => launcher_key(state, key),
        View::Dashboard => dashboard_key(state, key),
        View::JobDetail => detail_key(state, key),
        View::DeadLetters => dead_letter_key(state, key),
    }
}

/// The lower-cased character of a key with no modifier but Shift (or with Control, when asked).
fn command(key: KeyEvent, allow_control: bool) -> Option<char> {
    let allowed = match allow_control {
        true => KeyModifiers::SHIFT | KeyModifiers::CONTROL,
        false => KeyModifiers::SHIFT,
    };
    match key.code {
        KeyCode::Char(c) if allowed.contains(key.modifiers) => Some(c.to_ascii_lowercase()),
        _ => None,
    }
}

fn launcher_key(state: &mut State, key: KeyEvent) -> Option<Action> {
    if command(key, false) != Some('l') {
        return None;
    }
    if !state.settings.allow_launcher {
        state.notify("starting a stack is not available here", true);
        return None;
    }
    if matches!(state.launch, LaunchPhase::Starting { .. }) {
        return None;
    }
    state.launch = LaunchPhase::Starting {
        pid: None,
        log: None,
    };
    state.launch_log.clear();
    Some(Action::Launch)
}

/// Keys of the views that show jobs: new task and UI launcher work from all of them.
fn shared_key(state: &mut State, key: KeyEvent) -> Option<Action> {
    match command(key, false) {
        Some('n') if state.settings.read_only => {
            state.notify("new tasks are disabled: this dashboard is read-only", true);
        }
        Some('n') => state.modal = Some(Modal::NewTask(NewTaskForm::default())),
        Some('u') => state.modal = Some(Modal::UiLauncher { selected: 0 }),
        _ => {}
    }
    None
}

fn dashboard_key(state: &mut State, key: KeyEvent) -> Option<Action> {
    let len = state.jobs().len();
    if let Some(index) = moved(state.selected, len, key.code) {
        state.selected = index;
        return None;
    }
    match (key.code, command(key, false)) {
        (KeyCode::Enter, _) => {
            let id = state.selected_job()?.job.id.to_string();
            open_detail(state, id, View::Dashboard);
        }
        (KeyCode::Esc, _) if state.filter.is_active() => {
            state.filter = Default::default();
            state.selected = 0;
        }
        (_, Some('/' | 'f')) => {
            state.modal = Some(Modal::Filter(FilterForm::from_filter(&state.filter)));
        }
        (_, Some('d')) => {
            state.view = View::DeadLetters;
            state.dead_letter_selected = 0;
        }
        _ => return shared_key(state, key),
    }
    None
}

fn open_detail(state: &mut State, id: String, back: View) {
    state.detail = Some(DetailState {
        id,
        job: Remote::default(),
        scroll: 0,
        back,
    });
    state.view = View::JobDetail;
}

fn detail_key(state: &mut State, key: KeyEvent) -> Option<Action> {
    let detail = state.detail.as_mut()?;
    let events = detail.job.value.as_ref().map_or(0, |d| d.events.len());
    if let Some(scroll) = moved(detail.scroll, events, key.code) {
        detail.scroll = scroll;
        return None;
    }
    if is_back(key) {
        state.view = detail.back;
        state.detail = None;
        return None;
    }
    if command(key, false) == Some('t') {
        let status = detail.job.value.as_ref().map(|d| d.job.job.status);
        let id = detail.id.clone();
        return match status {
            Some(JobStatus::Failed) => retry(state, id),
            _ => {
                state.notify("only FAILED jobs can be retried", true);
                None
            }
        };
    }
    shared_key(state, key)
}

fn dead_letter_key(state: &mut State, key: KeyEvent) -> Option<Action> {
    let len = state.dead_letter_items().len();
    if let Some(index) = moved(state.dead_letter_selected, len, key.code) {
        state.dead_letter_selected = index;
        return None;
    }
    if is_back(key) || command(key, false) == Some('d') {
        state.view = View::Dashboard;
        return None;
    }
    let job_id = state
        .dead_letter_items()
        .get(state.dead_letter_selected)
        .map(|letter| letter.job_id.map(|id| id.to_string()));
    match (key.code, command(key, false), job_id) {
        (KeyCode::Enter, _, Some(Some(id))) => open_detail(state, id, View::DeadLetters),
        (_, Some('t'), Some(Some(id))) => return retry(state, id),
        (KeyCode::Enter, _, Some(None)) | (_, Some('t'), Some(None)) => {
            state.notify("this dead letter names no job: it cannot be retried", true);
        }
        _ => return shared_key(state, key),
    }
    None
}

fn retry(state: &mut State, id: String) -> Option<Action> {
    if state.settings.read_only {
        state.notify("retry is disabled: this dashboard is read-only", true);
        return None;
    }
    state.notify(format!("retrying job {id}…"), false);
    Some(Action::Retry(id))
}

fn is_back(key: KeyEvent) -> bool {
    matches!(key.code, KeyCode::Esc | KeyCode::Backspace | KeyCode::Left)
}

/// The new index after a movement key, or `None` if the key is not one.
fn moved(index: usize, len: usize, code: KeyCode) -> Option<usize> {
    let last = len.saturating_sub(1);
    let index = match code {
        KeyCode::Up | KeyCode::Char('k' | 'K') => index.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j' | 'J') => index + 1,
        KeyCode::PageUp => index.saturating_sub(PAGE),
        KeyCode::PageDown => index + PAGE,
        KeyCode::Home => 0,
        KeyCode::End => last,
        _ => return None,
    };
    Some(index.min(last))
}

fn modal_key(state: &mut State, modal: Modal, key: KeyEvent) -> Option<Action> {
    match modal {
        // Any key closes the help.
        Modal::Help => None,
        Modal::NewTask(form) => new_task_key(state, form, key),
        Modal::Filter(form) => filter_key(state, form, key),
        Modal::UiLauncher { selected } => ui_launcher_key(state, selected, key),
    }
}

fn new_task_key(state: &mut State, mut form: NewTaskForm, key: KeyEvent) -> Option<Action> {
    let mut action = None;
    match key.code {
        KeyCode::Esc => return None,
        KeyCode::Enter => match &form.status {
            FormStatus::Submitting => {}
            FormStatus::Accepted(_) => return None,
            _ => match form.body() {
                Ok(body) => {
                    form.status = FormStatus::Submitting;
                    action = Some(Action::Submit(body));
                }
                Err(problems) => form.status = FormStatus::Invalid(problems),
            },
        },
        _ if form.status == FormStatus::Submitting => {}
        _ => {
            edit_new_task(&mut form, key);
            form.status = FormStatus::Editing;
        }
    }
    state.modal = Some(Modal::NewTask(form));
    action
}

fn edit_new_task(form: &mut NewTaskForm, key: KeyEvent) {
    match key.code {
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => form.switch_field(),
        KeyCode::Backspace => form.focused().pop(),
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            form.focused().clear()
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            form.focused().push(c)
        }
        _ => {}
    }
}

fn filter_key(state: &mut State, mut form: FilterForm, key: KeyEvent) -> Option<Action> {
    let on_status = form.focus == FilterField::Status;
    let control = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => return None,
        KeyCode::Enter => match form.filter() {
            Ok(filter) => {
                state.filter = filter;
                state.selected = 0;
                return None;
            }
            Err(error) => form.error = Some(error),
        },
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => form.switch_field(),
        KeyCode::Left if on_status => form.cycle_status(false),
        KeyCode::Right | KeyCode::Char(' ') if on_status => form.cycle_status(true),
        KeyCode::Backspace if !on_status => form.job_type.pop(),
        KeyCode::Char('u') if control => match on_status {
            true => form.status = None,
            false => form.job_type.clear(),
        },
        KeyCode::Char(c) if !on_status && !control => form.job_type.push(c),
        _ => {}
    }
    state.modal = Some(Modal::Filter(form));
    None
}

fn ui_launcher_key(state: &mut State, selected: usize, key: KeyEvent) -> Option<Action> {
    let len = state.ui_links.len();
    if let Some(selected) = moved(selected, len, key.code) {
        state.modal = Some(Modal::UiLauncher { selected });
        return None;
    }
    match (key.code, command(key, false)) {
        (KeyCode::Enter, _) | (_, Some('o')) => {
            let url = state.ui_links.get(selected)?.url.clone();
            Some(Action::Open(url))
        }
        (KeyCode::Esc, _) | (_, Some('u' | 'q')) => None,
        _ => {
            state.modal = Some(Modal::UiLauncher { selected });
            None
        }
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
