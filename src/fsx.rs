//! fsx: the only code that replaces or removes the user's files. A write goes to a temporary
//! file beside the real file, keeps its mode (and owner, when run as root), is fsynced, renamed
//! over the target, and the directory is fsynced, so every file is wholly old or wholly new. A
//! symlinked file (stow, chezmoi, home-manager) is written at its final target and the link stays
//! a link. This module must never decide *what* to write, never delete a directory, and never
//! replace a symlink with a regular file.

use std::fs::{self, DirBuilder, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt, fchown};
use std::path::{Path, PathBuf};

/// Linux's own limit on symlinks followed in one lookup.
const MAX_HOPS: usize = 40;

/// The final target of `path` after following every symlink (relative targets are resolved
/// against the link's directory). Returns `path` itself when it is not a link or is absent, and
/// the dangling target when the chain ends at a missing file.
pub(crate) fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..=MAX_HOPS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("more than {MAX_HOPS} symbolic links from `{}`", path.display())))
}

/// Atomically replaces the content of `path` (or of its final symlink target). An existing file
/// keeps its mode and owner; a new one gets `new_mode` less the process's umask, as `open(2)`
/// would give it. A `new_mode` with no group or other bits (`0600`: the file holds a secret) is
/// private whatever the file had: an existing file loses its group and other bits too. Missing
/// parent directories are created.
pub(crate) fn replace_file(path: &Path, contents: &[u8], new_mode: u32) -> io::Result<()> {
    let real = resolve(path)?;
    let existing = prepare_target(path, &real)?;
    let dir = parent_dir(&real);
    let mut tmp = tempfile::Builder::new().prefix(".goenv-").tempfile_in(dir)?;
    set_owner_and_mode(tmp.as_file(), new_mode, existing.as_ref())?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&real).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Checks the final target `real` of `path` before a write and creates its directory: a
/// dangling link is an error (its target may be a dotfiles checkout that is elsewhere), and so
/// is a directory. Returns the existing file's metadata.
fn prepare_target(path: &Path, real: &Path) -> io::Result<Option<fs::Metadata>> {
    if real != path && !fs::exists(real)? {
        // A dangling link: its target may be a dotfiles checkout that is elsewhere.
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "`{}` is a symbolic link to `{}`, which does not exist, and goenv does not create a link's target",
                path.display(),
                real.display()
            ),
        ));
    }
    let dir = parent_dir(real);
    create_dirs(dir)?;
    let existing = match fs::metadata(real) {
        Ok(meta) if meta.is_dir() => {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("`{}` is a directory", real.display()),
            ));
        }
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    Ok(existing)
}

/// An existing file's owner (when root edits another user's file) and mode; a new file's
/// `new_mode` less the umask, as `open(2)` would give it. A `new_mode` with no group or other
/// bits (a file holding a secret) is private whatever the file had.
fn set_owner_and_mode(
    file: &File,
    new_mode: u32,
    existing: Option<&fs::Metadata>,
) -> io::Result<()> {
    // chown before chmod: chown clears setuid/setgid bits.
    if let Some(meta) = existing {
        keep_owner(file, meta)?;
    }
    let mut mode = existing.map_or(new_mode & !umask(), mode_of);
    if new_mode & 0o077 == 0 {
        mode &= !0o077;
    }
    file.set_permissions(fs::Permissions::from_mode(mode))
}

/// The prefix of a transaction step's companion file, `.goenv-<generation>-<step>`.
pub(crate) const COMPANION_PREFIX: &str = ".goenv-";

/// Whether `name` is a companion's name: `.goenv-<digits>-<digits>`.
pub(crate) fn is_companion_name(name: &str) -> bool {
    name.strip_prefix(COMPANION_PREFIX).and_then(|rest| rest.split_once('-')).is_some_and(
        |(g, s)| {
            !g.is_empty()
                && !s.is_empty()
                && g.bytes().all(|b| b.is_ascii_digit())
                && s.bytes().all(|b| b.is_ascii_digit())
        },
    )
}

