//! `goenv doctor`: what every program on this machine sees, and why. Human output is grouped by
//! context (one status line each, its problems under it, `-v` for every value and its
//! provenance); JSON follows `schemas/doctor.schema.json` (`"schema": "goenv.doctor/1"`). Exit 0
//! with no error-level finding, 3 with one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use super::{Format, Ui, print_err, print_out};
use crate::context::Context;
use crate::doctor::value::Source;
use crate::doctor::{ContextReport, Finding, Options, Report};
use crate::engine::{self, Error};
use crate::resource::tilde_path;
use crate::rules::Severity;

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Also run the checks of this profile [default: ~/.config/goenv/profile.kdl, when it exists]
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<PathBuf>,
    /// Only this context (repeatable): sh-login, bash-login, bash-interactive, zsh-login,
    /// zsh-interactive, fish, ssh-command, gnome-wayland, gnome-x11, kde, systemd-user-service,
    /// vscode, vscode-terminal, goland; on macOS also terminal-zsh, dock-app
    #[arg(long = "context", value_name = "ID")]
    pub contexts: Vec<String>,
    /// Assume this login shell instead of the user's entry in /etc/passwd
    #[arg(long, value_name = "PATH")]
    pub shell: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also run the real programs of every context and show where they differ from the prediction
    #[arg(long)]
    pub exec: bool,
    /// Which findings make doctor exit 3
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = super::FailOn::Error)]
    pub fail_on: super::FailOn,
    #[command(flatten)]
    pub target: super::Target,
}

pub fn run(ctx: &Context, ui: &Ui, args: DoctorArgs) -> Result<ExitCode, Error> {
    let opts = Options { shell: args.shell, contexts: args.contexts, exec: args.exec };
    let default = ctx.default_profile();
    let profile = args.profile.or_else(|| default.is_file().then_some(default));
    let outcome = engine::doctor(ctx, &opts, profile.as_deref())?;
    let report = &outcome.report;
    if ui.verbose {
        for (p, why) in &report.reads {
            print_err(&format!("read `{}`: {why}\n", tilde_path(p, &ctx.home)));
        }
    }
    match args.format {
        Format::Json => {
            let mut v = json(ctx, report);
            if let Some((path, findings, secrets)) = &outcome.profile {
                let shown = |t: &str| crate::profile::secret::redact(&shown(t), secrets);
                v["profile"] = json!({
                    "path": path.display().to_string(),
                    "findings": findings.iter().map(|f| json!({
                        "code": f.code.as_str(),
                        "severity": f.severity.word(),
                        "path": f.path.as_ref().map(|p| tilde_path(p, &ctx.home)),
                        "line": f.line,
                        "message": shown(&f.message),
                        "fix": f.help.as_deref().map(shown),
                    })).collect::<Vec<_>>(),
                });
            }
            let mut text = serde_json::to_string_pretty(&v).unwrap_or_default();
            text.push('\n');
            print_out(&text);
        }
        Format::Human if ui.quiet => {
            let text = human(ctx, ui, report);
            print_out(&format!("{}\n", text.trim_end().lines().last().unwrap_or("")));
        }
        Format::Human => {
            let mut text = human(ctx, ui, report);
            if let Some((path, findings, secrets)) = &outcome.profile {
                let shown = |t: &str| crate::profile::secret::redact(&shown(t), secrets);
                text.push_str(&format!("\nProfile `{}`:\n", path.display()));
                if findings.is_empty() {
                    text.push_str("  no findings\n");
                }
                for f in findings {
                    let at = f
                        .path
                        .as_ref()
                        .map(|p| format!(" at `{}`", location(ctx, p, f.line.map(|l| l as u32))))
                        .unwrap_or_default();
                    text.push_str(&format!(
                        "  {} {}{at}: {}\n",
                        f.severity.word(),
                        f.code.as_str(),
                        shown(&f.message)
                    ));
                    if let Some(h) = &f.help {
                        text.push_str(&format!("    hint: {}\n", shown(h)));
                    }
                }
            }
            print_out(&text);
        }
    }
    let severities = report.findings.iter().map(|f| f.severity).chain(
        outcome.profile.iter().flat_map(|(_, findings, _)| findings.iter().map(|f| f.severity)),
    );
    Ok(args.fail_on.exit(severities, ExitCode::SUCCESS))
}

