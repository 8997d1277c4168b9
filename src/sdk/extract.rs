//! extract: turns a verified go.dev-style `.tar.gz` into `<dir>/go<version>`, and adopts an SDK
//! already at that path (`go "1.22.10"` in the profile, installed by `go1.22.10 download` or an
//! earlier goenv run). The archive is streamed gzip → tar into a private staging directory
//! beside the destination, checked (`go/VERSION`, `go/pkg/tool`), marked with golang.org/dl's
//! `.unpacked-success`, and renamed into place, so `<dir>/go<version>` either does not exist or
//! is complete. It must never verify checksums (the caller does, before calling), never write
//! outside its staging directory except that one rename, never unpack a link, device, absolute
//! path, `..` or anything outside `go/`, and never replace or repair an existing SDK directory.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use tar::{Archive, EntryType};

/// The zero-byte file golang.org/dl writes into a finished SDK; goenv writes and requires it too.
pub const MARKER: &str = ".unpacked-success";

/// Prefix of staging directories in the SDK directory. One left behind by a killed process holds
/// no SDK and can be removed.
pub const STAGING_PREFIX: &str = ".goenv-staging-";

/// Bits never taken from an archive: setuid, setgid, sticky, and write for group and others
/// (what `tar -x` does for a user with the usual umask). `bin/go` stays 0755.
const MODE_MASK: u32 = 0o7022;

/// VERSION is two short lines; read no more than this.
const VERSION_LIMIT: u64 = 4096;

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("`{0}` is not a Go release to install: write it like `1.22.10`, without `go`")]
    BadVersion(String),
    #[error("cannot {action} `{path}`")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot unpack `{archive}`: it is not a complete .tar.gz file")]
    Corrupt {
        archive: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("refusing `{archive}`: its entry `{entry}` {reason}; nothing was installed")]
    Refused { archive: PathBuf, entry: String, reason: String },
    #[error(
        "refusing `{archive}`: it would unpack to {what}, far more than any Go SDK (about 15,000 \
         files, 250 MB); nothing was installed"
    )]
    TooBig { archive: PathBuf, what: String },
    #[error("the archive `{archive}` holds {found}, not go{expected}")]
    WrongVersion { archive: PathBuf, found: String, expected: String },
    #[error("`{archive}` is not a Go SDK archive: it has no {missing}")]
    NotAnSdk { archive: PathBuf, missing: &'static str },
    #[error("`{path}` already exists; adopt it instead of unpacking over it")]
    Exists { path: PathBuf },
    #[error("`{path}` exists but is not a complete go{expected} SDK: {problem}")]
    NotThatSdk { path: PathBuf, expected: String, problem: String },
}

impl ExtractError {
    /// What the user can do about it, for the `hint:` line.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Corrupt { .. } => Some("delete the cached download and install again".into()),
            Self::NotThatSdk { path, .. } => Some(format!(
                "remove `{}` and run goenv again, or `touch {}/{MARKER}` if you know it is complete",
                path.display(),
                path.display()
            )),
            _ => None,
        }
    }
}

/// A complete SDK unpacked into a private staging directory beside its destination, waiting
/// to be renamed into place. Dropping it removes whatever is still staged.
#[derive(Debug)]
pub struct Staged {
    dir: tempfile::TempDir,
    root: PathBuf,
    /// SIGINT and SIGTERM remove the staging directory while this lives.
    _interrupted: crate::interrupt::Temporary,
}

