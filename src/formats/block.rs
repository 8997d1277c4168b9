//! goenv's marker block inside files someone else owns (`~/.profile`, `~/.bashrc`, `~/.zshenv`):
//! find, insert, replace and remove the lines between `# >>> goenv >>>` and `# <<< goenv <<<`,
//! keeping every byte outside the block as it was (CRLF, non-UTF-8 bytes, a missing final
//! newline). Pure functions on bytes; no I/O except in tests.
//!
//! Undo rule: `remove(&upsert(x, body, placement)?)? == x` for every `x` without a block. When a
//! block goes at the bottom of a file that lacks a final newline, `upsert` adds one line ending
//! before the block and writes the block without a line ending after its end marker; `remove`
//! treats "block ends the file without a line ending" as that shape and drops the added line
//! ending again. (So if someone deletes the final newline after a block goenv appended to a
//! file that had one, removal also drops the newline before the block.)

use std::fmt;
use std::ops::Range;

use super::lines::{content, eol_of, ranges as lines};

pub const START: &str = "# >>> goenv >>>";
pub const END: &str = "# <<< goenv <<<";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Top,
    Bottom,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockError {
    StartWithoutEnd { line: usize },
    EndWithoutStart { line: usize },
    TwoBlocks { first: usize, second: usize },
    MarkerInBody,
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StartWithoutEnd { line } => {
                write!(f, "goenv block starting at line {line} has no end marker `{END}`")
            }
            Self::EndWithoutStart { line } => {
                write!(f, "goenv end marker at line {line} has no start marker `{START}` before it")
            }
            Self::TwoBlocks { first, second } => {
                write!(f, "file has two goenv blocks (starting at lines {first} and {second})")
            }
            Self::MarkerInBody => write!(f, "goenv block body contains a goenv marker line"),
        }
    }
}

impl std::error::Error for BlockError {}

/// The byte range of the block: from the start of the start-marker line through the end marker
/// and the line ending after it, if any. Markers count only as whole lines (a trailing `\r` is
/// allowed).
pub fn find(existing: &[u8]) -> Result<Option<Range<usize>>, BlockError> {
    let mut open: Option<(usize, usize)> = None;
    let mut found: Option<(Range<usize>, usize)> = None;
    for (index, range) in lines(existing).enumerate() {
        let line = index + 1;
        let text = content(&existing[range.clone()]);
        if text == START.as_bytes() {
            if let Some((_, first)) = open {
                return Err(BlockError::StartWithoutEnd { line: first });
            }
            if let Some((_, first)) = found {
                return Err(BlockError::TwoBlocks { first, second: line });
            }
            open = Some((range.start, line));
        } else if text == END.as_bytes() {
            let Some((start, first)) = open.take() else {
                return Err(BlockError::EndWithoutStart { line });
            };
            found = Some((start..range.end, first));
        }
    }
    match open {
        Some((_, line)) => Err(BlockError::StartWithoutEnd { line }),
        None => Ok(found.map(|(range, _)| range)),
    }
}

fn render_block(body: &str, eol: &str, final_eol: bool) -> Result<Vec<u8>, BlockError> {
    let mut out = format!("{START}{eol}");
    for line in body.lines() {
        if line == START || line == END {
            return Err(BlockError::MarkerInBody);
        }
        out.push_str(line);
        out.push_str(eol);
    }
    out.push_str(END);
    if final_eol {
        out.push_str(eol);
    }
    Ok(out.into_bytes())
}

/// Replaces the block in place, or inserts it at `placement`. The block's lines use the line
/// ending of the file's first line (a replaced block keeps its own). Inserting at the bottom of a
/// file without a final newline adds one line ending first (see the module doc).
pub fn upsert(existing: &[u8], body: &str, placement: Placement) -> Result<Vec<u8>, BlockError> {
    if let Some(range) = find(existing)? {
        let old = &existing[range.clone()];
        let block = render_block(body, eol_of(old), old.ends_with(b"\n"))?;
        return Ok([&existing[..range.start], &block, &existing[range.end..]].concat());
    }
    let eol = eol_of(existing);
    Ok(match placement {
        Placement::Top => [render_block(body, eol, true)?, existing.to_vec()].concat(),
        Placement::Bottom if existing.is_empty() || existing.ends_with(b"\n") => {
            [existing.to_vec(), render_block(body, eol, true)?].concat()
        }
        Placement::Bottom => [existing, eol.as_bytes(), &render_block(body, eol, false)?].concat(),
    })
}

