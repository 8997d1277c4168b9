//! Delve probe: the `dlv` a profile points at (presence, executable bit, what its build info
//! says) and a leftover `dlv-dap` beside it. It reads the binary's headers and build info only;
//! running `dlv version` for a build without a module version is the caller's job (once, cached).

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
}

impl DlvState {
    pub fn exists(&self) -> bool {
        self.identity.is_some()
    }
}

/// Reads `path` (following symlinks).
pub fn read_dlv(path: &Path) -> DlvState {
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
    }
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
}
