//! What the commands that touch the machine share: the state directory, recovery of an
//! interrupted transaction, loading a profile, probing, planning and drift.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, Report, miette};

use super::{Ui, report};
use crate::apply;
use crate::context::Context;
use crate::entry::EntryKind;
use crate::plan::{self, Managed, ManagedPath, Plan, PlanError, desired};
use crate::probe::{self, Observed};
use crate::profile::{self, Profile};
use crate::sdk::fetch::{FetchOptions, Fetcher};
use crate::sdk::install::{self, Prepared};
use crate::store::{Generation, Hash, Store};

pub fn state_dir(ctx: &Context) -> PathBuf {
    ctx.state_home.join("goenv")
}

/// Opens the store (creating it), for commands that write.
pub fn open_store(ctx: &Context) -> Result<Store, Report> {
    Store::open(state_dir(ctx)).map_err(Report::new)
}

/// Opens the store only if it exists: planning never creates anything.
pub fn existing_store(ctx: &Context) -> Result<Option<Store>, Report> {
    if state_dir(ctx).is_dir() { open_store(ctx).map(Some) } else { Ok(None) }
}

/// Any goenv command that finds a journal first puts every touched path back, and says so.
pub fn recover_if_needed(ctx: &Context) -> Result<(), Report> {
    if !state_dir(ctx).join("journal.toml").exists() {
        return Ok(());
    }
    let store = open_store(ctx)?;
    let _lock = store.lock(&holder("recovery")).map_err(Report::new)?;
    match apply::recover(&store).map_err(Report::new)? {
        apply::Recovery::Nothing => {}
        apply::Recovery::Completed => {
            eprintln!("goenv: found the journal of a change that had completed; removed it");
        }
        apply::Recovery::Restored(paths) if paths.is_empty() => eprintln!(
            "goenv: found an interrupted change that had not written any file yet; removed its journal"
        ),
        apply::Recovery::Restored(paths) => eprintln!(
            "goenv: found an interrupted change; put every path it touched back as it was: {}",
            paths.join(", ")
        ),
    }
    Ok(())
}

pub fn holder(command: &str) -> String {
    format!("pid {}: goenv {command}", std::process::id())
}

/// Loads and validates a profile, printing every problem; `Err` carries the exit code 1.
pub fn load_profile(path: &Path, ctx: &Context, ui: &Ui) -> Result<Profile, Report> {
    profile::load(path, ctx).map_err(|r| {
        eprint!("{}", report::human(&r.sources, &r.problems, ui.color));
        miette!(
            "{} problem{} in `{}`; nothing was changed",
            r.problems.len(),
            if r.problems.len() == 1 { "" } else { "s" },
            path.display()
        )
    })
}

/// What the latest generation left goenv managing, with each path's original content.
pub fn managed(store: Option<&Store>) -> Result<Managed, Report> {
    let Some(store) = store else { return Ok(Managed::default()) };
    let Some(latest) = store.latest().map_err(Report::new)? else {
        return Ok(Managed::default());
    };
    let originals = store.originals().map_err(Report::new)?;
    let mut paths = Vec::new();
    for r in latest.paths.iter().filter(|r| r.managed) {
        let original = match originals.get(&r.path).cloned().flatten() {
            Some(h) => Some(store.get_blob(&h).map_err(Report::new)?),
            None => None,
        };
        paths.push(ManagedPath { id: r.resource.clone(), path: PathBuf::from(&r.path), original });
    }
    Ok(Managed { paths })
}

