//! Probe: what the machine looks like now, read-only.
//!
//! It reads files (the Go env file, shell start-up files, goenv's generated files,
//! `environment.d`, VS Code's `settings.json`) and the Context's environment snapshot. It never writes and never starts a
//! process: planning must be fast and safe on any machine.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::context::{Context, Os};

mod delve;
mod sdk;
pub use crate::sdk::index::FetchedIndex;
pub use delve::{
    DELVE_MODULE, DlvState, dpkg_info, module_version, parse_dlv_version, read_dlv,
    reads_dpkg_lists, release_of,
};
pub use sdk::{LinkState, SdkState, path_with_go, read_link, read_sdk_dir, read_tree};

/// One path as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    Absent,
    Present {
        bytes: Vec<u8>,
        mode: u32,
    },
    /// Present but unreadable (permissions, a directory in the way): planning must stop.
    Unreadable(String),
    /// Present and readable, but this user cannot write it (a root-owned 0444 file in the home,
    /// a read-only file system): read like any file, never a target, as an editor would refuse.
    ReadOnly {
        bytes: Vec<u8>,
        mode: u32,
        reason: String,
    },
    /// A symbolic link whose chain ends at a missing file (`~/.bashrc -> dotfiles/missing`):
    /// writing it would create that file somewhere the user probably does not expect, so
    /// planning stops. `link` is the first link's target as written, `missing` where it ends.
    Dangling {
        link: PathBuf,
        missing: PathBuf,
    },
}

impl FileState {
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Present { bytes, .. } | Self::ReadOnly { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    pub fn exists(&self) -> bool {
        !matches!(self, Self::Absent)
    }
}

/// Reads one path, following symlinks (a symlinked rc file is read at its target).
pub fn read(path: &Path) -> FileState {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::read_link(path) {
            Ok(link) => FileState::Dangling {
                link,
                missing: crate::fsx::resolve(path).unwrap_or_else(|_| path.to_path_buf()),
            },
            Err(_) => FileState::Absent,
        },
        Err(e) => FileState::Unreadable(e.to_string()),
        Ok(m) if m.is_dir() => FileState::Unreadable("it is a directory".into()),
        // a FIFO would block the read forever; a device or socket is no start-up file either
        Ok(m) if !m.is_file() => {
            FileState::Unreadable("it is not a regular file (a FIFO, socket or device)".into())
        }
        Ok(m) => match std::fs::read(path) {
            Ok(bytes) => {
                let mode = m.permissions().mode() & 0o7777;
                match rustix::fs::access(path, rustix::fs::Access::WRITE_OK) {
                    Ok(()) => FileState::Present { bytes, mode },
                    Err(e) => {
                        use std::os::unix::fs::MetadataExt;
                        let reason = if e == rustix::io::Errno::ROFS {
                            "it is on a read-only file system".to_owned()
                        } else {
                            format!(
                                "you cannot write it (owner uid {}, mode {:04o})",
                                m.uid(),
                                mode
                            )
                        };
                        FileState::ReadOnly { bytes, mode, reason }
                    }
                }
            }
            Err(e) => FileState::Unreadable(e.to_string()),
        },
    }
}

/// What a binary is built for (every slice of a universal Mach-O), or why that is unknown.
pub type Arches = Result<Vec<(crate::gobin::BinaryOs, crate::gobin::BinaryArch)>, String>;

/// The machine's files that matter to a plan.
#[derive(Debug, Default, Clone)]
pub struct Observed {
    pub files: BTreeMap<PathBuf, FileState>,
    /// Directories found to exist (e.g. `~/.config/fish`, which means fish is configured).
    pub dirs: BTreeSet<PathBuf>,
    /// Symbolic links goenv manages or may create (`~/sdk/current`).
    pub links: BTreeMap<PathBuf, LinkState>,
    /// SDK directories (`~/sdk/go1.22.10`) found in the SDK directories probed.
    pub sdks: BTreeMap<PathBuf, SdkState>,
    /// Directories of the environment's PATH that hold a `go` executable, in PATH order.
    pub path_go: Vec<PathBuf>,
    /// On an arm64 Mac, the first PATH `go` and what it is built for (the fixes build with it
    /// when the profile has no SDK).
    pub path_go_arches: Option<(PathBuf, Arches)>,
    /// The download index, when the plan needs one (fetched by the caller, not the probe).
    pub index: Option<FetchedIndex>,
    /// The `dlv` of the profile's `delve` node.
    pub delve: Option<DlvState>,
    /// Another `dlv` VS Code debugs with (`go.alternateTools.dlv`).
    pub editor_dlv: Option<DlvState>,
    /// The `*.conf` names in each listed directory that exists (systemd drop-in directories),
    /// sorted; their files are in `files`.
    pub listings: BTreeMap<PathBuf, Vec<String>>,
    /// The subdirectory names of each directory of [`Reads::subdirs`] that exists, sorted.
    pub subdirs: BTreeMap<PathBuf, Vec<String>>,
    /// For `go "system"`: the `go` each context finds, as doctor predicts it from files.
    pub system_go: Option<SystemGo>,
    /// The files the last generation manages, each with its content before goenv first wrote
    /// it (`None`: goenv created it): a unit sees what goes back when its node is removed (a
    /// unit's drop-in, whose removal the manager must hear of).
    pub managed_files: BTreeMap<PathBuf, Option<Vec<u8>>>,
    /// Of the processes [`crate::units::Then::processes`] names, whether each runs (`/proc/PID`
    /// exists); a process not listed counts as running.
    pub running: BTreeMap<u32, bool>,
}

