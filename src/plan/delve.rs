//! Delve: which Go each Delve release can debug (reference B.1, from `pkg/goversion/compat.go`
//! at each tag), and the findings of the `delve` node, spelled out with the fix.
//!
//! ```kdl
//! delve "~/go/bin/dlv" require="compatible" install="v1.23.1"
//! ```
//!
//! Pure: it reads the probed `dlv` (its build info, or a cached `dlv version`) and the resolved
//! `go` node. A debuggee built by Go 1.N is compatible when `min ≤ N ≤ max` of Delve's row; and
//! on Linux a Go ≥ 1.25 debuggee (DWARF 5) needs a Delve itself built with Go ≥ 1.25.

use super::findings::{Finding, Severity};
use super::tilde_path;
use crate::context::{Context, Os};
use crate::probe::Observed;
use crate::profile::{DelveRequire, Profile};

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
fn go_minor(version: &str) -> Option<u32> {
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

const CODE_MISSING: &str = "goenv::finding::delve-missing";
const CODE_NOT_EXEC: &str = "goenv::finding::delve-not-executable";
const CODE_ARCH: &str = "goenv::finding::delve-wrong-arch";
const CODE_INCOMPATIBLE: &str = "goenv::finding::delve-incompatible";
const CODE_UNKNOWN: &str = "goenv::finding::delve-version-unknown";
const CODE_DAP: &str = "goenv::finding::dlv-dap-leftover";

/// The `go install` command that puts Delve `version` at `gobin`.
pub fn install_command(gobin: &std::path::Path, go: &str, version: &str) -> String {
    format!("GOBIN={} {go} install github.com/go-delve/delve/cmd/dlv@v{version}", gobin.display())
}

pub fn findings(
    profile: &Profile,
    ctx: &Context,
    desired: &super::Desired,
    observed: &Observed,
    out: &mut Vec<Finding>,
) {
    let Some(node) = &profile.delve else { return };
    if node.require == DelveRequire::Off {
        return;
    }
    let Some(dlv) = &observed.delve else { return };
    // `install=` puts a verified Delve there in this apply: its findings are for the next plan.
    if desired.resources.iter().any(|r| r.id.starts_with("tool:") && r.path == dlv.path) {
        return;
    }
    let shown = tilde_path(&dlv.path, &ctx.home);
    let gobin = dlv.path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
    let sdks: Vec<(&str, String)> = desired
        .go
        .iter()
        .flat_map(|g| g.all())
        .map(|s| (s.version.as_str(), s.path.join("bin/go").display().to_string()))
        .collect();
    let go_cmd = desired
        .go
        .as_ref()
        .filter(|g| g.active.is_some())
        .map_or_else(|| "go".to_owned(), |g| tilde_path(&g.link().join("bin/go"), &ctx.home));
    let fix = |version: Option<String>| {
        match version {
        Some(v) => format!("install Delve {v}: `{}`", install_command(&gobin, &go_cmd, &v)),
        None => "install a Delve that supports this Go: `go install github.com/go-delve/delve/cmd/dlv@latest`".into(),
    }
    };
    let minors: Vec<u32> = sdks.iter().filter_map(|(v, _)| go_minor(v)).collect();
    let best = recommended_for(&minors);
    let active_minor = sdks.first().and_then(|(v, _)| go_minor(v));
    if !dlv.exists() {
        out.push(
            Finding::new(
                Severity::Error,
                CODE_MISSING,
                format!("`{shown}` does not exist: the profile's `delve` needs it there"),
            )
            .help(fix(active_minor.and_then(recommended)))
            .at(dlv.path.clone(), None),
        );
        return;
    }
    if !dlv.executable {
        out.push(
            Finding::new(Severity::Error, CODE_NOT_EXEC, format!("`{shown}` is not executable"))
                .help(format!("`chmod +x {}`", dlv.path.display()))
                .at(dlv.path.clone(), None),
        );
    }
    if let Some(dap) = &dlv.dap {
        out.push(Finding::new(Severity::Info, CODE_DAP, format!(
                "`{}` is a leftover of VS Code Go's old separate debug adapter; the extension now \
                 runs `dlv dap`",
                tilde_path(dap, &ctx.home)
            )).help(format!("remove it: `rm {}`", dap.display())).at(dap.clone(), None));
    }
    let binary = dlv.binary.as_ref().and_then(|b| b.as_ref().ok());
    if let Some(b) = binary {
        let (os, arch) = super::go::machine(ctx);
        if b.os != os || b.arch != arch {
            out.push(
                Finding::new(
                    Severity::Error,
                    CODE_ARCH,
                    format!(
                        "`{shown}` is built for {}/{}, but this machine is {}/{}",
                        b.os,
                        b.arch,
                        super::go::goos(ctx),
                        ctx.arch.name()
                    ),
                )
                .help(fix(active_minor.and_then(recommended)))
                .at(dlv.path.clone(), None),
            );
        }
    }
    if node.require != DelveRequire::Compatible {
        return;
    }
    let Some((version, source)) = &dlv.version else {
        out.push(
            Finding::new(
                Severity::Warning,
                CODE_UNKNOWN,
                format!("cannot tell which Delve `{shown}` is, so its Go support is unknown"),
            )
            .help(fix(active_minor.and_then(recommended)))
            .at(dlv.path.clone(), None),
        );
        return;
    };
    let built_with = binary.map(|b| b.go_version.as_str());
    for (i, (go, _)) in sdks.iter().enumerate() {
        let Some(why) = incompatibility(version, built_with, go, ctx.os) else { continue };
        let which = if i == 0 { "the active SDK" } else { "a kept SDK" };
        out.push(
            Finding::new(
                if i == 0 { Severity::Error } else { Severity::Warning },
                CODE_INCOMPATIBLE,
                format!("`{shown}` (Delve {version}, from {source}) cannot debug {which}: {why}"),
            )
            .help(fix(best
                .clone()
                .filter(|b| incompatibility(b, Some("go1.25.0"), go, ctx.os).is_none())
                .or_else(|| go_minor(go).and_then(recommended))))
            .at(dlv.path.clone(), None),
        );
    }
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
