//! Property tests for the reconcile engine, through the built binary on temporary homes:
//!
//! - after `apply --yes`, `plan --detailed-exitcode` finds nothing to do (exit 0);
//! - `rollback --yes` then gives every pre-existing file back byte for byte (and its mode) and
//!   removes every file goenv created (directories goenv created may stay);
//! - apply A, apply B, rollback: the home is exactly as A left it;
//! - a B without `vscode` leaves VS Code's `settings.json` exactly as it was before goenv.
//!
//! Profiles are generated from values goenv must accept (quotes, backslashes, spaces, non-ASCII,
//! `$` only without `session`), with or without an (adopted) Go SDK and `vscode`; the start-up
//! files that exist beforehand are arbitrary bytes (CRLF, lone CR, non-UTF-8, no final newline,
//! empty) or absent, and VS Code's `settings.json` is absent or one of several real shapes
//! (comments, trailing commas, CRLF, a byte order mark, other `go.alternateTools`).

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::TestEnv;
use proptest::prelude::*;
use proptest::sample::subsequence;

// ---------------------------------------------------------------------------------------------
// Profiles

#[derive(Debug, Clone)]
struct GenProfile {
    /// `None`: no `go-env` node; `Some(vec![])`: an empty `go-env {}`.
    go_env: Option<Vec<(&'static str, String)>>,
    proxy: Option<&'static str>,
    export: Vec<(&'static str, String)>,
    path: Vec<String>,
    shells: Vec<&'static str>,
    session: bool,
    /// `go "1.99.1"`, adopted from the seeded `~/sdk/go1.99.1`.
    go: bool,
    vscode: bool,
}

/// A KDL 2.0 quoted string.
fn kdl(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl GenProfile {
    fn render(&self) -> String {
        let mut out = String::from("version 1\n");
        if self.go {
            out.push_str("go \"1.99.1\"\n");
        }
        if let Some(keys) = &self.go_env {
            out.push_str("go-env {\n");
            for (k, v) in keys {
                out.push_str(&format!("    {k} {}\n", kdl(v)));
            }
            out.push_str("}\n");
        }
        if let Some(p) = self.proxy {
            out.push_str(&format!("proxy {}\n", kdl(p)));
        }
        if !self.export.is_empty() {
            out.push_str("export {\n");
            for (k, v) in &self.export {
                out.push_str(&format!("    {k} {}\n", kdl(v)));
            }
            out.push_str("}\n");
        }
        if !self.path.is_empty() {
            let entries: Vec<String> = self.path.iter().map(|p| kdl(p)).collect();
            out.push_str(&format!("path {}\n", entries.join(" ")));
        }
        let shells: Vec<String> = self.shells.iter().map(|s| kdl(s)).collect();
        out.push_str(&format!("shells {}\n", shells.join(" ")));
        if self.session {
            out.push_str("session\n");
        }
        if self.vscode {
            out.push_str("vscode\n");
        }
        out
    }
}

fn go_env() -> impl Strategy<Value = Option<Vec<(&'static str, String)>>> {
    let gopath = prop_oneof![
        Just("~/go"),
        Just("~/src/go"),
        Just("~/go-work"),
        Just("~/gö páth"),
        Just("~/.local/share/go"),
    ];
    let goflags = prop_oneof![
        Just("-mod=mod"),
        Just("-mod=readonly -trimpath"),
        Just("-trimpath"),
        Just("-buildvcs=false"),
        Just("-tags=netgo,osusergo -mod=vendor"),
    ];
    let goprivate = prop_oneof![
        Just("example.com/*"),
        Just("*.corp.example.com,github.com/acme/*"),
        Just("git.internal/private"),
        Just("gitlab.example.org/team/*/lib"),
    ];
    let gotoolchain = prop_oneof![Just("local"), Just("auto")];
    prop::option::of((
        prop::option::of(gopath),
        prop::option::of(goflags),
        prop::option::of(goprivate),
        prop::option::of(gotoolchain),
    ))
    .prop_map(|keys| {
        keys.map(|(path, flags, private, toolchain)| {
            [
                ("GOPATH", path),
                ("GOFLAGS", flags),
                ("GOPRIVATE", private),
                ("GOTOOLCHAIN", toolchain),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v.to_owned())))
            .collect()
        })
    })
}

/// Pieces of export values: everything a shell, fish and environment.d have to quote.
const VALUE_PIECES: &[&str] = &[
    "plain",
    " ",
    "  two  ",
    "\"",
    "'",
    "\\",
    "\\\\",
    "é",
    "日本語",
    "🚀",
    "Ωmega",
    "a=b",
    "#hash",
    ";",
    "`cmd`",
    "*",
    "?",
    "~",
    "~/x",
    "-n",
    "%s",
    "&&",
    "|",
    "(",
    ")",
    "!",
    "{}",
    "\\n",
    "\\'",
];
/// Pieces with `$`: only valid without `session` (environment.d expands `$`).
const DOLLAR_PIECES: &[&str] = &["$HOME", "${PATH}", "$", "$$", "\\$x", "'$(id)'"];

fn value(session: bool) -> BoxedStrategy<String> {
    let piece: BoxedStrategy<&'static str> = if session {
        prop::sample::select(VALUE_PIECES).boxed()
    } else {
        prop_oneof![
            4 => prop::sample::select(VALUE_PIECES),
            1 => prop::sample::select(DOLLAR_PIECES),
        ]
        .boxed()
    };
    // Empty values are valid only without `session`.
    let min = usize::from(session);
    // A value that starts like `~/…` is refused (no shell expands it inside a value): such a
    // piece goes after another.
    prop::collection::vec(piece, min..6)
        .prop_map(|v| {
            let s = v.concat();
            if s.starts_with('~') { format!("x{s}") } else { s }
        })
        .boxed()
}

