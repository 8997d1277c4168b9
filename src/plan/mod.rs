//! Plan: the difference between what the profile wants and what the machine has.
//!
//! ```kdl
//! go-env { GOPROXY "https://goproxy.cn,direct" }   // → ~ file:~/.config/go/env
//! shells "bash"                                    // → ~ block:~/.bashrc, + file:~/.config/goenv/env.sh
//! ```
//!
//! [`desired`] turns a profile into resources (whole files goenv owns, marker blocks in files
//! someone else owns, single settings in VS Code's `settings.json`); [`compute`] compares them with the probed files and the last generation
//! and returns changes and findings. Both are pure: they read no disk and start no process, so
//! a plan is fast, deterministic and testable without touching a machine.

pub mod delve;
pub mod desired;
pub mod findings;
pub mod go;
mod go_findings;
pub mod vscode;

use std::path::PathBuf;

use serde::Serialize;

pub use desired::{Desired, Kind, Resource};
pub use findings::{Finding, Severity};

/// What happens to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
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
        }
    }
}

/// One path goenv will write or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Stable resource id, e.g. `file:~/.config/go/env` or `block:~/.bashrc`.
    pub id: String,
    /// The path written (a symlinked rc file is written at its target; this is the link).
    pub path: PathBuf,
    pub action: Action,
    pub before: Option<Vec<u8>>,
    pub after: Option<Vec<u8>>,
    /// Mode for a new file; an existing file keeps its own.
    pub mode: u32,
    /// Whether goenv manages the path after this change (false for a removal).
    pub managed: bool,
}

/// A managed path that does not change, recorded so the next generation still knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub id: String,
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

    /// `(to add, to change, to remove)`.
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |a| self.changes.iter().filter(|c| c.action == a).count();
        (n(Action::Create), n(Action::Update), n(Action::Delete))
    }
}

/// A resource id's path with the home directory written as `~`.
pub fn tilde_path(path: &std::path::Path, home: &std::path::Path) -> String {
    match path.strip_prefix(home) {
        Ok(rest) if rest.as_os_str().is_empty() => "~".into(),
        Ok(rest) => format!("~/{}", rest.display()),
        Err(_) => path.display().to_string(),
    }
}

use crate::formats::block;
use crate::probe::{FileState, Observed};

/// What the previous generation left goenv managing: path → (resource id, mode).
#[derive(Debug, Clone, Default)]
pub struct Managed {
    pub paths: Vec<ManagedPath>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPath {
    pub id: String,
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
    let links: Vec<PathBuf> = managed
        .paths
        .iter()
        .filter(|m| m.id.starts_with("link:"))
        .map(|m| m.path.clone())
        .collect();
    for r in &desired.resources {
        let (before, mode) = state(observed, &r.id, &r.path)?;
        let after =
            match &r.kind {
                Kind::File { content } => content.clone(),
                Kind::Block { body, placement } => {
                    block::upsert(before.as_deref().unwrap_or_default(), body, *placement)
                        .map_err(|e| PlanError::path(&r.path, e.to_string()))?
                }
                Kind::Json { edits } => {
                    let earlier = managed.paths.iter().find(|m| m.path == r.path).map(|m| {
                        vscode::Earlier { original: m.original.as_deref(), links: &links }
                    });
                    match vscode::after(before.as_deref(), edits, earlier)
                        .map_err(|e| PlanError::settings(&r.path, &e))?
                    {
                        Some(after) => after,
                        // Nothing to set and nothing there: not goenv's to create.
                        None => continue,
                    }
                }
                Kind::Link { target } => target.as_os_str().as_encoded_bytes().to_vec(),
                // Up to date: the binary stays. Otherwise `apply` builds it (see `Kind::Tool`).
                Kind::Tool { build: None } => before.clone().unwrap_or_default(),
                Kind::Tool { build: Some(text) } => text.clone().into_bytes(),
                Kind::Sdk { descriptor } => match &before {
                    // The same SDK from the same archive, whatever mirror served it: unchanged.
                    Some(b) if same_sdk(b, descriptor) => b.clone(),
                    Some(b) if b == crate::entry::FOREIGN => {
                        return Err(PlanError::path(
                            &r.path,
                            "an SDK goenv did not install is in the way",
                        ));
                    }
                    _ => descriptor.clone(),
                },
            };
        push(&mut plan, r.id.clone(), r.path.clone(), before, Some(after), mode, true);
    }
    let prune = desired.go.as_ref().is_some_and(|g| g.prune);
    for m in &managed.paths {
        if desired.resources.iter().any(|r| r.path == m.path) {
            continue;
        }
        let (before, mode) = state(observed, &m.id, &m.path)?;
        if m.id.starts_with("sdk:") && !prune {
            // Installed by goenv, no longer listed, and pruning was not asked for: it stays,
            // still goenv's, so a later `prune #true` can remove it.
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
        // No longer wanted: a block is taken out (keeping the user's later edits around it);
        // goenv's VS Code settings get their original values back (the rest of the file stays
        // as the user left it); a whole file goes back to what it was before goenv, or away if
        // goenv created it; an SDK goes to the trash.
        let after = if m.id.starts_with("block:") {
            match &before {
                Some(b) => {
                    let rest =
                        block::remove(b).map_err(|e| PlanError::path(&m.path, e.to_string()))?;
                    if rest.is_empty() && m.original.is_none() { None } else { Some(rest) }
                }
                None => None,
            }
        } else if m.id.starts_with("json:") {
            let earlier = vscode::Earlier { original: m.original.as_deref(), links: &links };
            vscode::after(before.as_deref(), &[], Some(earlier))
                .map_err(|e| PlanError::settings(&m.path, &e))?
        } else {
            m.original.clone()
        };
        push(&mut plan, m.id.clone(), m.path.clone(), before, after, mode, false);
    }
    Ok(plan)
}

fn same_sdk(a: &[u8], b: &[u8]) -> bool {
    use crate::sdk::install::Descriptor;
    match (Descriptor::parse(a), Descriptor::parse(b)) {
        (Some(a), Some(b)) => a.same_sdk(&b),
        _ => a == b,
    }
}

/// What a path holds now, as the probe found it, by the kind of its resource.
fn state(
    observed: &Observed,
    id: &str,
    path: &std::path::Path,
) -> Result<(Option<Vec<u8>>, u32), PlanError> {
    use crate::entry::EntryKind;
    use crate::probe::LinkState;
    match EntryKind::of(id) {
        EntryKind::File => match observed.get(path) {
            FileState::Absent => Ok((None, 0o644)),
            FileState::Present { bytes, mode } => Ok((Some(bytes.clone()), *mode)),
            FileState::Unreadable(reason) => Err(PlanError::path(path, reason.clone())),
        },
        EntryKind::Link => match observed.link(path) {
            LinkState::Absent => Ok((None, 0o777)),
            LinkState::Link(t) => Ok((Some(t.as_os_str().as_encoded_bytes().to_vec()), 0o777)),
            LinkState::NotALink(reason) => Err(PlanError::path(path, reason)),
        },
        EntryKind::Sdk => Ok((observed.sdk(path).map(|s| s.descriptor.clone()), 0o755)),
    }
}

fn push(
    plan: &mut Plan,
    id: String,
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
    let action = Action::between(&before, &after);
    plan.changes.push(Change { id, path, action, before, after, mode, managed });
}
