//! effect: a resource with no file, a command run after the files of a transaction are written
//! (`effect:systemd-user/set-environment`). A plan holds an [`Effect`], what is wanted, as its
//! change's after-content (TOML, so a saved plan carries it like any content). `apply` resolves
//! it into a [`Run`] against the live user manager, with the [`Run`] that undoes it, and both are
//! journaled before anything runs and recorded in the generation. A rollback runs the undo.

use serde::{Deserialize, Serialize};

/// The id names of the effects, after `effect:`.
pub const SET_ENVIRONMENT: &str = "systemd-user/set-environment";
pub const UNSET_ENVIRONMENT: &str = "systemd-user/unset-environment";
pub const DAEMON_RELOAD: &str = "systemd-user/daemon-reload";
/// `systemd-user/try-restart/NAME.service`.
pub const TRY_RESTART: &str = "systemd-user/try-restart";
/// macOS: `launchctl setenv` / `launchctl unsetenv` in the user's launchd domain.
pub const LAUNCHD_SETENV: &str = "launchd/setenv";
pub const LAUNCHD_UNSETENV: &str = "launchd/unsetenv";

/// One variable: `None` unsets it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Var {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// In the journal and the manifests: the sha256 of the value's blob, in place of `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
}

impl Var {
    pub fn new(name: &str, value: Option<&str>) -> Self {
        Var { name: name.to_owned(), value: value.map(str::to_owned), blob: None }
    }
}

/// What a plan wants run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "kebab-case")]
pub enum Effect {
    /// The user manager gets the variables an environment.d file sets, as systemd's generator
    /// computes them: `set` are the file's assignments (environment.d text, `${PATH:+:$PATH}`
    /// included), evaluated at apply time on the manager's environment without what `was` (the
    /// file's previous assignments) added; `unset` were in the previous file only.
    SessionEnvironment {
        #[serde(default)]
        set: Vec<Var>,
        #[serde(default)]
        was: Vec<Var>,
        #[serde(default)]
        unset: Vec<String>,
    },
    /// Exact values (`None`: unset), what a rollback puts back.
    Environment {
        #[serde(default)]
        vars: Vec<Var>,
    },
    /// `systemctl --user daemon-reload`.
    DaemonReload,
    /// `systemctl --user try-restart UNIT`.
    TryRestart { unit: String },
    /// macOS: exact values in launchd's per-user environment (`None`: unset), for the apps
    /// started from now on; what the LaunchAgent sets at each login, and what a rollback puts
    /// back.
    Launchd {
        #[serde(default)]
        vars: Vec<Var>,
    },
}

impl Effect {
    /// The id name (after `effect:`).
    pub fn name(&self) -> String {
        match self {
            Effect::Environment { vars } if vars.iter().all(|v| v.value.is_none()) => {
                UNSET_ENVIRONMENT.to_owned()
            }
            Effect::SessionEnvironment { .. } | Effect::Environment { .. } => {
                SET_ENVIRONMENT.to_owned()
            }
            Effect::DaemonReload => DAEMON_RELOAD.to_owned(),
            Effect::TryRestart { unit } => format!("{TRY_RESTART}/{unit}"),
            Effect::Launchd { vars } if vars.iter().all(|v| v.value.is_none()) => {
                LAUNCHD_UNSETENV.to_owned()
            }
            Effect::Launchd { .. } => LAUNCHD_SETENV.to_owned(),
        }
    }

    /// The change's after-content.
    pub fn render(&self) -> Vec<u8> {
        toml::to_string(self).unwrap_or_default().into_bytes()
    }

    pub fn parse(bytes: &[u8]) -> Option<Effect> {
        toml::from_str(std::str::from_utf8(bytes).ok()?).ok()
    }

    /// The commands, as a plan shows them: `systemctl --user set-environment
    /// PATH=/h/go/bin:$PATH GOPATH=/h/go`, where `$PATH` is the manager's PATH (without goenv's
    /// previous entries) when it runs.
    pub fn commands(&self) -> Vec<String> {
        match self {
            Effect::SessionEnvironment { set, unset, .. } => {
                let pairs: Vec<(String, String)> = set
                    .iter()
                    .map(|v| (v.name.clone(), v.value.clone().unwrap_or_default()))
                    .collect();
                let env = [("PATH".to_owned(), "$PATH".to_owned())].into();
                let vars = crate::formats::envd::evaluate(&pairs, &env)
                    .into_iter()
                    .map(|(name, value)| Var { name, value, blob: None })
                    .chain(unset.iter().map(|n| Var::new(n, None)))
                    .collect();
                Run::SetEnvironment { vars }.commands()
            }
            _ => self.as_run().commands(),
        }
    }

