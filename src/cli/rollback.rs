//! `goenv rollback [--to N]`: undo the latest change to the managed paths, whoever made it (see
//! `engine::plan_rollback` for which state that restores).

use std::process::ExitCode;

use super::{Ui, confirm, print_err, progress, render, report_state};
use crate::context::Context;
use crate::engine::{self, Error, Fault};

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// Restore the state right after generation N (0: before goenv changed anything)
    #[arg(long, value_name = "N")]
    pub to: Option<u32>,
    /// Roll back without asking (required when not on a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub environment: super::Environment,
}

pub fn run(
    ctx: &Context,
    ui: &Ui,
    args: RollbackArgs,
    fault: Option<&Fault>,
) -> Result<ExitCode, Error> {
    report_state(ui, ctx, engine::Reading::Latest)?;
    let rollback = engine::plan_rollback(ctx, args.to)?;
    let why = rollback.why.clone();
    if rollback.plan.is_empty() {
        print_err(&format!("Nothing to do: the managed paths already match ({why}).\n"));
        return Ok(ExitCode::SUCCESS);
    }
    if !ui.quiet {
        print_err(&format!(
            "Rollback: {why}.\n\n{}",
            render::human(&rollback.plan, ctx, ui.color, render::Title::Rollback)
        ));
    } else if !args.yes {
        // Quiet, but about to ask: the question needs its one line of context.
        let summary = render::summary_line(&rollback.plan, render::Title::Rollback);
        print_err(&format!("Rollback ({why}): {summary}\n"));
    }
    if !confirm("Roll back?", args.yes)? {
        print_err("nothing was changed\n");
        return Ok(ExitCode::from(1));
    }
    let number = rollback.apply(ctx, fault, &mut progress(ui, ctx))?;
    print_err(&format!(
        "Rolled back ({why}) as generation {number}. `goenv rollback` again undoes it.\n"
    ));
    Ok(ExitCode::SUCCESS)
}
