//! The LaunchAgent goenv owns on macOS, `~/Library/LaunchAgents/dev.goenv.session.plist`: an
//! XML property list (Apple's DTD, UTF-8) whose job runs once at every login (`RunAtLoad`) and
//! sets the session's variables in launchd's per-user environment, which apps started from the
//! Dock, Finder and Spotlight inherit.
//!
//! The job is `/bin/sh -c SCRIPT`, one `/bin/launchctl setenv NAME 'value'` line per variable.
//! `launchctl(1)` documents `setenv key value` (one pair); a job has one program, so the pairs are
//! chained by `/bin/sh` (always there on macOS), every value single-quoted so that nothing in it
//! is expanded (`$`, spaces, quotes, `&`, `<` and non-ASCII are kept as they are). Values with a
//! line break are refused by the profile (`launchctl getenv` answers one line).
//!
//! Pure functions on strings; the tests read the file back with Python's `plistlib` (the
//! reference reader of the format available here) and run the script with a real `/bin/sh`.

use super::shell;

/// The job's label, a reverse-DNS name goenv owns; the file is `<LABEL>.plist`.
pub const LABEL: &str = "dev.goenv.session";

/// The path of `launchctl` on every macOS; the plist names it absolutely.
pub const LAUNCHCTL: &str = "/bin/launchctl";

/// The PATH launchd gives apps (`sysctl -n user.cs_path`): what follows goenv's entries.
pub const DEFAULT_PATH: &str = "/usr/bin:/bin:/usr/sbin:/sbin";

/// Escapes text for an XML element: `&`, `<`, `>`, and both quotes (harmless in text, and the
/// same escaping works in attributes).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`escape`] (and numeric character references); `None` for an unknown entity.
pub fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';')? + i;
        let entity = &rest[i + 1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            e => {
                let n = match e.strip_prefix("#x") {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => e.strip_prefix('#')?.parse().ok()?,
                };
                char::from_u32(n)?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The `/bin/sh -c` script: one `launchctl setenv` per variable, in order.
pub fn script(vars: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (name, value) in vars {
        // Always quoted, so that reading it back needs only the single-quote rule.
        let quoted = format!("'{}'", value.replace('\'', r"'\''"));
        out.push_str(&format!("{LAUNCHCTL} setenv {} {quoted}\n", shell::sh_quote(name)));
    }
    out
}

/// The LaunchAgent: Label, ProgramArguments (`/bin/sh -c SCRIPT`) and `RunAtLoad`.
pub fn render(vars: &[(&str, &str)]) -> String {
    let args = ["/bin/sh".to_owned(), "-c".to_owned(), script(vars)];
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \
         \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <!-- Managed by goenv: `goenv apply` writes this file and `goenv rollback` restores it.\n\
         \x20    At every login launchd runs it once, setting the session's variables for the apps\n\
         \x20    started from the Dock, Finder and Spotlight. -->\n\
         <plist version=\"1.0\">\n<dict>\n",
    );
    out.push_str(&format!("\t<key>Label</key>\n\t<string>{}</string>\n", escape(LABEL)));
    out.push_str("\t<key>ProgramArguments</key>\n\t<array>\n");
    for a in &args {
        out.push_str(&format!("\t\t<string>{}</string>\n", escape(a)));
    }
    out.push_str("\t</array>\n\t<key>RunAtLoad</key>\n\t<true/>\n</dict>\n</plist>\n");
    out
}

/// The variables a LaunchAgent goenv wrote sets, in order; `None` when `bytes` is not one
/// (someone else's file, or edited by hand).
pub fn variables(bytes: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let array = text.split_once("<key>ProgramArguments</key>")?.1;
    let array = array.split_once("</array>")?.0;
    let strings: Vec<String> = array
        .split("<string>")
        .skip(1)
        .map(|s| s.split_once("</string>").map(|(v, _)| unescape(v)))
        .collect::<Option<Option<Vec<String>>>>()??;
    let [sh, c, script] = strings.as_slice() else { return None };
    if sh != "/bin/sh" || c != "-c" {
        return None;
    }
    let prefix = format!("{LAUNCHCTL} setenv ");
    let mut out = Vec::new();
    for line in script.lines() {
        let rest = line.strip_prefix(&prefix)?;
        let (name, quoted) = rest.split_once(' ')?;
        out.push((name.to_owned(), single_unquote(quoted)?));
    }
    Some(out)
}

/// `'a'\''b'` → `a'b`: single-quoted pieces joined by `\'`, nothing else.
fn single_unquote(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    loop {
        let inner = rest.strip_prefix('\'')?;
        let end = inner.find('\'')?;
        out.push_str(&inner[..end]);
        rest = &inner[end + 1..];
        if rest.is_empty() {
            return Some(out);
        }
        rest = rest.strip_prefix("\\'")?;
        out.push('\'');
        if rest.is_empty() {
            return Some(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_goenv_writes_it_reads_back() {
        let vars = [
            ("PATH", "/Users/a b/go/bin:/usr/bin:/bin:/usr/sbin:/sbin"),
            ("TRICKY", "it's \"q\" & <x> $HOME `x` \\ ü"),
            ("QUOTE_AT_END", "x'"),
            ("LEAD", "'y"),
        ];
        let text = render(&vars);
        let got = variables(text.as_bytes()).unwrap();
        let want: Vec<(String, String)> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        assert_eq!(got, want);
        assert!(text.contains("&amp; &lt;x&gt;"), "{text}");
        assert_eq!(render(&vars), text, "byte-stable");
        assert_eq!(variables(b"<plist><dict></dict></plist>"), None);
        assert_eq!(variables(render(&[]).as_bytes()), Some(vec![]));
        assert_eq!(unescape("&#x41;&#66;&amp;"), Some("AB&".into()));
        assert_eq!(unescape("&nope;"), None);
    }
}