/// Probes the machine and plans `profile` against it.
pub fn make_plan(profile: &Profile, ctx: &Context, ui: &Ui) -> Result<Plan, Report> {
    let store = existing_store(ctx)?;
    let managed = managed(store.as_ref())?;
    let mut paths = desired::probe_paths(profile, ctx);
    let dlv = desired::dlv_path(profile, ctx);
    if let Some(p) =
        dlv.as_ref().filter(|_| profile.delve.as_ref().is_some_and(|d| d.install.is_some()))
    {
        // `install=` owns the binary: its bytes are the before-content of a rebuild.
        paths.push(p.clone());
    }
    paths.extend(
        managed.paths.iter().filter(|m| EntryKind::of(&m.id).is_file()).map(|m| m.path.clone()),
    );
    let dirs = desired::probe_dirs(ctx);
    let sdk_dirs = desired::sdk_dirs(profile, ctx, &managed);
    let mut observed = Observed::read_paths(paths.iter().map(PathBuf::as_path))
        .with_dirs(dirs.iter().map(PathBuf::as_path))
        .with_sdk_dirs(sdk_dirs.iter().map(PathBuf::as_path));
    if let Some(path) = ctx.env.get("PATH") {
        observed.path_go = probe::path_with_go(path);
    }
    if let Some(p) = &dlv {
        observed.delve = Some(read_dlv(ctx, p));
    }
    if let Some(p) = plan::vscode::editor_dlv(profile, ctx, &observed) {
        observed.editor_dlv = Some(read_dlv(ctx, &p));
    }
    if let Some(go) = &profile.go
        && let Some(url) = plan::go::index_needed(go, ctx, &observed)
    {
        let fetcher = fetcher(ctx)?;
        let index = install::load_index(&fetcher, &url, &cache_dir(ctx)).map_err(|e| {
            miette!(
                help = "check the network (HTTPS_PROXY, NO_PROXY) or the profile's `index`; \
                        a profile that pins exact versions with `checksum` plans offline",
                "cannot read the download index: {e}; nothing was changed"
            )
        })?;
        observed.index = Some(index);
    }
    let desired = desired::desired(profile, ctx, &observed).map_err(|problems| {
        eprint!("{}", report::human(&profile.sources, &problems, ui.color));
        miette!("the profile cannot be planned; nothing was changed")
    })?;
    let mut plan = plan::compute(&desired, &observed, &managed).map_err(|e| match e {
        PlanError::Path { path, at, reason, hint } => {
            let at = at.map(|(line, column)| format!(":{line}:{column}")).unwrap_or_default();
            let help = hint.unwrap_or_else(|| "fix the file by hand".into());
            miette!(
                help = format!("{help}, then plan again; nothing was changed"),
                "cannot plan `{}{at}`: {reason}",
                plan::tilde_path(&path, &ctx.home)
            )
        }
    })?;
    plan.findings = plan::findings::findings(profile, ctx, &desired, &observed);
    Ok(plan)
}

/// goenv's cache: downloads (by sha256) and download indexes. Losing it loses nothing.
pub fn cache_dir(ctx: &Context) -> PathBuf {
    ctx.cache_home.join("goenv")
}

/// A fetcher with the Context's proxy settings (`HTTPS_PROXY`, `NO_PROXY`, either case).
pub fn fetcher(ctx: &Context) -> Result<Fetcher, Report> {
    let get = |name: &str| {
        [name.to_owned(), name.to_ascii_lowercase()]
            .iter()
            .find_map(|n| ctx.env.get(n).filter(|v| !v.is_empty()).cloned())
    };
    let opts = FetchOptions {
        https_proxy: get("HTTPS_PROXY"),
        no_proxy: get("NO_PROXY"),
        ..FetchOptions::default()
    };
    Fetcher::new(opts).map_err(|e| miette!("{e}"))
}

/// Downloads, verifies and unpacks every SDK `plan` puts in place that is not in the trash,
/// before the transaction starts. A failure leaves nothing behind and changes nothing.
pub fn prepare_sdks(ctx: &Context, store: &Store, plan: &Plan) -> Result<Prepared, Report> {
    // Staging directories a killed goenv left behind, wherever this plan touches SDKs.
    let ids = plan.changes.iter().map(|c| (&c.id, &c.path));
    let ids = ids.chain(plan.unchanged.iter().map(|k| (&k.id, &k.path)));
    let mut dirs: Vec<&Path> = ids
        .filter(|(id, _)| EntryKind::of(id) != EntryKind::File)
        .filter_map(|(_, p)| p.parent())
        .collect();
    dirs.dedup();
    for dir in dirs {
        install::remove_stale_staging(dir);
    }
    let wanted: Vec<(PathBuf, Vec<u8>)> = plan
        .changes
        .iter()
        .filter(|c| EntryKind::of(&c.id) == EntryKind::Sdk)
        .filter_map(|c| Some((c.path.clone(), c.after.clone()?)))
        .collect();
    if wanted.is_empty() {
        return Ok(Prepared::default());
    }
    let fetcher = fetcher(ctx)?;
    let terminal = std::io::stderr().is_terminal();
    let mut last = (String::new(), 0u64);
    let mut progress = |name: &str, got: u64, total: Option<u64>| {
        if !terminal {
            return;
        }
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        // Redraw at most every MiB, and at the end.
        if name == last.0 && got < last.1 + (1 << 20) && Some(got) != total {
            return;
        }
        last = (name.to_owned(), got);
        match total {
            Some(t) if t > 0 => eprint!(
                "\r\x1b[2Kdownloading {name}  {:5.1} / {:.1} MiB  {:3}%",
                mib(got),
                mib(t),
                got * 100 / t
            ),
            _ => eprint!("\r\x1b[2Kdownloading {name}  {:5.1} MiB", mib(got)),
        }
        if Some(got) == total {
            eprintln!();
        }
    };
    let downloads = cache_dir(ctx).join("downloads");
    install::prepare(&wanted, &store.trash_dir(), &downloads, &fetcher, &mut progress).map_err(
        |e| {
            let help = e.hint().unwrap_or_else(|| {
                "nothing was changed; run the command again once the cause is fixed".into()
            });
            miette!(help = help, "{e}; nothing was changed")
        },
    )
}

