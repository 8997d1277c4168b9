//! A saved plan (`goenv show FILE`) for a person: what it was made from, what it pins and
//! what it changes, as digests (a plan file holds no content).

use std::fmt::Write as _;

use crate::engine::planfile::{PlanFile, SdkHow, shown_digest};

/// A saved plan for a person: what it was made from, what it pins and what it changes.
pub fn human(file: &PlanFile, shown: &str, quiet: bool) -> String {
    let (add, change, remove) = file.counts();
    let summary = format!(
        "Plan: {add} to add, {change} to change, {remove} to remove. `goenv apply {shown}` applies exactly this, or refuses if anything changed.\n"
    );
    if quiet {
        return summary;
    }
    let p = &file.platform;
    let mut out = format!(
        "saved plan `{shown}` · goenv {} · {}/{} on host `{}` · {}\n",
        file.goenv, p.os, p.arch, p.host, file.created
    );
    for (i, f) in file.profile.files.iter().enumerate() {
        let what = if i == 0 { "profile" } else { "  includes" };
        let _ = writeln!(out, "{what} `{}`  {}", f.path, shown_digest(Some(&f.digest)));
    }
    if let Some(go) = &file.go {
        if let Some(index) = &go.index {
            let _ = writeln!(out, "index {index}");
        }
        for l in &go.lines {
            let _ = writeln!(out, "go \"{}\" → {}", l.line, l.version);
        }
        for s in &go.sdks {
            let role = if s.active { "active" } else { "kept" };
            let how = match s.how {
                SdkHow::Install => "to install",
                SdkHow::Installed => "installed by goenv",
                SdkHow::Adopted => "adopted",
            };
            let _ = write!(out, "go{} ({role}, {how})", s.version);
            if let (Some(a), Some(sum)) = (&s.archive, &s.sha256) {
                let _ = write!(out, "  {a}  sha256 {sum}");
            }
            if let Some(from) = &s.checksum_from {
                let _ = write!(out, "  checksum from {from}");
            }
            out.push('\n');
        }
    }
    for t in &file.tools {
        let _ = writeln!(out, "build {}: {}@{} with `{}`", t.resource, t.package, t.version, t.go);
    }
    if !file.changes.is_empty() {
        out.push('\n');
    }
    for c in &file.changes {
        let _ = writeln!(
            out,
            "{} {}\n    {} → {}",
            c.action.sign(),
            c.resource,
            shown_digest(c.before.as_ref()),
            shown_digest(c.after.as_ref())
        );
    }
    if file.changes.is_empty() {
        out.push_str("\nNo changes: applying it only checks that nothing changed.\n");
    }
    out.push('\n');
    out.push_str(&summary);
    out
}