/// Values as people may see them: URL credentials (`https://user:pass@…`) redacted.
fn shown(s: &str) -> String {
    crate::profile::secret::redact_named(&crate::profile::secret::redact_urls(s))
}

/// A value as people read it: the home written `~` where it starts a path (`~/go`, and each
/// entry of a list such as `~/go:~/work`).
fn home_short(ctx: &Context, value: &str) -> String {
    let home = ctx.home.to_string_lossy();
    value
        .split(':')
        .map(|part| match part.strip_prefix(home.as_ref()) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("~{rest}"),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(":")
}

fn location(ctx: &Context, path: &Path, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{}:{l}", tilde_path(path, &ctx.home)),
        None => tilde_path(path, &ctx.home),
    }
}

fn source_json(ctx: &Context, s: &Source) -> Value {
    match s {
        Source::File { path, line } => json!({ "file": tilde_path(path, &ctx.home), "line": line }),
        Source::Layer(l) => json!({ "layer": l }),
    }
}

fn source_text(ctx: &Context, s: &Source) -> String {
    match s {
        Source::File { path, line } => format!("`{}`", location(ctx, path, Some(*line))),
        Source::Layer(l) => l.clone(),
    }
}

fn status(r: &ContextReport, findings: &[Finding]) -> &'static str {
    let mine = findings.iter().filter(|f| f.contexts.contains(&r.id));
    let mut worst = None;
    for f in mine {
        worst = match (worst, f.severity) {
            (_, Severity::Error) => Some(Severity::Error),
            (Some(Severity::Error), _) => Some(Severity::Error),
            (_, Severity::Warning) => Some(Severity::Warning),
            (w, _) => w,
        };
    }
    match worst {
        Some(Severity::Error) => "error",
        Some(Severity::Warning) => "warning",
        _ if r.path.is_err()
            || r.view.go.is_err()
            || matches!(&r.view.go, Ok(Some(g)) if g.goroot_unknown.is_some()) =>
        {
            "unknown"
        }
        _ => "ok",
    }
}

fn unknown_count(r: &ContextReport) -> usize {
    usize::from(r.path.is_err()) + r.view.settings.values().filter(|s| s.value.is_err()).count()
}

