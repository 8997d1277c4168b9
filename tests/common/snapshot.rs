//! Whole-output snapshots: run the built goenv on a temporary home with the clock pinned, and
//! record its exit code, stdout and stderr as one text that `insta` compares with
//! `tests/snapshots/*.snap`.
//!
//! ```text
//! exit: 0
//! --- stdout
//! …
//! --- stderr
//! …
//! ```
//!
//! Pinning comes first, filtering second: the clock is pinned (`TEST_GOENV_NOW`), the platform
//! can be (`run_linux_amd64`), the environment is empty but for PATH and NO_COLOR, and the
//! temporary directory always has the same length, `/tmp/.tmpXXXXXX` (goenv's error messages
//! are wrapped at 80 columns, and `gc` counts the bytes of backups that hold the home path: both
//! must not depend on `$TMPDIR`). What cannot be pinned is filtered, deterministically:
//! the state directory → `[STATE]`, the home → `[HOME]`, the test directory → `[TMP]`,
//! `pid N` → `pid [PID]`, sha256 hex → `[SHA256]`, and any time other than the pinned one →
//! `[TIME]` (the pinned time itself stays, so a clock that stops being pinned fails the
//! snapshot instead of being filtered away).
//!
//! What insta would otherwise hide or garble is made visible: a carriage return is written `␍`
//! (insta reads CRLF as LF), a byte that is not UTF-8 `\xNN`, and a stream without a final
//! newline ends with `[no final newline]` (insta ignores trailing newlines).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::TestEnv;

/// The pinned clock, in seconds since the Unix epoch, and as goenv prints it.
pub const NOW: u64 = 1_796_140_800;
pub const NOW_RFC3339: &str = "2026-12-01T16:00:00Z";

/// Where snapshot homes live: a fixed directory, not `$TMPDIR`, so every path has the same
/// length everywhere (`/tmp/.tmpXXXXXX`).
const TMP_ROOT: &str = "/tmp";

/// How long a goenv may take to reach a pause point.
const PAUSE_TIMEOUT: Duration = Duration::from_secs(30);

/// One goenv run, recorded: the text to snapshot and what insta must filter in it.
pub struct Recording {
    pub text: String,
    pub code: Option<i32>,
    /// The command line, without `--home`, for the snapshot's description.
    pub command: String,
    filters: Vec<(String, String)>,
}

impl Recording {
    /// The insta settings for this recording: its filters and description.
    pub fn settings(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        settings.set_description(self.command.clone());
        settings.set_omit_expression(true);
        for (regex, replacement) in &self.filters {
            settings.add_filter(regex, replacement.clone());
        }
        settings
    }
}

/// `snapshot!("name", env.run(&[…]))`: asserts the whole recording against
/// `tests/snapshots/<test file>__name.snap`, with the recording's filters.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $recording:expr) => {{
        let recording: $crate::common::snapshot::Recording = $recording;
        recording.settings().bind(|| {
            insta::assert_snapshot!($name, recording.text.as_str());
        });
    }};
}

impl TestEnv {
    /// A test environment whose directory is `/tmp/.tmpXXXXXX` (see `TMP_ROOT`).
    pub fn for_snapshots() -> Self {
        Self { dir: tempfile::tempdir_in(TMP_ROOT).expect("temporary directory in /tmp") }
    }

    /// goenv with `--home`, from the test directory, with an empty environment but for PATH,
    /// NO_COLOR and the pinned clock; stdin is not a terminal.
    pub fn snapshot_command(&self, args: &[&str]) -> Command {
        let mut cmd = self.bare_command();
        cmd.arg("--home").arg(self.home()).args(args);
        cmd
    }

    /// Like `snapshot_command` but without `--home` and without arguments: for the runs that
    /// must not pass `--home` (they set HOME themselves).
    pub fn bare_command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_goenv"));
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("NO_COLOR", "1")
            .env("TEST_GOENV_NOW", NOW.to_string())
            .env("TEST_GOENV_DPKG_INFO", self.dir.path().join("no-dpkg"))
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `goenv --home HOME ARGS…` and records the whole result.
    pub fn run(&self, args: &[&str]) -> Recording {
        let output = self.snapshot_command(args).output().expect("goenv runs");
        self.record(&args.join(" "), &output)
    }

