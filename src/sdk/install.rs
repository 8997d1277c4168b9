//! install: what goenv knows about an SDK it installs (its [`Descriptor`], written into the tree
//! as `.goenv-sdk`); [`load_index`], the download index with a cached copy; and [`prepare`],
//! which downloads, verifies and unpacks every SDK an apply or rollback needs into a staging
//! directory beside its destination *before* the transaction starts. The transaction then only
//! renames. Nothing here renames into place or deletes an SDK.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::extract::{self, ExtractError, Staged};
use super::fetch::{FetchError, Fetcher};
use crate::resource::entry::{self, SDK_DESCRIPTOR};

pub use crate::resource::content::Descriptor;

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("the plan's record of `{0}` is not a goenv SDK descriptor")]
    BadDescriptor(PathBuf),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error("cannot write `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PrepareError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Extract(ExtractError::Refused { .. }) => Some(
                "the archive is unsafe to unpack; it was deleted from the download cache. Check \
                 the `mirror` and `index` of the profile"
                    .into(),
            ),
            Self::Extract(e) => e.hint(),
            _ => None,
        }
    }
}

/// How long a fetched index is used before it is fetched again.
pub const INDEX_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

/// The download index at `url`: a cached copy younger than [`INDEX_FRESH_FOR`], else fetched
/// (and cached). When the fetch fails, an older cached copy is used and the reason is kept in
/// `stale`; with no copy at all the fetch error is returned.
pub fn load_index(
    fetcher: &Fetcher,
    url: &str,
    cache_dir: &Path,
) -> Result<crate::sdk::index::FetchedIndex, LoadIndexError> {
    use crate::sdk::index::FetchedIndex;
    let file = index_cache_file(url, cache_dir);
    let cached = fs::metadata(&file)
        .ok()
        .and_then(|m| m.modified().ok())
        .map(|t| t.elapsed().map_or(true, |age| age < INDEX_FRESH_FOR));
    if cached == Some(true)
        && let Ok(bytes) = fs::read(&file)
        && let Ok(index) = super::index::Index::parse(&bytes)
    {
        return Ok(FetchedIndex { url: url.to_owned(), index, stale: None });
    }
    let fetched = fetcher.fetch_small(url).map_err(LoadIndexError::Fetch).and_then(|bytes| {
        let index = super::index::Index::parse(&bytes)
            .map_err(|e| LoadIndexError::Parse { url: super::fetch::redact_url(url), source: e })?;
        Ok((bytes, index))
    });
    match fetched {
        Ok((bytes, index)) => {
            // A cache that cannot be written only costs a fetch next time.
            if fs::create_dir_all(cache_dir).is_ok() {
                let tmp = file.with_extension("json.tmp");
                if fs::write(&tmp, &bytes).is_ok() {
                    let _ = fs::rename(&tmp, &file);
                }
            }
            Ok(FetchedIndex { url: url.to_owned(), index, stale: None })
        }
        Err(e) => {
            let old = fs::read(&file).ok().and_then(|b| super::index::Index::parse(&b).ok());
            match old {
                Some(index) => {
                    Ok(FetchedIndex { url: url.to_owned(), index, stale: Some(e.to_string()) })
                }
                None => Err(e),
            }
        }
    }
}

/// The cached copy of the download index at `url`, whatever its age, and that age; `None` when
/// there is none (or it does not parse). Reads one file in goenv's cache, never the network: for
/// plans that must be made offline (`plan --against`).
pub fn cached_index(
    url: &str,
    cache_dir: &Path,
) -> Option<(crate::sdk::index::FetchedIndex, std::time::Duration)> {
    let file = index_cache_file(url, cache_dir);
    let age = fs::metadata(&file).ok()?.modified().ok()?.elapsed().unwrap_or_default();
    let index = super::index::Index::parse(&fs::read(&file).ok()?).ok()?;
    Some((crate::sdk::index::FetchedIndex { url: url.to_owned(), index, stale: None }, age))
}

/// Where the download index at `url` is cached.
pub fn index_cache_file(url: &str, cache_dir: &Path) -> PathBuf {
    cache_dir.join(format!("index-{}.json", &crate::digest::sha256(url.as_bytes()).as_str()[..16]))
}

#[derive(Debug, thiserror::Error)]
pub enum LoadIndexError {
    #[error(transparent)]
    Fetch(FetchError),
    #[error("{url}: {source}")]
    Parse {
        url: String,
        #[source]
        source: super::index::IndexError,
    },
}

