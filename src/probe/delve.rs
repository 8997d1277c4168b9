//! Delve probe: the `dlv` a profile points at (presence, executable bit, what its build info
//! says) and a leftover `dlv-dap` beside it. It reads the binary's headers and build info only;
//! running `dlv version` for a build without a module version is the caller's job (once, cached).
//! It also says whose the file is when it is not the user's to rebuild ([`foreign`]): a package
//! manager's (dpkg's lists in `/var/lib/dpkg/info`, Homebrew's Cellar) or outside the home.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::gobin::{self, GoBinary};

/// The module whose `cmd/dlv` is Delve.
pub const DELVE_MODULE: &str = "github.com/go-delve/delve";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DlvState {
    pub path: PathBuf,
    /// Size, modification time and inode: the key of the cached `dlv version` answer.
    pub identity: Option<String>,
    pub executable: bool,
    /// What `gobin` read, or why it could not.
    pub binary: Option<Result<GoBinary, String>>,
    /// Delve's version (`1.23.1`) and where it came from (`build info`, `dlv version`).
    pub version: Option<(String, &'static str)>,
    /// A `dlv-dap` beside it (VS Code Go's old separate binary).
    pub dap: Option<PathBuf>,
    /// Why goenv must never write this path, nor suggest writing it (see [`foreign`]).
    pub foreign: Option<String>,
}

impl DlvState {
    pub fn exists(&self) -> bool {
        self.identity.is_some()
    }
}

/// Reads `path` (following symlinks); `home` is the home directory goenv may write in.
pub fn read_dlv(path: &Path, home: &Path) -> DlvState {
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_file());
    let identity = meta
        .as_ref()
        .map(|m| format!("{}:{}:{}:{}.{}", m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec()));
    let executable = meta.as_ref().is_some_and(|m| m.permissions().mode() & 0o111 != 0);
    let binary = meta.as_ref().map(|_| gobin::read(path).map_err(|e| e.to_string()));
    let version = binary.as_ref().and_then(|b| b.as_ref().ok()).and_then(module_version);
    let dap = path.with_file_name("dlv-dap");
    DlvState {
        path: path.to_path_buf(),
        identity,
        executable,
        binary,
        version: version.map(|v| (v, "its build info")),
        dap: dap.is_file().then_some(dap),
        foreign: foreign(path, home, &dpkg_info()),
    }
}

/// Where dpkg keeps the list of files of each installed package (`<package>.list`). Debug builds
/// read `TEST_GOENV_DPKG_INFO` instead, so tests never depend on this machine's packages.
pub fn dpkg_info() -> PathBuf {
    let pinned = cfg!(debug_assertions).then(|| std::env::var_os("TEST_GOENV_DPKG_INFO")).flatten();
    pinned.map_or_else(|| PathBuf::from("/var/lib/dpkg/info"), PathBuf::from)
}

/// Whether finding whose `path` is reads dpkg's lists: it is outside `home` (links followed).
pub fn reads_dpkg_lists(path: &Path, home: &Path) -> bool {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let home = std::fs::canonicalize(home).unwrap_or_else(|_| home.to_path_buf());
    !real.starts_with(home) && cellar_formula(&real).is_none()
}

/// Why a `dlv` at `path` is not goenv's to write (following links, as a write would): a
/// package manager owns it (`Debian's package `delve` owns `/usr/bin/dlv``), or it is outside the
/// home directory. `None` when goenv may rebuild it. dpkg's lists are read (no `dpkg` process)
/// only for a path outside the home: dpkg installs nothing in a home.
pub fn foreign(path: &Path, home: &Path, dpkg_info: &Path) -> Option<String> {
    let real = std::fs::canonicalize(path)
        .ok()
        .or_else(|| crate::fsx::resolve(path).ok())
        .unwrap_or_else(|| path.to_path_buf());
    let home = std::fs::canonicalize(home).unwrap_or_else(|_| home.to_path_buf());
    let shown = if real == path {
        format!("`{}`", path.display())
    } else {
        format!("`{}` (a link to `{}`)", path.display(), real.display())
    };
    if let Some(formula) = cellar_formula(&real) {
        return Some(format!("{shown} belongs to Homebrew's `{formula}`"));
    }
    if real.starts_with(&home) {
        return None;
    }
    match dpkg_owner(&[path, &real], dpkg_info) {
        Some(package) => Some(format!("{shown} belongs to Debian's package `{package}`")),
        None => Some(format!("{shown} is outside the home directory")),
    }
}

/// `…/Cellar/<formula>/<version>/…`: a file Homebrew installed.
fn cellar_formula(real: &Path) -> Option<String> {
    let parts: Vec<_> = real.components().map(|c| c.as_os_str().to_string_lossy()).collect();
    let at = parts.iter().position(|c| c == "Cellar")?;
    (parts.len() > at + 3).then(|| parts[at + 1].to_string())
}

