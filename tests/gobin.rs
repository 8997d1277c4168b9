//! Oracle tests for `goenv::gobin`: what it reads from real Go executables must equal what
//! `go version -m` prints for them, with two real Go SDKs as the oracle. The executables are
//! every command of both fixture SDKs, Debian's Delve (`/usr/bin/dlv`, built by Go 1.19 outside
//! module mode), and hello-worlds the 1.25 SDK cross-builds for Linux, macOS (thin and a
//! universal file assembled here) and Windows. Also: the refusals (non-Go, truncated, text) and
//! no panic on truncated or mutated real binaries.
//!
//! Fixtures come from `.fixtures/` (`scripts/fixtures`) and `apt-get install delve`; a missing
//! one is a panic saying so, never a skip. Hello-worlds are built once and kept in
//! `<target>/hello`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use goenv::gobin::{self, BinaryArch, BinaryOs, GoBinary, GobinError};

const GO_OLD: &str = "1.21.13";
const GO_NEW: &str = "1.25.5";

#[track_caller]
fn missing(what: &str) -> ! {
    panic!("missing test fixture: {what}. Run `scripts/fixtures` (and `apt-get install delve`).")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".fixtures")
}

/// `.fixtures/go<version>/go`, checked by its VERSION file.
#[track_caller]
fn goroot(version: &str) -> PathBuf {
    let root = fixtures().join(format!("go{version}/go"));
    let text = std::fs::read_to_string(root.join("VERSION")).unwrap_or_default();
    if text.lines().next() != Some(format!("go{version}").as_str()) {
        missing(&format!("Go {version} in {}", root.display()));
    }
    root
}

/// `<target>/hello`: built hello-worlds and the Go home they are built with.
fn hello_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("hello")
}

/// The shared build cache when the fixtures have one, else one of our own.
fn gocache() -> PathBuf {
    let shared = fixtures().join("gocache");
    if shared.is_dir() { shared } else { hello_dir().join("gocache") }
}

