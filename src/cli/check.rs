//! `goenv check [PROFILE]`: validate a profile and report every problem at once.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use super::{Format, Ui, report};
use crate::context::Context;
use crate::profile::{self, GoSelector, Profile, Setting};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The profile to check [default: ~/.config/goenv/profile.kdl]
    pub profile: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub target: super::Target,
}

pub fn run(ctx: &Context, ui: &Ui, args: CheckArgs) -> ExitCode {
    let path = args.profile.unwrap_or_else(|| ctx.default_profile());
    let shown_path = path.display().to_string();
    let result = profile::load(&path, ctx);
    let mut stdout = std::io::stdout().lock();
    let written = match (&result, args.format) {
        (Ok(p), Format::Json) => writeln!(
            stdout,
            "{}",
            json!({
                "schema": "goenv.check/1",
                "ok": true,
                "profile": shown_path,
                "platform": format!("{}/{}", ctx.os, ctx.arch),
                "summary": summary(p, ctx),
                "go_env_file": values(p.go_env_file()),
                "export": values(p.export.iter()),
                "problems": [],
            })
        ),
        (Err(r), Format::Json) => writeln!(
            stdout,
            "{}",
            json!({
                "schema": "goenv.check/1",
                "ok": false,
                "profile": shown_path,
                "platform": format!("{}/{}", ctx.os, ctx.arch),
                "problems": report::json_problems(&r.sources, &r.problems, &shown_path),
            })
        ),
        (Ok(p), Format::Human) => {
            super::report_profile(ui, p);
            if ui.quiet {
                Ok(())
            } else {
                writeln!(
                    stdout,
                    "{shown_path}: ok for {}/{}: {}",
                    ctx.os,
                    ctx.arch,
                    summary(p, ctx)
                )
            }
        }
        (Err(r), Format::Human) => {
            let n = r.problems.len();
            super::print_err(&format!(
                "{}error: {n} problem{} in `{shown_path}`; nothing was changed\n",
                report::human(&r.sources, &r.problems, ui.color),
                if n == 1 { "" } else { "s" }
            ));
            Ok(())
        }
    };
    // A closed stdout (`goenv check | head`) ends quietly: the check itself was done, and its
    // result is the exit code.
    let _ = written;
    if result.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// Settings as a JSON object, secrets and URL credentials redacted.
fn values<'a>(settings: impl Iterator<Item = &'a Setting>) -> serde_json::Value {
    settings
        .map(|s| (s.key.clone(), serde_json::Value::String(profile::secret::shown(&s.value))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// One line saying what the profile manages, e.g.
/// `Go 1.22.10 (keeps 1.21.13), Go env file (4 keys), proxy china, shells bash zsh, session`.
pub fn summary(p: &Profile, ctx: &Context) -> String {
    let mut parts = Vec::new();
    if let Some(go) = &p.go {
        let mut s = match go.version {
            GoSelector::System => "Go from PATH (system)".to_owned(),
            v => format!("Go {v} in {}", crate::plan::tilde_path(&go.dir(ctx), &ctx.home)),
        };
        if !go.keep.is_empty() {
            let keep: Vec<String> = go.keep.iter().map(|k| k.0.to_string()).collect();
            s.push_str(&format!(" (keeps {})", keep.join(", ")));
        }
        parts.push(s);
    }
    let n = p.go_env_file().count();
    if n > 0 {
        parts.push(format!("Go env file ({n} key{})", if n == 1 { "" } else { "s" }));
    }
    if let Some(preset) = &p.proxy_preset {
        parts.push(format!("proxy {preset}"));
    }
    if !p.export.is_empty() {
        parts.push(format!("{} exported", p.export.len()));
    }
    if !p.path_entries.is_empty() {
        parts.push(format!(
            "{} PATH entr{}",
            p.path_entries.len(),
            if p.path_entries.len() == 1 { "y" } else { "ies" }
        ));
    }
    match &p.shells {
        Some(shells) => {
            let names: Vec<&str> = shells.iter().map(|s| s.name()).collect();
            parts.push(format!("shells {}", names.join(" ")));
        }
        None => parts.push("shells (default)".into()),
    }
    if let Some(s) = &p.session {
        parts.push(match ctx.os {
            // macOS: no environment.d; the LaunchAgent and launchctl, live at every apply.
            crate::context::Os::Macos => "session (launchd LaunchAgent)".into(),
            crate::context::Os::Linux if s.live => "session (live)".into(),
            crate::context::Os::Linux => "session".into(),
        });
    }
    if p.delve.is_some() {
        parts.push("delve".into());
    }
    if p.vscode.is_some() {
        parts.push("vscode".into());
    }
    if !p.services.is_empty() {
        let units: Vec<&str> = p.services.iter().map(|s| s.unit.as_str()).collect();
        parts.push(format!("service {}", units.join(" ")));
    }
    parts.join(", ")
}
