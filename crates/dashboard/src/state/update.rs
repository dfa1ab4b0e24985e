//! Background reports applied to the state.

use std::time::Duration;

use odto_contracts::JobAccepted;
use uuid::Uuid;

use super::{FormStatus, LAUNCH_LOG_LINES, LaunchPhase, Link, Modal, State, View};
use crate::api::FetchError;
use crate::event::{AppEvent, LaunchEvent, Poll};

pub fn apply(state: &mut State, event: AppEvent) {
    match event {
        AppEvent::Polled(poll) => apply_poll(state, *poll),
        AppEvent::Submitted(result) => submitted(state, result),
        AppEvent::Retried { job_id, result } => retried(state, &job_id, result),
        AppEvent::Launch(event) => launched(state, event),
        AppEvent::BrowserFailed { url, reason } => {
            state.notify(format!("no browser ({reason}): open {url}"), true);
        }
    }
}

fn apply_poll(state: &mut State, poll: Poll) {
    let answered = poll.read_model_answered();
    let read_model = link(&poll.stats, poll.next_in);
    log_change("read model", &state.read_model, &read_model);
    state.read_model = read_model;
    state.gateway = link(&poll.gateway, poll.next_in);
    if let Ok(stats) = &poll.stats {
        state
            .throughput
            .merge(&stats.throughput, state.now.timestamp());
    }
    state.stats.update(poll.stats);
    let selected_id = state.selected_job().map(|view| view.job.id);
    state.jobs.update(poll.jobs);
    reselect(state, selected_id);
    if let Ok(answer) = &poll.alerts {
        state.alerts_heard_at = answer.source_heard_at;
    }
    state.alerts.update(poll.alerts.map(|answer| answer.alerts));
    if let (Some((id, result)), Some(detail)) = (poll.detail, state.detail.as_mut()) {
        // A round started before the user opened another job reports the old one.
        if detail.id == id {
            detail.job.update(result);
        }
    }
    if let Some(result) = poll.dead_letters {
        state.dead_letters.update(result);
        let last = state.dead_letter_items().len().saturating_sub(1);
        state.dead_letter_selected = state.dead_letter_selected.min(last);
    }
    change_view(state, answered);
}

fn link<T>(result: &Result<T, FetchError>, next_in: Duration) -> Link {
    match result {
        Ok(_) => Link::Up,
        Err(error) if error.is_unreachable() => Link::Down {
            reason: error.to_string(),
            next_in,
        },
        Err(error) => Link::Degraded(error.to_string()),
    }
}

/// Logged once per change, not once per poll.
fn log_change(service: &str, before: &Link, after: &Link) {
    match (before.is_down(), after) {
        (false, Link::Down { reason, .. }) => tracing::warn!(service, %reason, "service down"),
        (true, Link::Up | Link::Degraded(_)) => tracing::info!(service, "service back"),
        _ => {}
    }
}

/// Keeps the same job highlighted while newer jobs push it down the list.
fn reselect(state: &mut State, selected_id: Option<Uuid>) {
    let jobs = state.jobs();
    let found = selected_id.and_then(|id| jobs.iter().position(|view| view.job.id == id));
    state.selected = found.unwrap_or(state.selected.min(jobs.len().saturating_sub(1)));
}

/// Loading ends with the first answer (or its absence); the launcher gives way to the
/// dashboard as soon as a stack answers, whoever started it.
fn change_view(state: &mut State, answered: bool) {
    match state.view {
        View::Loading if !answered && state.settings.allow_launcher => {
            state.view = View::Launcher;
        }
        View::Loading => state.view = View::Dashboard,
        View::Launcher if answered => {
            if let LaunchPhase::Starting { pid: Some(pid), .. } = state.launch {
                let text = format!("stack started (odto up, pid {pid}); it keeps running after Q");
                state.notify(text, false);
            }
            state.launch = LaunchPhase::Idle;
            state.view = View::Dashboard;
        }
        _ => {}
    }
}

fn submitted(state: &mut State, result: Result<JobAccepted, FetchError>) {
    let status = match &result {
        Ok(accepted) => FormStatus::Accepted(accepted.job_id.to_string()),
        Err(error) => FormStatus::Rejected(error.to_string()),
    };
    match &mut state.modal {
        Some(Modal::NewTask(form)) => form.status = status,
        // The form was closed while the request ran: say it in the status bar instead.
        _ => match result {
            Ok(accepted) => state.notify(format!("job {} accepted", accepted.job_id), false),
            Err(error) => state.notify(format!("new task refused: {error}"), true),
        },
    }
}

fn retried(state: &mut State, job_id: &str, result: Result<JobAccepted, FetchError>) {
    match result {
        Ok(_) => state.notify(format!("job {job_id} queued again"), false),
        Err(error) => state.notify(format!("retry of {job_id} refused: {error}"), true),
    }
}

fn launched(state: &mut State, event: LaunchEvent) {
    match event {
        LaunchEvent::Started { pid, log } => {
            state.launch = LaunchPhase::Starting {
                pid: Some(pid),
                log: Some(log),
            };
        }
        LaunchEvent::Output(lines) => {
            state.launch_log.extend(lines);
            let excess = state.launch_log.len().saturating_sub(LAUNCH_LOG_LINES);
            state.launch_log.drain(..excess);
        }
        LaunchEvent::Exited(how) if state.view == View::Launcher => {
            state.launch = LaunchPhase::Failed(format!("odto up exited {how}"));
        }
        LaunchEvent::Exited(how) => state.notify(format!("the stack (odto up) exited {how}"), true),
        LaunchEvent::Failed(reason) => state.launch = LaunchPhase::Failed(reason),
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
