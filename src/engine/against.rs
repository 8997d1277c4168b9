//! `goenv plan NEW --against OLD`: what NEW changes on a machine that is exactly in OLD's
//! desired state, for a pull request that edits a team's profile.
//!
//! A pure computation: OLD is planned on a fresh, empty home; its changes, as if applied, are
//! the [`Observed`] machine NEW is planned against (every file with its after-content, every
//! SDK tree present with its descriptor, every link in place, every tool built), with OLD's
//! resources as the last generation's managed paths, each created by goenv. Files goenv shares
//! (a marker block in `~/.bashrc`, VS Code's settings) hold nothing but goenv's part: nobody
//! else's content is known. Nothing of the real home is read, no process is started, and the
//! network is never used: a version that needs the download index is resolved from the copy
//! goenv cached when it last planned online, and without one the plan stops saying so.
//! Nothing outside the home is assumed either (PATH holds no `go`).

use std::path::{Path, PathBuf};

use super::{Error, Progress, Result, cache_dir, plan_error};
use crate::context::Context;
use crate::gobin::{BuildInfo, GoBinary, Module};
use crate::plan::{self, Change, Managed, ManagedPath, Plan};
use crate::probe::{DlvState, FileState, LinkState, Observed, SdkState};
use crate::profile::Profile;
use crate::resource::Kind;
use crate::resource::content::Descriptor;
use crate::rules;
use crate::sdk::install;
use crate::units::{self, delve};

/// The `go.env` every Go SDK since 1.21 ships (byte for byte that of go1.22.10 and go1.25.5).
const SDK_GO_ENV: &str = "\
# This file contains the initial defaults for go command configuration.
# Values set by 'go env -w' and written to the user's go/env file override these.
# The environment overrides everything else.

# Use the Go module mirror and checksum database by default.
# See https://proxy.golang.org for details.
GOPROXY=https://proxy.golang.org,direct
GOSUMDB=sum.golang.org

# Automatically download newer toolchains as directed by go.mod files.
# See https://go.dev/doc/toolchain for details.
GOTOOLCHAIN=auto
";

/// Plans `new` on a machine where `old` (read from `old_path`) was applied to a fresh home.
pub fn plan_against(
    new: &Profile,
    old: &Profile,
    old_path: &Path,
    ctx: &Context,
    progress: &mut dyn Progress,
) -> Result<Plan> {
    let old_input = units::Input { profile: old, ctx };
    let mut fresh = Observed::default();
    prepare(old_input, &mut fresh, None, progress);
    let old_desired = units::desired(old_input, &fresh).map_err(|problems| {
        let mut e = Error::unplannable(old.sources.clone(), problems);
        e.message = format!("the profile `{}` (`--against`) cannot be planned", old_path.display());
        e
    })?;
    let old_plan =
        plan::compute(&old_desired, &fresh, &Managed::default()).map_err(|e| plan_error(e, ctx))?;

    let (mut applied, managed) = applied(&old_plan, ctx);
    let new_input = units::Input { profile: new, ctx };
    prepare(new_input, &mut applied, Some(&old_plan), progress);
    let desired = units::desired(new_input, &applied)
        .map_err(|problems| Error::unplannable(new.sources.clone(), problems))?;
    let mut plan = plan::compute(&desired, &applied, &managed).map_err(|e| plan_error(e, ctx))?;
    plan.findings = rules::findings(rules::Input {
        ctx,
        observed: &applied,
        profile: Some(new),
        desired: Some(&desired),
    });
    Ok(plan)
}

/// What a unit asks for once the files are known, without the machine: the cached index (when
/// a version needs it) and the `dlv`s as `built` left them (absent unless it built them).
fn prepare(
    input: units::Input<'_>,
    observed: &mut Observed,
    built: Option<&Plan>,
    progress: &mut dyn Progress,
) {
    let then = units::then(input, observed);
    observed.index = then.index.and_then(|url| {
        let file = install::index_cache_file(&url, &cache_dir(input.ctx));
        progress.read(&file, "`--against`: the cached download index (planning offline)");
        let (mut index, age) = install::cached_index(&url, &cache_dir(input.ctx))?;
        if age > install::INDEX_FRESH_FOR {
            index.stale = Some(format!(
                "`--against` plans offline, and the cached copy is {} hours old",
                age.as_secs() / 3600
            ));
        }
        Some(index)
    });
    let dlv = |path: PathBuf| dlv_state(input.ctx, path, built);
    observed.delve = then.delve.map(dlv);
    observed.editor_dlv = then.editor_dlv.map(dlv);
}

