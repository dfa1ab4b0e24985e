//! Dead letters: kept once, listed newest first page by page, marked when retried.

use chrono::{DateTime, TimeDelta, Utc};
use odto_store::dead_letters::DeadLetter;
use uuid::Uuid;

use crate::backend::{Backend, now, on_every_backend};

fn letter(received_at: DateTime<Utc>) -> DeadLetter {
    DeadLetter {
        id: Uuid::now_v7(),
        received_at,
        source: "jobs.created".into(),
        reason: "not JSON".into(),
        body: "{oops".into(),
        job_id: None,
        retried_at: None,
    }
}

async fn a_dead_letter_is_kept_once_with_every_field(backend: Backend) {
    let store = backend.dead_letters().await;
    let mut kept = letter(Utc::now());
    kept.job_id = Some(Uuid::now_v7());

    let first = store.add(&kept).await.unwrap();
    let second = store.add(&kept).await.unwrap();

    assert!(first && !second);
    assert_eq!(store.get(kept.id).await.unwrap(), Some(kept));
    assert_eq!(store.count().await.unwrap(), 1);
}

async fn a_body_with_nul_bytes_is_kept_readable(backend: Backend) {
    let store = backend.dead_letters().await;
    let mut binary = letter(Utc::now());
    binary.body = "a\0b".into();

    store.add(&binary).await.unwrap();

    let read = store.get(binary.id).await.unwrap().unwrap();
    assert_eq!(read.body, "a\u{FFFD}b");
}

async fn dead_letters_are_listed_newest_first_page_by_page(backend: Backend) {
    let store = backend.dead_letters().await;
    let start = now();
    let letters: Vec<_> = (0..7)
        .map(|i| letter(start - TimeDelta::seconds(i)))
        .collect();
    for letter in letters.iter().rev() {
        store.add(letter).await.unwrap();
    }

    let first = store.list(3, None).await.unwrap();
    let second = store.list(3, first.next_cursor.as_deref()).await.unwrap();
    let third = store.list(3, second.next_cursor.as_deref()).await.unwrap();

    let listed: Vec<_> = [first.items, second.items, third.items].concat();
    assert_eq!(third.next_cursor, None);
    assert_eq!(listed, letters);
}

async fn a_dead_letter_is_marked_when_retried(backend: Backend) {
    let store = backend.dead_letters().await;
    let kept = letter(Utc::now());
    store.add(&kept).await.unwrap();
    let when = now();

    assert!(store.mark_retried(kept.id, when).await.unwrap());
    assert!(!store.mark_retried(Uuid::now_v7(), when).await.unwrap());

    let read = store.get(kept.id).await.unwrap().unwrap();
    assert_eq!(read.retried_at, Some(when));
}

on_every_backend!(postgres:
    a_dead_letter_is_kept_once_with_every_field,
    a_body_with_nul_bytes_is_kept_readable,
    dead_letters_are_listed_newest_first_page_by_page,
    a_dead_letter_is_marked_when_retried,
);
