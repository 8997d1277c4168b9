//! Plan rendering: human (Terraform-like, coloured diffs), markdown for a pull request, and the
//! `goenv.plan/1` JSON document. Every renderer redacts secrets.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde_json::json;
use similar::{ChangeTag, TextDiff};

use super::markdown::{self, Block};
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
            // The user's own lines around goenv's (`export GITHUB_TOKEN=…` in `~/.profile`)
            crate::profile::secret::redact_named(&redact(&text, secrets))
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

/// A plan as Markdown for a pull-request comment, in one document of at most `limit`
/// characters (a diff too long is cut at a line boundary, with a note; none is left out).
pub fn markdown(plan: &Plan, ctx: &Context, limit: usize) -> String {
    let (mut head, diffs) = markdown_blocks(plan, ctx, "####");
    head.insert(0, Block::Text("### goenv plan\n\n".into()));
    markdown::fit(&head, &diffs, limit)
}

/// The same in parts of at most `limit` characters each, each valid on its own: `### goenv plan
/// (part 2 of 3)`, then what fits; a table or a diff too long for a part is cut.
pub fn markdown_parts(plan: &Plan, ctx: &Context, limit: usize) -> Vec<String> {
    let (mut blocks, diffs) = markdown_blocks(plan, ctx, "####");
    blocks.extend(diffs);
    markdown::split(&part_title, &blocks, limit)
}

/// A plan's Markdown blocks without a title: the summary, the table of changes and the findings,
/// then one folded diff per change. Other renderers (one section per platform) put them under
/// their own headings.
pub fn markdown_blocks(plan: &Plan, ctx: &Context, heading: &str) -> (Vec<Block>, Vec<Block>) {
    let mut head =
        vec![Block::Text(format!("**{}**\n\n", markdown::prose(&summary_line(plan, Title::Plan))))];
    if !plan.changes.is_empty() {
        let rows = plan
            .changes
            .iter()
            .map(|c| {
                format!(
                    "| {} | {} | {:?} |",
                    markdown::cell_code(&c.action.sign().to_string()),
                    markdown::cell_code(&c.id.to_string()),
                    c.action
                )
            })
            .collect();
        head.push(Block::Table { header: "| | resource | action |\n|---|---|---|\n".into(), rows });
    }
    if !plan.findings.is_empty() {
        let rows = plan
            .findings
            .iter()
            .map(|f| {
                format!(
                    "- **{:?}**: {}",
                    f.severity,
                    markdown::prose(&redact(&f.message, &plan.secrets))
                )
            })
            .collect();
        head.push(Block::Table { header: format!("{heading} Findings\n\n"), rows });
    }
    let diffs = plan
        .changes
        .iter()
        .map(|c| Block::Diff { summary: c.id.to_string(), diff: diff(c, ctx, &plan.secrets) })
        .collect();
    (head, diffs)
}

/// One plan per platform (`plan --platform …`): a section each, under a heading naming the
/// platform; a platform without changes (and without a warning or an error) is one line. Each
/// section gets an equal share of the comment's `limit` (diffs too long are cut, with a note).
pub fn markdown_platforms(plans: &[(&Plan, &Context)], limit: usize) -> String {
    let mut out = String::from("### goenv plan\n\n");
    let with_changes = plans.iter().filter(|(p, _)| !quiet_platform(p)).count().max(1);
    let share = limit.saturating_sub(markdown::size(&out) + 200 * plans.len()) / with_changes;
    for (plan, ctx) in plans {
        let platform = markdown::text(&format!("{}/{}", ctx.os, ctx.arch));
        if quiet_platform(plan) {
            out.push_str(&format!("#### {platform}: no changes\n\n"));
            continue;
        }
        let (mut head, diffs) = markdown_blocks(plan, ctx, "#####");
        head.insert(0, Block::Text(format!("#### {platform}\n\n")));
        out.push_str(&markdown::fit(&head, &diffs, share));
    }
    out
}

/// The same in parts of at most `limit` characters each, each valid on its own (`plan
/// --platform … --markdown-out FILE`): the sections in order, a part break where one is full.
pub fn markdown_platforms_parts(plans: &[(&Plan, &Context)], limit: usize) -> Vec<String> {
    let mut blocks = Vec::new();
    for (plan, ctx) in plans {
        let platform = markdown::text(&format!("{}/{}", ctx.os, ctx.arch));
        if quiet_platform(plan) {
            blocks.push(Block::Text(format!("#### {platform}: no changes\n\n")));
            continue;
        }
        let (head, diffs) = markdown_blocks(plan, ctx, "#####");
        blocks.push(Block::Text(format!("#### {platform}\n\n")));
        blocks.extend(head);
        blocks.extend(diffs);
    }
    markdown::split(&part_title, &blocks, limit)
}

