//! Crash safety: goenv killed with SIGKILL at every point of an apply and of a rollback (the
//! debug-only `TEST_GOENV_PAUSE_AT` switch stops it dead there), and two goenvs at once. After
//! each crash the next command must recover: every file wholly old (or wholly new once the
//! manifest was written), no backup missing, and the machine still appliable.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::TestEnv;
use common::user_manager::UserManager;
use sha2::{Digest, Sha256};

/// Touches eight paths on Linux: the Go env file (foreign content), env.sh, env.fish, fish's
/// conf.d, environment.d, and the blocks in ~/.profile, ~/.bashrc and ~/.zshenv (a symlink).
const PROFILE: &str = r#"version 1
go-env {
    GOPATH "~/go"
    GOBIN "~/go/bin"
    GOTOOLCHAIN "local"
}
export {
    GREETING "hello world"
    GOGC "200"
}
path "~/tools/bin"
shells "bash" "zsh" "fish"
when os="linux" {
    session
}
"#;

/// How long a paused goenv may take to reach its pause point, and any other goenv to finish.
const PAUSE_TIMEOUT: Duration = Duration::from_secs(20);
const RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// A fresh home with start-up files in awkward shapes, and the profile beside it.
fn seeded() -> TestEnv {
    let env = TestEnv::new();
    let home = env.home();
    for dir in [".config/go", ".config/fish", "dotfiles"] {
        std::fs::create_dir_all(home.join(dir)).unwrap();
    }
    // CRLF, a non-UTF-8 byte, no final newline.
    std::fs::write(home.join(".bashrc"), b"# bashrc\r\nalias ll='ls -l'\r\nno final newline \xff")
        .unwrap();
    std::fs::write(home.join(".profile"), b"# profile\nexport EDITOR=vi\n").unwrap();
    std::fs::set_permissions(home.join(".profile"), std::fs::Permissions::from_mode(0o600))
        .unwrap();
    // What `go env -w` left: goenv takes the file over and keeps this as its original.
    std::fs::write(home.join(".config/go/env"), b"GOPROXY=direct\nGOFOO=junk\n").unwrap();
    std::fs::write(home.join(".config/fish/config.fish"), b"set -g fish_greeting\n").unwrap();
    std::fs::write(home.join("dotfiles/zshenv"), b"# zshenv from dotfiles\n").unwrap();
    symlink("dotfiles/zshenv", home.join(".zshenv")).unwrap();
    env.write("profile.kdl", PROFILE);
    env
}

// ---- running goenv -----------------------------------------------------------------------

fn goenv(env: &TestEnv, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_goenv"));
    cmd.current_dir(env.dir.path()).env_clear();
    // A test that started a user manager for this home (`live`) points goenv at it.
    if env.dir.path().join("run").is_dir() {
        cmd.env("XDG_RUNTIME_DIR", env.dir.path().join("run"));
    }
    cmd.env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .arg("--home")
        .arg(env.home())
        .args(args)
        .stdin(Stdio::null());
    cmd
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn reader(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// A goenv running to completion, its output read as it comes.
struct Running {
    child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
    what: String,
}

fn start(env: &TestEnv, args: &[&str]) -> Running {
    let mut child = goenv(env, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("goenv starts");
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    Running { child, stdout, stderr, what: args.join(" ") }
}

impl Running {
    /// Waits at most `RUN_TIMEOUT`: a goenv that hangs fails the test instead of hanging it.
    #[track_caller]
    fn finish(mut self) -> Outcome {
        let deadline = Instant::now() + RUN_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for goenv") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "`goenv {}` did not finish within {RUN_TIMEOUT:?}: {}",
                    self.what,
                    self.stderr.join().unwrap_or_default()
                );
            }
            thread::sleep(Duration::from_millis(2));
        };
        Outcome {
            code: status.code(),
            stdout: self.stdout.join().expect("stdout reader"),
            stderr: self.stderr.join().expect("stderr reader"),
        }
    }
}

#[track_caller]
fn run(env: &TestEnv, args: &[&str]) -> Outcome {
    start(env, args).finish()
}

#[track_caller]
fn run_ok(env: &TestEnv, args: &[&str]) -> Outcome {
    let out = run(env, args);
    assert_eq!(out.code, Some(0), "`goenv {}`:\n{}{}", args.join(" "), out.stdout, out.stderr);
    out
}

/// A goenv stopped dead at a pause point, waiting for SIGKILL.
struct Paused {
    child: Child,
    stderr: JoinHandle<String>,
}

/// Starts goenv with `TEST_GOENV_PAUSE_AT=point` and returns once it says it paused there.
#[track_caller]
fn start_paused(env: &TestEnv, args: &[&str], point: &str) -> Paused {
    let mut child = goenv(env, args)
        .env("TEST_GOENV_PAUSE_AT", point)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("goenv starts");
    let pipe = child.stderr.take().expect("stderr is piped");
    let (tx, rx) = mpsc::channel();
    let wanted = format!("goenv: paused at {point}");
    let stderr = thread::spawn(move || {
        let mut all = String::new();
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            let text = String::from_utf8_lossy(&line);
            if text.trim_end() == wanted {
                let _ = tx.send(());
            }
            all.push_str(&text);
            line.clear();
        }
        all
    });
    if let Err(e) = rx.recv_timeout(PAUSE_TIMEOUT) {
        let _ = child.kill();
        let status = child.wait();
        panic!(
            "`goenv {}` did not pause at {point} ({e}; {status:?}):\n{}",
            args.join(" "),
            stderr.join().unwrap_or_default()
        );
    }
    Paused { child, stderr }
}

impl Paused {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL (what `Child::kill` sends on Unix); returns what goenv printed on stderr.
    #[track_caller]
    fn kill(mut self) -> String {
        self.child.kill().expect("SIGKILL");
        let status = self.child.wait().expect("wait for the killed goenv");
        assert_eq!(status.signal(), Some(9), "goenv died of SIGKILL, not {status:?}");
        self.stderr.join().expect("stderr reader")
    }
}

/// `blobs`, `journal`, `step-1` … `step-k`, `manifest`.
fn points(k: usize) -> Vec<String> {
    let steps = (1..=k).map(|n| format!("step-{n}"));
    ["blobs".to_owned(), "journal".to_owned()]
        .into_iter()
        .chain(steps)
        .chain(["manifest".to_owned()])
        .collect()
}