/// The machine once `plan` (made on a fresh home) is applied, and what goenv then manages.
fn applied(plan: &Plan, ctx: &Context) -> (Observed, Managed) {
    let mut observed = Observed::default();
    let mut managed = Managed::default();
    for c in &plan.changes {
        let content = after(c);
        match c.id.kind {
            Kind::File | Kind::Block | Kind::Json | Kind::Xml | Kind::Tool => {
                observed
                    .files
                    .insert(c.path.clone(), FileState::Present { bytes: content, mode: c.mode });
            }
            Kind::Link => {
                let target = PathBuf::from(String::from_utf8_lossy(&content).into_owned());
                observed.links.insert(c.path.clone(), LinkState::Link(target));
            }
            Kind::Sdk => {
                observed.sdks.insert(c.path.clone(), sdk_state(&content, ctx));
            }
            // OLD's effects are taken as run: they leave nothing to observe, and a plan asks
            // for an effect only when the file it follows changes.
            Kind::Effect => continue,
        }
        for dir in c.path.ancestors().skip(1) {
            observed.dirs.insert(dir.to_path_buf());
        }
        if c.managed {
            if c.id.kind == Kind::File {
                observed.managed_files.insert(c.path.clone(), None);
            }
            managed.paths.push(ManagedPath {
                id: c.id.clone(),
                path: c.path.clone(),
                original: None,
            });
        }
    }
    (observed, managed)
}

/// What a change leaves at its path: its after-content, or for a tool to build, the build (the
/// plan has no binary to show, and a later plan shows what it replaces).
fn after(c: &Change) -> Vec<u8> {
    match (&c.after, &c.build) {
        (Some(bytes), _) => bytes.clone(),
        (None, Some(build)) => build.describe().into_bytes(),
        (None, None) => Vec::new(),
    }
}

/// An SDK tree goenv unpacked, as the probe would read it: the descriptor, `VERSION`, the
/// marker, `pkg/tool`, the `go.env` of its release, and a `bin/go` for this platform.
fn sdk_state(descriptor: &[u8], ctx: &Context) -> SdkState {
    let version = Descriptor::parse(descriptor).map(|d| d.version);
    let has_go_env = version.as_deref().and_then(delve::go_minor).is_some_and(|m| m >= 21);
    let go_version = version.as_ref().map(|v| format!("go{v}")).ok_or_else(String::new);
    SdkState {
        descriptor: descriptor.to_vec(),
        version: version.map(|v| format!("go{v}")),
        marker: true,
        has_pkg_tool: true,
        go_env: has_go_env.then(|| SDK_GO_ENV.as_bytes().to_vec()),
        arches: Ok(vec![units::go::machine(ctx)]),
        target: None,
        broken: None,
        has_bin_go: true,
        go_version,
        compilers: vec![format!("{}_{}", units::go::goos(ctx), ctx.arch.name())],
        has_runtime: true,
    }
}

/// The `dlv` at `path`: the one `built` built (its build info says the release and the Go it
/// was built with), else absent; never a package manager's, since nothing outside the home is
/// known.
fn dlv_state(ctx: &Context, path: PathBuf, built: Option<&Plan>) -> DlvState {
    let build = built
        .into_iter()
        .flat_map(|p| &p.changes)
        .find(|c| c.id.kind == Kind::Tool && c.path == path)
        .and_then(|c| c.build.as_ref());
    let foreign = (!path.starts_with(&ctx.home))
        .then(|| format!("`{}` is outside the home directory", path.display()));
    let Some(build) = build else {
        return DlvState {
            path,
            identity: None,
            executable: false,
            binary: None,
            version: None,
            dap: None,
            foreign,
        };
    };
    // The SDK it was built with: `<dir>/go<version>/bin/go`.
    let go_version = build
        .go
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let release = match build.version.as_str() {
        // What `@latest` gave: the newest Delve goenv knows that debugs that Go.
        "latest" => delve::go_minor(&go_version).and_then(delve::recommended),
        v => Some(v.trim_start_matches('v').to_owned()),
    };
    let (os, arch) = units::go::machine(ctx);
    let binary = GoBinary {
        os,
        arch,
        go_version,
        info: Some(BuildInfo {
            path: build.package.clone(),
            main: release.as_ref().map(|r| Module {
                path: crate::probe::DELVE_MODULE.to_owned(),
                version: format!("v{r}"),
                ..Module::default()
            }),
            ..BuildInfo::default()
        }),
    };
    DlvState {
        path,
        identity: Some("built by the profile `--against` names".into()),
        executable: true,
        binary: Some(Ok(binary)),
        version: release.map(|r| (r, "its build info")),
        dap: None,
        foreign,
    }
}
