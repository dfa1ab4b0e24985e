use std::sync::Arc;

use super::*;

const SCHEMA: &[&str] = &["CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"];

fn open(dir: &tempfile::TempDir) -> Database {
    Database::open(
        &dir.path().join("nested/test.sqlite"),
        &Options::default(),
        SCHEMA,
    )
    .expect("the database opens")
}

async fn insert(db: &Database, name: &str) -> Result<i64, DbError> {
    let name = name.to_owned();
    db.write(move |c| {
        c.execute("INSERT INTO item (name) VALUES (?1)", [&name])?;
        Ok(c.last_insert_rowid())
    })
    .await
}

async fn names(db: &Database) -> Vec<String> {
    db.read(|c| {
        let mut statement = c.prepare("SELECT name FROM item ORDER BY id")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        rows.collect()
    })
    .await
    .expect("the read works")
}

#[tokio::test]
async fn a_committed_write_is_visible_to_readers_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    insert(&db, "a").await.unwrap();
    assert_eq!(names(&db).await, ["a"]);
    drop(db);

    let reopened = open(&dir);
    assert_eq!(names(&reopened).await, ["a"]);
}

#[tokio::test]
async fn a_failing_write_undoes_only_its_own_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let writes = ["a", "b", "a", "c"].map(|name| {
        let db = db.clone();
        tokio::spawn(async move { insert(&db, name).await })
    });
    let mut failed = 0;
    for write in writes {
        failed += usize::from(write.await.unwrap().is_err());
    }
    assert_eq!(failed, 1, "only the repeated name is refused");
    let mut stored = names(&db).await;
    stored.sort();
    assert_eq!(stored, ["a", "b", "c"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_writes_all_commit_and_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let tasks: Vec<_> = (0..2_000)
        .map(|n| {
            let db = db.clone();
            tokio::spawn(async move { insert(&db, &format!("item-{n}")).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("every write commits");
    }
    assert_eq!(names(&db).await.len(), 2_000);
}

#[tokio::test]
async fn migrations_run_once_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sqlite");
    let v2 = [SCHEMA[0], "ALTER TABLE item ADD COLUMN note TEXT;"];
    Database::open(&path, &Options::default(), SCHEMA).unwrap();
    let db = Database::open(&path, &Options::default(), &v2).expect("the second migration applies");
    db.write(|c| c.execute("INSERT INTO item (name, note) VALUES ('x', 'y')", []))
        .await
        .unwrap();
    let db = Database::open(&path, &Options::default(), &v2).expect("reopening applies nothing");
    drop(db);

    let error = Database::open(&path, &Options::default(), SCHEMA).unwrap_err();
    assert!(error.to_string().contains("schema version 2"), "{error}");
}

#[tokio::test]
async fn an_unusable_path_is_an_open_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "not a directory").unwrap();
    let error = Database::open(&file.join("db.sqlite"), &Options::default(), SCHEMA).unwrap_err();
    assert!(
        matches!(error, DbError::Open { ref path, .. } if path.contains("file")),
        "{error}"
    );
}

#[tokio::test]
async fn reads_run_concurrently_with_more_callers_than_connections() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    insert(&db, "a").await.unwrap();
    let db = Arc::new(db);
    let reads: Vec<_> = (0..50)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { names(&db).await })
        })
        .collect();
    for read in reads {
        assert_eq!(read.await.unwrap(), ["a"]);
    }
}
