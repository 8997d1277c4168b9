//! SDK probe: the SDK directories (`~/sdk/go1.22.10`), the trees a profile names where they lie
//! (`root "/usr/local/go"`), the `current` link, and which PATH directories hold a `go`. It
//! reads a few small files per SDK (`.goenv-sdk`, `VERSION`, `go.env`, the `.unpacked-success`
//! marker), whether `pkg/tool/<os>_<arch>/compile` and `src/runtime` exist, and the header and
//! build info of `bin/go` (never running it); it never walks or hashes an SDK tree, so a plan
//! with many SDKs installed stays fast. A symbolic link (`~/sdk/go1.22.10 -> /usr/local/go`) is
//! followed and read at its target; reading outside the home is only a read.

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
    /// Where the tree really is when its path goes through a symbolic link (`~/sdk/go1.22.10
    /// -> /usr/local/go`), else `None`.
    pub target: Option<PathBuf>,
    /// Why the path is not a directory tree at all (a dangling link, a file), else `None`.
    pub broken: Option<String>,
    /// `bin/go` is a file.
    pub has_bin_go: bool,
    /// The Go version `bin/go`'s build info records (`go1.22.10`), or why it could not be read.
    pub go_version: Result<String, String>,
    /// The `pkg/tool/<os>_<arch>` directories that hold a `compile` (`linux_amd64`).
    pub compilers: Vec<String>,
    /// `src/runtime` is a directory.
    pub has_runtime: bool,
}

impl SdkState {
    /// A tree as goenv knows nothing of it: for paths that are not a tree.
    fn broken(reason: String) -> Self {
        SdkState {
            descriptor: entry::FOREIGN.to_vec(),
            version: None,
            marker: false,
            has_pkg_tool: false,
            go_env: None,
            arches: Err(reason.clone()),
            target: None,
            broken: Some(reason.clone()),
            has_bin_go: false,
            go_version: Err(reason),
            compilers: Vec::new(),
            has_runtime: false,
        }
    }
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

/// Every `go*` directory in `dir`; a link named like one is followed to its target (and kept,
/// as [`SdkState::broken`], when it leads nowhere: it is in the way all the same).
pub fn read_sdk_dir(dir: &Path) -> BTreeMap<PathBuf, SdkState> {
    let Ok(entries) = fs::read_dir(dir) else { return BTreeMap::new() };
    let mut out = BTreeMap::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with("go") || name.len() < 4 {
            continue;
        }
        if !name[2..].starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        let is_link = e.file_type().is_ok_and(|t| t.is_symlink());
        if !is_dir && !is_link {
            continue;
        }
        let path = e.path();
        out.insert(path.clone(), read_tree(&path));
    }
    out
}

/// The tree at `root` as an SDK, following symbolic links: what a profile's `root` names.
pub fn read_tree(root: &Path) -> SdkState {
    match fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return SdkState::broken("it is not a directory".into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let why = match fs::read_link(root) {
                Ok(to) => {
                    format!("it is a symbolic link to `{}`, which does not exist", to.display())
                }
                Err(_) => "it does not exist".into(),
            };
            return SdkState::broken(why);
        }
        Err(e) => return SdkState::broken(format!("it cannot be read: {e}")),
    }
    let mut state = read_sdk(root);
    state.target = fs::canonicalize(root).ok().filter(|t| t != root);
    state
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
        target: None,
        broken: None,
        has_bin_go: root.join("bin/go").is_file(),
        go_version: gobin::read(&root.join("bin/go"))
            .map(|b| b.go_version)
            .map_err(|e| e.to_string()),
        compilers: compilers(root),
        has_runtime: root.join("src/runtime").is_dir(),
    }
}

/// The `pkg/tool/<os>_<arch>` directories of `root` that hold a `compile`, sorted.
fn compilers(root: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(root.join("pkg/tool")) else { return Vec::new() };
    let mut out: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join("compile").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    out.sort();
    out
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
