//! The jobs table: newest first, status in colour, the selected row highlighted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Text};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use odto_contracts::read_api::JobView;

use super::style::{self, BAD, DIM, SELECTED, status_style};
use crate::state::State;

/// Widths of the fixed columns: status, tries, age.
const STATUS: u16 = 9;
const TRIES: u16 = 5;
const AGE: u16 = 4;
/// Below this table width ids are shown by their last characters.
const FULL_ID_WIDTH: u16 = 120;

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(title(state));
    let jobs = state.jobs();
    if jobs.is_empty() {
        frame.render_widget(Paragraph::new(empty_text(state)).block(block), area);
        return;
    }
    let inner_width = area.width.saturating_sub(2);
    let id_width = if area.width >= FULL_ID_WIDTH { 36 } else { 13 };
    let spacing = 4; // one column of space between each of the five columns
    let type_width = inner_width.saturating_sub(id_width + STATUS + TRIES + AGE + spacing + 2);
    let widths = [
        Constraint::Length(id_width),
        Constraint::Length(type_width),
        Constraint::Length(STATUS),
        Constraint::Length(TRIES),
        Constraint::Length(AGE),
    ];
    let rows = jobs.iter().map(|job| row(state, job, id_width, type_width));
    let header = Row::new(["ID", "TYPE", "STATUS", "TRIES", "AGE"]).style(DIM);
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(SELECTED)
        .highlight_symbol("▶ ");
    let mut table_state = TableState::default().with_selected(Some(state.selected));
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn title(state: &State) -> String {
    if state.jobs.value.is_none() {
        return " Jobs ".into();
    }
    let shown = state.jobs().len();
    let mut title = format!(" Jobs ({shown} newest");
    if let Some(status) = state.filter.status {
        title.push_str(&format!(", {status}"));
    }
    if let Some(job_type) = &state.filter.job_type {
        title.push_str(&format!(", type {job_type}"));
    }
    title.push(')');
    if state.filter.is_active() {
        title.push_str(" · Esc clears the filter");
    }
    if state.jobs.error.is_some() {
        title.push_str(" (stale)");
    }
    title.push(' ');
    title
}

fn row(state: &State, view: &JobView, id_width: u16, type_width: u16) -> Row<'static> {
    let job = &view.job;
    // This run's attempts against its budget: a retried job starts a new run.
    let tries = match (view.run_attempts.or(job.attempts), view.max_attempts) {
        (Some(done), Some(max)) => format!("{done}/{max}"),
        (Some(done), None) => done.to_string(),
        _ => "-".into(),
    };
    Row::new([
        Cell::from(style::tail(&job.id.to_string(), usize::from(id_width))),
        Cell::from(style::truncate(
            job.job_type.as_str(),
            usize::from(type_width),
        )),
        Cell::from(job.status.as_str()).style(status_style(job.status.as_str())),
        Cell::from(tries),
        Cell::from(style::age(state.now, job.created_at)),
    ])
}

fn empty_text(state: &State) -> Text<'static> {
    let line = match (&state.jobs.value, &state.jobs.error) {
        (_, Some(error)) if state.jobs.value.is_none() => {
            Line::styled(format!("jobs unavailable: {error}"), BAD)
        }
        (None, _) => Line::styled("waiting for the read model…", DIM),
        _ if state.filter.is_active() => {
            Line::styled("no job matches the filter (Esc clears it)", DIM)
        }
        _ if state.settings.read_only => Line::styled("no jobs yet", DIM),
        _ => Line::styled("no jobs yet: press N to create one", DIM),
    };
    Text::from(line)
}
