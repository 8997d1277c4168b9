//! `goenv doctor` against the real programs: on generated homes that mix the start-up file shapes
//! people really have (Debian and Ubuntu skeletons, Homebrew, go-nv, nvm and rustup lines, shell
//! functions, `.bash_profile` beside `.profile`, zsh's `path` array, fish's `fish_add_path`,
//! environment.d, a Go env file, GOROOT exports, real Go SDKs on PATH), `doctor --exec` runs every
//! context's real shell, systemd's environment.d generator and `go env -json`, and every context
//! that ran must show no difference between the prediction and the real result. Every JSON is
//! validated against `schemas/doctor.schema.json`. Without `--exec`, doctor starts no process and
//! writes nothing (strace).
//!
//! Homes are temporary directories; nothing here reads or writes the real home. The shells, Go
//! SDKs and strace come from `scripts/fixtures`: a missing one is a failure saying so, never a
//! skip. `cargo test --test doctor_oracle -- --nocapture` shows the summary line;
//! `DOCTOR_ORACLE_KEEP=DIR` keeps the generated homes in DIR.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use common::doctor_schema;
use common::fixtures::{BASE_PATH, ENVD_GENERATOR, GO_DELVE, GO_NEW, go_bin, program};
use serde_json::Value;

/// Linux's contexts, exactly (the contract's ids; macOS adds `terminal-zsh` and `dock-app`).
const LINUX_CONTEXTS: [&str; 14] = [
    "sh-login",
    "bash-login",
    "bash-interactive",
    "zsh-login",
    "zsh-interactive",
    "fish",
    "ssh-command",
    "gnome-wayland",
    "gnome-x11",
    "kde",
    "systemd-user-service",
    "vscode",
    "vscode-terminal",
    "goland",
];

/// The Go settings every context's `env` has (PATH is the context's `path`, not in `env`).
const ENV_KEYS: [&str; 15] = [
    "GOROOT",
    "GOPROXY",
    "GOSUMDB",
    "GOPRIVATE",
    "GONOPROXY",
    "GONOSUMDB",
    "GOFLAGS",
    "GOTOOLCHAIN",
    "GOBIN",
    "GOPATH",
    "GOMODCACHE",
    "GOCACHE",
    "GO111MODULE",
    "CGO_ENABLED",
    "GOENV",
];

/// How many homes the oracle generates.
const HOMES: usize = 36;

// ---- running doctor --------------------------------------------------------------------------

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// `goenv doctor --home <home> <args>` with a clean environment (HOME is the temporary home too,
/// so even a bug that ignored `--home` stays out of the real one), from the home, stdin closed,
/// in a new session: `--exec` starts interactive shells, which must not take over the terminal
/// `cargo test` runs in.
fn doctor(home: &Path, args: &[&str]) -> Output {
    Command::new(program("setsid"))
        .arg("--wait")
        .arg(env!("CARGO_BIN_EXE_goenv"))
        .current_dir(home)
        .env_clear()
        .env("PATH", BASE_PATH)
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .arg("doctor")
        .arg("--home")
        .arg(home)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("goenv runs")
}

fn schema() -> jsonschema::Validator {
    doctor_schema::validator()
}

fn schema_errors(validator: &jsonschema::Validator, json: &Value) -> Vec<String> {
    doctor_schema::errors(validator, json)
}

