//! Findings about the `go` node: which `go` really runs, and whether it is the SDK the profile
//! pins. A `go` earlier on PATH, an exported GOROOT that points elsewhere, `GOTOOLCHAIN=auto`
//! (go.mod files may switch toolchains behind the pin) and an SDK built for another machine.
//! Pure: they read the Context, the probed SDKs and rc files, and the resolved `go` node.

use std::path::{Path, PathBuf};

use super::{Code, Finding, Input, Severity};
use crate::context::Context;
use crate::formats::shell::{STARTUP_FILES, sh_assignments};
use crate::gobin::{BinaryArch, BinaryOs};
use crate::probe::Observed;
use crate::profile::Profile;
use crate::resource::tilde_path;
use crate::units::GoResolved;
use crate::units::go::{goos, machine};

const CODE_RESOLVED: Code = Code::GoVersionResolved;
const CODE_STALE: Code = Code::DownloadIndexStale;
const CODE_AHEAD: Code = Code::GoAheadOnPath;
const CODE_GOROOT: Code = Code::GorootDiffers;
const CODE_AUTO: Code = Code::GotoolchainAuto;
const CODE_ARCH: Code = Code::SdkWrongArch;
const CODE_SYSTEM: Code = Code::NoSystemGo;

pub fn findings(input: Input<'_>, out: &mut Vec<Finding>) {
    let Input { ctx, observed, .. } = input;
    if let Some(index) = &observed.index
        && let Some(why) = &index.stale
    {
        out.push(Finding::new(Severity::Warning, CODE_STALE, format!(
                "the download index could not be fetched ({why}); versions were resolved from a \
                 cached copy that may be out of date"
            )).help("plan again when the network is back to see the newest releases".into()));
    }
    let (Some(profile), Some(desired)) = (input.profile, input.desired) else { return };
    let Some(go) = &desired.go else { return };
    for note in &go.notes {
        out.push(Finding::new(Severity::Info, CODE_RESOLVED, note.clone()));
    }
    for line in &go.adopted {
        out.push(Finding::new(Severity::Info, Code::SdkAdopted, line.clone()));
    }
    if profile.go.as_ref().is_some_and(|g| g.version == crate::profile::GoSelector::System) {
        system_go_differs(ctx, observed, out);
    }
    let Some(active) = &go.active else {
        if observed.path_go.is_empty() {
            out.push(
                Finding::new(
                    Severity::Warning,
                    CODE_SYSTEM,
                    format!(
                        "`go \"system\"` uses the first `go` on PATH, and there is none ({})",
                        crate::units::go::looked_in(ctx)
                    ),
                )
                .help(
                    "install Go with your package manager, or pin a version: `go \"1.22.10\"`"
                        .into(),
                ),
            );
        }
        return;
    };
    let ours = go.link().join("bin");
    go_ahead_on_path(ctx, &ours, observed, out);
    goroot_differs(ctx, go, &active.path, observed, out);
    gotoolchain_auto(profile, ctx, &active.version, &active.path, observed, out);
    for sdk in go.all() {
        wrong_arch(ctx, &sdk.path, observed, out);
    }
}

/// `system-go-differs`: the contexts do not all find the `go` the login shell finds.
fn system_go_differs(ctx: &Context, observed: &Observed, out: &mut Vec<Finding>) {
    let Some(system) = &observed.system_go else { return };
    if system.others.is_empty() {
        return;
    }
    let Ok(Some(login)) = &system.login else { return };
    let theirs: Vec<String> = system
        .others
        .iter()
        .map(|(id, go)| match go {
            Some(g) => format!("{id} finds `{}`", tilde_path(g, &ctx.home)),
            None => format!("{id} finds none"),
        })
        .collect();
    out.push(
        Finding::new(
            Severity::Warning,
            Code::SystemGoDiffers,
            format!(
                "the contexts disagree on which `go` they find: {} finds `{}`, {}; `go \"system\"` \
                 uses the login shell's",
                system.context,
                tilde_path(&login.exe, &ctx.home),
                theirs.join(", ")
            ),
        )
        .help(
            "after `goenv apply`, every context goenv wires (its shells, the desktop session \
             with `session`, VS Code with `vscode`) finds the adopted tree through the SDK link"
                .into(),
        ),
    );
}

