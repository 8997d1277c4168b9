//! engine: everything a command does to the machine, behind one call per command. It owns the
//! state directory, recovery of an interrupted transaction, the lock, observing the machine
//! (files through the probe, the one remembered `dlv version`, the download index), planning,
//! preparing SDKs and tool builds before a transaction, applying, planning a rollback, drift and
//! history, and emptying the trash. The command line parses arguments, calls one function here,
//! and renders what it returns; the engine never prints (it reports through [`Progress`]).

mod against;
mod debris;
mod error;
mod history;
mod init;
mod observe;
pub mod planfile;
mod prepare;
mod reads;
mod rollback;

use std::path::{Path, PathBuf};

pub use crate::apply::Applied;
pub use crate::apply::Fault;
pub use against::plan_against;
pub use debris::{Debris, leftovers};
pub use error::{Changed, Error, ErrorKind, Result};
pub use history::{Drift, GcDone, GenerationSummary, Shown, Status, gc, generations, show, status};
pub use init::{Written, backup_path, init};
pub use observe::{observe, observe_reporting};
pub use reads::{Reading, state_reads};
pub use rollback::{RollbackPlan, Undoes, plan_rollback};

use crate::apply::{self, Meta};
use crate::context::Context;
use crate::plan::{self, Managed, ManagedPath, Plan, PlanError};
use crate::profile::{self, Profile};
use crate::resource::tilde_path;
use crate::rules;
use crate::store::Store;
use crate::units;

/// What the engine tells a person while it works; the command line decides how it looks.
pub trait Progress {
    /// A line worth saying (`building … with …`, recovery).
    fn note(&mut self, line: &str);
    /// `got` of `total` bytes of `name` downloaded.
    fn download(&mut self, _name: &str, _got: u64, _total: Option<u64>) {}
    /// Whether [`Progress::read`] is wanted (`-v`): listing reads costs a little.
    fn wants_reads(&self) -> bool {
        false
    }
    /// `path` is read, for `why` (a profile node, findings, the last generation).
    fn read(&mut self, _path: &Path, _why: &str) {}
    /// A finding made while applying (the effects were skipped), said like the plan's.
    fn finding(&mut self, f: &rules::Finding) {
        let mut text = format!("{}: {}", f.severity.word(), f.message);
        if let Some(h) = &f.help {
            text.push_str(&format!("\n  hint: {h}"));
        }
        self.note(&text);
    }
}

/// A [`Progress`] that hears nothing.
pub struct Silent;

impl Progress for Silent {
    fn note(&mut self, _line: &str) {}
}

pub fn state_dir(ctx: &Context) -> PathBuf {
    ctx.state_home.join("goenv")
}

/// goenv's cache: downloads (by sha256) and download indexes. Losing it loses nothing.
pub fn cache_dir(ctx: &Context) -> PathBuf {
    ctx.cache_home.join("goenv")
}

/// Opens the store (creating it), for commands that write.
pub(crate) fn open_store(ctx: &Context) -> Result<Store> {
    Ok(Store::open(state_dir(ctx))?)
}

/// The store as it is, for reading, if it exists: planning, `status`, `generations` and `show`
/// create and write nothing in the state directory.
pub(crate) fn existing_store(ctx: &Context) -> Result<Option<Store>> {
    let dir = state_dir(ctx);
    Ok(dir.is_dir().then(|| Store::existing(dir)))
}

/// The user's `systemd --user` manager, for effects.
pub(crate) fn user_manager(ctx: &Context) -> apply::UserManager {
    apply::UserManager {
        runtime_dir: ctx.runtime_dir.clone(),
        home: ctx.home.clone(),
        launchctl: launchctl_program(),
    }
}

/// `/bin/launchctl`. A macOS home made on Linux by the tests (`TEST_GOENV_ANY_PLATFORM=1`,
/// debug builds only) runs the `launchctl` found on PATH instead: the tests' recording stand-in,
/// since launchd cannot run on Linux.
fn launchctl_program() -> PathBuf {
    if any_platform() {
        return PathBuf::from("launchctl");
    }
    PathBuf::from(crate::formats::plist::LAUNCHCTL)
}

fn holder(command: &str) -> String {
    format!("pid {}: goenv {command}", std::process::id())
}