impl Staged {
    /// The unpacked `go` tree (what becomes `<dir>/go<version>`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The staging directory that holds it.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Unpacks the verified `archive` into `<sdk_dir>/go<version>` and returns that path.
///
/// `sdk_dir` is created if missing. On any error nothing new is left in `sdk_dir` (a directory
/// this call created is removed again when it is still empty).
pub fn install_archive(
    archive: &Path,
    sdk_dir: &Path,
    version: &str,
) -> Result<PathBuf, ExtractError> {
    let dest = sdk_dir.join(format!("go{version}"));
    let created = !sdk_dir.exists();
    let result = stage(archive, sdk_dir, version).and_then(|staged| publish(staged, &dest));
    if result.is_err() && created {
        // Only succeeds when empty; anything else in it was not ours to remove.
        let _ = fs::remove_dir(sdk_dir);
    }
    result
}

/// Unpacks the verified `archive` into a staging directory in `sdk_dir` (created if missing)
/// and checks it is a complete go`version` SDK, marked with `.unpacked-success`. Nothing is
/// renamed into place: the caller does that, inside its transaction.
pub fn stage(archive: &Path, sdk_dir: &Path, version: &str) -> Result<Staged, ExtractError> {
    check_version(version)?;
    let dest = sdk_dir.join(format!("go{version}"));
    fs::create_dir_all(sdk_dir).map_err(io_err("create", sdk_dir))?;
    // Fail before a second of unpacking; checked again just before the rename.
    refuse_existing(&dest)?;
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(sdk_dir)
        .map_err(io_err("create a staging directory in", sdk_dir))?;
    let interrupted = crate::interrupt::Temporary::new(staging.path());
    unpack(archive, staging.path(), Bounds::SDK)?;
    crate::interrupt::pause_point("unpack");

    let root = staging.path().join("go");
    match check_sdk(&root, version) {
        Ok(()) => {}
        Err(SdkProblem::NotADirectory | SdkProblem::NoVersion) => {
            return Err(ExtractError::NotAnSdk {
                archive: archive.into(),
                missing: "`go/VERSION`",
            });
        }
        Err(SdkProblem::Version(found)) => {
            return Err(ExtractError::WrongVersion {
                archive: archive.into(),
                found,
                expected: version.into(),
            });
        }
        Err(SdkProblem::NoPkgTool) => {
            return Err(ExtractError::NotAnSdk {
                archive: archive.into(),
                missing: "`go/pkg/tool` directory",
            });
        }
    }

    // The marker goes in before the rename, so the rename alone publishes a finished SDK.
    let marker = root.join(MARKER);
    File::create(&marker).map_err(io_err("write", &marker))?;
    sync_dir(&root)?;
    Ok(Staged { dir: staging, root, _interrupted: interrupted })
}

fn publish(staged: Staged, dest: &Path) -> Result<PathBuf, ExtractError> {
    let sdk_dir = dest.parent().unwrap_or(Path::new("/"));
    refuse_existing(dest)?;
    fs::rename(&staged.root, dest).map_err(io_err("rename the unpacked SDK to", dest))?;
    if let Err(e) = sync_dir(sdk_dir) {
        // Put it back so the staging directory takes it away and the promise holds.
        if fs::rename(dest, &staged.root).is_err() {
            let _ = fs::remove_dir_all(dest);
        }
        return Err(e);
    }
    // The staging directory is empty now; failing to remove it costs nothing.
    drop(staged);
    Ok(dest.to_path_buf())
}

/// Returns `<sdk_dir>/go<version>` when it is that SDK, complete (its `VERSION` says
/// `go<version>`, `pkg/tool` is a directory, and the `.unpacked-success` marker is there), and
/// `None` when nothing is at that path. Anything else there is an error: goenv never repairs or
/// replaces a directory it did not create.
pub fn adopt(sdk_dir: &Path, version: &str) -> Result<Option<PathBuf>, ExtractError> {
    check_version(version)?;
    let path = sdk_dir.join(format!("go{version}"));
    match fs::symlink_metadata(&path) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ExtractError::Io { action: "inspect", path, source: e }),
    }
    let problem = match check_sdk(&path, version) {
        Ok(()) if path.join(MARKER).is_file() => return Ok(Some(path)),
        Ok(()) => format!("it has no `{MARKER}` marker, so its unpacking may not have finished"),
        Err(SdkProblem::NotADirectory) => "it is not a directory".to_string(),
        Err(SdkProblem::NoVersion) => {
            "it has no `VERSION` file (an interrupted unpack?)".to_string()
        }
        Err(SdkProblem::Version(found)) => format!("its `VERSION` file says {found}"),
        Err(SdkProblem::NoPkgTool) => {
            "it has no `pkg/tool` directory (an interrupted unpack?)".to_string()
        }
    };
    Err(ExtractError::NotThatSdk { path, expected: version.into(), problem })
}

/// The first line of `<root>/VERSION`, trimmed (`go1.22.10`), or `None` when there is no
/// readable, non-empty one. Release builds have it; source checkouts do not.
pub fn sdk_version(root: &Path) -> Option<String> {
    let mut text = Vec::new();
    File::open(root.join("VERSION")).ok()?.take(VERSION_LIMIT).read_to_end(&mut text).ok()?;
    let text = String::from_utf8_lossy(&text);
    let first = text.lines().next()?.trim();
    (!first.is_empty()).then(|| first.to_string())
}