fn json(ctx: &Context, report: &Report) -> Value {
    let contexts: Vec<Value> = report
        .contexts
        .iter()
        .map(|r| {
            let mut env = serde_json::Map::new();
            for key in crate::doctor::goview::KEYS {
                let Some(s) = r.view.settings.get(key) else { continue };
                let (value, unknown) = match &s.value {
                    Ok(v) => (v.as_deref().map(shown), None),
                    Err(w) => (None, Some(shown(&w.reason))),
                };
                env.insert(
                    (*key).to_owned(),
                    json!({
                        "value": value,
                        "source": source_json(ctx, &s.source),
                        "shadows": s.shadows.iter().map(|(v, src)| json!({"value": shown(v), "source": source_json(ctx, src)})).collect::<Vec<_>>(),
                        "unknown": unknown,
                    }),
                );
            }
            let go = match &r.view.go {
                Ok(Some(g)) => json!({
                    "path": tilde_path(&g.path, &ctx.home),
                    "version": g.version,
                    "goroot": g.goroot.as_ref().ok().map(|p| tilde_path(p, &ctx.home)),
                    "arch": g.arch,
                }),
                _ => Value::Null,
            };
            let tool = |t: &Result<Option<crate::doctor::goview::Tool>, _>| match t {
                Ok(Some(t)) => json!({ "path": tilde_path(&t.path, &ctx.home), "version": t.version, "go": t.go }),
                _ => Value::Null,
            };
            let (path, path_unknown) = match &r.path {
                Ok(Some(p)) => (json!(p.split(':').map(shown).collect::<Vec<_>>()), Value::Null),
                Ok(None) => (json!([]), Value::Null),
                Err(w) => {
                    let mut u = source_json(ctx, &w.at);
                    u["reason"] = json!(shown(&w.reason));
                    (Value::Null, u)
                }
            };
            let mut v = json!({
                "id": r.id,
                "title": r.title,
                "status": status(r, &report.findings),
                "path": path,
                "path_unknown": path_unknown,
                "go": go,
                "env": env,
                "tools": { "dlv": tool(&r.view.dlv), "gopls": tool(&r.view.gopls) },
                "notes": notes(ctx, r),
            });
            if let Some(e) = &r.exec {
                v["exec"] = json!({
                    "ran": e.ran,
                    "why": e.why,
                    "differences": e.differences.iter().map(|d| json!({
                        "key": d.key,
                        "predicted": d.predicted.as_deref().map(shown),
                        "actual": d.actual.as_deref().map(shown),
                    })).collect::<Vec<_>>(),
                    "unknown": e.unknown,
                    "compared": e.compared,
                });
            }
            v
        })
        .collect();
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "code": f.full_code(),
                "severity": severity(f.severity),
                "contexts": f.contexts,
                "path": f.path.as_ref().map(|p| tilde_path(p, &ctx.home)),
                "line": f.line,
                "message": shown(&f.message),
                "fix": f.fix.as_deref().map(shown),
            })
        })
        .collect();
    let errors = report.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = report.findings.iter().filter(|f| f.severity == Severity::Warning).count();
    let unknown: usize = report.contexts.iter().map(unknown_count).sum();
    json!({
        "schema": "goenv.doctor/1",
        "home": ctx.home.display().to_string(),
        "os": ctx.os.name(),
        "arch": ctx.arch.name(),
        "shell": report.shell.display().to_string(),
        "contexts": contexts,
        "findings": findings,
        "summary": { "contexts": report.contexts.len(), "errors": errors, "warnings": warnings, "unknown_values": unknown },
    })
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn notes(ctx: &Context, r: &ContextReport) -> Vec<String> {
    use crate::doctor::sh::NoteKind;
    let mut out = Vec::new();
    for n in &r.notes {
        match &n.kind {
            NoteKind::Activation(m) => out.push(format!("{} at {}", m, source_text(ctx, &n.at))),
            NoteKind::Unknown(why) => {
                out.push(format!("unknown from {}: {}", source_text(ctx, &n.at), shown(why)))
            }
            NoteKind::Read(_) => {}
        }
    }
    out.dedup();
    out
}

