//! The `delve` node: which Go each Delve release can debug (reference B.1, from
//! `pkg/goversion/compat.go` at each tag), where the profile's `dlv` is, and with `install=`, the
//! binary `apply` builds with the active SDK.
//!
//! ```kdl
//! delve "~/go/bin/dlv" require="compatible" install="v1.23.1"
//! ```
//!
//! Pure: it reads the probed `dlv` (its build info, or a remembered `dlv version`) and the
//! resolved `go` node; the findings about it are in `rules::delve`. A debuggee built by Go 1.N is compatible when `min ≤ N ≤ max` of Delve's row; and
//! on Linux a Go ≥ 1.25 debuggee (DWARF 5) needs a Delve itself built with Go ≥ 1.25.

use std::path::PathBuf;

use super::{Input, Planning, Reads, Resource, Then, Unit, Want};
use crate::context::{Context, Os};
use crate::probe::{DlvState, Observed};
use crate::profile::{Problem, Profile};
use crate::resource::content::ToolBuild;

/// The module path `install=` builds.
pub const DLV_PACKAGE: &str = "github.com/go-delve/delve/cmd/dlv";

/// The `delve` node: the profile's `dlv`, checked by `rules::delve`, built with `install=`.
pub struct Delve;

impl Unit for Delve {
    fn node(&self) -> &'static str {
        "delve"
    }

    fn reads(&self, input: Input<'_>, reads: &mut Reads) {
        let Input { profile, ctx } = input;
        if let Some(p) = dlv_path(profile, ctx)
            .filter(|_| profile.delve.as_ref().is_some_and(|d| d.install.is_some()))
        {
            // `install=` owns the binary: its bytes are the before-content of a rebuild.
            reads.files.push(p);
        }
    }

    fn then(&self, input: Input<'_>, _observed: &Observed, then: &mut Then) {
        then.delve = dlv_path(input.profile, input.ctx);
    }

    fn wants(
        &self,
        planning: &mut Planning<'_>,
        out: &mut Vec<Resource>,
    ) -> Result<(), Vec<Problem>> {
        let Input { profile, ctx } = planning.input;
        out.extend(tool(profile, ctx, planning.observed, planning.go.as_ref())?);
        Ok(())
    }
}

/// Where the profile's `dlv` is: the `delve` node's path, else GOBIN/dlv.
pub fn dlv_path(profile: &Profile, ctx: &Context) -> Option<PathBuf> {
    let node = profile.delve.as_ref()?;
    Some(match &node.path {
        Some(p) => PathBuf::from(&p.text),
        None => PathBuf::from(super::gobin(profile, ctx)).join("dlv"),
    })
}

/// `delve install="v1.23.1"`: the binary `apply` builds with the active SDK, unless the one at
/// the path already is that release (`"latest"`: unless one is there that can debug the active
/// SDK).
fn tool(
    profile: &Profile,
    ctx: &Context,
    observed: &Observed,
    go: Option<&super::GoResolved>,
) -> Result<Option<Resource>, Vec<Problem>> {
    let Some(node) = &profile.delve else { return Ok(None) };
    let Some(install) = &node.install else { return Ok(None) };
    let Some(path) = dlv_path(profile, ctx) else { return Ok(None) };
    // goenv never writes over a package manager's file, nor outside the home.
    if let Some(why) = observed.delve.as_ref().and_then(|d| d.foreign.as_ref()) {
        let own = fix_gobin(profile, ctx).join("dlv");
        let help = if own == path {
            format!("remove the link `{}`, then plan again", path.display())
        } else {
            format!(
                "write `delve \"{}\" install=\"{}\"`: goenv installs Delve into GOBIN (and, with \
                 `vscode`, points VS Code there)",
                crate::resource::tilde_path(&own, &ctx.home),
                install.text
            )
        };
        return Err(vec![
            Problem::new(
                install.at,
                "goenv::plan::delve-install-foreign",
                format!("`install=` would write over a file goenv must not touch: {why}"),
                "would write there",
            )
            .help(help),
        ]);
    }
    let go_exe = match go {
        Some(g) => g.active.as_ref().map(|a| a.path.join("bin/go")),
        None => None,
    }
    .or_else(|| observed.path_go.first().map(|d| d.join("go")));
    let Some(go_exe) = go_exe else {
        return Err(vec![no_go_to_build_with(profile, ctx, install.at)]);
    };
    let current = observed.delve.as_ref().and_then(|d| d.version.as_ref()).map(|(v, _)| v.as_str());
    let up_to_date = match install.text.as_str() {
        "latest" => current.is_some_and(|v| {
            let built = observed
                .delve
                .as_ref()
                .and_then(|d| d.binary.as_ref())
                .and_then(|b| b.as_ref().ok())
                .map(|b| b.go_version.as_str());
            let active = go.and_then(|g| g.active.as_ref()).map(|a| a.version.as_str());
            active.is_none_or(|a| incompatibility(v, built, a, ctx.os).is_none())
        }),
        wanted => current == Some(wanted.trim_start_matches('v')),
    };
    let build = (!up_to_date).then(|| ToolBuild {
        package: DLV_PACKAGE.to_owned(),
        version: install.text.clone(),
        go: go_exe.clone(),
        gobin: path.parent().map(PathBuf::from).unwrap_or_default(),
    });
    Ok(Some(Resource::new(path, Want::Tool(build), &ctx.home)))
}

