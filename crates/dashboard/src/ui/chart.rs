//! The throughput chart: accepted, completed and failed jobs per second over the last minutes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType};

use super::style::DIM;
use crate::state::State;

const ACCEPTED: Color = Color::Cyan;
const COMPLETED: Color = Color::Green;
const FAILED: Color = Color::Red;
/// Height from which the x axis is labelled.
const TALL: u16 = 10;

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let series = state.throughput.series(state.now.timestamp());
    let title = Line::from(vec![
        Span::raw(format!(
            " Jobs per second, last {}: ",
            span_label(series.span_secs)
        )),
        Span::styled("accepted", Style::new().fg(ACCEPTED)),
        Span::raw(" · "),
        Span::styled("completed", Style::new().fg(COMPLETED)),
        Span::raw(" · "),
        Span::styled("failed ", Style::new().fg(FAILED)),
    ]);
    // Failed is drawn last so that failures stay visible where the lines overlap.
    let datasets = vec![
        dataset(&series.accepted, ACCEPTED),
        dataset(&series.completed, COMPLETED),
        dataset(&series.failed, FAILED),
    ];
    let top = nice_ceiling(series.peak);
    let span = series.span_secs as f64;
    let mut x_axis = Axis::default().bounds([-span, 0.0]).style(DIM);
    // The x axis' labels cost two rows: a short chart keeps them for the data instead.
    if area.height >= TALL {
        x_axis = x_axis.labels([
            format!("-{}", span_label(series.span_secs)),
            "now".to_owned(),
        ]);
    }
    let chart = Chart::new(datasets)
        .block(Block::bordered().title(title))
        .legend_position(None)
        .x_axis(x_axis)
        .y_axis(
            Axis::default()
                .bounds([0.0, top as f64])
                .labels(["0".to_owned(), top.to_string()])
                .style(DIM),
        );
    frame.render_widget(chart, area);
}

fn dataset(points: &[(f64, f64)], color: Color) -> Dataset<'_> {
    Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::new().fg(color))
        .data(points)
}

fn span_label(secs: i64) -> String {
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s:02}s"),
    }
}

/// The y axis' top: the peak rounded up in its leading digit (22 → 30, 480 → 500), at least 1.
fn nice_ceiling(peak: u64) -> u64 {
    let mut unit = 1;
    while peak / unit >= 10 {
        unit *= 10;
    }
    peak.div_ceil(unit).max(1) * unit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_top_is_a_round_number_above_the_peak() {
        let tops: Vec<u64> = [0, 1, 7, 10, 12, 22, 480, 2_001].map(nice_ceiling).into();
        assert_eq!(tops, [1, 1, 7, 10, 20, 30, 500, 3_000]);
    }
}
