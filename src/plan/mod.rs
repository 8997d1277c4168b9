//! Plan: the difference between what the profile wants and what the machine has.
//!
//! ```kdl
//! go-env { GOPROXY "https://goproxy.cn,direct" }   // → ~ file:~/.config/go/env
//! shells "bash"                                    // → ~ block:~/.bashrc, + file:~/.config/goenv/env.sh
//! ```
//!
//! The units turn a profile into [`Desired`] resources; [`compute`] compares them with the probed
//! machine and the last generation and returns the changes; the rules add findings. All pure:
//! they read no disk and start no process, so a plan is fast, deterministic and testable
//! without touching a machine. What a resource's new content is and what its removal leaves are
//! each one `match` on its kind, here.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::resource::content::ToolBuild;
use crate::resource::effect::Effect;
pub use crate::resource::tilde_path;
use crate::resource::{Kind, ResourceId, Shape};
pub use crate::rules::{Finding, Severity};
use crate::units::{Desired, Want};
use crate::units::{goland, vscode};

/// What happens to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// An effect: a command run after the files.
    Run,
}

impl Action {
    /// What turns `before` into `after` (absent → present is a create, and so on).
    pub fn between<T>(before: &Option<T>, after: &Option<T>) -> Self {
        match (before, after) {
            (None, _) => Self::Create,
            (_, None) => Self::Delete,
            _ => Self::Update,
        }
    }

    pub fn sign(self) -> char {
        match self {
            Self::Create => '+',
            Self::Update => '~',
            Self::Delete => '-',
            Self::Run => '>',
        }
    }
}

/// One path goenv will write or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Stable resource id, e.g. `file:~/.config/go/env` or `block:~/.bashrc`.
    pub id: ResourceId,
    /// The path written (a symlinked rc file is written at its target; this is the link).
    pub path: PathBuf,
    pub action: Action,
    pub before: Option<Vec<u8>>,
    /// `None` for a removal, and for a tool whose `build` is still to be done.
    pub after: Option<Vec<u8>>,
    /// A binary `apply` builds before its transaction; it then holds the bytes in `after`.
    pub build: Option<ToolBuild>,
    /// Mode for a new file; an existing file keeps its own.
    pub mode: u32,
    /// Whether goenv manages the path after this change (false for a removal).
    pub managed: bool,
}

impl Change {
    /// The change from `before` to `after` of a path goenv writes itself (no build pending).
    pub fn between(
        id: ResourceId,
        path: PathBuf,
        before: Option<Vec<u8>>,
        after: Option<Vec<u8>>,
        mode: u32,
        managed: bool,
    ) -> Self {
        let action = Action::between(&before, &after);
        Change { id, path, action, before, after, build: None, mode, managed }
    }

    /// An effect to run: no path, no before (the manager's state is read when it runs), the
    /// effect as its after-content.
    pub fn effect(effect: &Effect) -> Self {
        Change {
            id: ResourceId::effect(effect),
            path: PathBuf::new(),
            action: Action::Run,
            before: None,
            after: Some(effect.render()),
            build: None,
            mode: 0,
            managed: false,
        }
    }
}

/// A managed path that does not change, recorded so the next generation still knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub id: ResourceId,
    pub path: PathBuf,
    pub content: Option<Vec<u8>>,
    pub mode: u32,
}

/// Changes and findings, in a stable order.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub unchanged: Vec<Kept>,
    pub findings: Vec<Finding>,
    /// Strings that must never be shown (secret values, URL credentials).
    pub secrets: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// `(to add, to change, to remove)`: paths; effects are [`Plan::effects`].
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |a| self.changes.iter().filter(|c| c.action == a).count();
        (n(Action::Create), n(Action::Update), n(Action::Delete))
    }

    /// The effects to run, in order, with their changes.
    pub fn effects(&self) -> impl Iterator<Item = (&Change, Effect)> {
        self.changes
            .iter()
            .filter(|c| c.id.kind == Kind::Effect)
            .filter_map(|c| Some((c, Effect::parse(c.after.as_deref()?)?)))
    }

    /// The changes to paths (everything but effects).
    pub fn paths(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.id.kind != Kind::Effect)
    }
}

