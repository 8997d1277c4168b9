//! lock: `lock`, held for the whole of apply, rollback and gc so two goenvs never interleave.
//! It is an advisory `flock` through std's `File::try_lock`: it fails at once instead of
//! waiting, and the kernel releases it when the holder dies, so a stale lock file is harmless.
//! The file's text names the holder for the "busy" message; it is never trusted for anything
//! else. flock is unreliable on NFS home directories.
//!
//! A command that created the store and ends without recording anything (a refused apply,
//! `rollback` with nothing to undo) takes the store away again as it lets go of the lock, so a
//! home goenv never changed has no state directory. Only its holder ever unlinks the lock file,
//! and a lock is taken only once the file locked is still the one at the path (and the store's
//! directories are made again under it), so two goenvs never both hold the lock.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::{Store, StoreError, io_err};

/// How often a lock file removed or replaced under us is opened again before giving up.
const ATTEMPTS: usize = 20;

/// Holds the store lock until dropped.
#[derive(Debug)]
pub(crate) struct LockGuard {
    file: File,
    /// When this command created the store: the store and the directories created with it,
    /// outermost first, taken away on release if nothing was recorded.
    fresh: Option<(PathBuf, Vec<PathBuf>)>,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Clear the name first, so nobody is ever told a finished process holds the lock.
        // (A holder killed with SIGKILL leaves its name, but also no lock: harmless.)
        let _ = self.file.set_len(0);
        if let Some((root, created)) = &self.fresh {
            take_back(root, created);
        }
        // Closing the file would release the lock too; unlocking first is explicit.
        let _ = self.file.unlock();
    }
}

/// Removes a store this command created, while its lock is still held, if it recorded nothing:
/// it holds its empty `blobs/sha256` and `generations` directories and the lock, and nothing
/// else. Anything recorded (a blob, a generation, a journal, the trash) keeps the whole store.
fn take_back(root: &Path, created: &[PathBuf]) {
    let names = |dir: &Path| -> Option<Vec<String>> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Some(names)
    };
    let (blobs, generations) = (root.join("blobs"), root.join("generations"));
    let unused = names(root).is_some_and(|n| n == ["blobs", "generations", "lock"])
        && names(&blobs).is_some_and(|n| n == ["sha256"])
        && names(&blobs.join("sha256")).is_some_and(|n| n.is_empty())
        && names(&generations).is_some_and(|n| n.is_empty());
    if !unused {
        return;
    }
    for dir in [blobs.join("sha256"), blobs, generations] {
        if fs::remove_dir(dir).is_err() {
            return;
        }
    }
    if fs::remove_file(root.join("lock")).is_err() {
        return;
    }
    for dir in created.iter().rev() {
        if fs::remove_dir(dir).is_err() {
            break;
        }
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
        let mut attempt = 0;
        let mut file = loop {
            attempt += 1;
            let file = match options.open(&path) {
                Ok(file) => file,
                // A goenv that created the store took it away again: make it anew.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempt < ATTEMPTS => {
                    self.make_dirs()?;
                    continue;
                }
                Err(e) => return Err(io_err("open lock file", &path)(e)),
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Err(self.busy(&path)),
                Err(TryLockError::Error(e)) => return Err(io_err("lock", &path)(e)),
            }
            // Locked: but a holder taking the store away may have unlinked this very file
            // before letting go of it; then the lock is the path's, which may be another file.
            let ours = file.metadata().map_err(io_err("lock", &path))?;
            match fs::symlink_metadata(&path) {
                Ok(now) if now.dev() == ours.dev() && now.ino() == ours.ino() => break file,
                _ if attempt < ATTEMPTS => continue,
                Ok(_) | Err(_) => {
                    return Err(io_err("lock", &path)(std::io::Error::other(
                        "the lock file keeps being replaced",
                    )));
                }
            }
        };
        // Under the lock: directories a goenv taking the store away removed are made again.
        self.make_dirs()?;
        file.set_len(0).map_err(io_err("write lock file", &path))?;
        file.write_all(holder.as_bytes()).map_err(io_err("write lock file", &path))?;
        let fresh = (!self.created.is_empty()).then(|| (self.root.clone(), self.created.clone()));
        Ok(LockGuard { file, fresh })
    }

    /// The busy error, naming the holder the lock file names.
    fn busy(&self, path: &Path) -> StoreError {
        // The holder may be between taking the lock and writing its name: give it a moment (at
        // most 100 ms) before saying the holder is unknown.
        let mut text = String::new();
        for _ in 0..20 {
            text = fs::read_to_string(path).unwrap_or_default();
            if !text.trim().is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let holder = match text.trim() {
            "" => "holder unknown".to_owned(),
            text => text.to_owned(),
        };
        StoreError::Busy { holder }
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

    #[test]
    fn a_store_created_for_nothing_is_taken_back_and_a_used_one_stays() {
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("home/.local/state");
        fs::create_dir_all(tmp.path().join("home")).unwrap();
        let root = state.join("goenv");
        let store = Store::open(&root).unwrap();
        let guard = store.lock("pid 1: goenv apply").unwrap();
        // Another goenv meanwhile: busy, and it created nothing of its own.
        let other = Store::open(&root).unwrap();
        assert!(matches!(other.lock("pid 2: goenv apply"), Err(StoreError::Busy { .. })));
        drop(guard);
        assert!(!tmp.path().join("home/.local").exists(), "everything it created is gone");
        // The other one opened the store before it went: its lock makes the store anew.
        let again = other.lock("pid 2: goenv apply").unwrap();
        assert!(root.join("generations").is_dir() && root.join("blobs/sha256").is_dir());
        drop(again);
        assert!(root.is_dir(), "the store was there when it opened: not its to take back");

        // Something recorded keeps the store.
        fs::remove_dir_all(tmp.path().join("home/.local")).unwrap();
        let store = Store::open(&root).unwrap();
        let guard = store.lock("pid 3: goenv apply").unwrap();
        fs::write(root.join("generations/0001.toml"), "x").unwrap();
        drop(guard);
        assert!(root.join("generations/0001.toml").is_file());
        assert!(root.join("blobs/sha256").is_dir(), "nothing of a used store is removed");
    }
}
