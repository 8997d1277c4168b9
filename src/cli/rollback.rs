//! `goenv rollback [--to N] [--format json]`: undo the latest change to the managed paths,
//! whoever made it (see `engine::plan_rollback` for which state that restores).

use std::io::IsTerminal;
use std::process::ExitCode;

use serde_json::json;

use super::{Format, Ui, confirm, error, print_err, print_out, progress, render, report_state};
use crate::context::Context;
use crate::engine::{self, Applied, Error, ErrorKind, Fault, RollbackPlan, Undoes};
use crate::plan::{Action, tilde_path};
use crate::rules;

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// Restore the state right after generation N (0: before goenv changed anything)
    #[arg(long, value_name = "N")]
    pub to: Option<u32>,
    /// Roll back without asking (required when not on a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Output format: `json` prints one `goenv.rollback/1` document on stdout and nothing else
    /// (with `--yes`, or on a terminal, where the question is asked on stderr); declined, it
    /// still says what the rollback would have done
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub environment: super::Environment,
}

pub fn run(
    ctx: &Context,
    ui: &Ui,
    args: RollbackArgs,
    fault: Option<&Fault>,
) -> Result<ExitCode, Error> {
    let json = args.format == Format::Json;
    report_state(ui, ctx, engine::Reading::Latest)?;
    let rollback = engine::plan_rollback(ctx, args.to)?;
    let why = rollback.why.clone();
    if rollback.plan.is_empty() {
        if json {
            print_out(&Planned::of(ctx, &rollback).document(ctx, None));
        } else {
            print_err(&format!("Nothing to do: the managed paths already match ({why}).\n"));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !ui.quiet && !json {
        print_err(&format!(
            "Rollback: {why}.\n\n{}",
            render::human(&rollback.plan, ctx, ui.color, render::Title::Rollback)
        ));
    } else if !args.yes && (!json || std::io::stdin().is_terminal()) {
        // Quiet or JSON, but about to ask: the question needs its one line of context.
        let summary = render::summary_line(&rollback.plan, render::Title::Rollback);
        print_err(&format!("Rollback ({why}): {summary}\n"));
    }
    match confirm("Roll back?", args.yes) {
        Ok(true) => {}
        Ok(false) if !json => {
            print_err("nothing was changed\n");
            return Ok(ExitCode::from(1));
        }
        // JSON: the declined document still says what the rollback would have done.
        Ok(false) => {
            let e = Error::new(ErrorKind::Declined, "the rollback was not confirmed");
            return Ok(declined(ctx, &rollback, &e));
        }
        Err(e) if json => return Ok(declined(ctx, &rollback, &e)),
        Err(e) => return Err(e),
    }
    if json {
        // The engine's notes (effects run, skipped, warnings) are in the document, not on
        // stderr.
        let planned = Planned::of(ctx, &rollback);
        let applied = rollback.apply_reporting(ctx, fault, &mut super::Muted(progress(ui, ctx)))?;
        print_out(&planned.document(ctx, Some(&applied)));
        return Ok(ExitCode::SUCCESS);
    }
    let number = rollback.apply(ctx, fault, &mut progress(ui, ctx))?;
    print_err(&format!(
        "Rolled back ({why}) as generation {number}. `goenv rollback` again undoes it.\n"
    ));
    Ok(ExitCode::SUCCESS)
}

/// What the document says of a planned rollback, taken before the rollback consumes it (with
/// the lock and store it holds).
struct Planned {
    /// The fields a success and a declined rollback share.
    described: serde_json::Map<String, serde_json::Value>,
    findings: Vec<rules::Finding>,
    secrets: Vec<String>,
}

impl Planned {
    /// What it undoes, the generations it goes from and to, and what it changes (or would).
    fn of(ctx: &Context, r: &RollbackPlan) -> Self {
        let plan = &r.plan;
        let paths: Vec<_> = plan
            .paths()
            .map(|c| {
                json!({
                    "resource": c.id.to_string(),
                    "path": c.path.display().to_string(),
                    "shown": tilde_path(&c.path, &ctx.home),
                    "action": match c.action {
                        Action::Create => "created",
                        Action::Delete => "removed",
                        Action::Update | Action::Run => "restored",
                    },
                })
            })
            .collect();
        let undoes = match r.undoes {
            Undoes::Drift => "drift",
            Undoes::Generation => "generation",
            Undoes::To => "to",
        };
        let fields = json!({
            "undoes": undoes,
            "why": r.why,
            "from": r.latest,
            "to": r.target,
            "summary": render::counts_json(plan),
            "changes": render::changes_json(&plan.changes, ctx, &plan.secrets),
            "paths": paths,
        });
        let described = match fields {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        Planned { described, findings: plan.findings.clone(), secrets: plan.secrets.clone() }
    }

    /// The `goenv.rollback/1` document of a rollback done (`applied`), or of one with nothing
    /// to do (`None`).
    fn document(self, ctx: &Context, applied: Option<&Applied>) -> String {
        let Planned { described, mut findings, secrets } = self;
        let secrets = &secrets;
        let (effects, warnings) = render::effects_json(applied, &mut findings, secrets);
        let mut doc = serde_json::Map::new();
        doc.insert("schema".into(), SCHEMA.into());
        doc.insert("ok".into(), true.into());
        doc.insert("platform".into(), format!("{}/{}", ctx.os, ctx.arch).into());
        doc.insert("changed".into(), applied.is_some().into());
        doc.insert("generation".into(), applied.map(|a| a.number).into());
        doc.extend(described);
        doc.insert("effects".into(), effects);
        doc.insert("warnings".into(), warnings.into());
        doc.insert("findings".into(), render::findings_json(&findings, secrets));
        doc.insert("problems".into(), json!([]));
        format!("{:#}\n", serde_json::Value::Object(doc))
    }
}

/// The failure document of a rollback not confirmed: the problem, and what it would have done.
fn declined(ctx: &Context, rollback: &RollbackPlan, e: &Error) -> ExitCode {
    let failure = error::JsonFailure { schema: SCHEMA, profile: None, says_changed: true };
    let mut doc = failure.document(e, Some(format!("{}/{}", ctx.os, ctx.arch)));
    if let Some(map) = doc.as_object_mut() {
        map.extend(Planned::of(ctx, rollback).described);
    }
    print_out(&format!("{doc:#}\n"));
    error::exit_code(e.kind)
}

/// The document's `schema`.
pub const SCHEMA: &str = "goenv.rollback/1";
