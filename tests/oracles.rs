//! Oracle tests: what goenv writes, read back by the real programs that consume it: two real
//! Go SDKs (`go env`, `go env -w`), bash, sh, zsh and fish in their start-up modes, and
//! systemd's environment.d generator. Each test has its own temporary home; the fixtures come
//! from `scripts/fixtures` (a missing one is a panic saying so, never a skip).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::TestEnv;
use common::fixtures::{
    BASE_PATH, ENVD_GENERATOR, GO_NEW, GO_OLD, GO_SDKS, go, go_env_json, parse_generator_output,
    program, run_clean,
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// Asserts goenv exited 0.
#[track_caller]
fn ok(out: Output) -> Output {
    assert_eq!(code(&out), 0, "stdout:\n{}\nstderr:\n{}", text(&out.stdout), text(&out.stderr));
    out
}

fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temporary path")
}

/// A TestEnv whose home exists, with `profile` written as profile.kdl.
fn env_with(profile: &str) -> (TestEnv, PathBuf) {
    let env = TestEnv::new();
    let home = env.home();
    std::fs::create_dir_all(&home).unwrap();
    env.write("profile.kdl", profile);
    (env, home)
}

// ---- the Go env file, read and written by real Go --------------------------------------------

const GO_ENV_PROFILE: &str = r#"version 1
go-env {
    GOPATH "~/work/go"
    GOBIN "~/work/go/bin"
    GOFLAGS "-mod=mod -trimpath"
    GOTOOLCHAIN "local"
    GOPRIVATE "git.corp.example.com/*"
}
proxy "china"
"#;

/// Every SDK's `go env -json` shows every value of GO_ENV_PROFILE.
#[track_caller]
fn assert_go_sees_profile(home: &Path) {
    let gopath = home.join("work/go");
    let gobin = home.join("work/go/bin");
    let go_env_file = home.join(".config/go/env");
    let expected = [
        ("GOENV", s(&go_env_file)),
        ("GOPATH", s(&gopath)),
        ("GOBIN", s(&gobin)),
        ("GOFLAGS", "-mod=mod -trimpath"),
        ("GOTOOLCHAIN", "local"),
        ("GOPRIVATE", "git.corp.example.com/*"),
        // Go derives these from GOPRIVATE: proof it parsed the pattern.
        ("GONOPROXY", "git.corp.example.com/*"),
        ("GONOSUMDB", "git.corp.example.com/*"),
        ("GOPROXY", "https://goproxy.cn,direct"),
        ("GOSUMDB", "sum.golang.google.cn"),
    ];
    for version in GO_SDKS {
        let json = go_env_json(version, home);
        for (key, value) in expected {
            assert_eq!(
                json[key],
                value,
                "go{version} env {key}; go env file:\n{}",
                go_env_file_text(home)
            );
        }
    }
}

fn go_env_file_text(home: &Path) -> String {
    std::fs::read_to_string(home.join(".config/go/env")).unwrap_or_else(|e| format!("<{e}>"))
}

/// `go env -w GOPROXY=direct` with the SDK `version`, then `goenv status` must report it.
#[track_caller]
fn drift_with_go_env_w(env: &TestEnv, home: &Path, version: &str) {
    go(version, home, &["env", "-w", "GOPROXY=direct"]);
    for sdk in GO_SDKS {
        assert_eq!(go_env_json(sdk, home)["GOPROXY"], "direct", "go{sdk} sees the drift");
    }
    for args in [&["status"][..], &["status", "profile.kdl"]] {
        let out = env.goenv(args);
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(code(&out), 2, "goenv {args:?} after go{version} env -w:\n{all}");
        assert!(all.contains("~/.config/go/env"), "goenv {args:?} names the Go env file:\n{all}");
        // Per key, however `go env -w` reordered the file.
        let change = "  ~ GOPROXY: https://goproxy.cn,direct → direct\n";
        assert!(all.contains(change), "goenv {args:?} shows the change:\n{all}");
    }
}

#[track_caller]
fn assert_no_drift(env: &TestEnv) {
    for args in [&["status"][..], &["status", "profile.kdl"]] {
        let out = env.goenv(args);
        assert_eq!(code(&out), 0, "goenv {args:?}:\n{}{}", text(&out.stdout), text(&out.stderr));
    }
}

