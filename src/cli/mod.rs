//! The command line: clap definitions and dispatch. Each subcommand lives in its own file: it
//! parses its arguments, makes one engine call, renders the result and maps it to an exit code.
//! Nothing here writes a file or starts a process; the engine does.

mod apply;
mod check;
mod doctor;
pub mod error;
mod generations;
mod init;
pub mod markdown;
mod plan;
mod planfile;
pub mod render;
pub mod report;
mod rollback;
mod status;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::context::{Arch, Context, ContextOptions, Os};
use crate::engine::{self, Error, ErrorKind};
use crate::rules::Severity;

/// Exit codes, the same table as the README's.
const EXIT_CODES: &str = "\
Exit codes:
  0  done, and nothing pending
  1  error, usage errors included (a mistyped flag is never read as 2); nothing changed unless said
  2  changes pending (`plan --detailed-exitcode`), or drift (`status`)
  3  an error-level finding remains (`plan`, `apply` after applying, `doctor`); 3 wins over 2;
     `--fail-on error|warning|never` (default error) chooses which findings give 3";

/// Make a Go developer's machine match a declarative profile.
#[derive(Debug, Parser)]
#[command(name = "goenv", version, max_term_width = 100, after_help = EXIT_CODES)]
pub struct Cli {
    /// Treat DIR as the home directory: every `~`, XDG default and target path resolves inside it
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// The machine a profile is read for, given before the command name; only the commands
    /// that read a profile take these (they are offered in those commands' help)
    #[command(flatten)]
    pub target: Target,
    /// When to use colour
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Print only errors and the one-line result
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Also list every file read, and why
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Which machine a profile is read for. Only the commands that read a profile (`check`,
/// `plan`, `apply`, `status`) take these flags (through [`Target`]); [`Command::flags`] says
/// which command takes which.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Platform {
    /// Read the profile for another operating system
    #[arg(long, value_name = "OS", value_parser = ["linux", "macos"])]
    pub os: Option<String>,
    /// Read the profile for another architecture
    #[arg(long, value_name = "ARCH", value_parser = ["amd64", "arm64"])]
    pub arch: Option<String>,
    /// Read the profile for another host name (as `when host=…` sees it)
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
}

impl Platform {
    /// The first flag given, spelt as on the command line.
    fn given(&self) -> Option<&'static str> {
        [
            (self.os.is_some(), "--os"),
            (self.arch.is_some(), "--arch"),
            (self.host.is_some(), "--host"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }

    /// These flags given before the command name, with `after` (given after it) winning.
    fn merged(self, after: Platform) -> Platform {
        Platform {
            os: after.os.or(self.os),
            arch: after.arch.or(self.arch),
            host: after.host.or(self.host),
        }
    }
}

/// The environment goenv plans and downloads with under `--home`: the commands that read a
/// profile, and `rollback` (an SDK rolled back into place may be downloaded again).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Environment {
    /// With --home, plan as if the environment held KEY=VALUE (PATH, GOROOT, HTTPS_PROXY, …);
    /// repeatable. Without --home the real environment is used and this is refused
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env_pair)]
    pub env: Vec<(String, String)>,
}

/// Both, for the commands that read a profile.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Target {
    #[command(flatten)]
    pub platform: Platform,
    #[command(flatten)]
    pub environment: Environment,
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
    Generations(generations::ListArgs),
    /// Show what generation N changed, as diffs
    Show(generations::ShowArgs),
    /// Drop old generations and the backups only they referenced
    Gc(generations::GcArgs),
    /// What every program on this machine sees (shells, desktop, services, editors), and why; no profile needed
    Doctor(doctor::DoctorArgs),
    /// Write a starter profile, or with --from-machine one that reproduces this machine
    Init(init::InitArgs),
}

impl Command {
    /// The command's name, and the [`Platform`] and [`Environment`] flags it takes. Adding a
    /// command means one line here: the match is exhaustive.
    fn flags(&mut self) -> (&'static str, Option<&mut Platform>, Option<&mut Environment>) {
        match self {
            Command::Check(a) => {
                ("check", Some(&mut a.target.platform), Some(&mut a.target.environment))
            }
            Command::Plan(a) => {
                ("plan", Some(&mut a.target.platform), Some(&mut a.target.environment))
            }
            Command::Apply(a) => {
                ("apply", Some(&mut a.target.platform), Some(&mut a.target.environment))
            }
            Command::Status(a) => {
                ("status", Some(&mut a.target.platform), Some(&mut a.target.environment))
            }
            Command::Rollback(a) => ("rollback", None, Some(&mut a.environment)),
            Command::Generations(_) => ("generations", None, None),
            Command::Show(_) => ("show", None, None),
            Command::Gc(_) => ("gc", None, None),
            Command::Doctor(a) => {
                ("doctor", Some(&mut a.target.platform), Some(&mut a.target.environment))
            }
            Command::Init(a) => {
                ("init", Some(&mut a.target.platform), Some(&mut a.target.environment))
            }
        }
    }
}

