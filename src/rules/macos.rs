//! Findings about macOS: what launchd gives apps already running, a `go` that builds for amd64 on
//! an Apple silicon Mac (so every fix that builds a tool would build an amd64 one), and an Intel
//! Homebrew under `/usr/local` beside the Apple silicon one in `/opt/homebrew`.
//! Pure: they read the Context, the probed SDKs and directories, and the desired state.

use std::path::{Path, PathBuf};

use super::{Code, Finding, Input, Severity};
use crate::context::{Context, Os};
use crate::gobin::{BinaryArch, BinaryOs};
use crate::resource::effect::Effect;
use crate::resource::tilde_path;
use crate::units::Want;
use crate::units::delve::arm64_mac;

/// The Intel Homebrew's repository, and the Apple silicon one's prefix.
pub const INTEL_HOMEBREW: &str = "/usr/local/Homebrew";
pub const ARM_HOMEBREW: &str = "/opt/homebrew";

/// What the rules read: the two Homebrew directories, on an arm64 Mac.
pub fn reads(ctx: &Context, reads: &mut crate::units::Reads) {
    if arm64_mac(ctx) {
        reads.dirs.push(ctx.real(Path::new(INTEL_HOMEBREW)));
        reads.dirs.push(ctx.real(Path::new(ARM_HOMEBREW)));
    }
}

pub fn findings(input: Input<'_>, out: &mut Vec<Finding>) {
    let Input { ctx, observed, .. } = input;
    if ctx.os != Os::Macos {
        return;
    }
    if let Some(desired) = input.desired {
        let launchd = desired
            .resources
            .iter()
            .any(|r| matches!(&r.want, Want::Effect(Effect::Launchd { .. })));
        if launchd {
            out.push(launchd_running_apps());
        }
    }
    if arm64_mac(ctx) {
        let dirs = &observed.dirs;
        let has = |p: &str| dirs.contains(&ctx.real(Path::new(p)));
        if let Some(f) = intel_homebrew(has(INTEL_HOMEBREW), has(ARM_HOMEBREW), &[]) {
            out.push(f);
        }
        go_builds_for_amd64(input, out);
    }
}

/// `launchd-running-apps`: the plan sets launchd's environment; apps already running keep theirs.
fn launchd_running_apps() -> Finding {
    Finding::new(
        Severity::Info,
        Code::LaunchdRunningApps,
        "apps started from the Dock, Finder or Spotlight after `goenv apply` get the session's \
         values (`launchctl setenv` now, and the LaunchAgent at every login); apps already running \
         keep the environment they started with"
            .into(),
    )
    .help("quit and reopen them (VS Code, GoLand, Terminal) after applying".into())
}

/// `intel-homebrew`: an x86_64 Homebrew (`/usr/local`, what Homebrew's installer picks when run
/// under Rosetta 2) on an Apple silicon Mac. `/etc/paths` lists `/usr/local/bin` first, so its
/// formulae come before `/opt/homebrew/bin`'s unless `brew shellenv` puts that first.
/// `shadowed` are the commands found in both `bin` directories (doctor knows them).
pub fn intel_homebrew(intel: bool, arm: bool, shadowed: &[String]) -> Option<Finding> {
    if !intel {
        return None;
    }
    let which = if shadowed.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = shadowed.iter().map(|n| format!("`{n}`")).collect();
        format!(" (here {})", names.join(", "))
    };
    let message = if arm {
        format!(
            "an x86_64 Homebrew is installed in `/usr/local` beside the Apple silicon one in \
             `/opt/homebrew`: `/etc/paths` puts `/usr/local/bin` first, so its formulae{which} \
             shadow `/opt/homebrew/bin`'s and run under Rosetta 2, building amd64 programs"
        )
    } else {
        format!(
            "an x86_64 Homebrew is installed in `/usr/local` on this Apple silicon Mac: its \
             formulae{which} run under Rosetta 2 and build amd64 programs"
        )
    };
    Some(Finding::new(Severity::Warning, Code::IntelHomebrew, message).help(
        "install the formulae you need with an Apple silicon Homebrew (`/opt/homebrew/bin/brew`, \
         installed from a native terminal: `arch -arm64 /bin/bash -c …`), then remove the Intel \
         one with Homebrew's uninstall script and `--path=/usr/local`"
            .into(),
    ))
}