/// The changes in `Plan: a to add, b to change, c to remove.` (or `Rollback: …`).
#[track_caller]
fn change_count(text: &str, prefix: &str) -> usize {
    let line = text
        .lines()
        .find(|l| l.starts_with(prefix) && l.ends_with(" to remove."))
        .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{text}"));
    let numbers: Vec<usize> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert_eq!(numbers.len(), 3, "{line}");
    numbers.iter().sum()
}

// ---- what is on disk ---------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File { mode: u32, bytes: Vec<u8> },
    Link(String),
}

/// Every file and symlink under a home, by relative path. The test directory's absolute path
/// is replaced by `<DIR>` so that homes at different places compare.
type Snapshot = BTreeMap<String, Entry>;

fn replace_all(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

/// The files under the home, without goenv's state directory.
fn snapshot(env: &TestEnv) -> Snapshot {
    snapshot_of(env, false)
}

/// The files under the home, goenv's state directory included.
fn snapshot_all(env: &TestEnv) -> Snapshot {
    snapshot_of(env, true)
}

fn snapshot_of(env: &TestEnv, with_state: bool) -> Snapshot {
    let dir = env.dir.path().display().to_string();
    let home = env.home();
    let mut out = Snapshot::new();
    let mut todo = vec![home.clone()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(&home).unwrap().display().to_string();
            if !with_state && rel == ".local/state" {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                todo.push(path);
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap().display().to_string();
                out.insert(rel, Entry::Link(target.replace(&dir, "<DIR>")));
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let mode = meta.permissions().mode() & 0o7777;
                let bytes = replace_all(&bytes, dir.as_bytes(), b"<DIR>");
                out.insert(rel, Entry::File { mode, bytes });
            }
        }
    }
    out
}

fn describe(entry: Option<&Entry>) -> String {
    match entry {
        None => "absent".into(),
        Some(Entry::Link(target)) => format!("a symlink to {target}"),
        Some(Entry::File { mode, bytes }) => {
            format!("{:04o} {:?}", mode, String::from_utf8_lossy(bytes))
        }
    }
}

/// Equality, with a message naming each path that differs.
#[track_caller]
fn assert_same(actual: &Snapshot, expected: &Snapshot, what: &str) {
    if actual == expected {
        return;
    }
    let paths: BTreeSet<&String> = actual.keys().chain(expected.keys()).collect();
    let mut report = String::new();
    for p in paths {
        let (a, e) = (actual.get(p), expected.get(p));
        if a != e {
            report.push_str(&format!(
                "  {p}:\n    is        {}\n    should be {}\n",
                describe(a),
                describe(e)
            ));
        }
    }
    panic!("{what}: the home differs:\n{report}");
}

/// Within each file, never a mix: every path is wholly as in `old` or wholly as in `new`.
#[track_caller]
fn assert_each_file_old_or_new(actual: &Snapshot, old: &Snapshot, new: &Snapshot, what: &str) {
    let paths: BTreeSet<&String> = actual.keys().chain(old.keys()).chain(new.keys()).collect();
    for p in paths {
        let a = actual.get(p);
        assert!(
            a == old.get(p) || a == new.get(p),
            "{what}: `{p}` is {}\nold: {}\nnew: {}",
            describe(a),
            describe(old.get(p)),
            describe(new.get(p))
        );
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn state(env: &TestEnv) -> PathBuf {
    env.home().join(".local/state/goenv")
}

fn journal_path(env: &TestEnv) -> PathBuf {
    state(env).join("journal.toml")
}

/// Generation manifests on record, by number.
fn generations(env: &TestEnv) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir(state(env).join("generations")) else { return Vec::new() };
    let mut out: Vec<u32> = dir
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".toml")?.parse().ok()
        })
        .collect();
    out.sort_unstable();
    out
}

fn parse_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap();
    toml::from_str(&text)
        .unwrap_or_else(|e| panic!("`{}` is not TOML: {e}\n{text}", path.display()))
}

/// One journaled step: the path and its before- and after-hash (`None`: absent).
struct Step {
    path: String,
    before: Option<String>,
    after: Option<String>,
}

