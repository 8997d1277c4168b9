//! The profile: the KDL document a user writes, decoded into typed values.
//!
//! ```kdl
//! version 1
//! go "1.22.10" { keep "1.21.13"; prune #true }
//! go-env { GOPATH "~/go"; GOTOOLCHAIN "local" }
//! proxy "china"
//! ```
//!
//! This module owns parsing (KDL 2.0 through the `kdl` document API, decoded by hand so that every
//! typo is refused with its location), `include` and `when`, and every validation rule of the
//! profile contract. It reads the profile files and nothing else: it never looks at the
//! machine's state, runs no program and writes nothing.

mod decode;
pub(crate) mod govalue;
pub mod secret;
mod source;

use std::path::{Path, PathBuf};

pub use govalue::GoVersion;
pub use source::{FileId, Loc, Problem, SourceFile, Sources};

use crate::context::Context;

/// The profile format versions this goenv reads.
pub const FORMAT_VERSIONS: &[i128] = &[1];

/// A string value from the profile, after `~` expansion and normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    /// `secret=#true`: never shown in a plan, a diff, a JSON document or a message.
    pub secret: bool,
    pub at: Loc,
}

/// `KEY "value"` in `go-env`, `export`, a `service`, or derived from `proxy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    pub key_at: Loc,
    pub value: Value,
}

/// Which SDK a `go` node asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoSelector {
    /// `go "1.22.10"`: exactly this toolchain.
    Exact(GoVersion),
    /// `go "1.22"`: the newest 1.22.x in the download index, resolved at plan time.
    Line(GoVersion),
    /// `go "system"`: the first `go` on PATH; nothing is installed.
    System,
}

impl std::fmt::Display for GoSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(v) => write!(f, "{v}"),
            Self::Line(v) => write!(f, "{v}.x"),
            Self::System => f.write_str("system"),
        }
    }
}

/// The `go` node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoSpec {
    pub version: GoSelector,
    pub version_at: Loc,
    pub keep: Vec<(GoSelector, Loc)>,
    /// Where SDKs live, absolute; `None` means `~/sdk`.
    pub dir: Option<Value>,
    /// `root "/usr/local/go"`: the active version's tree where it lies, adopted (never
    /// downloaded); absolute after `~` expansion. Only with an exact version.
    pub root: Option<Value>,
    pub mirror: Option<Value>,
    pub index: Option<Value>,
    pub prune: bool,
    /// sha256 of the active version's archive for the target platform.
    pub checksum: Option<Value>,
}

impl GoSpec {
    /// The SDK directory, `~/sdk` unless the profile says otherwise.
    pub fn dir(&self, ctx: &Context) -> PathBuf {
        self.dir.as_ref().map_or_else(|| ctx.home.join("sdk"), |d| PathBuf::from(&d.text))
    }

    /// Where the SDK of `version` must be: the `root` for the active version when the profile
    /// names one, else `<dir>/go<version>`.
    pub fn sdk_path(&self, ctx: &Context, version: &str, active: bool) -> PathBuf {
        match &self.root {
            Some(root) if active => {
                let trimmed = root.text.trim_end_matches('/');
                PathBuf::from(if trimmed.is_empty() { "/" } else { trimmed })
            }
            _ => self.dir(ctx).join(format!("go{version}")),
        }
    }
}

/// A shell goenv wires up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    pub const NAMES: &[&str] = &["bash", "zsh", "fish"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bash" => Some(Self::Bash),
            "zsh" => Some(Self::Zsh),
            "fish" => Some(Self::Fish),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Bash => "bash",
            Self::Zsh => "zsh",
            Self::Fish => "fish",
        }
    }
}

/// The `session` node: `~/.config/environment.d`, and with `live` the running user manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub live: bool,
    pub at: Loc,
}

/// What `delve` requires of dlv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DelveRequire {
    #[default]
    Compatible,
    Present,
    Off,
}

