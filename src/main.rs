use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    goenv::cli::run(goenv::cli::Cli::parse())
}
