//! `goenv init`: the text of a new profile. [`starter`] is a commented profile to adjust;
//! [`from_machine`] writes one that reproduces what this machine has, read by doctor's model
//! (`doctor::diagnose`: contexts, `goview`, findings), from files only.
//!
//! ```kdl
//! go "1.22.10" { root "/usr/local/go" }   // the Go in use, adopted where it lies
//! go-env { GOPATH "~/go" }                // the Go env file's settings; harmful ones commented out
//! path "~/go/bin"                         // PATH entries the start-up files add for Go tools
//! shells "bash" "zsh"                     // the shells in use
//! ```
//!
//! Pure apart from reading the machine through doctor's [`Sys`] (which moves under
//! `TEST_GOENV_SYSROOT`): it never runs `go` or a shell and never writes; the engine writes
//! the text. No secret reaches [`Generated::found`]: a secret value is written to the profile
//! only, marked `secret=#true`, or left out as a commented placeholder.

use std::path::{Path, PathBuf};

use crate::context::{Context, Os};
use crate::doctor::sys::Sys;
use crate::doctor::value::{Source, Val};
use crate::doctor::{ContextReport, Report};
use crate::profile::secret;
use crate::resource::tilde_path;
use crate::rules::Severity;

/// A profile written from the machine, and what was found, for people to read.
#[derive(Debug, Clone)]
pub struct Generated {
    pub text: String,
    /// One line per thing found, secrets never shown.
    pub found: Vec<String>,
    /// Whether the text holds a secret value (the file is then private: `0600`).
    pub secret: bool,
}

/// The starter profile `goenv init` writes: a clean Go env file, the public proxy, every shell
/// and the desktop session on Linux; the SDK, Delve and VS Code lines commented, to adjust.
pub const STARTER: &str = r#"/- kdl-version 2
// goenv's profile: the Go environment of this user account, as goenv should make it.
// `goenv plan` shows what applying it would change, `goenv apply` does it as one generation,
// and `goenv rollback` undoes that. The README's profile reference lists every node.
version 1

// The active Go SDK, installed at ~/sdk/go<version> (the golang.org/dl layout) with
// ~/sdk/current pointing at it. `go "1.23"` means the newest 1.23.x.
// go "1.23.9" {
//     keep "1.22.10"      // other SDKs to keep installed
// }
// or the Go already installed, where it lies (adopted, never downloaded):
// go "1.22.10" { root "/usr/local/go"; }
// or whatever `go` is first on PATH, installing nothing:
// go "system"

// The Go env file (what `go env -w` writes). goenv owns it: keys not listed are removed.
go-env {
    GOPATH "~/go"
    GOBIN "~/go/bin"      // on PATH first, so `go install`ed tools (dlv, gopls) are found
    GOTOOLCHAIN "local"   // never let a go.mod line switch toolchains behind your back
}

// GOPROXY and GOSUMDB: "default" (proxy.golang.org), "china", "direct" or "offline".
proxy "default"

// Extra PATH entries, after the SDK's bin and GOBIN:
// path "~/tools/bin"

// Which shells to wire up (default: bash, and zsh and fish when they are configured):
// shells "bash" "zsh" "fish"

when os="linux" {
    session               // GUI apps (VS Code from the dock) see the same PATH
}

// Delve, checked against the active Go:
// delve "~/go/bin/dlv"

// Point VS Code's Go extension at the active SDK and dlv:
// vscode
"#;

/// Where a Go tree came from, which decides how the profile names it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum GoChoice {
    /// `<dir>/go<version>`, the golang.org/dl layout: `go "V" { dir "…" }`.
    Layout { version: String, dir: PathBuf },
    /// Anywhere else: `go "V" { root "…" }`.
    Root { version: String, root: PathBuf },
    /// A package manager's Go (Debian, Homebrew, …): `go "system"`, which follows its upgrades.
    System { version: Option<String>, root: PathBuf, manager: &'static str },
}

/// A KDL string literal.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A comment's text on one line.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