    /// The commands without values, for messages that cannot redact secrets.
    pub fn names(&self) -> String {
        self.as_run().names()
    }

    /// The run without anything resolved against a manager (a session effect's values as the
    /// file has them): enough to tell which manager and which variables it touches.
    pub fn as_run(&self) -> Run {
        match self {
            Effect::SessionEnvironment { set, unset, .. } => {
                let unset = unset.iter().map(|n| Var::new(n, None));
                Run::SetEnvironment { vars: set.iter().cloned().chain(unset).collect() }
            }
            Effect::Environment { vars } => Run::SetEnvironment { vars: vars.clone() },
            Effect::DaemonReload => Run::DaemonReload,
            Effect::TryRestart { unit } => Run::TryRestart { unit: unit.clone() },
            Effect::Launchd { vars } => Run::Launchctl { vars: vars.clone() },
        }
    }
}

/// What `apply` runs, with every value known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "run", rename_all = "kebab-case")]
pub enum Run {
    /// `set-environment` of the variables with a value, `unset-environment` of the others.
    SetEnvironment {
        #[serde(default)]
        vars: Vec<Var>,
    },
    DaemonReload,
    TryRestart {
        unit: String,
    },
    /// `launchctl setenv NAME VALUE` for each variable with a value, `launchctl unsetenv NAME`
    /// for the others, one variable per command (as `launchctl(1)` documents them).
    Launchctl {
        #[serde(default)]
        vars: Vec<Var>,
    },
}

impl Run {
    /// The argument lists of the program it runs (`systemctl --user`, or `launchctl` for
    /// [`Run::Launchctl`]), in order (none for an empty set-environment).
    pub fn argvs(&self) -> Vec<Vec<String>> {
        match self {
            Run::Launchctl { vars } => vars
                .iter()
                .map(|v| match &v.value {
                    Some(x) => vec!["setenv".to_owned(), v.name.clone(), x.clone()],
                    None => vec!["unsetenv".to_owned(), v.name.clone()],
                })
                .collect(),
            Run::SetEnvironment { vars } => {
                let mut out = Vec::new();
                let set: Vec<String> = vars
                    .iter()
                    .filter_map(|v| v.value.as_ref().map(|x| format!("{}={x}", v.name)))
                    .collect();
                if !set.is_empty() {
                    out.push([vec!["set-environment".to_owned()], set].concat());
                }
                let unset: Vec<String> =
                    vars.iter().filter(|v| v.value.is_none()).map(|v| v.name.clone()).collect();
                if !unset.is_empty() {
                    out.push([vec!["unset-environment".to_owned()], unset].concat());
                }
                out
            }
            Run::DaemonReload => vec![vec!["daemon-reload".to_owned()]],
            Run::TryRestart { unit } => vec![vec!["try-restart".to_owned(), unit.clone()]],
        }
    }

    /// The program the argument lists are for, as messages and plans show it.
    pub fn program(&self) -> &'static str {
        match self {
            Run::Launchctl { .. } => "launchctl",
            _ => "systemctl --user",
        }
    }

    /// `systemctl --user …` lines, values included (the caller redacts secrets); an argument
    /// with whitespace or quotes is shown in double quotes.
    pub fn commands(&self) -> Vec<String> {
        let shown = |a: &String| {
            if a.chars().any(|c| c.is_whitespace() || "\"'\\`;#&|<>()".contains(c)) {
                let mut out = String::from("\"");
                for c in a.chars() {
                    if matches!(c, '"' | '\\' | '`') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out + "\""
            } else {
                a.clone()
            }
        };
        self.argvs()
            .iter()
            .map(|a| {
                let args: Vec<String> = a.iter().map(shown).collect();
                format!("{} {}", self.program(), args.join(" "))
            })
            .collect()
    }

    /// The commands without values, for messages that cannot redact: `systemctl --user
    /// set-environment GOPATH PATH`.
    pub fn names(&self) -> String {
        match self {
            Run::SetEnvironment { vars } => {
                let set: Vec<&str> =
                    vars.iter().filter(|v| v.value.is_some()).map(|v| v.name.as_str()).collect();
                let unset: Vec<&str> =
                    vars.iter().filter(|v| v.value.is_none()).map(|v| v.name.as_str()).collect();
                let mut parts = Vec::new();
                if !set.is_empty() {
                    parts.push(format!("systemctl --user set-environment {}", set.join(" ")));
                }
                if !unset.is_empty() {
                    parts.push(format!("systemctl --user unset-environment {}", unset.join(" ")));
                }
                if parts.is_empty() { "nothing".to_owned() } else { parts.join(", ") }
            }
            Run::Launchctl { vars } => {
                let parts: Vec<String> = vars
                    .iter()
                    .map(|v| {
                        let verb = if v.value.is_some() { "setenv" } else { "unsetenv" };
                        format!("launchctl {verb} {}", v.name)
                    })
                    .collect();
                if parts.is_empty() { "nothing".to_owned() } else { parts.join(", ") }
            }
            _ => self.commands().join(", "),
        }
    }
}

