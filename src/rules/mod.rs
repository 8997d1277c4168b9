//! rules: findings, things that are wrong or surprising on the machine which a plan cannot fix by
//! writing its own files (another source sets the same variable, a `GOROOT=` line, a Delve too
//! old for the SDK). Plan and doctor share these rules: each takes the machine as observed, and
//! the profile and its desired state only when there is one. Pure: rules read the [`Observed`]
//! files and the Context; they never touch the disk or start a process. Rules depend on units
//! (the Delve table, VS Code's settings), never the reverse.

mod delve;
mod env;
mod go;
mod goland;
pub mod macos;
mod service;
mod values;
mod vscode;

use std::path::PathBuf;

use serde::Serialize;

use crate::context::Context;
use crate::probe::Observed;
use crate::profile::Profile;
use crate::units::Desired;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    /// The word people read: `error`, `warning`, `note`.
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        }
    }
}

/// Every finding's stable code. JSON and the README use [`Code::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    ShadowedByEnvironment,
    ShadowedByRcFile,
    ShadowedByEnvironmentD,
    GorootInGoEnvFile,
    GopathIsGoroot,
    BashProfileHidesProfile,
    GogcNegative,
    GodebugUnknownSetting,
    HarmfulGoEnvKeyRemoved,
    GoVersionResolved,
    DownloadIndexStale,
    GoAheadOnPath,
    GorootDiffers,
    GotoolchainAuto,
    SdkWrongArch,
    SdkAdopted,
    NoSystemGo,
    SystemGoDiffers,
    DelveMissing,
    DelveNotExecutable,
    DelveWrongArch,
    DelveIncompatible,
    DelveVersionUnknown,
    DlvDapLeftover,
    VscodeGorootDiffers,
    VscodeAlternateGoDiffers,
    VscodeSettingsUnreadable,
    VscodeDlvIncompatible,
    GomemlimitFromUnit,
    GomemlimitAtUnitLimit,
    GogcOffWithoutMemlimit,
    GomaxprocsAboveCpuQuota,
    MemoryNotDelegated,
    ServiceUnitMissing,
    UserManagerUnreachable,
    LaunchdRunningApps,
    IntelHomebrew,
    GoBuildsForAmd64,
    RosettaTranslated,
    GolandShellEnvironment,
    GolandStaleLock,
}

