//! Preparing before a transaction: every SDK the plan puts in place is downloaded, verified and
//! unpacked beside its destination, and every tool is built with `go install` and checked. A
//! failure here changes nothing: the transaction that follows only renames.

use std::path::{Path, PathBuf};

use super::{Error, ErrorKind, Progress, Result, cache_dir, observe::fetcher};
use crate::context::Context;
use crate::plan::{Action, Plan};
use crate::profile::Profile;
use crate::resource::{Kind, Shape};
use crate::sdk::install::{self, Prepared};
use crate::store::Store;

/// Downloads, verifies and unpacks every SDK `plan` puts in place that is not in the trash,
/// before the transaction starts. A failure leaves nothing behind and changes nothing.
pub(crate) fn sdks(
    ctx: &Context,
    store: &Store,
    plan: &Plan,
    progress: &mut dyn Progress,
) -> Result<Prepared> {
    // What a killed goenv left: partial downloads, staging directories, temporary files.
    super::remove_debris(ctx, store, progress);
    // Staging directories a killed goenv left behind, wherever this plan touches SDKs.
    let ids = plan.changes.iter().map(|c| (&c.id, &c.path));
    let ids = ids.chain(plan.unchanged.iter().map(|k| (&k.id, &k.path)));
    let mut dirs: Vec<&Path> = ids
        .filter(|(id, _)| id.kind.shape() != Shape::File)
        .filter_map(|(_, p)| p.parent())
        .collect();
    dirs.dedup();
    for dir in dirs {
        install::remove_stale_staging(dir);
    }
    let wanted: Vec<(PathBuf, Vec<u8>)> = plan
        .changes
        .iter()
        .filter(|c| c.id.kind == Kind::Sdk)
        .filter_map(|c| Some((c.path.clone(), c.after.clone()?)))
        .collect();
    if wanted.is_empty() {
        return Ok(Prepared::default());
    }
    let fetcher = fetcher(ctx)?;
    let downloads = cache_dir(ctx).join("downloads");
    let mut report = |name: &str, got: u64, total: Option<u64>| progress.download(name, got, total);
    install::prepare(&wanted, &store.trash_dir(), &downloads, &fetcher, &mut report).map_err(|e| {
        let hint =
            e.hint().unwrap_or_else(|| "run the command again once the cause is fixed".into());
        Error::new(ErrorKind::Fetch, e.to_string()).hint(hint)
    })
}

/// The staging directory of a `go install`, beside the binary it builds.
pub(crate) const BUILD_PREFIX: &str = ".goenv-build-";

/// Builds every binary the plan installs with `go install` (`delve install=`) into a staging
/// directory beside its destination, checks its build info, and puts the built bytes into the
/// plan as the change's after-content. Runs before the transaction: a failure changes nothing.
pub(crate) fn tools(
    ctx: &Context,
    profile: &Profile,
    plan: &mut Plan,
    prepared: &Prepared,
    progress: &mut dyn Progress,
) -> Result<()> {
    let failed = |m: String| Error::new(ErrorKind::Fetch, m);
    for c in plan.changes.iter_mut().filter(|c| c.id.kind == Kind::Tool && c.managed) {
        let Some(build) = c.build.take() else { continue };
        let (package, version) = (build.package.clone(), build.version.clone());
        // An SDK installed by this same apply is still in its staging directory.
        let go = prepared
            .roots()
            .iter()
            .find_map(|(dest, staged)| {
                build.go.strip_prefix(dest).ok().map(|rest| staged.join(rest))
            })
            .unwrap_or(build.go.clone());
        let dir = c.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let io = |e: std::io::Error| failed(format!("cannot build in `{}`: {e}", dir.display()));
        std::fs::create_dir_all(&dir).map_err(io)?;
        let staging = tempfile::Builder::new().prefix(BUILD_PREFIX).tempdir_in(&dir).map_err(io)?;
        let _interrupted = crate::interrupt::Temporary::new(staging.path());
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
        progress.note(&format!("goenv: building {shown} with {}", go.display()));
        // Its own process group, which SIGINT and SIGTERM reach through goenv's handler: no
        // compiler outlives goenv, or writes into the staging directory once it is removed.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let child =
            cmd.spawn().map_err(|e| failed(format!("cannot run `{}`: {e}", go.display())))?;
        let group = crate::interrupt::ChildGroup::new(&child);
        let out = child.wait_with_output();
        group.ended();
        let out = out.map_err(|e| failed(format!("cannot run `{}`: {e}", go.display())))?;
        if !out.status.success() {
            return Err(failed(format!(
                "`go install {shown}` failed:\n{}",
                crate::profile::secret::redact(
                    &String::from_utf8_lossy(&out.stderr),
                    &plan.secrets
                )
            ))
            .hint("fix the cause (network, GOPROXY, the version) and apply again"));
        }
        let name = package.rsplit('/').next().unwrap_or("dlv");
        let built = staging.path().join(name);
        let binary = crate::gobin::read(&built).map_err(|e| failed(e.to_string()))?;
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
            return Err(failed(format!(
                "`go install {shown}` built {}, not {expected_module} {version}",
                got.map_or_else(
                    || "a binary without module information".into(),
                    |(p, v)| format!("{p} {v}")
                )
            )));
        }
        c.after = Some(std::fs::read(&built).map_err(io)?);
        c.mode = 0o755;
        c.action = Action::between(&c.before, &c.after);
    }
    // A build that was not done must never reach the transaction.
    if let Some(c) =
        plan.changes.iter().find(|c| c.build.is_some() || (c.after.is_none() && c.managed))
    {
        return Err(failed(format!("the plan for `{}` holds no content to write", c.id)));
    }
    Ok(())
}