impl DelveRequire {
    pub const NAMES: &[&str] = &["compatible", "present", "off"];
}

/// The `delve` node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delve {
    /// Where dlv must be; `None` means `GOBIN/dlv`.
    pub path: Option<Value>,
    pub require: DelveRequire,
    /// `install="v1.27.1"` or `"latest"`.
    pub install: Option<Value>,
    pub at: Loc,
}

/// The `vscode` node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VsCode {
    /// The settings file; `None` means the OS default.
    pub settings: Option<Value>,
    pub at: Loc,
}

/// The `goland` node: which GoLand configuration directories goenv manages and the Delve
/// GoLand starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goland {
    /// The configuration directories named; empty means every `GoLand<YYYY.N>` directory.
    pub configs: Vec<Value>,
    /// The Delve GoLand starts (`dlv.path`); `None` means the `delve` node's path (else GOBIN's).
    pub dlv: Option<Value>,
    pub at: Loc,
}

/// A `service "unit"` node: a systemd --user drop-in with `Environment=` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub unit: String,
    pub at: Loc,
    pub restart: bool,
    pub env: Vec<Setting>,
    /// `GOMEMLIMIT "auto" ratio=…`: the share of the unit's memory limit, in millionths
    /// (900000, the default, is 0.9). Meaningful only when GOMEMLIMIT is `"auto"`.
    pub memlimit_ratio: u32,
}

impl Service {
    /// Whether GOMEMLIMIT is `"auto"`: computed from the unit's MemoryHigh=/MemoryMax=.
    pub fn memlimit_auto(&self) -> Option<&Setting> {
        self.env.iter().find(|s| s.key == "GOMEMLIMIT" && s.value.text == "auto")
    }
}

/// A decoded, merged and validated profile for one Context.
#[derive(Debug)]
pub struct Profile {
    pub path: PathBuf,
    pub sources: Sources,
    pub go: Option<GoSpec>,
    /// The `go-env` block, in the order written.
    pub go_env: Vec<Setting>,
    /// The `proxy` preset named last, if any.
    pub proxy_preset: Option<String>,
    /// Go env file settings derived from `proxy` (GOPROXY, GOSUMDB, GOPRIVATE, ...).
    pub proxy: Vec<Setting>,
    pub export: Vec<Setting>,
    pub path_entries: Vec<Value>,
    /// `None`: the default (bash always, zsh and fish when their config exists).
    pub shells: Option<Vec<Shell>>,
    pub session: Option<Session>,
    pub delve: Option<Delve>,
    pub vscode: Option<VsCode>,
    pub goland: Option<Goland>,
    pub services: Vec<Service>,
}

impl Profile {
    /// Values that must never be shown: `secret=#true` values and URL credentials, with the
    /// quoted forms the shell files write them in.
    pub fn secrets(&self) -> Vec<String> {
        secret::of(self)
    }

    /// Every key the Go env file gets: `go-env` then `proxy`, in that order.
    pub fn go_env_file(&self) -> impl Iterator<Item = &Setting> {
        self.go_env.iter().chain(self.proxy.iter())
    }
}

/// A profile that could not be loaded: every problem found, with the sources to show them.
#[derive(Debug)]
pub struct Rejected {
    pub sources: Sources,
    pub problems: Vec<Problem>,
}

/// Reads, decodes and validates the profile at `path` for `ctx`.
///
/// Every problem is collected: a profile with five mistakes yields five problems, each at its own
/// location, including those in included files and in `when` blocks that do not match `ctx`.
pub fn load(path: &Path, ctx: &Context) -> Result<Profile, Rejected> {
    decode::load(path, ctx)
}

/// Decodes a profile from text (for tests and benchmarks; includes resolve against `path`).
pub fn load_str(path: &Path, text: &str, ctx: &Context) -> Result<Profile, Rejected> {
    decode::load_text(path, text.to_owned(), ctx)
}