/// What the contract says beyond the schema's shape: the summary counts what is there, the exit
/// code follows the error-level findings, Linux's contexts are all there once, an unknown value
/// has no value, and `exec` is there exactly with `--exec`. Returns every violation.
fn contract_errors(json: &Value, exit: i32, exec: bool) -> Vec<String> {
    let mut errors = Vec::new();
    let contexts = json["contexts"].as_array().map(Vec::as_slice).unwrap_or_default();
    let findings = json["findings"].as_array().map(Vec::as_slice).unwrap_or_default();
    let count = |severity: &str| findings.iter().filter(|f| f["severity"] == severity).count();
    let profile_errors = json["profile"]["findings"]
        .as_array()
        .map_or(0, |f| f.iter().filter(|f| f["severity"] == "error").count());
    let summary = &json["summary"];
    for (key, actual) in
        [("contexts", contexts.len()), ("errors", count("error")), ("warnings", count("warning"))]
    {
        if summary[key].as_u64() != Some(actual as u64) {
            errors.push(format!("summary.{key} is {} but there are {actual}", summary[key]));
        }
    }
    let want_exit = if count("error") + profile_errors > 0 { 3 } else { 0 };
    if exit != want_exit {
        errors.push(format!(
            "exit code {exit}, expected {want_exit} ({} error-level findings)",
            count("error")
        ));
    }
    let ids: Vec<&str> = contexts.iter().filter_map(|c| c["id"].as_str()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    if unique.len() != ids.len() {
        errors.push(format!("a context appears twice: {ids:?}"));
    }
    if unique != LINUX_CONTEXTS.into_iter().collect() {
        errors.push(format!("contexts {ids:?}, expected Linux's {LINUX_CONTEXTS:?}"));
    }
    for finding in findings {
        for id in finding["contexts"].as_array().map(Vec::as_slice).unwrap_or_default() {
            if !id.as_str().is_some_and(|id| unique.contains(id)) {
                errors.push(format!(
                    "finding {} names context {id}, not in the output",
                    finding["code"]
                ));
            }
        }
    }
    for context in contexts {
        let id = &context["id"];
        if context["path"].is_null() == context["path_unknown"].is_null() {
            errors.push(format!(
                "{id}: path {} with path_unknown {}: exactly one of them must be null",
                context["path"], context["path_unknown"]
            ));
        }
        if let Some(env) = context["env"].as_object() {
            for (key, value) in env {
                if !value["unknown"].is_null() && !value["value"].is_null() {
                    errors.push(format!(
                        "{id}: {key} is unknown yet has the value {}",
                        value["value"]
                    ));
                }
            }
        }
        if context.get("exec").is_some() != exec {
            errors.push(format!(
                "{id}: `exec` is {} {} --exec",
                if exec { "missing" } else { "present" },
                if exec { "with" } else { "without" }
            ));
        }
        if let Some(run) = context.get("exec")
            && run["ran"] == false
            && !run["differences"].as_array().is_some_and(Vec::is_empty)
        {
            errors.push(format!("{id}: did not run, yet lists differences {}", run["differences"]));
        }
    }
    errors
}

/// Runs doctor and returns its exit code and JSON, or a description of why it gave none.
fn doctor_json(home: &Path, args: &[&str]) -> Result<(i32, Value), String> {
    let out = doctor(home, args);
    let exit = code(&out);
    if exit != 0 && exit != 3 {
        return Err(format!(
            "goenv doctor {args:?} exited {exit}\nstdout:\n{}\nstderr:\n{}",
            text(&out.stdout),
            text(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map(|json| (exit, json)).map_err(|e| {
        format!(
            "goenv doctor {args:?} (exit {exit}) printed no JSON ({e})\nstdout:\n{}\nstderr:\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

// ---- the generated homes ---------------------------------------------------------------------

/// A home's files as they are written (for failure messages too), its symlinks and directories.
#[derive(Default)]
struct Files {
    files: BTreeMap<String, String>,
    executables: BTreeSet<String>,
    links: BTreeMap<String, PathBuf>,
    dirs: BTreeSet<String>,
}

impl Files {
    fn append(&mut self, name: &str, text: &str) {
        self.files.entry(name.to_owned()).or_default().push_str(text);
    }

    /// Puts `text` before what `name` holds (above the skeleton `.bashrc`'s interactive guard).
    fn prepend(&mut self, name: &str, text: &str) {
        let old = self.files.remove(name).unwrap_or_default();
        self.files.insert(name.to_owned(), format!("{text}{old}"));
    }

    fn executable(&mut self, name: &str, text: &str) {
        self.append(name, text);
        self.executables.insert(name.to_owned());
    }

    fn write(&self, home: &Path) {
        std::fs::create_dir_all(home).expect("create home");
        for dir in &self.dirs {
            std::fs::create_dir_all(home.join(dir)).expect("create directory in home");
        }
        for (name, target) in &self.links {
            let link = home.join(name);
            std::fs::create_dir_all(link.parent().expect("parent")).expect("create parent");
            symlink(target, &link).expect("symlink in home");
        }
        for (name, text) in &self.files {
            let path = home.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("create parent");
            std::fs::write(&path, text).expect("write home file");
            let mode = if self.executables.contains(name) { 0o755 } else { 0o644 };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .expect("chmod home file");
        }
    }

    /// Every file with its content and every link and directory, for a failure message.
    fn dump(&self) -> String {
        let mut out = String::new();
        for (name, target) in &self.links {
            let _ = writeln!(out, "  ~/{name} -> {}", target.display());
        }
        for dir in &self.dirs {
            let _ = writeln!(out, "  ~/{dir}/");
        }
        for (name, text) in &self.files {
            let _ = writeln!(out, "  ---- ~/{name}");
            for (n, line) in text.lines().enumerate() {
                let _ = writeln!(out, "  {:4} | {line}", n + 1);
            }
        }
        out
    }
}

/// A real file of the Debian skeleton (`/etc/skel`), which `scripts/fixtures`' Debian base has.
#[track_caller]
fn skel(name: &str) -> String {
    let path = Path::new("/etc/skel").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("missing {} ({e}): these tests need Debian's skeleton; run `scripts/fixtures` on Debian", path.display())
    })
}

/// Ubuntu's `~/.profile` (22.04 and later): Debian's with both private bins, written out so the
/// test does not depend on which release `/etc/skel` came from.
const UBUNTU_PROFILE: &str = r#"# ~/.profile: executed by the command interpreter for login shells.
# This file is not read by bash(1), if ~/.bash_profile or ~/.bash_login
# exists.
# see /usr/share/doc/bash/examples/startup-files for examples.
# the files are located in the bash-doc package.

# the default umask is set in /etc/profile; for setting the umask
# for ssh logins, install and configure the libpam-umask package.
#umask 022

# if running bash
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

# set PATH so it includes user's private bin if it exists
if [ -d "$HOME/.local/bin" ] ; then
    PATH="$HOME/.local/bin:$PATH"
fi
"#;

/// Debian 10's `~/.profile`: only `~/bin`.
const DEBIAN_OLD_PROFILE: &str = r#"# ~/.profile: executed by the command interpreter for login shells.
# This file is not read by bash(1), if ~/.bash_profile or ~/.bash_login
# exists.

# if running bash
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

/// rustup's `~/.cargo/env`, sourced from `.profile` and `.bashrc` by its installer.
const CARGO_ENV: &str = r#"#!/bin/sh
# rustup shell setup
# affix colons on either side of $PATH to simplify matching
case ":${PATH}:" in
    *:"$HOME/.cargo/bin":*)
        ;;
    *)
        # Prepending path in case a system-installed rustc needs to be overridden
        export PATH="$HOME/.cargo/bin:$PATH"
        ;;
esac
"#;

/// A stand-in for go-nv/goenv: its `init -` prints what the real one does, in short (shims on
/// PATH, and a GOROOT a file-reader cannot know without running it).
const GONV_STANDIN: &str = r#"#!/bin/sh
# stand-in for go-nv/goenv
if [ "$1" = init ]; then
  echo 'export GOENV_SHELL=sh'
  echo 'export PATH="$GOENV_ROOT/shims:${PATH}"'
  echo 'export GOROOT="$GOENV_ROOT/versions/1.22.10"'
fi
"#;

/// A stand-in for nvm.sh: defines functions and calls one that puts the default node on PATH.
const NVM_STANDIN: &str = r#"# stand-in for nvm.sh
nvm() { echo "nvm $*"; }
nvm_use_default() {
  PATH="$NVM_DIR/versions/node/v20.11.0/bin:$PATH"
  export PATH
}
if [ -d "$NVM_DIR/versions/node" ]; then
  nvm_use_default
fi
"#;

const GONV_LINES: &str = r#"
export GOENV_ROOT="$HOME/.goenv"
export PATH="$GOENV_ROOT/bin:$PATH"
eval "$(goenv init -)"
"#;

const NVM_LINES: &str = r#"
export NVM_DIR="$HOME/.nvm"
[ -s "$NVM_DIR/nvm.sh" ] && \. "$NVM_DIR/nvm.sh"  # This loads nvm
[ -s "$NVM_DIR/bash_completion" ] && \. "$NVM_DIR/bash_completion"  # This loads nvm bash_completion
"#;

const PATHADD_LINES: &str = r#"
pathadd() {
    case ":$PATH:" in
        *":$1:"*) ;;
        *) PATH="$1:$PATH";;
    esac
}
pathadd "$HOME/go/bin"
pathadd "$HOME/.local/bin"
export PATH
"#;

const BREW_LINE: &str = "\neval \"$(/home/linuxbrew/.linuxbrew/bin/brew shellenv)\"\n";

/// Which skeleton the home started from.
#[derive(Clone, Copy, Debug)]
enum Skel {
    None,
    Debian,
    Ubuntu,
    DebianOld,
}

/// Where the line putting `~/sdk/go/bin` (Go 1.22.10) on PATH is.
#[derive(Clone, Copy, Debug)]
enum SdkAt {
    Profile,
    BashrcBelowGuard,
    BashrcAboveGuard,
    BashProfile,
    Zshenv,
    Zprofile,
    Fish,
    EnvironmentD,
    Nowhere,
}

/// One generated home: each field cycles with its own period, so 36 homes mix them all.
#[derive(Clone, Copy, Debug)]
struct Shape {
    index: usize,
    skel: Skel,
    /// 0 none, 1 sources `.profile`, 2 its own exports and `.bashrc` without `.profile`.
    bash_profile: usize,
    sdk: SdkAt,
    /// Go 1.25.5 (`~/sdk/go1.25.5/bin`): 0 nowhere, 1 `.bashrc`, 2 `.zshrc`, 3 fish `conf.d`.
    second_sdk: usize,
    /// Bits: 1 Homebrew, 2 go-nv, 4 nvm, 8 a `pathadd` function.
    activations: usize,
    /// The go-nv and nvm stand-ins are installed (their lines then do something).
    managers_installed: bool,
    /// 0 none, 1 `.zshenv` exports, 2 `.zprofile` `path=(…)`, 3 `.zshrc` `typeset -U path`,
    /// 4 `.zprofile` emulating sh over `.profile`.
    zsh: usize,
    /// 0 none, 1 `set -gx`, 2 universal `fish_add_path`, 3 `status is-login`, 4 `conf.d`,
    /// 5 `conf.d` and a `test … ; and set` line.
    fish: usize,
    /// 0 none, 1 GOPATH and PATH with `${PATH:+:$PATH}`, 2 GOPROXY and GONOSUMDB.
    envd: usize,
    /// 0 none, 1 GOPROXY/GOFLAGS/GOTOOLCHAIN, 2 GOTOOLCHAIN/GOPRIVATE, 3 a bad `go env -w`.
    go_env: usize,
    /// 0 none, 1 GOPATH/GOBIN in `.bashrc`, 2 GOROOT of the SDK in `.profile`, 3 GOROOT of a
    /// deleted SDK, 4 GOTOOLCHAIN/CGO_ENABLED and `/usr/local/go/bin`.
    go_vars: usize,
    /// Bits: 1 `~/bin` exists, 2 `~/.local/bin` exists.
    dirs: usize,
    /// rustup's `. "$HOME/.cargo/env"` in `.profile` and `.bashrc`.
    cargo: bool,
    /// `~/.pam_environment`.
    pam: bool,
    /// VS Code's user settings.
    vscode: bool,
    /// `~/.bash_login` (read only when there is no `.bash_profile`).
    bash_login: bool,
    /// Two of the less common shapes in `tricky` (0: none).
    tricky: [usize; 2],
}

impl Shape {
    fn new(i: usize) -> Self {
        const SKELS: [Skel; 4] = [Skel::Debian, Skel::Ubuntu, Skel::None, Skel::DebianOld];
        const SDKS: [SdkAt; 9] = [
            SdkAt::Profile,
            SdkAt::BashrcBelowGuard,
            SdkAt::Zshenv,
            SdkAt::Fish,
            SdkAt::BashrcAboveGuard,
            SdkAt::EnvironmentD,
            SdkAt::Zprofile,
            SdkAt::BashProfile,
            SdkAt::Nowhere,
        ];
        Self {
            index: i,
            skel: SKELS[i % 4],
            bash_profile: (i / 2) % 3,
            sdk: SDKS[i % 9],
            second_sdk: (i / 3) % 4,
            activations: (i * 7) % 16,
            managers_installed: i % 3 == 1,
            zsh: i % 5,
            fish: (i / 5 + i) % 6,
            envd: (i / 4) % 3,
            go_env: (i + 1) % 4,
            go_vars: (i / 2 + i) % 5,
            dirs: (i / 9 + i) % 4,
            cargo: i % 4 == 1,
            pam: i % 7 == 3,
            vscode: i % 6 == 1,
            bash_login: i % 8 == 5,
            tricky: [i % TRICKY, (i * 5 + 3) % TRICKY],
        }
    }

    /// The login shells it makes sense to try on this home: bash and sh always, zsh and fish
    /// when the home has their files (and on every third home regardless).
    fn shells(&self) -> Vec<&'static str> {
        let mut shells = vec!["/bin/bash"];
        if self.zsh != 0 || self.index.is_multiple_of(3) {
            shells.push("/usr/bin/zsh");
        }
        if self.fish != 0 || self.index.is_multiple_of(3) {
            shells.push("/usr/bin/fish");
        }
        if self.index.is_multiple_of(2) {
            shells.push("/bin/dash");
        }
        shells
    }

    fn files(&self) -> Files {
        let mut f = Files::default();
        f.links.insert("sdk/go".into(), go_root(GO_DELVE));
        f.links.insert("sdk/go1.25.5".into(), go_root(GO_NEW));
        if self.dirs & 1 != 0 {
            f.dirs.insert("bin".into());
        }
        if self.dirs & 2 != 0 {
            f.dirs.insert(".local/bin".into());
        }
        match self.skel {
            Skel::None => {}
            Skel::Debian => {
                f.append(".profile", &skel(".profile"));
                f.append(".bashrc", &skel(".bashrc"));
                f.append(".bash_logout", &skel(".bash_logout"));
            }
            Skel::Ubuntu => {
                f.append(".profile", UBUNTU_PROFILE);
                f.append(".bashrc", &skel(".bashrc"));
                f.append(".bash_logout", &skel(".bash_logout"));
            }
            Skel::DebianOld => {
                f.append(".profile", DEBIAN_OLD_PROFILE);
                f.append(".bashrc", &skel(".bashrc"));
            }
        }
        match self.bash_profile {
            1 => f.append(".bash_profile", "# ~/.bash_profile\nif [ -f ~/.profile ]; then\n    . ~/.profile\nfi\n"),
            2 => f.append(
                ".bash_profile",
                "# ~/.bash_profile, which never reads ~/.profile\nexport GOPATH=\"$HOME/gopath\"\nexport PATH=\"$GOPATH/bin:$PATH\"\n[[ -f ~/.bashrc ]] && . ~/.bashrc\n",
            ),
            _ => {}
        }
        if self.bash_login {
            f.append(".bash_login", "# ~/.bash_login\nexport GOFLAGS=-trimpath\n");
        }
        if self.cargo {
            f.append(".cargo/env", CARGO_ENV);
            f.append(".profile", "\n. \"$HOME/.cargo/env\"\n");
            f.append(".bashrc", ". \"$HOME/.cargo/env\"\n");
        }

        let sdk_line = "export PATH=\"$HOME/sdk/go/bin:$PATH\"\n";
        match self.sdk {
            SdkAt::Profile => f.append(".profile", &format!("\n# Go\n{sdk_line}")),
            SdkAt::BashrcBelowGuard => f.append(".bashrc", &format!("\n# Go\n{sdk_line}")),
            SdkAt::BashrcAboveGuard => {
                f.prepend(".bashrc", &format!("# Go, for every shell\n{sdk_line}\n"))
            }
            SdkAt::BashProfile => f.append(".bash_profile", sdk_line),
            SdkAt::Zshenv => f.append(".zshenv", sdk_line),
            SdkAt::Zprofile => {
                f.append(".zprofile", "path=($HOME/sdk/go/bin $path)\nexport PATH\n")
            }
            SdkAt::Fish => {
                f.append(".config/fish/config.fish", "fish_add_path -g $HOME/sdk/go/bin\n")
            }
            SdkAt::EnvironmentD => f.append(
                ".config/environment.d/20-go-sdk.conf",
                "PATH=${HOME}/sdk/go/bin${PATH:+:$PATH}\n",
            ),
            SdkAt::Nowhere => {}
        }
        let new_sdk = "$HOME/sdk/go1.25.5/bin";
        match self.second_sdk {
            1 => f.append(".bashrc", &format!("export PATH=\"{new_sdk}:$PATH\"\n")),
            2 => f.append(".zshrc", &format!("export PATH=\"{new_sdk}:$PATH\"\n")),
            3 => f.append(
                ".config/fish/conf.d/go-new.fish",
                &format!("set -gx PATH {new_sdk} $PATH\n"),
            ),
            _ => {}
        }

        let login_or_rc = if self.index.is_multiple_of(2) { ".profile" } else { ".bashrc" };
        if self.activations & 1 != 0 {
            f.append(login_or_rc, BREW_LINE);
            if self.zsh != 0 {
                f.append(".zprofile", BREW_LINE);
            }
            if self.fish != 0 {
                f.append(
                    ".config/fish/config.fish",
                    "if test -x /home/linuxbrew/.linuxbrew/bin/brew\n    /home/linuxbrew/.linuxbrew/bin/brew shellenv | source\nend\n",
                );
            }
        }
        if self.activations & 2 != 0 {
            f.append(".bashrc", GONV_LINES);
            if self.zsh != 0 {
                f.append(".zshrc", GONV_LINES);
            }
        }
        if self.activations & 4 != 0 {
            f.append(".bashrc", NVM_LINES);
            if self.zsh != 0 {
                f.append(".zshrc", NVM_LINES);
            }
        }
        if self.activations & 8 != 0 {
            f.append(login_or_rc, PATHADD_LINES);
        }
        if self.managers_installed {
            f.executable(".goenv/bin/goenv", GONV_STANDIN);
            f.links.insert(".goenv/versions/1.22.10".into(), go_root(GO_DELVE));
            f.append(".nvm/nvm.sh", NVM_STANDIN);
            f.dirs.insert(".nvm/versions/node/v20.11.0/bin".into());
        }

        match self.zsh {
            1 => f.append(
                ".zshenv",
                "# ~/.zshenv: every zsh\nexport GOPATH=\"$HOME/gopath\"\nexport PATH=\"$GOPATH/bin:$PATH\"\n",
            ),
            2 => f.append(".zprofile", "path=($HOME/.local/bin $path)\nexport GOBIN=$HOME/.local/bin\n"),
            3 => f.append(
                ".zshrc",
                "typeset -U path PATH\npath=($HOME/go/bin $path $HOME/go/bin)\nexport GOPATH=$HOME/go\n",
            ),
            4 => {
                f.append(".zprofile", "[[ -f ~/.profile ]] && emulate sh -c '. ~/.profile'\n");
                f.append(".zshrc", "export GOFLAGS=-mod=mod\n");
            }
            _ => {}
        }
        let fish_config = ".config/fish/config.fish";
        match self.fish {
            1 => f.append(fish_config, "set -gx GOPATH $HOME/gopath\nset -gx PATH $HOME/gopath/bin $PATH\n"),
            2 => f.append(fish_config, "fish_add_path $HOME/.local/bin\nfish_add_path $HOME/bin\n"),
            3 => f.append(
                fish_config,
                "if status is-login\n    set -gx PATH $HOME/sdk/go/bin $PATH\n    set -gx GOTOOLCHAIN local\nend\nif status is-interactive\n    set -gx GOFLAGS -mod=mod\nend\n",
            ),
            4 | 5 => {
                f.append(".config/fish/conf.d/go.fish", "set -gx GOBIN $HOME/gobin\nfish_add_path -g $HOME/gobin\n");
                f.dirs.insert("gobin".into());
                if self.fish == 5 {
                    f.append(fish_config, "test -d $HOME/sdk/go/bin; and set -gx PATH $HOME/sdk/go/bin $PATH\n");
                }
            }
            _ => {}
        }
        match self.envd {
            1 => f.append(
                ".config/environment.d/10-go.conf",
                "GOPATH=${HOME}/gopath\nPATH=${HOME}/gopath/bin${PATH:+:$PATH}\n",
            ),
            2 => f.append(
                ".config/environment.d/50-proxy.conf",
                "GOPROXY=https://proxy.example.com,direct\nGONOSUMDB=git.corp.example.com\n",
            ),
            _ => {}
        }
        match self.go_env {
            1 => f.append(
                ".config/go/env",
                "GOPROXY=https://goproxy.io,direct\nGOFLAGS=-mod=mod\nGOTOOLCHAIN=local\n",
            ),
            2 => {
                f.append(".config/go/env", "GOTOOLCHAIN=local\nGOPRIVATE=git.corp.example.com/*\n")
            }
            3 => f.append(".config/go/env", "GOPROXY=direct\nGOSUMDB=off\nGO111MODULE=off\n"),
            _ => {}
        }
        match self.go_vars {
            1 => f.append(".bashrc", "export GOPATH=$HOME/work\nexport GOBIN=$GOPATH/bin\nexport PATH=$PATH:$GOBIN\n"),
            2 => f.append(".profile", "export GOROOT=\"$HOME/sdk/go\"\n"),
            3 => f.append(".profile", "export GOROOT=\"$HOME/sdk/go1.19\"  # removed since\n"),
            4 => f.append(".profile", "export GOTOOLCHAIN=local\nexport CGO_ENABLED=0\nexport PATH=$PATH:/usr/local/go/bin\n"),
            _ => {}
        }
        if self.pam {
            f.append(".pam_environment", "GOPATH DEFAULT=@{HOME}/pamgo\n");
        }
        for n in self.tricky {
            tricky(&mut f, n);
        }
        if self.vscode {
            f.append(
                ".config/Code/User/settings.json",
                "{\n    // mine\n    \"go.toolsEnvVars\": { \"GOFLAGS\": \"-tags=dev\" },\n    \"terminal.integrated.env.linux\": { \"GOPROXY\": \"direct\" },\n}\n",
            );
        }
        f
    }
}

/// How many shapes `tricky` knows, counting 0 (none).
const TRICKY: usize = 24;

/// Less common but real shapes, the ones a file-reader gets wrong: tilde rules, glob loops,
/// command substitutions, `set -a`, unexported variables, guards on `$-`, zsh's `path+=`, fish
/// lists, quotes and spaces in environment.d and PATH, sourced snippets, functions with `local`,
/// `XDG_CONFIG_HOME` and `GOENV` moving the Go env file, `ZDOTDIR`, `~/.xprofile`, Plasma's env
/// scripts, fish's `set -x`/`set -e`, a `$PS1` guard, the Go env file sourced as shell.
fn tricky(f: &mut Files, n: usize) {
    match n {
        1 => f.append(
            ".profile",
            "\n# an unquoted ~ after = expands; a quoted one stays\nPATH=~/tools/bin:$PATH\nexport PATH=\"~/quoted/bin:$PATH\"\n",
        ),
        2 => {
            f.append(
                ".profile",
                "\nfor d in \"$HOME\"/opt/*/bin; do\n    [ -d \"$d\" ] && PATH=\"$d:$PATH\"\ndone\nunset d\n",
            );
            f.dirs.insert("opt/alpha/bin".into());
            f.dirs.insert("opt/beta/bin".into());
        }
        3 => f.append(
            ".profile",
            "\nif command -v go >/dev/null 2>&1; then\n    export GOPATH=\"$(go env GOPATH)\"\n    export PATH=\"$PATH:$GOPATH/bin\"\nfi\n",
        ),
        4 => f.prepend(".bashrc", "set -a\nGOFLAGS=-trimpath\nGOPRIVATE=example.com/private\nset +a\n"),
        5 => f.append(
            ".profile",
            "\nGOPATH=$HOME/gp\nGOBIN=\"$HOME/gb\"  # never exported\nexport GOPATH\n",
        ),
        6 => f.append(
            ".profile",
            "\nunset GOROOT\nexport GO111MODULE=on\nexport GOFLAGS='-mod=mod -trimpath'\n",
        ),
        7 => f.append(
            ".zshenv",
            "path+=($HOME/zplus/bin)\nexport GOPATH=~/zgo\nPATH=$PATH:$HOME/zcolon\n",
        ),
        8 => f.append(
            ".config/fish/config.fish",
            "set -gx GOFLAGS -mod=mod -trimpath\ncontains $HOME/fc/bin $PATH\nor set -gx PATH $HOME/fc/bin $PATH\nset -gx GOPATH ~/fgo\n",
        ),
        9 => f.append(
            ".profile",
            "\ncase \"$-\" in\n    *i*) export GONOSUMDB=interactive.example.com ;;\n    *) export GONOSUMDB=batch.example.com ;;\nesac\n",
        ),
        10 => f.append(
            ".profile",
            "\nif [ -n \"$BASH_VERSION\" ]; then\n    export GOTOOLCHAIN=local\nelif [ -n \"$ZSH_VERSION\" ]; then\n    export GOTOOLCHAIN=local+path\nfi\n",
        ),
        11 => f.append(
            ".config/go/env",
            "# written by hand\n\nGOFLAGS=-mod=mod -trimpath\nGONOPROXY=corp.example.com\n",
        ),
        12 => f.append(
            ".config/environment.d/30-quoted.conf",
            "# quoted, with a space\nGOPATH=\"${HOME}/envd go\"\nGOFLAGS=\"-mod=mod -trimpath\"\n",
        ),
        13 => {
            f.append(
                ".profile",
                "\n[ -r ~/.profile.d/go.sh ] && . ~/.profile.d/go.sh\n[ -r ~/.profile.local ] && . ~/.profile.local\n",
            );
            f.append(".profile.d/go.sh", "export GOBIN=\"$HOME/.local/bin\"\nexport PATH=\"$GOBIN:$PATH\"\n");
        }
        14 => {
            f.append(".profile", "\nexport PATH=\"$PATH:$HOME/sp ace/bin\"\n");
            f.dirs.insert("sp ace/bin".into());
        }
        15 => f.append(
            ".bashrc",
            "\nadd_go() {\n    local v=\"$1\"\n    export PATH=\"$HOME/sdk/go$v/bin:$PATH\"\n}\nadd_go 1.25.5\n",
        ),
        16 => {
            f.append(".profile", "\nexport XDG_CONFIG_HOME=\"$HOME/.xdg\"\n");
            f.append(".xdg/go/env", "GOPROXY=https://xdg.example.com,direct\nGOTOOLCHAIN=local\n");
        }
        17 => {
            f.append(".zshenv", "export ZDOTDIR=\"$HOME/.config/zsh\"\n");
            f.append(".config/zsh/.zshrc", "export GOPATH=$HOME/zdot\n");
            f.append(".config/zsh/.zprofile", "path=($HOME/zdotbin $path)\n");
        }
        18 => {
            f.append(".profile", "\nexport GOENV=\"$HOME/.goenv.conf\"\n");
            f.append(".goenv.conf", "GOFLAGS=-mod=readonly\n");
        }
        19 => f.append(".xprofile", "export GOPATH=\"$HOME/xgo\"\n"),
        20 => f.append(".config/plasma-workspace/env/go.sh", "export GOBIN=$HOME/kbin\n"),
        21 => f.append(".config/fish/config.fish", "set -x GOFLAGS -race\nset -e GOPATH\n"),
        22 => f.prepend(".bashrc", "[ -z \"$PS1\" ] && return\nexport GONOPROXY=ps1.example.com\n"),
        23 => f.append(
            ".profile",
            "\nif [ -f \"$HOME/.config/go/env\" ]; then\n    . \"$HOME/.config/go/env\"\n    export GOPROXY GOFLAGS\nfi\n",
        ),
        _ => {}
    }
}

/// `.fixtures/go<version>/go`, checked to be that SDK.
#[track_caller]
fn go_root(version: &str) -> PathBuf {
    let go = go_bin(version);
    go.parent().and_then(Path::parent).expect("SDK root").to_path_buf()
}

/// The shells, the generator and the SDKs, or a failure saying to run `scripts/fixtures`.
#[track_caller]
fn require_programs() {
    for name in
        ["/bin/bash", "/bin/dash", "/usr/bin/zsh", "/usr/bin/fish", ENVD_GENERATOR, "setsid"]
    {
        program(name);
    }
    go_bin(GO_DELVE);
    go_bin(GO_NEW);
}

// ---- the oracle ------------------------------------------------------------------------------

/// What one (home, shell) run compared.
#[derive(Default)]
struct Tally {
    runs: usize,
    contexts: usize,
    contexts_not_run: usize,
    values: usize,
    unknown: usize,
    findings: usize,
    /// Some run had no `exec.compared`: `values` counts PATH and every `env` key less the unknown.
    values_estimated: bool,
    /// PATHs compared with this file's own runs of the shells and the generator (not doctor's).
    own_paths: usize,
    /// Of those, predicted unknown.
    own_unknown: usize,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.runs += other.runs;
        self.contexts += other.contexts;
        self.contexts_not_run += other.contexts_not_run;
        self.values += other.values;
        self.unknown += other.unknown;
        self.findings += other.findings;
        self.values_estimated |= other.values_estimated;
        self.own_paths += other.own_paths;
        self.own_unknown += other.own_unknown;
    }
}

/// Values compared per context that ran, when doctor does not say (`exec.compared`): PATH and
/// every key of `env`.
const VALUES_PER_CONTEXT: usize = 1 + ENV_KEYS.len();

/// Runs `doctor --exec` on one generated home with one login shell; returns its tally or every
/// failure, described with the home's files.
fn check_home(
    validator: &jsonschema::Validator,
    shape: Shape,
    shell: &str,
) -> (Tally, Result<(), String>) {
    let dir = tempfile::tempdir().expect("temporary directory");
    // DOCTOR_ORACLE_KEEP=DIR keeps every home (as DIR/<index>-<shell>) to look at afterwards.
    let home = match std::env::var_os("DOCTOR_ORACLE_KEEP") {
        Some(keep) => {
            let name = format!("{}-{}", shape.index, shell.rsplit('/').next().unwrap_or(shell));
            let home = Path::new(&keep).join(name);
            let _ = std::fs::remove_dir_all(&home);
            home
        }
        None => dir.path().join("home"),
    };
    let files = shape.files();
    files.write(&home);
    let describe = |what: String| {
        format!(
            "home #{} with --shell {shell} {shape:?}:\n{what}\nthe home's files:\n{}",
            shape.index,
            files.dump()
        )
    };
    let (exit, json) = match doctor_json(&home, &["--shell", shell, "--exec", "--format", "json"]) {
        Ok(got) => got,
        Err(e) => return (Tally { runs: 1, ..Tally::default() }, Err(describe(e))),
    };
    let mut problems = schema_errors(validator, &json);
    problems.extend(contract_errors(&json, exit, true));
    if json["shell"] != shell {
        problems.push(format!("shell is {}, not the --shell given", json["shell"]));
    }
    if json["home"] != home.to_str().expect("UTF-8 home") {
        problems.push(format!("home is {}, not the --home given", json["home"]));
    }
    let mut tally = Tally { runs: 1, ..Tally::default() };
    tally.findings = json["findings"].as_array().map_or(0, Vec::len);
    for context in json["contexts"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let run = &context["exec"];
        if run["ran"] != true {
            tally.contexts_not_run += 1;
            continue;
        }
        tally.contexts += 1;
        let unknown = run["unknown"].as_u64().unwrap_or(0) as usize;
        tally.unknown += unknown;
        match run["compared"].as_u64() {
            Some(compared) => tally.values += compared as usize,
            None => {
                tally.values += VALUES_PER_CONTEXT.saturating_sub(unknown);
                tally.values_estimated = true;
            }
        }
        for difference in run["differences"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let key = difference["key"].as_str().unwrap_or("?");
            // Keys are `PATH`, `go`, `environment KEY` or `go env KEY`: show the prediction's source.
            let setting = key.rsplit(' ').next().unwrap_or(key);
            let source = match setting {
                "PATH" => {
                    serde_json::json!({"path_unknown": context["path_unknown"], "notes": context["notes"]})
                }
                "go" => context["go"].clone(),
                _ => context["env"][setting].clone(),
            };
            problems.push(format!(
                "{}: {key} predicted {}, real {} (doctor's prediction: {source})",
                context["id"], difference["predicted"], difference["actual"]
            ));
        }
    }
    problems.extend(own_oracle(&home, shell, &json, &mut tally));
    if problems.is_empty() {
        (tally, Ok(()))
    } else {
        (tally, Err(describe(format!("{}\nthe JSON:\n{json:#}", problems.join("\n")))))
    }
}

/// The PATH that login(1) gives root: `ENV_SUPATH` in `/etc/login.defs`.
fn login_defs_root_path() -> String {
    let defs =
        std::fs::read_to_string("/etc/login.defs").expect("/etc/login.defs (Debian's login)");
    defs.lines()
        .find_map(|l| l.strip_prefix("ENV_SUPATH"))
        .map(|v| v.trim().trim_start_matches("PATH=").to_owned())
        .expect("ENV_SUPATH in /etc/login.defs")
}

/// sshd's PATH for root, as Debian builds OpenSSH (`--with-superuser-path`); other users get
/// `/usr/local/bin:/usr/bin:/bin:/usr/games`. These tests run as root.
const SSHD_ROOT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// systemd's user manager's PATH on Debian.
const MANAGER_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// PATH as `exe args…` leaves it, started in a clean environment holding `base`'s variables
/// (the last `<<…>>` of its stdout, so start-up output cannot be mistaken for it).
fn shell_path(
    exe: &str,
    args: &[&str],
    home: &Path,
    base: &[(&str, &str)],
) -> Result<String, String> {
    let path = base.iter().find(|(k, _)| *k == "PATH").map_or(BASE_PATH, |(_, v)| *v);
    let extra: Vec<(&str, &str)> = base.iter().copied().filter(|(k, _)| *k != "PATH").collect();
    let out = common::fixtures::run_clean(Path::new(exe), args, home, path, &extra);
    let stdout = text(&out.stdout);
    match stdout.rsplit_once("<<").and_then(|(_, rest)| rest.split_once(">>")) {
        Some((path, _)) if out.status.success() => Ok(path.to_owned()),
        _ => Err(format!("{exe} {args:?} failed ({}): {stdout}{}", out.status, text(&out.stderr))),
    }
}

/// This file's own oracle, written from the documented start-up rules rather than from doctor's
/// recipes: the console's login shells (`login` sets HOME, USER, LOGNAME, SHELL and
/// `ENV_SUPATH`), `ssh host cmd` (`$SHELL -c cmd` with sshd's PATH and `SSH_CLIENT`, which makes
/// bash read `~/.bashrc`) and a `systemd --user` service (the environment.d generator over the
/// manager's PATH). Each predicted PATH must be what they give; an unknown one is counted.
fn own_oracle(home: &Path, shell: &str, json: &Value, tally: &mut Tally) -> Vec<String> {
    let h = home.to_str().expect("UTF-8 home");
    let login = login_defs_root_path();
    let print = r#"printf '<<%s>>' "$PATH""#;
    let fish_print = r#"printf '<<%s>>' (string join : $PATH)"#;
    let base = |path: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("USER", "root".into()),
            ("LOGNAME", "root".into()),
            ("SHELL", shell.into()),
            ("PATH", path.into()),
        ]
    };
    let mut problems = Vec::new();
    let contexts = json["contexts"].as_array().map(Vec::as_slice).unwrap_or_default();
    for id in ["sh-login", "bash-login", "zsh-login", "ssh-command", "systemd-user-service"] {
        let Some(context) = contexts.iter().find(|c| c["id"] == id) else { continue };
        let real = match id {
            "sh-login" | "bash-login" | "zsh-login" => {
                let exe = match id {
                    "sh-login" => "/bin/sh",
                    "bash-login" => "/bin/bash",
                    _ => "/usr/bin/zsh",
                };
                let env = [
                    ("USER", "root"),
                    ("LOGNAME", "root"),
                    ("SHELL", shell),
                    ("PATH", login.as_str()),
                ];
                shell_path(exe, &["-l", "-i", "-c", print], home, &env)
            }
            "ssh-command" => {
                let env = [
                    ("USER", "root"),
                    ("LOGNAME", "root"),
                    ("SHELL", shell),
                    ("PATH", SSHD_ROOT_PATH),
                    ("SSH_CLIENT", "192.0.2.1 50000 22"),
                    ("SSH_CONNECTION", "192.0.2.1 50000 192.0.2.2 22"),
                ];
                let cmd = if shell.ends_with("fish") { fish_print } else { print };
                shell_path(shell, &["-c", cmd], home, &env)
            }
            _ => {
                let env: Vec<(&str, String)> = base(MANAGER_PATH);
                let extra: Vec<(&str, &str)> = env
                    .iter()
                    .filter(|(k, _)| *k != "PATH")
                    .map(|(k, v)| (*k, v.as_str()))
                    .collect();
                let out = common::fixtures::run_clean(
                    Path::new(ENVD_GENERATOR),
                    &[],
                    home,
                    MANAGER_PATH,
                    &extra,
                );
                if out.status.success() {
                    let vars = common::fixtures::parse_generator_output(&text(&out.stdout));
                    Ok(vars.get("PATH").cloned().unwrap_or_else(|| MANAGER_PATH.to_owned()))
                } else {
                    Err(format!("the generator failed ({}): {}", out.status, text(&out.stderr)))
                }
            }
        };
        let real = match real {
            Ok(real) => real,
            Err(e) => {
                problems.push(format!("{id}: own oracle: {e}"));
                continue;
            }
        };
        tally.own_paths += 1;
        let Some(predicted) = context["path"].as_array() else {
            tally.own_unknown += 1;
            continue;
        };
        let predicted: Vec<&str> = predicted.iter().filter_map(Value::as_str).collect();
        let predicted = predicted.join(":");
        if predicted != real {
            problems.push(format!(
                "{id}: PATH predicted {predicted:?}, real {real:?} (this test's own run, not doctor's --exec; home {h})"
            ));
        }
    }
    problems
}

