//! Go SDKs end to end, against a go.dev stand-in on 127.0.0.1 that serves a JSON index and
//! archives (real ones built from the fixture SDK trees, small fake ones, hostile ones) and
//! counts every request. The real `go` of each installed SDK is the oracle for what is active.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::fixtures::{self, GO_NEW, GO_OLD};
use common::goserver::{Body, Fault, GoServer, Hostile, hostile_archive};
use common::{TestEnv, repo};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A message as one line: miette wraps long ones and draws a margin.
fn flat(bytes: &[u8]) -> String {
    text(bytes).replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[track_caller]
fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "goenv failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn profile(server: &GoServer, body: &str) -> String {
    let (head, rest) = body.split_once('{').expect("a go node with children");
    format!(
        "version 1\n{head}{{\n    mirror \"{}\"\n    index \"{}\"\n{rest}\nshells \"bash\"\n",
        server.url(),
        server.index_url()
    )
}

/// The archive `scripts/fixtures` packed from the fixture tree of `version`.
#[track_caller]
fn real_archive(version: &str) -> PathBuf {
    let path = repo(&format!(".fixtures/archives/go{version}.linux-amd64.tar.gz"));
    assert!(path.is_file(), "missing test fixture {}: run `scripts/fixtures`", path.display());
    path
}

/// `go version` and `go env GOROOT` of the `go` at `bin`, run in a clean environment.
fn go_says(bin: &Path, home: &Path) -> (String, String) {
    let cache = fixtures::gocache();
    let env = [("GOCACHE", cache.to_str().unwrap()), ("GOTOOLCHAIN", "local")];
    let run = |args: &[&str]| {
        let out = fixtures::run_clean(bin, args, home, fixtures::BASE_PATH, &env);
        assert!(out.status.success(), "{} {args:?}: {}", bin.display(), text(&out.stderr));
        text(&out.stdout).trim().to_owned()
    };
    (run(&["version"]), run(&["env", "GOROOT"]))
}

