//! The command line: clap definitions and dispatch. Each subcommand lives in its own file and
//! returns an exit code; the logic lives in the library modules.

mod apply;
mod check;
mod engine;
mod generations;
mod plan;
pub mod render;
pub mod report;
mod rollback;
mod status;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::context::{Arch, Context, ContextOptions, Os};

/// Make a Go developer's machine match a declarative profile.
#[derive(Debug, Parser)]
#[command(name = "goenv", version, max_term_width = 100)]
pub struct Cli {
    /// Treat DIR as the home directory: every `~`, XDG default and target path resolves inside it
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Check the profile for another operating system
    #[arg(long, global = true, value_name = "OS", value_parser = ["linux", "macos"])]
    pub os: Option<String>,
    /// Check the profile for another architecture
    #[arg(long, global = true, value_name = "ARCH", value_parser = ["amd64", "arm64"])]
    pub arch: Option<String>,
    /// Check the profile for another host name (as `when host=…` sees it)
    #[arg(long, global = true, value_name = "NAME")]
    pub host: Option<String>,
    /// With --home, plan as if the environment held KEY=VALUE (PATH, GOROOT, HTTPS_PROXY, …);
    /// repeatable. Without --home the real environment is used and this is refused
    #[arg(long = "env", global = true, value_name = "KEY=VALUE", value_parser = parse_env_pair)]
    pub env: Vec<(String, String)>,
    /// When to use colour
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Print only errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more detail
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a profile and print every problem at once
    Check(check::CheckArgs),
    /// Show what apply would change; changes nothing
    Plan(plan::PlanArgs),
    /// Show the plan, ask (on a terminal), and apply it as a new generation
    Apply(apply::ApplyArgs),
    /// Drift since the last generation (and pending changes against PROFILE); exit 2 if any
    Status(status::StatusArgs),
    /// Undo the latest change to the managed files (drift first, else the last generation)
    Rollback(rollback::RollbackArgs),
    /// List generations: number, time, command, summary
    Generations,
    /// Show what generation N changed, as diffs
    Show(generations::ShowArgs),
    /// Drop old generations and the backups only they referenced
    Gc(generations::GcArgs),
}

/// Output format for commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// How output should look, decided once from the flags and the terminal.
pub struct Ui {
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
}

/// Runs goenv with the given arguments and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    // Colour is presentation, not machine state: the only place goenv reads NO_COLOR.
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let ui = Ui { color, quiet: cli.quiet, verbose: cli.verbose };
    let opts = ContextOptions {
        home: cli.home,
        os: cli.os.as_deref().and_then(Os::parse),
        arch: cli.arch.as_deref().and_then(Arch::parse),
        host: cli.host,
    };
    if !cli.env.is_empty() && opts.home.is_none() {
        eprintln!(
            "goenv: `--env` only works with `--home`: without it goenv uses the real environment"
        );
        return ExitCode::from(1);
    }
    let ctx = match Context::from_process(&opts) {
        Ok(mut ctx) => {
            ctx.env.extend(cli.env);
            ctx
        }
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            return ExitCode::from(1);
        }
    };
    if let Err(e) = engine::recover_if_needed(&ctx) {
        eprintln!("{e:?}");
        return ExitCode::from(1);
    }
    let fault = fault();
    let result = match cli.command {
        Command::Check(args) => Ok(check::run(&ctx, &ui, args)),
        Command::Plan(args) => plan::run(&ctx, &ui, args),
        Command::Apply(args) => apply::run(&ctx, &ui, args, fault.as_ref()),
        Command::Status(args) => status::run(&ctx, &ui, args),
        Command::Rollback(args) => rollback::run(&ctx, &ui, args, fault.as_ref()),
        Command::Generations => generations::list(&ctx, &ui),
        Command::Show(args) => generations::show(&ctx, &ui, args),
        Command::Gc(args) => generations::gc(&ctx, &ui, args),
    };
    result.unwrap_or_else(|e| {
        eprintln!("{e:?}");
        ExitCode::from(1)
    })
}

/// The crash-safety tests' switch: stop dead at a named point of a transaction. Debug builds
/// only; a release build never reads it.
fn fault() -> Option<crate::apply::Fault> {
    if !cfg!(debug_assertions) {
        return None;
    }
    std::env::var("TEST_GOENV_PAUSE_AT").ok().map(|pause_at| crate::apply::Fault { pause_at })
}

fn parse_env_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("`{s}` is not KEY=VALUE")),
    }
}