/// Removes the block (and the line ending `upsert` added before a block that ends the file
/// without one). A file without a block comes back unchanged.
pub fn remove(existing: &[u8]) -> Result<Vec<u8>, BlockError> {
    let Some(range) = find(existing)? else { return Ok(existing.to_vec()) };
    let block = &existing[range.clone()];
    let mut start = range.start;
    let eol = eol_of(block).as_bytes();
    if !block.ends_with(b"\n") && existing[..start].ends_with(eol) {
        start -= eol.len();
    }
    Ok([&existing[..start], &existing[range.end..]].concat())
}

/// `existing` with its block as it is in `wanted`, byte for byte, and everything else as it is
/// in `existing`: what a rollback puts back in a file goenv shares. Without a block in `wanted`
/// the block is removed; a missing block goes in where `wanted` has it (at the top when it starts
/// `wanted`, else at the bottom). Law: `remove(&put_back(x, w)?)? == remove(x)?` for every `x`
/// whose block does not end it without a line ending, and `put_back(x, w) == w` when `x` differs
/// from `w` only inside the block.
pub fn put_back(existing: &[u8], wanted: &[u8]) -> Result<Vec<u8>, BlockError> {
    let Some(w) = find(wanted)? else { return remove(existing) };
    let mut block = wanted[w.clone()].to_vec();
    let eol = eol_of(&block).as_bytes().to_vec();
    let Some(at) = find(existing)? else {
        if w.start == 0 {
            if !block.ends_with(b"\n") {
                block.extend_from_slice(&eol);
            }
            return Ok([block, existing.to_vec()].concat());
        }
        let mut out = existing.to_vec();
        if !out.is_empty() && !out.ends_with(b"\n") {
            // As `upsert` does: a line ending before, none after, so `remove` undoes both.
            out.extend_from_slice(&eol);
            block.truncate(
                block.len() - block.iter().rev().take_while(|b| b"\r\n".contains(b)).count(),
            );
        } else if !block.ends_with(b"\n") {
            block.extend_from_slice(&eol);
        }
        out.extend_from_slice(&block);
        return Ok(out);
    };
    // A block that ended `wanted` without a line ending now has lines after it.
    if !block.ends_with(b"\n") && at.end < existing.len() {
        block.extend_from_slice(&eol);
    }
    Ok([&existing[..at.start], &block, &existing[at.end..]].concat())
}

/// The block body for sh-family rc files: source goenv's `env.sh` if it exists.
pub fn sh_source_body(env_sh: &str) -> String {
    let q = super::shell::sh_quote(env_sh);
    format!(
        "# Managed by goenv: `goenv apply` rewrites this block, `goenv rollback` restores it.\n\
         [ -f {q} ] && . {q}\n"
    )
}

