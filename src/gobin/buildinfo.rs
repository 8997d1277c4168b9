//! buildinfo: Go's build info blob once a format reader has said where to look. It owns the
//! search for the 16-byte-aligned `\xff Go buildinf:` header, both blob layouts (inline strings
//! since Go 1.18, pointers to Go strings before), the module info text (`path`, `mod`, `dep`,
//! `=>`, `build` lines) and printing it as `go version -m` does. It follows
//! `debug/buildinfo` and `runtime/debug.ParseBuildInfo`; it must not know about file formats
//! beyond the address ranges an [`Image`] gives it.

use super::source::Source;
use super::{BuildInfo, GobinError, Image, Module, Segment, quote};

const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
const ALIGN: u64 = 16;
const HEADER: u64 = 32;
/// The search reads this much at a time. The build info is the first thing in its section, so
/// one read finds it; the chunking only bounds memory when Go has to scan a whole data segment.
const CHUNK: u64 = 64 << 10;
/// Framing around the module info text (`cmd/go/internal/modload.infoStart`/`infoEnd`).
const SENTINEL: usize = 16;
const FLAG_BIG_ENDIAN: u8 = 0x1;
const FLAG_INLINE: u8 = 0x2;
/// Real module info is tens of KiB; a longer string is a corrupt length, not worth reading.
const MAX_STRING: u64 = 16 << 20;

/// The Go version and, when the binary carries any, the module info text without framing.
pub(crate) fn read_raw(
    src: &mut Source,
    image: &Image,
) -> Result<(String, Option<String>), GobinError> {
    let not_go = |src: &Source, reason: String| GobinError::NotGo { path: src.path(), reason };
    let range = match &image.data {
        Ok(range) if range.size > 0 => range,
        Ok(range) => return Err(not_go(src, format!("{} is empty", range.what))),
        Err(reason) => return Err(not_go(src, (*reason).to_string())),
    };
    let mut mem = Memory { src, segments: &image.segments, cache: None };
    let addr = search(&mut mem, range.addr, range.size, range.what)?;

    // `[0:14]` magic, `[14]` pointer size, `[15]` flags, then two pointers before Go 1.18.
    let header = mem.read(addr, HEADER, "the build info header")?.unwrap_or_default();
    if (header.len() as u64) < HEADER {
        return Err(mem.corrupt("the build info header", "it runs past its segment".into()));
    }
    let ptr_size = header.get(14).copied().unwrap_or(0);
    let flags = header.get(15).copied().unwrap_or(0);
    let (version, modinfo) = if flags & FLAG_INLINE != 0 {
        let (version, next) = mem.inline_string(addr.saturating_add(HEADER), "Go version")?;
        let (modinfo, _) = mem.inline_string(next, "module info")?;
        (version, modinfo)
    } else {
        // Before Go 1.18 the header holds the addresses of two Go string headers
        // (`runtime.buildVersion`, `runtime.modinfo`); a string that cannot be read is empty.
        let big = flags & FLAG_BIG_ENDIAN != 0;
        let size = match ptr_size {
            4 | 8 => usize::from(ptr_size),
            n => {
                let problem = format!("pointer size {n} is neither 4 nor 8");
                return Err(mem.corrupt("the build info header", problem));
            }
        };
        let ptr = |at: usize| word(header.get(at..).unwrap_or_default(), size, big);
        let version = mem.pointed_string(ptr(16), size, big)?;
        let modinfo = mem.pointed_string(ptr(16 + size), size, big)?;
        (version, modinfo)
    };
    if version.is_empty() {
        return Err(not_go(mem.src, "its build info has an empty Go version".into()));
    }
    let version = String::from_utf8_lossy(&version).into_owned();
    // Go keeps the text only when both 16-byte sentinels frame it.
    let n = modinfo.len();
    let framed = n > 2 * SENTINEL && modinfo.get(n - SENTINEL - 1) == Some(&b'\n');
    let modinfo = modinfo.get(SENTINEL..n.saturating_sub(SENTINEL)).filter(|_| framed);
    let modinfo = modinfo.map(|text| String::from_utf8_lossy(text).into_owned());
    Ok((version, modinfo.filter(|text| !text.is_empty())))
}

