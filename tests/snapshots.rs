//! Whole-output snapshots of every command: exit code, stdout and stderr, compared in full with
//! `tests/snapshots/snapshots__*.snap` (see `tests/common/snapshot.rs` for what is pinned and
//! what is filtered). `INSTA_UPDATE=always cargo test --test snapshots` rewrites them; review
//! the diff like any change to goenv's output.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use common::TestEnv;

/// The profile the engine snapshots use: every kind of target that plans offline.
const PROFILE: &str = r#"version 1
go-env {
    GOPATH "~/go"
    GOFLAGS "-mod=mod"
    GOTOOLCHAIN "local"
}
proxy "china"
export {
    GREETING "hello world"
    API_TOKEN "s3cr3t-token" secret=#true
}
path "~/tools/bin"
shells "bash" "zsh" "fish"
session
"#;

/// VS Code's settings as a user leaves them: comments, a trailing comma, another setting and a
/// `go.alternateTools` object goenv merges into.
const SETTINGS_JSON: &str = r#"{
    // editor
    "editor.tabSize": 4,
    /* tools the Go extension runs */
    "go.alternateTools": {
        "gopls": "/opt/gopls/bin/gopls",
    },
}
"#;

/// A home with start-up files in awkward shapes, as `tests/engine.rs` seeds them: a CRLF
/// `.bashrc` with a non-UTF-8 byte and no final newline, a 0600 `.profile`, a Go env file
/// `go env -w` wrote, fish configured; and the profile beside the home.
fn seeded() -> TestEnv {
    let env = TestEnv::for_snapshots();
    let home = env.home();
    for dir in [".config/go", ".config/fish"] {
        std::fs::create_dir_all(home.join(dir)).unwrap();
    }
    std::fs::write(home.join(".bashrc"), b"# bashrc\r\nalias ll='ls -l'\r\nno final newline \xff")
        .unwrap();
    std::fs::write(home.join(".profile"), b"# profile\nexport EDITOR=vi\n").unwrap();
    std::fs::set_permissions(home.join(".profile"), std::fs::Permissions::from_mode(0o600))
        .unwrap();
    std::fs::write(home.join(".config/go/env"), b"GOPROXY=direct\nGOFOO=junk\n").unwrap();
    std::fs::write(home.join(".config/fish/config.fish"), b"set -g fish_greeting\n").unwrap();
    env.write("profile.kdl", PROFILE);
    env
}

/// A seeded home after `apply --yes` of the profile: generation 1.
fn applied() -> TestEnv {
    let env = seeded();
    env.ok(&["apply", "--yes", "profile.kdl"]);
    env
}

/// What `go env -w GOPROXY=direct` does to the Go env file goenv wrote: append the new value.
fn go_env_w(env: &TestEnv) {
    let mut file =
        std::fs::OpenOptions::new().append(true).open(env.home().join(".config/go/env")).unwrap();
    file.write_all(b"GOPROXY=direct\n").unwrap();
}

// ---- check -----------------------------------------------------------------------------------

#[test]
fn check_success() {
    let env = seeded();
    snapshot!("check_ok_human", env.run_linux_amd64(&["check", "profile.kdl"]));
    snapshot!("check_ok_json", env.run_linux_amd64(&["check", "--format", "json", "profile.kdl"]));
}