/// Where step `step` of generation `generation` keeps its companion: `.goenv-<generation>-<step>`
/// in the directory of `path`'s final target. The journal's generation and step number name it,
/// so recovery finds it without any other record. It first holds the step's new content; once
/// [`swap`] has put that in place it holds what the path held before (the old file itself: same
/// bytes, mode and owner), so putting the path back is one rename, which needs no free space.
pub(crate) fn companion(path: &Path, generation: u32, step: usize) -> io::Result<PathBuf> {
    let real = resolve(path)?;
    Ok(parent_dir(&real).join(format!("{COMPANION_PREFIX}{generation}-{step}")))
}

/// What [`swap`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swapped {
    /// The new content is in place; what it replaced is at the companion.
    Done,
    /// What the path held was not `expected`: someone wrote it since goenv read it. Their
    /// content is back in place (or was never touched) and the companion is gone.
    Changed,
}

/// Puts `contents` at `path` (or its final symlink target), or removes it for `None`, as one
/// step of a transaction, leaving what it replaced at `keep` (see [`companion`]) until the
/// transaction ends.
///
/// The new content is written to `keep` and exchanged with the path in one `renameat2(2)`
/// (`RENAME_EXCHANGE`), so what was really replaced is at hand afterwards, not only what goenv
/// read earlier: when it is not `expected` (an editor's save or a `go env -w` in between), the
/// user's content is exchanged back at once and [`Swapped::Changed`] returned; the companion
/// then holds goenv's content, or an older write of the user's that a newer one replaced,
/// which the caller's restore keeps as a blob. A file system
/// without exchange gets a check immediately before a plain rename (a window of a few
/// microseconds, and the old content only in the store's blob). A new file is renamed in with
/// `RENAME_NOREPLACE`, so a file someone created meanwhile is never replaced. Modes and owners
/// are as [`replace_file`] gives them.
///
/// `keep` is never removed here, not even on an error or [`Swapped::Changed`]: whatever it holds
/// then (goenv's new content, or the replaced file) is for the caller's restore to judge.
pub(crate) fn swap(
    path: &Path,
    contents: Option<&[u8]>,
    new_mode: u32,
    keep: &Path,
    expected: Option<&[u8]>,
) -> io::Result<Swapped> {
    let real = resolve(path)?;
    let dir = parent_dir(&real);
    remove_if_present(keep)?;
    let Some(contents) = contents else {
        return swap_out(&real, keep, expected);
    };
    let existing = prepare_target(path, &real)?;
    if existing.is_none() != expected.is_none() {
        return Ok(Swapped::Changed);
    }
    write_new(keep, contents, new_mode, existing.as_ref())?;
    let outcome = if existing.is_some() {
        swap_in(&real, keep, contents, expected)?
    } else {
        match rename_noreplace(keep, &real) {
            Ok(()) => Swapped::Done,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Swapped::Changed,
            Err(e) => return Err(e),
        }
    };
    sync_dir(dir)?;
    Ok(outcome)
}

/// Exchanges the written `keep` with the existing `real`, then checks what was replaced.
fn swap_in(
    real: &Path,
    keep: &Path,
    contents: &[u8],
    expected: Option<&[u8]>,
) -> io::Result<Swapped> {
    match exchange(keep, real) {
        Ok(()) => {
            if fs::read(keep)?.as_slice() == expected.unwrap_or_default() {
                return Ok(Swapped::Done);
            }
            // Someone's write: it goes back where it was. Exchanged back, not renamed: a
            // write into goenv's file in the meantime (through a descriptor opened after the
            // swap) is then at hand too, and, being the newest, is the one put in place.
            exchange(keep, real)?;
            if fs::read(keep)?.as_slice() != contents {
                exchange(keep, real)?;
            }
            sync_dir(parent_dir(real))?;
            Ok(Swapped::Changed)
        }
        Err(e) if unsupported(&e) => {
            if read_optional(real)?.map(|(b, _)| b).as_deref() != expected {
                return Ok(Swapped::Changed);
            }
            fs::rename(keep, real)?;
            Ok(Swapped::Done)
        }
        Err(e) => Err(e),
    }
}