use crate::formats::block;
use crate::probe::{FileState, Observed};
use crate::resource::content::Descriptor;

/// What the previous generation left goenv managing: path → (resource id, mode).
#[derive(Debug, Clone, Default)]
pub struct Managed {
    pub paths: Vec<ManagedPath>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPath {
    pub id: ResourceId,
    pub path: PathBuf,
    /// The content before goenv first touched the path (`None`: goenv created it).
    pub original: Option<Vec<u8>>,
}

/// A plan that cannot be made: the problem, and the path it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// A file goenv must read or edit is in a state it will not touch.
    Path {
        path: PathBuf,
        /// 1-based line and column of the problem, when it is inside the file.
        at: Option<(usize, usize)>,
        reason: String,
        /// What to do about it, when there is more to say than "fix the file".
        hint: Option<String>,
    },
}

impl PlanError {
    fn path(path: &std::path::Path, reason: impl Into<String>) -> Self {
        Self::Path { path: path.to_path_buf(), at: None, reason: reason.into(), hint: None }
    }

    fn xml(path: &std::path::Path, e: &crate::formats::gosdk::XmlError) -> Self {
        Self::Path {
            path: path.to_path_buf(),
            at: Some((e.line, e.column)),
            reason: e.message.clone(),
            hint: Some(
                "goenv edits GoLand's SDK list only in a file it can read: fix it, or quit \
                 GoLand and remove it (GoLand writes it again)"
                    .into(),
            ),
        }
    }

    fn settings(path: &std::path::Path, e: &crate::formats::jsonc::JsoncError) -> Self {
        Self::Path {
            path: path.to_path_buf(),
            at: Some((e.line, e.column)),
            reason: e.message(),
            hint: Some(e.hint().to_owned()),
        }
    }
}

