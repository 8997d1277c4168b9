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
//! 8. The companions are removed, then the journal, and every directory goenv created that is
//!    now empty (its files were removed or rolled back) is removed too.
//!
//! Each file step of 5 writes its new content to a companion named by the journal's generation
//! and the step's number (`.goenv-<generation>-<step>`, beside the file) and exchanges it with
//! the file ([`fsx::swap`]): afterwards the companion is the replaced file itself, checked
//! against what the plan read (a user's write in between is put back, and the change stopped),
//! and putting the path back is one rename, which a full disk does not stop.
//!
//! A process killed anywhere in 3–8 leaves a journal, and the next goenv command puts every
//! path back first, then runs every journaled effect's undo ([`recover`]). An effect that
//! fails, a write that fails, or a manifest that cannot be written does the same at once: the
//! files and the manager are as they were before, and the error says so. Only when putting
//! back fails too does the error say which state the files are in; the journal stays for the
//! next command. Nothing after the manifest (removing companions and the journal) makes a
//! recorded change fail: it is a warning.

pub mod effects;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::fsx;
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
        help("nothing is left changed; fix the cause ({check}) and run the command again")
    )]
    Effect {
        why: String,
        done: Vec<String>,
        /// Where to look: the manager the failing effect talks to.
        check: &'static str,
    },
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
    #[error("cannot write `{path}`: {first}; then putting the files back failed too: {restore}")]
    #[diagnostic(
        code(goenv::apply::mixed),
        help(
            "some files are new and some old; the journal of the change is kept, and the next \
             goenv command (once the cause is fixed: free space, permissions) puts every path \
             back as it was"
        )
    )]
    Mixed { path: String, first: String, restore: String },
    #[error(
        "cannot record generation: {why}; {}",
        match restore {
            None => "goenv put every file back as it was and undid the effects that had run".to_string(),
            Some(e) => format!("then putting the files back failed too: {e}"),
        }
    )]
    #[diagnostic(
        code(goenv::apply::manifest),
        help(
            "a change no generation records cannot be rolled back, so it is not kept; if putting \
             back failed, the next goenv command finishes it; fix the cause (free space, \
             permissions of ~/.local/state/goenv) and run the command again"
        )
    )]
    Manifest { why: String, restore: Option<String> },
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
    /// What went wrong after the change was complete and recorded (it still succeeded).
    pub warnings: Vec<String>,
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
        let outcome = write(c, trees, number, i);
        if !matches!(outcome, Ok(fsx::Swapped::Done)) {
            let path = c.path.display().to_string();
            // Put everything back before reporting: every file stays wholly old. The steps
            // swapped in so far are renames of their companions back, which need no space.
            let first = match &outcome {
                Err(source) => source.to_string(),
                Ok(_) => "someone changed it while goenv was writing".into(),
            };
            return Err(match (put_back(store), outcome) {
                (Err(restore), _) => {
                    ApplyError::Mixed { path, first, restore: restore.to_string() }
                }
                (Ok(()), Err(source)) => ApplyError::Write { path, source },
                (Ok(()), Ok(_)) => ApplyError::Changed(path),
            });
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
            let check = match step.run {
                effect::Run::Launchctl { .. } => "`launchctl print gui/$(id -u)`",
                _ => "`systemctl --user status`",
            };
            return Err(ApplyError::Effect { why, done, check });
        }
        Fault::reached(fault, &format!("effect-{}", i + 1));
    }
    let written = store.write_generation(&Generation {
        number,
        time: meta.time,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        command: meta.command,
        profile: meta.profile,
        profile_sha256: meta.profile_sha256.and_then(|h| Hash::parse(&h).ok()),
        summary: meta.summary,
        paths: records,
        effects: effects.clone(),
    });
    let mut warnings = Vec::new();
    if let Err(e) = written {
        if store.generation_numbers().is_ok_and(|n| n.contains(&number)) {
            // The manifest is in place; only making its directory durable failed.
            warnings.push(format!("generation {number} is recorded, but {e}"));
        } else {
            // Not recorded: a change no generation knows cannot be rolled back, so it is undone.
            let journal = store.read_journal()?.unwrap_or_default();
            let back =
                store.restore_journaled(&journal).map_err(|e| e.to_string()).and_then(|_| {
                    undo(&journal.effects, manager).map_err(|e| e.to_string())?;
                    store.remove_journal().map_err(|e| e.to_string())
                });
            tidy(store);
            return Err(ApplyError::Manifest { why: e.to_string(), restore: back.err() });
        }
    }
    Fault::reached(fault, "manifest");
    // The change is complete and recorded: nothing from here on makes it fail. What is left
    // (a companion, the journal) is removed by the next goenv command.
    let finish = store
        .read_journal()
        .and_then(|j| j.map_or(Ok(Vec::new()), |j| store.forget_companions(&j)))
        .and_then(|late| store.remove_journal().map(|()| late));
    if let Ok(late) = &finish {
        warnings.extend(late.iter().map(|(path, blob)| late_write(path, blob)));
    }
    if let Err(e) = finish {
        warnings.push(format!(
            "generation {number} is complete and recorded, but {e}; the next goenv command \
             tidies up"
        ));
    }
    tidy(store);
    let ran = effects.iter().map(|s| s.run.names()).collect();
    Ok(Applied { number, ran, skipped, warnings })
}

/// The warning for a write that reached a file's old copy after goenv had replaced it.
pub(crate) fn late_write(path: &std::path::Path, blob: &std::path::Path) -> String {
    format!(
        "`{}` was written while goenv replaced it, into the copy it replaced; what was written \
         is kept in `{}`",
        path.display(),
        blob.display()
    )
}

/// Undoes the steps of the transaction in flight (its journal) and removes the journal.
fn put_back(store: &Store) -> Result<(), StoreError> {
    let journal = store.read_journal()?.unwrap_or_default();
    store.restore_journaled(&journal)?;
    store.remove_journal()?;
    tidy(store);
    Ok(())
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

fn write(c: &Change, trees: Trees, generation: u32, step: usize) -> std::io::Result<fsx::Swapped> {
    let keep = fsx::companion(&c.path, generation, step)?;
    let (before, after) = (c.before.as_deref(), c.after.as_deref());
    entry::put(c.id.kind.shape(), &c.path, before, after, c.mode, trees, &keep)
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
    /// The manifest had been written: the change was complete, only its journal was left
    /// (and its companions: each file written into after its swap, with the blob now holding
    /// that write).
    Completed(Vec<(PathBuf, PathBuf)>),
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
        let late = store.forget_companions(&journal)?;
        store.remove_journal()?;
        return Ok(Recovery::Completed(late));
    }
    let paths = store.restore_journaled(&journal)?;
    let undone = undo(&journal.effects, manager)?;
    store.remove_journal()?;
    Ok(Recovery::Restored(paths, undone))
}
