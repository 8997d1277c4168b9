//! Apply: the only code that writes to the user's files, always through one transaction.
//!
//! 1. The caller holds the store's lock.
//! 2. Every touched path is read again and must still be what the plan saw.
//! 3. Every before- and after-content is stored as a blob, and the directories the new contents
//!    need that do not exist yet are recorded as goenv's.
//! 4. The journal lists every step.
//! 5. Each path is replaced atomically (or removed).
//! 6. The effects run ([`effects`]: `systemctl --user …`), in order. They were resolved
//!    against the user manager before step 4, so the journal already holds each one's undo
//!    (the manager's old values). No manager reachable: they are skipped, and said so.
//! 7. The generation manifest is written, with the effects that ran and their undo.
//! 8. The journal is removed, and every directory goenv created that is now empty (its files
//!    were removed or rolled back) is removed too.
//!
//! A process killed anywhere in 3–8 leaves a journal, and the next goenv command puts every
//! path back first, then runs every journaled effect's undo ([`recover`]). An effect that
//! fails does the same at once: the files and the manager are as they were before.

pub mod effects;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::plan::{Change, Kept, Plan};
use crate::resource::ResourceId;
use crate::resource::effect::{self, Effect};
use crate::resource::entry::{self, Shape, Trees};
use crate::store::{Generation, Hash, Journal, PathRecord, Step, Store, StoreError};
pub use effects::UserManager;

/// Points where a debug build can be told to stop dead, for the crash-safety tests.
/// Compiled out of release builds.
#[derive(Debug, Clone)]
pub struct Fault {
    /// `blobs`, `journal`, `step-N` (after the Nth path is written), `effects` (every path
    /// written, no effect run yet), `effect-N` (after the Nth effect ran), `manifest`.
    pub pause_at: String,
}

impl Fault {
    fn reached(fault: Option<&Fault>, point: &str) {
        if cfg!(debug_assertions) && fault.is_some_and(|f| f.pause_at == point) {
            // The test kills the process with SIGKILL once it reads this line.
            eprintln!("goenv: paused at {point}");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(60));
            }
        }
    }
}

/// What a generation records about itself.
#[derive(Debug, Clone)]
pub struct Meta {
    pub command: String,
    pub time: String,
    pub profile: Option<String>,
    pub profile_sha256: Option<String>,
    pub summary: String,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum ApplyError {
    #[error("`{0}` changed since the plan was made; nothing was written")]
    #[diagnostic(
        code(goenv::apply::changed),
        help("run the command again to plan against the new content")
    )]
    Changed(String),
    #[error(transparent)]
    #[diagnostic(code(goenv::store))]
    Store(#[from] StoreError),
    #[error(
        "{why}{}; goenv put every file back as it was and undid the effects that had run",
        if done.is_empty() { String::new() } else { format!(" (it had already run: {})", done.join(", ")) }
    )]
    #[diagnostic(
        code(goenv::apply::effect),
        help(
            "nothing is left changed; fix the cause (`systemctl --user status`) and run the command again"
        )
    )]
    Effect { why: String, done: Vec<String> },
    #[error("cannot undo the effects of an interrupted change: {0}")]
    #[diagnostic(code(goenv::apply::undo))]
    Undo(String),
    #[error("cannot write `{path}`: {source}")]
    #[diagnostic(
        code(goenv::apply::write),
        help("every path was put back as it was; fix the cause and run the command again")
    )]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Performs `plan` as generation `store.next_number()` and returns its number.
///
/// `staged` maps each SDK the plan installs to a complete tree unpacked beside its destination
/// (see `sdk::prepare`); an SDK not staged must be in the trash.
/// What a transaction did.
#[derive(Debug)]
pub struct Applied {
    pub number: u32,
    /// The effects that ran, as `systemctl --user …` without values.
    pub ran: Vec<String>,
    /// Why the plan's effects were skipped (no user manager for this home), and which.
    pub skipped: Option<(String, Vec<String>)>,
}

