//! What doctor finds wrong, across contexts, with a stable code, the contexts it affects, the
//! file and line, and a fix that writes nothing outside the home.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::context::{Arch, Context, Os};
use crate::rules::Severity;

use super::ContextReport;
use super::sys::Sys;
use super::value::Source;

/// Every doctor finding code, for the README and JSON.
pub const CODES: &[(&str, &str)] = &[
    (
        "go-missing",
        "a context has no `go` on its PATH while another context has one (the dock problem)",
    ),
    ("go-differs", "contexts run different `go` binaries"),
    (
        "goroot-missing",
        "GOROOT is set to a directory that does not exist: every `go` command fails",
    ),
    ("goroot-mismatch", "GOROOT is set to another SDK than the `go` that runs"),
    ("gotoolchain-invalid", "GOTOOLCHAIN has a value Go refuses: every `go` command fails"),
    ("gotoolchain-pinned", "GOTOOLCHAIN names one toolchain: every build silently switches to it"),
    (
        "goproxy-no-fallback",
        "GOPROXY ends without `direct` or `off`: a module the proxy lacks cannot be fetched",
    ),
    (
        "goproxy-direct",
        "GOPROXY is `direct`: every module is fetched from its VCS, slowly and without the proxy's cache",
    ),
    (
        "gosumdb-off-public-proxy",
        "GOSUMDB is `off` while modules come from a public proxy: downloads are not verified",
    ),
    ("goprivate-not-covered", "GONOSUMDB is set but does not cover every GOPRIVATE pattern"),
    (
        "goflags-mod-vendor",
        "GOFLAGS has `-mod=vendor`: a module without a vendor directory does not build",
    ),
    ("go111module-off", "GO111MODULE is `off`: modules are disabled"),
    ("delve-incompatible", "the `dlv` a context finds cannot debug the Go it runs"),
    ("wrong-arch", "a binary is built for another architecture than this machine"),
    ("shims-shadow", "a version manager's shims come before the Go SDK on PATH"),
    ("pam-environment", "`~/.pam_environment` exists: sshd and GDM read it on Debian and Ubuntu"),
    (
        "intel-homebrew",
        "an x86_64 Homebrew in `/usr/local` on an Apple silicon Mac: its formulae run under Rosetta 2",
    ),
    (
        "rosetta",
        "goenv itself runs under Rosetta 2: the terminal or shell it started from is x86_64",
    ),
    (
        "cache-root-owned",
        "GOMODCACHE or GOCACHE is owned by root: `go` fails with permission denied",
    ),
    ("gomemlimit-cgroup", "inside a memory-limited cgroup, GOMEMLIMIT is unset or above the limit"),
    ("value-unknown", "a value could not be predicted from files"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub contexts: Vec<&'static str>,
    pub path: Option<PathBuf>,
    pub line: Option<u32>,
    pub message: String,
    pub fix: Option<String>,
}

impl Finding {
    pub fn full_code(&self) -> String {
        format!("goenv::doctor::{}", self.code)
    }
}

fn at(src: &Source) -> (Option<PathBuf>, Option<u32>) {
    match src {
        Source::File { path, line } => (Some(path.to_path_buf()), Some(*line)),
        Source::Layer(_) => (None, None),
    }
}

fn editor(id: &str) -> bool {
    matches!(id, "vscode" | "goland" | "gnome-wayland" | "gnome-x11" | "kde" | "dock-app")
}

/// Findings over every context.
pub fn findings(sys: &Sys, ctx: &Context, reports: &[ContextReport]) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let tilde = |p: &Path| crate::resource::tilde_path(p, &ctx.home);

    // go missing where another context has one; different gos
    let with_go: Vec<(&ContextReport, PathBuf)> = reports
        .iter()
        .filter_map(|r| match &r.view.go {
            Ok(Some(g)) => Some((r, sys.canonical(&g.path).unwrap_or_else(|| g.path.clone()))),
            _ => None,
        })
        .collect();
    if let Some((example, _)) = with_go.first() {
        let dir = example
            .view
            .go
            .as_ref()
            .ok()
            .and_then(|g| g.as_ref())
            .and_then(|g| g.path.parent().map(Path::to_path_buf));
        let where_set = example
            .path_entries
            .iter()
            .find(|(e, _)| dir.as_ref().is_some_and(|d| Path::new(e) == d))
            .map(|(_, s)| s.clone());
        let missing: Vec<&ContextReport> =
            reports.iter().filter(|r| matches!(r.view.go, Ok(None))).collect();
        if !missing.is_empty() {
            let severity = if missing.iter().any(|r| editor(r.id)) {
                Severity::Error
            } else {
                Severity::Warning
            };
            let go = example
                .view
                .go
                .as_ref()
                .ok()
                .and_then(|g| g.as_ref())
                .map(|g| g.path.clone())
                .unwrap_or_default();
            let mut message =
                format!("no `go` on PATH, while {} runs `{}`", example.id, tilde(&go));
            if let Some(Source::File { path, line }) = &where_set {
                message.push_str(&format!(
                    ": its PATH entry is added at `{}:{line}`, which these contexts do not read",
                    tilde(path)
                ));
            }
            let dir_text = dir.as_ref().map(|d| tilde(d)).unwrap_or_default();
            let fix = match &where_set {
                Some(Source::File { path, .. })
                    if path.starts_with(sys.home())
                        && (path.ends_with(".bashrc") || path.ends_with(".zshrc")) =>
                {
                    format!(
                        "move that line above the interactive guard, or to `~/.profile` (`~/.zprofile` for zsh) and environment.d; or let goenv write it for every context: `path \"{dir_text}\"` and `session` in the profile"
                    )
                }
                _ => format!(
                    "let goenv put it in every context: `path \"{dir_text}\"` and `session` in the profile"
                ),
            };
            let (path, line) = where_set.as_ref().map(at).unwrap_or((None, None));
            out.push(Finding {
                code: "go-missing",
                severity,
                contexts: missing.iter().map(|r| r.id).collect(),
                path,
                line,
                message,
                fix: Some(fix),
            });
        }
        let distinct: BTreeSet<&PathBuf> = with_go.iter().map(|(_, p)| p).collect();
        if distinct.len() > 1 {
            let list: Vec<String> = with_go
                .iter()
                .map(|(r, p)| format!("{} → `{}`", r.id, tilde(p)))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            out.push(Finding {
                code: "go-differs",
                severity: Severity::Warning,
                contexts: with_go.iter().map(|(r, _)| r.id).collect::<BTreeSet<_>>().into_iter().collect(),
                path: None,
                line: None,
                message: format!("contexts run different `go` binaries: {}", list.join(", ")),
                fix: Some("let goenv put one SDK first on PATH in every context: a `go \"1.x\"` node, `shells` and `session` in the profile".into()),
            });
        }
    }

    for r in reports {
        let setting = |k: &str| {
            r.view
                .settings
                .get(k)
                .and_then(|s| s.value.as_ref().ok().cloned().flatten())
                .filter(|v| !v.is_empty())
        };
        let source = |k: &str| {
            r.view.settings.get(k).map(|s| s.source.clone()).unwrap_or(Source::layer("go default"))
        };
        let mut push = |code: &'static str,
                        severity: Severity,
                        src: &Source,
                        message: String,
                        fix: Option<String>| {
            let (path, line) = at(src);
            if let Some(f) = out.iter_mut().find(|f| {
                f.code == code && f.path == path && f.line == line && f.message == message
            }) {
                if !f.contexts.contains(&r.id) {
                    f.contexts.push(r.id);
                }
                return;
            }
            out.push(Finding { code, severity, contexts: vec![r.id], path, line, message, fix });
        };
        // fixes write only inside the home: a system or SDK file is overridden, never edited
        let home = sys.home();
        let unset_fix = |k: &str, src: &Source| match src {
            Source::File { path, .. } if path.starts_with(home) && path.ends_with("go/env") => {
                format!(
                    "`go env -u {k}` (a profile's `go-env` block removes keys it does not list)"
                )
            }
            Source::File { path, line } if path.starts_with(home) => {
                format!("remove the `{k}` line at `{}:{line}`", tilde(path))
            }
            Source::File { path, line } if path.ends_with("go.env") => format!(
                "`{}:{line}` is the SDK's own default, outside your home (goenv never edits it): give `{k}` the value you want in the profile's `go-env`, which outranks it",
                path.display()
            ),
            Source::File { path, line } => format!(
                "`{}:{line}` is outside your home (goenv never edits it): give `{k}` the value you want in the profile's `export`, or ask whoever administers this machine to remove that line",
                path.display()
            ),
            Source::Layer(l) => format!("unset `{k}` where {l} sets it"),
        };
        // GOROOT
        if let Ok(Some(g)) = &r.view.go {
            let set =
                r.view.settings.get("GOROOT").filter(|s| !matches!(s.source, Source::Layer(_)));
            if let Some(s) = set.filter(|_| g.goroot_unknown.is_none()) {
                match &g.goroot {
                    Err(e) => push(
                        "goroot-missing",
                        Severity::Error,
                        &s.source,
                        format!(
                            "GOROOT is `{}`, which does not exist: {e}",
                            s.value.as_ref().ok().cloned().flatten().unwrap_or_default()
                        ),
                        Some(unset_fix("GOROOT", &s.source)),
                    ),
                    Ok(root) => {
                        let own = sys
                            .canonical(&g.path)
                            .and_then(|p| p.parent()?.parent().map(Path::to_path_buf));
                        let root_c = sys.canonical(root);
                        if own.is_some() && root_c.is_some() && own != root_c {
                            push(
                                "goroot-mismatch",
                                Severity::Warning,
                                &s.source,
                                format!(
                                    "GOROOT is `{}`, but the `go` that runs is `{}`: it compiles with another SDK's packages",
                                    tilde(root),
                                    tilde(&g.path)
                                ),
                                Some(unset_fix("GOROOT", &s.source)),
                            );
                        }
                    }
                }
            }
        }
        if let Some(v) = setting("GOTOOLCHAIN") {
            let src = source("GOTOOLCHAIN");
            let base = v.split('+').next().unwrap_or("");
            if crate::profile::govalue::check_go_env_value("GOTOOLCHAIN", &v).is_err() {
                push(
                    "gotoolchain-invalid",
                    Severity::Error,
                    &src,
                    format!(
                        "GOTOOLCHAIN `{v}` is not a value Go accepts: every `go` command fails"
                    ),
                    Some(unset_fix("GOTOOLCHAIN", &src)),
                );
            } else if base.starts_with("go") && !v.contains('+') {
                push(
                    "gotoolchain-pinned",
                    Severity::Warning,
                    &src,
                    format!(
                        "GOTOOLCHAIN `{v}` replaces the installed Go in every build (and downloads it when missing)"
                    ),
                    Some(format!(
                        "{}; use `{v}+auto` to set a minimum instead",
                        unset_fix("GOTOOLCHAIN", &src)
                    )),
                );
            }
        }
        if let Some(v) = setting("GOPROXY") {
            let src = source("GOPROXY");
            if !matches!(src, Source::Layer(_)) {
                let last = v.rsplit([',', '|']).next().unwrap_or("").trim();
                if v == "direct" {
                    push("goproxy-direct", Severity::Warning, &src, "GOPROXY is `direct`: every module is fetched from its repository, without the proxy's cache and checksums of record".into(), Some(unset_fix("GOPROXY", &src)));
                } else if !matches!(last, "direct" | "off") {
                    push(
                        "goproxy-no-fallback",
                        Severity::Warning,
                        &src,
                        format!(
                            "GOPROXY `{}` has no `direct` fallback: a module the proxy does not have cannot be fetched",
                            crate::profile::secret::redact_urls(&v)
                        ),
                        Some(format!(
                            "append `,direct`: `GOPROXY \"{},direct\"` in the profile's `go-env`",
                            crate::profile::secret::redact_urls(&v)
                        )),
                    );
                }
            }
        }
        if setting("GOSUMDB").as_deref() == Some("off") {
            let proxy = setting("GOPROXY").unwrap_or_default();
            if proxy.contains("proxy.golang.org")
                || proxy.contains("goproxy.cn")
                || proxy.contains("goproxy.io")
            {
                let src = source("GOSUMDB");
                push("gosumdb-off-public-proxy", Severity::Warning, &src, "GOSUMDB is `off` while modules come from a public proxy: nothing checks that downloads are the published ones".into(), Some(format!("{}; for private modules set GOPRIVATE instead", unset_fix("GOSUMDB", &src))));
            }
        }
        if let (Some(private), Some(nosum)) = (setting("GOPRIVATE"), setting("GONOSUMDB")) {
            let src = source("GONOSUMDB");
            if !matches!(src, Source::Layer(_)) {
                let covered: Vec<&str> = nosum.split(',').collect();
                let missing: Vec<&str> =
                    private.split(',').filter(|p| !p.is_empty() && !covered.contains(p)).collect();
                if !missing.is_empty() {
                    push(
                        "goprivate-not-covered",
                        Severity::Warning,
                        &src,
                        format!(
                            "GONOSUMDB is set, so it replaces GOPRIVATE for checksums, and does not cover {}: `go` asks the public checksum database about private modules",
                            missing.join(", ")
                        ),
                        Some(format!("add {} to GONOSUMDB, or unset GONOSUMDB", missing.join(","))),
                    );
                }
            }
        }
        if let Some(v) = setting("GOFLAGS")
            && v.split_whitespace().any(|f| f == "-mod=vendor")
        {
            let src = source("GOFLAGS");
            push("goflags-mod-vendor", Severity::Warning, &src, "GOFLAGS has `-mod=vendor`: every module without a vendor directory fails to build (whether yours has one cannot be known from here)".into(), Some(unset_fix("GOFLAGS", &src)));
        }
        if setting("GO111MODULE").as_deref() == Some("off") {
            let src = source("GO111MODULE");
            push(
                "go111module-off",
                Severity::Warning,
                &src,
                "GO111MODULE is `off`: modules are disabled and builds use GOPATH mode".into(),
                Some(unset_fix("GO111MODULE", &src)),
            );
        }
        // Delve against every Go this context may debug
        if let Ok(Some(dlv)) = &r.view.dlv
            && let Some(dv) = &dlv.version
        {
            let mut targets: Vec<(PathBuf, String, Option<PathBuf>, Source)> = Vec::new();
            if let Ok(Some(go)) = &r.view.go
                && let Some(gv) = &go.version
            {
                targets.push((
                    go.path.clone(),
                    gv.clone(),
                    go.goroot.as_ref().ok().cloned(),
                    Source::layer("dlv"),
                ));
            }
            for (root, version, at) in &r.sdks {
                if let Some(v) = version {
                    targets.push((root.join("bin/go"), v.clone(), Some(root.clone()), at.clone()));
                }
            }
            for (go_path, gv, root, src) in targets {
                let Some(why) =
                    crate::units::delve::incompatibility(dv, dlv.go.as_deref(), &gv, ctx.os)
                else {
                    continue;
                };
                let fix = root.map(|root| {
                    let minor = crate::units::delve::go_minor(&gv).unwrap_or(0);
                    let rec = crate::units::delve::recommended(minor).unwrap_or_else(|| "latest".into());
                    let gobin = ctx.home.join("go/bin");
                    let point = if r.id == "goland" {
                        "then set `dlv.path=~/go/bin/dlv` in GoLand's Help | Edit Custom Properties and restart it"
                    } else {
                        "then put `~/go/bin` first on PATH or point the editor at `~/go/bin/dlv`"
                    };
                    format!("`{}`, {point}", crate::units::delve::install_command(&gobin, &root.join("bin/go").to_string_lossy(), &rec, ctx))
                });
                let goland = if r.id == "goland" {
                    " GoLand starts it with `--check-go-version=false`, so this shows only as breakpoints that never hit."
                } else {
                    ""
                };
                push(
                    "delve-incompatible",
                    Severity::Error,
                    &src,
                    format!(
                        "`{}` (Delve {dv}) cannot debug {gv} from `{}`: {why}.{goland}",
                        tilde(&dlv.path),
                        tilde(&go_path)
                    ),
                    fix,
                );
            }
        }
        // architecture
        let machine = ctx.arch.name();
        let mut arch_of = |what: &str, p: &Path, arch: Option<&String>| {
            if let Some(a) = arch
                && a != machine
            {
                let note = if ctx.os == Os::Macos && ctx.arch == Arch::Arm64 && a == "amd64" {
                    " (it runs under Rosetta, and Delve refuses to)"
                } else {
                    ""
                };
                push(
                    "wrong-arch",
                    if what == "dlv" { Severity::Error } else { Severity::Warning },
                    &Source::layer(what),
                    format!("`{}` is built for {a}, this machine is {machine}{note}", tilde(p)),
                    Some(format!("install the {machine} build of {what}")),
                );
            }
        };
        if let Ok(Some(g)) = &r.view.go {
            arch_of("go", &g.path, g.arch.as_ref());
        }
        if let Ok(Some(d)) = &r.view.dlv {
            arch_of("dlv", &d.path, d.arch.as_ref());
        }
        if let Ok(Some(d)) = &r.view.gopls {
            arch_of("gopls", &d.path, d.arch.as_ref());
        }
        // shims before the SDK
        if let Some((i, name)) =
            r.path_entries.iter().enumerate().find_map(|(i, (e, _))| shim_name(e).map(|n| (i, n)))
        {
            let src = r.path_entries[i].1.clone();
            let go_first = matches!(&r.view.go, Ok(Some(g)) if g.path.parent().is_some_and(|d| shim_name(&d.to_string_lossy()).is_some()));
            if go_first {
                push(
                    "shims-shadow",
                    Severity::Info,
                    &src,
                    format!(
                        "{name}'s shims come first on PATH: `go` is whatever {name} selects in the current directory"
                    ),
                    Some(match &src {
                        Source::File { path, line } if path.starts_with(sys.home()) => {
                            format!(
                                "if goenv should manage Go, remove {name}'s activation line at `{}:{line}`",
                                tilde(path)
                            )
                        }
                        _ => format!(
                            "{name} is activated outside your home (goenv never edits that file): to let goenv manage Go, give the profile a `go` node and `shells`, which put the SDK first"
                        ),
                    }),
                );
            }
        }
    }
    // ~/.pam_environment
    let pam = sys.home().join(".pam_environment");
    if ctx.os == Os::Linux && sys.is_file(&pam) {
        out.push(Finding {
            code: "pam-environment",
            severity: Severity::Warning,
            contexts: vec!["ssh-command", "gnome-wayland", "gnome-x11"],
            path: Some(pam.clone()),
            line: None,
            message: "`~/.pam_environment` exists: Debian's and Ubuntu's sshd and GDM read it, other logins do not, so contexts disagree".into(),
            fix: Some("move its variables to the profile's `export` and delete the file".into()),
        });
    }
    // Apple silicon: an Intel Homebrew, and goenv itself translated by Rosetta 2
    if ctx.os == Os::Macos && ctx.arch == Arch::Arm64 {
        use crate::rules::macos::{ARM_HOMEBREW, INTEL_HOMEBREW, intel_homebrew};
        let shadowed: Vec<String> = ["go", "gofmt", "dlv", "gopls"]
            .iter()
            .filter(|n| sys.is_file(&Path::new("/usr/local/bin").join(n)))
            .map(|n| (*n).to_owned())
            .collect();
        let intel = sys.is_dir(Path::new(INTEL_HOMEBREW));
        let arm = sys.is_dir(Path::new(ARM_HOMEBREW));
        if let Some(f) = intel_homebrew(intel, arm, &shadowed) {
            out.push(Finding {
                code: "intel-homebrew",
                severity: f.severity,
                contexts: reports.iter().map(|r| r.id).collect(),
                path: Some(PathBuf::from(INTEL_HOMEBREW)),
                line: None,
                message: f.message,
                fix: f.help,
            });
        }
    }
    if super::rosetta::translated() {
        out.push(Finding {
            code: "rosetta",
            severity: Severity::Warning,
            contexts: vec![],
            path: None,
            line: None,
            message: "goenv runs under Rosetta 2 (`sysctl.proc_translated` is 1): the terminal or \
                      shell it was started from is x86_64, so `uname -m` says x86_64 there and \
                      Homebrew's installer and `go` started from it pick amd64"
                .into(),
            fix: Some(
                "start a native terminal (Terminal's Get Info: untick \"Open using Rosetta\"), \
                 or run `arch -arm64 /bin/zsh -l`, and check with `sysctl -n sysctl.proc_translated`"
                    .into(),
            ),
        });
    }
    // caches owned by root
    if sys.uid != 0 {
        for r in reports.iter().take(1) {
            for k in ["GOMODCACHE", "GOCACHE"] {
                if let Some(Ok(Some(v))) = r.view.settings.get(k).map(|s| s.value.clone())
                    && let Some(st) = sys.stat(Path::new(&v))
                    && st.uid == 0
                {
                    out.push(Finding {
                        code: "cache-root-owned",
                        severity: Severity::Error,
                        contexts: reports.iter().map(|r| r.id).collect(),
                        path: Some(PathBuf::from(&v)),
                        line: None,
                        message: format!("{k} `{}` is owned by root (a `sudo go …` made it): `go` fails with permission denied", tilde(Path::new(&v))),
                        fix: Some(if Path::new(&v).starts_with(sys.home()) {
                            format!("`sudo chown -R \"$(id -u):$(id -g)\" {}`", tilde(Path::new(&v)))
                        } else {
                            format!("`{v}` is outside your home: give {k} a directory in your home in the profile's `go-env`")
                        }),
                    });
                }
            }
        }
    }
    // cgroup memory limit
    if let Some(limit) = cgroup_limit(sys) {
        let gomemlimit = ctx.env.get("GOMEMLIMIT").cloned();
        let over = match gomemlimit.as_deref().and_then(parse_size) {
            Some(v) => v > limit,
            None => true,
        };
        if over {
            out.push(Finding {
                code: "gomemlimit-cgroup",
                severity: Severity::Warning,
                contexts: vec![],
                path: Some(PathBuf::from("/proc/self/cgroup")),
                line: None,
                message: match gomemlimit {
                    Some(v) => format!("this process runs in a cgroup limited to {limit} bytes, and GOMEMLIMIT `{v}` is above it: the kernel kills a Go program before its collector tries"),
                    None => format!("this process runs in a cgroup limited to {limit} bytes and GOMEMLIMIT is unset: a Go program here is OOM-killed before its collector works hard"),
                },
                fix: Some(format!("set GOMEMLIMIT to about 90% of the limit: `GOMEMLIMIT \"{}MiB\"`", limit * 9 / 10 / (1 << 20))),
            });
        }
    }
    out.sort_by(|a, b| {
        (a.severity, &a.path, a.line, a.code, &a.message)
            .cmp(&(b.severity, &b.path, b.line, b.code, &b.message))
    });
    out
}