/// One profile per problem code, human and JSON.
#[test]
fn check_problems() {
    let cases = [
        ("gomemlimit", "version 1\nexport {\n    GOMEMLIMIT \"512MB\"\n}\n"),
        ("unknown_node", "version 1\nshells \"bash\"\nsesion\n"),
        ("duplicate_key", "version 1\ngo-env {\n    GOPATH \"~/go\"\n    GOPATH \"~/work\"\n}\n"),
        ("syntax_error", "version 1\nexport {\n    GREETING \"hello\n}\n"),
    ];
    let long = "x".repeat(70_000);
    let cases: Vec<(&str, String)> = cases
        .iter()
        .map(|(n, t)| (*n, t.to_string()))
        .chain([
            // A label beyond column 65,535: the line is cut, the header has the real column.
            ("long_line", format!("version 1\nexport {{\n    A \"{long}\" bad=1\n}}\n")),
            // Nesting that would overflow the parser's stack.
            (
                "too_deep",
                format!("version 1\n{}\n{}\n", "when os=\"linux\" {".repeat(40), "}".repeat(40)),
            ),
        ])
        .collect();
    for (name, text) in cases {
        let env = TestEnv::for_snapshots();
        env.write("profile.kdl", &text);
        snapshot!(format!("check_{name}_human"), env.run_linux_amd64(&["check", "profile.kdl"]));
        snapshot!(
            format!("check_{name}_json"),
            env.run_linux_amd64(&["check", "--format", "json", "profile.kdl"])
        );
    }
}

/// Every problem at once, not the first only.
#[test]
fn check_several_problems() {
    let env = TestEnv::for_snapshots();
    env.write(
        "profile.kdl",
        "version 1\ngo-env {\n    GOPATH \"~/go\"\n    GOPATH \"~/work\"\n}\nexport {\n    GOMEMLIMIT \"512MB\"\n}\nsesion\n",
    );
    snapshot!("check_several_human", env.run_linux_amd64(&["check", "profile.kdl"]));
    snapshot!(
        "check_several_json",
        env.run_linux_amd64(&["check", "--format", "json", "profile.kdl"])
    );
}

// ---- plan ------------------------------------------------------------------------------------

#[test]
fn plan_formats() {
    let env = seeded();
    snapshot!("plan_human", env.run_linux_amd64(&["plan", "profile.kdl"]));
    snapshot!(
        "plan_markdown",
        env.run_linux_amd64(&["plan", "--format", "markdown", "profile.kdl"])
    );
    snapshot!("plan_json", env.run_linux_amd64(&["plan", "--format", "json", "profile.kdl"]));
    snapshot!(
        "plan_detailed_exitcode_pending",
        env.run_linux_amd64(&["plan", "--detailed-exitcode", "profile.kdl"])
    );
}

#[test]
fn plan_with_vscode() {
    let env = seeded();
    env.write("home/.config/Code/User/settings.json", SETTINGS_JSON);
    env.write("profile.kdl", &format!("{PROFILE}vscode\n"));
    snapshot!("plan_vscode_human", env.run_linux_amd64(&["plan", "profile.kdl"]));
}

#[test]
fn plan_with_findings() {
    let env = seeded();
    // A GOPROXY export outside goenv's block beats the Go env file; GOROOT in the Go env file
    // breaks every `go` that is not that SDK.
    env.write("home/.zshrc", "# zshrc\nexport GOPROXY=direct\n");
    env.write("home/.config/go/env", "GOROOT=/usr/local/go\n");
    snapshot!("plan_findings_human", env.run_linux_amd64(&["plan", "profile.kdl"]));
    snapshot!(
        "plan_findings_json",
        env.run_linux_amd64(&["plan", "--format", "json", "profile.kdl"])
    );
}

/// A `service` node: its drop-in, with a value that needs systemd's quoting.
#[test]
fn plan_with_service() {
    let env = seeded();
    env.write(
        "profile.kdl",
        &format!(
            "{PROFILE}service \"api.service\" restart=#true {{\n    GOMEMLIMIT \"400MiB\"\n    \
             GOTRACEBACK \"crash\"\n    API_NOTE \"100% \\\"sure\\\" $HOME\"\n}}\n"
        ),
    );
    snapshot!("plan_service_human", env.run_linux_amd64(&["plan", "profile.kdl"]));
}

