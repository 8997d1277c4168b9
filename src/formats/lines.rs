//! lines: how goenv splits foreign files into lines, the one way for every reader and editor.
//! A line ends at `\n` (as Go, the shells and systemd split them); a `\r` before it is part of a
//! CRLF line ending, and a file's line ending is that of its first line.

use std::ops::Range;

/// Lines as `start..end` byte ranges, each including its `\n` when it has one.
pub fn ranges(bytes: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        pos = bytes[pos..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| pos + i + 1);
        Some(start..pos)
    })
}

/// Lines split on `\n`: (1-based number, byte offset, bytes without the `\n`, which may end
/// in `\r`). A final line without `\n` counts, and so does the empty one after a final `\n`.
pub fn numbered(bytes: &[u8]) -> impl Iterator<Item = (usize, usize, &[u8])> {
    let mut offset = 0;
    bytes.split(|&b| b == b'\n').enumerate().map(move |(i, raw)| {
        let start = offset;
        offset += raw.len() + 1;
        (i + 1, start, raw)
    })
}

/// Like [`numbered`], without the `\r` of a CRLF line ending.
pub fn numbered_text(bytes: &[u8]) -> impl Iterator<Item = (usize, usize, &[u8])> {
    numbered(bytes).map(|(n, start, raw)| (n, start, raw.strip_suffix(b"\r").unwrap_or(raw)))
}

/// A line's text without its line ending (`\n`, `\r\n`).
pub fn content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The line ending of the first line of `bytes`: CRLF if it is `\r\n`, else LF.
pub fn eol_of(bytes: &[u8]) -> &'static str {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && bytes[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_newline_only() {
        let text = b"a\r\nb\n\nc";
        assert_eq!(ranges(text).collect::<Vec<_>>(), vec![0..3, 3..5, 5..6, 6..7]);
        let n: Vec<_> = numbered_text(text).map(|(n, s, t)| (n, s, t.to_vec())).collect();
        assert_eq!(
            n,
            vec![
                (1, 0, b"a".to_vec()),
                (2, 3, b"b".to_vec()),
                (3, 5, vec![]),
                (4, 6, b"c".to_vec())
            ]
        );
        assert_eq!(content(b"x\r\n"), b"x");
        assert_eq!(eol_of(b"x\r\ny\n"), "\r\n");
        assert_eq!(eol_of(b"x\ny\r\n"), "\n");
        assert_eq!(eol_of(b"\n"), "\n");
    }
}
