//! `goenv generations`, `goenv show N`, `goenv gc --keep N`: the history goenv keeps.

use std::process::ExitCode;

use miette::{Report, miette};

use super::{Ui, engine, render};
use crate::context::Context;
use crate::plan::{Action, Change};

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The generation to show
    pub number: u32,
}

#[derive(Debug, clap::Args)]
pub struct GcArgs {
    /// How many of the newest generations to keep
    #[arg(long, default_value_t = 10)]
    pub keep: usize,
}

pub fn list(ctx: &Context, _ui: &Ui) -> Result<ExitCode, Report> {
    let Some(store) = engine::existing_store(ctx)? else {
        println!("No generation yet: goenv has not changed this machine.");
        return Ok(ExitCode::SUCCESS);
    };
    let numbers = store.generation_numbers().map_err(Report::new)?;
    if numbers.is_empty() {
        println!("No generation yet: goenv has not changed this machine.");
    }
    for n in numbers {
        let g = store.load_generation(n).map_err(Report::new)?;
        let changed = g.paths.iter().filter(|r| r.before != r.after).count();
        println!(
            "{:>4}  {}  {:<8}  {} path{} changed  {}{}",
            g.number,
            g.time,
            g.command,
            changed,
            if changed == 1 { "" } else { "s" },
            g.summary,
            g.profile.map(|p| format!("  ({p})")).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn show(ctx: &Context, _ui: &Ui, args: ShowArgs) -> Result<ExitCode, Report> {
    let store = engine::existing_store(ctx)?
        .ok_or_else(|| miette!("no generation yet: goenv has not changed this machine"))?;
    let g = store.load_generation(args.number).map_err(Report::new)?;
    let secrets = engine::all_secrets(ctx, &store);
    println!("generation {} · {} · {} · {}", g.number, g.time, g.command, g.summary);
    for r in g.paths.iter().filter(|r| r.before != r.after) {
        let c = Change {
            id: r.resource.clone(),
            path: r.path.clone().into(),
            action: Action::between(&r.before, &r.after),
            before: engine::blob(&store, r.before.as_ref())?,
            after: engine::blob(&store, r.after.as_ref())?,
            mode: r.mode.unwrap_or(0o644),
            managed: r.managed,
        };
        println!("\n{} {}", c.action.sign(), c.id);
        print!("{}", render::diff(&c, ctx, &secrets));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn gc(ctx: &Context, _ui: &Ui, args: GcArgs) -> Result<ExitCode, Report> {
    let Some(store) = engine::existing_store(ctx)? else {
        println!("Nothing to collect: goenv has no state here.");
        return Ok(ExitCode::SUCCESS);
    };
    let _lock = store.lock(&engine::holder("gc")).map_err(Report::new)?;
    let r = store.gc(args.keep).map_err(Report::new)?;
    println!(
        "Removed {} generation{} and {} blob{} ({} bytes); `rollback --to 0` still restores the original files.",
        r.generations_removed,
        if r.generations_removed == 1 { "" } else { "s" },
        r.blobs_removed,
        if r.blobs_removed == 1 { "" } else { "s" },
        r.bytes_freed
    );
    Ok(ExitCode::SUCCESS)
}
