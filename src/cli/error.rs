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
