//! A home whose path is not UTF-8 (`h\xffome`): every managed path goenv records is then not
//! UTF-8 either. Apply, a crash and its recovery, status and `rollback --to 0` must all find the
//! very same files, byte for byte, because manifests and the journal keep paths losslessly.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const PROFILE: &str = "version 1\ngo-env { GOPROXY \"https://proxy.golang.org,direct\" }\n\
                       export { EDITOR \"vi\" }\nshells \"bash\"\n";

fn goenv(home: &Path, args: &[&str], pause_at: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_goenv"));
    cmd.env_clear().env("PATH", "/usr/bin:/bin").env("NO_COLOR", "1").arg("--home").arg(home);
    cmd.args(args).stdin(Stdio::null());
    if let Some(point) = pause_at {
        cmd.env("TEST_GOENV_PAUSE_AT", point);
    }
    cmd
}

fn run(home: &Path, args: &[&str]) -> Output {
    goenv(home, args, None).output().expect("goenv runs")
}

#[track_caller]
fn ok(home: &Path, args: &[&str]) -> Output {
    let out = run(home, args);
    assert!(
        out.status.success(),
        "goenv {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every file under `dir` (outside goenv's state), with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.ends_with(".local/state") {
                continue;
            }
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_home_that_is_not_utf8_survives_apply_crash_recovery_and_rollback() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path().join(OsString::from_vec(b"h\xffome".to_vec()));
    assert!(home.to_str().is_none());
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".bashrc"), b"# mine\r\n[ -z \"$PS1\" ] && return\n").unwrap();
    std::fs::write(home.join(".profile"), b"PATH=$HOME/bin:$PATH\n").unwrap();
    let profile = tmp.path().join("profile.kdl");
    std::fs::write(&profile, PROFILE).unwrap();
    let profile = profile.to_str().unwrap();
    let original = files(&home);

    // Killed after the first path is written: the next command puts it back.
    let mut child = goenv(&home, &["apply", "--yes", profile], Some("step-1"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("goenv starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line == "goenv: paused at step-1" {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("goenv pauses at step-1");
    child.kill().unwrap();
    child.wait().unwrap();
    let out = ok(&home, &["generations"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("put every path it touched back"), "{said}");
    assert_eq!(files(&home), original, "recovery restores the non-UTF-8 paths");

    ok(&home, &["apply", "--yes", profile]);
    let applied = files(&home);
    assert_ne!(applied, original);
    assert!(home.join(".config/go/env").is_file());
    let manifest = std::fs::read_to_string(home.join(".local/state/goenv/generations/0001.toml"))
        .expect("the manifest is UTF-8 TOML");
    assert!(manifest.contains("%FF"), "{manifest}");
    let out = run(&home, &["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let out = run(&home, &["plan", "--detailed-exitcode", profile]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    ok(&home, &["rollback", "--to", "0", "--yes"]);
    assert_eq!(files(&home), original, "rollback --to 0 restores every byte");
    ok(&home, &["rollback", "--yes"]);
    assert_eq!(files(&home), applied, "and undoing it brings the applied files back");
}
