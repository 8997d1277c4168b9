//! `goenv rollback [--to N]`: undo the latest change to the managed paths, whoever made it.
//!
//! With drift since the latest generation (a `go env -w`, a hand edit), it restores the state
//! right after that generation; otherwise it undoes the latest generation. `--to N` restores the
//! state right after generation N (0: the machine as goenv first found it). A rollback is a new
//! generation, so it can itself be undone; what it overwrites is stored first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

use miette::{Report, miette};

use super::{Ui, engine, render};
use crate::apply::{self, Fault, Meta};
use crate::context::Context;
use crate::plan::{Action, Change, Kept, Plan};

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// Restore the state right after generation N (0: before goenv changed anything)
    #[arg(long, value_name = "N")]
    pub to: Option<u32>,
    /// Roll back without asking (required when not on a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(
    ctx: &Context,
    ui: &Ui,
    args: RollbackArgs,
    fault: Option<&Fault>,
) -> Result<ExitCode, Report> {
    let store = engine::open_store(ctx)?;
    let _lock = store.lock(&engine::holder("rollback")).map_err(Report::new)?;
    let Some((latest, drifted)) = engine::drift(&store)? else {
        return Err(miette!("nothing to roll back: goenv has not changed this machine"));
    };
    // `state`: what each affected path must contain; `target`: the generation whose managed
    // set goenv keeps afterwards.
    let (state, target, why) = match args.to {
        Some(n) if n > latest.number => {
            return Err(miette!(
                help = "`goenv generations` lists them",
                "there is no generation {n}: the latest is {}",
                latest.number
            ));
        }
        Some(n) => (engine::contents_after(&store, n)?, n, format!("restore generation {n}")),
        None if !drifted.is_empty() => (
            engine::contents_after(&store, latest.number)?,
            latest.number,
            format!("restore generation {} after changes made outside goenv", latest.number),
        ),
        None => {
            // Undo: every path the latest generation touched goes back to its before-content.
            let mut undo = BTreeMap::new();
            for r in latest.paths.iter().filter(|r| r.before != r.after) {
                undo.insert(r.path.clone(), engine::blob(&store, r.before.as_ref())?);
            }
            (undo, latest.number - 1, format!("undo generation {}", latest.number))
        }
    };
    let managed: BTreeSet<String> = if target == 0 {
        BTreeSet::new()
    } else {
        let g = store.load_generation(target).map_err(Report::new)?;
        g.paths.iter().filter(|r| r.managed).map(|r| r.path.clone()).collect()
    };
    // Resource ids by path, as the generations last named them.
    let ids: BTreeMap<String, String> = store
        .index()
        .map_err(Report::new)?
        .paths
        .into_iter()
        .map(|r| (r.path, r.resource))
        .collect();
    let mut plan = Plan { secrets: engine::all_secrets(ctx, &store), ..Plan::default() };
    for (path, want) in state {
        let p = PathBuf::from(&path);
        let id = ids.get(&path).cloned().unwrap_or_else(|| format!("file:{path}"));
        let (current, mode) = read(&id, &p)?;
        let is_managed = managed.contains(&path);
        if current == want {
            if is_managed {
                plan.unchanged.push(Kept { id, path: p, content: want, mode });
            }
            continue;
        }
        let action = Action::between(&current, &want);
        plan.changes.push(Change {
            id,
            path: p,
            action,
            before: current,
            after: want,
            mode,
            managed: is_managed,
        });
    }
    // Paths goenv keeps managing that this rollback does not touch stay on record.
    for path in &managed {
        let seen =
            plan.changes.iter().map(|c| &c.path).chain(plan.unchanged.iter().map(|k| &k.path));
        if seen.into_iter().any(|p| p.as_os_str() == path.as_str()) {
            continue;
        }
        let p = PathBuf::from(path);
        let id = ids.get(path).cloned().unwrap_or_else(|| format!("file:{path}"));
        let (content, mode) = read(&id, &p)?;
        plan.unchanged.push(Kept { id, path: p, content, mode });
    }
    if plan.is_empty() {
        eprintln!("Nothing to do: the managed paths already match ({why}).");
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("Rollback: {why}.\n");
    eprint!("{}", render::human(&plan, ctx, ui.color).replace("Plan:", "Rollback:"));
    if !engine::confirm("Roll back?", args.yes)? {
        eprintln!("nothing was changed");
        return Ok(ExitCode::from(1));
    }
    let meta = Meta {
        command: "rollback".into(),
        time: ctx.now(),
        profile: None,
        profile_sha256: None,
        summary: why.clone(),
    };
    let prepared = engine::prepare_sdks(ctx, &store, &plan)?;
    let number = apply::apply(&store, &plan, meta, fault, prepared.roots()).map_err(Report::new)?;
    eprintln!("Rolled back ({why}) as generation {number}. `goenv rollback` again undoes it.");
    Ok(ExitCode::SUCCESS)
}

fn read(id: &str, p: &std::path::Path) -> Result<(Option<Vec<u8>>, u32), Report> {
    let now = crate::entry::read(crate::entry::EntryKind::of(id), p)
        .map_err(|e| miette!("cannot read `{}`: {e}", p.display()))?;
    Ok(match now {
        Some((b, m)) => (Some(b), m),
        None => (None, 0o644),
    })
}
