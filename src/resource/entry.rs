//! entry: the three shapes of path goenv manages, and how each is read and put in place.
//!
//! - a **file** (`file:`, `block:`): its bytes, replaced atomically by [`fsx`];
//! - a **link** (`link:~/sdk/current`): its target, switched by renaming a new link over it;
//! - an **SDK** (`sdk:go1.22.10`): a whole tree at `<dir>/go1.22.10`, whose state is the bytes of
//!   the descriptor goenv wrote into it ([`SDK_DESCRIPTOR`]). It is put in place by renaming a
//!   prepared tree (unpacked before the transaction) or a trashed one, and removed by renaming it
//!   into the trash, so installing, pruning, rolling back and recovering are all single renames.
//!
//! Everything the transaction, recovery, drift and rollback know about a path goes through
//! [`read`] and [`put`]. This module never decides what a path should hold, never deletes an SDK
//! tree (only moves it into the trash) and never touches a tree without goenv's descriptor.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsx;

/// The file goenv writes into every SDK it installs. Its presence marks the tree as goenv's.
pub const SDK_DESCRIPTOR: &str = ".goenv-sdk";

/// The trash directory inside an SDK directory, used when the state directory's trash is on
/// another file system (a rename cannot cross it).
pub const LOCAL_TRASH: &str = ".goenv-trash";

/// The descriptor content read for an SDK directory goenv did not install. It never equals a
/// real descriptor, so such a directory is never mistaken for goenv's.
pub const FOREIGN: &[u8] = b"# a directory goenv did not install\n";

/// How a path is stored: a file's bytes, a link's target, an SDK tree's descriptor. The
/// journal records it per step (`kind = "link"`), so recovery needs no resource id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    #[default]
    File,
    Link,
    Sdk,
    /// No path: an effect ([`super::effect`]), never journaled as a step.
    Effect,
}

impl Shape {
    pub fn is_file(&self) -> bool {
        *self == Self::File
    }
}

/// The state of `path`: its bytes and mode, `None` when absent.
///
/// A link's state is its target; an SDK's is its descriptor ([`FOREIGN`] when the directory
/// exists without one). A link path holding something else is an error: goenv never replaces a
/// real file or directory with its link.
pub fn read(kind: Shape, path: &Path) -> io::Result<Option<(Vec<u8>, u32)>> {
    match kind {
        Shape::Effect => Ok(None),
        Shape::File => fsx::read_optional(path),
        Shape::Link => match fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
            Ok(m) if m.file_type().is_symlink() => {
                Ok(Some((fs::read_link(path)?.into_os_string().into_vec(), 0o777)))
            }
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "`{}` is not a symbolic link, and goenv will not replace it",
                    path.display()
                ),
            )),
        },
        Shape::Sdk => match fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
            Ok(m) if m.is_dir() => match fsx::read_optional(&path.join(SDK_DESCRIPTOR))? {
                Some((bytes, _)) => Ok(Some((bytes, 0o755))),
                None => Ok(Some((FOREIGN.to_vec(), 0o755))),
            },
            Ok(_) => Ok(Some((FOREIGN.to_vec(), 0o755))),
        },
    }
}

/// Where trees go when goenv removes them, and where prepared trees wait.
#[derive(Debug, Clone, Copy)]
pub struct Trees<'a> {
    /// The state directory's trash.
    pub trash: &'a Path,
    /// SDK destination → a complete tree unpacked beside it, ready to be renamed into place.
    pub staged: &'a BTreeMap<PathBuf, PathBuf>,
}

/// The trash entries that may hold the SDK whose descriptor is `descriptor`.
pub fn trash_entries(trash: &Path, sdk_path: &Path, descriptor: &[u8]) -> [PathBuf; 2] {
    let name = crate::digest::sha256(descriptor).as_str().to_owned();
    let local = sdk_path.parent().unwrap_or(Path::new("/")).join(LOCAL_TRASH);
    [trash.join(&name), local.join(name)]
}

/// Puts `after` at `path` (removing it for `None`). `before` is what goenv read there.
///
/// `keep` is the step's companion ([`fsx::companion`]): a file's new content is written there
/// and swapped in, leaving what it replaced there for the transaction's undo
/// ([`fsx::swap`]: [`fsx::Swapped::Changed`] when that was not `before`); a link's new link is
/// made there and renamed over the old one. An SDK tree moves by renames through the trash.
pub(crate) fn put(
    kind: Shape,
    path: &Path,
    before: Option<&[u8]>,
    after: Option<&[u8]>,
    mode: u32,
    trees: Trees,
    keep: &Path,
) -> io::Result<fsx::Swapped> {
    match kind {
        Shape::Effect => Err(io::Error::other("an effect is run, not put at a path")),
        Shape::File => fsx::swap(path, after, mode, keep, before),
        Shape::Link => put_link(path, after, keep).map(|()| fsx::Swapped::Done),
        Shape::Sdk => {
            if let Some(current) = before {
                if current == FOREIGN {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!("`{}` holds an SDK goenv did not install", path.display()),
                    ));
                }
                to_trash(path, current, trees.trash)?;
            }
            match after {
                Some(descriptor) => from_trees(path, descriptor, trees),
                None => Ok(()),
            }
            .map(|()| fsx::Swapped::Done)
        }
    }
}

fn put_link(path: &Path, target: Option<&[u8]>, tmp: &Path) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    match target {
        None => match fs::remove_file(path) {
            Ok(()) => fsx::sync_dir(dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        },
        Some(target) => {
            fs::create_dir_all(dir)?;
            fsx::remove_if_present(tmp)?;
            std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(target), tmp)?;
            // rename(2) replaces the old link in one step: `current` always points somewhere.
            // A temporary link left by a kill is the companion recovery removes.
            fs::rename(tmp, path)?;
            fsx::sync_dir(dir)
        }
    }
}