/// The journal's generation number and steps, if there is a journal.
fn journal(env: &TestEnv) -> Option<(i64, Vec<Step>)> {
    let path = journal_path(env);
    if !path.exists() {
        return None;
    }
    let table = parse_toml(&path);
    let generation = table["generation"].as_integer().expect("journal names its generation");
    let field = |t: &toml::Table, k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let steps = table
        .get("steps")
        .and_then(|s| s.as_array())
        .map(|steps| {
            steps
                .iter()
                .map(|s| {
                    let s = s.as_table().expect("a step is a table");
                    Step {
                        path: field(s, "path").expect("a step names its path"),
                        before: field(s, "before"),
                        after: field(s, "after"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Some((generation, steps))
}

/// The sha256 of what `path` holds now (through symlinks); `None` when absent.
fn current_hash(path: &str) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => Some(sha256_hex(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot read `{path}`: {e}"),
    }
}

fn collect_hashes(value: &toml::Value, out: &mut Vec<String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                match v {
                    toml::Value::String(h)
                        if matches!(k.as_str(), "before" | "after" | "original") =>
                    {
                        out.push(h.clone());
                    }
                    _ => collect_hashes(v, out),
                }
            }
        }
        toml::Value::Array(a) => a.iter().for_each(|v| collect_hashes(v, out)),
        _ => {}
    }
}

/// No blob is missing: every hash a generation manifest (or base.toml) or the journal names is
/// stored under `blobs/sha256/ab/cdef…` with that sha256; and no temporary file is left in the
/// store. Returns how many hashes were checked.
#[track_caller]
fn assert_store_consistent(env: &TestEnv, what: &str) -> usize {
    let root = state(env);
    let mut docs: Vec<PathBuf> = match std::fs::read_dir(root.join("generations")) {
        Ok(dir) => dir
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(_) => Vec::new(),
    };
    if journal_path(env).exists() {
        docs.push(journal_path(env));
    }
    let mut checked = 0;
    for doc in docs {
        let mut hashes = Vec::new();
        collect_hashes(&toml::Value::Table(parse_toml(&doc)), &mut hashes);
        for hash in hashes {
            assert!(
                hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
                "{what}: `{hash}` in `{}` is not a sha256",
                doc.display()
            );
            let blob = root.join("blobs/sha256").join(&hash[..2]).join(&hash[2..]);
            let bytes = std::fs::read(&blob).unwrap_or_else(|e| {
                panic!("{what}: blob {hash} named in `{}` is missing: {e}", doc.display())
            });
            assert_eq!(sha256_hex(&bytes), hash, "{what}: blob `{}` is corrupted", blob.display());
            checked += 1;
        }
    }
    let mut todo = vec![root];
    while let Some(d) = todo.pop() {
        let Ok(dir) = std::fs::read_dir(&d) else { continue };
        for e in dir {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(!name.starts_with(".goenv-"), "{what}: temporary file `{}`", path.display());
            // The trash holds whole SDK trees (with their `.goenv-sdk`), by descriptor hash.
            if path.is_dir() && path != state(env).join("trash") {
                todo.push(path);
            }
        }
    }
    checked
}

/// The recovery line goenv printed on stderr, if any.
fn recovery_line(stderr: &str) -> Option<&str> {
    stderr.lines().find(|l| l.starts_with("goenv: found"))
}

const INTERRUPTED: &str =
    "goenv: found an interrupted change; put every path it touched back as it was";
const NOTHING_WRITTEN: &str =
    "goenv: found an interrupted change that had not written any file yet; removed its journal";
const COMPLETED: &str = "goenv: found the journal of a change that had completed; removed it";

/// After a crash at `point` (of `k` steps), the journal must say exactly what the pause
/// point promises: the first n steps written, the rest not yet.
#[track_caller]
fn assert_journal_matches_point(env: &TestEnv, point: &str, k: usize, generation: i64) {
    let written = match point {
        "blobs" => {
            assert!(journal(env).is_none(), "{point}: no journal yet");
            return;
        }
        "journal" => 0,
        "manifest" => k,
        step => step.strip_prefix("step-").and_then(|n| n.parse().ok()).expect("a step point"),
    };
    let (number, steps) = journal(env).unwrap_or_else(|| panic!("{point}: a journal"));
    assert_eq!(number, generation, "{point}: the journal's generation");
    assert_eq!(steps.len(), k, "{point}: one step per change");
    for (i, step) in steps.iter().enumerate() {
        let want = if i < written { &step.after } else { &step.before };
        assert_eq!(
            &current_hash(&step.path),
            want,
            "{point}: `{}` (step {}) should be its {} content",
            step.path,
            i + 1,
            if i < written { "after" } else { "before" }
        );
    }
}

/// What recovery must print after a crash at `point`, given the journal left by the crash.
#[track_caller]
fn assert_recovery_message(stderr: &str, point: &str, steps: &[Step]) {
    let line = recovery_line(stderr);
    match point {
        "blobs" => assert_eq!(line, None, "{point}: no journal, nothing to recover:\n{stderr}"),
        "manifest" => assert_eq!(line, Some(COMPLETED), "{point}:\n{stderr}"),
        _ => {
            let written: usize = point.strip_prefix("step-").map_or(0, |n| n.parse().unwrap());
            let paths: Vec<&str> = steps[..written].iter().map(|s| s.path.as_str()).collect();
            let expected = if paths.is_empty() {
                NOTHING_WRITTEN.to_owned()
            } else {
                format!("{INTERRUPTED}: {}", paths.join(", "))
            };
            assert_eq!(line, Some(expected.as_str()), "{point}:\n{stderr}");
        }
    }
}

/// The home before and after a clean apply of the profile, and the number of changes.
struct Reference {
    before: Snapshot,
    after: Snapshot,
    changes: usize,
}

fn reference() -> Reference {
    let env = seeded();
    let before = snapshot(&env);
    let plan = run_ok(&env, &["plan", "profile.kdl"]);
    let changes = change_count(&plan.stdout, "Plan:");
    assert!(changes >= 6, "the profile touches at least six paths:\n{}", plan.stdout);
    assert!(!env.home().join(".local").exists(), "plan writes nothing");
    run_ok(&env, &["apply", "--yes", "profile.kdl"]);
    let after = snapshot(&env);
    let differ = after.iter().filter(|(p, e)| before.get(*p) != Some(e)).count();
    assert_eq!(differ, changes, "each change is one file's content");
    assert_eq!(generations(&env), [1]);
    let hashes = assert_store_consistent(&env, "clean apply");
    assert!(hashes >= changes, "the manifest names every after-content: {hashes} hashes");
    Reference { before, after, changes }
}

/// The machine is usable after recovery: apply succeeds, ends in the clean-apply state, and
/// a plan then finds nothing to do.
#[track_caller]
fn assert_apply_then_nothing_to_do(env: &TestEnv, reference: &Reference, what: &str) {
    run_ok(env, &["apply", "--yes", "profile.kdl"]);
    assert_same(&snapshot(env), &reference.after, &format!("{what}, then apply"));
    let out = run(env, &["plan", "--detailed-exitcode", "profile.kdl"]);
    assert_eq!(out.code, Some(0), "{what}: plan after apply:\n{}{}", out.stdout, out.stderr);
    assert!(!journal_path(env).exists(), "{what}: no journal left");
    assert_store_consistent(env, &format!("{what}, then apply"));
}

// ---- the tests ---------------------------------------------------------------------------

#[test]
fn sigkill_at_every_point_of_an_apply_leaves_every_file_wholly_old_or_new() {
    let reference = reference();
    let k = reference.changes;
    // Recovery is what every command does first: take turns.
    let recoverers: [&[&str]; 5] = [
        &["status"],
        &["status", "profile.kdl"],
        &["plan", "profile.kdl"],
        &["generations"],
        &["check", "profile.kdl"],
    ];
    for (i, point) in points(k).iter().enumerate() {
        let point = point.as_str();
        let env = seeded();
        assert_same(&snapshot(&env), &reference.before, "a fresh copy");

        let paused = start_paused(&env, &["apply", "--yes", "profile.kdl"], point);
        paused.kill();
        let crashed = snapshot(&env);
        assert_each_file_old_or_new(
            &without_companions(&crashed),
            &reference.before,
            &reference.after,
            point,
        );
        assert_journal_matches_point(&env, point, k, 1);
        assert_eq!(generations(&env), if point == "manifest" { vec![1] } else { vec![] });
        assert_store_consistent(&env, &format!("{point}, before recovery"));
        if point == "blobs" {
            // Every before-content is stored before anything else happens.
            for (p, e) in &reference.before {
                if let Entry::File { bytes, .. } = e
                    && reference.after.get(p) != Some(e)
                {
                    let hash = sha256_hex(bytes);
                    let blob = state(&env).join("blobs/sha256").join(&hash[..2]).join(&hash[2..]);
                    assert!(blob.is_file(), "{point}: the before-content of `{p}` is stored");
                }
            }
        }
        let steps = journal(&env).map(|(_, s)| s).unwrap_or_default();

        let command = recoverers[i % recoverers.len()];
        let out = run(&env, command);
        let complete = point == "manifest";
        let pending = command == ["status", "profile.kdl"] && !complete;
        assert_eq!(
            out.code,
            Some(if pending { 2 } else { 0 }),
            "{point}: `goenv {}`:\n{}{}",
            command.join(" "),
            out.stdout,
            out.stderr
        );
        assert_recovery_message(&out.stderr, point, &steps);
        assert!(!journal_path(&env).exists(), "{point}: the journal is gone after recovery");
        assert_eq!(temporaries(&env), Vec::<String>::new(), "{point}: companions removed");
        let recovered = snapshot(&env);
        if complete {
            assert_same(&recovered, &reference.after, "manifest written: the change stands");
        } else {
            assert_same(&recovered, &reference.before, &format!("killed at {point}"));
        }
        assert_eq!(generations(&env), if complete { vec![1] } else { vec![] });
        assert_store_consistent(&env, &format!("{point}, after recovery"));
        // Recovering twice is a no-op.
        let again = run_ok(&env, &["generations"]);
        assert_eq!(
            recovery_line(&again.stderr),
            None,
            "{point}: recovered once:\n{}",
            again.stderr
        );

        assert_apply_then_nothing_to_do(&env, &reference, &format!("killed at {point}"));
        assert_eq!(generations(&env), [1], "{point}: exactly one generation in the end");
    }
}

#[test]
fn sigkill_during_a_rollback_leaves_every_file_as_before_the_rollback() {
    let reference = reference();
    // How many paths a rollback of the apply changes.
    let probe = seeded();
    run_ok(&probe, &["apply", "--yes", "profile.kdl"]);
    let rollback = run_ok(&probe, &["rollback", "--yes"]);
    let k = change_count(&rollback.stderr, "Rollback:");
    assert_same(&snapshot(&probe), &reference.before, "a clean rollback");

    // step-1 first: the case that matters most; then every other point.
    let mut all = points(k);
    all.retain(|p| p != "step-1");
    all.insert(0, "step-1".to_owned());
    for point in &all {
        let point = point.as_str();
        let env = seeded();
        run_ok(&env, &["apply", "--yes", "profile.kdl"]);
        assert_same(&snapshot(&env), &reference.after, "applied");

        let paused = start_paused(&env, &["rollback", "--yes"], point);
        let stderr = paused.kill();
        assert!(stderr.contains("Rollback: undo generation 1."), "{point}:\n{stderr}");
        let crashed = snapshot(&env);
        assert_each_file_old_or_new(
            &without_companions(&crashed),
            &reference.after,
            &reference.before,
            point,
        );
        assert_journal_matches_point(&env, point, k, 2);
        let steps = journal(&env).map(|(_, s)| s).unwrap_or_default();
        assert_store_consistent(&env, &format!("rollback {point}, before recovery"));

        let out = run(&env, &["status"]);
        assert_eq!(out.code, Some(0), "rollback {point}: status:\n{}{}", out.stdout, out.stderr);
        assert_recovery_message(&out.stderr, point, &steps);
        assert!(!journal_path(&env).exists(), "rollback {point}: journal gone");
        assert_store_consistent(&env, &format!("rollback {point}, after recovery"));
        let complete = point == "manifest";
        if complete {
            assert_same(&snapshot(&env), &reference.before, "rollback manifest: it stands");
            assert_eq!(generations(&env), [1, 2]);
        } else {
            let what = format!("rollback killed at {point}");
            assert_same(&snapshot(&env), &reference.after, &what);
            assert_eq!(generations(&env), [1]);
            // The rollback can be done again, completely.
            run_ok(&env, &["rollback", "--yes"]);
            assert_same(&snapshot(&env), &reference.before, &format!("{what}, rolled back"));
            assert_eq!(generations(&env), [1, 2]);
        }
        assert_store_consistent(&env, &format!("rollback {point}, rolled back"));
        assert_apply_then_nothing_to_do(&env, &reference, &format!("rollback killed at {point}"));
        assert_eq!(generations(&env), [1, 2, 3]);
    }
}

#[test]
fn a_second_goenv_fails_at_once_while_an_apply_holds_the_lock() {
    let reference = reference();
    let env = seeded();
    let paused = start_paused(&env, &["apply", "--yes", "profile.kdl"], "journal");
    let holder = format!("another goenv is running (pid {}: goenv apply)", paused.pid());
    let in_flight = snapshot_all(&env);

    // Another apply, a rollback, and a command that would recover: all refused at once,
    // naming the holder; none may touch the transaction in flight.
    let refused: [&[&str]; 3] =
        [&["apply", "--yes", "profile.kdl"], &["rollback", "--yes"], &["status", "profile.kdl"]];
    for args in refused {
        let started = Instant::now();
        let out = run(&env, args);
        let took = started.elapsed();
        let what = format!("`goenv {}` while an apply is paused", args.join(" "));
        assert_eq!(out.code, Some(1), "{what}:\n{}{}", out.stdout, out.stderr);
        assert!(took < Duration::from_secs(5), "{what} took {took:?}: it must not wait");
        assert!(
            out.stderr.contains(&holder),
            "{what} names the holder `{holder}`:\n{}",
            out.stderr
        );
        assert_same(&snapshot_all(&env), &in_flight, &format!("{what}: nothing changed"));
    }

    paused.kill();
    let out = run(&env, &["status"]);
    assert_eq!(out.code, Some(0), "status after the kill:\n{}{}", out.stdout, out.stderr);
    assert_eq!(recovery_line(&out.stderr), Some(NOTHING_WRITTEN), "{}", out.stderr);
    assert_same(&snapshot(&env), &reference.before, "killed while holding the lock");
    assert!(generations(&env).is_empty());
    assert_store_consistent(&env, "killed while holding the lock");
    assert_apply_then_nothing_to_do(&env, &reference, "killed while holding the lock");
    assert_eq!(generations(&env), [1]);
}

#[test]
fn two_applies_started_together_end_in_the_clean_state() {
    let reference = reference();
    for round in 0..6 {
        let env = seeded();
        let a = start(&env, &["apply", "--yes", "profile.kdl"]);
        let b = start(&env, &["apply", "--yes", "profile.kdl"]);
        let pids = [a.child.id(), b.child.id()];
        let outs = [a.finish(), b.finish()];
        for (i, out) in outs.iter().enumerate() {
            let what = format!("round {round}, apply {}", ["A", "B"][i]);
            match out.code {
                Some(0) => {}
                Some(1) => {
                    // Refused by the lock, naming the other (a refusal waits briefly for the
                    // name, which is written just after the lock is taken).
                    let other =
                        format!("another goenv is running (pid {}: goenv apply)", pids[1 - i]);
                    assert!(
                        out.stderr.contains(&other),
                        "{what} failed, but not on the lock:\n{}",
                        out.stderr
                    );
                }
                code => panic!("{what}: exit {code:?}:\n{}{}", out.stdout, out.stderr),
            }
        }
        assert!(outs.iter().any(|o| o.code == Some(0)), "round {round}: one apply succeeds");
        assert_same(&snapshot(&env), &reference.after, &format!("round {round}"));
        assert_eq!(generations(&env), [1], "round {round}: exactly one generation");
        assert!(!journal_path(&env).exists(), "round {round}: no journal left");
        assert_store_consistent(&env, &format!("round {round}"));
        let out = run(&env, &["plan", "--detailed-exitcode", "profile.kdl"]);
        assert_eq!(out.code, Some(0), "round {round}: plan:\n{}{}", out.stdout, out.stderr);
    }
}

// ---- effects: the live user manager ------------------------------------------------------

/// The seeded profile with a live session: a change of environment.d also changes the running
/// user manager's environment.
fn live_profile() -> String {
    PROFILE.replace("    session\n", "    session live=#true\n")
        + "service \"api.service\" restart=#true {\n    GOMEMLIMIT \"100MiB\"\n}\n"
}

/// The live profile changed: GREETING has a new value, GOGC is no longer exported (unset in the
/// manager), PATH has another entry, api.service another GOMEMLIMIT. Its apply runs four
/// effects: set-environment, unset-environment, daemon-reload, try-restart api.service.
fn live_profile_changed() -> String {
    live_profile()
        .replace("GREETING \"hello world\"", "GREETING \"goodbye\"")
        .replace("    GOGC \"200\"\n", "")
        .replace("~/tools/bin", "~/bin")
        .replace("100MiB", "200MiB")
}

/// What the manager has loaded for api.service, and what its running process was started with.
fn api_view(m: &UserManager) -> (String, String) {
    let pid = m.property("api.service", "MainPID");
    // A simple service's start completes at the fork: wait for the exec of `sleep`.
    let deadline = Instant::now() + RUN_TIMEOUT;
    while Instant::now() < deadline
        && !std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| c.starts_with(b"/bin/sleep"))
    {
        thread::sleep(Duration::from_millis(10));
    }
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    let limit = environ
        .split(|&b| b == 0)
        .find_map(|kv| kv.strip_prefix(b"GOMEMLIMIT="))
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default();
    (m.property("api.service", "Environment"), limit)
}

/// The manager's environment with the test directory written as `<DIR>`, so that managers of
/// different homes compare.
fn manager_env(m: &UserManager, env: &TestEnv) -> BTreeMap<String, String> {
    let dir = env.dir.path().display().to_string();
    m.systemctl_ok(&["show-environment"])
        .lines()
        // The manager adds it by itself once its bus socket is up: not goenv's.
        .filter(|l| !l.starts_with("DBUS_SESSION_BUS_ADDRESS="))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace(&dir, "<DIR>")))
        .collect()
}

