//! units: one unit per profile node, each saying side by side what it reads from the machine and
//! which resources it wants, so probing and desired state cannot disagree.
//!
//! ```kdl
//! go "1.22.10"                    // go:       sdk:go1.22.10, link:~/sdk/current
//! delve install="v1.23.1"         // delve:    tool:~/go/bin/dlv
//! go-env { GOPATH "~/go" }        // go_env:   file:~/.config/go/env (the Go env file, owned whole)
//! export { EDITOR "vi" }          // shells:   file:~/.config/goenv/env.sh (and env.fish)
//! shells "bash" "zsh" "fish"      // shells:   block:~/.profile, block:~/.bashrc, block:~/.zshenv,
//!                                 //           file:~/.config/fish/conf.d/goenv.fish
//! session                         // session:  file:~/.config/environment.d/50-goenv.conf
//! session live=#true              //           and effect:systemd-user/set-environment
//! vscode                          // vscode:   json:~/.config/Code/User/settings.json
//! goland                          // goland:   block:~/.config/JetBrains/GoLand2025.1/idea.properties,
//!                                 //           xml:~/.config/JetBrains/GoLand2025.1/options/go.sdk.xml
//! service "api.service" { … }      // service:  file:~/.config/systemd/user/api.service.d/50-goenv.conf
//! ```
//!
//! Pure: a unit reads the profile, the Context and the [`Observed`] machine, and renders contents
//! with `formats`. It never touches the disk or starts a process; the engine does the reading a
//! unit asks for. Nodes whose targets are not built yet stop the plan with a problem naming the
//! node: never a silent skip.

pub mod delve;
pub mod go;
pub mod go_env;
pub mod goland;
pub mod service;
pub mod session;
pub mod shells;
pub mod unitfile;
pub mod vscode;

use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::formats::{block, jsonc};
use crate::probe::Observed;
pub use crate::probe::Reads;
use crate::profile::{Problem, Profile};
use crate::resource::content::{Descriptor, ToolBuild};
use crate::resource::effect::Effect;
use crate::resource::{Kind, ResourceId};

pub use go::GoResolved;

/// What a unit needs to know to say what it reads and wants.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    pub profile: &'a Profile,
    pub ctx: &'a Context,
}

/// What the engine must read once the files are known: `dlv` binaries and the download index.
#[derive(Debug, Default)]
pub struct Then {
    /// The profile's `dlv`.
    pub delve: Option<PathBuf>,
    /// Another `dlv` VS Code debugs with.
    pub editor_dlv: Option<PathBuf>,
    /// The download index, when some SDK version is neither installed nor pinned.
    pub index: Option<String>,
    /// Processes a lock file names (GoLand's `.lock` holds its PID): whether each still runs
    /// decides the plan. Read from `/proc` on Linux; elsewhere each counts as running.
    pub processes: Vec<u32>,
}

/// What a resource should hold. The variant decides the resource's [`Kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// The whole file.
    File(Vec<u8>),
    /// goenv's marker block with `body`, placed in someone else's file.
    Block { body: String, placement: block::Placement },
    /// These settings in a JSON-with-comments file someone else owns.
    Json(Vec<jsonc::Edit>),
    /// This Go SDK (a path, as GoLand spells it) in GoLand's `go.sdk.xml`.
    Xml(String),
    /// A binary: `None` when the one there is already the one asked for.
    Tool(Option<ToolBuild>),
    /// A symbolic link to this target.
    Link(PathBuf),
    /// An SDK tree goenv installs, known by its descriptor.
    Sdk(Descriptor),
    /// A command run after the files (the resource's path is empty).
    Effect(Effect),
}