/// Moves the SDK at `path` into the trash, keyed by its descriptor.
fn to_trash(path: &Path, descriptor: &[u8], trash: &Path) -> io::Result<()> {
    let [main, local] = trash_entries(trash, path, descriptor);
    for dest in [main, local] {
        let dir = dest.parent().unwrap_or(Path::new("/"));
        fs::create_dir_all(dir)?;
        if dest.exists() {
            // An older copy of the same SDK: the one being moved is the one to keep.
            fs::remove_dir_all(&dest)?;
        }
        match fs::rename(path, &dest) {
            Ok(()) => {
                fsx::sync_dir(dir)?;
                return fsx::sync_dir(path.parent().unwrap_or(Path::new("/")));
            }
            Err(e) if e.raw_os_error() == Some(18) => continue, // EXDEV: try the local trash
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("cannot move `{}` into a trash directory", path.display())))
}

/// Renames a prepared or trashed copy of the SDK described by `descriptor` to `path`.
fn from_trees(path: &Path, descriptor: &[u8], trees: Trees) -> io::Result<()> {
    let candidates = trees.staged.get(path).cloned().into_iter().chain(trash_entries(
        trees.trash,
        path,
        descriptor,
    ));
    for source in candidates {
        let matches = fsx::read_optional(&source.join(SDK_DESCRIPTOR))?
            .is_some_and(|(bytes, _)| bytes == descriptor);
        if !matches {
            continue;
        }
        let dir = path.parent().unwrap_or(Path::new("/"));
        fs::create_dir_all(dir)?;
        fs::rename(&source, path)?;
        return fsx::sync_dir(dir);
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!(
            "no copy of the SDK for `{}` is prepared or in the trash; run the command again to \
             download it",
            path.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk(root: &Path, descriptor: &[u8]) {
        fs::create_dir_all(root.join("bin")).unwrap();
        fs::write(root.join("bin/go"), b"#!/bin/sh\n").unwrap();
        fs::write(root.join(SDK_DESCRIPTOR), descriptor).unwrap();
    }

    #[test]
    fn links_switch_and_refuse_real_files() {
        let tmp = tempfile::tempdir().unwrap();
        let staged = BTreeMap::new();
        let trees = Trees { trash: &tmp.path().join("trash"), staged: &staged };
        let link = tmp.path().join("sdk/current");
        assert_eq!(read(Shape::Link, &link).unwrap(), None);
        let keep = tmp.path().join("sdk/.goenv-1-0");
        put(Shape::Link, &link, None, Some(b"/x/go1.21.13"), 0, trees, &keep).unwrap();
        let next = Some(&b"/x/go1.22.10"[..]);
        put(Shape::Link, &link, Some(b"/x/go1.21.13"), next, 0, trees, &keep).unwrap();
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("/x/go1.22.10"));
        assert_eq!(read(Shape::Link, &link).unwrap().unwrap().0, b"/x/go1.22.10");
        assert_eq!(fs::read_dir(tmp.path().join("sdk")).unwrap().count(), 1, "no temp link left");
        put(Shape::Link, &link, Some(b"/x/go1.22.10"), None, 0, trees, &keep).unwrap();
        assert!(fs::symlink_metadata(&link).is_err());
        fs::create_dir_all(&link).unwrap();
        assert!(read(Shape::Link, &link).is_err());
    }

    #[test]
    fn sdks_move_between_staging_place_and_trash() {
        let tmp = tempfile::tempdir().unwrap();
        let trash = tmp.path().join("state/trash");
        let dest = tmp.path().join("sdk/go1.22.10");
        let prepared = tmp.path().join("sdk/.goenv-staging-x/go");
        sdk(&prepared, b"version = \"1.22.10\"\n");
        let staged = BTreeMap::from([(dest.clone(), prepared.clone())]);
        let trees = Trees { trash: &trash, staged: &staged };
        let d: &[u8] = b"version = \"1.22.10\"\n";
        let keep = tmp.path().join("sdk/.goenv-1-0"); // unused by trees

        assert_eq!(read(Shape::Sdk, &dest).unwrap(), None);
        put(Shape::Sdk, &dest, None, Some(d), 0, trees, &keep).unwrap();
        assert!(!prepared.exists());
        assert_eq!(read(Shape::Sdk, &dest).unwrap().unwrap().0, d);

        // Pruned into the trash, then brought back by rename, with no prepared copy.
        let none = BTreeMap::new();
        let trees = Trees { trash: &trash, staged: &none };
        put(Shape::Sdk, &dest, Some(d), None, 0, trees, &keep).unwrap();
        assert_eq!(read(Shape::Sdk, &dest).unwrap(), None);
        assert!(trash_entries(&trash, &dest, d)[0].join("bin/go").is_file());
        put(Shape::Sdk, &dest, None, Some(d), 0, trees, &keep).unwrap();
        assert!(dest.join("bin/go").is_file());

        // Nothing to bring back: a clear error, nothing changed.
        let other = tmp.path().join("sdk/go1.21.13");
        let err = put(Shape::Sdk, &other, None, Some(b"x"), 0, trees, &keep).unwrap_err();
        assert!(err.to_string().contains("download"), "{err}");

        // A tree goenv did not install is read as foreign and never moved.
        fs::create_dir_all(other.join("bin")).unwrap();
        assert_eq!(read(Shape::Sdk, &other).unwrap().unwrap().0, FOREIGN);
        assert!(put(Shape::Sdk, &other, Some(FOREIGN), None, 0, trees, &keep).is_err());
        assert!(other.join("bin").is_dir());
    }
}
