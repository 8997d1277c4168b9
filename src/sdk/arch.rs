//! arch: which machine an executable is for, read from its header alone (ELF, Mach-O, fat
//! Mach-O, PE). It serves the finding on the `go` node that an SDK's `bin/go` is built for
//! another architecture than the machine (on Apple silicon an amd64 SDK runs under Rosetta, on
//! Linux it does not run at all). It must never run the file, never read past the few header
//! bytes it needs, and never write.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

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

#[derive(Debug, thiserror::Error)]
pub enum ArchError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is too short to be an executable: it has {len} bytes, {needed}")]
    TooShort { path: PathBuf, len: u64, needed: String },
    #[error("`{path}` is not an ELF, Mach-O or PE executable")]
    Unknown { path: PathBuf },
    #[error("`{path}` has a malformed {format} header: {problem}")]
    Malformed { path: PathBuf, format: &'static str, problem: String },
}

/// The OS and CPU `path` is for. For a universal (fat) Mach-O this is its first architecture,
/// as Go's `debug/buildinfo` takes it; [`read_all_arches`] lists them all.
pub fn read_arch(path: &Path) -> Result<(BinaryOs, BinaryArch), ArchError> {
    let mut all = read_all_arches(path)?;
    if all.is_empty() {
        return Err(ArchError::Malformed {
            path: path.into(),
            format: "universal Mach-O",
            problem: "it lists no architectures".into(),
        });
    }
    Ok(all.swap_remove(0))
}

/// Every architecture in `path`: one for ELF, thin Mach-O and PE, each slice for a fat Mach-O.
pub fn read_all_arches(path: &Path) -> Result<Vec<(BinaryOs, BinaryArch)>, ArchError> {
    let mut h = Header::open(path)?;
    let magic = h.bytes(0, 4, "any executable header needs 4")?;
    match magic[..] {
        [0x7f, b'E', b'L', b'F'] => elf(&mut h).map(|arch| vec![(BinaryOs::Linux, arch)]),
        [0xcf | 0xce, 0xfa, 0xed, 0xfe] => macho(&mut h, false),
        [0xfe, 0xed, 0xfa, 0xcf | 0xce] => macho(&mut h, true),
        [0xca, 0xfe, 0xba, 0xbe | 0xbf] => fat(&mut h, magic[3] == 0xbf),
        [b'M', b'Z', ..] => pe(&mut h).map(|arch| vec![(BinaryOs::Windows, arch)]),
        _ => Err(ArchError::Unknown { path: path.into() }),
    }
}

/// The start of the file, and reads beyond it on demand (PE headers can sit anywhere).
struct Header<'a> {
    path: &'a Path,
    file: File,
    len: u64,
    head: Vec<u8>,
}

/// Every header but PE's fits here; a fat Mach-O with 32 slices needs 1,032 bytes.
const HEAD: u64 = 4096;

impl<'a> Header<'a> {
    fn open(path: &'a Path) -> Result<Self, ArchError> {
        let io_err = |source| ArchError::Io { path: path.into(), source };
        let file = File::open(path).map_err(io_err)?;
        let len = file.metadata().map_err(io_err)?.len();
        let mut head = Vec::new();
        (&file).take(HEAD).read_to_end(&mut head).map_err(io_err)?;
        Ok(Self { path, file, len, head })
    }

    /// `n` bytes at `offset`; `needed` says what they are for when the file ends first.
    fn bytes(&mut self, offset: u64, n: usize, needed: &str) -> Result<Vec<u8>, ArchError> {
        let end = offset.checked_add(n as u64).filter(|&end| end <= self.len);
        let Some(end) = end else {
            return Err(ArchError::TooShort {
                path: self.path.into(),
                len: self.len,
                needed: needed.to_string(),
            });
        };
        if let (Ok(start), Ok(end)) = (usize::try_from(offset), usize::try_from(end))
            && end <= self.head.len()
        {
            return Ok(self.head[start..end].to_vec());
        }
        let mut buf = vec![0; n];
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(&mut buf))
            .map_err(|source| ArchError::Io { path: self.path.into(), source })?;
        Ok(buf)
    }

    fn malformed(&self, format: &'static str, problem: String) -> ArchError {
        ArchError::Malformed { path: self.path.into(), format, problem }
    }
}

