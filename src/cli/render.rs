//! Plan rendering: human (Terraform-like, coloured diffs), markdown for a pull request, and the
//! `goenv.plan/1` JSON document. Every renderer redacts secrets.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde_json::json;
use similar::{ChangeTag, TextDiff};

use crate::context::Context;
use crate::formats::goenvfile;
use crate::plan::{Action, Change, Plan, tilde_path};
use crate::profile::secret::redact;
use crate::resource::Kind;

/// What a plan is for: the summary line starts with its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Title {
    Plan,
    Rollback,
}

impl Title {
    fn word(self) -> &'static str {
        match self {
            Title::Plan => "Plan",
            Title::Rollback => "Rollback",
        }
    }
}

/// Markdown stays under this many characters (GitHub's comment limit is 65,536).
pub const MARKDOWN_LIMIT: usize = 60_000;

/// A unified diff of one change, with paths shown from `~`; for an effect, what it runs.
pub fn diff(c: &Change, ctx: &Context, secrets: &[String]) -> String {
    if c.id.kind == Kind::Effect {
        let effect = c.after.as_deref().and_then(crate::resource::effect::Effect::parse);
        return match effect {
            Some(e) => {
                e.commands().iter().map(|l| format!("run {}\n", redact(l, secrets))).collect()
            }
            None => "run (an effect this goenv cannot read)\n".into(),
        };
    }
    let shown = |bytes: &Option<Vec<u8>>| {
        let text = String::from_utf8_lossy(bytes.as_deref().unwrap_or_default());
        // A link's content is its target: shown as one line.
        if c.id.kind == Kind::Link && bytes.is_some() {
            format!("symbolic link to {text}\n")
        } else if c.id.kind == Kind::Tool && bytes.as_ref().is_some_and(|b| b.contains(&0)) {
            let b = bytes.as_deref().unwrap_or_default();
            let sha = crate::store::sha256(b);
            format!("a program of {} bytes, sha256 {}\n", b.len(), &sha.as_str()[..16])
        } else {
            redact(&text, secrets)
        }
    };
    // A binary still to be built is shown as the build that makes it.
    let after = match &c.build {
        Some(build) => build.describe(),
        None => shown(&c.after),
    };
    let before = shown(&c.before);
    let shown = tilde_path(&c.path, &ctx.home);
    let old = if c.before.is_some() { format!("a/{shown}") } else { "/dev/null".into() };
    let new = if c.after.is_some() || c.build.is_some() {
        format!("b/{shown}")
    } else {
        "/dev/null".into()
    };
    let d = TextDiff::from_lines(&before, &after);
    let mut out = format!("--- {old}\n+++ {new}\n");
    for hunk in d.unified_diff().context_radius(3).iter_hunks() {
        let _ = writeln!(out, "{}", hunk.header());
        for ch in hunk.iter_changes() {
            let sign = match ch.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            out.push(sign);
            out.push_str(ch.value());
            if ch.missing_newline() {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

fn paint(text: &str, style: Style, color: bool) -> String {
    if color { format!("{style}{text}{style:#}") } else { text.to_owned() }
}

fn colour_diff(d: &str, color: bool) -> String {
    if !color {
        return d.to_owned();
    }
    d.lines()
        .map(|l| {
            let style = match l.as_bytes().first() {
                Some(b'+') => AnsiColor::Green.on_default(),
                Some(b'-') => AnsiColor::Red.on_default(),
                Some(b'@') => AnsiColor::Cyan.on_default(),
                _ => Style::new(),
            };
            paint(l, style, true) + "\n"
        })
        .collect()
}

pub fn summary_line(plan: &Plan, title: Title) -> String {
    if plan.is_empty() {
        return "No changes. The machine matches the profile.".into();
    }
    let (add, change, remove) = plan.counts();
    let run = plan.effects().count();
    let effects = if run == 0 { String::new() } else { format!(", {run} to run") };
    format!("{}: {add} to add, {change} to change, {remove} to remove{effects}.", title.word())
}

/// Drift as people read it: the unified diff, except for the Go env file, whose change is shown
/// per key (`go env -w` re-sorts the file, so one changed key is many changed lines), with the
/// unified diff too under `-v`.
pub fn drift_diff(c: &Change, ctx: &Context, secrets: &[String], verbose: bool) -> String {
    let go_env_file = crate::probe::go_env_file(ctx);
    let (Some(before), Some(after)) = (&c.before, &c.after) else { return diff(c, ctx, secrets) };
    if c.id.kind != Kind::File || go_env_file.as_ref() != Some(&c.path) {
        return diff(c, ctx, secrets);
    }
    let old = goenvfile::parse(before);
    let new = goenvfile::parse(after);
    let value = |v: &[u8]| redact(&String::from_utf8_lossy(v), secrets);
    let mut out = String::new();
    for (key, v) in &new {
        match old.iter().find(|(k, _)| k == key) {
            None => {
                let _ = writeln!(out, "  + {key}: {}", value(v));
            }
            Some((_, was)) if was != v => {
                let _ = writeln!(out, "  ~ {key}: {} → {}", value(was), value(v));
            }
            Some(_) => {}
        }
    }
    for (key, v) in old.iter().filter(|(k, _)| !new.iter().any(|(n, _)| n == k)) {
        let _ = writeln!(out, "  - {key}: {}", value(v));
    }
    if out.is_empty() {
        out.push_str("  every key has its value: only comments or the order of lines changed\n");
    }
    if verbose {
        out.push_str(&diff(c, ctx, secrets));
    } else {
        out.push_str("  (`-v` shows the lines)\n");
    }
    out
}

pub fn human(plan: &Plan, ctx: &Context, color: bool, title: Title) -> String {
    let mut out = String::new();
    for c in &plan.changes {
        let style = match c.action {
            Action::Create => AnsiColor::Green.on_default(),
            Action::Update => AnsiColor::Yellow.on_default(),
            Action::Delete => AnsiColor::Red.on_default(),
            Action::Run => AnsiColor::Cyan.on_default(),
        };
        let _ = writeln!(out, "{} {}", paint(&c.action.sign().to_string(), style, color), c.id);
    }
    if !plan.changes.is_empty() {
        out.push('\n');
    }
    for c in &plan.changes {
        out.push_str(&colour_diff(&diff(c, ctx, &plan.secrets), color));
        out.push('\n');
    }
    for f in &plan.findings {
        let sign = paint("!", AnsiColor::Yellow.on_default(), color);
        let level = f.severity.word();
        let _ = writeln!(out, "{sign} {level}: {}", redact(&f.message, &plan.secrets));
        if let Some(h) = &f.help {
            let _ = writeln!(out, "  hint: {}", redact(h, &plan.secrets));
        }
    }
    if !plan.findings.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary_line(plan, title));
    out.push('\n');
    out
}

pub fn markdown(plan: &Plan, ctx: &Context) -> String {
    let mut out = String::from("### goenv plan\n\n");
    let _ = writeln!(out, "**{}**\n", summary_line(plan, Title::Plan));
    if !plan.changes.is_empty() {
        out.push_str("| | resource | action |\n|---|---|---|\n");
        for c in &plan.changes {
            let _ = writeln!(out, "| `{}` | `{}` | {:?} |", c.action.sign(), c.id, c.action);
        }
        out.push('\n');
    }
    if !plan.findings.is_empty() {
        out.push_str("#### Findings\n\n");
        for f in &plan.findings {
            let _ = writeln!(out, "- **{:?}**: {}", f.severity, redact(&f.message, &plan.secrets));
        }
        out.push('\n');
    }
    // Diffs, smallest first, while they fit; the rest are summarised.
    let mut diffs: Vec<(&Change, String)> =
        plan.changes.iter().map(|c| (c, diff(c, ctx, &plan.secrets))).collect();
    diffs.sort_by_key(|(_, d)| d.len());
    let mut left = MARKDOWN_LIMIT.saturating_sub(out.len() + 200);
    let mut shown = Vec::new();
    let mut omitted = Vec::new();
    for (c, d) in diffs {
        let block = format!(
            "<details><summary><code>{}</code></summary>\n\n```diff\n{}```\n\n</details>\n\n",
            c.id,
            d.replace("```", "`\u{200b}``")
        );
        if block.len() <= left {
            left -= block.len();
            shown.push((c.id.to_string(), block));
        } else {
            omitted.push((c.id.to_string(), d.lines().count()));
        }
    }
    shown.sort();
    for (_, b) in shown {
        out.push_str(&b);
    }
    for (id, lines) in omitted {
        let _ = writeln!(
            out,
            "- `{id}`: diff of {lines} lines not shown (too large for a comment); run `goenv plan` to see it"
        );
    }
    out
}

pub fn json(plan: &Plan, ctx: &Context, profile: &str) -> serde_json::Value {
    let (add, change, remove) = plan.counts();
    let mut summary = json!({"add": add, "change": change, "remove": remove});
    // Effects to run, when there are any (plans without effects read as before).
    let run = plan.effects().count();
    if run > 0 {
        summary["run"] = json!(run);
    }
    json!({
        "schema": "goenv.plan/1",
        "profile": profile,
        "platform": format!("{}/{}", ctx.os, ctx.arch),
        "summary": summary,
        "changes": plan.changes.iter().map(|c| json!({
            "resource": c.id.to_string(),
            "path": (c.id.kind != Kind::Effect).then(|| c.path.display().to_string()),
            "action": c.action,
            "diff": diff(c, ctx, &plan.secrets),
        })).collect::<Vec<_>>(),
        "findings": plan.findings.iter().map(|f| json!({
            "severity": f.severity,
            "code": f.code,
            "message": redact(&f.message, &plan.secrets),
            "help": f.help.as_deref().map(|h| redact(h, &plan.secrets)),
            "path": f.path.as_ref().map(|p| p.display().to_string()),
            "line": f.line,
        })).collect::<Vec<_>>(),
    })
}
