//! Whose home it is: goenv runs as the home's owner, never as root on someone else's home (it
//! would follow the owner's links out of the home and leave root-owned files), and never takes
//! over a file its user cannot write. The tests run as root (CI does) and use uid 65534
//! (`nobody`) as the other user, through `setpriv`.

#[macro_use]
mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt, chown, symlink};
use std::path::Path;
use std::process::Command;

use common::TestEnv;

const NOBODY: u32 = 65534;
const PROFILE: &str = "version 1\ngo-env {\n    GOTOOLCHAIN \"local\"\n}\nshells \"bash\"\n";

/// Every path below `dir` with its bytes (or link target), mode and owner.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let what = if m.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&p).unwrap().display())
            } else if m.is_dir() {
                stack.push(p.clone());
                "dir".into()
            } else {
                format!("{:?}", std::fs::read(&p).unwrap())
            };
            out.push(format!("{} {:o} {}:{} {what}", p.display(), m.mode(), m.uid(), m.gid()));
        }
    }
    out
}

/// A home owned by nobody, in a directory nobody can reach.
fn nobodys_home() -> TestEnv {
    let env = TestEnv::for_snapshots();
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(env.home()).unwrap();
    chown(env.home(), Some(NOBODY), Some(NOBODY)).unwrap();
    env.write("profile.kdl", PROFILE);
    env
}

#[test]
fn root_refuses_a_home_that_belongs_to_another_user() {
    let env = nobodys_home();
    let home = env.home();
    // The owner's links out of the home: root must neither show nor replace their targets.
    std::fs::create_dir_all(home.join(".config/go")).unwrap();
    let outside = env.write("outside/shadow", "root:secret-hash:19000:0:99999:7:::\n");
    symlink(&outside, home.join(".config/go/env")).unwrap();
    symlink(&outside, home.join(".bashrc")).unwrap();
    let before = (tree(&home), std::fs::read(&outside).unwrap());
    for args in [
        &["plan", "profile.kdl"][..],
        &["apply", "--yes", "profile.kdl"],
        &["status"],
        &["rollback", "--yes"],
        &["doctor"],
        &["gc"],
    ] {
        let recording = env.run(args);
        assert_eq!(recording.code, Some(1), "{}", recording.text);
        assert!(!recording.text.contains("secret-hash"), "{}", recording.text);
        if args[0] == "plan" {
            snapshot!("ownership_root_on_another_users_home", recording);
        }
    }
    assert_eq!((tree(&home), std::fs::read(&outside).unwrap()), before, "nothing changed");
    // `check` reads only the profile.
    assert_eq!(env.run(&["check", "profile.kdl"]).code, Some(0));
}

/// `goenv --home HOME ARGS` run as nobody.
fn as_nobody(env: &TestEnv, args: &[&str]) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_goenv"))
        .arg("--home")
        .arg(env.home())
        .args(args)
        .current_dir(env.dir.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .env("TEST_GOENV_NOW", common::snapshot::NOW.to_string())
        .env("TEST_GOENV_DPKG_INFO", env.dir.path().join("no-dpkg"));
    cmd
}

#[test]
fn a_file_the_user_cannot_write_is_never_taken_over() {
    let env = nobodys_home();
    let home = env.home();
    // root's read-only ~/.bashrc in nobody's home: the directory would allow the rename.
    std::fs::write(home.join(".bashrc"), "# managed by the administrator\n").unwrap();
    std::fs::set_permissions(home.join(".bashrc"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = tree(&home);
    let plan =
        env.run_command("plan profile.kdl (as nobody)", as_nobody(&env, &["plan", "profile.kdl"]));
    assert_eq!(plan.code, Some(1), "{}", plan.text);
    snapshot!("ownership_read_only_file", plan);
    let apply = as_nobody(&env, &["apply", "--yes", "profile.kdl"]).output().unwrap();
    assert_eq!(apply.status.code(), Some(1), "{}", String::from_utf8_lossy(&apply.stderr));
    // apply opens goenv's own state directory (~/.local/state/goenv) before it plans
    let state = home.join(".local").display().to_string();
    let mine: Vec<String> = tree(&home).into_iter().filter(|l| !l.starts_with(&state)).collect();
    assert_eq!(mine, before, "nothing changed");

    // Once it is the user's and writable, goenv edits it, and what it creates is the user's.
    chown(home.join(".bashrc"), Some(NOBODY), Some(NOBODY)).unwrap();
    std::fs::set_permissions(home.join(".bashrc"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let apply = as_nobody(&env, &["apply", "--yes", "profile.kdl"]).output().unwrap();
    assert_eq!(apply.status.code(), Some(0), "{}", String::from_utf8_lossy(&apply.stderr));
    for line in tree(&home) {
        assert!(line.contains(" 65534:65534 "), "{line}");
    }
}
