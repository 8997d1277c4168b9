//! Java `.properties` files (GoLand's `idea.properties`): escaping a value so that
//! `java.util.Properties` reads it back exactly, and reading a file as `Properties.load` does
//! (natural lines, `\` continuations, `#`/`!` comments, `=`/`:`/whitespace separators, `\uXXXX`
//! escapes), for the findings and for the check that goenv's block can be appended.
//!
//! GoLand reads the file with `Files.newBufferedReader` (UTF-8) into `PropertiesUtil
//! .loadProperties`, which is `Properties.load(Reader)`; goenv writes every character outside
//! printable ASCII as `\uXXXX`, which both that and `Properties.load(InputStream)` (ISO-8859-1)
//! read the same. goenv's own lines go in a marker block ([`block`](super::block)), whose `#`
//! markers are comments here; every byte outside it stays as it was. Pure; no I/O.

/// `value` escaped for the right-hand side of `key=value`: `\` doubled, a leading space and
/// `:`/`=`/`#`/`!` escaped (as `Properties.store` does), control characters as `\t`, `\n`,
/// `\r`, `\f`, and everything outside printable ASCII as `\uXXXX` (UTF-16 units).
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            ' ' if i == 0 => out.push_str("\\ "),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            ':' | '=' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04X}"));
                }
            }
        }
    }
    out
}

/// One property as `Properties.load` reads it, with the 1-based line its logical line starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub line: usize,
    pub key: String,
    pub value: String,
}

/// What reading a file found: its properties in order, and whether it ends inside a `\`
/// continuation (then a line appended to it would join the last value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Read {
    pub properties: Vec<Property>,
    /// The line of the logical line left open at the end of the file.
    pub open_continuation: Option<usize>,
    /// The line of a malformed `\uXXXX` escape (`Properties.load` then throws and GoLand ignores
    /// the whole file).
    pub malformed: Option<usize>,
}

impl Read {
    /// The value `key` ends with (the last one wins).
    pub fn get(&self, key: &str) -> Option<&Property> {
        self.properties.iter().rev().find(|p| p.key == key)
    }
}

