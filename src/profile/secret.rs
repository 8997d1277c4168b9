//! secret: what goenv must never show, and the one way every output hides it. A value marked
//! `secret=#true` and the credentials of any URL (`https://user:token@host`) are replaced by
//! `<redacted>` in every message, diff, snippet and JSON document. Snippets of a profile are
//! masked from its text alone as well ([`masks`]), so a line that does not parse, or whose
//! `secret` property is misspelt, never shows its value either.

use std::borrow::Cow;
use std::ops::Range;

use super::{Profile, Value};
use crate::formats::{shell, systemd};

/// What stands in for a hidden value.
pub const REDACTED: &str = "<redacted>";

/// Replaces the userinfo of every URL in `s` with `<redacted>`, also inside `,`/`|` lists.
pub fn redact_urls(s: &str) -> Cow<'_, str> {
    let (mut out, mut last, mut from) = (String::new(), 0, 0);
    while let Some(i) = s[from..].find("://") {
        let start = from + i + 3;
        let end = s[start..]
            .find(|c: char| matches!(c, '/' | '?' | '#' | ',' | '|') || c.is_whitespace())
            .map_or(s.len(), |e| start + e);
        if let Some(at) = s[start..end].rfind('@').map(|a| start + a)
            && &s[start..at] != "<redacted>"
        {
            out.push_str(&s[last..start]);
            out.push_str("<redacted>");
            last = at;
        }
        from = end;
    }
    if last == 0 {
        return Cow::Borrowed(s);
    }
    out.push_str(&s[last..]);
    Cow::Owned(out)
}

/// `NAME=value` where NAME looks like a secret (`*TOKEN*`, `*PASSWORD*`, `*SECRET*`, `*_KEY`):
/// the value is redacted, wherever such text appears (a note quoting an `eval` line).
pub fn redact_named(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(eq) = rest.find('=') {
        let (before, after) = rest.split_at(eq);
        let name: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let upper = name.to_ascii_uppercase();
        let secret = secret_name(&upper);
        out.push_str(before);
        out.push('=');
        let after = &after[1..];
        if secret {
            let end = after
                .find(|c: char| c.is_whitespace() || c == ';' || c == '`' || c == ')')
                .unwrap_or(after.len());
            out.push_str(REDACTED);
            rest = &after[end..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Whether a variable's name says it holds a secret: `*TOKEN*`, `*PASSWORD*`, `*PASSWD*`,
/// `*SECRET*`, `*_KEY`.
pub fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["TOKEN", "PASSWORD", "PASSWD", "SECRET"].iter().any(|w| upper.contains(w))
        || upper.ends_with("_KEY")
}

/// `text` as goenv may show it: every one of `secrets` and every URL credential `<redacted>`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), REDACTED);
        }
    }
    redact_urls(&out).into_owned()
}

/// A profile value as goenv may show it: a secret whole, else with URL credentials hidden.
pub fn shown(v: &Value) -> String {
    if v.secret { REDACTED.into() } else { redact_urls(&v.text).into_owned() }
}

/// Values of `profile` that must never be shown: `secret=#true` values and URL credentials.
pub fn of(profile: &Profile) -> Vec<String> {
    let go = profile.go.as_ref();
    let values = || {
        profile
            .go_env_file()
            .chain(&profile.export)
            .chain(profile.services.iter().flat_map(|s| &s.env))
            .map(|s| &s.value)
            .chain(go.into_iter().flat_map(|g| g.mirror.iter().chain(&g.index)))
    };
    let mut out: Vec<String> = values().filter(|v| v.secret).map(|v| v.text.clone()).collect();
    for v in values() {
        out.extend(url_credentials(&v.text));
    }
    // Shell renderings quote values, and a systemd drop-in escapes them: a secret also appears
    // in those forms.
    let quoted: Vec<String> = out
        .iter()
        .flat_map(|v| [shell::sh_quote(v), shell::fish_quote(v), systemd::escape(v)])
        .collect();
    out.extend(quoted);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// The `user:password` parts of URLs in a value, and each password alone (a message may quote
/// it without its user).
pub(crate) fn url_credentials(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    for r in credential_ranges(value) {
        let userinfo = &value[r];
        if let Some((_, password)) = userinfo.split_once(':')
            && !password.is_empty()
        {
            out.push(password.to_owned());
        }
        out.push(userinfo.to_owned());
    }
    out
}

/// Byte ranges of the userinfo (`user:password`) of every URL in `text`.
fn credential_ranges(text: &str) -> Vec<Range<usize>> {
    text.match_indices("://")
        .filter_map(|(i, _)| {
            let start = i + 3;
            let rest = &text[start..];
            let end = rest
                .find(|c: char| {
                    matches!(c, '/' | '?' | '#' | ',' | '|' | '"' | '\\') || c.is_whitespace()
                })
                .unwrap_or(rest.len());
            let at = rest[..end].rfind('@')?;
            (at > 0 && &rest[..at] != REDACTED).then(|| start..start + at)
        })
        .collect()
}

/// Byte ranges of a profile's text to mask wherever it is shown, found from the text alone so
/// that they hold for lines that do not parse: the userinfo of every URL, and on every line that
/// carries a `secret` property (or a misspelling of it, such as `secrt`), every value and
/// comment except node names and that property. The second value is the text of those values,
/// to be hidden wherever else it appears.
pub(crate) fn masks(text: &str) -> (Vec<Range<usize>>, Vec<String>) {
    let mut ranges = credential_ranges(text);
    let mut values = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let tokens = tokens(line);
        // Any `name=` counts, also one swallowed by an unterminated string before it.
        let marked = line.match_indices('=').any(|(eq, _)| {
            let before = line[..eq].trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
            eq > before.len() && secret_like(&line[before.len()..eq])
        });
        if marked {
            let mut node_name = true;
            for t in &tokens {
                let token = &line[t.range.clone()];
                if matches!(token, "{" | "}" | ";") {
                    node_name = true;
                    continue;
                }
                if std::mem::take(&mut node_name) {
                    continue;
                }
                let hidden = match t.property {
                    Some(eq) if secret_like(&line[t.range.start..eq]) => continue,
                    Some(eq) => eq + 1..t.range.end,
                    None => t.range.clone(),
                };
                if !t.comment {
                    let v = line[hidden.clone()].trim_matches(|c| c == '"' || c == '#');
                    if !v.is_empty() {
                        values.push(v.to_owned());
                    }
                }
                ranges.push(offset + hidden.start..offset + hidden.end);
            }
        }
        offset += line.len();
    }
    (ranges, values)
}

