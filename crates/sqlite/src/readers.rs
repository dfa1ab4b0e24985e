//! A pool of read connections, used off the async threads.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::{DbError, Durability};

pub(crate) struct Readers {
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection: a caller holding one is sure to find a connection idle.
    permits: Arc<Semaphore>,
}

impl Readers {
    pub(crate) fn open(
        path: &Path,
        durability: Durability,
        count: usize,
    ) -> rusqlite::Result<Self> {
        let mut idle = Vec::with_capacity(count);
        for _ in 0..count {
            let connection = crate::connect(path, durability)?;
            connection.execute_batch("PRAGMA query_only = ON;")?;
            idle.push(connection);
        }
        Ok(Self {
            idle: Mutex::new(idle),
            permits: Arc::new(Semaphore::new(count)),
        })
    }

    pub(crate) async fn run<T, F>(self: &Arc<Self>, read: F) -> Result<T, DbError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| DbError::Closed)?;
        let readers = self.clone();
        tokio::task::spawn_blocking(move || {
            let connection = readers.take();
            let result = read(&connection);
            readers.put(connection);
            drop(permit);
            result.map_err(DbError::from)
        })
        .await
        .map_err(|error| DbError::Panicked(error.to_string()))?
    }

    fn take(&self) -> Connection {
        self.idle
            .lock()
            .expect("the reader pool lock is never poisoned")
            .pop()
            .expect("a permit guarantees an idle connection")
    }

    fn put(&self, connection: Connection) {
        self.idle
            .lock()
            .expect("the reader pool lock is never poisoned")
            .push(connection);
    }
}
