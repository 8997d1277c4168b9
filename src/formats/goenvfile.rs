//! The Go env file written by `go env -w` (`~/.config/go/env`): goenv renders it whole and reads
//! it back with exactly the rules of Go's `readEnvFile` (`cmd/go/internal/cfg/cfg.go`). Pure
//! functions on strings and bytes; no I/O except in tests.

const HEADER: &str = "\
# Managed by goenv: `goenv apply` writes this file.
# Changes made with `go env -w` show up as drift; `goenv rollback` restores this file.
";

/// Renders the file: a comment header, then `KEY=VALUE` lines in the given order.
///
/// Values are written raw because Go neither unquotes nor unescapes them. Callers guarantee that
/// no value holds `\n`, `\r`, `\v` or NUL (`go env -w` refuses them too).
pub fn render(entries: &[(&str, &str)]) -> String {
    let mut out = String::from(HEADER);
    for (key, value) in entries {
        debug_assert!(key.as_bytes().first().is_some_and(u8::is_ascii_uppercase));
        debug_assert!(!key.contains(['=', '\n']));
        debug_assert!(!value.contains(['\n', '\r', '\u{b}', '\0']));
        out.push_str(key);
        out.push('=');
        out.push_str(value);
        out.push('\n');
    }
    out
}

/// Parses the file as Go does: lines split on `\n` only (a trailing `\r` stays in the value),
/// lines without `=` or not starting with `A`–`Z` skipped, key = bytes before the first `=`, and
/// a later duplicate overrides an earlier one. Returns each effective key once, in order of first
/// appearance, with the value of its last occurrence. Lines whose key is not UTF-8 are skipped
/// (Go would keep them, but no Go variable has such a name).
pub fn parse(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    located(bytes).into_iter().map(|(k, v, _)| (k, v)).collect()
}

/// [`parse`], with the 1-based line each effective value comes from. Linear in the file's
/// length: a key's slot is found through an index, not a scan.
pub fn located(bytes: &[u8]) -> Vec<(String, Vec<u8>, usize)> {
    let mut out: Vec<(String, Vec<u8>, usize)> = Vec::new();
    let mut slots: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let Some(eq) = line.iter().position(|&b| b == b'=') else { continue };
        if !line[0].is_ascii_uppercase() {
            continue;
        }
        let Ok(key) = std::str::from_utf8(&line[..eq]) else { continue };
        let value = line[eq + 1..].to_vec();
        match slots.get(key) {
            Some(&slot) => {
                out[slot].1 = value;
                out[slot].2 = i + 1;
            }
            None => {
                slots.insert(key, out.len());
                out.push((key.to_owned(), value, i + 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(pairs: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.to_vec())).collect()
    }

    #[test]
    fn render_has_header_and_raw_lines() {
        let text = render(&[("GOPROXY", "https://a,direct"), ("GOFLAGS", "\"-mod=mod\" x")]);
        let (header, body) = text.split_at(HEADER.len());
        assert!(header.lines().all(|l| l.starts_with('#')));
        assert!(header.contains("goenv rollback") && header.contains("go env -w"));
        assert_eq!(body, "GOPROXY=https://a,direct\nGOFLAGS=\"-mod=mod\" x\n");
        assert_eq!(render(&[]), HEADER);
    }

    #[test]
    fn parse_follows_read_env_file() {
        let input = b"# c=1\n\nZZZ=1\nGOPRIVATE=a\nlower=x\n=v\nno equals\nGOFLAGS=-v\r\n\
            GOPRIVATE=b\n GOX=1\nA=b=c\nB=\nC=\xff\xfe\nD\xff=1\nZZZ=2";
        let expected: &[(&str, &[u8])] = &[
            ("ZZZ", b"2"),
            ("GOPRIVATE", b"b"),
            ("GOFLAGS", b"-v\r"),
            ("A", b"b=c"),
            ("B", b""),
            ("C", b"\xff\xfe"),
        ];
        assert_eq!(parse(input), owned(expected));
        assert_eq!(parse(b""), owned(&[]));
        assert_eq!(parse(b"\n\n\r\n"), owned(&[]));
        // Keys may hold anything after their first byte; Go does not check further.
        assert_eq!(parse(b"A B=1\nGO-X=2"), owned(&[("A B", b"1"), ("GO-X", b"2")]));
    }

    #[test]
    fn parse_render_round_trips_generated_entries() {
        let values = ["", "x", "a b", "'q'", "\"dq\"", "$HOME", "a\\b", "=x=", "ünï", " # c", "\t"];
        for n in 0..40usize {
            let keys: Vec<String> = (0..n % 7).map(|i| format!("GO{}_{i}", n % 5)).collect();
            let entries: Vec<(&str, &str)> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| (k.as_str(), values[(n * 3 + i) % values.len()]))
                .collect();
            let parsed = parse(render(&entries).as_bytes());
            let back: Vec<(&str, &str)> = parsed
                .iter()
                .map(|(k, v)| (k.as_str(), std::str::from_utf8(v).expect("utf-8 value")))
                .collect();
            assert_eq!(back, entries, "case {n}");
        }
    }

    /// 200,000 distinct keys parse in well under a second even in a debug build; the scan this
    /// replaced (a linear search per line) took minutes. Figures: `cargo bench --bench engine`.
    #[test]
    fn located_is_linear_in_the_file_length() {
        let n = 200_000;
        let text: String = (0..n).map(|i| format!("K{i}=v{i}\n")).collect();
        let start = std::time::Instant::now();
        let got = located(text.as_bytes());
        let took = start.elapsed();
        assert_eq!(got.len(), n);
        assert_eq!(got[n - 1], (format!("K{}", n - 1), format!("v{}", n - 1).into_bytes(), n));
        assert!(took < std::time::Duration::from_secs(20), "{n} keys took {took:?}");
    }
}
