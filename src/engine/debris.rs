//! Debris: what a goenv killed with SIGKILL (or a crash, or a power cut) left behind, which no
//! signal handler could remove: partial downloads (`~/.cache/goenv/downloads/.partial-*`), SDK
//! staging directories (`~/sdk/.goenv-staging-*`), tool builds (`<GOBIN>/.goenv-build-*`) and
//! the temporary files of atomic writes (`.goenv-XXXXXX`, in the state directory and beside
//! every managed file). Recovery, `gc` and every apply or rollback remove them under the lock;
//! `status` lists them.

use std::path::{Path, PathBuf};

use super::{cache_dir, state_dir};
use crate::context::Context;
use crate::resource::Shape;
use crate::sdk::extract::STAGING_PREFIX;
use crate::store::Store;

/// One path an interrupted goenv left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debris {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Where leftovers may be, by the name they start with.
fn places(ctx: &Context, store: Option<&Store>) -> Vec<(PathBuf, Leftover)> {
    let state = state_dir(ctx);
    let mut out = vec![
        (cache_dir(ctx).join("downloads"), Leftover::Partial),
        (ctx.home.join("sdk"), Leftover::Staging),
        // The default GOBIN, where a first `delve install=` builds before goenv manages it.
        (ctx.home.join("go/bin"), Leftover::Build),
        (state.clone(), Leftover::Temp),
        (state.join("generations"), Leftover::Temp),
        (state.join("blobs/sha256"), Leftover::Temp),
    ];
    let managed = store.and_then(|s| s.index().ok()).map(|i| i.paths).unwrap_or_default();
    for r in managed {
        let Some(dir) = r.path.parent() else { continue };
        let kind = match r.resource.kind.shape() {
            Shape::Sdk => Leftover::Staging,
            Shape::Link => {
                out.push((dir.to_path_buf(), Leftover::OldLink));
                out.push((dir.to_path_buf(), Leftover::Temp));
                Leftover::Staging
            }
            Shape::File if r.resource.kind == crate::resource::Kind::Tool => Leftover::Build,
            Shape::File => Leftover::Temp,
            Shape::Effect => continue,
        };
        out.push((dir.to_path_buf(), kind));
        if kind == Leftover::Build {
            // A binary's directory also holds the temporary file of its atomic write.
            out.push((dir.to_path_buf(), Leftover::Temp));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Leftover {
    /// `.partial-*`: a download.
    Partial,
    /// `.goenv-staging-*`: an SDK being unpacked.
    Staging,
    /// `.goenv-build-*`: a `go install`.
    Build,
    /// `.goenv-` and six letters or digits: an atomic write's temporary file; or
    /// `.goenv-<generation>-<step>`: a transaction step's companion (see `fsx::companion`),
    /// which recovery removes by name; one found later is from a goenv that could not.
    Temp,
    /// `.<name>.goenv-<pid>`: the temporary link of a link switch by an older goenv, which
    /// named it after its process.
    OldLink,
}

impl Leftover {
    fn matches(self, name: &str, is_dir: bool) -> bool {
        match self {
            Self::Partial => !is_dir && name.starts_with(".partial-"),
            Self::Staging => is_dir && name.starts_with(STAGING_PREFIX),
            Self::Build => is_dir && name.starts_with(super::prepare::BUILD_PREFIX),
            Self::Temp => {
                !is_dir
                    && (crate::fsx::is_companion_name(name)
                        || name.strip_prefix(".goenv-").is_some_and(|rest| {
                            rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                        }))
            }
            Self::OldLink => {
                !is_dir
                    && name.starts_with('.')
                    && name.rsplit_once(".goenv-").is_some_and(|(stem, pid)| {
                        stem.len() > 1 && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())
                    })
            }
        }
    }
}

/// Every leftover of an interrupted goenv, in a stable order. The caller holds the lock (or
/// knows no goenv is at work): a live goenv's temporary paths look the same.
pub(crate) fn find(ctx: &Context, store: Option<&Store>) -> Vec<Debris> {
    let mut out = Vec::new();
    for (dir, kind) in places(ctx, store) {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if kind.matches(name, is_dir) {
                let path = e.path();
                let bytes = crate::interrupt::size_of(&path);
                out.push(Debris { path, bytes });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup();
    out
}

/// Removes `debris`; returns what is gone.
pub(crate) fn remove(debris: Vec<Debris>) -> Vec<Debris> {
    debris
        .into_iter()
        .filter(|d| {
            let gone = if d.path.is_dir() {
                std::fs::remove_dir_all(&d.path)
            } else {
                std::fs::remove_file(&d.path)
            };
            gone.is_ok()
        })
        .collect()
}

/// `~/sdk/.goenv-staging-x (51.2 MB), …`: for messages.
pub fn describe(debris: &[Debris], home: &Path) -> String {
    debris
        .iter()
        .map(|d| {
            format!(
                "`{}` ({})",
                crate::resource::tilde_path(&d.path, home),
                crate::interrupt::human_size(d.bytes)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `status` shows: the leftovers, unless another goenv holds the lock (then they may be
/// its work in progress). Reads only.
pub fn leftovers(ctx: &Context) -> super::Result<Vec<Debris>> {
    let store = super::existing_store(ctx)?;
    if store.as_ref().is_some_and(Store::is_locked) {
        return Ok(Vec::new());
    }
    Ok(find(ctx, store.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_goenvs_temporary_names_are_debris() {
        let t = |name: &str, dir: bool| {
            [
                Leftover::Partial,
                Leftover::Staging,
                Leftover::Build,
                Leftover::Temp,
                Leftover::OldLink,
            ]
            .into_iter()
            .find(|k| k.matches(name, dir))
        };
        assert_eq!(t(".partial-AbC123", false), Some(Leftover::Partial));
        assert_eq!(t(".goenv-staging-x1", true), Some(Leftover::Staging));
        assert_eq!(t(".goenv-build-x1", true), Some(Leftover::Build));
        assert_eq!(t(".goenv-Ab12Cd", false), Some(Leftover::Temp));
        assert_eq!(t(".goenv-12-0", false), Some(Leftover::Temp));
        assert_eq!(t(".goenv-12-", false), None);
        assert_eq!(t(".current.goenv-4711", false), Some(Leftover::OldLink));
        assert_eq!(t(".goenv-4711", false), None);
        // goenv's own names that stay: the SDK descriptor, the local trash.
        assert_eq!(t(".goenv-sdk", false), None);
        assert_eq!(t(".goenv-trash", true), None);
        assert_eq!(t(".goenv-staging-x1", false), None);
        assert_eq!(t("profile.kdl", false), None);
    }
}
