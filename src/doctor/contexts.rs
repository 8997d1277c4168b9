//! Contexts: how each program on the machine gets its environment, as a recipe of steps.
//!
//! A recipe names the layer a context starts from (a console login, sshd, GDM, the systemd user
//! manager), the shells that run on top and how, and the merges desktops do (GNOME uploads the
//! login shell's environment over the user manager's; KDE imports the manager's over the login
//! shell's). `predict` evaluates a recipe from files; `exec` (in `exec.rs`) runs the same recipe
//! with the real programs, so the two can be compared step for step. The rules are in
//! `../shared/reference/contexts-services-ides.md` §2 and go-semantics §C, and in the README.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::context::{Context, Os};

use super::fish::{self, FishMode};
use super::sh::{Dialect, Mode, Note, NoteKind, ShellRun};
use super::sys::Sys;
use super::value::{Env, Source, Val, Why};

/// A shell program and the way it is started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellStart {
    pub path: PathBuf,
    pub kind: ShellKind,
    pub login: bool,
    pub interactive: bool,
    /// Started by sshd for `ssh host cmd` (bash then reads `~/.bashrc`).
    pub ssh: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellKind {
    Sh,
    Bash,
    Zsh,
    Fish,
}

impl ShellKind {
    pub fn of(path: &Path) -> Self {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match name.trim_start_matches('-') {
            "bash" | "rbash" => Self::Bash,
            "zsh" => Self::Zsh,
            "fish" => Self::Fish,
            _ => Self::Sh,
        }
    }
}

/// One step of a recipe.
#[derive(Debug, Clone)]
pub enum Step {
    /// A starting layer: the variables a program like login(1) or sshd sets.
    Base { name: &'static str, env: Env },
    /// A shell started with the environment of `from`; the result is what its children get.
    Shell { from: Box<Step>, start: ShellStart },
    /// The systemd user manager's environment: `from` (its own) with environment.d applied.
    Manager { from: Box<Step> },
    /// `/bin/sh` sourcing `/etc/profile`, `~/.profile`, `/etc/xprofile`, `~/.xprofile` (Xsession).
    Xsession { from: Box<Step> },
    /// Every variable of `upper` over `lower`, except those `skip` names.
    Overlay { lower: Box<Step>, upper: Box<Step>, skip: fn(&str) -> bool },
    /// A step several contexts share (the desktop session, the user manager), predicted once.
    Shared { key: &'static str, step: Box<Step> },
    /// Variables set on top of `from` by a program (VS Code's terminal settings, the Go extension).
    Set {
        from: Box<Step>,
        vars: Vec<(String, String, Source)>,
        prepend_path: Vec<(String, Source)>,
    },
}

/// A context: a stable id, a title, and its recipe.
#[derive(Debug, Clone)]
pub struct ContextDef {
    pub id: &'static str,
    pub title: String,
    pub step: Step,
}

/// What the machine's user is, for the layers.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub shell: PathBuf,
}

pub const LINUX: &[&str] = &[
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

pub const MACOS: &[&str] = &[
    "sh-login",
    "bash-login",
    "bash-interactive",
    "zsh-login",
    "zsh-interactive",
    "fish",
    "ssh-command",
    "terminal-zsh",
    "dock-app",
    "vscode",
    "vscode-terminal",
    "goland",
];

pub fn ids(os: Os) -> &'static [&'static str] {
    match os {
        Os::Linux => LINUX,
        Os::Macos => MACOS,
    }
}

/// Where a shell program is: the first of its usual paths that exists.
pub fn shell_path(sys: &Sys, name: &str) -> PathBuf {
    for dir in ["/usr/bin", "/bin", "/usr/local/bin", "/opt/homebrew/bin"] {
        let p = Path::new(dir).join(name);
        if sys.is_executable(&p) {
            return p;
        }
    }
    Path::new("/bin").join(name)
}

/// The user: name and login shell from `/etc/passwd` (the home owner's entry), or `--shell`.
pub fn user(sys: &Sys, shell: Option<&Path>) -> User {
    let passwd = sys
        .read_text(Path::new("/etc/passwd"), "the user's name and login shell")
        .unwrap_or_default();
    let home = sys.home().to_string_lossy().into_owned();
    let entry = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 7 && f[5] == home)
        .or_else(|| {
            passwd
                .lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.len() >= 7 && f[2].parse::<u32>().ok() == Some(sys.uid))
        });
    let name = entry.as_ref().map_or_else(|| "user".to_owned(), |f| f[0].to_owned());
    let login =
        entry.as_ref().map(|f| PathBuf::from(f[6])).unwrap_or_else(|| PathBuf::from("/bin/sh"));
    User { name, shell: shell.map(Path::to_path_buf).unwrap_or(login) }
}

