//! `goland-shell-environment`: GoLand on Linux does not load the shell's environment
//! (`-Dij.load.shell.env` defaults to false there, true on macOS), so started from the desktop
//! it sees only the session's PATH: goenv's SDK and GOBIN reach it through `session`, not
//! through the shell files. `goland-stale-lock`: a configuration directory's `.lock` names a
//! process that no longer runs, so goenv goes ahead (see `units::goland`). Pure: the profile,
//! the Context and what the probe read.

use super::{Code, Finding, Input, Severity};
use crate::context::Os;

pub fn findings(input: Input<'_>, out: &mut Vec<Finding>) {
    let Some(profile) = input.profile else { return };
    if profile.goland.is_none() || input.ctx.os != Os::Linux {
        return;
    }
    for config in crate::units::goland::configs(profile, input.ctx, input.observed) {
        if let Some((lock, pid)) = crate::units::goland::stale_lock(&config, input.observed) {
            let shown = crate::resource::tilde_path(&lock, &input.ctx.home);
            out.push(
                Finding::new(
                    Severity::Info,
                    Code::GolandStaleLock,
                    format!(
                        "`{shown}` names process {pid}, which is not running: a GoLand that \
                         crashed or was killed left it, so goenv changes that directory"
                    ),
                )
                .help("nothing to do: GoLand removes the stale lock at its next start".into()),
            );
        }
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
