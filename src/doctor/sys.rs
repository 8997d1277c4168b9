//! The machine as doctor reads it: files, directories, owners, through one root.
//!
//! Every path doctor looks at is absolute. A path under the home is read where it is; any other
//! (`/etc/profile`, `/usr/bin/go`, `/proc/self/cgroup`) is read under `root`, which is `/` except
//! in tests (debug builds read `TEST_GOENV_SYSROOT`, as they read `TEST_GOENV_NOW`). Sys never
//! writes and never starts a process. It remembers every file it read, for `doctor -v`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// What `stat` says about a path, following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub dir: bool,
    pub file: bool,
    pub mode: u32,
    pub uid: u32,
    pub len: u64,
}

#[derive(Debug)]
pub struct Sys {
    root: PathBuf,
    home: PathBuf,
    /// The uid whose machine this is: the owner of the home directory.
    pub uid: u32,
    reads: RefCell<BTreeMap<PathBuf, &'static str>>,
    /// `stat` answers: every context searches the same PATH for the same names.
    stats: RefCell<std::collections::HashMap<PathBuf, Option<Stat>>>,
    /// File contents: many contexts read the same start-up files.
    contents: RefCell<std::collections::HashMap<PathBuf, Option<std::rc::Rc<[u8]>>>>,
}

impl Sys {
    pub fn new(root: PathBuf, home: PathBuf) -> Self {
        let uid = std::fs::metadata(&home).map_or(0, |m| m.uid());
        Self {
            root,
            home,
            uid,
            reads: RefCell::new(BTreeMap::new()),
            stats: RefCell::default(),
            contents: RefCell::default(),
        }
    }

    /// The root every path outside the home is read under: `/`, or `TEST_GOENV_SYSROOT` in debug
    /// builds (tests give doctor a fixed `/etc` that way).
    pub fn root_for_process() -> PathBuf {
        if cfg!(debug_assertions)
            && let Some(root) = std::env::var_os("TEST_GOENV_SYSROOT")
        {
            return PathBuf::from(root);
        }
        PathBuf::from("/")
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Where `path` really is on this machine.
    pub fn real(&self, path: &Path) -> PathBuf {
        if path.starts_with(&self.home) || self.root == Path::new("/") {
            return path.to_path_buf();
        }
        match path.strip_prefix("/") {
            Ok(rest) => self.root.join(rest),
            Err(_) => path.to_path_buf(),
        }
    }

    /// The root's own spelling back: a path found under the root, as the machine names it.
    pub fn unreal(&self, real: &Path) -> PathBuf {
        if self.root != Path::new("/")
            && !real.starts_with(&self.home)
            && let Ok(rest) = real.strip_prefix(&self.root)
        {
            return Path::new("/").join(rest);
        }
        real.to_path_buf()
    }

    pub fn stat(&self, path: &Path) -> Option<Stat> {
        if let Some(known) = self.stats.borrow().get(path) {
            return *known;
        }
        let stat = std::fs::metadata(self.real(path)).ok().map(|m| Stat {
            dir: m.is_dir(),
            file: m.is_file(),
            mode: m.permissions().mode(),
            uid: m.uid(),
            len: m.len(),
        });
        self.stats.borrow_mut().insert(path.to_path_buf(), stat);
        stat
    }

    /// Forgets what `stat` answered: after `--exec` ran real programs, which may have written.
    pub fn forget(&self) {
        self.stats.borrow_mut().clear();
        self.contents.borrow_mut().clear();
    }

    pub fn is_symlink(&self, path: &Path) -> bool {
        std::fs::symlink_metadata(self.real(path)).is_ok_and(|m| m.file_type().is_symlink())
    }

    pub fn exists(&self, path: &Path) -> bool {
        self.stat(path).is_some()
    }

    pub fn is_dir(&self, path: &Path) -> bool {
        self.stat(path).is_some_and(|s| s.dir)
    }

    pub fn is_file(&self, path: &Path) -> bool {
        self.stat(path).is_some_and(|s| s.file)
    }

    /// Whether the machine's user may execute `path` (a regular file with an x bit that applies).
    pub fn is_executable(&self, path: &Path) -> bool {
        self.stat(path).is_some_and(|s| s.file && self.may(s, 0o1))
    }

    pub fn is_readable(&self, path: &Path) -> bool {
        self.stat(path).is_some_and(|s| self.may(s, 0o4))
    }

    pub fn is_writable(&self, path: &Path) -> bool {
        self.stat(path).is_some_and(|s| self.may(s, 0o2))
    }

    fn may(&self, s: Stat, bit: u32) -> bool {
        if self.uid == 0 {
            // root reads and writes anything, and executes a file with any x bit
            return bit != 0o1 || s.mode & 0o111 != 0;
        }
        let shift = if s.uid == self.uid { 6 } else { 0 };
        (s.mode >> shift) & bit != 0 || (s.mode >> 3) & bit != 0
    }

    /// The bytes of a file, remembering why it was read.
    pub fn read(&self, path: &Path, why: &'static str) -> Option<Vec<u8>> {
        let cached = self.contents.borrow().get(path).cloned();
        let bytes = match cached {
            Some(b) => b?,
            None => {
                // only regular files: a FIFO at ~/.bashrc would block the read forever
                let real = self.real(path);
                let regular = std::fs::metadata(&real).is_ok_and(|m| m.is_file());
                let b: Option<std::rc::Rc<[u8]>> =
                    if regular { std::fs::read(&real).ok().map(Into::into) } else { None };
                self.contents.borrow_mut().insert(path.to_path_buf(), b.clone());
                b?
            }
        };
        self.reads.borrow_mut().entry(path.to_path_buf()).or_insert(why);
        Some(bytes.to_vec())
    }

    pub fn read_text(&self, path: &Path, why: &'static str) -> Option<String> {
        self.read(path, why).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Names in a directory, sorted bytewise (the C locale's order).
    pub fn list(&self, dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.real(dir))
            .map(|rd| rd.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// `path` with every symlink resolved, as the machine names it; `None` when it does not exist.
    pub fn canonical(&self, path: &Path) -> Option<PathBuf> {
        let real = std::fs::canonicalize(self.real(path)).ok()?;
        Some(self.unreal(&real))
    }

    /// Every file read so far and why, for `-v`.
    pub fn reads(&self) -> Vec<(PathBuf, &'static str)> {
        self.reads.borrow().iter().map(|(p, w)| (p.clone(), *w)).collect()
    }
}

/// `path` made absolute against `cwd` and cleaned lexically, as `filepath.Clean` does.
pub fn clean(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() { path.to_path_buf() } else { cwd.join(path) };
    let mut out = PathBuf::from("/");
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out
}