/// Compares the desired resources with the machine and the previously managed paths.
pub fn compute(
    desired: &Desired,
    observed: &Observed,
    managed: &Managed,
) -> Result<Plan, PlanError> {
    let mut plan = Plan { secrets: desired.secrets.clone(), ..Plan::default() };
    // The SDK links goenv manages: a VS Code `go.goroot` naming one was written by goenv.
    let links: Vec<PathBuf> =
        managed.paths.iter().filter(|m| m.id.kind == Kind::Link).map(|m| m.path.clone()).collect();
    let earlier = |path: &Path| {
        managed
            .paths
            .iter()
            .find(|m| m.path == path)
            .map(|m| vscode::Earlier { original: m.original.as_deref(), links: &links })
    };
    for r in &desired.resources {
        if let Want::Effect(effect) = &r.want {
            plan.changes.push(Change::effect(effect));
            continue;
        }
        let (before, mode) = state(observed, r.id.kind.shape(), &r.path)?;
        let after = match &r.want {
            Want::File(content) => content.clone(),
            Want::Block { body, placement } => {
                block::upsert(before.as_deref().unwrap_or_default(), body, *placement)
                    .map_err(|e| PlanError::path(&r.path, e.to_string()))?
            }
            Want::Json(edits) => {
                match vscode::after(before.as_deref(), edits, earlier(&r.path))
                    .map_err(|e| PlanError::settings(&r.path, &e))?
                {
                    Some(after) => after,
                    // Nothing to set and nothing there: not goenv's to create.
                    None => continue,
                }
            }
            Want::Xml(value) => {
                let original = managed.paths.iter().find(|m| m.path == r.path);
                let earlier = original.map(|m| m.original.as_deref());
                match goland::sdk_after(
                    before.as_deref(),
                    Some(value),
                    earlier,
                    &links,
                    &desired.home,
                )
                .map_err(|e| PlanError::xml(&r.path, &e))?
                {
                    Some(after) => after,
                    None => continue,
                }
            }
            Want::Link(target) => target.as_os_str().as_encoded_bytes().to_vec(),
            // Up to date: the binary stays. Otherwise `apply` builds it first.
            Want::Tool(None) => before.clone().unwrap_or_default(),
            Want::Tool(Some(build)) => {
                let action = if before.is_some() { Action::Update } else { Action::Create };
                plan.changes.push(Change {
                    id: r.id.clone(),
                    path: r.path.clone(),
                    action,
                    before,
                    after: None,
                    build: Some(build.clone()),
                    mode,
                    managed: true,
                });
                continue;
            }
            Want::Effect(_) => continue,
            Want::Sdk(descriptor) => match &before {
                // The same SDK from the same archive, whatever mirror served it: unchanged.
                Some(b) if Descriptor::parse(b).is_some_and(|d| d.same_sdk(descriptor)) => {
                    b.clone()
                }
                Some(b) if b == crate::resource::entry::FOREIGN => {
                    return Err(PlanError::path(
                        &r.path,
                        "an SDK goenv did not install is in the way",
                    ));
                }
                _ => descriptor.render(),
            },
        };
        // A whole file goenv owns that holds a secret (an exported `secret=#true` value, a proxy
        // URL's credentials) is for its owner only, new or not.
        let mode = if r.id.kind == Kind::File && holds_secret(&after, &plan.secrets) {
            mode & 0o700
        } else {
            mode
        };
        push(&mut plan, r.id.clone(), r.path.clone(), before, Some(after), mode, true);
    }
    let prune = desired.go.as_ref().is_some_and(|g| g.prune);
    // A tree the profile adopts is never pruned, even one goenv once installed there.
    let adopted = |path: &Path| {
        desired.go.as_ref().is_some_and(|g| {
            g.all().any(|s| {
                s.path == path
                    || observed.sdk(&s.path).and_then(|t| t.target.as_deref()) == Some(path)
            })
        })
    };
    for m in &managed.paths {
        // An effect is never a managed path; a manifest that says so is not goenv's.
        if m.id.kind == Kind::Effect || desired.resources.iter().any(|r| r.path == m.path) {
            continue;
        }
        let (before, mode) = state(observed, m.id.kind.shape(), &m.path)?;
        // No longer wanted: a block is taken out (keeping the user's later edits around it);
        // goenv's VS Code settings get their original values back (the rest of the file stays
        // as the user left it); an SDK stays unless pruning was asked for, else goes to the
        // trash; a whole file, link or binary goes back to what it was before goenv, or away if
        // goenv created it.
        let after = match m.id.kind {
            Kind::Sdk if !prune || adopted(&m.path) => {
                // Installed by goenv, no longer listed: it stays, still goenv's, so a later
                // `prune #true` can remove it.
                if before.is_some() {
                    plan.unchanged.push(Kept {
                        id: m.id.clone(),
                        path: m.path.clone(),
                        content: before,
                        mode,
                    });
                }
                continue;
            }
            Kind::Block => match &before {
                Some(b) => {
                    let rest =
                        block::remove(b).map_err(|e| PlanError::path(&m.path, e.to_string()))?;
                    if rest.is_empty() && m.original.is_none() { None } else { Some(rest) }
                }
                None => None,
            },
            Kind::Json => {
                let earlier = vscode::Earlier { original: m.original.as_deref(), links: &links };
                vscode::after(before.as_deref(), &[], Some(earlier))
                    .map_err(|e| PlanError::settings(&m.path, &e))?
            }
            Kind::Xml => goland::sdk_after(
                before.as_deref(),
                None,
                Some(m.original.as_deref()),
                &links,
                &desired.home,
            )
            .map_err(|e| PlanError::xml(&m.path, &e))?,
            Kind::File | Kind::Tool | Kind::Link | Kind::Sdk | Kind::Effect => m.original.clone(),
        };
        push(&mut plan, m.id.clone(), m.path.clone(), before, after, mode, false);
    }
    Ok(plan)
}

/// What goenv owns of a path's content, to tell drift from someone else's edit: in a file it
/// shares, its marker block (`block:`), its VS Code settings (`json:`) or GoLand's SDK list
/// (`xml:`: the list as a whole); else all of it. A
/// shared file that cannot be read as such is owned whole, so any change to it is drift.
pub fn owned(kind: Kind, content: Option<&[u8]>) -> Option<Vec<u8>> {
    let content = content?;
    let part = match kind {
        Kind::Block => block::find(content).ok().map(|r| r.map(|r| content[r].to_vec())),
        Kind::Json => vscode::owned(content).map(|v| Some(v.into_bytes())),
        Kind::Xml => goland::owned(content).map(|v| Some(v.into_bytes())),
        Kind::File | Kind::Tool | Kind::Link | Kind::Sdk | Kind::Effect => None,
    };
    match part {
        // Prefixed, so an owned part never equals some whole content.
        Some(p) => Some([b"owned part\n".as_slice(), &p.unwrap_or_default()].concat()),
        None => Some(content.to_vec()),
    }
}