/// Moves `real` to `keep` (a removal that keeps the old file), then checks what was moved.
fn swap_out(real: &Path, keep: &Path, expected: Option<&[u8]>) -> io::Result<Swapped> {
    let dir = parent_dir(real);
    match fs::symlink_metadata(real) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(if expected.is_none() { Swapped::Done } else { Swapped::Changed });
        }
        Err(e) => return Err(e),
        Ok(_) if expected.is_none() => return Ok(Swapped::Changed),
        Ok(_) => {}
    }
    rename_noreplace(real, keep)?;
    if fs::read(keep)?.as_slice() != expected.unwrap_or_default() {
        match rename_noreplace(keep, real) {
            // Someone created the file again meanwhile: theirs stays, the moved one too.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            other => other?,
        }
        sync_dir(dir)?;
        return Ok(Swapped::Changed);
    }
    sync_dir(dir)?;
    Ok(Swapped::Done)
}

/// Creates `path` (which must not exist) holding `contents`, durable, with the mode and owner
/// [`replace_file`] would give it.
fn write_new(
    path: &Path,
    contents: &[u8],
    new_mode: u32,
    existing: Option<&fs::Metadata>,
) -> io::Result<()> {
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    set_owner_and_mode(&file, new_mode, existing)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Removes a companion once its transaction is recorded (or undone). Absent is fine; returns
/// whether there was one.
pub(crate) fn remove_if_present(path: &Path) -> io::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// `renameat2(RENAME_EXCHANGE)`: both names stay, their files change places.
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    {
        let _ = (a, b);
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

/// A rename that fails with `AlreadyExists` instead of replacing `to`.
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE).map_err(io::Error::from) {
            Err(e) if unsupported(&e) => {}
            other => return other,
        }
    }
    if fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::from(io::ErrorKind::AlreadyExists));
    }
    fs::rename(from, to)
}

/// The errors of a file system (or kernel) that has no `renameat2` flags.
fn unsupported(e: &io::Error) -> bool {
    use rustix::io::Errno;
    e.kind() == io::ErrorKind::Unsupported
        || Errno::from_io_error(e).is_some_and(|n| {
            [Errno::INVAL, Errno::NOSYS, Errno::NOTSUP, Errno::OPNOTSUPP].contains(&n)
        })
}

/// The process's file mode creation mask, read once. On Linux from `/proc/self/status`, which
/// reads it without changing it; elsewhere by setting and restoring it (the first call happens
/// before goenv starts a thread that creates files).
pub(crate) fn umask() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        let from_proc = fs::read_to_string("/proc/self/status").ok().and_then(|s| {
            let line = s.lines().find_map(|l| l.strip_prefix("Umask:"))?;
            u32::from_str_radix(line.trim(), 8).ok()
        });
        from_proc.unwrap_or_else(|| {
            use rustix::fs::Mode;
            let old = rustix::process::umask(Mode::from_raw_mode(0o022));
            rustix::process::umask(old);
            #[allow(clippy::useless_conversion)] // mode_t is u16 on macOS
            u32::from(old.as_raw_mode())
        }) & 0o777
    })
}

/// The bytes and permission bits of `path`, following symlinks; `None` when it does not exist.
/// Only a regular file is read: a FIFO is opened without blocking (an open for reading would
/// wait for a writer forever) and refused, as are sockets and devices.
pub(crate) fn read_optional(path: &Path) -> io::Result<Option<(Vec<u8>, u32)>> {
    let nonblocking = rustix::fs::OFlags::NONBLOCK.bits() as i32;
    let mut file = match fs::OpenOptions::new().read(true).custom_flags(nonblocking).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`{}` is not a regular file (a FIFO, socket or device): goenv reads and replaces \
                 only regular files",
                path.display()
            ),
        ));
    }
    let mode = mode_of(&meta);
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Some((bytes, mode)))
}

