//! SDK probe: the SDK directories (`~/sdk/go1.22.10`), the `current` link, and which PATH
//! directories hold a `go`. It reads a few small files per SDK (`.goenv-sdk`, `VERSION`,
//! `go.env`, the `.unpacked-success` marker) and the header of `bin/go`; it never walks or hashes
//! an SDK tree, so a plan with many SDKs installed stays fast.

use std::collections::BTreeMap;
use std::fs;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::gobin::{self, BinaryArch, BinaryOs};
use crate::resource::entry::{self, Shape};
use crate::sdk::extract::{self, MARKER};

/// A symbolic link as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Absent,
    Link(PathBuf),
    /// Something that is not a link is in the way (goenv never replaces it).
    NotALink(String),
}

/// One `<dir>/go<version>` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkState {
    /// goenv's descriptor ([`entry::FOREIGN`] when goenv did not install it).
    pub descriptor: Vec<u8>,
    /// First line of `VERSION` (`go1.22.10`).
    pub version: Option<String>,
    /// golang.org/dl's `.unpacked-success`.
    pub marker: bool,
    /// `pkg/tool` is a directory (what makes a directory a GOROOT).
    pub has_pkg_tool: bool,
    /// `go.env`: the SDK's defaults (GOTOOLCHAIN, GOPROXY, GOSUMDB).
    pub go_env: Option<Vec<u8>>,
    /// What `bin/go` is built for, or why that could not be read.
    pub arches: Result<Vec<(BinaryOs, BinaryArch)>, String>,
}

pub fn read_link(path: &Path) -> LinkState {
    match entry::read(Shape::Link, path) {
        Ok(None) => LinkState::Absent,
        Ok(Some((target, _))) => {
            use std::os::unix::ffi::OsStringExt;
            LinkState::Link(PathBuf::from(std::ffi::OsString::from_vec(target)))
        }
        Err(e) => LinkState::NotALink(e.to_string()),
    }
}

/// Every `go*` directory in `dir` (not following a link named like one).
pub fn read_sdk_dir(dir: &Path) -> BTreeMap<PathBuf, SdkState> {
    let Ok(entries) = fs::read_dir(dir) else { return BTreeMap::new() };
    let mut out = BTreeMap::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if !is_dir || !name.starts_with("go") || name.len() < 4 {
            continue;
        }
        if !name[2..].starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let path = e.path();
        out.insert(path.clone(), read_sdk(&path));
    }
    out
}

fn read_sdk(root: &Path) -> SdkState {
    let descriptor = match entry::read(Shape::Sdk, root) {
        Ok(Some((bytes, _))) => bytes,
        _ => entry::FOREIGN.to_vec(),
    };
    SdkState {
        descriptor,
        version: extract::sdk_version(root),
        marker: root.join(MARKER).is_file(),
        has_pkg_tool: root.join("pkg/tool").is_dir(),
        go_env: fs::read(root.join("go.env")).ok(),
        arches: gobin::read_all_arches(&root.join("bin/go")).map_err(|e| e.to_string()),
    }
}

/// The directories of `path_var` (a PATH value) that hold an executable `go`, in order.
pub fn path_with_go(path_var: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for dir in path_var.split(':').filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        if out.contains(&dir) {
            continue;
        }
        let exe = fs::metadata(dir.join("go"))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
        if exe {
            out.push(dir);
        }
    }
    out
}
