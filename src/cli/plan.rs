//! `goenv plan [PROFILE]`: what apply would change, for a person, a pull request or a program;
//! with `--against OLD`, what the profile changes on a machine that follows OLD, and with
//! `--platform`, for several platforms in one run.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Ui, print_out, progress, render, report_profile};
use crate::context::{Arch, Context, Os};
use crate::engine::{self, Error};
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
    /// Exit 2 when there are changes to apply (0 when there are none, 1 on error); with several
    /// platforms, 2 when any has changes
    #[arg(long)]
    pub detailed_exitcode: bool,
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
    let path = args.profile.clone().unwrap_or_else(|| ctx.default_profile());
    let mut platforms: Vec<(Os, Arch)> = Vec::new();
    for p in &args.platforms {
        if !platforms.contains(p) {
            platforms.push(*p);
        }
    }
    let several = !platforms.is_empty();
    if platforms.is_empty() {
        platforms.push((ctx.os, ctx.arch));
    }
    let mut plans: Vec<(Plan, Context)> = Vec::new();
    for (os, arch) in platforms {
        let mut ctx = ctx.clone();
        (ctx.os, ctx.arch) = (os, arch);
        let plan = plan_one(&ctx, ui, &path, args.against.as_deref(), several)?;
        plans.push((plan, ctx));
    }
    let text = if several {
        several_text(ui, &args, &path, &plans)
    } else {
        one_text(ui, &args, &path, &plans[0])
    };
    print_out(&text);
    Ok(if args.detailed_exitcode && plans.iter().any(|(p, _)| !p.is_empty()) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// The plan of the profile at `path` for `ctx`'s platform: on this machine, or `--against` OLD.
/// With `several` platforms, an error of the plan names the platform (a profile that does not
/// load is invalid on every platform: goenv validates every `when` block).
fn plan_one(
    ctx: &Context,
    ui: &Ui,
    path: &std::path::Path,
    against: Option<&std::path::Path>,
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

/// One platform, as `plan` has always printed it.
fn one_text(
    ui: &Ui,
    args: &PlanArgs,
    path: &std::path::Path,
    (plan, ctx): &(Plan, Context),
) -> String {
    match args.format {
        PlanFormat::Human if ui.quiet => {
            format!("{}\n", render::summary_line(plan, render::Title::Plan))
        }
        PlanFormat::Human => render::human(plan, ctx, ui.color, render::Title::Plan),
        PlanFormat::Markdown => render::markdown(plan, ctx),
        PlanFormat::Json => format!("{:#}\n", render::json(plan, ctx, &path.display().to_string())),
    }
}

/// `--platform`: a section per platform, in the order given; JSON is one `goenv.plans/1`
/// document whose `platforms` are `goenv.plan/1` documents.
fn several_text(
    ui: &Ui,
    args: &PlanArgs,
    path: &std::path::Path,
    plans: &[(Plan, Context)],
) -> String {
    let platform = |ctx: &Context| format!("{}/{}", ctx.os, ctx.arch);
    match args.format {
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
        PlanFormat::Markdown => {
            let refs: Vec<(&Plan, &Context)> = plans.iter().map(|(p, c)| (p, c)).collect();
            render::markdown_platforms(&refs)
        }
        PlanFormat::Json => {
            let shown = path.display().to_string();
            let doc = serde_json::json!({
                "schema": "goenv.plans/1",
                "profile": shown,
                "against": args.against.as_ref().map(|a| a.display().to_string()),
                "changes": plans.iter().any(|(p, _)| !p.is_empty()),
                "platforms": plans
                    .iter()
                    .map(|(p, c)| render::json(p, c, &shown))
                    .collect::<Vec<_>>(),
            });
            format!("{doc:#}\n")
        }
    }
}
