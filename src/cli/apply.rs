//! `goenv apply [PROFILE] [--yes]`: show the plan, ask (on a terminal), apply it as a new
//! generation.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Ui, confirm, print_err, progress, render, report_profile};
use crate::context::Context;
use crate::engine::{self, Error, Fault};

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The profile [default: ~/.config/goenv/profile.kdl], or a plan file `goenv plan --out`
    /// saved (told apart by content: a plan file is JSON, starting with `{`)
    pub profile: Option<PathBuf>,
    /// Apply without asking (required when not on a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub target: super::Target,
}

pub fn run(
    ctx: &Context,
    ui: &Ui,
    args: ApplyArgs,
    fault: Option<&Fault>,
) -> Result<ExitCode, Error> {
    let path = args.profile.unwrap_or_else(|| ctx.default_profile());
    engine::check_host(ctx)?;
    let (profile, path, pending) = if engine::planfile::is_plan_file(&path) {
        let file = engine::planfile::read(&path)?;
        let shown = path.display().to_string();
        let checked = engine::planfile::check(&file, &shown, ctx, &mut progress(ui, ctx))?;
        report_profile(ui, &checked.profile);
        if !ui.quiet {
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
    if pending.plan.is_empty() {
        if !ui.quiet {
            print_err(&render::human(&pending.plan, ctx, ui.color, render::Title::Plan));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !ui.quiet {
        print_err(&render::human(&pending.plan, ctx, ui.color, render::Title::Plan));
    } else if !args.yes {
        // Quiet, but about to ask: the question needs its one line of context.
        print_err(&format!("{summary}\n"));
    }
    if !confirm("Apply these changes?", args.yes)? {
        print_err("nothing was changed\n");
        return Ok(ExitCode::from(1));
    }
    let (add, change, remove) = pending.plan.counts();
    let number =
        engine::apply(ctx, pending, &profile, &path, summary, fault, &mut progress(ui, ctx))?;
    print_err(&format!(
        "Applied generation {number}: {add} added, {change} changed, {remove} removed. `goenv rollback` undoes it.\n"
    ));
    Ok(ExitCode::SUCCESS)
}
