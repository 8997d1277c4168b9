//! The `go` node resolved on one machine: which SDKs must be at `<dir>/go<version>`, which one
//! `<dir>/current` points at, and for each SDK to install, which archive and which checksum.
//!
//! ```kdl
//! go "1.22" { keep "1.21.13"; checksum "…" }   // 1.22 → the newest 1.22.x in the index
//! ```
//!
//! Pure: it reads the probed SDK directories and the download index the caller fetched (only
//! when [`index_needed`] says so), never the network or the disk. An SDK goenv installed is known
//! by its descriptor; one installed by hand or by `go1.22.10 download` is adopted as it is.

use std::path::PathBuf;

use super::{Input, Planning, Reads, Resource, Then, Unit, Want};
use crate::context::{Context, Os};
use crate::probe::{FetchedIndex, Observed, SdkState};
use crate::profile::{GoSelector, GoSpec, Loc, Problem, Sources};
use crate::resource::content::Descriptor;
use crate::resource::entry::FOREIGN;
use crate::sdk::index::{self, GO_DEV_DL_URL, GO_DEV_INDEX_URL};

/// The `go` node: SDK trees at `<dir>/go<version>` and the `<dir>/current` link.
pub struct Go;

impl Unit for Go {
    fn node(&self) -> &'static str {
        "go"
    }

    fn reads(&self, input: Input<'_>, reads: &mut Reads) {
        reads.sdk_dirs.extend(input.profile.go.iter().map(|g| g.dir(input.ctx)));
    }

    fn then(&self, input: Input<'_>, observed: &Observed, then: &mut Then) {
        if let Some(go) = &input.profile.go {
            then.index = index_needed(go, input.ctx, observed);
        }
    }

    fn wants(
        &self,
        planning: &mut Planning<'_>,
        out: &mut Vec<Resource>,
    ) -> Result<(), Vec<Problem>> {
        let Input { profile, ctx } = planning.input;
        let Some(spec) = &profile.go else { return Ok(()) };
        let go = resolve(spec, ctx, planning.observed, &profile.sources)?;
        // SDKs first: the link is switched only once its target is in place.
        for sdk in go.all() {
            let descriptor = match &sdk.how {
                How::Installed(d) | How::Install(d) => d.clone(),
                How::Adopted => continue,
            };
            out.push(Resource::new(sdk.path.clone(), Want::Sdk(descriptor), &ctx.home));
        }
        if let Some(active) = &go.active {
            out.push(Resource::new(go.link(), Want::Link(active.path.clone()), &ctx.home));
        }
        planning.go = Some(go);
        Ok(())
    }
}

/// How an SDK the profile wants gets there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// goenv installed it earlier: its descriptor.
    Installed(Descriptor),
    /// Someone else installed it (`go1.22.10 download`, by hand): used as it is, never removed.
    Adopted,
    /// To download and unpack.
    Install(Descriptor),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedSdk {
    /// `1.22.10`.
    pub version: String,
    /// `<dir>/go1.22.10`.
    pub path: PathBuf,
    pub how: How,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoResolved {
    pub dir: PathBuf,
    /// `None` for `go "system"`.
    pub active: Option<WantedSdk>,
    /// Kept SDKs (the active one is not repeated).
    pub keep: Vec<WantedSdk>,
    pub prune: bool,
    /// What the plan should say about the resolution (`go "1.22"` → 1.22.10).
    pub notes: Vec<String>,
}

impl GoResolved {
    /// The active SDK, then the kept ones.
    pub fn all(&self) -> impl Iterator<Item = &WantedSdk> {
        self.active.iter().chain(&self.keep)
    }

    pub fn link(&self) -> PathBuf {
        self.dir.join("current")
    }
}

/// The index URL a plan of `go` must fetch, or `None` when every version is installed, adopted
/// or pinned with its checksum (then planning makes no request).
pub fn index_needed(go: &GoSpec, ctx: &Context, observed: &Observed) -> Option<String> {
    let url = index_url(go);
    let dir = go.dir(ctx);
    let selectors =
        std::iter::once((go.version, true)).chain(go.keep.iter().map(|(s, _)| (*s, false)));
    for (selector, active) in selectors {
        match selector {
            GoSelector::System => {}
            GoSelector::Line(_) => return Some(url),
            GoSelector::Exact(v) => {
                let present = observed.sdk(&dir.join(format!("go{v}"))).is_some();
                let pinned = active && go.checksum.is_some();
                if !present && !pinned {
                    return Some(url);
                }
            }
        }
    }
    None
}

pub fn index_url(go: &GoSpec) -> String {
    go.index.as_ref().map_or_else(|| GO_DEV_INDEX_URL.to_owned(), |v| v.text.clone())
}

/// Where goenv looked for a `go`: the directories of PATH, for a message.
pub fn looked_in(ctx: &Context) -> String {
    let dirs: Vec<String> = ctx
        .env
        .get("PATH")
        .map(|p| p.split(':').filter(|d| !d.is_empty()).map(|d| format!("`{d}`")).collect())
        .unwrap_or_default();
    if dirs.is_empty() {
        "PATH is empty".into()
    } else {
        format!("goenv looked in {}", dirs.join(", "))
    }
}

/// GOOS of the Context's platform.
pub fn goos(ctx: &Context) -> &'static str {
    match ctx.os {
        Os::Linux => "linux",
        Os::Macos => "darwin",
    }
}

