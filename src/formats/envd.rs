//! The systemd user environment drop-in `~/.config/environment.d/50-goenv.conf`, read by
//! `30-systemd-environment-d-generator` for services and (via the session) GUI apps. systemd
//! expands `$` in every value, even inside quotes, and cannot set an empty value, so such values
//! are refused rather than written wrong. Pure functions on strings; no I/O except in tests.

use std::fmt;

const HEADER: &str = "# Managed by goenv: `goenv apply` writes this file and `goenv rollback` \
restores it.\n";

/// A value (or PATH entry) that environment.d cannot express exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrepresentable {
    pub key: String,
    pub reason: String,
}

impl fmt::Display for Unrepresentable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` cannot be written to environment.d: {}", self.key, self.reason)
    }
}

impl std::error::Error for Unrepresentable {}

/// Why `value` cannot be written, if it cannot.
fn problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("environment.d cannot set an empty value")
    } else if value.contains('$') {
        Some("the value contains `$`, which environment.d expands even inside quotes")
    } else if value.contains(['\n', '\r']) {
        Some("the value contains a line break")
    } else if value.contains('\0') {
        Some("the value contains a NUL byte")
    } else {
        None
    }
}

/// Quotes a checked value: bare when made only of `[A-Za-z0-9_@%+=:,./-]`, otherwise in double
/// quotes with `"`, `\` and backquote escaped (the only escapes systemd's double quotes take
/// besides `$`). Quotes are needed for whitespace, `#`, `;`, `'` and a leading `\`.
fn quote(value: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if value.chars().all(safe) {
        return value.to_owned();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Renders the drop-in: a header, `PATH=<entries>${PATH:+:$PATH}` when `path_front` is not empty
/// (goenv's entries, then whatever PATH the manager already has), then one `KEY=value` per export.
pub fn render(path_front: &[&str], exports: &[(&str, &str)]) -> Result<String, Unrepresentable> {
    let fail = |key: &str, reason: String| Unrepresentable { key: key.to_owned(), reason };
    let mut out = String::from(HEADER);
    if !path_front.is_empty() {
        for entry in path_front {
            if let Some(reason) = problem(entry) {
                return Err(fail("PATH", format!("entry {entry:?}: {reason}")));
            }
            if entry.contains(':') {
                return Err(fail("PATH", format!("entry {entry:?} contains `:`")));
            }
        }
        let joined = quote(&path_front.join(":"));
        // Expansion runs after unquoting, so the suffix may sit inside the quotes.
        let line = match joined.strip_suffix('"') {
            Some(open) => format!("PATH={open}${{PATH:+:$PATH}}\"\n"),
            None => format!("PATH={joined}${{PATH:+:$PATH}}\n"),
        };
        out.push_str(&line);
    }
    for (key, value) in exports {
        if !super::is_env_name(key) {
            return Err(fail(key, "not a valid environment variable name".to_owned()));
        }
        if let Some(reason) = problem(value) {
            return Err(fail(key, reason.to_owned()));
        }
        out.push_str(&format!("{key}={}\n", quote(value)));
    }
    Ok(out)
}

/// `KEY=value` lines of an environment.d file as systemd reads them: (line, key, raw value).
/// Comments start with `#` or `;`, a line ending in `\` continues on the next one, and an
/// empty value is rejected by systemd, so it sets nothing.
pub fn assignments(bytes: &[u8]) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut continued = false;
    for (n, _, raw) in super::lines::numbered(bytes) {
        let was_continued = continued;
        // systemd also ends a line at `\r`, so only a `\` right before `\n` continues it.
        continued = raw.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1;
        if was_continued {
            continue;
        }
        let text = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(text) = std::str::from_utf8(text) else { continue };
        let text = text.trim_start();
        if text.starts_with(['#', ';']) {
            continue;
        }
        let Some((key, value)) = text.split_once('=') else { continue };
        let (key, value) = (key.trim_end(), value.trim());
        if !super::is_env_name(key) || matches!(value, "" | "\"\"" | "''") {
            continue;
        }
        out.push((n, key.to_owned(), value.to_owned()));
    }
    out
}

/// What systemd's generator makes of a file's assignments, in order, on top of `env`: each
/// value unquoted (a leading `"…"` or `'…'`, backslash escapes) and then expanded (`$NAME`,
/// `${NAME}`, `${NAME:-default}`, `${NAME:+alternate}`) against the variables so far. An empty
/// result unsets the variable (`None`). Returns every assigned variable with its final value,
/// in the order of first assignment.
pub fn evaluate(
    assignments: &[(String, String)],
    env: &std::collections::BTreeMap<String, String>,
) -> Vec<(String, Option<String>)> {
    let mut env = env.clone();
    let mut order: Vec<String> = Vec::new();
    for (key, raw) in assignments {
        let value = expand(&unquote_value(raw), &env);
        if value.is_empty() {
            env.remove(key);
        } else {
            env.insert(key.clone(), value);
        }
        if !order.contains(key) {
            order.push(key.clone());
        }
    }
    order.into_iter().map(|k| (k.clone(), env.get(&k).cloned())).collect()
}

/// systemd's env-file value parsing: a quote only opens at the start; inside `"…"` a backslash
/// escapes `"`, `\`, `` ` `` and `$` (and is kept before anything else); unquoted, a
/// backslash escapes the next character.
fn unquote_value(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    match chars.peek() {
        Some('\'') => {
            chars.next();
            for c in chars.by_ref() {
                if c == '\'' {
                    break;
                }
                out.push(c);
            }
        }
        Some('"') => {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some(e @ ('"' | '\\' | '`' | '$')) => out.push(e),
                        Some(e) => {
                            out.push('\\');
                            out.push(e);
                        }
                        None => {}
                    },
                    c => out.push(c),
                }
            }
        }
        _ => {}
    }
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(e) = chars.next() {
                out.push(e);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// systemd's `replace_env`: `$NAME`, `${NAME}`, `${NAME:-x}`, `${NAME:+x}` (x expanded too).
fn expand(s: &str, env: &std::collections::BTreeMap<String, String>) -> String {
    let get = |name: &str| env.get(name).cloned().unwrap_or_default();
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' || i + 1 == chars.len() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        if chars[i + 1] == '{' {
            // Find the matching brace.
            let mut depth = 0;
            let mut end = None;
            for (j, &c) in chars.iter().enumerate().skip(i + 1) {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(j);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some(end) = end else {
                out.extend(&chars[i..]);
                break;
            };
            let inner: String = chars[i + 2..end].iter().collect();
            let (name, rest) = match inner.find(|c: char| !name_char(c)) {
                Some(k) => (&inner[..k], &inner[k..]),
                None => (inner.as_str(), ""),
            };
            let value = get(name);
            if let Some(alt) = rest.strip_prefix(":+") {
                if !value.is_empty() {
                    out.push_str(&expand(alt, env));
                }
            } else if let Some(default) = rest.strip_prefix(":-") {
                if value.is_empty() {
                    out.push_str(&expand(default, env));
                } else {
                    out.push_str(&value);
                }
            } else {
                out.push_str(&value);
            }
            i = end + 1;
        } else if name_char(chars[i + 1]) {
            let mut j = i + 1;
            while j < chars.len() && name_char(chars[j]) {
                j += 1;
            }
            let name: String = chars[i + 1..j].iter().collect();
            out.push_str(&get(&name));
            i = j;
        } else {
            out.push('$');
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    const GENERATOR: &str =
        "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator";

    const VALUES: &[&str] = &[
        "a b",
        "it's",
        "say \"hi\"",
        "back\\slash",
        "`tick`",
        "ünïcødé",
        "ü b",
        " lead",
        "trail ",
        "tab\tx",
        "#hash",
        ";semi",
        "'single'",
        "\"",
        "\\",
        "x\\",
        "\\x",
        "a\\nb",
        "=eq",
        "%p@q+r,s",
        "https://proxy.example,direct",
        "-mod=mod -trimpath",
        "{braces}",
        "bell\u{7}",
    ];

    #[test]
    fn render_exact() {
        let got = render(&["/home/u/go/bin", "/usr/local/go/bin"], &[("GOPATH", "/home/u/go")]);
        let want = format!(
            "{HEADER}PATH=/home/u/go/bin:/usr/local/go/bin${{PATH:+:$PATH}}\nGOPATH=/home/u/go\n"
        );
        assert_eq!(got, Ok(want));
        let got = render(&["/my dir"], &[("GOFLAGS", r#"say "hi" \ `x`"#)]).unwrap();
        assert!(got.ends_with(
            "PATH=\"/my dir${PATH:+:$PATH}\"\nGOFLAGS=\"say \\\"hi\\\" \\\\ \\`x\\`\"\n"
        ));
        assert_eq!(render(&[], &[]), Ok(HEADER.to_owned()));
    }

    #[test]
    fn refuses_what_systemd_cannot_say() {
        for (key, value) in [
            ("EMPTY", ""),
            ("DOLLAR", "$HOME"),
            ("DOLLAR", "a'$'b"),
            ("NL", "a\nb"),
            ("CR", "a\r"),
            ("NUL", "a\0b"),
            ("export X", "1"),
            ("1X", "1"),
            ("A-B", "1"),
            ("", "1"),
        ] {
            let err = render(&[], &[("OK", "1"), (key, value)]).unwrap_err();
            assert_eq!(err.key, key);
            assert!(err.to_string().starts_with(&format!("`{key}` cannot be written")), "{err}");
        }
        for entry in ["", "/a:/b", "$HOME/bin", "/a\nb"] {
            let err = render(&["/ok", entry], &[]).unwrap_err();
            assert_eq!(err.key, "PATH", "{entry:?}");
        }
    }

    /// Undoes the generator's output quoting (`shell_maybe_quote`: double quotes, backslash
    /// before `"` `\` `` ` `` `$`, C escapes and octal for control characters).
    fn unquote(raw: &str) -> String {
        let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
            return raw.to_owned();
        };
        let mut out = Vec::new();
        let mut bytes = inner.bytes();
        while let Some(b) = bytes.next() {
            if b != b'\\' {
                out.push(b);
                continue;
            }
            let c = bytes.next().expect("escape at end of generator output");
            out.push(match c {
                b'a' => 7,
                b'b' => 8,
                b't' => b'\t',
                b'n' => b'\n',
                b'v' => 11,
                b'f' => 12,
                b'r' => b'\r',
                b'0'..=b'7' => {
                    let digits = [c, bytes.next().expect("octal"), bytes.next().expect("octal")];
                    let text = std::str::from_utf8(&digits).expect("octal digits");
                    u8::from_str_radix(text, 8).expect("octal escape")
                }
                other => other,
            });
        }
        String::from_utf8(out).expect("utf-8 value")
    }

    #[test]
    fn oracle_systemd_generator() {
        let present = std::path::Path::new(GENERATOR).is_file();
        assert!(present, "`{GENERATOR}` is missing; this oracle test needs systemd installed");
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        let conf_dir = home.join(".config/environment.d");
        std::fs::create_dir_all(&conf_dir).expect("create environment.d");
        let keys: Vec<String> = (0..VALUES.len()).map(|i| format!("GOENV_T{i}")).collect();
        let exports: Vec<(&str, &str)> =
            keys.iter().map(String::as_str).zip(VALUES.to_vec()).collect();
        let front = ["/opt/go bin", "/opt/x", "/o'q/\"d\"/\\b"];
        let text = render(&front, &exports).expect("representable");
        std::fs::write(conf_dir.join("50-goenv.conf"), text).expect("write conf");
        let out = Command::new("env")
            .arg("-i")
            .arg(format!("HOME={}", home.display()))
            .args(["PATH=/usr/bin:/bin", GENERATOR])
            .output()
            .unwrap_or_else(|e| panic!("cannot run `{GENERATOR}` (oracle test needs it): {e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "generator failed: {stderr}");
        assert!(!stderr.contains("50-goenv"), "generator complained: {stderr}");
        let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
        let got: Vec<(&str, String)> = stdout
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k, unquote(v)))
            .collect();
        let get = |key: &str| got.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str());
        for (key, value) in &exports {
            assert_eq!(get(key), Some(*value), "{key}");
        }
        let path = get("PATH").expect("PATH in generator output");
        assert!(path.starts_with(&format!("{}:/usr/bin:/bin", front.join(":"))), "{path}");
    }

    #[test]
    fn evaluate_computes_what_the_generator_does() {
        let env = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let text =
            render(&["/h/sdk/current/bin", "/my dir"], &[("A", "x y"), ("B", "q\\\"")]).unwrap();
        let assigned: Vec<(String, String)> =
            assignments(text.as_bytes()).into_iter().map(|(_, k, v)| (k, v)).collect();
        let got = evaluate(&assigned, &env(&[("PATH", "/usr/bin:/bin")]));
        assert_eq!(
            got,
            [
                ("PATH".to_owned(), Some("/h/sdk/current/bin:/my dir:/usr/bin:/bin".to_owned())),
                ("A".to_owned(), Some("x y".to_owned())),
                ("B".to_owned(), Some("q\\\"".to_owned())),
            ]
        );
        // No PATH before: only goenv's entries, no trailing `:`.
        let got = evaluate(&assigned, &env(&[]));
        assert_eq!(got[0].1.as_deref(), Some("/h/sdk/current/bin:/my dir"));
        let raw = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let got = evaluate(
            &[raw("X", "${NOPE:-d}"), raw("Y", "$X-${X}"), raw("Z", "'a $X'"), raw("E", "${NOPE}")],
            &env(&[]),
        );
        let want: Vec<(String, Option<String>)> =
            [("X", Some("d")), ("Y", Some("d-d")), ("Z", Some("a d")), ("E", None)]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
                .collect();
        assert_eq!(got, want);
    }

    /// The same file through the real generator, with a PATH before it: `evaluate` agrees.
    #[test]
    fn oracle_evaluate_against_the_generator() {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        let conf_dir = home.join(".config/environment.d");
        std::fs::create_dir_all(&conf_dir).expect("create environment.d");
        let keys: Vec<String> = (0..VALUES.len()).map(|i| format!("GOENV_T{i}")).collect();
        let exports: Vec<(&str, &str)> =
            keys.iter().map(String::as_str).zip(VALUES.to_vec()).collect();
        let text = render(&["/opt/go bin", "/o'q/\"d\"/\\b"], &exports).expect("representable");
        std::fs::write(conf_dir.join("50-goenv.conf"), &text).expect("write conf");
        let out = Command::new("env")
            .arg("-i")
            .arg(format!("HOME={}", home.display()))
            .args(["PATH=/usr/bin:/bin", GENERATOR])
            .output()
            .expect("run the generator");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
        let generated: std::collections::BTreeMap<String, String> = stdout
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), unquote(v)))
            .collect();
        let assigned: Vec<(String, String)> =
            assignments(text.as_bytes()).into_iter().map(|(_, k, v)| (k, v)).collect();
        let base: std::collections::BTreeMap<String, String> =
            [("PATH".to_owned(), "/usr/bin:/bin".to_owned())].into();
        for (key, value) in evaluate(&assigned, &base) {
            assert_eq!(value.as_ref(), generated.get(&key), "{key}");
        }
    }
}
