//! systemd unit files: the `Environment=` drop-in goenv writes for a `service` node, and the
//! reader of `[Section]` / `Key=value` lines that the memory-limit resolution uses.
//!
//! `Environment=` unquotes each item by systemd.syntax(7)'s rules and then expands specifiers
//! (`%h`, `%n`, …), but never `$`. So goenv writes every variable as one double-quoted item on
//! its own line, with `%` doubled, `"` and `\` escaped, and control characters as C escapes
//! (`\t`, `\n`, `\xNN`); `$` is left alone. Pure functions on strings; no I/O except in tests.

use std::fmt;

/// The first line of every drop-in goenv writes.
pub const HEADER: &str = "# Managed by goenv: `goenv apply` writes this file and `goenv rollback` \
restores it.\n";

/// A variable `Environment=` cannot hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrepresentable {
    pub key: String,
    pub reason: &'static str,
}

impl fmt::Display for Unrepresentable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` cannot be written to a systemd `Environment=` line: {}",
            self.key, self.reason
        )
    }
}

impl std::error::Error for Unrepresentable {}

/// One `Environment=` item, `"KEY=value"` with its quotes, as systemd reads it back exactly.
pub fn environment_item(key: &str, value: &str) -> Result<String, Unrepresentable> {
    let fail = |reason| Err(Unrepresentable { key: key.to_owned(), reason });
    if !super::is_env_name(key) {
        return fail("not a valid environment variable name (letters, digits and `_`)");
    }
    if value.contains('\0') {
        return fail("the value contains a NUL byte, which no environment can hold");
    }
    Ok(format!("\"{key}={}\"", escape(value)))
}

/// A value as it stands inside goenv's quoted `Environment=` item (`%` doubled, C escapes).
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        match c {
            '%' => out.push_str("%%"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// The whole drop-in: the header, `[Service]`, and one `Environment=` line per variable, in the
/// order given.
pub fn render_environment(vars: &[(&str, &str)]) -> Result<String, Unrepresentable> {
    let mut out = String::from(HEADER);
    out.push_str("[Service]\n");
    for (key, value) in vars {
        out.push_str("Environment=");
        out.push_str(&environment_item(key, value)?);
        out.push('\n');
    }
    Ok(out)
}

/// One `Key=value` line of a unit file as systemd's parser reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The 1-based line the assignment starts on.
    pub line: usize,
    /// The `[Section]` it is in (`""` before the first one).
    pub section: String,
    pub key: String,
    /// The value with surrounding whitespace removed; empty for `Key=` (a reset).
    pub value: String,
}

/// The assignments of a unit file or drop-in, in order, as systemd's `config_parse` reads them:
/// lines end at `\n` or `\r`; whitespace is stripped; `#` and `;` start comments; a line
/// ending in an odd number of `\` continues on the next one (the `\` becomes a space, and comment
/// lines inside are skipped); a line without `=` is ignored; invalid UTF-8 ignores the line.
pub fn assignments(bytes: &[u8]) -> Vec<Assignment> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut pending: Option<(usize, Vec<u8>)> = None;
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    for (i, raw) in split_lines(bytes).enumerate() {
        let n = i + 1;
        let trimmed = trim(raw);
        if pending.is_some() && trimmed.first().is_some_and(|b| b"#;".contains(b)) {
            continue;
        }
        let escaped = raw.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1;
        let (start, mut text) = match pending.take() {
            Some((start, mut joined)) => {
                joined.extend_from_slice(raw);
                (start, joined)
            }
            None => (n, raw.to_vec()),
        };
        if escaped {
            if let Some(last) = text.last_mut() {
                *last = b' ';
            }
            pending = Some((start, text));
            continue;
        }
        let line = trim(&text);
        text = line.to_vec();
        let Ok(line) = std::str::from_utf8(&text) else { continue };
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            if let Some(name) = rest.strip_suffix(']') {
                section = name.to_owned();
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        out.push(Assignment {
            line: start,
            section: section.clone(),
            key: key.trim_matches(WS).to_owned(),
            value: value.trim_matches(WS).to_owned(),
        });
    }
    if let Some((start, text)) = pending
        && let Ok(line) = std::str::from_utf8(trim(&text))
        && !line.starts_with(['#', ';', '['])
        && let Some((key, value)) = line.split_once('=')
    {
        out.push(Assignment {
            line: start,
            section,
            key: key.trim_matches(WS).to_owned(),
            value: value.trim_matches(WS).to_owned(),
        });
    }
    out
}

