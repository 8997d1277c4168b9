//! The `session` node: the desktop session's environment, as systemd's user manager reads it
//! (Linux), or launchd's per-user environment (macOS).
//!
//! ```kdl
//! session               // Linux: file:~/.config/environment.d/50-goenv.conf
//! session live=#true    // and effect:systemd-user/set-environment (and unset-environment)
//!                       // when the file changes
//! session               // macOS: file:~/Library/LaunchAgents/dev.goenv.session.plist and,
//!                       // when it changes, effect:launchd/setenv (and launchd/unsetenv)
//! ```
//!
//! On macOS apps started from the Dock, Finder or Spotlight inherit launchd's per-user
//! environment, never a shell's. The LaunchAgent (`formats::plist`) runs `/bin/launchctl setenv`
//! for PATH (goenv's entries, then launchd's default `/usr/bin:/bin:/usr/sbin:/sbin`) and every
//! export at each login; the effects run the same `launchctl setenv` (and `unsetenv` of what only
//! the previous file set) at apply, so apps started from then on see the values. Apps already
//! running keep the environment they started with. `live` changes nothing there: the effects
//! are the only way the values reach launchd before the next login. No environment.d file is
//! written on macOS, and no LaunchAgent on Linux.
//!
//! The file sets PATH (goenv's entries first) and the profile's exports for every app and
//! service the user manager starts. Linux only in effect; the file is harmless elsewhere.
//! With `live=#true`, a change of the file also changes the running manager's environment
//! (`systemctl --user set-environment`/`unset-environment`), so apps started from then on get
//! the new values without a new login. The effect is wanted exactly when the file changes:
//! planning runs no process, so it cannot see the manager's environment.

use super::{Input, Planning, Reads, Resource, Unit, Want, path_front};
use crate::context::Os;
use crate::formats::{envd, plist};
use crate::probe::FileState;
use crate::profile::Problem;
use crate::resource::effect::{Effect, Var};

/// goenv's environment.d file, in the user's config directory.
pub const FILE: &str = "environment.d/50-goenv.conf";

/// goenv's LaunchAgent on macOS, in the home.
pub const LAUNCH_AGENT: &str = "Library/LaunchAgents/dev.goenv.session.plist";

/// Where the session's file is on this platform.
pub fn path(ctx: &crate::context::Context) -> std::path::PathBuf {
    match ctx.os {
        Os::Macos => ctx.home.join(LAUNCH_AGENT),
        Os::Linux => ctx.config_home.join(FILE),
    }
}

pub struct Session;

impl Unit for Session {
    fn node(&self) -> &'static str {
        "session"
    }

    fn reads(&self, input: Input<'_>, reads: &mut Reads) {
        reads.files.push(path(input.ctx));
    }

    fn wants(
        &self,
        planning: &mut Planning<'_>,
        out: &mut Vec<Resource>,
    ) -> Result<(), Vec<Problem>> {
        let Input { profile, ctx } = planning.input;
        let Some(session) = &profile.session else { return Ok(()) };
        let front = path_front(planning);
        let front: Vec<&str> = front.iter().map(String::as_str).collect();
        let exports: Vec<(&str, &str)> =
            profile.export.iter().map(|s| (s.key.as_str(), s.value.text.as_str())).collect();
        if ctx.os == Os::Macos {
            return launch_agent(planning, &front, &exports, session.at, out);
        }
        match envd::render(&front, &exports) {
            Ok(text) => {
                let path = ctx.config_home.join(FILE);
                let before = match planning.observed.get(&path) {
                    FileState::Present { bytes, .. } => Some(bytes.clone()),
                    _ => None,
                };
                if session.live && before.as_deref() != Some(text.as_bytes()) {
                    out.extend(
                        live(before.as_deref(), text.as_bytes()).into_iter().map(Resource::effect),
                    );
                }
                out.push(Resource::new(path, Want::File(text.into_bytes()), &ctx.home));
                Ok(())
            }
            // The profile's own checks catch these with a location; this is the backstop.
            Err(e) => Err(vec![Problem::new(
                session.at,
                "goenv::plan::session-unrepresentable",
                e.to_string(),
                "here",
            )]),
        }
    }
}

/// macOS: the LaunchAgent, and the launchctl effects when it changes.
fn launch_agent(
    planning: &Planning<'_>,
    front: &[&str],
    exports: &[(&str, &str)],
    at: crate::profile::Loc,
    out: &mut Vec<Resource>,
) -> Result<(), Vec<Problem>> {
    let ctx = planning.input.ctx;
    if let Some(bad) = front.iter().find(|e| e.contains([':', '\n', '\r'])) {
        return Err(vec![Problem::new(
            at,
            "goenv::plan::session-unrepresentable",
            format!("PATH entry {bad:?} cannot be set in launchd: it contains `:` or a line break"),
            "here",
        )]);
    }
    let path_value = if front.is_empty() {
        plist::DEFAULT_PATH.to_owned()
    } else {
        format!("{}:{}", front.join(":"), plist::DEFAULT_PATH)
    };
    let mut vars: Vec<(&str, &str)> = vec![("PATH", path_value.as_str())];
    vars.extend(exports.iter().filter(|(k, _)| *k != "PATH"));
    let text = plist::render(&vars);
    let path = path(ctx);
    let before = match planning.observed.get(&path) {
        FileState::Present { bytes, .. } => Some(bytes.clone()),
        _ => None,
    };
    if before.as_deref() != Some(text.as_bytes()) {
        let set = vars.iter().map(|(k, v)| Var::new(k, Some(v))).collect();
        out.push(Resource::effect(Effect::Launchd { vars: set }));
        let was = before.as_deref().and_then(plist::variables).unwrap_or_default();
        let mut unset: Vec<Var> = Vec::new();
        for (name, _) in was {
            if !vars.iter().any(|(k, _)| *k == name) && !unset.iter().any(|u| u.name == name) {
                unset.push(Var::new(&name, None));
            }
        }
        if !unset.is_empty() {
            out.push(Resource::effect(Effect::Launchd { vars: unset }));
        }
    }
    out.push(Resource::new(path, Want::File(text.into_bytes()), &ctx.home));
    Ok(())
}

/// The manager's side of a change of the file from `before` to `after`: set-environment of what
/// the file sets, then unset-environment of what only the previous file set.
fn live(before: Option<&[u8]>, after: &[u8]) -> Vec<Effect> {
    let vars = |bytes: &[u8]| -> Vec<Var> {
        envd::assignments(bytes).into_iter().map(|(_, k, v)| Var::new(&k, Some(&v))).collect()
    };
    let set = vars(after);
    let was = before.map(vars).unwrap_or_default();
    let mut unset: Vec<String> = Vec::new();
    for v in &was {
        if !set.iter().any(|s| s.name == v.name) && !unset.contains(&v.name) {
            unset.push(v.name.clone());
        }
    }
    let mut out = vec![Effect::SessionEnvironment { set, was, unset: Vec::new() }];
    if !unset.is_empty() {
        out.push(Effect::Environment { vars: unset.iter().map(|n| Var::new(n, None)).collect() });
    }
    out
}
