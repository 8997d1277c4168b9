//! `goenv init [PROFILE] [--force] [--from-machine]`: write a starter profile, or one that
//! reproduces what this machine has (read as doctor reads it, from files only). Refuses to
//! replace an existing file without `--force`, which keeps the old one as `<name>.bak`.
//! Everything it says goes to stderr; the profile is the output.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Ui, print_err};
use crate::context::Context;
use crate::engine::{self, Error};
use crate::resource::tilde_path;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to write the profile [default: ~/.config/goenv/profile.kdl]
    pub profile: Option<PathBuf>,
    /// Replace an existing profile, keeping it as `<name>.bak`
    #[arg(long)]
    pub force: bool,
    /// Write what this machine has: the Go in use (adopted, not downloaded), other SDKs, the
    /// Go env file, PATH entries for Go tools, the shells, the session, Delve, VS Code
    #[arg(long)]
    pub from_machine: bool,
    /// With --from-machine: assume this login shell instead of the user's entry in /etc/passwd
    #[arg(long, value_name = "PATH", requires = "from_machine")]
    pub shell: Option<PathBuf>,
    #[command(flatten)]
    pub target: super::Target,
}

pub fn run(ctx: &Context, ui: &Ui, args: InitArgs) -> Result<ExitCode, Error> {
    let default = ctx.default_profile();
    let path = args.profile.clone().unwrap_or_else(|| default.clone());
    let opts = crate::doctor::Options { shell: args.shell, contexts: Vec::new(), exec: false };
    let written = engine::init(ctx, &path, args.force, args.from_machine.then_some(&opts))?;
    let shown = tilde_path(&written.path, &ctx.home);
    let plan = if written.path == default {
        "`goenv plan`".to_owned()
    } else {
        format!("`goenv plan {shown}`")
    };
    let mut text = String::new();
    if args.from_machine {
        text.push_str(&format!("Wrote `{shown}` from what this machine has:\n"));
        if !ui.quiet {
            for f in &written.found {
                text.push_str(&format!("  {f}\n"));
            }
            for l in &written.left_out {
                text.push_str(&format!("  commented out by the check, {l}\n"));
            }
        }
    } else {
        text.push_str(&format!("Wrote a starter profile to `{shown}`.\n"));
    }
    if let Some(bak) = &written.backup {
        text.push_str(&format!(
            "The profile it replaced is kept as `{}`.\n",
            tilde_path(bak, &ctx.home)
        ));
    }
    if !ui.quiet {
        if args.from_machine {
            let session = if ctx.os == crate::context::Os::Linux { ", environment.d" } else { "" };
            text.push_str(&format!(
                "Next: {plan} shows what applying it changes (goenv's own wiring: env.sh, the \
                 start-up file blocks{session}); `goenv apply` applies it.\n"
            ));
        } else {
            text.push_str(&format!(
                "Next: adjust it (uncomment a `go` line to manage an SDK), then {plan} shows what \
                 applying it would change. `goenv init --from-machine` starts from what this \
                 machine has instead.\n"
            ));
        }
    }
    print_err(&text);
    Ok(ExitCode::SUCCESS)
}