#[test]
fn doctor_predicts_what_every_context_really_gets() {
    require_programs();
    let validator = schema();
    let mut runs: Vec<(Shape, &str)> = Vec::new();
    for i in 0..HOMES {
        let shape = Shape::new(i);
        for shell in shape.shells() {
            runs.push((shape, shell));
        }
    }
    let queue = Mutex::new(runs.into_iter());
    let results = Mutex::new((Tally::default(), Vec::new()));
    // Two workers: the machine these run on has two cores, and doctor --exec waits on shells.
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue").next();
                    let Some((shape, shell)) = next else { break };
                    let (tally, result) = check_home(&validator, shape, shell);
                    let mut results = results.lock().expect("results");
                    results.0.add(&tally);
                    if let Err(failure) = result {
                        results.1.push(failure);
                    }
                }
            });
        }
    });
    let (tally, failures) = results.into_inner().expect("results");
    let summary = format!(
        "doctor oracle: {HOMES} homes, {} runs (home x login shell), {} contexts compared \
         ({} could not run here), {} values compared{}, {} values unknown, {} findings; \
         this test's own runs: {} PATHs compared, {} predicted unknown",
        tally.runs,
        tally.contexts,
        tally.contexts_not_run,
        tally.values,
        if tally.values_estimated { " (estimated: no exec.compared)" } else { "" },
        tally.unknown,
        tally.findings,
        tally.own_paths,
        tally.own_unknown
    );
    println!("{summary}");
    // First one line per failed run (its home and shell), then each in full.
    let index: Vec<&str> = failures.iter().filter_map(|f| f.split(" Shape {").next()).collect();
    assert!(
        failures.is_empty(),
        "{} of the runs failed ({summary}): {}\n\n{}",
        failures.len(),
        index.join(", "),
        failures.join("\n\n========\n\n")
    );
    // Something must have been compared, or the test proves nothing.
    assert!(tally.contexts > 0 && tally.values > 0, "no context ran: {summary}");
}

