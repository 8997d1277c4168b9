//! Observing the machine for a plan: the files, directories and SDK trees every unit and rule
//! reads, then what they need once those are known: the profile's `dlv` (its version from build
//! info, else the one remembered `dlv version`), the `dlv` VS Code debugs with, and the download
//! index when some SDK version is neither installed nor pinned.

use std::collections::BTreeMap;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use super::{Error, ErrorKind, Result, cache_dir, state_dir};
use crate::context::Context;
use crate::plan::Managed;
use crate::probe::{self, Observed};
use crate::resource::Shape;
use crate::sdk::fetch::{FetchOptions, Fetcher};
use crate::sdk::install;
use crate::{rules, units};

/// Everything a plan of the profile reads, with the last generation's managed paths.
pub fn observe(input: units::Input<'_>, managed: &Managed) -> Result<Observed> {
    observe_reporting(input, managed, &mut super::Silent)
}

/// [`observe`], telling `progress` every path read and why (`-v`).
pub fn observe_reporting(
    input: units::Input<'_>,
    managed: &Managed,
    progress: &mut dyn super::Progress,
) -> Result<Observed> {
    observe_pinned(input, managed, progress, None)
}

/// [`observe_reporting`], with `pinned` standing in for the download index at its URL: a saved
/// plan is re-derived from the releases it pinned, not from whatever the index lists now.
pub(super) fn observe_pinned(
    input: units::Input<'_>,
    managed: &Managed,
    progress: &mut dyn super::Progress,
    pinned: Option<&crate::probe::FetchedIndex>,
) -> Result<Observed> {
    let ctx = input.ctx;
    if progress.wants_reads() {
        report_reads(input, managed, progress);
    }
    let mut reads = units::reads(input);
    rules::reads(ctx, &mut reads);
    reads.files.extend(
        managed.paths.iter().filter(|m| m.id.kind.shape() == Shape::File).map(|m| m.path.clone()),
    );
    // The SDK directories of SDKs and links goenv manages, so a removal sees them.
    for m in &managed.paths {
        if m.id.kind.shape() != Shape::File
            && let Some(parent) = m.path.parent()
            && !reads.sdk_dirs.iter().any(|d| d == parent)
        {
            reads.sdk_dirs.push(parent.to_path_buf());
        }
    }
    let mut observed = Observed::read(&reads);
    observed.managed_files = managed
        .paths
        .iter()
        .filter(|m| m.id.kind == crate::resource::Kind::File)
        .map(|m| (m.path.clone(), m.original.clone()))
        .collect();
    // A `root` outside the home is read under the system root tests can move, as doctor reads.
    for root in &reads.sdk_roots {
        let real = ctx.real(root);
        if real != *root {
            let mut state = probe::read_tree(&real);
            state.target = state.target.map(|t| ctx.unreal(&t)).filter(|t| t != root);
            observed.sdks.insert(root.clone(), state);
        }
    }
    if let Some(path) = ctx.env.get("PATH") {
        observed.path_go = probe::path_with_go(path);
    }
    if crate::units::delve::arm64_mac(ctx)
        && let Some(dir) = observed.path_go.first()
    {
        let go = dir.join("go");
        if progress.wants_reads() {
            progress.read(&go, "what the `go` fixes build with is built for (an arm64 Mac)");
        }
        let arches = crate::gobin::read_all_arches(&ctx.real(&go)).map_err(|e| e.to_string());
        observed.path_go_arches = Some((go, arches));
    }
    if let Some(go) = &input.profile.go
        && go.version == crate::profile::GoSelector::System
    {
        observe_system_go(ctx, go, &mut observed);
    }
    let then = units::then(input, &observed);
    if progress.wants_reads() {
        let dlvs = [
            (&then.delve, "the `delve` node: its build info"),
            (&then.editor_dlv, "VS Code's `go.alternateTools` `dlv`: its build info"),
        ];
        for (path, why) in dlvs {
            if let Some(p) = path {
                progress.read(p, why);
                if probe::reads_dpkg_lists(p, &ctx.home) {
                    progress.read(
                        &probe::dpkg_info().join("*.list"),
                        &format!(
                            "whose file `{}` is: goenv never writes a package manager's file",
                            p.display()
                        ),
                    );
                }
            }
        }
        if let Some(url) = &then.index {
            progress.read(
                Path::new(&crate::sdk::fetch::redact_url(url)),
                "planning `go`: a version is neither installed nor pinned with `checksum`",
            );
        }
    }
    observed.delve = then.delve.map(|p| read_dlv(ctx, &p));
    observed.editor_dlv = then.editor_dlv.map(|p| read_dlv(ctx, &p));
    // Only Linux has a `/proc` to ask; on a plan for another platform nothing is known.
    if ctx.os == crate::context::Os::Linux && cfg!(target_os = "linux") {
        for pid in then.processes {
            let proc = std::path::PathBuf::from(format!("/proc/{pid}"));
            if progress.wants_reads() {
                progress.read(&proc, "the process a GoLand lock names: does it still run");
            }
            observed.running.insert(pid, ctx.real(&proc).is_dir());
        }
    }
    if let Some(url) = then.index {
        if let Some(pinned) = pinned.filter(|p| p.url == url) {
            observed.index = Some(pinned.clone());
            return Ok(observed);
        }
        let fetcher = fetcher(ctx)?;
        let index = install::load_index(&fetcher, &url, &cache_dir(ctx)).map_err(|e| {
            Error::new(ErrorKind::Fetch, format!("cannot read the download index: {e}")).hint(
                "check the network (HTTPS_PROXY, NO_PROXY) or the profile's `index`; a profile \
                 that pins exact versions with `checksum` plans offline",
            )
        })?;
        observed.index = Some(index);
    }
    Ok(observed)
}

