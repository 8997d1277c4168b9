//! The `session` node: the desktop session's environment, as systemd's user manager reads it.
//!
//! ```kdl
//! session          // file:~/.config/environment.d/50-goenv.conf
//! ```
//!
//! The file sets PATH (goenv's entries first) and the profile's exports for every app and
//! service the user manager starts. Linux only in effect; the file is harmless elsewhere.

use super::{Input, Planning, Reads, Resource, Unit, Want, path_front};
use crate::formats::envd;
use crate::profile::Problem;

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
                out.push(Resource::new(
                    ctx.config_home.join(FILE),
                    Want::File(text.into_bytes()),
                    &ctx.home,
                ));
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