impl Code {
    pub const ALL: [Code; 41] = [
        Code::ShadowedByEnvironment,
        Code::ShadowedByRcFile,
        Code::ShadowedByEnvironmentD,
        Code::GorootInGoEnvFile,
        Code::GopathIsGoroot,
        Code::BashProfileHidesProfile,
        Code::GogcNegative,
        Code::GodebugUnknownSetting,
        Code::HarmfulGoEnvKeyRemoved,
        Code::GoVersionResolved,
        Code::DownloadIndexStale,
        Code::GoAheadOnPath,
        Code::GorootDiffers,
        Code::GotoolchainAuto,
        Code::SdkWrongArch,
        Code::SdkAdopted,
        Code::NoSystemGo,
        Code::SystemGoDiffers,
        Code::DelveMissing,
        Code::DelveNotExecutable,
        Code::DelveWrongArch,
        Code::DelveIncompatible,
        Code::DelveVersionUnknown,
        Code::DlvDapLeftover,
        Code::VscodeGorootDiffers,
        Code::VscodeAlternateGoDiffers,
        Code::VscodeSettingsUnreadable,
        Code::VscodeDlvIncompatible,
        Code::GomemlimitFromUnit,
        Code::GomemlimitAtUnitLimit,
        Code::GogcOffWithoutMemlimit,
        Code::GomaxprocsAboveCpuQuota,
        Code::MemoryNotDelegated,
        Code::ServiceUnitMissing,
        Code::UserManagerUnreachable,
        Code::LaunchdRunningApps,
        Code::IntelHomebrew,
        Code::GoBuildsForAmd64,
        Code::RosettaTranslated,
        Code::GolandShellEnvironment,
        Code::GolandStaleLock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::ShadowedByEnvironment => "goenv::finding::shadowed-by-environment",
            Code::ShadowedByRcFile => "goenv::finding::shadowed-by-rc-file",
            Code::ShadowedByEnvironmentD => "goenv::finding::shadowed-by-environment-d",
            Code::GorootInGoEnvFile => "goenv::finding::goroot-in-go-env-file",
            Code::GopathIsGoroot => "goenv::finding::gopath-is-goroot",
            Code::BashProfileHidesProfile => "goenv::finding::bash-profile-hides-profile",
            Code::GogcNegative => "goenv::finding::gogc-negative",
            Code::GodebugUnknownSetting => "goenv::finding::godebug-unknown-setting",
            Code::HarmfulGoEnvKeyRemoved => "goenv::finding::harmful-go-env-key-removed",
            Code::GoVersionResolved => "goenv::finding::go-version-resolved",
            Code::DownloadIndexStale => "goenv::finding::download-index-stale",
            Code::GoAheadOnPath => "goenv::finding::go-ahead-on-path",
            Code::GorootDiffers => "goenv::finding::goroot-differs",
            Code::GotoolchainAuto => "goenv::finding::gotoolchain-auto",
            Code::SdkWrongArch => "goenv::finding::sdk-wrong-arch",
            Code::SdkAdopted => "goenv::finding::sdk-adopted",
            Code::NoSystemGo => "goenv::finding::no-system-go",
            Code::SystemGoDiffers => "goenv::finding::system-go-differs",
            Code::DelveMissing => "goenv::finding::delve-missing",
            Code::DelveNotExecutable => "goenv::finding::delve-not-executable",
            Code::DelveWrongArch => "goenv::finding::delve-wrong-arch",
            Code::DelveIncompatible => "goenv::finding::delve-incompatible",
            Code::DelveVersionUnknown => "goenv::finding::delve-version-unknown",
            Code::DlvDapLeftover => "goenv::finding::dlv-dap-leftover",
            Code::VscodeGorootDiffers => "goenv::finding::vscode-goroot-differs",
            Code::VscodeAlternateGoDiffers => "goenv::finding::vscode-alternate-go-differs",
            Code::VscodeSettingsUnreadable => "goenv::finding::vscode-settings-unreadable",
            Code::VscodeDlvIncompatible => "goenv::finding::vscode-dlv-incompatible",
            Code::GomemlimitFromUnit => "goenv::finding::gomemlimit-from-unit",
            Code::GomemlimitAtUnitLimit => "goenv::finding::gomemlimit-at-unit-limit",
            Code::GogcOffWithoutMemlimit => "goenv::finding::gogc-off-without-memlimit",
            Code::GomaxprocsAboveCpuQuota => "goenv::finding::gomaxprocs-above-cpu-quota",
            Code::MemoryNotDelegated => "goenv::finding::memory-not-delegated",
            Code::ServiceUnitMissing => "goenv::finding::service-unit-missing",
            Code::UserManagerUnreachable => "goenv::finding::user-manager-unreachable",
            Code::LaunchdRunningApps => "goenv::finding::launchd-running-apps",
            Code::IntelHomebrew => "goenv::finding::intel-homebrew",
            Code::GoBuildsForAmd64 => "goenv::finding::go-builds-for-amd64",
            Code::RosettaTranslated => "goenv::finding::rosetta-translated",
            Code::GolandShellEnvironment => "goenv::finding::goland-shell-environment",
            Code::GolandStaleLock => "goenv::finding::goland-stale-lock",
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
    /// The file the finding is about, with a 1-based line when known.
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
}

impl Finding {
    pub fn new(severity: Severity, code: Code, message: String) -> Self {
        Finding { severity, code, message, help: None, path: None, line: None }
    }

    /// What to do about it.
    pub fn help(mut self, help: String) -> Self {
        self.help = Some(help);
        self
    }

