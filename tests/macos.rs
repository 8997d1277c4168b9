//! macOS's `session`: the LaunchAgent `~/Library/LaunchAgents/dev.goenv.session.plist` and the
//! `launchctl setenv`/`unsetenv` effects (issue 14, item 1).
//!
//! The plist is read back by Python's `plistlib` (the reference reader of Apple's property-list
//! format available here), and the `/bin/sh -c` script it holds is run by a real `/bin/sh`, so
//! both the XML escaping and the shell quoting are checked by real programs.
//!
//! `launchctl` itself is a STUB here, and the only one allowed: launchd and macOS cannot run on
//! this Linux machine. The stand-in (`STUB` below) records every argv it gets and keeps a fake
//! per-user environment in a JSON file, so `getenv`, `setenv` and `unsetenv` behave as
//! `launchctl(1)` documents them (`getenv` prints the value and a newline, nothing when unset).
//! goenv runs the `launchctl` on PATH only in debug builds with `TEST_GOENV_ANY_PLATFORM=1` (a
//! macOS home made on Linux); a real Mac always runs `/bin/launchctl`.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::TestEnv;
use serde_json::Value;

const STUB: &str = r#"#!/usr/bin/python3
# Test stand-in for macOS's /bin/launchctl (launchd cannot run on Linux): records argv, keeps
# a fake per-user environment in $LAUNCHCTL_STORE.
import json, os, sys
store, log = os.environ["LAUNCHCTL_STORE"], os.environ["LAUNCHCTL_LOG"]
with open(log, "a", encoding="utf-8") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
env = json.load(open(store, encoding="utf-8")) if os.path.exists(store) else {}
args = sys.argv[1:]
if args[:1] == ["getenv"] and len(args) == 2:
    if args[1] in env:
        sys.stdout.write(env[args[1]] + "\n")
elif args[:1] == ["setenv"] and len(args) == 3:
    if args[1] + "=" + args[2] == os.environ.get("LAUNCHCTL_REFUSE"):
        sys.stderr.write("Could not set environment: 1: Operation not permitted\n")
        sys.exit(1)
    env[args[1]] = args[2]
elif args[:1] == ["unsetenv"] and len(args) == 2:
    env.pop(args[1], None)
else:
    sys.stderr.write("launchctl stub: unsupported %r\n" % (args,))
    sys.exit(64)
json.dump(env, open(store, "w", encoding="utf-8"))
"#;

const PROFILE: &str = r#"version 1
session
path "~/tools/bin"
shells "zsh"
export {
    GREETING "it's a \"test\" & <tag> > with $HOME and ünï"
    PLAIN "x"
}
"#;

/// The plist as `plistlib` reads it: `{"Label", "RunAtLoad", "ProgramArguments", …}` as JSON.
const READ_PLIST: &str = r#"
import json, plistlib, sys
with open(sys.argv[1], "rb") as f:
    p = plistlib.load(f)
print(json.dumps(p))
"#;

struct Launchd {
    dir: tempfile::TempDir,
}

impl Launchd {
    fn new(initial: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let stub = bin.join("launchctl");
        std::fs::write(&stub, STUB).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
        let env: BTreeMap<&str, &str> = initial.iter().copied().collect();
        std::fs::write(dir.path().join("store.json"), serde_json::to_string(&env).unwrap())
            .unwrap();
        Launchd { dir }
    }

    fn stub(&self) -> PathBuf {
        self.dir.path().join("bin/launchctl")
    }

    fn vars(&self) -> Vec<(&'static str, OsString)> {
        let mut path = OsString::from(self.dir.path().join("bin"));
        path.push(":/usr/bin:/bin");
        vec![
            ("PATH", path),
            ("LAUNCHCTL_STORE", self.dir.path().join("store.json").into()),
            ("LAUNCHCTL_LOG", self.dir.path().join("log").into()),
            ("TEST_GOENV_ANY_PLATFORM", "1".into()),
        ]
    }

