//! Every shipped profile and example (`profiles/*.kdl`, `examples/**/*.kdl`) is planned on every
//! platform goenv supports, and applied (then rolled back) where the platform is this one. The
//! ones naming a node `plan` cannot handle would be listed in `UNPLANNABLE` and asserted to stop
//! with the error naming the node, so nothing is skipped silently (issue 16, item 14); today
//! every node plans. `session live=#true` and `service` applied here without a user manager:
//! their effects are skipped with a warning.
//!
//! Offline: the SDK versions the profiles name are adopted trees in the temporary home, and a
//! `go "1.22"` line is resolved from a seeded download index cache.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{TestEnv, repo};
use serde_json::{Value, json};

const PLATFORMS: [(&str, &str); 4] =
    [("linux", "amd64"), ("linux", "arm64"), ("macos", "amd64"), ("macos", "arm64")];

/// The SDK versions any shipped profile asks for, and the newest 1.22.x of the seeded index.
const VERSIONS: [&str; 4] = ["1.23.9", "1.22.12", "1.22.10", "1.21.13"];

/// The profiles that name a node `plan` cannot handle yet, and that node.
const UNPLANNABLE: [(&str, &str); 0] = [];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every shipped profile, relative to the repository, sorted.
fn shipped() -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![repo("profiles"), repo("examples")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).expect("read shipped directory").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "kdl") {
                out.push(p.strip_prefix(repo("")).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// A temporary home with every version adopted in `~/sdk` and the download index cached.
fn home() -> TestEnv {
    let env = TestEnv::new();
    let home = env.home();
    for v in VERSIONS {
        let root = home.join(format!("sdk/go{v}"));
        std::fs::create_dir_all(root.join("pkg/tool/linux_amd64")).unwrap();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::write(root.join("VERSION"), format!("go{v}\ntime 2020-02-02T00:00:00Z\n"))
            .unwrap();
        std::fs::write(root.join(".unpacked-success"), "").unwrap();
        std::fs::write(root.join("bin/go"), "#!/bin/sh\n").unwrap();
    }
    let releases: Vec<Value> = VERSIONS
        .iter()
        .map(|v| {
            let files: Vec<Value> = [("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"), ("darwin", "arm64")]
                .iter()
                .map(|(os, arch)| {
                    json!({"filename": format!("go{v}.{os}-{arch}.tar.gz"), "os": os, "arch": arch,
                           "version": format!("go{v}"), "sha256": "0".repeat(64), "size": 1, "kind": "archive"})
                })
                .collect();
            json!({"version": format!("go{v}"), "stable": true, "files": files})
        })
        .collect();
    let url = goenv::sdk::index::GO_DEV_INDEX_URL;
    let name = format!("index-{}.json", &goenv::digest::sha256(url.as_bytes()).as_str()[..16]);
    let cache = home.join(".cache/goenv");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join(name), serde_json::to_vec(&releases).unwrap()).unwrap();
    env
}

/// Copies the shipped profile `rel` (and what it includes, beside it) into the test directory.
fn copy(env: &TestEnv, rel: &str) -> PathBuf {
    let src = repo(rel);
    let dir = src.parent().unwrap();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "kdl") {
            std::fs::copy(e.path(), env.dir.path().join(e.file_name())).unwrap();
        }
    }
    env.dir.path().join(src.file_name().unwrap())
}

/// The profile without Delve's `install=`, which needs the network and a real Go (the adopted
/// SDKs here are empty trees; `tests/delve.rs` runs the real `go install`).
fn offline(profile: PathBuf) -> PathBuf {
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(&profile, text.replace(" install=\"latest\"", "")).unwrap();
    profile
}

fn run(env: &TestEnv, args: &[&str], profile: &Path) -> Output {
    let mut all = args.to_vec();
    all.push(profile.to_str().unwrap());
    env.goenv(&all)
}

fn unplannable(rel: &str) -> Option<&'static str> {
    UNPLANNABLE.iter().find(|(p, _)| *p == rel).map(|(_, node)| *node)
}

