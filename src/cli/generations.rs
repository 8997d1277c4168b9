//! `goenv generations`, `goenv show N`, `goenv gc --keep N`: the history goenv keeps.

use std::process::ExitCode;

use serde_json::json;

use super::{Format, Ui, print_out, render, report_state};
use crate::context::Context;
use crate::engine::{self, Error, ErrorKind};

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The generation to show, or a plan file `goenv plan --out` saved (a number is a
    /// generation: write `./3` for a file named `3`)
    #[arg(value_name = "N|FILE")]
    pub what: String,
    /// Output format: `json` prints one `goenv.show/1` document
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Output format: `json` prints one `goenv.generations/1` document
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct GcArgs {
    /// How many of the newest generations to keep (at least 1: the latest is what `status` and
    /// `rollback` work from)
    #[arg(long, default_value_t = 10)]
    pub keep: usize,
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub fn list(ctx: &Context, ui: &Ui, args: ListArgs) -> Result<ExitCode, Error> {
    report_state(ui, ctx, engine::Reading::All)?;
    // The list is the result: `-q` leaves it whole.
    let all = engine::generations(ctx)?;
    if args.format == Format::Json {
        let v = json!({
            "schema": "goenv.generations/1",
            "ok": true,
            "generations": all.iter().map(summary_json).collect::<Vec<_>>(),
            "problems": [],
        });
        print_out(&format!("{v:#}\n"));
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    if all.is_empty() {
        out.push_str("No generation yet: goenv has not changed this machine.\n");
    }
    for g in all {
        out.push_str(&format!(
            "{:>4}  {}  {:<8}  {} path{} changed  {}{}\n",
            g.number,
            g.time,
            g.command,
            g.changed,
            plural(g.changed),
            g.summary,
            g.profile.map(|p| format!("  ({p})")).unwrap_or_default()
        ));
    }
    print_out(&out);
    Ok(ExitCode::SUCCESS)
}

pub fn show(ctx: &Context, ui: &Ui, args: ShowArgs) -> Result<ExitCode, Error> {
    let Ok(number) = args.what.parse::<u32>() else {
        let file = engine::planfile::read(std::path::Path::new(&args.what))?;
        // The JSON of a saved plan is the plan file itself (`goenv.planfile/1`), as read.
        let text = match args.format {
            Format::Json => format!("{:#}\n", json!(file)),
            Format::Human => super::planfile::human(&file, &args.what, ui.quiet),
        };
        print_out(&text);
        return Ok(ExitCode::SUCCESS);
    };
    report_state(ui, ctx, engine::Reading::One(number))?;
    let shown = engine::show(ctx, number)?;
    let g = &shown.summary;
    if args.format == Format::Json {
        let v = json!({
            "schema": "goenv.show/1",
            "ok": true,
            "generation": summary_json(g),
            "changes": render::changes_json(&shown.changes, ctx, &shown.secrets),
            "effects": shown.effects.iter().map(|step| json!({
                "resource": step.resource.to_string(),
                "ran": ran(&step.run, &shown.secrets),
                "undo": ran(&step.undo, &shown.secrets),
            })).collect::<Vec<_>>(),
            "problems": [],
        });
        print_out(&format!("{v:#}\n"));
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!("generation {} · {} · {} · {}\n", g.number, g.time, g.command, g.summary);
    for c in shown.changes.iter().filter(|_| !ui.quiet) {
        out.push_str(&format!("\n{} {}\n", c.action.sign(), c.id));
        out.push_str(&render::diff(c, ctx, &shown.secrets));
    }
    // What ran once the files were written, as `apply` reported it.
    for step in shown.effects.iter().filter(|_| !ui.quiet) {
        out.push_str(&format!("\n> {}\n", step.resource));
        for line in ran(&step.run, &shown.secrets) {
            out.push_str(&format!("ran {line}\n"));
        }
    }
    print_out(&out);
    Ok(ExitCode::SUCCESS)
}

/// The commands an effect ran (or its undo runs), secret values redacted.
fn ran(run: &crate::resource::effect::Run, secrets: &[String]) -> Vec<String> {
    run.commands().iter().map(|l| crate::profile::secret::redact(l, secrets)).collect()
}

/// A generation as JSON: `{"number", "time", "command", "changed", "summary", "profile"}`.
fn summary_json(g: &engine::GenerationSummary) -> serde_json::Value {
    json!({
        "number": g.number,
        "time": g.time,
        "command": g.command,
        "changed": g.changed,
        "summary": g.summary,
        "profile": g.profile,
    })
}

pub fn gc(ctx: &Context, ui: &Ui, args: GcArgs) -> Result<ExitCode, Error> {
    if args.keep == 0 {
        return Err(Error::new(
            ErrorKind::Usage,
            "`--keep 0` would drop the latest generation, which `status` compares the machine \
             with and `rollback` undoes",
        )
        .hint(
            "`goenv gc --keep 1` keeps only the latest one; `rollback --to 0` works after any gc",
        ));
    }
    report_state(ui, ctx, engine::Reading::All)?;
    let Some(done) = engine::gc(ctx, args.keep)? else {
        print_out("Nothing to collect: goenv has no state here.\n");
        return Ok(ExitCode::SUCCESS);
    };
    let mut out = String::new();
    if !done.debris.is_empty() && !ui.quiet {
        out.push_str(&format!(
            "Removed what an interrupted goenv left: {}.\n",
            engine::debris_shown(&done.debris, ctx)
        ));
    }
    if done.sdks > 0 && !ui.quiet {
        out.push_str(&format!(
            "Removed {} SDK{} from the trash; rolling back to a generation that used one downloads it again.\n",
            done.sdks,
            plural(done.sdks)
        ));
    }
    out.push_str(&format!(
        "Removed {} generation{} and {} blob{} ({} bytes); `rollback --to 0` still restores the original files.\n",
        done.generations,
        plural(done.generations),
        done.blobs,
        plural(done.blobs),
        done.bytes
    ));
    print_out(&out);
    Ok(ExitCode::SUCCESS)
}