/// Any goenv command that finds a journal first puts every touched path back, and says so.
/// Refuses a home that belongs to another user than the one goenv runs as (root with
/// `--home /home/alice`). goenv reads and writes a home as its owner would: as anyone else it
/// could follow the owner's links out of the home (`~/.config/go/env -> /etc/shadow`), show
/// files the owner cannot read, and leave files the owner cannot change. A home that does not
/// exist yet is fine: what goenv creates is then the caller's.
pub fn refuse_foreign_home(ctx: &Context) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(&ctx.home) else { return Ok(()) };
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() == me {
        return Ok(());
    }
    let who = if me == 0 { "root".to_owned() } else { format!("uid {me}") };
    Err(Error::new(
        ErrorKind::Usage,
        format!(
            "goenv runs as {who}, but the home `{}` belongs to uid {}",
            ctx.home.display(),
            meta.uid()
        ),
    )
    .hint(format!(
        "run goenv as the home's owner, e.g. `sudo -u '#{}' goenv …` (in Ansible, `become_user`): \
         as anyone else it could follow the owner's links out of the home and leave files the \
         owner cannot change",
        meta.uid()
    )))
}

pub fn recover_if_needed(ctx: &Context, progress: &mut dyn Progress) -> Result<()> {
    if !state_dir(ctx).join("journal.toml").exists() {
        return Ok(());
    }
    let store = open_store(ctx)?;
    let _lock = store.lock(&holder("recovery"))?;
    let transaction = crate::interrupt::transaction();
    let recovered = apply::recover(&store, &user_manager(ctx));
    drop(transaction);
    let recovered = recovered.map_err(|e| {
        // The journal stays: the files it lists may be half restored until a later run.
        let mut err = Error::from(e);
        err.changed = Changed::Partly;
        err.hint = Some(
            "an interrupted change could not be put back yet; fix the cause and run goenv again: \
             it restores every path the journal lists"
                .into(),
        );
        err
    })?;
    match recovered {
        apply::Recovery::Nothing => {}
        apply::Recovery::Completed(late) => {
            progress.note("goenv: found the journal of a change that had completed; removed it");
            for (path, blob) in late {
                progress.note(&format!("warning: {}", apply::late_write(&path, &blob)));
            }
        }
        apply::Recovery::Restored(paths, undone) => {
            if paths.is_empty() {
                progress.note(
                    "goenv: found an interrupted change that had not written any file yet; removed its journal",
                );
            } else {
                let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                progress.note(&format!(
                    "goenv: found an interrupted change; put every path it touched back as it was: {}",
                    shown.join(", ")
                ));
            }
            match undone {
                apply::Undone::Nothing => {}
                apply::Undone::Ran(done) => progress.note(&format!(
                    "goenv: undid its effects on the user manager: {}",
                    done.join(", ")
                )),
                apply::Undone::Unreachable(why) => progress.note(&format!(
                    "goenv: could not undo its effects: {why}; the user manager reads the \
                     restored files when it starts"
                )),
            }
        }
    }
    remove_debris(ctx, &store, progress);
    Ok(())
}

/// Leftovers as a message shows them: `` `~/sdk/.goenv-staging-x` (51.2 MB), … ``.
pub fn debris_shown(debris: &[Debris], ctx: &Context) -> String {
    debris::describe(debris, &ctx.home)
}

/// Removes what an interrupted goenv left (the caller holds the lock), and says so.
pub(crate) fn remove_debris(ctx: &Context, store: &Store, progress: &mut dyn Progress) {
    let removed = debris::remove(debris::find(ctx, Some(store)));
    if !removed.is_empty() {
        progress.note(&format!(
            "goenv: removed what an interrupted goenv left: {}",
            debris::describe(&removed, &ctx.home)
        ));
    }
}

/// Loads and validates a profile; every problem comes back in the error.
pub fn load_profile(path: &Path, ctx: &Context) -> Result<Profile> {
    profile::load(path, ctx).map_err(|r| Error::profile(path, r.sources, r.problems))
}

/// What the latest generation left goenv managing, with each path's original content.
pub(crate) fn managed(store: Option<&Store>) -> Result<Managed> {
    let Some(store) = store else { return Ok(Managed::default()) };
    let Some(latest) = store.latest()? else {
        return Ok(Managed::default());
    };
    let originals = store.originals()?;
    let mut paths = Vec::new();
    for r in latest.paths.iter().filter(|r| r.managed) {
        let original = match originals.get(&r.path).cloned().flatten() {
            Some(h) => Some(store.get_blob(&h)?),
            None => None,
        };
        paths.push(ManagedPath { id: r.resource.clone(), path: r.path.clone(), original });
    }
    Ok(Managed { paths })
}

/// Observes the machine and plans `profile` against it, with its findings.
pub fn make_plan(profile: &Profile, ctx: &Context) -> Result<Plan> {
    make_plan_reporting(profile, ctx, &mut Silent)
}