/// Trees unpacked and waiting for the transaction. Dropping it removes what was not used.
#[derive(Debug, Default)]
pub struct Prepared {
    staged: Vec<(PathBuf, Staged)>,
    roots: BTreeMap<PathBuf, PathBuf>,
}

impl Prepared {
    /// Destination → staged tree, for `apply`.
    pub fn roots(&self) -> &BTreeMap<PathBuf, PathBuf> {
        &self.roots
    }

    pub fn is_empty(&self) -> bool {
        self.staged.is_empty()
    }
}

/// Makes a tree ready for every `(destination, descriptor)` in `wanted` that is not already in
/// the trash: the archive from the cache or downloaded (verified against the descriptor's
/// sha256), unpacked and checked beside its destination, with the descriptor written in.
///
/// An archive refused while unpacking is removed from the cache, so a refusal leaves nothing.
pub fn prepare(
    wanted: &[(PathBuf, Vec<u8>)],
    trash: &Path,
    cache: &Path,
    fetcher: &Fetcher,
    progress: &mut dyn FnMut(&str, u64, Option<u64>),
) -> Result<Prepared, PrepareError> {
    let mut out = Prepared::default();
    let mut swept = Vec::new();
    for (dest, bytes) in wanted {
        let sdk_dir = dest.parent().unwrap_or(Path::new("/"));
        if !swept.iter().any(|d| d == sdk_dir) {
            remove_stale_staging(sdk_dir);
            swept.push(sdk_dir.to_path_buf());
        }
        let in_trash = entry::trash_entries(trash, dest, bytes)
            .iter()
            .any(|t| fs::read(t.join(SDK_DESCRIPTOR)).is_ok_and(|b| b == *bytes));
        if in_trash {
            continue;
        }
        let d =
            Descriptor::parse(bytes).ok_or_else(|| PrepareError::BadDescriptor(dest.clone()))?;
        let archive =
            fetcher.download_verified(&d.url, &d.sha256, d.size, cache, &mut |got, total| {
                progress(&d.archive, got, total)
            })?;
        let staged = match extract::stage(&archive, sdk_dir, &d.version) {
            Ok(staged) => staged,
            Err(e) => {
                // Verified but unusable: keeping it would only make the next try fail the same way.
                let _ = fs::remove_file(&archive);
                return Err(e.into());
            }
        };
        let file = staged.root().join(SDK_DESCRIPTOR);
        fs::write(&file, bytes).map_err(|source| PrepareError::Io { path: file, source })?;
        out.roots.insert(dest.clone(), staged.root().to_path_buf());
        out.staged.push((dest.clone(), staged));
    }
    Ok(out)
}

/// Removes staging directories a killed goenv left in `sdk_dir`. The caller holds goenv's lock,
/// so no other goenv is unpacking there; a staging directory never holds a published SDK.
pub fn remove_stale_staging(sdk_dir: &Path) {
    let Ok(entries) = fs::read_dir(sdk_dir) else { return };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(extract::STAGING_PREFIX) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_round_trip_and_compare_by_version_and_checksum() {
        let d = Descriptor {
            version: "1.22.10".into(),
            archive: "go1.22.10.linux-amd64.tar.gz".into(),
            sha256: "ab".repeat(32),
            size: Some(69_000_000),
            url: "https://go.dev/dl/go1.22.10.linux-amd64.tar.gz".into(),
            checksum_from: "index https://go.dev/dl/?mode=json&include=all".into(),
        };
        let bytes = d.render();
        assert!(bytes.starts_with(b"# This Go SDK was installed by goenv"));
        assert_eq!(Descriptor::parse(&bytes), Some(d.clone()));
        // A checksum pinned in the profile has no size; the line is left out, and a descriptor
        // without it (as goenv wrote them before sizes) still reads.
        let pinned = Descriptor { size: None, ..d.clone() };
        let text = String::from_utf8(pinned.render()).unwrap();
        assert!(!text.contains("size"), "{text}");
        assert_eq!(Descriptor::parse(text.as_bytes()), Some(pinned.clone()));
        assert!(d.same_sdk(&pinned));
        let mirrored = Descriptor { url: "https://golang.google.cn/dl/x".into(), ..d.clone() };
        assert!(d.same_sdk(&mirrored));
        assert!(!d.same_sdk(&Descriptor { sha256: "cd".repeat(32), ..d.clone() }));
        assert_eq!(Descriptor::parse(b"\xff"), None);
        assert_eq!(Descriptor::parse(entry::FOREIGN), None);
    }
}
