//! Showing profile problems to people (miette, on stderr) and to programs (JSON on stdout).

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use crate::profile::{Problem, Sources};

/// One problem with the text it points into, as miette wants it.
#[derive(Debug)]
struct Shown {
    code: &'static str,
    message: String,
    source: Option<Snippet>,
    label: Option<LabeledSpan>,
}

/// The text a report shows: the file as it is, or, when it has very long lines, the file with
/// each long line cut to a window (around the label on the label's line). Lines are never
/// removed, so line numbers hold; the column in the report's header is the real one.
#[derive(Debug)]
enum Snippet {
    Whole(NamedSource<String>),
    Elided { name: String, text: String, label: SourceSpan, column: usize },
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let (name, text, label, column) = match self {
            Snippet::Whole(source) => return source.read_span(span, before, after),
            Snippet::Elided { name, text, label, column } => (name, text, label, *column),
        };
        let inner = text.read_span(span, before, after)?;
        // miette reads the primary label's own span (no context) for the header's line:column.
        let column =
            if span == label && before == 0 && after == 0 { column } else { inner.column() };
        Ok(Box::new(
            MietteSpanContents::new_named(
                name.clone(),
                inner.data(),
                *inner.span(),
                inner.line(),
                column,
                inner.line_count(),
            )
            .with_language("kdl"),
        ))
    }
}

/// Lines longer than this many characters are cut in a report's snippet (miette cannot render
/// a label beyond column 65,535, and nobody reads a 70,000-character line anyway).
const LONG_LINE: usize = 160;
/// Characters kept on each side of the label on a cut line.
const AROUND: usize = 40;
/// The most characters of a label's value underlined on a cut line.
const LABEL_MAX: usize = 60;

/// `text` with long lines cut, and the label's offset and length in the cut text. `None` when
/// no line is long (the text is shown as it is).
fn elide(text: &str, offset: usize, len: usize) -> Option<(String, usize, usize)> {
    let long = |body: &str| body.len() > LONG_LINE && body.chars().count() > LONG_LINE;
    if !text.split('\n').any(long) {
        return None;
    }
    let mut out = String::with_capacity(text.len().min(1 << 20));
    let (mut new_offset, mut new_len) = (None, 0);
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let terminator = &line[body.len()..];
        let end = start + body.len();
        let here = (start..start + line.len()).contains(&offset);
        if !long(body) {
            if here {
                new_offset = Some(out.len() + (offset - start));
                new_len = len.min(end.saturating_sub(offset));
            }
            out.push_str(line);
        } else {
            let chars: Vec<(usize, char)> = body.char_indices().collect();
            let byte_at = |i: usize| chars.get(i).map_or(body.len(), |c| c.0);
            let (from, to, label_at, label_to) = if here {
                let at = chars.partition_point(|c| start + c.0 < offset);
                let label_end =
                    chars.partition_point(|c| start + c.0 < offset + len).min(at + LABEL_MAX);
                (at.saturating_sub(AROUND), (label_end + AROUND).min(chars.len()), at, label_end)
            } else {
                (0, LONG_LINE, 0, 0)
            };
            if from > 0 {
                out.push('…');
            }
            if here {
                let kept = out.len();
                new_offset = Some(kept + byte_at(label_at) - byte_at(from));
                new_len = byte_at(label_to) - byte_at(label_at);
            }
            out.push_str(&body[byte_at(from)..byte_at(to)]);
            if to < chars.len() {
                out.push('…');
            }
            out.push_str(terminator);
        }
        start += line.len();
    }
    let offset = new_offset.unwrap_or(out.len());
    Some((out, offset, new_len))
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown {}

impl Diagnostic for Shown {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.label.clone().map(|l| Box::new(std::iter::once(l)) as Box<dyn Iterator<Item = _>>)
    }
}

/// Renders every problem as a miette report, one after another.
pub fn human(sources: &Sources, problems: &[Problem], color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for p in problems {
        let (source, label) = match p.loc {
            Some(loc) => {
                let file = sources.get(loc.file);
                let text = file.shown_text();
                let (src, span) = match elide(&text, loc.offset, loc.len) {
                    None => (
                        Snippet::Whole(NamedSource::new(&file.display, text).with_language("kdl")),
                        SourceSpan::from((loc.offset, loc.len)),
                    ),
                    Some((text, offset, len)) => {
                        let label = SourceSpan::from((offset, len));
                        let column = file.line_col(loc.offset).1.saturating_sub(1);
                        let name = file.display.clone();
                        (Snippet::Elided { name, text, label, column }, label)
                    }
                };
                let label = LabeledSpan::new_with_span(Some(p.label.clone()), span);
                (Some(src), Some(label))
            }
            None => (None, None),
        };
        // The hint is goenv's own line, worded as for every other error and finding.
        let shown = Shown { code: p.code, message: p.message.clone(), source, label };
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &shown);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        if let Some(h) = &p.help {
            out.push_str(&format!("  hint: {h}\n"));
        }
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
pub struct JsonProblem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
}

pub fn json_problems(sources: &Sources, problems: &[Problem], profile: &str) -> Vec<JsonProblem> {
    problems
        .iter()
        .map(|p| {
            let (file, line, column) = match p.loc {
                Some(loc) => {
                    let f = sources.get(loc.file);
                    let (l, c) = f.line_col(loc.offset);
                    (f.display.clone(), Some(l), Some(c))
                }
                None => (profile.to_owned(), None, None),
            };
            JsonProblem {
                file,
                line,
                column,
                code: p.code,
                message: p.message.clone(),
                help: p.help.clone(),
            }
        })
        .collect()
}