fn base_env(sys: &Sys, user: &User, path: &str, layer: &str) -> Env {
    let at = Source::layer(layer);
    let mut env = Env::default();
    env.set("HOME", &sys.home().to_string_lossy(), at.clone());
    env.set("USER", &user.name, at.clone());
    env.set("LOGNAME", &user.name, at.clone());
    env.set("SHELL", &user.shell.to_string_lossy(), at.clone());
    env.set("PATH", path, at);
    env
}

/// pam_env: `/etc/environment`, and `~/.pam_environment` when the PAM service passes
/// `user_readenv=1` (Debian's sshd and GDM stacks do).
fn pam_env(sys: &Sys, env: &mut Env, service: &str) {
    let etc = Path::new("/etc/environment");
    if let Some(text) = sys.read_text(etc, "pam_env's system-wide variables") {
        for (line, k, v) in simple_assignments(&text) {
            env.set(&k, &v, Source::file(etc, line));
        }
    }
    let pam = Path::new("/etc/pam.d").join(service);
    let user_readenv =
        sys.read_text(&pam, "whether PAM reads `~/.pam_environment`").is_some_and(|t| {
            t.lines().any(|l| {
                !l.trim_start().starts_with('#')
                    && l.contains("pam_env.so")
                    && l.contains("user_readenv=1")
            })
        });
    let file = sys.home().join(".pam_environment");
    if user_readenv && let Some(text) = sys.read_text(&file, "pam_env's per-user variables") {
        for (line, k, v) in simple_assignments(&text) {
            if k.contains(char::is_whitespace) {
                continue;
            }
            env.set(&k, &v, Source::file(&file, line));
        }
    }
}

/// `KEY=VALUE` lines with optional quotes, as pam_env reads `/etc/environment`.
fn simple_assignments(text: &str) -> Vec<(u32, String, String)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let l = l.strip_prefix("export ").unwrap_or(l);
        let Some((k, v)) = l.split_once('=') else { continue };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
            .unwrap_or(v);
        out.push((i as u32 + 1, k.trim().to_owned(), v.to_owned()));
    }
    out
}

const LOGIN_PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games";
const LOGIN_ROOT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const SSHD_PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/games";
/// Debian builds OpenSSH `--with-superuser-path`: root's `ssh host cmd` gets this PATH instead.
const SSHD_ROOT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const MANAGER_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const MACOS_PATH: &str = "/usr/bin:/bin:/usr/sbin:/sbin";

/// login(1)'s PATH from `/etc/login.defs` (`ENV_PATH`, or `ENV_SUPATH` for root).
fn login_path(sys: &Sys) -> (String, Source) {
    let defs = Path::new("/etc/login.defs");
    let key = if sys.uid == 0 { "ENV_SUPATH" } else { "ENV_PATH" };
    if let Some(text) = sys.read_text(defs, "login(1)'s PATH") {
        for (i, l) in text.lines().enumerate() {
            let mut words = l.split_whitespace();
            if words.next() == Some(key)
                && let Some(v) = words.next()
            {
                let v = v.strip_prefix("PATH=").unwrap_or(v);
                return (v.to_owned(), Source::file(defs, i as u32 + 1));
            }
        }
    }
    let p = if sys.uid == 0 { LOGIN_ROOT_PATH } else { LOGIN_PATH };
    (p.to_owned(), Source::layer("login"))
}

