//! gobin: what a Go executable is, read from the file without running it: the OS and CPU from
//! its header (ELF, Mach-O, universal Mach-O, PE), the Go version that built it, and its build
//! info (main package, modules, build settings), exactly as `go version -m` reports them.
//!
//! It owns the format headers (`elf`, `macho`, `pe`), the bounded reads they need
//! (`source`) and Go's build info blob and text (`buildinfo`, `quote`). It must never run
//! the file, never write, never read a whole file (only headers, the section holding the build
//! info and the strings it points to), and never panic on any input: every offset and length
//! from the file is checked before use.

mod buildinfo;
mod elf;
mod macho;
mod pe;
mod quote;
mod source;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use source::Source;

/// The operating system an executable format implies. ELF is reported as Linux, the only ELF
/// platform goenv installs SDKs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOs {
    Linux,
    Macos,
    Windows,
}

/// The CPU an executable is for. `Other` holds Go's name when it has one (`386`, `arm`,
/// `riscv64`, …) and the raw header field otherwise (`e_machine 4`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BinaryArch {
    Amd64,
    Arm64,
    Other(String),
}

/// GOOS spelling: `linux`, `darwin`, `windows`.
impl fmt::Display for BinaryOs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Linux => "linux",
            Self::Macos => "darwin",
            Self::Windows => "windows",
        })
    }
}

/// GOARCH spelling: `amd64`, `arm64`, or the `Other` text.
impl fmt::Display for BinaryArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Amd64 => f.write_str("amd64"),
            Self::Arm64 => f.write_str("arm64"),
            Self::Other(name) => f.write_str(name),
        }
    }
}

/// A Go executable as `go version -m` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoBinary {
    pub os: BinaryOs,
    pub arch: BinaryArch,
    /// The toolchain that built it, as recorded: `go1.25.5`, `devel go1.26-abc…`.
    pub go_version: String,
    /// `None` when the binary carries no module info (built outside module mode).
    pub info: Option<BuildInfo>,
}

/// Go's `runtime/debug.BuildInfo` without the Go version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// The main package's import path (`github.com/go-delve/delve/cmd/dlv`).
    pub path: String,
    /// The main module; `None` when Go records none (GOPATH builds, Go's own commands).
    pub main: Option<Module>,
    pub deps: Vec<Module>,
    /// `-ldflags`, `CGO_ENABLED`, `GOOS`, `vcs.revision`, … in the binary's order.
    pub settings: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Module {
    pub path: String,
    /// `v1.2.3`, a pseudo-version, `(devel)`, or empty.
    pub version: String,
    /// `h1:…`, or empty.
    pub sum: String,
    pub replace: Option<Box<Module>>,
}

impl BuildInfo {
    /// The value of the first build setting named `key`.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The lines `go version -m FILE` prints after `FILE: goVERSION`, each starting with a
    /// tab and ending with a newline; empty when there is nothing to print.
    pub fn render_like_go_version_m(&self) -> String {
        buildinfo::render(self)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GobinError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is not an executable goenv can read (ELF, Mach-O or PE)")]
    NotExecutable { path: PathBuf },
    #[error("`{path}` is an executable but was not built by Go: {reason}")]
    NotGo { path: PathBuf, reason: String },
    #[error(
        "`{path}` is truncated: {part} needs the file to be at least {end} bytes long, \
         it has {len}"
    )]
    Truncated { path: PathBuf, part: String, end: u64, len: u64 },
    #[error("`{path}` is corrupt: {part}: {problem}")]
    Corrupt { path: PathBuf, part: String, problem: String },
}

/// The name of the error type of the header-only readers, as goenv's `sdk::arch` called it.
pub type ArchError = GobinError;

/// The OS, CPU, Go version and build info of the executable at `path`. For a universal
/// Mach-O this is its first slice, as Go's `debug/buildinfo` takes it.
pub fn read(path: &Path) -> Result<GoBinary, GobinError> {
    read_from(&mut Source::open(path)?)
}

/// [`read`] for an executable already in memory; errors name the file `(bytes)`.
pub fn read_bytes(bytes: &[u8]) -> Result<GoBinary, GobinError> {
    read_from(&mut Source::bytes(Path::new("(bytes)"), bytes))
}

/// The OS and CPU `path` is for, from its header alone. For a universal (fat) Mach-O this is
/// its first architecture, as Go's `debug/buildinfo` takes it; [`read_all_arches`] lists them
/// all.
pub fn read_arch(path: &Path) -> Result<(BinaryOs, BinaryArch), GobinError> {
    let mut all = read_all_arches(path)?;
    if all.is_empty() {
        return Err(GobinError::Corrupt {
            path: path.into(),
            part: "its universal Mach-O header".into(),
            problem: "it lists no architectures".into(),
        });
    }
    Ok(all.swap_remove(0))
}