const EXPORT_KEYS: &[&str] = &["GREETING", "APP_MODE", "X_1", "_PRIVATE_NOTE", "EDITOR", "LC_NOTE"];

fn export(session: bool) -> impl Strategy<Value = Vec<(&'static str, String)>> {
    (subsequence(EXPORT_KEYS, 0..=4), prop::collection::vec(value(session), 4))
        .prop_map(|(keys, values)| keys.into_iter().zip(values).collect::<Vec<_>>())
}

fn path_entries() -> impl Strategy<Value = Vec<String>> {
    let entry = prop_oneof![
        Just("~/go/bin".to_owned()),
        Just("~/.local/bin".to_owned()),
        "[a-z][a-z0-9_ .é'-]{0,6}(/[a-z][a-z0-9_ .-]{0,5})?".prop_map(|s| format!("~/{s}")),
    ];
    prop::collection::vec(entry, 0..4).prop_map(|mut v| {
        let mut seen = Vec::new();
        v.retain(|p| {
            let fresh = !seen.contains(p);
            seen.push(p.clone());
            fresh
        });
        v
    })
}

fn profile() -> impl Strategy<Value = GenProfile> {
    any::<bool>().prop_flat_map(|session| {
        (
            go_env(),
            prop::option::of(prop::sample::select(&["default", "china", "direct", "offline"][..])),
            export(session),
            path_entries(),
            subsequence(&["bash", "zsh", "fish"][..], 1..=3),
            any::<(bool, bool)>(),
        )
            .prop_map(move |(go_env, proxy, export, path, shells, (go, vscode))| {
                GenProfile { go_env, proxy, export, path, shells, session, go, vscode }
            })
    })
}

// ---------------------------------------------------------------------------------------------
// Pre-existing start-up files

/// Lines that real rc files have, and near-misses of goenv's markers (which must not count).
const RC_LINES: &[&[u8]] = &[
    b"# ~/.bashrc: executed by bash(1) for non-login shells.",
    b"case $- in *i*) ;; *) return;; esac",
    b"[ -z \"$PS1\" ] && return",
    b"export EDITOR=vi",
    b"alias ll='ls -alF'",
    b"PATH=\"$HOME/bin:$PATH\"",
    b"if [ -n \"$BASH_VERSION\" ]; then . \"$HOME/.bashrc\"; fi",
    b"\t# indented \xc3\xa9",
    b"",
    b"   ",
    b"\xff\xfe not utf-8 \x80",
    b"\xef\xbb\xbf# BOM",
    b"# >>> goenv >>",
    b" # >>> goenv >>>",
    b"echo '# <<< goenv <<<'",
    b"# >>> conda initialize >>>",
    b"\0nul",
];
const EOLS: &[&[u8]] = &[b"\n", b"\n", b"\r\n", b"\r", b""];

fn rc_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        2 => prop::collection::vec(any::<u8>(), 0..300),
        4 => prop::collection::vec(
            (prop::sample::select(RC_LINES), prop::sample::select(EOLS)),
            1..14,
        )
        .prop_map(|lines| lines.into_iter().flat_map(|(l, e)| [l, e]).flatten().copied().collect()),
    ]
}

