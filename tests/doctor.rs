//! `goenv doctor` on homes that reproduce the situations people arrive with: each gets the right
//! finding at the right file and line, and the whole human output is snapshot-tested.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::TestEnv;
use common::fixtures::go_bin;
use serde_json::Value;

/// An SDK tree in the home that is really the home's (not a link into `.fixtures`): a copy of
/// the fixture's `bin/go`, its VERSION and go.env, and an empty `pkg/tool`.
fn sdk_in_home(home: &Path, version: &str) -> PathBuf {
    let fixture = go_bin(version);
    let fixture_root = fixture.parent().unwrap().parent().unwrap().to_path_buf();
    let root = home.join(format!("sdk/go{version}"));
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("pkg/tool/linux_amd64")).unwrap();
    std::fs::copy(&fixture, root.join("bin/go")).unwrap();
    for f in ["VERSION", "go.env"] {
        std::fs::copy(fixture_root.join(f), root.join(f)).unwrap();
    }
    root
}

/// Debian's skeleton `~/.profile` and the start of its `~/.bashrc` (the interactive guard), as
/// text of their own so the snapshots do not depend on this machine's `/etc/skel`.
const SKEL_PROFILE: &str = r#"# ~/.profile: executed by the command interpreter for login shells.
if [ -n "$BASH_VERSION" ]; then
    # include .bashrc if it exists
    if [ -f "$HOME/.bashrc" ]; then
	. "$HOME/.bashrc"
    fi
fi

# set PATH so it includes user's private bin if it exists
if [ -d "$HOME/bin" ] ; then
    PATH="$HOME/bin:$PATH"
fi
"#;

const SKEL_BASHRC: &str = r#"# ~/.bashrc: executed by bash(1) for non-login shells.

# If not running interactively, don't do anything
case $- in
    *i*) ;;
      *) return;;
esac

HISTCONTROL=ignoreboth
shopt -s histappend
[ -x /usr/bin/lesspipe ] && eval "$(SHELL=/bin/sh lesspipe)"
if [ -x /usr/bin/dircolors ]; then
    test -r ~/.dircolors && eval "$(dircolors -b ~/.dircolors)" || eval "$(dircolors -b)"
    alias ls='ls --color=auto'
fi
"#;

fn skel(home: &Path) {
    std::fs::create_dir_all(home).unwrap();
    std::fs::write(home.join(".profile"), SKEL_PROFILE).unwrap();
    std::fs::write(home.join(".bashrc"), SKEL_BASHRC).unwrap();
}

fn doctor_json(env: &TestEnv, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["doctor", "--format", "json"];
    args.extend_from_slice(extra);
    if !extra.contains(&"--shell") {
        args.extend_from_slice(&["--shell", "/bin/bash"]);
    }
    let out = env.goenv(&args);
    let code = out.status.code().unwrap_or(-1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("doctor prints JSON ({e}): {}", String::from_utf8_lossy(&out.stderr))
    });
    common::doctor_schema::assert_valid(&v);
    (code, v)
}

fn findings<'a>(v: &'a Value, code: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == format!("goenv::doctor::{code}"))
        .collect()
}

fn line_of(path: &Path, needle: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().position(|l| l.contains(needle)).expect("the line is there") as u64 + 1
}

