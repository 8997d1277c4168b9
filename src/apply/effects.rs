//! effects: the user's `systemd --user` manager, reached by running `systemctl --user` with the
//! user's `XDG_RUNTIME_DIR`, and on macOS the user's launchd domain, reached with `launchctl`
//! (`/bin/launchctl`). Only a transaction (apply, rollback) and recovery run them.
//!
//! launchd has no "show everything": the values an effect's undo needs are asked one by one
//! (`launchctl getenv NAME`, which prints the value and a newline, or nothing when the
//! variable is unset; an empty value is refused by the profile, so nothing is lost).
//!
//! Before the journal is written, [`resolve`] reads the manager's environment once
//! (`show-environment`) and turns every planned [`Effect`] into the [`Run`] that performs it
//! and the [`Run`] that undoes it (the manager's old values), so the journal holds both before
//! anything runs. A manager that cannot be reached (no `XDG_RUNTIME_DIR`, no bus, a container,
//! an ssh login without lingering) or that runs for another home is [`Reach::Unreachable`]: the
//! effects are skipped and the files are still written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::formats::envd;
use crate::resource::ResourceId;
use crate::resource::effect::{Effect, Run, Step, Var, parse_show_environment};

/// Where the user manager listens, and for which home.
#[derive(Debug, Clone)]
pub struct UserManager {
    /// `XDG_RUNTIME_DIR`: `None` when goenv cannot tell it.
    pub runtime_dir: Option<PathBuf>,
    /// The home the manager must run for: a manager with another `HOME` is not this home's.
    pub home: PathBuf,
    /// The `launchctl` program (macOS): `/bin/launchctl`.
    pub launchctl: PathBuf,
}

/// What the managers answered, for resolving effects.
#[derive(Debug, Default, Clone)]
pub struct Envs {
    /// The user manager's environment (when a systemd effect is planned).
    pub systemd: BTreeMap<String, String>,
    /// The asked variables of launchd's per-user environment that are set.
    pub launchd: BTreeMap<String, String>,
}

/// Whether the manager answered.
#[derive(Debug)]
pub enum Reach {
    /// Its environment.
    Answers(BTreeMap<String, String>),
    /// Why not, for the finding.
    Unreachable(String),
}