fn elf(h: &mut Header) -> Result<BinaryArch, ArchError> {
    let b = h.bytes(0, 20, "an ELF header needs 20")?;
    let big = match b[5] {
        1 => false,
        2 => true,
        other => return Err(h.malformed("ELF", format!("byte order {other} is neither 1 nor 2"))),
    };
    let wide = match b[4] {
        1 => false,
        2 => true,
        other => return Err(h.malformed("ELF", format!("class {other} is neither 1 nor 2"))),
    };
    let pair = [b[18], b[19]];
    let machine = if big { u16::from_be_bytes(pair) } else { u16::from_le_bytes(pair) };
    Ok(match machine {
        62 => BinaryArch::Amd64,
        183 => BinaryArch::Arm64,
        3 => other("386"),
        40 => other("arm"),
        8 => other(match (wide, big) {
            (false, true) => "mips",
            (false, false) => "mipsle",
            (true, true) => "mips64",
            (true, false) => "mips64le",
        }),
        21 => other(if big { "ppc64" } else { "ppc64le" }),
        22 => other("s390x"),
        243 => other("riscv64"),
        258 => other("loong64"),
        n => BinaryArch::Other(format!("e_machine {n}")),
    })
}

fn macho(h: &mut Header, big: bool) -> Result<Vec<(BinaryOs, BinaryArch)>, ArchError> {
    let b = h.bytes(4, 4, "a Mach-O header needs 8")?;
    let quad = [b[0], b[1], b[2], b[3]];
    let cputype = if big { u32::from_be_bytes(quad) } else { u32::from_le_bytes(quad) };
    Ok(vec![(BinaryOs::Macos, macho_cpu(cputype))])
}

/// Fat headers are big-endian. `0xcafebabe` is also a Java class file's magic; Java's next
/// field is a version of at least 45, so a slice count that large means "not Mach-O", the rule
/// `file(1)` uses.
fn fat(h: &mut Header, wide: bool) -> Result<Vec<(BinaryOs, BinaryArch)>, ArchError> {
    const MAX_SLICES: u32 = 32;
    let b = h.bytes(4, 4, "a universal Mach-O header needs 8")?;
    let count = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if count > MAX_SLICES {
        return Err(ArchError::Unknown { path: h.path.into() });
    }
    let size: u32 = if wide { 32 } else { 20 };
    let needed =
        format!("a universal Mach-O header with {count} slices needs {}", 8 + count * size);
    let mut arches = Vec::new();
    for i in 0..count {
        let b = h.bytes(u64::from(8 + i * size), 4, &needed)?;
        arches.push((BinaryOs::Macos, macho_cpu(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))));
    }
    if arches.is_empty() {
        return Err(h.malformed("universal Mach-O", "it lists no architectures".into()));
    }
    Ok(arches)
}

fn macho_cpu(cputype: u32) -> BinaryArch {
    match cputype {
        0x0100_0007 => BinaryArch::Amd64,
        0x0100_000c => BinaryArch::Arm64,
        7 => other("386"),
        12 => other("arm"),
        0x0200_000c => other("arm64_32"),
        18 => other("ppc"),
        0x0100_0012 => other("ppc64"),
        n => BinaryArch::Other(format!("cputype {n:#x}")),
    }
}

fn pe(h: &mut Header) -> Result<BinaryArch, ArchError> {
    let b = h.bytes(0x3c, 4, "a DOS header needs 64")?;
    let at = u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let needed = format!("its PE header at {at:#x} needs {}", at + 6);
    let b = h.bytes(at, 6, &needed)?;
    if b[..4] != *b"PE\0\0" {
        return Err(h.malformed("PE", format!("no `PE` signature at {at:#x} (a DOS program?)")));
    }
    Ok(match u16::from_le_bytes([b[4], b[5]]) {
        0x8664 => BinaryArch::Amd64,
        0xaa64 => BinaryArch::Arm64,
        0x014c => other("386"),
        0x01c4 => other("arm"),
        n => BinaryArch::Other(format!("machine {n:#06x}")),
    })
}

