//! The `delve` node against real Delve: Debian's `dlv` (Delve 1.20.2, built by go1.19, with no
//! module version in its build info) and fake SDKs whose `VERSION` says which Go is active.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::TestEnv;
use serde_json::Value;

const DEBIAN_DLV: &str = "/usr/bin/dlv";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A message as one line: miette wraps long ones and draws a margin.
fn flat(bytes: &[u8]) -> String {
    text(bytes).replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[track_caller]
fn json(out: &Output) -> Value {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is JSON ({e}): {}\nstderr: {}", text(&out.stdout), text(&out.stderr))
    });
    common::schemas::assert_valid(&v);
    v
}

/// What `go1.<v> download` leaves at `<home>/sdk/go<v>`; `bin/go` runs the fixture SDK when
/// one is given (Go finds its root from the resolved executable).
fn adopted_sdk(home: &Path, version: &str, real_go: Option<&Path>) {
    let root = home.join(format!("sdk/go{version}"));
    fs::create_dir_all(root.join("pkg/tool/linux_amd64")).unwrap();
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::write(root.join("VERSION"), format!("go{version}\ntime 2020-02-02T00:00:00Z\n")).unwrap();
    fs::write(root.join(".unpacked-success"), "").unwrap();
    match real_go {
        Some(go) => std::os::unix::fs::symlink(go, root.join("bin/go")).unwrap(),
        None => fs::write(root.join("bin/go"), "#!/bin/sh\n").unwrap(),
    }
}

#[track_caller]
fn debian_dlv() -> &'static Path {
    let p = Path::new(DEBIAN_DLV);
    assert!(
        p.is_file(),
        "missing test fixture {DEBIAN_DLV}: run `scripts/fixtures` (Debian package delve)"
    );
    p
}

fn findings<'a>(plan: &'a Value, code: &str) -> Vec<&'a Value> {
    let code = format!("goenv::finding::{code}");
    plan["findings"].as_array().unwrap().iter().filter(|f| f["code"] == code.as_str()).collect()
}

#[test]
fn debian_delve_is_too_old_for_go_1_22_and_goenv_says_how_to_fix_it() {
    let dlv = debian_dlv();
    let env = TestEnv::new();
    let home = env.home();
    adopted_sdk(&home, "1.22.10", None);
    adopted_sdk(&home, "1.19.13", None);
    env.write(
        "p.kdl",
        &format!(
            "version 1\ngo \"1.22.10\" {{\n    keep \"1.19.13\"\n}}\ndelve \"{}\"\n\
             go-env {{ GOTOOLCHAIN \"local\" }}\nshells \"bash\"\n",
            dlv.display()
        ),
    );
    let out = env.goenv(&["plan", "--format", "json", "p.kdl"]);
    assert_eq!(out.status.code(), Some(3), "an error-level finding: {}", text(&out.stderr));
    let plan = json(&out);
    let bad = findings(&plan, "delve-incompatible");
    assert_eq!(bad.len(), 1, "only the active SDK is out of Delve 1.20's range: {plan}");
    let f = bad[0];
    assert_eq!(f["severity"], "error");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("Delve 1.20.2, from `dlv version`"), "{message}");
    assert!(message.contains("too old for Go 1.22.10"), "{message}");
    assert!(message.contains("Version of Delve is too old for Go version 1.22.10"), "{message}");
    let help = f["help"].as_str().unwrap();
    // `/usr/bin/dlv` is outside the home: the fix installs into GOBIN, with the active SDK's
    // `go` by absolute path, and points `delve` there.
    let want = format!(
        "GOBIN={h}/go/bin {h}/sdk/current/bin/go install github.com/go-delve/delve/cmd/dlv@v1.22.1`, \
         then point `delve` at `~/go/bin/dlv`",
        h = home.display()
    );
    // 1.22.1 is the newest Delve that debugs both 1.22 and the kept 1.19.
    assert!(help.contains(&want), "{help}");

    // The answer of `dlv version` is remembered by the file's identity: later plans read it.
    let cache = home.join(".local/state/goenv/dlv-versions.toml");
    let remembered = fs::read_to_string(&cache).unwrap();
    assert!(remembered.contains("= \"1.20.2\""), "{remembered}");
    let again = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    let message = findings(&again, "delve-incompatible")[0]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("from `dlv version`, remembered"), "{message}");
}