/// The `go` the machine's contexts find on their PATH (goenv's own `<dir>/current/bin` left
/// out), predicted from files by doctor's model: what `go "system"` adopts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemGo {
    /// The login shell's context (`bash-login`): the one `go "system"` follows.
    pub context: String,
    /// What it finds: `Err` when its PATH cannot be known from files (why, and where).
    pub login: Result<Option<FoundGo>, String>,
    /// Every other context that finds another `go` (or none): its id and its `go`.
    pub others: Vec<(String, Option<PathBuf>)>,
    /// Where goenv looked (the login context's PATH), for a message.
    pub path: Option<String>,
}

/// A `go` on a context's PATH and the tree it runs from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundGo {
    /// As PATH finds it (`/usr/bin/go`).
    pub exe: PathBuf,
    /// Its GOROOT (links of `bin/go` resolved, as Go finds it: `/usr/lib/go-1.19`), or why
    /// there is none.
    pub goroot: Result<PathBuf, String>,
    /// `go1.19.8`, from the tree's `VERSION` or `bin/go`'s build info.
    pub version: Option<String>,
}

/// What the engine must read from the machine before planning.
#[derive(Debug, Default)]
pub struct Reads {
    /// Files, read whole (a missing one is fine).
    pub files: Vec<PathBuf>,
    /// Directories whose existence matters.
    pub dirs: Vec<PathBuf>,
    /// Directories of SDKs (`~/sdk`): every `go*` tree and the `current` link in them.
    pub sdk_dirs: Vec<PathBuf>,
    /// SDK trees named where they lie (`root "/usr/local/go"`), each read as one SDK.
    pub sdk_roots: Vec<PathBuf>,
    /// Directories whose `*.conf` files are read, each one (systemd drop-in directories).
    pub listed: Vec<PathBuf>,
    /// Directories whose subdirectories are listed, with files read in each (GoLand's
    /// configuration directories under `JetBrains/`).
    pub subdirs: Vec<Subdirs>,
}

/// A directory whose subdirectories matter, and the files read in each of them.
#[derive(Debug, Clone)]
pub struct Subdirs {
    pub dir: PathBuf,
    /// Relative paths read in every subdirectory.
    pub files: Vec<&'static str>,
}

impl Observed {
    /// Reads everything `reads` names: each file once, which directories exist, and every SDK
    /// directory.
    pub fn read(reads: &Reads) -> Self {
        Self::read_paths(reads.files.iter().map(PathBuf::as_path))
            .with_dirs(reads.dirs.iter().map(PathBuf::as_path))
            .with_sdk_dirs(reads.sdk_dirs.iter().map(PathBuf::as_path))
            .with_sdk_roots(reads.sdk_roots.iter().map(PathBuf::as_path))
            .with_listings(reads.listed.iter().map(PathBuf::as_path))
            .with_subdirs(&reads.subdirs)
    }

    /// Lists the subdirectories of each of `subdirs` that exists and reads their files.
    pub fn with_subdirs(mut self, subdirs: &[Subdirs]) -> Self {
        for s in subdirs {
            let Ok(entries) = std::fs::read_dir(&s.dir) else { continue };
            let mut names: Vec<String> = entries
                .filter_map(|e| {
                    let e = e.ok()?;
                    e.path().is_dir().then(|| e.file_name().into_string().ok())?
                })
                .collect();
            names.sort();
            for n in &names {
                for f in &s.files {
                    let p = s.dir.join(n).join(f);
                    self.files.entry(p.clone()).or_insert_with(|| read(&p));
                }
            }
            self.subdirs.insert(s.dir.clone(), names);
        }
        self
    }

    /// The subdirectory names found in `dir` (none when it was not listed or does not exist).
    pub fn subdir_names(&self, dir: &Path) -> &[String] {
        self.subdirs.get(dir).map_or(&[], Vec::as_slice)
    }

