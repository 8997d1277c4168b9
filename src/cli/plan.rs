//! `goenv plan [PROFILE]`: what apply would change, for a person, a pull request or a program.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{
    FailOn, PENDING, Ui, markdown, print_err, print_out, progress, render, report_profile,
};
use crate::context::Context;
use crate::engine::{self, Error, ErrorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Human,
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The profile [default: ~/.config/goenv/profile.kdl]
    pub profile: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Exit 2 when there are changes to apply (0 when there are none, 1 on error, 3 when a
    /// finding `--fail-on` names remains, which wins over 2)
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Which findings make the plan exit 3
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// With `--format markdown`: write the comment to FILE.1.md, FILE.2.md, … (each at most
    /// `--split` characters and valid on its own) and print their paths, one a line
    #[arg(long, value_name = "FILE")]
    pub markdown_out: Option<PathBuf>,
    /// With `--markdown-out`: the most characters in one part [default: 65000, under GitHub's
    /// comment limit]
    #[arg(long, value_name = "N", requires = "markdown_out", value_parser = clap::value_parser!(u32).range(1000..))]
    pub split: Option<u32>,
    /// Also save the plan to FILE (JSON, `goenv.planfile/1`): `goenv apply FILE` applies exactly
    /// it, or refuses when anything it was made from changed
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub target: super::Target,
}

pub fn run(ctx: &Context, ui: &Ui, args: PlanArgs) -> Result<ExitCode, Error> {
    let markdown_failure = (args.format == PlanFormat::Markdown)
        .then(|| (args.markdown_out.clone(), args.profile.clone()));
    let result = plan(ctx, ui, args);
    // A pull request hears of a failure too: the comment says why, `error:` is on stderr.
    if let (Err(e), Some((out, profile))) = (&result, markdown_failure) {
        let shown = profile.unwrap_or_else(|| ctx.default_profile()).display().to_string();
        let text = failure_markdown(e, &shown);
        match out {
            None => print_out(&text),
            Some(out) => {
                let file = part(&out, 1);
                if engine::write_report(&file, &text).is_ok() {
                    print_out(&format!("{}\n", file.display()));
                }
            }
        }
    }
    result
}

/// `FILE.N.md`.
fn part(out: &std::path::Path, n: usize) -> PathBuf {
    let mut name = out.to_path_buf().into_os_string();
    name.push(format!(".{n}.md"));
    PathBuf::from(name)
}

/// A failed plan as a comment: what failed, each problem at its place, with its hint.
fn failure_markdown(e: &Error, profile: &str) -> String {
    let failure = super::error::JsonFailure {
        schema: "goenv.plan/1",
        profile: Some(profile.to_owned()),
        says_changed: false,
    };
    let doc = failure.document(e, None);
    let mut out =
        format!("### goenv plan\n\n**The plan failed: {}.**\n\n", markdown::prose(&e.message));
    for p in doc["problems"].as_array().into_iter().flatten() {
        let at = match (p["file"].as_str(), p["line"].as_u64(), p["column"].as_u64()) {
            (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
            (Some(f), _, _) => f.to_owned(),
            _ => String::new(),
        };
        let mut line = format!("- {}", markdown::code(&at));
        line.push_str(&format!(" {}", markdown::prose(p["message"].as_str().unwrap_or(""))));
        if let Some(h) = p["help"].as_str() {
            line.push_str(&format!(" (hint: {})", markdown::prose(h)));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
    out
}

fn plan(ctx: &Context, ui: &Ui, args: PlanArgs) -> Result<ExitCode, Error> {
    if args.markdown_out.is_some() && args.format != PlanFormat::Markdown {
        return Err(Error::new(
            ErrorKind::Usage,
            "`--markdown-out` writes the markdown form, and `--format markdown` was not given",
        )
        .hint("add `--format markdown`"));
    }
    let path = args.profile.unwrap_or_else(|| ctx.default_profile());
    let profile = engine::load_profile(&path, ctx)?;
    report_profile(ui, &profile);
    let (plan, saved) = match &args.out {
        Some(_) => {
            let (plan, file) = engine::planfile::make(&profile, ctx, &mut progress(ui, ctx))?;
            (plan, Some(file))
        }
        None => (engine::make_plan_reporting(&profile, ctx, &mut progress(ui, ctx))?, None),
    };
    let text = match args.format {
        PlanFormat::Human if ui.quiet => {
            format!("{}\n", render::summary_line(&plan, render::Title::Plan))
        }
        PlanFormat::Human => render::human(&plan, ctx, ui.color, render::Title::Plan),
        PlanFormat::Markdown => match &args.markdown_out {
            None => render::markdown(&plan, ctx, markdown::SPLIT_DEFAULT),
            Some(out) => {
                let limit = args.split.map_or(markdown::SPLIT_DEFAULT, |n| n as usize);
                let mut written = String::new();
                for (i, text) in render::markdown_parts(&plan, ctx, limit).iter().enumerate() {
                    let file = part(out, i + 1);
                    engine::write_report(&file, text)?;
                    written.push_str(&format!("{}\n", file.display()));
                }
                written
            }
        },
        PlanFormat::Json => {
            format!("{:#}\n", render::json(&plan, ctx, &path.display().to_string()))
        }
    };
    if let (Some(out), Some(file)) = (&args.out, &saved) {
        engine::planfile::write(file, out)?;
        if !ui.quiet {
            print_err(&format!(
                "Saved the plan to `{0}`: `goenv apply {0}` applies exactly it, or refuses if anything it was made from changed.\n",
                out.display()
            ));
        }
    }
    print_out(&text);
    let pending = if args.detailed_exitcode && !plan.is_empty() {
        ExitCode::from(PENDING)
    } else {
        ExitCode::SUCCESS
    };
    Ok(args.fail_on.exit(plan.findings.iter().map(|f| f.severity), pending))
}