/// The findings for services: where `"auto"` took its limit from, a GOMEMLIMIT at the unit's
/// limit, GOMAXPROCS above CPUQuota=, GOGC off without a limit (in a service and in `export`),
/// a unit that is not installed, and a user manager without the memory controller.
#[test]
fn plan_with_service_findings() {
    let env = TestEnv::for_snapshots();
    let units = ".config/systemd/user";
    env.write(
        &format!("home/{units}/api.service"),
        "[Service]\nExecStart=/usr/bin/api\nCPUQuota=150%\n",
    );
    env.write(
        &format!("home/{units}/api.service.d/limits.conf"),
        "# set by ops\n[Service]\nMemoryMax=1G\nMemoryHigh=900M\n",
    );
    env.write(&format!("home/{units}/worker.service"), "[Service]\nMemoryMax=512M\n");
    env.write("sys/proc/meminfo", "MemTotal:        8000000 kB\n");
    env.write(
        "sys/sys/fs/cgroup/user.slice/user-0.slice/user@0.service/cgroup.subtree_control",
        "cpu pids\n",
    );
    env.write(
        "profile.kdl",
        "version 1\nexport {\n    GOGC \"off\"\n}\nservice \"api.service\" {\n    GOMEMLIMIT \"auto\"\n    \
         GOMAXPROCS \"4\"\n}\nservice \"worker.service\" {\n    GOMEMLIMIT \"1GiB\"\n    GOGC \"off\"\n}\n\
         service \"batch.service\" {\n    GOGC \"-5\"\n}\n",
    );
    let mut cmd =
        env.snapshot_command(&["--os", "linux", "--arch", "amd64", "plan", "profile.kdl"]);
    cmd.env("TEST_GOENV_SYSROOT", env.dir.path().join("sys"));
    snapshot!(
        "plan_service_findings_human",
        env.run_command("--os linux --arch amd64 plan profile.kdl", cmd)
    );
}

// ---- plan --against, --platform ---------------------------------------------------------------

/// The previous profile of a pull request: what the machines follow now.
const OLD_PROFILE: &str = r#"version 1
go-env {
    GOPATH "~/go"
    GOTOOLCHAIN "local"
}
export {
    API_TOKEN "s3cr3t-token" secret=#true
}
shells "bash" "zsh"
"#;

/// The pull request's profile: one Go setting more, zsh no longer wired, and on Linux the
/// desktop session and a variable more.
const NEW_PROFILE: &str = r#"version 1
go-env {
    GOPATH "~/go"
    GOTOOLCHAIN "local"
    GOFLAGS "-mod=readonly"
}
export {
    API_TOKEN "s3cr3t-token" secret=#true
}
shells "bash"
when os="linux" {
    session
    export {
        GREETING "hello world"
    }
}
"#;

/// Two platforms against the previous profile, on a home whose own files (`seeded`) it must
/// not read: macOS gets the Go setting and loses zsh's block, Linux gets the session too.
#[test]
fn plan_against_two_platforms() {
    let env = seeded();
    env.write("old.kdl", OLD_PROFILE);
    env.write("new.kdl", NEW_PROFILE);
    let args = |format: &'static str| {
        [
            "plan",
            "--format",
            format,
            "--detailed-exitcode",
            "--against",
            "old.kdl",
            "--platform",
            "linux/amd64",
            "--platform",
            "macos/arm64",
            "new.kdl",
        ]
    };
    snapshot!("plan_against_platforms_human", env.run(&args("human")));
    snapshot!("plan_against_platforms_markdown", env.run(&args("markdown")));
    snapshot!(
        "plan_against_platforms_quiet",
        env.run(&[
            "-q",
            "plan",
            "--against",
            "old.kdl",
            "--platform",
            "linux/amd64",
            "--platform",
            "macos/arm64",
            "new.kdl"
        ])
    );
    // Only Linux differs once macOS has both changes: macOS is one line.
    env.write("old.kdl", &NEW_PROFILE.replace("when os=\"linux\"", "when host=\"elsewhere\""));
    snapshot!("plan_against_platforms_one_line_markdown", env.run(&args("markdown")));
}

