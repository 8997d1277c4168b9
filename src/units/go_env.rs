//! The `go-env` and `proxy` nodes: the Go env file (`go env -w`'s file), owned whole.
//!
//! ```kdl
//! go-env { GOPATH "~/go"; GOTOOLCHAIN "local" }   // file:~/.config/go/env
//! proxy "china"                                    // GOPROXY, GOSUMDB in the same file
//! ```
//!
//! The file is where Go computes it (`$GOENV`, else the OS config directory's `go/env`); with
//! `GOENV=off` Go reads no file and goenv writes none.

use super::{Input, Planning, Reads, Resource, Unit, Want};
use crate::formats::goenvfile;
use crate::probe;
use crate::profile::Problem;

pub struct GoEnv;

impl Unit for GoEnv {
    fn node(&self) -> &'static str {
        "go-env"
    }

    fn reads(&self, input: Input<'_>, reads: &mut Reads) {
        reads.files.extend(probe::go_env_file(input.ctx));
    }

    fn wants(
        &self,
        planning: &mut Planning<'_>,
        out: &mut Vec<Resource>,
    ) -> Result<(), Vec<Problem>> {
        let Input { profile, ctx } = planning.input;
        let go_env: Vec<(&str, &str)> =
            profile.go_env_file().map(|s| (s.key.as_str(), s.value.text.as_str())).collect();
        if !go_env.is_empty()
            && let Some(path) = probe::go_env_file(ctx)
        {
            out.push(Resource::new(
                path,
                Want::File(goenvfile::render(&go_env).into_bytes()),
                &ctx.home,
            ));
        }
        Ok(())
    }
}
