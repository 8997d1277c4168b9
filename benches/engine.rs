//! `cargo bench --bench engine`: how long the reconcile engine takes, as a whole process.
//!
//! A temporary home (`lived_in::seed`) with three ~200-line start-up files (`~/.bashrc`,
//! `~/.profile`, `~/.zshenv`), a Go env file written by `go env -w` and another environment.d
//! file, and a profile touching every target (go-env, proxy, export, path, shells bash zsh fish,
//! session). With the release binary, the median (and 90th percentile) wall time over RUNS runs
//! of:
//!
//! - `plan` on the machine as found (everything to do) and once applied (nothing to do);
//! - `apply --yes` when nothing is pending;
//! - `rollback --yes`, alternating with `apply --yes` so each rollback has work (only the
//!   rollback is timed; the applies are shown too, without a target);
//!
//! and the peak memory (max RSS) of each, from `/usr/bin/time -f %M` (Debian package `time`).
//! Targets: plan < 5 ms, no-op apply < 10 ms, rollback < 20 ms, < 15 MB peak.
//!
//! With `BENCH_GOENV_DIR=DIR`, the home (`DIR/home`) and profile (`DIR/profile.kdl`) are built
//! there and left in place, so `scripts/bench` can trace `plan` on exactly this machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod lived_in;

use lived_in::seed;

const RUNS: usize = 100;
/// Runs under `/usr/bin/time` per command; the peak is the largest.
const MEMORY_RUNS: usize = 5;
const TIME: &str = "/usr/bin/time";

const PROFILE: &str = r#"version 1
go-env {
    GOPATH "~/go"
    GOBIN "~/go/bin"
    GOFLAGS "-mod=readonly -trimpath"
    GOPRIVATE "git.corp.example.com/*,github.com/example-corp/*"
    GOTOOLCHAIN "local"
}
proxy "default"
export {
    GIT_TERMINAL_PROMPT "0"
    EDITOR "vim"
    GREETING "hello, \"world\" é"
    API_TOKEN "s3cr3t-t0ken" secret=#true
}
path "~/tools/bin" "~/.local/bin"
shells "bash" "zsh" "fish"
session
"#;

fn main() {
    let kept = std::env::var_os("BENCH_GOENV_DIR").map(PathBuf::from);
    let temp = tempfile::tempdir().expect("temporary directory");
    let dir = kept.clone().unwrap_or_else(|| temp.path().to_owned());
    let bench = Bench::new(&dir);
    let exe = env!("CARGO_BIN_EXE_goenv");
    println!("goenv: {exe}");
    println!("home:  {} ({} runs per figure)\n", bench.home.display(), RUNS);
    let time_ok = Path::new(TIME).exists();
    if !time_ok {
        println!("{TIME} is missing (Debian package `time`): peak memory is not measured\n");
    }

    let mut rows = Vec::new();

    // The machine as found: everything to do.
    let mut plan_fresh = bench.times(RUNS, &["plan", "--detailed-exitcode", "profile.kdl"], 2);
    let mem = bench.peak(time_ok, &["plan", "profile.kdl"], 0);
    rows.push(Row::new("plan (not yet applied)", &mut plan_fresh, Some(5.0), mem));

    bench.expect(&["apply", "--yes", "profile.kdl"], 0);

    let mut plan_done = bench.times(RUNS, &["plan", "--detailed-exitcode", "profile.kdl"], 0);
    let mem = bench.peak(time_ok, &["plan", "profile.kdl"], 0);
    rows.push(Row::new("plan (applied)", &mut plan_done, Some(5.0), mem));

    let generations = bench.generations();
    let mut noop = bench.times(RUNS, &["apply", "--yes", "profile.kdl"], 0);
    let mem = bench.peak(time_ok, &["apply", "--yes", "profile.kdl"], 0);
    assert_eq!(bench.generations(), generations, "a no-op apply makes no generation");
    rows.push(Row::new("apply --yes (no-op)", &mut noop, Some(10.0), mem));

    // Alternate: each rollback undoes a real apply; only the rollback is timed.
    let mut rollbacks = Vec::with_capacity(RUNS);
    let mut applies = Vec::with_capacity(RUNS);
    let (mut rollback_mem, mut apply_mem) = (None, None);
    for i in 0..RUNS + MEMORY_RUNS {
        let measure = time_ok && i >= RUNS;
        if measure {
            rollback_mem = rollback_mem.max(bench.rss(&["rollback", "--yes"], 0));
        } else {
            rollbacks.push(bench.time(&["rollback", "--yes"], 0));
        }
        assert_eq!(bench.plan_code(), 2, "the rollback undid the apply");
        if measure {
            apply_mem = apply_mem.max(bench.rss(&["apply", "--yes", "profile.kdl"], 0));
        } else {
            applies.push(bench.time(&["apply", "--yes", "profile.kdl"], 0));
        }
        assert_eq!(bench.plan_code(), 0, "the apply converged");
    }
    // Every apply and rollback adds a generation: do they get slower as generations pile up?
    let (rollback_trend, apply_trend) = (trend(&rollbacks), trend(&applies));
    rows.push(Row::new("rollback --yes", &mut rollbacks, Some(20.0), rollback_mem));
    rows.push(Row::new("apply --yes (with changes)", &mut applies, None, apply_mem));

    // The same no-op figures again, now that the state directory holds many generations.
    let many = bench.generations();
    let mut plan_many = bench.times(RUNS, &["plan", "--detailed-exitcode", "profile.kdl"], 0);
    rows.push(Row::new("plan (applied, many gens)", &mut plan_many, Some(5.0), None));
    let mut noop_many = bench.times(RUNS, &["apply", "--yes", "profile.kdl"], 0);
    rows.push(Row::new("apply --yes (no-op, many)", &mut noop_many, Some(10.0), None));

    print_table(&rows);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "\nMedian of the first and last {} runs, as generations grew from 1 to {many}:\n  \
         rollback --yes {:.2} ms -> {:.2} ms\n  apply --yes (with changes) {:.2} ms -> {:.2} ms\n\
         \"many gens\": the last two rows ran with {many} generations in the state directory.",
        RUNS / 4,
        ms(rollback_trend.0),
        ms(rollback_trend.1),
        ms(apply_trend.0),
        ms(apply_trend.1),
    );
    if kept.is_some() {
        println!("kept: {} and {}", bench.home.display(), dir.join("profile.kdl").display());
    }
    if let Some(baseline) = std::env::var_os("BENCH_GOENV_BASELINE") {
        against_baseline(Path::new(&baseline));
    }
    go_env_file_scaling();
}