/// [`make_plan`], telling `progress` every path it reads and why (`-v`).
pub fn make_plan_reporting(
    profile: &Profile,
    ctx: &Context,
    progress: &mut dyn Progress,
) -> Result<Plan> {
    Ok(plan_parts(profile, ctx, progress, None)?.0)
}

/// What a plan was made from beside the machine's files: the `go` node as resolved and the
/// download index it was resolved through (what a saved plan pins).
pub(crate) struct Resolved {
    pub go: Option<units::GoResolved>,
    pub index: Option<crate::probe::FetchedIndex>,
}

/// Plans `profile`, with `pinned` standing in for the download index (see
/// [`observe::observe_pinned`]), and says what the plan was resolved through.
pub(crate) fn plan_parts(
    profile: &Profile,
    ctx: &Context,
    progress: &mut dyn Progress,
    pinned: Option<&crate::probe::FetchedIndex>,
) -> Result<(Plan, Resolved)> {
    let store = existing_store(ctx)?;
    let managed = managed(store.as_ref())?;
    let input = units::Input { profile, ctx };
    let mut observed = observe::observe_pinned(input, &managed, progress, pinned)?;
    let desired = units::desired(input, &observed)
        .map_err(|problems| Error::unplannable(profile.sources.clone(), problems))?;
    let mut plan = plan::compute(&desired, &observed, &managed).map_err(|e| plan_error(e, ctx))?;
    plan.findings = rules::findings(rules::Input {
        ctx,
        observed: &observed,
        profile: Some(profile),
        desired: Some(&desired),
    });
    let resolved = Resolved { go: desired.go, index: observed.index.take() };
    Ok((plan, resolved))
}

/// A file the plan cannot be made over, as the engine's error.
fn plan_error(e: PlanError, ctx: &Context) -> Error {
    match e {
        PlanError::Path { path, at, reason, hint } => {
            let at = at.map(|(line, column)| format!(":{line}:{column}")).unwrap_or_default();
            let hint = hint.unwrap_or_else(|| "fix the file by hand".into());
            Error::new(
                ErrorKind::Machine,
                format!("cannot plan `{}{at}`: {reason}", tilde_path(&path, &ctx.home)),
            )
            .hint(format!("{hint}, then plan again"))
        }
    }
}

/// `apply` refuses to pretend to be another platform or host: it changes this machine.
pub fn check_host(ctx: &Context) -> Result<()> {
    use crate::context::{Arch, Os};
    let other_platform =
        ctx.os != Os::host().unwrap_or(ctx.os) || ctx.arch != Arch::host().unwrap_or(ctx.arch);
    if other_platform && !any_platform() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!(
                "`apply` changes this machine: it cannot pretend to be {}/{}",
                ctx.os, ctx.arch
            ),
        )
        .hint("use `goenv plan --os … --arch …` to see what another platform would get"));
    }
    let here = crate::context::host_name();
    if ctx.host != here && !any_platform() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!(
                "`apply` changes this machine, host `{here}`: `--host` cannot make it pretend to \
                 be `{}`",
                ctx.host
            ),
        )
        .hint("use `goenv plan --host …` to see what another machine would get"));
    }
    Ok(())
}

/// The tests' switch to apply for another platform's `--os`/`--arch` or another `--host` on a
/// temporary home (a macOS home made on Linux, to check `plan --against` with; Alice's
/// workstation): `TEST_GOENV_ANY_PLATFORM=1`.
/// Debug builds only; a release build never reads it. The files written are the other
/// platform's; an SDK is that platform's archive, unpacked and never run.
fn any_platform() -> bool {
    cfg!(debug_assertions) && std::env::var_os("TEST_GOENV_ANY_PLATFORM").is_some_and(|v| v == "1")
}

/// A plan made under the lock, ready to be applied.
pub struct Pending {
    store: Store,
    _lock: crate::store::LockGuard,
    pub plan: Plan,
}

/// Takes the lock and plans `profile`, for `apply`, telling `progress` what it reads.
pub fn plan_for_apply(
    profile: &Profile,
    ctx: &Context,
    progress: &mut dyn Progress,
) -> Result<Pending> {
    check_host(ctx)?;
    let store = open_store(ctx)?;
    let lock = store.lock(&holder("apply"))?;
    let plan = make_plan_reporting(profile, ctx, progress)?;
    Ok(Pending { store, _lock: lock, plan })
}

