//! `cargo bench --bench check`: how long `goenv check` takes on the shipped profiles.
//!
//! Two figures per profile: parse + validate in-process (the library call), and the whole
//! process (`goenv check PROFILE`, spawned). Medians over many runs; targets are 1 ms and 5 ms.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use goenv::context::{Arch, Context, Os};

const IN_PROCESS_RUNS: usize = 2_000;
const PROCESS_RUNS: usize = 200;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut profiles: Vec<PathBuf> = std::fs::read_dir(root.join("profiles"))
        .expect("profiles/ is part of the repository")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "kdl"))
        .collect();
    profiles.sort();
    profiles.push(root.join("examples/team/alice.kdl"));
    let home = std::env::temp_dir().join("goenv-bench-home");
    let ctx = Context::hermetic(home.clone(), Os::Linux, Arch::Amd64, "bench".into());
    let exe = env!("CARGO_BIN_EXE_goenv");

    println!("{:<28} {:>14} {:>14} {:>16}", "profile", "parse+validate", "p90", "whole process");
    for path in &profiles {
        let text = std::fs::read_to_string(path).expect("shipped profile is readable");
        let mut lib = Vec::with_capacity(IN_PROCESS_RUNS);
        for _ in 0..IN_PROCESS_RUNS {
            let t = Instant::now();
            let p = goenv::profile::load_str(path, &text, &ctx);
            lib.push(t.elapsed());
            assert!(p.is_ok(), "{} must pass `goenv check`", path.display());
        }
        let mut proc = Vec::with_capacity(PROCESS_RUNS);
        for _ in 0..PROCESS_RUNS {
            let t = Instant::now();
            let out = Command::new(exe)
                .args(["--home", home.to_str().unwrap_or("/tmp"), "-q", "check"])
                .arg(path)
                .output()
                .expect("goenv runs");
            proc.push(t.elapsed());
            assert!(out.status.success());
        }
        let name = path.strip_prefix(root).unwrap_or(path).display().to_string();
        println!(
            "{:<28} {:>14} {:>14} {:>16}",
            name,
            show(median(&mut lib)),
            show(percentile(&mut lib, 90)),
            show(median(&mut proc))
        );
    }
}

fn median(v: &mut [Duration]) -> Duration {
    percentile(v, 50)
}

fn percentile(v: &mut [Duration], p: usize) -> Duration {
    v.sort();
    v[(v.len() - 1) * p / 100]
}

fn show(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}
