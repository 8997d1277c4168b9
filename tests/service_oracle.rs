//! The real `systemd --user` manager as the oracle for the `service` node: a Go service built by
//! a fixture SDK (`tests/fixtures/go-report`) reports what its runtime sees, after goenv's
//! drop-in is applied and goenv's own effects reload the manager and restart the unit.

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

/// Removes the report `unit` wrote, so the next one is from its next start.
fn forget(report: &Path) {
    let _ = std::fs::remove_file(report);
    let _ = std::fs::remove_file(format!("{}.env", report.display()));
}

/// Restarts `unit` and returns its report and its environment (NAME → value).
fn restart(manager: &UserManager, unit: &str, report: &Path) -> (String, Vec<(String, String)>) {
    forget(report);
    manager.systemctl_ok(&["restart", unit]);
    collect(manager, unit, report)
}

/// The report and environment `unit` writes once started (NAME → value).
fn collect(manager: &UserManager, unit: &str, report: &Path) -> (String, Vec<(String, String)>) {
    let env_file = PathBuf::from(format!("{}.env", report.display()));
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
    // goenv reloads the manager and, with restart=#true, restarts the running unit itself.
    forget(&report);
    let out = env.goenv_with(
        &[("XDG_RUNTIME_DIR", manager.runtime_dir().as_os_str())],
        &["apply", "--yes", "profile.kdl"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "apply: {stderr}");
    assert!(!stderr.contains("no user manager"), "{stderr}");
    let dropin = units.join(format!("{unit}.d/50-goenv.conf"));
    assert!(dropin.is_file(), "apply wrote {}", dropin.display());
    let (after, seen) = collect(&manager, unit, &report);
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

// ---- GOMEMLIMIT "auto" against the manager's own MemoryMax= and MemoryHigh= ----------------

/// A tiny deterministic generator (64-bit LCG), so a failing layout is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next(items.len())]
    }
}

/// Values for MemoryMax=/MemoryHigh=: sizes in every spelling systemd takes, infinity, resets,
/// percentages, and values systemd ignores (with a warning) so the one before stays.
const VALUES: &[&str] = &[
    "512M",
    "1G",
    "300M",
    "1.5G",
    "2G 256M",
    "700000K",
    "123456789",
    "3T",
    "infinity",
    "",
    "25%",
    "12.5%",
    "0.75%",
    "5‰",
    "bogus",
    "0",
    "1Gi",
    "64M",
];

const KEYS: &[&str] = &["MemoryMax", "MemoryHigh"];

const DROPIN_NAMES: &[&str] = &["10-a.conf", "20-limits.conf", "50-z.conf", "override.conf"];

/// One generated layout: files (relative to `root`'s directories) for unit `unit`.
struct Layout {
    unit: String,
    files: Vec<(PathBuf, String)>,
}

/// The unit directories a test can write that both goenv and the manager read, highest first.
fn dirs(home: &Path, run: &Path) -> Vec<PathBuf> {
    vec![
        home.join(".config/systemd/user.control"),
        run.join("systemd/user.control"),
        home.join(".config/systemd/user"),
        run.join("systemd/user"),
        home.join(".local/share/systemd/user"),
    ]
}

fn assignments(rng: &mut Lcg, max: usize) -> String {
    let mut text = String::from("[Service]\n");
    for _ in 0..rng.next(max + 1) {
        // Noise systemd skips: comments, other keys, other sections' look-alikes.
        match rng.next(6) {
            0 => text.push_str("# MemoryMax=1K\n"),
            1 => text.push_str("Environment=A=1\n"),
            _ => {}
        }
        text.push_str(&format!("{}={}\n", rng.pick(KEYS), rng.pick(VALUES)));
    }
    text
}