/// A seeded home with its own user manager (on `<dir>/run`, which `goenv()` then uses) and the
/// live profile applied.
fn live_seeded() -> (TestEnv, UserManager) {
    let env = seeded();
    env.write("profile.kdl", &live_profile());
    let units = env.home().join(".config/systemd/user");
    std::fs::create_dir_all(&units).unwrap();
    std::fs::write(units.join("api.service"), "[Service]\nExecStart=/bin/sleep 600\n").unwrap();
    let manager = UserManager::start(&env.home(), &env.dir.path().join("run"));
    manager.systemctl_ok(&["start", "api.service"]);
    run_ok(&env, &["apply", "--yes", "profile.kdl"]);
    assert_eq!(api_view(&manager), ("GOMEMLIMIT=100MiB".into(), "100MiB".into()));
    env.write("profile.kdl", &live_profile_changed());
    (env, manager)
}

#[test]
fn sigkill_at_every_point_of_an_apply_with_effects_leaves_the_manager_matching_the_files() {
    // The reference: the change applied cleanly, and what it leaves.
    let (env, manager) = live_seeded();
    let old_files = snapshot(&env);
    let old_env = manager_env(&manager, &env);
    let plan = run_ok(&env, &["plan", "profile.kdl"]);
    assert!(plan.stdout.contains("> effect:systemd-user/set-environment\n"), "{}", plan.stdout);
    assert!(plan.stdout.contains("> effect:systemd-user/unset-environment\n"), "{}", plan.stdout);
    let summary = plan.stdout.lines().find(|l| l.starts_with("Plan:")).expect("a summary");
    assert!(summary.ends_with(", 4 to run."), "{summary}");
    let numbers: Vec<usize> = summary
        .split_whitespace()
        .filter_map(|w| w.trim_end_matches([',', '.']).parse().ok())
        .collect();
    let k = numbers[..3].iter().sum();
    let out = run_ok(&env, &["apply", "--yes", "profile.kdl"]);
    assert!(out.stderr.contains("systemctl --user unset-environment GOGC"), "{}", out.stderr);
    let new_files = snapshot(&env);
    let new_env = manager_env(&manager, &env);
    assert_ne!(old_env, new_env);
    let old_api = ("GOMEMLIMIT=100MiB".to_owned(), "100MiB".to_owned());
    let new_api = ("GOMEMLIMIT=200MiB".to_owned(), "200MiB".to_owned());
    assert_eq!(api_view(&manager), new_api);
    assert_eq!(new_env.get("GREETING").map(String::as_str), Some("goodbye"));
    assert!(!new_env.contains_key("GOGC"));
    drop(manager);

    let mut all = points(k);
    let manifest = all.pop().unwrap();
    all.extend(["effects", "effect-1", "effect-2", "effect-3", "effect-4"].map(String::from));
    all.push(manifest);
    for point in &all {
        let point = point.as_str();
        let (env, manager) = live_seeded();
        assert_same(&snapshot(&env), &old_files, &format!("{point}: a fresh copy"));
        assert_eq!(manager_env(&manager, &env), old_env, "{point}: a fresh manager");

        let paused = start_paused(&env, &["apply", "--yes", "profile.kdl"], point);
        paused.kill();
        let crashed = manager_env(&manager, &env);
        match point {
            "effect-1" => {
                assert_eq!(crashed.get("GREETING").map(String::as_str), Some("goodbye"));
                assert!(crashed.contains_key("GOGC"), "{point}: the second effect had not run");
            }
            "effect-2" | "effect-3" | "effect-4" | "manifest" => {
                assert_eq!(crashed, new_env, "{point}")
            }
            _ => assert_eq!(crashed, old_env, "{point}: no effect had run"),
        }
        let api = api_view(&manager);
        match point {
            // The unset reloaded the manager (the generator had set GOGC), so the new drop-in
            // is loaded from then on; the process restarts only at the fourth effect.
            "effect-2" | "effect-3" => {
                assert_eq!(api, ("GOMEMLIMIT=200MiB".into(), "100MiB".into()), "{point}")
            }
            "effect-4" | "manifest" => assert_eq!(api, new_api, "{point}"),
            _ => assert_eq!(api, old_api, "{point}: not reloaded yet"),
        }

        let out = run(&env, &["status"]);
        assert_eq!(out.code, Some(0), "{point}: status:\n{}{}", out.stdout, out.stderr);
        assert!(!journal_path(&env).exists(), "{point}: the journal is gone");
        let complete = point == "manifest";
        let (files, manager_view) =
            if complete { (&new_files, &new_env) } else { (&old_files, &old_env) };
        assert_same(&snapshot(&env), files, &format!("{point}, after recovery"));
        assert_eq!(
            &manager_env(&manager, &env),
            manager_view,
            "{point}: the manager after recovery"
        );
        let undid = out.stderr.lines().find(|l| l.starts_with("goenv: undid its effects"));
        match point {
            "blobs" | "manifest" => assert_eq!(undid, None, "{point}:\n{}", out.stderr),
            _ => assert_eq!(
                undid,
                Some(
                    "goenv: undid its effects on the user manager: systemctl --user \
                     set-environment PATH GREETING, systemctl --user set-environment GOGC, \
                     systemctl --user daemon-reload, systemctl --user try-restart api.service"
                ),
                "{point}:\n{}",
                out.stderr
            ),
        }
        assert_store_consistent(&env, &format!("{point}, after recovery"));

        // Usable: the change applies, and the manager ends as after a clean apply.
        run_ok(&env, &["apply", "--yes", "profile.kdl"]);
        assert_same(&snapshot(&env), &new_files, &format!("{point}, then apply"));
        assert_eq!(manager_env(&manager, &env), new_env, "{point}, then apply");
        assert_eq!(api_view(&manager), new_api, "{point}, then apply");
    }
}