/// Runs `cmd` (shown as `shown`, without values): its stdout, or why it failed, with its
/// stderr on one line.
fn output(cmd: &mut Command, shown: &str) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stderr: Vec<&str> = stderr.split_whitespace().collect();
        let code = out.status.code().map_or("a signal".to_owned(), |c| format!("exit {c}"));
        return Err(format!("`{shown}` failed ({code}): {}", stderr.join(" ")));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl UserManager {
    fn command(&self, dir: &Path) -> Command {
        let mut cmd = Command::new("systemctl");
        cmd.arg("--user")
            .env("XDG_RUNTIME_DIR", dir)
            // The bus is the runtime directory's, never one inherited for another session.
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env("SYSTEMD_PAGER", "")
            .env("SYSTEMD_COLORS", "0")
            .stdin(std::process::Stdio::null());
        cmd
    }

    /// `systemctl --user ARGS`: its stdout, or why it failed.
    fn systemctl(&self, args: &[String]) -> Result<String, String> {
        let Some(dir) = &self.runtime_dir else {
            return Err("`XDG_RUNTIME_DIR` is not set".into());
        };
        // Without values (a secret must not reach a message): `NAME=value` is shown as `NAME`.
        let words: Vec<&str> =
            args.iter().map(|a| a.split_once('=').map_or(a.as_str(), |(n, _)| n)).collect();
        let shown = format!("systemctl --user {}", words.join(" "));
        output(self.command(dir).args(args), &shown)
    }

    /// `launchctl ARGS`: its stdout, or why it failed (without values).
    fn launchctl(&self, args: &[String]) -> Result<String, String> {
        // Only the subcommand and the name: a value may be a secret.
        let shown = format!(
            "{} {}",
            self.launchctl.display(),
            args.iter().take(2).cloned().collect::<Vec<_>>().join(" ")
        );
        output(Command::new(&self.launchctl).args(args).stdin(std::process::Stdio::null()), &shown)
    }

    /// `launchctl getenv NAME`: the value, `None` when unset.
    fn getenv(&self, name: &str) -> Result<Option<String>, String> {
        let out = self.launchctl(&["getenv".to_owned(), name.to_owned()])?;
        Ok((!out.is_empty()).then(|| out.strip_suffix('\n').unwrap_or(&out).to_owned()))
    }

    /// What effects of these kinds need from the managers: the user manager's environment when
    /// `systemd`, and the values of `launchd` names; `Err` says why a manager cannot be reached.
    pub fn answers(&self, systemd: bool, launchd: &[String]) -> Result<Envs, String> {
        let mut envs = Envs::default();
        if systemd {
            envs.systemd = self.answered()?;
        }
        for name in launchd {
            if let Some(v) = self.getenv(name)? {
                envs.launchd.insert(name.clone(), v);
            }
        }
        Ok(envs)
    }

    /// The manager's environment, if it answers and runs for this home.
    pub fn environment(&self) -> Reach {
        let text = match self.systemctl(&["show-environment".to_owned()]) {
            Ok(text) => text,
            Err(why) => return Reach::Unreachable(why),
        };
        let env: BTreeMap<String, String> = parse_show_environment(&text).into_iter().collect();
        match env.get("HOME") {
            Some(h) if Path::new(h) == self.home => Reach::Answers(env),
            Some(h) => Reach::Unreachable(format!(
                "the user manager on `{}` runs for HOME={h}, not `{}`",
                self.runtime_dir.as_deref().unwrap_or(Path::new("")).display(),
                self.home.display()
            )),
            None => Reach::Unreachable("the user manager's environment has no HOME".into()),
        }
    }

    /// Runs `run`; a set-environment is verified with `show-environment` afterwards. A variable
    /// systemd's generator set (from an environment.d file at login or at the last reload) is
    /// not removed by `unset-environment`, which only removes what `set-environment` set: when
    /// one is still there, the manager reloads (the generator then reads the files as they are
    /// now, without it) and is asked again.
    pub fn run(&self, run: &Run) -> Result<(), String> {
        if let Run::Launchctl { vars } = run {
            for argv in run.argvs() {
                self.launchctl(&argv)?;
            }
            for v in vars {
                if self.getenv(&v.name)? != v.value {
                    return Err(format!(
                        "after `launchctl {}`, launchd's `{}` is not the value goenv set",
                        if v.value.is_some() { "setenv" } else { "unsetenv" },
                        v.name
                    ));
                }
            }
            return Ok(());
        }
        for argv in run.argvs() {
            self.systemctl(&argv)?;
        }
        let Run::SetEnvironment { vars } = run else { return Ok(()) };
        let mut env = self.answered()?;
        if vars.iter().any(|v| v.value.is_none() && env.contains_key(&v.name)) {
            self.systemctl(&["daemon-reload".to_owned()])?;
            env = self.answered()?;
        }
        for v in vars {
            if env.get(&v.name) != v.value.as_ref() {
                return Err(format!(
                    "after `systemctl --user {}-environment`, the manager's `{}` is {}",
                    if v.value.is_some() { "set" } else { "unset" },
                    v.name,
                    if env.contains_key(&v.name) {
                        "still set (something else sets it)"
                    } else {
                        "unset, not the value goenv set"
                    }
                ));
            }
        }
        Ok(())
    }

    fn answered(&self) -> Result<BTreeMap<String, String>, String> {
        match self.environment() {
            Reach::Answers(env) => Ok(env),
            Reach::Unreachable(why) => Err(why),
        }
    }
}

/// Which managers the effects need: the user manager's whole environment (`true` for any
/// systemd effect), and the launchd variables they touch.
pub fn needs<'a>(runs: impl Iterator<Item = &'a Run>) -> (bool, Vec<String>) {
    let (mut systemd, mut names) = (false, Vec::new());
    for run in runs {
        match run {
            Run::Launchctl { vars } => names.extend(vars.iter().map(|v| v.name.clone())),
            _ => systemd = true,
        }
    }
    names.dedup();
    (systemd, names)
}

