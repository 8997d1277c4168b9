//! macho: the parts of a Mach-O file the build info reader needs: the CPU, the segments (to map
//! virtual addresses to file offsets) and the `__go_buildinfo` section; and the slice table of a
//! universal ("fat") file, whose first slice is the one Go reads. It must not read anything past
//! the load commands except through the segments it returns.

use super::source::Source;
use super::{BinaryArch, BinaryOs, DataRange, Fields, GobinError, Image, Segment, other};

const LC_SEGMENT: u32 = 0x1;
const LC_SEGMENT_64: u32 = 0x19;
/// `VM_PROT_READ | VM_PROT_WRITE`.
const RW: u32 = 3;
/// Real load command tables are a few KiB; anything beyond this is a corrupt header.
const MAX_COMMANDS: u64 = 1 << 24;
/// A fat header with more slices than this is a Java class file (same magic, then a version of
/// at least 45), the rule `file(1)` uses.
const MAX_SLICES: u32 = 32;
const BUILDINFO: &[u8] = b"__go_buildinfo";

/// One slice of a fat file: its CPU and where its thin Mach-O lies.
pub(crate) struct Slice {
    pub(crate) arch: BinaryArch,
    pub(crate) offset: u64,
    pub(crate) size: u64,
}

/// The byte order a thin Mach-O magic implies, or `None` for other magics.
pub(crate) fn thin_order(magic: &[u8]) -> Option<(bool, bool)> {
    match magic {
        [0xcf, 0xfa, 0xed, 0xfe, ..] => Some((true, false)),
        [0xce, 0xfa, 0xed, 0xfe, ..] => Some((false, false)),
        [0xfe, 0xed, 0xfa, 0xcf, ..] => Some((true, true)),
        [0xfe, 0xed, 0xfa, 0xce, ..] => Some((false, true)),
        _ => None,
    }
}

/// The CPU of the thin Mach-O at `base`.
pub(crate) fn arch(src: &mut Source, base: u64) -> Result<BinaryArch, GobinError> {
    let b = src.read(base, 8, "the Mach-O header")?;
    let Some((_, big)) = thin_order(&b) else {
        return Err(GobinError::Corrupt {
            path: src.path(),
            part: "its Mach-O header".into(),
            problem: "no Mach-O magic".into(),
        });
    };
    Ok(cpu(Fields::new(&b, big).u32(4)))
}

/// Every slice listed by a fat header; `wide` is the 64-bit form (`CA FE BA BF`). Fat headers
/// are big-endian.
pub(crate) fn slices(src: &mut Source, wide: bool) -> Result<Vec<Slice>, GobinError> {
    let b = src.read(4, 4, "the universal Mach-O header")?;
    let count = Fields::new(&b, true).u32(0);
    if count > MAX_SLICES {
        return Err(GobinError::NotExecutable { path: src.path() });
    }
    if count == 0 {
        return Err(GobinError::Corrupt {
            path: src.path(),
            part: "its universal Mach-O header".into(),
            problem: "it lists no architectures".into(),
        });
    }
    let size: u64 = if wide { 32 } else { 20 };
    let part = format!("the universal Mach-O header with {count} slices");
    let b = src.read(8, u64::from(count) * size, &part)?;
    let mut slices = Vec::new();
    for i in 0..count {
        let at = usize::try_from(u64::from(i) * size).unwrap_or(usize::MAX);
        let f = Fields::new(b.get(at..).unwrap_or_default(), true);
        let (offset, size) =
            if wide { (f.u64(8), f.u64(16)) } else { (u64::from(f.u32(8)), u64::from(f.u32(12))) };
        slices.push(Slice { arch: cpu(f.u32(0)), offset, size });
    }
    Ok(slices)
}