/// `plan` and `doctor` on a home whose Go env file (written by `go env -w` or by hand) has
/// 10,000, 40,000 and 100,000 lines of distinct keys: the time per line must stay flat (issue 17
/// found 13 s at 100,000 lines when each line searched the keys seen so far).
fn go_env_file_scaling() {
    const SCALING_RUNS: usize = 5;
    println!("\nGo env file of N distinct keys (median of {SCALING_RUNS} runs):");
    let temp = tempfile::tempdir().expect("temporary directory");
    for n in [10_000usize, 40_000, 100_000] {
        let bench = Bench::new(&temp.path().join(n.to_string()));
        let file = bench.home.join(".config/go/env");
        std::fs::create_dir_all(file.parent().unwrap()).expect("create ~/.config/go");
        let text: String = (0..n).map(|i| format!("K{i}=v{i}\n")).collect();
        std::fs::write(&file, text).expect("write the Go env file");
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let mut plan = bench.times(SCALING_RUNS, &["plan", "profile.kdl"], 0);
        let mut doctor = bench.times(SCALING_RUNS, &["doctor"], 0);
        let (plan, doctor) = (median(&mut plan), median(&mut doctor));
        println!(
            "  {n:>7} lines: plan {:>8.2} ms ({:.2} µs/line), doctor {:>8.2} ms ({:.2} µs/line)",
            ms(plan),
            ms(plan) * 1e3 / n as f64,
            ms(doctor),
            ms(doctor) * 1e3 / n as f64,
        );
    }
}

/// `BENCH_GOENV_BASELINE=EXE`: `plan` of this goenv against another build (an earlier
/// release), on identical homes, runs alternating between the two so both see the same machine.
fn against_baseline(baseline: &Path) {
    let temp = tempfile::tempdir().expect("temporary directory");
    let ours = Bench::new(&temp.path().join("ours"));
    let theirs = Bench::with_exe(&temp.path().join("theirs"), baseline);
    let args = ["plan", "--detailed-exitcode", "profile.kdl"];
    let alternate = |expected: i32| {
        ours.expect(&args, expected);
        theirs.expect(&args, expected);
        let (mut a, mut b) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
        for _ in 0..RUNS {
            a.push(ours.time(&args, expected));
            b.push(theirs.time(&args, expected));
        }
        (a, b)
    };
    let (mut fresh_a, mut fresh_b) = alternate(2);
    ours.expect(&["apply", "--yes", "profile.kdl"], 0);
    theirs.expect(&["apply", "--yes", "profile.kdl"], 0);
    let (mut done_a, mut done_b) = alternate(0);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("\nplan against {} ({RUNS} alternating runs each):", baseline.display());
    for (what, a, b) in
        [("not yet applied", &mut fresh_a, &mut fresh_b), ("applied", &mut done_a, &mut done_b)]
    {
        let (ma, mb) = (median(a), median(b));
        println!(
            "  {what:<16} this build {:.2} ms, baseline {:.2} ms: {:.2}x",
            ms(ma),
            ms(mb),
            ma.as_secs_f64() / mb.as_secs_f64()
        );
    }
}

struct Bench {
    dir: PathBuf,
    home: PathBuf,
    exe: PathBuf,
}

impl Bench {
    fn new(dir: &Path) -> Self {
        let home = dir.join("home");
        if home.exists() {
            std::fs::remove_dir_all(&home).expect("remove the previous bench home");
        }
        seed(&home);
        std::fs::write(dir.join("profile.kdl"), PROFILE).expect("write profile");
        Self { dir: dir.to_owned(), home, exe: PathBuf::from(env!("CARGO_BIN_EXE_goenv")) }
    }