/// `go "system"`: which `go` each context finds (doctor's model, from files), and the tree of
/// the login shell's, read where it lies (under the test system root in debug builds).
fn observe_system_go(ctx: &Context, go: &crate::profile::GoSpec, observed: &mut Observed) {
    let system = crate::doctor::system::system_go(ctx, &go.dir(ctx).join("current/bin"));
    if let Ok(Some(found)) = &system.login
        && let Ok(root) = &found.goroot
    {
        let mut state = probe::read_tree(&ctx.real(root));
        state.target = state.target.map(|t| ctx.unreal(&t)).filter(|t| t != root);
        observed.sdks.insert(root.clone(), state);
    }
    observed.system_go = Some(system);
}

/// Tells `progress` what [`observe`] reads and why, each path once with every reason.
fn report_reads(input: units::Input<'_>, managed: &Managed, progress: &mut dyn super::Progress) {
    let mut why: Vec<(std::path::PathBuf, Vec<String>)> = Vec::new();
    let mut add = |paths: Vec<std::path::PathBuf>, reason: &str| {
        for shown in paths {
            match why.iter_mut().find(|(q, _)| *q == shown) {
                Some((_, reasons)) if !reasons.iter().any(|r| r == reason) => {
                    reasons.push(reason.to_owned());
                }
                Some(_) => {}
                None => why.push((shown, vec![reason.to_owned()])),
            }
        }
    };
    for unit in units::UNITS {
        let mut r = units::Reads::default();
        unit.reads(input, &mut r);
        let reason = format!("planning `{}`", unit.node());
        add(r.files, &reason);
        add(r.dirs, &reason);
        add(r.sdk_dirs, &format!("{reason} (the SDK directory)"));
        add(r.listed, &format!("{reason} (a drop-in directory: its `*.conf` files)"));
    }
    let mut r = units::Reads::default();
    rules::reads(input.ctx, &mut r);
    add(r.files, "findings");
    add(
        managed.paths.iter().map(|m| m.path.clone()).collect(),
        "managed since the last generation",
    );
    for (path, reasons) in why {
        progress.read(&path, &reasons.join(", "));
    }
}

/// A fetcher with the Context's proxy settings (`HTTPS_PROXY`, `NO_PROXY`, either case).
pub(super) fn fetcher(ctx: &Context) -> Result<Fetcher> {
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
    Fetcher::new(opts).map_err(|e| Error::new(ErrorKind::Fetch, e.to_string()))
}

/// A `dlv` as the probe reads it, with its Delve version from `dlv version` (remembered) when its
/// build info has none.
fn read_dlv(ctx: &Context, path: &Path) -> probe::DlvState {
    let mut state = probe::read_dlv(path, &ctx.home);
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
    // Only the state directory itself is created, private, for this one file.
    let root = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(state_dir(ctx));
    if root.is_ok()
        && let Ok(text) = toml::to_string(&known)
    {
        let _ = crate::fsx::replace_file(&cache, text.as_bytes(), 0o600);
    }
    Some((version, "`dlv version`"))
}
