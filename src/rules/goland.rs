//! `goland-shell-environment`: GoLand on Linux does not load the shell's environment
//! (`-Dij.load.shell.env` defaults to false there, true on macOS), so started from the desktop
//! it sees only the session's PATH: goenv's SDK and GOBIN reach it through `session`, not
//! through the shell files. Pure: the profile and the Context only.

use super::{Code, Finding, Input, Severity};
use crate::context::Os;

pub fn findings(input: Input<'_>, out: &mut Vec<Finding>) {
    let Some(profile) = input.profile else { return };
    if profile.goland.is_none() || input.ctx.os != Os::Linux {
        return;
    }
    let message = "GoLand on Linux does not load your shell's environment (`ij.load.shell.env` is \
                   false by default there): started from the desktop it sees only the session's \
                   PATH, and a terminal's PATH only when started from that terminal"
        .to_owned();
    out.push(if profile.session.is_some() {
        Finding::new(Severity::Info, Code::GolandShellEnvironment, message).help(
            "the `session` node puts the SDK and GOBIN on the session's PATH: log out and in \
             once, then restart GoLand"
                .into(),
        )
    } else {
        Finding::new(Severity::Warning, Code::GolandShellEnvironment, message).help(
            "add `session` to the profile, so the desktop session's PATH has goenv's SDK and \
             GOBIN (or start GoLand with `-Dij.load.shell.env=true` in its vmoptions)"
                .into(),
        )
    });
}