impl Command {
    /// With `--format json`: how a failure is shown instead of `error:` on stderr. `check`
    /// and `doctor` print their own documents.
    fn json_failure(&self) -> Option<error::JsonFailure> {
        let shown = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        let (schema, profile, says_changed) = match self {
            Command::Plan(a) if a.format == plan::PlanFormat::Json => {
                ("goenv.plan/1", shown(&a.profile), false)
            }
            Command::Apply(a) if a.format == Format::Json => {
                ("goenv.apply/1", shown(&a.profile), true)
            }
            Command::Status(a) if a.format == Format::Json => {
                ("goenv.status/1", shown(&a.profile), false)
            }
            Command::Rollback(a) if a.format == Format::Json => (rollback::SCHEMA, None, true),
            Command::Generations(a) if a.format == Format::Json => {
                ("goenv.generations/1", None, false)
            }
            Command::Show(a) if a.format == Format::Json => ("goenv.show/1", None, false),
            _ => return None,
        };
        Some(error::JsonFailure { schema, profile, says_changed })
    }

    /// Whether a PROFILE left out means the default one (`plan`, `apply`).
    fn reads_default_profile(&self) -> bool {
        matches!(self, Command::Plan(_) | Command::Apply(_))
    }
}

/// Output format for commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// Which findings make `plan`, `apply` and `doctor` exit 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FailOn {
    /// An error-level finding
    #[default]
    Error,
    /// An error- or warning-level finding
    Warning,
    /// None: findings are reported, and the exit code ignores them
    Never,
}

impl FailOn {
    /// Whether a finding of `severity` gives exit 3.
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity == Severity::Error,
            FailOn::Warning => matches!(severity, Severity::Error | Severity::Warning),
            FailOn::Never => false,
        }
    }

    /// 3 when any of `severities` fails, else `otherwise`.
    pub fn exit(
        self,
        severities: impl IntoIterator<Item = Severity>,
        otherwise: ExitCode,
    ) -> ExitCode {
        if severities.into_iter().any(|s| self.fails(s)) {
            ExitCode::from(FINDING)
        } else {
            otherwise
        }
    }
}

/// The exit code of "an error-level finding remains" (or a warning, with `--fail-on warning`).
pub const FINDING: u8 = 3;
/// The exit code of "changes pending" (`--detailed-exitcode`) and of drift.
pub const PENDING: u8 = 2;

/// How output should look, decided once from the flags and the terminal.
pub struct Ui {
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
}

/// What the engine says while it works, on stderr: notes, download progress on a terminal, and
/// with `-v` every file read.
struct Terminal {
    terminal: bool,
    last: (String, u64),
    /// `-v`, and the home that paths are shown from.
    reads: Option<PathBuf>,
}

impl engine::Progress for Terminal {
    fn note(&mut self, line: &str) {
        eprintln_quietly(line);
    }

    fn wants_reads(&self) -> bool {
        self.reads.is_some()
    }

    fn read(&mut self, path: &Path, why: &str) {
        if let Some(home) = &self.reads {
            eprintln_quietly(&format!("read `{}`: {why}", crate::plan::tilde_path(path, home)));
        }
    }

    fn download(&mut self, name: &str, got: u64, total: Option<u64>) {
        if !self.terminal {
            return;
        }
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        // Redraw at most every MiB, and at the end.
        if name == self.last.0 && got < self.last.1 + (1 << 20) && Some(got) != total {
            return;
        }
        self.last = (name.to_owned(), got);
        let line = match total {
            Some(t) if t > 0 => format!(
                "\r\x1b[2Kdownloading {name}  {:5.1} / {:.1} MiB  {:3}%",
                mib(got),
                mib(t),
                got * 100 / t
            ),
            _ => format!("\r\x1b[2Kdownloading {name}  {:5.1} MiB", mib(got)),
        };
        let _ = std::io::stderr().write_all(line.as_bytes());
        if Some(got) == total {
            let _ = std::io::stderr().write_all(b"\n");
        }
    }
}

/// A [`Terminal`] without the notes: with `--format json` they are in the document. Download
/// progress (on a terminal) and `-v`'s reads still go to stderr.
pub(crate) struct Muted(Terminal);

