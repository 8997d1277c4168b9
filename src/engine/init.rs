//! `goenv init`: write a new profile, the starter or one made from the machine
//! ([`crate::init`]), after checking it as `goenv check` would. An existing file is never
//! replaced unless asked (`force`), and then it is kept first as `<name>.bak`; both writes
//! are atomic (`fsx`), so the profile is wholly old or wholly new.

use std::path::{Path, PathBuf};

use super::{Error, ErrorKind, Result};
use crate::context::Context;

/// What `init` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    /// Where the file it replaced was kept (`--force`).
    pub backup: Option<PathBuf>,
    /// What was found on the machine (empty for the starter); never a secret.
    pub found: Vec<String>,
    /// Lines the check made goenv comment out: `line N: why`.
    pub left_out: Vec<String>,
}

/// `<path>.bak`: `profile.kdl` → `profile.kdl.bak`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".bak");
    path.with_file_name(name)
}

/// Writes the starter profile, or with `machine` one made from what the machine has.
pub fn init(
    ctx: &Context,
    path: &Path,
    force: bool,
    machine: Option<&crate::doctor::Options>,
) -> Result<Written> {
    let exists = std::fs::symlink_metadata(path).is_ok();
    if exists && !force {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("`{}` already exists", crate::resource::tilde_path(path, &ctx.home)),
        )
        .hint({
            let named = if path == ctx.default_profile() {
                String::new()
            } else {
                format!(" {}", crate::resource::tilde_path(path, &ctx.home))
            };
            format!(
                "`goenv plan{named}` shows what it would change; `goenv init --force{named}` replaces it and keeps it as `{}`",
                crate::resource::tilde_path(&backup_path(path), &ctx.home)
            )
        }));
    }
    let (text, found, secret) = match machine {
        None => (crate::init::STARTER.to_owned(), Vec::new(), false),
        Some(opts) => {
            let report = crate::doctor::diagnose(ctx, opts).map_err(|e| {
                let ids = crate::doctor::context_ids(ctx).join(", ");
                Error::new(ErrorKind::Usage, e.to_string()).hint(format!("contexts here: {ids}"))
            })?;
            let g = crate::init::from_machine(ctx, &report);
            (g.text, g.found, g.secret)
        }
    };
    let (text, left_out) = checked(ctx, path, text)?;
    let mut backup = None;
    if exists {
        let bak = backup_path(path);
        let old = crate::fsx::read_optional(path).map_err(|e| write_error(path, &e))?;
        if let Some((bytes, mode)) = old {
            crate::fsx::replace_file(&bak, &bytes, mode).map_err(|e| write_error(&bak, &e))?;
            backup = Some(bak);
        }
    }
    let mode = if secret { 0o600 } else { 0o644 };
    crate::fsx::replace_file(path, text.as_bytes(), mode).map_err(|e| write_error(path, &e))?;
    Ok(Written { path: path.to_path_buf(), backup, found, left_out })
}

fn write_error(path: &Path, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Machine, format!("cannot write `{}`: {e}", path.display()))
        .hint("give `goenv init` a path in a directory that can be written")
}

/// The text as `goenv check` accepts it: a line the check refuses (a value goenv cannot
/// write, a key `go-env` does not take) is commented out with the reason. A refused line that
/// opens or closes a block cannot be: that is a bug, reported as an error.
fn checked(ctx: &Context, path: &Path, mut text: String) -> Result<(String, Vec<String>)> {
    let mut left_out = Vec::new();
    for _ in 0..8 {
        let Err(rejected) = crate::profile::load_str(path, &text, ctx) else {
            return Ok((text, left_out));
        };
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut changed = false;
        for p in &rejected.problems {
            let Some(loc) = p.loc else { continue };
            let line = text[..loc.offset.min(text.len())].matches('\n').count();
            let Some(l) = lines.get(line) else { continue };
            let trimmed = l.trim();
            if trimmed.starts_with("//") || trimmed.ends_with('{') || trimmed.starts_with('}') {
                continue;
            }
            let indent = &l[..l.len() - l.trim_start().len()];
            let why = crate::profile::secret::redact_urls(&p.message).replace('\n', " ");
            left_out.push(format!("line {}: {why}", line + 1));
            lines[line] = format!("{indent}// {trimmed}  // left out: {why}");
            changed = true;
        }
        if !changed {
            return Err(Error::profile(path, rejected.sources, rejected.problems));
        }
        text = lines.join("\n");
        text.push('\n');
    }
    Err(Error::new(ErrorKind::Profile, "the profile goenv made does not pass `goenv check`"))
}
