//! Findings about VS Code's user settings: the file makes the Go extension use another Go than
//! the profile's active SDK, cannot be read, or points the debugger at a Delve that cannot debug
//! the active SDK. Read as the file is now, before goenv's edit.

use std::path::Path;

use serde_json::Value;

use super::{Code, Finding, Input, Severity};
use crate::context::Context;
use crate::formats::jsonc::{self, ALTERNATE_TOOLS, GOROOT};
use crate::probe::Observed;
use crate::resource::tilde_path;
use crate::units::delve::{
    fix_go, fix_gobin, fix_then, incompatibility, install_command, recommended,
};
use crate::units::vscode::{ALTERNATE_GO, default_settings, normalise, resolve, settings_path};

const CODE_GOROOT: Code = Code::VscodeGorootDiffers;
const CODE_ALTERNATE_GO: Code = Code::VscodeAlternateGoDiffers;
const CODE_UNREADABLE: Code = Code::VscodeSettingsUnreadable;
const CODE_EDITOR_DLV: Code = Code::VscodeDlvIncompatible;

/// `vscode-goroot-differs`, `vscode-alternate-go-differs`: the settings file (the `vscode`
/// node's, else the default one when it exists) makes VS Code's Go extension use another Go
/// than the profile's active SDK. Read as the file is now, before goenv's edit.
pub fn findings(input: Input<'_>, out: &mut Vec<Finding>) {
    let Input { ctx, observed, .. } = input;
    let (Some(profile), Some(desired)) = (input.profile, input.desired) else { return };
    let Some(go) = &desired.go else { return };
    let Some(active) = &go.active else { return };
    let owned = profile.vscode.is_some();
    let path = settings_path(profile, ctx).unwrap_or_else(|| default_settings(ctx));
    let Some(bytes) = observed.get(&path).bytes() else { return };
    let shown = tilde_path(&path, &ctx.home);
    let link = normalise(&go.link());
    let sdk = normalise(&active.path);
    let at = |key, field| match jsonc::line_of(bytes, key, field) {
        Some(line) => (format!("`{shown}:{line}`"), Some(line)),
        None => (format!("`{shown}`"), None),
    };
    let link_shown = tilde_path(&link, &ctx.home);

    match jsonc::get_top(bytes, GOROOT) {
        Err(e) => {
            // With the `vscode` node the plan has already stopped on this; without it, say why
            // nothing could be checked.
            out.push(Finding::new(Severity::Warning, CODE_UNREADABLE, format!(
                    "`{shown}:{}:{}` cannot be read ({}), so goenv cannot check which Go VS Code \
                     uses",
                    e.line,
                    e.column,
                    e.message()
                )).help(e.hint().to_owned()).at(path.clone(), Some(e.line)));
            return;
        }
        Ok(Some(Value::String(value))) if !value.is_empty() => {
            // A value that depends on the open folder cannot be checked here.
            let fits = resolve(&value, ctx).is_none_or(|p| p == link || p == sdk);
            if !fits {
                let (place, line) = at(GOROOT, None);
                let mut help = if owned {
                    format!("`goenv apply` sets it to `{}`", link.display())
                } else {
                    format!(
                        "add `vscode` to the profile so goenv keeps `{GOROOT}` on the active SDK, \
                         or set it to `{}`",
                        link.display()
                    )
                };
                if value.contains("${userHome}") {
                    help.push_str(
                        "; the Go extension does not expand `${userHome}` here: write `~/…`",
                    );
                }
                out.push(Finding::new(if owned { Severity::Info } else { Severity::Warning }, CODE_GOROOT, format!(
                        "{place} sets `{GOROOT}` to {value:?}, not the active SDK `{link_shown}`: \
                         VS Code's Go extension (gopls, tests, the debugger) uses that Go"
                    )).help(help).at(path.clone(), line));
            }
        }
        Ok(_) => {}
    }

    // A non-object `go.alternateTools` is VS Code's own settings error; nothing to add.
    if let Ok(Some(Value::String(value))) =
        jsonc::get_in_object(bytes, ALTERNATE_TOOLS, ALTERNATE_GO)
        && !value.is_empty()
    {
        let bins = [link.join("bin/go"), sdk.join("bin/go")];
        // A bare name is looked up like any tool: `go` finds the SDK's, another name does not.
        let fits = match resolve(&value, ctx) {
            None => true,
            Some(p) if p.is_absolute() => bins.contains(&p),
            Some(_) => value == "go",
        };
        if !fits {
            let (place, line) = at(ALTERNATE_TOOLS, Some(ALTERNATE_GO));
            out.push(Finding::new(Severity::Warning, CODE_ALTERNATE_GO, format!(
                    "{place} sets `{ALTERNATE_TOOLS}` `\"{ALTERNATE_GO}\"` to {value:?}: VS Code's \
                     Go extension runs that instead of the active SDK's `{}`",
                    tilde_path(&bins[0], &ctx.home)
                )).help(format!(
                    "remove `\"{ALTERNATE_GO}\"` from `{ALTERNATE_TOOLS}` in `{shown}` (goenv does \
                     not own it), or set it to `{}`",
                    bins[0].display()
                )).at(path.clone(), line));
        }
    }
    let fix = EditorFix { go: fix_go(Some(go), observed), gobin: fix_gobin(profile, ctx) };
    editor_dlv_incompatible(ctx, &active.version, observed, &path, &fix, out);
}