    /// The fake launchd environment.
    fn env(&self) -> BTreeMap<String, String> {
        let text = std::fs::read_to_string(self.dir.path().join("store.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// Every recorded argv, and forgets them.
    fn take_log(&self) -> Vec<Vec<String>> {
        let path = self.dir.path().join("log");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

fn goenv(env: &TestEnv, launchd: &Launchd, args: &[&str]) -> Output {
    let vars = launchd.vars();
    let vars: Vec<(&str, &std::ffi::OsStr)> =
        vars.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let mut all = vec!["--os", "macos", "--arch", "arm64"];
    all.extend_from_slice(args);
    env.goenv_with(&vars, &all)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Every file and link below `dir` (relative path → bytes), without goenv's state directory.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if rel == Path::new(".local/state") {
                continue;
            }
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            if kind.is_dir() {
                out.insert(rel.join(""), b"dir".to_vec());
                walk(root, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    // `.local` only holds the state directory goenv keeps.
    out.remove(Path::new(".local/"));
    out
}

fn plistlib(path: &Path) -> Value {
    let out = Command::new("/usr/bin/python3").args(["-c", READ_PLIST]).arg(path).output().unwrap();
    assert!(out.status.success(), "plistlib refused the file: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

const GREETING: &str = "it's a \"test\" & <tag> > with $HOME and ünï";

#[test]
fn the_launch_agent_is_read_by_plistlib_and_launchctl_runs_and_rolls_back() {
    let env = TestEnv::new();
    let home = env.home();
    std::fs::create_dir_all(home.join("Library/LaunchAgents")).unwrap();
    std::fs::write(home.join("Library/LaunchAgents/com.example.other.plist"), "<plist/>\n")
        .unwrap();
    std::fs::write(home.join(".zprofile"), "# mine\nexport EDITOR=vi\n").unwrap();
    env.write("profile.kdl", PROFILE);
    let before = tree(&home);
    // PLAIN had a value before goenv: rollback must put it back, and unset GREETING and PATH.
    let launchd = Launchd::new(&[("PLAIN", "old value")]);

    // The plan: the LaunchAgent, no environment.d file, the commands and the note.
    let plan = ok(&goenv(&env, &launchd, &["plan", "profile.kdl"]));
    assert!(plan.contains("+ file:~/Library/LaunchAgents/dev.goenv.session.plist"), "{plan}");
    assert!(!plan.contains("environment.d"), "{plan}");
    let path_value = format!(
        "{}:{}:/usr/bin:/bin:/usr/sbin:/sbin",
        home.join("go/bin").display(),
        home.join("tools/bin").display()
    );
    assert!(plan.contains(&format!("run launchctl setenv PATH {path_value}\n")), "{plan}");
    assert!(plan.contains("run launchctl setenv PLAIN x\n"), "{plan}");
    assert!(
        plan.contains(
            "run launchctl setenv GREETING \"it's a \\\"test\\\" & <tag> > with $HOME and ünï\"\n"
        ),
        "{plan}"
    );
    assert!(plan.contains("apps already running keep the environment they started with"), "{plan}");
    assert!(launchd.take_log().is_empty(), "planning runs no process");
    let check = ok(&goenv(&env, &launchd, &["check", "profile.kdl"]));
    assert!(check.contains("session (launchd LaunchAgent)"), "{check}");

    ok(&goenv(&env, &launchd, &["apply", "--yes", "profile.kdl"]));
    assert!(!home.join(".config/environment.d").exists(), "no environment.d file on macOS");
    let plist = home.join("Library/LaunchAgents/dev.goenv.session.plist");
    let p = plistlib(&plist);
    assert_eq!(p["Label"], "dev.goenv.session");
    assert_eq!(p["RunAtLoad"], true);
    let args: Vec<String> = serde_json::from_value(p["ProgramArguments"].clone()).unwrap();
    assert_eq!(args[..2], ["/bin/sh", "-c"]);
    assert_eq!(args.len(), 3, "{args:?}");
    let script = &args[2];
    assert_eq!(script.lines().count(), 3, "{script}");
    assert!(script.lines().all(|l| l.starts_with("/bin/launchctl setenv ")), "{script}");

    // What launchctl was asked: the old values first (for the undo), then one setenv per
    // variable, then each value checked.
    let log = launchd.take_log();
    let setenvs: Vec<&Vec<String>> = log.iter().filter(|a| a[0] != "getenv").collect();
    let want = [
        vec!["setenv".to_owned(), "PATH".to_owned(), path_value.clone()],
        vec!["setenv".into(), "GREETING".into(), GREETING.into()],
        vec!["setenv".into(), "PLAIN".into(), "x".into()],
    ];
    assert_eq!(setenvs, want.iter().collect::<Vec<_>>(), "{log:?}");
    let first_set = log.iter().position(|a| a[0] == "setenv").unwrap();
    let getenvs: Vec<&str> = log[..first_set].iter().map(|a| a[1].as_str()).collect();
    assert_eq!(getenvs, ["PATH", "GREETING", "PLAIN"], "the undo's values are read first");
    let applied = launchd.env();
    assert_eq!(applied.get("GREETING").map(String::as_str), Some(GREETING));
    assert_eq!(applied.get("PATH"), Some(&path_value));

    // The login: the script, run by a real /bin/sh with the stub in /bin/launchctl's place,
    // sets exactly the same values in a fresh launchd.
    let fresh = Launchd::new(&[]);
    let login = script.replace("/bin/launchctl", fresh.stub().to_str().unwrap());
    let mut sh = Command::new("/bin/sh");
    sh.args(["-c", &login]).env_clear();
    for (k, v) in fresh.vars() {
        sh.env(k, v);
    }
    let out = sh.output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let at_login = fresh.env();
    let want: BTreeMap<String, String> =
        [("PATH", path_value.as_str()), ("GREETING", GREETING), ("PLAIN", "x")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
    assert_eq!(at_login, want);

    // Applying again changes nothing and runs nothing.
    let again = ok(&goenv(&env, &launchd, &["plan", "profile.kdl"]));
    assert!(!again.contains("launchctl"), "{again}");

    // Rollback: the home byte for byte, and launchd's values as they were.
    // (`rollback` reads no profile and takes no `--os`: it undoes what the generations record.)
    let vars = launchd.vars();
    let vars: Vec<(&str, &std::ffi::OsStr)> =
        vars.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    ok(&env.goenv_with(&vars, &["rollback", "--yes"]));
    assert_eq!(tree(&home), before, "rollback restores the home byte for byte");
    let env_after: BTreeMap<String, String> = launchd.env();
    assert_eq!(
        env_after,
        [("PLAIN".to_owned(), "old value".to_owned())].into_iter().collect(),
        "PLAIN restored, PATH and GREETING unset"
    );
    let log = launchd.take_log();
    assert!(log.contains(&vec!["unsetenv".to_owned(), "GREETING".to_owned()]), "{log:?}");
    assert!(
        log.contains(&vec!["setenv".to_owned(), "PLAIN".to_owned(), "old value".to_owned()]),
        "{log:?}"
    );
}

#[test]
fn a_variable_dropped_from_the_profile_is_unset() {
    let env = TestEnv::new();
    env.write("profile.kdl", PROFILE);
    let launchd = Launchd::new(&[]);
    ok(&goenv(&env, &launchd, &["apply", "--yes", "profile.kdl"]));
    launchd.take_log();
    env.write("profile.kdl", &PROFILE.replace("    PLAIN \"x\"\n", ""));
    let plan = ok(&goenv(&env, &launchd, &["plan", "profile.kdl"]));
    assert!(plan.contains("run launchctl unsetenv PLAIN\n"), "{plan}");
    ok(&goenv(&env, &launchd, &["apply", "--yes", "profile.kdl"]));
    assert!(!launchd.env().contains_key("PLAIN"));
    assert!(launchd.take_log().contains(&vec!["unsetenv".to_owned(), "PLAIN".to_owned()]));
}

#[test]
fn without_launchctl_the_files_are_written_and_the_effects_skipped() {
    let env = TestEnv::new();
    env.write("profile.kdl", PROFILE);
    let out = env.goenv_with(
        &[("TEST_GOENV_ANY_PLATFORM", std::ffi::OsStr::new("1"))],
        &["--os", "macos", "--arch", "arm64", "apply", "--yes", "profile.kdl"],
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("launchd could not be reached to run the effects"), "{stderr}");
    assert!(stderr.contains("skipped launchctl setenv PATH"), "names without values: {stderr}");
    assert!(env.home().join("Library/LaunchAgents/dev.goenv.session.plist").is_file());
}

#[test]
fn a_failing_launchctl_puts_the_files_and_launchds_environment_back() {
    let env = TestEnv::new();
    env.write("profile.kdl", PROFILE);
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(env.home().join(".zprofile"), "export EDITOR=vi\n").unwrap();
    let launchd = Launchd::new(&[("PLAIN", "old")]);
    let before_home = tree(&env.home());
    let mut vars = launchd.vars();
    // The stub refuses the last variable goenv sets (PATH and GREETING come first), and only
    // with the new value: setting the old one back works.
    vars.push(("LAUNCHCTL_REFUSE", "PLAIN=x".into()));
    let vars: Vec<(&str, &std::ffi::OsStr)> =
        vars.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let out = env
        .goenv_with(&vars, &["--os", "macos", "--arch", "arm64", "apply", "--yes", "profile.kdl"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("`launchctl setenv PLAIN` failed (exit 1)"), "{stderr}");
    assert!(
        stderr.contains(
            "hint: nothing is left changed; fix the cause (`launchctl print gui/$(id -u)`) and \
             run the command again"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("systemctl"), "{stderr}");
    assert_eq!(launchd.env(), BTreeMap::from([("PLAIN".to_owned(), "old".to_owned())]));
    assert_eq!(tree(&env.home()), before_home);
}

#[test]
fn linux_writes_no_launch_agent() {
    let env = TestEnv::new();
    env.write("profile.kdl", &PROFILE.replace(" with $HOME", ""));
    let plan = ok(&env.goenv(&["--os", "linux", "--arch", "amd64", "plan", "profile.kdl"]));
    assert!(plan.contains("environment.d/50-goenv.conf"), "{plan}");
    assert!(!plan.contains("LaunchAgents") && !plan.contains("launchctl"), "{plan}");
}

#[test]
fn a_line_break_cannot_reach_launchd() {
    let env = TestEnv::new();
    let (code, json) = env.check_json(
        "version 1\nsession\nexport {\n    A \"x\\ny\"\n}\n",
        &["--os", "macos", "--arch", "arm64"],
    );
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["problems"][0]["code"], "goenv::profile::session-unrepresentable", "{json}");
    // `$` is fine there (single-quoted in the LaunchAgent), unlike in environment.d.
    let (code, json) = env.check_json(
        "version 1\nsession\nexport {\n    A \"$HOME\"\n}\n",
        &["--os", "macos", "--arch", "arm64"],
    );
    assert_eq!(code, 0, "{json}");
}

// ---- zsh on macOS (item 2) --------------------------------------------------------------------

/// What macOS's `/etc/zprofile` does (`eval \`/usr/libexec/path_helper -s\``): PATH becomes
/// `/etc/paths`' directories, then every earlier entry not already listed. zsh reads it after
/// `~/.zshenv` and before `~/.zprofile`. Debian's zsh reads `/etc/zsh/zprofile` instead, so the
/// test puts it in that place itself: zsh starts with `ZDOTDIR` at a "system" directory whose
/// `.zshenv` sources the user's `~/.zshenv`, runs the path_helper stand-in and sets
/// `ZDOTDIR=$HOME`; zsh itself then reads `~/.zprofile` (a login shell), `~/.zshrc` and
/// `~/.zlogin`. Global files are off (`-o NO_GLOBAL_RCS`), so Debian's do not interfere.
const SYSTEM_ZSHENV: &str = r#"[[ -f $HOME/.zshenv ]] && source $HOME/.zshenv
# /etc/zprofile on macOS: path_helper
_p=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
for _d in ${(s.:.)PATH}; do
    case ":$_p:" in *":$_d:"*) ;; *) _p="$_p:$_d" ;; esac
done
export PATH=$_p
unset _p _d
ZDOTDIR=$HOME
"#;

/// `zsh -l` as Terminal.app starts it, after the simulated `/etc/zprofile`: its PATH.
fn login_zsh_path(home: &Path) -> String {
    let system = home.parent().unwrap().join("system-zsh");
    std::fs::create_dir_all(&system).unwrap();
    std::fs::write(system.join(".zshenv"), SYSTEM_ZSHENV).unwrap();
    let out = Command::new("/usr/bin/zsh")
        .args(["-o", "NO_GLOBAL_RCS", "-l", "-c", "print -r -- $PATH"])
        .env_clear()
        .env("HOME", home)
        .env("ZDOTDIR", &system)
        .env("PATH", "/opt/homebrew/bin:/usr/bin:/bin")
        .current_dir(home)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "zsh: {}", text(&out.stderr));
    text(&out.stdout).trim_end().to_owned()
}

#[test]
fn zsh_is_the_macos_default_and_its_path_survives_path_helper() {
    let env = TestEnv::new();
    let home = env.home();
    std::fs::create_dir_all(&home).unwrap();
    env.write("profile.kdl", "version 1\npath \"~/tools/bin\"\n");
    let launchd = Launchd::new(&[]);
    let plan = ok(&goenv(&env, &launchd, &["plan", "profile.kdl"]));
    assert!(plan.contains("+ block:~/.zprofile"), "{plan}");
    assert!(!plan.contains(".bashrc") && !plan.contains(".zshenv"), "no bash by default: {plan}");
    ok(&goenv(&env, &launchd, &["apply", "--yes", "profile.kdl"]));
    let ours = [home.join("go/bin"), home.join("tools/bin")];
    let ours: Vec<&str> = ours.iter().map(|p| p.to_str().unwrap()).collect();
    let path = login_zsh_path(&home);
    let entries: Vec<&str> = path.split(':').collect();
    assert_eq!(
        entries,
        [
            ours[0],
            ours[1],
            "/usr/local/bin",
            "/usr/bin",
            "/bin",
            "/usr/sbin",
            "/sbin",
            "/opt/homebrew/bin"
        ],
        "goenv's entries first, then path_helper's order: {path}"
    );

    // The control: the same block in ~/.zshenv (read before path_helper) loses its place, which
    // is why goenv writes ~/.zprofile on macOS.
    let block = std::fs::read_to_string(home.join(".zprofile")).unwrap();
    std::fs::write(home.join(".zshenv"), &block).unwrap();
    std::fs::remove_file(home.join(".zprofile")).unwrap();
    let moved = login_zsh_path(&home);
    assert!(moved.starts_with("/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin:"), "{moved}");
}

#[test]
fn the_default_profile_wires_zsh_and_launchd_on_macos() {
    let env = TestEnv::new();
    let launchd = Launchd::new(&[]);
    let default = common::repo("profiles/default.kdl");
    let plan =
        ok(&goenv(&env, &launchd, &["plan", "--fail-on", "never", default.to_str().unwrap()]));
    assert!(plan.contains("+ block:~/.zprofile"), "{plan}");
    assert!(!plan.contains(".bashrc"), "{plan}");
    assert!(plan.contains("+ file:~/Library/LaunchAgents/dev.goenv.session.plist"), "{plan}");
    assert!(!plan.contains("environment.d"), "{plan}");
}

// ---- Apple silicon (item 3) -------------------------------------------------------------------

/// Why `go-builds-for-amd64` comes before any fix: with a `go` of another architecture,
/// `GOARCH=arm64` is a cross-compile, and the real `go install` refuses one into GOBIN. Shown
/// with the fixture Go on this machine, asked for the other architecture.
#[test]
fn go_refuses_a_cross_compiled_install_into_gobin() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("hello");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("go.mod"), "module hello\n\ngo 1.22\n").unwrap();
    std::fs::write(src.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
    let other = if cfg!(target_arch = "aarch64") { "amd64" } else { "arm64" };
    let run = |goarch: &str| {
        Command::new(common::fixtures::go_bin("1.22.10"))
            .args(["install", "."])
            .current_dir(&src)
            .env_clear()
            .env("HOME", dir.path())
            .env("PATH", "/usr/bin:/bin")
            .env("GOCACHE", common::fixtures::gocache())
            .env("GOTOOLCHAIN", "local")
            .env("GOBIN", dir.path().join("bin"))
            .env("GOARCH", goarch)
            .output()
            .unwrap()
    };
    let out = run(other);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot install cross-compiled binaries when GOBIN is set"),
        "{}",
        text(&out.stderr)
    );
    let native = if other == "arm64" { "amd64" } else { "arm64" };
    let out = run(native);
    assert!(out.status.success(), "the native GOARCH installs: {}", text(&out.stderr));
}

/// doctor on a generated arm64 Mac: an Intel Homebrew in `/usr/local` (with a `go` there)
/// beside `/opt/homebrew`, and goenv translated by Rosetta 2 (`TEST_GOENV_ROSETTA=1`, debug
/// builds: this Linux machine has no `sysctl.proc_translated`).
#[test]
fn doctor_finds_an_intel_homebrew_and_rosetta() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    let root = env.dir.path().join("macos-root");
    std::fs::create_dir_all(root.join("usr/local/Homebrew")).unwrap();
    std::fs::create_dir_all(root.join("usr/local/bin")).unwrap();
    std::fs::write(root.join("usr/local/bin/go"), "").unwrap();
    std::fs::create_dir_all(root.join("opt/homebrew/bin")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/paths"), "/usr/local/bin\n/usr/bin\n/bin\n/usr/sbin\n/sbin\n")
        .unwrap();
    let doctor = |rosetta: &str| {
        let out = env.goenv_with(
            &[
                ("TEST_GOENV_SYSROOT", root.as_os_str()),
                ("TEST_GOENV_ROSETTA", std::ffi::OsStr::new(rosetta)),
            ],
            &[
                "--os", "macos", "--arch", "arm64", "doctor", "--shell", "/bin/zsh", "--format",
                "json",
            ],
        );
        let v: Value = common::schemas::parse(&out.stdout);
        common::doctor_schema::assert_valid(&v);
        v
    };
    let codes = |v: &Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let v = doctor("1");
    let intel: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "goenv::doctor::intel-homebrew")
        .collect();
    assert_eq!(intel.len(), 1, "{v:#}");
    let message = intel[0]["message"].as_str().unwrap();
    assert!(message.contains("/opt/homebrew") && message.contains("(here `go`)"), "{message}");
    assert!(codes(&v).contains(&"goenv::doctor::rosetta".to_owned()), "{v:#}");
    let v = doctor("0");
    assert!(!codes(&v).contains(&"goenv::doctor::rosetta".to_owned()), "{v:#}");
    // Without the Intel prefix nothing is said.
    std::fs::remove_dir_all(root.join("usr/local/Homebrew")).unwrap();
    let v = doctor("0");
    assert!(!codes(&v).contains(&"goenv::doctor::intel-homebrew".to_owned()), "{v:#}");
}

// ---- crashes: a killed apply is undone in launchd too ----------------------------------------

/// SIGKILL at every point of an apply with launchd effects (`effects`: every file written, no
/// `launchctl` run yet; `effect-1`: after the one `launchd/setenv`), then any goenv command recovers: the home is
/// as before, byte for byte, and launchd has its old values again (the journaled undo).
#[test]
fn sigkill_at_every_point_of_a_launchd_apply_is_undone_in_the_home_and_in_launchd() {
    use std::io::{BufRead, BufReader};
    for point in ["blobs", "journal", "step-1", "step-3", "effects", "effect-1"] {
        let env = TestEnv::new();
        let home = env.home();
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join(".zprofile"), "# mine\n").unwrap();
        env.write(
            "profile.kdl",
            "version 1\nsession\nexport {\n    PLAIN \"new\"\n    OTHER \"o\"\n}\n",
        );
        // PLAIN's undo restores a value, OTHER's unsets it.
        let launchd = Launchd::new(&[("PLAIN", "old")]);
        let before = tree(&home);
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_goenv"));
        cmd.current_dir(env.dir.path()).env_clear().env("NO_COLOR", "1");
        for (k, v) in launchd.vars() {
            cmd.env(k, v);
        }
        cmd.env("TEST_GOENV_PAUSE_AT", point)
            .args(["--home"])
            .arg(&home)
            .args(["--os", "macos", "--arch", "arm64", "apply", "--yes", "profile.kdl"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut reader = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            seen.push_str(&line);
            if line.trim_end() == format!("goenv: paused at {point}") {
                break;
            }
            line.clear();
        }
        assert!(seen.contains(&format!("paused at {point}")), "{point}: {seen}");
        child.kill().unwrap();
        child.wait().unwrap();
        let at_crash = launchd.env();
        if point == "effect-1" {
            assert_eq!(at_crash.get("PLAIN").map(String::as_str), Some("new"), "{point}");
        }
        let out = goenv(&env, &launchd, &["status"]);
        assert!(out.status.success(), "{point}: {}", text(&out.stderr));
        // Every file as before (an empty directory goenv created is removed by the next change,
        // as on Linux: `created-dirs.toml`).
        let files = |t: BTreeMap<PathBuf, Vec<u8>>| -> BTreeMap<PathBuf, Vec<u8>> {
            t.into_iter().filter(|(p, _)| !p.to_string_lossy().ends_with('/')).collect()
        };
        assert_eq!(files(tree(&home)), files(before.clone()), "{point}: the home as before");
        let want: BTreeMap<String, String> = [("PLAIN".to_owned(), "old".to_owned())].into();
        assert_eq!(launchd.env(), want, "{point}: launchd as before");
    }
}
