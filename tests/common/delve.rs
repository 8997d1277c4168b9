//! The real Delve as an oracle: Debian's `/usr/bin/dlv` (Delve 1.20.2, built by go1.19.8,
//! supports Go 1.18–1.20) debugging a hello world built by a given Go. With a fixture SDK
//! ≥ 1.21 on PATH it refuses (go-semantics.md B.1):
//! `Version of Delve is too old for Go version 1.22.10 (maximum supported version 1.20, suppress
//! this error with --check-go-version=false)`; with Debian's go1.19 it debugs.
//!
//! Non-interactive form that ends by itself: `dlv debug --allow-non-terminal-interactive=true
//! --init <script>` with stdin `/dev/null` (without the flag dlv refuses a non-terminal stdin).
//! The check runs after dlv has built the program and started it under ptrace (ptrace must be
//! allowed), and dlv then kills it and exits 1. Each run is in a session of its own and has a
//! timeout, after which every process of that session is killed (dlv, go build, the debuggee).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::fixtures::{go_bin, gocache, program};

/// Debian's Delve (package `delve`, 1.20.2).
pub const DEBIAN_DLV: &str = "/usr/bin/dlv";
/// Debian's Go 1.19 (package `golang-1.19-go`): the Go that built `/usr/bin/dlv`, which it
/// therefore supports (the positive control).
pub const DEBIAN_GO119_ROOT: &str = "/usr/lib/go-1.19";
/// The highest Go minor Debian's Delve 1.20.2 supports.
pub const DEBIAN_DLV_MAX_GO: &str = "1.20";
/// How long one `dlv debug` may take: a cold build with `-gcflags=all=-N -l` of the standard
/// library is ≈10 s on 2 cores; later runs take < 1 s (shared GOCACHE).
pub const DLV_TIMEOUT: Duration = Duration::from_secs(120);

/// The hello world debugged: prints `hello`.
pub const HELLO_GO: &str =
    "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello\")\n}\n";

/// The Delve init script: run to the end, then quit.
pub const INIT_CONTINUE_EXIT: &str = "continue\nexit\n";

/// Delve's refusal of a Go newer than it supports, as `Compatible` words it (B.1).
pub fn too_old_for_go(go_version: &str, max: &str) -> String {
    format!(
        "Version of Delve is too old for Go version {go_version} (maximum supported version \
         {max}, suppress this error with --check-go-version=false)"
    )
}

/// The warning that replaces the refusal under `--check-go-version=false`.
pub fn too_old_warning(go_version: &str, max: &str) -> String {
    format!(
        "WARNING: undefined behavior - version of Delve is too old for Go version {go_version} \
         (maximum supported version {max})"
    )
}

/// What one `dlv debug` did.
#[derive(Debug)]
pub struct DlvRun {
    /// `None` when it was killed at the timeout.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// The session dlv ran in (its pid): `session_members(sid)` is empty once all is over.
    pub sid: u32,
}

impl DlvRun {
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// stderr without Delve's log lines (`2026-…Z error layer=debugger …`).
    pub fn messages(&self) -> Vec<&str> {
        self.stderr.lines().filter(|line| !is_log_line(line)).collect()
    }
}

/// `2026-11-23T11:58:23Z error layer=debugger …`: a Delve logger line.
fn is_log_line(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 20 && b[4] == b'-' && b[10] == b'T' && line.contains(" layer=")
}

/// The `GOROOT` of a fixture SDK (`1.22.10`) or of Debian's Go 1.19 (`debian-1.19`).
#[track_caller]
pub fn goroot(go: &str) -> PathBuf {
    if go == "debian-1.19" {
        let root = PathBuf::from(DEBIAN_GO119_ROOT);
        program(&format!("{DEBIAN_GO119_ROOT}/bin/go"));
        root
    } else {
        go_bin(go).parent().and_then(Path::parent).expect("<goroot>/bin/go").to_path_buf()
    }
}

