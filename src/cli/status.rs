//! `goenv status [PROFILE]`: what changed behind goenv's back since the last generation, and,
//! with a profile, what apply would change. Exit 2 when anything drifted or is pending.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Ui, print_out, progress, render, report_profile, report_state};
use crate::context::Context;
use crate::engine::{self, Error, Status};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Also compare with this profile
    pub profile: Option<PathBuf>,
    #[command(flatten)]
    pub target: super::Target,
}

pub fn run(ctx: &Context, ui: &Ui, args: StatusArgs) -> Result<ExitCode, Error> {
    let mut dirty = false;
    let mut out = String::new();
    report_state(ui, ctx, engine::Reading::Latest)?;
    match engine::status(ctx)? {
        Status::NoGeneration => {
            out.push_str("No generation yet: goenv has not changed this machine.\n");
        }
        Status::Since { number, time, drifted, .. } if drifted.is_empty() => {
            out.push_str(&format!("No drift since generation {number} ({time}).\n"));
        }
        Status::Since { number, time, drifted, .. } if ui.quiet => {
            dirty = true;
            let n = drifted.len();
            out.push_str(&format!(
                "Drift since generation {number} ({time}): {n} path{} changed outside goenv; \
                 `goenv rollback` restores generation {number}.\n",
                if n == 1 { "" } else { "s" }
            ));
        }
        Status::Since { number, time, drifted, secrets } => {
            dirty = true;
            out.push_str(&format!("Drift since generation {number} ({time}):\n"));
            for d in &drifted {
                let c = &d.change;
                out.push_str(&format!("{} {} (changed outside goenv)\n", c.action.sign(), c.id));
                out.push_str(&render::drift_diff(c, ctx, &secrets, ui.verbose));
            }
            out.push_str(&format!(
                "`goenv rollback` restores generation {number}; `goenv apply` restores the profile.\n"
            ));
        }
    }
    let left = if ui.quiet { Vec::new() } else { engine::leftovers(ctx)? };
    if !left.is_empty() {
        out.push_str(&format!(
            "Left by an interrupted goenv: {}; `goenv gc` removes them.\n",
            engine::debris_shown(&left, ctx)
        ));
    }
    print_out(&out);
    if let Some(path) = args.profile {
        let profile = engine::load_profile(&path, ctx)?;
        report_profile(ui, &profile);
        let plan = engine::make_plan_reporting(&profile, ctx, &mut progress(ui, ctx))?;
        if !plan.is_empty() && ui.quiet {
            dirty = true;
            print_out(&format!(
                "Pending against `{}`: {}\n",
                path.display(),
                render::summary_line(&plan, render::Title::Plan)
            ));
        } else if !plan.is_empty() {
            dirty = true;
            print_out(&format!(
                "\nPending against `{}`:\n{}",
                path.display(),
                render::human(&plan, ctx, ui.color, render::Title::Plan)
            ));
        } else {
            print_out(&format!("The machine matches `{}`.\n", path.display()));
        }
    }
    Ok(if dirty { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
