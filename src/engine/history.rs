//! History: drift since the latest generation, the list of generations, what one changed, and gc
//! (old generations, unreferenced blobs, and the SDK trash).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Error, ErrorKind, Result, existing_store, holder};
use crate::context::Context;
use crate::plan::{self, Change};
use crate::resource::{Kind, entry};
use crate::store::{Generation, Hash, Store};

/// A managed path whose content differs from what the latest generation left, as a change from
/// that content to what is there now. In a file goenv shares (a marker block, VS Code's
/// settings), only a change in goenv's part is drift.
pub struct Drift {
    pub change: Change,
}

/// The latest generation and every managed path that drifted since.
pub(crate) fn drift(store: &Store) -> Result<Option<(Generation, Vec<Drift>)>> {
    let Some(latest) = store.latest()? else { return Ok(None) };
    let state = store.state_after(latest.number)?;
    let mut out = Vec::new();
    for r in latest.paths.iter().filter(|r| r.managed) {
        let expected_hash = state.get(&r.path).cloned().flatten();
        let current = entry::read(r.resource.kind.shape(), &r.path).map_err(|e| {
            Error::new(ErrorKind::Machine, format!("cannot read `{}`: {e}", r.path.display()))
        })?;
        let current_hash = current.as_ref().map(|(b, _)| crate::digest::sha256(b));
        if current_hash != expected_hash {
            let expected = blob(store, expected_hash.as_ref())?;
            // In a file goenv shares, an edit outside goenv's part is not drift.
            let kind = r.resource.kind;
            let now = current.as_ref().map(|(b, _)| b.as_slice());
            if plan::owned(kind, now) == plan::owned(kind, expected.as_deref()) {
                continue;
            }
            let mode = current.as_ref().map_or(r.mode.unwrap_or(0o644), |(_, m)| *m);
            let current = current.map(|(b, _)| b);
            // Shown as a change of goenv's part only: the rest of a shared file as it is now.
            let expected = plan::put_back(kind, current.as_deref(), expected.as_deref());
            let change =
                Change::between(r.resource.clone(), r.path.clone(), expected, current, mode, true);
            out.push(Drift { change });
        }
    }
    Ok(Some((latest, out)))
}

/// What `status` reports about history.
pub enum Status {
    /// goenv has not changed this machine.
    NoGeneration,
    /// The latest generation's number and time, and what drifted since.
    Since { number: u32, time: String, drifted: Vec<Drift>, secrets: Vec<String> },
}

/// Drift since the latest generation, for `status`.
pub fn status(ctx: &Context) -> Result<Status> {
    let Some(store) = existing_store(ctx)? else { return Ok(Status::NoGeneration) };
    match drift(&store)? {
        None => Ok(Status::NoGeneration),
        Some((latest, drifted)) => Ok(Status::Since {
            number: latest.number,
            time: latest.time,
            drifted,
            secrets: all_secrets(ctx, &store),
        }),
    }
}

pub(crate) fn blob(store: &Store, hash: Option<&Hash>) -> Result<Option<Vec<u8>>> {
    Ok(hash.map(|h| store.get_blob(h)).transpose()?)
}

/// The state right after generation `n`, as contents.
pub(crate) fn contents_after(store: &Store, n: u32) -> Result<BTreeMap<PathBuf, Option<Vec<u8>>>> {
    let state = store.state_after(n)?;
    state.into_iter().map(|(p, h)| Ok((p, blob(store, h.as_ref())?))).collect()
}

/// The secrets of every profile a generation was applied from.
pub(crate) fn all_secrets(ctx: &Context, store: &Store) -> Vec<String> {
    let profiles = store.index().map(|i| i.profiles).unwrap_or_default();
    profiles
        .iter()
        .filter_map(|p| crate::profile::load(Path::new(p), ctx).ok())
        .flat_map(|p| p.secrets())
        .collect()
}