/// The thin Mach-O at `base` (0, or a fat slice's offset). Every file offset inside it is
/// relative to `base`.
pub(crate) fn image(src: &mut Source, base: u64) -> Result<Image, GobinError> {
    let corrupt = |src: &Source, part: &str, problem: String| GobinError::Corrupt {
        path: src.path(),
        part: part.into(),
        problem,
    };
    let b = src.read(base, 28, "the Mach-O header")?;
    let Some((wide, big)) = thin_order(&b) else {
        return Err(corrupt(src, "its Mach-O header", "no Mach-O magic".into()));
    };
    let f = Fields::new(&b, big);
    let arch = cpu(f.u32(4));
    let ncmds = f.u32(16);
    let sizeofcmds = u64::from(f.u32(20));
    if sizeofcmds > MAX_COMMANDS {
        let problem = format!("{sizeofcmds} bytes is too large");
        return Err(corrupt(src, "its load commands", problem));
    }
    let start = base.saturating_add(if wide { 32 } else { 28 });
    let cmds = src.read(start, sizeofcmds, "the Mach-O load commands")?;

    let mut segments = Vec::new();
    let mut found = None;
    let mut writable = None;
    let mut at = 0usize;
    for i in 0..ncmds {
        let f = Fields::new(cmds.get(at..).unwrap_or_default(), big);
        let (cmd, len) = (f.u32(0), f.u32(4));
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len < 8 || at.checked_add(len).is_none_or(|end| end > cmds.len()) {
            let problem = format!("command {i} of {ncmds} has a bad size {len}");
            return Err(corrupt(src, "its load commands", problem));
        }
        let body = cmds.get(at..at + len).unwrap_or_default();
        at += len;
        if cmd != LC_SEGMENT && cmd != LC_SEGMENT_64 {
            continue;
        }
        let seg64 = cmd == LC_SEGMENT_64;
        let f = Fields::new(body, big);
        let wide_or = |at64, at32| if seg64 { f.u64(at64) } else { u64::from(f.u32(at32)) };
        let name = f.bytes(8, 16);
        let addr = wide_or(24, 24);
        let memsz = wide_or(32, 28);
        let fileoff = wide_or(40, 32);
        let filesz = wide_or(48, 36);
        let (maxprot, prot, nsects) = if seg64 {
            (f.u32(56), f.u32(60), f.u32(64))
        } else {
            (f.u32(40), f.u32(44), f.u32(48))
        };
        let header_len = if seg64 { 72 } else { 56 };
        let section_len = if seg64 { 80 } else { 68 };
        if body.len() < header_len {
            let problem = format!("segment command {i} is {} bytes", body.len());
            return Err(corrupt(src, "its load commands", problem));
        }
        // Go skips `__PAGEZERO` when mapping addresses; it has no file bytes anyway.
        if filesz > 0 && cname(name) != b"__PAGEZERO" {
            let Some(offset) = base.checked_add(fileoff) else {
                let problem = format!("segment file offset {fileoff:#x} overflows");
                return Err(corrupt(src, "its load commands", problem));
            };
            segments.push(Segment { vaddr: addr, filesz, offset });
        }
        if writable.is_none() && addr != 0 && filesz != 0 && prot == RW && maxprot == RW {
            writable = Some(DataRange { addr, size: memsz, what: "its writable segment" });
        }
        for s in 0..usize::try_from(nsects).unwrap_or(usize::MAX) {
            let Some(sect) = s
                .checked_mul(section_len)
                .and_then(|o| o.checked_add(header_len))
                .and_then(|o| body.get(o..o.checked_add(section_len)?))
            else {
                let problem = format!("segment command {i} is too short for {nsects} sections");
                return Err(corrupt(src, "its load commands", problem));
            };
            let f = Fields::new(sect, big);
            if found.is_none() && cname(f.bytes(0, 16)) == BUILDINFO {
                let (addr, size) = if seg64 {
                    (f.u64(32), f.u64(40))
                } else {
                    (u64::from(f.u32(32)), u64::from(f.u32(36)))
                };
                found = Some(DataRange { addr, size, what: "its __go_buildinfo section" });
            }
        }
    }
    let data = found.or(writable).ok_or("it has no __go_buildinfo section and no writable segment");
    Ok(Image { os: BinaryOs::Macos, arch, segments, data })
}

/// A fixed-size name field up to its first NUL.
fn cname(b: &[u8]) -> &[u8] {
    b.split(|&c| c == 0).next().unwrap_or_default()
}

fn cpu(cputype: u32) -> BinaryArch {
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
