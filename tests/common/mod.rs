//! A hermetic test environment: a temporary home, the built binary, no colour.

#![allow(dead_code)]

pub mod delve;
pub mod doctor_schema;
pub mod fixtures;
pub mod goproxy;
pub mod goserver;
pub mod markdown;
pub mod schemas;
pub mod snapshot;
pub mod user_manager;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

pub struct TestEnv {
    pub dir: tempfile::TempDir,
}

impl TestEnv {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("temporary directory") }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Writes a file below the test directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(&path, text).expect("write test file");
        path
    }

    /// Runs goenv with `--home` set to this environment's home, from the test directory.
    pub fn goenv(&self, args: &[&str]) -> Output {
        self.goenv_with(&[], args)
    }

    /// `goenv` with these variables added to its (otherwise empty) environment: the user
    /// manager's `XDG_RUNTIME_DIR`, a `TEST_GOENV_SYSROOT`, `TEST_GOENV_ANY_PLATFORM`.
    pub fn goenv_with(&self, vars: &[(&str, &std::ffi::OsStr)], args: &[&str]) -> Output {
        Command::cargo_bin("goenv")
            .expect("goenv binary")
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("NO_COLOR", "1")
            // This machine's packages are not the test's: no dpkg database.
            .env("TEST_GOENV_DPKG_INFO", self.dir.path().join("no-dpkg"))
            .envs(vars.iter().copied())
            .arg("--home")
            .arg(self.home())
            .args(args)
            .output()
            .expect("goenv runs")
    }

    /// `goenv check --format json` on `text` (written as profile.kdl).
    pub fn check_json(&self, text: &str, extra: &[&str]) -> (i32, Value) {
        self.write("profile.kdl", text);
        let mut args = vec!["check", "--format", "json"];
        args.extend_from_slice(extra);
        args.push("profile.kdl");
        let out = self.goenv(&args);
        let json: Value = schemas::parse(&out.stdout);
        (out.status.code().unwrap_or(-1), json)
    }
}

/// 1-based line and column (in characters) of the first `needle` at or after line 2.
pub fn position_of(text: &str, needle: &str) -> (u64, u64) {
    let start = text.find('\n').map_or(0, |i| i + 1);
    let at =
        start + text[start..].find(needle).unwrap_or_else(|| panic!("`{needle}` not in profile"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..].chars().count() + 1;
    (line as u64, col as u64)
}

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Every path below a directory, relative to it: its type (`file`, `dir`, `link`), its mode, and
/// a file's bytes or a link's target.
pub type Tree = std::collections::BTreeMap<String, (String, u32, Vec<u8>)>;

/// The [`Tree`] below `root`, leaving out the relative paths in `skip` (and all below them).
pub fn tree(root: &Path, skip: &[&str]) -> Tree {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Tree::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if skip.contains(&rel.as_str()) {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            let mode = meta.permissions().mode();
            let (kind, bytes) = if meta.file_type().is_symlink() {
                ("link", std::fs::read_link(&path).unwrap().into_os_string().into_encoded_bytes())
            } else if meta.is_dir() {
                stack.push(path.clone());
                ("dir", vec![])
            } else {
                ("file", std::fs::read(&path).expect("read"))
            };
            out.insert(rel, (kind.to_owned(), mode, bytes));
        }
    }
    out
}
