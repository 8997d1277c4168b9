//! The engine's one error type: what went wrong, what to do about it, and whether anything on
//! the machine changed. The command line decides how it looks and which exit code it gets.

use crate::profile::{Problem, Sources};

/// What kind of failure, for the exit code and for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command line asks for something that cannot be done.
    Usage,
    /// The profile is invalid, or cannot be planned on this machine.
    Profile,
    /// A file goenv must read or edit is in a state it will not touch.
    Machine,
    /// Another goenv holds the lock.
    Busy,
    /// A download, an index or a build failed.
    Fetch,
    /// goenv's own state directory cannot be read or written.
    State,
    /// The user said no, or could not be asked.
    Declined,
}

/// Whether the machine was changed by the failed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// Nothing: every file is as it was.
    Nothing,
    /// Some paths may be changed; the message says what and what finishes the change.
    Partly,
}

#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
    pub changed: Changed,
    /// Located problems to show with their snippets (an invalid or unplannable profile).
    pub problems: Option<(Sources, Vec<Problem>)>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
            changed: Changed::Nothing,
            problems: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// An error from a lower layer, with its causes and its own help, if it has any.
    pub fn from_diagnostic(kind: ErrorKind, e: &dyn miette::Diagnostic) -> Self {
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            let text = s.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = s.source();
        }
        let mut err = Error::new(kind, message);
        err.hint = e.help().map(|h| h.to_string());
        err
    }

    /// A profile with these problems.
    pub fn profile(path: &std::path::Path, sources: Sources, problems: Vec<Problem>) -> Self {
        let n = problems.len();
        let mut err = Error::new(
            ErrorKind::Profile,
            format!("{n} problem{} in `{}`", if n == 1 { "" } else { "s" }, path.display()),
        );
        err.problems = Some((sources, problems));
        err
    }

    /// A profile that is valid but cannot be planned on this machine.
    pub fn unplannable(sources: Sources, problems: Vec<Problem>) -> Self {
        let mut err = Error::new(ErrorKind::Profile, "the profile cannot be planned");
        err.problems = Some((sources, problems));
        err
    }
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Self {
        let kind = match e {
            crate::store::StoreError::Busy { .. } => ErrorKind::Busy,
            _ => ErrorKind::State,
        };
        Error::from_diagnostic(kind, &e)
    }
}

impl From<crate::apply::ApplyError> for Error {
    fn from(e: crate::apply::ApplyError) -> Self {
        let kind = match &e {
            crate::apply::ApplyError::Changed(_) => ErrorKind::Machine,
            crate::apply::ApplyError::Store(crate::store::StoreError::Busy { .. }) => {
                ErrorKind::Busy
            }
            crate::apply::ApplyError::Store(_) => ErrorKind::State,
            crate::apply::ApplyError::Write { .. }
            | crate::apply::ApplyError::Effect { .. }
            | crate::apply::ApplyError::Mixed { .. }
            | crate::apply::ApplyError::Undo(_) => ErrorKind::Machine,
            crate::apply::ApplyError::Manifest { .. } => ErrorKind::State,
        };
        Error::from_diagnostic(kind, &e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
