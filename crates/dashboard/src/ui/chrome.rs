//! What surrounds every screen that shows data: the title bar with the services' state, a
//! banner while the read model is down, the status line, and the help bar with the version.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::style::{self, BAD, DIM, KEY, OK, TITLE, WARN};
use crate::state::{Link, State};

/// Draws the surroundings and returns the area left for the screen's body.
pub fn draw(state: &State, frame: &mut Frame, area: Rect, keys: &[(&str, &str)]) -> Rect {
    let banner = banner(state);
    let banner_height = banner.as_ref().map_or(0, |(_, text)| {
        // Two rows when one is too narrow, so that "data below is stale" is never cut off.
        1 + u16::from(style::width(text) > usize::from(area.width))
    });
    let [title, banner_area, body, notice_area, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_height),
        Constraint::Min(0),
        Constraint::Length(u16::from(state.notice.is_some())),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(title_bar(state), title);
    if let Some((banner, _)) = banner {
        frame.render_widget(banner, banner_area);
    }
    if let Some(notice) = &state.notice {
        let style = if notice.is_error { BAD } else { OK };
        frame.render_widget(
            Line::styled(format!(" {}", notice.text), style),
            notice_area,
        );
    }
    frame.render_widget(help_bar(keys, &state.settings.version, help.width), help);
    body
}

fn title_bar(state: &State) -> Line<'static> {
    let mut spans = vec![Span::styled(" ◆ Task Observatory", TITLE)];
    spans.extend(link_spans("read model", &state.read_model));
    spans.extend(link_spans("gateway", &state.gateway));
    if state.settings.read_only {
        spans.push(Span::styled("  read-only", WARN));
    }
    Line::from(spans)
}

fn link_spans(name: &str, link: &Link) -> [Span<'static>; 2] {
    let (mark, word, style) = match link {
        Link::Unknown => ("○", "…", DIM),
        Link::Up => ("●", "up", OK),
        Link::Degraded(_) => ("◐", "degraded", WARN),
        Link::Down { .. } => ("●", "down", BAD),
    };
    [
        Span::raw(format!("  {name} ")),
        Span::styled(format!("{mark} {word}"), style),
    ]
}

/// A red line while the read model does not answer: everything below it is stale.
fn banner(state: &State) -> Option<(Paragraph<'static>, String)> {
    let text = match &state.read_model {
        Link::Down { reason, next_in } => format!(
            " ✖ read model unreachable at {}: {reason} · next try in {}s · data below is stale",
            state.settings.read_model_url,
            next_in.as_secs().max(1),
        ),
        Link::Degraded(reason) => format!(" ⚠ read model answers with errors: {reason}"),
        _ => return None,
    };
    let style = match state.read_model {
        Link::Down { .. } => Style::new().bg(Color::Red).fg(Color::White),
        _ => Style::new().bg(Color::Yellow).fg(Color::Black),
    };
    let paragraph = Paragraph::new(Line::styled(
        text.clone(),
        style.add_modifier(Modifier::BOLD),
    ))
    .style(style)
    .wrap(Wrap { trim: false });
    Some((paragraph, text))
}

/// As many `key action` pairs as fit, then the version at the right edge.
pub fn help_bar(keys: &[(&str, &str)], version: &str, width: u16) -> Line<'static> {
    let version = format!("v{version} ");
    let room = usize::from(width).saturating_sub(style::width(&version) + 1);
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (key, action) in keys {
        let item = style::width(key) + 1 + style::width(action) + 2;
        if used + item > room {
            break;
        }
        used += item;
        spans.push(Span::styled(key.to_string(), KEY));
        spans.push(Span::raw(format!(" {action}  ")));
    }
    spans.push(Span::raw(" ".repeat(
        usize::from(width).saturating_sub(used + style::width(&version)),
    )));
    spans.push(Span::styled(version, DIM));
    Line::from(spans)
}