// ---- small homes -----------------------------------------------------------------------------

/// An empty home (not even a start-up file): the JSON conforms and says what the contract says.
#[test]
fn doctor_json_on_an_empty_home_conforms_to_the_schema() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("create home");
    let validator = schema();
    let (exit, json) = doctor_json(&home, &["--shell", "/bin/bash", "--format", "json"])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut problems = schema_errors(&validator, &json);
    problems.extend(contract_errors(&json, exit, false));
    assert!(problems.is_empty(), "{}\n{json:#}", problems.join("\n"));
    assert_eq!(json["schema"], "goenv.doctor/1");
    assert_eq!(json["os"], "linux", "{json:#}");
    assert!(
        std::fs::read_dir(&home).expect("read home").next().is_none(),
        "doctor wrote into the empty home"
    );
}

/// The schema is strict: an unknown key, a wrong status or a missing env key is refused. (A
/// schema that accepted anything would make every validation above pass.)
#[test]
fn doctor_schema_refuses_what_the_contract_does_not_allow() {
    let validator = schema();
    let good = minimal_doctor_json();
    assert_eq!(schema_errors(&validator, &good), Vec::<String>::new(), "{good:#}");
    let broken: [(&str, Spoil); 8] = [
        ("an unknown top-level key", |j| j["extra"] = Value::Bool(true)),
        ("another schema", |j| j["schema"] = "goenv.doctor/2".into()),
        ("a status outside the four", |j| j["contexts"][0]["status"] = "fine".into()),
        ("an unknown context id", |j| j["contexts"][0]["id"] = "tcsh".into()),
        ("PATH in env", |j| {
            j["contexts"][0]["env"]["PATH"] = j["contexts"][0]["env"]["GOROOT"].clone()
        }),
        ("a missing env key", |j| {
            j["contexts"][0]["env"].as_object_mut().expect("env").remove("GOENV");
        }),
        ("a source that is neither file nor layer", |j| {
            j["contexts"][0]["env"]["GOROOT"]["source"] = serde_json::json!({"file": "x"});
        }),
        ("a line 0 in a finding", |j| j["findings"][0]["line"] = 0.into()),
    ];
    for (what, spoil) in broken {
        let mut json = good.clone();
        spoil(&mut json);
        assert!(!schema_errors(&validator, &json).is_empty(), "the schema accepts {what}");
    }
}