/// Makes a rename or unlink in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// `create_dir_all` with mode 0755 (before umask) that also fsyncs each new directory's parent.
fn create_dirs(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let parent = parent_dir(dir);
    if dir.parent().is_some_and(|p| !p.as_os_str().is_empty()) {
        create_dirs(parent)?;
    }
    match DirBuilder::new().mode(0o755).create(dir) {
        Ok(()) => sync_dir(parent),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

fn mode_of(meta: &fs::Metadata) -> u32 {
    meta.permissions().mode() & 0o7777
}

/// Root editing another user's file gives it back to that user; anyone else cannot chown, and
/// the new file is theirs anyway.
fn keep_owner(tmp: &File, existing: &fs::Metadata) -> io::Result<()> {
    let ours = tmp.metadata()?;
    if ours.uid() == 0 && (ours.uid(), ours.gid()) != (existing.uid(), existing.gid()) {
        fchown(tmp, Some(existing.uid()), Some(existing.gid()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, symlink};

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) {
        fs::write(path, bytes).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn new_file_gets_new_mode_and_parents_are_created() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join(".config/go/env");
        replace_file(&path, b"GOTOOLCHAIN=local\n", 0o640).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"GOTOOLCHAIN=local\n");
        assert_eq!(mode(&path), 0o640);
        assert!(home.path().join(".config/go").is_dir());
    }

    #[test]
    fn existing_file_keeps_its_mode_and_content_is_exact() {
        let home = tempfile::tempdir().unwrap();
        for (name, old_mode) in [("secret", 0o600), ("script", 0o755)] {
            let path = home.path().join(name);
            write_with_mode(&path, b"old", old_mode);
            let bytes = b"a\r\nb\xff\xfe\x00c"; // CRLF, non-UTF-8, NUL, no final newline
            replace_file(&path, bytes, 0o644).unwrap();
            assert_eq!(fs::read(&path).unwrap(), bytes);
            assert_eq!(mode(&path), old_mode);
        }
        // no temporary files left behind
        assert_eq!(fs::read_dir(home.path()).unwrap().count(), 2);
    }

    #[test]
    fn relative_symlink_stays_a_link_and_target_is_written() {
        let home = tempfile::tempdir().unwrap();
        fs::create_dir(home.path().join("dotfiles")).unwrap();
        let target = home.path().join("dotfiles/bashrc");
        write_with_mode(&target, b"# mine\n", 0o600);
        let link = home.path().join(".bashrc");
        symlink("dotfiles/bashrc", &link).unwrap();

        replace_file(&link, b"# mine\n# goenv\n", 0o644).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("dotfiles/bashrc"));
        assert_eq!(fs::read(&target).unwrap(), b"# mine\n# goenv\n");
        assert_eq!(mode(&target), 0o600);
        assert_eq!(read_optional(&link).unwrap(), Some((b"# mine\n# goenv\n".to_vec(), 0o600)));
        assert_eq!(resolve(&link).unwrap(), home.path().join("dotfiles/bashrc"));
    }

    #[test]
    fn chain_of_two_links_writes_the_final_target() {
        let home = tempfile::tempdir().unwrap();
        fs::create_dir_all(home.path().join("a/b")).unwrap();
        let real = home.path().join("a/b/real");
        fs::write(&real, b"x").unwrap();
        symlink(&real, home.path().join("a/mid")).unwrap(); // absolute target
        symlink("a/mid", home.path().join("top")).unwrap(); // relative target

        replace_file(&home.path().join("top"), b"y", 0o644).unwrap();
        assert_eq!(fs::read(&real).unwrap(), b"y");
        for link in ["top", "a/mid"] {
            assert!(fs::symlink_metadata(home.path().join(link)).unwrap().is_symlink());
        }
    }

    #[test]
    fn removing_keeps_the_link_and_the_old_file_at_the_companion() {
        let home = tempfile::tempdir().unwrap();
        let link = home.path().join("link");
        fs::create_dir_all(home.path().join("sub/dir")).unwrap();
        fs::write(home.path().join("sub/dir/file"), b"old").unwrap();
        symlink("sub/dir/file", &link).unwrap();
        let keep = companion(&link, 3, 1).unwrap();
        assert_eq!(keep, home.path().join("sub/dir/.goenv-3-1"));
        assert_eq!(swap(&link, None, 0o644, &keep, Some(b"old")).unwrap(), Swapped::Done);
        assert!(!home.path().join("sub/dir/file").exists());
        assert_eq!(fs::read(&keep).unwrap(), b"old");
        assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
        // Absent is fine when absent is expected; a file that reappeared is someone's.
        assert_eq!(swap(&link, None, 0o644, &keep, None).unwrap(), Swapped::Done);
        assert_eq!(read_optional(&link).unwrap(), None);
        fs::write(home.path().join("sub/dir/file"), b"theirs").unwrap();
        assert_eq!(swap(&link, None, 0o644, &keep, Some(b"old")).unwrap(), Swapped::Changed);
        assert_eq!(fs::read(&link).unwrap(), b"theirs");
    }

    #[test]
    fn a_swap_keeps_the_replaced_file_and_gives_back_a_write_it_did_not_expect() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("env");
        write_with_mode(&path, b"A=1\n", 0o640);
        let keep = companion(&path, 7, 0).unwrap();
        assert_eq!(
            swap(&path, Some(b"A=2\n"), 0o644, &keep, Some(b"A=1\n")).unwrap(),
            Swapped::Done
        );
        assert_eq!(fs::read(&path).unwrap(), b"A=2\n");
        assert_eq!(mode(&path), 0o640);
        assert_eq!(fs::read(&keep).unwrap(), b"A=1\n", "the replaced file itself");
        // What is there is not what goenv read: the user's content stays in place.
        fs::write(&path, b"A=user\n").unwrap();
        let outcome = swap(&path, Some(b"A=3\n"), 0o644, &keep, Some(b"A=2\n")).unwrap();
        assert_eq!(outcome, Swapped::Changed);
        assert_eq!(fs::read(&path).unwrap(), b"A=user\n");
        assert_eq!(fs::read(&keep).unwrap(), b"A=3\n", "goenv's content, for the restore");
        fs::remove_file(&keep).unwrap();
        // A new file never replaces one created meanwhile.
        let new = home.path().join("new");
        let keep = companion(&new, 7, 1).unwrap();
        assert_eq!(swap(&new, Some(b"x"), 0o644, &keep, None).unwrap(), Swapped::Done);
        assert!(!keep.exists());
        assert_eq!(swap(&new, Some(b"y"), 0o644, &keep, None).unwrap(), Swapped::Changed);
        assert_eq!(fs::read(&new).unwrap(), b"x");
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let home = tempfile::tempdir().unwrap();
        let fifo = home.path().join(".bashrc");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let err = read_optional(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[test]
    fn companion_names() {
        assert!(is_companion_name(".goenv-12-0"));
        assert!(!is_companion_name(".goenv-12-"));
        assert!(!is_companion_name(".goenv-a1-0"));
        assert!(!is_companion_name(".goenv-sdk"));
    }

    #[test]
    fn a_dangling_link_is_not_written_through() {
        let home = tempfile::tempdir().unwrap();
        let link = home.path().join(".bashrc");
        symlink("dotfiles/missing", &link).unwrap();
        let e = replace_file(&link, b"x\n", 0o644).unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
        assert!(!home.path().join("dotfiles").exists());
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("dotfiles/missing"));
    }

    #[test]
    fn symlink_loop_is_an_error() {
        let home = tempfile::tempdir().unwrap();
        symlink("b", home.path().join("a")).unwrap();
        symlink("a", home.path().join("b")).unwrap();
        let err = replace_file(&home.path().join("a"), b"x", 0o644).unwrap_err();
        assert!(err.to_string().contains("symbolic links"), "{err}");
    }

    #[test]
    fn root_keeps_the_owner_of_someone_elses_file() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join(".profile");
        fs::write(&path, b"old").unwrap();
        if fs::metadata(&path).unwrap().uid() != 0 {
            return; // only root can hand a file to someone else
        }
        std::os::unix::fs::chown(&path, Some(1234), Some(2345)).unwrap();
        replace_file(&path, b"new", 0o644).unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (1234, 2345));
        assert_eq!(fs::read(&path).unwrap(), b"new");
    }
}