/// Every architecture in `path`: one for ELF, thin Mach-O and PE, each slice for a fat Mach-O.
pub fn read_all_arches(path: &Path) -> Result<Vec<(BinaryOs, BinaryArch)>, GobinError> {
    all_arches(&mut Source::open(path)?)
}

fn all_arches(src: &mut Source) -> Result<Vec<(BinaryOs, BinaryArch)>, GobinError> {
    Ok(match format(src)? {
        Format::Elf => vec![(BinaryOs::Linux, elf::arch(src)?)],
        Format::Macho => vec![(BinaryOs::Macos, macho::arch(src, 0)?)],
        Format::Fat { wide } => {
            macho::slices(src, wide)?.into_iter().map(|s| (BinaryOs::Macos, s.arch)).collect()
        }
        Format::Pe => vec![(BinaryOs::Windows, pe::arch(src)?)],
    })
}

fn read_from(src: &mut Source) -> Result<GoBinary, GobinError> {
    let image = match format(src)? {
        Format::Elf => elf::image(src)?,
        Format::Macho => macho::image(src, 0)?,
        Format::Fat { wide } => {
            let slices = macho::slices(src, wide)?;
            let Some(first) = slices.first() else {
                return Err(GobinError::NotExecutable { path: src.path() });
            };
            let end = first.offset.saturating_add(first.size);
            if end > src.len() {
                return Err(GobinError::Truncated {
                    path: src.path(),
                    part: "the first universal Mach-O slice".into(),
                    end,
                    len: src.len(),
                });
            }
            macho::image(src, first.offset)?
        }
        Format::Pe => pe::image(src)?,
    };
    let (go_version, modinfo) = buildinfo::read_raw(src, &image)?;
    let info = match modinfo {
        None => None,
        Some(text) => {
            Some(buildinfo::parse(&text).map_err(|(line, problem)| GobinError::Corrupt {
                path: src.path(),
                part: "its Go build info".into(),
                problem: format!("line {line}: {problem}"),
            })?)
        }
    };
    Ok(GoBinary { os: image.os, arch: image.arch, go_version, info })
}

enum Format {
    Elf,
    Macho,
    Fat { wide: bool },
    Pe,
}

fn format(src: &mut Source) -> Result<Format, GobinError> {
    let magic = src.read(0, 4, "any executable header")?;
    Ok(match magic[..] {
        [0x7f, b'E', b'L', b'F'] => Format::Elf,
        _ if macho::thin_order(&magic).is_some() => Format::Macho,
        [0xca, 0xfe, 0xba, 0xbe] => Format::Fat { wide: false },
        [0xca, 0xfe, 0xba, 0xbf] => Format::Fat { wide: true },
        [b'M', b'Z', ..] => Format::Pe,
        _ => return Err(GobinError::NotExecutable { path: src.path() }),
    })
}

/// Where a format reader says the build info is, and how to turn addresses into file offsets.
pub(crate) struct Image {
    pub(crate) os: BinaryOs,
    pub(crate) arch: BinaryArch,
    /// In the order Go tries them; the first that holds an address maps it.
    pub(crate) segments: Vec<Segment>,
    /// The range to search for the build info, or why there is none.
    pub(crate) data: Result<DataRange, &'static str>,
}

/// File bytes `[offset, offset+filesz)` appear at virtual address `vaddr`.
pub(crate) struct Segment {
    pub(crate) vaddr: u64,
    pub(crate) filesz: u64,
    pub(crate) offset: u64,
}

pub(crate) struct DataRange {
    pub(crate) addr: u64,
    pub(crate) size: u64,
    /// For messages: `its .go.buildinfo section`.
    pub(crate) what: &'static str,
}

/// Fixed-offset integers in a header of either byte order. A field past the end of the bytes
/// reads as 0; callers read whole headers first, so that only happens on their own mistakes.
pub(crate) struct Fields<'a> {
    b: &'a [u8],
    big: bool,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(b: &'a [u8], big: bool) -> Self {
        Self { b, big }
    }

    pub(crate) fn bytes(&self, at: usize, n: usize) -> &'a [u8] {
        at.checked_add(n).and_then(|end| self.b.get(at..end)).unwrap_or_default()
    }

    fn array<const N: usize>(&self, at: usize) -> [u8; N] {
        self.bytes(at, N).try_into().unwrap_or([0; N])
    }

    pub(crate) fn u16(&self, at: usize) -> u16 {
        let a = self.array(at);
        if self.big { u16::from_be_bytes(a) } else { u16::from_le_bytes(a) }
    }

    pub(crate) fn u32(&self, at: usize) -> u32 {
        let a = self.array(at);
        if self.big { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) }
    }

    pub(crate) fn u64(&self, at: usize) -> u64 {
        let a = self.array(at);
        if self.big { u64::from_be_bytes(a) } else { u64::from_le_bytes(a) }
    }
}

fn other(name: &str) -> BinaryArch {
    BinaryArch::Other(name.into())
}

#[cfg(test)]
mod tests;
