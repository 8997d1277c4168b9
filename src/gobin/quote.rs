//! quote: Go's string quoting as build info uses it, `strconv.Quote` for printing and
//! `strconv.Unquote`/`QuotedPrefix` (double quotes and backquotes only) for parsing, so that a
//! `build` line reads back and prints exactly as `go version -m` does. It owns no other syntax.

/// `strconv.Quote`: double quotes, with `\"` and `\\`, short escapes for control characters,
/// `\xNN` for other ASCII controls and `\uNNNN`/`\UNNNNNNNN` for other unprintable characters.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if is_print(c) => out.push(c),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if c < ' ' || c == '\x7f' => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
/// Rust's `escape_debug` leaves exactly those characters alone (it also escapes a leading
/// combining mark, hence the `a` in front), so it stands in for Go's Unicode tables.
fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let mut probe = String::with_capacity(5);
    probe.push('a');
    probe.push(c);
    probe.escape_debug().nth(1) == Some(c) && probe.escape_debug().count() == 2
}

/// `strconv.Unquote` for a string that must be one whole quoted string.
pub(crate) fn unquote(s: &str) -> Option<String> {
    let (value, used) = unquote_prefix(s.as_bytes())?;
    (used == s.len()).then(|| String::from_utf8_lossy(&value).into_owned())
}

/// The quoted string `s` starts with: its value and how many bytes of `s` it spans
/// (`strconv.QuotedPrefix` is the second).
pub(crate) fn unquote_prefix(s: &[u8]) -> Option<(Vec<u8>, usize)> {
    let quote = *s.first()?;
    if s.len() < 2 {
        return None;
    }
    let end = s.get(1..)?.iter().position(|&c| c == quote)? + 2;
    let whole = s.get(..end)?;
    let body = s.get(1..end - 1)?;
    match quote {
        // A raw string is taken as is, except that carriage returns are dropped.
        b'`' => Some((body.iter().copied().filter(|&c| c != b'\r').collect(), end)),
        b'"' => {
            if !whole.contains(&b'\\')
                && !whole.contains(&b'\n')
                && std::str::from_utf8(body).is_ok()
            {
                return Some((body.to_vec(), end));
            }
            let mut out = Vec::with_capacity(body.len());
            let mut rest = s.get(1..)?;
            loop {
                match rest.first() {
                    None | Some(b'\n') => return None,
                    Some(b'"') => return Some((out, s.len() - rest.len() + 1)),
                    Some(_) => rest = unquote_char(rest, &mut out)?,
                }
            }
        }
        _ => None,
    }
}

/// `strconv.UnquoteChar` inside double quotes: appends one character or escape's bytes to
/// `out` and returns what follows it.
fn unquote_char<'a>(s: &'a [u8], out: &mut Vec<u8>) -> Option<&'a [u8]> {
    let c = *s.first()?;
    if c >= 0x80 {
        let (ch, len) = decode_rune(s);
        let mut buf = [0; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        return s.get(len..);
    }
    if c != b'\\' {
        out.push(c);
        return s.get(1..);
    }
    let e = *s.get(1)?;
    let rest = s.get(2..)?;
    let simple = match e {
        b'a' => Some(0x07),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        b'v' => Some(0x0b),
        b'\\' => Some(b'\\'),
        b'"' => Some(b'"'),
        _ => None,
    };
    if let Some(b) = simple {
        out.push(b);
        return Some(rest);
    }
    match e {
        b'x' | b'u' | b'U' => {
            let n = match e {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = std::str::from_utf8(rest.get(..n)?).ok()?;
            if !digits.bytes().all(|d| d.is_ascii_hexdigit()) {
                return None;
            }
            let v = u32::from_str_radix(digits, 16).ok()?;
            if e == b'x' {
                // A single byte, possibly not UTF-8.
                out.push(u8::try_from(v).ok()?);
            } else {
                let mut buf = [0; 4];
                out.extend_from_slice(char::from_u32(v)?.encode_utf8(&mut buf).as_bytes());
            }
            rest.get(n..)
        }
        b'0'..=b'7' => {
            let mut v = u32::from(e - b'0');
            for &d in rest.get(..2)? {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                v = v << 3 | u32::from(d - b'0');
            }
            out.push(u8::try_from(v).ok()?);
            rest.get(2..)
        }
        _ => None,
    }
}

/// Go's `utf8.DecodeRune`: the first character and its length, or U+FFFD and 1 when the bytes
/// are not valid UTF-8.
fn decode_rune(s: &[u8]) -> (char, usize) {
    let chunk = s.get(..s.len().min(4)).unwrap_or_default();
    let valid = match std::str::from_utf8(chunk) {
        Ok(text) => text,
        Err(e) => {
            chunk.get(..e.valid_up_to()).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
        }
    };
    valid.chars().next().map_or(('\u{fffd}', 1), |c| (c, c.len_utf8()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_strconv_quote() {
        assert_eq!(quote("a b"), r#""a b""#);
        assert_eq!(quote("-X main.x=y"), r#""-X main.x=y""#);
        assert_eq!(quote("q\"b\\`"), r#""q\"b\\`""#);
        assert_eq!(quote("\x07\x08\x0c\n\r\t\x0b\x01\x7f"), r#""\a\b\f\n\r\t\v\x01\x7f""#);
        assert_eq!(quote("é ü 日本"), "\"é ü 日本\"");
        assert_eq!(quote("\u{a0}\u{200b}\u{feff}"), r#""\u00a0\u200b\ufeff""#);
        assert_eq!(quote("\u{e000}\u{10ffff}"), r#""\ue000\U0010ffff""#);
        // A combining mark is printable, also at the start.
        assert_eq!(quote("\u{301}x"), "\"\u{301}x\"");
    }

    #[test]
    fn unquotes_like_strconv_unquote() {
        assert_eq!(unquote(r#""a b""#).as_deref(), Some("a b"));
        assert_eq!(unquote("`a\r\nb`").as_deref(), Some("a\nb"));
        assert_eq!(
            unquote(r#""\a\b\f\n\r\t\v\\\"""#).as_deref(),
            Some("\x07\x08\x0c\n\r\t\x0b\\\"")
        );
        assert_eq!(unquote(r#""\x41\101\u00e9\U0001F600""#).as_deref(), Some("AAé😀"));
        assert_eq!(unquote(r#""\'""#), None);
        assert_eq!(unquote(r#""\400""#), None);
        assert_eq!(unquote(r#""\ud800""#), None);
        assert_eq!(unquote("\"a\nb\""), None);
        assert_eq!(unquote(r#""abc"#), None);
        assert_eq!(unquote(r#""a"b"#), None);
        assert_eq!(unquote("'a'"), None);
        assert_eq!(unquote("\""), None);
        assert_eq!(unquote(""), None);
        assert_eq!(unquote_prefix(br#""a\"b"=c"#), Some((b"a\"b".to_vec(), 6)));
        assert_eq!(unquote_prefix(b"`k`=v"), Some((b"k".to_vec(), 3)));
    }

    #[test]
    fn quote_and_unquote_round_trip() {
        for s in ["", "plain", "with space", "tab\there", "nl\nx", "\u{1}\u{7f}\u{85}é", "`\"\\"] {
            assert_eq!(unquote(&quote(s)).as_deref(), Some(s), "{s:?}");
        }
    }
}