#[test]
fn refused_platform_beside_os() {
    let env = seeded();
    snapshot!(
        "refused_platform_beside_os",
        env.run(&["--os", "macos", "plan", "--platform", "linux/amd64", "profile.kdl"])
    );
}

// ---- apply -----------------------------------------------------------------------------------

#[test]
fn apply_then_nothing_to_do() {
    let env = seeded();
    snapshot!("apply_yes", env.run(&["apply", "--yes", "profile.kdl"]));
    snapshot!("apply_yes_noop", env.run(&["apply", "--yes", "profile.kdl"]));
    snapshot!(
        "plan_detailed_exitcode_after_apply",
        env.run_linux_amd64(&["plan", "--detailed-exitcode", "profile.kdl"])
    );
}

// ---- status ----------------------------------------------------------------------------------

#[test]
fn status_before_and_after_apply() {
    let env = seeded();
    snapshot!("status_no_generation", env.run(&["status"]));
    env.ok(&["apply", "--yes", "profile.kdl"]);
    snapshot!("status_no_drift", env.run(&["status"]));
    snapshot!("status_no_drift_with_profile", env.run(&["status", "profile.kdl"]));
    go_env_w(&env);
    snapshot!("status_drift", env.run(&["status"]));
    snapshot!("status_drift_with_profile", env.run(&["status", "profile.kdl"]));
}

// ---- rollback --------------------------------------------------------------------------------

#[test]
fn rollback_undoes_the_latest_generation() {
    let env = applied();
    snapshot!("rollback_undo", env.run(&["rollback", "--yes"]));
    snapshot!("rollback_undo_the_rollback", env.run(&["rollback", "--yes"]));
}

#[test]
fn rollback_after_drift_restores_the_generation() {
    let env = applied();
    go_env_w(&env);
    snapshot!("rollback_after_drift", env.run(&["rollback", "--yes"]));
}

#[test]
fn rollback_to_a_generation() {
    let env = applied();
    snapshot!("rollback_to_99", env.run(&["rollback", "--to", "99", "--yes"]));
    snapshot!("rollback_to_0", env.run(&["rollback", "--to", "0", "--yes"]));
}

#[test]
fn rollback_without_a_generation() {
    let env = seeded();
    snapshot!("rollback_no_generation", env.run(&["rollback", "--yes"]));
}

#[test]
fn rollback_json() {
    let env = seeded();
    snapshot!("rollback_json_no_generation", env.run(&["rollback", "--yes", "--format", "json"]));
    env.ok(&["apply", "--yes", "profile.kdl"]);
    go_env_w(&env);
    snapshot!("rollback_json_after_drift", env.run(&["rollback", "--yes", "--format", "json"]));
    snapshot!("rollback_json_undo", env.run(&["rollback", "--yes", "--format", "json"]));
    snapshot!("rollback_json_declined", env.run(&["rollback", "--to", "0", "--format", "json"]));
    snapshot!("rollback_json_to_99", env.run(&["rollback", "--to", "99", "--format", "json"]));
}

// ---- generations, show, gc -------------------------------------------------------------------

/// Two applies, a rollback of drift, an undo and a restore of generation 0.
fn history() -> TestEnv {
    let env = applied();
    env.write("profile.kdl", &PROFILE.replace("hello world", "hello there"));
    env.ok(&["apply", "--yes", "profile.kdl"]);
    go_env_w(&env);
    env.ok(&["rollback", "--yes"]);
    env.ok(&["rollback", "--yes"]);
    env.ok(&["rollback", "--to", "0", "--yes"]);
    env
}

#[test]
fn generations_list_the_history() {
    let env = seeded();
    snapshot!("generations_none", env.run(&["generations"]));
    let env = history();
    snapshot!("generations_history", env.run(&["generations"]));
}

#[test]
fn show_a_generation() {
    let env = applied();
    snapshot!("show_1", env.run(&["show", "1"]));
    snapshot!("show_99", env.run(&["show", "99"]));
}

