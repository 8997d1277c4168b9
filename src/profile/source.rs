//! Profile sources and the problems found in them.
//!
//! Every file read while loading a profile (the profile and its includes) is kept here with its
//! text, so a problem can be shown with the file, line, column and the offending value. Values
//! marked `secret=#true` and URL credentials are masked in the text shown to people: from the
//! text alone when a file is added (`secret::masks`, so lines that do not parse are masked too),
//! then wherever a secret the decoder found appears.

use std::ops::Range;
use std::path::{Path, PathBuf};

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub(crate) usize);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub file: FileId,
    pub offset: usize,
    pub len: usize,
}

impl Loc {
    pub(crate) fn new(file: FileId, span: miette::SourceSpan) -> Self {
        Self { file, offset: span.offset(), len: span.len() }
    }

    /// A sub-range of this location.
    pub(crate) fn narrow(self, range: Range<usize>) -> Self {
        let start = (self.offset + range.start).min(self.offset + self.len);
        let len = range.len().min(self.offset + self.len - start);
        Self { file: self.file, offset: start, len }
    }
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The path as shown to people: relative to the working directory when it is below it.
    pub display: String,
    pub text: String,
    /// Byte ranges to mask before showing the text (secret values, URL credentials).
    pub(crate) masked: Vec<Range<usize>>,
    /// Values on lines marked secret and URL credentials, read from the text alone.
    secrets: Vec<String>,
}

impl SourceFile {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// The text with masked ranges replaced by `*`, byte for byte, so spans stay valid.
    pub fn shown_text(&self) -> String {
        if self.masked.is_empty() {
            return self.text.clone();
        }
        let mut bytes = self.text.clone().into_bytes();
        for r in &self.masked {
            for b in &mut bytes[r.start.min(self.text.len())..r.end.min(self.text.len())] {
                *b = b'*';
            }
        }
        // Masking whole byte ranges can split a multi-byte character at the edges.
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// All files read for one profile.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub(crate) fn add(&mut self, path: &Path, text: String) -> FileId {
        let (masked, mut secrets) = super::secret::masks(&text);
        secrets.extend(super::secret::url_credentials(&text));
        self.files.push(SourceFile {
            path: path.to_path_buf(),
            display: display_path(path),
            text,
            masked,
            secrets,
        });
        FileId(self.files.len() - 1)
    }

    /// Values every file's text showed on a secret line or as URL credentials.
    pub(crate) fn text_secrets(&self) -> impl Iterator<Item = &String> {
        self.files.iter().flat_map(|f| &f.secrets)
    }

    /// Masks every occurrence of `secret` in every file, wherever it is written.
    pub(crate) fn mask_everywhere(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        for f in &mut self.files {
            let found: Vec<usize> = f.text.match_indices(secret).map(|(i, _)| i).collect();
            f.masked.extend(found.into_iter().map(|i| i..i + secret.len()));
        }
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    pub(crate) fn mask(&mut self, loc: Loc) {
        self.files[loc.file.0].masked.push(loc.offset..loc.offset + loc.len);
    }

    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }
}

fn display_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// One thing wrong with a profile: what, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where it is; `None` only for the profile file itself being unreadable.
    pub loc: Option<Loc>,
    /// A stable code, e.g. `goenv::profile::unknown-node`.
    pub code: &'static str,
    pub message: String,
    /// A few words shown under the offending text.
    pub label: String,
    pub help: Option<String>,
}

impl Problem {
    pub(crate) fn new(
        loc: Loc,
        code: &'static str,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        Self { loc: Some(loc), code, message: message.into(), label: label.into(), help: None }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let mut s = Sources::default();
        let id = s.add(Path::new("/p.kdl"), "a\né b\nc".into());
        let f = s.get(id);
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(2), (2, 1));
        // 'b' is after a two-byte 'é' and a space: byte 5, column 3.
        assert_eq!(f.line_col(5), (2, 3));
        assert_eq!(f.line_col(7), (3, 1));
    }

    #[test]
    fn masking_keeps_offsets() {
        let mut s = Sources::default();
        let id = s.add(Path::new("/p.kdl"), "TOKEN \"abc\"\n".into());
        s.mask(Loc { file: id, offset: 6, len: 5 });
        assert_eq!(s.get(id).shown_text(), "TOKEN *****\n");
    }

    #[test]
    fn narrowing_stays_inside() {
        let l = Loc { file: FileId(0), offset: 10, len: 5 };
        assert_eq!(l.narrow(1..3), Loc { file: FileId(0), offset: 11, len: 2 });
        assert_eq!(l.narrow(4..20), Loc { file: FileId(0), offset: 14, len: 1 });
    }
}
