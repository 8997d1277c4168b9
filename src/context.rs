//! The Context: everything that differs between machines and tests.
//!
//! It owns the home directory, the XDG base directories, the target OS and architecture, the host
//! name and a snapshot of the process environment. No other module reads `HOME`, `XDG_*` or
//! `std::env`: they ask the Context. `--home DIR` builds a hermetic Context rooted at DIR, which is
//! how every test runs.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// An operating system goenv can plan for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    Macos,
}

impl Os {
    pub const NAMES: &[&str] = &["linux", "macos"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "linux" => Some(Self::Linux),
            "macos" => Some(Self::Macos),
            _ => None,
        }
    }

    /// The machine goenv runs on, if it is one goenv supports.
    pub fn host() -> Option<Self> {
        match std::env::consts::OS {
            "linux" => Some(Self::Linux),
            "macos" => Some(Self::Macos),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Linux => "linux",
            Self::Macos => "macos",
        }
    }
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A CPU architecture, spelled as Go spells it (GOARCH).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Amd64,
    Arm64,
}

impl Arch {
    pub const NAMES: &[&str] = &["amd64", "arm64"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "amd64" => Some(Self::Amd64),
            "arm64" => Some(Self::Arm64),
            _ => None,
        }
    }

    pub fn host() -> Option<Self> {
        match std::env::consts::ARCH {
            "x86_64" => Some(Self::Amd64),
            "aarch64" => Some(Self::Arm64),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Amd64 => "amd64",
            Self::Arm64 => "arm64",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where and for what goenv works.
#[derive(Debug, Clone)]
pub struct Context {
    pub home: PathBuf,
    pub config_home: PathBuf,
    pub state_home: PathBuf,
    pub cache_home: PathBuf,
    pub os: Os,
    pub arch: Arch,
    pub host: String,
    /// The process environment when goenv started; empty for a `--home` Context.
    pub env: BTreeMap<String, String>,
    /// Where the user's `systemd --user` manager listens: `XDG_RUNTIME_DIR` (read with
    /// `--home` too: that is how tests point goenv at a throwaway manager), else, without
    /// `--home`, `/run/user/UID` when it exists. Only effects use it.
    pub runtime_dir: Option<PathBuf>,
    /// The clock, in seconds since the Unix epoch, when tests pin it (`TEST_GOENV_NOW`, read by
    /// debug builds only); `None` reads the system clock.
    pub pinned_now: Option<u64>,
    /// The root paths outside the home are read under: `/`, or `TEST_GOENV_SYSROOT` in debug
    /// builds (tests give goenv a fixed `/etc`, `/proc/meminfo` and `/sys` that way).
    pub sysroot: PathBuf,
    /// The user the home belongs to (its owner): whose `/run/user/UID` and `user@UID.service`.
    pub uid: u32,
}

/// What the command line says about the Context.
#[derive(Debug, Clone, Default)]
pub struct ContextOptions {
    pub home: Option<PathBuf>,
    pub os: Option<Os>,
    pub arch: Option<Arch>,
    pub host: Option<String>,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ContextError {
    #[error("cannot tell the home directory: `HOME` is not set")]
    #[diagnostic(code(goenv::context::no_home), help("set `HOME`, or pass `--home DIR`"))]
    NoHome,
    #[error("goenv does not support this platform ({0})")]
    #[diagnostic(
        code(goenv::context::platform),
        help(
            "pass `--os linux|macos` and `--arch amd64|arm64` to check a profile for another platform"
        )
    )]
    Platform(String),
}

impl Context {
    /// Builds the Context from the process environment and the command line.
    ///
    /// With `--home DIR` the process's `HOME`, `XDG_*` and other variables are ignored: the
    /// Context is then the same on every machine, which keeps tests hermetic.
    pub fn from_process(opts: &ContextOptions) -> Result<Self, ContextError> {
        let os = opts.os.or_else(Os::host).ok_or_else(|| {
            ContextError::Platform(format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH))
        })?;
        let arch = opts.arch.or_else(Arch::host).ok_or_else(|| {
            ContextError::Platform(format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH))
        })?;
        let host = opts.host.clone().unwrap_or_else(host_name);
        let runtime_env =
            std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).filter(|p| p.is_absolute());
        if let Some(home) = &opts.home {
            let mut ctx = Self::hermetic(absolute(home), os, arch, host);
            ctx.runtime_dir = runtime_env;
            return Ok(ctx);
        }
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let home = env
            .get("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .ok_or(ContextError::NoHome)?;
        // The XDG spec says relative values are invalid and must be ignored.
        let xdg = |name: &str, default: &str| {
            env.get(name)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home.join(default))
        };
        Ok(Self {
            config_home: xdg("XDG_CONFIG_HOME", ".config"),
            state_home: xdg("XDG_STATE_HOME", ".local/state"),
            cache_home: xdg("XDG_CACHE_HOME", ".cache"),
            uid: owner(&home),
            home,
            os,
            arch,
            host,
            env,
            pinned_now: pinned_now(),
            runtime_dir: runtime_env.or_else(user_runtime_dir),
            sysroot: sysroot(),
        })
    }

    /// A Context rooted at `home` with default XDG directories and an empty environment.
    pub fn hermetic(home: PathBuf, os: Os, arch: Arch, host: String) -> Self {
        Self {
            uid: owner(&home),
            sysroot: sysroot(),
            config_home: home.join(".config"),
            state_home: home.join(".local/state"),
            cache_home: home.join(".cache"),
            home,
            os,
            arch,
            host,
            env: BTreeMap::new(),
            pinned_now: pinned_now(),
            runtime_dir: None,
        }
    }

    /// The current time as RFC 3339 UTC, to the second: the pinned clock when there is one.
    pub fn now(&self) -> String {
        let secs = self.pinned_now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
        rfc3339(secs)
    }

    /// Where the machine's `path` is read: under [`Context::sysroot`] unless it is in the home.
    pub fn real(&self, path: &Path) -> PathBuf {
        if path.starts_with(&self.home) || self.sysroot == Path::new("/") {
            return path.to_path_buf();
        }
        match path.strip_prefix("/") {
            Ok(rest) => self.sysroot.join(rest),
            Err(_) => path.to_path_buf(),
        }
    }

    /// The machine's name for a path [`Context::real`] gave.
    pub fn unreal(&self, real: &Path) -> PathBuf {
        if self.sysroot != Path::new("/")
            && !real.starts_with(&self.home)
            && let Ok(rest) = real.strip_prefix(&self.sysroot)
        {
            return Path::new("/").join(rest);
        }
        real.to_path_buf()
    }

    /// The user's runtime directory, as the user manager has it: `$XDG_RUNTIME_DIR`, else
    /// `/run/user/UID` (what `pam_systemd` sets).
    pub fn runtime_dir(&self) -> PathBuf {
        self.env
            .get("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| PathBuf::from(format!("/run/user/{}", self.uid)))
    }

    /// The profile used when the command line names none.
    pub fn default_profile(&self) -> PathBuf {
        self.config_home.join("goenv/profile.kdl")
    }

    /// Expands a leading `~` or `~/` to the home directory; anything else is returned as is.
    pub fn expand_tilde(&self, s: &str) -> String {
        if s == "~" {
            return self.home.to_string_lossy().into_owned();
        }
        match s.strip_prefix("~/") {
            Some(rest) => self.home.join(rest).to_string_lossy().into_owned(),
            None => s.to_owned(),
        }
    }
}

