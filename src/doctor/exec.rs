//! `doctor --exec`: run the real programs of each context's recipe and compare with the prediction.
//!
//! Each step runs as the context runs it: the shell with the same argv0 (`-bash` for a login
//! shell), `-i` when interactive, `SSH_CLIENT` for `ssh host cmd`, an environment cleared down to
//! what the step before produced; systemd's own environment.d generator; `/bin/sh` for GDM's
//! Xsession; then `go env -json` with the resulting environment. This is the only part of doctor
//! that starts processes, and only with `--exec`.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::context::Context;

use super::ContextReport;
use super::contexts::{ShellKind, Step, XSESSION};
use super::goview::{self, KEYS};
use super::sys::Sys;
use super::value::Val;

const GENERATOR: &str =
    "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub key: String,
    pub predicted: Option<String>,
    pub actual: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Comparison {
    pub ran: bool,
    pub why: Option<String>,
    pub differences: Vec<Difference>,
    /// Values predicted unknown (not compared).
    pub unknown: usize,
    /// Values compared.
    pub compared: usize,
}

type Map = BTreeMap<String, String>;

/// Runs `step` for real and compares with `report`'s prediction.
pub fn compare(sys: &Sys, ctx: &Context, step: &Step, report: &ContextReport) -> Comparison {
    let real = match run(sys, ctx, step) {
        Ok(m) => m,
        Err(why) => return Comparison { ran: false, why: Some(why), ..Default::default() },
    };
    let mut cmp = Comparison { ran: true, ..Default::default() };
    fn check(
        cmp: &mut Comparison,
        key: &str,
        predicted: Result<Option<String>, ()>,
        actual: Option<String>,
    ) {
        match predicted {
            Err(()) => cmp.unknown += 1,
            Ok(p) => {
                cmp.compared += 1;
                if p != actual {
                    cmp.differences.push(Difference { key: key.to_owned(), predicted: p, actual });
                }
            }
        }
    }
    let predicted_path = match report.env.get("PATH") {
        Some(Val::Known(p)) => Ok(Some(p)),
        Some(Val::Unknown(_)) => Err(()),
        None => Ok(None),
    };
    check(&mut cmp, "PATH", predicted_path, real.get("PATH").cloned());
    for key in
        ["GOROOT", "GOPATH", "GOBIN", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN", "GOENV", "GO111MODULE"]
    {
        let p = match report.env.get(key) {
            Some(Val::Known(v)) => Ok(Some(v)),
            Some(Val::Unknown(_)) => Err(()),
            None => Ok(None),
        };
        check(&mut cmp, &format!("environment {key}"), p, real.get(key).cloned());
    }
    // `go env -json` with the real environment, when the prediction knows which go runs
    let go = match &report.view.go {
        Ok(Some(g)) => Some(g.clone()),
        _ => None,
    };
    let real_go = real.get("PATH").and_then(|p| goview::which(sys, p, "go", &ctx.home));
    if let (Some(g), Some(rg)) = (&go, &real_go)
        && report.view.go.as_ref().is_ok_and(|g| g.as_ref().is_some_and(|g| g.how == "PATH"))
    {
        if g.path != *rg {
            cmp.differences.push(Difference {
                key: "go".into(),
                predicted: Some(g.path.to_string_lossy().into_owned()),
                actual: Some(rg.to_string_lossy().into_owned()),
            });
        }
        match go_env(sys, rg, &real, &ctx.home) {
            Ok(actual) => {
                for key in KEYS {
                    let predicted = match report.view.settings.get(key).map(|s| &s.value) {
                        Some(Ok(v)) => Ok(v.clone()),
                        Some(Err(_)) => Err(()),
                        None => continue,
                    };
                    let predicted = if *key == "GOROOT" {
                        match (&g.goroot, &g.goroot_unknown) {
                            (_, Some(_)) => Err(()),
                            (Ok(r), None) => Ok(Some(r.to_string_lossy().into_owned())),
                            (Err(_), None) => Ok(None),
                        }
                    } else {
                        predicted
                    };
                    check(&mut cmp, &format!("go env {key}"), predicted, actual.get(*key).cloned());
                }
            }
            Err(e) => {
                if g.goroot.is_ok() && g.goroot_unknown.is_none() {
                    cmp.differences.push(Difference {
                        key: "go env".into(),
                        predicted: Some("runs".into()),
                        actual: Some(e),
                    });
                }
            }
        }
    }
    cmp
}

fn run(sys: &Sys, ctx: &Context, step: &Step) -> Result<Map, String> {
    match step {
        Step::Base { env, .. } => {
            let mut m = Map::new();
            for (k, v) in &env.vars {
                match &v.val {
                    Val::Known(s) => {
                        m.insert(k.clone(), s.clone());
                    }
                    Val::Unknown(_) => {
                        return Err(format!("the starting value of `{k}` is not known"));
                    }
                }
            }
            Ok(m)
        }
        Step::Shell { from, start } => {
            let env = run(sys, ctx, from)?;
            let path = sys.real(&start.path);
            if !path.is_file() {
                return Err(format!("`{}` is not installed", start.path.display()));
            }
            let base = start
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut cmd = Command::new(&path);
            let argv0 = if start.login && start.kind != ShellKind::Fish {
                format!("-{base}")
            } else {
                base.clone()
            };
            cmd.arg0(argv0);
            if start.kind == ShellKind::Fish && start.login {
                cmd.arg("-l");
            }
            if start.interactive {
                cmd.arg("-i");
            }
            cmd.arg("-c").arg("/usr/bin/env -0");
            capture(cmd, &env, &ctx.home).map(|out| parse_env0(&out))
        }
        Step::Manager { from } => {
            let env = run(sys, ctx, from)?;
            if !Path::new(GENERATOR).is_file() {
                return Err(format!("`{GENERATOR}` is not installed"));
            }
            let out = capture(Command::new(GENERATOR), &env, &ctx.home)?;
            let mut m = env;
            for line in String::from_utf8_lossy(&out).lines() {
                if let Some((k, v)) = line.split_once('=') {
                    m.insert(k.to_owned(), generator_value(v));
                }
            }
            Ok(m)
        }
        Step::Shared { step, .. } => run(sys, ctx, step),
        Step::Xsession { from } => {
            let env = run(sys, ctx, from)?;
            let mut cmd = Command::new("/bin/sh");
            cmd.arg("-c").arg(format!("{XSESSION}/usr/bin/env -0"));
            capture(cmd, &env, &ctx.home).map(|out| parse_env0(&out))
        }
        Step::Overlay { lower, upper, skip } => {
            let mut m = run(sys, ctx, lower)?;
            for (k, v) in run(sys, ctx, upper)? {
                if !skip(&k) {
                    m.insert(k, v);
                }
            }
            Ok(m)
        }
        Step::Set { from, vars, prepend_path } => {
            let mut m = run(sys, ctx, from)?;
            for (k, v, _) in vars {
                m.insert(k.clone(), v.clone());
            }
            if !prepend_path.is_empty() {
                let entries: Vec<&str> = prepend_path.iter().map(|(e, _)| e.as_str()).collect();
                let new = match m.get("PATH") {
                    Some(p) => format!("{}:{p}", entries.join(":")),
                    None => entries.join(":"),
                };
                m.insert("PATH".into(), new);
            }
            Ok(m)
        }
    }
}

fn go_env(sys: &Sys, go: &Path, env: &Map, home: &Path) -> Result<Map, String> {
    let mut cmd = Command::new(sys.real(go));
    cmd.arg("env").arg("-json");
    for k in KEYS {
        cmd.arg(k);
    }
    let out = capture(cmd, env, home)?;
    let v: serde_json::Value = serde_json::from_slice(&out)
        .map_err(|e| format!("`go env -json` printed what is not JSON: {e}"))?;
    let mut m = Map::new();
    if let Some(o) = v.as_object() {
        for (k, v) in o {
            if let Some(s) = v.as_str() {
                m.insert(k.clone(), s.to_owned());
            }
        }
    }
    Ok(m)
}

/// Runs `cmd` with exactly `env`, in the home, stdin closed; its stdout, or why it failed.
fn capture(mut cmd: Command, env: &Map, home: &Path) -> Result<Vec<u8>, String> {
    cmd.env_clear()
        .envs(env)
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = format!("{:?}", cmd.get_program());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run {what}: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} did not finish in 20 s"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("cannot wait for {what}: {e}")),
        }
    };
    let out = reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        let first = String::from_utf8_lossy(&err).lines().last().unwrap_or("").to_owned();
        return Err(format!("{what} exited with {status}: {first}"));
    }
    Ok(out)
}