/// Lines as systemd's `read_line` ends them: at `\n`, `\r`, `\r\n` or NUL.
fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.iter().position(|b| matches!(b, b'\n' | b'\r' | 0)).unwrap_or(rest.len());
        let line = &rest[..end];
        let skip = match rest.get(end..end + 2) {
            Some(b"\r\n") => 2,
            _ => usize::from(end < rest.len()),
        };
        rest = &rest[end + skip..];
        Some(line)
    })
}

/// systemd's WHITESPACE.
const WS: &[char] = &[' ', '\t', '\n', '\r'];

fn trim(b: &[u8]) -> &[u8] {
    let ws = |c: &u8| b" \t\n\r".contains(c);
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// A memory setting's value as systemd resolves it (`config_parse_memory_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memory {
    /// `infinity`, or an empty assignment (the reset).
    Infinity,
    Bytes(u64),
    /// A share of physical memory, in units of 1/10000 (`50%` is 5000).
    Permyriad(u64),
}

/// Parses `MemoryMax=`/`MemoryHigh=`'s value; `None` for what systemd ignores with a warning
/// (it then keeps the value before).
pub fn parse_memory(value: &str) -> Option<Memory> {
    if value.is_empty() || value == "infinity" {
        return Some(Memory::Infinity);
    }
    if let Some(p) = permyriad(value) {
        return (p <= 10000).then_some(Memory::Permyriad(p));
    }
    let bytes = parse_size(value)?;
    // systemd ignores 0 and anything at or past UINT64_MAX for MemoryMax= and MemoryHigh=.
    (bytes > 0 && bytes < u64::MAX).then_some(Memory::Bytes(bytes))
}

impl Memory {
    /// The bytes it stands for on a machine with `mem_total` bytes of physical memory
    /// (`physical_memory_scale`: whole 4 KiB pages, rounded down); `None` for infinity.
    pub fn bytes(self, mem_total: u64) -> Option<u64> {
        const PAGE: u128 = 4096;
        match self {
            Memory::Infinity => None,
            Memory::Bytes(b) => Some(b),
            Memory::Permyriad(0) => Some(0),
            Memory::Permyriad(10000) => Some(mem_total),
            Memory::Permyriad(p) => {
                let pages = u128::from(mem_total) / PAGE;
                u64::try_from(pages * u128::from(p) / 10000 * PAGE).ok()
            }
        }
    }
}

/// `50%`, `50.5%`, `50.25%`, `505‰`, `50.5‰`, `5050‱` in units of 1/10000 (`parse_permyriad`).
fn permyriad(value: &str) -> Option<u64> {
    let whole = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.len() <= 10)
            .then(|| s.parse().ok())
            .flatten()
    };
    let with_places = |s: &str, places: usize, scale: u64| -> Option<u64> {
        match s.split_once('.') {
            None => whole(s).map(|v| v * scale),
            Some((int, frac)) => {
                if frac.is_empty()
                    || frac.len() > places
                    || !frac.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                let mut q: u64 = frac.parse().ok()?;
                for _ in frac.len()..places {
                    q *= 10;
                }
                Some(whole(int)? * scale + q)
            }
        }
    };
    if let Some(n) = value.strip_suffix('‱') {
        whole(n)
    } else if let Some(n) = value.strip_suffix('‰') {
        with_places(n, 1, 10)
    } else if let Some(n) = value.strip_suffix('%') {
        with_places(n, 2, 100)
    } else {
        None
    }
}

