//! `cargo bench --bench doctor`: how long `goenv doctor` takes, as a whole process, against one
//! `bash -lic true` on the same home in the same run.
//!
//! The home is the engine bench's (`lived_in::seed`: ~200-line `~/.bashrc`, `~/.profile` and
//! `~/.zshenv`, a Go env file written by `go env -w`, an environment.d file) plus a real Go SDK
//! (`.fixtures/go1.25.5/go`, linked as `~/sdk/go`) put on PATH in `~/.profile`, a fish
//! `config.fish` and VS Code's user settings. With the release binary, RUNS runs of each, the
//! three commands taking turns so that all see the same machine:
//!
//! - `goenv doctor` (human output, every context) and `goenv doctor --format json`;
//! - `bash -lic true` with the same HOME: what one interactive login shell costs.
//!
//! Targets (issue 10): doctor under 10 ms median, and faster than one `bash -lic true`. All three
//! run under `setsid --wait` (an interactive bash must not take over the terminal the bench runs
//! in), so each figure includes the same `setsid` start; `setsid --wait true` is timed too.
//! Needs `scripts/fixtures` (the SDK). With `BENCH_GOENV_DIR=DIR` the home is `DIR/home` and
//! is left in place.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod lived_in;

const RUNS: usize = 100;
const TARGET_MS: f64 = 10.0;
const SDK: &str = "1.25.5";

fn main() {
    let temp = tempfile::tempdir().expect("temporary directory");
    let kept = std::env::var_os("BENCH_GOENV_DIR").map(PathBuf::from);
    let home = kept.as_deref().unwrap_or(temp.path()).join("home");
    if home.exists() {
        std::fs::remove_dir_all(&home).expect("remove the previous bench home");
    }
    seed(&home);
    let goenv = PathBuf::from(env!("CARGO_BIN_EXE_goenv"));
    println!("goenv: {}", goenv.display());
    println!("home:  {} ({RUNS} runs per figure)\n", home.display());

    let doctor_human: &[&str] = &["doctor"];
    let doctor_json: &[&str] = &["doctor", "--format", "json"];
    let commands: [(&str, &Path, &[&str]); 4] = [
        ("goenv doctor", &goenv, doctor_human),
        ("goenv doctor --format json", &goenv, doctor_json),
        ("bash -lic true", Path::new("/bin/bash"), &["-lic", "true"]),
        ("setsid --wait true", Path::new("/bin/true"), &[]),
    ];
    // Warm up (page cache, dynamic loader) and check each command works here.
    for (name, exe, args) in commands {
        run(&home, &goenv, exe, args).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(RUNS); commands.len()];
    for _ in 0..RUNS {
        for (i, (name, exe, args)) in commands.iter().enumerate() {
            times[i].push(run(&home, &goenv, exe, args).unwrap_or_else(|e| panic!("{name}: {e}")));
        }
    }

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("{:<28} {:>10} {:>10} {:>10}", "command", "median", "p90", "max");
    let mut medians = Vec::new();
    for ((name, _, _), v) in commands.iter().zip(&mut times) {
        v.sort();
        let at = |p: usize| v[(v.len() - 1) * p / 100];
        medians.push(at(50));
        println!(
            "{name:<28} {:>7.2} ms {:>7.2} ms {:>7.2} ms",
            ms(at(50)),
            ms(at(90)),
            ms(at(100))
        );
    }
    let (doctor, bash, setsid) = (medians[0], medians[2], medians[3]);
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!(
        "\ngoenv doctor median {:.2} ms (target < {TARGET_MS} ms: {}); bash -lic true median \
         {:.2} ms on the same home: doctor takes {:.2}x the time of one interactive login shell \
         (target < 1: {}). Without setsid's own start ({:.2} ms): doctor {:.2} ms, bash {:.2} ms.",
        ms(doctor),
        verdict(ms(doctor) < TARGET_MS),
        ms(bash),
        doctor.as_secs_f64() / bash.as_secs_f64(),
        verdict(doctor < bash),
        ms(setsid),
        ms(doctor.saturating_sub(setsid)),
        ms(bash.saturating_sub(setsid)),
    );
}

/// Wall time of `setsid --wait EXE ARGS` in a clean environment with HOME set to `home` (goenv
/// also gets `--home`), output discarded; an error when it fails. doctor exits 0 or 3 (3: an
/// error-level finding); anything else is a failure.
fn run(home: &Path, goenv: &Path, exe: &Path, args: &[&str]) -> Result<Duration, String> {
    let mut cmd = Command::new("/usr/bin/setsid");
    cmd.arg("--wait").arg(exe);
    if exe == goenv {
        cmd.arg("--home").arg(home);
    }
    cmd.args(args)
        .current_dir(home)
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let t = Instant::now();
    let out = cmd.output().map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let elapsed = t.elapsed();
    let ok = match out.status.code() {
        Some(0) => true,
        Some(3) => exe == goenv,
        _ => false,
    };
    if ok {
        Ok(elapsed)
    } else {
        Err(format!(
            "{} exited {}: {}",
            exe.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The engine bench's home, with a Go SDK on PATH, fish and VS Code.
fn seed(home: &Path) {
    lived_in::seed(home);
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(".fixtures/go{SDK}/go"));
    let version = std::fs::read_to_string(sdk.join("VERSION")).unwrap_or_default();
    assert!(
        version.starts_with(&format!("go{SDK}\n")),
        "missing the Go {SDK} SDK in {}: run `scripts/fixtures`",
        sdk.display()
    );
    std::fs::create_dir_all(home.join("sdk")).expect("create ~/sdk");
    std::os::unix::fs::symlink(&sdk, home.join("sdk/go")).expect("link the SDK");
    let append = |rel: &str, text: &str| {
        let path = home.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create parent");
        let mut old = std::fs::read_to_string(&path).unwrap_or_default();
        old.push_str(text);
        std::fs::write(&path, old).expect("write fixture");
    };
    append(
        ".profile",
        "\n# Go\nexport PATH=\"$HOME/sdk/go/bin:$PATH\"\nexport GOTOOLCHAIN=local\n",
    );
    append(
        ".config/fish/config.fish",
        "if status is-interactive\n    set -g fish_greeting\nend\nset -gx GOPATH $HOME/go\n\
         fish_add_path -g $HOME/sdk/go/bin $HOME/go/bin\n",
    );
    append(
        ".config/Code/User/settings.json",
        "{\n    \"editor.fontSize\": 14,\n    // Go\n    \"go.toolsManagement.autoUpdate\": true,\n    \
         \"go.toolsEnvVars\": { \"GOFLAGS\": \"-tags=integration\" },\n    \
         \"terminal.integrated.env.linux\": { \"GOPROXY\": \"https://proxy.golang.org,direct\" },\n}\n",
    );
}