/// `env -i HOME=… PATH=/usr/bin:/bin GOTOOLCHAIN=local GOCACHE=… GOFLAGS= <go> args` plus
/// `env`, from `dir`.
fn go(version: &str, args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let home = hello_dir().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new(goroot(version).join("bin/go"));
    cmd.args(args).current_dir(dir).env_clear();
    cmd.env("HOME", &home).env("PATH", "/usr/bin:/bin").env("GOTOOLCHAIN", "local");
    cmd.env("GOCACHE", gocache()).env("GOFLAGS", "");
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.output().unwrap_or_else(|e| panic!("cannot run go {version}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `go version -m FILE` without the leading `FILE: `, or its error.
fn go_version_m(version: &str, file: &Path) -> Result<String, String> {
    let out = go(version, &["version", "-m", &file.display().to_string()], Path::new("/"), &[]);
    if !out.status.success() {
        return Err(text(&out.stderr));
    }
    let stdout = text(&out.stdout);
    let prefix = format!("{}: ", file.display());
    match stdout.strip_prefix(&prefix) {
        Some(rest) => Ok(rest.to_string()),
        None => panic!("go {version} printed {stdout:?}, not starting with {prefix:?}"),
    }
}

/// What `go version -m` would print after `FILE: `, from what gobin read.
fn render(bin: &GoBinary) -> String {
    let lines = bin.info.as_ref().map(|i| i.render_like_go_version_m()).unwrap_or_default();
    format!("{}\n{lines}", bin.go_version)
}

#[track_caller]
fn read(file: &Path) -> GoBinary {
    let bin = gobin::read(file).unwrap_or_else(|e| panic!("{e}"));
    let bytes = std::fs::read(file).unwrap();
    let from_bytes = gobin::read_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bin, from_bytes, "read and read_bytes differ on {}", file.display());
    bin
}

/// gobin agrees with `go version -m` of both SDKs on `file`, and reads `os/arch`.
#[track_caller]
fn assert_matches_go(file: &Path, os: BinaryOs, arch: BinaryArch) -> GoBinary {
    let bin = read(file);
    assert_eq!((bin.os, &bin.arch), (os, &arch), "{}", file.display());
    let mine = render(&bin);
    for version in [GO_NEW, GO_OLD] {
        let theirs = go_version_m(version, file).unwrap_or_else(|e| panic!("go {version}: {e}"));
        assert_eq!(mine, theirs, "{} (oracle go {version})", file.display());
    }
    bin
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

// ---- 1. every command of both SDKs ------------------------------------------------------------

#[test]
fn every_sdk_command_reads_as_go_version_m_prints_it() {
    let mut count = 0;
    for version in [GO_OLD, GO_NEW] {
        let root = goroot(version);
        let files = [files_in(&root.join("bin")), files_in(&root.join("pkg/tool/linux_amd64"))];
        for file in files.iter().flatten() {
            let bin = assert_matches_go(file, BinaryOs::Linux, BinaryArch::Amd64);
            assert_eq!(bin.go_version, format!("go{version}"), "{}", file.display());
            let info = bin.info.as_ref().unwrap();
            assert!(info.path.starts_with("cmd/"), "{}", info.path);
            assert_eq!(info.setting("GOOS"), Some("linux"));
            assert_eq!(info.setting("-trimpath"), Some("true"));
            count += 1;
        }
    }
    assert!(count >= 20, "only {count} SDK commands");
    eprintln!("{count} SDK commands agree with go version -m");
}

// ---- 2. Debian's Delve ------------------------------------------------------------------------

#[test]
fn debians_delve_reads_as_go_version_m_prints_it() {
    let dlv = Path::new("/usr/bin/dlv");
    if !dlv.is_file() {
        missing("/usr/bin/dlv (Debian's delve package)");
    }
    let bin = assert_matches_go(dlv, BinaryOs::Linux, BinaryArch::Amd64);
    let info = bin.info.as_ref().unwrap();
    eprintln!("dlv: {} path {:?} main {:?}", bin.go_version, info.path, info.main);
    assert!(bin.go_version.starts_with("go1."), "{}", bin.go_version);
    assert_eq!(info.path, "github.com/go-delve/delve/cmd/dlv");
}

// ---- 3. hello-worlds, cross-built -------------------------------------------------------------

/// One built hello-world.
struct Hello {
    goos: &'static str,
    goarch: &'static str,
    variant: &'static str,
    path: PathBuf,
}

const TARGETS: [(&str, &str); 5] = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "arm64"),
    ("darwin", "amd64"),
    ("windows", "amd64"),
];

const VARIANTS: [(&str, &[&str]); 3] = [
    ("plain", &["-buildvcs=false"]),
    ("ldflags", &["-buildvcs=false", "-ldflags=-X main.x=y"]),
    ("trimpath", &["-buildvcs=false", "-trimpath"]),
];

const GO_MOD: &str = "module example.com/hello\n\ngo 1.21\n";
const MAIN_GO: &str = "package main\n\nimport \"fmt\"\n\nvar x = \"unset\"\n\n\
    func main() { fmt.Println(\"hello\", x) }\n";

/// Every hello-world, built once per target directory (a missing output is rebuilt).
fn hellos() -> &'static [Hello] {
    static HELLOS: OnceLock<Vec<Hello>> = OnceLock::new();
    HELLOS.get_or_init(|| {
        let dir = hello_dir().join("v1");
        let src = dir.join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("go.mod"), GO_MOD).unwrap();
        std::fs::write(src.join("main.go"), MAIN_GO).unwrap();
        let mut all = Vec::new();
        for (goos, goarch) in TARGETS {
            for (variant, _) in VARIANTS {
                let ext = if goos == "windows" { ".exe" } else { "" };
                let path = dir.join(format!("hello-{goos}-{goarch}-{variant}{ext}"));
                all.push(Hello { goos, goarch, variant, path });
            }
        }
        // One target per thread: a first build for a target compiles its standard library.
        std::thread::scope(|s| {
            for (goos, goarch) in TARGETS {
                let (all, src) = (&all, &src);
                s.spawn(move || {
                    for h in all.iter().filter(|h| h.goos == goos && h.goarch == goarch) {
                        if h.path.is_file() {
                            continue;
                        }
                        let flags = VARIANTS.iter().find(|(v, _)| *v == h.variant).unwrap().1;
                        let out = h.path.display().to_string();
                        let mut args = vec!["build", "-o", out.as_str()];
                        args.extend(flags);
                        args.push(".");
                        let env = [
                            ("CGO_ENABLED", "0"),
                            ("GOFLAGS", "-mod=mod"),
                            ("GOPROXY", "off"),
                            ("GOOS", goos),
                            ("GOARCH", goarch),
                        ];
                        let res = go(GO_NEW, &args, src, &env);
                        assert!(res.status.success(), "go build {out}: {}", text(&res.stderr));
                    }
                });
            }
        });
        all
    })
}