/// The dpkg package whose file list names one of `paths`, read from `<info>/*.list`.
fn dpkg_owner(paths: &[&Path], info: &Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    let entries = std::fs::read_dir(info).ok()?;
    let wanted: Vec<&[u8]> = paths.iter().map(|p| p.as_os_str().as_bytes()).collect();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".list")) else { continue };
        let Ok(list) = std::fs::read(entry.path()) else { continue };
        if list.split(|&b| b == b'\n').any(|line| wanted.contains(&line)) {
            // `libfoo:amd64.list` is the package `libfoo` of one architecture.
            return Some(stem.split(':').next().unwrap_or(stem).to_owned());
        }
    }
    None
}

/// Delve's version from the main module of its build info (`v1.23.1` → `1.23.1`), mapping a
/// pseudo-version to the release it follows. `None` for builds without one (distributions).
pub fn module_version(binary: &GoBinary) -> Option<String> {
    let main = binary.info.as_ref()?.main.as_ref()?;
    if main.path != DELVE_MODULE {
        return None;
    }
    release_of(&main.version)
}

/// `v1.23.1` → `1.23.1`; `v1.23.2-0.20240701…` (a pseudo-version after v1.23.1) → `1.23.1`;
/// `(devel)` and anything else → `None`.
pub fn release_of(version: &str) -> Option<String> {
    let v = version.strip_prefix('v')?;
    let (core, pre) = match v.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (v.split('+').next().unwrap_or(v), None),
    };
    let nums: Vec<u32> = core.split('.').map(|n| n.parse().ok()).collect::<Option<_>>()?;
    let [major, minor, patch] = nums[..] else { return None };
    match pre {
        None => Some(format!("{major}.{minor}.{patch}")),
        // vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef: a commit after vX.Y.Z.
        Some(p) if p.starts_with("0.") && patch > 0 => {
            Some(format!("{major}.{minor}.{}", patch - 1))
        }
        Some(_) => None,
    }
}

/// The `Version:` line of `dlv version` (B.2).
pub fn parse_dlv_version(stdout: &str) -> Option<String> {
    let line = stdout.lines().find_map(|l| l.trim().strip_prefix("Version:"))?;
    let v = line.trim().trim_start_matches('v');
    let core = v.split(['-', '+', ' ']).next()?;
    let ok = core.split('.').count() == 3 && core.split('.').all(|n| n.parse::<u32>().is_ok());
    ok.then(|| core.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_tags_pseudo_versions_and_dlv_version() {
        assert_eq!(release_of("v1.23.1"), Some("1.23.1".into()));
        assert_eq!(release_of("v1.23.2-0.20240701120000-abcdefabcdef"), Some("1.23.1".into()));
        assert_eq!(release_of("(devel)"), None);
        assert_eq!(release_of("v1.23.1+dirty"), Some("1.23.1".into()));
        let out = "Delve Debugger\nVersion: 1.20.2\nBuild: $Id: 88d1e9e0 $\n";
        assert_eq!(parse_dlv_version(out), Some("1.20.2".into()));
        assert_eq!(parse_dlv_version("nothing"), None);
    }

    #[test]
    fn package_managers_files_and_paths_outside_home_are_foreign() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let (home, info) = (r.join("home"), r.join("dpkg"));
        std::fs::create_dir_all(home.join("go/bin")).unwrap();
        std::fs::create_dir_all(&info).unwrap();
        std::fs::create_dir_all(r.join("usr/bin")).unwrap();
        let dlv = r.join("usr/bin/dlv");
        std::fs::write(&dlv, "").unwrap();
        std::fs::write(info.join("delve:amd64.list"), format!("/.\n/usr\n{}\n", dlv.display()))
            .unwrap();
        std::fs::write(info.join("other.list"), "/usr/bin/other\n").unwrap();
        let owned = foreign(&dlv, &home, &info).unwrap();
        assert!(owned.ends_with("belongs to Debian's package `delve`"), "{owned}");
        // A link in the home to it: a write would follow the link.
        let link = home.join("go/bin/dlv");
        std::os::unix::fs::symlink(&dlv, &link).unwrap();
        let linked = foreign(&link, &home, &info).unwrap();
        assert!(linked.contains("(a link to `") && linked.contains("`delve`"), "{linked}");
        std::fs::remove_file(info.join("delve:amd64.list")).unwrap();
        let outside = foreign(&dlv, &home, &info).unwrap();
        assert!(outside.ends_with("is outside the home directory"), "{outside}");
        // Homebrew, wherever its prefix is.
        let cellar = home.join("brew/Cellar/delve/1.25.2/bin/dlv");
        std::fs::create_dir_all(cellar.parent().unwrap()).unwrap();
        std::fs::write(&cellar, "").unwrap();
        let brew = foreign(&cellar, &home, &info).unwrap();
        assert!(brew.ends_with("belongs to Homebrew's `delve`"), "{brew}");
        assert_eq!(foreign(&home.join("go/bin/dlv2"), &home, &info), None);
        std::fs::remove_file(&link).unwrap();
        std::fs::write(&link, "").unwrap();
        assert_eq!(foreign(&link, &home, &info), None);
    }
}
