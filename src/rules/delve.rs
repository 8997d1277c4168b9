//! Findings of the `delve` node: the profile's `dlv` is missing, not executable, built for
//! another machine, of an unknown version, or cannot debug an SDK of the profile; each spelled
//! out with the fix (the exact `go install` with the active SDK's `go`, by absolute path; into
//! GOBIN, never over a package manager's file or outside the home).

use super::{Code, Finding, Input, Severity};
use crate::profile::DelveRequire;
use crate::resource::{Kind, tilde_path};
use crate::units::delve::{
    fix_go, fix_gobin, fix_then, go_minor, incompatibility, install_command, recommended,
    recommended_for,
};
use crate::units::go::{goos, machine};

const CODE_MISSING: Code = Code::DelveMissing;
const CODE_NOT_EXEC: Code = Code::DelveNotExecutable;
const CODE_ARCH: Code = Code::DelveWrongArch;
const CODE_INCOMPATIBLE: Code = Code::DelveIncompatible;
const CODE_UNKNOWN: Code = Code::DelveVersionUnknown;
const CODE_DAP: Code = Code::DlvDapLeftover;

pub fn findings(input: Input<'_>, out: &mut Vec<Finding>) {
    let Input { ctx, observed, .. } = input;
    let (Some(profile), Some(desired)) = (input.profile, input.desired) else { return };
    let Some(node) = &profile.delve else { return };
    if node.require == DelveRequire::Off {
        return;
    }
    let Some(dlv) = &observed.delve else { return };
    // `install=` puts a verified Delve there in this apply: its findings are for the next plan.
    if desired.wants(Kind::Tool, &dlv.path) {
        return;
    }
    let shown = tilde_path(&dlv.path, &ctx.home);
    // A package manager's `dlv`, or one outside the home, is never the fix's target: the fix
    // installs into GOBIN and points `delve` there.
    let gobin = match &dlv.foreign {
        Some(_) => fix_gobin(profile, ctx),
        None => dlv.path.parent().map(std::path::Path::to_path_buf).unwrap_or_default(),
    };
    let then = fix_then(dlv, &gobin, "`delve`", ctx);
    let sdks: Vec<(&str, String)> = desired
        .go
        .iter()
        .flat_map(|g| g.all())
        .map(|s| (s.version.as_str(), s.path.join("bin/go").display().to_string()))
        .collect();
    let go_cmd = fix_go(desired.go.as_ref(), observed);
    let fix = |version: Option<String>| {
        let command = install_command(&gobin, &go_cmd, version.as_deref().unwrap_or("latest"), ctx);
        match version {
            Some(v) => format!("install Delve {v}: `{command}`{then}"),
            None => format!("install a Delve that supports this Go: `{command}`{then}"),
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
        // Not the user's file: a build of their own instead of a `chmod` of it.
        let help = match &dlv.foreign {
            Some(_) => fix(active_minor.and_then(recommended)),
            None => format!("`chmod +x {}`", dlv.path.display()),
        };
        out.push(
            Finding::new(Severity::Error, CODE_NOT_EXEC, format!("`{shown}` is not executable"))
                .help(help)
                .at(dlv.path.clone(), None),
        );
    }
    // Beside a package manager's `dlv`, a `dlv-dap` is not the user's to remove either.
    if let Some(dap) = dlv.dap.as_ref().filter(|_| dlv.foreign.is_none()) {
        out.push(Finding::new(Severity::Info, CODE_DAP, format!(
                "`{}` is a leftover of VS Code Go's old separate debug adapter; the extension now \
                 runs `dlv dap`",
                tilde_path(dap, &ctx.home)
            )).help(format!("remove it: `rm {}`", dap.display())).at(dap.clone(), None));
    }
    let binary = dlv.binary.as_ref().and_then(|b| b.as_ref().ok());
    if let Some(b) = binary {
        let (os, arch) = machine(ctx);
        if b.os != os || b.arch != arch {
            out.push(
                Finding::new(
                    Severity::Error,
                    CODE_ARCH,
                    format!(
                        "`{shown}` is built for {}/{}, but this machine is {}/{}",
                        b.os,
                        b.arch,
                        goos(ctx),
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
    // GoLand, pointed at this Delve, starts it with `--check-go-version=false`.
    let goland = if profile.goland.is_some() && crate::units::goland::dlv(profile, ctx) == dlv.path
    {
        "; GoLand starts it with `--check-go-version=false`, so there this shows only as \
         breakpoints that never hit"
    } else {
        ""
    };
    for (i, (go, _)) in sdks.iter().enumerate() {
        let Some(why) = incompatibility(version, built_with, go, ctx.os) else { continue };
        let which = if i == 0 { "the active SDK" } else { "a kept SDK" };
        out.push(
            Finding::new(
                if i == 0 { Severity::Error } else { Severity::Warning },
                CODE_INCOMPATIBLE,
                format!(
                    "`{shown}` (Delve {version}, from {source}) cannot debug {which}: {why}{goland}"
                ),
            )
            .help(fix(best
                .clone()
                .filter(|b| incompatibility(b, Some("go1.25.0"), go, ctx.os).is_none())
                .or_else(|| go_minor(go).and_then(recommended))))
            .at(dlv.path.clone(), None),
        );
    }
}
