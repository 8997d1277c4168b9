//! `goenv status [PROFILE]`: what changed behind goenv's back since the last generation, and,
//! with a profile, what apply would change. Exit 2 when anything drifted or is pending.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Format, PENDING, Ui, print_out, progress, render, report_profile, report_state};
use crate::context::Context;
use crate::engine::{self, Error, Status};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Also compare with this profile
    pub profile: Option<PathBuf>,
    /// Output format: `json` prints one `goenv.status/1` document
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub target: super::Target,
}

pub fn run(ctx: &Context, ui: &Ui, args: StatusArgs) -> Result<ExitCode, Error> {
    if args.format == Format::Json {
        return json(ctx, ui, args);
    }
    let mut dirty = false;
    let mut out = String::new();
    report_state(ui, ctx, engine::Reading::Latest)?;
    match engine::status(ctx)? {
        Status::NoGeneration => {
            out.push_str("No generation yet: goenv has not changed this machine.\n");
        }
        Status::Since { number, time, drifted, .. } if drifted.is_empty() => {
            out.push_str(&format!("No drift since generation {number} ({time}).\n"));
        }
        Status::Since { number, time, drifted, .. } if ui.quiet => {
            dirty = true;
            let n = drifted.len();
            out.push_str(&format!(
                "Drift since generation {number} ({time}): {n} path{} changed outside goenv; \
                 `goenv rollback` restores generation {number}.\n",
                if n == 1 { "" } else { "s" }
            ));
        }
        Status::Since { number, time, drifted, secrets } => {
            dirty = true;
            out.push_str(&format!("Drift since generation {number} ({time}):\n"));
            for d in &drifted {
                let c = &d.change;
                out.push_str(&format!("{} {} (changed outside goenv)\n", c.action.sign(), c.id));
                out.push_str(&render::drift_diff(c, ctx, &secrets, ui.verbose));
            }
            out.push_str(&format!(
                "`goenv rollback` restores generation {number}; `goenv apply` restores the profile.\n"
            ));
        }
    }
    let left = if ui.quiet { Vec::new() } else { engine::leftovers(ctx)? };
    if !left.is_empty() {
        out.push_str(&format!(
            "Left by an interrupted goenv: {}; `goenv gc` removes them.\n",
            engine::debris_shown(&left, ctx)
        ));
    }
    print_out(&out);
    if let Some(path) = args.profile {
        let profile = engine::load_profile(&path, ctx)?;
        report_profile(ui, &profile);
        let plan = engine::make_plan_reporting(&profile, ctx, &mut progress(ui, ctx))?;
        if !plan.is_empty() && ui.quiet {
            dirty = true;
            print_out(&format!(
                "Pending against `{}`: {}\n",
                path.display(),
                render::summary_line(&plan, render::Title::Plan)
            ));
        } else if !plan.is_empty() {
            dirty = true;
            print_out(&format!(
                "\nPending against `{}`:\n{}",
                path.display(),
                render::human(&plan, ctx, ui.color, render::Title::Plan)
            ));
        } else {
            print_out(&format!("The machine matches `{}`.\n", path.display()));
        }
    }
    Ok(if dirty { ExitCode::from(PENDING) } else { ExitCode::SUCCESS })
}

/// The `goenv.status/1` document: the latest generation (`null` before the first), what drifted
/// since, what an interrupted goenv left, and with a PROFILE what apply would change. Exit 2
/// when anything drifted or is pending, as the human form.
fn json(ctx: &Context, ui: &Ui, args: StatusArgs) -> Result<ExitCode, Error> {
    report_state(ui, ctx, engine::Reading::Latest)?;
    let (generation, drift) = match engine::status(ctx)? {
        Status::NoGeneration => (serde_json::Value::Null, serde_json::json!([])),
        Status::Since { number, time, drifted, secrets } => {
            let changes: Vec<_> = drifted.into_iter().map(|d| d.change).collect();
            (
                serde_json::json!({"number": number, "time": time}),
                render::changes_json(&changes, ctx, &secrets),
            )
        }
    };
    let leftovers: Vec<_> = engine::leftovers(ctx)?
        .iter()
        .map(|d| serde_json::json!({"path": d.path.display().to_string(), "bytes": d.bytes}))
        .collect();
    let mut dirty = drift.as_array().is_some_and(|d| !d.is_empty());
    let pending = match &args.profile {
        None => serde_json::Value::Null,
        Some(path) => {
            let profile = engine::load_profile(path, ctx)?;
            report_profile(ui, &profile);
            let plan = engine::make_plan_reporting(&profile, ctx, &mut progress(ui, ctx))?;
            dirty |= !plan.is_empty();
            serde_json::json!({
                "profile": path.display().to_string(),
                "platform": format!("{}/{}", ctx.os, ctx.arch),
                "summary": render::counts_json(&plan),
                "changes": render::changes_json(&plan.changes, ctx, &plan.secrets),
                "findings": render::findings_json(&plan.findings, &plan.secrets),
            })
        }
    };
    let v = serde_json::json!({
        "schema": "goenv.status/1",
        "ok": true,
        "generation": generation,
        "drift": drift,
        "leftovers": leftovers,
        "pending": pending,
        "problems": [],
    });
    print_out(&format!("{v:#}\n"));
    Ok(if dirty { ExitCode::from(PENDING) } else { ExitCode::SUCCESS })
}