fn sysroot() -> PathBuf {
    if cfg!(debug_assertions)
        && let Some(root) = std::env::var_os("TEST_GOENV_SYSROOT")
    {
        return PathBuf::from(root);
    }
    PathBuf::from("/")
}

/// The owner of `home` (0 when it cannot be told: a home that does not exist yet).
fn owner(home: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(home).map_or(0, |m| m.uid())
}

/// `/run/user/UID` when it exists (the owner of `/proc/self` is this process's user).
fn user_runtime_dir() -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    Some(PathBuf::from(format!("/run/user/{uid}"))).filter(|p| p.is_dir())
}

/// The tests' clock: `TEST_GOENV_NOW=SECONDS` pins every time goenv records. Debug builds only;
/// a release build never reads it.
fn pinned_now() -> Option<u64> {
    if !cfg!(debug_assertions) {
        return None;
    }
    std::env::var("TEST_GOENV_NOW").ok().and_then(|s| s.parse().ok())
}

/// `secs` since the Unix epoch as RFC 3339 UTC, to the second.
fn rfc3339(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf())
    }
}

/// This machine's host name, as `when host=…` matches it when `--host` is not given.
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context::hermetic("/h".into(), Os::Linux, Arch::Amd64, "box".into())
    }

    #[test]
    fn tilde_expands_only_at_the_start() {
        let c = ctx();
        assert_eq!(c.expand_tilde("~"), "/h");
        assert_eq!(c.expand_tilde("~/go"), "/h/go");
        assert_eq!(c.expand_tilde("a/~/b"), "a/~/b");
        assert_eq!(c.expand_tilde("~bob/go"), "~bob/go");
    }

    #[test]
    fn hermetic_context_keeps_xdg_inside_home() {
        let c = ctx();
        assert_eq!(c.default_profile(), PathBuf::from("/h/.config/goenv/profile.kdl"));
        assert_eq!(c.state_home, PathBuf::from("/h/.local/state"));
        assert!(c.env.is_empty());
    }

    #[test]
    fn the_clock_renders_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_083_200), "2026-12-01T00:00:00Z");
        let c = Context { pinned_now: Some(951_782_400), ..ctx() };
        assert_eq!(c.now(), "2000-02-29T00:00:00Z");
    }
}
