//! lock: `lock`, held for the whole of apply, rollback and gc so two goenvs never interleave.
//! It is an advisory `flock` through std's `File::try_lock`: it fails at once instead of
//! waiting, and the kernel releases it when the holder dies, so a stale lock file is harmless.
//! The file's text names the holder for the "busy" message; it is never trusted for anything
//! else. flock is unreliable on NFS home directories.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use super::{Store, StoreError, io_err};

/// Holds the store lock until dropped.
#[derive(Debug)]
pub(crate) struct LockGuard {
    file: File,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Clear the name first, so nobody is ever told a finished process holds the lock.
        // (A holder killed with SIGKILL leaves its name, but also no lock: harmless.)
        let _ = self.file.set_len(0);
        // Closing the file would release the lock too; unlocking first is explicit.
        let _ = self.file.unlock();
    }
}

impl Store {
    /// Takes the lock, recording `holder` (e.g. `pid 1234: goenv apply`), or fails at once with
    /// `StoreError::Busy` naming the current holder.
    pub(crate) fn lock(&self, holder: &str) -> Result<LockGuard, StoreError> {
        let path = self.root.join("lock");
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        options.mode(0o600);
        let mut file = options.open(&path).map_err(io_err("open lock file", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                // The holder may be between taking the lock and writing its name: give it a
                // moment (at most 100 ms) before saying the holder is unknown.
                let mut text = String::new();
                for _ in 0..20 {
                    text = fs::read_to_string(&path).unwrap_or_default();
                    if !text.trim().is_empty() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                let holder = match text.trim() {
                    "" => "holder unknown".to_owned(),
                    text => text.to_owned(),
                };
                return Err(StoreError::Busy { holder });
            }
            Err(TryLockError::Error(e)) => return Err(io_err("lock", &path)(e)),
        }
        file.set_len(0).map_err(io_err("write lock file", &path))?;
        file.write_all(holder.as_bytes()).map_err(io_err("write lock file", &path))?;
        Ok(LockGuard { file })
    }

    /// Whether another goenv holds the lock now, found without writing anything (a shared lock
    /// tried on the lock file opened for reading). No lock file: nobody.
    pub(crate) fn is_locked(&self) -> bool {
        let Ok(file) = fs::File::open(self.root.join("lock")) else { return false };
        matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_busy_until_the_first_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let guard = store.lock("pid 1234: goenv apply").unwrap();
        let err = store.lock("pid 5678: goenv rollback").unwrap_err();
        assert!(matches!(&err, StoreError::Busy { holder } if holder == "pid 1234: goenv apply"));
        assert_eq!(
            err.to_string(),
            "another goenv is running (pid 1234: goenv apply); try again when it finishes"
        );
        drop(guard);
        let _guard = store.lock("pid 5678: goenv gc").unwrap();
        let text = fs::read_to_string(tmp.path().join("lock")).unwrap();
        assert_eq!(text, "pid 5678: goenv gc");
        drop(_guard);
        let text = fs::read_to_string(tmp.path().join("lock")).unwrap();
        assert_eq!(text, "", "a released lock names nobody");
    }
}
