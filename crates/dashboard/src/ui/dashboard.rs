//! The main screen: statistics and alerts side by side, the throughput chart, the jobs table.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::style::{self, BAD, DIM, OK, WARN, status_style};
use odto_contracts::read_api::{Alert, Stats};

use super::{chart, chrome, jobs_table};
use crate::api::FetchError;
use crate::state::State;

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let body = chrome::draw(state, frame, area, &keys(state));
    let chart_height = if body.height >= 30 {
        body.height * 3 / 10
    } else {
        6
    };
    let [top, chart_area, jobs] = Layout::vertical([
        Constraint::Length(6),
        Constraint::Length(chart_height),
        Constraint::Min(4),
    ])
    .areas(body);
    let [stats_area, alerts_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    frame.render_widget(stats(state), stats_area);
    frame.render_widget(alerts(state), alerts_area);
    chart::render(state, frame, chart_area);
    jobs_table::render(state, frame, jobs);
}

fn keys(state: &State) -> Vec<(&'static str, &'static str)> {
    let mut keys = vec![("Q", "quit"), ("?", "help")];
    if !state.settings.read_only {
        keys.push(("N", "new"));
    }
    keys.extend([
        ("⏎", "detail"),
        ("/", "filter"),
        ("D", "dead letters"),
        ("U", "UIs"),
        ("R", "refresh"),
    ]);
    keys
}

fn stats(state: &State) -> Paragraph<'static> {
    let block = Block::bordered().title(panel_title("Statistics", state.stats.error.is_some()));
    let Some(stats) = &state.stats.value else {
        let text = match &state.stats.error {
            Some(error) => Line::styled(format!("unavailable: {error}"), BAD),
            None => Line::styled("waiting for the read model…", DIM),
        };
        return Paragraph::new(text).block(block).wrap(Wrap { trim: true });
    };
    Paragraph::new(stat_lines(state, stats)).block(block)
}

/// A panel's title, marked when what it shows is the last value before an error.
pub fn panel_title(name: &str, stale: bool) -> String {
    match stale {
        true => format!(" {name} (stale) "),
        false => format!(" {name} "),
    }
}

fn stat_lines(state: &State, stats: &Stats) -> Vec<Line<'static>> {
    let pair = |label: &str, value: u64, style: Style| {
        [
            Span::raw(format!("{label:<10}")),
            Span::styled(format!("{value:>7}  "), style),
        ]
    };
    let row =
        |a: [Span<'static>; 2], b: [Span<'static>; 2]| Line::from_iter(a.into_iter().chain(b));
    let last_event = match stats.last_event_time {
        Some(time) => format!(
            "{} UTC ({} ago)",
            style::clock(time),
            style::age(state.now, time)
        ),
        None => "none yet".into(),
    };
    let mut last = vec![Span::raw(format!("{:<11}{last_event}", "last event"))];
    match stats.conservation {
        Some(c) if !c.holds => last.push(Span::styled(
            format!("  ✗ {} accepted, {} accounted", c.accepted, c.accounted),
            BAD,
        )),
        _ => {}
    }
    vec![
        row(
            pair("accepted", stats.total_jobs, Style::new()),
            pair("pending", stats.pending_jobs, status_style("PENDING")),
        ),
        row(
            pair("executing", stats.executing_jobs, status_style("EXECUTING")),
            pair("completed", stats.completed_jobs, status_style("COMPLETED")),
        ),
        row(
            pair("failed", stats.failed_jobs, status_style("FAILED")),
            pair("cancelled", stats.cancelled_jobs, status_style("CANCELLED")),
        ),
        Line::from(last),
    ]
}

/// Active alerts from `GET /alerts`. "none" only when the read model said so: a missing
/// endpoint or an error shows as "unavailable", never as a reassuring empty list; nor does a
/// silent alerting pipeline (no Watchdog for a while), which is said first.
fn alerts(state: &State) -> Paragraph<'static> {
    let block = Block::bordered().title(" Alerts ");
    let silent = state.alerts_silent_since();
    let mut lines: Vec<Line<'static>> = silent
        .iter()
        .map(|&since| silent_line(state, since))
        .collect();
    match (&state.alerts.error, &state.alerts.value) {
        (Some(error), _) => lines.push(Line::styled(unavailable(error), WARN)),
        (None, None) => lines.push(Line::styled("waiting for the read model…", DIM)),
        (None, Some(alerts)) if alerts.is_empty() && silent.is_some() => {
            lines.push(Line::styled("none received since then", DIM));
        }
        (None, Some(alerts)) if alerts.is_empty() => {
            lines.push(Line::styled("✓ none firing", OK));
        }
        (None, Some(alerts)) => lines.extend(alerts.iter().map(alert_line)),
    }
    Paragraph::new(lines).block(block).wrap(Wrap { trim: true })
}

/// The Watchdog stopped arriving: alerts may be firing that nobody hears of.
fn silent_line(state: &State, since: DateTime<Utc>) -> Line<'static> {
    let text = format!(
        "⚠ alerting pipeline silent since {} UTC ({} ago)",
        style::clock(since),
        style::age(state.now, since)
    );
    Line::styled(text, BAD.add_modifier(Modifier::BOLD))
}

fn unavailable(error: &FetchError) -> String {
    match error {
        e if e.is_not_found() => "unavailable: this read model does not serve /alerts".into(),
        e => format!("unavailable: {e}"),
    }
}

fn alert_line(alert: &Alert) -> Line<'static> {
    let name = if alert.name.is_empty() {
        "alert"
    } else {
        &alert.name
    };
    let mut spans = vec![Span::styled(
        format!("● {name}"),
        style::severity_style(&alert.severity),
    )];
    // In words too: a colour alone does not reach everyone.
    if !alert.severity.is_empty() {
        spans.push(Span::styled(format!(" ({})", alert.severity), DIM));
    }
    if !alert.summary.is_empty() {
        spans.push(Span::raw(format!(" {}", alert.summary)));
    }
    Line::from(spans)
}