fn human(ctx: &Context, ui: &Ui, report: &Report) -> String {
    let mut out = String::new();
    let errors = report.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = report.findings.iter().filter(|f| f.severity == Severity::Warning).count();
    let unknown: usize = report.contexts.iter().map(unknown_count).sum();
    out.push_str(&format!(
        "goenv doctor: {} contexts on {}/{}, login shell `{}`\n\n",
        report.contexts.len(),
        ctx.os.name(),
        ctx.arch.name(),
        report.shell.display()
    ));
    let width = report.contexts.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for r in &report.contexts {
        let mark = match status(r, &report.findings) {
            "error" => "[✗]",
            "warning" => "[!]",
            "unknown" => "[?]",
            _ => "[✓]",
        };
        out.push_str(&format!("{mark} {:width$}  {}\n", r.id, r.title));
        let go = match &r.view.go {
            Ok(Some(g)) => {
                let version = g.version.clone().unwrap_or_else(|| "version unknown".into());
                let arch = g.arch.clone().unwrap_or_else(|| "arch unknown".into());
                let root = match &g.goroot {
                    Ok(p) => format!("GOROOT `{}`", tilde_path(p, &ctx.home)),
                    Err(e) => e.clone(),
                };
                format!("go `{}` ({version}, {arch}), {root}", tilde_path(&g.path, &ctx.home))
            }
            Ok(None) => "no `go` on PATH".to_owned(),
            Err(w) => format!("`go` unknown: {} ({})", shown(&w.reason), source_text(ctx, &w.at)),
        };
        out.push_str(&format!("      {go}\n"));
        // a finding every context shares is listed once, under Findings
        let all = report.contexts.len();
        for f in report
            .findings
            .iter()
            .filter(|f| f.contexts.contains(&r.id) && (f.contexts.len() < all || all == 1))
        {
            let at = f
                .path
                .as_ref()
                .map(|p| format!(" at `{}`", location(ctx, p, f.line)))
                .unwrap_or_default();
            out.push_str(&format!("      {} {}{at}\n", word(f.severity), f.code));
        }
        if ui.verbose {
            match &r.path {
                Ok(Some(_)) => {
                    out.push_str("      PATH:\n");
                    for (e, s) in &r.path_entries {
                        out.push_str(&format!(
                            "        {}  ← {}\n",
                            home_short(ctx, &shown(e)),
                            source_text(ctx, s)
                        ));
                    }
                }
                Ok(None) => out.push_str("      PATH: unset\n"),
                Err(w) => out.push_str(&format!(
                    "      PATH: unknown ({}, {})\n",
                    shown(&w.reason),
                    source_text(ctx, &w.at)
                )),
            }
            for key in crate::doctor::goview::KEYS {
                let Some(s) = r.view.settings.get(key) else { continue };
                let value = match &s.value {
                    Ok(Some(v)) => format!("{:?}", home_short(ctx, &shown(v))),
                    Ok(None) => "unset".into(),
                    Err(w) => format!("unknown ({})", shown(&w.reason)),
                };
                let mut line = format!("      {key} = {value}  ← {}", source_text(ctx, &s.source));
                for (v, src) in &s.shadows {
                    line.push_str(&format!(
                        "; shadows {:?} from {}",
                        home_short(ctx, &shown(v)),
                        source_text(ctx, src)
                    ));
                }
                out.push_str(&line);
                out.push('\n');
            }
            for (name, t) in [("dlv", &r.view.dlv), ("gopls", &r.view.gopls)] {
                if let Ok(Some(t)) = t {
                    let v = t.version.clone().unwrap_or_else(|| "version unknown".into());
                    let g = t.go.clone().unwrap_or_else(|| "built by an unknown Go".into());
                    out.push_str(&format!(
                        "      {name} `{}` ({v}, {g})\n",
                        tilde_path(&t.path, &ctx.home)
                    ));
                }
            }
            for n in notes(ctx, r) {
                out.push_str(&format!("      note: {n}\n"));
            }
        } else {
            for n in notes(ctx, r).iter().filter(|n| !n.starts_with("unknown")) {
                out.push_str(&format!("      note: {n}\n"));
            }
        }
        if let Some(e) = &r.exec {
            if !e.ran {
                out.push_str(&format!("      exec: not run: {}\n", e.why.as_deref().unwrap_or("")));
            } else if e.differences.is_empty() {
                out.push_str(&format!(
                    "      exec: the real programs agree ({} values compared, {} unknown)\n",
                    e.compared, e.unknown
                ));
            } else {
                for d in &e.differences {
                    out.push_str(&format!(
                        "      exec: {} predicted {:?}, real {:?}\n",
                        d.key,
                        d.predicted.as_deref().map(shown),
                        d.actual.as_deref().map(shown)
                    ));
                }
            }
        }
    }
    if !report.findings.is_empty() {
        out.push_str("\nFindings:\n");
        for f in &report.findings {
            let at = f
                .path
                .as_ref()
                .map(|p| format!(" at `{}`", location(ctx, p, f.line)))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {} {}{at}: {}\n",
                word(f.severity),
                f.full_code(),
                shown(&f.message)
            ));
            if !f.contexts.is_empty() {
                out.push_str(&format!("    contexts: {}\n", f.contexts.join(", ")));
            }
            if let Some(fix) = &f.fix {
                out.push_str(&format!("    fix: {}\n", shown(fix)));
            }
        }
    }
    out.push_str(&format!(
        "\n{} contexts, {} {}, {} {}, {} {} unknown\n",
        report.contexts.len(),
        errors,
        if errors == 1 { "error" } else { "errors" },
        warnings,
        if warnings == 1 { "warning" } else { "warnings" },
        unknown,
        if unknown == 1 { "value" } else { "values" },
    ));
    out
}

fn word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}