use crate::profile::secret::secret_name;

/// Whether a value must not be shown: a URL with credentials.
fn secret_value(value: &str) -> bool {
    secret::redact_urls(value) != value
}

/// The context whose Go is "the Go in use": the login shell's, else its interactive one, else
/// the first context that finds a `go`.
fn login_context(report: &Report) -> Option<&ContextReport> {
    let shell = report.shell.file_name().and_then(|n| n.to_str()).unwrap_or("sh");
    let ids: &[&str] = match shell {
        "bash" => &["bash-login", "bash-interactive"],
        "zsh" => &["zsh-login", "terminal-zsh", "zsh-interactive"],
        "fish" => &["fish"],
        _ => &["sh-login"],
    };
    let by_id = |id: &str| report.contexts.iter().find(|c| c.id == id);
    let has_go = |c: &&ContextReport| matches!(c.view.go, Ok(Some(_)));
    ids.iter()
        .filter_map(|id| by_id(id))
        .find(has_go)
        .or_else(|| report.contexts.iter().find(has_go))
        .or_else(|| ids.iter().find_map(|id| by_id(id)))
}

/// `go1.22.10` → `1.22.10`, only for a release version the profile accepts.
fn release(version: &str) -> Option<String> {
    let v = version.strip_prefix("go")?;
    let parts: Vec<&str> = v.split('.').collect();
    (parts.len() >= 2 && parts.len() <= 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()))
        .then(|| v.to_owned())
}

/// The package manager that owns a GOROOT, from where it lies.
fn manager(root: &Path) -> Option<&'static str> {
    let s = root.to_string_lossy();
    if s.starts_with("/usr/lib/go") || s.starts_with("/usr/share/go") {
        Some("the distribution's package (apt, dnf)")
    } else if s.contains("/Cellar/go") || s.contains("/opt/go/libexec") || s.contains("linuxbrew") {
        Some("Homebrew")
    } else if s.starts_with("/nix/store") {
        Some("Nix")
    } else if s.starts_with("/snap/") {
        Some("snap")
    } else {
        None
    }
}

/// The SDK a go-nv/goenv shim runs: `$GOENV_VERSION`, else `$GOENV_ROOT/version`.
fn shim_sdk(sys: &Sys, c: &ContextReport, shim: &Path) -> Option<(String, PathBuf)> {
    let root = shim.parent()?.parent()?.to_path_buf();
    let version = match c.env.get("GOENV_VERSION") {
        Some(Val::Known(v)) if !v.is_empty() => v,
        _ => sys
            .read_text(&root.join("version"), "go-nv/goenv's global version")?
            .lines()
            .next()?
            .trim()
            .to_owned(),
    };
    let tree = root.join("versions").join(&version);
    let found = crate::doctor::goview::sdk_version(sys, &tree)?;
    Some((found, tree))
}

fn choose(sys: &Sys, ctx: &Context, c: &ContextReport) -> Result<GoChoice, String> {
    let go = match &c.view.go {
        Ok(Some(g)) => g,
        Ok(None) => return Err(format!("no `go` on {}'s PATH", c.id)),
        Err(w) => return Err(format!("which `go` {} runs is not known: {}", c.id, w.reason)),
    };
    let shim = go.path.parent().is_some_and(|d| d.ends_with(".goenv/shims"));
    let (version, root) = if shim {
        shim_sdk(sys, c, &go.path).ok_or_else(|| {
            format!(
                "`{}` is a go-nv/goenv shim, and the version it selects is not installed",
                tilde_path(&go.path, &ctx.home)
            )
        })?
    } else {
        let root = go.goroot.clone().map_err(|e| {
            format!("`{}` has no GOROOT goenv can adopt: {e}", tilde_path(&go.path, &ctx.home))
        })?;
        (go.version.clone().unwrap_or_default(), root)
    };
    // Where the tree really is (a symlinked `~/sdk/go1.22.10 -> /usr/local/go` is that tree).
    let real = sys.canonical(&root).unwrap_or_else(|| root.clone());
    if let Some(manager) = manager(&real) {
        return Ok(GoChoice::System { version: release(&version), root: real, manager });
    }
    let Some(v) = release(&version) else {
        return Err(format!(
            "`{}` is `{version}`, not a Go release goenv can pin",
            tilde_path(&go.path, &ctx.home)
        ));
    };
    // The golang.org/dl layout: `go1.22.10 download` (and goenv) leave a marker; a tree in
    // `~/sdk` is in goenv's own SDK directory. Elsewhere a `<dir>/current` link would be new.
    if root.file_name().is_some_and(|n| n.to_string_lossy() == format!("go{v}"))
        && let Some(dir) = root.parent()
        && (dir == ctx.home.join("sdk") || sys.exists(&root.join(crate::sdk::extract::MARKER)))
    {
        return Ok(GoChoice::Layout { version: v, dir: dir.to_path_buf() });
    }
    Ok(GoChoice::Root { version: v, root })
}

