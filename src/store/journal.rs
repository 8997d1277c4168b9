//! journal: `journal.toml`, present only while a transaction is in flight, and recovery. The
//! journal lists every step of the transaction with its before- and after-content; all of those
//! blobs are stored before the journal is written. Recovery puts every listed path back to its
//! before-content, so after a crash each file is wholly old. Recovery must never touch a path
//! the journal does not list, and never removes the journal before every path is restored.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Hash, Store, StoreError, check_absolute, io_err, octal, sha256, write_atomic};
use crate::fsx;
use crate::resource::entry::{self, Shape, Trees};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Journal {
    /// The generation this transaction will write when it completes.
    pub generation: u32,
    #[serde(default)]
    pub steps: Vec<Step>,
    /// The effects to run once every step is written, each with what undoes it, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<crate::resource::effect::Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Step {
    /// Absolute path.
    #[serde(with = "crate::resource::path_text")]
    pub path: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Hash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Hash>,
    /// Mode for a file recovery has to recreate.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "octal")]
    pub mode: Option<u32>,
    /// A file, a link or an SDK tree.
    #[serde(default, skip_serializing_if = "Shape::is_file")]
    pub kind: Shape,
}

impl Store {
    fn journal_path(&self) -> PathBuf {
        self.root.join("journal.toml")
    }