/// Each effect as it will run on managers whose environments are `envs`, with its undo.
pub fn resolve(effects: &[(ResourceId, Effect)], envs: &Envs) -> Vec<Step> {
    let env = &envs.systemd;
    let old = |vars: &[Var], env: &BTreeMap<String, String>| -> Vec<Var> {
        vars.iter().map(|v| Var::new(&v.name, env.get(&v.name).map(String::as_str))).collect()
    };
    effects
        .iter()
        .map(|(id, effect)| {
            let run = match effect {
                Effect::SessionEnvironment { set, was, unset } => {
                    Run::SetEnvironment { vars: session(set, was, unset, env) }
                }
                Effect::Environment { vars } => Run::SetEnvironment { vars: vars.clone() },
                Effect::DaemonReload => Run::DaemonReload,
                Effect::TryRestart { unit } => Run::TryRestart { unit: unit.clone() },
                Effect::Launchd { vars } => Run::Launchctl { vars: vars.clone() },
            };
            let undo = match &run {
                Run::SetEnvironment { vars } => Run::SetEnvironment { vars: old(vars, env) },
                Run::Launchctl { vars } => Run::Launchctl { vars: old(vars, &envs.launchd) },
                other => other.clone(),
            };
            Step { resource: id.clone(), run, undo }
        })
        .collect()
}

/// The values a fresh login would get from the new file: the manager's environment without
/// what the previous file added (its PATH entries in front), then the new file evaluated on it
/// as systemd's generator does.
fn session(set: &[Var], was: &[Var], unset: &[String], env: &BTreeMap<String, String>) -> Vec<Var> {
    let pairs = |vars: &[Var]| -> Vec<(String, String)> {
        vars.iter().map(|v| (v.name.clone(), v.value.clone().unwrap_or_default())).collect()
    };
    let mut base = env.clone();
    if let (Some(path), Some(_)) = (env.get("PATH"), was.iter().find(|v| v.name == "PATH")) {
        // What the previous file put in front: it evaluated with an empty PATH.
        let mut empty = BTreeMap::new();
        empty.insert("PATH".to_owned(), String::new());
        let front = envd::evaluate(&pairs(was), &empty)
            .into_iter()
            .find(|(k, _)| k == "PATH")
            .and_then(|(_, v)| v);
        if let Some(front) = front {
            if *path == front {
                base.remove("PATH");
            } else if let Some(rest) = path.strip_prefix(&format!("{front}:")) {
                base.insert("PATH".to_owned(), rest.to_owned());
            }
        }
    }
    let mut out: Vec<Var> = envd::evaluate(&pairs(set), &base)
        .into_iter()
        .map(|(k, v)| Var { name: k, value: v, blob: None })
        .collect();
    for name in unset {
        if !out.iter().any(|v| &v.name == name) {
            out.push(Var::new(name, None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::effect::Effect;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_session_effect_replaces_goenvs_path_front_and_keeps_the_rest() {
        let var = |k: &str, v: &str| Var::new(k, Some(v));
        let effect = Effect::SessionEnvironment {
            set: vec![var("PATH", "/new/bin${PATH:+:$PATH}"), var("GOPATH", "/h/go")],
            was: vec![var("PATH", "/old/bin:/h/go/bin${PATH:+:$PATH}"), var("GOFLAGS", "-x")],
            unset: vec!["GOFLAGS".into()],
        };
        let id = ResourceId::effect(&effect);
        let manager = env(&[("PATH", "/old/bin:/h/go/bin:/usr/bin"), ("GOFLAGS", "-x")]);
        let envs = |systemd| Envs { systemd, launchd: BTreeMap::new() };
        let steps = resolve(&[(id, effect.clone())], &envs(manager));
        assert_eq!(
            steps[0].run,
            Run::SetEnvironment {
                vars: vec![
                    var("PATH", "/new/bin:/usr/bin"),
                    var("GOPATH", "/h/go"),
                    Var::new("GOFLAGS", None)
                ]
            }
        );
        assert_eq!(
            steps[0].undo,
            Run::SetEnvironment {
                vars: vec![
                    var("PATH", "/old/bin:/h/go/bin:/usr/bin"),
                    Var::new("GOPATH", None),
                    var("GOFLAGS", "-x")
                ]
            }
        );
        // The front is not where goenv put it (someone prepended): nothing is stripped.
        let manager = env(&[("PATH", "/x:/old/bin:/h/go/bin:/usr/bin")]);
        let steps = resolve(&[(ResourceId::effect(&effect), effect)], &envs(manager));
        let Run::SetEnvironment { vars } = &steps[0].run else { panic!() };
        assert_eq!(vars[0], var("PATH", "/new/bin:/x:/old/bin:/h/go/bin:/usr/bin"));
    }
}