/// Every context's recipe for this machine.
pub fn definitions(sys: &Sys, ctx: &Context, user: &User) -> Vec<ContextDef> {
    let shell = user.shell.clone();
    let kind = ShellKind::of(&shell);
    let start = |path: PathBuf, login: bool, interactive: bool| ShellStart {
        kind: ShellKind::of(&path),
        path,
        login,
        interactive,
        ssh: false,
    };
    let mac = ctx.os == Os::Macos;
    let login = || {
        if mac {
            Step::Base { name: "launchd", env: base_env(sys, user, MACOS_PATH, "launchd") }
        } else {
            let (path, src) = login_path(sys);
            let mut env = base_env(sys, user, &path, "login");
            env.set("PATH", &path, src);
            pam_env(sys, &mut env, "login");
            Step::Base { name: "login", env }
        }
    };
    let sshd = || {
        let path = match (mac, sys.uid) {
            (true, _) => MACOS_PATH,
            (false, 0) => SSHD_ROOT_PATH,
            (false, _) => SSHD_PATH,
        };
        let mut env = base_env(sys, user, path, "sshd");
        let at = Source::layer("sshd");
        env.set("SSH_CLIENT", "192.0.2.1 50000 22", at.clone());
        env.set("SSH_CONNECTION", "192.0.2.1 50000 192.0.2.2 22", at);
        if !mac {
            pam_env(sys, &mut env, "sshd");
        }
        Step::Base { name: "sshd", env }
    };
    let manager = || {
        let env = base_env(sys, user, MANAGER_PATH, "systemd user manager");
        let step =
            Step::Manager { from: Box::new(Step::Base { name: "systemd user manager", env }) };
        Step::Shared { key: "manager", step: Box::new(step) }
    };
    let gdm = || {
        let mut env = base_env(sys, user, LOGIN_PATH, "gdm");
        let at = Source::layer("gdm");
        env.set("XDG_SESSION_TYPE", "wayland", at.clone());
        env.set("XDG_SESSION_CLASS", "user", at);
        pam_env(sys, &mut env, "gdm-password");
        env
    };
    let gnome_wayland = || {
        let step = Step::Overlay {
            lower: Box::new(manager()),
            upper: Box::new(Step::Shell {
                from: Box::new(Step::Base { name: "gdm", env: gdm() }),
                start: start(shell.clone(), true, false),
            }),
            skip: gnome_skip,
        };
        Step::Shared { key: "gnome-wayland", step: Box::new(step) }
    };
    let gnome_x11 = || {
        let mut env = gdm();
        env.set("XDG_SESSION_TYPE", "x11", Source::layer("gdm"));
        Step::Overlay {
            lower: Box::new(manager()),
            upper: Box::new(Step::Xsession { from: Box::new(Step::Base { name: "gdm", env }) }),
            skip: gnome_skip,
        }
    };
    let kde = || {
        let mut env = base_env(sys, user, LOGIN_PATH, "sddm");
        pam_env(sys, &mut env, "sddm");
        // SDDM's wayland-session runs bash and zsh as login shells; anything else reads ~/.profile with sh
        let login_shell = match kind {
            ShellKind::Bash | ShellKind::Zsh => start(shell.clone(), true, false),
            _ => start(shell_path(sys, "sh"), true, false),
        };
        Step::Overlay {
            lower: Box::new(Step::Shell {
                from: Box::new(Step::Base { name: "sddm", env }),
                start: login_shell,
            }),
            upper: Box::new(manager()),
            skip: kde_skip,
        }
    };
    let dock = || {
        if mac {
            Step::Base { name: "launchd", env: base_env(sys, user, MACOS_PATH, "launchd") }
        } else {
            gnome_wayland()
        }
    };
    let session = dock;
    let vscode = || Step::Overlay {
        lower: Box::new(session()),
        upper: Box::new(Step::Shell {
            from: Box::new(session()),
            start: start(shell.clone(), true, true),
        }),
        skip: vscode_skip,
    };
    let shell_in = |from: Step, path: PathBuf, login: bool, interactive: bool| Step::Shell {
        from: Box::new(from),
        start: start(path, login, interactive),
    };
    let mut out = Vec::new();
    for id in ids(ctx.os) {
        let (title, step) = match *id {
            "sh-login" => (
                "sh login shell (`sh -l`: the console, `su -`)".to_owned(),
                shell_in(login(), shell_path(sys, "sh"), true, true),
            ),
            "bash-login" => (
                "bash login shell (the console, `ssh host`, `bash -l`)".to_owned(),
                shell_in(login(), shell_path(sys, "bash"), true, true),
            ),
            "bash-interactive" => (
                "bash in a terminal window (non-login, interactive)".to_owned(),
                shell_in(session(), shell_path(sys, "bash"), mac, true),
            ),
            "zsh-login" => (
                "zsh login shell (the console, `ssh host`, `zsh -l`)".to_owned(),
                shell_in(login(), shell_path(sys, "zsh"), true, true),
            ),
            "zsh-interactive" => (
                "zsh in a terminal window (non-login, interactive)".to_owned(),
                shell_in(session(), shell_path(sys, "zsh"), false, true),
            ),
            "fish" => (
                "fish in a terminal window".to_owned(),
                shell_in(session(), shell_path(sys, "fish"), mac, true),
            ),
            "ssh-command" => {
                let mut s = start(shell.clone(), false, false);
                s.ssh = true;
                (
                    format!("`ssh host cmd` (sshd runs `{} -c cmd`)", shell.display()),
                    Step::Shell { from: Box::new(sshd()), start: s },
                )
            }
            "gnome-wayland" => {
                ("an app started from the GNOME dock (Wayland)".to_owned(), gnome_wayland())
            }
            "gnome-x11" => ("an app started from the GNOME dock (X11)".to_owned(), gnome_x11()),
            "kde" => ("an app started from KDE Plasma".to_owned(), kde()),
            "systemd-user-service" => ("a `systemd --user` service".to_owned(), manager()),
            "terminal-zsh" => (
                "Terminal.app (a zsh login shell)".to_owned(),
                shell_in(dock(), shell_path(sys, "zsh"), true, true),
            ),
            "dock-app" => ("an app started from the Dock or Finder (launchd)".to_owned(), dock()),
            "vscode" => (
                "VS Code started from the dock (it runs `$SHELL -ilc` at start)".to_owned(),
                vscode(),
            ),
            "vscode-terminal" => {
                let (vars, prepend) = vscode_terminal(sys, ctx);
                let term = Step::Set { from: Box::new(vscode()), vars, prepend_path: prepend };
                (
                    "VS Code's integrated terminal".to_owned(),
                    Step::Shell { from: Box::new(term), start: start(shell.clone(), mac, true) },
                )
            }
            "goland" => {
                if goland_loads_shell(sys, ctx) {
                    (
                        "GoLand started from the dock (it loads `$SHELL -li`)".to_owned(),
                        Step::Overlay {
                            lower: Box::new(session()),
                            upper: Box::new(Step::Shell {
                                from: Box::new(session()),
                                start: start(shell.clone(), true, true),
                            }),
                            skip: vscode_skip,
                        },
                    )
                } else {
                    (
                        "GoLand started from the dock (the session's environment)".to_owned(),
                        session(),
                    )
                }
            }
            _ => continue,
        };
        out.push(ContextDef { id, title, step });
    }
    out
}