/// systemd's `parse_size(value, 1024)`: one or more `N[.frac][suffix]` parts, summed, each
/// suffix smaller than the one before: E, P, T, G, M, K, B (powers of 1024), then none.
pub fn parse_size(value: &str) -> Option<u64> {
    const UNITS: [(&str, u64); 8] = [
        ("E", 1 << 60),
        ("P", 1 << 50),
        ("T", 1 << 40),
        ("G", 1 << 30),
        ("M", 1 << 20),
        ("K", 1 << 10),
        ("B", 1),
        ("", 1),
    ];
    let mut p = value;
    let mut total: u64 = 0;
    let mut start = 0;
    loop {
        p = p.trim_start_matches(WS);
        if p.starts_with('-') {
            return None;
        }
        let digits = p.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let whole: u64 = p[..digits].parse().ok()?;
        let mut e = &p[digits..];
        let mut frac = 0f64;
        if let Some(r) = e.strip_prefix('.') {
            e = r;
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            if n > 0 {
                // As systemd: the digits as a number, divided by ten once per digit.
                frac = r[..n].parse::<u64>().ok()? as f64;
                for _ in 0..n {
                    frac /= 10.0;
                }
                e = &r[n..];
            }
        }
        e = e.trim_start_matches(WS);
        let i = (start..UNITS.len()).find(|&i| e.starts_with(UNITS[i].0))?;
        let (suffix, factor) = UNITS[i];
        if whole.checked_add(u64::from(frac > 0.0))? > u64::MAX / factor {
            return None;
        }
        let part = whole * factor + (frac * factor as f64) as u64;
        total = total.checked_add(part)?;
        p = &e[suffix.len()..];
        start = i + 1;
        if p.is_empty() {
            return Some(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_exact() {
        let item = |v: &str| environment_item("V", v).unwrap();
        assert_eq!(item("400MiB"), r#""V=400MiB""#);
        assert_eq!(item(""), r#""V=""#);
        assert_eq!(item("100%"), r#""V=100%%""#);
        assert_eq!(item("%h/%n"), r#""V=%%h/%%n""#);
        assert_eq!(item("$HOME $$ ${X}"), r#""V=$HOME $$ ${X}""#);
        assert_eq!(item(r#"say "hi""#), r#""V=say \"hi\"""#);
        assert_eq!(item("it's"), r#""V=it's""#);
        assert_eq!(item(r"a\b\"), r#""V=a\\b\\""#);
        assert_eq!(item("a\tb\nc\rd"), r#""V=a\tb\nc\rd""#);
        assert_eq!(item("\u{1b}[0m\u{7f}\u{1}"), r#""V=\x1b[0m\x7f\x01""#);
        assert_eq!(item("ünï ; # x"), "\"V=ünï ; # x\"");
        assert_eq!(
            render_environment(&[("GOGC", "100"), ("GODEBUG", "a=1,b=0")]).unwrap(),
            format!(
                "{HEADER}[Service]\nEnvironment=\"GOGC=100\"\nEnvironment=\"GODEBUG=a=1,b=0\"\n"
            )
        );
        assert_eq!(render_environment(&[]).unwrap(), format!("{HEADER}[Service]\n"));
    }

    #[test]
    fn refuses_bad_names_and_nul() {
        for (key, value) in
            [("1X", "1"), ("A-B", "1"), ("", "1"), ("A B", "1"), ("É", "1"), ("OK", "a\0b")]
        {
            let err = render_environment(&[("GOGC", "1"), (key, value)]).unwrap_err();
            assert_eq!(err.key, key);
            assert!(err.to_string().starts_with(&format!("`{key}` cannot be written")), "{err}");
        }
    }

    #[test]
    fn sizes_and_memory_values_as_systemd_reads_them() {
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("1G 512M"), Some((1 << 30) + (512 << 20)));
        assert_eq!(parse_size("1.5G"), Some(3 << 29));
        assert_eq!(parse_size("10.M"), Some(10 << 20));
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("1K 5"), Some(1029));
        assert_eq!(parse_size("2 T"), Some(2 << 40));
        for bad in ["", "M", "1g", "1Gi", "512MB", "-1", "1M 1G", "1M 2M", "99999999999999999999"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        assert_eq!(parse_memory(""), Some(Memory::Infinity));
        assert_eq!(parse_memory("infinity"), Some(Memory::Infinity));
        assert_eq!(parse_memory("0"), None);
        assert_eq!(parse_memory("50%"), Some(Memory::Permyriad(5000)));
        assert_eq!(parse_memory("12.34%"), Some(Memory::Permyriad(1234)));
        assert_eq!(parse_memory("12.5%"), Some(Memory::Permyriad(1250)));
        assert_eq!(parse_memory("5‰"), Some(Memory::Permyriad(50)));
        assert_eq!(parse_memory("5‱"), Some(Memory::Permyriad(5)));
        assert_eq!(parse_memory("101%"), None);
        assert_eq!(parse_memory("1.234%"), None);
        assert_eq!(Memory::Permyriad(5000).bytes(8 << 30), Some(4 << 30));
        assert_eq!(
            Memory::Permyriad(3333).bytes(1_000_000 * 1024),
            Some(250_000 * 3333 / 10000 * 4096)
        );
    }

    #[test]
    fn assignments_as_systemds_parser_reads_them() {
        let text = "# c\n[Unit]\nDescription=x\n[Service]\n  MemoryMax = 1G  \n;x=1\nMemoryHigh=\\\n# skipped\n 2G\r\nno equals\nCPUQuota=\n";
        let got: Vec<(usize, &str, String, String)> = assignments(text.as_bytes())
            .into_iter()
            .map(|a| (a.line, if a.section == "Service" { "S" } else { "U" }, a.key, a.value))
            .collect();
        let want = [
            (3, "U", "Description", "x"),
            (5, "S", "MemoryMax", "1G"),
            (7, "S", "MemoryHigh", "2G"),
            (11, "S", "CPUQuota", ""),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.0, g.1, g.2.as_str(), g.3.as_str()), w);
        }
    }
}
