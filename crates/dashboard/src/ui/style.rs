//! Colours and text helpers every screen shares.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

pub const ACCENT: Color = Color::Cyan;
pub const DIM: Style = Style::new().fg(Color::DarkGray);
pub const KEY: Style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
pub const OK: Style = Style::new().fg(Color::Green);
pub const BAD: Style = Style::new().fg(Color::Red);
pub const WARN: Style = Style::new().fg(Color::Yellow);
pub const TITLE: Style = Style::new().fg(ACCENT).add_modifier(Modifier::BOLD);
pub const SELECTED: Style = Style::new().add_modifier(Modifier::REVERSED);

/// Spinner frames (Braille dots).
pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn spinner(frame: u64) -> &'static str {
    SPINNER[(frame % SPINNER.len() as u64) as usize]
}

/// The colour of a job status wherever it appears.
pub fn status_style(status: &str) -> Style {
    match status {
        "PENDING" => Style::new().fg(Color::Yellow),
        "VALIDATED" => Style::new().fg(Color::Blue),
        "EXECUTING" => Style::new().fg(Color::Cyan),
        "COMPLETED" => Style::new().fg(Color::Green),
        "FAILED" => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        "CANCELLED" => Style::new().fg(Color::DarkGray),
        _ => Style::new().fg(Color::Magenta),
    }
}

pub fn severity_style(severity: &str) -> Style {
    match severity.to_ascii_lowercase().as_str() {
        "critical" | "page" | "error" => BAD.add_modifier(Modifier::BOLD),
        "warning" | "ticket" => WARN,
        _ => Style::new().fg(Color::Blue),
    }
}

/// Display width of a text (wide characters count two).
pub fn width(text: &str) -> usize {
    Span::raw(text).width()
}

/// `text` cut to `max` columns, ending in "…" when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// The last `max` columns of `text`, starting with "…" when cut (ids differ at their end:
/// UUIDv7 ids made in the same minute share their first characters).
pub fn tail(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max {
        return text.to_owned();
    }
    let keep = max.saturating_sub(1);
    std::iter::once('…')
        .chain(chars[chars.len() - keep..].iter().copied())
        .collect()
}

/// `text` cut into rows of `width` columns, at most `max_rows` of them (the last one ending in
/// "…" when text is left over). Counting rows exactly lets a panel size itself to its content.
pub fn hard_wrap(text: &str, width: usize, max_rows: usize) -> Vec<String> {
    let mut rows = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let w = self::width(c.encode_utf8(&mut [0; 4]));
        if used + w > width.max(1) {
            if rows.len() == max_rows {
                let last = rows.pop().unwrap_or_default();
                rows.push(truncate(&format!("{last}…"), width));
                return rows;
            }
            rows.push(String::new());
            used = 0;
        }
        if let Some(row) = rows.last_mut() {
            row.push(c);
        }
        used += w;
    }
    rows
}

/// How long ago, in the largest whole unit: "5s", "3m", "2h", "4d".
pub fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3_600 => format!("{}m", secs / 60),
        3_600..86_400 => format!("{}h", secs / 3_600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// Time of day in UTC, to the second.
pub fn clock(time: DateTime<Utc>) -> String {
    time.format("%H:%M:%S").to_string()
}

/// A rectangle of at most `width` x `height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn long_texts_are_cut_with_an_ellipsis_and_ids_keep_their_end() {
        assert_eq!(truncate("email.send", 20), "email.send");
        assert_eq!(truncate("abcdefghij", 5), "abcd…");
        assert_eq!(truncate("日本語です", 5), "日本…");
        assert_eq!(
            tail("0190c6f2-aaaa-7bbb-8ccc-123456789abc", 13),
            "…123456789abc"
        );
    }

    #[test]
    fn hard_wrapping_fills_rows_and_marks_what_is_left_over() {
        assert_eq!(hard_wrap("abcdefg", 3, 5), ["abc", "def", "g"]);
        assert_eq!(hard_wrap("abcdefghij", 3, 2), ["abc", "de…"]);
        assert_eq!(hard_wrap("", 3, 2), [""]);
    }

    #[test]
    fn ages_use_the_largest_whole_unit_and_never_go_negative() {
        let now = Utc.timestamp_opt(1_000_000, 0).unwrap();
        let ago = |secs| age(now, now - chrono::TimeDelta::seconds(secs));
        assert_eq!(
            [ago(5), ago(125), ago(7_300), ago(200_000)],
            ["5s", "2m", "2h", "2d"]
        );
        assert_eq!(ago(-10), "0s");
    }
}