/// VS Code settings files as people have them (each one valid for VS Code).
const SETTINGS_DOCS: &[&str] = &[
    "",
    "{}",
    "{\n}\n",
    "// settings\n",
    "{\n    \"editor.fontSize\": 14, // size\n    \"files.eol\": \"\\n\",\n}\n",
    "/* mine */\n{\n\t\"go.goroot\": \"/usr/local/go\",\n\t\"go.alternateTools\": {\n\t\t\"go\": \"/x/go\", \
     // wrapper\n\t\t\"gopls\": \"/p\"\n\t}\n}",
    "\u{feff}{\"go.alternateTools\": {}, \"go.toolsManagement.go\": \"/usr/bin/go\", \"[go]\": \
     {\"editor.formatOnSave\": true,},}",
    "{\n  \"go.alternateTools\": {\n    \"dlv\": \"/old/dlv\"\n  },\n  \"k\": [1, null]\n  /* end */\n}\n",
];

fn settings() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        1 => Just(None),
        3 => (prop::sample::select(SETTINGS_DOCS), any::<bool>()).prop_map(|(doc, crlf)| {
            Some(if crlf { doc.replace('\n', "\r\n") } else { doc.to_owned() }.into_bytes())
        }),
    ]
}

/// The start-up files and VS Code settings present before goenv runs (`None`: absent).
#[derive(Clone)]
struct Home {
    bashrc: Option<Vec<u8>>,
    profile: Option<Vec<u8>>,
    bash_profile: Option<Vec<u8>>,
    zshenv: Option<Vec<u8>>,
    /// Their modes, in the order above (goenv keeps modes).
    modes: [u32; 4],
    /// `~/.config/Code/User/settings.json`.
    settings: Option<Vec<u8>>,
}

fn home() -> impl Strategy<Value = Home> {
    let maybe = |absent: u32| prop_oneof![absent => Just(None), 4 => rc_bytes().prop_map(Some)];
    let mode = prop::sample::select(&[0o644, 0o644, 0o600, 0o640, 0o755][..]);
    (
        maybe(1),
        maybe(1),
        maybe(4),
        maybe(2),
        [mode.clone(), mode.clone(), mode.clone(), mode],
        settings(),
    )
        .prop_map(|(bashrc, profile, bash_profile, zshenv, modes, settings)| Home {
            bashrc,
            profile,
            bash_profile,
            zshenv,
            modes,
            settings,
        })
}

/// Shown as byte strings, so a minimal failing input can be read and copied.
impl std::fmt::Debug for Home {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |b: &Option<Vec<u8>>| match b {
            Some(b) => format!("Some(b\"{}\".to_vec())", b.escape_ascii()),
            None => "None".to_owned(),
        };
        let modes: Vec<String> = self.modes.iter().map(|m| format!("0o{m:o}")).collect();
        f.debug_struct("Home")
            .field("bashrc", &format_args!("{}", show(&self.bashrc)))
            .field("profile", &format_args!("{}", show(&self.profile)))
            .field("bash_profile", &format_args!("{}", show(&self.bash_profile)))
            .field("zshenv", &format_args!("{}", show(&self.zshenv)))
            .field("modes", &format_args!("{}", modes.join(", ")))
            .field("settings", &format_args!("{}", show(&self.settings)))
            .finish()
    }
}

