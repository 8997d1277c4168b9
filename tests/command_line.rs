//! The command line as a user meets it: `-q` and `-v` on every command, flags offered only where
//! they mean something, what `plan`, `gc` and `rollback --to 0` leave in the state directory and
//! the home, the prompt, and the messages of runtime values and `go "system"` (issue 16, items
//! 8 to 13). Every test runs the built binary on a temporary home.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::TestEnv;
use serde_json::Value;

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn ok(out: Output) -> Output {
    assert_eq!(code(&out), 0, "stdout:\n{}\nstderr:\n{}", text(&out.stdout), text(&out.stderr));
    out
}

/// A profile that plans offline and touches files in directories that do not exist yet.
const PROFILE: &str = r#"version 1
go-env {
    GOPATH "~/go"
    GOTOOLCHAIN "local"
}
export {
    GREETING "hello"
}
shells "bash"
session
"#;

fn env_with(profile: &str) -> TestEnv {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(env.home().join(".bashrc"), "alias ll='ls -l'\n").unwrap();
    env.write("profile.kdl", profile);
    env
}

/// Every directory and file below `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Harmful Go env file keys the plan removes are named with why they were harmful.
#[test]
fn plan_says_why_removed_go_env_keys_were_harmful() {
    let env = env_with(PROFILE);
    let go_env = env.home().join(".config/go/env");
    std::fs::create_dir_all(go_env.parent().unwrap()).unwrap();
    std::fs::write(&go_env, "GO111MODULE=off\nGOFLAGS=-mod=vendor\nGOPROXY=https://goproxy.io\n")
        .unwrap();
    let out = ok(env.goenv(&["plan", "--format", "json", "profile.kdl"]));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let removed: Vec<&Value> = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "goenv::finding::harmful-go-env-key-removed")
        .collect();
    let messages: Vec<&str> = removed.iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(removed.len(), 3, "{plan:#}");
    assert!(messages.iter().any(|m| m.contains("GO111MODULE=off") && m.contains("module")));
    assert!(messages.iter().any(|m| m.contains("GOFLAGS=-mod=vendor") && m.contains("vendor")));
    assert!(
        messages.iter().any(|m| m.contains("GOPROXY=https://goproxy.io") && m.contains("direct"))
    );
}

// ---- item 8: runtime values that pass but hurt ------------------------------------------------

#[test]
fn negative_gogc_and_unknown_godebug_keys_are_findings() {
    let env = env_with(
        "version 1\nexport {\n    GOGC \"-5\"\n    GODEBUG \"madeup=1,http2client=0,gctrace=1\"\n}\nshells \"bash\"\n",
    );
    let out = ok(env.goenv(&["plan", "--format", "json", "profile.kdl"]));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = plan["findings"].as_array().unwrap();
    let gogc: Vec<&Value> =
        findings.iter().filter(|f| f["code"] == "goenv::finding::gogc-negative").collect();
    assert_eq!(gogc.len(), 1, "{plan:#}");
    assert_eq!(gogc[0]["severity"], "error");
    assert!(gogc[0]["message"].as_str().unwrap().contains("off"), "{plan:#}");
    assert!(gogc[0]["help"].as_str().unwrap().contains("\"off\""), "{plan:#}");
    let godebug: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "goenv::finding::godebug-unknown-setting")
        .collect();
    assert_eq!(godebug.len(), 1, "only `madeup` is unknown: {plan:#}");
    assert_eq!(godebug[0]["severity"], "warning");
    assert!(godebug[0]["message"].as_str().unwrap().contains("madeup"), "{plan:#}");
}

// ---- item 9: `go "system"` without a `go` on PATH -----------------------------------------------

#[test]
fn go_system_without_go_on_path_says_where_goenv_looked() {
    let env = env_with("version 1\ngo \"system\"\ndelve install=\"v1.25.2\"\nshells \"bash\"\n");
    let (a, b) = (env.dir.path().join("a"), env.dir.path().join("b"));
    let path = format!("PATH={}:{}", a.display(), b.display());
    let out = env.goenv(&["--env", &path, "plan", "profile.kdl"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));
    // miette wraps the message: read it as one line.
    let stderr =
        text(&out.stderr).replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!stderr.contains("add a `go` node"), "the profile has one:\n{stderr}");
    assert!(stderr.contains("no `go` was found on PATH"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}", a.display()))
            && stderr.contains(&format!("{}", b.display())),
        "{stderr}"
    );
}