/// This machine as the executable headers name it, for comparing with a binary's.
pub fn machine(ctx: &Context) -> (crate::gobin::BinaryOs, crate::gobin::BinaryArch) {
    use crate::context::Arch;
    use crate::gobin::{BinaryArch, BinaryOs};
    let os = match ctx.os {
        Os::Linux => BinaryOs::Linux,
        Os::Macos => BinaryOs::Macos,
    };
    let arch = match ctx.arch {
        Arch::Amd64 => BinaryArch::Amd64,
        Arch::Arm64 => BinaryArch::Arm64,
    };
    (os, arch)
}

/// Resolves the `go` node against the probed SDK directories and (when needed) the index.
pub fn resolve(
    go: &GoSpec,
    ctx: &Context,
    observed: &Observed,
    sources: &Sources,
) -> Result<GoResolved, Vec<Problem>> {
    let dir = go.dir(ctx);
    let mut out = GoResolved {
        dir: dir.clone(),
        active: None,
        keep: Vec::new(),
        prune: go.prune,
        notes: vec![],
    };
    let mut problems = Vec::new();
    let r = Resolver { go, ctx, observed, sources };
    let wanted = std::iter::once((go.version, go.version_at, true))
        .chain(go.keep.iter().map(|(s, at)| (*s, *at, false)));
    for (selector, at, active) in wanted {
        let version = match selector {
            GoSelector::System => continue,
            GoSelector::Exact(v) => v.to_string(),
            GoSelector::Line(line) => match r.newest_in_line(line.major, line.minor, at) {
                Ok(v) => {
                    out.notes.push(format!(
                        "go \"{line}\" resolves to {v}, the newest {line}.x in {}",
                        crate::sdk::fetch::redact_url(&index_url(go))
                    ));
                    v
                }
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            },
        };
        let seen = out.all().any(|s| s.version == version);
        match r.sdk(&version, at, active) {
            Ok(sdk) if active => out.active = Some(sdk),
            Ok(sdk) if !seen => out.keep.push(sdk),
            Ok(_) => {}
            Err(p) => problems.push(p),
        }
    }
    // A kept version equal to the active one is listed once, as the active one.
    if let Some(a) = &out.active {
        out.keep.retain(|k| k.version != a.version);
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

struct Resolver<'a> {
    go: &'a GoSpec,
    ctx: &'a Context,
    observed: &'a Observed,
    sources: &'a Sources,
}

impl Resolver<'_> {
    fn index(&self, at: Loc) -> Result<&FetchedIndex, Problem> {
        self.observed.index.as_ref().ok_or_else(|| {
            // Only a plan made offline (`plan --against`) gets here without an index.
            Problem::new(
                at,
                "goenv::plan::no-index",
                format!(
                    "this version needs the download index {}, and goenv has no copy of it",
                    crate::sdk::fetch::redact_url(&index_url(self.go))
                ),
                "needs the index",
            )
            .help(
                "`plan --against` plans offline, from the copy goenv caches when it plans with \
                 the network: run `goenv plan` on this profile once online (for the same \
                 platform), or pin the version with `checksum`",
            )
        })
    }

    fn newest_in_line(&self, major: u32, minor: u32, at: Loc) -> Result<String, Problem> {
        let fetched = self.index(at)?;
        match fetched.index.newest_in_line(major, minor) {
            Some(release) => Ok(release.version.trim_start_matches("go").to_owned()),
            None => Err(Problem::new(
                at,
                "goenv::plan::unknown-go-line",
                format!(
                    "the download index {} has no stable {major}.{minor}.x release",
                    crate::sdk::fetch::redact_url(&fetched.url)
                ),
                "not in the index",
            )
            .help(newest_hint(&fetched.index))),
        }
    }

    fn sdk(&self, version: &str, at: Loc, active: bool) -> Result<WantedSdk, Problem> {
        let path = self.go.dir(self.ctx).join(format!("go{version}"));
        let make = |how| WantedSdk { version: version.to_owned(), path: path.clone(), how };
        if let Some(state) = self.observed.sdk(&path) {
            return self.existing(version, &path, state, at).map(make);
        }
        let goos = goos(self.ctx);
        let goarch = self.ctx.arch.name();
        let mirror = self.go.mirror.as_ref().map_or(GO_DEV_DL_URL, |m| m.text.as_str());
        let pinned = self.go.checksum.as_ref().filter(|_| active);
        let (archive, sha256, checksum_from) = match pinned {
            Some(sum) => {
                let file = self.sources.get(sum.at.file);
                let (line, _) = file.line_col(sum.at.offset);
                (
                    index::archive_name(version, goos, goarch),
                    sum.text.to_ascii_lowercase(),
                    format!("profile {}:{line}", file.display),
                )
            }
            None => {
                let fetched = self.index(at)?;
                let shown = crate::sdk::fetch::redact_url(&fetched.url);
                let Some(release) = fetched.index.release(version) else {
                    return Err(Problem::new(
                        at,
                        "goenv::plan::unknown-go-version",
                        format!("go{version} is not in the download index {shown}"),
                        "not in the index",
                    )
                    .help(newest_hint(&fetched.index)));
                };
                let Some(file) = release.archive(goos, goarch) else {
                    return Err(Problem::new(
                        at,
                        "goenv::plan::no-archive",
                        format!(
                            "the download index {shown} has no go{version} archive for {goos}/{goarch}"
                        ),
                        "no archive for this platform",
                    ));
                };
                (file.filename.clone(), file.sha256.to_ascii_lowercase(), format!("index {shown}"))
            }
        };
        let url = index::mirror_url(mirror, &archive);
        Ok(make(How::Install(Descriptor {
            version: version.to_owned(),
            archive,
            sha256,
            url,
            checksum_from,
        })))
    }

    /// A directory is already at `<dir>/go<version>`: goenv's own, or adopted when complete.
    fn existing(
        &self,
        version: &str,
        path: &std::path::Path,
        state: &SdkState,
        at: Loc,
    ) -> Result<How, Problem> {
        if state.descriptor != FOREIGN
            && let Some(d) = Descriptor::parse(&state.descriptor).filter(|d| d.version == version)
        {
            return Ok(How::Installed(d));
        }
        let expected = format!("go{version}");
        let problem = match &state.version {
            _ if state.descriptor != FOREIGN => {
                format!(
                    "its goenv descriptor `{}` is damaged",
                    crate::resource::entry::SDK_DESCRIPTOR
                )
            }
            None => "it has no `VERSION` file (an interrupted unpack?)".to_owned(),
            Some(v) if *v != expected => format!("its `VERSION` file says {v}"),
            Some(_) if !state.has_pkg_tool => "it has no `pkg/tool` directory".to_owned(),
            Some(_) if !state.marker => format!(
                "it has no `{}` marker, so its unpacking may not have finished",
                crate::sdk::extract::MARKER
            ),
            Some(_) => return Ok(How::Adopted),
        };
        Err(Problem::new(
            at,
            "goenv::plan::sdk-not-adoptable",
            format!("`{}` exists but is not a complete {expected} SDK: {problem}", path.display()),
            "cannot adopt",
        )
        .help(format!(
            "goenv never repairs a directory it did not install: remove `{}` and plan again, or \
             `touch {}/{}` if you know it is complete",
            path.display(),
            path.display(),
            crate::sdk::extract::MARKER
        )))
    }
}

fn newest_hint(index: &crate::sdk::index::Index) -> String {
    let newest: Vec<&str> =
        index.releases.iter().filter(|r| r.stable).take(3).map(|r| r.version.as_str()).collect();
    if newest.is_empty() {
        "the index lists no stable release: is `index` the right URL?".to_owned()
    } else {
        format!("the newest stable releases it lists: {}", newest.join(", "))
    }
}