#[test]
fn presence_executability_and_leftovers() {
    let env = TestEnv::new();
    let home = env.home();
    adopted_sdk(&home, "1.22.10", None);
    let profile = |extra: &str| {
        format!(
            "version 1\ngo \"1.22.10\" {{\n}}\ndelve {extra}\ngo-env {{ GOBIN \"~/go/bin\"; GOTOOLCHAIN \"local\" }}\nshells \"bash\"\n"
        )
    };

    // Missing at the default place, GOBIN/dlv: an error with the command that installs it there.
    env.write("p.kdl", &profile(""));
    let plan = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    let missing = findings(&plan, "delve-missing");
    assert_eq!(missing.len(), 1, "{plan}");
    let help = missing[0]["help"].as_str().unwrap();
    let gobin = home.join("go/bin");
    assert!(
        help.contains(&format!(
            "GOBIN={} {}/sdk/current/bin/go install github.com/go-delve/delve/cmd/dlv@v1.25.2",
            gobin.display(),
            home.display()
        )),
        "{help}"
    );

    // There but not executable, with a dlv-dap leftover beside it.
    fs::create_dir_all(&gobin).unwrap();
    fs::copy(debian_dlv(), gobin.join("dlv")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(gobin.join("dlv"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(gobin.join("dlv-dap"), "old").unwrap();
    let plan = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    assert_eq!(findings(&plan, "delve-not-executable").len(), 1, "{plan}");
    assert_eq!(findings(&plan, "dlv-dap-leftover").len(), 1, "{plan}");
    assert_eq!(findings(&plan, "delve-version-unknown").len(), 1, "not run, so unknown: {plan}");

    // require="present" checks presence only; require="off" checks nothing.
    fs::set_permissions(gobin.join("dlv"), fs::Permissions::from_mode(0o755)).unwrap();
    env.write("p.kdl", &profile("require=\"present\""));
    let plan = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    assert!(findings(&plan, "delve-incompatible").is_empty(), "{plan}");
    fs::remove_file(gobin.join("dlv")).unwrap();
    env.write("p.kdl", &profile("require=\"off\""));
    let plan = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    assert!(findings(&plan, "delve-missing").is_empty(), "{plan}");
}

/// goenv's verdict and Delve's own agree: Debian's dlv refuses what Go 1.22.10 builds, with the
/// text goenv quotes, and debugs what Debian's Go 1.19 builds, where goenv finds nothing.
#[test]
fn goenvs_verdict_agrees_with_the_real_dlv_debug() {
    use common::delve::{
        DEBIAN_GO119_ROOT, DLV_TIMEOUT, INIT_CONTINUE_EXIT, delve_refusal, dlv_debug_hello,
    };
    use common::fixtures::{GO_DELVE, go_bin};
    let dlv = debian_dlv();
    let plan_with = |version: &str, go: &Path| {
        let env = TestEnv::new();
        adopted_sdk(&env.home(), version, Some(go));
        env.write(
            "p.kdl",
            &format!(
                "version 1\ngo \"{version}\" {{\n}}\ndelve \"{}\"\nshells \"bash\"\n",
                dlv.display()
            ),
        );
        json(&env.goenv(&["plan", "--format", "json", "p.kdl"]))
    };

    let refusal = delve_refusal(GO_DELVE);
    let quoted = format!("Version of Delve is too old for Go version {GO_DELVE}");
    assert!(refusal.starts_with(&quoted), "Delve says: {refusal}");
    let plan = plan_with(GO_DELVE, &go_bin(GO_DELVE));
    let bad = findings(&plan, "delve-incompatible");
    assert_eq!(bad.len(), 1, "{plan}");
    assert!(bad[0]["message"].as_str().unwrap().contains(&quoted), "{plan}");

    let go119 = Path::new(DEBIAN_GO119_ROOT).join("bin/go");
    let version = fs::read_to_string(Path::new(DEBIAN_GO119_ROOT).join("VERSION")).unwrap();
    let version = version.lines().next().unwrap().trim_start_matches("go").to_owned();
    let plan = plan_with(&version, &go119);
    assert!(findings(&plan, "delve-incompatible").is_empty(), "go{version}: {plan}");
    let run = dlv_debug_hello("debian-1.19", &[], INIT_CONTINUE_EXIT, DLV_TIMEOUT);
    assert_eq!(run.code(), Some(0), "Delve debugs go{version}'s program: {run:?}");
    assert!(run.stdout.contains("hello"), "{run:?}");
}

/// `install=` runs `go install` with the active SDK and the profile's environment (here a
/// `file://` GOPROXY holding a fake Delve module), checks the build info, and rollback removes it.
#[test]
fn install_builds_delve_from_the_profiles_goproxy_and_verifies_it() {
    use common::fixtures::{GO_DELVE, go_bin, gocache};
    use common::goproxy::{WritableOnDrop, fake_delve_proxy};
    let env = TestEnv::new();
    let home = env.home();
    let _cleanup = WritableOnDrop(home.clone());
    adopted_sdk(&home, GO_DELVE, Some(&go_bin(GO_DELVE)));
    let proxy = fake_delve_proxy(&env.dir.path().join("proxy"), &["v1.22.1", "v1.23.1"]);
    let profile = |install: &str| {
        format!(
            "version 1\ngo \"{GO_DELVE}\" {{\n}}\ndelve install=\"{install}\"\n\
             go-env {{\n    GOPROXY \"{proxy}\"\n    GOSUMDB \"off\"\n    GOBIN \"~/go/bin\"\n    \
             GOTOOLCHAIN \"local\"\n    GOFLAGS \"-modcacherw\"\n}}\nshells \"bash\"\n"
        )
    };
    let cache = format!("GOCACHE={}", gocache().display());
    let goenv = |args: &[&str]| {
        let mut all = vec!["--env", cache.as_str()];
        all.extend_from_slice(args);
        env.goenv(&all)
    };
    env.write("p.kdl", &profile("v1.23.1"));
    let plan = goenv(&["plan", "p.kdl"]);
    let shown = text(&plan.stdout);
    assert!(shown.contains("+ tool:~/go/bin/dlv"), "{shown}");
    assert!(shown.contains("install github.com/go-delve/delve/cmd/dlv@v1.23.1"), "{shown}");

    let out = goenv(&["apply", "--yes", "p.kdl"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dlv = home.join("go/bin/dlv");
    let binary = goenv::gobin::read(&dlv).expect("a Go binary");
    let main = binary.info.unwrap().main.unwrap();
    assert_eq!(
        (main.path.as_str(), main.version.as_str()),
        ("github.com/go-delve/delve", "v1.23.1")
    );
    assert_eq!(binary.go_version, format!("go{GO_DELVE}"));
    let says = std::process::Command::new(&dlv).arg("version").output().unwrap();
    assert!(text(&says.stdout).contains("Version: 1.23.1"), "{}", text(&says.stdout));

    // Up to date: nothing to do, nothing to say about Delve 1.23.1 and Go 1.22.
    let plan = json(&goenv(&["plan", "--format", "json", "p.kdl"]));
    assert_eq!(plan["summary"], serde_json::json!({"add": 0, "change": 0, "remove": 0}), "{plan}");
    let delve: Vec<&Value> = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().unwrap().contains("delve"))
        .collect();
    assert!(delve.is_empty(), "{plan}");

    // Another release replaces it; rollback puts 1.23.1 back byte for byte.
    let before = fs::read(&dlv).unwrap();
    env.write("p.kdl", &profile("v1.22.1"));
    assert!(goenv(&["apply", "--yes", "p.kdl"]).status.success());
    let main = goenv::gobin::read(&dlv).unwrap().info.unwrap().main.unwrap();
    assert_eq!(main.version, "v1.22.1");
    assert!(goenv(&["rollback", "--yes"]).status.success());
    assert_eq!(fs::read(&dlv).unwrap(), before);

    // A release the proxy does not have: a clear error, nothing changed.
    env.write("p.kdl", &profile("v1.99.0"));
    let out = goenv(&["apply", "--yes", "p.kdl"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = flat(&out.stderr);
    assert!(
        stderr.contains("go install github.com/go-delve/delve/cmd/dlv@v1.99.0` failed"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(fs::read(&dlv).unwrap(), before);
    let leftovers: Vec<_> =
        fs::read_dir(home.join("go/bin")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

/// SIGTERM while `go install` builds: goenv stops the whole build (go and the compilers it
/// started, here a `-toolexec` wrapper that blocks), removes the staging GOBIN, says so and
/// exits 143; nothing of the build outlives it.
#[test]
fn sigterm_during_a_build_stops_go_and_its_compilers_and_leaves_nothing() {
    use common::fixtures::{GO_DELVE, go_bin, gocache};
    use common::goproxy::{WritableOnDrop, fake_delve_proxy};
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let env = TestEnv::new();
    let home = env.home();
    let _cleanup = WritableOnDrop(home.clone());
    adopted_sdk(&home, GO_DELVE, Some(&go_bin(GO_DELVE)));
    let proxy = fake_delve_proxy(&env.dir.path().join("proxy"), &["v1.23.1"]);
    let pids = env.dir.path().join("pids");
    let wrapper = env.write(
        "slow-toolexec",
        &format!("#!/bin/sh\necho $$ >> '{}'\nexec sleep 120\n", pids.display()),
    );
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    env.write(
        "p.kdl",
        &format!(
            "version 1\ngo \"{GO_DELVE}\" {{\n}}\ndelve install=\"v1.23.1\"\n\
             go-env {{\n    GOPROXY \"{proxy}\"\n    GOSUMDB \"off\"\n    GOBIN \"~/go/bin\"\n    \
             GOTOOLCHAIN \"local\"\n    GOFLAGS \"-modcacherw -toolexec={}\"\n}}\nshells \"bash\"\n",
            wrapper.display()
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_goenv"))
        .current_dir(env.dir.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .arg("--home")
        .arg(&home)
        .args(["--env", &format!("GOCACHE={}", gocache().display()), "apply", "--yes", "p.kdl"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("goenv starts");
    let started = Instant::now();
    let building = || fs::read_to_string(&pids).is_ok_and(|t| !t.trim().is_empty());
    while !building() {
        assert!(started.elapsed() < Duration::from_secs(60), "the build never reached the wrapper");
        assert!(child.try_wait().unwrap().is_none(), "goenv ended before the build blocked");
        std::thread::sleep(Duration::from_millis(20));
    }
    let staging: Vec<String> = fs::read_dir(home.join("go/bin"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(staging.iter().any(|n| n.starts_with(".goenv-build-")), "{staging:?}");
    let signalled = Instant::now();
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(signalled.elapsed() < Duration::from_secs(10), "{:?}", signalled.elapsed());
    assert!(stderr.contains("interrupted by SIGTERM; removed `"), "{stderr}");
    assert!(stderr.contains(".goenv-build-") && stderr.contains("nothing was changed"), "{stderr}");
    // Every process of the build is gone (a zombie waiting for init to reap it counts as gone).
    let alive = |pid: &str| {
        fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z'))
        })
    };
    let all = fs::read_to_string(&pids).unwrap();
    let running: Vec<&str> = all.split_whitespace().filter(|p| alive(p)).collect();
    for pid in &running {
        let _ = Command::new("kill").args(["-KILL", pid]).status();
    }
    assert!(running.is_empty(), "still running after goenv exited: {running:?}");
    std::thread::sleep(Duration::from_millis(300));
    let left: Vec<_> =
        fs::read_dir(home.join("go/bin")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(!home.join(".local/state/goenv/generations/0001.toml").exists());
}

/// The Delve VS Code debugs with (`go.alternateTools.dlv`) is checked against the active SDK
/// too: the one a settings file names, and the one goenv writes there.
#[test]
fn the_editors_delve_is_checked_against_the_active_sdk() {
    let dlv = debian_dlv();
    let env = TestEnv::new();
    let home = env.home();
    adopted_sdk(&home, "1.22.10", None);
    let settings = home.join(".config/Code/User/settings.json");
    fs::create_dir_all(settings.parent().unwrap()).unwrap();
    fs::write(
        &settings,
        format!(
            "{{\n    // mine\n    \"go.alternateTools\": {{ \"dlv\": \"{}\" }},\n}}\n",
            dlv.display()
        ),
    )
    .unwrap();
    env.write("p.kdl", "version 1\ngo \"1.22.10\" {\n}\nshells \"bash\"\n");
    let plan = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    let bad = findings(&plan, "vscode-dlv-incompatible");
    assert_eq!(bad.len(), 1, "{plan}");
    let message = bad[0]["message"].as_str().unwrap();
    assert!(
        message.contains("Delve 1.20.2") && message.contains("too old for Go 1.22.10"),
        "{message}"
    );

    // With the `vscode` node goenv points VS Code at GOBIN/dlv: that one is checked.
    env.write("p.kdl", "version 1\ngo \"1.22.10\" {\n}\nvscode\nshells \"bash\"\n");
    let plan = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    assert!(
        findings(&plan, "vscode-dlv-incompatible").is_empty(),
        "nothing at ~/go/bin/dlv: {plan}"
    );
    fs::create_dir_all(home.join("go/bin")).unwrap();
    fs::copy(dlv, home.join("go/bin/dlv")).unwrap();
    let plan = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    let bad = findings(&plan, "vscode-dlv-incompatible");
    assert_eq!(bad.len(), 1, "{plan}");
    assert!(bad[0]["message"].as_str().unwrap().contains("~/go/bin/dlv"), "{plan}");
}

/// goenv never suggests nor performs a write over a package manager's `dlv` or outside the home
/// (issue 16, item 2): the fix installs into GOBIN, with the active SDK's `go` by absolute path,
/// and says to point `delve` (or VS Code) there; `install=` stops the plan instead.
#[test]
fn a_package_managers_delve_is_never_written_nor_the_fixs_target() {
    let debian = debian_dlv();
    let env = TestEnv::new();
    let home = env.home();
    adopted_sdk(&home, "1.22.10", None);
    // A copy of Debian's dlv outside the home, owned by `delve` in a dpkg database of the test's.
    let usr_bin = env.dir.path().join("usr/bin");
    fs::create_dir_all(&usr_bin).unwrap();
    let dlv = usr_bin.join("dlv");
    fs::copy(debian, &dlv).unwrap();
    let info = env.dir.path().join("dpkg-info");
    fs::create_dir_all(&info).unwrap();
    fs::write(info.join("delve.list"), format!("/.\n/usr\n/usr/bin\n{}\n", dlv.display())).unwrap();
    fs::write(info.join("zsh.list"), "/.\n/usr/bin/zsh\n").unwrap();
    let goenv = |args: &[&str]| {
        assert_cmd::Command::cargo_bin("goenv")
            .unwrap()
            .current_dir(env.dir.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("NO_COLOR", "1")
            .env("TEST_GOENV_DPKG_INFO", &info)
            .arg("--home")
            .arg(&home)
            .args(args)
            .output()
            .unwrap()
    };
    let h = home.display();
    let fix = format!(
        "GOBIN={h}/go/bin {h}/sdk/current/bin/go install github.com/go-delve/delve/cmd/dlv@v1.25.2"
    );
    let profile =
        |delve: &str| format!("version 1\ngo \"1.22.10\" {{\n}}\n{delve}\nshells \"bash\"\n");

    env.write("p.kdl", &profile(&format!("delve \"{}\"", dlv.display())));
    let plan = json(&goenv(&["plan", "--format", "json", "p.kdl"]));
    let bad = findings(&plan, "delve-incompatible");
    assert_eq!(bad.len(), 1, "{plan}");
    let help = bad[0]["help"].as_str().unwrap();
    assert!(help.contains(&fix), "{help}");
    assert!(help.contains("then point `delve` at `~/go/bin/dlv`"), "{help}");
    assert!(help.contains("belongs to Debian's package `delve`"), "{help}");
    assert!(!help.contains(&format!("GOBIN={}", usr_bin.display())), "{help}");

    // Not executable there: the fix is a build of one's own, not a `chmod` of dpkg's file.
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&dlv, fs::Permissions::from_mode(0o644)).unwrap();
    let plan = json(&goenv(&["plan", "--format", "json", "p.kdl"]));
    let help = findings(&plan, "delve-not-executable")[0]["help"].as_str().unwrap().to_owned();
    assert!(help.contains(&format!("GOBIN={h}/go/bin")) && !help.contains("chmod"), "{help}");
    fs::set_permissions(&dlv, fs::Permissions::from_mode(0o755)).unwrap();

    // `install=` never plans a write over it: the plan stops, naming the owner and the fix.
    env.write("p.kdl", &profile(&format!("delve \"{}\" install=\"v1.25.2\"", dlv.display())));
    for args in [&["plan", "p.kdl"][..], &["apply", "--yes", "p.kdl"]] {
        let out = goenv(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out.stdout));
        let err = flat(&out.stderr);
        assert!(err.contains("`install=` would write over a file goenv must not touch"), "{err}");
        assert!(err.contains("belongs to Debian's package `delve`"), "{err}");
        assert!(err.contains("write `delve \"~/go/bin/dlv\" install=\"v1.25.2\"`"), "{err}");
    }
    // The same through a link at the default path (GOBIN/dlv): a write would follow it.
    fs::create_dir_all(home.join("go/bin")).unwrap();
    std::os::unix::fs::symlink(&dlv, home.join("go/bin/dlv")).unwrap();
    env.write("p.kdl", &profile("delve install=\"v1.25.2\""));
    let out = goenv(&["apply", "--yes", "p.kdl"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = flat(&out.stderr);
    assert!(err.contains("(a link to `") && err.contains("remove the link"), "{err}");
    assert_eq!(fs::read(&dlv).unwrap(), fs::read(debian).unwrap());
    assert!(!home.join(".local/state/goenv/generations/0001.toml").exists());
    fs::remove_file(home.join("go/bin/dlv")).unwrap();

    // VS Code's Delve: the active SDK's `go` by absolute path, never a bare `go` (which may be
    // Debian's Go 1.19), and the same rule about whose file it is.
    let settings = home.join(".config/Code/User/settings.json");
    fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let editor = |dlv: &Path| {
        fs::write(
            &settings,
            format!("{{\"go.alternateTools\": {{\"dlv\": \"{}\"}}}}\n", dlv.display()),
        )
        .unwrap();
        let plan = json(&goenv(&["plan", "--format", "json", "p.kdl"]));
        let bad = findings(&plan, "vscode-dlv-incompatible");
        assert_eq!(bad.len(), 1, "{plan}");
        bad[0]["help"].as_str().unwrap().to_owned()
    };
    env.write("p.kdl", &profile(""));
    let help = editor(&dlv);
    assert!(help.contains(&fix), "{help}");
    assert!(help.contains("then point `go.alternateTools` `dlv` at `~/go/bin/dlv`"), "{help}");
    fs::create_dir_all(home.join("tools")).unwrap();
    fs::copy(debian, home.join("tools/dlv")).unwrap();
    let help = editor(&home.join("tools/dlv"));
    let mine = format!(
        "GOBIN={h}/tools {h}/sdk/current/bin/go install github.com/go-delve/delve/cmd/dlv@v1.25.2"
    );
    assert!(help.contains(&mine), "{help}");
}
