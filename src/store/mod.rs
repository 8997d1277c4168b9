//! store: goenv's own state directory, `$XDG_STATE_HOME/goenv` (mode 0700). It owns the
//! content-addressed blobs, the generation manifests (one per apply or rollback, written once),
//! `base.toml` (what gc folds old generations into), the journal of the transaction in flight,
//! and the lock. Everything here is written by temp file + fsync + rename + directory fsync.
//! The store never decides what to change on the machine; the only user files it writes are
//! the journal's before-contents, during recovery, and those go through `fsx`.
//!
//! ```text
//! blobs/sha256/ab/cdef…   every before- and after-content, never rewritten
//! generations/0007.toml   one manifest per apply or rollback
//! generations/base.toml   originals and state of the generations gc dropped
//! journal.toml            present only while a transaction is in flight
//! created-dirs.toml       directories goenv created for its files, removed once empty
//! lock                    held for apply, rollback and gc
//! ```

mod blobs;
mod dirs;
mod effects;
mod generation;
mod journal;
mod lock;

use std::fs::{self, DirBuilder};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub(crate) use self::{
    generation::{Generation, PathRecord},
    journal::{Journal, Step},
    lock::LockGuard,
};
pub(crate) use crate::digest::{Hash, sha256};

use crate::fsx;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum StoreError {
    #[error("cannot {action} `{path}`")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is not a valid {what}: {message}")]
    Parse { path: PathBuf, what: &'static str, message: String },
    #[error(transparent)]
    BadHash(#[from] crate::digest::BadHash),
    #[error("blob `{path}` is corrupted: its content hashes to {actual}")]
    CorruptBlob { path: PathBuf, actual: Hash },
    #[error("blob {hash} is missing: `{path}` does not exist")]
    MissingBlob { hash: Hash, path: PathBuf },
    #[error("generation {number} already exists at `{path}`")]
    GenerationExists { number: u32, path: PathBuf },
    #[error("generation {number} does not exist in `{dir}`")]
    NoSuchGeneration { number: u32, dir: PathBuf },
    #[error(
        "generation {number} was removed by gc (generations up to {through} are folded into `{path}`)"
    )]
    Pruned { number: u32, through: u32, path: PathBuf },
    #[error("refusing to record `{path}`: goenv records absolute paths only")]
    RelativePath { path: String },
    #[error("generation numbers start at 1")]
    GenerationZero,
    #[error("cannot encode `{path}`: {message}")]
    Encode { path: PathBuf, message: String },
    #[error("an interrupted transaction left `{path}`; recover it before starting another")]
    JournalExists { path: PathBuf },
    #[error("another goenv is running ({holder}); try again when it finishes")]
    Busy { holder: String },
}

/// Maps an `io::Error` to a `StoreError` naming the action and the path.
fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io { action, path, source }
}

/// Serializes a file mode as an octal string (`"0644"`), which is what people read.
mod octal {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(mode: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match mode {
            Some(mode) => s.serialize_str(&format!("{mode:04o}")),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => u32::from_str_radix(&text, 8)
                .ok()
                .filter(|mode| *mode <= 0o7777)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("`{text}` is not an octal file mode"))),
            None => Ok(None),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Store {
    root: PathBuf,
    /// Opened by a command that must write nothing (`plan`, `status`): the index cache is not
    /// rewritten and no directory is created.
    read_only: bool,
    /// The directories this open created, outermost first (`~/.local/state`, …, the store):
    /// a command that ends without recording anything takes them away again (see the lock).
    created: Vec<PathBuf>,
}

impl Store {
    /// Opens the store at `root`, creating it (mode 0700) and its directories as needed.
    pub(crate) fn open(root: impl Into<PathBuf>) -> Result<Store, StoreError> {
        let root = root.into();
        let mut created: Vec<PathBuf> =
            root.ancestors().take_while(|d| !d.exists()).map(Path::to_path_buf).collect();
        created.reverse();
        let store = Store { root, read_only: false, created };
        store.make_dirs()?;
        // Blobs hold copies of rc files, which may hold tokens: keep the store private even if
        // the directory existed with a looser mode.
        fs::set_permissions(&store.root, fs::Permissions::from_mode(0o700))
            .map_err(io_err("set permissions of", &store.root))?;
        Ok(store)
    }

    /// Creates the store's directories that are missing (mode 0700).
    fn make_dirs(&self) -> Result<(), StoreError> {
        for dir in [self.root.clone(), self.blobs_dir(), self.generations_dir()] {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(io_err("create directory", &dir))?;
        }
        Ok(())
    }

    /// The store at `root` as it is, for reading: nothing is created, nothing is written, and
    /// a directory that is missing reads as empty.
    pub(crate) fn existing(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into(), read_only: true, created: Vec::new() }
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    fn generations_dir(&self) -> PathBuf {
        self.root.join("generations")
    }

    /// Where SDK trees go when goenv removes them; `gc` empties it.
    pub(crate) fn trash_dir(&self) -> PathBuf {
        self.root.join("trash")
    }
}

/// Writes a store file atomically: temp file in the same directory, fsync, rename, fsync the
/// directory. With `overwrite == false` an existing file is an `AlreadyExists` error.
fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| io::Error::other("path has no parent directory"))?;
    write_atomic_via(path, bytes, overwrite, dir)
}

/// [`write_atomic`] with the temporary file in `tmp_dir` (on the same file system), where the
/// search for what a killed goenv left looks: a blob's shard directory is not such a place.
fn write_atomic_via(path: &Path, bytes: &[u8], overwrite: bool, tmp_dir: &Path) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| io::Error::other("path has no parent directory"))?;
    let mut tmp = tempfile::Builder::new().prefix(".goenv-").tempfile_in(tmp_dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    let persisted = if overwrite { tmp.persist(path) } else { tmp.persist_noclobber(path) };
    persisted.map_err(|e| e.error)?;
    fsx::sync_dir(dir)
}

fn check_absolute(path: &Path) -> Result<(), StoreError> {
    if path.is_absolute() {
        Ok(())
    } else {
        Err(StoreError::RelativePath { path: path.display().to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_a_private_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("state/goenv");
        let store = Store::open(&root).unwrap();
        assert!(store.blobs_dir().is_dir() && store.generations_dir().is_dir());
        assert_eq!(fs::metadata(&root).unwrap().permissions().mode() & 0o777, 0o700);
        Store::open(&root).unwrap(); // reopening is fine
    }

    #[test]
    fn an_existing_store_is_read_without_writing() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::existing(tmp.path());
        assert_eq!(store.generation_numbers().unwrap(), Vec::<u32>::new());
        assert!(store.latest().unwrap().is_none());
        assert!(store.index().unwrap().paths.is_empty());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0, "nothing created");
    }
}