fn gnome_skip(name: &str) -> bool {
    matches!(
        name,
        "NOTIFY_SOCKET"
            | "XDG_SEAT"
            | "XDG_SESSION_ID"
            | "XDG_VTNR"
            | "SHLVL"
            | "_"
            | "PWD"
            | "OLDPWD"
    )
}

fn kde_skip(name: &str) -> bool {
    name == "_"
        || name.starts_with("SHLVL")
        || name == "DISPLAY"
        || name == "XAUTHORITY"
        || name.starts_with("WAYLAND_")
        || name.starts_with("XDG_")
}

fn vscode_skip(name: &str) -> bool {
    matches!(name, "XDG_RUNTIME_DIR" | "SHLVL" | "_" | "PWD" | "OLDPWD")
}

/// Variables VS Code sets for its terminal, and PATH entries put in front.
type TerminalEnv = (Vec<(String, String, Source)>, Vec<(String, Source)>);

/// VS Code's `terminal.integrated.env.linux|osx` and the Go extension's `<go.goroot>/bin` prepend.
fn vscode_terminal(sys: &Sys, ctx: &Context) -> TerminalEnv {
    let settings = crate::units::vscode::default_settings(ctx);
    let Some(text) = sys.read_text(&settings, "VS Code's user settings") else {
        return (Vec::new(), Vec::new());
    };
    let Ok(value) =
        jsonc_parser::parse_to_serde_value::<serde_json::Value>(&text, &Default::default())
    else {
        return (Vec::new(), Vec::new());
    };
    let at = Source::file(&settings, 1);
    let key = if ctx.os == Os::Macos {
        "terminal.integrated.env.osx"
    } else {
        "terminal.integrated.env.linux"
    };
    let mut vars = Vec::new();
    if let Some(map) = value.get(key).and_then(|v| v.as_object()) {
        for (k, v) in map {
            if let Some(v) = v.as_str() {
                vars.push((k.clone(), v.to_owned(), at.clone()));
            }
        }
    }
    let mut prepend = Vec::new();
    let activate =
        value.get("go.terminal.activateEnvironment").and_then(|v| v.as_bool()).unwrap_or(true);
    if activate && let Some(goroot) = value.get("go.goroot").and_then(|v| v.as_str()) {
        let root =
            crate::units::vscode::resolve(goroot, ctx).unwrap_or_else(|| PathBuf::from(goroot));
        prepend.push((root.join("bin").to_string_lossy().into_owned(), at.clone()));
    }
    (vars, prepend)
}