    /// The file it is about, and the 1-based line when known.
    pub fn at(mut self, path: PathBuf, line: Option<usize>) -> Self {
        (self.path, self.line) = (Some(path), line);
        self
    }
}

/// The effects of an apply or rollback were skipped: no `systemd --user` manager answered for
/// this home (`why`). The files were written; the manager reads them at the next login.
pub fn user_manager_unreachable(why: &str, skipped: &[String]) -> Finding {
    if !skipped.is_empty() && skipped.iter().all(|s| s.starts_with("launchctl ")) {
        // macOS: launchd, not a systemd user manager.
        return Finding::new(
            Severity::Warning,
            Code::UserManagerUnreachable,
            format!(
                "launchd could not be reached to run the effects: {why}; skipped {}; the \
                 LaunchAgent was written",
                skipped.join(", ")
            ),
        )
        .help(
            "apps keep their old values until the next login, when launchd runs the LaunchAgent \
             (or run the skipped commands yourself)"
                .into(),
        );
    }
    Finding::new(
        Severity::Warning,
        Code::UserManagerUnreachable,
        format!(
            "no user manager to run the effects: {why}; skipped {}; the files were written",
            skipped.join(", ")
        ),
    )
    .help(
        "the running session keeps its old values until the next login (or run the skipped \
         commands yourself); without a session, e.g. over ssh, `loginctl enable-linger` starts \
         a user manager"
            .into(),
    )
}

/// What rules look at: the machine always; the profile and what it wants when there is one.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    pub ctx: &'a Context,
    pub observed: &'a Observed,
    pub profile: Option<&'a Profile>,
    pub desired: Option<&'a Desired>,
}

/// The files rules read besides the units' targets: every shell start-up file, the other
/// environment.d files and VS Code's default settings.
pub fn reads(ctx: &Context, reads: &mut crate::units::Reads) {
    reads.files.extend(crate::formats::shell::STARTUP_FILES.iter().map(|f| ctx.home.join(f)));
    reads.files.extend(crate::probe::environment_d_files(ctx));
    reads.files.push(crate::units::vscode::default_settings(ctx));
    macos::reads(ctx, reads);
}

/// Every finding, in a stable order (severity, file, line, code, message), without repeats.
pub fn findings(input: Input<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    env::findings(input, &mut out);
    values::findings(input, &mut out);
    go::findings(input, &mut out);
    delve::findings(input, &mut out);
    vscode::findings(input, &mut out);
    goland::findings(input, &mut out);
    service::findings(input, &mut out);
    macos::findings(input, &mut out);
    out.sort_by(|a, b| {
        (a.severity, &a.path, a.line, a.code.as_str(), &a.message).cmp(&(
            b.severity,
            &b.path,
            b.line,
            b.code.as_str(),
            &b.message,
        ))
    });
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Arch, Os};

    /// Rules run on a machine described in memory, with no profile: what doctor will do.
    #[test]
    fn rules_need_no_profile_and_no_disk() {
        let ctx = Context::hermetic("/h".into(), Os::Linux, Arch::Amd64, "box".into());
        let observed = Observed::default()
            .with_file("/h/.config/go/env", "GOPROXY=direct\nGOROOT=/usr/local/go\n")
            .with_file("/h/.profile", "PATH=$HOME/bin:$PATH\n")
            .with_file("/h/.bash_profile", "export EDITOR=vi\n");
        let all = findings(Input { ctx: &ctx, observed: &observed, profile: None, desired: None });
        let codes: Vec<(Code, Option<usize>)> = all.iter().map(|f| (f.code, f.line)).collect();
        assert_eq!(
            codes,
            [(Code::GorootInGoEnvFile, Some(2)), (Code::BashProfileHidesProfile, None)]
        );
        // Without the Go env file line nothing is wrong.
        let quiet = Observed::default().with_file("/h/.config/go/env", "GOPROXY=direct\n");
        let none = Input { ctx: &ctx, observed: &quiet, profile: None, desired: None };
        assert_eq!(findings(none), []);
    }

    #[test]
    fn codes_are_distinct_and_stable() {
        let mut all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert!(all.iter().all(|c| c.starts_with("goenv::finding::")));
        all.sort();
        all.dedup();
        assert_eq!(all.len(), Code::ALL.len());
        assert_eq!(
            serde_json::to_value(Code::GoAheadOnPath).unwrap(),
            "goenv::finding::go-ahead-on-path"
        );
    }
}
