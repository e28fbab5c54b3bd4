//! The run lock: `backbone run` holds an exclusive lock on `<database>.lock` (with its pid inside)
//! for as long as it runs, so `backbone restore` can tell that the bot is running and refuse, and
//! two bots never share one database.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A held run lock; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

/// The lock file of the database at `db`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

impl RunLock {
    /// Takes the lock of the database at `db`, or says who holds it.
    pub fn acquire(db: &Path) -> Result<RunLock> {
        let path = lock_path(db);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::user(format!("cannot open the lock file `{}`: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                let who = if pid.is_empty() {
                    String::new()
                } else {
                    format!(" (pid {pid})")
                };
                return Err(Error::user(format!(
                    "Backbone is running on `{}`{who} — stop it first (e.g. `systemctl stop backbone`), then try again.",
                    db.display()
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(Error::internal(format!("cannot lock `{}`: {e}", path.display())));
            }
        }
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        write!(file, "{}", std::process::id())?;
        file.flush()?;
        Ok(RunLock { _file: file, path })
    }

    /// Where the lock lives.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The file behind a `sqlite:` database URL (None for an in-memory database).
pub fn db_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_name_their_file() {
        assert_eq!(
            db_path("sqlite://backbone.db"),
            Some(PathBuf::from("backbone.db"))
        );
        assert_eq!(
            db_path("sqlite:///var/lib/b/x.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/b/x.db"))
        );
        assert_eq!(db_path("sqlite::memory:"), None);
        assert_eq!(lock_path(Path::new("/a/b.db")), PathBuf::from("/a/b.db.lock"));
    }
}