/// `go-ahead-on-path`: another `go` comes first on the PATH goenv runs with.
fn go_ahead_on_path(ctx: &Context, ours: &Path, observed: &Observed, out: &mut Vec<Finding>) {
    let Some(path_var) = ctx.env.get("PATH") else { return };
    let entries: Vec<&str> = path_var.split(':').filter(|d| !d.is_empty()).collect();
    let our_pos = entries.iter().position(|e| Path::new(e) == ours);
    let Some(first) = observed.path_go.first() else { return };
    let first_pos = entries.iter().position(|e| Path::new(e) == first);
    let shown = tilde_path(&first.join("go"), &ctx.home);
    match our_pos {
        Some(o) if first_pos.is_some_and(|f| f < o) => out.push(
            Finding::new(
                Severity::Warning,
                CODE_AHEAD,
                format!(
                    "`{shown}` comes before goenv's `{}` on PATH, so `go` runs that one, not the \
                 profile's SDK",
                    tilde_path(ours, &ctx.home)
                ),
            )
            .help(format!(
                "remove `{}` from PATH where it is added after goenv's block (look in your shell \
                 start-up files), or uninstall that Go",
                first.display()
            )),
        ),
        Some(_) => {}
        None => out.push(
            Finding::new(
                Severity::Info,
                CODE_AHEAD,
                format!(
                    "in this environment `go` is `{shown}`; shells started after `goenv apply` put \
                 `{}` first",
                    tilde_path(ours, &ctx.home)
                ),
            )
            .help(
                "open a new login shell (or log out and in for the desktop) after applying".into(),
            ),
        ),
    }
}

/// The value of a `GOROOT=` / `export GOROOT=` line, unquoted.
fn goroot_assignment(line: &str) -> Option<String> {
    let (_, value) = sh_assignments(line).into_iter().rfind(|(k, _)| k == "GOROOT")?;
    Some(value.trim_matches(|c| c == '"' || c == '\'').to_owned())
}

/// `goroot-differs`: GOROOT exported (by the environment or an rc file) to another directory.
fn goroot_differs(
    ctx: &Context,
    go: &GoResolved,
    active: &Path,
    observed: &Observed,
    out: &mut Vec<Finding>,
) {
    let link = go.link();
    let home = ctx.home.to_string_lossy();
    let fits = |v: &str| {
        let v = v.replace("$HOME", &home).replace("${HOME}", &home);
        let v = match v.strip_prefix("~/") {
            Some(rest) => ctx.home.join(rest),
            None => PathBuf::from(v),
        };
        let v = v.components().collect::<PathBuf>();
        v == active || v == link
    };
    let help = "remove the GOROOT export: Go finds its root from the `go` executable, and a \
                GOROOT from another SDK mixes two toolchains' standard libraries"
        .to_owned();
    if let Some(v) = ctx.env.get("GOROOT").filter(|v| !v.is_empty())
        && !fits(v)
    {
        out.push(
            Finding::new(
                Severity::Warning,
                CODE_GOROOT,
                format!(
                    "GOROOT is `{v}` in this environment, not the active SDK `{}`",
                    tilde_path(active, &ctx.home)
                ),
            )
            .help(help.clone()),
        );
    }
    for name in STARTUP_FILES {
        let path = ctx.home.join(name);
        let Some(bytes) = observed.get(&path).bytes() else { continue };
        let text = String::from_utf8_lossy(bytes);
        for (i, line) in text.lines().enumerate() {
            let Some(v) = goroot_assignment(line) else { continue };
            if v.is_empty() || fits(&v) {
                continue;
            }
            out.push(
                Finding::new(
                    Severity::Warning,
                    CODE_GOROOT,
                    format!(
                        "`{}:{}` sets GOROOT to `{v}`, not the active SDK `{}`",
                        tilde_path(&path, &ctx.home),
                        i + 1,
                        tilde_path(active, &ctx.home)
                    ),
                )
                .help(help.clone())
                .at(path.clone(), Some(i + 1)),
            );
        }
    }
}

