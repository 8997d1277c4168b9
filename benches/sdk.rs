//! `cargo bench --bench sdk`: installing a Go SDK, and planning with several installed.
//!
//! 1. **Install.** The real go1.21.13 archive that `scripts/fixtures` packs (64 MB, go.dev's
//!    layout) is served by a go.dev stand-in on 127.0.0.1. Each round, in the same run and on the
//!    same file: `goenv apply --yes` of a profile with `go "1.21.13"` into a fresh home (download
//!    into the cache with sha256, unpack, rename, link, shell files), then the floor a person
//!    would accept, `sha256sum ARCHIVE && tar xzf ARCHIVE -C fresh-dir`, in alternating order.
//!    Target: goenv's median within 1.1× of the pair's, and goenv's peak memory (max RSS) under
//!    64 MB. The work directory is `TMPDIR` (`TMPDIR=/dev/shm` takes the disk out of it).
//! 2. **Plan with five SDKs.** Five small SDKs installed by goenv (one active, four kept), then
//!    `goenv plan` when nothing is pending. Target: median under 5 ms (the plan reads each SDK's
//!    few small files; it never walks or hashes a tree).
//!
//! Uses `/usr/bin/time` (Debian package `time`) for the peak memory.

#[path = "../tests/common/goserver.rs"]
#[allow(dead_code)]
mod goserver;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use goserver::{Body, GoServer};

const INSTALL_ROUNDS: usize = 6;
const PLAN_RUNS: usize = 100;
const VERSION: &str = "1.21.13";

fn main() {
    let work = tempfile::tempdir().expect("temporary directory");
    let archive = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!(".fixtures/archives/go{VERSION}.linux-amd64.tar.gz"));
    assert!(archive.is_file(), "missing {}: run scripts/fixtures", archive.display());
    install(work.path(), &archive);
    plan_with_five(work.path());
}

