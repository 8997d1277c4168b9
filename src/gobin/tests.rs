//! Unit tests on synthetic executables: header parsing of every format and byte order, both
//! build info layouts (the pre-1.18 pointer one has no real binary at hand), and the errors.
//! Real binaries are checked against `go version -m` in `tests/oracle.rs`.

use super::*;

const START: [u8; 16] = [
    0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6,
];
const END: [u8; 16] = [
    0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2,
];
const MODINFO: &str = "path\texample.com/hello\nmod\texample.com/hello\t(devel)\t\n\
    build\t-ldflags=\"-X main.x=y\"\nbuild\tCGO_ENABLED=0\n";

fn framed(text: &str) -> Vec<u8> {
    [&START[..], text.as_bytes(), &END[..]].concat()
}

fn put(b: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    if b.len() < at + bytes.len() {
        b.resize(at + bytes.len(), 0);
    }
    b[at..at + bytes.len()].copy_from_slice(bytes);
}

/// Little- or big-endian integers of 2, 4 or 8 bytes.
fn int(v: u64, size: usize, big: bool) -> Vec<u8> {
    let b = if big { v.to_be_bytes() } else { v.to_le_bytes() };
    if big { b[8 - size..].to_vec() } else { b[..size].to_vec() }
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

/// The Go ≥ 1.18 blob: header then two length-prefixed strings.
fn inline_blob(version: &str, modinfo: &[u8]) -> Vec<u8> {
    let mut b = b"\xff Go buildinf:".to_vec();
    b.extend([8, 2]);
    b.resize(32, 0);
    b.extend(varint(version.len() as u64));
    b.extend(version.as_bytes());
    b.extend(varint(modinfo.len() as u64));
    b.extend(modinfo);
    b
}

/// The Go < 1.18 blob placed at virtual address `at`: header with two pointers to Go string
/// headers, which point to the bytes.
fn pointer_blob(at: u64, ptr: usize, big: bool, version: &str, modinfo: &[u8]) -> Vec<u8> {
    let mut b = b"\xff Go buildinf:".to_vec();
    b.extend([ptr as u8, u8::from(big)]);
    b.extend(int(at + 0x40, ptr, big));
    b.extend(int(at + 0x60, ptr, big));
    put(&mut b, 0x40, &int(at + 0x80, ptr, big));
    put(&mut b, 0x40 + ptr, &int(version.len() as u64, ptr, big));
    put(&mut b, 0x60, &int(at + 0xa0, ptr, big));
    put(&mut b, 0x60 + ptr, &int(modinfo.len() as u64, ptr, big));
    put(&mut b, 0x80, version.as_bytes());
    put(&mut b, 0xa0, modinfo);
    b
}

const DATA_OFF: usize = 0x1000;
const DATA_VA: u64 = 0x40_0000;

/// An ELF with one writable PT_LOAD holding `data` at [`DATA_VA`] and, when `section` is
/// `Some((start, len))`, a `.go.buildinfo` section over those bytes of `data`.
fn elf(
    wide: bool,
    big: bool,
    machine: u16,
    data: &[u8],
    section: Option<(usize, usize)>,
) -> Vec<u8> {
    let (ehsize, phsize, shsize) = if wide { (64, 56, 64) } else { (52, 32, 40) };
    let mut b = vec![0u8; DATA_OFF];
    put(&mut b, 0, b"\x7fELF");
    b[4] = if wide { 2 } else { 1 };
    b[5] = if big { 2 } else { 1 };
    b[6] = 1;
    put(&mut b, 16, &int(2, 2, big));
    put(&mut b, 18, &int(u64::from(machine), 2, big));
    let phoff = ehsize;
    let shoff = 0x200;
    let names = b"\0.go.buildinfo\0.shstrtab\0";
    let names_off = 0x400;
    let shnum = if section.is_some() { 3 } else { 0 };
    // e_entry, e_phoff, e_shoff, e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum,
    // e_shstrndx.
    let fields = if wide {
        [(24, 8), (32, 8), (40, 8), (52, 2), (54, 2), (56, 2), (58, 2), (60, 2), (62, 2)]
    } else {
        [(24, 4), (28, 4), (32, 4), (40, 2), (42, 2), (44, 2), (46, 2), (48, 2), (50, 2)]
    };
    let values = [
        0,
        phoff as u64,
        if shnum > 0 { shoff } else { 0 },
        ehsize as u64,
        phsize,
        1,
        shsize,
        shnum,
        2,
    ];
    for ((off, size), v) in fields.iter().zip(values) {
        put(&mut b, *off, &int(v, *size, big));
    }
    // PT_LOAD, read+write.
    let (pt_load, pf_rw) = (1, 6);
    let memsz = data.len() as u64 + 0x100;
    let ph = if wide {
        [
            (0, 4, pt_load),
            (4, 4, pf_rw),
            (8, 8, DATA_OFF as u64),
            (16, 8, DATA_VA),
            (32, 8, data.len() as u64),
            (40, 8, memsz),
        ]
    } else {
        [
            (0, 4, pt_load),
            (24, 4, pf_rw),
            (4, 4, DATA_OFF as u64),
            (8, 4, DATA_VA),
            (16, 4, data.len() as u64),
            (20, 4, memsz),
        ]
    };
    for (off, size, v) in ph {
        put(&mut b, phoff + off, &int(v, size, big));
    }
    if let Some((start, len)) = section {
        let sh = |b: &mut Vec<u8>, i: usize, name: u64, addr: u64, offset: u64, size: u64| {
            let base = shoff as usize + i * shsize as usize;
            let f = if wide {
                [(0, 4, name), (16, 8, addr), (24, 8, offset), (32, 8, size)]
            } else {
                [(0, 4, name), (12, 4, addr), (16, 4, offset), (20, 4, size)]
            };
            for (off, size, v) in f {
                put(b, base + off, &int(v, size, big));
            }
        };
        sh(&mut b, 1, 1, DATA_VA + start as u64, (DATA_OFF + start) as u64, len as u64);
        sh(&mut b, 2, 15, 0, names_off, names.len() as u64);
        put(&mut b, names_off as usize, names);
    }
    put(&mut b, DATA_OFF, data);
    b
}

fn read_ok(bytes: &[u8]) -> GoBinary {
    match read_bytes(bytes) {
        Ok(bin) => bin,
        Err(e) => panic!("{e}"),
    }
}

fn message(bytes: &[u8]) -> String {
    read_bytes(bytes).unwrap_err().to_string()
}

fn arch_message(bytes: &[u8]) -> String {
    all_arches(&mut Source::bytes(Path::new("bin"), bytes)).unwrap_err().to_string()
}

fn arches(bytes: &[u8]) -> Vec<(BinaryOs, BinaryArch)> {
    all_arches(&mut Source::bytes(Path::new("bin"), bytes)).unwrap()
}

#[test]
fn reads_the_inline_layout_from_an_elf_section() {
    let mut data = vec![0u8; 0x30];
    data.extend(inline_blob("go1.25.5", &framed(MODINFO)));
    let bin = read_ok(&elf(true, false, 62, &data, Some((0x30, data.len() - 0x30))));
    assert_eq!((bin.os, bin.arch.clone()), (BinaryOs::Linux, BinaryArch::Amd64));
    assert_eq!(bin.go_version, "go1.25.5");
    let info = bin.info.unwrap();
    assert_eq!(info.path, "example.com/hello");
    assert_eq!(info.main.as_ref().unwrap().version, "(devel)");
    assert_eq!(info.setting("-ldflags"), Some("-X main.x=y"));
}

#[test]
fn skips_a_misaligned_magic_and_finds_the_aligned_one() {
    let mut data = vec![0u8; 8];
    data.extend(b"\xff Go buildinf:\x08\x02");
    data.resize(0x40, 0);
    data.extend(inline_blob("go1.22.0", b""));
    let bin = read_ok(&elf(true, false, 183, &data, Some((0, data.len()))));
    assert_eq!(bin.go_version, "go1.22.0");
    assert_eq!(bin.arch, BinaryArch::Arm64);
    assert_eq!(bin.info, None);
}

#[test]
fn without_sections_searches_the_writable_segment_as_go_does() {
    let mut data = vec![0u8; 0x100];
    data.extend(inline_blob("go1.21.13", &framed(MODINFO)));
    let bin = read_ok(&elf(true, false, 62, &data, None));
    assert_eq!(bin.go_version, "go1.21.13");
    assert!(bin.info.is_some());
}

#[test]
fn reads_the_pre_1_18_pointer_layout_in_both_byte_orders_and_widths() {
    for (wide, big, ptr) in [(true, false, 8), (false, true, 4), (false, false, 4), (true, true, 8)]
    {
        let blob = pointer_blob(DATA_VA, ptr, big, "go1.17.13", &framed(MODINFO));
        let bin = read_ok(&elf(wide, big, 62, &blob, Some((0, 0x20))));
        assert_eq!(bin.go_version, "go1.17.13", "wide {wide} big {big}");
        let info = bin.info.unwrap();
        assert_eq!(info.path, "example.com/hello");
        assert_eq!(info.setting("CGO_ENABLED"), Some("0"));
    }
    // A module string that points outside the file is empty, as in Go: no build info.
    let mut blob = pointer_blob(DATA_VA, 8, false, "go1.16", &framed(MODINFO));
    put(&mut blob, 0x60, &int(0xdead_0000, 8, false));
    let bin = read_ok(&elf(true, false, 62, &blob, Some((0, 0x20))));
    assert_eq!((bin.go_version.as_str(), bin.info), ("go1.16", None));
    // So is a version string that cannot be read: then it is not a Go binary.
    let mut blob = pointer_blob(DATA_VA, 8, false, "go1.16", b"");
    put(&mut blob, 0x48, &int(u64::MAX, 8, false));
    assert!(message(&elf(true, false, 62, &blob, Some((0, 0x20)))).contains("empty Go version"));
    let mut blob = pointer_blob(DATA_VA, 8, false, "go1.16", b"");
    blob[14] = 3;
    assert!(message(&elf(true, false, 62, &blob, Some((0, 0x20)))).contains("pointer size 3"));
}

#[test]
fn unframed_module_info_is_dropped_as_go_does() {
    let mut text = framed(MODINFO);
    let n = text.len();
    text[n - 17] = b'x';
    let data = inline_blob("go1.25.5", &text);
    assert_eq!(read_ok(&elf(true, false, 62, &data, Some((0, data.len())))).info, None);
}

#[test]
fn not_go_and_corrupt_blobs_say_so() {
    let data = vec![0u8; 0x100];
    let m = message(&elf(true, false, 62, &data, Some((0, 0x100))));
    assert!(
        m.contains(
            "was not built by Go: there is no Go build info header in its .go.buildinfo section"
        ),
        "{m}"
    );
    let m = message(&elf(true, false, 62, &data, None));
    assert!(m.contains("no Go build info header in its writable segment"), "{m}");

    let data = inline_blob("", b"");
    let m = message(&elf(true, false, 62, &data, Some((0, data.len()))));
    assert!(m.contains("its build info has an empty Go version"), "{m}");

    // A string longer than its segment.
    let mut data = inline_blob("go1.25.5", b"");
    data.truncate(36);
    let m = message(&elf(true, false, 62, &data, Some((0, data.len()))));
    assert!(m.contains("corrupt: the build info's Go version string: its 8 bytes run past"), "{m}");

    // A varint longer than 10 bytes.
    let mut data = inline_blob("go1.25.5", b"");
    data.truncate(32);
    data.extend([0xff; 12]);
    let m = message(&elf(true, false, 62, &data, Some((0, data.len()))));
    assert!(m.contains("not a valid varint"), "{m}");

    // Module info Go cannot parse.
    let data = inline_blob("go1.25.5", &framed("path\tp\nmod\tonly-one\n"));
    let m = message(&elf(true, false, 62, &data, Some((0, data.len()))));
    assert!(
        m.contains("corrupt: its Go build info: line 2: expected 2 or 3 columns; got 1"),
        "{m}"
    );

    // A section outside every segment.
    let mut bytes = elf(true, false, 62, &inline_blob("go1.25.5", b""), Some((0, 0x40)));
    put(&mut bytes, 0x200 + 64 + 16, &int(0x9_0000, 8, false));
    let m = message(&bytes);
    assert!(m.contains("address 0x90000 is in no segment"), "{m}");
}

#[test]
fn a_segment_past_the_end_of_the_file_is_truncated() {
    let data = inline_blob("go1.25.5", &framed(MODINFO));
    let mut bytes = elf(true, false, 62, &data, Some((0, data.len())));
    bytes.truncate(DATA_OFF + 20);
    let m = message(&bytes);
    assert!(m.contains("is truncated: its .go.buildinfo section (address 0x400000"), "{m}");
}

/// A thin 64-bit Mach-O with a `__DATA` segment holding `data` and a `__go_buildinfo` section.
fn macho(cputype: u32, big: bool, data: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    let le = |v: u64, n| int(v, n, big);
    b.extend(if big { [0xfe, 0xed, 0xfa, 0xcf] } else { [0xcf, 0xfa, 0xed, 0xfe] });
    b.extend(le(u64::from(cputype), 4));
    b.extend(le(0, 4));
    b.extend(le(2, 4));
    b.extend(le(2, 4)); // ncmds
    let pagezero = 72;
    let data_cmd = 72 + 80;
    b.extend(le((pagezero + data_cmd) as u64, 4));
    b.extend(le(0, 8));
    // __PAGEZERO
    b.extend(le(0x19, 4));
    b.extend(le(pagezero as u64, 4));
    b.extend(b"__PAGEZERO\0\0\0\0\0\0");
    b.extend(le(0, 8));
    b.extend(le(0x1_0000_0000, 8));
    b.extend([0; 32]);
    // __DATA with one section
    let (va, off) = (0x1_0000_4000u64, 0x1000u64);
    b.extend(le(0x19, 4));
    b.extend(le(data_cmd as u64, 4));
    b.extend(b"__DATA\0\0\0\0\0\0\0\0\0\0");
    b.extend(le(va, 8));
    b.extend(le(0x4000, 8));
    b.extend(le(off, 8));
    b.extend(le(data.len() as u64, 8));
    b.extend(le(3, 4));
    b.extend(le(3, 4));
    b.extend(le(1, 4));
    b.extend(le(0, 4));
    b.extend(b"__go_buildinfo\0\0__DATA\0\0\0\0\0\0\0\0\0\0");
    b.extend(le(va, 8));
    b.extend(le(data.len() as u64, 8));
    b.extend(le(off, 4));
    b.extend([0; 28]);
    put(&mut b, off as usize, data);
    b
}

fn fat(slices: &[(u32, &[u8])], wide: bool) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(if wide { 0xcafe_babf_u32 } else { 0xcafe_babe_u32 }.to_be_bytes());
    b.extend((slices.len() as u32).to_be_bytes());
    let mut at = 0x4000usize;
    let mut bodies = Vec::new();
    for (cpu, body) in slices {
        b.extend(cpu.to_be_bytes());
        b.extend(0u32.to_be_bytes());
        if wide {
            b.extend((at as u64).to_be_bytes());
            b.extend((body.len() as u64).to_be_bytes());
            b.extend(14u32.to_be_bytes());
            b.extend(0u32.to_be_bytes());
        } else {
            b.extend((at as u32).to_be_bytes());
            b.extend((body.len() as u32).to_be_bytes());
            b.extend(14u32.to_be_bytes());
        }
        bodies.push((at, *body));
        at = (at + body.len()).next_multiple_of(0x4000);
    }
    for (at, body) in bodies {
        put(&mut b, at, body);
    }
    b
}

