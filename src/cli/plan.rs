//! `goenv plan [PROFILE]`: what apply would change, for a person, a pull request or a program;
//! with `--against OLD`, what the profile changes on a machine that follows OLD, and with
//! `--platform`, for several platforms in one run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{
    FailOn, PENDING, Ui, markdown, print_err, print_out, progress, render, report_profile,
};
use crate::context::{Arch, Context, Os};
use crate::engine::{self, Error, ErrorKind};
use crate::plan::Plan;

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
    /// finding `--fail-on` names remains, which wins over 2); with several platforms, 2 when any
    /// has changes
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
    /// Plan against the machine OLD's profile leaves, not this one: what PROFILE changes for
    /// someone who follows OLD (a pull request's base). Reads nothing of the home and never
    /// uses the network (versions that need the download index come from goenv's cached copy)
    #[arg(long, value_name = "OLD")]
    pub against: Option<PathBuf>,
    /// Plan for OS/ARCH (linux/amd64, linux/arm64, macos/amd64, macos/arm64); repeatable, one
    /// section each. Instead of `--os`/`--arch`
    #[arg(long = "platform", value_name = "OS/ARCH", value_parser = parse_platform)]
    pub platforms: Vec<(Os, Arch)>,
    #[command(flatten)]
    pub target: super::Target,
}