    /// The same home and profile for another goenv binary.
    fn with_exe(dir: &Path, exe: &Path) -> Self {
        Self { exe: exe.to_owned(), ..Self::new(dir) }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.current_dir(&self.dir)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("NO_COLOR", "1")
            .arg("--home")
            .arg(&self.home)
            .args(args);
        cmd
    }

    fn check(args: &[&str], out: &Output, expected: i32) {
        assert_eq!(
            out.status.code(),
            Some(expected),
            "goenv {}\n--- stdout\n{}\n--- stderr\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn expect(&self, args: &[&str], expected: i32) -> Output {
        let out = self.command(args).output().expect("goenv runs");
        Self::check(args, &out, expected);
        out
    }

    /// Wall time of one whole process: spawn, run, exit, output collected.
    fn time(&self, args: &[&str], expected: i32) -> Duration {
        let mut cmd = self.command(args);
        let t = Instant::now();
        let out = cmd.output().expect("goenv runs");
        let elapsed = t.elapsed();
        Self::check(args, &out, expected);
        elapsed
    }

    fn times(&self, runs: usize, args: &[&str], expected: i32) -> Vec<Duration> {
        // One warm-up run (page cache, dynamic loader), not counted.
        self.expect(args, expected);
        (0..runs).map(|_| self.time(args, expected)).collect()
    }

    /// Max RSS in KiB of one run, from `/usr/bin/time -f %M`.
    fn rss(&self, args: &[&str], expected: i32) -> Option<u64> {
        let report = self.dir.join("time.out");
        let mut cmd = Command::new(TIME);
        cmd.current_dir(&self.dir)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("NO_COLOR", "1")
            .args(["-f", "%M", "-o"])
            .arg(&report)
            .arg(&self.exe)
            .arg("--home")
            .arg(&self.home)
            .args(args);
        let out = cmd.output().expect("/usr/bin/time runs");
        Self::check(args, &out, expected);
        let text = std::fs::read_to_string(&report).ok()?;
        let _ = std::fs::remove_file(&report);
        text.lines().last()?.trim().parse().ok()
    }

    fn peak(&self, enabled: bool, args: &[&str], expected: i32) -> Option<u64> {
        if !enabled {
            return None;
        }
        (0..MEMORY_RUNS).filter_map(|_| self.rss(args, expected)).max()
    }

    fn plan_code(&self) -> i32 {
        let out = self.command(&["plan", "--detailed-exitcode", "profile.kdl"]).output();
        out.expect("goenv runs").status.code().unwrap_or(-1)
    }

    fn generations(&self) -> usize {
        let dir = self.home.join(".local/state/goenv/generations");
        std::fs::read_dir(dir).map_or(0, |d| d.count())
    }
}

struct Row {
    name: &'static str,
    median: Duration,
    p90: Duration,
    max: Duration,
    target_ms: Option<f64>,
    peak_kib: Option<u64>,
}

impl Row {
    fn new(
        name: &'static str,
        v: &mut [Duration],
        target_ms: Option<f64>,
        peak_kib: Option<u64>,
    ) -> Self {
        assert!(v.len() >= 50, "at least 50 runs per figure");
        v.sort();
        let at = |p: usize| v[(v.len() - 1) * p / 100];
        Self { name, median: at(50), p90: at(90), max: at(100), target_ms, peak_kib }
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[(v.len() - 1) / 2]
}

/// Medians of the first and the last quarter of `v`, in the order the runs happened.
fn trend(v: &[Duration]) -> (Duration, Duration) {
    let q = v.len() / 4;
    (median(&mut v[..q].to_vec()), median(&mut v[v.len() - q..].to_vec()))
}

const MEMORY_TARGET_MIB: f64 = 15.0;

fn print_table(rows: &[Row]) {
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1e3);
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>12} {:>11} {:>16}",
        "command", "median", "p90", "max", "target", "peak RSS", "target"
    );
    for r in rows {
        let target = match r.target_ms {
            Some(t) => {
                let ok = r.median.as_secs_f64() * 1e3 < t;
                format!("< {t} ms {}", if ok { "ok" } else { "OVER" })
            }
            None => "-".to_owned(),
        };
        let (peak, mem_target) = match r.peak_kib {
            Some(k) => {
                let mib = k as f64 / 1024.0;
                let ok = mib < MEMORY_TARGET_MIB;
                (
                    format!("{mib:.1} MiB"),
                    format!("< {MEMORY_TARGET_MIB} MB {}", if ok { "ok" } else { "OVER" }),
                )
            }
            None => ("n/a".to_owned(), "-".to_owned()),
        };
        println!(
            "{:<28} {:>10} {:>10} {:>10} {:>12} {:>11} {:>16}",
            r.name,
            ms(r.median),
            ms(r.p90),
            ms(r.max),
            target,
            peak,
            mem_target
        );
    }
}