/// A change that breaks a conforming document.
type Spoil = fn(&mut Value);

/// A hand-written document in the contract's shape, with `exec` and one finding.
fn minimal_doctor_json() -> Value {
    let value = |v: Option<&str>, source: Value| serde_json::json!({"value": v, "source": source, "shadows": [], "unknown": null});
    let mut env = serde_json::Map::new();
    for key in ENV_KEYS {
        env.insert(key.into(), value(None, serde_json::json!({"layer": "go default"})));
    }
    env.insert(
        "GOPROXY".into(),
        serde_json::json!({
            "value": "direct",
            "source": {"file": "/h/.config/go/env", "line": 1},
            "shadows": [{"value": "https://proxy.golang.org,direct", "source": {"layer": "$GOROOT/go.env"}}],
            "unknown": null
        }),
    );
    serde_json::json!({
        "schema": "goenv.doctor/1",
        "home": "/h",
        "os": "linux",
        "arch": "amd64",
        "shell": "/bin/bash",
        "contexts": [{
            "id": "bash-login",
            "title": "bash login shell",
            "status": "warning",
            "path": ["/usr/bin", "/bin"],
            "path_unknown": null,
            "go": {"path": "/h/sdk/go/bin/go", "version": "go1.22.10", "goroot": "/h/sdk/go", "arch": "amd64"},
            "env": env,
            "tools": {"dlv": {"path": "/usr/bin/dlv", "version": "1.20.1", "go": "go1.19.8"}, "gopls": null},
            "notes": ["~/.profile:3 Homebrew activation"],
            "exec": {"ran": true, "why": null, "differences": [], "unknown": 0}
        }],
        "findings": [{
            "code": "goproxy-no-fallback",
            "severity": "warning",
            "contexts": ["bash-login"],
            "path": "/h/.config/go/env",
            "line": 1,
            "message": "GOPROXY=direct",
            "fix": null
        }],
        "summary": {"contexts": 1, "errors": 0, "warnings": 1, "unknown_values": 0}
    })
}