/// `secret`, or a property name that may have been meant as it (`secrt`, `Secret`, `ecret`):
/// no other property goenv knows starts with `s` or contains `cr`, so hiding more costs nothing.
fn secret_like(name: &str) -> bool {
    let name = name.trim_matches('"').to_ascii_lowercase();
    name.starts_with('s') || name.contains("cr") || name.contains("ret")
}

struct Token {
    range: Range<usize>,
    /// For `name=value`, the offset of `=` in the line.
    property: Option<usize>,
    comment: bool,
}

/// A line split the way KDL would split it, roughly and without failing: quoted and raw strings
/// (running to the end of the line when unterminated), `name=value`, braces, `;`, a `//` comment.
fn tokens(line: &str) -> Vec<Token> {
    let b = line.as_bytes();
    let end_of_line = line.trim_end_matches(['\n', '\r']).len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < end_of_line {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if matches!(c, b'{' | b'}' | b';') {
            out.push(Token { range: i..i + 1, property: None, comment: false });
            i += 1;
            continue;
        }
        if line[i..].starts_with("//") {
            out.push(Token { range: i..end_of_line, property: None, comment: true });
            break;
        }
        let mut property = None;
        i = string_end(line, i, end_of_line).unwrap_or_else(|| {
            let mut j = i;
            while j < end_of_line
                && !b[j].is_ascii_whitespace()
                && !matches!(b[j], b'{' | b'}' | b';')
            {
                if b[j] == b'=' && property.is_none() {
                    property = Some(j);
                    if let Some(e) = string_end(line, j + 1, end_of_line) {
                        return e;
                    }
                }
                j += 1;
            }
            j
        });
        if property.is_none() && b.get(i) == Some(&b'=') {
            // `"name"=value`: a quoted property name.
            property = Some(i);
            i = string_end(line, i + 1, end_of_line).unwrap_or_else(|| {
                let rest = &line[i + 1..end_of_line];
                i + 1
                    + rest
                        .find(|c: char| c.is_whitespace() || "{};".contains(c))
                        .unwrap_or(rest.len())
            });
        }
        out.push(Token { range: start..i, property, comment: false });
    }
    out
}

/// Where a quoted (`"…"`) or raw (`#"…"#`) string starting at `i` ends; the end of the line when
/// it does not. `None` when no string starts at `i`.
fn string_end(line: &str, i: usize, end_of_line: usize) -> Option<usize> {
    let b = line.as_bytes();
    let hashes = b[i..end_of_line].iter().take_while(|&&c| c == b'#').count();
    if b.get(i + hashes) != Some(&b'"') {
        return None;
    }
    let mut j = i + hashes + 1;
    while j < end_of_line {
        if hashes == 0 && b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == b'"' && b[j + 1..].iter().take(hashes).filter(|&&c| c == b'#').count() == hashes
        {
            return Some((j + 1 + hashes).min(end_of_line));
        }
        j += 1;
    }
    Some(end_of_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_are_found_in_lists() {
        assert_eq!(
            url_credentials("https://bob:t0k@a.example.com,https://b.example.com|direct"),
            vec!["t0k".to_owned(), "bob:t0k".to_owned()]
        );
        assert!(url_credentials("direct").is_empty());
    }

    fn shown(text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for r in masks(text).0 {
            bytes[r].fill(b'*');
        }
        String::from_utf8(bytes).unwrap_or_default()
    }

    #[test]
    fn secret_lines_are_masked_whether_or_not_they_parse() {
        assert_eq!(
            shown("    TOKEN \"abc def\" secret=#true // x\n    B \"c\"\n"),
            "    TOKEN ********* secret=#true ****\n    B \"c\"\n"
        );
        assert_eq!(shown("TOKEN \"abc secret=#true\n"), "TOKEN *****************\n");
        assert_eq!(shown("TOKEN #\"a\"b\"# secrt=#true\n"), "TOKEN ******* secrt=#true\n");
        assert_eq!(shown("export { T v secret=#true }"), "export { T * secret=#true }");
        assert_eq!(shown("T k=\"v w\" secret=#true"), "T k=***** secret=#true");
        assert_eq!(masks("T \"abc\" secret=#true").1, vec!["abc".to_owned()]);
    }

    #[test]
    fn url_credentials_are_masked_anywhere() {
        assert_eq!(
            shown("A \"https://bob:pw@x.example.com,https://h\" \"ftp://t@h\nB"),
            "A \"https://******@x.example.com,https://h\" \"ftp://*@h\nB"
        );
        assert_eq!(url_credentials("https://bob:pw@h"), vec!["pw".to_owned(), "bob:pw".to_owned()]);
    }
}