/// The body of goenv's block in `~/.profile` when bash has its own login file (`bash_login`,
/// `~/.bash_profile` or `~/.bash_login`): it loads `env.sh` in every shell that reads
/// `~/.profile` (dash and other sh, the X11 session, bash started as `sh`) except bash itself,
/// which gets it from `bash_login`'s block. So a `bash_login` that sources `~/.profile` does
/// not load it twice, and `bash_login`'s block is the one that wins in bash.
pub fn sh_only_source_body(env_sh: &str, bash_login: &str) -> String {
    let q = super::shell::sh_quote(env_sh);
    format!(
        "# Managed by goenv: `goenv apply` rewrites this block, `goenv rollback` restores it.\n\
         # For sh (dash, the X11 session): bash loads goenv from {bash_login}, whose block wins.\n\
         if [ -z \"${{BASH_VERSION-}}\" ] || [ \"${{BASH##*/}}\" = sh ]; then\n  \
         [ -f {q} ] && . {q}\n\
         fi\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Placement::{Bottom, Top};

    const BODY: &str = "export A=1\nexport B=2\n";

    #[test]
    fn find_cases() {
        assert_eq!(find(b""), Ok(None));
        assert_eq!(find(b"echo '# >>> goenv >>>'\n  # <<< goenv <<<\n"), Ok(None));
        let text = b"a\n# >>> goenv >>>\nx\n# <<< goenv <<<\nb";
        assert_eq!(find(text), Ok(Some(2..36)));
        let crlf = b"a\r\n# >>> goenv >>>\r\n# <<< goenv <<<\r\n";
        assert_eq!(find(crlf), Ok(Some(3..crlf.len())));
        let no_eol = b"# >>> goenv >>>\n# <<< goenv <<<";
        assert_eq!(find(no_eol), Ok(Some(0..no_eol.len())));
        assert_eq!(find(b"x\n# >>> goenv >>>\n"), Err(BlockError::StartWithoutEnd { line: 2 }));
        let nested = b"# >>> goenv >>>\n# >>> goenv >>>\n# <<< goenv <<<\n";
        assert_eq!(find(nested), Err(BlockError::StartWithoutEnd { line: 1 }));
        assert_eq!(find(b"# <<< goenv <<<\n"), Err(BlockError::EndWithoutStart { line: 1 }));
        let two = b"# >>> goenv >>>\n# <<< goenv <<<\n\n# >>> goenv >>>\n# <<< goenv <<<\n";
        assert_eq!(find(two), Err(BlockError::TwoBlocks { first: 1, second: 4 }));
        let err = BlockError::TwoBlocks { first: 1, second: 4 }.to_string();
        assert_eq!(err, "file has two goenv blocks (starting at lines 1 and 4)");
    }

    #[test]
    fn upsert_exact_bytes() {
        let block = "# >>> goenv >>>\nexport A=1\nexport B=2\n# <<< goenv <<<\n";
        assert_eq!(upsert(b"", BODY, Top).unwrap(), block.as_bytes());
        assert_eq!(upsert(b"", BODY, Bottom).unwrap(), block.as_bytes());
        assert_eq!(upsert(b"a\n", BODY, Bottom).unwrap(), format!("a\n{block}").as_bytes());
        assert_eq!(upsert(b"a\n", BODY, Top).unwrap(), format!("{block}a\n").as_bytes());
        let got = upsert(b"a", BODY, Bottom).unwrap();
        assert_eq!(got, format!("a\n{}", block.trim_end_matches('\n')).as_bytes());
        let got = upsert(b"a\r\nb\xff", "x\n", Bottom).unwrap();
        assert_eq!(got, b"a\r\nb\xff\r\n# >>> goenv >>>\r\nx\r\n# <<< goenv <<<");
        // Replaced in place, whatever the placement; the old block's CRLF is kept.
        let old = b"a\n# >>> goenv >>>\r\nold\r\n# <<< goenv <<<\r\nb\n";
        let got = upsert(old, "new", Bottom).unwrap();
        assert_eq!(got, b"a\n# >>> goenv >>>\r\nnew\r\n# <<< goenv <<<\r\nb\n");
        assert_eq!(upsert(b"", "# <<< goenv <<<", Top), Err(BlockError::MarkerInBody));
        assert_eq!(
            upsert(b"# <<< goenv <<<", "", Top),
            Err(BlockError::EndWithoutStart { line: 1 })
        );
        assert_eq!(remove(b"no block\r\n").unwrap(), b"no block\r\n");
    }

    #[test]
    fn put_back_keeps_everything_outside_the_block() {
        let goenv = "# >>> goenv >>>\nexport A=1\n# <<< goenv <<<\n";
        let wanted = format!("a\n{goenv}b\n");
        // Edited inside the block only: the wanted bytes exactly.
        let inside = "a\n# >>> goenv >>>\nexport A=2\n# <<< goenv <<<\nb\n";
        assert_eq!(put_back(inside.as_bytes(), wanted.as_bytes()).unwrap(), wanted.as_bytes());
        // Edited outside and inside: the block comes back, the edit outside stays.
        let both = "a2\n# >>> goenv >>>\nexport A=2\n# <<< goenv <<<\nb\nc\n";
        assert_eq!(
            put_back(both.as_bytes(), wanted.as_bytes()).unwrap(),
            format!("a2\n{goenv}b\nc\n").as_bytes()
        );
        // The block removed by hand: back at the bottom, or at the top where it was.
        assert_eq!(
            put_back(b"a\nb\nc\n", wanted.as_bytes()).unwrap(),
            format!("a\nb\nc\n{goenv}").as_bytes()
        );
        let top = format!("{goenv}a\n");
        assert_eq!(put_back(b"z\n", top.as_bytes()).unwrap(), format!("{goenv}z\n").as_bytes());
        // No block wanted (the file before goenv): taken out, the rest as it is now.
        assert_eq!(put_back(both.as_bytes(), b"a\nb\n").unwrap(), b"a2\nb\nc\n");
        // A block that ended the file without a newline, now followed by lines.
        let end = "a\n# >>> goenv >>>\nx\n# <<< goenv <<<";
        let now = "a\n# >>> goenv >>>\ny\n# <<< goenv <<<\nmore\n";
        assert_eq!(
            put_back(now.as_bytes(), end.as_bytes()).unwrap(),
            b"a\n# >>> goenv >>>\nx\n# <<< goenv <<<\nmore\n"
        );
        for x in generated_files().iter().filter(|x| find(x).is_ok()) {
            for w in [wanted.as_bytes(), top.as_bytes(), end.as_bytes(), b"plain\n"] {
                let got = put_back(x, w).unwrap();
                if !x.ends_with(b"<<< goenv <<<") {
                    assert_eq!(remove(&got).unwrap(), remove(x).unwrap(), "{x:?} {w:?}");
                }
                assert_eq!(
                    find(&got).unwrap().map(|r| got[r].to_vec()).is_some(),
                    find(w).unwrap().is_some()
                );
            }
        }
    }

    /// Files built from every sequence of up to three fragments.
    fn generated_files() -> Vec<Vec<u8>> {
        let fragments: &[&[u8]] = &[
            b"",
            b"a",
            b"\n",
            b"\r\n",
            b"\r",
            b"x y\n",
            b"l\r\n",
            b"\xff\xfe",
            b"# >>> goenv >>> mentioned",
            b"echo '# <<< goenv <<<'\n",
            b"  # >>> goenv >>>\n",
            b"# >>> goenv >>>x",
        ];
        let mut files = Vec::new();
        for a in fragments {
            for b in fragments {
                for c in fragments {
                    files.push([*a, *b, *c].concat());
                }
            }
        }
        files
    }

    #[test]
    fn remove_undoes_upsert_and_upsert_is_idempotent() {
        let bodies = ["", "\n", BODY, "x\r\ny", "ünï\n\n'q'"];
        let mut checked = 0;
        for file in generated_files() {
            assert_eq!(find(&file), Ok(None), "{file:?}");
            for placement in [Top, Bottom] {
                for (i, body) in bodies.iter().enumerate() {
                    let once = upsert(&file, body, placement).unwrap();
                    let range = find(&once).unwrap().expect("block present");
                    assert!(placement == Bottom || range.start == 0, "{file:?}");
                    assert!(placement == Top || range.end == once.len(), "{file:?}");
                    assert_eq!(remove(&once).unwrap(), file, "{file:?} {placement:?} {body:?}");
                    assert_eq!(upsert(&once, body, placement).unwrap(), once, "{file:?}");
                    let other = upsert(&file, bodies[(i + 1) % bodies.len()], placement).unwrap();
                    assert_eq!(upsert(&other, body, placement).unwrap(), once, "{file:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000);
    }

    #[test]
    fn block_uses_the_file_line_ending() {
        let got = upsert(b"a\r\nb\n", "x\ny\n", Top).unwrap();
        assert_eq!(got, b"# >>> goenv >>>\r\nx\r\ny\r\n# <<< goenv <<<\r\na\r\nb\n");
        let got = upsert(b"a\nb\r\n", "x", Bottom).unwrap();
        assert_eq!(got, b"a\nb\r\n# >>> goenv >>>\nx\n# <<< goenv <<<\n");
    }

    #[test]
    fn sh_source_body_quotes_the_path() {
        let body = sh_source_body("/home/u/.config/goenv/env.sh");
        assert!(body.lines().next().unwrap().starts_with("# Managed by goenv"));
        assert!(
            body.ends_with(
                "[ -f /home/u/.config/goenv/env.sh ] && . /home/u/.config/goenv/env.sh\n"
            )
        );
        assert!(sh_source_body("/home/o'b/env.sh").contains(r"[ -f '/home/o'\''b/env.sh' ]"));
    }

    #[test]
    fn oracle_block_in_sh_rc_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let env_sh = dir.path().join("it's env.sh");
        std::fs::write(&env_sh, "export GOENV_BLOCK='sourced'\n").expect("write env.sh");
        let rc = dir.path().join("rc");
        let body = sh_source_body(env_sh.to_str().expect("utf-8 path"));
        let text = upsert(b"X=1\n: no final newline", &body, Bottom).unwrap();
        std::fs::write(&rc, text).expect("write rc");
        for shell in ["/usr/bin/bash", "/usr/bin/dash", "/usr/bin/zsh"] {
            let out = std::process::Command::new(shell)
                .args(["-c", r#". "$1"; printf %s "$GOENV_BLOCK""#, "sh"])
                .arg(&rc)
                .output()
                .unwrap_or_else(|e| panic!("cannot run `{shell}` (oracle test needs it): {e}"));
            assert_eq!(String::from_utf8_lossy(&out.stdout), "sourced", "{shell}: {out:?}");
        }
    }
}