/// A value as the generator prints it: systemd quotes one that needs it (`shell_maybe_quote`:
/// `"…"` with `\"`, `\\`, `` \` ``, `\$`, or `$'…'` with C escapes); the service gets it unquoted.
fn generator_value(v: &str) -> String {
    let (inner, c_escapes) =
        if let Some(i) = v.strip_prefix("$'").and_then(|v| v.strip_suffix('\'')) {
            (i, true)
        } else if let Some(i) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            (i, false)
        } else {
            return v.to_owned();
        };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') if c_escapes => out.push('\n'),
            Some('t') if c_escapes => out.push('\t'),
            Some('r') if c_escapes => out.push('\r'),
            Some(next) => out.push(next),
            None => out.push('\\'),
        }
    }
    out
}

fn parse_env0(out: &[u8]) -> Map {
    let mut m = Map::new();
    for rec in out.split(|b| *b == 0) {
        let rec = String::from_utf8_lossy(rec);
        if let Some((k, v)) = rec.split_once('=') {
            m.insert(k.to_owned(), v.to_owned());
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::generator_value;

    /// What systemd 252's generator prints for `A="-mod=mod -trimpath"`, `B=plain` and
    /// `C="a\\b \"q\" \`t\`"` in an environment.d file.
    #[test]
    fn generator_values_are_unquoted() {
        assert_eq!(generator_value("\"-mod=mod -trimpath\""), "-mod=mod -trimpath");
        assert_eq!(generator_value("plain"), "plain");
        assert_eq!(generator_value(r#""a\\b \"q\"  \`t\`""#), r#"a\b "q"  `t`"#);
        assert_eq!(generator_value("$'a\\tb'"), "a\tb");
    }
}
