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
    let sdks = empty_trash(&store)?;
    if sdks > 0 {
        println!(
            "Removed {sdks} SDK{} from the trash; rolling back to a generation that used one downloads it again.",
            if sdks == 1 { "" } else { "s" }
        );
    }
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

/// Deletes the SDK trees pruned or rolled back out of place: the state directory's trash and the
/// `.goenv-trash` beside each SDK directory goenv manages. Returns how many trees were removed.
fn empty_trash(store: &crate::store::Store) -> Result<usize, Report> {
    let mut trashes = vec![store.trash_dir()];
    for r in store.index().map_err(Report::new)?.paths {
        if r.resource.starts_with("sdk:")
            && let Some(dir) = std::path::Path::new(&r.path).parent()
        {
            let local = dir.join(crate::entry::LOCAL_TRASH);
            if !trashes.contains(&local) {
                trashes.push(local);
            }
        }
    }
    let mut removed = 0;
    for trash in trashes {
        let Ok(entries) = std::fs::read_dir(&trash) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            std::fs::remove_dir_all(&path)
                .map_err(|err| miette::miette!("cannot remove `{}`: {err}", path.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}