#[test]
fn go_env_file_is_read_by_real_go_and_go_env_w_drift_is_undone() {
    let (env, home) = env_with(GO_ENV_PROFILE);
    ok(env.goenv(&["apply", "--yes", "profile.kdl"]));
    assert_go_sees_profile(&home);
    assert_no_drift(&env);

    // A real `go env -w` (go1.25.5 rewrites and re-sorts the file), undone by rollback.
    drift_with_go_env_w(&env, &home, GO_NEW);
    ok(env.goenv(&["rollback", "--yes"]));
    assert_go_sees_profile(&home);
    assert_no_drift(&env);

    // The same with go1.21.13 as the writer, and `apply` as the fixer.
    drift_with_go_env_w(&env, &home, GO_OLD);
    ok(env.goenv(&["apply", "--yes", "profile.kdl"]));
    assert_go_sees_profile(&home);
    assert_no_drift(&env);
}

// ---- shells ----------------------------------------------------------------------------------

const SHELLS_PROFILE: &str = r#"version 1
path "~/tools/bin" "~/more bin"
export {
    GREETING "it's a \"test\" with $dollar and spaces"
    BACKSLASH "a\\b"
    UNI "ünï"
}
shells "bash" "zsh" "fish"
"#;

const GREETING: &str = r#"it's a "test" with $dollar and spaces"#;
const BACKSLASH: &str = r"a\b";
const UNI: &str = "ünï";

/// Debian's skel `.bashrc` starts with this guard: nothing below it runs when not interactive.
const BASHRC: &str = "case $- in *i*) ;; *) return;; esac\nalias ll='ls -l'\n";

/// Prints PATH and the three exported values, one per line (POSIX shells).
const SH_PRINT: &str = r#"printf '%s\n' "$PATH" "$GREETING" "$BACKSLASH" "$UNI""#;
/// The same in fish (PATH is a list there).
const FISH_PRINT: &str = r#"string join : $PATH; printf '%s\n' "$GREETING" "$BACKSLASH" "$UNI""#;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    /// goenv applies; the rest of PATH is the inherited `/usr/bin:/bin` exactly.
    Inherited,
    /// goenv applies; the rest of PATH is what the system's login files make of it (Debian's
    /// /etc/profile resets PATH; fish -l appends its defaults): the same invocation in an empty
    /// home, with goenv's entries taken out.
    SystemLogin,
    /// A non-interactive, non-login bash without BASH_ENV reads no start-up file at all, so
    /// goenv cannot apply there (documented bash behaviour, `ssh host cmd` aside).
    NotApplied,
}

struct Invocation {
    label: &'static str,
    shell: &'static str,
    args: Vec<&'static str>,
    expect: Expect,
}