/// Versions become a path component, so only release-shaped strings pass: `1.22.10`,
/// `1.23rc1`, `1.21.0-bigcorp`. This also rules out `.`, `..` and separators.
fn check_version(version: &str) -> Result<(), ExtractError> {
    let ok = version.len() <= 64
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    if ok { Ok(()) } else { Err(ExtractError::BadVersion(version.into())) }
}

fn refuse_existing(dest: &Path) -> Result<(), ExtractError> {
    match fs::symlink_metadata(dest) {
        Ok(_) => Err(ExtractError::Exists { path: dest.into() }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ExtractError::Io { action: "inspect", path: dest.into(), source: e }),
    }
}

/// How much an archive may unpack. A Go SDK is about 15,000 entries and 250 MB unpacked (1.25:
/// 11,057 files, 214 MB); the bounds leave generous room and stop a gzip bomb or a million empty
/// files long before the disk or the inodes run out.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    entries: u64,
    bytes: u64,
}

impl Bounds {
    const SDK: Bounds = Bounds { entries: 100_000, bytes: 2 << 30 };
}

/// Streams `archive` through gunzip and tar into `staging`, which must be fresh and private.
///
/// Every entry is checked before it is written: only files and directories, only under `go/`,
/// no `..`. Because no link is ever created in a directory nobody else can write to, joining the
/// checked components onto `staging` cannot land outside it, so this skips the two
/// `canonicalize` calls `Entry::unpack_in` makes per entry.
///
/// At most `bounds.entries` entries and `bounds.bytes` bytes of file content (the sum of the
/// entries' sizes, checked from each header before its content is written).
fn unpack(archive: &Path, staging: &Path, bounds: Bounds) -> Result<(), ExtractError> {
    let file = File::open(archive).map_err(io_err("open", archive))?;
    // GzDecoder buffers its input itself.
    let mut ar = Archive::new(GzDecoder::new(file));
    ar.set_preserve_permissions(true);
    ar.set_mask(MODE_MASK);
    ar.set_preserve_ownerships(false);
    ar.set_unpack_xattrs(false);
    ar.set_overwrite(false);
    ar.set_preserve_mtime(true);

    let stream_err = |e: io::Error| classify(e, archive, staging);
    let mut made: HashSet<PathBuf> = HashSet::new();
    made.insert(staging.to_path_buf());
    let (mut entries, mut bytes) = (0u64, 0u64);
    for entry in ar.entries().map_err(stream_err)? {
        let mut entry = entry.map_err(stream_err)?;
        let kind = entry.header().entry_type();
        entries += 1;
        bytes = bytes.saturating_add(entry.header().size().unwrap_or(u64::MAX));
        if entries > bounds.entries || bytes > bounds.bytes {
            return Err(ExtractError::TooBig {
                archive: archive.into(),
                what: if entries > bounds.entries {
                    format!("more than {} entries", bounds.entries)
                } else {
                    format!("more than {} MiB of files", bounds.bytes >> 20)
                },
            });
        }
        if kind == EntryType::XGlobalHeader {
            // pax global metadata: creates nothing, and the crate applies none of it.
            continue;
        }
        let name = entry.path_bytes().into_owned();
        let refuse = |reason: String| ExtractError::Refused {
            archive: archive.into(),
            entry: String::from_utf8_lossy(&name).escape_debug().to_string(),
            reason,
        };
        let parts = checked_parts(&name).map_err(|r| refuse(r.into()))?;
        match kind {
            EntryType::Regular if name.ends_with(b"/") => {
                return Err(refuse("ends in `/` but is not a directory entry".into()));
            }
            EntryType::Regular if parts.len() == 1 => {
                return Err(refuse("must be a directory".into()));
            }
            EntryType::Regular => {}
            EntryType::Directory => {
                let mode = entry.header().mode().map_err(stream_err)?;
                // A directory we cannot write into could not be filled or cleaned up.
                if mode & 0o700 != 0o700 {
                    return Err(refuse(format!("is a directory with mode {mode:o}")));
                }
            }
            EntryType::Symlink | EntryType::Link => {
                let what = if kind == EntryType::Symlink { "symbolic" } else { "hard" };
                let target = entry.link_name_bytes().unwrap_or_default();
                return Err(refuse(format!(
                    "is a {what} link (to `{}`); Go SDK archives hold only files and directories",
                    String::from_utf8_lossy(&target).escape_debug()
                )));
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                return Err(refuse(
                    "is a device or fifo; Go SDK archives hold only files and directories".into(),
                ));
            }
            other => {
                return Err(refuse(format!(
                    "has tar type {:?}; Go SDK archives hold only files and directories",
                    char::from(other.as_byte())
                )));
            }
        }

        let mut dst = staging.to_path_buf();
        dst.extend(parts);
        if let Some(parent) = dst.parent()
            && !made.contains(parent)
        {
            fs::create_dir_all(parent).map_err(stream_err)?;
            made.insert(parent.to_path_buf());
        }
        entry.unpack(&dst).map_err(|e| {
            // The staging directory is fresh and private: only the archive itself can clash.
            if e.kind() == io::ErrorKind::AlreadyExists {
                refuse("appears twice in the archive".into())
            } else {
                stream_err(e)
            }
        })?;
        if kind == EntryType::Directory {
            made.insert(dst);
        }
    }
    // Read to the end so a truncated or damaged gzip member fails its CRC and length check.
    io::copy(&mut ar.into_inner(), &mut io::sink()).map_err(stream_err)?;
    Ok(())
}