    /// `run` with the platform pinned to linux/amd64, for the commands that print it and
    /// accept `--os`/`--arch` (`check`, `plan`); `apply` refuses a platform it is not on.
    pub fn run_linux_amd64(&self, args: &[&str]) -> Recording {
        let mut all = vec!["--os", "linux", "--arch", "amd64"];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// Runs a prepared command and records it; `command` describes it in the snapshot.
    pub fn run_command(&self, command: &str, mut cmd: Command) -> Recording {
        let output = cmd.output().expect("goenv runs");
        self.record(command, &output)
    }

    /// Runs goenv for a step the snapshot does not cover, which must succeed.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) {
        let recording = self.run(args);
        assert_eq!(recording.code, Some(0), "`goenv {}`:\n{}", recording.command, recording.text);
    }

    /// Starts goenv with `TEST_GOENV_PAUSE_AT=point`, waits until it says it paused there, and
    /// kills it with SIGKILL: what a crash at that point leaves behind.
    #[track_caller]
    pub fn kill_at(&self, args: &[&str], point: &str) {
        let mut child = self
            .snapshot_command(args)
            .env("TEST_GOENV_PAUSE_AT", point)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("goenv starts");
        let pipe = child.stderr.take().expect("stderr is piped");
        let wanted = format!("goenv: paused at {point}");
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if line == wanted {
                    let _ = tx.send(());
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let paused = rx.recv_timeout(PAUSE_TIMEOUT);
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait for goenv");
        let stderr = reader.join().unwrap_or_default();
        let command = args.join(" ");
        assert!(paused.is_ok(), "`goenv {command}` did not pause at {point} ({status}):\n{stderr}");
    }

    /// The state directory, `~/.local/state/goenv`.
    pub fn state(&self) -> PathBuf {
        self.home().join(".local/state/goenv")
    }

    fn record(&self, command: &str, output: &Output) -> Recording {
        // Every JSON document a snapshot records conforms to its schema.
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&output.stdout)
            && json.get("schema").is_some()
        {
            super::schemas::assert_valid(&json);
        }
        // Every markdown plan a snapshot records renders on GitHub as meant.
        if command.contains("--format markdown") && output.status.success() {
            super::markdown::assert_renders(&String::from_utf8_lossy(&output.stdout));
        }
        let mut text = match output.status.code() {
            Some(code) => format!("exit: {code}\n"),
            None => format!("exit: none ({})\n", output.status),
        };
        for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            text.push_str(&format!("--- {name}\n"));
            text.push_str(&visible(bytes));
        }
        Recording {
            text,
            code: output.status.code(),
            command: format!("goenv {command}"),
            filters: self.filters(),
        }
    }

    /// The filters, most specific first: insta applies them in order.
    fn filters(&self) -> Vec<(String, String)> {
        let mut filters = Vec::new();
        // The pinned time is kept as it is; any other time is a clock that was not pinned.
        filters.push((regex_escape(NOW_RFC3339), "<<pinned-now>>".to_owned()));
        filters.push((
            r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})".to_owned(),
            "[TIME]".to_owned(),
        ));
        filters.push(("<<pinned-now>>".to_owned(), NOW_RFC3339.to_owned()));
        for dir in variants(self.dir.path()) {
            let home = dir.join("home");
            filters.push((
                regex_escape(&path_str(&home.join(".local/state/goenv"))),
                "[STATE]".into(),
            ));
            filters.push((regex_escape(&path_str(&home)), "[HOME]".into()));
            filters.push((regex_escape(&path_str(&dir)), "[TMP]".into()));
        }
        filters.push((r"\bpid \d+".to_owned(), "pid [PID]".to_owned()));
        // Hashes of contents that hold a temporary path differ on every run.
        filters.push((r"\b[0-9a-f]{64}\b".to_owned(), "[SHA256]".to_owned()));
        filters
    }
}

/// The test directory as given and, when it differs, as resolved (a symlinked `/tmp`): goenv
/// prints canonical paths in some places.
fn variants(dir: &Path) -> Vec<PathBuf> {
    let mut all = vec![dir.to_path_buf()];
    if let Ok(real) = std::fs::canonicalize(dir)
        && real != dir
    {
        all.push(real);
    }
    all
}

fn path_str(path: &Path) -> String {
    path.to_str().expect("temporary paths are UTF-8").to_owned()
}

/// `s` as a regular expression matching exactly `s`.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A stream as text: a byte that is not UTF-8 as `\xNN` (U+FFFD printed by goenv stays U+FFFD),
/// a carriage return as `␍` (so CRLF survives insta's line-ending normalisation), and a missing
/// final newline said.
fn visible(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(&chunk.valid().replace('\r', "␍"));
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02X}"));
        }
    }
    if text.is_empty() || text.ends_with('\n') {
        text
    } else {
        format!("{text}\n[no final newline]\n")
    }
}
