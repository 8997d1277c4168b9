//! A `file://` GOPROXY for tests: a directory laid out as the GOPROXY protocol says
//! (`<root>/<escaped module>/@v/{list,<v>.info,<v>.mod,<v>.zip}` and `<root>/<module>/@latest`),
//! which real `go install` reads with `GOPROXY=file:///…` and no network.
//!
//! It holds a fake `github.com/go-delve/delve` whose `cmd/dlv` is a tiny main program that
//! answers `dlv version` the way Delve does (go-semantics.md B.2): a `go install
//! github.com/go-delve/delve/cmd/dlv@vX.Y.Z` from it leaves a `dlv` whose build info says
//! `path github.com/go-delve/delve/cmd/dlv` / `mod github.com/go-delve/delve vX.Y.Z h1:…`.
//!
//! Module zips are written here by hand with the "stored" method (no compression; CRC-32
//! computed here), so no zip crate is needed. `module_zip_h1` computes the `h1:` hash Go
//! records for a module zip (golang.org/x/mod/sumdb/dirhash `Hash1`).

use std::cmp::Ordering;
use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The module path of Delve.
pub const DELVE_MODULE: &str = "github.com/go-delve/delve";
/// The package `go install` builds into `dlv`.
pub const DLV_PACKAGE: &str = "github.com/go-delve/delve/cmd/dlv";
/// The `go` directive of the fake Delve's go.mod unless told otherwise (Delve 1.22–1.25.0's).
pub const FAKE_DELVE_GO: &str = "1.21";
/// The `Time` in every `.info` file written here.
pub const INFO_TIME: &str = "2024-07-01T00:00:00Z";
/// The same instant as an MS-DOS date and time, for the zip entries: 2024-07-01 00:00:00.
const DOS_DATE: u16 = ((2024 - 1980) << 9) | (7 << 5) | 1;
const DOS_TIME: u16 = 0;

/// One release of the fake Delve: its version (`v1.23.1`) and the `go` directive of its go.mod.
#[derive(Clone, Copy, Debug)]
pub struct FakeDelve<'a> {
    pub version: &'a str,
    pub go: &'a str,
}

/// Builds a `file://` GOPROXY in `dir` (created if needed) holding the fake Delve at each of
/// `versions` (`v1.23.1`, …; `@v/list` keeps this order), each with `go 1.21` in its go.mod.
/// Returns the `file://` URL to put in `GOPROXY`.
pub fn fake_delve_proxy(dir: &Path, versions: &[&str]) -> String {
    let releases: Vec<FakeDelve> =
        versions.iter().map(|&version| FakeDelve { version, go: FAKE_DELVE_GO }).collect();
    fake_delve_proxy_with(dir, &releases)
}

/// `fake_delve_proxy` with a `go` directive per release (e.g. `1.22.0` for v1.25.1, as the
/// real go.mod says, to see an older Go refuse it under `GOTOOLCHAIN=local`).
pub fn fake_delve_proxy_with(dir: &Path, releases: &[FakeDelve]) -> String {
    for release in releases {
        let go_mod = delve_go_mod(release.go);
        let main_go = fake_dlv_main_go(release.version);
        add_module_version(
            dir,
            DELVE_MODULE,
            release.version,
            &[("go.mod", go_mod.as_bytes()), ("cmd/dlv/main.go", main_go.as_bytes())],
        );
    }
    file_url(dir)
}

/// What the fake `dlv version` prints for `version` (`v1.23.1` → `Version: 1.23.1`): Delve's
/// text for a `go install …@vX` build, whose `Build:` is the unexpanded `$Id$`.
pub fn dlv_version_text(version: &str) -> String {
    format!("Delve Debugger\nVersion: {}\nBuild: $Id$\n", version.trim_start_matches('v'))
}

/// The go.mod of the fake Delve (also served as `<v>.mod`).
pub fn delve_go_mod(go: &str) -> String {
    format!("module {DELVE_MODULE}\n\ngo {go}\n")
}

/// `cmd/dlv/main.go` of the fake Delve at `version`. `dlv version` prints `dlv_version_text`
/// and exits 0; `dlv version -v` adds `Build Details: <Go version>` and the main module line
/// from the build info, roughly as Delve does; anything else is an error (exit 1).
pub fn fake_dlv_main_go(version: &str) -> String {
    let bare = version.trim_start_matches('v');
    format!(
        r#"// Command dlv is a stand-in for Delve made by goenv's tests: it only answers "dlv version".
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

// Build is what a module-zip build of Delve prints (no ident expansion, no -X main.Build).
var Build = "$Id$"

const version = "{bare}"

func main() {{
	args := os.Args[1:]
	if len(args) >= 1 && args[0] == "version" {{
		fmt.Printf("Delve Debugger\nVersion: %s\nBuild: %s\n", version, Build)
		if len(args) == 2 && (args[1] == "-v" || args[1] == "--verbose") {{
			fmt.Printf("Build Details: %s\n", runtime.Version())
			if info, ok := debug.ReadBuildInfo(); ok {{
				fmt.Printf("mod\t%s\t%s\t%s\n", info.Main.Path, info.Main.Version, info.Main.Sum)
			}}
		}}
		return
	}}
	fmt.Fprintf(os.Stderr, "fake dlv %s: only `dlv version` is implemented (got %q)\n", version, args)
	os.Exit(1)
}}
"#
    )
}