#[test]
fn reads_thin_and_universal_macho() {
    let data = inline_blob("go1.25.5", &framed(MODINFO));
    for big in [false, true] {
        let bin = read_ok(&macho(0x0100_000c, big, &data));
        assert_eq!((bin.os, bin.arch.clone()), (BinaryOs::Macos, BinaryArch::Arm64));
        assert_eq!(bin.go_version, "go1.25.5");
    }
    let arm = macho(0x0100_000c, false, &inline_blob("go1.25.5", b""));
    let amd = macho(0x0100_0007, false, &inline_blob("go1.24.0", b""));
    for wide in [false, true] {
        let both = fat(&[(0x0100_0007, &amd), (0x0100_000c, &arm)], wide);
        let bin = read_ok(&both);
        assert_eq!((bin.arch.clone(), bin.go_version.as_str()), (BinaryArch::Amd64, "go1.24.0"));
        assert_eq!(
            arches(&both),
            [(BinaryOs::Macos, BinaryArch::Amd64), (BinaryOs::Macos, BinaryArch::Arm64)]
        );
    }
    let mut cut = fat(&[(0x0100_0007, &amd)], false);
    cut.truncate(0x4100);
    assert!(
        message(&cut).contains("truncated: the first universal Mach-O slice"),
        "{}",
        message(&cut)
    );
}