impl engine::Progress for Muted {
    fn note(&mut self, _line: &str) {}
    fn download(&mut self, name: &str, got: u64, total: Option<u64>) {
        self.0.download(name, got, total);
    }
    fn wants_reads(&self) -> bool {
        self.0.wants_reads()
    }
    fn read(&mut self, path: &Path, why: &str) {
        self.0.read(path, why);
    }
}

fn progress(ui: &Ui, ctx: &Context) -> Terminal {
    Terminal {
        terminal: std::io::stderr().is_terminal(),
        last: (String::new(), 0),
        reads: ui.verbose.then(|| ctx.home.clone()),
    }
}

/// With `-v`: the profile's files, as read (the profile, then what it includes).
fn report_profile(ui: &Ui, profile: &crate::profile::Profile) {
    if !ui.verbose {
        return;
    }
    for (i, f) in profile.sources.files().enumerate() {
        let why = if i == 0 { "the profile" } else { "included by the profile" };
        eprintln_quietly(&format!("read `{}`: {why}", f.display));
    }
}

/// With `-v`: the state files (and managed paths) a history command reads.
fn report_state(ui: &Ui, ctx: &Context, reading: engine::Reading) -> Result<(), Error> {
    if !ui.verbose {
        return Ok(());
    }
    let mut terminal = progress(ui, ctx);
    for (path, why) in engine::state_reads(ctx, reading)? {
        engine::Progress::read(&mut terminal, &path, &why);
    }
    Ok(())
}

/// Writes a line to stderr; a stderr that cannot be written is not worth a panic.
fn eprintln_quietly(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Parses the process's arguments and runs goenv. A usage error exits 1, as every other error
/// that changed nothing (`--help` and `--version` exit 0).
pub fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(cli) => run(cli),
        Err(e) if e.use_stderr() => {
            let args: Vec<String> = std::env::args().skip(1).collect();
            match json_usage_failure(&args) {
                Some(failure) => {
                    let text = e.render().to_string();
                    let mut lines = text.lines();
                    let message = lines.next().unwrap_or("").trim_start_matches("error: ");
                    let mut err = Error::new(ErrorKind::Usage, message);
                    err.hint = lines
                        .find_map(|l| l.trim().strip_prefix("tip: "))
                        .map(str::to_owned)
                        .or_else(|| Some("`goenv --help` lists the commands and flags".into()));
                    failure.report(&err, None)
                }
                None => {
                    let _ = e.print();
                    ExitCode::from(1)
                }
            }
        }
        Err(e) => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
    }
}

/// A usage error clap found before the command was known: when the arguments still say
/// `--format json` for a command with a JSON document, it is shown as that document.
fn json_usage_failure(args: &[String]) -> Option<error::JsonFailure> {
    let json = args.windows(2).any(|w| w[0] == "--format" && w[1] == "json")
        || args.iter().any(|a| a == "--format=json");
    if !json {
        return None;
    }
    // The first word that is not a global flag's value names the command.
    let takes_value = ["--home", "--color", "--os", "--arch", "--host", "--env"];
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if takes_value.contains(&a) {
            i += 2;
            continue;
        }
        if !a.starts_with('-') {
            let schema = match a {
                "plan" => "goenv.plan/1",
                "apply" => "goenv.apply/1",
                "status" => "goenv.status/1",
                "rollback" => rollback::SCHEMA,
                "generations" => "goenv.generations/1",
                "show" => "goenv.show/1",
                _ => return None,
            };
            return Some(error::JsonFailure {
                schema,
                profile: None,
                says_changed: matches!(a, "apply" | "rollback"),
            });
        }
        i += 1;
    }
    None
}