#[test]
fn cross_built_hello_worlds_read_as_go_version_m_prints_them() {
    for h in hellos() {
        let os = match h.goos {
            "linux" => BinaryOs::Linux,
            "darwin" => BinaryOs::Macos,
            _ => BinaryOs::Windows,
        };
        let arch = if h.goarch == "amd64" { BinaryArch::Amd64 } else { BinaryArch::Arm64 };
        let bin = assert_matches_go(&h.path, os, arch);
        assert_eq!(bin.go_version, format!("go{GO_NEW}"));
        let info = bin.info.as_ref().unwrap();
        assert_eq!(info.path, "example.com/hello");
        let main = info.main.as_ref().unwrap();
        assert_eq!((main.path.as_str(), main.version.as_str()), ("example.com/hello", "(devel)"));
        assert_eq!(info.setting("GOOS"), Some(h.goos));
        assert_eq!(info.setting("GOARCH"), Some(h.goarch));
        assert_eq!(info.setting("CGO_ENABLED"), Some("0"));
        match h.variant {
            "ldflags" => {
                assert_eq!(info.setting("-ldflags"), Some("-X main.x=y"));
                let rendered = info.render_like_go_version_m();
                assert!(rendered.contains("\tbuild\t-ldflags=\"-X main.x=y\"\n"), "{rendered}");
            }
            "trimpath" => assert_eq!(info.setting("-trimpath"), Some("true")),
            _ => assert_eq!(info.setting("-trimpath"), None),
        }
    }
}

/// A module in a git repository tagged `v0.1.0`: Go ≥ 1.24 stamps that as the main module's
/// version, with `vcs.*` settings.
#[test]
fn a_vcs_stamped_hello_world_reads_as_go_version_m_prints_it() {
    let git = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|d| d.join("git")).find(|g| g.is_file()))
        .unwrap_or_else(|| missing("git on PATH"));
    let dir = hello_dir().join("v1-vcs");
    let out = dir.join("hello-vcs");
    if !out.is_file() {
        let _ = std::fs::remove_dir_all(&dir);
        let src = dir.join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("go.mod"), GO_MOD).unwrap();
        std::fs::write(src.join("main.go"), MAIN_GO).unwrap();
        let run_git = |args: &[&str]| {
            let res = Command::new(&git)
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
                .args(args)
                .current_dir(&src)
                .env("GIT_AUTHOR_DATE", "2025-01-02T03:04:05Z")
                .env("GIT_COMMITTER_DATE", "2025-01-02T03:04:05Z")
                .output()
                .unwrap();
            assert!(res.status.success(), "git {args:?}: {}", text(&res.stderr));
        };
        run_git(&["init", "-q"]);
        run_git(&["add", "."]);
        run_git(&["commit", "-q", "-m", "hello"]);
        run_git(&["tag", "v0.1.0"]);
        let path = format!("{}:/usr/bin:/bin", git.parent().unwrap().display());
        let o = out.display().to_string();
        let env =
            [("CGO_ENABLED", "0"), ("GOFLAGS", "-mod=mod"), ("GOPROXY", "off"), ("PATH", &path)];
        let res = go(GO_NEW, &["build", "-o", &o, "."], &src, &env);
        assert!(res.status.success(), "go build: {}", text(&res.stderr));
    }
    let bin = assert_matches_go(&out, BinaryOs::Linux, BinaryArch::Amd64);
    let info = bin.info.unwrap();
    assert_eq!(info.main.as_ref().unwrap().version, "v0.1.0");
    assert_eq!(info.setting("vcs"), Some("git"));
    assert_eq!(info.setting("vcs.time"), Some("2025-01-02T03:04:05Z"));
    assert_eq!(info.setting("vcs.modified"), Some("false"));
    assert_eq!(info.setting("vcs.revision").map(str::len), Some(40));
}