/// A PE32+ with one `.data` section holding `data`.
fn pe(machine: u16, data: &[u8]) -> Vec<u8> {
    let at = 0x80usize;
    let mut b = vec![0u8; 0x400];
    put(&mut b, 0, b"MZ");
    put(&mut b, 0x3c, &(at as u32).to_le_bytes());
    put(&mut b, at, b"PE\0\0");
    put(&mut b, at + 4, &machine.to_le_bytes());
    put(&mut b, at + 6, &2u16.to_le_bytes());
    put(&mut b, at + 20, &240u16.to_le_bytes());
    let opt = at + 24;
    put(&mut b, opt, &0x20bu16.to_le_bytes());
    put(&mut b, opt + 24, &0x1_4000_0000u64.to_le_bytes());
    let sections = opt + 240;
    // .text, then .data (initialized, read, write, 32-byte alignment bits).
    put(&mut b, sections, b".text\0\0\0");
    put(&mut b, sections + 12, &0x1000u32.to_le_bytes());
    put(&mut b, sections + 16, &0x200u32.to_le_bytes());
    put(&mut b, sections + 20, &0x400u32.to_le_bytes());
    put(&mut b, sections + 36, &0x6000_0020u32.to_le_bytes());
    let d = sections + 40;
    put(&mut b, d, b".data\0\0\0");
    put(&mut b, d + 8, &(data.len() as u32 + 0x1000).to_le_bytes());
    put(&mut b, d + 12, &0x2000u32.to_le_bytes());
    put(&mut b, d + 16, &(data.len() as u32).to_le_bytes());
    put(&mut b, d + 20, &0x600u32.to_le_bytes());
    put(&mut b, d + 36, &0xc060_0040u32.to_le_bytes());
    put(&mut b, 0x600, data);
    b
}

