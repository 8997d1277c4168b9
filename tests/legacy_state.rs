//! A state directory written by an older goenv stays readable: the fixture in
//! `tests/fixtures/legacy-state/` (see its README and `make.sh`) is a home whose
//! `~/.local/state/goenv` was written by the release build of an earlier commit (generations 1
//! apply profile A, 2 apply profile B, 3 rollback, 4 apply profile B). The current binary lists
//! and shows that history exactly as the old one did, finds no drift, plans profile B as
//! nothing to do and profile A as the old one planned it, and rolls back through the old
//! manifests and blobs to every recorded state, byte for byte, down to the original files.
//!
//! Manifests record absolute paths, so the fixture is put back at the path it was written at,
//! `/tmp/goenv-legacy-state/home`: one test function, holding a lock file for its whole run so
//! that two test processes (another checkout, another target directory) never share that path.
//! The home is a Linux one (`~/.config/go/env`, environment.d), so the test is Linux-only.
#![cfg(target_os = "linux")]

#[path = "common/schemas.rs"]
mod schemas;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const ROOT: &str = "/tmp/goenv-legacy-state";
const HOME: &str = "/tmp/goenv-legacy-state/home";
const LOCK: &str = "/tmp/goenv-legacy-state.lock";
const STATE: &str = ".local/state/goenv";
/// Files goenv created (none existed before generation 1).
const CREATED: [&str; 4] = [
    ".config/goenv/env.sh",
    ".config/goenv/env.fish",
    ".config/fish/conf.d/goenv.fish",
    ".config/environment.d/50-goenv.conf",
];

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-state").join(rel)
}

fn profile(name: &str) -> String {
    format!("{ROOT}/{name}")
}