/// The components of an entry name, or why it is refused. `.` and empty components are
/// dropped, as every tar does.
fn checked_parts(name: &[u8]) -> Result<Vec<&OsStr>, &'static str> {
    if name.starts_with(b"/") {
        return Err("is an absolute path");
    }
    if name.contains(&b'\\') {
        return Err("contains a backslash");
    }
    if name.contains(&0) {
        return Err("contains a NUL byte");
    }
    let parts: Vec<&[u8]> =
        name.split(|&b| b == b'/').filter(|p| !p.is_empty() && *p != b".").collect();
    if parts.contains(&&b".."[..]) {
        return Err("contains a `..` component");
    }
    match parts.first() {
        Some(first) if *first == b"go" => Ok(parts.into_iter().map(OsStr::from_bytes).collect()),
        _ => Err("is outside `go/`"),
    }
}

/// Reading errors mean a damaged archive; the rest are the disk's (full, read-only, …).
fn classify(e: io::Error, archive: &Path, staging: &Path) -> ExtractError {
    use io::ErrorKind::{InvalidData, InvalidInput, Other, UnexpectedEof};
    match e.kind() {
        InvalidData | InvalidInput | UnexpectedEof | Other => {
            ExtractError::Corrupt { archive: archive.into(), source: e }
        }
        _ => ExtractError::Io {
            action: "unpack into",
            path: staging.parent().unwrap_or(staging).into(),
            source: e,
        },
    }
}

enum SdkProblem {
    NotADirectory,
    NoVersion,
    Version(String),
    NoPkgTool,
}