/// The address of the first 16-byte-aligned magic in `[start, start+size)`.
fn search(mem: &mut Memory, start: u64, size: u64, what: &str) -> Result<u64, GobinError> {
    let Some(end) = start.checked_add(size) else {
        return Err(mem.corrupt(what, format!("{start:#x} + {size:#x} overflows")));
    };
    let not_found = |mem: &Memory| GobinError::NotGo {
        path: mem.src.path(),
        reason: format!("there is no Go build info header in {what}"),
    };
    let mut at = match start.checked_add(ALIGN - 1) {
        Some(n) => n & !(ALIGN - 1),
        None => return Err(not_found(mem)),
    };
    while at < end {
        let want = (end - at).min(CHUNK);
        let Some(chunk) = mem.read(at, want, what)? else {
            let problem = format!("address {at:#x} is in no segment of the file");
            return Err(mem.corrupt(what, problem));
        };
        for (i, window) in chunk.chunks(ALIGN as usize).enumerate() {
            if window.starts_with(MAGIC) {
                let found = at + (i as u64) * ALIGN;
                if end - found < HEADER {
                    return Err(not_found(mem));
                }
                return Ok(found);
            }
        }
        if (chunk.len() as u64) < want {
            // The segment ended before the range did.
            break;
        }
        at += want;
    }
    Err(not_found(mem))
}

/// An unsigned integer of `size` bytes (4 or 8).
fn word(b: &[u8], size: usize, big: bool) -> u64 {
    let mut v = [0u8; 8];
    let (Some(b), Some(pad)) = (b.get(..size), 8usize.checked_sub(size)) else { return 0 };
    if big {
        v.iter_mut().skip(pad).zip(b).for_each(|(d, s)| *d = *s);
        u64::from_be_bytes(v)
    } else {
        v.iter_mut().zip(b).for_each(|(d, s)| *d = *s);
        u64::from_le_bytes(v)
    }
}

/// Go's `binary.Uvarint`: the value and its length, 0 when `b` ends first, negative when the
/// value overflows 64 bits.
fn uvarint(b: &[u8]) -> (u64, isize) {
    let mut x = 0u64;
    let mut shift = 0;
    for (i, &byte) in b.iter().enumerate() {
        if i == 10 {
            return (0, -(i as isize + 1));
        }
        if byte < 0x80 {
            if i == 9 && byte > 1 {
                return (0, -(i as isize + 1));
            }
            return (x | u64::from(byte) << shift, i as isize + 1);
        }
        x |= u64::from(byte & 0x7f) << shift;
        shift += 7;
    }
    (0, 0)
}

/// Reads at virtual addresses through the segments' file ranges, keeping the last read so the
/// header and strings that follow the magic come from the same bytes.
struct Memory<'s, 'a> {
    src: &'s mut Source<'a>,
    segments: &'s [Segment],
    cache: Option<(u64, Vec<u8>)>,
}

impl Memory<'_, '_> {
    /// Up to `n` bytes at `addr`, fewer when its segment ends first; `None` when no segment
    /// holds `addr`. A segment whose bytes lie past the end of the file is `Truncated`.
    fn read(&mut self, addr: u64, n: u64, part: &str) -> Result<Option<Vec<u8>>, GobinError> {
        if let Some((at, bytes)) = &self.cache
            && let Some(from) = addr.checked_sub(*at).and_then(|d| usize::try_from(d).ok())
            && let Some(to) = usize::try_from(n).ok().and_then(|n| from.checked_add(n))
            && let Some(hit) = bytes.get(from..to)
        {
            return Ok(Some(hit.to_vec()));
        }
        let Some(seg) = self.segments.iter().find(|s| {
            addr >= s.vaddr && s.vaddr.checked_add(s.filesz).is_some_and(|end| addr < end)
        }) else {
            return Ok(None);
        };
        let into = addr - seg.vaddr;
        let n = n.min(seg.filesz - into);
        let Some(offset) = seg.offset.checked_add(into) else {
            return Err(self.corrupt(part, format!("file offset of {addr:#x} overflows")));
        };
        let part = format!("{part} (address {addr:#x}, file offset {offset:#x})");
        let bytes = self.src.read(offset, n, &part)?;
        self.cache = Some((addr, bytes.clone()));
        Ok(Some(bytes))
    }