/// GoLand on Linux loads the shell's environment only with `-Dij.load.shell.env=true`; on macOS
/// by default.
fn goland_loads_shell(sys: &Sys, ctx: &Context) -> bool {
    let default = ctx.os == Os::Macos;
    let dir = match ctx.os {
        Os::Linux => ctx.config_home.join("JetBrains"),
        Os::Macos => ctx.home.join("Library/Application Support/JetBrains"),
    };
    for name in sys.list(&dir) {
        if !name.starts_with("GoLand") {
            continue;
        }
        for file in ["goland64.vmoptions", "goland.vmoptions", "idea.properties"] {
            if let Some(text) = sys.read_text(&dir.join(&name).join(file), "GoLand's JVM options") {
                for l in text.lines() {
                    let l = l.trim().trim_start_matches("-D");
                    if let Some(v) = l.strip_prefix("ij.load.shell.env=") {
                        return v.trim() == "true";
                    }
                }
            }
        }
    }
    default
}

/// Everything a prediction found out, beside the environment.
#[derive(Debug, Default)]
pub struct Trace {
    pub notes: Vec<Note>,
}

/// Predictions of shared steps, computed once per doctor run.
#[derive(Debug, Default)]
pub struct Shared {
    done: BTreeMap<&'static str, (Env, Vec<Note>)>,
}

