//! The `session` node: the desktop session's environment, as systemd's user manager reads it.
//!
//! ```kdl
//! session               // file:~/.config/environment.d/50-goenv.conf
//! session live=#true    // and effect:systemd-user/set-environment (and unset-environment)
//!                       // when the file changes
//! ```
//!
//! The file sets PATH (goenv's entries first) and the profile's exports for every app and
//! service the user manager starts. Linux only in effect; the file is harmless elsewhere.
//! With `live=#true`, a change of the file also changes the running manager's environment
//! (`systemctl --user set-environment`/`unset-environment`), so apps started from then on get
//! the new values without a new login. The effect is wanted exactly when the file changes:
//! planning runs no process, so it cannot see the manager's environment.

use super::{Input, Planning, Reads, Resource, Unit, Want, path_front};
use crate::formats::envd;
use crate::probe::FileState;
use crate::profile::Problem;
use crate::resource::effect::{Effect, Var};

/// goenv's environment.d file, in the user's config directory.
pub const FILE: &str = "environment.d/50-goenv.conf";

pub struct Session;

impl Unit for Session {
    fn node(&self) -> &'static str {
        "session"
    }

    fn reads(&self, input: Input<'_>, reads: &mut Reads) {
        reads.files.push(input.ctx.config_home.join(FILE));
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
