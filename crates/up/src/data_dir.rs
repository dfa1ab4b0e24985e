//! The data directory: created on first use and held by one `odto up` at a time.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::UpError;

/// Creates `dir` if needed and takes its lock, held until the returned file is dropped (or the
/// process dies). Two processes on one directory would both deliver its messages.
pub(crate) fn lock(dir: &Path) -> Result<File, UpError> {
    let io = |source: std::io::Error| UpError::DataDir {
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("lock"))
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(UpError::Locked {
            path: dir.display().to_string(),
        }),
        Err(std::fs::TryLockError::Error(error)) => Err(io(error)),
    }
}
