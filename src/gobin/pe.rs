//! pe: the parts of a PE (Windows) file the build info reader needs: the machine, the image
//! base, and the section table (to map virtual addresses to file offsets and to find the first
//! writable data section, where Go's linker puts the build info). It must not read the COFF
//! symbol table, resources or any section's contents.

use super::source::Source;
use super::{BinaryArch, BinaryOs, DataRange, Fields, GobinError, Image, Segment, other};

const INITIALIZED_DATA: u32 = 0x0000_0040;
const MEM_READ: u32 = 0x4000_0000;
const MEM_WRITE: u32 = 0x8000_0000;
const ALIGN_32BYTES: u32 = 0x0060_0000;

/// The offset of the `PE\0\0` signature and the first `n` bytes of the COFF header after it
/// (20 in all; the machine is the first 2).
fn coff(src: &mut Source, n: u64) -> Result<(u64, Vec<u8>), GobinError> {
    let b = src.read(0x3c, 4, "the DOS header")?;
    let at = u64::from(Fields::new(&b, false).u32(0));
    let b = src.read(at, 4 + n, &format!("the PE header at {at:#x}"))?;
    if b.get(..4) != Some(b"PE\0\0") {
        return Err(GobinError::Corrupt {
            path: src.path(),
            part: "its PE header".into(),
            problem: format!("no `PE` signature at {at:#x} (a DOS program?)"),
        });
    }
    Ok((at, b.get(4..).map(<[u8]>::to_vec).unwrap_or_default()))
}

pub(crate) fn arch(src: &mut Source) -> Result<BinaryArch, GobinError> {
    let (_, coff) = coff(src, 2)?;
    Ok(machine(Fields::new(&coff, false).u16(0)))
}

pub(crate) fn image(src: &mut Source) -> Result<Image, GobinError> {
    let (at, coff) = coff(src, 20)?;
    let f = Fields::new(&coff, false);
    let arch = machine(f.u16(0));
    let nsections = u64::from(f.u16(2));
    let opt_size = u64::from(f.u16(16));
    let opt_at = at.saturating_add(24);

    // The image base is added to every section's address, as Go's reader does.
    let mut base = 0;
    if opt_size >= 2 {
        let opt = src.read(opt_at, opt_size.min(32), "the PE optional header")?;
        let f = Fields::new(&opt, false);
        base = match f.u16(0) {
            0x10b => u64::from(f.u32(28)),
            0x20b => f.u64(24),
            _ => 0,
        };
    }

    let table =
        src.read(opt_at.saturating_add(opt_size), nsections * 40, "the PE section table")?;
    let mut segments = Vec::new();
    let mut data = None;
    for i in 0..nsections {
        let at = usize::try_from(i * 40).unwrap_or(usize::MAX);
        let f = Fields::new(table.get(at..).unwrap_or_default(), false);
        let (virtual_size, virtual_address) = (u64::from(f.u32(8)), u64::from(f.u32(12)));
        let (raw_size, raw_offset, flags) = (u64::from(f.u32(16)), u64::from(f.u32(20)), f.u32(36));
        let Some(vaddr) = base.checked_add(virtual_address) else { continue };
        if raw_size > 0 {
            segments.push(Segment { vaddr, filesz: raw_size, offset: raw_offset });
        }
        if data.is_none()
            && virtual_address != 0
            && raw_size != 0
            && flags & !ALIGN_32BYTES == INITIALIZED_DATA | MEM_READ | MEM_WRITE
        {
            data = Some(DataRange { addr: vaddr, size: virtual_size, what: "its data section" });
        }
    }
    let data = data.ok_or("it has no writable data section");
    Ok(Image { os: BinaryOs::Windows, arch, segments, data })
}

fn machine(n: u16) -> BinaryArch {
    match n {
        0x8664 => BinaryArch::Amd64,
        0xaa64 => BinaryArch::Arm64,
        0x014c => other("386"),
        0x01c4 => other("arm"),
        n => BinaryArch::Other(format!("machine {n:#06x}")),
    }
}