/// The environment a recipe's program starts with, predicted from files.
pub fn predict(
    sys: &Sys,
    ctx: &Context,
    step: &Step,
    trace: &mut Trace,
    shared: &mut Shared,
) -> Env {
    match step {
        Step::Shared { key, step } => {
            if let Some((env, notes)) = shared.done.get(key) {
                trace.notes.extend(notes.iter().cloned());
                return env.clone();
            }
            let mut mine = Trace::default();
            let env = predict(sys, ctx, step, &mut mine, shared);
            trace.notes.extend(mine.notes.iter().cloned());
            shared.done.insert(key, (env.clone(), mine.notes));
            env
        }
        Step::Base { env, .. } => env.clone(),
        Step::Shell { from, start } => {
            let env = predict(sys, ctx, from, trace, shared);
            run_shell(sys, ctx, start, &env, trace)
        }
        Step::Manager { from } => {
            let env = predict(sys, ctx, from, trace, shared);
            environment_d(sys, ctx, &env, trace)
        }
        Step::Xsession { from } => {
            let env = predict(sys, ctx, from, trace, shared);
            let mode = shell_mode(ctx, &shell_path(sys, "sh"), Dialect::Sh, false, false);
            let mut run = ShellRun::new(sys, &mode, &env);
            let at = Source::layer("Xsession");
            run.eval(XSESSION, at);
            run.finish(&mut trace.notes)
        }
        Step::Overlay { lower, upper, skip } => {
            let mut env = predict(sys, ctx, lower, trace, shared);
            let up = predict(sys, ctx, upper, trace, shared);
            env.overlay(&up, skip);
            env
        }
        Step::Set { from, vars, prepend_path } => {
            let mut env = predict(sys, ctx, from, trace, shared);
            for (k, v, at) in vars {
                env.set(k, v, at.clone());
            }
            if !prepend_path.is_empty() {
                let entries: Vec<&str> = prepend_path.iter().map(|(e, _)| e.as_str()).collect();
                match env.get("PATH") {
                    Some(Val::Known(p)) => {
                        let at = prepend_path[0].1.clone();
                        env.set("PATH", &format!("{}:{p}", entries.join(":")), at);
                    }
                    Some(Val::Unknown(_)) => {}
                    None => env.set("PATH", &entries.join(":"), prepend_path[0].1.clone()),
                }
            }
            env
        }
    }
}

/// What GDM's Xsession runs with `/bin/sh` before the session.
pub const XSESSION: &str = "test -f /etc/profile && . /etc/profile\n\
test -f \"$HOME/.profile\" && . \"$HOME/.profile\"\n\
test -f /etc/xprofile && . /etc/xprofile\n\
test -f \"$HOME/.xprofile\" && . \"$HOME/.xprofile\"\n\
true\n";

fn shell_mode(
    ctx: &Context,
    path: &Path,
    dialect: Dialect,
    login: bool,
    interactive: bool,
) -> Mode {
    Mode {
        dialect,
        login,
        interactive,
        shell: path.to_path_buf(),
        os_name: if ctx.os == Os::Macos { "Darwin" } else { "Linux" },
        machine: match (ctx.os, ctx.arch) {
            (Os::Macos, crate::context::Arch::Arm64) => "arm64",
            (_, crate::context::Arch::Arm64) => "aarch64",
            _ => "x86_64",
        },
        host: ctx.host.clone(),
    }
}

/// The files a shell reads at start, for its kind and how it was started.
pub fn startup_files(
    sys: &Sys,
    ctx: &Context,
    start: &ShellStart,
    zdotdir: Option<&Path>,
) -> Vec<PathBuf> {
    let home = sys.home();
    let mac = ctx.os == Os::Macos;
    match start.kind {
        ShellKind::Sh => {
            if start.login {
                vec![PathBuf::from("/etc/profile"), home.join(".profile")]
            } else {
                Vec::new()
            }
        }
        ShellKind::Bash => {
            if start.login {
                vec![PathBuf::from("/etc/profile")]
            } else if start.interactive || start.ssh {
                let sys_rc = if mac { "/etc/bashrc" } else { "/etc/bash.bashrc" };
                vec![PathBuf::from(sys_rc), home.join(".bashrc")]
            } else {
                Vec::new()
            }
        }
        ShellKind::Zsh => {
            let etc = if mac || !sys.is_dir(Path::new("/etc/zsh")) {
                PathBuf::from("/etc")
            } else {
                PathBuf::from("/etc/zsh")
            };
            let z = zdotdir.map_or_else(|| home.to_path_buf(), Path::to_path_buf);
            let mut files = vec![etc.join("zshenv"), z.join(".zshenv")];
            if start.login {
                files.push(etc.join("zprofile"));
                files.push(z.join(".zprofile"));
            }
            if start.interactive {
                files.push(etc.join("zshrc"));
                files.push(z.join(".zshrc"));
            }
            if start.login {
                files.push(etc.join("zlogin"));
                files.push(z.join(".zlogin"));
            }
            files
        }
        ShellKind::Fish => Vec::new(),
    }
}