/// What a rollback puts at a path that should hold `wanted`, while it holds `current`: in a file
/// goenv shares, only goenv's part as in `wanted` and the rest as it is now; else `wanted`.
pub fn put_back(kind: Kind, current: Option<&[u8]>, wanted: Option<&[u8]>) -> Option<Vec<u8>> {
    let whole = || wanted.map(<[u8]>::to_vec);
    match kind {
        Kind::Block => {
            let now = current.unwrap_or_default();
            let out = match wanted {
                Some(w) => block::put_back(now, w),
                None => block::remove(now),
            };
            match out {
                // Deleted since and no block wanted, or goenv had created the file and only its
                // block was left: no file.
                Ok(rest) if rest.is_empty() && (current.is_none() || wanted.is_none()) => None,
                Ok(rest) => Some(rest),
                Err(_) => whole(),
            }
        }
        Kind::Json => vscode::put_back(current, wanted).unwrap_or_else(whole),
        Kind::Xml => goland::put_back(current, wanted).or_else(whole),
        Kind::File | Kind::Tool | Kind::Link | Kind::Sdk | Kind::Effect => whole(),
    }
}

/// Whether `content` holds any of `secrets`.
fn holds_secret(content: &[u8], secrets: &[String]) -> bool {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .any(|s| content.windows(s.len()).any(|w| w == s.as_bytes()))
}

/// What a path holds now, as the probe found it, by its shape.
fn state(
    observed: &Observed,
    shape: Shape,
    path: &std::path::Path,
) -> Result<(Option<Vec<u8>>, u32), PlanError> {
    use crate::probe::LinkState;
    match shape {
        Shape::File => match observed.get(path) {
            FileState::Absent => Ok((None, 0o644)),
            FileState::Present { bytes, mode } => Ok((Some(bytes.clone()), *mode)),
            FileState::Unreadable(reason) => Err(PlanError::path(path, reason.clone())),
            FileState::ReadOnly { reason, .. } => Err(PlanError::Path {
                path: path.to_path_buf(),
                at: None,
                reason: reason.clone(),
                hint: Some(
                    "goenv does not replace a file you cannot write, as an editor would not: make \
                     it writable for you (`chmod u+w`, or `chown` it to you) or ask its owner"
                        .into(),
                ),
            }),
            FileState::Dangling { link, missing } => Err(PlanError::Path {
                path: path.to_path_buf(),
                at: None,
                reason: format!(
                    "it is a symbolic link to `{}`, and `{}` does not exist",
                    link.display(),
                    missing.display()
                ),
                hint: Some(
                    "goenv edits a linked file at its target and never creates the target: if \
                     your dotfiles checkout is somewhere else, fix the link (or remove it and \
                     goenv creates the file)"
                        .into(),
                ),
            }),
        },
        Shape::Link => match observed.link(path) {
            LinkState::Absent => Ok((None, 0o777)),
            LinkState::Link(t) => Ok((Some(t.as_os_str().as_encoded_bytes().to_vec()), 0o777)),
            LinkState::NotALink(reason) => Err(PlanError::path(path, reason)),
        },
        Shape::Sdk => Ok((observed.sdk(path).map(|s| s.descriptor.clone()), 0o755)),
        Shape::Effect => Ok((None, 0)),
    }
}

fn push(
    plan: &mut Plan,
    id: ResourceId,
    path: PathBuf,
    before: Option<Vec<u8>>,
    after: Option<Vec<u8>>,
    mode: u32,
    managed: bool,
) {
    if before == after {
        if managed {
            plan.unchanged.push(Kept { id, path, content: after, mode });
        }
        return;
    }
    plan.changes.push(Change::between(id, path, before, after, mode, managed));
}