// ---- every system call: strace's fault injection ----------------------------------------

/// The system calls through which goenv changes the disk, or opens what it reads, and the
/// errors each is failed with: invocation N gets error N modulo their number (so neighbouring
/// invocations get different errors), and each invocation is also made to kill goenv (SIGKILL
/// on entry, before the call runs). `EINVAL` on `renameat2` is what a file system without
/// `RENAME_EXCHANGE` says.
const INJECTED: &[(&str, &[&str])] = &[
    ("openat", &["ENOSPC", "EACCES", "EIO"]),
    ("write", &["ENOSPC", "EIO"]),
    ("fsync", &["EIO", "ENOSPC"]),
    ("rename", &["EXDEV", "EACCES", "ENOSPC"]),
    ("renameat2", &["EXDEV", "ENOSPC", "EINVAL"]),
    ("unlink", &["EACCES", "EIO"]),
    ("mkdir", &["ENOSPC", "EACCES"]),
    ("symlink", &["ENOSPC", "EIO"]),
    ("fchmod", &["EPERM"]),
];

/// What one injected run must leave.
#[derive(Clone, Copy)]
struct Scenario<'a> {
    name: &'a str,
    args: &'a [&'a str],
    /// The home before the command, and what the command makes of it.
    old: &'a Snapshot,
    new: &'a Snapshot,
    /// Makes a fresh home in the `old` state.
    setup: &'a dyn Fn() -> TestEnv,
    /// How many generations that home has.
    generations: usize,
}