fn run_shell(sys: &Sys, ctx: &Context, start: &ShellStart, env: &Env, trace: &mut Trace) -> Env {
    let dialect = match start.kind {
        ShellKind::Sh => Dialect::Sh,
        ShellKind::Bash => Dialect::Bash,
        ShellKind::Zsh => Dialect::Zsh,
        ShellKind::Fish => {
            let mode = FishMode { login: start.login, interactive: start.interactive };
            let config_home = match env.get("XDG_CONFIG_HOME") {
                Some(Val::Known(x)) if x.starts_with('/') => PathBuf::from(x),
                _ => sys.home().join(".config"),
            };
            return fish::run(sys, &mode, env, &config_home, &mut trace.notes);
        }
    };
    let mode = shell_mode(ctx, &start.path, dialect, start.login, start.interactive);
    let mut run = ShellRun::new(sys, &mode, env);
    match start.kind {
        ShellKind::Bash if start.login => {
            run.source_files(&startup_files(sys, ctx, start, None));
            let home = sys.home();
            run.source_first(&[
                home.join(".bash_profile"),
                home.join(".bash_login"),
                home.join(".profile"),
            ]);
        }
        ShellKind::Zsh => {
            let first = startup_files(sys, ctx, start, None);
            run.source_files(&first[..2]);
            let zdotdir = match run.var("ZDOTDIR") {
                Some(Val::Known(z)) if !z.is_empty() => Some(PathBuf::from(z)),
                _ => None,
            };
            let rest = startup_files(sys, ctx, start, zdotdir.as_deref());
            run.source_files(&rest[2..]);
        }
        ShellKind::Sh if start.interactive => {
            run.source_files(&startup_files(sys, ctx, start, None));
            if let Some(Val::Known(envfile)) = run.var("ENV")
                && !envfile.is_empty()
            {
                run.source_files(&[PathBuf::from(envfile)]);
            }
        }
        ShellKind::Bash if !start.interactive && !start.ssh => {
            if let Some(Val::Known(f)) = env.get("BASH_ENV")
                && !f.is_empty()
            {
                run.source_files(&[PathBuf::from(f)]);
            }
        }
        _ => run.source_files(&startup_files(sys, ctx, start, None)),
    }
    run.finish(&mut trace.notes)
}

/// environment.d as `30-systemd-environment-d-generator` applies it: every `*.conf` in the
/// search path, a name in a higher directory masking a lower one, in file-name order; `$X`,
/// `${X}`, `${X:-d}` and `${X:+a}` expanded; quotes removed.
pub fn environment_d(sys: &Sys, ctx: &Context, base: &Env, trace: &mut Trace) -> Env {
    let dirs = [
        ctx.config_home.join("environment.d"),
        PathBuf::from("/etc/environment.d"),
        PathBuf::from("/run/environment.d"),
        PathBuf::from("/usr/local/lib/environment.d"),
        PathBuf::from("/usr/lib/environment.d"),
    ];
    let mut chosen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for dir in &dirs {
        for name in sys.list(dir) {
            if name.ends_with(".conf") && !chosen.contains_key(&name) {
                chosen.insert(name.clone(), dir.join(&name));
            }
        }
    }
    let mut env = base.clone();
    for path in chosen.values() {
        let Some(bytes) = sys.read(path, "an environment.d file") else { continue };
        if std::str::from_utf8(&bytes).is_err() {
            let why = Why::new(
                Source::file(path, 1),
                "the file is not UTF-8: systemd's generator aborts and the session environment is lost",
            );
            trace
                .notes
                .push(Note { at: why.at.clone(), kind: NoteKind::Unknown(why.reason.clone()) });
            env.rest = Some(why);
            env.vars.clear();
            continue;
        }
        for (line, key, raw) in crate::formats::envd::assignments(&bytes) {
            let at = Source::file(path, line as u32);
            match envd_expand(&raw, &env) {
                Ok(v) => {
                    if v.is_empty() {
                        env.vars.remove(&key);
                    } else {
                        env.set(&key, &v, at);
                    }
                }
                Err(why) => {
                    env.vars.insert(key, super::value::Var::new(Val::Unknown(why), true, at));
                }
            }
        }
    }
    env
}

