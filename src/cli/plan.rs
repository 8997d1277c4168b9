//! `goenv plan [PROFILE]`: what apply would change, for a person, a pull request or a program.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Ui, print_err, print_out, progress, render, report_profile};
use crate::context::Context;
use crate::engine::{self, Error};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Human,
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The profile [default: ~/.config/goenv/profile.kdl]
    pub profile: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Exit 2 when there are changes to apply (0 when there are none, 1 on error)
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also save the plan to FILE (JSON, `goenv.planfile/1`): `goenv apply FILE` applies exactly
    /// it, or refuses when anything it was made from changed
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub target: super::Target,
}

pub fn run(ctx: &Context, ui: &Ui, args: PlanArgs) -> Result<ExitCode, Error> {
    let path = args.profile.unwrap_or_else(|| ctx.default_profile());
    let profile = engine::load_profile(&path, ctx)?;
    report_profile(ui, &profile);
    let (plan, saved) = match &args.out {
        Some(_) => {
            let (plan, file) = engine::planfile::make(&profile, ctx, &mut progress(ui, ctx))?;
            (plan, Some(file))
        }
        None => (engine::make_plan_reporting(&profile, ctx, &mut progress(ui, ctx))?, None),
    };
    let text = match args.format {
        PlanFormat::Human if ui.quiet => {
            format!("{}\n", render::summary_line(&plan, render::Title::Plan))
        }
        PlanFormat::Human => render::human(&plan, ctx, ui.color, render::Title::Plan),
        PlanFormat::Markdown => render::markdown(&plan, ctx),
        PlanFormat::Json => {
            format!("{:#}\n", render::json(&plan, ctx, &path.display().to_string()))
        }
    };
    if let (Some(out), Some(file)) = (&args.out, &saved) {
        engine::planfile::write(file, out)?;
        if !ui.quiet {
            print_err(&format!(
                "Saved the plan to `{0}`: `goenv apply {0}` applies exactly it, or refuses if anything it was made from changed.\n",
                out.display()
            ));
        }
    }
    print_out(&text);
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