/// Is `root` a GOROOT for `go<version>`? Go's own test is that `pkg/tool` is a directory.
fn check_sdk(root: &Path, version: &str) -> Result<(), SdkProblem> {
    if !root.is_dir() {
        return Err(SdkProblem::NotADirectory);
    }
    match sdk_version(root) {
        None => return Err(SdkProblem::NoVersion),
        Some(found) if found != format!("go{version}") => return Err(SdkProblem::Version(found)),
        Some(_) => {}
    }
    if !root.join("pkg").join("tool").is_dir() {
        return Err(SdkProblem::NoPkgTool);
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), ExtractError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err("sync", dir))
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ExtractError {
    let path = path.to_path_buf();
    move |source| ExtractError::Io { action, path, source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::collections::BTreeSet;
    use std::os::unix::fs::PermissionsExt;
    use tar::{Builder, Header};

    const VERSION_1_22: &[u8] = b"go1.22.10\ntime 2024-11-27T18:23:00Z\n";

    /// Builds a `.tar.gz` in memory, including entries `tar::Builder` would refuse to write.
    struct Tgz(Builder<GzEncoder<Vec<u8>>>);

    impl Tgz {
        fn new() -> Self {
            Self(Builder::new(GzEncoder::new(Vec::new(), Compression::fast())))
        }

        fn dir(mut self, path: &str) -> Self {
            self.raw(path.as_bytes(), EntryType::Directory, 0o755, b"", b"");
            self
        }

        fn file(mut self, path: &str, mode: u32, data: &[u8]) -> Self {
            self.raw(path.as_bytes(), EntryType::Regular, mode, data, b"");
            self
        }

        /// Writes the header bytes directly: any name, any type, any link target.
        fn raw(&mut self, name: &[u8], kind: EntryType, mode: u32, data: &[u8], link: &[u8]) {
            let mut h = Header::new_gnu();
            h.as_old_mut().name[..name.len()].copy_from_slice(name);
            h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
            h.set_entry_type(kind);
            h.set_mode(mode);
            h.set_size(data.len() as u64);
            h.set_mtime(1_580_601_600);
            h.set_cksum();
            self.0.append(&h, data).unwrap();
        }

        fn with_raw(mut self, name: &[u8], kind: EntryType, data: &[u8], link: &[u8]) -> Self {
            self.raw(name, kind, 0o644, data, link);
            self
        }

        fn bytes(self) -> Vec<u8> {
            self.0.into_inner().unwrap().finish().unwrap()
        }
    }

    /// A small go.dev-shaped tree; `src/cmd/go` has no directory entries of its own.
    fn fake_sdk(version_file: &[u8]) -> Tgz {
        Tgz::new()
            .dir("go/")
            .file("go/VERSION", 0o644, version_file)
            .dir("go/bin/")
            .file("go/bin/go", 0o755, b"#!/bin/sh\necho fake go\n")
            .file("go/bin/gofmt", 0o755, b"#!/bin/sh\n")
            .dir("go/pkg/")
            .dir("go/pkg/tool/")
            .dir("go/pkg/tool/linux_amd64/")
            .file("go/pkg/tool/linux_amd64/compile", 0o755, b"\x7fELF fake")
            .file("go/src/cmd/go/main.go", 0o644, b"package main\n")
            .file("go/lib/time/zoneinfo.zip", 0o644, &[0u8; 3000])
    }

    struct Case {
        tmp: tempfile::TempDir,
        archive: PathBuf,
        sdk: PathBuf,
    }

    /// An archive written beside (not inside) an SDK directory that already holds another SDK.
    fn case(archive: &[u8]) -> Case {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("go.linux-amd64.tar.gz");
        fs::write(&path, archive).unwrap();
        let sdk = tmp.path().join("sdk");
        fs::create_dir_all(sdk.join("go1.21.13")).unwrap();
        fs::write(sdk.join("go1.21.13/VERSION"), "go1.21.13\n").unwrap();
        Case { tmp, archive: path, sdk }
    }

    fn listing(dir: &Path) -> BTreeSet<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    /// Installing `archive` as 1.22.10 fails with a message containing `needle`, and the SDK
    /// directory holds exactly what it held before.
    fn assert_refused(archive: &[u8], needle: &str) -> ExtractError {
        let c = case(archive);
        let before = listing(&c.sdk);
        let err = install_archive(&c.archive, &c.sdk, "1.22.10").unwrap_err();
        let message = err.to_string();
        assert!(message.contains(needle), "{message:?} does not contain {needle:?}");
        assert_eq!(listing(&c.sdk), before, "after {message}");
        assert!(!c.sdk.join("go1.22.10").exists());
        err
    }

    /// A gzip bomb's shape: a header announcing 3 GiB of content. The bound is checked on the
    /// header, before a byte of it is written (a real bomb of zeros compresses 1000:1).
    #[test]
    fn an_archive_unpacking_to_more_than_two_gib_is_refused_at_the_header() {
        let mut h = Header::new_gnu();
        h.set_path("go/VERSION").unwrap();
        h.set_entry_type(EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(3 << 30);
        h.set_cksum();
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        std::io::Write::write_all(&mut gz, h.as_bytes()).unwrap();
        std::io::Write::write_all(&mut gz, &[0u8; 4096]).unwrap();
        let err = assert_refused(&gz.finish().unwrap(), "more than 2048 MiB of files");
        assert!(matches!(err, ExtractError::TooBig { .. }), "{err:?}");
    }

    #[test]
    fn an_archive_over_the_entry_or_byte_bound_is_refused() {
        let c = case(&fake_sdk(VERSION_1_22).bytes());
        let staging = tempfile::tempdir_in(&c.sdk).unwrap();
        for (entries, ok) in [(11, true), (10, false)] {
            let dir = staging.path().join(entries.to_string());
            fs::create_dir(&dir).unwrap();
            let got = unpack(&c.archive, &dir, Bounds { entries, bytes: 1 << 20 });
            assert_eq!(got.is_ok(), ok, "{entries}: {got:?}");
            if let Err(e) = got {
                assert!(e.to_string().contains("more than 10 entries"), "{e}");
            }
        }
        // 3,000 bytes of zoneinfo and a few small files: over a 3,000-byte bound.
        let dir = staging.path().join("bytes");
        fs::create_dir(&dir).unwrap();
        let err = unpack(&c.archive, &dir, Bounds { entries: 100, bytes: 3000 }).unwrap_err();
        assert!(matches!(err, ExtractError::TooBig { .. }), "{err:?}");
    }

    #[test]
    fn installs_without_the_go_prefix_keeping_modes() {
        let c = case(&fake_sdk(VERSION_1_22).bytes());
        let root = install_archive(&c.archive, &c.sdk, "1.22.10").unwrap();
        assert_eq!(root, c.sdk.join("go1.22.10"));
        assert_eq!(listing(&c.sdk), BTreeSet::from(["go1.21.13".into(), "go1.22.10".into()]));
        assert_eq!(
            listing(&root),
            ["VERSION", "bin", "lib", "pkg", "src", MARKER].map(String::from).into()
        );
        assert_eq!(fs::metadata(root.join(MARKER)).unwrap().len(), 0);
        assert_eq!(mode(&root.join("bin/go")), 0o755);
        assert_eq!(mode(&root.join("pkg/tool/linux_amd64/compile")), 0o755);
        assert_eq!(mode(&root.join("src/cmd/go/main.go")), 0o644);
        assert_eq!(mode(&root), 0o755);
        assert_eq!(fs::read(root.join("bin/go")).unwrap(), b"#!/bin/sh\necho fake go\n");
        assert_eq!(fs::read(root.join("lib/time/zoneinfo.zip")).unwrap(), [0u8; 3000]);
        let mtime = fs::metadata(root.join("bin/go")).unwrap().modified().unwrap();
        assert_eq!(mtime.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(), 1_580_601_600);
        assert_eq!(sdk_version(&root).as_deref(), Some("go1.22.10"));
        assert_eq!(adopt(&c.sdk, "1.22.10").unwrap(), Some(root));
    }

    #[test]
    fn creates_a_missing_sdk_dir_and_removes_it_again_on_failure() {
        let c = case(&fake_sdk(VERSION_1_22).bytes());
        let fresh = c.tmp.path().join("a/b/sdk");
        let root = install_archive(&c.archive, &fresh, "1.22.10").unwrap();
        assert!(root.join("bin/go").is_file());

        let bad = c.tmp.path().join("bad.tar.gz");
        fs::write(&bad, b"not gzip").unwrap();
        let other = c.tmp.path().join("c/sdk");
        assert!(install_archive(&bad, &other, "1.22.10").is_err());
        assert!(!other.exists());
        assert!(c.tmp.path().join("c").exists(), "only the leaf is removed");
    }

    #[test]
    fn an_archive_without_directory_entries_installs() {
        let archive = Tgz::new()
            .file("go/VERSION", 0o644, b"go1.22.10")
            .file("go/bin/go", 0o755, b"x")
            .file("go/pkg/tool/linux_amd64/vet", 0o755, b"x")
            .bytes();
        let c = case(&archive);
        let root = install_archive(&c.archive, &c.sdk, "1.22.10").unwrap();
        assert_eq!(mode(&root.join("bin/go")), 0o755);
    }

    #[test]
    fn setuid_and_group_write_bits_are_dropped() {
        let archive = fake_sdk(VERSION_1_22).file("go/bin/suid", 0o4777, b"x").bytes();
        let c = case(&archive);
        let root = install_archive(&c.archive, &c.sdk, "1.22.10").unwrap();
        assert_eq!(mode(&root.join("bin/suid")), 0o755);
    }

    #[test]
    fn refuses_parent_components() {
        let e = assert_refused(
            &fake_sdk(VERSION_1_22).with_raw(b"../evil", EntryType::Regular, b"x", b"").bytes(),
            "`../evil` contains a `..` component",
        );
        assert!(matches!(e, ExtractError::Refused { .. }));
        assert_refused(
            &fake_sdk(VERSION_1_22)
                .with_raw(b"go/../../evil", EntryType::Regular, b"", b"")
                .bytes(),
            "`go/../../evil` contains a `..` component",
        );
    }

    #[test]
    fn refuses_a_parent_component_in_a_gnu_long_name() {
        let mut long = b"go/".to_vec();
        long.extend(b"a/".repeat(60));
        long.extend(b"../../../../../../../../../../../../../../../../../../../../../../../../");
        long.extend(b"../../../../../../../../../../../../../../../../../../../../../../../../");
        long.extend(b"../../../../../../../../../../../../../../../evil");
        let mut tgz = fake_sdk(VERSION_1_22);
        tgz.raw(b"././@LongLink", EntryType::GNULongName, 0o644, &long, b"");
        let archive = tgz.with_raw(b"go/short", EntryType::Regular, b"x", b"").bytes();
        assert_refused(&archive, "contains a `..` component");
    }

    #[test]
    fn refuses_absolute_paths() {
        assert_refused(
            &fake_sdk(VERSION_1_22).with_raw(b"/abs", EntryType::Regular, b"x", b"").bytes(),
            "`/abs` is an absolute path",
        );
        assert_refused(
            &fake_sdk(VERSION_1_22).with_raw(b"/go/bin/x", EntryType::Regular, b"", b"").bytes(),
            "is an absolute path",
        );
    }

    #[test]
    fn refuses_symlinks_and_hard_links() {
        assert_refused(
            &fake_sdk(VERSION_1_22)
                .with_raw(b"go/evil", EntryType::Symlink, b"", b"/etc/passwd")
                .bytes(),
            "`go/evil` is a symbolic link (to `/etc/passwd`)",
        );
        assert_refused(
            &fake_sdk(VERSION_1_22)
                .with_raw(b"go/bin/go2", EntryType::Link, b"", b"go/bin/go")
                .bytes(),
            "`go/bin/go2` is a hard link (to `go/bin/go`)",
        );
    }

    #[test]
    fn refuses_devices_fifos_and_other_types() {
        for kind in [EntryType::Fifo, EntryType::Char, EntryType::Block] {
            assert_refused(
                &fake_sdk(VERSION_1_22).with_raw(b"go/dev", kind, b"", b"").bytes(),
                "`go/dev` is a device or fifo",
            );
        }
        assert_refused(
            &fake_sdk(VERSION_1_22).with_raw(b"go/c", EntryType::Continuous, b"", b"").bytes(),
            "`go/c` has tar type '7'",
        );
    }

    #[test]
    fn refuses_anything_outside_go() {
        assert_refused(
            &fake_sdk(VERSION_1_22).file("other/x", 0o644, b"x").bytes(),
            "`other/x` is outside `go/`",
        );
        assert_refused(
            &fake_sdk(VERSION_1_22).file("gox/file", 0o644, b"x").bytes(),
            "`gox/file` is outside `go/`",
        );
        assert_refused(&Tgz::new().file("go", 0o644, b"x").bytes(), "`go` must be a directory");
        assert_refused(
            &fake_sdk(VERSION_1_22).with_raw(b"go/x\\y", EntryType::Regular, b"", b"").bytes(),
            "contains a backslash",
        );
    }

    #[test]
    fn refuses_a_directory_it_could_not_write_into() {
        let mut tgz = fake_sdk(VERSION_1_22);
        tgz.raw(b"go/ro/", EntryType::Directory, 0o555, b"", b"");
        assert_refused(&tgz.file("go/ro/x", 0o644, b"x").bytes(), "directory with mode 555");
    }

    #[test]
    fn refuses_a_duplicate_file() {
        let archive = fake_sdk(VERSION_1_22).file("go/bin/go", 0o755, b"again").bytes();
        assert_refused(&archive, "`go/bin/go` appears twice in the archive");
    }

    #[test]
    fn refuses_another_version() {
        let e = assert_refused(
            &fake_sdk(b"go1.23.9\ntime 2025-04-30T18:13:34Z\n").bytes(),
            "holds go1.23.9, not go1.22.10",
        );
        assert!(matches!(e, ExtractError::WrongVersion { .. }));
    }

    #[test]
    fn refuses_an_archive_that_is_not_an_sdk() {
        let no_version = Tgz::new().file("go/pkg/tool/linux_amd64/vet", 0o755, b"x").bytes();
        assert_refused(&no_version, "has no `go/VERSION`");
        let no_tool = Tgz::new().file("go/VERSION", 0o644, VERSION_1_22).dir("go/pkg/").bytes();
        assert_refused(&no_tool, "has no `go/pkg/tool` directory");
        let tool_file =
            Tgz::new().file("go/VERSION", 0o644, VERSION_1_22).file("go/pkg/tool", 0o755, b"x");
        assert_refused(&tool_file.bytes(), "has no `go/pkg/tool` directory");
        assert_refused(&Tgz::new().bytes(), "has no `go/VERSION`");
    }

    #[test]
    fn refuses_corrupt_gzip() {
        let mut archive = fake_sdk(VERSION_1_22).bytes();
        let middle = archive.len() / 2;
        for b in &mut archive[middle..middle + 16] {
            *b ^= 0x55;
        }
        assert_refused(&archive, "is not a complete .tar.gz file");
        assert_refused(b"<html>404 not found</html>\n", "is not a complete .tar.gz file");
        assert_refused(b"", "is not a complete .tar.gz file");
    }

    #[test]
    fn refuses_truncated_archives() {
        let archive = fake_sdk(VERSION_1_22).bytes();
        for keep in
            [10, archive.len() / 3, archive.len() / 2, archive.len() - 30, archive.len() - 4]
        {
            assert_refused(&archive[..keep], "is not a complete .tar.gz file");
        }
    }

    #[test]
    fn refuses_an_existing_destination_and_leaves_it_alone() {
        let c = case(&fake_sdk(VERSION_1_22).bytes());
        fs::create_dir(c.sdk.join("go1.22.10")).unwrap();
        fs::write(c.sdk.join("go1.22.10/mine"), "keep").unwrap();
        let before = listing(&c.sdk);
        let err = install_archive(&c.archive, &c.sdk, "1.22.10").unwrap_err();
        assert!(matches!(err, ExtractError::Exists { .. }), "{err}");
        assert_eq!(listing(&c.sdk), before);
        assert_eq!(fs::read_to_string(c.sdk.join("go1.22.10/mine")).unwrap(), "keep");
    }

    #[test]
    fn refuses_versions_that_are_not_a_path_component() {
        let c = case(&fake_sdk(VERSION_1_22).bytes());
        for v in ["", "go1.22.10", "../1.22", "1.22/x", ".", "1.22.10 "] {
            let err = install_archive(&c.archive, &c.sdk, v).unwrap_err();
            assert!(matches!(err, ExtractError::BadVersion(_)), "{v:?}: {err}");
            assert!(matches!(adopt(&c.sdk, v), Err(ExtractError::BadVersion(_))));
        }
        assert_eq!(listing(&c.sdk), BTreeSet::from(["go1.21.13".into()]));
    }

    #[test]
    fn adopt_finds_a_complete_sdk() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(adopt(tmp.path(), "1.22.10").unwrap(), None);
        assert_eq!(adopt(&tmp.path().join("missing"), "1.22.10").unwrap(), None);

        // What `go1.22.10 download` leaves.
        let root = tmp.path().join("go1.22.10");
        fs::create_dir_all(root.join("pkg/tool/linux_amd64")).unwrap();
        fs::write(root.join("VERSION"), VERSION_1_22).unwrap();
        fs::write(root.join(MARKER), "").unwrap();
        assert_eq!(adopt(tmp.path(), "1.22.10").unwrap(), Some(root));
    }

    #[test]
    fn adopt_refuses_what_is_not_that_sdk() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("go1.22.10");
        let adopt_err = || adopt(tmp.path(), "1.22.10").unwrap_err().to_string();

        fs::write(&root, "x").unwrap();
        assert!(adopt_err().ends_with("not a complete go1.22.10 SDK: it is not a directory"));
        fs::remove_file(&root).unwrap();

        fs::create_dir_all(root.join("pkg/tool")).unwrap();
        assert!(adopt_err().contains("it has no `VERSION` file"), "{}", adopt_err());

        fs::write(root.join("VERSION"), "go1.23.9\ntime x\n").unwrap();
        assert!(adopt_err().contains("its `VERSION` file says go1.23.9"), "{}", adopt_err());

        fs::write(root.join("VERSION"), VERSION_1_22).unwrap();
        assert!(adopt_err().contains(".unpacked-success` marker"), "{}", adopt_err());

        fs::remove_dir(root.join("pkg/tool")).unwrap();
        fs::write(root.join(MARKER), "").unwrap();
        assert!(adopt_err().contains("no `pkg/tool` directory"), "{}", adopt_err());

        let err = adopt(tmp.path(), "1.22.10").unwrap_err();
        assert!(err.hint().is_some_and(|h| h.contains(MARKER)));
    }

    #[test]
    fn sdk_version_reads_the_first_line() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(sdk_version(tmp.path()), None);
        let cases: [(&[u8], Option<&str>); 5] = [
            (VERSION_1_22, Some("go1.22.10")),
            (b"go1.20.14", Some("go1.20.14")),
            (b"  go1.21.0-bigcorp \r\nrest", Some("go1.21.0-bigcorp")),
            (b"devel go1.23-abc123 Mon\n", Some("devel go1.23-abc123 Mon")),
            (b"\n", None),
        ];
        for (text, want) in cases {
            fs::write(tmp.path().join("VERSION"), text).unwrap();
            assert_eq!(sdk_version(tmp.path()).as_deref(), want);
        }
    }
}