/// Why `install=` has no `go` to build with: no `go` node, or `go "system"` and no `go` in any
/// directory of PATH (named, so the user sees where goenv looked).
fn no_go_to_build_with(profile: &Profile, ctx: &Context, at: crate::profile::Loc) -> Problem {
    let code = "goenv::plan::delve-install-needs-go";
    if profile.go.as_ref().is_some_and(|g| g.version == crate::profile::GoSelector::System) {
        let looked = super::go::looked_in(ctx);
        return Problem::new(
            at,
            code,
            format!(
                "`install=` builds Delve with the `go` that `go \"system\"` finds on PATH, and no \
                 `go` was found on PATH ({looked})"
            ),
            "needs a `go` on PATH",
        )
        .help(
            "install Go with your package manager (or put its `bin` on PATH), or let goenv \
             install one: `go \"1.22.10\"`",
        );
    }
    Problem::new(
        at,
        code,
        "`install=` builds Delve with the active Go SDK, and there is none",
        "needs a Go SDK",
    )
    .help("add a `go` node with a version, e.g. `go \"1.22.10\"`")
}

/// Delve releases `1.minor.patch` as `(minor, patch)`.
type Release = (u32, u32);

/// `(first release, last release, Go minor min, Go minor max)`, oldest first.
const TABLE: &[(Release, Release, u32, u32)] = &[
    ((20, 0), (20, 2), 18, 20),
    ((21, 0), (21, 0), 18, 21),
    ((21, 1), (21, 2), 19, 21),
    ((22, 0), (22, 1), 19, 22),
    ((23, 0), (23, 1), 21, 23),
    ((24, 0), (24, 2), 21, 24),
    ((25, 0), (25, 0), 21, 24),
    ((25, 1), (25, 2), 22, 25),
    ((26, 0), (26, 3), 24, 26),
    ((27, 0), (27, 1), 25, 27),
];

/// Parses `1.23.1` (or `v1.23.1`) into `(minor, patch)` of Delve 1.x.
fn minor_patch(version: &str) -> Option<(u32, u32)> {
    let mut it = version.trim_start_matches('v').split('.');
    let (major, minor, patch) = (it.next()?, it.next()?, it.next()?);
    (major == "1").then_some(())?;
    Some((minor.parse().ok()?, patch.parse().ok()?))
}

