//! elf: the parts of an ELF file the build info reader needs: the machine, the program headers
//! (to map virtual addresses to file offsets) and the `.go.buildinfo` section, found by name
//! through the section header string table. It must not read symbol tables, string tables other
//! than the section names, or any section's contents.

use super::source::Source;
use super::{BinaryArch, BinaryOs, DataRange, Fields, GobinError, Image, Segment, other};

const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
/// `e_shnum`/`e_phnum`/`e_shstrndx` values that mean "the real number is in section 0".
const SHN_XINDEX: u64 = 0xffff;
const PN_XNUM: u64 = 0xffff;
/// Section name tables of real executables are a few hundred bytes; anything beyond this is a
/// corrupt header, not something worth reading.
const MAX_NAMES: u64 = 1 << 20;
const BUILDINFO: &[u8] = b".go.buildinfo";

/// The machine alone, from the first 20 bytes.
pub(crate) fn arch(src: &mut Source) -> Result<BinaryArch, GobinError> {
    let b = src.read(0, 20, "the ELF header")?;
    let (wide, big) = class_and_order(src, &b)?;
    let machine = Fields::new(&b, big).u16(18);
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

fn class_and_order(src: &Source, b: &[u8]) -> Result<(bool, bool), GobinError> {
    let corrupt = |problem: String| GobinError::Corrupt {
        path: src.path(),
        part: "its ELF header".into(),
        problem,
    };
    let big = match b.get(5).copied().unwrap_or(0) {
        1 => false,
        2 => true,
        other => return Err(corrupt(format!("byte order {other} is neither 1 nor 2"))),
    };
    let wide = match b.get(4).copied().unwrap_or(0) {
        1 => false,
        2 => true,
        other => return Err(corrupt(format!("class {other} is neither 1 nor 2"))),
    };
    Ok((wide, big))
}

/// The header fields this reader uses, at their 32- or 64-bit offsets.
struct Header {
    wide: bool,
    big: bool,
    phoff: u64,
    phentsize: u64,
    phnum: u64,
    shoff: u64,
    shentsize: u64,
    shnum: u64,
    shstrndx: u64,
}

/// One section header, only the fields used here.
struct Section {
    name: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u64,
    info: u64,
}

pub(crate) fn image(src: &mut Source) -> Result<Image, GobinError> {
    let arch = arch(src)?;
    let mut h = header(src)?;
    let corrupt = |src: &Source, part: &str, problem: String| GobinError::Corrupt {
        path: src.path(),
        part: part.into(),
        problem,
    };

    // Extended numbering: when a count does not fit its 16-bit field, section 0 holds it.
    if h.shoff != 0 && (h.shnum == 0 || h.shstrndx == SHN_XINDEX || h.phnum == PN_XNUM) {
        let zero = section(src, &h, 0)?;
        if h.shnum == 0 {
            h.shnum = zero.size;
        }
        if h.shstrndx == SHN_XINDEX {
            h.shstrndx = zero.link;
        }
        if h.phnum == PN_XNUM {
            h.phnum = zero.info;
        }
    }

    // Program headers: every one with file bytes maps addresses, as Go's DataReader does.
    let part = "the program headers";
    let min_ph = if h.wide { 56 } else { 32 };
    if h.phnum > 0 && h.phentsize < min_ph {
        return Err(corrupt(src, part, format!("entry size {} is below {min_ph}", h.phentsize)));
    }
    let table =
        h.phnum.checked_mul(h.phentsize).filter(|&n| n <= 1 << 24).ok_or_else(|| {
            corrupt(src, part, format!("{} entries do not fit in the file", h.phnum))
        })?;
    let phdrs = src.read(h.phoff, table, part)?;
    let mut segments = Vec::new();
    let mut writable = None;
    for i in 0..h.phnum {
        let at = usize::try_from(i * h.phentsize).unwrap_or(usize::MAX);
        let f = Fields::new(phdrs.get(at..).unwrap_or_default(), h.big);
        let (kind, flags, offset, vaddr, filesz, memsz) = if h.wide {
            (f.u32(0), f.u32(4), f.u64(8), f.u64(16), f.u64(32), f.u64(40))
        } else {
            let w = |at| u64::from(f.u32(at));
            (f.u32(0), f.u32(24), w(4), w(8), w(16), w(20))
        };
        if filesz > 0 {
            segments.push(Segment { vaddr, filesz, offset });
        }
        if writable.is_none() && kind == PT_LOAD && flags & (PF_X | PF_W) == PF_W {
            writable = Some(DataRange { addr: vaddr, size: memsz, what: "its writable segment" });
        }
    }

    // Section headers: only `.go.buildinfo` matters, found through the section name table.
    let mut found = None;
    if h.shoff != 0 && h.shnum > 0 {
        let min_sh = if h.wide { 64 } else { 40 };
        let part = "the section headers";
        if h.shentsize < min_sh {
            return Err(corrupt(
                src,
                part,
                format!("entry size {} is below {min_sh}", h.shentsize),
            ));
        }
        let table = h
            .shnum
            .checked_mul(h.shentsize)
            .filter(|&n| n <= 1 << 24)
            .ok_or_else(|| corrupt(src, part, format!("{} entries do not fit", h.shnum)))?;
        let shdrs = src.read(h.shoff, table, part)?;
        let at = |i: u64| usize::try_from(i * h.shentsize).unwrap_or(usize::MAX);
        let parse = |i| parse_section(shdrs.get(at(i)..).unwrap_or_default(), h.wide, h.big);
        if h.shstrndx >= h.shnum {
            let problem = format!("name table index {} is past {} sections", h.shstrndx, h.shnum);
            return Err(corrupt(src, part, problem));
        }
        let names = parse(h.shstrndx);
        if names.size > MAX_NAMES {
            let problem = format!("{} bytes is too large", names.size);
            return Err(corrupt(src, "the section name table", problem));
        }
        let names = src.read(names.offset, names.size, "the section name table")?;
        for i in 0..h.shnum {
            let s = parse(i);
            let name = usize::try_from(s.name).ok().and_then(|at| names.get(at..));
            if let Some(name) = name
                && name.starts_with(BUILDINFO)
                && name.get(BUILDINFO.len()).is_none_or(|&c| c == 0)
            {
                found = Some(DataRange {
                    addr: s.addr,
                    size: s.size,
                    what: "its .go.buildinfo section",
                });
                break;
            }
        }
    }

    // Go falls back to the first writable, non-executable segment when there is no section
    // (a binary whose section headers were stripped).
    let data = found.or(writable).ok_or("it has no .go.buildinfo section and no writable segment");
    Ok(Image { os: BinaryOs::Linux, arch, segments, data })
}

fn header(src: &mut Source) -> Result<Header, GobinError> {
    let ident = src.read(0, 6, "the ELF header")?;
    let (wide, big) = class_and_order(src, &ident)?;
    let size = if wide { 64 } else { 52 };
    let b = src.read(0, size, "the ELF header")?;
    let f = Fields::new(&b, big);
    let w = |at| u64::from(f.u16(at));
    Ok(if wide {
        Header {
            wide,
            big,
            phoff: f.u64(32),
            shoff: f.u64(40),
            phentsize: w(54),
            phnum: w(56),
            shentsize: w(58),
            shnum: w(60),
            shstrndx: w(62),
        }
    } else {
        Header {
            wide,
            big,
            phoff: u64::from(f.u32(28)),
            shoff: u64::from(f.u32(32)),
            phentsize: w(42),
            phnum: w(44),
            shentsize: w(46),
            shnum: w(48),
            shstrndx: w(50),
        }
    })
}

/// Section `i` read on its own (used for section 0 and extended numbering).
fn section(src: &mut Source, h: &Header, i: u64) -> Result<Section, GobinError> {
    let size = if h.wide { 64 } else { 40 };
    let at = i.checked_mul(h.shentsize).and_then(|n| n.checked_add(h.shoff)).unwrap_or(u64::MAX);
    let b = src.read(at, size, "the section headers")?;
    Ok(parse_section(&b, h.wide, h.big))
}

fn parse_section(b: &[u8], wide: bool, big: bool) -> Section {
    let f = Fields::new(b, big);
    if wide {
        Section {
            name: u64::from(f.u32(0)),
            addr: f.u64(16),
            offset: f.u64(24),
            size: f.u64(32),
            link: u64::from(f.u32(40)),
            info: u64::from(f.u32(44)),
        }
    } else {
        let w = |at| u64::from(f.u32(at));
        Section { name: w(0), addr: w(12), offset: w(16), size: w(20), link: w(24), info: w(28) }
    }
}