/// `### goenv plan`, or `### goenv plan (part 2 of 3)` when the comment is in parts.
fn part_title(n: usize, total: usize) -> String {
    if total == 1 {
        "### goenv plan\n\n".to_owned()
    } else {
        format!("### goenv plan (part {n} of {total})\n\n")
    }
}

/// No changes, and nothing worse than a note to say.
fn quiet_platform(plan: &Plan) -> bool {
    plan.is_empty() && plan.findings.iter().all(|f| f.severity == crate::plan::Severity::Info)
}

pub fn json(plan: &Plan, ctx: &Context, profile: &str) -> serde_json::Value {
    json!({
        "schema": "goenv.plan/1",
        "ok": true,
        "profile": profile,
        "platform": format!("{}/{}", ctx.os, ctx.arch),
        "summary": counts_json(plan),
        "changes": changes_json(&plan.changes, ctx, &plan.secrets),
        "findings": findings_json(&plan.findings, &plan.secrets),
        "problems": [],
    })
}

/// `{"add", "change", "remove"}`, and `"run"` when there are effects to run (plans without
/// effects read as before).
pub fn counts_json(plan: &Plan) -> serde_json::Value {
    let (add, change, remove) = plan.counts();
    let mut summary = json!({"add": add, "change": change, "remove": remove});
    let run = plan.effects().count();
    if run > 0 {
        summary["run"] = json!(run);
    }
    summary
}

/// Each change as `{"resource", "path", "action", "diff"}`, secrets redacted: the one shape of
/// a change in every JSON document (plan, apply, status's drift, show).
pub fn changes_json(changes: &[Change], ctx: &Context, secrets: &[String]) -> serde_json::Value {
    changes
        .iter()
        .map(|c| {
            json!({
                "resource": c.id.to_string(),
                // An effect has no path.
                "path": (c.id.kind != Kind::Effect).then(|| c.path.display().to_string()),
                "action": c.action,
                "diff": diff(c, ctx, secrets),
            })
        })
        .collect::<Vec<_>>()
        .into()
}

/// Each finding as `{"severity", "code", "message", "help", "path", "line"}`, secrets redacted.
pub fn findings_json(findings: &[crate::rules::Finding], secrets: &[String]) -> serde_json::Value {
    findings
        .iter()
        .map(|f| {
            json!({
                "severity": f.severity,
                "code": f.code,
                "message": redact(&f.message, secrets),
                "help": f.help.as_deref().map(|h| redact(h, secrets)),
                "path": f.path.as_ref().map(|p| p.display().to_string()),
                "line": f.line,
            })
        })
        .collect::<Vec<_>>()
        .into()
}

/// What an apply or a rollback ran after its files, as its JSON document tells it:
/// `{"ran", "skipped", "skipped_why"}` (one command per entry, names only, never values), the
/// warnings, and the finding that says the effects were skipped (added to `findings`).
pub fn effects_json(
    applied: Option<&crate::engine::Applied>,
    findings: &mut Vec<crate::rules::Finding>,
    secrets: &[String],
) -> (serde_json::Value, Vec<String>) {
    let (mut ran, mut skipped, mut skipped_why, mut warnings) =
        (Vec::new(), Vec::new(), None, Vec::new());
    if let Some(a) = applied {
        ran = commands(&a.ran);
        if let Some((why, what)) = &a.skipped {
            findings.push(crate::rules::user_manager_unreachable(why, what));
            skipped = commands(what);
            skipped_why = Some(redact(why, secrets));
        }
        warnings = a.warnings.iter().map(|w| redact(w, secrets)).collect();
    }
    (json!({ "ran": ran, "skipped": skipped, "skipped_why": skipped_why }), warnings)
}

/// One command per entry: an effect's names list its commands joined by `, ` (variable and
/// unit names hold no comma).
fn commands(effects: &[String]) -> Vec<String> {
    effects
        .iter()
        .flat_map(|e| e.split(", "))
        .filter(|c| *c != "nothing")
        .map(str::to_owned)
        .collect()
}
