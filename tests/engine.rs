//! plan → apply → status → rollback on temporary homes, through the built binary.

mod common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use common::TestEnv;
use serde_json::Value;

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
shells "bash" "zsh"
session
"#;

fn code(out: &std::process::Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A home with pre-existing start-up files in awkward shapes.
fn seeded() -> TestEnv {
    let env = TestEnv::new();
    let home = env.home();
    std::fs::create_dir_all(home.join(".config/go")).unwrap();
    std::fs::write(home.join(".bashrc"), b"# bashrc\r\nalias ll='ls -l'\r\nno final newline \xff")
        .unwrap();
    std::fs::write(home.join(".profile"), b"# profile\nexport EDITOR=vi\n").unwrap();
    std::fs::write(home.join(".config/go/env"), b"GOPROXY=direct\nGOFOO=junk\n").unwrap();
    std::fs::set_permissions(home.join(".profile"), std::fs::Permissions::from_mode(0o600))
        .unwrap();
    env.write("profile.kdl", PROFILE);
    env
}

fn read(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

#[test]
fn plan_apply_plan_is_idempotent() {
    let env = seeded();
    let out = env.goenv(&["plan", "--detailed-exitcode", "profile.kdl"]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(plan.contains("~ file:~/.config/go/env"), "{plan}");
    assert!(plan.contains("+ file:~/.config/goenv/env.sh"), "{plan}");
    assert!(plan.contains("~ block:~/.bashrc"), "{plan}");
    assert!(plan.contains("~ block:~/.profile"), "{plan}");
    assert!(plan.contains("+ file:~/.config/environment.d/50-goenv.conf"), "{plan}");
    assert!(plan.contains("-GOPROXY=direct\n"), "{plan}");
    assert!(plan.contains("+GOPROXY=https://goproxy.cn,direct\n"), "{plan}");
    assert!(plan.contains("Plan: 3 to add, 3 to change, 0 to remove."), "{plan}");
    assert!(!plan.contains("s3cr3t"), "secrets are redacted: {plan}");
    // Planning changes nothing, not even goenv's own state directory.
    assert!(!env.home().join(".local").exists());

    let out = env.goenv(&["apply", "--yes", "profile.kdl"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Applied generation 1"));
    let out = env.goenv(&["plan", "--detailed-exitcode", "profile.kdl"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("No changes."));
    let out = env.goenv(&["status", "profile.kdl"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
}

#[test]
fn changing_the_profile_changes_only_what_changed() {
    let env = seeded();
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    let go_env = env.home().join(".config/go/env");
    let before = std::fs::metadata(&go_env).unwrap();
    env.write("profile.kdl", &PROFILE.replace("hello world", "hello there"));
    let out = env.goenv(&["plan", "profile.kdl"]);
    let plan = text(&out.stdout);
    assert!(plan.contains("~ file:~/.config/goenv/env.sh"), "{plan}");
    assert!(plan.contains("~ file:~/.config/environment.d/50-goenv.conf"), "{plan}");
    assert!(plan.contains("Plan: 0 to add, 2 to change, 0 to remove."), "{plan}");
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    let after = std::fs::metadata(&go_env).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(before.ino(), after.ino(), "an unchanged file is not rewritten");
}

#[test]
fn removing_a_node_removes_what_it_created_and_restores_what_it_changed() {
    let env = seeded();
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    let without = PROFILE
        .replace("session\n", "")
        .replace("go-env {\n    GOPATH \"~/go\"\n    GOFLAGS \"-mod=mod\"\n    GOTOOLCHAIN \"local\"\n}\nproxy \"china\"\n", "");
    env.write("profile.kdl", &without);
    let out = env.goenv(&["plan", "profile.kdl"]);
    let plan = text(&out.stdout);
    assert!(plan.contains("- file:~/.config/environment.d/50-goenv.conf"), "{plan}");
    assert!(plan.contains("~ file:~/.config/go/env"), "{plan}");
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    assert!(!env.home().join(".config/environment.d/50-goenv.conf").exists());
    assert_eq!(read(&env.home().join(".config/go/env")).unwrap(), b"GOPROXY=direct\nGOFOO=junk\n");
}

#[test]
fn rollback_restores_every_byte_and_can_itself_be_rolled_back() {
    let env = seeded();
    let home = env.home();
    let paths = [".bashrc", ".profile", ".config/go/env", ".zshenv", ".config/goenv/env.sh"];
    let original: Vec<_> = paths.iter().map(|p| read(&home.join(p))).collect();
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    let applied: Vec<_> = paths.iter().map(|p| read(&home.join(p))).collect();
    assert_ne!(original, applied);

    let out = env.goenv(&["rollback", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let rolled: Vec<_> = paths.iter().map(|p| read(&home.join(p))).collect();
    assert_eq!(rolled, original, "every pre-existing file byte for byte, created ones gone");
    let mode = std::fs::metadata(home.join(".profile")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "modes survive");

    let out = env.goenv(&["rollback", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let again: Vec<_> = paths.iter().map(|p| read(&home.join(p))).collect();
    assert_eq!(again, applied, "rolling back the rollback returns to the applied state");
    let out = env.goenv(&["plan", "--detailed-exitcode", "profile.kdl"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
}

#[test]
fn drift_is_reported_and_rolled_back_first() {
    let env = seeded();
    let go_env = env.home().join(".config/go/env");
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    let applied = read(&go_env).unwrap();
    // What `go env -w GOPROXY=direct` does: rewrite the file in place.
    let mut edited =
        String::from_utf8(applied.clone()).unwrap().replace("https://goproxy.cn,direct", "direct");
    edited.push_str("GOINSECURE=*\n");
    std::fs::write(&go_env, &edited).unwrap();

    let out = env.goenv(&["status"]);
    assert_eq!(code(&out), 2);
    let status = text(&out.stdout);
    assert!(status.contains("~ file:~/.config/go/env (changed outside goenv)"), "{status}");
    // The Go env file's drift is shown per key.
    assert!(status.contains("  ~ GOPROXY: https://goproxy.cn,direct → direct\n"), "{status}");
    assert!(status.contains("  + GOINSECURE: *\n"), "{status}");

    assert_eq!(code(&env.goenv(&["rollback", "--yes"])), 0);
    assert_eq!(read(&go_env).unwrap(), applied);
    assert_eq!(code(&env.goenv(&["status"])), 0);
    // The rollback of the drift is itself undoable: the hand edit comes back.
    assert_eq!(code(&env.goenv(&["rollback", "--yes"])), 0);
    assert_eq!(read(&go_env).unwrap(), edited.as_bytes());
}

#[test]
fn rollback_to_zero_and_gc_keep_the_originals() {
    let env = seeded();
    let home = env.home();
    let bashrc = read(&home.join(".bashrc"));
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    env.write("profile.kdl", &PROFILE.replace("hello world", "v2"));
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    let out = env.goenv(&["gc", "--keep", "1"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = env.goenv(&["rollback", "--to", "0", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(read(&home.join(".bashrc")), bashrc);
    assert_eq!(read(&home.join(".config/go/env")).unwrap(), b"GOPROXY=direct\nGOFOO=junk\n");
    assert!(!home.join(".config/goenv/env.sh").exists());
    let out = env.goenv(&["generations"]);
    assert!(text(&out.stdout).contains("restore generation 0"), "{}", text(&out.stdout));
}

#[test]
fn symlinked_rc_files_are_edited_at_their_target() {
    let env = TestEnv::new();
    let home = env.home();
    std::fs::create_dir_all(home.join("dotfiles")).unwrap();
    std::fs::write(home.join("dotfiles/bashrc"), "# mine\n").unwrap();
    std::fs::set_permissions(home.join("dotfiles/bashrc"), std::fs::Permissions::from_mode(0o640))
        .unwrap();
    symlink("dotfiles/bashrc", home.join(".bashrc")).unwrap();
    env.write("profile.kdl", "version 1\nshells \"bash\"\n");
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    assert!(std::fs::symlink_metadata(home.join(".bashrc")).unwrap().file_type().is_symlink());
    let target = std::fs::read_to_string(home.join("dotfiles/bashrc")).unwrap();
    assert!(target.contains("# >>> goenv >>>") && target.ends_with("# mine\n"), "{target}");
    let mode =
        std::fs::metadata(home.join("dotfiles/bashrc")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_eq!(code(&env.goenv(&["rollback", "--yes"])), 0);
    assert!(std::fs::symlink_metadata(home.join(".bashrc")).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(home.join("dotfiles/bashrc")).unwrap(), "# mine\n");
}

/// Issue 16, item 3: in an rc file goenv shares, only its marker block is goenv's.
#[test]
fn drift_and_rollback_in_an_rc_file_are_only_about_goenvs_block() {
    let env = TestEnv::new();
    let home = env.home();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".bashrc"), "# bashrc\nalias ll='ls -l'\n").unwrap();
    env.write("profile.kdl", "version 1\nshells \"bash\"\n");
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    let rc = home.join(".bashrc");
    let applied = std::fs::read_to_string(&rc).unwrap();
    let theirs = format!("{applied}export EDITOR=vim\n");
    std::fs::write(&rc, &theirs).unwrap();
    let status = env.goenv(&["status"]);
    assert_eq!(code(&status), 0, "a line outside the block is not drift: {}", text(&status.stdout));

    // An edit inside the block is drift, shown alone; rollback restores the block, the new line
    // stays.
    std::fs::write(&rc, theirs.replace("# Managed by goenv", "# managed by me")).unwrap();
    let status = env.goenv(&["status"]);
    assert_eq!(code(&status), 2);
    let diff = text(&status.stdout);
    assert!(diff.contains("+# managed by me") && diff.contains("-# Managed by goenv"), "{diff}");
    assert!(!diff.contains("+export EDITOR=vim"), "an edit outside the block is not drift: {diff}");
    assert_eq!(code(&env.goenv(&["rollback", "--yes"])), 0);
    assert_eq!(std::fs::read_to_string(&rc).unwrap(), theirs);
    // Undoing everything takes the block out and keeps the line.
    assert_eq!(code(&env.goenv(&["rollback", "--to", "0", "--yes"])), 0);
    assert_eq!(
        std::fs::read_to_string(&rc).unwrap(),
        "# bashrc\nalias ll='ls -l'\nexport EDITOR=vim\n"
    );
}

#[test]
fn a_dangling_symlink_target_is_refused_and_nothing_is_created() {
    let env = TestEnv::new();
    let home = env.home();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".profile"), "# profile\n").unwrap();
    symlink("dotfiles/missing", home.join(".bashrc")).unwrap();
    env.write("profile.kdl", "version 1\nshells \"bash\"\n");
    for args in [&["plan", "profile.kdl"][..], &["apply", "--yes", "profile.kdl"]] {
        let out = env.goenv(args);
        assert_eq!(code(&out), 1, "{args:?}: {}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(
            err.contains("cannot plan `~/.bashrc`: it is a symbolic link to `dotfiles/missing`")
                && err.contains("does not exist")
                && err.contains("hint: goenv edits a linked file at its target")
                && err.contains("nothing was changed"),
            "{err}"
        );
    }
    assert!(!home.join("dotfiles").exists(), "the link's target was created");
    assert_eq!(std::fs::read_to_string(home.join(".profile")).unwrap(), "# profile\n");
    assert!(!home.join(".local/state/goenv/generations/0001.toml").exists());

    // A link that goes dangling after an apply: rollback refuses to write through it too.
    std::fs::remove_file(home.join(".bashrc")).unwrap();
    std::fs::write(home.join(".bashrc"), "# bashrc\n").unwrap();
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    std::fs::remove_file(home.join(".bashrc")).unwrap();
    symlink("dotfiles/missing", home.join(".bashrc")).unwrap();
    let out = env.goenv(&["rollback", "--yes"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    assert!(!home.join("dotfiles").exists(), "rollback created the link's target");
}

#[test]
fn bash_profile_is_used_when_it_exists_and_never_created() {
    // Issue 16, item 6: with ~/.bash_profile, ~/.profile is wired too (in POSIX sh, skipped by bash).
    let env = TestEnv::new();
    env.write("home/.bash_profile", "# login\n");
    env.write("profile.kdl", "version 1\nshells \"bash\"\n");
    let plan = text(&env.goenv(&["plan", "profile.kdl"]).stdout);
    assert!(plan.contains("~ block:~/.bash_profile"), "{plan}");
    // ~/.profile gets goenv's sh-only block, for sh login shells that bash never reads it for.
    assert!(plan.contains("+ block:~/.profile"), "{plan}");
    assert!(plan.contains("bash loads goenv from ~/.bash_profile, whose block wins"), "{plan}");
    let fresh = TestEnv::new();
    fresh.write("profile.kdl", "version 1\nshells \"bash\"\n");
    let plan = text(&fresh.goenv(&["plan", "profile.kdl"]).stdout);
    assert!(plan.contains("+ block:~/.profile"), "{plan}");
    assert!(!plan.contains(".bash_profile"), "{plan}");
}

#[test]
fn json_and_markdown_plans() {
    let env = seeded();
    let out = env.goenv(&["plan", "--format", "json", "profile.kdl"]);
    let json: Value = common::schemas::parse(&out.stdout);
    assert_eq!(json["schema"], "goenv.plan/1");
    assert_eq!(json["summary"]["add"], 3);
    assert_eq!(json["summary"]["change"], 3);
    let first = &json["changes"][0];
    for key in ["resource", "path", "action", "diff"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert!(!json.to_string().contains("s3cr3t"));

    let md = text(&env.goenv(&["plan", "--format", "markdown", "profile.kdl"]).stdout);
    assert!(md.contains("| `~` | `file:~/.config/go/env` | Update |"), "{md}");
    assert!(md.contains("<details><summary><code>block:~/.bashrc</code></summary>"), "{md}");
    assert!(!md.contains("s3cr3t"));
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    let env = TestEnv::new();
    let huge: String = (0..6000).map(|i| format!("# an old comment line number {i}\n")).collect();
    env.write("home/.config/go/env", &huge);
    env.write("profile.kdl", "version 1\ngo-env { GOPATH \"~/go\" }\nshells \"bash\"\n");
    let md = text(&env.goenv(&["plan", "--format", "markdown", "profile.kdl"]).stdout);
    assert!(md.encode_utf16().count() <= 65_000, "{} characters", md.len());
    assert!(md.contains("lines are not shown"), "the large diff is cut, with a note");
    assert!(md.contains("<code>file:~/.config/go/env</code>"), "and still shown");
    assert!(md.contains("block:~/.profile</code>"), "small diffs are still shown");
}

/// `service` and `session live=#true` plan (they stopped the plan before their targets
/// existed): their files, and the effects that make the running manager read them.
#[test]
fn service_and_live_session_plan_with_their_effects() {
    let env = TestEnv::new();
    env.write(
        "profile.kdl",
        "version 1\nservice \"api.service\" restart=#true { GOGC \"100\" }\nshells \"bash\"\n\
         export { EDITOR \"vi\" }\nsession live=#true\n",
    );
    let out = env.goenv(&["plan", "profile.kdl"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for id in [
        "+ file:~/.config/systemd/user/api.service.d/50-goenv.conf\n",
        "+ file:~/.config/environment.d/50-goenv.conf\n",
        "> effect:systemd-user/set-environment\n",
        "> effect:systemd-user/daemon-reload\n",
        "> effect:systemd-user/try-restart/api.service\n",
    ] {
        assert!(stdout.contains(id), "{id}{stdout}");
    }
    // Effects run after every file, the environment before the reload and the restart.
    let at = |s: &str| stdout.find(s).unwrap();
    assert!(at("> effect:systemd-user/set-environment") > at("+ block:~/.bashrc"));
    assert!(
        at("> effect:systemd-user/set-environment") < at("> effect:systemd-user/daemon-reload")
    );
    assert!(at("> effect:systemd-user/daemon-reload") < at("> effect:systemd-user/try-restart"));
    assert!(stdout.contains("to remove, 3 to run.\n"), "{stdout}");
}

#[test]
fn apply_without_a_terminal_needs_yes_and_changes_nothing() {
    let env = seeded();
    let before = read(&env.home().join(".bashrc"));
    let out = env.goenv(&["apply", "profile.kdl"]);
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).contains("--yes"), "{}", text(&out.stderr));
    assert_eq!(read(&env.home().join(".bashrc")), before);
    assert!(!env.home().join(".config/goenv/env.sh").exists());
}

#[test]
fn apply_refuses_to_pretend_to_be_another_platform() {
    let env = seeded();
    let out = env.goenv(&["--os", "macos", "apply", "--yes", "profile.kdl"]);
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).contains("cannot pretend"), "{}", text(&out.stderr));
    // Planning for macOS is fine and puts zsh's block in ~/.zprofile.
    let plan = text(&env.goenv(&["--os", "macos", "plan", "profile.kdl"]).stdout);
    assert!(plan.contains("block:~/.zprofile"), "{plan}");
    assert!(plan.contains("file:~/Library/Application Support/go/env"), "{plan}");
}

#[test]
fn show_and_generations_describe_history() {
    let env = seeded();
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    let list = text(&env.goenv(&["generations"]).stdout);
    assert!(list.contains("   1  ") && list.contains("apply"), "{list}");
    let show = text(&env.goenv(&["show", "1"]).stdout);
    assert!(show.contains("+GOPROXY=https://goproxy.cn,direct"), "{show}");
    let out = env.goenv(&["show", "7"]);
    assert_eq!(code(&out), 1);
}

#[test]
fn secrets_stay_hidden_in_status_show_and_rollback() {
    let env = seeded();
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    let env_sh = env.home().join(".config/goenv/env.sh");
    assert!(
        std::fs::read_to_string(&env_sh).unwrap().contains("s3cr3t-token"),
        "the file itself holds it"
    );
    let mut edited = std::fs::read_to_string(&env_sh).unwrap();
    edited.push_str("export EXTRA=1\n");
    std::fs::write(&env_sh, edited).unwrap();
    for args in [&["status"][..], &["show", "1"], &["rollback", "--yes"], &["plan", "profile.kdl"]]
    {
        let out = env.goenv(args);
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains("s3cr3t"), "{args:?} leaked the secret: {all}");
    }
}

#[test]
fn findings_appear_in_the_plan() {
    let env = seeded();
    // A GOPROXY export outside goenv's block would silently beat the Go env file.
    env.write("home/.zshrc", "export GOPROXY=direct\n");
    env.write("home/.config/go/env", "GOROOT=/usr/local/go\n");
    let out = env.goenv(&["plan", "profile.kdl"]);
    let plan = text(&out.stdout);
    assert!(plan.contains("! warning:") && plan.contains("~/.zshrc:1"), "{plan}");
    assert!(plan.contains("! error:") && plan.contains("GOROOT"), "{plan}");
    let json: Value =
        common::schemas::parse(&env.goenv(&["plan", "--format", "json", "profile.kdl"]).stdout);
    let codes: Vec<&str> =
        json["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"goenv::finding::shadowed-by-rc-file"), "{codes:?}");
    assert!(codes.contains(&"goenv::finding::goroot-in-go-env-file"), "{codes:?}");
}

#[test]
fn default_shells_follow_what_is_configured() {
    let env = TestEnv::new();
    env.write("profile.kdl", "version 1\n");
    let plain = text(&env.goenv(&["plan", "profile.kdl"]).stdout);
    assert!(
        plain.contains("block:~/.bashrc")
            && !plain.contains("env.fish")
            && !plain.contains(".zshenv"),
        "{plain}"
    );
    std::fs::create_dir_all(env.home().join(".config/fish")).unwrap();
    env.write("home/.zshrc", "# zsh user\n");
    let plan = text(&env.goenv(&["plan", "profile.kdl"]).stdout);
    assert!(plan.contains("+ file:~/.config/goenv/env.fish"), "{plan}");
    assert!(plan.contains("+ block:~/.zshenv"), "{plan}");
}

/// `goenv --home HOME ARGS` under `umask MASK` (set by a shell, which then execs goenv).
fn goenv_under_umask(env: &TestEnv, mask: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("umask {mask} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_goenv"))
        .arg("--home")
        .arg(env.home())
        .args(args)
        .current_dir(env.dir.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .env("TEST_GOENV_DPKG_INFO", env.dir.path().join("no-dpkg"))
        .output()
        .expect("goenv runs")
}

#[test]
fn new_files_honour_the_umask_and_files_holding_a_secret_are_private() {
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for (mask, open) in [("022", 0o644), ("077", 0o600), ("027", 0o640)] {
        let env = TestEnv::new();
        env.write("profile.kdl", PROFILE);
        let home = env.home();
        std::fs::create_dir_all(&home).unwrap();
        let out = goenv_under_umask(&env, mask, &["apply", "--yes", "profile.kdl"]);
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        // The Go env file holds no secret here: created as open(2) would under this umask.
        assert_eq!(mode(&home.join(".config/go/env")), open, "umask {mask}");
        // env.sh and the environment.d file hold API_TOKEN's value: owner only.
        for secret in [".config/goenv/env.sh", ".config/environment.d/50-goenv.conf"] {
            let bytes = std::fs::read(home.join(secret)).unwrap();
            assert!(text(&bytes).contains("s3cr3t-token"), "{secret}");
            assert_eq!(mode(&home.join(secret)), 0o600, "{secret} under umask {mask}");
        }
    }

    // A proxy URL with credentials makes the Go env file private.
    let env = TestEnv::new();
    env.write(
        "profile.kdl",
        "version 1\nproxy {\n    url \"https://bob:hunter2@athens.corp.example.com\" \"direct\"\n}\n",
    );
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    let go_env = env.home().join(".config/go/env");
    assert!(text(&std::fs::read(&go_env).unwrap()).contains("hunter2"));
    assert_eq!(mode(&go_env), 0o600);

    // A file goenv wrote earlier, readable by all, is made private when a secret arrives.
    let env = TestEnv::new();
    env.write("profile.kdl", &PROFILE.replace("    API_TOKEN \"s3cr3t-token\" secret=#true\n", ""));
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    let env_sh = env.home().join(".config/goenv/env.sh");
    assert_eq!(mode(&env_sh), 0o644);
    env.write("profile.kdl", PROFILE);
    assert_eq!(code(&env.goenv(&["apply", "--yes", "profile.kdl"])), 0);
    assert_eq!(mode(&env_sh), 0o600);
    // Rolled back to the value-less content, it stays private (a mode is only ever tightened).
    assert_eq!(code(&env.goenv(&["rollback", "--yes"])), 0);
    assert!(!text(&std::fs::read(&env_sh).unwrap()).contains("s3cr3t-token"));
    assert_eq!(mode(&env_sh), 0o600);
}

/// A full stdout and stderr (`> /dev/full 2>&1`) never panics, and never decides an apply's or
/// rollback's outcome: the change is made and recorded all the same.
#[test]
fn a_full_terminal_never_panics_nor_undoes_a_change() {
    let env = seeded();
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_goenv"))
            .arg("--home")
            .arg(env.home())
            .args(args)
            .current_dir(env.dir.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("TEST_GOENV_DPKG_INFO", env.dir.path().join("no-dpkg"))
            .stdout(full())
            .stderr(full())
            .status()
            .unwrap();
        out.code().unwrap_or(-1)
    };
    for args in [
        &["check", "profile.kdl"][..],
        &["plan", "profile.kdl"],
        &["plan", "--format", "json", "profile.kdl"],
        &["plan", "--format", "markdown", "profile.kdl"],
        &["doctor"],
        &["status"],
        &["generations"],
    ] {
        let code = run(args);
        assert!(code == 0 || code == 1, "{args:?} exited {code}");
    }
    assert_eq!(run(&["apply", "--yes", "profile.kdl"]), 0);
    assert_eq!(code(&env.goenv(&["plan", "--detailed-exitcode", "profile.kdl"])), 0, "applied");
    for args in [&["show", "1"][..], &["generations"], &["status"]] {
        let code = run(args);
        assert!(code == 0 || code == 1, "{args:?} exited {code}");
    }
    assert_eq!(run(&["rollback", "--yes"]), 0);
    assert_eq!(code(&env.goenv(&["plan", "--detailed-exitcode", "profile.kdl"])), 2, "rolled back");
}
