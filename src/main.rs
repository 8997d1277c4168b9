use std::process::ExitCode;

fn main() -> ExitCode {
    goenv::cli::main()
}