/// The dock problem: PATH set only in `~/.bashrc`, below Debian's interactive guard. The
/// terminal has `go`; the GNOME dock, GoLand and `ssh host cmd` do not.
#[test]
fn the_dock_problem_is_found_at_the_bashrc_line() {
    let env = TestEnv::for_snapshots();
    let home = env.home();
    skel(&home);
    sdk_in_home(&home, "1.22.10");
    let mut rc = std::fs::read_to_string(home.join(".bashrc")).unwrap();
    rc.push_str("export PATH=\"$HOME/sdk/go1.22.10/bin:$PATH\"\n");
    std::fs::write(home.join(".bashrc"), rc).unwrap();
    let line = line_of(&home.join(".bashrc"), "sdk/go1.22.10/bin");

    let (code, v) = doctor_json(&env, &[]);
    assert_eq!(code, 3, "an editor context without go is an error: {v:#}");
    let f = findings(&v, "go-missing");
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!(f[0]["path"], "~/.bashrc");
    assert_eq!(f[0]["line"], line);
    let contexts: Vec<&str> =
        f[0]["contexts"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    for c in
        ["gnome-wayland", "gnome-x11", "goland", "ssh-command", "systemd-user-service", "sh-login"]
    {
        assert!(contexts.contains(&c), "{c} lacks go: {contexts:?}");
    }
    for c in ["bash-interactive", "bash-login", "vscode"] {
        assert!(
            !contexts.contains(&c),
            "{c} reads ~/.bashrc interactively and has go: {contexts:?}"
        );
    }
    let by_id = |id: &str| {
        v["contexts"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone()
    };
    assert_eq!(by_id("vscode")["go"]["path"], "~/sdk/go1.22.10/bin/go");
    assert_eq!(by_id("vscode")["go"]["version"], "go1.22.10");
    assert_eq!(by_id("vscode")["go"]["goroot"], "~/sdk/go1.22.10");
    assert_eq!(by_id("gnome-wayland")["go"], Value::Null);

    snapshot!("doctor_dock_problem_human", env.run(&["doctor", "--shell", "/bin/bash"]));
}

/// A bad `go env -w` months ago: GOPROXY=direct, GOFLAGS=-mod=vendor, GO111MODULE=off, each
/// found at its line of the Go env file, with the layer that won and what it shadows.
#[test]
fn a_bad_go_env_w_is_found_at_each_line() {
    let env = TestEnv::for_snapshots();
    let home = env.home();
    skel(&home);
    sdk_in_home(&home, "1.22.10");
    let mut profile = std::fs::read_to_string(home.join(".profile")).unwrap();
    profile.push_str("PATH=\"$HOME/sdk/go1.22.10/bin:$PATH\"\n");
    std::fs::write(home.join(".profile"), profile).unwrap();
    std::fs::create_dir_all(home.join(".config/go")).unwrap();
    std::fs::write(
        home.join(".config/go/env"),
        "GOPROXY=direct\nGOFLAGS=-mod=vendor\nGO111MODULE=off\n",
    )
    .unwrap();

    let (code, v) = doctor_json(&env, &[]);
    // KDE imports the user manager's PATH over the login shell's: no `go` there (an error)
    assert_eq!(code, 3, "{v:#}");
    let kde = findings(&v, "go-missing");
    assert!(kde[0]["contexts"].as_array().unwrap().iter().any(|c| c == "kde"), "{v:#}");
    for (c, line) in [("goproxy-direct", 1), ("goflags-mod-vendor", 2), ("go111module-off", 3)] {
        let f = findings(&v, c);
        assert_eq!(f.len(), 1, "{c}: {v:#}");
        assert_eq!(f[0]["path"], "~/.config/go/env", "{c}");
        assert_eq!(f[0]["line"], line, "{c}");
        assert_eq!(f[0]["severity"], "warning");
    }
    let bash = v["contexts"].as_array().unwrap().iter().find(|c| c["id"] == "bash-login").unwrap();
    let proxy = &bash["env"]["GOPROXY"];
    assert_eq!(proxy["value"], "direct");
    assert_eq!(proxy["source"], serde_json::json!({"file": "~/.config/go/env", "line": 1}));
    assert_eq!(
        proxy["shadows"][0],
        serde_json::json!({"value": "https://proxy.golang.org,direct", "source": {"file": "~/sdk/go1.22.10/go.env", "line": 7}})
    );
    snapshot!("doctor_bad_go_env_w_human", env.run(&["doctor", "--shell", "/bin/bash"]));
}

/// `export GOROOT` to an SDK that was deleted: every `go` command fails; an error at the line.
#[test]
fn a_goroot_to_a_deleted_sdk_is_an_error_at_its_line() {
    let env = TestEnv::for_snapshots();
    let home = env.home();
    skel(&home);
    sdk_in_home(&home, "1.22.10");
    let mut profile = std::fs::read_to_string(home.join(".profile")).unwrap();
    profile
        .push_str("export GOROOT=\"$HOME/sdk/go1.21.0\"\nPATH=\"$HOME/sdk/go1.22.10/bin:$PATH\"\n");
    std::fs::write(home.join(".profile"), profile).unwrap();
    let line = line_of(&home.join(".profile"), "GOROOT=");
    let (code, v) = doctor_json(&env, &[]);
    assert_eq!(code, 3, "{v:#}");
    let f = findings(&v, "goroot-missing");
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!((f[0]["path"].as_str(), f[0]["line"].as_u64()), (Some("~/.profile"), Some(line)));
    assert!(f[0]["message"].as_str().unwrap().contains("cannot find GOROOT directory"), "{}", f[0]);
    // and the real go agrees that it cannot run
    let out = Command::new(home.join("sdk/go1.22.10/bin/go"))
        .arg("env")
        .env_clear()
        .env("HOME", &home)
        .env("GOROOT", home.join("sdk/go1.21.0"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot find GOROOT directory"),
        "{out:?}"
    );
}

/// A darwin/amd64 `go` on an arm64 Mac (Rosetta), planned with `--os macos --arch arm64`.
#[test]
fn an_intel_go_on_an_arm64_mac_is_found() {
    let env = TestEnv::for_snapshots();
    let home = env.home();
    std::fs::create_dir_all(&home).unwrap();
    let root = home.join("sdk/go1.22.10");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("pkg/tool/darwin_amd64")).unwrap();
    std::fs::write(root.join("VERSION"), "go1.22.10\ntime 2024-11-27T18:27:29Z\n").unwrap();
    // a real darwin/amd64 Go binary, cross-compiled by the fixture Go
    let src = env.dir.path().join("hello");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("go.mod"), "module hello\n\ngo 1.22\n").unwrap();
    std::fs::write(src.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
    let out = Command::new(go_bin("1.22.10"))
        .args(["build", "-o"])
        .arg(root.join("bin/go"))
        .arg(".")
        .current_dir(&src)
        .env_clear()
        .env("HOME", &home)
        .env("GOOS", "darwin")
        .env("GOARCH", "amd64")
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", common::fixtures::gocache())
        .env("GOFLAGS", "-mod=mod")
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(home.join(".zprofile"), "export PATH=\"$HOME/sdk/go1.22.10/bin:$PATH\"\n")
        .unwrap();
    // a Mac's system files are not this machine's: an empty system root (macOS's /etc/zprofile
    // runs path_helper, which doctor does not model yet)
    let sysroot = env.dir.path().join("macos-root");
    std::fs::create_dir_all(sysroot.join("etc/paths.d")).unwrap();
    std::fs::create_dir_all(sysroot.join("usr/libexec")).unwrap();
    std::fs::write(sysroot.join("etc/zprofile"), "# System-wide profile for interactive zsh(1) login shells.\nif [ -x /usr/libexec/path_helper ]; then\n\teval `/usr/libexec/path_helper -s`\nfi\n").unwrap();
    std::fs::write(sysroot.join("etc/paths"), "/usr/local/bin\n/usr/bin\n/bin\n/usr/sbin\n/sbin\n")
        .unwrap();
    std::fs::write(sysroot.join("etc/paths.d/10-cryptex"), "/opt/cryptex/bin\n").unwrap();
    std::fs::write(sysroot.join("usr/libexec/path_helper"), "").unwrap();
    std::fs::set_permissions(
        sysroot.join("usr/libexec/path_helper"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    // a PATH set in ~/.zshenv is moved behind the system's by path_helper in /etc/zprofile
    std::fs::write(home.join(".zshenv"), "export PATH=\"$HOME/tools/bin:$PATH\"\n").unwrap();
    std::fs::create_dir_all(home.join("tools/bin")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_goenv"))
        .args(["--home"])
        .arg(&home)
        .args([
            "--os", "macos", "--arch", "arm64", "doctor", "--shell", "/bin/zsh", "--format", "json",
        ])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TEST_GOENV_SYSROOT", &sysroot)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::doctor_schema::assert_valid(&v);
    let f = findings(&v, "wrong-arch");
    assert_eq!(f.len(), 1, "{v:#}");
    let message = f[0]["message"].as_str().unwrap();
    assert!(message.contains("amd64") && message.contains("Rosetta"), "{message}");
    assert!(f[0]["contexts"].as_array().unwrap().iter().any(|c| c == "terminal-zsh"), "{}", f[0]);
    assert_eq!(f[0]["severity"], "warning");
    // the dock does not read ~/.zprofile: an error
    assert_eq!(code, 3, "{v:#}");
    assert!(
        findings(&v, "go-missing")[0]["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "dock-app"),
        "{v:#}"
    );
    let ids: Vec<&str> =
        v["contexts"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"dock-app") && !ids.contains(&"gnome-wayland"), "{ids:?}");
    let terminal =
        v["contexts"].as_array().unwrap().iter().find(|c| c["id"] == "terminal-zsh").unwrap();
    let path: Vec<&str> =
        terminal["path"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    let tools = home.join("tools/bin").display().to_string();
    let go = home.join("sdk/go1.22.10/bin").display().to_string();
    assert_eq!(
        path,
        [
            go.as_str(),
            "/usr/local/bin",
            "/usr/bin",
            "/bin",
            "/usr/sbin",
            "/sbin",
            "/opt/cryptex/bin",
            tools.as_str()
        ],
        "path_helper reorders, ~/.zprofile prepends after it: {terminal:#}"
    );
}

/// An unknown `--context` is a usage error naming the contexts there are.
#[test]
fn an_unknown_context_is_refused() {
    let env = TestEnv::for_snapshots();
    std::fs::create_dir_all(env.home()).unwrap();
    snapshot!("doctor_unknown_context", env.run(&["doctor", "--context", "bash"]));
}

/// A secret in a GOPROXY URL never shows: not in human output, not in JSON.
#[test]
fn credentials_in_goproxy_are_redacted() {
    let env = TestEnv::new();
    let home = env.home();
    skel(&home);
    std::fs::create_dir_all(home.join(".config/go")).unwrap();
    std::fs::write(
        home.join(".config/go/env"),
        "GOPROXY=https://bob:hunter2PROXYPASS@proxy.corp.example\n",
    )
    .unwrap();
    for format in ["human", "json"] {
        let out = env.goenv(&["doctor", "-v", "--format", format]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("hunter2PROXYPASS"), "{all}");
        assert!(all.contains("proxy.corp.example"), "{all}");
    }
}

/// Delve 1.20 with Go 1.22: an error in every context that finds both, with a fix that installs
/// into the home with the SDK's own `go`.
#[test]
fn delve_1_20_with_go_1_22_is_an_error() {
    use common::goproxy::{WritableOnDrop, fake_delve_proxy};
    let env = TestEnv::new();
    let home = env.home();
    let _cleanup = WritableOnDrop(home.clone());
    skel(&home);
    sdk_in_home(&home, "1.22.10");
    let proxy = fake_delve_proxy(&env.dir.path().join("proxy"), &["v1.20.0"]);
    let out = Command::new(go_bin("1.22.10"))
        .args(["install", "github.com/go-delve/delve/cmd/dlv@v1.20.0"])
        .current_dir(&home)
        .env_clear()
        .env("HOME", &home)
        .env("PATH", "/usr/bin:/bin")
        .env("GOPROXY", &proxy)
        .env("GOSUMDB", "off")
        .env("GOBIN", home.join("go/bin"))
        .env("GOFLAGS", "-modcacherw")
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", common::fixtures::gocache())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut profile = std::fs::read_to_string(home.join(".profile")).unwrap();
    profile.push_str("PATH=\"$HOME/go/bin:$HOME/sdk/go1.22.10/bin:$PATH\"\n");
    std::fs::write(home.join(".profile"), profile).unwrap();
    let (code, v) = doctor_json(&env, &[]);
    assert_eq!(code, 3, "{v:#}");
    let f = findings(&v, "delve-incompatible");
    assert_eq!(f.len(), 1, "{v:#}");
    let message = f[0]["message"].as_str().unwrap();
    assert!(message.contains("Delve 1.20.0") && message.contains("go1.22.10"), "{message}");
    let fix = f[0]["fix"].as_str().unwrap();
    assert!(
        fix.contains("/sdk/go1.22.10/bin/go install github.com/go-delve/delve/cmd/dlv@v"),
        "{fix}"
    );
    assert!(fix.starts_with(&format!("`GOBIN={}", home.join("go/bin").display())), "{fix}");
    let contexts = f[0]["contexts"].as_array().unwrap();
    assert!(
        contexts.iter().any(|c| c == "bash-login") && contexts.iter().any(|c| c == "gnome-wayland"),
        "{contexts:?}"
    );
    assert!(
        !contexts.iter().any(|c| c == "goland"),
        "GoLand has no Delve of its own here: {contexts:?}"
    );

    // GoLand: its bundled Delve (the same old build here) against the SDK it has registered
    let bundled =
        home.join(".local/share/JetBrains/Toolbox/apps/goland/plugins/go-plugin/lib/dlv/linux");
    std::fs::create_dir_all(&bundled).unwrap();
    std::fs::copy(home.join("go/bin/dlv"), bundled.join("dlv")).unwrap();
    let options = home.join(".config/JetBrains/GoLand2025.1/options");
    std::fs::create_dir_all(&options).unwrap();
    std::fs::write(
        options.join("go.sdk.xml"),
        "<application>\n  <component name=\"GoSdkList\">\n    <sdk-path>\n      <set>\n        <option value=\"$USER_HOME$/sdk/go1.22.10\" />\n      </set>\n    </sdk-path>\n  </component>\n</application>\n",
    )
    .unwrap();
    let (_, v) = doctor_json(&env, &["--context", "goland"]);
    let f = findings(&v, "delve-incompatible");
    let goland: Vec<&&Value> = f
        .iter()
        .filter(|f| f["path"].as_str().is_some_and(|p| p.ends_with("go.sdk.xml")))
        .collect();
    assert_eq!(goland.len(), 1, "{v:#}");
    assert_eq!(goland[0]["contexts"], serde_json::json!(["goland"]));
    assert_eq!(goland[0]["path"], "~/.config/JetBrains/GoLand2025.1/options/go.sdk.xml");
    assert_eq!(goland[0]["line"], 5);
    let message = goland[0]["message"].as_str().unwrap();
    assert!(
        message.contains("--check-go-version=false")
            && message.contains("plugins/go-plugin/lib/dlv/linux/dlv"),
        "{message}"
    );
    assert!(goland[0]["fix"].as_str().unwrap().contains("dlv.path="), "{}", goland[0]);
}

/// A profile at the default path joins in: its plan's findings are reported with doctor's.
#[test]
fn a_profile_at_the_default_path_joins_in() {
    let env = TestEnv::new();
    let home = env.home();
    skel(&home);
    std::fs::create_dir_all(home.join(".config/goenv")).unwrap();
    std::fs::write(
        home.join(".config/goenv/profile.kdl"),
        "version 1\ngo-env {\n    GOTOOLCHAIN \"local\"\n}\n",
    )
    .unwrap();
    std::fs::create_dir_all(home.join(".config/go")).unwrap();
    std::fs::write(home.join(".config/go/env"), "GOTOOLCHAIN=local\n").unwrap();
    let mut rc = std::fs::read_to_string(home.join(".bashrc")).unwrap();
    rc.insert_str(0, "export GOTOOLCHAIN=auto\n");
    std::fs::write(home.join(".bashrc"), rc).unwrap();
    let (_, v) = doctor_json(&env, &[]);
    let profile = &v["profile"];
    assert!(profile["path"].as_str().unwrap().ends_with(".config/goenv/profile.kdl"), "{v:#}");
    let codes: Vec<&str> = profile["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.iter().any(|c| c.contains("shadowed")),
        "the exported GOTOOLCHAIN shadows the profile's: {codes:?}"
    );
    let out = env.goenv(&["doctor"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Profile `"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Hostile start-up files never make doctor panic, hang or overflow its stack: the value they
/// would decide is unknown, with the file and line.
#[test]
fn hostile_start_up_files_give_unknowns_not_crashes() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (".bashrc", "(".repeat(30).into_bytes()),
        (
            ".bashrc",
            format!("{}:{}", "if true; then ".repeat(5000), "; fi".repeat(5000)).into_bytes(),
        ),
        (".bashrc", format!("{} : ; {}", "{ ".repeat(5000), "} ".repeat(5000)).into_bytes()),
        (".bashrc", "x=$(".repeat(3000).into_bytes()),
        (".profile", b". ~/.profile\n".to_vec()),
        (".profile", b"f() { f; }\nf\n".to_vec()),
        (".profile", b"while true; do PATH=/x:$PATH; done\n".to_vec()),
        (".profile", b"for f in /*/*/*; do :; done\nexport PATH=/y:$PATH\n".to_vec()),
        (".zshrc", (0..5000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect()),
        (
            ".config/fish/config.fish",
            format!("{}{}", "if true\n".repeat(5000), "set -gx A (".repeat(2000)).into_bytes(),
        ),
    ];
    // files sourcing each other, each nested as deep as goenv reads, with a recursive function
    let chain: Vec<(String, Vec<u8>)> = (1..=20)
        .map(|i| {
            let body = format!(
                "{}f{i}() {{ f{i}; }}; f{i}; . ~/.b{}; {}",
                "{ ".repeat(31),
                i + 1,
                "} ".repeat(31)
            );
            (format!(".b{i}"), body.into_bytes())
        })
        .collect();
    let mut cases = cases;
    cases.push((".bashrc", b". ~/.b1\n".to_vec()));
    for (file, bytes) in cases {
        let env = TestEnv::new();
        let home = env.home();
        std::fs::create_dir_all(home.join(".config/fish")).unwrap();
        for (name, text) in &chain {
            std::fs::write(home.join(name), text).unwrap();
        }
        std::fs::write(home.join(file), &bytes).unwrap();
        let start = std::time::Instant::now();
        let out = env.goenv(&["doctor", "--shell", "/bin/bash", "--format", "json"]);
        let took = start.elapsed();
        assert!(matches!(out.status.code(), Some(0) | Some(3)), "{file}: {out:?}");
        assert!(took < std::time::Duration::from_secs(20), "{file} took {took:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["schema"], "goenv.doctor/1");
    }
}

/// `~/.pam_environment`, a root-owned module cache, and a memory-limited cgroup without
/// GOMEMLIMIT: each found, with a fix inside the home.
#[test]
fn pam_environment_root_owned_cache_and_cgroup_limit() {
    use std::os::unix::fs::chown;
    let env = TestEnv::new();
    let home = env.home();
    skel(&home);
    std::fs::write(home.join(".pam_environment"), "GOPATH DEFAULT=@{HOME}/gopath\n").unwrap();
    // the user is uid 4321; `sudo go mod download` left the module cache owned by root
    std::fs::create_dir_all(home.join("go/pkg/mod")).unwrap();
    for p in [
        home.clone(),
        home.join(".profile"),
        home.join(".bashrc"),
        home.join("go"),
        home.join("go/pkg"),
    ] {
        chown(&p, Some(4321), Some(4321)).unwrap();
    }
    // doctor runs as the home's owner (as root it refuses someone else's home)
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_user = || {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=4321", "--regid=4321", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_goenv"))
            .arg("--home")
            .arg(&home)
            .args(["doctor", "--shell", "/bin/bash", "--format", "json"])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("TEST_GOENV_DPKG_INFO", env.dir.path().join("no-dpkg"));
        cmd
    };
    let out = as_user().output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    common::doctor_schema::assert_valid(&v);
    let pam = findings(&v, "pam-environment");
    assert_eq!(pam.len(), 1, "{v:#}");
    assert_eq!(pam[0]["path"], "~/.pam_environment");
    let cache = findings(&v, "cache-root-owned");
    assert_eq!(cache.len(), 1, "{v:#}");
    assert_eq!(cache[0]["severity"], "error");
    assert!(
        cache[0]["message"].as_str().unwrap().contains("GOMODCACHE `~/go/pkg/mod`"),
        "{}",
        cache[0]
    );

    // a cgroup v2 limit of 512 MiB, read under a system root of the test's making
    let root = env.dir.path().join("root");
    std::fs::create_dir_all(root.join("proc/self")).unwrap();
    std::fs::write(root.join("proc/self/cgroup"), "0::/user.slice/app.scope\n").unwrap();
    std::fs::create_dir_all(root.join("sys/fs/cgroup/user.slice/app.scope")).unwrap();
    std::fs::write(root.join("sys/fs/cgroup/user.slice/memory.max"), "536870912\n").unwrap();
    std::fs::write(root.join("sys/fs/cgroup/user.slice/app.scope/memory.max"), "max\n").unwrap();
    let out = as_user().env("TEST_GOENV_SYSROOT", &root).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = findings(&v, "gomemlimit-cgroup");
    assert_eq!(f.len(), 1, "{v:#}");
    let message = f[0]["message"].as_str().unwrap();
    assert!(
        message.contains("536870912 bytes") && message.contains("GOMEMLIMIT is unset"),
        "{message}"
    );
    assert!(f[0]["fix"].as_str().unwrap().contains("GOMEMLIMIT \"460MiB\""), "{}", f[0]);
}

/// A FIFO where a start-up file is expected is not read (a read would block forever).
#[test]
fn a_fifo_start_up_file_is_not_read() {
    let env = TestEnv::new();
    let home = env.home();
    skel(&home);
    std::fs::remove_file(home.join(".bashrc")).unwrap();
    let status = Command::new("mkfifo").arg(home.join(".bashrc")).status().unwrap();
    assert!(status.success());
    let start = std::time::Instant::now();
    let (code, v) = doctor_json(&env, &[]);
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(code, 0, "{v:#}");
}

/// A token in a start-up line doctor quotes (an `eval` it cannot evaluate) is redacted.
#[test]
fn a_token_in_a_quoted_line_is_redacted() {
    let env = TestEnv::new();
    let home = env.home();
    skel(&home);
    let mut profile = std::fs::read_to_string(home.join(".profile")).unwrap();
    profile.push_str("eval \"$(GITHUB_TOKEN=ghp_SUPERSECRET123 /usr/bin/env)\"\n");
    std::fs::write(home.join(".profile"), profile).unwrap();
    for format in ["human", "json"] {
        let out = env.goenv(&["doctor", "-v", "--shell", "/bin/bash", "--format", format]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("ghp_SUPERSECRET123"), "{all}");
        assert!(all.contains("GITHUB_TOKEN=<redacted>"), "{all}");
    }
}

/// go-nv's shims first on PATH: the `go` a context runs is whatever go-nv selects; named.
#[test]
fn version_manager_shims_are_named() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let home = env.home();
    skel(&home);
    std::fs::create_dir_all(home.join(".goenv/shims")).unwrap();
    std::fs::write(home.join(".goenv/shims/go"), "#!/bin/sh\nexec goenv exec go \"$@\"\n").unwrap();
    std::fs::set_permissions(home.join(".goenv/shims/go"), std::fs::Permissions::from_mode(0o755))
        .unwrap();
    let mut profile = std::fs::read_to_string(home.join(".profile")).unwrap();
    profile.push_str("export PATH=\"$HOME/.goenv/shims:$PATH\"\n");
    std::fs::write(home.join(".profile"), profile).unwrap();
    let line = line_of(&home.join(".profile"), ".goenv/shims");
    let (_, v) = doctor_json(&env, &[]);
    let f = findings(&v, "shims-shadow");
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!((f[0]["path"].as_str(), f[0]["line"].as_u64()), (Some("~/.profile"), Some(line)));
    assert!(f[0]["message"].as_str().unwrap().contains("go-nv/goenv"), "{}", f[0]);
    assert!(f[0]["contexts"].as_array().unwrap().iter().any(|c| c == "bash-login"), "{}", f[0]);
}

/// A profile's secret never shows in the findings doctor adds from it.
#[test]
fn a_profile_secret_never_shows_in_doctor() {
    let env = TestEnv::new();
    let home = env.home();
    skel(&home);
    std::fs::create_dir_all(home.join(".config/goenv")).unwrap();
    std::fs::write(
        home.join(".config/goenv/profile.kdl"),
        "version 1\nexport {\n    API_TOKEN \"SUPERSECRETVALUE9\" secret=#true\n}\nshells \"bash\"\n",
    )
    .unwrap();
    let mut rc = std::fs::read_to_string(home.join(".bashrc")).unwrap();
    rc.insert_str(0, "export API_TOKEN=SUPERSECRETVALUE9\n");
    std::fs::write(home.join(".bashrc"), rc).unwrap();
    for format in ["human", "json"] {
        let out = env.goenv(&["doctor", "-v", "--shell", "/bin/bash", "--format", format]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("SUPERSECRETVALUE9"), "{all}");
    }
}

/// A bad value set in a system file (`/etc/environment`) gets a fix that edits nothing outside
/// the home: it says where the value comes from and how to override it.
#[test]
fn a_fix_for_a_system_file_never_edits_it() {
    let env = TestEnv::new();
    let home = env.home();
    skel(&home);
    let root = env.dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/environment"), "GO111MODULE=off\nGOFLAGS=-mod=vendor\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_goenv"))
        .arg("--home")
        .arg(&home)
        .args(["doctor", "--shell", "/bin/bash", "--format", "json"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TEST_GOENV_SYSROOT", &root)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = findings(&v, "go111module-off");
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!((f[0]["path"].as_str(), f[0]["line"].as_u64()), (Some("/etc/environment"), Some(1)));
    for f in v["findings"].as_array().unwrap() {
        let fix = f["fix"].as_str().unwrap_or("");
        assert!(
            !fix.contains("remove the") || !fix.contains("`/etc"),
            "a fix editing a system file: {f}"
        );
    }
    let fix = f[0]["fix"].as_str().unwrap();
    assert!(fix.contains("outside your home") && fix.contains("`export`"), "{fix}");
}

/// The whole `-v` and JSON output on a fixed system root (its own `/etc`), so every PATH entry,
/// value, source and file read is pinned by the snapshot.
#[test]
fn verbose_and_json_output_on_a_fixed_system() {
    let env = TestEnv::for_snapshots();
    let home = env.home();
    skel(&home);
    sdk_in_home(&home, "1.22.10");
    let mut profile = std::fs::read_to_string(home.join(".profile")).unwrap();
    profile.push_str("PATH=\"$HOME/sdk/go1.22.10/bin:$PATH\"\nexport GOPATH=\"$HOME/gopath\"\n");
    std::fs::write(home.join(".profile"), profile).unwrap();
    std::fs::create_dir_all(home.join(".config/go")).unwrap();
    std::fs::write(
        home.join(".config/go/env"),
        "GOPROXY=https://proxy.example.com\nGOFLAGS=-mod=mod\n",
    )
    .unwrap();
    let root = env.dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/profile"),
        "if [ \"$(id -u)\" -eq 0 ]; then\n  PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nelse\n  PATH=\"/usr/local/bin:/usr/bin:/bin\"\nfi\nexport PATH\n",
    )
    .unwrap();
    std::fs::write(root.join("etc/login.defs"), "ENV_SUPATH\tPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nENV_PATH\tPATH=/usr/local/bin:/usr/bin:/bin\n").unwrap();
    for (name, args) in [
        (
            "doctor_verbose_human",
            vec![
                "doctor",
                "-v",
                "--shell",
                "/bin/bash",
                "--context",
                "bash-login",
                "--context",
                "gnome-wayland",
            ],
        ),
        (
            "doctor_json",
            vec!["doctor", "--shell", "/bin/bash", "--format", "json", "--context", "bash-login"],
        ),
    ] {
        let mut cmd = env.snapshot_command(&args);
        cmd.env("TEST_GOENV_SYSROOT", &root);
        snapshot!(name, env.run_command(&args.join(" "), cmd));
    }
}
