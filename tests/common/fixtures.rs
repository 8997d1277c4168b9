//! The real programs the oracle tests run: the Go SDKs and the shared build cache that
//! `scripts/fixtures` puts in `.fixtures/`, the shells, and systemd's environment.d generator.
//! A missing one is a panic that says to run `scripts/fixtures`, never a skipped test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::repo;

/// The oldest fixture SDK (no telemetry, no toolchain `go.env` changes since).
pub const GO_OLD: &str = "1.21.13";
/// The newest fixture SDK (telemetry, DWARF 5).
pub const GO_NEW: &str = "1.25.5";
pub const GO_SDKS: [&str; 2] = [GO_OLD, GO_NEW];
/// The fixture SDK of the Delve tests: it builds the fake Delve from a `file://` GOPROXY
/// (`goproxy.rs`), and Debian's dlv 1.20 refuses to debug what it builds (`delve.rs`). Not in
/// `GO_SDKS` and not packed into `.fixtures/archives`.
pub const GO_DELVE: &str = "1.22.10";

/// systemd's user environment generator: reads `environment.d` as the user manager does.
pub const ENVD_GENERATOR: &str =
    "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator";

/// The PATH every oracle starts from (what `env -i` plus a minimal PATH gives).
pub const BASE_PATH: &str = "/usr/bin:/bin";

#[track_caller]
fn missing(what: &str) -> ! {
    panic!("missing test fixture: {what}. Run `scripts/fixtures` (it fetches and caches it).")
}

/// The `go` command of the fixture SDK `version` (`.fixtures/go<version>/go/bin/go`).
#[track_caller]
pub fn go_bin(version: &str) -> PathBuf {
    let root = repo(&format!(".fixtures/go{version}/go"));
    let first_line = std::fs::read_to_string(root.join("VERSION"))
        .ok()
        .and_then(|text| text.lines().next().map(str::to_owned));
    if first_line.as_deref() != Some(format!("go{version}").as_str()) {
        missing(&format!("Go {version} in {}", root.display()));
    }
    let go = root.join("bin/go");
    if !go.is_file() {
        missing(&format!("{}", go.display()));
    }
    go
}

/// The shared, pre-initialised `GOCACHE` (`.fixtures/gocache`).
#[track_caller]
pub fn gocache() -> PathBuf {
    let dir = repo(".fixtures/gocache");
    if !dir.is_dir() {
        missing(&format!("the shared GOCACHE {}", dir.display()));
    }
    dir
}

/// An installed program, by absolute path or by name in `/usr/bin:/bin`.
#[track_caller]
pub fn program(name: &str) -> PathBuf {
    let found = if name.starts_with('/') {
        Some(PathBuf::from(name)).filter(|p| p.is_file())
    } else {
        ["/usr/bin", "/bin"].iter().map(|dir| Path::new(dir).join(name)).find(|p| p.is_file())
    };
    found.unwrap_or_else(|| missing(&format!("the program `{name}`")))
}

/// Runs `exe args` the way `env -i HOME=<home> PATH=<path> KEY=VALUE… exe args` does,
/// from `home`, with stdin closed and in a new session (no controlling terminal, so an
/// interactive shell cannot take over the terminal `cargo test` runs in).
pub fn run_clean(
    exe: &Path,
    args: &[&str],
    home: &Path,
    path: &str,
    extra_env: &[(&str, &str)],
) -> Output {
    let mut cmd = Command::new(program("setsid"));
    cmd.arg("--wait")
        .arg(exe)
        .args(args)
        .current_dir(home)
        .env_clear()
        .env("HOME", home)
        .env("PATH", path)
        .stdin(Stdio::null());
    for (key, value) in extra_env {
        cmd.env(key, value);
    }
    cmd.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()))
}

/// `env -i HOME=<home> PATH=/usr/bin:/bin GOCACHE=<shared> go <args>` with the fixture SDK
/// `version`. No `XDG_CONFIG_HOME`, so Go reads `<home>/.config/go/env`.
#[track_caller]
pub fn go(version: &str, home: &Path, args: &[&str]) -> Output {
    let gocache = gocache();
    let out = run_clean(
        &go_bin(version),
        args,
        home,
        BASE_PATH,
        &[("GOCACHE", gocache.to_str().expect("UTF-8 GOCACHE path"))],
    );
    assert!(
        out.status.success(),
        "go{version} {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `go env -json` of the fixture SDK `version`, as real Go sees `home`.
#[track_caller]
pub fn go_env_json(version: &str, home: &Path) -> Value {
    let out = go(version, home, &["env", "-json"]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("go{version} env -json is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout))
    })
}

/// Parses the generator's stdout: `KEY=value` lines whose values systemd re-quotes when
/// needed (`shell_maybe_quote`: `"…"` with `\"`, `\\`, `` \` ``, `\$` and C escapes such as `\t`).
pub fn parse_generator_output(stdout: &str) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for line in stdout.lines().filter(|l| !l.is_empty()) {
        let line = unquote(line);
        let (key, value) =
            line.split_once('=').unwrap_or_else(|| panic!("generator line without `=`: {line}"));
        vars.insert(key.to_owned(), value.to_owned());
    }
    vars
}

/// Undoes shell quoting: `"…"` (backslash escapes), `'…'` (literal), `\c` outside quotes.
pub fn unquote(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    let mut double = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => double = !double,
            '\'' if !double => out.extend(chars.by_ref().take_while(|&c| c != '\'')),
            '\\' => match chars.next() {
                Some('n') if double => out.push('\n'),
                Some('t') if double => out.push('\t'),
                Some('r') if double => out.push('\r'),
                Some(next) => out.push(next),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}