/// One effect as the journal and the generation keep it: what ran and what undoes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// `effect:systemd-user/set-environment`.
    pub resource: super::ResourceId,
    pub run: Run,
    pub undo: Run,
}

/// Reads `systemctl --user show-environment`: `NAME=value` lines, a value bare or in systemd's
/// `$'…'` quoting with C escapes.
pub fn parse_show_environment(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((name, raw)) = line.split_once('=') else { continue };
        let value = match raw.strip_prefix("$'").and_then(|r| r.strip_suffix('\'')) {
            Some(inner) => unescape(inner),
            None => raw.to_owned(),
        };
        out.push((name.to_owned(), value));
    }
    out
}

/// systemd's `cescape` undone: `\a \b \f \n \r \t \v \\ \" \' \xHH \NNN`.
fn unescape(s: &str) -> String {
    let mut bytes = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 == b.len() {
            bytes.push(b[i]);
            i += 1;
            continue;
        }
        let c = b[i + 1];
        i += 2;
        let simple = match c {
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'e' => Some(27),
            b'\\' | b'"' | b'\'' => Some(c),
            _ => None,
        };
        if let Some(x) = simple {
            bytes.push(x);
        } else if c == b'x' && i + 2 <= b.len() {
            match u8::from_str_radix(&s[i..i + 2], 16) {
                Ok(x) => {
                    bytes.push(x);
                    i += 2;
                }
                Err(_) => bytes.extend_from_slice(b"\\x"),
            }
        } else if c.is_ascii_digit() && i + 2 <= b.len() {
            match u8::from_str_radix(&s[i - 1..i + 2], 8) {
                Ok(x) => {
                    bytes.push(x);
                    i += 2;
                }
                Err(_) => bytes.extend_from_slice(&[b'\\', c]),
            }
        } else {
            bytes.extend_from_slice(&[b'\\', c]);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_round_trip_as_content() {
        let e = Effect::SessionEnvironment {
            set: vec![
                Var::new("PATH", Some("/h/go/bin${PATH:+:$PATH}")),
                Var::new("A", Some("\"a b\"")),
            ],
            was: vec![Var::new("PATH", Some("/old${PATH:+:$PATH}"))],
            unset: vec!["OLD".into()],
        };
        assert_eq!(Effect::parse(&e.render()), Some(e.clone()));
        assert_eq!(e.name(), SET_ENVIRONMENT);
        assert_eq!(Effect::parse(b"effect = \"format-disk\"\n"), None);
        let r = Run::SetEnvironment { vars: vec![Var::new("A", Some("a b")), Var::new("B", None)] };
        assert_eq!(r.argvs(), [vec!["set-environment", "A=a b"], vec!["unset-environment", "B"]]);
        assert_eq!(
            r.names(),
            "systemctl --user set-environment A, systemctl --user unset-environment B"
        );
        assert!(Run::SetEnvironment { vars: vec![] }.argvs().is_empty());
        assert_eq!(
            Effect::TryRestart { unit: "api.service".into() }.name(),
            "systemd-user/try-restart/api.service"
        );
    }

    #[test]
    fn show_environment_is_read_as_systemd_quotes_it() {
        // What systemd 252 printed for these values (set with set-environment).
        let text =
            "HOME=/h\nA=$'a b'\nB=$'it\\'s'\nC=$'x\"y\\\\z'\nD=$'tab\\tx'\nE=$'$HOME'\nF=ü\nH=\n";
        let got = parse_show_environment(text);
        let want = [
            ("HOME", "/h"),
            ("A", "a b"),
            ("B", "it's"),
            ("C", "x\"y\\z"),
            ("D", "tab\tx"),
            ("E", "$HOME"),
            ("F", "ü"),
            ("H", ""),
        ];
        let want: Vec<(String, String)> =
            want.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
        assert_eq!(got, want);
        assert_eq!(unescape("\\x41\\101\\e"), "AA\u{1b}");
    }
}