/// A universal Mach-O of the darwin arm64 and amd64 hello-worlds, arm64 first: a big-endian
/// fat header (`CA FE BA BE`, then per slice cputype, cpusubtype, offset, size, align) and
/// each slice aligned to 2^14.
fn fat_hello() -> PathBuf {
    let thin = |arch: &str| {
        let h = hellos().iter().find(|h| h.goos == "darwin" && h.goarch == arch).unwrap();
        std::fs::read(&h.path).unwrap()
    };
    let slices = [thin("arm64"), thin("amd64")];
    let align = 14u32;
    let mut out = Vec::new();
    out.extend(0xcafe_babe_u32.to_be_bytes());
    out.extend((slices.len() as u32).to_be_bytes());
    let mut at = (8 + 20 * slices.len()).next_multiple_of(1 << align);
    let mut placed = Vec::new();
    for slice in &slices {
        out.extend(&slice[4..12]); // cputype, cpusubtype: little-endian in the thin header
        let n = out.len();
        out[n - 8..n - 4].reverse();
        out[n - 4..].reverse();
        out.extend((at as u32).to_be_bytes());
        out.extend((slice.len() as u32).to_be_bytes());
        out.extend(align.to_be_bytes());
        placed.push(at);
        at = (at + slice.len()).next_multiple_of(1 << align);
    }
    for (slice, at) in slices.iter().zip(placed) {
        out.resize(at, 0);
        out.extend(slice);
    }
    let path = hello_dir().join("v1/hello-darwin-universal");
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn a_universal_macho_reads_as_its_first_slice() {
    let fat = fat_hello();
    let bin = assert_matches_go(&fat, BinaryOs::Macos, BinaryArch::Arm64);
    let arm = hellos().iter().find(|h| h.goos == "darwin" && h.goarch == "arm64").unwrap();
    assert_eq!(bin, read(&arm.path));
    let all = gobin::read_all_arches(&fat).unwrap();
    assert_eq!(all, [(BinaryOs::Macos, BinaryArch::Arm64), (BinaryOs::Macos, BinaryArch::Amd64)]);
    assert_eq!(gobin::read_arch(&fat).unwrap(), (BinaryOs::Macos, BinaryArch::Arm64));
}

/// Without its build info section Go searches the first writable segment, and so does gobin:
/// in an ELF with its section headers stripped that finds the build info; in a Mach-O with the
/// section renamed the first read-write segment is `__DATA_CONST`, so neither finds it.
#[test]
fn without_the_section_the_writable_segment_is_searched_as_go_does() {
    let mut elf = std::fs::read(goroot(GO_NEW).join("bin/gofmt")).unwrap();
    // e_shoff, e_shentsize, e_shnum, e_shstrndx of an ELF64 header.
    elf[40..48].fill(0);
    elf[58..64].fill(0);
    let path = scratch("gofmt-no-sections", &elf);
    assert_matches_go(&path, BinaryOs::Linux, BinaryArch::Amd64);

    let h = hellos().iter().find(|h| h.goos == "darwin" && h.goarch == "arm64").unwrap();
    let mut macho = std::fs::read(&h.path).unwrap();
    let at = macho.windows(14).position(|w| w == b"__go_buildinfo").unwrap();
    macho[at..at + 14].copy_from_slice(b"__go_renamed__");
    let path = scratch("hello-darwin-renamed", &macho);
    let err = gobin::read(&path).unwrap_err();
    assert!(matches!(err, GobinError::NotGo { .. }), "{err}");
    assert!(err.to_string().ends_with("no Go build info header in its writable segment"), "{err}");
    let theirs = go_version_m(GO_NEW, &path).unwrap_err();
    assert!(theirs.ends_with(": not a Go executable\n"), "{theirs}");
}

// ---- 4. refusals ------------------------------------------------------------------------------

fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gobin-oracle");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    // `go version -m` stays silent about errors in files that are not executable.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

#[test]
fn non_go_truncated_and_text_files_are_refused_clearly() {
    let ls = Path::new("/usr/bin/ls");
    let err = gobin::read(ls).unwrap_err();
    assert!(matches!(err, GobinError::NotGo { .. }), "{err}");
    let m = err.to_string();
    assert!(m.starts_with("`/usr/bin/ls` is an executable but was not built by Go: "), "{m}");
    assert!(go_version_m(GO_NEW, ls).unwrap_err().contains("not a Go executable"));

    let gofmt = std::fs::read(goroot(GO_NEW).join("bin/gofmt")).unwrap();
    for (name, len) in [("gofmt-4k", 4096), ("gofmt-half", gofmt.len() / 2)] {
        let path = scratch(name, &gofmt[..len]);
        let err = gobin::read(&path).unwrap_err();
        let m = err.to_string();
        assert!(matches!(err, GobinError::Truncated { .. }), "{m}");
        assert!(m.starts_with(&format!("`{}` is truncated: ", path.display())), "{m}");
        assert!(m.contains(&format!("it has {len}")), "{m}");
        assert!(go_version_m(GO_NEW, &path).is_err());
        eprintln!("{m}");
    }

    let path = scratch("notes.txt", b"just some text\nnot a program\n");
    let err = gobin::read(&path).unwrap_err();
    assert!(matches!(err, GobinError::NotExecutable { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("`{}` is not an executable goenv can read (ELF, Mach-O or PE)", path.display())
    );
}

// ---- 5. no panic on damaged real binaries -----------------------------------------------------

/// A small deterministic PRNG (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Reads `bytes` and, when that works, renders it; only a panic fails.
fn exercise(bytes: &[u8]) -> bool {
    match gobin::read_bytes(bytes) {
        Ok(bin) => {
            let _ = render(&bin);
            true
        }
        Err(e) => {
            let _ = e.to_string();
            false
        }
    }
}

/// Truncates `bytes` at many offsets and flips bytes where readers look (the headers, around
/// the build info, the end of the file) and anywhere; returns the number of cases.
fn damage(bytes: &mut [u8], rng: &mut Rng, report: &mut String, name: &str) -> usize {
    let len = bytes.len();
    let magic = bytes.windows(14).position(|w| w == b"\xff Go buildinf:").unwrap_or(0);
    let mut cuts: Vec<usize> = (0..4096.min(len)).step_by(3).collect();
    cuts.extend((0..len).step_by(len / 500 + 1));
    cuts.extend(magic.saturating_sub(64)..(magic + 600).min(len));
    cuts.extend((len.saturating_sub(4096)..len).step_by(5));
    let (mut cases, mut ok) = (0, 0);
    for &cut in &cuts {
        ok += usize::from(exercise(&bytes[..cut]));
        cases += 1;
    }
    for _ in 0..2500 {
        let mut saved = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let at = match rng.below(10) {
                0..=3 => rng.below(4096.min(len)),
                4..=6 => (magic + rng.below(512)).min(len - 1),
                7 => len - 1 - rng.below(4096.min(len)),
                _ => rng.below(len),
            };
            saved.push((at, bytes[at]));
            bytes[at] = match rng.below(4) {
                0 => 0,
                1 => 0xff,
                _ => rng.next() as u8,
            };
        }
        ok += usize::from(exercise(bytes));
        cases += 1;
        for (at, b) in saved.into_iter().rev() {
            bytes[at] = b;
        }
    }
    let _ = writeln!(report, "{name}: {cases} cases, {ok} still read");
    cases
}

#[test]
fn damaged_real_binaries_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut report = String::new();
    let mut files = vec![goroot(GO_NEW).join("bin/gofmt"), goroot(GO_OLD).join("bin/gofmt")];
    for (goos, goarch) in [("darwin", "arm64"), ("windows", "amd64"), ("linux", "arm64")] {
        let h = hellos().iter().find(|h| h.goos == goos && h.goarch == goarch).unwrap();
        files.push(h.path.clone());
    }
    files.push(fat_hello());
    let mut total = 0;
    for file in &files {
        let mut bytes = std::fs::read(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        total += damage(&mut bytes, &mut rng, &mut report, &name);
    }
    eprint!("{report}");
    assert!(total > 10_000, "{total}");
}
