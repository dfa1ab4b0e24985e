//! Windows over a screen: help, new task, filter, UI launcher.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::style::{self, BAD, DIM, KEY, OK, SELECTED, TITLE, status_style};
use crate::state::{FilterField, FilterForm, FormStatus, Modal, NewTaskField, NewTaskForm, State};

pub fn render(state: &State, modal: &Modal, frame: &mut Frame, area: Rect) {
    let (title, lines) = match modal {
        Modal::Help => (" Keys ", help_lines(state)),
        Modal::NewTask(form) => (" New task ", new_task_lines(form, modal_width(area))),
        Modal::Filter(form) => (" Filter jobs ", filter_lines(form)),
        Modal::UiLauncher { selected } => (
            " Open a web UI ",
            ui_launcher_lines(state, *selected, modal_width(area)),
        ),
    };
    let width = modal_width(area);
    let height = (lines.len() as u16 + 2).min(area.height);
    let window = style::centered(area, width, height);
    frame.render_widget(Clear, window);
    let block = Block::bordered()
        .title(Span::styled(title, TITLE))
        .border_style(TITLE);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        window,
    );
}

fn modal_width(area: Rect) -> u16 {
    area.width.saturating_sub(4).min(90)
}

fn key_line(pairs: &[(&str, &str)]) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (key, action) in pairs {
        spans.push(Span::styled(format!("{key:<8}"), KEY));
        spans.push(Span::raw(format!("{action:<28}")));
    }
    Line::from(spans)
}

fn help_lines(state: &State) -> Vec<Line<'static>> {
    let heading = |text: &str| Line::styled(format!(" {text}"), TITLE);
    let mut lines = vec![
        heading("Everywhere"),
        key_line(&[("Q", "quit"), ("?", "this help")]),
        key_line(&[("R", "refresh now"), ("U", "open a web UI")]),
        heading("Dashboard"),
        key_line(&[("↑↓ j k", "select a job"), ("⏎", "job detail and timeline")]),
        key_line(&[
            ("/ F", "filter by status, type"),
            ("Esc", "clear the filter"),
        ]),
        key_line(&[("D", "dead letters"), ("N", "new task")]),
        heading("Job detail · Dead letters"),
        key_line(&[("↑↓", "scroll / select"), ("T", "retry a FAILED job")]),
        key_line(&[("⏎", "a letter's job"), ("Esc", "back")]),
    ];
    if state.settings.allow_launcher {
        lines.push(heading("Launcher"));
        lines.push(key_line(&[("L", "start odto up (background)")]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " Letter keys work in upper or lower case. Times are UTC.",
        DIM,
    ));
    if state.settings.read_only {
        lines.push(Line::styled(
            " Server mode: N (new task) and T (retry) are off.",
            DIM,
        ));
    }
    lines
}

/// A labelled text input; the focused one shows a cursor and keeps its end in view.
fn field(label: &str, text: &str, focused: bool, width: u16) -> Line<'static> {
    let room = usize::from(width.saturating_sub(20));
    let shown = if focused {
        format!("{text}▏")
    } else {
        text.to_owned()
    };
    let chars: Vec<char> = shown.chars().collect();
    let visible: String = chars[chars.len().saturating_sub(room)..].iter().collect();
    let style = if focused { SELECTED } else { Style::new() };
    Line::from(vec![
        Span::styled(format!(" {label:<10}"), if focused { KEY } else { DIM }),
        Span::styled(format!("{visible:<room$}"), style),
    ])
}

fn new_task_lines(form: &NewTaskForm, width: u16) -> Vec<Line<'static>> {
    let mut lines = vec![
        field(
            "job type",
            &form.job_type.text,
            form.focus == NewTaskField::JobType,
            width,
        ),
        field(
            "payload",
            &form.payload.text,
            form.focus == NewTaskField::Payload,
            width,
        ),
        Line::styled(
            " payload: optional JSON object, e.g. {\"durationMs\": 500} or {\"fail\": true}",
            DIM,
        ),
        Line::raw(""),
    ];
    match &form.status {
        FormStatus::Editing => lines.push(Line::styled(" type 1-64 of A-Z a-z 0-9 _ . : -", DIM)),
        FormStatus::Invalid(problems) => {
            lines.extend(
                problems
                    .iter()
                    .map(|p| Line::styled(format!(" ✖ {p}"), BAD)),
            );
        }
        FormStatus::Submitting => lines.push(Line::raw(" sending to the gateway…")),
        FormStatus::Accepted(id) => {
            lines.push(Line::styled(format!(" ✓ accepted: job {id}"), OK));
        }
        FormStatus::Rejected(reason) => lines.push(Line::styled(format!(" ✖ {reason}"), BAD)),
    }
    lines.push(Line::raw(""));
    let close = match form.status {
        FormStatus::Accepted(_) => "Enter/Esc close · type to send another",
        _ => "Enter send · Tab next field · Ctrl-U clear · Esc close",
    };
    lines.push(Line::styled(format!(" {close}"), DIM));
    lines
}

fn filter_lines(form: &FilterForm) -> Vec<Line<'static>> {
    let on_status = form.focus == FilterField::Status;
    let status = form.status.map_or("any".to_owned(), |s| s.to_string());
    let status_span = Span::styled(
        format!("◀ {status} ▶"),
        form.status
            .map_or(Style::new(), |s| status_style(s.as_str())),
    );
    let mut lines = vec![
        Line::from(vec![
            Span::styled(" status    ", if on_status { KEY } else { DIM }),
            if on_status {
                status_span.patch_style(SELECTED)
            } else {
                status_span
            },
        ]),
        field("type", &form.job_type.text, !on_status, 60),
        Line::raw(""),
    ];
    if let Some(error) = &form.error {
        lines.push(Line::styled(format!(" ✖ {error}"), BAD));
    }
    lines.push(Line::styled(
        " Enter apply · Tab next field · ←→ status · empty = any · Esc cancel",
        DIM,
    ));
    lines
}

fn ui_launcher_lines(state: &State, selected: usize, width: u16) -> Vec<Line<'static>> {
    let room = usize::from(width.saturating_sub(4));
    let mut lines: Vec<Line> = state
        .ui_links
        .iter()
        .enumerate()
        .map(|(index, link)| {
            let marker = if index == selected { "▶" } else { " " };
            let text = format!(
                "{marker} {} {:<24} {}",
                link.emoji,
                style::truncate(&link.name, 24),
                link.url
            );
            let row = Line::raw(style::truncate(&text, room));
            if index == selected {
                row.patch_style(SELECTED)
            } else {
                row
            }
        })
        .collect();
    if let Some(link) = state.ui_links.get(selected) {
        let modes = match link.modes.is_empty() {
            true => "run by no mode".to_owned(),
            false => format!("run by: {}", link.modes),
        };
        lines.push(Line::raw(""));
        for row in style::hard_wrap(&link.description, room, 2) {
            lines.push(Line::raw(format!(" {row}")));
        }
        lines.push(Line::styled(format!(" {modes}"), DIM));
    }
    lines.push(Line::styled(
        " ⏎ open (or show the address when there is no browser) · Esc close",
        DIM,
    ));
    lines
}
