//! Findings: things that are wrong or surprising on the machine, which a plan cannot fix by
//! writing its own files (another source sets the same variable, a `GOROOT=` line...).
//! Plan and doctor share these rules. Pure: they read the probed files and the Context.

use std::path::PathBuf;

use serde::Serialize;

use super::Desired;
use crate::context::Context;
use crate::probe::Observed;
use crate::profile::Profile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable, e.g. `goenv::finding::shadowed-by-environment`.
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
    /// The file the finding is about, with a 1-based line when known.
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
}

/// Every finding for this profile on this machine.
pub fn findings(
    _profile: &Profile,
    _ctx: &Context,
    _desired: &Desired,
    _observed: &Observed,
) -> Vec<Finding> {
    Vec::new()
}