/// How the fix of the editor's Delve installs one: with which `go`, into which GOBIN when the
/// Delve found is not the user's to rebuild.
struct EditorFix {
    go: String,
    gobin: std::path::PathBuf,
}

/// `vscode-dlv-incompatible`: the Delve VS Code debugs with cannot debug the active SDK.
fn editor_dlv_incompatible(
    ctx: &Context,
    active: &str,
    observed: &Observed,
    settings: &Path,
    how: &EditorFix,
    out: &mut Vec<Finding>,
) {
    let Some(dlv) = &observed.editor_dlv else { return };
    let Some((version, source)) = &dlv.version else { return };
    let built = dlv.binary.as_ref().and_then(|b| b.as_ref().ok()).map(|b| b.go_version.as_str());
    let Some(why) = incompatibility(version, built, active, ctx.os) else { return };
    let shown = tilde_path(&dlv.path, &ctx.home);
    let gobin = match &dlv.foreign {
        Some(_) => how.gobin.clone(),
        None => dlv.path.parent().unwrap_or(Path::new("/")).to_path_buf(),
    };
    let then = fix_then(dlv, &gobin, &format!("`{ALTERNATE_TOOLS}` `dlv`"), ctx);
    let release = active.split('.').nth(1).and_then(|m| m.parse().ok()).and_then(recommended);
    let command = install_command(&gobin, &how.go, release.as_deref().unwrap_or("latest"), ctx);
    let fix = match &dlv.foreign {
        Some(_) => format!("install a Delve that supports it: `{command}`{then}"),
        None => {
            format!("point `dlv` at a Delve that supports it, or install one there: `{command}`")
        }
    };
    let message = format!(
        "VS Code debugs with `{shown}` (`{ALTERNATE_TOOLS}` `dlv` in `{}`), Delve {version} \
         (from {source}), which cannot debug the active SDK: {why}",
        tilde_path(settings, &ctx.home)
    );
    out.push(
        Finding::new(Severity::Warning, CODE_EDITOR_DLV, message)
            .help(fix)
            .at(settings.to_path_buf(), None),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    use crate::context::{Arch, Os};

    /// `settings` as the file at `rel`.
    fn findings_for(os: Os, profile: &str, rel: &str, settings: &str) -> (PathBuf, Vec<Finding>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().to_path_buf();
        let sdk = home.join("sdk/go1.99.1");
        std::fs::create_dir_all(sdk.join("pkg/tool/linux_amd64")).expect("mkdir");
        std::fs::create_dir_all(sdk.join("bin")).expect("mkdir");
        std::fs::write(sdk.join("VERSION"), "go1.99.1\ntime 2020-02-02T00:00:00Z\n").expect("w");
        std::fs::write(sdk.join(".unpacked-success"), "").expect("write");
        std::fs::write(sdk.join("bin/go"), "").expect("write");
        let file = home.join(rel);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, settings).expect("write");
        let ctx = Context::hermetic(home.clone(), os, Arch::Amd64, "box".into());
        let profile = crate::profile::load_str(&ctx.default_profile(), profile, &ctx)
            .unwrap_or_else(|r| panic!("profile rejected: {:?}", r.problems));
        let input = crate::units::Input { profile: &profile, ctx: &ctx };
        // The `go` node's directory is `~/sdk`, which the go unit reads.
        let observed = crate::engine::observe(input, &Default::default()).expect("observe");
        let desired = crate::units::desired(input, &observed).expect("desired");
        let mut out = Vec::new();
        findings(
            Input {
                ctx: &ctx,
                observed: &observed,
                profile: Some(&profile),
                desired: Some(&desired),
            },
            &mut out,
        );
        (home, out)
    }

    const GO: &str = "version 1\ngo \"1.99.1\"\n";
    const GO_VSCODE: &str = "version 1\ngo \"1.99.1\"\nvscode\n";
    const LINUX: &str = ".config/Code/User/settings.json";

    #[test]
    fn goroot_elsewhere_is_reported_with_file_and_line() {
        let settings = "{\n  // mine\n  \"go.goroot\": \"/usr/local/go\",\n}\n";
        let (home, all) = findings_for(Os::Linux, GO, LINUX, settings);
        let [f] = all.as_slice() else { panic!("{all:#?}") };
        assert_eq!((f.code, f.severity, f.line), (CODE_GOROOT, Severity::Warning, Some(3)));
        assert_eq!(f.path.as_deref(), Some(home.join(LINUX).as_path()));
        assert!(
            f.message.starts_with(
                "`~/.config/Code/User/settings.json:3` sets `go.goroot` to \"/usr/local/go\", \
                 not the active SDK `~/sdk/current`"
            ),
            "{}",
            f.message
        );
        assert!(f.help.as_deref().unwrap_or_default().contains("add `vscode` to the profile"));
        // With the node, goenv fixes it: a note, before goenv's edit.
        let (_, all) = findings_for(Os::Linux, GO_VSCODE, LINUX, settings);
        let [f] = all.as_slice() else { panic!("{all:#?}") };
        assert_eq!((f.code, f.severity), (CODE_GOROOT, Severity::Info));
        assert!(f.help.as_deref().unwrap_or_default().starts_with("`goenv apply` sets it to `/"));
        // macOS keeps the settings in Library.
        let mac = "Library/Application Support/Code/User/settings.json";
        let (_, all) = findings_for(Os::Macos, GO, mac, settings);
        assert_eq!(all.len(), 1, "{all:#?}");
        let (_, all) = findings_for(Os::Macos, GO, LINUX, settings);
        assert!(all.is_empty(), "{all:#?}");
    }

    #[test]
    fn the_active_sdk_in_any_spelling_is_fine() {
        for goroot in [
            "~/sdk/current",
            "~/sdk/go1.99.1/",
            "${env:HOME}/sdk/./current",
            "",
            "${workspaceFolder}/go",
        ] {
            let settings = format!("{{\"go.goroot\": {goroot:?}}}");
            let (_, all) = findings_for(Os::Linux, GO, LINUX, &settings);
            assert!(all.is_empty(), "{goroot}: {all:#?}");
        }
        let settings = "{\"go.goroot\": \"${userHome}/sdk/current\"}";
        let (_, all) = findings_for(Os::Linux, GO, LINUX, settings);
        assert!(all[0].help.as_deref().unwrap_or_default().contains("${userHome}"), "{all:#?}");
        // Without an active SDK there is nothing to compare with.
        let settings = "{\"go.goroot\": \"/usr/local/go\"}";
        let (_, all) = findings_for(Os::Linux, "version 1\nvscode\n", LINUX, settings);
        assert!(all.is_empty(), "{all:#?}");
    }

    #[test]
    fn alternate_go_elsewhere_is_reported() {
        for (go, reported) in [
            ("/usr/local/go/bin/go", true),
            ("go1.21.13", true),
            ("~/sdk/current/bin/go", false),
            ("~/sdk/go1.99.1/bin/go", false),
            ("go", false),
        ] {
            let settings = format!(
                "{{\n\t\"go.alternateTools\": {{\n\t\t\"gopls\": \"/p\",\n\t\t\"go\": {go:?}\n\t}}\n}}"
            );
            let (_, all) = findings_for(Os::Linux, GO_VSCODE, LINUX, &settings);
            let found: Vec<_> = all.iter().filter(|f| f.code == CODE_ALTERNATE_GO).collect();
            assert_eq!(found.len(), usize::from(reported), "{go}: {all:#?}");
            if let [f] = found.as_slice() {
                assert_eq!((f.severity, f.line), (Severity::Warning, Some(4)));
                assert!(f.message.contains(&format!("to {go:?}")), "{}", f.message);
                assert!(f.help.as_deref().unwrap_or_default().starts_with("remove `\"go\"`"));
            }
        }
    }

    #[test]
    fn an_unreadable_file_is_said_once() {
        let (_, all) = findings_for(Os::Linux, GO, LINUX, "{\n  \"a\": 1\n  \"b\": 2\n}");
        let [f] = all.as_slice() else { panic!("{all:#?}") };
        assert_eq!((f.code, f.line), (CODE_UNREADABLE, Some(2)));
        assert!(
            f.message.contains("settings.json:2:9` cannot be read (expected comma)"),
            "{}",
            f.message
        );
    }

    /// Issue 16, item 13: the message reads as one sentence, without a run of spaces.
    #[test]
    fn editor_dlv_message_has_no_run_of_spaces() {
        let ctx = Context::hermetic("/h".into(), Os::Linux, Arch::Amd64, "box".into());
        let dlv = crate::probe::DlvState {
            path: "/h/go/bin/dlv".into(),
            identity: Some("1|2|3".into()),
            executable: true,
            binary: None,
            version: Some(("1.20.2".into(), "build info")),
            dap: None,
            foreign: None,
        };
        let observed = Observed { editor_dlv: Some(dlv), ..Observed::default() };
        let mut out = Vec::new();
        let settings = Path::new("/h/.config/Code/User/settings.json");
        let how = EditorFix { go: "/h/sdk/current/bin/go".into(), gobin: "/h/go/bin".into() };
        editor_dlv_incompatible(&ctx, "1.22.10", &observed, settings, &how, &mut out);
        let [f] = out.as_slice() else { panic!("{out:#?}") };
        assert!(!f.message.contains("  "), "{:?}", f.message);
        assert!(f.message.contains("Delve 1.20.2 (from build info), which"), "{:?}", f.message);
    }
}