    /// Lists the `*.conf` names of each of `dirs` that exists and reads those files.
    pub fn with_listings<'a>(mut self, dirs: impl IntoIterator<Item = &'a Path>) -> Self {
        for dir in dirs {
            if self.listings.contains_key(dir) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".conf") && !n.starts_with('.'))
                .collect();
            names.sort();
            for n in &names {
                let p = dir.join(n);
                self.files.entry(p.clone()).or_insert_with(|| read(&p));
            }
            self.listings.insert(dir.to_path_buf(), names);
        }
        self
    }

    /// A listed directory's `*.conf` names, for tests and rules without a disk.
    pub fn with_listing(mut self, dir: impl Into<PathBuf>, names: &[&str]) -> Self {
        let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        names.sort();
        self.listings.insert(dir.into(), names);
        self
    }

    /// The `*.conf` names found in `dir` (none when it was not listed or does not exist).
    pub fn listing(&self, dir: &Path) -> &[String] {
        self.listings.get(dir).map_or(&[], Vec::as_slice)
    }

    /// A file's content, for tests and rules that run without a disk.
    pub fn with_file(mut self, path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.into(), FileState::Present { bytes: bytes.into(), mode: 0o644 });
        self
    }

    /// Reads every path in `paths` (each once).
    pub fn read_paths<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Self {
        let mut files = BTreeMap::new();
        for p in paths {
            files.entry(p.to_path_buf()).or_insert_with(|| read(p));
        }
        Self { files, ..Self::default() }
    }

    /// Also records which of `dirs` exist.
    pub fn with_dirs<'a>(mut self, dirs: impl IntoIterator<Item = &'a Path>) -> Self {
        self.dirs.extend(dirs.into_iter().filter(|d| d.is_dir()).map(Path::to_path_buf));
        self
    }

    pub fn get(&self, path: &Path) -> &FileState {
        self.files.get(path).unwrap_or(&FileState::Absent)
    }

    /// Reads every `go*` SDK directory and the `current` link in each of `dirs`.
    pub fn with_sdk_dirs<'a>(mut self, dirs: impl IntoIterator<Item = &'a Path>) -> Self {
        for dir in dirs {
            self.sdks.extend(read_sdk_dir(dir));
            let link = dir.join("current");
            let state = read_link(&link);
            self.links.insert(link, state);
        }
        self
    }

    /// Reads each of `roots` as one SDK tree (following links), wherever it lies.
    pub fn with_sdk_roots<'a>(mut self, roots: impl IntoIterator<Item = &'a Path>) -> Self {
        for root in roots {
            self.sdks.entry(root.to_path_buf()).or_insert_with(|| read_tree(root));
        }
        self
    }

    /// The state of an SDK directory (absent when it was not found).
    pub fn sdk(&self, path: &Path) -> Option<&SdkState> {
        self.sdks.get(path)
    }

    pub fn link(&self, path: &Path) -> LinkState {
        self.links.get(path).cloned().unwrap_or(LinkState::Absent)
    }
}

/// Where the Go command keeps the file `go env -w` writes, exactly as Go computes it
/// (`cmd/go/internal/cfg.EnvFile`): `$GOENV` when set and not `off`, else the OS config
/// directory's `go/env`. `None` when `GOENV=off` (Go then reads no file).
pub fn go_env_file(ctx: &Context) -> Option<PathBuf> {
    match ctx.env.get("GOENV").map(String::as_str) {
        Some("off") => None,
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => Some(match ctx.os {
            Os::Linux => ctx.config_home.join("go/env"),
            Os::Macos => ctx.home.join("Library/Application Support/go/env"),
        }),
    }
}

/// goenv's own generated files.
pub fn goenv_dir(ctx: &Context) -> PathBuf {
    ctx.config_home.join("goenv")
}

/// `*.conf` files in the user's environment.d, sorted by name (the order systemd applies them).
pub fn environment_d_files(ctx: &Context) -> Vec<PathBuf> {
    let dir = ctx.config_home.join("environment.d");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "conf"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::context::Arch;

    fn ctx(os: Os, env: &[(&str, &str)]) -> Context {
        let mut c = Context::hermetic("/h".into(), os, Arch::Amd64, "box".into());
        c.env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>();
        c
    }

    #[test]
    fn go_env_file_follows_go() {
        assert_eq!(go_env_file(&ctx(Os::Linux, &[])), Some(PathBuf::from("/h/.config/go/env")));
        assert_eq!(
            go_env_file(&ctx(Os::Macos, &[])),
            Some(PathBuf::from("/h/Library/Application Support/go/env"))
        );
        assert_eq!(
            go_env_file(&ctx(Os::Linux, &[("GOENV", "/etc/goenv")])),
            Some("/etc/goenv".into())
        );
        assert_eq!(go_env_file(&ctx(Os::Linux, &[("GOENV", "off")])), None);
        assert_eq!(
            go_env_file(&ctx(Os::Linux, &[("GOENV", "")])),
            Some("/h/.config/go/env".into())
        );
    }

    #[test]
    fn read_reports_absent_present_and_directories() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(read(&d.path().join("nope")), FileState::Absent);
        let f = d.path().join("f");
        std::fs::write(&f, b"a\r\n\xff").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read(&f), FileState::Present { bytes: b"a\r\n\xff".to_vec(), mode: 0o600 });
        assert!(matches!(read(d.path()), FileState::Unreadable(_)));
    }
}
