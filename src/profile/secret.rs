//! secret: what goenv must never show, and the one way every output hides it. A value marked
//! `secret=#true` and the credentials of any URL (`https://user:token@host`) are replaced by
//! `<redacted>` in every message, diff, snippet and JSON document.

use std::borrow::Cow;

use super::{Profile, Value};
use crate::formats::shell;

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
    let settings = || profile.go_env_file().chain(&profile.export);
    let mut out: Vec<String> =
        settings().filter(|s| s.value.secret).map(|s| s.value.text.clone()).collect();
    for s in settings() {
        out.extend(url_credentials(&s.value.text));
    }
    // Shell renderings quote values: a secret also appears as its quoted forms.
    let quoted: Vec<String> =
        out.iter().flat_map(|v| [shell::sh_quote(v), shell::fish_quote(v)]).collect();
    out.extend(quoted);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// The `user:password` parts of URLs in a value.
fn url_credentials(value: &str) -> Vec<String> {
    value
        .match_indices("://")
        .filter_map(|(i, _)| {
            let rest = &value[i + 3..];
            let end = rest.find(['/', ',', '|', ' ']).unwrap_or(rest.len());
            rest[..end].rfind('@').map(|at| rest[..at].to_owned())
        })
        .filter(|c| !c.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_are_found_in_lists() {
        assert_eq!(
            url_credentials("https://bob:t0k@a.example.com,https://b.example.com|direct"),
            vec!["bob:t0k".to_owned()]
        );
        assert!(url_credentials("direct").is_empty());
    }
}