impl Home {
    fn seed(&self, home: &Path) {
        std::fs::create_dir_all(home).expect("create home");
        // go1.99.1, complete enough to be adopted: `go "1.99.1"` needs no download.
        let sdk = home.join("sdk/go1.99.1");
        std::fs::create_dir_all(sdk.join("pkg/tool/linux_amd64")).expect("create SDK");
        std::fs::create_dir_all(sdk.join("bin")).expect("create SDK");
        std::fs::write(sdk.join("VERSION"), "go1.99.1\ntime 2020-02-02T00:00:00Z\n").expect("SDK");
        std::fs::write(sdk.join(".unpacked-success"), "").expect("SDK");
        std::fs::write(sdk.join("bin/go"), "#!/bin/sh\n").expect("SDK");
        if let Some(bytes) = &self.settings {
            let path = home.join(".config/Code/User/settings.json");
            std::fs::create_dir_all(path.parent().expect("parent")).expect("create Code/User");
            std::fs::write(&path, bytes).expect("seed settings.json");
        }
        for ((name, bytes), mode) in [
            (".bashrc", &self.bashrc),
            (".profile", &self.profile),
            (".bash_profile", &self.bash_profile),
            (".zshenv", &self.zshenv),
        ]
        .into_iter()
        .zip(self.modes)
        {
            if let Some(bytes) = bytes {
                let path = home.join(name);
                std::fs::write(&path, bytes).expect("seed start-up file");
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                    .expect("set mode");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots of the home

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File { mode: u32, bytes: Vec<u8> },
    Link(PathBuf),
}

/// Every non-directory below `home`, except goenv's state directory (`.local/state`).
fn snapshot(home: &Path) -> BTreeMap<PathBuf, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Entry>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries {
            let path = e.expect("directory entry").path();
            let rel = path.strip_prefix(root).expect("below home").to_path_buf();
            if rel == Path::new(".local/state") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                walk(root, &path, out);
            } else if meta.file_type().is_symlink() {
                out.insert(rel, Entry::Link(std::fs::read_link(&path).expect("read link")));
            } else {
                let bytes = std::fs::read(&path).expect("read file");
                out.insert(rel, Entry::File { mode: meta.permissions().mode() & 0o7777, bytes });
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(home, home, &mut out);
    out
}

/// A readable account of how two snapshots differ (empty when equal).
fn differences(expected: &BTreeMap<PathBuf, Entry>, actual: &BTreeMap<PathBuf, Entry>) -> String {
    let show = |e: &Entry| match e {
        Entry::File { mode, bytes } => format!("mode {mode:o}, b\"{}\"", bytes.escape_ascii()),
        Entry::Link(t) => format!("symlink to {}", t.display()),
    };
    let mut out = String::new();
    for (path, e) in expected {
        match actual.get(path) {
            None => out.push_str(&format!("  missing {}: expected {}\n", path.display(), show(e))),
            Some(a) if a != e => out.push_str(&format!(
                "  changed {}:\n    expected {}\n    actual   {}\n",
                path.display(),
                show(e),
                show(a)
            )),
            Some(_) => {}
        }
    }
    for (path, a) in actual {
        if !expected.contains_key(path) {
            out.push_str(&format!("  extra {}: {}\n", path.display(), show(a)));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Running goenv

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn describe(what: &str, out: &Output) -> String {
    format!(
        "{what}: exit {}\n--- stdout\n{}\n--- stderr\n{}",
        code(out),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs goenv and fails the case (with its output) unless it exits with `expected`.
fn run(env: &TestEnv, args: &[&str], expected: i32) -> Result<Output, TestCaseError> {
    let out = env.goenv(args);
    prop_assert_eq!(
        code(&out),
        expected,
        "{}",
        describe(&format!("goenv {}", args.join(" ")), &out)
    );
    Ok(out)
}

fn assert_same(
    what: &str,
    expected: &BTreeMap<PathBuf, Entry>,
    actual: &BTreeMap<PathBuf, Entry>,
) -> Result<(), TestCaseError> {
    let diff = differences(expected, actual);
    prop_assert!(diff.is_empty(), "{what}:\n{diff}");
    Ok(())
}

fn apply_plan_rollback(p: &GenProfile, h: &Home) -> Result<(), TestCaseError> {
    let env = TestEnv::new();
    let home = env.home();
    h.seed(&home);
    env.write("profile.kdl", &p.render());
    let before = snapshot(&home);

    run(&env, &["apply", "--yes", "profile.kdl"], 0)?;
    run(&env, &["plan", "--detailed-exitcode", "profile.kdl"], 0)?;
    run(&env, &["rollback", "--yes"], 0)?;
    assert_same("after apply and rollback, the home is as before", &before, &snapshot(&home))
}

fn apply_change_rollback(a: &GenProfile, b: &GenProfile, h: &Home) -> Result<(), TestCaseError> {
    let env = TestEnv::new();
    let home = env.home();
    h.seed(&home);
    let before = snapshot(&home);
    env.write("a.kdl", &a.render());
    env.write("b.kdl", &b.render());

    run(&env, &["apply", "--yes", "a.kdl"], 0)?;
    let after_a = snapshot(&home);
    // A second profile that happens to change nothing makes no generation: rollback then undoes
    // the first apply.
    let pending = code(&run_plan(&env, "b.kdl")?) == 2;
    run(&env, &["apply", "--yes", "b.kdl"], 0)?;
    run(&env, &["plan", "--detailed-exitcode", "b.kdl"], 0)?;
    if !b.vscode {
        // Without `vscode`, goenv's settings are taken out again: the file as it was.
        let settings = home.join(".config/Code/User/settings.json");
        prop_assert_eq!(
            std::fs::read(&settings).ok().map(|b| b.escape_ascii().to_string()),
            h.settings.as_ref().map(|b| b.escape_ascii().to_string()),
            "settings.json after a profile without `vscode`"
        );
    }
    run(&env, &["rollback", "--yes"], 0)?;
    if pending {
        assert_same(
            "apply A, apply B, rollback: the home is as A left it",
            &after_a,
            &snapshot(&home),
        )
    } else {
        assert_same(
            "apply A, no-op apply B, rollback: the home is as before",
            &before,
            &snapshot(&home),
        )
    }
}

fn run_plan(env: &TestEnv, profile: &str) -> Result<Output, TestCaseError> {
    let out = env.goenv(&["plan", "--detailed-exitcode", profile]);
    prop_assert!(matches!(code(&out), 0 | 2), "{}", describe("goenv plan", &out));
    Ok(out)
}

proptest! {
    // 48 cases by default; `PROPTEST_CASES=1000 cargo test --test apply_props` for a longer hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(48),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn apply_converges_and_rollback_restores_every_byte(p in profile(), h in home()) {
        apply_plan_rollback(&p, &h)?;
    }

    #[test]
    fn rollback_after_a_second_apply_returns_to_the_first(
        a in profile(),
        b in profile(),
        h in home(),
    ) {
        apply_change_rollback(&a, &b, &h)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Fixed cases

#[test]
fn generated_profiles_are_what_goenv_check_accepts() {
    // A sanity check of the generator itself: a profile with every feature at once.
    let p = GenProfile {
        go_env: Some(vec![
            ("GOPATH", "~/gö páth".into()),
            ("GOFLAGS", "-mod=mod -trimpath".into()),
        ]),
        proxy: Some("china"),
        export: vec![("GREETING", "he said \"hi\" \\ 日本語 ' ; `x`".into())],
        path: vec!["~/tools bin/x".into(), "~/o'k".into()],
        shells: vec!["bash", "zsh", "fish"],
        session: true,
        go: true,
        vscode: true,
    };
    let env = TestEnv::new();
    Home {
        bashrc: None,
        profile: None,
        bash_profile: None,
        zshenv: None,
        modes: [0o644; 4],
        settings: None,
    }
    .seed(&env.home());
    let (status, json) = env.check_json(&p.render(), &[]);
    assert_eq!(status, 0, "{}\n{json:#}", p.render());
    assert_eq!(json["export"]["GREETING"], "he said \"hi\" \\ 日本語 ' ; `x`", "{json:#}");
}

/// `plan` starts no process: with an empty PATH there is nothing it could start, and it still
/// works. This is a weak check (a process started by absolute path would pass); the proof is in
/// `scripts/bench`, which runs `plan` under `strace -f` and asserts exactly one `execve` (goenv
/// itself) and no `fork`/`vfork`/`clone`/`clone3`.
#[test]
fn plan_works_with_an_empty_path() {
    let env = TestEnv::new();
    let home = env.home();
    Home {
        bashrc: Some(b"# bashrc\r\n[ -z \"$PS1\" ] && return\r\n".to_vec()),
        profile: Some(b"export EDITOR=vi\n".to_vec()),
        bash_profile: None,
        zshenv: Some(b"\xff no newline".to_vec()),
        modes: [0o644, 0o600, 0o644, 0o644],
        settings: Some(b"// mine\n{\"editor.fontSize\": 14,}\n".to_vec()),
    }
    .seed(&home);
    let profile = GenProfile {
        go_env: Some(vec![("GOPATH", "~/go".into()), ("GOTOOLCHAIN", "local".into())]),
        proxy: Some("default"),
        export: vec![("GREETING", "hello world".into())],
        path: vec!["~/tools/bin".into()],
        shells: vec!["bash", "zsh", "fish"],
        session: true,
        go: true,
        vscode: true,
    };
    env.write("profile.kdl", &profile.render());
    let empty = tempfile::tempdir().expect("empty PATH directory");
    let plan = |detailed: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_goenv"));
        cmd.current_dir(env.dir.path())
            .env_clear()
            .env("PATH", empty.path())
            .env("NO_COLOR", "1")
            .arg("--home")
            .arg(&home)
            .arg("plan");
        if detailed {
            cmd.arg("--detailed-exitcode");
        }
        cmd.arg("profile.kdl").output().expect("goenv runs")
    };

    let out = plan(false);
    assert_eq!(code(&out), 0, "{}", describe("plan with an empty PATH", &out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("+ file:~/.config/goenv/env.sh"), "{stdout}");
    assert!(stdout.contains("+ file:~/.config/environment.d/50-goenv.conf"), "{stdout}");
    assert!(stdout.contains("~ json:~/.config/Code/User/settings.json"), "{stdout}");
    assert!(!home.join(".local").exists(), "plan writes nothing, not even the state directory");

    let out = env.goenv(&["apply", "--yes", "profile.kdl"]);
    assert_eq!(code(&out), 0, "{}", describe("apply", &out));
    let out = plan(true);
    assert_eq!(code(&out), 0, "{}", describe("plan with an empty PATH after apply", &out));
}