/// One environment.d value: quotes (a leading quoted part), backslash escapes, `$` expansions.
fn envd_expand(raw: &str, env: &Env) -> Result<String, Why> {
    let lookup = |name: &str| -> Result<String, Why> {
        match env.get(name) {
            Some(Val::Known(v)) => Ok(v),
            Some(Val::Unknown(w)) => Err(w),
            None => Ok(String::new()),
        }
    };
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut quote: Option<char> = None;
    let mut can_quote = true;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' if quote.is_none() && can_quote => {
                quote = Some(c);
                i += 1;
                continue;
            }
            c if Some(c) == quote => {
                quote = None;
                can_quote = true;
                i += 1;
                continue;
            }
            '\\' if i + 1 < chars.len() => {
                out.push(chars[i + 1]);
                i += 2;
                can_quote = false;
                continue;
            }
            '$' => {
                if i + 1 < chars.len() && chars[i + 1] == '{' {
                    // The matching `}`: systemd nests (`${A:-${B}}`).
                    let mut depth = 0usize;
                    let end = chars[i + 2..].iter().position(|&c| {
                        match c {
                            '{' => depth += 1,
                            '}' if depth == 0 => return true,
                            '}' => depth -= 1,
                            _ => {}
                        }
                        false
                    });
                    let Some(end) = end else {
                        out.push('$');
                        i += 1;
                        continue;
                    };
                    let inner: String = chars[i + 2..i + 2 + end].iter().collect();
                    i += 3 + end;
                    // The default and the alternative are expanded too: `${PATH:+:$PATH}`.
                    if let Some((n, d)) = inner.split_once(":-") {
                        let v = lookup(n)?;
                        out.push_str(&if v.is_empty() { envd_expand(d, env)? } else { v });
                    } else if let Some((n, a)) = inner.split_once(":+") {
                        let v = lookup(n)?;
                        if !v.is_empty() {
                            out.push_str(&envd_expand(a, env)?);
                        }
                    } else {
                        out.push_str(&lookup(&inner)?);
                    }
                } else {
                    let mut j = i + 1;
                    while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                        j += 1;
                    }
                    if j == i + 1 {
                        out.push('$');
                        i += 1;
                        continue;
                    }
                    let n: String = chars[i + 1..j].iter().collect();
                    out.push_str(&lookup(&n)?);
                    i = j;
                }
                can_quote = false;
                continue;
            }
            _ => {}
        }
        if quote.is_none() {
            can_quote = false;
        }
        out.push(c);
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// systemd's generator expands the default and the alternative too, and nests braces:
    /// `PATH=~/go/bin${PATH:+:$PATH}` appends the old PATH, not the text `$PATH`.
    #[test]
    fn envd_expands_inside_defaults_and_alternatives() {
        let mut env = Env::default();
        env.set("PATH", "/usr/bin:/bin", Source::layer("manager"));
        env.set("HOME", "/h", Source::layer("manager"));
        let expand = |raw: &str| envd_expand(raw, &env).expect("known");
        assert_eq!(expand("/h/go/bin${PATH:+:$PATH}"), "/h/go/bin:/usr/bin:/bin");
        assert_eq!(expand("/h/go/bin${NOPE:+:$PATH}"), "/h/go/bin");
        assert_eq!(expand("${NOPE:-$HOME/d}"), "/h/d");
        assert_eq!(expand("${NOPE:-${HOME}}x"), "/hx");
        assert_eq!(expand("${HOME}/${NOPE}"), "/h/");
    }
}
