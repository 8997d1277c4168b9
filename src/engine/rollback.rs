//! Planning a rollback: undo the latest change to the managed paths, whoever made it.
//!
//! With drift since the latest generation (a `go env -w`, a hand edit), it restores the state
//! right after that generation; otherwise it undoes the latest generation. `--to N` restores the
//! state right after generation N (0: the machine as goenv first found it). A rollback is a new
//! generation, so it can itself be undone; what it overwrites is stored first. In a file goenv
//! shares (a marker block, VS Code's settings) it restores only goenv's part and keeps the rest
//! of the file as it is now.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::history::{all_secrets, blob, contents_after, drift};
use super::{Error, ErrorKind, Progress, Result, holder, open_store, prepare};
use crate::apply::{Fault, Meta};
use crate::context::Context;
use crate::plan::{Change, Kept, Plan};
use crate::resource::effect::{Effect, Run, Var};
use crate::resource::{Kind, ResourceId, Shape, entry};
use crate::store::{LockGuard, Store};

/// A rollback planned under the lock.
pub struct RollbackPlan {
    store: Store,
    _lock: LockGuard,
    pub plan: Plan,
    /// Why: `undo generation 3`, `restore generation 2`, ….
    pub why: String,
    /// What it undoes.
    pub undoes: Undoes,
    /// The latest generation when it was planned (the one rolled back from).
    pub latest: u32,
    /// The generation whose state it restores (0: before goenv changed anything).
    pub target: u32,
}

/// What a rollback undoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undoes {
    /// Changes made outside goenv since the latest generation: its state comes back.
    Drift,
    /// The latest generation: the state before it comes back.
    Generation,
    /// Everything after generation `--to N`: the state right after it comes back.
    To,
}

/// Plans a rollback (to generation `to`, else the latest change) under the lock.
pub fn plan_rollback(ctx: &Context, to: Option<u32>) -> Result<RollbackPlan> {
    let store = open_store(ctx)?;
    let lock = store.lock(&holder("rollback"))?;
    let Some((latest, drifted)) = drift(&store)? else {
        return Err(Error::new(
            ErrorKind::Usage,
            "nothing to roll back: goenv has not changed this machine",
        ));
    };
    // `state`: what each affected path must contain; `target`: the generation whose managed
    // set goenv keeps afterwards.
    // The generations whose effects the rollback undoes: those after `undo_after`.
    let undo_after = match to {
        Some(n) => Some(n),
        None if !drifted.is_empty() => None,
        None => Some(latest.number - 1),
    };
    let undoes = match to {
        Some(_) => Undoes::To,
        None if !drifted.is_empty() => Undoes::Drift,
        None => Undoes::Generation,
    };
    let (state, target, why) = match to {
        Some(n) if n > latest.number => {
            return Err(Error::new(
                ErrorKind::Usage,
                format!("there is no generation {n}: the latest is {}", latest.number),
            )
            .hint("`goenv generations` lists them"));
        }
        Some(n) => (contents_after(&store, n)?, n, format!("restore generation {n}")),
        None if !drifted.is_empty() => (
            contents_after(&store, latest.number)?,
            latest.number,
            format!("restore generation {} after changes made outside goenv", latest.number),
        ),
        None => {
            // Undo: every path the latest generation touched goes back to its before-content.
            let mut undo = BTreeMap::new();
            for r in latest.paths.iter().filter(|r| r.before != r.after) {
                undo.insert(r.path.clone(), blob(&store, r.before.as_ref())?);
            }
            (undo, latest.number - 1, format!("undo generation {}", latest.number))
        }
    };
    let managed: BTreeSet<PathBuf> = if target == 0 {
        BTreeSet::new()
    } else {
        let g = store.load_generation(target)?;
        g.paths.iter().filter(|r| r.managed).map(|r| r.path.clone()).collect()
    };
    // Resource ids by path, as the generations last named them.
    let ids: BTreeMap<PathBuf, ResourceId> =
        store.index()?.paths.into_iter().map(|r| (r.path, r.resource)).collect();
    let id_of = |path: &Path| {
        ids.get(path).cloned().unwrap_or_else(|| ResourceId::new(Kind::File, path, &ctx.home))
    };
    let mut plan = Plan { secrets: all_secrets(ctx, &store), ..Plan::default() };
    for (path, want) in state {
        let id = id_of(&path);
        let (current, mode) = read(id.kind.shape(), &path)?;
        // In a file goenv shares, only goenv's part goes back; the rest stays as it is now.
        let want = crate::plan::put_back(id.kind, current.as_deref(), want.as_deref());
        let is_managed = managed.contains(&path);
        if current == want {
            if is_managed {
                plan.unchanged.push(Kept { id, path, content: want, mode });
            }
            continue;
        }
        plan.changes.push(Change::between(id, path, current, want, mode, is_managed));
    }
    // Paths goenv keeps managing that this rollback does not touch stay on record.
    for path in &managed {
        let seen =
            plan.changes.iter().map(|c| &c.path).chain(plan.unchanged.iter().map(|k| &k.path));
        if seen.into_iter().any(|p| p == path) {
            continue;
        }
        let id = id_of(path);
        let (content, mode) = read(id.kind.shape(), path)?;
        plan.unchanged.push(Kept { id, path: path.clone(), content, mode });
    }
    if let Some(n) = undo_after {
        for effect in undo_effects(&store, n, latest.number)? {
            plan.changes.push(Change::effect(&effect));
        }
    }
    Ok(RollbackPlan { store, _lock: lock, plan, why, undoes, latest: latest.number, target })
}