    /// A length-prefixed string at `addr` and the address after it (Go ≥ 1.18 layout).
    fn inline_string(&mut self, addr: u64, what: &str) -> Result<(Vec<u8>, u64), GobinError> {
        let prefix = self.read(addr, 10, what)?.unwrap_or_default();
        let (len, used) = uvarint(&prefix);
        if used <= 0 {
            let problem = "its length is not a valid varint".to_string();
            return Err(self.corrupt(&format!("the build info's {what} string"), problem));
        }
        if len > MAX_STRING {
            let problem = format!("its length {len} is implausibly large");
            return Err(self.corrupt(&format!("the build info's {what} string"), problem));
        }
        let start = addr.saturating_add(used.unsigned_abs() as u64);
        let bytes = self.read(start, len, what)?.unwrap_or_default();
        if (bytes.len() as u64) < len {
            let problem = format!("its {len} bytes run past the end of its segment");
            return Err(self.corrupt(&format!("the build info's {what} string"), problem));
        }
        Ok((bytes, start.saturating_add(len)))
    }

    /// The Go string whose `{ptr, len}` header is at `addr` (Go < 1.18 layout); empty when
    /// either part is not in the file, as Go reads it.
    fn pointed_string(&mut self, addr: u64, size: usize, big: bool) -> Result<Vec<u8>, GobinError> {
        let pair = 2 * size as u64;
        let Some(header) = self.read(addr, pair, "a build info string header")? else {
            return Ok(Vec::new());
        };
        if (header.len() as u64) < pair {
            return Ok(Vec::new());
        }
        let data = word(&header, size, big);
        let len = word(header.get(size..).unwrap_or_default(), size, big);
        if len > MAX_STRING {
            return Ok(Vec::new());
        }
        match self.read(data, len, "a build info string")? {
            Some(bytes) if bytes.len() as u64 == len => Ok(bytes),
            _ => Ok(Vec::new()),
        }
    }

    fn corrupt(&self, part: &str, problem: String) -> GobinError {
        GobinError::Corrupt { path: self.src.path(), part: part.into(), problem }
    }
}

/// `runtime/debug.ParseBuildInfo`: the error is the 1-based line and what is wrong with it.
pub(crate) fn parse(data: &str) -> Result<BuildInfo, (usize, String)> {
    enum Last {
        None,
        Main,
        Dep(usize),
    }
    let mut info = BuildInfo::default();
    let mut main = Module::default();
    let mut last = Last::None;
    let mut rest = data;
    let mut line_no = 1;
    // A last line without its newline is ignored, as Go does.
    while let Some((line, tail)) = rest.split_once('\n') {
        rest = tail;
        let fail = |problem: String| (line_no, problem);
        if let Some(elem) = line.strip_prefix("path\t") {
            info.path = elem.to_string();
        } else if let Some(elem) = line.strip_prefix("mod\t") {
            main = module_line(elem).map_err(fail)?;
            last = Last::Main;
        } else if let Some(elem) = line.strip_prefix("dep\t") {
            info.deps.push(module_line(elem).map_err(fail)?);
            last = Last::Dep(info.deps.len() - 1);
        } else if let Some(elem) = line.strip_prefix("=>\t") {
            let cols: Vec<&str> = elem.split('\t').collect();
            let [path, version, sum] = cols[..] else {
                return Err(fail(format!(
                    "expected 3 columns for replacement; got {}",
                    cols.len()
                )));
            };
            let replace = Some(Box::new(Module {
                path: path.into(),
                version: version.into(),
                sum: sum.into(),
                replace: None,
            }));
            match last {
                Last::None => {
                    return Err(fail("replacement with no module on previous line".into()));
                }
                Last::Main => main.replace = replace,
                Last::Dep(i) => {
                    if let Some(dep) = info.deps.get_mut(i) {
                        dep.replace = replace;
                    }
                }
            }
            last = Last::None;
        } else if let Some(kv) = line.strip_prefix("build\t") {
            info.settings.push(build_line(kv).map_err(fail)?);
        }
        line_no += 1;
    }
    let empty = main.path.is_empty()
        && main.version.is_empty()
        && main.sum.is_empty()
        && main.replace.is_none();
    info.main = (!empty).then_some(main);
    Ok(info)
}

