//! The command line: clap definitions and dispatch. Each subcommand lives in its own file and
//! returns an exit code; the logic lives in the library modules.

mod check;
pub mod report;

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
    let ctx = match Context::from_process(&opts) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            return ExitCode::from(1);
        }
    };
    match cli.command {
        Command::Check(args) => check::run(&ctx, &ui, args),
    }
}
