//! `goenv status [PROFILE]`: what changed behind goenv's back since the last generation, and,
//! with a profile, what apply would change. Exit 2 when anything drifted or is pending.

use std::path::PathBuf;
use std::process::ExitCode;

use miette::Report;

use super::{Ui, engine, render};
use crate::context::Context;
use crate::plan::{Action, Change};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Also compare with this profile
    pub profile: Option<PathBuf>,
}

pub fn run(ctx: &Context, ui: &Ui, args: StatusArgs) -> Result<ExitCode, Report> {
    let mut dirty = false;
    let store = engine::existing_store(ctx)?;
    let secrets = store.as_ref().map(|s| engine::all_secrets(ctx, s)).unwrap_or_default();
    match store.as_ref().map(engine::drift).transpose()?.flatten() {
        None => println!("No generation yet: goenv has not changed this machine."),
        Some((latest, drifted)) if drifted.is_empty() => {
            println!("No drift since generation {} ({}).", latest.number, latest.time);
        }
        Some((latest, drifted)) => {
            dirty = true;
            println!("Drift since generation {} ({}):", latest.number, latest.time);
            for d in &drifted {
                let c = Change {
                    id: d.id.clone(),
                    path: d.path.clone(),
                    action: Action::between(&d.expected, &d.current),
                    before: d.expected.clone(),
                    after: d.current.clone(),
                    mode: d.mode,
                    managed: true,
                };
                println!("{} {} (changed outside goenv)", c.action.sign(), d.id);
                print!("{}", render::diff(&c, ctx, &secrets));
            }
            println!(
                "`goenv rollback` restores generation {}; `goenv apply` restores the profile.",
                latest.number
            );
        }
    }
    if let Some(path) = args.profile {
        let profile = engine::load_profile(&path, ctx, ui)?;
        let plan = engine::make_plan(&profile, ctx, ui)?;
        if !plan.is_empty() {
            dirty = true;
            println!("\nPending against `{}`:", path.display());
            print!("{}", render::human(&plan, ctx, ui.color));
        } else {
            println!("The machine matches `{}`.", path.display());
        }
    }
    Ok(if dirty { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
