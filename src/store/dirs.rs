//! dirs: the directories goenv created to write a file there (`created-dirs.toml`), so that once
//! a rollback or a removal has deleted what goenv put in them, they go too and the home is again
//! as goenv found it. A directory is removed only while it is empty: anything someone else put
//! there keeps it.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, io_err, write_atomic};

#[derive(Debug, Default, Serialize, Deserialize)]
struct Dirs {
    #[serde(default)]
    dir: Vec<DirRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
struct DirRecord {
    #[serde(with = "crate::resource::path_text")]
    path: PathBuf,
}

impl Store {
    fn created_dirs_path(&self) -> PathBuf {
        self.root.join("created-dirs.toml")
    }

    fn created_dirs(&self) -> Result<BTreeSet<PathBuf>, StoreError> {
        let path = self.created_dirs_path();
        match fs::read_to_string(&path) {
            Ok(text) => {
                let dirs: Dirs = toml::from_str(&text).map_err(|e| StoreError::Parse {
                    path,
                    what: "list of created directories",
                    message: e.to_string(),
                })?;
                Ok(dirs.dir.into_iter().map(|d| d.path).collect())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeSet::new()),
            Err(e) => Err(io_err("read", &path)(e)),
        }
    }

    fn write_created_dirs(&self, dirs: &BTreeSet<PathBuf>) -> Result<(), StoreError> {
        let path = self.created_dirs_path();
        if dirs.is_empty() {
            return match fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_err("remove", &path)(e)),
                _ => Ok(()),
            };
        }
        let list = Dirs { dir: dirs.iter().map(|p| DirRecord { path: p.clone() }).collect() };
        let text = toml::to_string(&list)
            .map_err(|e| StoreError::Encode { path: path.clone(), message: e.to_string() })?;
        write_atomic(&path, text.as_bytes(), true).map_err(io_err("write", &path))
    }

    /// Records `dirs` (absolute, not yet existing) as goenv's, before a transaction creates them.
    pub(crate) fn add_created_dirs(&self, dirs: &[PathBuf]) -> Result<(), StoreError> {
        if dirs.is_empty() {
            return Ok(());
        }
        let mut all = self.created_dirs()?;
        all.extend(dirs.iter().cloned());
        self.write_created_dirs(&all)
    }

    /// Removes every recorded directory that is empty, deepest first, and forgets those that are
    /// gone. Returns the directories removed.
    pub(crate) fn remove_empty_created_dirs(&self) -> Result<Vec<PathBuf>, StoreError> {
        let all = self.created_dirs()?;
        if all.is_empty() {
            return Ok(Vec::new());
        }
        let mut removed = Vec::new();
        let mut deepest_first: Vec<&PathBuf> = all.iter().collect();
        deepest_first.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        for dir in deepest_first {
            let empty = fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none());
            // Not a link, and nothing in it: another process may have put something there since.
            if empty
                && fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
                && fs::remove_dir(dir).is_ok()
            {
                removed.push(dir.clone());
            }
        }
        let left: BTreeSet<PathBuf> = all.into_iter().filter(|d| d.is_dir()).collect();
        self.write_created_dirs(&left)?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_directories_go_once_empty_and_stay_while_used() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("state")).unwrap();
        let home = tmp.path().join("home");
        let (a, ab, c) = (home.join("a"), home.join("a/b"), home.join("c"));
        store.add_created_dirs(&[a.clone(), ab.clone()]).unwrap();
        store.add_created_dirs(std::slice::from_ref(&c)).unwrap();
        fs::create_dir_all(&ab).unwrap();
        fs::create_dir_all(&c).unwrap();
        fs::write(c.join("mine"), "x").unwrap();
        assert_eq!(store.remove_empty_created_dirs().unwrap(), [ab.clone(), a.clone()]);
        assert!(!a.exists() && c.join("mine").exists());
        assert_eq!(store.created_dirs().unwrap(), BTreeSet::from([c.clone()]));
        fs::remove_file(c.join("mine")).unwrap();
        assert_eq!(store.remove_empty_created_dirs().unwrap(), [c]);
        assert!(!store.created_dirs_path().exists(), "nothing left to remember");
    }
}