/// A `dlv` as the probe reads it, with its Delve version from `dlv version` (remembered) when its
/// build info has none.
fn read_dlv(ctx: &Context, path: &Path) -> probe::DlvState {
    let mut state = probe::read_dlv(path);
    if state.version.is_none() && state.binary.as_ref().is_some_and(|b| b.is_ok()) {
        state.version = dlv_version(ctx, &state);
    }
    state
}

/// The Delve version of a `dlv` whose build info has none (a distribution build): asked once
/// with `dlv version` (given 10 s), then remembered in the state directory by the file's identity
/// (device, inode, size, modification time), so later plans start no process.
fn dlv_version(ctx: &Context, state: &probe::DlvState) -> Option<(String, &'static str)> {
    let identity = state.identity.as_ref()?;
    let cache = state_dir(ctx).join("dlv-versions.toml");
    let mut known: BTreeMap<String, String> = std::fs::read_to_string(&cache)
        .ok()
        .and_then(|t| toml::from_str(&t).ok())
        .unwrap_or_default();
    let key = format!("{}|{identity}", state.path.display());
    if let Some(v) = known.get(&key) {
        return Some((v.clone(), "`dlv version`, remembered"));
    }
    if !state.executable {
        return None;
    }
    let mut child = std::process::Command::new(&state.path)
        .arg("version")
        .env_clear()
        .env("HOME", &ctx.home)
        .env("PATH", "/usr/bin:/bin")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while child.try_wait().ok()?.is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = child.wait_with_output().ok()?;
    let version = probe::parse_dlv_version(&String::from_utf8_lossy(&out.stdout))?;
    known.insert(key, version.clone());
    // Remembering is an optimisation: a state directory that cannot be written costs a run.
    if open_store(ctx).is_ok()
        && let Ok(text) = toml::to_string(&known)
    {
        let _ = crate::fsx::replace_file(&cache, text.as_bytes(), 0o600);
    }
    Some((version, "`dlv version`"))
}

/// Builds every binary the plan installs with `go install` (`delve install=`) into a staging
/// directory beside its destination, checks its build info, and puts the built bytes into the
/// plan as the change's after-content. Runs before the transaction: a failure changes nothing.
pub fn prepare_tools(
    ctx: &Context,
    profile: &Profile,
    plan: &mut Plan,
    prepared: &Prepared,
) -> Result<(), Report> {
    for c in plan.changes.iter_mut().filter(|c| c.id.starts_with("tool:") && c.managed) {
        // The plan carries the build as its after-content; never write that text as the binary.
        let spec = c
            .after
            .as_deref()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| toml::from_str::<toml::Table>(t).ok())
            .ok_or_else(|| {
                miette!("the plan for `{}` holds no build; nothing was changed", c.id)
            })?;
        let get = |k: &str| spec.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let (package, version, go) = (get("package"), get("version"), PathBuf::from(get("go")));
        // An SDK installed by this same apply is still in its staging directory.
        let go = prepared
            .roots()
            .iter()
            .find_map(|(dest, staged)| go.strip_prefix(dest).ok().map(|rest| staged.join(rest)))
            .unwrap_or(go);
        let dir = c.path.parent().map(Path::to_path_buf).unwrap_or_default();
        std::fs::create_dir_all(&dir).into_diagnostic()?;
        let staging =
            tempfile::Builder::new().prefix(".goenv-build-").tempdir_in(&dir).into_diagnostic()?;
        let mut cmd = std::process::Command::new(&go);
        cmd.args(["install", &format!("{package}@{version}")])
            .current_dir(&ctx.home)
            .env_clear()
            .env("HOME", &ctx.home)
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", go.parent().unwrap_or(Path::new("/")).display()),
            )
            .env("GOBIN", staging.path())
            // The Go env file may be the very thing this apply fixes: the profile's values are
            // passed as the environment instead.
            .env("GOENV", "off")
            .env("GOTOOLCHAIN", "local")
            .stdin(std::process::Stdio::null());
        for key in [
            "GOCACHE",
            "GOMODCACHE",
            "GOPATH",
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "NO_PROXY",
            "https_proxy",
            "http_proxy",
            "no_proxy",
        ] {
            if let Some(v) = ctx.env.get(key) {
                cmd.env(key, v);
            }
        }
        for s in profile.go_env_file().chain(&profile.export) {
            if s.key != "GOBIN" && s.key != "GOENV" {
                cmd.env(&s.key, &s.value.text);
            }
        }
        let shown = format!("{package}@{version}");
        eprintln!("goenv: building {shown} with {}", go.display());
        let out = cmd
            .output()
            .map_err(|e| miette!("cannot run `{}`: {e}; nothing was changed", go.display()))?;
        if !out.status.success() {
            return Err(miette!(
                help = "fix the cause (network, GOPROXY, the version) and apply again",
                "`go install {shown}` failed; nothing was changed:\n{}",
                crate::profile::scrub(&String::from_utf8_lossy(&out.stderr), &plan.secrets)
            ));
        }
        let name = package.rsplit('/').next().unwrap_or("dlv");
        let built = staging.path().join(name);
        let binary = crate::gobin::read(&built).map_err(|e| miette!("{e}; nothing was changed"))?;
        let got = binary
            .info
            .as_ref()
            .and_then(|i| i.main.as_ref())
            .map(|m| (m.path.clone(), m.version.clone()));
        let expected_module = package.strip_suffix("/cmd/dlv").unwrap_or(&package);
        let ok = match &got {
            Some((path, v)) => path == expected_module && (version == "latest" || *v == version),
            None => false,
        };
        if !ok {
            return Err(miette!(
                "`go install {shown}` built {}, not {expected_module} {version}; nothing was changed",
                got.map_or_else(
                    || "a binary without module information".into(),
                    |(p, v)| format!("{p} {v}")
                )
            ));
        }
        c.after = Some(std::fs::read(&built).into_diagnostic()?);
        c.mode = 0o755;
        c.action = crate::plan::Action::between(&c.before, &c.after);
    }
    Ok(())
}

