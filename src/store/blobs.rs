//! blobs: content-addressed copies of every before- and after-content, at
//! `blobs/sha256/<first two hex digits>/<remaining 62>`. A blob is verified on every read and is
//! never rewritten in place; only gc deletes blobs, and only those nothing refers to.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::PathBuf;

use super::{Hash, Store, StoreError, io_err, sha256, write_atomic_via};

impl Store {
    pub(super) fn blob_path(&self, hash: &Hash) -> PathBuf {
        let (shard, rest) = hash.as_str().split_at(2);
        self.blobs_dir().join(shard).join(rest)
    }

    /// Stores `bytes` and returns their hash; a blob already present is left alone.
    pub(crate) fn put_blob(&self, bytes: &[u8]) -> Result<Hash, StoreError> {
        let hash = sha256(bytes);
        let path = self.blob_path(&hash);
        // A blob of the wrong length can only be a torn write from a crash: replace it.
        let wanted = u64::try_from(bytes.len()).ok();
        if fs::metadata(&path).is_ok_and(|meta| Some(meta.len()) == wanted) {
            return Ok(hash);
        }
        let shard = self.blobs_dir().join(&hash.as_str()[..2]);
        fs::create_dir_all(&shard).map_err(io_err("create directory", &shard))?;
        write_atomic_via(&path, bytes, true, &self.blobs_dir())
            .map_err(io_err("write blob", &path))?;
        Ok(hash)
    }

    /// The content of blob `hash`, verified against its hash.
    pub(crate) fn get_blob(&self, hash: &Hash) -> Result<Vec<u8>, StoreError> {
        let path = self.blob_path(hash);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::MissingBlob { hash: hash.clone(), path });
            }
            Err(e) => return Err(io_err("read blob", &path)(e)),
        };
        let actual = sha256(&bytes);
        if actual != *hash {
            return Err(StoreError::CorruptBlob { path, actual });
        }
        Ok(bytes)
    }

    pub(crate) fn has_blob(&self, hash: &Hash) -> bool {
        self.blob_path(hash).is_file()
    }

    /// Fails with `MissingBlob` unless every hash is stored.
    pub(super) fn require_blobs<'a>(
        &self,
        hashes: impl IntoIterator<Item = &'a Hash>,
    ) -> Result<(), StoreError> {
        for hash in hashes {
            if !self.has_blob(hash) {
                return Err(StoreError::MissingBlob {
                    hash: hash.clone(),
                    path: self.blob_path(hash),
                });
            }
        }
        Ok(())
    }

    /// Deletes every blob not in `keep` (and leftover temp files), then empty shard directories.
    /// Returns (files removed, bytes freed).
    pub(super) fn sweep_blobs(&self, keep: &BTreeSet<Hash>) -> Result<(usize, u64), StoreError> {
        let root = self.blobs_dir();
        let (mut removed, mut freed) = (0, 0);
        for shard in fs::read_dir(&root).map_err(io_err("read directory", &root))? {
            let shard = shard.map_err(io_err("read directory", &root))?.path();
            if !shard.is_dir() {
                continue;
            }
            let prefix = shard.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            let mut left = 0;
            for entry in fs::read_dir(&shard).map_err(io_err("read directory", &shard))? {
                let entry = entry.map_err(io_err("read directory", &shard))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let referenced =
                    Hash::parse(&format!("{prefix}{name}")).is_ok_and(|hash| keep.contains(&hash));
                if referenced {
                    left += 1;
                    continue;
                }
                let path = entry.path();
                let len = entry.metadata().map_or(0, |meta| meta.len());
                fs::remove_file(&path).map_err(io_err("remove blob", &path))?;
                removed += 1;
                freed += len;
            }
            if left == 0 {
                // Best effort: a shard that could not be removed is only an empty directory.
                let _ = fs::remove_dir(&shard);
            }
        }
        crate::fsx::sync_dir(&root).map_err(io_err("sync directory", &root))?;
        Ok((removed, freed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_dedupe() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let bytes = b"export GOPATH=\"$HOME/go\"\r\n\xff";
        let hash = store.put_blob(bytes).unwrap();
        assert_eq!(hash, sha256(bytes));
        assert!(store.has_blob(&hash));
        assert_eq!(store.get_blob(&hash).unwrap(), bytes);
        assert_eq!(store.put_blob(bytes).unwrap(), hash);
        let shard = store.blobs_dir().join(&hash.as_str()[..2]);
        assert_eq!(fs::read_dir(shard).unwrap().count(), 1);
        assert!(store.put_blob(b"").is_ok()); // empty content is a blob too
    }

    #[test]
    fn corruption_and_absence_are_errors_naming_the_blob() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let hash = store.put_blob(b"original").unwrap();
        fs::write(store.blob_path(&hash), b"tampered").unwrap();
        let err = store.get_blob(&hash).unwrap_err();
        assert!(matches!(err, StoreError::CorruptBlob { .. }));
        assert!(err.to_string().contains(&hash.as_str()[2..]), "{err}");

        let missing = sha256(b"never stored");
        let err = store.get_blob(&missing).unwrap_err();
        assert!(err.to_string().contains(missing.as_str()), "{err}");
    }
}