    /// Writes the journal durably. Every before-content must already be stored, and a journal
    /// left by an interrupted transaction is never overwritten: `recover` first.
    pub(crate) fn write_journal(&self, journal: &Journal) -> Result<(), StoreError> {
        for step in &journal.steps {
            check_absolute(&step.path)?;
        }
        self.require_blobs(journal.steps.iter().filter_map(|s| s.before.as_ref()))?;
        let path = self.journal_path();
        let journal = &Journal { effects: self.effects_out(&journal.effects)?, ..journal.clone() };
        let text = toml::to_string(journal)
            .map_err(|e| StoreError::Encode { path: path.clone(), message: e.to_string() })?;
        match write_atomic(&path, text.as_bytes(), false) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Err(StoreError::JournalExists { path })
            }
            Err(e) => Err(io_err("write journal", &path)(e)),
        }
    }

    pub(crate) fn read_journal(&self) -> Result<Option<Journal>, StoreError> {
        let path = self.journal_path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                return Err(StoreError::Parse {
                    path,
                    what: "journal",
                    message: "it is not UTF-8".into(),
                });
            }
            Err(e) => return Err(io_err("read journal", &path)(e)),
        };
        let mut journal: Journal = toml::from_str(&text).map_err(|e| StoreError::Parse {
            path,
            what: "journal",
            message: e.to_string(),
        })?;
        journal.effects = self.effects_in(std::mem::take(&mut journal.effects))?;
        Ok(Some(journal))
    }

    pub(crate) fn remove_journal(&self) -> Result<(), StoreError> {
        let path = self.journal_path();
        match fs::remove_file(&path) {
            Ok(()) => fsx::sync_dir(&self.root).map_err(io_err("sync directory", &self.root)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("remove journal", &path)(e)),
        }
    }

    /// Restores every path `journal` lists to its before-content and keeps the journal (the
    /// caller removes it once the effects are undone too). Returns the paths that changed.
    pub(crate) fn restore_journaled(&self, journal: &Journal) -> Result<Vec<PathBuf>, StoreError> {
        let mut restored = Vec::new();
        let mut first_error = None;
        // Keep going after a failure: every path put back is one less half-applied file.
        for (i, step) in journal.steps.iter().enumerate() {
            match self.restore_step(step, journal.generation, i) {
                Ok(true) => restored.push(step.path.clone()),
                Ok(false) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        Ok(restored)
    }

    /// Removes the companions of a transaction that is recorded: what its steps replaced is in
    /// the blobs. A companion that no longer holds the step's before-content was written after
    /// its swap, through a descriptor opened before it (a `go env -w` writes in place): that
    /// write is stored as a blob first, and returned as `(path, blob)` to be reported. Every
    /// companion is tried; the first error is returned.
    pub(crate) fn forget_companions(
        &self,
        journal: &Journal,
    ) -> Result<Vec<(PathBuf, PathBuf)>, StoreError> {
        let mut first_error = None;
        let mut late = Vec::new();
        let mut dirs = Vec::new();
        for (i, step) in journal.steps.iter().enumerate() {
            let Ok(keep) = fsx::companion(&step.path, journal.generation, i) else { continue };
            if step.kind == Shape::File
                && let Ok(bytes) = fs::read(&keep)
                && Some(sha256(&bytes)) != step.before
            {
                match self.put_blob(&bytes) {
                    Ok(hash) => late.push((step.path.clone(), self.blob_path(&hash))),
                    Err(e) => {
                        // Not stored: the companion stays for the next command to try again.
                        first_error.get_or_insert(e);
                        continue;
                    }
                }
            }
            match fsx::remove_if_present(&keep) {
                Ok(true) => dirs.extend(keep.parent().map(PathBuf::from)),
                Ok(false) => {}
                Err(e) => {
                    first_error.get_or_insert(io_err("remove", &keep)(e));
                }
            }
        }
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            if let Err(e) = fsx::sync_dir(&dir) {
                first_error.get_or_insert(io_err("sync directory", &dir)(e));
            }
        }
        first_error.map_or(Ok(late), Err)
    }

    /// Puts one path back to its before-content; `false` when it already was, or when someone
    /// else wrote it since (a file holding neither goenv's before- nor its after-content is the
    /// user's, and stays).
    fn restore_step(&self, step: &Step, generation: u32, i: usize) -> Result<bool, StoreError> {
        let path = step.path.as_path();
        let keep = fsx::companion(path, generation, i).map_err(io_err("resolve", path))?;
        let current = entry::read(step.kind, path).map_err(io_err("read", path))?;
        let current = current.map(|(bytes, _)| bytes);
        let current_hash = current.as_ref().map(|b| sha256(b));
        let kept = fs::symlink_metadata(&keep).is_ok_and(|m| m.is_file());
        if step.kind == Shape::File && step.before.is_some() && current_hash == step.after && kept {
            // The step was swapped in: its companion is the very file it replaced.
            let real = fsx::resolve(path).map_err(io_err("resolve", path))?;
            fs::rename(&keep, &real).map_err(io_err("restore", path))?;
            fsx::sync_dir(keep.parent().unwrap_or(Path::new("/")))
                .map_err(io_err("sync directory", &keep))?;
            return Ok(true);
        }
        // Not swapped in (yet), or swapped back for a user's write, or a link's temporary
        // link. What a file companion holds is in the blobs, unless it is an older write of
        // the user's that a newer one replaced while goenv swapped: that is stored first.
        if kept
            && let Ok(bytes) = fs::read(&keep)
            && ![step.before.as_ref(), step.after.as_ref()].contains(&Some(&sha256(&bytes)))
        {
            self.put_blob(&bytes)?;
        }
        fsx::remove_if_present(&keep).map_err(io_err("remove", &keep))?;
        if current_hash == step.before {
            return Ok(false);
        }
        if step.kind == Shape::File && current_hash != step.after {
            return Ok(false);
        }
        let before = step.before.as_ref().map(|h| self.get_blob(h)).transpose()?;
        let staged = std::collections::BTreeMap::new();
        let trees = Trees { trash: &self.trash_dir(), staged: &staged };
        let swapped = entry::put(
            step.kind,
            path,
            current.as_deref(),
            before.as_deref(),
            step.mode.unwrap_or(0o644),
            trees,
            &keep,
        )
        .map_err(io_err("restore", path))?;
        // What the restore replaced was goenv's after-content, which is in the blobs.
        fsx::remove_if_present(&keep).map_err(io_err("remove", &keep))?;
        Ok(swapped == fsx::Swapped::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `apply::recover` does without effects: restore every journaled path, then remove
    /// the journal.
    fn recover(store: &Store) -> Result<Option<Vec<PathBuf>>, StoreError> {
        let Some(journal) = store.read_journal()? else {
            return Ok(None);
        };
        let restored = store.restore_journaled(&journal)?;
        store.remove_journal()?;
        Ok(Some(restored))
    }

    #[test]
    fn garbled_journal_is_an_error_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("state")).unwrap();
        assert_eq!(store.read_journal().unwrap(), None);
        fs::write(store.journal_path(), "generation = 3\n[[steps]]\npath = \"/h/.bash").unwrap();
        let err = store.read_journal().unwrap_err();
        assert!(err.to_string().contains("journal.toml"), "{err}");
        assert!(recover(&store).is_err());
        fs::write(store.journal_path(), b"\xff\xfe").unwrap();
        assert!(matches!(store.read_journal(), Err(StoreError::Parse { .. })));
    }

    #[test]
    fn recover_restores_every_before_after_a_crash() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let store = Store::open(tmp.path().join("state")).unwrap();
        let (bashrc, env, profile) =
            (home.join(".bashrc"), home.join(".config/go/env"), home.join(".profile"));
        fs::create_dir_all(&home).unwrap();
        fs::write(&bashrc, b"# mine\r\n").unwrap();
        fs::write(&profile, b"PATH=x\n").unwrap();

        let step = |path: &std::path::Path, before: Option<&[u8]>, after: &[u8]| Step {
            path: path.to_path_buf(),
            before: before.map(|b| store.put_blob(b).unwrap()),
            after: Some(store.put_blob(after).unwrap()),
            mode: Some(0o600),
            kind: Shape::File,
        };
        let journal = Journal {
            effects: Vec::new(),
            generation: 4,
            steps: vec![
                step(&bashrc, Some(b"# mine\r\n"), b"# mine\r\n# goenv\n"),
                step(&env, None, b"GOTOOLCHAIN=local\n"), // goenv creates it
                step(&profile, Some(b"PATH=x\n"), b"PATH=y\n"),
            ],
        };
        store.write_journal(&journal).unwrap();
        assert_eq!(store.read_journal().unwrap(), Some(journal.clone()));
        let err = store.write_journal(&journal).unwrap_err();
        assert!(matches!(err, StoreError::JournalExists { .. }), "{err}");

        // The crash: the first two steps were performed, the third was not.
        crate::fsx::replace_file(&bashrc, b"# mine\r\n# goenv\n", 0o644).unwrap();
        crate::fsx::replace_file(&env, b"GOTOOLCHAIN=local\n", 0o644).unwrap();

        let restored = recover(&store).unwrap().unwrap();
        let expected = [&bashrc, &env].map(|p| p.to_string_lossy().into_owned());
        assert_eq!(restored, expected);
        assert_eq!(fs::read(&bashrc).unwrap(), b"# mine\r\n");
        assert!(!env.exists());
        assert_eq!(fs::read(&profile).unwrap(), b"PATH=x\n");
        assert!(!store.journal_path().exists());
        assert_eq!(recover(&store).unwrap(), None);
    }

    #[test]
    fn recover_with_a_missing_blob_keeps_the_journal() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("state")).unwrap();
        let path = tmp.path().join("file");
        fs::write(&path, b"new").unwrap();
        let hash = store.put_blob(b"old").unwrap();
        let journal = Journal {
            effects: Vec::new(),
            generation: 1,
            steps: vec![Step {
                path: path.to_path_buf(),
                before: Some(hash.clone()),
                after: Some(store.put_blob(b"new").unwrap()),
                mode: None,
                kind: Shape::File,
            }],
        };
        store.write_journal(&journal).unwrap();
        let (shard, rest) = hash.as_str().split_at(2);
        fs::remove_file(store.blobs_dir().join(shard).join(rest)).unwrap();
        assert!(matches!(recover(&store), Err(StoreError::MissingBlob { .. })));
        assert!(store.journal_path().exists());
    }

    #[test]
    fn recovery_renames_a_swapped_companion_back_and_leaves_a_users_write() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        fs::create_dir_all(&home).unwrap();
        let store = Store::open(tmp.path().join("state")).unwrap();
        let (a, b, c) = (home.join("a"), home.join("b"), home.join("c"));
        for p in [&a, &b, &c] {
            fs::write(p, b"old\n").unwrap();
        }
        let step = |path: &Path| Step {
            path: path.to_path_buf(),
            before: Some(store.put_blob(b"old\n").unwrap()),
            after: Some(store.put_blob(b"new\n").unwrap()),
            mode: Some(0o644),
            kind: Shape::File,
        };
        let journal = Journal {
            generation: 5,
            steps: vec![step(&a), step(&b), step(&c)],
            effects: Vec::new(),
        };
        store.write_journal(&journal).unwrap();
        // a: swapped in (its companion is the old file); b: written to its companion only;
        // c: swapped in, then the user saved their own content over it.
        let keep = |p: &Path, i| crate::fsx::companion(p, 5, i).unwrap();
        let swap = |p: &Path, i| {
            crate::fsx::swap(p, Some(b"new\n"), 0o644, &keep(p, i), Some(b"old\n")).unwrap()
        };
        swap(&a, 0);
        fs::write(keep(&b, 1), b"new\n").unwrap();
        swap(&c, 2);
        fs::write(&c, b"mine\n").unwrap();

        let restored = recover(&store).unwrap().unwrap();
        assert_eq!(restored, vec![a.clone()]);
        assert_eq!(fs::read(&a).unwrap(), b"old\n");
        assert_eq!(fs::read(&b).unwrap(), b"old\n");
        assert_eq!(fs::read(&c).unwrap(), b"mine\n", "the user's write stays");
        let left: Vec<_> = fs::read_dir(&home).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 3, "no companion left: {left:?}");
    }
}
