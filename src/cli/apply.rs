//! `goenv apply [PROFILE] [--yes]`: show the plan, ask (on a terminal), apply it as a new
//! generation.

use std::path::PathBuf;
use std::process::ExitCode;

use miette::Report;

use super::{Ui, engine, render};
use crate::apply::{self, Fault, Meta};
use crate::context::Context;

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The profile [default: ~/.config/goenv/profile.kdl]
    pub profile: Option<PathBuf>,
    /// Apply without asking (required when not on a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(
    ctx: &Context,
    ui: &Ui,
    args: ApplyArgs,
    fault: Option<&Fault>,
) -> Result<ExitCode, Report> {
    let path = args.profile.unwrap_or_else(|| ctx.default_profile());
    if ctx.os != crate::context::Os::host().unwrap_or(ctx.os)
        || ctx.arch != crate::context::Arch::host().unwrap_or(ctx.arch)
    {
        return Err(miette::miette!(
            help = "use `goenv plan --os … --arch …` to see what another platform would get",
            "`apply` changes this machine: it cannot pretend to be {}/{}",
            ctx.os,
            ctx.arch
        ));
    }
    let profile = engine::load_profile(&path, ctx, ui)?;
    let store = engine::open_store(ctx)?;
    let _lock = store.lock(&engine::holder("apply")).map_err(Report::new)?;
    let plan = engine::make_plan(&profile, ctx, ui)?;
    if plan.is_empty() {
        if !ui.quiet {
            eprint!("{}", render::human(&plan, ctx, ui.color));
        }
        return Ok(ExitCode::SUCCESS);
    }
    eprint!("{}", render::human(&plan, ctx, ui.color));
    if !engine::confirm("Apply these changes?", args.yes)? {
        eprintln!("nothing was changed");
        return Ok(ExitCode::from(1));
    }
    let text = std::fs::read(&path).unwrap_or_default();
    let meta = Meta {
        command: "apply".into(),
        time: ctx.now(),
        profile: Some(std::fs::canonicalize(&path).unwrap_or(path.clone()).display().to_string()),
        profile_sha256: Some(crate::store::sha256(&text).to_string()),
        summary: render::summary_line(&plan),
    };
    let prepared = engine::prepare_sdks(ctx, &store, &plan)?;
    let mut plan = plan;
    engine::prepare_tools(ctx, &profile, &mut plan, &prepared)?;
    let number = apply::apply(&store, &plan, meta, fault, prepared.roots()).map_err(Report::new)?;
    let (add, change, remove) = plan.counts();
    eprintln!(
        "Applied generation {number}: {add} added, {change} changed, {remove} removed. `goenv rollback` undoes it."
    );
    Ok(ExitCode::SUCCESS)
}