/// Adds `module@version` to the proxy rooted at `root`: `@v/<version>.info` (`Time` is
/// `INFO_TIME`), `@v/<version>.mod` (the `go.mod` among `files`, else `module <path>`),
/// `@v/<version>.zip` (every file below `module@version/`), appends `version` to `@v/list`
/// unless already there, and rewrites `@latest` to the highest listed version (releases before
/// pre-releases, as Go's `@latest` query prefers). `files` are paths relative to the module root.
pub fn add_module_version(root: &Path, module: &str, version: &str, files: &[(&str, &[u8])]) {
    let dir = root.join(escape_module_path(module));
    let at_v = dir.join("@v");
    fs::create_dir_all(&at_v).unwrap_or_else(|e| panic!("create {}: {e}", at_v.display()));
    let escaped = escape_version(version);
    let write = |path: &Path, bytes: &[u8]| {
        fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    };

    let info = info_json(version);
    write(&at_v.join(format!("{escaped}.info")), info.as_bytes());
    let go_mod = files
        .iter()
        .find(|(name, _)| *name == "go.mod")
        .map_or_else(|| format!("module {module}\n").into_bytes(), |(_, bytes)| bytes.to_vec());
    write(&at_v.join(format!("{escaped}.mod")), &go_mod);
    write(&at_v.join(format!("{escaped}.zip")), &module_zip(module, version, files));

    let list_path = at_v.join("list");
    let mut versions: Vec<String> = fs::read_to_string(&list_path)
        .map(|text| text.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    if !versions.iter().any(|v| v == version) {
        versions.push(version.to_owned());
    }
    write(&list_path, versions.iter().map(|v| format!("{v}\n")).collect::<String>().as_bytes());

    let latest = versions
        .iter()
        .max_by(|a, b| {
            let release = |v: &str| !v.contains('-');
            release(a).cmp(&release(b)).then_with(|| semver_cmp(a, b))
        })
        .expect("at least one version");
    write(&dir.join("@latest"), info_json(latest).as_bytes());
}

/// The `.info` JSON of `version`.
pub fn info_json(version: &str) -> String {
    format!(r#"{{"Version":{},"Time":"{INFO_TIME}"}}"#, serde_json::Value::from(version))
}

/// The module zip of `module@version` holding `files` (paths relative to the module root),
/// entries named `module@version/<path>`, stored, in the given order.
pub fn module_zip(module: &str, version: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let prefixed: Vec<(String, &[u8])> =
        files.iter().map(|(name, bytes)| (format!("{module}@{version}/{name}"), *bytes)).collect();
    let entries: Vec<(&str, &[u8])> = prefixed.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    stored_zip(&entries)
}

/// The `h1:` hash Go records for a module zip holding `files` (x/mod dirhash `HashZip` with
/// `Hash1`): sha256 over the sorted lines `<sha256 hex>  module@version/<path>\n`, base64.
pub fn module_zip_h1(module: &str, version: &str, files: &[(&str, &[u8])]) -> String {
    let mut lines: Vec<String> = files
        .iter()
        .map(|(name, bytes)| {
            format!("{}  {module}@{version}/{name}\n", hex(&Sha256::digest(bytes)))
        })
        .collect();
    lines.sort_by(|a, b| a.split_at(66).1.cmp(b.split_at(66).1));
    h1_of_lines(&lines)
}

/// The `h1:` hash of a go.mod (the `/go.mod` line of go.sum).
pub fn go_mod_h1(go_mod: &[u8]) -> String {
    h1_of_lines(&[format!("{}  go.mod\n", hex(&Sha256::digest(go_mod)))])
}

/// The `h1:` hash `go version -m` shows for the fake Delve at `version` with `go` directive.
pub fn fake_delve_h1(version: &str, go: &str) -> String {
    let go_mod = delve_go_mod(go);
    let main_go = fake_dlv_main_go(version);
    module_zip_h1(
        DELVE_MODULE,
        version,
        &[("go.mod", go_mod.as_bytes()), ("cmd/dlv/main.go", main_go.as_bytes())],
    )
}

fn h1_of_lines(lines: &[String]) -> String {
    let mut summary = Sha256::new();
    for line in lines {
        summary.update(line.as_bytes());
    }
    format!("h1:{}", base64(&summary.finalize()))
}

/// A zip archive of `entries` (name, contents), all "stored" (method 0), regular files with
/// Unix mode 0644, dated 2024-07-01 00:00: local headers, central directory, end record.
pub fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = u32::try_from(out.len()).expect("zip under 4 GiB");
        let size = u32::try_from(data.len()).expect("entry under 4 GiB");
        let name_len = u16::try_from(name.len()).expect("name under 64 KiB");
        let crc = crc32(data);

        put32(&mut out, 0x0403_4b50); // local file header
        put16(&mut out, 10); // version needed: 1.0
        put16(&mut out, 0); // flags
        put16(&mut out, 0); // method: stored
        put16(&mut out, DOS_TIME);
        put16(&mut out, DOS_DATE);
        put32(&mut out, crc);
        put32(&mut out, size); // compressed size
        put32(&mut out, size); // uncompressed size
        put16(&mut out, name_len);
        put16(&mut out, 0); // extra length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        put32(&mut central, 0x0201_4b50); // central directory header
        put16(&mut central, (3 << 8) | 30); // made by: Unix, spec 3.0
        put16(&mut central, 10);
        put16(&mut central, 0);
        put16(&mut central, 0);
        put16(&mut central, DOS_TIME);
        put16(&mut central, DOS_DATE);
        put32(&mut central, crc);
        put32(&mut central, size);
        put32(&mut central, size);
        put16(&mut central, name_len);
        put16(&mut central, 0); // extra length
        put16(&mut central, 0); // comment length
        put16(&mut central, 0); // disk number start
        put16(&mut central, 0); // internal attributes
        put32(&mut central, 0o100_644 << 16); // external attributes: regular file 0644
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let count = u16::try_from(entries.len()).expect("under 65536 entries");
    let central_offset = u32::try_from(out.len()).expect("zip under 4 GiB");
    let central_size = u32::try_from(central.len()).expect("zip under 4 GiB");
    out.extend_from_slice(&central);
    put32(&mut out, 0x0605_4b50); // end of central directory
    put16(&mut out, 0); // this disk
    put16(&mut out, 0); // disk with the central directory
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, central_size);
    put32(&mut out, central_offset);
    put16(&mut out, 0); // comment length
    out
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zip and gzip use.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Module path as the proxy protocol spells it: each upper-case letter becomes `!` + lower case.
pub fn escape_module_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Versions are escaped the same way as module paths.
pub fn escape_version(version: &str) -> String {
    escape_module_path(version)
}

/// `file://` URL of the absolute path `dir` (bytes other than unreserved ones and `/`
/// percent-encoded).
pub fn file_url(dir: &Path) -> String {
    let path = dir.to_str().expect("UTF-8 proxy path");
    assert!(path.starts_with('/'), "GOPROXY directory must be absolute: {path}");
    let mut url = String::from("file://");
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// Semantic-version order of `vMAJOR.MINOR.PATCH[-PRE][+BUILD]` (build metadata ignored).
pub fn semver_cmp(a: &str, b: &str) -> Ordering {
    fn parts(v: &str) -> (Vec<u64>, Option<&str>) {
        let v = v.trim_start_matches('v');
        let v = v.split_once('+').map_or(v, |(core, _)| core);
        let (core, pre) = match v.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (v, None),
        };
        (core.split('.').map(|n| n.parse().unwrap_or(0)).collect(), pre)
    }
    let (core_a, pre_a) = parts(a);
    let (core_b, pre_b) = parts(b);
    core_a.cmp(&core_b).then_with(|| match (pre_a, pre_b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let mut xs = x.split('.');
            let mut ys = y.split('.');
            loop {
                match (xs.next(), ys.next()) {
                    (None, None) => break Ordering::Equal,
                    (None, Some(_)) => break Ordering::Less,
                    (Some(_), None) => break Ordering::Greater,
                    (Some(p), Some(q)) => {
                        let ord = match (p.parse::<u64>(), q.parse::<u64>()) {
                            (Ok(m), Ok(n)) => m.cmp(&n),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            (Err(_), Err(_)) => p.cmp(q),
                        };
                        if ord != Ordering::Equal {
                            break ord;
                        }
                    }
                }
            }
        }
    })
}

/// Calls `make_writable` on its directory when dropped (even when a test panics): declare it
/// after the `TempDir` holding a Go module cache, so that it runs before the removal.
pub struct WritableOnDrop(pub std::path::PathBuf);

impl Drop for WritableOnDrop {
    fn drop(&mut self) {
        make_writable(&self.0);
    }
}

/// Makes every directory below `dir` writable again, so that a temporary directory holding a
/// Go module cache (whose directories Go makes read-only) can be removed.
pub fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = fs::symlink_metadata(dir) else { return };
    if !meta.is_dir() {
        return;
    }
    let mut perms = meta.permissions();
    perms.set_mode(perms.mode() | 0o700);
    let _ = fs::set_permissions(dir, perms);
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            make_writable(&entry.path());
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
