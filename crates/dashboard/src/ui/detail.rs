//! A job's detail: its fields, its attempts and its event timeline (`GET /jobs/{id}`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table};

use odto_contracts::read_api::{Attempt, AttemptOutcome, JobDetail, JobView};
use odto_contracts::{EventEnvelope, EventType};

use super::chrome;
use super::style::{self, BAD, DIM, WARN, status_style};
use crate::state::{DetailState, State};

/// From this width on, attempts and timeline sit side by side.
const SIDE_BY_SIDE: u16 = 120;

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let body = chrome::draw(state, frame, area, &keys(state));
    let Some(detail) = &state.detail else { return };
    let title = format!(" Job {} ", detail.id);
    let Some(data) = &detail.job.value else {
        let text = match &detail.job.error {
            Some(e) if e.is_not_found() => {
                Line::styled("no such job (the read model does not know it)", BAD)
            }
            Some(e) => Line::styled(format!("unavailable: {e}"), BAD),
            None => Line::styled("loading…", DIM),
        };
        let block = Block::bordered().title(title);
        frame.render_widget(Paragraph::new(text).block(block), body);
        return;
    };
    let summary = summary_lines(state, &data.job, body.width.saturating_sub(2));
    let [top, rest] = Layout::vertical([
        Constraint::Length(summary.len() as u16 + 2),
        Constraint::Min(0),
    ])
    .areas(body);
    let block = Block::bordered().title(title);
    frame.render_widget(Paragraph::new(summary).block(block), top);
    render_history(detail, data, frame, rest);
}

fn keys(state: &State) -> Vec<(&'static str, &'static str)> {
    let mut keys = vec![("Esc", "back"), ("↑↓", "scroll timeline")];
    if !state.settings.read_only {
        keys.push(("T", "retry"));
    }
    keys.extend([("R", "refresh"), ("?", "help"), ("Q", "quit")]);
    keys
}

/// Label column width of the summary.
const LABEL: usize = 12;
/// Rows a long payload or error may take.
const LONG_VALUE_ROWS: usize = 3;

fn summary_lines(state: &State, view: &JobView, width: u16) -> Vec<Line<'static>> {
    let job = &view.job;
    let field = |name: &str, value: Span<'static>| {
        Line::from(vec![Span::styled(format!("{name:<LABEL$}"), DIM), value])
    };
    let room = usize::from(width).saturating_sub(LABEL);
    // Long values are cut into rows here (not wrapped by the widget) so the panel's height is known.
    let long = |name: &str, text: &str, style: ratatui::style::Style| {
        style::hard_wrap(text, room, LONG_VALUE_ROWS)
            .into_iter()
            .enumerate()
            .map(|(row, chunk)| field(if row == 0 { name } else { "" }, Span::styled(chunk, style)))
            .collect::<Vec<_>>()
    };
    let when = |time: chrono::DateTime<chrono::Utc>| {
        format!(
            "{} UTC ({} ago)",
            time.format("%Y-%m-%d %H:%M:%S"),
            style::age(state.now, time)
        )
    };
    let mut lines = vec![
        field(
            "type",
            Span::raw(style::truncate(job.job_type.as_str(), room)),
        ),
        field(
            "status",
            Span::styled(job.status.as_str(), status_style(job.status.as_str())),
        ),
        field("created", Span::raw(when(job.created_at))),
    ];
    if let Some(updated) = job.updated_at {
        lines.push(field("updated", Span::raw(when(updated))));
    }
    let attempts = match (job.attempts, view.run_attempts, view.max_attempts) {
        (Some(all), Some(run), Some(max)) if all != run => {
            format!("{run} of {max} in this run ({all} in all, after a retry)")
        }
        (Some(all), _, Some(max)) => format!("{all} of {max}"),
        (all, _, _) => all.unwrap_or(0).to_string(),
    };
    lines.push(field("attempts", Span::raw(attempts)));
    if let Some(correlation) = &view.correlation_id {
        lines.push(field("correlation", Span::raw(correlation.clone())));
    }
    if let Some(payload) = &job.payload {
        lines.extend(long(
            "payload",
            &serde_json::to_string(payload).unwrap_or_default(),
            ratatui::style::Style::new(),
        ));
    }
    if let Some(error) = &job.last_error {
        lines.extend(long("last error", error, BAD));
    }
    lines
}

fn render_history(detail: &DetailState, data: &JobDetail, frame: &mut Frame, area: Rect) {
    let [attempts_area, timeline_area] = if area.width >= SIDE_BY_SIDE {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    } else {
        let height = (data.attempts.len() as u16 + 3).max(4).min(area.height / 2);
        Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(area)
    };
    frame.render_widget(attempts(&data.attempts), attempts_area);
    frame.render_widget(timeline(&data.events, detail.scroll), timeline_area);
}

fn attempts(attempts: &[Attempt]) -> Table<'static> {
    let rows = attempts.iter().map(|attempt| {
        let took = attempt
            .finished_at
            .map(|end| format!("{}ms", (end - attempt.started_at).num_milliseconds()))
            .unwrap_or_else(|| "running".into());
        let (outcome, outcome_style) = match attempt.outcome {
            Some(AttemptOutcome::Completed) => ("completed", status_style("COMPLETED")),
            Some(other) => (other.as_str(), BAD),
            None => ("-", DIM),
        };
        Row::new(vec![
            Span::raw(attempt.number.to_string()),
            Span::raw(style::clock(attempt.started_at)),
            Span::raw(took),
            Span::styled(outcome, outcome_style),
            Span::raw(attempt.error.clone().unwrap_or_default()),
        ])
    });
    let widths = [
        Constraint::Length(2),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Fill(1),
    ];
    let title = match attempts.len() {
        0 => " Attempts: none yet ".to_owned(),
        n => format!(" Attempts ({n}) "),
    };
    Table::new(rows, widths)
        .header(Row::new(["#", "STARTED", "TOOK", "OUTCOME", "ERROR"]).style(DIM))
        .block(Block::bordered().title(title))
}

fn timeline(events: &[EventEnvelope], scroll: usize) -> Paragraph<'static> {
    let title = format!(" Timeline ({} events, oldest first, UTC) ", events.len());
    let lines: Vec<Line<'static>> = events.iter().skip(scroll).map(event_line).collect();
    let lines = if events.is_empty() {
        vec![Line::styled("no events recorded yet", DIM)]
    } else {
        lines
    };
    Paragraph::new(lines).block(Block::bordered().title(title))
}

fn event_line(event: &EventEnvelope) -> Line<'static> {
    let status = event.payload.status.as_str();
    let mut spans = vec![
        Span::raw(format!("{} ", event.occurred_at.format("%H:%M:%S%.3f"))),
        Span::styled(
            format!("{:<18} ", event.event_type.as_str()),
            event_style(event.event_type),
        ),
        Span::styled(format!("{status:<9} "), status_style(status)),
        Span::styled(event.producer.service.clone(), DIM),
    ];
    // The job carries its last error from then on; show it where it happened.
    let failed = matches!(
        event.event_type,
        EventType::JobAttemptFailed | EventType::JobFailed
    );
    if let (true, Some(error)) = (failed, &event.payload.last_error) {
        spans.push(Span::styled(format!("  {error}"), WARN));
    }
    Line::from(spans)
}

fn event_style(event_type: EventType) -> ratatui::style::Style {
    match event_type {
        EventType::JobCompleted => status_style("COMPLETED"),
        EventType::JobFailed => status_style("FAILED"),
        EventType::JobAttemptFailed => WARN,
        EventType::JobCancelled => status_style("CANCELLED"),
        _ => ratatui::style::Style::new(),
    }
}