/// `gotoolchain-auto`: with GOTOOLCHAIN=auto a go.mod may run another toolchain than the pin.
fn gotoolchain_auto(
    profile: &Profile,
    ctx: &Context,
    version: &str,
    active: &Path,
    observed: &Observed,
    out: &mut Vec<Finding>,
) {
    // An exported value is in the environment of every shell, so it wins over the Go env file.
    let exported = profile.export.iter().rfind(|s| s.key == "GOTOOLCHAIN");
    let from_profile = exported
        .or_else(|| profile.go_env_file().filter(|s| s.key == "GOTOOLCHAIN").last())
        .map(|s| (s.value.text.clone(), "the profile".to_owned()));
    let from_env = ctx
        .env
        .get("GOTOOLCHAIN")
        .filter(|v| !v.is_empty())
        .map(|v| (v.clone(), "the environment".to_owned()));
    let from_sdk = || {
        let go_env = observed.sdk(active).and_then(|s| s.go_env.as_ref());
        let value = go_env.and_then(|b| {
            crate::formats::goenvfile::parse(b)
                .into_iter()
                .rfind(|(k, _)| k == "GOTOOLCHAIN")
                .map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
        });
        // A stock go.env says auto; an SDK not installed yet is assumed to be stock.
        (value.unwrap_or_else(|| "auto".into()), format!("go{version}'s go.env (Go's default)"))
    };
    // The environment wins over the Go env file, which wins over go.env (A.2).
    let (value, source) = from_env.or(from_profile).unwrap_or_else(from_sdk);
    if value != "auto" && !value.ends_with("+auto") {
        return;
    }
    out.push(Finding::new(Severity::Warning, CODE_AUTO, format!(
            "GOTOOLCHAIN is `{value}` (from {source}): a go.mod whose `go` or `toolchain` line asks \
             for a newer Go makes `go` download and run that toolchain instead of go{version}"
        )).help("add `GOTOOLCHAIN \"local\"` to `go-env` to always use the pinned SDK".into()));
}

/// `sdk-wrong-arch`: an SDK whose `bin/go` is built for another machine.
fn wrong_arch(ctx: &Context, sdk: &Path, observed: &Observed, out: &mut Vec<Finding>) {
    let Some(Ok(arches)) = observed.sdk(sdk).map(|s| &s.arches) else { return };
    let (os, arch) = machine(ctx);
    if arches.is_empty() || arches.iter().any(|(o, a)| *o == os && *a == arch) {
        return;
    }
    let built: Vec<String> = arches.iter().map(|(o, a)| format!("{o}/{a}")).collect();
    let shown = tilde_path(&sdk.join("bin/go"), &ctx.home);
    let rosetta = os == BinaryOs::Macos
        && arch == BinaryArch::Arm64
        && arches.contains(&(BinaryOs::Macos, BinaryArch::Amd64));
    let platform = format!("{}/{}", goos(ctx), ctx.arch.name());
    if rosetta {
        out.push(Finding::new(Severity::Info, CODE_ARCH, format!(
                "`{shown}` is built for darwin/amd64 and runs under Rosetta 2 on this {platform} \
                 Mac: slower, and it builds amd64 programs by default"
            )).help("remove the directory and apply again to install the darwin/arm64 SDK".into()));
    } else {
        out.push(
            Finding::new(
                Severity::Error,
                CODE_ARCH,
                format!(
                    "`{shown}` is built for {}, but this machine is {platform}: it will not run",
                    built.join(", ")
                ),
            )
            .help(format!(
                "remove `{}` and apply again: goenv downloads the {platform} archive",
                sdk.display()
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goroot_lines_are_read_like_sh() {
        assert_eq!(goroot_assignment("export GOROOT=/usr/local/go"), Some("/usr/local/go".into()));
        assert_eq!(
            goroot_assignment("  GOROOT=\"$HOME/sdk/go\" # mine"),
            Some("$HOME/sdk/go".into())
        );
        assert_eq!(goroot_assignment("export GOPATH=/x"), None);
        assert_eq!(goroot_assignment("# export GOROOT=/x"), None);
    }
}