fn layout(i: usize, rng: &mut Lcg, dirs: &[PathBuf], report: &Path) -> Layout {
    // Some units have a dash, so `lay-.service.d/` applies too; one is a template instance.
    let (unit, file_name, prefix_dir) = match i % 6 {
        4 => (format!("lay-{i}.service"), format!("lay-{i}.service"), Some("lay-.service.d")),
        5 => (format!("tpl{i}@x.service"), format!("tpl{i}@.service"), None),
        _ => (format!("lay{i}.service"), format!("lay{i}.service"), None),
    };
    let exec = format!("ExecStart={} {}\n", report.display(), report.display());
    let mut files = Vec::new();
    // The unit file in one of the last three directories, sometimes shadowed copies below it.
    let at = 2 + rng.next(3);
    files.push((dirs[at].join(&file_name), format!("{}{exec}", assignments(rng, 2))));
    for lower in &dirs[at + 1..] {
        if rng.next(2) == 0 {
            files.push((lower.join(&file_name), "[Service]\nMemoryMax=7M\nMemoryHigh=7M\n".into()));
        }
    }
    // Drop-ins, a same name sometimes in several directories (the highest masks the rest).
    let mut dropin_dirs: Vec<String> = vec![format!("{unit}.d")];
    if let Some(p) = prefix_dir {
        dropin_dirs.push(p.to_owned());
    }
    if unit.contains('@') {
        dropin_dirs.push(format!("{file_name}.d"));
    }
    for _ in 0..1 + rng.next(5) {
        let dir = rng.pick(dirs);
        let sub = rng.pick(&dropin_dirs);
        let name = rng.pick(DROPIN_NAMES);
        let path = dir.join(sub).join(name);
        if files.iter().any(|(p, _)| *p == path) {
            continue;
        }
        // Sometimes a drop-in masked by an empty file or a link to /dev/null.
        let text = match rng.next(10) {
            0 => String::new(),
            _ => assignments(rng, 3),
        };
        files.push((path, text));
    }
    Layout { unit, files }
}

/// goenv with the test's system root (its /proc/meminfo and /run/user/0).
fn goenv_in(env: &TestEnv, sysroot: &Path, args: &[&str]) -> std::process::Output {
    env.goenv_with(&[("TEST_GOENV_SYSROOT", sysroot.as_os_str())], args)
}

/// `infinity` or a number of bytes, as `systemctl show` prints them.
fn bytes(shown: &str) -> Option<u64> {
    (shown != "infinity").then(|| shown.parse().unwrap_or_else(|_| panic!("bytes: {shown:?}")))
}

#[test]
fn auto_memlimit_matches_the_managers_limits_across_generated_layouts() {
    let env = TestEnv::new();
    let home = env.home();
    std::fs::create_dir_all(&home).unwrap();
    let sysroot = env.dir.path().join("sys");
    // The home belongs to the user running the test; its runtime directory is /run/user/UID.
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata(&home).unwrap().uid();
    let run = sysroot.join(format!("run/user/{uid}"));
    std::fs::create_dir_all(sysroot.join("proc")).unwrap();
    std::fs::copy("/proc/meminfo", sysroot.join("proc/meminfo")).unwrap();
    let dirs = dirs(&home, &run);
    let report = PathBuf::from("/bin/true");
    let mut rng = Lcg(0x5eed);
    let layouts: Vec<Layout> = (0..30).map(|i| layout(i, &mut rng, &dirs, &report)).collect();
    for l in &layouts {
        for (path, text) in &l.files {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            if text.is_empty() && path.extension().is_some_and(|e| e == "conf") && rng.next(2) == 0
            {
                std::os::unix::fs::symlink("/dev/null", path).unwrap();
            } else {
                std::fs::write(path, text).unwrap();
            }
        }
    }
    let manager = UserManager::start(&home, &run);
    manager.systemctl_ok(&["daemon-reload"]);
    let (mut limited, mut unlimited) = (0, 0);
    for (i, l) in layouts.iter().enumerate() {
        let unit = &l.unit;
        let max = bytes(&manager.property(unit, "MemoryMax"));
        let high = bytes(&manager.property(unit, "MemoryHigh"));
        let profile = format!("version 1\nservice \"{unit}\" {{\n    GOMEMLIMIT \"auto\"\n}}\n");
        let name = format!("profile-{i}.kdl");
        env.write(&name, &profile);
        let out = goenv_in(&env, &sysroot, &["plan", &name]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let files: String = l
            .files
            .iter()
            .map(|(p, t)| format!("--- {}\n{t}", p.strip_prefix(env.dir.path()).unwrap().display()))
            .collect();
        let what = format!("{unit}: manager MemoryMax={max:?} MemoryHigh={high:?}\n{files}");
        match [max, high].into_iter().flatten().min() {
            Some(limit) => {
                limited += 1;
                let want = format!("+Environment=\"GOMEMLIMIT={}MiB\"", (limit * 9 / 10) >> 20);
                assert_eq!(out.status.code(), Some(0), "{what}\n{stderr}");
                assert!(stdout.lines().any(|line| line == want), "{what}\nwant {want}:\n{stdout}");
            }
            None => {
                unlimited += 1;
                assert_eq!(out.status.code(), Some(1), "{what}\n{stdout}");
                assert!(stderr.contains("goenv::plan::no-memory-limit"), "{what}\n{stderr}");
            }
        }
    }
    assert!(limited >= 20 && unlimited >= 1, "{limited} limited, {unlimited} unlimited layouts");
}