fn invocations() -> Vec<Invocation> {
    use Expect::*;
    let inv = |label, shell, args: &[&'static str], expect| Invocation {
        label,
        shell,
        args: args.to_vec(),
        expect,
    };
    vec![
        inv("bash -lc (login)", "bash", &["-lc", SH_PRINT], SystemLogin),
        inv("bash -ic (interactive)", "bash", &["-ic", SH_PRINT], Inherited),
        inv("bash -ilc (VS Code's resolver)", "bash", &["-ilc", SH_PRINT], SystemLogin),
        inv("bash -c (no BASH_ENV)", "bash", &["-c", SH_PRINT], NotApplied),
        inv("bash -lc 'bash -lc'", "bash", &["-lc", r#"bash -lc "$0""#, SH_PRINT], SystemLogin),
        inv("bash -ic 'bash -ic'", "bash", &["-ic", r#"bash -ic "$0""#, SH_PRINT], Inherited),
        inv("sh -lc (dash, the session's ~/.profile)", "sh", &["-lc", SH_PRINT], SystemLogin),
        inv("zsh -c", "zsh", &["-c", SH_PRINT], Inherited),
        inv("zsh -lc", "zsh", &["-lc", SH_PRINT], SystemLogin),
        inv("zsh -c 'zsh -c'", "zsh", &["-c", r#"zsh -c "$0""#, SH_PRINT], Inherited),
        inv("fish -c", "fish", &["-c", FISH_PRINT], Inherited),
        inv("fish -lc", "fish", &["-lc", FISH_PRINT], SystemLogin),
        inv("fish -c 'fish -c'", "fish", &["-c", "fish -c $argv[1]", FISH_PRINT], Inherited),
    ]
}

/// Runs `inv` with `env -i HOME=<home> PATH=<path> TERM=dumb`.
fn run_shell(inv: &Invocation, home: &Path, path: &str) -> Output {
    run_clean(&program(inv.shell), &inv.args, home, path, &[("TERM", "dumb")])
}

#[test]
fn shells_get_path_and_exports_exactly_once_in_every_start_up_mode() {
    let (env, home) = env_with(SHELLS_PROFILE);
    std::fs::write(home.join(".bashrc"), BASHRC).unwrap();
    std::fs::create_dir_all(home.join(".config/fish")).unwrap();
    ok(env.goenv(&["apply", "--yes", "profile.kdl"]));

    let gobin = s(&home.join("go/bin")).to_owned(); // no GOBIN in the profile: GOPATH[0]/bin
    let tools = s(&home.join("tools/bin")).to_owned();
    let more = s(&home.join("more bin")).to_owned();
    let ours = [gobin.as_str(), tools.as_str(), more.as_str()];
    // tools/bin is already on PATH, further back: goenv must move it, not add it twice.
    let start_path = format!("{BASE_PATH}:{tools}");
    let empty_home = tempfile::tempdir().unwrap();

    let mut failures = Vec::new();
    for inv in invocations() {
        let out = run_shell(&inv, &home, &start_path);
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        let report = format!("{}:\nstdout:\n{stdout}stderr:\n{stderr}", inv.label);
        if !out.status.success() {
            failures.push(format!("exit {}: {report}", out.status));
            continue;
        }
        if stderr.contains(".config/goenv") || stderr.contains("goenv.fish") {
            failures.push(format!("an error from goenv's files: {report}"));
        }
        let lines: Vec<&str> = stdout.lines().collect();
        if lines.len() != 4 {
            failures.push(format!("expected 4 lines: {report}"));
            continue;
        }
        let (path, values) = (lines[0], &lines[1..]);

        if inv.expect == Expect::NotApplied {
            if path != start_path || values.iter().any(|v| !v.is_empty()) {
                failures.push(format!("expected the untouched environment: {report}"));
            }
            continue;
        }
        if values != [GREETING, BACKSLASH, UNI] {
            failures.push(format!("values differ: {values:?}: {report}"));
        }
        let entries: Vec<&str> = path.split(':').collect();
        for dir in ours {
            let n = entries.iter().filter(|e| **e == dir).count();
            if n != 1 {
                failures.push(format!("`{dir}` is on PATH {n} times: {report}"));
            }
        }
        if entries.len() < 3 || entries[..3] != ours {
            failures.push(format!("PATH does not start with {ours:?}: {report}"));
            continue;
        }
        let rest = entries[3..].join(":");
        let expected_rest = match inv.expect {
            Expect::Inherited => BASE_PATH.to_owned(),
            _ => {
                let base = run_shell(&inv, empty_home.path(), &start_path);
                let base_path = text(&base.stdout).lines().next().unwrap_or("").to_owned();
                base_path.split(':').filter(|e| !ours.contains(e)).collect::<Vec<_>>().join(":")
            }
        };
        if rest != expected_rest {
            failures.push(format!(
                "PATH after goenv's entries: `{rest}`, expected `{expected_rest}`: {report}"
            ));
        }
    }
    assert!(failures.is_empty(), "{} problem(s):\n\n{}", failures.len(), failures.join("\n\n"));
}

// ---- the desktop session: systemd's environment.d generator ----------------------------------

const SESSION_PROFILE: &str = r#"version 1
session
path "~/tools/bin"
export {
    GOMEMLIMIT "512MiB"
    GREETING "a b \"c\""
}
"#;

/// Runs the generator the way `systemd --user` does, for this home.
fn generator(home: &Path) -> Output {
    let out = run_clean(&program(ENVD_GENERATOR), &[], home, BASE_PATH, &[]);
    assert!(out.status.success(), "generator failed: {}", text(&out.stderr));
    out
}

#[test]
fn generator_output_is_unquoted_as_systemd_quotes_it() {
    let vars = parse_generator_output("A=\"a b \\\"c\\\"\"\nB=\"plain\\\\q\"\nC=\"t\\tab\"\nD=x\n");
    assert_eq!(vars["A"], "a b \"c\"");
    assert_eq!(vars["B"], "plain\\q");
    assert_eq!(vars["C"], "t\tab");
    assert_eq!(vars["D"], "x");
}

#[test]
fn systemd_generator_reads_the_session_file() {
    let (env, home) = env_with(SESSION_PROFILE);
    ok(env.goenv(&["apply", "--yes", "profile.kdl"]));
    let out = generator(&home);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!stderr.contains("50-goenv.conf"), "systemd ignored a line of ours:\n{stderr}");
    let vars = parse_generator_output(&stdout);
    assert_eq!(vars.get("GOMEMLIMIT").map(String::as_str), Some("512MiB"), "{stdout}");
    assert_eq!(vars.get("GREETING").map(String::as_str), Some("a b \"c\""), "{stdout}");
    // System files (/etc/environment.d, /usr/lib/environment.d) may add entries after ours.
    let want = format!("{}:{}:{BASE_PATH}", s(&home.join("go/bin")), s(&home.join("tools/bin")));
    let path = vars.get("PATH").map(String::as_str).unwrap_or("<unset>");
    assert!(
        path == want || path.starts_with(&format!("{want}:")),
        "PATH `{path}` does not start with `{want}`:\n{stdout}"
    );
}

// ---- rollback --to 0, as real programs see it --------------------------------------------------

const ROLLBACK_PROFILE: &str = r#"version 1
go-env {
    GOTOOLCHAIN "local"
}
proxy "china"
export {
    GREETING "hello world"
}
path "~/tools/bin"
shells "bash"
session
"#;

#[test]
fn rollback_to_zero_restores_what_real_programs_see() {
    let (env, home) = env_with(ROLLBACK_PROFILE);
    std::fs::write(home.join(".bashrc"), BASHRC).unwrap();
    ok(env.goenv(&["apply", "--yes", "profile.kdl"]));
    env.write(
        "profile.kdl",
        &ROLLBACK_PROFILE.replace("proxy \"china\"", "proxy \"direct\"").replace("hello", "bye"),
    );
    ok(env.goenv(&["apply", "--yes", "profile.kdl"]));
    for version in GO_SDKS {
        assert_eq!(text(&go(version, &home, &["env", "GOPROXY"]).stdout), "direct\n");
    }
    let bash_ic = Invocation {
        label: "bash -ic",
        shell: "bash",
        args: vec!["-ic", SH_PRINT],
        expect: Expect::Inherited,
    };
    let shown = text(&run_shell(&bash_ic, &home, BASE_PATH).stdout);
    assert!(shown.contains("bye world"), "{shown}");

    ok(env.goenv(&["rollback", "--to", "0", "--yes"]));
    for version in GO_SDKS {
        let proxy = text(&go(version, &home, &["env", "GOPROXY"]).stdout);
        assert_eq!(proxy, "https://proxy.golang.org,direct\n", "go{version}, the SDK default");
        let sumdb = text(&go(version, &home, &["env", "GOSUMDB"]).stdout);
        assert_eq!(sumdb, "sum.golang.org\n", "go{version}, the SDK default");
    }
    assert_eq!(std::fs::read(home.join(".bashrc")).unwrap(), BASHRC.as_bytes());
    for created in [".config/go/env", ".profile", ".config/environment.d/50-goenv.conf"] {
        assert!(!home.join(created).exists(), "~/{created} was created by goenv: gone again");
    }
    let shown = text(&run_shell(&bash_ic, &home, BASE_PATH).stdout);
    assert_eq!(shown, format!("{BASE_PATH}\n\n\n\n"), "interactive bash sees no goenv");
    let out = generator(&home);
    let vars = parse_generator_output(&text(&out.stdout));
    assert!(!vars.contains_key("GREETING"), "{vars:?}");
    assert!(!vars.get("PATH").is_some_and(|p| p.contains(s(&home))), "{vars:?}");
    let out = env.goenv(&["status"]);
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
}

// ---- sh login shells when bash has its own login file ------------------------------------------

/// Ubuntu's (and Debian's) `/etc/skel/.profile`: it sources `~/.bashrc` when bash runs it.
const SKEL_PROFILE: &str = r#"# ~/.profile: executed by the command interpreter for login shells.
# This file is not read by bash(1), if ~/.bash_profile or ~/.bash_login
# exists.

# if running bash
if [ -n "$BASH_VERSION" ]; then
    # include .bashrc if it exists
    if [ -f "$HOME/.bashrc" ]; then
	. "$HOME/.bashrc"
    fi
fi

# set PATH so it includes user's private bin if it exists
if [ -d "$HOME/bin" ] ; then
    PATH="$HOME/bin:$PATH"
fi
"#;

/// Appended to goenv's `env.sh` after apply: records who loaded it, one line per load (`sh` in
/// a shell that is not bash, else the file whose goenv block sourced it).
const RECORD_LOADS: &str = r#"
if [ -n "${BASH_VERSION-}" ]; then eval 'printf "%s\n" "${BASH_SOURCE[1]##*/}"'; else echo sh; fi >> "$HOME/loads"
"#;

/// Runs `shell args` as a login shell in `home` and returns (PATH, GREETING, the loads of
/// env.sh), the loads file emptied first.
fn login_run(shell: &Path, args: &[&str], home: &Path) -> (String, String, Vec<String>) {
    let loads = home.join("loads");
    let _ = std::fs::remove_file(&loads);
    let print = r#"printf '%s\n' "$PATH" "$GREETING""#;
    let mut all = args.to_vec();
    all.push(print);
    let out = run_clean(shell, &all, home, BASE_PATH, &[("TERM", "dumb")]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{} {all:?}: {stdout}{}", shell.display(), text(&out.stderr));
    let mut lines = stdout.lines();
    let path = lines.next().unwrap_or_default().to_owned();
    let greeting = lines.next().unwrap_or_default().to_owned();
    let loads = std::fs::read_to_string(&loads).unwrap_or_default();
    (path, greeting, loads.lines().map(str::to_owned).collect())
}

/// Issue 16, item 6: with Ubuntu's skeleton files plus `~/.bash_profile`, `dash -l` (and the X11
/// session, which sources `~/.profile` with `/bin/sh`) gets goenv's PATH and exports from a block
/// in `~/.profile`; `bash -l` loads goenv once from `~/.bash_profile`'s block, whether or not that
/// file sources `~/.profile` (the `~/.profile` block does nothing in bash); bash started as `sh`
/// reads only `~/.profile`, and gets it there.
#[test]
fn sh_login_shells_are_wired_when_bash_profile_exists() {
    let profile = "version 1\npath \"~/tools/bin\"\nexport { GREETING \"hi there\" }\n";
    for bash_profile in
        ["[ -f ~/.profile ] && . ~/.profile\nexport EDITOR=vi\n", "export EDITOR=vi\n"]
    {
        let (env, home) = env_with(profile);
        std::fs::write(home.join(".profile"), SKEL_PROFILE).unwrap();
        std::fs::write(home.join(".bashrc"), BASHRC).unwrap();
        std::fs::write(home.join(".bash_profile"), bash_profile).unwrap();
        ok(env.goenv(&["apply", "--yes", "profile.kdl"]));
        let env_sh = home.join(".config/goenv/env.sh");
        let mut sh = std::fs::read_to_string(&env_sh).unwrap();
        sh.push_str(RECORD_LOADS);
        std::fs::write(&env_sh, sh).unwrap();
        let ours = format!("{}:{}:", s(&home.join("go/bin")), s(&home.join("tools/bin")));
        let case = format!(".bash_profile {bash_profile:?}");

        let (path, greeting, loads) = login_run(&program("dash"), &["-l", "-c"], &home);
        assert!(path.starts_with(&ours), "dash -l, {case}: PATH `{path}`");
        assert_eq!(greeting, "hi there", "dash -l, {case}");
        assert_eq!(loads, ["sh"], "dash -l loads goenv once, from ~/.profile; {case}");

        let (path, greeting, loads) = login_run(&program("bash"), &["-l", "-c"], &home);
        assert!(path.starts_with(&ours), "bash -l, {case}: PATH `{path}`");
        assert_eq!(greeting, "hi there", "bash -l, {case}");
        let from_login: Vec<&String> = loads.iter().filter(|l| *l != ".bashrc").collect();
        assert_eq!(from_login, [".bash_profile"], "bash -l: ~/.bash_profile's block wins; {case}");

        // bash started as `sh` reads ~/.profile only (Fedora's /bin/sh is bash).
        let bin = tempfile::tempdir().unwrap();
        let as_sh = bin.path().join("sh");
        std::os::unix::fs::symlink(program("bash"), &as_sh).unwrap();
        let (path, greeting, loads) = login_run(&as_sh, &["-l", "-c"], &home);
        assert!(path.starts_with(&ours), "bash as sh -l, {case}: PATH `{path}` ({loads:?})");
        assert_eq!(greeting, "hi there", "bash as sh -l, {case}");
        assert!(loads.iter().any(|l| l == ".profile"), "bash as sh: {loads:?}; {case}");
    }
}