/// The Go minor versions Delve `version` can debug, and whether that is from the table (`true`)
/// or assumed for a release newer than it (`false`). `None` for releases older than 1.20.
pub fn supported(version: &str) -> Option<(u32, u32, bool)> {
    let v = minor_patch(version)?;
    if let Some(&(_, _, min, max)) =
        TABLE.iter().find(|(first, last, _, _)| *first <= v && v <= *last)
    {
        return Some((min, max, true));
    }
    // A later patch of a known line keeps that line's last window; a newer line follows the
    // pattern of the recent ones (its own minor, and the two before it).
    if let Some(&(_, _, min, max)) = TABLE.iter().rev().find(|(first, _, _, _)| first.0 == v.0) {
        return Some((min, max, false));
    }
    let newest = TABLE.last().map_or(0, |r| r.1.0);
    (v.0 > newest).then(|| (v.0.saturating_sub(2), v.0, false))
}

/// The newest Delve release that can debug Go 1.`minor`, e.g. `1.25.2` for Go 1.22.
pub fn recommended(minor: u32) -> Option<String> {
    TABLE
        .iter()
        .rev()
        .find(|(_, _, min, max)| *min <= minor && minor <= *max)
        .map(|(_, last, _, _)| format!("1.{}.{}", last.0, last.1))
}

/// The newest Delve release that can debug every Go minor in `minors` (the active SDK first),
/// else the newest for the active one alone.
pub fn recommended_for(minors: &[u32]) -> Option<String> {
    let all = TABLE
        .iter()
        .rev()
        .find(|(_, _, min, max)| minors.iter().all(|m| min <= m && m <= max))
        .map(|(_, last, _, _)| format!("1.{}.{}", last.0, last.1));
    all.or_else(|| recommended(*minors.first()?))
}

/// `go1.22.10` / `1.22.10` / `go1.25rc1` → `(1, 22)`.
pub fn go_minor(version: &str) -> Option<u32> {
    let v = version.trim().trim_start_matches("go");
    let mut it = v.split('.');
    (it.next()? == "1").then_some(())?;
    let minor: String = it.next()?.chars().take_while(char::is_ascii_digit).collect();
    minor.parse().ok()
}

/// Why Delve `dlv` cannot debug programs built by Go `go` (`1.22.10`), or `None` when it can.
pub fn incompatibility(dlv: &str, built_with: Option<&str>, go: &str, os: Os) -> Option<String> {
    let minor = go_minor(go)?;
    let (min, max, known) = supported(dlv)?;
    let assumed = if known { "" } else { " (assumed: this Delve is newer than goenv's table)" };
    if minor > max {
        return Some(format!(
            "Delve {dlv} is too old for Go {go}: it supports Go 1.{min} to 1.{max}{assumed}, and \
             refuses with \"Version of Delve is too old for Go version {go}\""
        ));
    }
    if minor < min {
        return Some(format!(
            "Delve {dlv} is too new for Go {go}: it supports Go 1.{min} to 1.{max}{assumed}, and \
             refuses with \"Go version {go} is too old for this version of Delve\""
        ));
    }
    // Go ≥ 1.25 writes DWARF 5 (not on macOS); Delve must then be built with Go ≥ 1.25 itself.
    let built = built_with.and_then(go_minor);
    if minor >= 25 && os != Os::Macos && built.is_some_and(|b| b < 25) {
        return Some(format!(
            "Delve {dlv} was built with {}, but debugging programs built by Go {go} (DWARF 5) \
             needs a Delve built with Go 1.25 or later",
            built_with.unwrap_or("an older Go")
        ));
    }
    None
}

/// The `go install` command that puts Delve `version` (`1.25.2`, or `latest`) at `gobin`. On
/// an arm64 Mac it says `GOARCH=arm64`: a `go` that runs under Rosetta 2 (darwin/amd64) would
/// otherwise build an amd64 Delve, which cannot debug arm64 programs. (With such a `go` the
/// command is a cross-compile, which `go install` refuses into GOBIN: the `go-builds-for-amd64`
/// finding comes first and says how to get an arm64 SDK.)
pub fn install_command(gobin: &std::path::Path, go: &str, version: &str, ctx: &Context) -> String {
    let at = if version == "latest" { version.to_owned() } else { format!("v{version}") };
    let arch = if arm64_mac(ctx) { " GOARCH=arm64" } else { "" };
    format!("GOBIN={}{arch} {go} install {DLV_PACKAGE}@{at}", gobin.display())
}