pub fn apply(
    store: &Store,
    plan: &Plan,
    meta: Meta,
    fault: Option<&Fault>,
    staged: &BTreeMap<PathBuf, PathBuf>,
    manager: &UserManager,
) -> Result<Applied, ApplyError> {
    for c in plan.paths() {
        let now = entry::read(c.id.kind.shape(), &c.path)
            .map_err(|source| ApplyError::Write { path: c.path.display().to_string(), source })?;
        if now.map(|(b, _)| b) != c.before {
            return Err(ApplyError::Changed(c.path.display().to_string()));
        }
    }
    let number = store.next_number()?;
    let mut records = Vec::new();
    let mut steps = Vec::new();
    for c in plan.paths() {
        let before = put(store, c.before.as_deref())?;
        let after = put(store, c.after.as_deref())?;
        steps.push(Step {
            path: c.path.clone(),
            before: before.clone(),
            after: after.clone(),
            mode: Some(c.mode),
            kind: c.id.kind.shape(),
        });
        records.push(record(c, before, after));
    }
    for k in &plan.unchanged {
        records.push(kept(k, put(store, k.content.as_deref())?));
    }
    // The effects, resolved before the journal so that it holds what undoes each one.
    let planned: Vec<(ResourceId, Effect)> =
        plan.effects().map(|(c, e)| (c.id.clone(), e)).collect();
    let mut skipped = None;
    let effects = if planned.is_empty() {
        Vec::new()
    } else {
        let runs: Vec<effect::Run> = planned.iter().map(|(_, e)| e.as_run()).collect();
        let (systemd, launchd) = effects::needs(runs.iter());
        match manager.answers(systemd, &launchd) {
            Ok(envs) => effects::resolve(&planned, &envs),
            Err(why) => {
                let what = planned.iter().map(|(_, e)| e.names()).collect();
                skipped = Some((why, what));
                Vec::new()
            }
        }
    };
    store.add_created_dirs(&missing_dirs(plan))?;
    Fault::reached(fault, "blobs");
    store.write_journal(&Journal { generation: number, steps, effects: effects.clone() })?;
    Fault::reached(fault, "journal");
    let trash = store.trash_dir();
    let trees = Trees { trash: &trash, staged };
    for (i, c) in plan.paths().enumerate() {
        if let Err(source) = write(c, trees) {
            let path = c.path.display().to_string();
            // Put everything back before reporting: every file stays wholly old.
            store.recover()?;
            tidy(store);
            return Err(ApplyError::Write { path, source });
        }
        Fault::reached(fault, &format!("step-{}", i + 1));
    }
    if !effects.is_empty() {
        Fault::reached(fault, "effects");
    }
    for (i, step) in effects.iter().enumerate() {
        if let Err(why) = manager.run(&step.run) {
            // Files back first (a reload must read the old ones), then every effect's undo.
            let journal = store.read_journal()?.unwrap_or_default();
            store.restore_journaled(&journal)?;
            undo(&journal.effects, manager)?;
            store.remove_journal()?;
            tidy(store);
            let done = effects[..i].iter().map(|s| s.run.names()).collect();
            return Err(ApplyError::Effect { why, done });
        }
        Fault::reached(fault, &format!("effect-{}", i + 1));
    }
    store.write_generation(&Generation {
        number,
        time: meta.time,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        command: meta.command,
        profile: meta.profile,
        profile_sha256: meta.profile_sha256.and_then(|h| Hash::parse(&h).ok()),
        summary: meta.summary,
        paths: records,
        effects: effects.clone(),
    })?;
    Fault::reached(fault, "manifest");
    store.remove_journal()?;
    tidy(store);
    let ran = effects.iter().map(|s| s.run.names()).collect();
    Ok(Applied { number, ran, skipped })
}