#[test]
fn reads_pe() {
    let bin = read_ok(&pe(0x8664, &inline_blob("go1.25.5", &framed(MODINFO))));
    assert_eq!((bin.os, bin.arch.clone()), (BinaryOs::Windows, BinaryArch::Amd64));
    assert_eq!(bin.go_version, "go1.25.5");
    let mut no_data = pe(0xaa64, &[]);
    put(&mut no_data, 0x80 + 24 + 240 + 40 + 36, &0x4000_0040u32.to_le_bytes());
    assert!(message(&no_data).contains("not built by Go: it has no writable data section"));
}

// Header-only reads, carried over from goenv's `sdk::arch`.

fn elf_header(class: u8, data: u8, machine: u16) -> Vec<u8> {
    let mut b = vec![0u8; 64];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = class;
    b[5] = data;
    b[6] = 1;
    let m = if data == 2 { machine.to_be_bytes() } else { machine.to_le_bytes() };
    b[18..20].copy_from_slice(&m);
    b
}

fn macho_header(magic: u32, cputype: u32, big: bool) -> Vec<u8> {
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

fn pe_header(machine: u16, at: usize) -> Vec<u8> {
    let mut b = vec![0u8; at + 24];
    b[..2].copy_from_slice(b"MZ");
    b[0x3c..0x40].copy_from_slice(&(at as u32).to_le_bytes());
    b[at..at + 4].copy_from_slice(b"PE\0\0");
    b[at + 4..at + 6].copy_from_slice(&machine.to_le_bytes());
    b
}

fn first(bytes: &[u8]) -> (BinaryOs, BinaryArch) {
    arches(bytes).swap_remove(0)
}

#[test]
fn reads_this_machines_ls() {
    let (os, arch) = read_arch(Path::new("/bin/ls")).unwrap();
    assert_eq!(os, BinaryOs::Linux);
    if std::env::consts::ARCH == "x86_64" {
        assert_eq!(arch, BinaryArch::Amd64);
    }
}

#[test]
fn reads_elf_machines_of_both_byte_orders() {
    use BinaryArch::*;
    assert_eq!(first(&elf_header(2, 1, 62)), (BinaryOs::Linux, Amd64));
    assert_eq!(first(&elf_header(2, 1, 183)), (BinaryOs::Linux, Arm64));
    assert_eq!(first(&elf_header(2, 2, 183)).1, Arm64);
    assert_eq!(first(&elf_header(1, 1, 3)).1, Other("386".into()));
    assert_eq!(first(&elf_header(2, 2, 21)).1, Other("ppc64".into()));
    assert_eq!(first(&elf_header(2, 1, 21)).1, Other("ppc64le".into()));
    assert_eq!(first(&elf_header(1, 2, 8)).1, Other("mips".into()));
    assert_eq!(first(&elf_header(2, 1, 4)).1, Other("e_machine 4".into()));
    let m = arch_message(&elf_header(2, 3, 62));
    assert!(m.contains("corrupt: its ELF header: byte order 3 is neither 1 nor 2"), "{m}");
}

#[test]
fn reads_macho_cpus_of_both_byte_orders_and_every_fat_slice() {
    use BinaryArch::*;
    let mac = BinaryOs::Macos;
    assert_eq!(first(&macho_header(0xfeed_facf, 0x0100_0007, false)), (mac, Amd64));
    assert_eq!(first(&macho_header(0xfeed_facf, 0x0100_000c, true)), (mac, Arm64));
    assert_eq!(first(&macho_header(0xfeed_face, 7, false)), (mac, Other("386".into())));
    assert_eq!(first(&macho_header(0xfeed_facf, 0x99, true)).1, Other("cputype 0x99".into()));
    let both = fat(&[(0x0100_000c, b"x"), (0x0100_0007, b"y")], true);
    assert_eq!(arches(&both), [(mac, Arm64), (mac, Amd64)]);
    assert!(arch_message(&fat(&[], false)).contains("lists no architectures"));
    let mut cut = fat(&[(0x0100_0007, b"x"), (0x0100_000c, b"y")], false);
    cut.truncate(30);
    let m = arch_message(&cut);
    assert!(
        m.contains("universal Mach-O header with 2 slices needs the file to be at least 48"),
        "{m}"
    );
}

#[test]
fn a_java_class_file_is_not_a_universal_macho() {
    let class = [0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x41, 0, 0];
    assert!(
        arch_message(&class).ends_with("is not an executable goenv can read (ELF, Mach-O or PE)")
    );
    assert!(message(&class).contains("not an executable"));
}

#[test]
fn reads_pe_machines_wherever_the_header_is() {
    use BinaryArch::*;
    let win = BinaryOs::Windows;
    assert_eq!(first(&pe_header(0x8664, 0x80)), (win, Amd64));
    assert_eq!(first(&pe_header(0xaa64, 0x80)), (win, Arm64));
    assert_eq!(first(&pe_header(0x014c, 0x80)), (win, Other("386".into())));
    assert_eq!(first(&pe_header(0xaa64, 10_000)), (win, Arm64));
    assert_eq!(first(&pe_header(0x0200, 0x80)).1, Other("machine 0x0200".into()));
    let mut dos = pe_header(0x8664, 0x80);
    dos[0x80] = b'X';
    assert!(arch_message(&dos).contains("no `PE` signature at 0x80"));
    let mut far = pe_header(0x8664, 0x80);
    far[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(arch_message(&far).contains("the PE header at 0xffffffff needs"));
}

#[test]
fn truncated_headers_say_which_part() {
    let cases: [(&[u8], &str); 6] = [
        (b"", "any executable header needs the file to be at least 4 bytes long, it has 0"),
        (b"\x7fEL", "any executable header needs the file to be at least 4 bytes long, it has 3"),
        (&elf_header(2, 1, 62)[..19], "the ELF header needs the file to be at least 20"),
        (&macho_header(0xfeed_facf, 0x0100_000c, false)[..6], "the Mach-O header needs"),
        (b"MZ\x90\0", "the DOS header needs the file to be at least 64"),
        (
            &pe_header(0x8664, 0x80)[..0x84],
            "the PE header at 0x80 needs the file to be at least 134",
        ),
    ];
    for (bytes, needle) in cases {
        let m = arch_message(bytes);
        assert!(m.contains("is truncated"), "{m}");
        assert!(m.contains(needle), "{m:?} does not contain {needle:?}");
    }
}

#[test]
fn text_files_and_directories_are_refused() {
    let m = message(b"#!/bin/sh\necho hello\n");
    assert_eq!(m, "`(bytes)` is not an executable goenv can read (ELF, Mach-O or PE)");
    let err = read(Path::new("/")).unwrap_err();
    assert!(matches!(err, GobinError::Io { .. }), "{err}");
    let err = read(Path::new("/nonexistent/x")).unwrap_err();
    assert!(matches!(err, GobinError::Io { .. }), "{err}");
}

#[test]
fn no_panic_on_mutated_synthetic_binaries() {
    let data = inline_blob("go1.25.5", &framed(MODINFO));
    let old = pointer_blob(DATA_VA, 4, true, "go1.17", &framed(MODINFO));
    let seeds = [
        elf(true, false, 62, &data, Some((0, data.len()))),
        elf(false, true, 62, &old, Some((0, 0x20))),
        macho(0x0100_000c, false, &data),
        fat(&[(0x0100_000c, &macho(0x0100_000c, false, &data))], false),
        pe(0x8664, &data),
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for seed in &seeds {
        for cut in 0..seed.len().min(0x1400) {
            let _ = read_bytes(&seed[..cut]);
        }
        for _ in 0..3000 {
            let mut b = seed.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % b.len() as u64) as usize;
                b[at] = next() as u8;
            }
            let _ = read_bytes(&b);
            let _ = all_arches(&mut Source::bytes(Path::new("bin"), &b));
        }
    }
}