#[test]
fn gc_drops_old_generations() {
    let env = history();
    snapshot!("gc_keep_1", env.run(&["gc", "--keep", "1"]));
    snapshot!("gc_keep_1_generations", env.run(&["generations"]));
    let fresh = seeded();
    snapshot!("gc_no_state", fresh.run(&["gc"]));
}

// ---- refusals --------------------------------------------------------------------------------

/// The store's lock is an flock on `~/.local/state/goenv/lock` whose text names the holder:
/// held here by the test process itself, as another goenv would hold it. The holder's text is
/// only ever printed, so it names a fixed pid: the message is wrapped at 80 columns, and a real
/// pid's width would move the wrap.
#[test]
fn refused_while_the_lock_is_held() {
    let env = applied();
    let path = env.state().join("lock");
    let mut lock = std::fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
    lock.try_lock().expect("the lock is free after apply");
    lock.set_len(0).unwrap();
    lock.write_all(b"pid 4242: goenv apply").unwrap();
    snapshot!("refused_lock_held_apply", env.run(&["apply", "--yes", "profile.kdl"]));
    snapshot!("refused_lock_held_rollback", env.run(&["rollback", "--yes"]));
    lock.unlock().unwrap();
}

/// goenv killed after writing the second file of an apply: the next command puts every path
/// back before doing anything else, and says so.
#[test]
fn interrupted_apply_is_recovered_first() {
    let env = seeded();
    env.kill_at(&["apply", "--yes", "profile.kdl"], "step-2");
    assert!(env.state().join("journal.toml").exists(), "the crash left its journal");
    snapshot!("recovered_interrupted_apply", env.run(&["status"]));
}

/// goenv killed after the manifest was written but before the journal was removed.
#[test]
fn completed_apply_journal_is_removed() {
    let env = seeded();
    env.kill_at(&["apply", "--yes", "profile.kdl"], "manifest");
    assert!(env.state().join("journal.toml").exists(), "the crash left its journal");
    snapshot!("recovered_completed_apply", env.run(&["status"]));
}

/// A journal goenv cannot read stops every command.
#[test]
fn unreadable_journal_stops_every_command() {
    let env = applied();
    std::fs::write(env.state().join("journal.toml"), "generation = \"two\"\n").unwrap();
    snapshot!("refused_unreadable_journal", env.run(&["plan", "profile.kdl"]));
}

/// `session live=#true`: the environment.d file, and the effect that updates the running user
/// manager (planning runs nothing).
#[test]
fn plan_with_live_session() {
    let env = seeded();
    env.write("profile.kdl", &PROFILE.replace("\nsession\n", "\nsession live=#true\n"));
    snapshot!("plan_session_live_human", env.run_linux_amd64(&["plan", "profile.kdl"]));
    snapshot!(
        "plan_session_live_json",
        env.run_linux_amd64(&["plan", "--format", "json", "profile.kdl"])
    );
}

#[test]
fn refused_apply_without_yes_off_a_terminal() {
    let env = seeded();
    snapshot!("refused_apply_without_yes", env.run(&["apply", "profile.kdl"]));
}

#[test]
fn refused_apply_for_another_platform() {
    let env = seeded();
    snapshot!(
        "refused_apply_other_os",
        env.run(&["--os", "macos", "--arch", "amd64", "apply", "--yes", "profile.kdl"])
    );
}

/// Without `--home` goenv reads the real environment, so `--env` is refused.
#[test]
fn refused_env_without_home() {
    let env = seeded();
    let mut cmd = env.bare_command();
    cmd.env("HOME", env.home()).args(["--env", "GOPROXY=off", "plan", "profile.kdl"]);
    snapshot!(
        "refused_env_without_home",
        env.run_command("--env GOPROXY=off plan profile.kdl (HOME=[HOME], no --home)", cmd)
    );
}