#[track_caller]
fn assert_refused(out: &Output, node: &str, what: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
    // With `--format json` the refusal is the document on stdout, and stderr stays empty.
    let said = match serde_json::from_slice::<Value>(&out.stdout) {
        Ok(json) => {
            common::schemas::assert_valid(&json);
            assert_eq!(json["ok"], false, "{what}");
            assert_eq!(stderr, "", "{what}");
            json["problems"].to_string()
        }
        Err(_) => stderr,
    };
    assert!(said.contains("goenv::plan::not-yet-supported"), "{what}: {said}");
    assert!(said.contains(&format!("{node} cannot be planned")), "{what}: {said}");
}

#[test]
fn the_shipped_profiles_are_the_ones_this_test_knows() {
    let all = shipped();
    assert!(all.len() >= 8, "{all:?}");
    for (p, _) in UNPLANNABLE {
        assert!(all.iter().any(|a| a == p), "{p} is not shipped any more: {all:?}");
    }
}

#[test]
fn every_shipped_profile_plans_on_every_platform() {
    for rel in shipped() {
        for (os, arch) in PLATFORMS {
            let env = home();
            let profile = copy(&env, &rel);
            let out =
                run(&env, &["--os", os, "--arch", arch, "plan", "--format", "json"], &profile);
            let what = format!("plan {rel} --os {os} --arch {arch}");
            if let Some(node) = unplannable(&rel) {
                assert_refused(&out, node, &what);
                continue;
            }
            let plan: Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", text(&out.stdout)));
            common::schemas::assert_valid(&plan);
            // 3 exactly when an error-level finding remains (alice's Delve on linux/amd64).
            let errors =
                plan["findings"].as_array().unwrap().iter().any(|f| f["severity"] == "error");
            let expected = if errors { 3 } else { 0 };
            assert_eq!(out.status.code(), Some(expected), "{what}: {}", text(&out.stderr));
            assert_eq!(plan["platform"], format!("{os}/{arch}"), "{what}");
            assert!(plan["summary"]["add"].as_u64().unwrap() > 0, "{what}: {plan:#}");
        }
    }
}

/// On this machine's platform, every plannable profile applies, plans empty afterwards, and
/// `rollback --to 0` gives back the home as it was.
#[test]
fn every_plannable_shipped_profile_applies_here() {
    for rel in shipped() {
        let env = home();
        let profile = offline(copy(&env, &rel));
        let what = format!("apply {rel}");
        let out = run(&env, &["apply", "--yes", "--fail-on", "never"], &profile);
        if let Some(node) = unplannable(&rel) {
            assert_refused(&out, node, &what);
            continue;
        }
        assert_eq!(out.status.code(), Some(0), "{what}: {}", text(&out.stderr));
        let out = run(&env, &["plan", "--detailed-exitcode", "--fail-on", "never"], &profile);
        assert_eq!(out.status.code(), Some(0), "{what}, then plan: {}", text(&out.stdout));
        let out = env.goenv(&["rollback", "--to", "0", "--yes"]);
        assert_eq!(out.status.code(), Some(0), "{what}, then rollback: {}", text(&out.stderr));
    }
    // The example's `when host=` block asks for `session live=#true` on Alice's machine: the
    // plan lists the effect.
    let env = home();
    let profile = copy(&env, "examples/team/alice.kdl");
    // (alice's Delve on linux/amd64 is an error-level finding: not this test's point)
    let out = run(&env, &["--host", "alice-workstation", "plan", "--fail-on", "never"], &profile);
    assert_eq!(
        out.status.code(),
        Some(0),
        "plan alice.kdl on alice-workstation: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("> effect:systemd-user/set-environment"), "{stdout}");
    // vscode-ubuntu applies without a user manager: the effect is skipped, said so, and the
    // files are written.
    let env = home();
    let profile = offline(copy(&env, "profiles/vscode-ubuntu.kdl"));
    let out = run(&env, &["apply", "--yes", "--fail-on", "never"], &profile);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "apply vscode-ubuntu: {stderr}");
    assert!(stderr.contains("warning: no user manager to run the effects"), "{stderr}");
    assert!(env.home().join(".config/environment.d/50-goenv.conf").is_file());
}

