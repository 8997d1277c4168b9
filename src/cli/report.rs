//! Showing profile problems to people (miette, on stderr) and to programs (JSON on stdout).

use std::fmt;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;

use crate::profile::{Problem, Sources};

/// One problem with the text it points into, as miette wants it.
#[derive(Debug)]
struct Shown {
    code: &'static str,
    message: String,
    source: Option<NamedSource<String>>,
    label: Option<LabeledSpan>,
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
                let src = NamedSource::new(&file.display, file.shown_text()).with_language("kdl");
                let label =
                    LabeledSpan::new_with_span(Some(p.label.clone()), (loc.offset, loc.len));
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
