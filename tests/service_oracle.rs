//! The real `systemd --user` manager as the oracle for the `service` node: a Go service built by
//! a fixture SDK (`tests/fixtures/go-report`) reports what its runtime sees, after goenv's
//! drop-in is applied and the test itself reloads the manager and restarts the unit.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::TestEnv;
use common::fixtures::{go_bin, gocache, run_clean};
use common::user_manager::UserManager;

const GO: &str = "1.25.5";

/// Builds the reporting service into `dir/report`.
fn build_report(dir: &Path) -> PathBuf {
    let out = dir.join("report");
    let src = common::repo("tests/fixtures/go-report/main.go");
    let gocache = gocache();
    let res = run_clean(
        &go_bin(GO),
        &["build", "-o", out.to_str().unwrap(), src.to_str().unwrap()],
        dir,
        "/usr/bin:/bin",
        &[("GOCACHE", gocache.to_str().unwrap()), ("GOTOOLCHAIN", "local"), ("GOFLAGS", "")],
    );
    assert!(res.status.success(), "go build: {}", String::from_utf8_lossy(&res.stderr));
    out
}

/// Waits for the service to write `path` (it writes it whole, by rename).
#[track_caller]
fn wait_for(path: &Path, manager: &UserManager, unit: &str) -> String {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = manager.systemctl(&["status", unit]);
    panic!(
        "{unit} wrote no {} within 20 s: {}{}",
        path.display(),
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr)
    );
}

/// Restarts `unit` and returns its report and its environment (NAME → value).
fn restart(manager: &UserManager, unit: &str, report: &Path) -> (String, Vec<(String, String)>) {
    let env_file = PathBuf::from(format!("{}.env", report.display()));
    let _ = std::fs::remove_file(report);
    let _ = std::fs::remove_file(&env_file);
    manager.systemctl_ok(&["restart", unit]);
    let text = wait_for(report, manager, unit);
    let env = std::fs::read(&env_file).expect("the service writes its environment first");
    let env = env
        .split(|&b| b == 0)
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let kv = String::from_utf8(kv.to_vec()).expect("UTF-8 environment");
            let (k, v) = kv.split_once('=').expect("NAME=value");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    (text, env)
}

fn get<'a>(env: &'a [(String, String)], key: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// A value no simple quoting survives: `%` (a specifier to systemd), spaces, both quotes,
/// backslashes, `$` (which `Environment=` never expands), a tab, and a trailing backslash.
const AWKWARD: &str =
    "100% of %h and %% in \"double\" and 'single' quotes, C:\\dir\\ $HOME ${X} $$\ttab\\";

#[test]
fn a_go_service_reports_exactly_the_profiles_values() {
    let env = TestEnv::new();
    let home = env.home();
    let bin = env.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let report_bin = build_report(&bin);
    let unit = "goenv-report.service";
    let units = home.join(".config/systemd/user");
    std::fs::create_dir_all(&units).unwrap();
    let report = home.join("report.txt");
    std::fs::write(
        units.join(unit),
        format!("[Service]\nExecStart={} {}\n", report_bin.display(), report.display()),
    )
    .unwrap();
    let manager = UserManager::start(&home, &env.dir.path().join("run"));

    // Before goenv: Go's defaults.
    let (before, _) = restart(&manager, unit, &report);
    assert_eq!(
        before,
        format!("memlimit={}\ngcpercent=100\ngotraceback=\ngomaxprocs={}\n", i64::MAX, cpus()),
        "the service before goenv"
    );

    let profile = format!(
        "version 1\nservice \"{unit}\" restart=#true {{\n    GOMEMLIMIT \"300MiB\"\n    GOGC \"50\"\n    \
         GOTRACEBACK \"crash\"\n    GOMAXPROCS \"3\"\n    AWKWARD {}\n}}\n",
        kdl_string(AWKWARD)
    );
    env.write("profile.kdl", &profile);
    let out = env.goenv(&["apply", "--yes", "profile.kdl"]);
    assert_eq!(out.status.code(), Some(0), "apply: {}", String::from_utf8_lossy(&out.stderr));
    let dropin = units.join(format!("{unit}.d/50-goenv.conf"));
    assert!(dropin.is_file(), "apply wrote {}", dropin.display());

    manager.systemctl_ok(&["daemon-reload"]);
    let (after, seen) = restart(&manager, unit, &report);
    assert_eq!(
        after,
        format!("memlimit={}\ngcpercent=50\ngotraceback=crash\ngomaxprocs=3\n", 300 << 20),
        "the service after goenv; its drop-in:\n{}",
        std::fs::read_to_string(&dropin).unwrap()
    );
    assert_eq!(get(&seen, "AWKWARD"), Some(AWKWARD), "byte for byte");
    for (k, v) in
        [("GOMEMLIMIT", "300MiB"), ("GOGC", "50"), ("GOTRACEBACK", "crash"), ("GOMAXPROCS", "3")]
    {
        assert_eq!(get(&seen, k), Some(v), "{k}");
    }

    // The manager's own view of the unit lists every variable.
    let shown = manager.property(unit, "Environment");
    for item in ["GOMEMLIMIT=300MiB", "GOGC=50", "GOTRACEBACK=crash", "GOMAXPROCS=3"] {
        assert!(shown.split(' ').any(|w| w == item), "{item} in Environment={shown}");
    }
    assert!(shown.contains("AWKWARD="), "{shown}");

    // Planned again: nothing to do.
    let out = env.goenv(&["plan", "--detailed-exitcode", "profile.kdl"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

/// A KDL string holding `s` exactly.
fn kdl_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The CPUs this process may run on, as Go's default GOMAXPROCS counts them.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