fn downloads(env: &TestEnv) -> Vec<String> {
    let dir = env.home().join(".cache/goenv/downloads");
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn real_sdks_install_switch_prune_and_roll_back() {
    let server = GoServer::start();
    for v in [GO_OLD, GO_NEW] {
        let name = format!("go{v}.linux-amd64.tar.gz");
        server.add_archive(v, &name, Body::File(real_archive(v)));
    }
    let env = TestEnv::new();
    let home = env.home();
    let sdk = home.join("sdk");

    // Install two, the old one active.
    env.write(
        "a.kdl",
        &profile(&server, &format!("go \"{GO_OLD}\" {{\n    keep \"{GO_NEW}\"\n}}")),
    );
    ok(&env.goenv(&["apply", "--yes", "a.kdl"]));
    let (version, goroot) = go_says(&sdk.join("current/bin/go"), &home);
    assert_eq!(version, format!("go version go{GO_OLD} linux/amd64"));
    assert_eq!(Path::new(&goroot), sdk.join(format!("go{GO_OLD}")));
    assert!(sdk.join(format!("go{GO_NEW}/.unpacked-success")).is_file());
    assert_eq!(server.count_index(), 1, "{:?}", server.requests());
    assert_eq!(downloads(&env).len(), 2);
    let env_sh = fs::read_to_string(home.join(".config/goenv/env.sh")).unwrap();
    let first = format!("PATH={}/current/bin:", sdk.display());
    assert!(env_sh.contains(&first), "{env_sh}");
    assert!(!env_sh.contains("GOROOT"), "GOROOT is never exported: {env_sh}");

    // Switch: nothing is downloaded, the link moves.
    server.reset_counts();
    env.write(
        "b.kdl",
        &profile(&server, &format!("go \"{GO_NEW}\" {{\n    keep \"{GO_OLD}\"\n}}")),
    );
    ok(&env.goenv(&["apply", "--yes", "b.kdl"]));
    assert_eq!(server.requests(), Vec::<String>::new(), "both SDKs were installed");
    let (version, goroot) = go_says(&sdk.join("current/bin/go"), &home);
    assert_eq!(version, format!("go version go{GO_NEW} linux/amd64"));
    assert_eq!(Path::new(&goroot), sdk.join(format!("go{GO_NEW}")));

    // Rollback restores the previous active version.
    ok(&env.goenv(&["rollback", "--yes"]));
    assert_eq!(
        go_says(&sdk.join("current/bin/go"), &home).0,
        format!("go version go{GO_OLD} linux/amd64")
    );
    ok(&env.goenv(&["rollback", "--yes"]));
    assert_eq!(
        go_says(&sdk.join("current/bin/go"), &home).0,
        format!("go version go{GO_NEW} linux/amd64")
    );

    // Prune: the SDK no longer listed goes to the trash; rollback brings it back by rename.
    env.write("c.kdl", &profile(&server, &format!("go \"{GO_NEW}\" {{\n    prune #true\n}}")));
    let plan = env.goenv(&["plan", "c.kdl"]);
    assert!(text(&plan.stdout).contains(&format!("- sdk:go{GO_OLD}")), "{}", text(&plan.stdout));
    ok(&env.goenv(&["apply", "--yes", "c.kdl"]));
    assert!(!sdk.join(format!("go{GO_OLD}")).exists());
    ok(&env.goenv(&["rollback", "--yes"]));
    let (version, _) = go_says(&sdk.join(format!("go{GO_OLD}/bin/go")), &home);
    assert_eq!(version, format!("go version go{GO_OLD} linux/amd64"));
    assert_eq!(server.requests(), Vec::<String>::new(), "no download for any of this");

    // After gc empties the trash, a rollback re-installs from the download cache: no request.
    ok(&env.goenv(&["apply", "--yes", "c.kdl"]));
    ok(&env.goenv(&["gc"]));
    assert_eq!(fs::read_dir(home.join(".local/state/goenv/trash")).unwrap().count(), 0);
    ok(&env.goenv(&["rollback", "--yes"]));
    let (version, _) = go_says(&sdk.join(format!("go{GO_OLD}/bin/go")), &home);
    assert_eq!(version, format!("go version go{GO_OLD} linux/amd64"));
    assert_eq!(server.requests(), Vec::<String>::new(), "re-installed from the cache");
    assert_eq!(
        fs::read_dir(&sdk)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .count(),
        0,
        "no staging left"
    );
}

#[test]
fn planning_pinned_versions_makes_no_request() {
    let server = GoServer::start();
    server.add_fake_sdk("1.99.1");
    let sum = server.sha256("go1.99.1.linux-amd64.tar.gz");
    let env = TestEnv::new();
    env.write("p.kdl", &profile(&server, &format!("go \"1.99.1\" {{\n    checksum \"{sum}\"\n}}")));
    let out = env.goenv(&["plan", "p.kdl"]);
    ok(&out);
    assert_eq!(server.requests(), Vec::<String>::new());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("checksum-from = \"profile "), "{stdout}");
    assert!(stdout.contains(&format!("sha256 = \"{sum}\"")), "{stdout}");

    // Applying downloads only the archive, and planning again asks for nothing.
    ok(&env.goenv(&["apply", "--yes", "p.kdl"]));
    assert_eq!(server.requests(), vec!["/dl/go1.99.1.linux-amd64.tar.gz".to_owned()]);
    server.reset_counts();
    let out = env.goenv(&["plan", "p.kdl"]);
    assert!(text(&out.stdout).contains("No changes."), "{}", text(&out.stdout));
    assert_eq!(server.requests(), Vec::<String>::new());
}