fn module_line(elem: &str) -> Result<Module, String> {
    let cols: Vec<&str> = elem.split('\t').collect();
    let (path, version, sum) = match cols[..] {
        [path, version] => (path, version, ""),
        [path, version, sum] => (path, version, sum),
        _ => return Err(format!("expected 2 or 3 columns; got {}", cols.len())),
    };
    Ok(Module { path: path.into(), version: version.into(), sum: sum.into(), replace: None })
}

/// `key=value`, either side possibly Go-quoted.
fn build_line(kv: &str) -> Result<(String, String), String> {
    let (key, raw_value) = match kv.as_bytes().first() {
        None => return Err("build line missing '='".into()),
        Some(b'=') => return Err("build line with missing key".into()),
        Some(b'`' | b'"') => {
            let Some((key, used)) = quote::unquote_prefix(kv.as_bytes()) else {
                return Err("invalid quoted key in build line".into());
            };
            let Some(raw_value) = kv.get(used..) else {
                return Err("invalid quoted key in build line".into());
            };
            let Some(raw_value) = raw_value.strip_prefix('=') else {
                return Err(match raw_value.chars().next() {
                    None => "build line missing '=' after quoted key".into(),
                    Some(c) => format!("unexpected character after quoted key: {c:?}"),
                });
            };
            (String::from_utf8_lossy(&key).into_owned(), raw_value)
        }
        Some(_) => {
            let Some((key, raw_value)) = kv.split_once('=') else {
                return Err("build line missing '=' after key".into());
            };
            if quote_key(key) {
                return Err(format!("unquoted key {} must be quoted", quote::quote(key)));
            }
            (key.to_string(), raw_value)
        }
    };
    let value = match raw_value.as_bytes().first() {
        Some(b'`' | b'"') => match quote::unquote(raw_value) {
            Some(value) => value,
            None => return Err("invalid quoted value in build line".into()),
        },
        _ if quote_value(raw_value) => {
            return Err(format!("unquoted value {} must be quoted", quote::quote(raw_value)));
        }
        _ => raw_value.to_string(),
    };
    Ok((key, value))
}

fn quote_key(key: &str) -> bool {
    key.is_empty() || key.contains(['=', ' ', '\t', '\r', '\n', '"', '`'])
}

fn quote_value(value: &str) -> bool {
    value.contains([' ', '\t', '\r', '\n', '"', '`'])
}

/// `BuildInfo.String()` without the `go` line, each line indented by a tab: what
/// `go version -m` prints after `FILE: goVERSION`.
pub(crate) fn render(info: &BuildInfo) -> String {
    let mut out = String::new();
    if !info.path.is_empty() {
        out.push_str(&format!("\tpath\t{}\n", info.path));
    }
    if let Some(main) = &info.main {
        render_module(&mut out, "mod", main);
    }
    for dep in &info.deps {
        render_module(&mut out, "dep", dep);
    }
    for (key, value) in &info.settings {
        let key = if quote_key(key) { quote::quote(key) } else { key.clone() };
        let value = if quote_value(value) { quote::quote(value) } else { value.clone() };
        out.push_str(&format!("\tbuild\t{key}={value}\n"));
    }
    out
}