// ---- no process, no write --------------------------------------------------------------------

/// The syscalls that start a program or a process, or change a file, and `write` (whose file
/// descriptor must be stdout or stderr).
const TRACED: &str = "trace=execve,execveat,clone,clone3,fork,vfork,open,openat,openat2,creat,\
    mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,symlink,symlinkat,link,linkat,\
    truncate,ftruncate,chmod,fchmod,fchmodat,chown,fchown,lchown,fchownat,utimensat,write,writev,\
    pwrite64,pwritev,sendfile,copy_file_range";

/// Every file, link and directory below `dir` with its type, mode, size and content (or target).
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read directory") {
            let path = entry.expect("directory entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("lstat");
            let mode = meta.permissions().mode();
            let what = if meta.file_type().is_symlink() {
                format!(
                    "link {mode:o} -> {}",
                    std::fs::read_link(&path).expect("readlink").display()
                )
            } else if meta.is_dir() {
                stack.push(path.clone());
                format!("dir {mode:o}")
            } else {
                let content = std::fs::read(&path).expect("read file");
                format!("file {mode:o} {} {:?}", content.len(), meta.modified().ok())
                    + &String::from_utf8_lossy(&content)
            };
            out.insert(path, what);
        }
    }
    out
}

/// What in an `strace -f` log starts a process or writes: every offending line.
fn process_or_write(log: &str, goenv: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let mut execs = 0;
    for line in log.lines() {
        // "PID name(args) = result", or an "<... name resumed>" tail of a call seen already.
        let call = line.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
        let Some((name, args)) = call.split_once('(') else { continue };
        let write_flags = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"];
        let offends = match name {
            "execve" | "execveat" => {
                execs += 1;
                execs > 1 || !args.starts_with(&format!("\"{goenv}\""))
            }
            // A thread is fine; a process is not.
            "clone" | "clone3" => !args.contains("CLONE_THREAD"),
            "fork" | "vfork" => true,
            "open" | "openat" | "openat2" => write_flags.iter().any(|f| args.contains(f)),
            "write" | "writev" | "pwrite64" | "pwritev" => {
                !(args.starts_with("1,") || args.starts_with("2,"))
            }
            name if name.starts_with('<') || name.starts_with("---") || name.starts_with("+++") => {
                false
            }
            _ => true,
        };
        if offends {
            bad.push(line.to_owned());
        }
    }
    if execs == 0 {
        bad.push("no execve of goenv at all: is strace tracing the right program?".into());
    }
    bad
}