/// An Apple silicon Mac (real, or `--os macos --arch arm64`).
pub fn arm64_mac(ctx: &Context) -> bool {
    ctx.os == Os::Macos && ctx.arch == crate::context::Arch::Arm64
}

/// Where a fix installs Delve when the `dlv` found is not the user's to rebuild: GOBIN, or
/// `~/go/bin` when GOBIN is outside the home.
pub fn fix_gobin(profile: &Profile, ctx: &Context) -> PathBuf {
    let gobin = PathBuf::from(super::gobin(profile, ctx));
    if gobin.starts_with(&ctx.home) { gobin } else { ctx.home.join("go/bin") }
}

/// The `go` a fix runs, by absolute path: the active SDK's (through its `current` link), else
/// the first `go` on PATH, else a bare `go`.
pub fn fix_go(go: Option<&super::GoResolved>, observed: &Observed) -> String {
    let active = go.filter(|g| g.active.is_some()).map(|g| g.link().join("bin/go"));
    active
        .or_else(|| observed.path_go.first().map(|d| d.join("go")))
        .map_or_else(|| "go".to_owned(), |p| p.display().to_string())
}

/// What to change so that a fix's Delve is used, when the `dlv` found (`dlv`) is a package
/// manager's or outside the home (`foreign` says so) and the fix installs into `gobin` instead:
/// `setting` names where the path is set (the `delve` node, `go.alternateTools.dlv`).
pub fn fix_then(dlv: &DlvState, gobin: &std::path::Path, setting: &str, ctx: &Context) -> String {
    let Some(why) = &dlv.foreign else { return String::new() };
    let target = gobin.join("dlv");
    if dlv.path == target {
        return format!(
            ", after removing the link `{}` ({why}, and goenv never writes there)",
            target.display()
        );
    }
    format!(
        ", then point {setting} at `{}` ({why}, and goenv never writes there)",
        crate::resource::tilde_path(&target, &ctx.home)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_answers_like_compat_go() {
        assert_eq!(supported("1.20.2"), Some((18, 20, true)));
        assert_eq!(supported("v1.25.0"), Some((21, 24, true)));
        assert_eq!(supported("1.25.1"), Some((22, 25, true)));
        assert_eq!(supported("1.27.9"), Some((25, 27, false)));
        assert_eq!(supported("1.29.0"), Some((27, 29, false)));
        assert_eq!(supported("1.19.1"), None);
        assert_eq!(recommended(22).as_deref(), Some("1.25.2"));
        assert_eq!(recommended(27).as_deref(), Some("1.27.1"));
        assert_eq!(recommended(17), None);
        assert_eq!(recommended_for(&[22, 21]).as_deref(), Some("1.25.0"));
        assert_eq!(recommended_for(&[25, 21]).as_deref(), Some("1.27.1"));
    }

    #[test]
    fn incompatibilities_name_the_rule() {
        let too_old = incompatibility("1.20.2", Some("go1.19.8"), "1.22.10", Os::Linux).unwrap();
        assert!(too_old.contains("too old for Go 1.22.10"), "{too_old}");
        assert!(incompatibility("1.22.1", Some("go1.21.5"), "1.22.10", Os::Linux).is_none());
        let too_new = incompatibility("1.26.0", Some("go1.25.0"), "1.21.13", Os::Linux).unwrap();
        assert!(too_new.contains("too new"), "{too_new}");
        // DWARF 5: Go 1.25 programs need a Delve built with Go ≥ 1.25, except on macOS.
        let dwarf = incompatibility("1.25.1", Some("go1.24.4"), "1.25.5", Os::Linux).unwrap();
        assert!(dwarf.contains("DWARF 5"), "{dwarf}");
        assert!(incompatibility("1.25.1", Some("go1.24.4"), "1.25.5", Os::Macos).is_none());
        assert!(incompatibility("1.25.1", Some("go1.25.0"), "1.25.5", Os::Linux).is_none());
    }
}
