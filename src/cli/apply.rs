//! `goenv apply [PROFILE] [--yes]`: show the plan, ask (on a terminal), apply it as a new
//! generation.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{FailOn, Format, Ui, confirm, print_err, print_out, progress, render, report_profile};
use crate::context::Context;
use crate::engine::{self, Error, ErrorKind, Fault};
use crate::plan::Plan;
use crate::profile::Profile;
use crate::rules::Finding;

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The profile [default: ~/.config/goenv/profile.kdl], or a plan file `goenv plan --out`
    /// saved (told apart by content: a plan file is JSON, starting with `{`)
    pub profile: Option<PathBuf>,
    /// Apply without asking (required when not on a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Output format: `json` prints one `goenv.apply/1` document on stdout and nothing else
    /// (with `--yes`, or on a terminal, where the question is asked on stderr)
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Which findings, remaining after applying, make apply exit 3
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub target: super::Target,
}

pub fn run(
    ctx: &Context,
    ui: &Ui,
    args: ApplyArgs,
    fault: Option<&Fault>,
) -> Result<ExitCode, Error> {
    let json = args.format == Format::Json;
    let path = args.profile.unwrap_or_else(|| ctx.default_profile());
    engine::check_host(ctx)?;
    let (profile, path, pending) = if engine::planfile::is_plan_file(&path) {
        let file = engine::planfile::read(&path)?;
        let shown = path.display().to_string();
        let checked = engine::planfile::check(&file, &shown, ctx, &mut progress(ui, ctx))?;
        report_profile(ui, &checked.profile);
        if !ui.quiet && !json {
            print_err(&format!(
                "The saved plan `{shown}` still holds: the profile, every path and the pinned releases are as it recorded.\n\n"
            ));
        }
        (checked.profile, checked.profile_path, checked.pending)
    } else {
        let profile = engine::load_profile(&path, ctx)?;
        report_profile(ui, &profile);
        let pending = engine::plan_for_apply(&profile, ctx, &mut progress(ui, ctx))?;
        (profile, path, pending)
    };
    let summary = render::summary_line(&pending.plan, render::Title::Plan);
    // JSON: the document is the only output, the plan is in it.
    let human = !ui.quiet && !json;
    if pending.plan.is_empty() {
        if human {
            print_err(&render::human(&pending.plan, ctx, ui.color, render::Title::Plan));
        }
        if json {
            let mut after = pending.plan.clone();
            print_out(&document(ctx, &path, None, &pending.plan, &mut after));
        }
        let remaining = pending.plan.findings.iter().map(|f| f.severity);
        return Ok(args.fail_on.exit(remaining, ExitCode::SUCCESS));
    }
    if human {
        print_err(&render::human(&pending.plan, ctx, ui.color, render::Title::Plan));
    } else if !args.yes && (!json || std::io::stdin().is_terminal()) {
        // Quiet or JSON, but about to ask: the question needs its one line of context.
        print_err(&format!("{summary}\n"));
    }
    if !confirm("Apply these changes?", args.yes)? {
        if json {
            return Err(Error::new(ErrorKind::Declined, "the changes were not confirmed"));
        }
        print_err("nothing was changed\n");
        return Ok(ExitCode::from(1));
    }
    let (add, change, remove) = pending.plan.counts();
    // What was applied, as the document shows it, before `apply` takes the plan.
    let applied = Plan {
        changes: pending.plan.changes.clone(),
        findings: Vec::new(),
        secrets: pending.plan.secrets.clone(),
        ..Plan::default()
    };
    let planned = pending.plan.findings.clone();
    if json {
        // The engine's notes (effects run, skipped, warnings) are in the document.
        let mut muted = super::Muted(progress(ui, ctx));
        let done = engine::apply(ctx, pending, &profile, &path, summary, fault, &mut muted)?;
        let mut after = remaining(&profile, ctx, planned, &applied.secrets);
        print_out(&document(ctx, &path, Some(&done), &applied, &mut after));
        return Ok(args.fail_on.exit(after.findings.iter().map(|f| f.severity), ExitCode::SUCCESS));
    }
    let done =
        engine::apply(ctx, pending, &profile, &path, summary, fault, &mut progress(ui, ctx))?;
    print_err(&format!(
        "Applied generation {}: {add} added, {change} changed, {remove} removed. `goenv rollback` undoes it.\n",
        done.number
    ));
    let after = remaining(&profile, ctx, planned, &applied.secrets);
    Ok(args.fail_on.exit(after.findings.iter().map(|f| f.severity), ExitCode::SUCCESS))
}

/// The `goenv.apply/1` document: the generation made (`null` when there was nothing to do),
/// the changes applied, the effects run or skipped, the warnings, and the findings that remain
/// (with the one saying the effects were skipped, added to `after`).
fn document(
    ctx: &Context,
    path: &std::path::Path,
    done: Option<&engine::Applied>,
    applied: &Plan,
    after: &mut Plan,
) -> String {
    let (effects, warnings) = render::effects_json(done, &mut after.findings, &applied.secrets);
    let v = serde_json::json!({
        "schema": "goenv.apply/1",
        "ok": true,
        "profile": path.display().to_string(),
        "platform": format!("{}/{}", ctx.os, ctx.arch),
        "generation": done.map(|d| d.number),
        "summary": render::counts_json(applied),
        "changes": render::changes_json(&applied.changes, ctx, &applied.secrets),
        "effects": effects,
        "warnings": warnings,
        "findings": render::findings_json(&after.findings, &after.secrets),
        "problems": [],
    });
    format!("{v:#}\n")
}

/// The findings that remain once the change is made: the machine planned again (files only).
/// Should that fail, the findings of the plan just applied stand in for them.
fn remaining(profile: &Profile, ctx: &Context, planned: Vec<Finding>, secrets: &[String]) -> Plan {
    engine::make_plan_reporting(profile, ctx, &mut engine::Silent).unwrap_or_else(|_| Plan {
        findings: planned,
        secrets: secrets.to_vec(),
        ..Plan::default()
    })
}
