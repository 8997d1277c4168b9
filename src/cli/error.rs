//! The command line's edge: how an error reads, and which exit code it gets. Every error is
//! `error: …`, then `hint: …` when there is something to do, the same words findings use; and
//! "nothing was changed" is said here, once, for every error that changed nothing.

use std::io::Write;
use std::process::ExitCode;

use super::{Ui, report};
use crate::engine::{Changed, Error, ErrorKind};

/// The exit code of an error: 1 for every failure (usage errors too), as the README's table says.
pub fn exit_code(kind: ErrorKind) -> ExitCode {
    match kind {
        ErrorKind::Usage
        | ErrorKind::Profile
        | ErrorKind::Machine
        | ErrorKind::Busy
        | ErrorKind::Fetch
        | ErrorKind::State
        | ErrorKind::Declined => ExitCode::from(1),
    }
}

/// The stable code of an error without located problems, as JSON's `problems` spell it.
pub fn code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Usage => "goenv::error::usage",
        ErrorKind::Profile => "goenv::error::profile",
        ErrorKind::Machine => "goenv::error::machine",
        ErrorKind::Busy => "goenv::error::busy",
        ErrorKind::Fetch => "goenv::error::fetch",
        ErrorKind::State => "goenv::error::state",
        ErrorKind::Declined => "goenv::error::declined",
    }
}

/// What a command given `--format json` prints on stdout when it fails, instead of the human
/// error on stderr: the document's `schema`, `"ok": false`, and the error as `problems` of the
/// shape `check --format json` uses (a profile's problems each at its file, line and column; any
/// other error as one problem with its code, message and hint, at the profile when there is one).
pub struct JsonFailure {
    pub schema: &'static str,
    /// The profile as given (or the default one), for the commands that read one.
    pub profile: Option<String>,
    /// `apply` says whether anything changed (`"changed"`): a failure part-way may have.
    pub says_changed: bool,
}

impl JsonFailure {
    /// The document for `e`; `platform` when the machine's facts are known.
    pub fn document(&self, e: &Error, platform: Option<String>) -> serde_json::Value {
        let file = self.profile.clone().unwrap_or_default();
        let problems = match &e.problems {
            Some((sources, problems)) => {
                serde_json::to_value(report::json_problems(sources, problems, &file))
                    .unwrap_or_default()
            }
            None => serde_json::json!([{
                "file": self.profile,
                "line": null,
                "column": null,
                "code": code(e.kind),
                "message": e.message,
                "help": e.hint,
            }]),
        };
        let mut doc = serde_json::json!({ "schema": self.schema, "ok": false });
        if let Some(p) = &self.profile {
            doc["profile"] = p.clone().into();
        }
        if let Some(p) = platform {
            doc["platform"] = p.into();
        }
        if self.says_changed {
            doc["changed"] = (e.changed != Changed::Nothing).into();
        }
        doc["problems"] = problems;
        doc
    }

    /// Prints the document for `e` on stdout (nothing on stderr) and returns the exit code.
    pub fn report(&self, e: &Error, platform: Option<String>) -> ExitCode {
        let text = format!("{:#}\n", self.document(e, platform));
        let _ = std::io::stdout().write_all(text.as_bytes());
        exit_code(e.kind)
    }
}

/// Shows `e` on stderr and returns its exit code.
pub fn report(e: &Error, ui: &Ui) -> ExitCode {
    let mut text = String::new();
    if let Some((sources, problems)) = &e.problems {
        text.push_str(&report::human(sources, problems, ui.color));
    }
    text.push_str(&render(e));
    // Nothing more can be said when stderr itself cannot be written.
    let _ = std::io::stderr().write_all(text.as_bytes());
    exit_code(e.kind)
}

/// `error: …; nothing was changed` (on its first line) and `hint: …`.
pub fn render(e: &Error) -> String {
    let mut out = format!("error: {}", e.message);
    if e.changed == Changed::Nothing {
        // A one-line message says it on its line; after quoted output it gets its own.
        out.push_str(if e.message.contains('\n') {
            "\nnothing was changed"
        } else {
            "; nothing was changed"
        });
    }
    out.push('\n');
    if let Some(h) = &e.hint {
        out.push_str(&format!("hint: {h}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_to_do_and_that_nothing_changed() {
        let e = Error::new(ErrorKind::Busy, "another goenv is running").hint("try again");
        assert_eq!(
            render(&e),
            "error: another goenv is running; nothing was changed\nhint: try again\n"
        );
        let mut e = Error::new(ErrorKind::Fetch, "`go install x` failed:\nstderr");
        e.changed = Changed::Partly;
        assert_eq!(render(&e), "error: `go install x` failed:\nstderr\n");
        let e = Error::new(ErrorKind::Fetch, "`go install x` failed:\nstderr");
        assert_eq!(render(&e), "error: `go install x` failed:\nstderr\nnothing was changed\n");
    }
}