/// Other SDKs: in the layout directory (`keep`), and elsewhere (listed in a comment).
fn other_sdks(sys: &Sys, ctx: &Context, dir: &Path, active: &Path) -> (Vec<String>, Vec<String>) {
    let active = sys.canonical(active).unwrap_or_else(|| active.to_path_buf());
    let is_active = |p: &Path| sys.canonical(p).unwrap_or_else(|| p.to_path_buf()) == active;
    let mut keep = Vec::new();
    let mut names = sys.list(dir);
    names.sort();
    for name in names {
        let tree = dir.join(&name);
        if let Some(v) = name.strip_prefix("go").and_then(|v| release(&format!("go{v}")))
            && crate::doctor::goview::sdk_version(sys, &tree).as_deref() == Some(&name)
            && !sys.is_symlink(&tree)
            && !is_active(&tree)
        {
            keep.push(v);
        }
    }
    let mut elsewhere = Vec::new();
    let mut candidates: Vec<PathBuf> = Vec::new();
    for base in [ctx.home.join(".goenv/versions"), ctx.home.join(".local/share/mise/installs/go")] {
        let mut names = sys.list(&base);
        names.sort();
        candidates.extend(names.into_iter().map(|n| base.join(n)));
    }
    candidates.push(PathBuf::from("/usr/local/go"));
    let mut libs: Vec<String> =
        sys.list(Path::new("/usr/lib")).into_iter().filter(|n| n.starts_with("go-")).collect();
    libs.sort();
    candidates.extend(libs.into_iter().map(|n| Path::new("/usr/lib").join(n)));
    for tree in candidates {
        if tree.starts_with(dir) || is_active(&tree) {
            continue;
        }
        if let Some(v) = crate::doctor::goview::sdk_version(sys, &tree) {
            elsewhere.push(format!("{} ({v})", tilde_path(&tree, &ctx.home)));
        }
    }
    (keep, elsewhere)
}