fn goenv(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_goenv"));
    cmd.env_clear().env("PATH", "/usr/bin:/bin").env("NO_COLOR", "1").arg("--home").arg(home);
    cmd.args(args);
    cmd
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[(v.len() - 1) / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn install(work: &Path, archive: &Path) {
    let server = GoServer::start();
    let name = format!("go{VERSION}.linux-amd64.tar.gz");
    server.add_archive(VERSION, &name, Body::File(archive.to_owned()));
    let profile = work.join("install.kdl");
    std::fs::write(
        &profile,
        format!(
            "version 1\ngo \"{VERSION}\" {{\n    mirror \"{}\"\n    index \"{}\"\n}}\nshells \"bash\"\n",
            server.url(),
            server.index_url()
        ),
    )
    .expect("write the profile");
    let size = std::fs::metadata(archive).expect("archive").len();
    println!(
        "install: {} ({:.1} MB) from {}\n",
        archive.display(),
        size as f64 / 1e6,
        server.url()
    );

    let (mut ours, mut pair, mut peaks) = (Vec::new(), Vec::new(), Vec::new());
    let goenv_round = |round: usize| -> (Duration, u64) {
        let home = work.join(format!("home-{round}"));
        let report = work.join("time.out");
        let mut cmd = Command::new("/usr/bin/time");
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("NO_COLOR", "1")
            .args(["-f", "%M", "-o"])
            .arg(&report)
            .arg(env!("CARGO_BIN_EXE_goenv"))
            .arg("--home")
            .arg(&home)
            .args(["apply", "--yes"])
            .arg(&profile);
        let start = Instant::now();
        let out = cmd.output().expect("goenv runs under /usr/bin/time");
        let took = start.elapsed();
        assert!(out.status.success(), "goenv apply: {}", String::from_utf8_lossy(&out.stderr));
        assert!(home.join(format!("sdk/go{VERSION}/bin/go")).is_file());
        let kib: u64 = std::fs::read_to_string(&report)
            .ok()
            .and_then(|t| t.lines().last()?.trim().parse().ok())
            .expect("/usr/bin/time reported the peak memory");
        (took, kib)
    };
    let pair_round = |round: usize| -> Duration {
        let dest = work.join(format!("tar-{round}"));
        std::fs::create_dir_all(&dest).expect("create the tar destination");
        let start = Instant::now();
        let out = Command::new("sh")
            .arg("-c")
            .arg("sha256sum \"$1\" >/dev/null && tar xzf \"$1\" -C \"$2\"")
            .arg("sh")
            .arg(archive)
            .arg(&dest)
            .output()
            .expect("sh runs");
        let floor = start.elapsed();
        assert!(out.status.success(), "sha256sum && tar: {}", String::from_utf8_lossy(&out.stderr));
        floor
    };
    // Each starts from a cold download cache and an empty directory, with no dirty pages left by
    // the other (writeback of 300 MB slows whichever runs next); the order alternates.
    let settle = |round: usize| {
        for dir in [work.join(format!("home-{round}")), work.join(format!("tar-{round}"))] {
            let _ = std::fs::remove_dir_all(&dir);
        }
        let _ = Command::new("sync").status();
    };
    for round in 0..INSTALL_ROUNDS {
        settle(round);
        let ((took, kib), floor) = if round % 2 == 0 {
            let a = goenv_round(round);
            let _ = Command::new("sync").status();
            (a, pair_round(round))
        } else {
            let b = pair_round(round);
            let _ = Command::new("sync").status();
            (goenv_round(round), b)
        };
        ours.push(took);
        pair.push(floor);
        peaks.push(kib);
        println!(
            "  round {}: goenv apply {:7.0} ms ({:.1} MiB peak)   sha256sum && tar xzf {:7.0} ms",
            round + 1,
            ms(took),
            kib as f64 / 1024.0,
            ms(floor)
        );
        settle(round);
    }
    let (o, p) = (median(&mut ours), median(&mut pair));
    let ratio = o.as_secs_f64() / p.as_secs_f64();
    let peak = peaks.iter().max().copied().unwrap_or(0) as f64 / 1024.0;
    println!(
        "\n  median: goenv {:.0} ms, sha256sum && tar xzf {:.0} ms: {ratio:.2}× (target ≤ 1.10×) {}",
        ms(o),
        ms(p),
        if ratio <= 1.10 { "ok" } else { "OVER" }
    );
    println!(
        "  peak memory: {peak:.1} MiB (target < 64 MiB) {}\n",
        if peak < 64.0 { "ok" } else { "OVER" }
    );
}

/// A small go.dev-style SDK archive (`go/VERSION`, `go/bin/go`, `go/pkg/tool/…`).
fn fake_archive(version: &str) -> Vec<u8> {
    goserver::fake_sdk_archive(version)
}

fn plan_with_five(work: &Path) {
    let server = GoServer::start();
    let versions = ["1.99.5", "1.99.4", "1.99.3", "1.99.2", "1.99.1"];
    for v in versions {
        server.add_archive(v, &format!("go{v}.linux-amd64.tar.gz"), fake_archive(v));
    }
    let home: PathBuf = work.join("five");
    let profile = work.join("five.kdl");
    let keep: Vec<String> = versions[1..].iter().map(|v| format!("\"{v}\"")).collect();
    std::fs::write(
        &profile,
        format!(
            "version 1\ngo \"{}\" {{\n    keep {}\n    mirror \"{}\"\n    index \"{}\"\n}}\n\
             go-env {{ GOTOOLCHAIN \"local\" }}\nshells \"bash\"\n",
            versions[0],
            keep.join(" "),
            server.url(),
            server.index_url()
        ),
    )
    .expect("write the profile");
    let out = goenv(&home, &["apply", "--yes"]).arg(&profile).output().expect("goenv runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    server.reset_counts();
    let mut times = Vec::new();
    for _ in 0..PLAN_RUNS {
        let start = Instant::now();
        let out = goenv(&home, &["plan", "--detailed-exitcode"])
            .arg(&profile)
            .output()
            .expect("goenv runs");
        times.push(start.elapsed());
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(server.requests(), Vec::<String>::new(), "planning installed SDKs asks for nothing");
    times.sort();
    let p90 = times[(times.len() - 1) * 9 / 10];
    let m = median(&mut times);
    println!(
        "plan with five SDKs installed ({PLAN_RUNS} runs): median {:.2} ms, p90 {:.2} ms (target < 5 ms) {}",
        ms(m),
        ms(p90),
        if ms(m) < 5.0 { "ok" } else { "OVER" }
    );
}
