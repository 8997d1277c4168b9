//! The `go` that `go "system"` adopts: the one the login shell's context finds on its PATH, as
//! doctor predicts it from files, with every other context that finds another one.
//!
//! ```kdl
//! go "system"     // the login shell's `go` (e.g. /usr/bin/go -> /usr/lib/go-1.19/bin/go)
//! ```
//!
//! goenv's own wiring (`<dir>/current/bin`, which holds the link to the tree adopted last time)
//! is left out of every PATH, so a `go` installed or removed since is seen. Reads files only: it
//! never runs `go` nor a shell.

use std::path::{Path, PathBuf};

use super::contexts::{self, Shared, ShellKind, Trace};
use super::goview;
use super::sys::Sys;
use super::value::{Source, Val};
use crate::context::Context;
use crate::probe::{FoundGo, SystemGo};

/// The contexts whose `go` is compared with the login shell's: the shells, the desktop session
/// and what starts from it. Editors choose their own `go` (`go.goroot`), which goenv sets.
const COMPARED: &[&str] = &[
    "sh-login",
    "bash-login",
    "bash-interactive",
    "zsh-login",
    "zsh-interactive",
    "fish",
    "gnome-wayland",
    "gnome-x11",
    "kde",
    "systemd-user-service",
    "terminal-zsh",
    "dock-app",
];

/// The login shell's context id for the user's login shell.
fn login_context(shell: &Path) -> &'static str {
    match ShellKind::of(shell) {
        ShellKind::Sh => "sh-login",
        ShellKind::Bash => "bash-login",
        ShellKind::Zsh => "zsh-login",
        ShellKind::Fish => "fish",
    }
}

/// What each context finds, `ours` (goenv's `<dir>/current/bin`) left out of every PATH.
pub fn system_go(ctx: &Context, ours: &Path) -> SystemGo {
    let sys = Sys::new(Sys::root_for_process(), ctx.home.clone());
    let user = contexts::user(&sys, None);
    let login = login_context(&user.shell);
    let mut shared = Shared::default();
    let mut out =
        SystemGo { context: login.to_owned(), login: Ok(None), others: Vec::new(), path: None };
    let mut found: Vec<(&'static str, Option<PathBuf>)> = Vec::new();
    for def in contexts::definitions(&sys, ctx, &user) {
        if def.id != login && !COMPARED.contains(&def.id) {
            continue;
        }
        let mut trace = Trace::default();
        let mut env = contexts::predict(&sys, ctx, &def.step, &mut trace, &mut shared);
        let path = match env.get("PATH") {
            Some(Val::Known(p)) => Some(without(&p, ours)),
            Some(Val::Unknown(why)) => {
                if def.id == login {
                    out.login = Err(format!("{} ({})", why.reason, shown(&why.at)));
                }
                continue;
            }
            None => None,
        };
        if let Some(p) = &path {
            env.set("PATH", p, Source::layer("goenv: without its own SDK link"));
        }
        let view = goview::view(&sys, ctx, &env, None);
        let go = match view.go {
            Ok(go) => go,
            Err(why) => {
                if def.id == login {
                    out.login = Err(format!("{} ({})", why.reason, shown(&why.at)));
                }
                continue;
            }
        };
        if def.id == login {
            out.path = path;
            out.login = Ok(go.as_ref().map(|g| FoundGo {
                exe: g.path.clone(),
                goroot: g.goroot.clone(),
                version: g.version.clone(),
            }));
        }
        found.push((def.id, go.map(|g| g.path)));
    }
    let mine = match &out.login {
        Ok(g) => g.as_ref().map(|g| g.exe.clone()),
        Err(_) => return out,
    };
    out.others = found
        .into_iter()
        .filter(|(id, go)| *id != login && *go != mine)
        .map(|(id, go)| (id.to_owned(), go))
        .collect();
    out
}

/// `path` without `ours`.
fn without(path: &str, ours: &Path) -> String {
    path.split(':').filter(|d| Path::new(d) != ours).collect::<Vec<_>>().join(":")
}

fn shown(at: &Source) -> String {
    match at {
        Source::File { path, line } => format!("{}:{line}", path.display()),
        Source::Layer(name) => name.clone(),
    }
}