/// A value for the profile: paths in the home written with `~`.
fn tilde_value(ctx: &Context, key: &str, value: &str) -> String {
    if !crate::profile::govalue::is_path_key(key) && !matches!(key, "GOPATH") {
        return value.to_owned();
    }
    let home = ctx.home.to_string_lossy();
    value
        .split(':')
        .map(|part| match part.strip_prefix(home.as_ref()) {
            Some(rest) if rest.starts_with('/') => format!("~{rest}"),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(":")
}

/// The doctor finding (warning or error) at `path:line`, as a reason to leave a value out.
fn harmful(report: &Report, path: &Path, line: u32) -> Option<String> {
    report
        .findings
        .iter()
        .filter(|f| matches!(f.severity, Severity::Error | Severity::Warning))
        .find(|f| f.path.as_deref() == Some(path) && f.line == Some(line))
        .map(|f| format!("{} (doctor: {})", secret::redact_urls(&f.message), f.code))
}

/// A profile that reproduces what works on this machine.
pub fn from_machine(ctx: &Context, report: &Report) -> Generated {
    let sys = Sys::new(Sys::root_for_process(), ctx.home.clone());
    let mut out = String::new();
    let mut found: Vec<String> = Vec::new();
    let mut holds_secret = false;
    let login = login_context(report);
    let tilde = |p: &Path| tilde_path(p, &ctx.home);

    out.push_str("/- kdl-version 2\n");
    out.push_str(&format!(
        "// Written by `goenv init --from-machine` at {} from what this machine has: the\n\
         // start-up files of its shells, the Go env file, the SDKs, Delve and VS Code's settings,\n\
         // read as `goenv doctor` reads them (from files; nothing was run). Login shell: `{}`.\n\
         // `goenv plan` shows what applying it changes: goenv's own wiring, and the removal of\n\
         // what is commented out below with a reason.\n",
        ctx.now(),
        report.shell.display()
    ));
    out.push_str("version 1\n");

    // The Go in use
    let mut go_root: Option<PathBuf> = None;
    let mut go_version: Option<String> = None;
    out.push('\n');
    match login.map(|c| (c, choose(&sys, ctx, c))) {
        Some((c, Ok(choice))) => {
            let path = match &c.view.go {
                Ok(Some(g)) => tilde(&g.path),
                _ => String::new(),
            };
            match &choice {
                GoChoice::Layout { version, dir } => {
                    let root = dir.join(format!("go{version}"));
                    out.push_str(&format!(
                        "// The Go in use: `{path}` (go{version}, {}), found on PATH by {}; adopted, never downloaded.\n",
                        tilde(&root),
                        c.id
                    ));
                    let (keep, elsewhere) = other_sdks(&sys, ctx, dir, &root);
                    let mut children = String::new();
                    if *dir != ctx.home.join("sdk") {
                        children.push_str(&format!("    dir {}\n", quoted(&tilde(dir))));
                    }
                    push_keep(&mut children, &keep, dir, ctx);
                    if children.is_empty() {
                        out.push_str(&format!("go {}\n", quoted(version)));
                    } else {
                        out.push_str(&format!("go {} {{\n{children}}}\n", quoted(version)));
                    }
                    push_elsewhere(&mut out, &elsewhere);
                    found.push(format!("Go {version} at `{}` (in use)", tilde(&root)));
                    found.extend(
                        keep.iter().map(|k| format!("Go {k} at `{}/go{k}` (kept)", tilde(dir))),
                    );
                    found.extend(elsewhere.iter().map(|e| format!("Go at `{e}` (left alone)")));
                    go_root = Some(root);
                    go_version = Some(version.clone());
                }
                GoChoice::Root { version, root } => {
                    out.push_str(&format!(
                        "// The Go in use: `{path}` (go{version}), found on PATH by {}; adopted where it lies, never downloaded.\n",
                        c.id
                    ));
                    let dir = ctx.home.join("sdk");
                    let (keep, elsewhere) = other_sdks(&sys, ctx, &dir, root);
                    out.push_str(&format!("go {} {{\n", quoted(version)));
                    out.push_str(&format!("    root {}\n", quoted(&tilde(root))));
                    push_keep(&mut out, &keep, &dir, ctx);
                    out.push_str("}\n");
                    push_elsewhere(&mut out, &elsewhere);
                    found.push(format!("Go {version} at `{}` (in use)", tilde(root)));
                    found.extend(keep.iter().map(|k| format!("Go {k} at `~/sdk/go{k}` (kept)")));
                    found.extend(elsewhere.iter().map(|e| format!("Go at `{e}` (left alone)")));
                    go_root = Some(root.clone());
                    go_version = Some(version.clone());
                }
                GoChoice::System { version, root, manager } => {
                    let v = version
                        .clone()
                        .map(|v| format!("go{v}"))
                        .unwrap_or("unknown version".into());
                    out.push_str(&format!(
                        "// The Go in use: `{path}` ({v}, `{}`), installed by {manager}, found on PATH by {}.\n\
                         // `go \"system\"` follows the package manager's upgrades; to pin this tree instead:\n",
                        tilde(root),
                        c.id
                    ));
                    if let Some(version) = version {
                        out.push_str(&format!(
                            "// go {} {{ root {}; }}\n",
                            quoted(version),
                            quoted(&tilde(root))
                        ));
                    }
                    out.push_str("go \"system\"\n");
                    let (_, elsewhere) = other_sdks(&sys, ctx, &ctx.home.join("sdk"), root);
                    push_elsewhere(&mut out, &elsewhere);
                    found.push(format!(
                        "Go ({v}) at `{}`, from {manager} (in use: `go \"system\"`)",
                        tilde(root)
                    ));
                    found.extend(elsewhere.iter().map(|e| format!("Go at `{e}` (left alone)")));
                    go_root = Some(root.clone());
                    go_version = version.clone();
                }
            }
        }
        Some((_, Err(why))) => {
            out.push_str(&format!(
                "// No Go node: {}.\n// go \"1.23.9\"   // an SDK goenv installs at ~/sdk/go1.23.9\n",
                one_line(&why)
            ));
            found.push(format!("no Go adopted: {why}"));
        }
        None => {
            out.push_str("// No Go node: doctor found no shell context.\n");
            found.push("no Go adopted: no shell context".into());
        }
    }
    let _ = go_version;

    // The Go env file
    let env_file = login.and_then(|c| c.view.env_file.clone());
    let mut go_env_keys: Vec<(String, String)> = Vec::new();
    if let Some(file) = &env_file
        && let Some(bytes) = sys.read(file, "the Go env file (`go env -w`)")
    {
        let entries = crate::formats::goenvfile::located(&bytes);
        if !entries.is_empty() {
            out.push_str(&format!(
                "\n// From the Go env file `{}` (what `go env -w` wrote).\n",
                tilde(file)
            ));
            out.push_str("go-env {\n");
            let (mut kept, mut left) = (0, 0);
            let mut left_found = Vec::new();
            for (key, value, line) in entries {
                let Ok(value) = String::from_utf8(value) else {
                    out.push_str(&format!(
                        "    // {key}: left out: its value is not UTF-8 (line {line})\n"
                    ));
                    left += 1;
                    continue;
                };
                let secret = secret_name(&key) || secret_value(&value);
                let shown = tilde_value(ctx, &key, &value);
                if let Some(why) = harmful(report, file, line as u32) {
                    let v = if secret { "\"…\" secret=#true".to_owned() } else { quoted(&shown) };
                    out.push_str(&format!("    // {key} {v}  // left out: {}\n", one_line(&why)));
                    left_found.push(format!("  {key} left out: {why}"));
                    left += 1;
                    continue;
                }
                if value.is_empty() {
                    // `go env -w KEY=` is the same as unset
                    continue;
                }
                if secret {
                    holds_secret = true;
                    out.push_str(&format!("    {key} {} secret=#true\n", quoted(&shown)));
                } else {
                    out.push_str(&format!("    {key} {}\n", quoted(&shown)));
                }
                go_env_keys.push((key, value));
                kept += 1;
            }
            out.push_str("}\n");
            found.push(format!(
                "Go env file `{}`: {kept} setting{} kept{}",
                tilde(file),
                if kept == 1 { "" } else { "s" },
                if left > 0 { format!(", {left} left out") } else { String::new() }
            ));
            found.extend(left_found);
        }
    }

    // Variables the user's start-up files export
    if let Some(c) = login {
        let mut lines = Vec::new();
        for (name, var) in &c.env.vars {
            let Source::File { path, line } = &var.at else { continue };
            if !path.starts_with(&ctx.home) || !var.exported {
                continue;
            }
            let go_var = name.starts_with("GO") || name.starts_with("CGO_");
            let named_secret = secret_name(name);
            if !go_var && !named_secret {
                continue;
            }
            let at = format!("{}:{line}", tilde(path));
            if matches!(name.as_str(), "GOROOT" | "GOENV" | "GOENV_ROOT" | "GOENV_VERSION") {
                lines.push(format!("    // {name}: left out (set at `{at}`): goenv points PATH at the SDK, and Go finds its own GOROOT\n"));
                continue;
            }
            let Val::Known(value) = &var.val else {
                lines.push(format!("    // {name}: left out (set at `{at}`): its value cannot be known from files\n"));
                continue;
            };
            if named_secret {
                lines.push(format!("    // {name} \"…\" secret=#true  // exported at `{at}`: goenv does not copy a secret; write it here to have goenv export it\n"));
                found.push(format!(
                    "export: {name} (a secret, exported at `{at}`) left as a placeholder"
                ));
                continue;
            }
            if let Some(why) = harmful(report, path, *line) {
                lines.push(format!(
                    "    // {name} {}  // left out: {}\n",
                    if secret_value(value) { "\"…\" secret=#true".into() } else { quoted(value) },
                    one_line(&why)
                ));
                found.push(format!("export: {name} left out: {why}"));
                continue;
            }
            if go_env_keys.iter().any(|(k, v)| k == name && v != value) {
                lines.push(format!("    // {name}: left out (exported at `{at}`): the Go env file sets another value, and the exported one wins\n"));
                continue;
            }
            let shown = tilde_value(ctx, name, value);
            if secret_value(value) {
                holds_secret = true;
                lines.push(format!("    {name} {} secret=#true  // {at}\n", quoted(&shown)));
            } else {
                lines.push(format!("    {name} {}  // {at}\n", quoted(&shown)));
            }
            found.push(format!("export: {name} (from `{at}`)"));
        }
        if !lines.is_empty() {
            out.push_str("\n// Variables the start-up files export.\nexport {\n");
            for l in lines {
                out.push_str(&l);
            }
            out.push_str("}\n");
        }
    }

    // PATH entries for Go tools
    if let Some(c) = login {
        let gobin = go_env_keys.iter().find(|(k, _)| k == "GOBIN").map(|(_, v)| v.clone());
        let mut entries: Vec<(String, String)> = Vec::new();
        for (entry, src) in &c.path_entries {
            let Source::File { path, line } = src else { continue };
            if !path.starts_with(&ctx.home) || entry.is_empty() {
                continue;
            }
            let dir = PathBuf::from(entry);
            if entries.iter().any(|(e, _)| e == entry) || gobin.as_deref() == Some(entry.as_str()) {
                continue;
            }
            // an SDK's own bin (the go node puts the SDK first) or a version manager's shims
            let sdk_bin = dir.parent().is_some_and(|p| sys.is_dir(&p.join("pkg/tool")))
                || go_root
                    .as_ref()
                    .is_some_and(|r| sys.canonical(&dir) == sys.canonical(&r.join("bin")));
            let shims = entry.ends_with("/shims") || entry.contains("/.gvm/");
            if sdk_bin || shims || !go_tools(&sys, &dir) {
                continue;
            }
            entries.push((entry.clone(), format!("{}:{line}", tilde(path))));
        }
        if !entries.is_empty() {
            let from: Vec<&str> = entries.iter().map(|(_, at)| at.as_str()).collect();
            out.push_str(&format!(
                "\n// PATH entries for Go tools, added by {}.\npath {}\n",
                from.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", "),
                entries
                    .iter()
                    .map(|(e, _)| quoted(&tilde(Path::new(e))))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
            for (e, at) in &entries {
                found.push(format!("PATH entry `{}` (from `{at}`)", tilde(Path::new(e))));
            }
        }
    }

    // Shells
    let mut shells: Vec<&str> = Vec::new();
    let login_shell = report.shell.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let configured = |files: &[&str]| files.iter().any(|f| sys.is_file(&ctx.home.join(f)));
    if login_shell == "bash"
        || configured(&[".bashrc", ".bash_profile", ".bash_login"])
        || !matches!(login_shell, "zsh" | "fish")
    {
        shells.push("bash");
    }
    if login_shell == "zsh" || configured(&[".zshrc", ".zshenv", ".zprofile"]) {
        shells.push("zsh");
    }
    let fish_conf = ctx.config_home.join("fish/config.fish");
    if login_shell == "fish" || sys.is_file(&fish_conf) {
        shells.push("fish");
    }
    out.push_str(&format!(
        "\n// The shells in use (login shell `{}`).\nshells {}\n",
        report.shell.display(),
        shells.iter().map(|s| quoted(s)).collect::<Vec<_>>().join(" ")
    ));
    found.push(format!("shells: {}", shells.join(", ")));

    // The desktop session
    if ctx.os == Os::Linux {
        out.push_str(
            "\n// The desktop session (~/.config/environment.d): apps started from the dock see\n\
             // the same PATH and variables as a terminal.\nsession\n",
        );
        found.push("the desktop session (environment.d)".into());
    }

    // Delve
    let dlv = login.and_then(|c| c.view.dlv.as_ref().ok().cloned().flatten()).or_else(|| {
        report
            .contexts
            .iter()
            .filter(|c| c.id == "vscode")
            .find_map(|c| c.view.dlv.as_ref().ok().cloned().flatten())
    });
    if let Some(d) = dlv {
        let about = match (&d.version, &d.go) {
            (Some(v), Some(g)) => format!("Delve {v}, built with {g}"),
            (Some(v), None) => format!("Delve {v}"),
            _ => "Delve".into(),
        };
        out.push_str(&format!("\n// {about}.\ndelve {}\n", quoted(&tilde(&d.path))));
        found.push(format!("{about} at `{}`", tilde(&d.path)));
    }

    // VS Code
    let settings = crate::units::vscode::default_settings(ctx);
    if sys.is_file(&settings) {
        let link = match (&go_root, login.map(|c| choose(&sys, ctx, c))) {
            (Some(_), Some(Ok(GoChoice::System { .. }))) | (None, _) => None,
            _ => Some(ctx.home.join("sdk/current")),
        };
        out.push_str(&format!(
            "\n// VS Code's settings are at `{}`. Uncomment to let goenv point its Go extension\n\
             // at {} (goenv owns `go.goroot`, `go.toolsManagement.go` and `go.alternateTools.dlv`\n\
             // there): it changes those settings, so it is left for you to decide.\n// vscode\n",
            tilde(&settings),
            link.map(|l| format!("`{}` and the profile's dlv", tilde(&l)))
                .unwrap_or_else(|| "the profile's dlv".into())
        ));
        found.push(format!("VS Code settings at `{}` (`vscode` left commented)", tilde(&settings)));
    }
    Generated { text: out, found, secret: holds_secret }
}

fn push_keep(out: &mut String, keep: &[String], dir: &Path, ctx: &Context) {
    if keep.is_empty() {
        return;
    }
    out.push_str(&format!(
        "    keep {}   // {}\n",
        keep.iter().map(|k| quoted(k)).collect::<Vec<_>>().join(" "),
        keep.iter()
            .map(|k| tilde_path(&dir.join(format!("go{k}")), &ctx.home))
            .collect::<Vec<_>>()
            .join(", ")
    ));
}

fn push_elsewhere(out: &mut String, elsewhere: &[String]) {
    if !elsewhere.is_empty() {
        out.push_str(&format!(
            "// Also installed, outside the SDK directory (goenv leaves them alone): {}\n",
            elsewhere.join(", ")
        ));
    }
}

/// Whether `dir` holds a program built by Go (read, never run), or is a Go tools directory
/// by name (`…/go/bin`). At most 64 files are looked at.
fn go_tools(sys: &Sys, dir: &Path) -> bool {
    if dir.ends_with("go/bin") {
        return true;
    }
    sys.list(dir)
        .into_iter()
        .take(64)
        .map(|n| dir.join(n))
        .filter(|p| sys.is_executable(p))
        .any(|p| crate::gobin::read(&sys.real(&p)).is_ok())
}