/// `linux/amd64`; `darwin` is read as `macos`, as Go spells it.
fn parse_platform(s: &str) -> Result<(Os, Arch), String> {
    let all = "linux/amd64, linux/arm64, macos/amd64, macos/arm64";
    let (os, arch) = s.split_once('/').ok_or_else(|| format!("`{s}` is not OS/ARCH: {all}"))?;
    let os = if os == "darwin" { Some(Os::Macos) } else { Os::parse(os) };
    match (os, Arch::parse(arch)) {
        (Some(os), Some(arch)) => Ok((os, arch)),
        _ => Err(format!("goenv does not plan for `{s}`: {all}")),
    }
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
    let mut platforms: Vec<(Os, Arch)> = Vec::new();
    for p in &args.platforms {
        if !platforms.contains(p) {
            platforms.push(*p);
        }
    }
    if args.out.is_some() && (args.against.is_some() || platforms.len() > 1) {
        return Err(Error::new(
            ErrorKind::Usage,
            "`--out` saves the plan of this machine, for one platform, to apply here",
        )
        .hint(
            "drop `--against`/extra `--platform`s, or drop `--out` (a review plan is not applied)",
        ));
    }
    let path = args.profile.clone().unwrap_or_else(|| ctx.default_profile());
    let several = !platforms.is_empty();
    if platforms.is_empty() {
        platforms.push((ctx.os, ctx.arch));
    }
    let mut plans: Vec<(Plan, Context)> = Vec::new();
    let mut saved = None;
    for (os, arch) in platforms {
        let mut ctx = ctx.clone();
        (ctx.os, ctx.arch) = (os, arch);
        let plan = if args.out.is_some() {
            let profile = engine::load_profile(&path, &ctx)?;
            report_profile(ui, &profile);
            let (plan, file) = engine::planfile::make(&profile, &ctx, &mut progress(ui, &ctx))?;
            saved = Some(file);
            plan
        } else {
            plan_one(&ctx, ui, &path, args.against.as_deref(), several)?
        };
        plans.push((plan, ctx));
    }
    let text = if several {
        several_text(ui, &args, &path, &plans)?
    } else {
        one_text(ui, &args, &path, &plans[0])?
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
    let pending = if args.detailed_exitcode && plans.iter().any(|(p, _)| !p.is_empty()) {
        ExitCode::from(PENDING)
    } else {
        ExitCode::SUCCESS
    };
    Ok(args
        .fail_on
        .exit(plans.iter().flat_map(|(p, _)| p.findings.iter().map(|f| f.severity)), pending))
}

/// The plan of the profile at `path` for `ctx`'s platform: on this machine, or `--against` OLD.
/// With `several` platforms, an error of the plan names the platform (a profile that does not
/// load is invalid on every platform: goenv validates every `when` block).
fn plan_one(
    ctx: &Context,
    ui: &Ui,
    path: &Path,
    against: Option<&Path>,
    several: bool,
) -> Result<Plan, Error> {
    let profile = engine::load_profile(path, ctx)?;
    report_profile(ui, &profile);
    let planned = match against {
        None => engine::make_plan_reporting(&profile, ctx, &mut progress(ui, ctx)),
        Some(old_path) => {
            let old = engine::load_profile(old_path, ctx)?;
            if ui.verbose {
                for f in old.sources.files() {
                    super::eprintln_quietly(&format!(
                        "read `{}`: the profile `--against` names",
                        f.display
                    ));
                }
            }
            engine::plan_against(&profile, &old, old_path, ctx, &mut progress(ui, ctx))
        }
    };
    planned.map_err(|mut e| {
        if several {
            e.message = format!("{}/{}: {}", ctx.os, ctx.arch, e.message);
        }
        e
    })
}

/// Writes markdown `parts` to FILE.1.md, FILE.2.md, …; their paths, one a line.
fn write_parts(out: &Path, parts: &[String]) -> Result<String, Error> {
    let mut written = String::new();
    for (i, text) in parts.iter().enumerate() {
        let file = part(out, i + 1);
        engine::write_report(&file, text)?;
        written.push_str(&format!("{}\n", file.display()));
    }
    Ok(written)
}

/// One platform, as `plan` has always printed it.
fn one_text(
    ui: &Ui,
    args: &PlanArgs,
    path: &Path,
    (plan, ctx): &(Plan, Context),
) -> Result<String, Error> {
    let limit = args.split.map_or(markdown::SPLIT_DEFAULT, |n| n as usize);
    Ok(match args.format {
        PlanFormat::Human if ui.quiet => {
            format!("{}\n", render::summary_line(plan, render::Title::Plan))
        }
        PlanFormat::Human => render::human(plan, ctx, ui.color, render::Title::Plan),
        PlanFormat::Markdown => match &args.markdown_out {
            None => render::markdown(plan, ctx, markdown::SPLIT_DEFAULT),
            Some(out) => write_parts(out, &render::markdown_parts(plan, ctx, limit))?,
        },
        PlanFormat::Json => format!("{:#}\n", render::json(plan, ctx, &path.display().to_string())),
    })
}

/// `--platform`: a section per platform, in the order given; JSON is one `goenv.plans/1`
/// document whose `platforms` are `goenv.plan/1` documents.
fn several_text(
    ui: &Ui,
    args: &PlanArgs,
    path: &Path,
    plans: &[(Plan, Context)],
) -> Result<String, Error> {
    let platform = |ctx: &Context| format!("{}/{}", ctx.os, ctx.arch);
    let refs: Vec<(&Plan, &Context)> = plans.iter().map(|(p, c)| (p, c)).collect();
    let limit = args.split.map_or(markdown::SPLIT_DEFAULT, |n| n as usize);
    Ok(match args.format {
        PlanFormat::Human if ui.quiet => plans
            .iter()
            .map(|(p, c)| {
                format!("{}: {}\n", platform(c), render::summary_line(p, render::Title::Plan))
            })
            .collect(),
        PlanFormat::Human => {
            let sections: Vec<String> = plans
                .iter()
                .map(|(p, c)| {
                    let title = format!("=== {} ===", platform(c));
                    let title = if ui.color {
                        let bold = anstyle::Style::new().bold();
                        format!("{bold}{title}{bold:#}")
                    } else {
                        title
                    };
                    format!("{title}\n\n{}", render::human(p, c, ui.color, render::Title::Plan))
                })
                .collect();
            sections.join("\n")
        }
        PlanFormat::Markdown => match &args.markdown_out {
            None => render::markdown_platforms(&refs, markdown::SPLIT_DEFAULT),
            Some(out) => write_parts(out, &render::markdown_platforms_parts(&refs, limit))?,
        },
        PlanFormat::Json => {
            let shown = path.display().to_string();
            let doc = serde_json::json!({
                "schema": "goenv.plans/1",
                "ok": true,
                "profile": shown,
                "against": args.against.as_ref().map(|a| a.display().to_string()),
                "changes": plans.iter().any(|(p, _)| !p.is_empty()),
                "platforms": plans
                    .iter()
                    .map(|(p, c)| render::json(p, c, &shown))
                    .collect::<Vec<_>>(),
                "problems": [],
            });
            format!("{doc:#}\n")
        }
    })
}