/// What undoes the effects of generations `after+1..=latest`, newest first: each variable gets
/// the value it had before the oldest of them set it, then the manager reloads and the units
/// restart (once each), after the files are back.
fn undo_effects(store: &Store, after: u32, latest: u32) -> Result<Vec<Effect>> {
    let mut vars: Vec<Var> = Vec::new();
    // launchd's per-user environment (macOS), merged the same way.
    let mut launchd: Vec<Var> = Vec::new();
    let mut rest: Vec<Effect> = Vec::new();
    let numbers = store.generation_numbers()?;
    let mut undos = Vec::new();
    for &n in numbers.iter().rev().filter(|&&n| n > after && n <= latest) {
        undos.extend(store.load_generation(n)?.effects.into_iter().map(|s| s.undo));
    }
    // Generations `gc` folded keep what undoes their effects in its base: older than every
    // manifest.
    let (through, folded) = store.folded_undo()?;
    if after < through {
        undos.extend(folded.into_iter().rev());
    }
    {
        for undo in undos {
            match undo {
                Run::SetEnvironment { vars: old } => {
                    for v in old {
                        match vars.iter_mut().find(|w| w.name == v.name) {
                            Some(w) => *w = v,
                            None => vars.push(v),
                        }
                    }
                }
                Run::Launchctl { vars: old } => {
                    for v in old {
                        match launchd.iter_mut().find(|w| w.name == v.name) {
                            Some(w) => *w = v,
                            None => launchd.push(v),
                        }
                    }
                }
                Run::DaemonReload => {
                    if !rest.contains(&Effect::DaemonReload) {
                        rest.push(Effect::DaemonReload);
                    }
                }
                Run::TryRestart { unit } => {
                    let e = Effect::TryRestart { unit };
                    if !rest.contains(&e) {
                        rest.push(e);
                    }
                }
            }
        }
    }
    // A reload before the restarts that need it.
    rest.sort_by_key(|e| !matches!(e, Effect::DaemonReload));
    let env = (!vars.is_empty()).then_some(Effect::Environment { vars });
    let launchd = (!launchd.is_empty()).then_some(Effect::Launchd { vars: launchd });
    Ok(env.into_iter().chain(launchd).chain(rest).collect())
}

impl RollbackPlan {
    /// Performs the rollback as a new generation and returns its number.
    pub fn apply(
        self,
        ctx: &Context,
        fault: Option<&Fault>,
        progress: &mut dyn Progress,
    ) -> Result<u32> {
        self.apply_reporting(ctx, fault, progress).map(|a| a.number)
    }

    /// [`RollbackPlan::apply`], returning what the transaction did (its number, the effects
    /// that ran, those skipped and why, warnings).
    pub fn apply_reporting(
        self,
        ctx: &Context,
        fault: Option<&Fault>,
        progress: &mut dyn Progress,
    ) -> Result<crate::apply::Applied> {
        let meta = Meta {
            command: "rollback".into(),
            time: ctx.now(),
            profile: None,
            profile_sha256: None,
            summary: self.why.clone(),
        };
        let prepared = prepare::sdks(ctx, &self.store, &self.plan, progress)?;
        super::transact(ctx, &self.store, &self.plan, meta, fault, &prepared, progress)
    }
}

fn read(shape: Shape, p: &Path) -> Result<(Option<Vec<u8>>, u32)> {
    let now = entry::read(shape, p).map_err(|e| {
        Error::new(ErrorKind::Machine, format!("cannot read `{}`: {e}", p.display()))
    })?;
    Ok(match now {
        Some((b, m)) => (Some(b), m),
        None => (None, 0o644),
    })
}