impl Want {
    pub fn kind(&self) -> Kind {
        match self {
            Want::File(_) => Kind::File,
            Want::Block { .. } => Kind::Block,
            Want::Json(_) => Kind::Json,
            Want::Xml(_) => Kind::Xml,
            Want::Tool(_) => Kind::Tool,
            Want::Link(_) => Kind::Link,
            Want::Sdk(_) => Kind::Sdk,
            Want::Effect(_) => Kind::Effect,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: ResourceId,
    pub path: PathBuf,
    pub want: Want,
}

impl Resource {
    pub fn new(path: PathBuf, want: Want, home: &Path) -> Self {
        Resource { id: ResourceId::new(want.kind(), &path, home), path, want }
    }

    /// An effect: no path, its id from what it runs.
    pub fn effect(effect: Effect) -> Self {
        Resource {
            id: ResourceId::effect(&effect),
            path: PathBuf::new(),
            want: Want::Effect(effect),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Desired {
    /// In apply order: SDK trees, then links to them, then binaries built with them, then
    /// files, blocks and settings, then effects (see [`Kind`]'s order).
    pub resources: Vec<Resource>,
    /// Values that must never be shown: secret values and URL credentials.
    pub secrets: Vec<String>,
    /// The `go` node on this machine.
    pub go: Option<GoResolved>,
    /// The home directory (GoLand writes paths under it from `$USER_HOME$`).
    pub home: PathBuf,
}

impl Desired {
    /// Whether goenv wants `path` as a resource of `kind`.
    pub fn wants(&self, kind: Kind, path: &Path) -> bool {
        self.resources.iter().any(|r| r.id.kind == kind && r.path == path)
    }
}

/// What a unit sees while saying what it wants: the machine, and what units before it resolved.
pub struct Planning<'a> {
    pub input: Input<'a>,
    pub observed: &'a Observed,
    /// The `go` node as the `go` unit resolved it (units after it read this).
    pub go: Option<GoResolved>,
}

/// One profile node: what it reads and what it wants.
pub trait Unit: Sync {
    /// The profile node it serves, as written (`go-env`): what `-v` says a read is for.
    fn node(&self) -> &'static str;
    /// The files, directories and SDK directories this node's plan depends on.
    fn reads(&self, input: Input<'_>, reads: &mut Reads);
    /// What this node needs read once the files are known (a binary, the download index).
    fn then(&self, _input: Input<'_>, _observed: &Observed, _then: &mut Then) {}
    /// The resources this node wants on this machine, or the problems that stop the plan.
    fn wants(
        &self,
        planning: &mut Planning<'_>,
        out: &mut Vec<Resource>,
    ) -> Result<(), Vec<Problem>>;
}

/// Every unit, in the order they resolve (`go` first: the others read the active SDK).
pub const UNITS: &[&dyn Unit] = &[
    &go::Go,
    &delve::Delve,
    &go_env::GoEnv,
    &shells::Shells,
    &session::Session,
    &vscode::VsCode,
    &goland::Goland,
    &service::Services,
];

/// Everything every unit reads, for `managed` paths too (the last generation's files: a removal
/// must know their content).
pub fn reads(input: Input<'_>) -> Reads {
    let mut reads = Reads::default();
    for unit in UNITS {
        unit.reads(input, &mut reads);
    }
    reads
}

/// What the units need read once the files are known.
pub fn then(input: Input<'_>, observed: &Observed) -> Then {
    let mut then = Then::default();
    for unit in UNITS {
        unit.then(input, observed, &mut then);
    }
    then
}

/// What the profile wants on this machine, or the problems that stop the plan.
pub fn desired(input: Input<'_>, observed: &Observed) -> Result<Desired, Vec<Problem>> {
    let mut planning = Planning { input, observed, go: None };
    let mut resources = Vec::new();
    for unit in UNITS {
        unit.wants(&mut planning, &mut resources)?;
    }
    // Stable: within a kind, the units' order.
    resources.sort_by_key(|r| apply_order(r.id.kind));
    Ok(Desired {
        resources,
        secrets: input.profile.secrets(),
        go: planning.go,
        home: input.ctx.home.clone(),
    })
}

/// SDK trees first, so a link is switched only once its target is in place and a tool is built
/// with an SDK that is there; then what files hold.
fn apply_order(kind: Kind) -> u8 {
    match kind {
        Kind::Sdk => 0,
        Kind::Link => 1,
        Kind::Tool => 2,
        Kind::File => 3,
        Kind::Block => 4,
        Kind::Json => 5,
        Kind::Xml => 6,
        // After every file: an effect makes the running system read them.
        Kind::Effect => 7,
    }
}

/// The directory `go install` puts binaries in, as the profile sets it (GOBIN, else the first
/// GOPATH entry's `bin`, else `~/go/bin`).
pub fn gobin(profile: &Profile, ctx: &Context) -> String {
    let get = |k: &str| profile.go_env_file().find(|s| s.key == k).map(|s| s.value.text.clone());
    if let Some(b) = get("GOBIN").filter(|b| !b.is_empty()) {
        return b;
    }
    match get("GOPATH").and_then(|p| p.split(':').next().map(str::to_owned)) {
        Some(first) if !first.is_empty() => format!("{first}/bin"),
        _ => ctx.home.join("go/bin").to_string_lossy().into_owned(),
    }
}

/// The directories goenv puts first on PATH, in order: the active SDK's `bin`, GOBIN, then the
/// profile's `path` entries.
pub fn path_front(planning: &Planning<'_>) -> Vec<String> {
    let Input { profile, ctx } = planning.input;
    let mut front: Vec<String> = planning
        .go
        .as_ref()
        .filter(|g| g.active.is_some())
        .map(|g| g.link().join("bin").to_string_lossy().into_owned())
        .into_iter()
        .collect();
    let gobin = gobin(profile, ctx);
    if !front.contains(&gobin) {
        front.push(gobin);
    }
    for p in &profile.path_entries {
        if !front.contains(&p.text) {
            front.push(p.text.clone());
        }
    }
    front
}
