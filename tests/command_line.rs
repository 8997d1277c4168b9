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

// ---- item 10: -q and -v --------------------------------------------------------------------

/// `-q`: only errors and the one-line result, for every command.
#[test]
fn quiet_prints_only_the_one_line_result() {
    let env = env_with(PROFILE);
    let lines = |out: &Output| format!("{}{}", text(&out.stdout), text(&out.stderr));

    let out = ok(env.goenv(&["-q", "plan", "profile.kdl"]));
    assert_eq!(lines(&out), "Plan: 4 to add, 1 to change, 0 to remove.\n");

    let out = ok(env.goenv(&["-q", "apply", "--yes", "profile.kdl"]));
    let all = lines(&out);
    assert_eq!(all.lines().count(), 1, "{all}");
    assert!(all.starts_with("Applied generation 1: 4 added"), "{all}");

    let out = ok(env.goenv(&["apply", "-q", "--yes", "profile.kdl"]));
    assert_eq!(lines(&out), "", "nothing to do, nothing said");

    std::fs::write(env.home().join(".config/go/env"), "GOPROXY=direct\n").unwrap();
    let out = env.goenv(&["status", "-q"]);
    assert_eq!(code(&out), 2);
    let all = lines(&out);
    assert_eq!(all.lines().count(), 1, "{all}");
    assert!(all.starts_with("Drift since generation 1"), "{all}");

    let out = ok(env.goenv(&["-q", "rollback", "--yes"]));
    let all = lines(&out);
    assert_eq!(all.lines().count(), 1, "{all}");
    assert!(all.starts_with("Rolled back"), "{all}");

    let out = ok(env.goenv(&["-q", "show", "1"]));
    let all = lines(&out);
    assert_eq!(all.lines().count(), 1, "{all}");
    assert!(all.starts_with("generation 1 "), "{all}");

    let out = ok(env.goenv(&["-q", "gc", "--keep", "1"]));
    assert_eq!(lines(&out).lines().count(), 1, "{}", lines(&out));
}

/// `-v`: every file read, and why.
#[test]
fn verbose_lists_every_file_read_and_why() {
    let env = env_with(PROFILE);
    let out = ok(env.goenv(&["-v", "plan", "profile.kdl"]));
    let stderr = text(&out.stderr);
    for (file, why) in [
        ("~/.bashrc", "planning `shells`, findings"),
        ("~/.config/go/env", "planning `go-env`"),
        ("~/.config/environment.d/50-goenv.conf", "planning `session`"),
        ("profile.kdl", "the profile"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&format!("read `{file}`")))
            .unwrap_or_else(|| panic!("no `read {file}` line:\n{stderr}"));
        assert!(line.contains(why), "`{line}` does not say {why}");
    }
    assert!(text(&out.stdout).contains("Plan: 4 to add"), "the plan is still on stdout");

    ok(env.goenv(&["apply", "--yes", "profile.kdl"]));
    let out = ok(env.goenv(&["status", "-v"]));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("read `~/.bashrc`: managed by generation 1"), "{stderr}");
    assert!(stderr.contains("generations/0001.toml`"), "{stderr}");
}

// ---- item 11: global flags where they mean something ------------------------------------------