/// Runs goenv with the given arguments and returns the process exit code.
pub fn run(mut cli: Cli) -> ExitCode {
    // Colour is presentation, not machine state: the only place goenv reads NO_COLOR.
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let ui = Ui { color, quiet: cli.quiet, verbose: cli.verbose };
    // With `--format json`, every failure is a JSON document on stdout, not `error:` on stderr.
    let mut json = cli.command.json_failure();
    let fail = |e: &Error, json: &Option<error::JsonFailure>, ctx: Option<&Context>| match json {
        Some(j) => j.report(e, ctx.map(|c| format!("{}/{}", c.os, c.arch))),
        None => error::report(e, &ui),
    };
    let before = std::mem::take(&mut cli.target);
    let (name, platform, environment) = cli.command.flags();
    let refused = |flag: &str, why: &str| {
        Error::new(
            ErrorKind::Usage,
            format!(
                "`{flag}` {why}, and `{name}` {}",
                match flag {
                    "--env" => "does neither",
                    _ => "reads no profile",
                }
            ),
        )
        .hint(format!("run `goenv {name}` without it"))
    };
    let platform = match platform {
        Some(after) => before.platform.merged(std::mem::take(after)),
        None => match before.platform.given() {
            Some(flag) => {
                let e = refused(flag, "says which machine a profile is read for");
                return fail(&e, &json, None);
            }
            None => Platform::default(),
        },
    };
    let mut env = before.environment.env;
    match environment {
        Some(after) => env.append(&mut after.env),
        None if !env.is_empty() => {
            let e = refused("--env", "is the environment goenv plans and downloads with");
            return fail(&e, &json, None);
        }
        None => {}
    }
    if let Command::Plan(a) = &cli.command
        && !a.platforms.is_empty()
        && let Some(flag) = [(platform.os.is_some(), "--os"), (platform.arch.is_some(), "--arch")]
            .into_iter()
            .find_map(|(given, flag)| given.then_some(flag))
    {
        let e = Error::new(
            ErrorKind::Usage,
            format!("`--platform` and `{flag}` both say which platform to plan for"),
        )
        .hint(
            "give every platform with `--platform OS/ARCH` (repeatable), without `--os`/`--arch`",
        );
        return error::report(&e, &ui);
    }
    let opts = ContextOptions {
        home: cli.home,
        os: platform.os.as_deref().and_then(Os::parse),
        arch: platform.arch.as_deref().and_then(Arch::parse),
        host: platform.host,
    };
    if !env.is_empty() && opts.home.is_none() {
        let e = Error::new(
            ErrorKind::Usage,
            "`--env` only works with `--home`: without it goenv uses the real environment",
        );
        return fail(&e, &json, None);
    }
    let ctx = match Context::from_process(&opts) {
        Ok(mut ctx) => {
            ctx.env.extend(env);
            ctx
        }
        Err(e) => return fail(&Error::from_diagnostic(ErrorKind::Usage, &e), &json, None),
    };
    if let Some(j) = &mut json
        && j.profile.is_none()
        && cli.command.reads_default_profile()
    {
        j.profile = Some(ctx.default_profile().display().to_string());
    }
    // check reads only the profile; everything else reads or writes the home as its owner
    if !matches!(cli.command, Command::Check(_))
        && let Err(e) = engine::refuse_foreign_home(&ctx)
    {
        return fail(&e, &json, None);
    }
    // doctor only reads, and `plan --against` reads nothing of the machine: they leave an
    // interrupted transaction for the next command to recover
    let reads_no_state = match &cli.command {
        Command::Doctor(_) | Command::Init(_) => true,
        Command::Plan(a) => a.against.is_some(),
        _ => false,
    };
    if !reads_no_state && let Err(e) = engine::recover_if_needed(&ctx, &mut progress(&ui, &ctx)) {
        return fail(&e, &json, Some(&ctx));
    }
    let fault = engine::fault();
    let result = match cli.command {
        Command::Check(args) => Ok(check::run(&ctx, &ui, args)),
        Command::Plan(args) => plan::run(&ctx, &ui, args),
        Command::Apply(args) => apply::run(&ctx, &ui, args, fault.as_ref()),
        Command::Status(args) => status::run(&ctx, &ui, args),
        Command::Rollback(args) => rollback::run(&ctx, &ui, args, fault.as_ref()),
        Command::Generations(args) => generations::list(&ctx, &ui, args),
        Command::Show(args) => generations::show(&ctx, &ui, args),
        Command::Gc(args) => generations::gc(&ctx, &ui, args),
        Command::Doctor(args) => doctor::run(&ctx, &ui, args),
        Command::Init(args) => init::run(&ctx, &ui, args),
    };
    result.unwrap_or_else(|e| fail(&e, &json, Some(&ctx)))
}

/// Asks on a terminal; without one, `--yes` is required.
fn confirm(question: &str, yes: bool) -> Result<bool, Error> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::new(
            ErrorKind::Declined,
            "not on a terminal, and `--yes` was not given",
        )
        .hint("pass `--yes` to confirm without a terminal"));
    }
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question} [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::new(ErrorKind::Declined, format!("cannot read the answer: {e}")))?;
    if !answer.ends_with('\n') {
        // End of input (Ctrl-D) echoes no newline: end the question's line before what follows.
        let _ = writeln!(stderr);
    }
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Prints `text` on stdout; a closed pipe (`goenv plan | head`) ends quietly.
fn print_out(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
}

/// Prints `text` on stderr, where everything that is not data goes.
fn print_err(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

fn parse_env_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("`{s}` is not KEY=VALUE")),
    }
}
