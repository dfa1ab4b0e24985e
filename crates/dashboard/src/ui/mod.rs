//! Drawing. [`render`] is a pure function of the [`State`]: it reads no clock, does no IO,
//! and the same state always draws the same screen (the snapshot tests rely on it).

mod chart;
mod chrome;
mod dashboard;
mod dead_letters;
mod detail;
mod jobs_table;
mod modals;
mod splash;
pub mod style;

use ratatui::Frame;

use crate::state::{State, View};

pub fn render(state: &State, frame: &mut Frame) {
    let area = frame.area();
    match state.view {
        View::Loading => splash::loading(state, frame, area),
        View::Launcher => splash::launcher(state, frame, area),
        View::Dashboard => dashboard::render(state, frame, area),
        View::JobDetail => detail::render(state, frame, area),
        View::DeadLetters => dead_letters::render(state, frame, area),
    }
    if let Some(modal) = &state.modal {
        modals::render(state, modal, frame, area);
    }
}