#[test]
fn a_line_resolves_to_its_newest_release_and_says_so() {
    let server = GoServer::start();
    server.add_fake_sdk("1.99.1").add_fake_sdk("1.99.2");
    let env = TestEnv::new();
    env.write("p.kdl", &profile(&server, "go \"1.99\" {\n    keep \"1.99.1\"\n}"));
    let out = env.goenv(&["plan", "--format", "json", "p.kdl"]);
    ok(&out);
    let json: serde_json::Value = common::schemas::parse(&out.stdout);
    let ids: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["resource"].as_str().unwrap())
        .collect();
    assert_eq!(&ids[..3], ["sdk:go1.99.2", "sdk:go1.99.1", "link:~/sdk/current"]);
    let notes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "goenv::finding::go-version-resolved")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("go \"1.99\" resolves to 1.99.2"), "{}", notes[0]);
    let diff = json["changes"][0]["diff"].as_str().unwrap();
    assert!(diff.contains(&format!("checksum-from = \"index {}\"", server.index_url())), "{diff}");

    // A version the index does not have stops the plan at its location.
    env.write("q.kdl", &profile(&server, "go \"1.99.7\" {\n}"));
    let out = env.goenv(&["plan", "q.kdl"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = flat(&out.stderr);
    assert!(stderr.contains("go1.99.7 is not in the download index"), "{stderr}");
    assert!(stderr.contains("q.kdl:2:4"), "{stderr}");
}

/// Each refusal: exit 1, a clear message, and nothing left (no SDK, no cache entry, no
/// generation, no file written).
#[test]
fn refusals_leave_nothing_behind() {
    type Setup = Box<dyn Fn(&GoServer)>;
    let cases: Vec<(&str, Setup, &str)> = vec![
        (
            "checksum mismatch",
            Box::new(|s| {
                s.add_fake_sdk("1.99.1").fault("go1.99.1.linux-amd64.tar.gz", Fault::WrongBytes);
            }),
            "expected sha256",
        ),
        (
            "../ path",
            Box::new(|s| {
                s.add_archive(
                    "1.99.1",
                    "go1.99.1.linux-amd64.tar.gz",
                    hostile_archive(Hostile::DotDot),
                );
            }),
            "refusing",
        ),
        (
            "symlink",
            Box::new(|s| {
                s.add_archive(
                    "1.99.1",
                    "go1.99.1.linux-amd64.tar.gz",
                    hostile_archive(Hostile::Symlink),
                );
            }),
            "refusing",
        ),
        (
            "closed mid-body",
            Box::new(|s| {
                s.add_fake_sdk("1.99.1").fault("go1.99.1.linux-amd64.tar.gz", Fault::CloseMidBody);
            }),
            "closed the connection",
        ),
        (
            "endless body",
            Box::new(|s| {
                s.add_fake_sdk("1.99.1").fault("go1.99.1.linux-amd64.tar.gz", Fault::Endless);
            }),
            "bytes the download index lists for it",
        ),
        (
            "404",
            Box::new(|s| {
                s.add_fake_sdk("1.99.1").fault("go1.99.1.linux-amd64.tar.gz", Fault::NotFound);
            }),
            "not found",
        ),
    ];
    for (what, setup, expected) in cases {
        let server = GoServer::start();
        setup(&server);
        let env = TestEnv::new();
        env.write("p.kdl", &profile(&server, "go \"1.99.1\" {\n}"));
        let out = env.goenv(&["apply", "--yes", "p.kdl"]);
        let stderr = flat(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(stderr.contains(expected), "{what}: {stderr}");
        assert!(stderr.contains("nothing was changed"), "{what}: {stderr}");
        let home = env.home();
        assert!(!home.join("sdk/go1.99.1").exists(), "{what}");
        let leftovers: Vec<_> = fs::read_dir(home.join("sdk"))
            .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(leftovers.is_empty(), "{what}: {leftovers:?}");
        assert_eq!(downloads(&env), Vec::<String>::new(), "{what}");
        assert!(
            !home.join(".local").exists(),
            "{what}: no state directory is left behind: {:?}",
            names_below(&home.join(".local"))
        );
        assert!(!home.join(".config/goenv/env.sh").exists(), "{what}");
        assert!(!home.join(".profile").exists(), "{what}");
        assert!(!Path::new("/tmp/goenv-hostile-absolute").exists());
    }
}

#[test]
fn sdks_installed_by_others_are_adopted_and_never_touched() {
    let server = GoServer::start();
    server.add_fake_sdk("1.99.2");
    let env = TestEnv::new();
    let home = env.home();
    // What `go1.99.1 download` leaves.
    let theirs = home.join("sdk/go1.99.1");
    fs::create_dir_all(theirs.join("pkg/tool/linux_amd64")).unwrap();
    fs::create_dir_all(theirs.join("bin")).unwrap();
    fs::write(theirs.join("VERSION"), "go1.99.1\ntime 2020-02-02T00:00:00Z\n").unwrap();
    fs::write(theirs.join(".unpacked-success"), "").unwrap();
    fs::write(theirs.join("bin/go"), "#!/bin/sh\n").unwrap();

    env.write("a.kdl", &profile(&server, "go \"1.99.1\" {\n}"));
    let out = env.goenv(&["plan", "a.kdl"]);
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("sdk:go1.99.1"), "adopted, not installed: {stdout}");
    assert!(stdout.contains("+ link:~/sdk/current"), "{stdout}");
    assert_eq!(server.requests(), Vec::<String>::new(), "an adopted SDK needs no index");
    ok(&env.goenv(&["apply", "--yes", "a.kdl"]));
    assert_eq!(fs::read_link(home.join("sdk/current")).unwrap(), theirs);

    // Pruning only ever removes what goenv installed.
    env.write("b.kdl", &profile(&server, "go \"1.99.2\" {\n    prune #true\n}"));
    ok(&env.goenv(&["apply", "--yes", "b.kdl"]));
    assert!(theirs.join("VERSION").is_file());
    assert!(!theirs.join(".goenv-sdk").exists());

    // An incomplete directory is not adopted: the plan stops with the fix.
    fs::remove_file(theirs.join(".unpacked-success")).unwrap();
    let out = env.goenv(&["plan", "a.kdl"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = flat(&out.stderr);
    assert!(stderr.contains("is not a complete go1.99.1 SDK"), "{stderr}");
    assert!(stderr.contains(".unpacked-success"), "{stderr}");
}

#[test]
fn findings_name_the_go_that_really_runs() {
    let server = GoServer::start();
    server.add_fake_sdk("1.99.1");
    let env = TestEnv::new();
    let home = env.home();
    env.write("p.kdl", &profile(&server, "go \"1.99.1\" {\n}"));
    ok(&env.goenv(&["apply", "--yes", "p.kdl"]));

    let other = env.dir.path().join("usr/local/go/bin");
    fs::create_dir_all(&other).unwrap();
    fs::write(other.join("go"), "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(other.join("go"), fs::Permissions::from_mode(0o755)).unwrap();
    let ours = home.join("sdk/current/bin");
    let path = format!("PATH={}:{}:/usr/bin", other.display(), ours.display());
    let out = env.goenv(&[
        "--env",
        &path,
        "--env",
        "GOROOT=/usr/local/go",
        "plan",
        "--format",
        "json",
        "p.kdl",
    ]);
    ok(&out);
    let json: serde_json::Value = common::schemas::parse(&out.stdout);
    let codes: Vec<&str> =
        json["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    for code in ["go-ahead-on-path", "goroot-differs", "gotoolchain-auto"] {
        assert!(codes.contains(&format!("goenv::finding::{code}").as_str()), "{code}: {codes:?}");
    }

    // GOTOOLCHAIN=local, goenv's PATH first, no GOROOT: nothing to say.
    env.write("q.kdl", &profile(&server, "go \"1.99.1\" {\n}\ngo-env { GOTOOLCHAIN \"local\" }"));
    let path = format!("PATH={}:{}:/usr/bin", ours.display(), other.display());
    let out = env.goenv(&["--env", &path, "plan", "--format", "json", "q.kdl"]);
    let json: serde_json::Value = common::schemas::parse(&out.stdout);
    assert_eq!(json["findings"], serde_json::json!([]), "{json}");

    // An SDK whose bin/go is an arm64 ELF on this amd64 machine.
    let mut elf = vec![0u8; 64];
    elf[..4].copy_from_slice(b"\x7fELF");
    (elf[4], elf[5], elf[6]) = (2, 1, 1);
    elf[18] = 183; // EM_AARCH64
    fs::write(home.join("sdk/go1.99.1/bin/go"), &elf).unwrap();
    let out = env.goenv(&["--arch", "amd64", "plan", "--format", "json", "q.kdl"]);
    let json: serde_json::Value = common::schemas::parse(&out.stdout);
    let f = &json["findings"][0];
    assert_eq!(f["code"], "goenv::finding::sdk-wrong-arch", "{json}");
    assert!(f["message"].as_str().unwrap().contains("linux/arm64"), "{f}");
}

/// Starts goenv with the debug-only `TEST_GOENV_PAUSE_AT=point`, waits until it says it paused,
/// and kills it with SIGKILL.
fn kill_at(env: &TestEnv, args: &[&str], point: &str) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_goenv"))
        .current_dir(env.dir.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .env("TEST_GOENV_PAUSE_AT", point)
        .arg("--home")
        .arg(env.home())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("goenv starts");
    let stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(&format!("goenv: paused at {point}")) {
            child.kill().unwrap();
            child.wait().unwrap();
            return;
        }
    }
    let status = child.wait().unwrap();
    panic!("goenv never paused at {point} ({status}): {seen}");
}

#[test]
fn a_switch_killed_at_any_point_is_wholly_undone_or_wholly_done() {
    let server = GoServer::start();
    server.add_fake_sdk("1.99.1").add_fake_sdk("1.99.2");
    let a = |server: &GoServer| profile(server, "go \"1.99.1\" {\n}");
    let b = |server: &GoServer| profile(server, "go \"1.99.2\" {\n    prune #true\n}");
    // Steps of B: install go1.99.2, switch the link, prune go1.99.1.
    for point in ["blobs", "journal", "step-1", "step-2", "step-3", "manifest"] {
        let env = TestEnv::new();
        let home = env.home();
        let sdk = home.join("sdk");
        env.write("a.kdl", &a(&server));
        env.write("b.kdl", &b(&server));
        ok(&env.goenv(&["apply", "--yes", "a.kdl"]));
        kill_at(&env, &["apply", "--yes", "b.kdl"], point);

        // Any command recovers first.
        let out = env.goenv(&["status"]);
        let done = point == "manifest";
        let active = if done { "go1.99.2" } else { "go1.99.1" };
        assert_eq!(fs::read_link(sdk.join("current")).unwrap(), sdk.join(active), "{point}");
        assert!(sdk.join(format!("{active}/bin/go")).is_file(), "{point}");
        let other = if done { "go1.99.1" } else { "go1.99.2" };
        assert!(!sdk.join(other).exists(), "{point}: {}", text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{point}: {}", text(&out.stderr));

        // And B applies cleanly afterwards, leaving no staging directory behind.
        ok(&env.goenv(&["apply", "--yes", "b.kdl"]));
        assert_eq!(fs::read_link(sdk.join("current")).unwrap(), sdk.join("go1.99.2"), "{point}");
        let names: Vec<String> = fs::read_dir(&sdk)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{point}: {names:?}");
        assert!(names.contains(&"current".to_owned()) && names.contains(&"go1.99.2".to_owned()));
        // Rollback still brings go1.99.1 back from the trash.
        ok(&env.goenv(&["rollback", "--yes"]));
        assert_eq!(fs::read_link(sdk.join("current")).unwrap(), sdk.join("go1.99.1"), "{point}");
        assert!(sdk.join("go1.99.1/bin/go").is_file(), "{point}");
    }
}

/// Starts `goenv args`, waits until `ready()` (at most 30 s), sends `signal` (`INT`, `TERM`) and
/// returns the exit code and stderr.
fn interrupt_when(
    env: &TestEnv,
    args: &[&str],
    pause_at: Option<&str>,
    ready: impl Fn(&str) -> bool,
    signal: &str,
) -> (Option<i32>, String) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_goenv"));
    cmd.current_dir(env.dir.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .arg("--home")
        .arg(env.home())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(point) = pause_at {
        cmd.env("TEST_GOENV_PAUSE_AT", point);
    }
    let mut child = cmd.spawn().expect("goenv starts");
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready(&seen) {
        if let Ok(bytes) = rx.recv_timeout(Duration::from_millis(20)) {
            seen.push_str(&String::from_utf8_lossy(&bytes));
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("goenv was never ready to be interrupted: {seen}");
        }
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill").args([&format!("-{signal}"), &pid]).status().unwrap().success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline + Duration::from_secs(30) {
            let _ = child.kill();
            panic!("goenv did not exit after SIG{signal}: {seen}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    while let Ok(bytes) = rx.recv_timeout(Duration::from_millis(200)) {
        seen.push_str(&String::from_utf8_lossy(&bytes));
    }
    (status.code(), seen)
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Issue 16, item 4: SIGINT during a download and SIGTERM while unpacking remove the partial
/// download and the staging directory, say so, and exit 130 and 143; what a SIGKILL leaves is
/// shown by `status` and removed by `gc`, by recovery and by the next apply.
#[test]
fn interrupted_downloads_and_unpacks_leave_no_debris() {
    let server = GoServer::start();
    server.add_fake_sdk("1.99.1").fault(
        "go1.99.1.linux-amd64.tar.gz",
        Fault::StallMidBody(std::time::Duration::from_secs(60)),
    );
    let env = TestEnv::new();
    env.write("p.kdl", &profile(&server, "go \"1.99.1\" {\n}"));
    let home = env.home();
    let cache = home.join(".cache/goenv/downloads");
    let partial_written = || {
        names(&cache).iter().any(|n| {
            n.starts_with(".partial-") && fs::metadata(cache.join(n)).is_ok_and(|m| m.len() > 0)
        })
    };
    let (code, stderr) =
        interrupt_when(&env, &["apply", "--yes", "p.kdl"], None, |_| partial_written(), "INT");
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("goenv: interrupted by SIGINT; removed `"), "{stderr}");
    assert!(stderr.contains("/.partial-") && stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(names(&cache), Vec::<String>::new());
    assert!(!home.join(".local/state/goenv/generations/0001.toml").exists());

    // SIGTERM while unpacking: the staging directory goes.
    server.clear_faults();
    let (code, stderr) = interrupt_when(
        &env,
        &["apply", "--yes", "p.kdl"],
        Some("unpack"),
        |seen| seen.contains("goenv: paused at unpack"),
        "TERM",
    );
    assert_eq!(code, Some(143), "{stderr}");
    assert!(
        stderr.contains("interrupted by SIGTERM; removed `") && stderr.contains(".goenv-staging-"),
        "{stderr}"
    );
    assert_eq!(names(&home.join("sdk")), Vec::<String>::new(), "{stderr}");

    // SIGKILL while unpacking leaves the staging directory; with a torn manifest's temporary
    // file and a partial download beside it, `status` lists them and `gc` removes them.
    kill_at(&env, &["apply", "--yes", "p.kdl"], "unpack");
    let staging: Vec<String> = names(&home.join("sdk"));
    assert!(staging.len() == 1 && staging[0].starts_with(".goenv-staging-"), "{staging:?}");
    fs::create_dir_all(home.join(".local/state/goenv/generations")).unwrap();
    fs::write(home.join(".local/state/goenv/generations/.goenv-Ab12Cd"), "torn").unwrap();
    fs::write(cache.join(".partial-Xy34Ef"), vec![0u8; 2048]).unwrap();
    let status = env.goenv(&["status"]);
    let shown = text(&status.stdout);
    assert!(shown.contains("Left by an interrupted goenv: "), "{shown}");
    for leftover in [staging[0].as_str(), ".goenv-Ab12Cd", ".partial-Xy34Ef"] {
        assert!(shown.contains(leftover), "{leftover}: {shown}");
    }
    assert!(shown.contains("`goenv gc` removes them"), "{shown}");
    let gc = env.goenv(&["gc"]);
    let said = text(&gc.stdout);
    assert!(
        gc.status.success() && said.contains("Removed what an interrupted goenv left: "),
        "{said}{}",
        text(&gc.stderr)
    );
    assert_eq!(names(&home.join("sdk")), Vec::<String>::new());
    assert!(!home.join(".local/state/goenv/generations/.goenv-Ab12Cd").exists());
    assert!(!names(&cache).iter().any(|n| n.starts_with(".partial-")), "{:?}", names(&cache));
    assert!(!text(&env.goenv(&["status"]).stdout).contains("interrupted"));

    // Recovery of a transaction killed halfway removes them too.
    kill_at(&env, &["apply", "--yes", "p.kdl"], "journal");
    fs::write(home.join(".local/state/goenv/generations/.goenv-Zz99Yy"), "torn").unwrap();
    fs::write(cache.join(".partial-Qq11Ww"), "x").unwrap();
    let out = env.goenv(&["generations"]);
    let said = text(&out.stderr);
    assert!(said.contains("goenv: removed what an interrupted goenv left: "), "{said}");
    assert!(said.contains(".goenv-Zz99Yy") && said.contains(".partial-Qq11Ww"), "{said}");
    assert!(!home.join(".local/state/goenv/generations/.goenv-Zz99Yy").exists());
}

fn names_below(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        out.push(e.path().display().to_string());
        if e.path().is_dir() {
            out.extend(names_below(&e.path()));
        }
    }
    out
}
