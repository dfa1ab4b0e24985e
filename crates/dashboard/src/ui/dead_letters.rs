//! Dead letters (`GET /dlq`): messages that could not be processed, with the reason; `T`
//! retries the job a letter names.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use super::chrome;
use odto_contracts::read_api::DeadLetter;

use super::style::{self, BAD, DIM, OK, SELECTED, WARN};
use crate::state::State;

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let body = chrome::draw(state, frame, area, &keys(state));
    let letters = state.dead_letter_items();
    let block = Block::bordered().title(title(state));
    if letters.is_empty() {
        let line = match (&state.dead_letters.error, &state.dead_letters.value) {
            (Some(e), _) => Line::styled(format!("unavailable: {e}"), BAD),
            (None, None) => Line::styled("loading…", DIM),
            (None, Some(_)) => Line::styled("✓ no dead letters: nothing was given up on", OK),
        };
        frame.render_widget(Paragraph::new(line).block(block), body);
        return;
    }
    let detail_height = (body.height / 3).clamp(5, 12);
    let [list, detail] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(detail_height)]).areas(body);
    let table = table(state, letters, list.width).block(block);
    let mut table_state = TableState::default().with_selected(Some(state.dead_letter_selected));
    frame.render_stateful_widget(table, list, &mut table_state);
    if let Some(letter) = letters.get(state.dead_letter_selected) {
        frame.render_widget(letter_detail(letter, detail), detail);
    }
}

fn keys(state: &State) -> Vec<(&'static str, &'static str)> {
    let mut keys = vec![("Esc", "back"), ("⏎", "job")];
    if !state.settings.read_only {
        keys.push(("T", "retry job"));
    }
    keys.extend([("R", "refresh"), ("?", "help"), ("Q", "quit")]);
    keys
}

fn title(state: &State) -> String {
    match &state.dead_letters.value {
        Some(page) => format!(" Dead letters ({} in all, newest first) ", page.total),
        None => " Dead letters ".into(),
    }
}

fn table(state: &State, letters: &[DeadLetter], width: u16) -> Table<'static> {
    let job_width: u16 = if width >= 120 { 36 } else { 13 };
    let rows = letters.iter().map(|letter| {
        let job = letter.job_id.map_or("-".into(), |id| {
            style::tail(&id.to_string(), usize::from(job_width))
        });
        let retried = match letter.retried_at {
            Some(_) => Cell::from("↻ yes").style(OK),
            None => Cell::from("no").style(DIM),
        };
        Row::new([
            Cell::from(style::age(state.now, letter.received_at)),
            Cell::from(letter.source.clone()),
            Cell::from(job),
            retried,
            Cell::from(letter.reason.clone()).style(WARN),
        ])
    });
    let widths = [
        Constraint::Length(4),
        Constraint::Length(14),
        Constraint::Length(job_width),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    Table::new(rows, widths)
        .header(Row::new(["AGE", "SOURCE", "JOB", "RETRIED", "REASON"]).style(DIM))
        .row_highlight_style(SELECTED)
        .highlight_symbol("▶ ")
}

/// The selected letter in full: reason, job, and as much of the body as fits.
fn letter_detail(letter: &DeadLetter, area: Rect) -> Paragraph<'static> {
    let room = usize::from(area.width.saturating_sub(2)).saturating_sub(LABEL);
    let rows = usize::from(area.height.saturating_sub(2));
    let job = letter
        .job_id
        .map_or_else(|| "(none: unreadable message)".into(), |id| id.to_string());
    let mut lines = labelled("reason", &style::hard_wrap(&letter.reason, room, 2), WARN);
    lines.extend(labelled("job", &[job], Style::new()));
    let body_rows = rows.saturating_sub(lines.len()).max(1);
    lines.extend(labelled(
        "body",
        &style::hard_wrap(&letter.body, room, body_rows),
        DIM,
    ));
    let title = format!(" Letter {} ", letter.id);
    Paragraph::new(lines).block(Block::bordered().title(title))
}

/// Label column width of the letter's detail.
const LABEL: usize = 8;

fn labelled(label: &str, rows: &[String], style: Style) -> Vec<Line<'static>> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let label = if i == 0 { label } else { "" };
            Line::from(vec![
                Span::styled(format!("{label:<LABEL$}"), DIM),
                Span::styled(row.clone(), style),
            ])
        })
        .collect()
}