/// How many times the main thread of `args` calls each syscall of [`INJECTED`].
fn count_syscalls(scenario: Scenario) -> BTreeMap<String, usize> {
    let env = (scenario.setup)();
    let log = env.dir.path().join("strace.log");
    let names: Vec<&str> = INJECTED.iter().map(|(s, _)| *s).collect();
    let out = traced(
        &env,
        scenario.args,
        &["-o", log.to_str().unwrap(), "-e", &format!("trace={}", names.join(","))],
    );
    assert_eq!(
        out.code,
        Some(0),
        "{}: untouched run:\n{}{}",
        scenario.name,
        out.stdout,
        out.stderr
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let main = text.split_whitespace().next().expect("a traced call").to_owned();
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(&main).map(str::trim_start) else { continue };
        // `<... write resumed>` continues a call already counted.
        if let Some((name, _)) = rest.split_once('(')
            && names.contains(&name)
        {
            *counts.entry(name.to_owned()).or_insert(0) += 1;
        }
    }
    counts
}

/// goenv under `strace -f` with extra strace arguments; its own output only.
fn traced(env: &TestEnv, args: &[&str], strace: &[&str]) -> Outcome {
    let inner = goenv(env, args);
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq"]).args(strace).arg("--").arg(inner.get_program());
    cmd.args(inner.get_args()).current_dir(env.dir.path()).env_clear();
    for (k, v) in inner.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let out =
        cmd.stdin(Stdio::null()).output().expect("strace runs (scripts/fixtures installs it)");
    Outcome {
        code: out.status.code().or(out.status.signal().map(|s| 128 + s)),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What a failing goenv says when it could not put every file back.
fn says_partly_changed(stderr: &str) -> bool {
    stderr.contains("some files may already be changed")
        || stderr.contains("journal of the change is kept")
}

/// Every path under the home named like a goenv temporary file or companion, goenv's own
/// permanent names (`.goenv-sdk`, `.goenv-trash`) aside.
fn temporaries(env: &TestEnv) -> Vec<String> {
    let home = env.home();
    let mut out = Vec::new();
    let mut todo = vec![home.clone()];
    while let Some(d) = todo.pop() {
        let Ok(dir) = std::fs::read_dir(&d) else { continue };
        for e in dir.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let permanent = name == ".goenv-sdk" || name == ".goenv-trash";
            if name.contains(".goenv-") && !permanent || name.starts_with(".partial-") {
                out.push(path.strip_prefix(&home).unwrap().display().to_string());
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The home without what no user owns: goenv's state and its download cache.
fn user_files(env: &TestEnv) -> Snapshot {
    let mut s = snapshot(env);
    s.retain(|p, _| !p.starts_with(".cache/goenv"));
    s
}

/// Per syscall: how many invocations were tried, and how many runs (one per injection) held.
type Tally = BTreeMap<String, (usize, usize)>;

/// Fails, or kills, every invocation of every syscall of [`INJECTED`] in turn, and checks:
/// a run that exits 0 changed everything, a run that fails changed nothing unless it says
/// exactly that it did, a killed run left each file wholly old or new, and after the next
/// command (which recovers) the home is wholly old, or wholly new when the change was
/// recorded, with no temporary file anywhere and every blob in place.
fn inject_everywhere(scenario: Scenario, tally: &mut Tally) {
    let counts = count_syscalls(scenario);
    assert!(
        counts.values().sum::<usize>() > 50,
        "{}: strace saw the calls: {counts:?}",
        scenario.name
    );
    for (syscall, errors) in INJECTED {
        let n = counts.get(*syscall).copied().unwrap_or(0);
        for when in 1..=n {
            let error = errors[when % errors.len()];
            let faults = ["signal=KILL".to_owned(), format!("error={error}")];
            for fault in faults {
                let what = format!("{} with {syscall} #{when} {fault}", scenario.name);
                let env = (scenario.setup)();
                let inject = format!("inject={syscall}:{fault}:when={when}");
                let out = traced(
                    &env,
                    scenario.args,
                    &["-o", "/dev/null", "-e", &format!("trace={syscall}"), "-e", &inject],
                );
                let killed = fault == "signal=KILL";
                let after = user_files(&env);
                if killed {
                    assert_each_file_old_or_new(
                        &without_companions(&after),
                        scenario.old,
                        scenario.new,
                        &what,
                    );
                } else if out.code == Some(0) {
                    // A change that succeeded is complete (a tidying step may only warn).
                    assert_same(&without_companions(&after), scenario.new, &what);
                } else if !says_partly_changed(&out.stderr) {
                    assert_same(
                        &after,
                        scenario.old,
                        &format!("{what}: failed, so nothing changed\n{}", out.stderr),
                    );
                }
                let recovered = run(&env, &["status"]);
                assert!(
                    matches!(recovered.code, Some(0 | 2)),
                    "{what}: status after it:\n{}{}",
                    recovered.stdout,
                    recovered.stderr
                );
                let recorded = generations(&env).len() > scenario.generations;
                let expected = if recorded { scenario.new } else { scenario.old };
                assert_same(
                    &without_companions(&user_files(&env)),
                    expected,
                    &format!("{what}, then recovered (exit {:?}):\n{}", out.code, out.stderr),
                );
                if !killed {
                    assert_eq!(
                        recorded,
                        out.code == Some(0),
                        "{what}: exit {:?} but recorded={recorded}:\n{}",
                        out.code,
                        out.stderr
                    );
                }
                // No companion: recovery removes each by name. Anything else (a partial
                // download, an SDK being unpacked, a store file being written: nothing of
                // the user's) only as `status` lists it, for the next apply or gc.
                for t in temporaries(&env) {
                    let name = t.rsplit('/').next().unwrap_or(&t);
                    assert!(
                        !is_companion(name) && recovered.stdout.contains(name),
                        "{what}: `{t}` left after recovery, and status says:\n{}{}",
                        recovered.stdout,
                        recovered.stderr
                    );
                }
                assert!(!journal_path(&env).exists(), "{what}: journal left after recovery");
                if !temporaries(&env).is_empty() {
                    run_ok(&env, &["gc"]);
                    assert_eq!(temporaries(&env), Vec::<String>::new(), "{what}: gc removes them");
                }
                assert_store_consistent(&env, &what);
                let entry = tally.entry((*syscall).to_owned()).or_insert((0, 0));
                entry.1 += 1;
            }
            tally.get_mut(*syscall).expect("counted").0 += 1;
        }
    }
}

/// A snapshot without what a killed goenv leaves for the next one: companions (for recovery),
/// SDKs being unpacked, tool builds and partial downloads (for the next apply or gc).
fn without_companions(s: &Snapshot) -> Snapshot {
    let mut s = s.clone();
    s.retain(|p, _| {
        !p.split('/').any(|c| {
            is_companion(c)
                || c.starts_with(".goenv-staging-")
                || c.starts_with(".goenv-build-")
                || c.starts_with(".partial-")
        })
    });
    s
}

/// `.goenv-<generation>-<step>`: a transaction step's companion file.
fn is_companion(name: &str) -> bool {
    name.strip_prefix(".goenv-").and_then(|r| r.split_once('-')).is_some_and(|(g, i)| {
        !g.is_empty()
            && !i.is_empty()
            && g.bytes().all(|b| b.is_ascii_digit())
            && i.bytes().all(|b| b.is_ascii_digit())
    })
}
/// Prints the figures for the closing note: per syscall, invocations tried and runs that held.
fn report(name: &str, tally: &Tally, started: Instant) {
    let runs: usize = tally.values().map(|(_, r)| r).sum();
    let per: Vec<String> =
        tally.iter().map(|(s, (n, r))| format!("{s} {n} calls/{r} runs")).collect();
    eprintln!("{name}: {runs} injected runs held in {:.1?}: {}", started.elapsed(), per.join(", "));
}

#[test]
fn every_syscall_of_an_apply_failed_or_killed_leaves_the_home_wholly_old_or_new() {
    let started = Instant::now();
    let reference = reference();
    let setup = seeded;
    let mut tally = Tally::new();
    let scenario = Scenario {
        name: "apply",
        args: &["apply", "--yes", "profile.kdl"],
        old: &reference.before,
        new: &reference.after,
        setup: &setup,
        generations: 0,
    };
    inject_everywhere(scenario, &mut tally);
    report("apply", &tally, started);
}

#[test]
fn every_syscall_of_a_rollback_failed_or_killed_leaves_the_home_wholly_old_or_new() {
    let started = Instant::now();
    let reference = reference();
    let setup = || {
        let env = seeded();
        run_ok(&env, &["apply", "--yes", "profile.kdl"]);
        env
    };
    let mut tally = Tally::new();
    let scenario = Scenario {
        name: "rollback",
        args: &["rollback", "--yes"],
        old: &reference.after,
        new: &reference.before,
        setup: &setup,
        generations: 1,
    };
    inject_everywhere(scenario, &mut tally);
    report("rollback", &tally, started);
}

#[test]
fn every_syscall_of_an_sdk_install_failed_or_killed_leaves_the_home_wholly_old_or_new() {
    let started = Instant::now();
    let server = common::goserver::GoServer::start();
    server.add_fake_sdk("1.99.1");
    let profile = format!(
        "version 1\ngo \"1.99.1\" {{\n    mirror \"{}\"\n    index \"{}\"\n}}\nshells \"bash\"\n",
        server.url(),
        server.index_url()
    );
    let setup = || {
        let env = TestEnv::new();
        std::fs::create_dir_all(env.home()).unwrap();
        std::fs::write(env.home().join(".bashrc"), b"# mine\n").unwrap();
        env.write("profile.kdl", &profile);
        env
    };
    let probe = setup();
    let old = user_files(&probe);
    run_ok(&probe, &["apply", "--yes", "profile.kdl"]);
    let new = user_files(&probe);
    assert!(new.keys().any(|p| p.starts_with("sdk/go1.99.1/")), "the SDK is installed: {new:?}");
    let mut tally = Tally::new();
    let scenario = Scenario {
        name: "sdk install",
        args: &["apply", "--yes", "profile.kdl"],
        old: &old,
        new: &new,
        setup: &setup,
        generations: 0,
    };
    inject_everywhere(scenario, &mut tally);
    report("sdk install", &tally, started);
}

/// The lost-update race: a writer saves the Go env file over and over (an editor's save by
/// rename, then a `go env -w`-style write in place, in turn) while applies that rewrite it run
/// back to back. The writer saves its next value only once goenv has stored the last one (or
/// the applies are over), so every value's fate is goenv's doing: each must be on disk at the
/// end or stored as a blob (the before-content of the apply that replaced it), never
/// overwritten unseen.
#[test]
fn a_writer_saving_a_managed_file_while_applies_run_never_loses_a_write() {
    let env = TestEnv::new();
    let go_env = env.home().join(".config/go/env");
    std::fs::create_dir_all(go_env.parent().unwrap()).unwrap();
    std::fs::write(&go_env, b"GOXW=0\n").unwrap();
    for (name, host) in [("a.kdl", "a.example"), ("b.kdl", "b.example")] {
        env.write(name, &format!("version 1\ngo-env {{\n    GOPRIVATE \"{host}\"\n}}\n"));
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let blobs = state(&env).join("blobs/sha256");
    let writer = {
        let (done, path, blobs) = (done.clone(), go_env.clone(), blobs.clone());
        thread::spawn(move || {
            let mut written = Vec::new();
            let mut i = 1u32;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let value = format!("GOXW={i}\n");
                if i.is_multiple_of(2) {
                    let tmp = path.with_file_name("env.editor-save");
                    std::fs::write(&tmp, &value).unwrap();
                    std::fs::rename(&tmp, &path).unwrap();
                    written.push((value.clone(), false));
                } else {
                    // As `go env -w` does: open, truncate, write, in place. A write issued
                    // through a descriptor whose file goenv had already replaced and finished
                    // with goes to a file with no name: no program can keep that one (an
                    // editor's save does the same to it), and the writer knows it happened.
                    use std::io::Write as _;
                    use std::os::unix::fs::MetadataExt as _;
                    let mut file = std::fs::File::create(&path).unwrap();
                    file.write_all(value.as_bytes()).unwrap();
                    let orphaned = file.metadata().unwrap().nlink() == 0;
                    written.push((value.clone(), orphaned));
                }
                // Wait for goenv to store it (as the before-content of an apply that read
                // it) or for the applies to end: the writer never overwrites a value of its
                // own that goenv has not seen, so a value neither stored nor on disk in the
                // end was replaced unseen. (Waiting until the file changes would be fooled by
                // goenv swapping a file in and at once back out.)
                let hash = sha256_hex(value.as_bytes());
                let blob = blobs.join(&hash[..2]).join(&hash[2..]);
                while !done.load(std::sync::atomic::Ordering::SeqCst) && !blob.is_file() {
                    thread::sleep(Duration::from_micros(200));
                }
                // Land the next save anywhere in the next apply: a cheap spread of delays.
                thread::sleep(Duration::from_micros(u64::from(i.wrapping_mul(7919) % 40_000)));
                i += 1;
            }
            written
        })
    };
    let (mut applied, mut refused) = (0, 0);
    for n in 0..100 {
        let profile = if n % 2 == 0 { "a.kdl" } else { "b.kdl" };
        let out = run(&env, &["apply", "--yes", profile]);
        match out.code {
            Some(0) => applied += 1,
            Some(_) if out.stderr.contains("changed since the plan was made") => refused += 1,
            other => panic!("apply {n}: exit {other:?}:\n{}{}", out.stdout, out.stderr),
        }
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let written: Vec<(String, bool)> = writer.join().expect("the writer");
    let on_disk = std::fs::read(&go_env).unwrap();
    let orphaned = written.iter().filter(|(_, o)| *o).count();
    let lost: Vec<&String> = written
        .iter()
        .filter(|(v, orphaned)| {
            let hash = sha256_hex(v.as_bytes());
            !orphaned
                && on_disk != v.as_bytes()
                && !blobs.join(&hash[..2]).join(&hash[2..]).is_file()
        })
        .map(|(v, _)| v)
        .collect();
    eprintln!(
        "race: {} writes ({orphaned} into a file already replaced), {applied} applies, {refused} \
         refused because the file changed",
        written.len()
    );
    assert!(written.len() > 10 && applied > 10, "the race ran: {} writes", written.len());
    assert_eq!(lost, Vec::<&String>::new(), "writes neither on disk nor in a blob");
    assert_eq!(temporaries(&env), Vec::<String>::new(), "no temporary file left");
    assert_store_consistent(&env, "race");
}

/// A FIFO where a start-up file is expected: plan and apply finish (an open for reading would
/// wait for a writer forever), refuse with the path named, and write nothing.
#[test]
fn a_fifo_at_bashrc_is_refused_by_plan_and_apply_without_hanging() {
    let env = seeded();
    let bashrc = env.home().join(".bashrc");
    std::fs::remove_file(&bashrc).unwrap();
    let made = Command::new("mkfifo").arg(&bashrc).status().expect("mkfifo runs");
    assert!(made.success());
    for args in [&["plan", "profile.kdl"][..], &["apply", "--yes", "profile.kdl"]] {
        let out = run(&env, args);
        assert_eq!(out.code, Some(1), "`goenv {}`:\n{}{}", args.join(" "), out.stdout, out.stderr);
        assert!(out.stderr.contains(".bashrc"), "names the file:\n{}", out.stderr);
        assert!(out.stderr.contains("not a regular file"), "says why:\n{}", out.stderr);
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&bashrc).unwrap().file_type().is_fifo(), "left alone");
    assert!(!env.home().join(".config/goenv").exists(), "nothing written");
    assert_eq!(
        std::fs::read(env.home().join(".profile")).unwrap(),
        b"# profile\nexport EDITOR=vi\n"
    );
    assert_eq!(generations(&env), Vec::<u32>::new());
}
