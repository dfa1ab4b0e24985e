//! The loading splash and the launcher shown when no stack answers.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::style::{self, BAD, DIM, KEY, TITLE};
use crate::state::{LaunchPhase, State};

const LOGO: [&str; 4] = [
    " ██████  ██████  ████████  ██████ ",
    "██    ██ ██   ██    ██    ██    ██",
    "██    ██ ██   ██    ██    ██    ██",
    " ██████  ██████     ██     ██████ ",
];

/// Shown one after the other while the first answer is awaited.
const LOADING_MESSAGES: [&str; 4] = [
    "Connecting to the read model",
    "Fetching statistics",
    "Loading recent jobs",
    "Checking alerts",
];

/// Spinner frames each loading message stays.
const FRAMES_PER_MESSAGE: u64 = 12;

pub fn loading(state: &State, frame: &mut Frame, area: Rect) {
    let message =
        LOADING_MESSAGES[(state.frame / FRAMES_PER_MESSAGE) as usize % LOADING_MESSAGES.len()];
    let mut lines = logo(area.height > 10);
    lines.extend([
        Line::raw(""),
        Line::from(vec![
            Span::styled(style::spinner(state.frame), TITLE),
            Span::raw(format!(" {message}…")),
        ]),
        Line::styled(state.settings.read_model_url.clone(), DIM),
    ]);
    let height = lines.len() as u16;
    let text = Paragraph::new(lines).alignment(Alignment::Center);
    frame.render_widget(text, style::centered(area, area.width, height));
}

fn logo(with_art: bool) -> Vec<Line<'static>> {
    let mut lines = vec![];
    if with_art {
        lines.extend(LOGO.iter().map(|row| Line::styled(*row, TITLE)));
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("Distributed Task Observatory", TITLE));
    lines
}

pub fn launcher(state: &State, frame: &mut Frame, area: Rect) {
    let width = area.width.min(100);
    let box_area = style::centered(area, width, area.height);
    let block = Block::bordered().title(" No stack is running ");
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    let head = head_lines(state, inner.height > 20);
    let [head_area, log_area] =
        Layout::vertical([Constraint::Length(head.len() as u16), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), head_area);
    if !state.launch_log.is_empty() {
        frame.render_widget(log_tail(state, log_area), log_area);
    }
}

fn head_lines(state: &State, with_art: bool) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = logo(with_art)
        .into_iter()
        .map(|l| l.alignment(Alignment::Center))
        .collect();
    let url = &state.settings.read_model_url;
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!(" Nothing answers at {url}.")));
    lines.push(Line::raw(""));
    let key = |key: &str, what: &str| {
        Line::from(vec![
            Span::styled(format!(" {key:<3}"), KEY),
            Span::raw(what.to_owned()),
        ])
    };
    match &state.launch {
        LaunchPhase::Idle => lines.extend([
            key(
                "L",
                "start the all-in-one stack here (odto up, in the background)",
            ),
            key("R", "look again"),
            key("Q", "quit"),
            Line::raw(""),
            Line::styled(
                " Or start it yourself: odto up  ·  check this machine: odd-dashboard doctor",
                DIM,
            ),
        ]),
        LaunchPhase::Starting { pid, log } => {
            let pid = pid.map_or(String::new(), |pid| format!(" (pid {pid})"));
            lines.push(Line::from(vec![
                Span::styled(format!(" {} ", style::spinner(state.frame)), TITLE),
                Span::raw(format!(
                    "starting odto up{pid}, waiting for the read model…"
                )),
            ]));
            if let Some(log) = log {
                lines.push(Line::styled(format!(" log: {}", log.display()), DIM));
            }
        }
        LaunchPhase::Failed(reason) => lines.extend([
            Line::styled(format!(" ✖ {reason}"), BAD),
            key("L", "try again"),
            key("Q", "quit"),
        ]),
    }
    lines.push(Line::raw(""));
    lines
}

/// The newest lines of the launched stack's log that fit.
fn log_tail(state: &State, area: Rect) -> Paragraph<'static> {
    let rows = usize::from(area.height.saturating_sub(2));
    let start = state.launch_log.len().saturating_sub(rows);
    let lines: Vec<Line> = state.launch_log[start..]
        .iter()
        .map(|line| {
            Line::raw(style::truncate(
                line,
                usize::from(area.width.saturating_sub(2)),
            ))
        })
        .collect();
    Paragraph::new(Text::from(lines)).block(Block::bordered().title(" odto up ").border_style(DIM))
}