fn other(name: &str) -> BinaryArch {
    BinaryArch::Other(name.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bin");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    fn arch_of(bytes: &[u8]) -> Result<(BinaryOs, BinaryArch), ArchError> {
        let (_dir, path) = file_with(bytes);
        read_arch(&path)
    }

    fn message(bytes: &[u8]) -> String {
        arch_of(bytes).unwrap_err().to_string()
    }

    fn elf(class: u8, data: u8, machine: u16) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = class;
        b[5] = data;
        b[6] = 1;
        let m = if data == 2 { machine.to_be_bytes() } else { machine.to_le_bytes() };
        b[18..20].copy_from_slice(&m);
        b
    }

    fn macho(magic: u32, cputype: u32, big: bool) -> Vec<u8> {
        let mut b = Vec::new();
        if big {
            b.extend(magic.to_be_bytes());
            b.extend(cputype.to_be_bytes());
        } else {
            b.extend(magic.to_le_bytes());
            b.extend(cputype.to_le_bytes());
        }
        b.extend([0u8; 24]);
        b
    }

    fn fat(cputypes: &[u32], wide: bool) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(if wide { 0xcafe_babf_u32 } else { 0xcafe_babe_u32 }.to_be_bytes());
        b.extend((cputypes.len() as u32).to_be_bytes());
        for &cpu in cputypes {
            b.extend(cpu.to_be_bytes());
            b.extend([0u8; 4]);
            b.extend(vec![0u8; if wide { 24 } else { 12 }]);
        }
        b
    }

    fn pe(machine: u16, at: usize) -> Vec<u8> {
        let mut b = vec![0u8; at + 24];
        b[..2].copy_from_slice(b"MZ");
        b[0x3c..0x40].copy_from_slice(&(at as u32).to_le_bytes());
        b[at..at + 4].copy_from_slice(b"PE\0\0");
        b[at + 4..at + 6].copy_from_slice(&machine.to_le_bytes());
        b
    }

    #[test]
    fn reads_this_machines_ls() {
        let (os, arch) = read_arch(Path::new("/bin/ls")).unwrap();
        assert_eq!(os, BinaryOs::Linux);
        let host = match std::env::consts::ARCH {
            "x86_64" => BinaryArch::Amd64,
            "aarch64" => BinaryArch::Arm64,
            other => BinaryArch::Other(other.into()),
        };
        if matches!(host, BinaryArch::Amd64 | BinaryArch::Arm64) {
            assert_eq!(arch, host);
        }
    }

    #[test]
    fn reads_elf_of_both_byte_orders() {
        use BinaryArch::*;
        assert_eq!(arch_of(&elf(2, 1, 62)).unwrap(), (BinaryOs::Linux, Amd64));
        assert_eq!(arch_of(&elf(2, 1, 183)).unwrap(), (BinaryOs::Linux, Arm64));
        assert_eq!(arch_of(&elf(2, 2, 183)).unwrap().1, Arm64);
        assert_eq!(arch_of(&elf(2, 2, 62)).unwrap().1, Amd64);
        assert_eq!(arch_of(&elf(1, 1, 3)).unwrap().1, Other("386".into()));
        assert_eq!(arch_of(&elf(2, 2, 21)).unwrap().1, Other("ppc64".into()));
        assert_eq!(arch_of(&elf(2, 1, 21)).unwrap().1, Other("ppc64le".into()));
        assert_eq!(arch_of(&elf(2, 1, 4)).unwrap().1, Other("e_machine 4".into()));
        assert!(message(&elf(2, 3, 62)).contains("malformed ELF header: byte order 3"));
    }

    #[test]
    fn reads_thin_macho_of_both_byte_orders() {
        use BinaryArch::*;
        let mac = BinaryOs::Macos;
        assert_eq!(arch_of(&macho(0xfeed_facf, 0x0100_0007, false)).unwrap(), (mac, Amd64));
        assert_eq!(arch_of(&macho(0xfeed_facf, 0x0100_000c, false)).unwrap(), (mac, Arm64));
        assert_eq!(arch_of(&macho(0xfeed_facf, 0x0100_000c, true)).unwrap(), (mac, Arm64));
        assert_eq!(arch_of(&macho(0xfeed_face, 7, false)).unwrap(), (mac, Other("386".into())));
        let odd = arch_of(&macho(0xfeed_facf, 0x99, true)).unwrap().1;
        assert_eq!(odd, Other("cputype 0x99".into()));
        // The little-endian magic is stored as CF FA ED FE.
        assert_eq!(macho(0xfeed_facf, 0, false)[..4], [0xcf, 0xfa, 0xed, 0xfe]);
    }

    #[test]
    fn reads_every_slice_of_a_universal_macho() {
        use BinaryArch::*;
        let (_dir, path) = file_with(&fat(&[0x0100_0007, 0x0100_000c], false));
        let all = read_all_arches(&path).unwrap();
        assert_eq!(all, [(BinaryOs::Macos, Amd64), (BinaryOs::Macos, Arm64)]);
        assert_eq!(read_arch(&path).unwrap(), (BinaryOs::Macos, Amd64));

        let (_dir, path) = file_with(&fat(&[0x0100_000c, 0x0100_0007], true));
        assert_eq!(read_all_arches(&path).unwrap().len(), 2);
        assert_eq!(read_arch(&path).unwrap().1, Arm64);

        assert!(message(&fat(&[], false)).contains("lists no architectures"));
        let mut cut = fat(&[0x0100_0007, 0x0100_000c], false);
        cut.truncate(30);
        assert!(message(&cut).contains("with 2 slices needs 48"), "{}", message(&cut));
    }

    #[test]
    fn a_java_class_file_is_not_a_universal_macho() {
        let class = [0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x41, 0, 0];
        assert!(message(&class).ends_with("is not an ELF, Mach-O or PE executable"));
    }

    #[test]
    fn reads_pe_wherever_its_header_is() {
        use BinaryArch::*;
        let win = BinaryOs::Windows;
        assert_eq!(arch_of(&pe(0x8664, 0x80)).unwrap(), (win, Amd64));
        assert_eq!(arch_of(&pe(0xaa64, 0x80)).unwrap(), (win, Arm64));
        assert_eq!(arch_of(&pe(0x014c, 0x80)).unwrap(), (win, Other("386".into())));
        // Beyond the 4 KiB read up front.
        assert_eq!(arch_of(&pe(0xaa64, 10_000)).unwrap(), (win, Arm64));
        assert_eq!(arch_of(&pe(0x0200, 0x80)).unwrap().1, Other("machine 0x0200".into()));

        let mut dos = pe(0x8664, 0x80);
        dos[0x80] = b'X';
        assert!(message(&dos).contains("no `PE` signature at 0x80"));
        let mut far = pe(0x8664, 0x80);
        far[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(message(&far).contains("PE header at 0xffffffff needs"));
    }

    #[test]
    fn truncated_headers_say_so() {
        let cases: [(&[u8], &str); 6] = [
            (b"", "it has 0 bytes, any executable header needs 4"),
            (b"\x7fEL", "it has 3 bytes, any executable header needs 4"),
            (&elf(2, 1, 62)[..19], "it has 19 bytes, an ELF header needs 20"),
            (&macho(0xfeed_facf, 0x0100_000c, false)[..6], "a Mach-O header needs 8"),
            (b"MZ\x90\0", "it has 4 bytes, a DOS header needs 64"),
            (&pe(0x8664, 0x80)[..0x84], "its PE header at 0x80 needs 134"),
        ];
        for (bytes, needle) in cases {
            let m = message(bytes);
            assert!(m.contains("is too short to be an executable"), "{m}");
            assert!(m.contains(needle), "{m:?} does not contain {needle:?}");
        }
    }

    #[test]
    fn a_text_file_is_not_an_executable() {
        let m = message(b"#!/bin/sh\necho hello\n");
        assert!(m.ends_with("is not an ELF, Mach-O or PE executable"), "{m}");
        let (_dir, dir) = file_with(b"");
        let err = read_arch(dir.parent().unwrap()).unwrap_err();
        assert!(matches!(err, ArchError::Io { .. }), "{err}");
    }
}