/// The characters of `bytes`: UTF-8 when it is, else ISO-8859-1 (each byte one character).
fn chars(bytes: &[u8]) -> Vec<char> {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.chars().collect(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Reads `bytes` as `java.util.Properties.load` does.
pub fn read(bytes: &[u8]) -> Read {
    let text = chars(bytes);
    let mut out = Read::default();
    // Natural lines with their line numbers; a line ends at \n, \r or \r\n.
    let mut natural: Vec<(usize, &[char])> = Vec::new();
    let (mut start, mut line, mut i) = (0, 1, 0);
    while i < text.len() {
        if text[i] == '\n' || text[i] == '\r' {
            natural.push((line, &text[start..i]));
            if text[i] == '\r' && text.get(i + 1) == Some(&'\n') {
                i += 1;
            }
            line += 1;
            start = i + 1;
        }
        i += 1;
    }
    if start < text.len() {
        natural.push((line, &text[start..]));
    }
    let ws = |c: &char| matches!(c, ' ' | '\t' | '\u{c}');
    let mut logical: Option<(usize, Vec<char>)> = None;
    for (n, l) in natural {
        let trimmed: &[char] = match l.iter().position(|c| !ws(c)) {
            Some(p) => &l[p..],
            None => &[],
        };
        let continues = trimmed.iter().rev().take_while(|c| **c == '\\').count() % 2 == 1;
        match logical.as_mut() {
            None => {
                if trimmed.is_empty() || trimmed[0] == '#' || trimmed[0] == '!' {
                    continue;
                }
                if continues {
                    logical = Some((n, trimmed[..trimmed.len() - 1].to_vec()));
                } else {
                    push(&mut out, n, trimmed);
                }
            }
            Some((first, acc)) => {
                // An empty line ends a continued line; comments do not exist inside one.
                if continues {
                    acc.extend_from_slice(&trimmed[..trimmed.len() - 1]);
                } else {
                    acc.extend_from_slice(trimmed);
                    let (first, acc) = (*first, std::mem::take(acc));
                    logical = None;
                    push(&mut out, first, &acc);
                }
            }
        }
    }
    if let Some((first, acc)) = logical {
        out.open_continuation = Some(first);
        push(&mut out, first, &acc);
    }
    out
}

/// Splits a logical line into key and value and unescapes both.
fn push(out: &mut Read, line: usize, l: &[char]) {
    let mut k = 0;
    let mut escaped = false;
    while k < l.len() {
        let c = l[k];
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if matches!(c, '=' | ':' | ' ' | '\t' | '\u{c}') {
            break;
        }
        k += 1;
    }
    let key = &l[..k];
    let mut v = k;
    while v < l.len() && matches!(l[v], ' ' | '\t' | '\u{c}') {
        v += 1;
    }
    if v < l.len() && matches!(l[v], '=' | ':') {
        v += 1;
        while v < l.len() && matches!(l[v], ' ' | '\t' | '\u{c}') {
            v += 1;
        }
    }
    let (Some(key), Some(value)) = (unescape(key), unescape(&l[v..])) else {
        out.malformed.get_or_insert(line);
        return;
    };
    out.properties.push(Property { line, key, value });
}

/// `\t`, `\n`, `\r`, `\f`, `\uXXXX` and `\x` → `x`; `None` for a malformed `\u`.
fn unescape(s: &[char]) -> Option<String> {
    let mut out: Vec<u16> = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != '\\' {
            let mut b = [0u16; 2];
            out.extend_from_slice(c.encode_utf16(&mut b));
            continue;
        }
        let Some(&e) = s.get(i) else { break };
        i += 1;
        let simple = match e {
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'f' => '\u{c}',
            'u' => {
                let hex: String = s.get(i..i + 4)?.iter().collect();
                out.push(u16::from_str_radix(&hex, 16).ok()?);
                i += 4;
                continue;
            }
            other => other,
        };
        let mut b = [0u16; 2];
        out.extend_from_slice(simple.encode_utf16(&mut b));
    }
    Some(String::from_utf16_lossy(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_of(text: &str, key: &str) -> Option<String> {
        read(text.as_bytes()).get(key).map(|p| p.value.clone())
    }

    #[test]
    fn escaped_values_read_back_exactly() {
        for v in [
            "/home/a b/go/bin/dlv",
            " leading space",
            "C:\\tools\\dlv",
            "/opt/Été/日本/dlv",
            "/x/🦀/dlv",
            "a=b:c#d!e",
            "tab\there\nnew",
            "",
        ] {
            let line = format!("dlv.path={}", escape_value(v));
            assert!(line.is_ascii(), "{line}");
            assert_eq!(value_of(&line, "dlv.path").as_deref(), Some(v), "{line}");
        }
    }

    #[test]
    fn reads_like_java() {
        let text =
            "# c\\\n! also\n  a = 1\nb:2\nc 3\nd=x\\\n   y\\\n\nz\ne\\u00e9=\\u00E9\r\nf=g\\\n";
        let r = read(text.as_bytes());
        let kv: Vec<(&str, &str, usize)> =
            r.properties.iter().map(|p| (p.key.as_str(), p.value.as_str(), p.line)).collect();
        assert_eq!(
            kv,
            [
                ("a", "1", 3),
                ("b", "2", 4),
                ("c", "3", 5),
                ("d", "xy", 6),
                ("z", "", 9),
                ("eé", "é", 10),
                ("f", "g", 11)
            ]
        );
        assert_eq!(r.open_continuation, Some(11));
        assert_eq!(read(b"a=1\\\n\n").open_continuation, None);
        assert_eq!(read(b"a=\\u12").malformed, Some(1));
        assert_eq!(read(b"k\\=x=v").get("k=x").map(|p| p.value.as_str()), Some("v"));
        // Not UTF-8: read as ISO-8859-1.
        assert_eq!(read(b"a=\xe9").get("a").map(|p| p.value.as_str()), Some("é"));
    }
}
