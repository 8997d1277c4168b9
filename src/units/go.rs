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
        if let Some(go) = &input.profile.go
            && let GoSelector::Exact(v) = go.version
            && go.root.is_some()
        {
            reads.sdk_roots.push(go.sdk_path(input.ctx, &v.to_string(), true));
        }
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
                How::Adopted { .. } => continue,
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
    /// Someone else installed it (`go1.22.10 download`, by hand, a package manager): used as it
    /// is, never modified, moved or removed. `checked` says how it was verified, for the plan:
    /// `go1.22.10 linux/amd64: VERSION, bin/go build info, pkg/tool/linux_amd64/compile,
    /// src/runtime`.
    Adopted { checked: String },
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
    /// What the plan says of each adopted tree: where it is and how it was verified.
    pub adopted: Vec<String>,
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
    let selectors =
        std::iter::once((go.version, true)).chain(go.keep.iter().map(|(s, _)| (*s, false)));
    for (selector, active) in selectors {
        match selector {
            GoSelector::System => {}
            GoSelector::Line(_) => return Some(url),
            GoSelector::Exact(v) => {
                let present = observed.sdk(&go.sdk_path(ctx, &v.to_string(), active)).is_some();
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
        adopted: vec![],
    };
    let mut problems = Vec::new();
    let r = Resolver { go, ctx, observed, sources };
    let wanted = std::iter::once((go.version, go.version_at, true))
        .chain(go.keep.iter().map(|(s, at)| (*s, *at, false)));
    for (selector, at, active) in wanted {
        let version = match selector {
            GoSelector::System => {
                // Only the active version can be "system" (`keep "system"` is refused).
                match r.system(at) {
                    Ok(sdk) => out.active = sdk,
                    Err(p) => problems.push(p),
                }
                continue;
            }
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
    let mut adopted = Vec::new();
    for sdk in out.all() {
        if let How::Adopted { checked } = &sdk.how {
            let shown = crate::resource::tilde_path(&sdk.path, &ctx.home);
            let target = observed.sdk(&sdk.path).and_then(|s| s.target.as_ref());
            let line = match target {
                Some(t) => format!(
                    "adopt `{shown}` → `{}` ({checked})",
                    crate::resource::tilde_path(t, &ctx.home)
                ),
                None => format!("adopt `{shown}` ({checked})"),
            };
            adopted.push(line);
        }
    }
    out.adopted = adopted;
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

struct Resolver<'a> {
    go: &'a GoSpec,
    ctx: &'a Context,
    observed: &'a Observed,
    sources: &'a Sources,
}

impl Resolver<'_> {
    /// `go "system"`: the tree of the `go` the login shell's context finds, adopted when
    /// verified. `None` when nothing was read (a plan `--against` another profile, offline).
    fn system(&self, at: Loc) -> Result<Option<WantedSdk>, Problem> {
        let Some(system) = &self.observed.system_go else { return Ok(None) };
        let context = &system.context;
        let looked = match &system.path {
            Some(p) if !p.is_empty() => format!(
                "goenv looked in {}",
                p.split(':')
                    .filter(|d| !d.is_empty())
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => "its PATH is empty".to_owned(),
        };
        let problem = |message: String, help: &str| {
            Problem::new(at, "goenv::plan::no-system-go", message, "no `go` to adopt")
                .help(help.to_owned())
        };
        let found = match &system.login {
            Err(why) => {
                return Err(problem(
                    format!(
                        "`go \"system\"` follows the `go` your login shell ({context}) finds, and \
                         its PATH cannot be known from files: {why}"
                    ),
                    "set PATH in your start-up files with plain assignments, or pin a version: \
                     `go \"1.22.10\"` (goenv downloads it) or `go \"1.22.10\" { root \"…\" }`",
                ));
            }
            Ok(None) => {
                return Err(problem(
                    format!(
                        "`go \"system\"` follows the `go` your login shell ({context}) finds, and \
                         no `go` was found on its PATH ({looked})"
                    ),
                    "install Go (your package manager's `golang-go`, or go.dev's tarball with \
                     its `bin` on PATH in `~/.profile`), or pin a version: `go \"1.22.10\"` \
                     (goenv downloads it) or `go \"1.22.10\" { root \"/usr/local/go\" }`",
                ));
            }
            Ok(Some(found)) => found,
        };
        let exe = crate::resource::tilde_path(&found.exe, &self.ctx.home);
        let root = match &found.goroot {
            Ok(root) => root,
            Err(e) => {
                return Err(problem(
                    format!(
                        "`go \"system\"`: your login shell ({context}) finds `{exe}`, which has no \
                         GOROOT goenv can adopt: {e}"
                    ),
                    "reinstall that Go, or pin a version: `go \"1.22.10\"`",
                ));
            }
        };
        let version = found.version.as_deref().and_then(|v| v.strip_prefix("go"));
        let state = self.observed.sdk(root);
        let checked = match (version, state) {
            (Some(v), Some(state)) => verify(v, state, self.ctx).map(|c| (v, c)),
            (None, _) => Err("it has no `VERSION` file and its `bin/go` names no version".into()),
            (_, None) => Err("it was not read".into()),
        };
        match checked {
            Ok((version, checked)) => Ok(Some(WantedSdk {
                version: version.to_owned(),
                path: root.clone(),
                how: How::Adopted {
                    checked: format!("{checked}; the `go` {context} finds: `{exe}`"),
                },
            })),
            Err(why) => Err(problem(
                format!(
                    "`go \"system\"`: your login shell ({context}) finds `{exe}`, whose tree `{}` \
                     goenv cannot adopt: {why}",
                    root.display()
                ),
                "goenv adopts a tree as it is and never repairs it: reinstall that Go, or pin a \
                 version: `go \"1.22.10\"` (goenv downloads it)",
            )),
        }
    }

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
        let path = self.go.sdk_path(self.ctx, version, active);
        let make = |how| WantedSdk { version: version.to_owned(), path: path.clone(), how };
        // A `root` elsewhere than `<dir>/go<version>` is only ever adopted, even a tree goenv
        // unpacked: goenv manages (and may prune) only what is in its SDK directory.
        let named = active
            && self.go.root.is_some()
            && path != self.go.dir(self.ctx).join(format!("go{version}"));
        if named {
            let Some(root) = &self.go.root else { unreachable!("named implies a root") };
            let state = self.observed.sdk(&path);
            return match state.map(|s| verify(version, s, self.ctx)) {
                Some(Ok(checked)) => Ok(make(How::Adopted { checked })),
                Some(Err(problem)) => Err(root_problem(root, &path, version, &problem)),
                None => Err(root_problem(root, &path, version, "it was not read")),
            };
        }
        if let Some(state) = self.observed.sdk(&path) {
            return self.existing(version, &path, state, at).map(make);
        }
        let goos = goos(self.ctx);
        let goarch = self.ctx.arch.name();
        let mirror = self.go.mirror.as_ref().map_or(GO_DEV_DL_URL, |m| m.text.as_str());
        let pinned = self.go.checksum.as_ref().filter(|_| active);
        let (archive, sha256, size, checksum_from) = match pinned {
            Some(sum) => {
                let file = self.sources.get(sum.at.file);
                let (line, _) = file.line_col(sum.at.offset);
                (
                    index::archive_name(version, goos, goarch),
                    sum.text.to_ascii_lowercase(),
                    None,
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
                (
                    file.filename.clone(),
                    file.sha256.to_ascii_lowercase(),
                    u64::try_from(file.size).ok().filter(|&size| size > 0),
                    format!("index {shown}"),
                )
            }
        };
        let url = index::mirror_url(mirror, &archive);
        Ok(make(How::Install(Descriptor {
            version: version.to_owned(),
            archive,
            sha256,
            size,
            url,
            checksum_from,
        })))
    }

    /// A directory is already at `<dir>/go<version>`: goenv's own, or adopted when verified.
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
        let problem = if state.descriptor != FOREIGN {
            format!("its goenv descriptor `{}` is damaged", crate::resource::entry::SDK_DESCRIPTOR)
        } else {
            match verify(version, state, self.ctx) {
                Ok(checked) => return Ok(How::Adopted { checked }),
                Err(problem) => problem,
            }
        };
        let marker = crate::sdk::extract::MARKER;
        let how = if state.marker {
            format!("a tree with golang.org/dl's `{marker}` marker still needs all of its parts")
        } else {
            format!(
                "a tree without golang.org/dl's `{marker}` marker is adopted when its `VERSION`, \
                 `bin/go` build info, `pkg/tool/{}/compile` and `src/runtime` agree",
                tool_dir(self.ctx)
            )
        };
        let link = match &state.target {
            Some(t) => format!(" (a link to `{}`)", t.display()),
            None => String::new(),
        };
        Err(Problem::new(
            at,
            "goenv::plan::sdk-not-adoptable",
            format!(
                "`{}`{link} exists but is not a complete {expected} SDK: {problem}",
                path.display()
            ),
            "cannot adopt",
        )
        .help(format!(
            "{how}; goenv never repairs a directory it did not install: remove `{}` and plan \
             again to let goenv download {expected}, or point `root` at a complete tree",
            path.display(),
        )))
    }
}

/// `pkg/tool`'s directory for the Context's platform: `linux_amd64`.
pub fn tool_dir(ctx: &Context) -> String {
    format!("{}_{}", goos(ctx), ctx.arch.name())
}

/// Whether the tree `state` is a complete SDK of `version` for this machine, read without
/// running it; `Ok` says how it was verified (for the plan), `Err` what is wrong.
///
/// With golang.org/dl's `.unpacked-success` marker (the proof its unpacking finished),
/// `VERSION`, `bin/go` and `pkg/tool` must be there, and `bin/go`, when goenv can read it, must
/// be this version for this machine. Without it (a tarball unpacked by hand, a copy, a package
/// manager's tree), everything is checked: `VERSION` names the version, `bin/go`'s build info
/// says the same version and this machine's GOOS/GOARCH, `pkg/tool/<os>_<arch>/compile` exists
/// and `src/runtime` is a directory.
pub fn verify(version: &str, state: &SdkState, ctx: &Context) -> Result<String, String> {
    if let Some(why) = &state.broken {
        return Err(why.clone());
    }
    let expected = format!("go{version}");
    match &state.version {
        None => return Err("it has no `VERSION` file (an interrupted unpack?)".into()),
        Some(v) if *v != expected => return Err(format!("its `VERSION` file says {v}")),
        Some(_) => {}
    }
    if !state.has_bin_go {
        return Err("it has no `bin/go`".into());
    }
    let (os, arch) = machine(ctx);
    let platform = format!("{}/{}", goos(ctx), ctx.arch.name());
    let arch_problem = |arches: &[(crate::gobin::BinaryOs, crate::gobin::BinaryArch)]| {
        let fits = arches.iter().any(|(o, a)| *o == os && *a == arch);
        (!fits).then(|| {
            let built: Vec<String> = arches.iter().map(|(o, a)| format!("{o}/{a}")).collect();
            format!(
                "its `bin/go` is built for {}, but this machine is {platform}",
                if built.is_empty() { "no platform goenv knows".into() } else { built.join(", ") }
            )
        })
    };
    let version_problem = |built: &str| {
        (built != expected).then(|| {
            format!("its `VERSION` file says {expected}, but its `bin/go` was built as {built}")
        })
    };
    if state.marker {
        if !state.has_pkg_tool {
            return Err("it has no `pkg/tool` directory".into());
        }
        if let Ok(built) = &state.go_version
            && let Some(p) = version_problem(built)
        {
            return Err(p);
        }
        if let Ok(arches) = &state.arches
            && let Some(p) = arch_problem(arches)
        {
            return Err(p);
        }
        return Ok(format!(
            "{expected}: VERSION, the `{}` marker, bin/go, pkg/tool",
            crate::sdk::extract::MARKER
        ));
    }
    let built = state
        .go_version
        .as_ref()
        .map_err(|e| format!("the build info of its `bin/go` cannot be read: {e}"))?;
    if let Some(p) = version_problem(built) {
        return Err(p);
    }
    let arches = state
        .arches
        .as_ref()
        .map_err(|e| format!("the header of its `bin/go` cannot be read: {e}"))?;
    if let Some(p) = arch_problem(arches) {
        return Err(p);
    }
    let tools = tool_dir(ctx);
    if !state.compilers.contains(&tools) {
        let has = if state.compilers.is_empty() {
            String::new()
        } else {
            format!(
                " (it has {})",
                state
                    .compilers
                    .iter()
                    .map(|c| format!("`pkg/tool/{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(format!("it has no `pkg/tool/{tools}/compile`{has}"));
    }
    if !state.has_runtime {
        return Err("it has no `src/runtime` directory".into());
    }
    Ok(format!(
        "{expected} {platform}: VERSION, bin/go build info, pkg/tool/{tools}/compile, src/runtime"
    ))
}

/// A `root` that cannot be adopted: where it is written, and what is wrong.
fn root_problem(
    root: &crate::profile::Value,
    path: &std::path::Path,
    version: &str,
    problem: &str,
) -> Problem {
    Problem::new(
        root.at,
        "goenv::plan::root-not-adoptable",
        format!("`root` `{}` is not a go{version} SDK goenv can adopt: {problem}", path.display()),
        "cannot adopt",
    )
    .help(format!(
        "goenv adopts a tree as it is and never downloads, repairs or replaces it: point `root` at \
         a complete go{version} tree for this machine (its `VERSION`, `bin/go`, \
         `pkg/tool/<os>_<arch>/compile` and `src/runtime`), or remove `root` to let goenv \
         download go{version} into its SDK directory"
    ))
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