// ---- macOS (issue 14): the whole plan of profiles/macos-arm64.kdl and its findings ----------

/// A generated macOS home for `profiles/macos-arm64.kdl`: its SDKs adopted in `~/sdk` (no
/// download), `go1.23.9`'s `bin/go` a real darwin/`go_arch` binary when asked.
fn macos_home(go_arch: Option<&str>) -> (TestEnv, std::path::PathBuf) {
    let env = TestEnv::for_snapshots();
    let home = env.home();
    for v in ["1.23.9", "1.22.10"] {
        let root = home.join(format!("sdk/go{v}"));
        std::fs::create_dir_all(root.join("pkg/tool/darwin_arm64")).unwrap();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::write(root.join("VERSION"), format!("go{v}\ntime 2020-02-02T00:00:00Z\n"))
            .unwrap();
        std::fs::write(root.join(".unpacked-success"), "").unwrap();
        // A tree with the marker needs a `bin/go`; one that is no Go binary is not checked.
        std::fs::write(root.join("bin/go"), "#!/bin/sh\n").unwrap();
    }
    if let Some(arch) = go_arch {
        let src = env.dir.path().join("hello");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("go.mod"), "module hello\n\ngo 1.22\n").unwrap();
        std::fs::write(src.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
        // Built by go1.22.10, so it is the tree of that version (its build info must agree
        // with `VERSION`), and the profile makes it the active one.
        let out = std::process::Command::new(common::fixtures::go_bin("1.22.10"))
            .args(["build", "-o"])
            .arg(home.join("sdk/go1.22.10/bin/go"))
            .arg(".")
            .current_dir(&src)
            .env_clear()
            .env("HOME", &home)
            .env("GOOS", "darwin")
            .env("GOARCH", arch)
            .env("GOTOOLCHAIN", "local")
            .env("GOCACHE", common::fixtures::gocache())
            .env("GOFLAGS", "-mod=mod")
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let profile = env.dir.path().join("macos-arm64.kdl");
    let mut text = std::fs::read_to_string(common::repo("profiles/macos-arm64.kdl")).unwrap();
    if go_arch.is_some() {
        text = text.replace(
            "go \"1.23.9\" {\n    keep \"1.22.10\"",
            "go \"1.22.10\" {\n    keep \"1.23.9\"",
        );
    }
    std::fs::write(&profile, text).unwrap();
    (env, profile)
}

/// The whole macOS plan: zsh's `~/.zprofile`, the LaunchAgent and its `launchctl` commands with
/// the note on running apps, VS Code's settings under Library/Application Support, and the
/// Delve fix built for arm64.
#[test]
fn macos_arm64_plan() {
    let (env, _) = macos_home(None);
    snapshot!(
        "macos_arm64_plan",
        env.run(&["--os", "macos", "--arch", "arm64", "plan", "macos-arm64.kdl"])
    );
}

/// An Apple silicon Mac whose active SDK in `~/sdk` is darwin/amd64 (a real Go binary), with an
/// Intel Homebrew in `/usr/local` beside `/opt/homebrew` (a generated system root): the tree is
/// refused before anything is planned, naming its architecture and how to get the arm64 one.
/// (An amd64 `go "system"` is a finding instead, `go-builds-for-amd64`: src/rules/macos.rs.)
#[test]
fn macos_arm64_findings() {
    let (env, _) = macos_home(Some("amd64"));
    let root = env.dir.path().join("macos-root");
    std::fs::create_dir_all(root.join("usr/local/Homebrew")).unwrap();
    std::fs::create_dir_all(root.join("opt/homebrew/bin")).unwrap();
    let mut cmd =
        env.snapshot_command(&["--os", "macos", "--arch", "arm64", "plan", "macos-arm64.kdl"]);
    cmd.env("TEST_GOENV_SYSROOT", &root);
    snapshot!(
        "macos_arm64_findings",
        env.run_command(
            "--os macos --arch arm64 plan macos-arm64.kdl (an amd64 go, an Intel Homebrew)",
            cmd
        )
    );
}

/// A Mac home as GoLand leaves it: an adopted go1.23.9 in `~/sdk`, and GoLand 2025.1's
/// configuration directory with custom properties and an SDK list of its own; the shipped
/// `profiles/goland-macos.kdl` beside it.
fn goland_mac() -> TestEnv {
    let env = TestEnv::for_snapshots();
    let home = env.home();
    let root = home.join("sdk/go1.23.9");
    std::fs::create_dir_all(root.join("pkg/tool/darwin_arm64")).unwrap();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::write(root.join("VERSION"), "go1.23.9\ntime 2025-05-06T18:00:00Z\n").unwrap();
    std::fs::write(root.join(".unpacked-success"), "").unwrap();
    std::fs::write(root.join("bin/go"), "#!/bin/sh\n").unwrap();
    let config = home.join("Library/Application Support/JetBrains/GoLand2025.1");
    std::fs::create_dir_all(config.join("options")).unwrap();
    std::fs::write(
        config.join("idea.properties"),
        "# custom GoLand properties\nidea.max.intellisense.filesize=5000\n",
    )
    .unwrap();
    std::fs::write(
        config.join("options/go.sdk.xml"),
        "<application>\n  <component name=\"GoSdkList\">\n    <sdk-path>\n      <set>\n        <option value=\"/opt/homebrew/opt/go/libexec\" />\n      </set>\n    </sdk-path>\n  </component>\n</application>\n",
    )
    .unwrap();
    std::fs::copy(
        common::repo("profiles/goland-macos.kdl"),
        env.dir.path().join("goland-macos.kdl"),
    )
    .unwrap();
    env
}

#[test]
fn plan_goland_on_a_mac() {
    let env = goland_mac();
    snapshot!(
        "plan_goland_macos_arm64",
        env.run(&["--os", "macos", "--arch", "arm64", "plan", "goland-macos.kdl"])
    );
}

#[test]
fn refused_while_goland_runs() {
    let env = goland_mac();
    let lock = env.home().join("Library/Application Support/JetBrains/GoLand2025.1/.lock");
    std::fs::write(lock, "4242").unwrap();
    snapshot!(
        "refused_goland_running",
        env.run(&["--os", "macos", "--arch", "arm64", "plan", "goland-macos.kdl"])
    );
}

/// `goenv init`: the starter written to the default path, then refused over an existing
/// profile, then `--force` keeping it as `.bak`; and the starter itself, whole.
#[test]
fn init_starter_refusal_and_force() {
    let env = TestEnv::for_snapshots();
    std::fs::create_dir_all(env.home()).unwrap();
    snapshot!("init_starter", env.run(&["init"]));
    let written = env.home().join(".config/goenv/profile.kdl");
    let starter = std::fs::read_to_string(&written).unwrap();
    insta::assert_snapshot!("init_starter_profile", starter);
    snapshot!("init_starter_check", env.run_linux_amd64(&["check"]));
    std::fs::write(&written, "version 1\n// my own\n").unwrap();
    snapshot!("init_refuses_an_existing_profile", env.run(&["init", "--from-machine"]));
    assert_eq!(std::fs::read_to_string(&written).unwrap(), "version 1\n// my own\n");
    snapshot!("init_force", env.run(&["init", "--force"]));
    let bak = env.home().join(".config/goenv/profile.kdl.bak");
    assert_eq!(std::fs::read_to_string(bak).unwrap(), "version 1\n// my own\n");
    assert_eq!(std::fs::read_to_string(&written).unwrap(), starter);
}

/// With no profile, `check` and `plan` point at `goenv init`, not at the source checkout.
#[test]
fn missing_default_profile_points_at_init() {
    let env = TestEnv::for_snapshots();
    std::fs::create_dir_all(env.home()).unwrap();
    snapshot!("missing_default_profile", env.run_linux_amd64(&["plan"]));
}