#[test]
fn platform_flags_are_offered_only_where_they_are_used() {
    let env = TestEnv::new();
    for cmd in ["rollback", "generations", "show", "gc"] {
        let help = text(&ok(env.goenv(&[cmd, "--help"])).stdout);
        // `rollback` may download an SDK again: it takes the environment to do it with.
        let flags: &[&str] = if cmd == "rollback" {
            &["--os", "--arch", "--host"]
        } else {
            &["--os", "--arch", "--host", "--env"]
        };
        for flag in flags {
            assert!(!help.contains(flag), "`{cmd} --help` offers {flag}:\n{help}");
        }
        assert!(help.contains("--home") && help.contains("--quiet"), "{cmd}: {help}");
    }
    for cmd in ["check", "plan", "apply", "status"] {
        let help = text(&ok(env.goenv(&[cmd, "--help"])).stdout);
        for flag in ["--os", "--arch", "--host", "--env"] {
            assert!(help.contains(flag), "`{cmd} --help` lacks {flag}:\n{help}");
        }
    }
    // Given before the command name, they are refused by the commands that do not use them.
    let out = env.goenv(&["--os", "macos", "generations"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: `--os`") && stderr.contains("`generations`"), "{stderr}");
    let out = env.goenv(&["--env", "A=b", "gc"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("error: `--env`"), "{}", text(&out.stderr));
    let out = env.goenv(&["--env", "A=b", "rollback", "--yes"]);
    assert!(text(&out.stderr).contains("nothing to roll back"), "{}", text(&out.stderr));
    // "nothing was changed" is true of the home too: no state directory was left behind.
    assert!(!env.home().join(".local").exists(), "{}", text(&out.stderr));
    // A usage error exits 1, never 2.
    let out = env.goenv(&["rollback", "--os", "macos"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
}

#[test]
fn apply_refuses_another_host_as_it_refuses_another_platform() {
    let env = env_with(PROFILE);
    let out = env.goenv(&["apply", "--host", "elsewhere", "--yes", "profile.kdl"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("`--host`") && stderr.contains("nothing was changed"), "{stderr}");
    assert!(!env.home().join(".config").exists(), "nothing written");
    // The flags still work where they belong, before or after the command name.
    ok(env.goenv(&["plan", "--host", "elsewhere", "--os", "macos", "profile.kdl"]));
    ok(env.goenv(&["--host", "elsewhere", "check", "profile.kdl"]));
}

// ---- item 12: what plan, gc and rollback --to 0 leave ---------------------------------------

#[test]
fn plan_writes_nothing_even_when_the_state_directory_exists() {
    let env = env_with(PROFILE);
    let state = env.home().join(".local/state/goenv");
    std::fs::create_dir_all(&state).unwrap();
    ok(env.goenv(&["plan", "profile.kdl"]));
    let status = env.goenv(&["status", "profile.kdl"]);
    assert_eq!(code(&status), 2, "pending: {}", text(&status.stderr));
    ok(env.goenv(&["generations"]));
    assert_eq!(
        tree(&state),
        Vec::<String>::new(),
        "plan, status and generations wrote into the state directory"
    );
}

#[test]
fn gc_keep_0_is_refused_instead_of_keeping_one() {
    let env = env_with(PROFILE);
    ok(env.goenv(&["apply", "--yes", "profile.kdl"]));
    let before = tree(&env.home().join(".local/state/goenv"));
    let out = env.goenv(&["gc", "--keep", "0"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("`--keep 0`") && stderr.contains("nothing was changed"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
    assert_eq!(tree(&env.home().join(".local/state/goenv")), before);
}

#[test]
fn rollback_to_0_leaves_no_directory_goenv_created() {
    let env = env_with(PROFILE);
    let home = env.home();
    std::fs::create_dir_all(home.join(".config/mine")).unwrap();
    let before = tree(&home);
    ok(env.goenv(&["apply", "--yes", "profile.kdl"]));
    assert!(home.join(".config/goenv/env.sh").exists());
    ok(env.goenv(&["rollback", "--to", "0", "--yes"]));
    let after: Vec<String> = tree(&home).into_iter().filter(|p| !p.starts_with(".local")).collect();
    let before: Vec<String> = before.into_iter().filter(|p| !p.starts_with(".local")).collect();
    assert_eq!(after, before, "the home as goenv found it (its state directory aside)");
    // Undoing the rollback creates them again.
    ok(env.goenv(&["rollback", "--yes"]));
    assert!(home.join(".config/goenv/env.sh").exists());
}

// ---- item 13: messages ----------------------------------------------------------------------

/// On a terminal, a declined prompt ends its line before "nothing was changed".
#[test]
fn declined_prompt_ends_its_line() {
    let env = env_with(PROFILE);
    let goenv = env!("CARGO_BIN_EXE_goenv");
    let cmd = format!("{goenv} --home {} apply profile.kdl", env.home().display());
    let out = Command::new("/usr/bin/script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(env.dir.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script runs");
    let all = text(&out.stdout);
    assert!(all.contains("Apply these changes? [y/N] "), "{all}");
    assert!(!all.contains("[y/N] nothing"), "the answer's line is not ended:\n{all}");
    assert!(all.contains("\nnothing was changed"), "{all}");
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
    let plan: Value = common::schemas::parse(&out.stdout);
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

/// `go env -w` re-sorts the file: its drift is shown per key, the raw diff under `-v`.
#[test]
fn go_env_file_drift_is_shown_per_key() {
    let env = env_with(
        "version 1\ngo-env {\n    GOTOOLCHAIN \"local\"\n    GOPATH \"~/go\"\n    GOFLAGS \"-mod=mod\"\n}\nshells \"bash\"\n",
    );
    ok(env.goenv(&["apply", "--yes", "profile.kdl"]));
    let go_env = env.home().join(".config/go/env");
    // What go1.25's `go env -w GOPROXY=direct` leaves: sorted keys, the new one among them.
    let home = env.home().display().to_string();
    std::fs::write(
        &go_env,
        format!("GOFLAGS=-mod=mod\nGOPATH={home}/go\nGOPROXY=direct\nGOTOOLCHAIN=local\n"),
    )
    .unwrap();
    let out = env.goenv(&["status"]);
    assert_eq!(code(&out), 2);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("  + GOPROXY: direct\n"), "{stdout}");
    assert!(!stdout.contains("-GOTOOLCHAIN=local"), "re-sorted lines are not changes:\n{stdout}");
    let out = env.goenv(&["status", "-v"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("+GOPROXY=direct") && stdout.contains("-GOTOOLCHAIN=local"),
        "{stdout}"
    );
}

// ---- item 8: runtime values that pass but hurt ------------------------------------------------

#[test]
fn negative_gogc_and_unknown_godebug_keys_are_findings() {
    let env = env_with(
        "version 1\nexport {\n    GOGC \"-5\"\n    GODEBUG \"madeup=1,http2client=0,gctrace=1\"\n}\nshells \"bash\"\n",
    );
    let out = env.goenv(&["plan", "--format", "json", "profile.kdl"]);
    assert_eq!(code(&out), 3, "an error-level finding: {}", text(&out.stderr));
    let plan: Value = common::schemas::parse(&out.stdout);
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
    // miette wraps the message: read it as one line (a wrapped path gains a space).
    let stderr =
        text(&out.stderr).replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!stderr.contains("add a `go` node"), "the profile has one:\n{stderr}");
    // `go "system"` follows the login shell's PATH as doctor predicts it from the start-up
    // files, not `--env PATH`, and names where it looked.
    assert!(stderr.contains("no `go` was found on its PATH"), "{stderr}");
    assert!(stderr.contains("bash-login") && stderr.contains("`/usr/bin`"), "{stderr}");
    assert!(!stderr.contains(&a.display().to_string()), "not --env's PATH: {stderr}");
}