/// One line of `goenv generations`.
pub struct GenerationSummary {
    pub number: u32,
    pub time: String,
    pub command: String,
    pub changed: usize,
    pub summary: String,
    pub profile: Option<String>,
}

/// Every generation, oldest first.
pub fn generations(ctx: &Context) -> Result<Vec<GenerationSummary>> {
    let Some(store) = existing_store(ctx)? else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for n in store.generation_numbers()? {
        let g = store.load_generation(n)?;
        out.push(GenerationSummary {
            number: g.number,
            changed: g.paths.iter().filter(|r| r.before != r.after).count(),
            time: g.time,
            command: g.command,
            summary: g.summary,
            profile: g.profile,
        });
    }
    Ok(out)
}

/// What one generation changed.
pub struct Shown {
    pub summary: GenerationSummary,
    pub changes: Vec<Change>,
    /// The effects that ran after the paths were written, in order, each with its undo.
    pub effects: Vec<crate::resource::effect::Step>,
    pub secrets: Vec<String>,
}

/// Generation `n` with its changes.
pub fn show(ctx: &Context, n: u32) -> Result<Shown> {
    let store = existing_store(ctx)?.ok_or_else(|| {
        Error::new(ErrorKind::Usage, "no generation yet: goenv has not changed this machine")
    })?;
    let g = store.load_generation(n)?;
    let mut changes = Vec::new();
    for r in g.paths.iter().filter(|r| r.before != r.after) {
        changes.push(Change::between(
            r.resource.clone(),
            r.path.clone(),
            blob(&store, r.before.as_ref())?,
            blob(&store, r.after.as_ref())?,
            r.mode.unwrap_or(0o644),
            r.managed,
        ));
    }
    let secrets = all_secrets(ctx, &store);
    let summary = GenerationSummary {
        number: g.number,
        changed: changes.len(),
        time: g.time,
        command: g.command,
        summary: g.summary,
        profile: g.profile,
    };
    Ok(Shown { summary, changes, effects: g.effects, secrets })
}

/// What gc removed.
pub struct GcDone {
    /// What an interrupted goenv had left, now removed.
    pub debris: Vec<super::Debris>,
    pub sdks: usize,
    pub generations: usize,
    pub blobs: usize,
    pub bytes: u64,
}

/// Keeps the newest `keep` generations, removes blobs only older ones referred to, empties
/// the SDK trash and removes what an interrupted goenv left. `None` when goenv has no state here.
pub fn gc(ctx: &Context, keep: usize) -> Result<Option<GcDone>> {
    if existing_store(ctx)?.is_none() {
        return Ok(None);
    }
    let store = super::open_store(ctx)?;
    let _lock = store.lock(&holder("gc"))?;
    // gc changes goenv's own state only; a failure halfway has still removed something.
    let partly = |e: Error| Error { changed: super::Changed::Partly, ..e };
    let r = store.gc(keep).map_err(|e| partly(e.into()))?;
    let sdks = empty_trash(&store).map_err(partly)?;
    let debris = super::debris::remove(super::debris::find(ctx, Some(&store)));
    Ok(Some(GcDone {
        debris,
        sdks,
        generations: r.generations_removed,
        blobs: r.blobs_removed,
        bytes: r.bytes_freed,
    }))
}

/// Deletes the SDK trees pruned or rolled back out of place: the state directory's trash and the
/// `.goenv-trash` beside each SDK directory goenv manages. Returns how many trees were removed.
fn empty_trash(store: &Store) -> Result<usize> {
    let mut trashes = vec![store.trash_dir()];
    for r in store.index()?.paths {
        if r.resource.kind == Kind::Sdk
            && let Some(dir) = r.path.parent()
        {
            let local = dir.join(entry::LOCAL_TRASH);
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
            std::fs::remove_dir_all(&path).map_err(|err| {
                Error::new(ErrorKind::State, format!("cannot remove `{}`: {err}", path.display()))
            })?;
            removed += 1;
        }
    }
    Ok(removed)
}
