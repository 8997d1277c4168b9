//! Values with provenance: what a variable holds, where it was set, and whether it is known.
//!
//! A value doctor cannot predict from files is `Unknown`, with the file and line that made it so.
//! Doctor never guesses: an unknown value is reported as unknown, never as a confident answer.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A line of a file (1-based). Shared: every assignment of a file names it.
    File { path: std::rc::Rc<Path>, line: u32 },
    /// A layer that is not a file: "login", "sshd", "go default", ….
    Layer(String),
}

impl Source {
    pub fn file(path: impl AsRef<Path>, line: u32) -> Self {
        Self::File { path: std::rc::Rc::from(path.as_ref()), line }
    }

    /// A line of a file whose name is already shared.
    pub fn at(path: &std::rc::Rc<Path>, line: u32) -> Self {
        Self::File { path: path.clone(), line }
    }

    pub fn layer(name: impl Into<String>) -> Self {
        Self::Layer(name.into())
    }
}

/// Why a value is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    pub at: Source,
    pub reason: String,
}

impl Why {
    pub fn new(at: Source, reason: impl Into<String>) -> Self {
        Self { at, reason: reason.into() }
    }
}

/// A value: known text, or unknown and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Known(String),
    Unknown(Why),
}

impl Val {
    pub fn known(&self) -> Option<&str> {
        match self {
            Self::Known(s) => Some(s),
            Self::Unknown(_) => None,
        }
    }
}

/// A shell variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub val: Val,
    pub exported: bool,
    pub at: Source,
    /// For PATH-like variables: where each entry was added, in order.
    pub entries: Vec<(String, Source)>,
}

impl Var {
    /// A variable; `entries` are kept for PATH only (see [`Var::path_entries`]).
    pub fn new(val: Val, exported: bool, at: Source) -> Self {
        Self { val, exported, at, entries: Vec::new() }
    }

    /// The entries of a PATH-like value with where each was added (all at `at` when no history
    /// was kept).
    pub fn path_entries(&self) -> Vec<(String, Source)> {
        if self.entries.is_empty() { self.split_entries(&[]) } else { self.entries.clone() }
    }

    /// Entries of a new value, keeping the source of each entry the old value already had.
    pub fn split_entries(&self, old: &[(String, Source)]) -> Vec<(String, Source)> {
        let Val::Known(text) = &self.val else { return Vec::new() };
        let mut used = vec![false; old.len()];
        text.split(':')
            .map(|e| {
                let found = old.iter().enumerate().find(|(i, (o, _))| !used[*i] && o == e);
                match found {
                    Some((i, (_, src))) => {
                        used[i] = true;
                        (e.to_owned(), src.clone())
                    }
                    None => (e.to_owned(), self.at.clone()),
                }
            })
            .collect()
    }
}

/// The environment a process starts with: exported variables only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    pub vars: BTreeMap<String, Var>,
    /// When set, any variable not in `vars` is unknown too (an unknown command ran).
    pub rest: Option<Why>,
}

impl Env {
    /// The value of `name`: `None` when known to be unset.
    pub fn get(&self, name: &str) -> Option<Val> {
        match self.vars.get(name) {
            Some(v) => Some(v.val.clone()),
            None => self.rest.clone().map(Val::Unknown),
        }
    }

    pub fn var(&self, name: &str) -> Option<&Var> {
        self.vars.get(name)
    }

    pub fn set(&mut self, name: &str, value: &str, at: Source) {
        let old = self.vars.get(name).map(|v| v.entries.clone()).unwrap_or_default();
        let mut var =
            Var { val: Val::Known(value.to_owned()), exported: true, at, entries: vec![] };
        var.entries = var.split_entries(&old);
        self.vars.insert(name.to_owned(), var);
    }

    /// `upper` over `self`: every variable `upper` has replaces this one's.
    pub fn overlay(&mut self, upper: &Env, skip: impl Fn(&str) -> bool) {
        for (name, var) in &upper.vars {
            if skip(name) {
                continue;
            }
            let var = var.clone();
            self.vars.insert(name.clone(), var);
        }
        if upper.rest.is_some() {
            self.rest = upper.rest.clone();
            self.vars.retain(|name, _| upper.vars.contains_key(name) || skip(name));
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, line } => write!(f, "{}:{line}", path.display()),
            Self::Layer(name) => f.write_str(name),
        }
    }
}