/// `goenv doctor` without `--exec` starts no process and writes nothing: under `strace -f`, one
/// `execve` (goenv itself), no `fork`/`vfork` and no `clone` that is not a thread, no file opened
/// for writing, created, renamed, removed, linked or changed, and `write` only to stdout and
/// stderr; the home is byte for byte what it was. The home has every activation line (go-nv's
/// `eval "$(goenv init -)"` with go-nv installed, nvm, Homebrew) and a real SDK on PATH, so a
/// doctor that ran anything would have had a reason to.
#[test]
fn doctor_without_exec_starts_no_process_and_writes_nothing() {
    let strace = program("strace");
    go_bin(GO_DELVE);
    let mut shape = Shape::new(1);
    shape.activations = 15;
    shape.managers_installed = true;
    shape.vscode = true;
    shape.go_env = 1;
    shape.envd = 1;
    shape.fish = 4;
    shape.zsh = 3;
    let dir = tempfile::tempdir().expect("temporary directory");
    let home = dir.path().join("home");
    shape.files().write(&home);
    let before = tree(&home);
    let goenv = env!("CARGO_BIN_EXE_goenv");
    for format in ["human", "json"] {
        let log = dir.path().join(format!("strace-{format}.log"));
        let out = Command::new(&strace)
            .args(["-f", "-qq", "-s", "128", "-e", TRACED, "-o"])
            .arg(&log)
            .arg(goenv)
            .args(["doctor", "-v", "--shell", "/bin/bash", "--format", format, "--home"])
            .arg(&home)
            .current_dir(&home)
            .env_clear()
            .env("PATH", BASE_PATH)
            .env("HOME", &home)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("strace runs");
        let exit = code(&out);
        assert!(
            exit == 0 || exit == 3,
            "strace goenv doctor --format {format} exited {exit}\nstdout:\n{}\nstderr:\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let log = std::fs::read_to_string(&log).expect("strace log");
        let bad = process_or_write(&log, goenv);
        assert!(
            bad.is_empty(),
            "goenv doctor --format {format} started a process or wrote:\n{}\n\nthe whole log:\n{log}",
            bad.join("\n")
        );
        assert!(log.contains("execve("), "strace traced nothing:\n{log}");
    }
    assert_eq!(tree(&home), before, "doctor changed the home");
}

/// The strace reading above is not blind: a shell that starts a process and writes a file is
/// caught.
#[test]
fn the_strace_check_catches_a_process_and_a_write() {
    let strace = program("strace");
    let dir = tempfile::tempdir().expect("temporary directory");
    let log = dir.path().join("strace.log");
    let bash = "/bin/bash";
    let status = Command::new(&strace)
        .args(["-f", "-qq", "-s", "128", "-e", TRACED, "-o"])
        .arg(&log)
        .args([bash, "-c", "/bin/true; echo x > written"])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", BASE_PATH)
        .status()
        .expect("strace runs");
    assert!(status.success());
    let log = std::fs::read_to_string(&log).expect("strace log");
    let bad = process_or_write(&log, bash);
    assert!(
        bad.iter().any(|l| l.contains("clone") || l.contains("fork")),
        "no process seen in {bad:?}\n{log}"
    );
    assert!(
        bad.iter().any(|l| l.contains("execve(\"/bin/true\"")),
        "no second execve seen in {bad:?}\n{log}"
    );
    assert!(
        bad.iter().any(|l| l.contains("written") && l.contains("O_CREAT")),
        "no write seen in {bad:?}\n{log}"
    );
}

/// `--context` keeps exactly the contexts asked for (and the JSON still conforms); a usage
/// error exits 1.
#[test]
fn doctor_keeps_the_contexts_asked_for_and_refuses_bad_usage() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let home = dir.path().join("home");
    Shape::new(7).files().write(&home);
    let validator = schema();
    let args = [
        "--shell",
        "/bin/bash",
        "--context",
        "fish",
        "--context",
        "bash-login",
        "--format",
        "json",
    ];
    let (_, json) = doctor_json(&home, &args).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(schema_errors(&validator, &json), Vec::<String>::new(), "{json:#}");
    let ids: BTreeSet<&str> = json["contexts"]
        .as_array()
        .expect("contexts")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, BTreeSet::from(["bash-login", "fish"]), "{json:#}");
    assert_eq!(json["summary"]["contexts"], 2, "{json:#}");
    // README: a usage error exits 1, like every error that changed nothing (2 is `plan`'s and
    // `status`'s "something to do"); so does an unknown context, naming the contexts there are.
    for bad in
        [&["--format", "yaml"][..], &["--no-such-flag"], &["--exec=yes"], &["--context", "tcsh"]]
    {
        let out = doctor(&home, bad);
        let stderr = text(&out.stderr);
        assert_eq!(code(&out), 1, "doctor {bad:?}:\n{}{stderr}", text(&out.stdout));
        assert!(out.stdout.is_empty(), "doctor {bad:?} printed on stdout: {}", text(&out.stdout));
        assert!(stderr.starts_with("error: "), "doctor {bad:?}: {stderr}");
    }
    let out = doctor(&home, &["--context", "tcsh"]);
    assert!(text(&out.stderr).contains("bash-login"), "{}", text(&out.stderr));
}

/// go-nv installed: `eval "$(goenv init -)"` exports a GOROOT that only running go-nv tells, so
/// the GOROOT of the `go` a context runs is unknown too: not guessed from where `go` is (the
/// guess is `~/sdk/go`'s SDK; go-nv's is `~/.goenv/versions/1.22.10`), and `--exec` does not
/// count it as a difference.
#[test]
fn a_goroot_set_by_go_nv_is_unknown_not_guessed() {
    require_programs();
    let mut shape = Shape::new(13);
    shape.tricky = [0, 0];
    let dir = tempfile::tempdir().expect("temporary directory");
    let home = dir.path().join("home");
    let files = shape.files();
    files.write(&home);
    let args =
        ["--shell", "/bin/bash", "--context", "bash-interactive", "--exec", "--format", "json"];
    let (_, json) = doctor_json(&home, &args).unwrap_or_else(|e| panic!("{e}"));
    let context = &json["contexts"][0];
    assert!(!context["env"]["GOROOT"]["unknown"].is_null(), "{context:#}\n{}", files.dump());
    assert!(context["go"]["goroot"].is_null(), "a guessed GOROOT: {:#}", context["go"]);
    assert_eq!(context["exec"]["differences"], serde_json::json!([]), "{context:#}");
}