/// Applies a pending plan of `profile` (at `profile_path`) as a new generation: SDKs and tools
/// are prepared first, then one transaction. Returns what it did: the generation's number, the
/// effects run or skipped, the warnings.
pub fn apply(
    ctx: &Context,
    pending: Pending,
    profile: &Profile,
    profile_path: &Path,
    summary: String,
    fault: Option<&Fault>,
    progress: &mut dyn Progress,
) -> Result<Applied> {
    let Pending { store, _lock, mut plan } = pending;
    let text = std::fs::read(profile_path).unwrap_or_default();
    let meta = Meta {
        command: "apply".into(),
        time: ctx.now(),
        profile: Some(
            std::fs::canonicalize(profile_path)
                .unwrap_or(profile_path.to_path_buf())
                .display()
                .to_string(),
        ),
        profile_sha256: Some(crate::digest::sha256(&text).to_string()),
        summary,
    };
    let prepared = prepare::sdks(ctx, &store, &plan, progress)?;
    prepare::tools(ctx, profile, &mut plan, &prepared, progress)?;
    transact(ctx, &store, &plan, meta, fault, &prepared, progress)
}

/// Runs the transaction and returns what it did: the generation, the effects that ran, those
/// skipped and why, and the warnings (each also told to `progress`). When it fails and leaves
/// its journal (some path may be written, or the manifest is missing), the error says so instead
/// of "nothing was changed": the next goenv command recovers from the journal.
pub(crate) fn transact(
    ctx: &Context,
    store: &Store,
    plan: &Plan,
    meta: Meta,
    fault: Option<&Fault>,
    prepared: &crate::sdk::install::Prepared,
    progress: &mut dyn Progress,
) -> Result<Applied> {
    // SIGINT and SIGTERM wait for the transaction to finish.
    let _transaction = crate::interrupt::transaction();
    let manager = user_manager(ctx);
    let done = apply::apply(store, plan, meta, fault, prepared.roots(), &manager);
    if done.is_ok() {
        crate::interrupt::changed();
    }
    if let Ok(applied) = &done {
        if !applied.ran.is_empty() {
            progress.note(&format!("ran {}", applied.ran.join(", ")));
        }
        if let Some((why, skipped)) = &applied.skipped {
            progress.finding(&rules::user_manager_unreachable(why, skipped));
        }
        for warning in &applied.warnings {
            progress.note(&format!("warning: {warning}"));
        }
    }
    done.map_err(|e| {
        let mut err = Error::from(e);
        if state_dir(ctx).join("journal.toml").exists() {
            err.changed = Changed::Partly;
            err.hint = Some(
                "some files may already be changed: once the cause is fixed, any goenv command \
                 finds the interrupted change's journal and puts every path back as it was"
                    .into(),
            );
        }
        err
    })
}

/// The crash-safety tests' switch: stop dead at a named point of a transaction. Debug builds
/// only; a release build never reads it.
pub fn fault() -> Option<Fault> {
    if !cfg!(debug_assertions) {
        return None;
    }
    std::env::var("TEST_GOENV_PAUSE_AT").ok().map(|pause_at| Fault { pause_at })
}

/// What `goenv doctor` reports: every context's prediction, and with a profile its findings too.
pub struct DoctorOutcome {
    pub report: crate::doctor::Report,
    /// The profile's path, the plan's findings and the profile's secrets (to redact them), when
    /// a profile was given or exists.
    pub profile: Option<(PathBuf, Vec<rules::Finding>, Vec<String>)>,
}

/// Predicts what every context sees; reads files only unless `opts.exec`.
pub fn doctor(
    ctx: &Context,
    opts: &crate::doctor::Options,
    profile: Option<&Path>,
) -> Result<DoctorOutcome> {
    let report = crate::doctor::diagnose(ctx, opts).map_err(|e| {
        let ids = crate::doctor::context_ids(ctx).join(", ");
        Error::new(ErrorKind::Usage, e.to_string()).hint(format!("contexts here: {ids}"))
    })?;
    let profile = match profile {
        Some(path) => {
            let p = load_profile(path, ctx)?;
            let plan = make_plan(&p, ctx)?;
            Some((path.to_path_buf(), plan.findings, p.secrets()))
        }
        None => None,
    };
    Ok(DoctorOutcome { report, profile })
}

/// Writes a report a command was asked to write (`plan --markdown-out FILE`: its parts), each
/// file replaced atomically; a report is output, not machine state, so no generation records it.
pub fn write_report(path: &Path, text: &str) -> Result<()> {
    crate::fsx::replace_file(path, text.as_bytes(), 0o644).map_err(|e| {
        Error::new(ErrorKind::Usage, format!("cannot write `{}`: {e}", path.display()))
            .hint("give `--markdown-out` a path in a directory that exists and can be written")
    })
}
