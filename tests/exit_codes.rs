//! Exit codes CI can trust (issue 12, item 4): 0 done and nothing pending, 1 error (usage errors
//! too), 2 changes pending (`--detailed-exitcode`) or drift, 3 an error-level finding remains
//! (`--fail-on` says which findings count); and a closed pipe (`goenv plan | head -1`) ends
//! quietly with the status of the work done so far. Every test runs the built binary on a
//! temporary home.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use common::TestEnv;

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn exits(out: &Output, expected: i32) {
    assert_eq!(
        code(out),
        expected,
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Plans offline, touches a few files.
const PROFILE: &str = r#"version 1
go-env {
    GOPATH "~/go"
    GOTOOLCHAIN "local"
}
export {
    GREETING "hello"
}
shells "bash"
"#;

/// The same, with an error-level finding that applying cannot fix: a negative GOGC.
const ERROR_FINDING: &str = r#"version 1
go-env {
    GOTOOLCHAIN "local"
}
export {
    GOGC "-1"
}
shells "bash"
"#;

/// The same, with only a warning: a GODEBUG setting Go does not know.
const WARNING_FINDING: &str = r#"version 1
go-env {
    GOTOOLCHAIN "local"
}
export {
    GODEBUG "nosuchsetting=1"
}
shells "bash"
"#;

fn env_with(profile: &str) -> TestEnv {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(env.home().join(".bashrc"), "alias ll='ls -l'\n").unwrap();
    env.write("profile.kdl", profile);
    env
}

/// A home with two generations, drift, and a profile with pending changes: every command has
/// something to print.
fn busy_home() -> TestEnv {
    let env = env_with(PROFILE);
    exits(&env.goenv(&["apply", "--yes", "profile.kdl"]), 0);
    env.write("profile.kdl", &PROFILE.replace("hello", "hi"));
    exits(&env.goenv(&["apply", "--yes", "profile.kdl"]), 0);
    env.write("profile.kdl", &PROFILE.replace("hello", "bonjour"));
    std::fs::write(env.home().join(".config/go/env"), "GOPROXY=direct\n").unwrap();
    env
}

fn goenv_command(env: &TestEnv, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("goenv"));
    cmd.current_dir(env.dir.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .env("TEST_GOENV_DPKG_INFO", env.dir.path().join("no-dpkg"))
        .arg("--home")
        .arg(env.home())
        .args(args);
    cmd
}

/// The commands that print data on stdout, with the exit code each has on `busy_home`.
const PRINTING: &[(&[&str], i32)] = &[
    (&["plan", "profile.kdl"], 0),
    (&["plan", "--detailed-exitcode", "profile.kdl"], 2),
    (&["plan", "--format", "json", "profile.kdl"], 0),
    (&["plan", "--format", "markdown", "profile.kdl"], 0),
    (&["status"], 2),
    (&["status", "profile.kdl"], 2),
    (&["show", "1"], 0),
    (&["generations"], 0),
    (&["doctor", "--shell", "/bin/bash"], 0),
    (&["doctor", "--shell", "/bin/bash", "--format", "json"], 0),
    (&["check", "profile.kdl"], 0),
    (&["check", "--format", "json", "profile.kdl"], 0),
];

/// A pipe nobody reads from: the first write fails with EPIPE, deterministically.
#[test]
fn a_closed_pipe_ends_quietly_with_the_status_of_the_work() {
    let env = busy_home();
    for (args, expected) in PRINTING {
        // The code with stdout read whole, first: the closed pipe must not change it.
        exits(&env.goenv(args), *expected);
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = goenv_command(&env, args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("goenv runs");
        let stderr = text(&out.stderr);
        assert_eq!(code(&out), *expected, "goenv {args:?} into a closed pipe: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "goenv {args:?}: {stderr}"
        );
    }
}

/// `goenv … | head -1`: the reader takes one line and goes away while goenv may still write.
#[test]
fn head_dash_one_reads_one_line_and_goenv_ends_quietly() {
    let env = busy_home();
    // A long output, so that goenv is still writing when the reader leaves: a Go env file
    // diff of many lines (the pipe buffer holds 64 KiB).
    let mut long = String::from("version 1\ngo-env {\n    GOTOOLCHAIN \"local\"\n}\nexport {\n");
    for i in 0..4000 {
        long.push_str(&format!("    GOENV_TEST_{i:04} \"{}\"\n", "x".repeat(20)));
    }
    long.push_str("}\nshells \"bash\"\n");
    env.write("long.kdl", &long);
    for (args, expected) in PRINTING
        .iter()
        .copied()
        .chain([(&["plan", "long.kdl"][..], 0), (&["status", "long.kdl"], 2)])
    {
        let mut child = goenv_command(&env, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("goenv starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("one line");
        // BufReader and the pipe are dropped here: the reader has gone.
        let out = child.wait_with_output().expect("goenv ends");
        let stderr = text(&out.stderr);
        assert!(!line.is_empty(), "goenv {args:?} printed nothing: {stderr}");
        assert_eq!(code(&out), expected, "goenv {args:?} | head -1: {stderr}");
        assert!(!stderr.contains("panicked"), "goenv {args:?}: {stderr}");
    }
}

// ---- usage errors ----------------------------------------------------------------------------

#[test]
fn usage_errors_exit_1_and_a_typo_never_reads_as_changes() {
    let env = env_with(PROFILE);
    for args in [
        &["plan", "--detailed-exitcod", "profile.kdl"][..],
        &["plan", "--detailed-exitcode", "--detailed-exitcod", "profile.kdl"],
        &["plan", "profile.kdl", "--detailed-exitcode", "--formt", "json"],
        &["plan", "--detailed-exitcode", "--format", "yaml", "profile.kdl"],
        &["plan", "--detailed-exitcode", "--fail-on", "sometimes", "profile.kdl"],
        &["plan", "--detailed-exitcode", "one.kdl", "two.kdl"],
        &["--detailed-exitcode", "plan", "profile.kdl"],
        &["status", "--detailed-exitcode"],
        &["nosuchcommand"],
        &[],
        &["show", "notanumber"],
        &["gc", "--keep", "0"],
    ] {
        let out = env.goenv(args);
        exits(&out, 1);
        assert!(out.stdout.is_empty(), "goenv {args:?}: {}", text(&out.stdout));
        assert!(text(&out.stderr).contains("error"), "goenv {args:?}: {}", text(&out.stderr));
    }
    // --help and --version are not errors.
    exits(&env.goenv(&["--help"]), 0);
    exits(&env.goenv(&["plan", "--help"]), 0);
    exits(&env.goenv(&["--version"]), 0);
    assert!(!env.home().join(".config").exists(), "nothing was written");
}

#[test]
fn the_exit_code_table_is_in_help_and_in_the_readme() {
    let env = TestEnv::new();
    let help = text(&env.goenv(&["--help"]).stdout);
    let readme = std::fs::read_to_string(common::repo("README.md")).unwrap();
    let table = help
        .split("Exit codes:")
        .nth(1)
        .unwrap_or_else(|| panic!("no `Exit codes:` in --help:\n{help}"));
    for (code, words) in [
        ("0", "nothing pending"),
        ("1", "usage errors"),
        ("2", "changes pending"),
        ("3", "error-level finding"),
    ] {
        let line = table
            .lines()
            .find(|l| l.trim_start().starts_with(code))
            .unwrap_or_else(|| panic!("no line for {code} in --help:\n{help}"));
        assert!(line.contains(words), "--help: `{line}` lacks `{words}`");
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {code} |")))
            .unwrap_or_else(|| panic!("no README row for exit code {code}"));
        assert!(row.contains(words), "README: `{row}` lacks `{words}`");
    }
    assert!(table.contains("--fail-on"), "{help}");
}

// ---- 0, 2 and 3 ------------------------------------------------------------------------------

#[test]
fn plan_exits_0_2_or_3() {
    let env = env_with(PROFILE);
    exits(&env.goenv(&["plan", "profile.kdl"]), 0);
    exits(&env.goenv(&["plan", "--detailed-exitcode", "profile.kdl"]), 2);
    exits(&env.goenv(&["apply", "--yes", "profile.kdl"]), 0);
    exits(&env.goenv(&["plan", "--detailed-exitcode", "profile.kdl"]), 0);

    // An error-level finding: 3 whether or not anything is pending, and before 2.
    let env = env_with(ERROR_FINDING);
    exits(&env.goenv(&["plan", "profile.kdl"]), 3);
    exits(&env.goenv(&["plan", "--detailed-exitcode", "profile.kdl"]), 3);
    exits(&env.goenv(&["plan", "--detailed-exitcode", "--fail-on", "never", "profile.kdl"]), 2);
    exits(&env.goenv(&["plan", "--fail-on", "never", "profile.kdl"]), 0);
    exits(&env.goenv(&["plan", "--fail-on", "warning", "profile.kdl"]), 3);
    let json = env.goenv(&["plan", "--format", "json", "profile.kdl"]);
    exits(&json, 3);
    let v: serde_json::Value = common::schemas::parse(&json.stdout);
    assert!(
        v["findings"].as_array().unwrap().iter().any(|f| f["severity"] == "error"),
        "the finding that gave 3 is in the document: {v:#}"
    );

    // A warning gives 3 only with --fail-on warning.
    let env = env_with(WARNING_FINDING);
    exits(&env.goenv(&["plan", "profile.kdl"]), 0);
    exits(&env.goenv(&["plan", "--fail-on", "error", "profile.kdl"]), 0);
    exits(&env.goenv(&["plan", "--fail-on", "warning", "profile.kdl"]), 3);
    exits(&env.goenv(&["plan", "--fail-on", "warning", "--detailed-exitcode", "profile.kdl"]), 3);
    exits(&env.goenv(&["plan", "--fail-on", "never", "--detailed-exitcode", "profile.kdl"]), 2);
}

#[test]
fn apply_exits_3_when_an_error_finding_remains_after_applying() {
    let env = env_with(ERROR_FINDING);
    let out = env.goenv(&["apply", "--yes", "profile.kdl"]);
    exits(&out, 3);
    assert!(
        text(&out.stderr).contains("Applied generation 1"),
        "it applied: {}",
        text(&out.stderr)
    );
    assert!(env.home().join(".config/goenv/env.sh").is_file(), "the change is made");
    // Nothing left to apply; the finding remains.
    exits(&env.goenv(&["apply", "--yes", "profile.kdl"]), 3);
    exits(&env.goenv(&["apply", "--yes", "--fail-on", "never", "profile.kdl"]), 0);
    exits(&env.goenv(&["plan", "--detailed-exitcode", "--fail-on", "never", "profile.kdl"]), 0);

    let env = env_with(WARNING_FINDING);
    exits(&env.goenv(&["apply", "--yes", "--fail-on", "warning", "profile.kdl"]), 3);
    exits(&env.goenv(&["apply", "--yes", "profile.kdl"]), 0);
}

/// A finding that applying fixes is not a finding that remains: a `GOROOT=` line in a Go env
/// file that goenv rewrites from the profile.
#[test]
fn apply_exits_0_when_applying_removes_the_error() {
    let env = env_with(PROFILE);
    let goenv = env.home().join(".config/go/env");
    std::fs::create_dir_all(goenv.parent().unwrap()).unwrap();
    std::fs::write(&goenv, "GOROOT=/opt/go-old\n").unwrap();
    let plan = env.goenv(&["plan", "--format", "json", "profile.kdl"]);
    exits(&plan, 3);
    let v: serde_json::Value = common::schemas::parse(&plan.stdout);
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["severity"] == "error"), "{v:#}");
    exits(&env.goenv(&["apply", "--yes", "profile.kdl"]), 0);
    exits(&env.goenv(&["plan", "--detailed-exitcode", "profile.kdl"]), 0);
}

#[test]
fn status_exits_2_on_drift_and_doctor_takes_fail_on() {
    let env = env_with(PROFILE);
    exits(&env.goenv(&["status"]), 0);
    exits(&env.goenv(&["status", "profile.kdl"]), 2);
    exits(&env.goenv(&["apply", "--yes", "profile.kdl"]), 0);
    exits(&env.goenv(&["status", "profile.kdl"]), 0);
    std::fs::write(env.home().join(".config/go/env"), "GOPROXY=direct\n").unwrap();
    exits(&env.goenv(&["status"]), 2);

    // doctor: the profile's findings join doctor's own.
    for (profile, default, warning) in [(ERROR_FINDING, 3, 3), (WARNING_FINDING, 0, 3)] {
        let env = env_with(profile);
        let doctor = |extra: &[&str]| {
            let mut args = vec!["doctor", "--shell", "/bin/bash", "--profile", "profile.kdl"];
            args.extend_from_slice(extra);
            env.goenv(&args)
        };
        exits(&doctor(&[]), default);
        exits(&doctor(&["--fail-on", "error"]), default);
        exits(&doctor(&["--fail-on", "warning"]), warning);
        exits(&doctor(&["--fail-on", "never"]), 0);
        exits(&doctor(&["--format", "json", "--fail-on", "warning"]), warning);
    }
}
