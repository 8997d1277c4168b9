//! Doctor: what every program on this machine sees, and why, with no profile.
//!
//! For each context (a login shell, a terminal, an app from the dock, a `systemd --user` service,
//! VS Code, GoLand, …) doctor predicts from files alone the environment its processes start with
//! (`contexts`), then what Go looks like from there (`goview`): which `go`, which GOROOT, every
//! Go setting with the layer that won. `findings` compares contexts. Shell start-up files are
//! read with a real parser and evaluated in a safe subset (`sh`, `fish`); what cannot be known
//! from files is `unknown`, with the file and line that made it so.
//!
//! Without `--exec` doctor reads files only: it never starts a process and never writes. With
//! `--exec`, `exec` runs the real programs for every context and reports where the prediction
//! differs.

pub mod contexts;
pub mod exec;
pub mod findings;
pub mod fish;
pub mod goview;
pub mod rosetta;
pub mod sh;
pub mod sys;
pub mod system;
pub mod value;

use std::path::PathBuf;

use crate::context::Context;

pub use findings::{CODES, Finding};
use goview::GoView;
use sh::Note;
use sys::Sys;
use value::{Env, Source, Val, Why};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The login shell to assume instead of the home owner's entry in `/etc/passwd`.
    pub shell: Option<PathBuf>,
    /// Only these contexts (all when empty).
    pub contexts: Vec<String>,
    /// Run the real programs and compare.
    pub exec: bool,
}

/// One context's prediction.
#[derive(Debug, Clone)]
pub struct ContextReport {
    pub id: &'static str,
    pub title: String,
    pub env: Env,
    /// PATH entries in order and where each was added; empty when PATH is unknown.
    pub path_entries: Vec<(String, Source)>,
    pub path: Result<Option<String>, Why>,
    pub view: GoView,
    pub notes: Vec<Note>,
    pub exec: Option<exec::Comparison>,
    /// Other Go SDKs this context's Delve may debug (GoLand's registered SDKs): root, version,
    /// where it is registered.
    pub sdks: Vec<(PathBuf, Option<String>, Source)>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub shell: PathBuf,
    pub contexts: Vec<ContextReport>,
    pub findings: Vec<Finding>,
    /// Every file read and why, for `-v`.
    pub reads: Vec<(PathBuf, &'static str)>,
}

#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    #[error("there is no context `{0}` on {1}")]
    UnknownContext(String, &'static str),
}

/// The ids of the contexts doctor knows on this OS.
pub fn context_ids(ctx: &Context) -> &'static [&'static str] {
    contexts::ids(ctx.os)
}

/// Predicts every context (or the ones asked for) and what is wrong.
pub fn diagnose(ctx: &Context, opts: &Options) -> Result<Report, DoctorError> {
    let known = contexts::ids(ctx.os);
    for c in &opts.contexts {
        if !known.contains(&c.as_str()) {
            return Err(DoctorError::UnknownContext(c.clone(), ctx.os.name()));
        }
    }
    let sys = Sys::new(Sys::root_for_process(), ctx.home.clone());
    let user = contexts::user(&sys, opts.shell.as_deref());
    let defs = contexts::definitions(&sys, ctx, &user);
    let editor = goview::vscode_settings(&sys, ctx);
    let goland = goview::goland(&sys, ctx);
    let mut reports = Vec::new();
    let mut shared = contexts::Shared::default();
    for def in defs {
        let mut trace = contexts::Trace::default();
        let env = contexts::predict(&sys, ctx, &def.step, &mut trace, &mut shared);
        let ed = matches!(def.id, "vscode" | "vscode-terminal").then_some(&editor);
        let ed = if def.id == "vscode" { ed } else { None };
        let mut view = goview::view(&sys, ctx, &env, ed);
        let mut sdks = Vec::new();
        if def.id == "goland" {
            // GoLand starts its own Delve, never the one on PATH
            view.dlv = Ok(goland.dlv.as_ref().map(|(p, _)| goview::read_tool(&sys, p)));
            for (root, at) in &goland.sdks {
                sdks.push((root.clone(), goview::sdk_version(&sys, root), at.clone()));
            }
        }
        let path = match env.get("PATH") {
            Some(Val::Known(p)) => Ok(Some(p)),
            Some(Val::Unknown(w)) => Err(w),
            None => Ok(None),
        };
        let path_entries = env
            .var("PATH")
            .filter(|v| matches!(v.val, Val::Known(_)))
            .map(|v| v.path_entries())
            .unwrap_or_default();
        let mut notes = Vec::new();
        for n in trace.notes {
            if !notes.contains(&n) {
                notes.push(n);
            }
        }
        reports.push(ContextReport {
            id: def.id,
            title: def.title,
            env,
            path_entries,
            path,
            view,
            notes,
            exec: None,
            sdks,
        });
        if opts.exec {
            let last = reports.len() - 1;
            let cmp = exec::compare(&sys, ctx, &def.step, &reports[last]);
            reports[last].exec = Some(cmp);
            sys.forget();
        }
    }
    let findings = findings::findings(&sys, ctx, &reports);
    let reports: Vec<ContextReport> = if opts.contexts.is_empty() {
        reports
    } else {
        reports.into_iter().filter(|r| opts.contexts.iter().any(|c| c == r.id)).collect()
    };
    let findings = if opts.contexts.is_empty() {
        findings
    } else {
        findings
            .into_iter()
            .filter(|f| {
                f.contexts.is_empty()
                    || f.contexts.iter().any(|c| opts.contexts.iter().any(|o| o == c))
            })
            .collect()
    };
    Ok(Report { shell: user.shell, contexts: reports, findings, reads: sys.reads() })
}