/// `go-builds-for-amd64`: the `go` the fixes build tools with is darwin/amd64 on an arm64 Mac.
/// Under Rosetta 2 it builds amd64 programs, and `GOARCH=arm64` with it is a cross-compile,
/// which `go install` refuses into GOBIN: an arm64 SDK comes first.
fn go_builds_for_amd64(input: Input<'_>, out: &mut Vec<Finding>) {
    let Input { ctx, observed, .. } = input;
    let (Some(profile), Some(desired)) = (input.profile, input.desired) else { return };
    let active = desired.go.as_ref().and_then(|g| g.active.as_ref());
    let (go, arches, ours): (PathBuf, _, bool) = match active {
        Some(sdk) => match observed.sdk(&sdk.path) {
            Some(s) => (sdk.path.join("bin/go"), s.arches.clone(), true),
            None => return,
        },
        None => match &observed.path_go_arches {
            Some((go, arches)) => (go.clone(), arches.clone(), false),
            None => return,
        },
    };
    let Ok(arches) = arches else { return };
    let amd64_only = !arches.is_empty()
        && arches.iter().all(|a| *a == (BinaryOs::Macos, BinaryArch::Amd64))
        && !arches.contains(&(BinaryOs::Macos, BinaryArch::Arm64));
    if !amd64_only {
        return;
    }
    let shown = tilde_path(&go, &ctx.home);
    let tools = if profile.delve.is_some() { " (Delve's `install=` and its fixes)" } else { "" };
    let help = if ours {
        let dir = go.parent().and_then(Path::parent).unwrap_or(Path::new("/"));
        format!(
            "remove `{}` and apply again: goenv installs the darwin/arm64 archive of the same \
             version; then run the fixes below",
            dir.display()
        )
    } else {
        "pin an SDK in the profile instead of `go \"system\"`, e.g. `go \"1.23\"`: goenv \
         downloads the darwin/arm64 archive; apply, then run the fixes below"
            .to_owned()
    };
    out.push(
        Finding::new(
            Severity::Error,
            Code::GoBuildsForAmd64,
            format!(
                "`{shown}` is darwin/amd64 on this Apple silicon Mac: it runs under Rosetta 2 and \
                 every tool it builds{tools} is amd64; `GOARCH=arm64` with it is a cross-compile, \
                 which `go install` refuses into GOBIN"
            ),
        )
        .help(help),
    );
}

/// Whether goenv's own process runs translated by Rosetta 2, from `sysctl -n
/// sysctl.proc_translated`'s output (`None`: the name is unknown, as on Intel Macs: native).
pub fn rosetta_from_sysctl(output: Option<&str>) -> bool {
    output.is_some_and(|o| o.trim() == "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosetta_is_only_a_one() {
        assert!(rosetta_from_sysctl(Some("1\n")));
        assert!(!rosetta_from_sysctl(Some("0\n")));
        assert!(!rosetta_from_sysctl(None));
    }

    #[test]
    fn a_system_go_built_for_amd64_comes_with_the_profile_change() {
        use crate::context::Arch;
        use crate::probe::Observed;
        let run = |os, arches: Vec<(BinaryOs, BinaryArch)>| {
            let ctx = Context::hermetic("/h".into(), os, Arch::Arm64, "m".into());
            let text = "version 1\ngo \"system\"\n";
            let profile = crate::profile::load_str(Path::new("/p.kdl"), text, &ctx)
                .unwrap_or_else(|_| panic!("the profile loads"));
            let observed = Observed {
                path_go_arches: Some((PathBuf::from("/usr/local/bin/go"), Ok(arches))),
                ..Observed::default()
            };
            let units = crate::units::Input { profile: &profile, ctx: &ctx };
            let desired = crate::units::desired(units, &observed)
                .unwrap_or_else(|_| panic!("the profile plans"));
            let input = Input {
                ctx: &ctx,
                observed: &observed,
                profile: Some(&profile),
                desired: Some(&desired),
            };
            let mut out = Vec::new();
            findings(input, &mut out);
            out.into_iter().filter(|f| f.code == Code::GoBuildsForAmd64).collect::<Vec<_>>()
        };
        let amd64 = (BinaryOs::Macos, BinaryArch::Amd64);
        let arm64 = (BinaryOs::Macos, BinaryArch::Arm64);
        let found = run(Os::Macos, vec![amd64.clone()]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.starts_with("`/usr/local/bin/go` is darwin/amd64"), "{found:?}");
        assert!(found[0].help.as_deref().unwrap_or("").contains("`go \"1.23\"`"), "{found:?}");
        assert_eq!(run(Os::Macos, vec![arm64.clone()]), []);
        assert_eq!(run(Os::Macos, vec![amd64.clone(), arm64]), [], "a universal go runs natively");
        assert_eq!(run(Os::Linux, vec![amd64]), []);
    }

    #[test]
    fn an_intel_homebrew_is_a_finding_only_when_there() {
        assert_eq!(intel_homebrew(false, true, &[]), None);
        let f = intel_homebrew(true, true, &["go".into()]).unwrap();
        assert_eq!(f.code, Code::IntelHomebrew);
        assert!(f.message.contains("(here `go`)"), "{}", f.message);
    }
}