/// A managed path whose content differs from what the latest generation left.
pub struct Drift {
    pub id: String,
    pub path: PathBuf,
    pub expected: Option<Vec<u8>>,
    pub current: Option<Vec<u8>>,
    pub mode: u32,
}

/// The latest generation and every managed path that drifted since.
pub fn drift(store: &Store) -> Result<Option<(Generation, Vec<Drift>)>, Report> {
    let Some(latest) = store.latest().map_err(Report::new)? else { return Ok(None) };
    let state = store.state_after(latest.number).map_err(Report::new)?;
    let mut out = Vec::new();
    for r in latest.paths.iter().filter(|r| r.managed) {
        let path = PathBuf::from(&r.path);
        let expected_hash = state.get(&r.path).cloned().flatten();
        let kind = crate::entry::EntryKind::of(&r.resource);
        let current = crate::entry::read(kind, &path).into_diagnostic()?;
        let current_hash = current.as_ref().map(|(b, _)| crate::store::sha256(b));
        if current_hash != expected_hash {
            out.push(Drift {
                id: r.resource.clone(),
                mode: current.as_ref().map_or(r.mode.unwrap_or(0o644), |(_, m)| *m),
                path,
                expected: blob(store, expected_hash.as_ref())?,
                current: current.map(|(b, _)| b),
            });
        }
    }
    Ok(Some((latest, out)))
}

pub fn blob(store: &Store, hash: Option<&Hash>) -> Result<Option<Vec<u8>>, Report> {
    hash.map(|h| store.get_blob(h).map_err(Report::new)).transpose()
}

/// The state right after generation `n`, as contents.
pub fn contents_after(store: &Store, n: u32) -> Result<BTreeMap<String, Option<Vec<u8>>>, Report> {
    let state = store.state_after(n).map_err(Report::new)?;
    state.into_iter().map(|(p, h)| Ok((p, blob(store, h.as_ref())?))).collect()
}

/// Asks on a terminal; without one, `--yes` is required.
pub fn confirm(question: &str, yes: bool) -> Result<bool, Report> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(miette!(
            help = "pass `--yes` to confirm without a terminal",
            "not on a terminal, and `--yes` was not given; nothing was changed"
        ));
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().into_diagnostic()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).into_diagnostic()?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// The secrets of every profile a generation was applied from.
pub fn all_secrets(ctx: &Context, store: &Store) -> Vec<String> {
    let profiles = store.index().map(|i| i.profiles).unwrap_or_default();
    profiles
        .iter()
        .filter_map(|p| profile::load(Path::new(p), ctx).ok())
        .flat_map(|p| desired::secrets(&p))
        .collect()
}
