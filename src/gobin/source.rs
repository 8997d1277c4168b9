//! source: bounded reads from an executable, either an open file or bytes in memory. It owns
//! the only I/O of the module and the "does this range lie inside the file" check that turns a
//! short file into a `Truncated` error. It must never read more than a caller asked for, never
//! allocate before checking the range against the file's length, and never write.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::GobinError;

/// The first bytes of a file are read once: every header but a far-away PE or Mach-O load
/// command table fits, so identifying a format costs one read.
const HEAD: u64 = 4096;

pub(crate) struct Source<'a> {
    path: &'a Path,
    len: u64,
    kind: Kind<'a>,
}

enum Kind<'a> {
    File { file: File, head: Vec<u8> },
    Bytes(&'a [u8]),
}

impl<'a> Source<'a> {
    pub(crate) fn open(path: &'a Path) -> Result<Self, GobinError> {
        let io_err = |source| GobinError::Io { path: path.into(), source };
        let file = File::open(path).map_err(io_err)?;
        let len = file.metadata().map_err(io_err)?.len();
        // Sized up front so the head is one read, not a series of growing ones.
        let mut head = Vec::with_capacity(usize::try_from(len.min(HEAD)).unwrap_or(0));
        (&file).take(HEAD).read_to_end(&mut head).map_err(io_err)?;
        Ok(Self { path, len, kind: Kind::File { file, head } })
    }

    pub(crate) fn bytes(path: &'a Path, bytes: &'a [u8]) -> Self {
        Self { path, len: bytes.len() as u64, kind: Kind::Bytes(bytes) }
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.path.into()
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Exactly `n` bytes at `offset`. `part` names what they are, for the error when the file
    /// ends first (`"the ELF header"`, `"the .go.buildinfo section"`).
    pub(crate) fn read(&mut self, offset: u64, n: u64, part: &str) -> Result<Vec<u8>, GobinError> {
        let Some(end) = offset.checked_add(n).filter(|&end| end <= self.len) else {
            return Err(GobinError::Truncated {
                path: self.path(),
                part: part.to_string(),
                end: offset.saturating_add(n),
                len: self.len,
            });
        };
        // Both bounds are within the file's length, which fits in memory for `Bytes`; for a
        // file, `n` is at most the file's length, which callers keep small by their own caps.
        let (Ok(start), Ok(stop)) = (usize::try_from(offset), usize::try_from(end)) else {
            return Err(self.too_big(part, n));
        };
        match &mut self.kind {
            Kind::Bytes(bytes) => {
                Ok(bytes.get(start..stop).map(<[u8]>::to_vec).unwrap_or_default())
            }
            Kind::File { head, .. } if stop <= head.len() => {
                Ok(head.get(start..stop).map(<[u8]>::to_vec).unwrap_or_default())
            }
            Kind::File { file, .. } => {
                let mut buf = vec![0; stop - start];
                file.seek(SeekFrom::Start(offset))
                    .and_then(|_| file.read_exact(&mut buf))
                    .map_err(|source| GobinError::Io { path: self.path.into(), source })?;
                Ok(buf)
            }
        }
    }

    fn too_big(&self, part: &str, n: u64) -> GobinError {
        GobinError::Corrupt {
            path: self.path(),
            part: part.to_string(),
            problem: format!("{n} bytes do not fit in memory"),
        }
    }
}