/// A module line; a replaced module has no sum column, its `=>` line follows.
fn render_module(out: &mut String, word: &str, m: &Module) {
    out.push_str(&format!("\t{word}\t{}\t{}", m.path, m.version));
    match &m.replace {
        None => out.push_str(&format!("\t{}\n", m.sum)),
        Some(r) => {
            out.push('\n');
            render_module(out, "=>", r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvarint_matches_go() {
        assert_eq!(uvarint(&[]), (0, 0));
        assert_eq!(uvarint(&[0x08]), (8, 1));
        assert_eq!(uvarint(&[0x80]), (0, 0));
        assert_eq!(uvarint(&[0xac, 0x02]), (300, 2));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(uvarint(&max), (u64::MAX, 10));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(uvarint(&over), (0, -10));
        assert_eq!(uvarint(&[0xff; 11]), (0, -11));
    }

    const TEXT: &str = "path\texample.com/hello\n\
        mod\texample.com/hello\t(devel)\t\n\
        dep\tgolang.org/x/mod\tv0.20.0\th1:abc=\n\
        dep\tgolang.org/x/sys\tv0.1.0\n\
        =>\t../sys\t\t\n\
        build\t-ldflags=\"-X main.x=y\"\n\
        build\tCGO_ENABLED=0\n\
        build\t\"we=ird\"=`a b`\n\
        build\tempty=\n";

    #[test]
    fn parses_and_renders_like_go() {
        let info = parse(TEXT).unwrap();
        assert_eq!(info.path, "example.com/hello");
        let main = info.main.as_ref().unwrap();
        assert_eq!((main.path.as_str(), main.version.as_str()), ("example.com/hello", "(devel)"));
        assert_eq!(info.deps.len(), 2);
        assert_eq!(info.deps[0].sum, "h1:abc=");
        assert_eq!(info.deps[1].replace.as_ref().unwrap().path, "../sys");
        assert_eq!(info.setting("-ldflags"), Some("-X main.x=y"));
        assert_eq!(info.setting("we=ird"), Some("a b"));
        assert_eq!(info.setting("empty"), Some(""));
        assert_eq!(info.setting("nope"), None);
        let expected = "\tpath\texample.com/hello\n\
            \tmod\texample.com/hello\t(devel)\t\n\
            \tdep\tgolang.org/x/mod\tv0.20.0\th1:abc=\n\
            \tdep\tgolang.org/x/sys\tv0.1.0\n\
            \t=>\t../sys\t\t\n\
            \tbuild\t-ldflags=\"-X main.x=y\"\n\
            \tbuild\tCGO_ENABLED=0\n\
            \tbuild\t\"we=ird\"=\"a b\"\n\
            \tbuild\tempty=\n";
        assert_eq!(render(&info), expected);
    }

    #[test]
    fn parse_errors_name_the_line() {
        let cases = [
            ("mod\ta\n", 1, "expected 2 or 3 columns; got 1"),
            ("path\tp\ndep\ta\tb\tc\td\n", 2, "expected 2 or 3 columns; got 4"),
            ("=>\ta\tb\tc\n", 1, "replacement with no module on previous line"),
            ("mod\ta\tb\n=>\ta\tb\n", 2, "expected 3 columns for replacement; got 2"),
            ("mod\ta\tb\n=>\ta\tb\tc\n=>\ta\tb\tc\n", 3, "replacement with no module"),
            ("build\t\n", 1, "build line missing '='"),
            ("build\t=x\n", 1, "build line with missing key"),
            ("build\tkey\n", 1, "build line missing '=' after key"),
            ("build\t\"k\n", 1, "invalid quoted key"),
            ("build\t\"k\"\n", 1, "missing '=' after quoted key"),
            ("build\t\"k\"x\n", 1, "unexpected character after quoted key: 'x'"),
            ("build\tk=\"v\n", 1, "invalid quoted value"),
            ("build\tk=a b\n", 1, "unquoted value \"a b\" must be quoted"),
        ];
        for (text, line, needle) in cases {
            let (got_line, problem) = parse(text).unwrap_err();
            assert_eq!(got_line, line, "{text:?}");
            assert!(problem.contains(needle), "{text:?}: {problem}");
        }
        // Unknown lines and an unterminated last line are ignored.
        let info = parse("go\tgo1.2\nzzz\npath\tp\npath\tq").unwrap();
        assert_eq!(info.path, "p");
        assert!(info.main.is_none());
        assert_eq!(render(&parse("mod\t\t\n").unwrap()), "");
    }
}
