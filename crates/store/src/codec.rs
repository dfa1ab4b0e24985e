//! Conversions between Rust values and what the backends store, shared so that both read back
//! the same values: timestamps split at microsecond precision (PostgreSQL's; the embedded
//! backend keeps the same), opaque page cursors, attempt outcomes, and text PostgreSQL refuses.

use chrono::{DateTime, TimeDelta, Utc};
use odto_contracts::UnknownVariant;
use uuid::Uuid;

use crate::jobs::AttemptOutcome;
use crate::{Page, StoreError};

/// An instant truncated to microseconds (what a `timestamptz` keeps), and the nanoseconds
/// dropped (0..=999), which the schema keeps in a `*_nanos` column where exactness matters.
pub(crate) fn split(instant: DateTime<Utc>) -> (DateTime<Utc>, i16) {
    let dropped = instant.timestamp_subsec_nanos() % 1_000;
    let micros = instant - TimeDelta::nanoseconds(i64::from(dropped));
    // `dropped` < 1000, so it fits.
    (micros, i16::try_from(dropped).unwrap_or(0))
}

/// Undoes [`split`].
pub(crate) fn join(micros: DateTime<Utc>, nanos: i16) -> DateTime<Utc> {
    micros + TimeDelta::nanoseconds(i64::from(nanos))
}

/// The instant as PostgreSQL will store it, so that what the store returns equals what it
/// reads back later.
pub(crate) fn micros(instant: DateTime<Utc>) -> DateTime<Utc> {
    split(instant).0
}

/// A page cursor: the sort key `(timestamp, id)` of the last item of a page, as
/// `<microseconds since the epoch>_<id as 32 hex digits>`: URL-safe, and opaque to callers.
pub(crate) fn encode_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}_{}", at.timestamp_micros(), id.simple())
}

/// Reads a cursor made by [`encode_cursor`].
pub(crate) fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid), StoreError> {
    let invalid = || StoreError::Corrupt(format!("{cursor:?} is not a cursor this store issued"));
    let (micros, id) = cursor.split_once('_').ok_or_else(invalid)?;
    let micros: i64 = micros.parse().map_err(|_| invalid())?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
    let id = Uuid::try_parse(id).map_err(|_| invalid())?;
    Ok((at, id))
}

/// A page from `limit + 1` rows fetched newest first: the extra row, if there is one, only says
/// that a next page exists, which then starts after the page's last item (`key`).
pub(crate) fn page<T>(
    mut items: Vec<T>,
    limit: u32,
    key: impl Fn(&T) -> (DateTime<Utc>, Uuid),
) -> Page<T> {
    let limit = limit as usize;
    let next_cursor = (items.len() > limit).then(|| {
        items.truncate(limit);
        let (at, id) = key(&items[limit - 1]);
        encode_cursor(micros(at), id)
    });
    Page { items, next_cursor }
}

/// Most characters kept of an error message: the contract caps `lastError` at 4000.
const MAX_ERROR_CHARS: usize = 4_000;

/// An error message as it can be stored and published: at most 4000 characters, no NUL
/// (PostgreSQL text cannot hold one).
pub(crate) fn error_text(error: &str) -> String {
    error
        .chars()
        .filter(|&c| c != '\0')
        .take(MAX_ERROR_CHARS)
        .collect()
}

/// Free text PostgreSQL can store: NUL, which a `text` column refuses, becomes U+FFFD.
pub(crate) fn storable_text(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// Reads a stored attempt outcome: its wire name.
pub(crate) fn parse_outcome(name: &str) -> Result<AttemptOutcome, StoreError> {
    name.parse()
        .map_err(|e: UnknownVariant| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_splits_at_microseconds_and_joins_back_exactly() {
        let instant = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();

        let (micros, nanos) = split(instant);

        assert_eq!(micros.timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(nanos, 789);
        assert_eq!(join(micros, nanos), instant);
    }

    #[test]
    fn instants_before_1970_split_the_same_way() {
        let instant = DateTime::from_timestamp(-1_000, 5).unwrap();

        let (micros, nanos) = split(instant);

        assert_eq!(
            (micros.timestamp(), micros.timestamp_subsec_nanos(), nanos),
            (-1_000, 0, 5)
        );
    }

    #[test]
    fn a_cursor_decodes_to_what_was_encoded() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let id = Uuid::now_v7();

        assert_eq!(decode_cursor(&encode_cursor(at, id)).unwrap(), (at, id));
    }

    #[test]
    fn a_foreign_cursor_is_refused() {
        for cursor in ["", "abc", "12_xyz", "_0190b3a27c4e7d4b9a1e3f2d1c0b9a88"] {
            assert!(decode_cursor(cursor).is_err(), "{cursor}");
        }
    }

    #[test]
    fn error_text_is_capped_and_free_of_nul() {
        assert_eq!(error_text("a\0b"), "ab");
        assert_eq!(error_text(&"é".repeat(5_000)).chars().count(), 4_000);
    }
}