/// Runs every effect's undo, in the plan's order (a reload before the restarts that need it),
/// after the files are back. Each undo is idempotent: an effect that had not run yet is undone
/// to the values the manager already has. A manager that no longer answers has nothing to put
/// back (when it starts again it reads the restored files): that is returned, not an error.
fn undo(steps: &[effect::Step], manager: &UserManager) -> Result<Undone, ApplyError> {
    if steps.is_empty() {
        return Ok(Undone::Nothing);
    }
    let (systemd, launchd) = effects::needs(steps.iter().map(|s| &s.undo));
    if let Err(why) = manager.answers(systemd, &launchd) {
        return Ok(Undone::Unreachable(why));
    }
    let mut done = Vec::new();
    for s in steps {
        manager.run(&s.undo).map_err(ApplyError::Undo)?;
        done.push(s.undo.names());
    }
    Ok(Undone::Ran(done))
}

/// What recovery did about the effects of an interrupted change.
#[derive(Debug, PartialEq, Eq)]
pub enum Undone {
    /// It had none.
    Nothing,
    /// These undo commands ran (without values).
    Ran(Vec<String>),
    /// The user manager did not answer: nothing to put back there.
    Unreachable(String),
}

/// The directories that do not exist yet and that writing the plan's new contents creates.
fn missing_dirs(plan: &Plan) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for c in plan.paths().filter(|c| c.after.is_some() || c.build.is_some()) {
        let mut dir = c.path.parent();
        while let Some(d) = dir.filter(|d| std::fs::symlink_metadata(d).is_err()) {
            if !out.iter().any(|o: &PathBuf| o == d) {
                out.push(d.to_path_buf());
            }
            dir = d.parent();
        }
    }
    out
}

/// Removes the directories goenv created that the change left empty. Only tidiness: a
/// directory that cannot be removed stays, and is tried again after the next change.
fn tidy(store: &Store) {
    let _ = store.remove_empty_created_dirs();
}

fn put(store: &Store, bytes: Option<&[u8]>) -> Result<Option<Hash>, StoreError> {
    bytes.map(|b| store.put_blob(b)).transpose()
}

fn write(c: &Change, trees: Trees) -> std::io::Result<()> {
    entry::put(c.id.kind.shape(), &c.path, c.before.as_deref(), c.after.as_deref(), c.mode, trees)
}

fn record(c: &Change, before: Option<Hash>, after: Option<Hash>) -> PathRecord {
    PathRecord {
        path: c.path.clone(),
        resource: c.id.clone(),
        before,
        after,
        mode: Some(c.mode),
        managed: c.managed,
    }
}

fn kept(k: &Kept, hash: Option<Hash>) -> PathRecord {
    PathRecord {
        path: k.path.clone(),
        resource: k.id.clone(),
        before: hash.clone(),
        after: hash,
        mode: Some(k.mode),
        managed: true,
    }
}

/// What recovery found.
#[derive(Debug, PartialEq, Eq)]
pub enum Recovery {
    /// No journal: nothing was in flight.
    Nothing,
    /// The manifest had been written: the change was complete, only its journal was left.
    Completed,
    /// The change was interrupted: these paths were put back to their previous content, and
    /// its effects undone.
    Restored(Vec<PathBuf>, Undone),
}

/// Finishes or undoes an interrupted transaction. The caller holds the lock.
pub fn recover(store: &Store, manager: &UserManager) -> Result<Recovery, ApplyError> {
    let Some(journal) = store.read_journal()? else { return Ok(Recovery::Nothing) };
    // A killed install may have left a staging directory beside the SDKs it touched.
    for step in journal.steps.iter().filter(|s| s.kind == Shape::Sdk) {
        if let Some(dir) = step.path.parent() {
            crate::sdk::install::remove_stale_staging(dir);
        }
    }
    if store.generation_numbers()?.contains(&journal.generation) {
        store.remove_journal()?;
        return Ok(Recovery::Completed);
    }
    let paths = store.restore_journaled(&journal)?;
    let undone = undo(&journal.effects, manager)?;
    store.remove_journal()?;
    Ok(Recovery::Restored(paths, undone))
}