/// Runs `dlv debug <extra_args> --allow-non-terminal-interactive=true --init <init>` on a fresh
/// hello-world module (`go 1.21`) in a temporary directory, the way
/// `env -i HOME=<tmp> PATH=<goroot>/bin:/usr/bin:/bin GOTOOLCHAIN=local GOCACHE=<shared>
/// GOFLAGS=-mod=mod GOPROXY=off dlv …` does, stdin `/dev/null`, in a new session; kills the
/// session's process group after `timeout`.
#[track_caller]
pub fn dlv_debug_hello(go: &str, extra_args: &[&str], init: &str, timeout: Duration) -> DlvRun {
    let dlv = program(DEBIAN_DLV);
    let root = goroot(go);
    let gocache = gocache();
    let tmp = tempfile::tempdir().expect("temporary directory");
    let home = tmp.path().join("home");
    let module = tmp.path().join("hello");
    fs::create_dir_all(&home).expect("create home");
    fs::create_dir_all(&module).expect("create module dir");
    fs::write(module.join("go.mod"), "module example.com/hello\n\ngo 1.21\n").expect("go.mod");
    fs::write(module.join("main.go"), HELLO_GO).expect("main.go");
    let init_path = tmp.path().join("init.dlv");
    fs::write(&init_path, init).expect("init script");
    let out_path = tmp.path().join("stdout");
    let err_path = tmp.path().join("stderr");

    let mut cmd = Command::new(program("setsid"));
    cmd.arg(&dlv)
        .arg("debug")
        .args(extra_args)
        .arg("--allow-non-terminal-interactive=true")
        .arg("--init")
        .arg(&init_path)
        .current_dir(&module)
        .env_clear()
        .env("HOME", &home)
        .env("PATH", format!("{}/bin:/usr/bin:/bin", root.display()))
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", &gocache)
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).expect("stdout file"))
        .stderr(File::create(&err_path).expect("stderr file"));
    let start = Instant::now();
    // setsid(1) execs dlv in place (the child is no group leader), so the child's pid is the
    // new session's process group: dlv, go build and the compiler all belong to it.
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {}: {e}", dlv.display()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for dlv") {
            break Some(status);
        }
        if start.elapsed() > timeout {
            // The session, not just the group: dlv starts its debuggee in a group of its own.
            kill_session(child.id());
            let _ = child.kill();
            let _ = child.wait();
            kill_session(child.id());
            break None;
        }
        thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    let read =
        |path: &Path| String::from_utf8_lossy(&fs::read(path).unwrap_or_default()).into_owned();
    DlvRun { status, stdout: read(&out_path), stderr: read(&err_path), elapsed, sid: child.id() }
}

/// The pids of the live processes in session `sid` (from `/proc/<pid>/stat`).
pub fn session_members(sid: u32) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
            // `pid (comm) state ppid pgrp session …`; comm may hold spaces and parentheses.
            let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            let fields: Vec<&str> = after.split_whitespace().collect();
            fields.get(3).and_then(|f| f.parse::<u32>().ok()) == Some(sid)
                && fields.first() != Some(&"Z")
        })
        .collect()
}

/// SIGKILL to every process of session `sid` (by pid, with kill(1)).
fn kill_session(sid: u32) {
    let pids: Vec<String> = session_members(sid).iter().map(u32::to_string).collect();
    if !pids.is_empty() {
        let _ = Command::new(program("kill")).arg("-KILL").arg("--").args(&pids).status();
    }
}

/// The real Delve refusal oracle: runs Debian's dlv on a hello world built by the fixture SDK
/// `go` (e.g. `1.22.10`) and returns Delve's message (stderr without its log lines), after
/// checking that dlv exited 1 by itself. E.g. for 1.22.10:
/// `Version of Delve is too old for Go version 1.22.10 (maximum supported version 1.20, suppress
/// this error with --check-go-version=false)`.
#[track_caller]
pub fn delve_refusal(go: &str) -> String {
    let run = dlv_debug_hello(go, &[], "exit\n", DLV_TIMEOUT);
    assert!(run.status.is_some(), "dlv debug with go{go} did not end in {DLV_TIMEOUT:?}: {run:?}");
    assert_eq!(run.code(), Some(1), "dlv debug with go{go} should fail: {run:?}");
    let messages = run.messages();
    assert_eq!(messages.len(), 1, "one message expected from dlv with go{go}: {run:?}");
    messages[0].to_owned()
}