/// A GOMEMLIMIT value in bytes (`512MiB`, `1GiB`, `1000000`).
fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim();
    let (num, mul) =
        [("TiB", 1u64 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)]
            .iter()
            .find_map(|(s, m)| v.strip_suffix(s).map(|n| (n, *m)))
            .unwrap_or((v, 1));
    num.parse::<u64>().ok()?.checked_mul(mul)
}

fn shim_name(entry: &str) -> Option<&'static str> {
    if entry.ends_with("/.goenv/shims") {
        Some("go-nv/goenv")
    } else if entry.ends_with("/.asdf/shims") {
        Some("asdf")
    } else if entry.ends_with("/mise/shims") {
        Some("mise")
    } else if entry.contains("/.gvm/") {
        Some("gvm")
    } else {
        None
    }
}

/// The smallest `memory.max` from this process's cgroup up to the root (cgroup v2).
fn cgroup_limit(sys: &Sys) -> Option<u64> {
    let text = sys.read_text(Path::new("/proc/self/cgroup"), "this process's cgroup")?;
    let rel = text.lines().find_map(|l| l.strip_prefix("0::"))?.trim();
    let mut dir = PathBuf::from("/sys/fs/cgroup").join(rel.trim_start_matches('/'));
    let mut min: Option<u64> = None;
    loop {
        if let Some(v) = sys.read_text(&dir.join("memory.max"), "the cgroup's memory limit")
            && let Ok(n) = v.trim().parse::<u64>()
        {
            min = Some(min.map_or(n, |m| m.min(n)));
        }
        if dir == Path::new("/sys/fs/cgroup") || !dir.pop() {
            break;
        }
    }
    min
}