fn goenv(args: &[&str]) -> Output {
    Command::cargo_bin("goenv")
        .expect("goenv binary")
        .current_dir(ROOT)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .arg("--home")
        .arg(HOME)
        .args(args)
        .output()
        .expect("goenv runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs goenv, requires `code`, and returns its stdout.
fn run(args: &[&str], code: i32) -> Vec<u8> {
    let out = goenv(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "goenv {args:?}\nstdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out.stdout
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Every regular file and symbolic link below `dir` (relative path → bytes, or the link's
/// target after `symlink -> `), without the subtree `skip` (relative to `dir`).
fn tree(dir: &Path, skip: Option<&str>) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, skip: Option<&Path>, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if Some(rel.as_path()) == skip {
                continue;
            }
            let kind = fs::symlink_metadata(&path).unwrap().file_type();
            if kind.is_symlink() {
                let target = fs::read_link(&path).unwrap();
                let mut bytes = b"symlink -> ".to_vec();
                bytes.extend_from_slice(target.as_os_str().as_encoded_bytes());
                out.insert(rel, bytes);
            } else if kind.is_dir() {
                walk(root, &path, skip, out);
            } else {
                out.insert(rel, read(&path));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, skip.map(Path::new), &mut out);
    out
}

/// The home's files without goenv's state directory.
fn user_files() -> BTreeMap<PathBuf, Vec<u8>> {
    tree(Path::new(HOME), Some(STATE))
}

/// Fails naming every path that is missing, extra or different, with both contents.
fn assert_same_files(
    got: &BTreeMap<PathBuf, Vec<u8>>,
    want: &BTreeMap<PathBuf, Vec<u8>>,
    what: &str,
) {
    let mut problems = Vec::new();
    for (path, bytes) in want {
        match got.get(path) {
            None => problems.push(format!("missing: {}", path.display())),
            Some(b) if b != bytes => problems.push(format!(
                "differs: {}\n--- expected\n{}\n--- found\n{}",
                path.display(),
                text(bytes),
                text(b)
            )),
            Some(_) => {}
        }
    }
    for path in got.keys().filter(|p| !want.contains_key(*p)) {
        problems.push(format!("extra: {}", path.display()));
    }
    assert!(problems.is_empty(), "{what}:\n{}", problems.join("\n"));
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = fs::symlink_metadata(&src).unwrap().file_type();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Removes the copy when the test ends, passed or failed (before the lock is released).
struct RemoveRoot;

impl Drop for RemoveRoot {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(ROOT);
    }
}

/// The parts of `plan --format json` that describe the machine: the summary and every change.
fn plan_json(bytes: &[u8]) -> (Value, Value) {
    let json: Value = serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("plan JSON ({e}): {}", text(bytes)));
    assert_eq!(json["schema"], "goenv.plan/1");
    (json["summary"].clone(), json["changes"].clone())
}

#[test]
fn the_current_goenv_reads_plans_and_rolls_back_a_state_directory_written_by_an_older_one() {
    // Held until the end of the test; the kernel releases it if the process dies.
    let lock = fs::OpenOptions::new().create(true).truncate(false).write(true).open(LOCK).unwrap();
    lock.lock().expect("lock /tmp/goenv-legacy-state.lock");
    let _remove = RemoveRoot;

    // The fixture is consistent: its home is what generation 4 left, with four manifests and no
    // transaction in flight.
    let fixture_state = fixture("home").join(STATE);
    assert_same_files(
        &tree(&fixture("home"), Some(STATE)),
        &tree(&fixture("after/4"), None),
        "the fixture's home is after/4",
    );
    let manifests: Vec<PathBuf> =
        tree(&fixture_state.join("generations"), None).into_keys().collect();
    let names: Vec<&str> = manifests.iter().map(|p| p.to_str().unwrap()).collect();
    assert_eq!(names, ["0001.toml", "0002.toml", "0003.toml", "0004.toml", "index.toml"]);
    assert!(!fixture_state.join("journal.toml").exists());

    let _ = fs::remove_dir_all(ROOT);
    copy_tree(&fixture("home"), Path::new(HOME));
    for name in ["profile-a.kdl", "profile-b.kdl"] {
        fs::copy(fixture(name), profile(name)).unwrap();
    }
    let (a, b) = (profile("profile-a.kdl"), profile("profile-b.kdl"));

    // History, as the old goenv printed it: the same bytes.
    assert_eq!(
        text(&run(&["generations"], 0)),
        text(&read(&fixture("expected/generations.txt"))),
        "generations"
    );
    for n in 1..=4 {
        let shown = run(&["show", &n.to_string()], 0);
        let want = read(&fixture(&format!("expected/show-{n}.txt")));
        assert_eq!(text(&shown), text(&want), "show {n}");
    }
    assert_eq!(text(&run(&["status"], 0)), text(&read(&fixture("expected/status.txt"))), "status");

    // Profile B is what generation 4 applied: nothing to do.
    run(&["plan", "--detailed-exitcode", &b], 0);
    let current = |args: &[&str]| {
        let out = run(args, 0);
        // What this goenv prints conforms to today's schema (the recorded plan predates `ok`).
        schemas::assert_valid(&serde_json::from_slice(&out).unwrap());
        out
    };
    let (summary, changes) = plan_json(&current(&["plan", "--format", "json", &b]));
    assert_eq!(summary, serde_json::json!({"add": 0, "change": 0, "remove": 0}));
    assert_eq!(changes, serde_json::json!([]));
    run(&["status", &b], 0);
    // Profile A differs, exactly as the old goenv planned it.
    run(&["plan", "--detailed-exitcode", &a], 2);
    let got = plan_json(&current(&["plan", "--format", "json", &a]));
    let want = plan_json(&read(&fixture("expected/plan-a.json")));
    assert_ne!(want.1, serde_json::json!([]));
    assert_eq!(got, want, "plan of profile A: summary and changes");

    // Reading changed nothing: no user file, no manifest, no blob (the index is a cache).
    assert_same_files(&user_files(), &tree(&fixture("after/4"), None), "after the reads");
    let state = |dir: &Path| {
        let mut t = tree(&dir.join(STATE), None);
        t.retain(|p, _| p != Path::new("generations/index.toml") && p != Path::new("lock"));
        t
    };
    assert_same_files(&state(Path::new(HOME)), &state(&fixture("home")), "the state directory");

    // Undo generation 4 (an apply of B after a rollback): what generation 3 left.
    run(&["rollback", "--yes"], 0);
    assert_same_files(&user_files(), &tree(&fixture("after/3"), None), "rollback undoes 4");
    run(&["status"], 0);

    // Generation 2 is neither the latest nor 0: replayed from the old manifests.
    run(&["rollback", "--to", "2", "--yes"], 0);
    assert_same_files(&user_files(), &tree(&fixture("after/2"), None), "rollback --to 2");

    // Generation 0: every seeded file byte for byte, and nothing goenv created is left.
    run(&["rollback", "--to", "0", "--yes"], 0);
    assert_same_files(&user_files(), &tree(&fixture("original"), None), "rollback --to 0");
    for rel in CREATED {
        assert!(!Path::new(HOME).join(rel).exists(), "{rel} was created by goenv");
    }

    // The state directory is still readable: the old history, then the three rollbacks.
    let listed = text(&run(&["generations"], 0));
    let old = text(&read(&fixture("expected/generations.txt")));
    assert!(listed.starts_with(&old), "the old generations come first:\n{listed}");
    let new: Vec<(&str, &str)> = listed[old.len()..]
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0], f[2])
        })
        .collect();
    assert_eq!(new, [("5", "rollback"), ("6", "rollback"), ("7", "rollback")], "{listed}");
    run(&["show", "7"], 0);
    run(&["status"], 0);
}
