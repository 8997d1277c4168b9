//! `cargo bench --bench read`: how long `gobin::read` takes to get the OS, CPU, Go version and
//! build info of large Go executables (the fixture SDKs' `compile`, over 20 MB for Go 1.25,
//! and their `bin/go`). Each figure is a median over many runs of the whole call (open, header
//! reads, section read, parse); the target is well under 1 ms for a 20 MB binary.

use std::path::Path;
use std::time::{Duration, Instant};

use goenv::gobin;

const RUNS: usize = 200;
const TARGET: Duration = Duration::from_millis(1);
const BIG: u64 = 20 << 20;

fn main() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join(".fixtures");
    let files = [
        "go1.25.5/go/pkg/tool/linux_amd64/compile",
        "go1.25.5/go/bin/go",
        "go1.21.13/go/pkg/tool/linux_amd64/compile",
    ];
    println!("{:<46} {:>10} {:>12} {:>12} {:>12}", "binary", "size", "median", "p90", "max");
    let mut big_median = None;
    for name in files {
        let path = fixtures.join(name);
        let size = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run scripts/fixtures", path.display()))
            .len();
        // Warm the page cache and check it reads at all.
        let bin = gobin::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(bin.info.is_some(), "{name} has build info");
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let t = Instant::now();
            let bin = gobin::read(&path);
            times.push(t.elapsed());
            assert!(bin.is_ok());
        }
        let median = percentile(&mut times, 50);
        if size >= BIG && big_median.is_none() {
            big_median = Some((name, median));
        }
        println!(
            "{:<46} {:>7.1} MB {:>12} {:>12} {:>12}",
            name,
            size as f64 / 1e6,
            show(median),
            show(percentile(&mut times, 90)),
            show(percentile(&mut times, 100)),
        );
    }
    let (name, median) = big_median.expect("a fixture binary of at least 20 MiB");
    let verdict = if median < TARGET { "under" } else { "OVER" };
    println!("{name} (≥ 20 MiB): median {} is {verdict} the 1 ms target", show(median));
}

fn percentile(v: &mut [Duration], p: usize) -> Duration {
    v.sort();
    v[(v.len() - 1) * p / 100]
}

fn show(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}