/// The README and the profiles say what the tests prove: which profiles plan, that they are
/// planned (not only checked), and `gc --keep`'s default; the missing-profile hint works for an
/// installed goenv, not only in the source checkout.
#[test]
fn the_docs_say_what_plans() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    for rel in shipped() {
        let text = std::fs::read_to_string(repo(&rel)).unwrap();
        assert!(!text.contains("later goenv"), "{rel} says something plans in a later goenv");
        let name = rel.rsplit('/').next().unwrap();
        assert!(readme.contains(name), "the README does not list {rel}");
    }
    assert!(!readme.contains("(plannable today)"), "every plannable profile plans, not only one");
    assert!(readme.contains("planned by the tests"), "the README says the profiles are planned");
    assert!(readme.contains("`gc --keep N` (default 10)"), "the README gives gc's default");

    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    let out = env.goenv(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("profiles/default.kdl"), "assumes the source checkout:\n{stderr}");
    assert!(stderr.contains("~/.config/goenv/profile.kdl"), "{stderr}");
}

/// The three shipped profiles that change the running user manager apply on a real one
/// (`scripts/user-manager`): `service-runtime.kdl` restarts its running unit with the profile's
/// values, and `vscode-ubuntu.kdl` and `alice.kdl` (on `alice-workstation`) set the session's
/// variables in the manager, as a new login would see them.
#[test]
fn the_profiles_with_effects_apply_on_a_real_user_manager() {
    use common::user_manager::UserManager;
    for (rel, host) in [
        ("profiles/service-runtime.kdl", None),
        ("profiles/vscode-ubuntu.kdl", None),
        ("examples/team/alice.kdl", Some("alice-workstation")),
    ] {
        let env = home();
        let home = env.home();
        let profile = offline(copy(&env, rel));
        if rel.contains("service-runtime") {
            let units = home.join(".config/systemd/user");
            std::fs::create_dir_all(&units).unwrap();
            std::fs::write(units.join("api.service"), "[Service]\nExecStart=/bin/sleep infinity\n")
                .unwrap();
        }
        let run_dir = env.dir.path().join("run");
        let manager = UserManager::start(&home, &run_dir);
        if rel.contains("service-runtime") {
            manager.systemctl_ok(&["start", "api.service"]);
        }
        let mut vars = vec![("XDG_RUNTIME_DIR", run_dir.as_os_str())];
        let mut args = vec!["apply", "--yes", "--fail-on", "never", profile.to_str().unwrap()];
        if let Some(h) = host {
            // Debug builds only: apply as that host (the home is the test's).
            vars.push(("TEST_GOENV_ANY_PLATFORM", std::ffi::OsStr::new("1")));
            args.splice(0..0, ["--host", h]);
        }
        let out = env.goenv_with(&vars, &args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "apply {rel}: {stderr}");
        assert!(!stderr.contains("user-manager-unreachable"), "{rel}: {stderr}");
        if rel.contains("service-runtime") {
            // restart=#true: the running process has the drop-in's values.
            let pid = manager.property("api.service", "MainPID");
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
            let vars: Vec<String> =
                environ.split(|&b| b == 0).map(|v| String::from_utf8_lossy(v).into()).collect();
            for want in ["GOMEMLIMIT=400MiB", "GOGC=100", "GOTRACEBACK=crash", "GOMAXPROCS=2"] {
                assert!(vars.iter().any(|v| v == want), "{rel}: {want} not in {vars:?}");
            }
        } else {
            let shown = manager.systemctl_ok(&["show-environment"]);
            let path = shown.lines().find_map(|l| l.strip_prefix("PATH=")).unwrap_or_default();
            assert!(
                path.split(':').any(|d| d == home.join("go/bin").to_str().unwrap()),
                "{rel}: PATH={path}"
            );
            if host.is_some() {
                assert!(
                    shown.lines().any(|l| l.starts_with("EDITOR=") && l.contains("code --wait")),
                    "{shown}"
                );
            }
        }
    }
}
