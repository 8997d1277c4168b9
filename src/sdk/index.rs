//! go.dev's download index: `go "1.22"` resolves to the newest stable 1.22.x listed here.
//!
//! Owns the JSON format that `https://go.dev/dl/?mode=json&include=all` serves (also served by
//! `golang.google.cn` and usable from a file for air-gapped setups), Go's toolchain version
//! ordering (`1.22rc1 < 1.22.0 < 1.22.1`, as `internal/gover` orders them) and archive file names.
//! It is pure: it takes bytes and returns values. It must never fetch, touch the disk, or
//! invent a checksum: the sha256 values it hands out are exactly the ones the index lists.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// go.dev's index of every release (stable, unstable and archived), newest first.
pub const GO_DEV_INDEX_URL: &str = "https://go.dev/dl/?mode=json&include=all";

/// Where go.dev serves archives; mirrors use the same file names under their own base.
pub const GO_DEV_DL_URL: &str = "https://go.dev/dl/";

/// The whole index: go.dev sends a bare JSON array of releases.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Index {
    pub releases: Vec<Release>,
}

/// One release, e.g. `go1.22.3`, with every file go.dev published for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Release {
    /// With the `go` prefix: `"go1.22.3"`, `"go1.23rc1"`.
    pub version: String,
    /// go.dev's flag: the version contains neither `beta` nor `rc`.
    pub stable: bool,
    pub files: Vec<File>,
}

/// One published file: an archive, an installer (`.pkg`, `.msi`) or the source tarball.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct File {
    /// `"go1.22.3.linux-amd64.tar.gz"`
    pub filename: String,
    /// GOOS, `""` for the source tarball.
    pub os: String,
    /// GOARCH, except `"armv6l"` for `arm`; `""` for the source tarball.
    pub arch: String,
    pub version: String,
    /// Lower-case hex, as go.dev publishes it.
    pub sha256: String,
    pub size: i64,
    /// `"archive"`, `"installer"` or `"source"`.
    pub kind: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(
        "the download index is not JSON ({detail}): is this a go.dev download index \
         (`?mode=json&include=all`)?{html_hint}",
        html_hint = if *looks_like_html { " it looks like an HTML page" } else { "" }
    )]
    NotJson { detail: String, looks_like_html: bool },
    #[error(
        "the download index has an unexpected shape ({detail}): is this a go.dev download index \
         (`?mode=json&include=all`)?"
    )]
    WrongShape { detail: String },
}

impl Index {
    /// Parses the body of `?mode=json&include=all` (or `?mode=json`, which is a subset).
    pub fn parse(bytes: &[u8]) -> Result<Index, IndexError> {
        serde_json::from_slice::<Index>(bytes).map_err(|err| {
            let detail = format!("line {}, column {}: {}", err.line(), err.column(), reason(&err));
            match err.classify() {
                serde_json::error::Category::Data => IndexError::WrongShape { detail },
                _ => {
                    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
                    IndexError::NotJson { detail, looks_like_html: first == Some(&b'<') }
                }
            }
        })
    }

    /// The newest stable release of the line `major.minor` (`go "1.22"` in a profile).
    pub fn newest_in_line(&self, major: u32, minor: u32) -> Option<&Release> {
        self.releases
            .iter()
            .filter(|r| r.stable)
            .filter_map(|r| Some((r.parsed_version()?, r)))
            .filter(|(v, _)| v.major == major && v.minor == minor && v.is_release())
            .max_by(|(a, _), (b, _)| a.cmp(b))
            .map(|(_, r)| r)
    }

    /// The release named `version` (`"go1.22.3"` or `"1.22.3"`), compared as Go compares
    /// versions, so `"1.20"` and `"go1.20"` are the same release.
    pub fn release(&self, version: &str) -> Option<&Release> {
        match Version::parse(version) {
            Ok(wanted) => self.releases.iter().find(|r| r.parsed_version() == Some(wanted)),
            Err(_) => self.releases.iter().find(|r| r.version == version),
        }
    }
}

impl Release {
    /// The release's version, or `None` when go.dev ever lists a name Go itself would reject.
    pub fn parsed_version(&self) -> Option<Version> {
        Version::parse(&self.version).ok()
    }

    /// The `.tar.gz` (`.zip` on windows) binary archive for a platform. `goarch` is Go's name:
    /// `arm` finds go.dev's `armv6l` archive (writing `armv6l` works too).
    pub fn archive(&self, goos: &str, goarch: &str) -> Option<&File> {
        let arch = index_arch(goarch);
        self.files.iter().find(|f| f.kind == "archive" && f.os == goos && f.arch == arch)
    }
}

/// The archive's file name as go.dev and mirrors publish it:
/// `archive_name("1.22.3", "linux", "amd64") == "go1.22.3.linux-amd64.tar.gz"`.
pub fn archive_name(version: &str, goos: &str, goarch: &str) -> String {
    let version = version.strip_prefix("go").unwrap_or(version);
    let ext = if goos == "windows" { "zip" } else { "tar.gz" };
    format!("go{version}.{goos}-{}.{ext}", index_arch(goarch))
}

/// `base` (a mirror such as `https://golang.google.cn/dl/`) joined with a file name, with
/// exactly one `/` between them.
pub fn mirror_url(base: &str, filename: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), filename.trim_start_matches('/'))
}

fn index_arch(goarch: &str) -> &str {
    if goarch == "arm" { "armv6l" } else { goarch }
}

/// serde_json's message without its own " at line L column C" suffix (we print that first).
fn reason(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// A pre-release kind; the order is Go's: alpha < beta < rc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PreKind {
    Alpha,
    Beta,
    Rc,
}

impl PreKind {
    fn as_str(self) -> &'static str {
        match self {
            PreKind::Alpha => "alpha",
            PreKind::Beta => "beta",
            PreKind::Rc => "rc",
        }
    }
}

/// A Go toolchain version: `1.22.3`, `1.22rc1`, `1.9.2rc2`, or the language version `1.22`.
///
/// Ordering follows `internal/gover`: `1.22 < 1.22rc1 < 1.22.0 < 1.22.1`. Before Go 1.21 the
/// first release of a line had no `.0` (`go1.20`), so `1.20` parses as `1.20.0`, and `1`
/// as `1.0.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    /// `None` for a language version (`1.22`) or a line pre-release (`1.22rc1`).
    pub patch: Option<u32>,
    pub pre: Option<(PreKind, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Go version: write it like `1.22.3`, `1.22` or `1.23rc1`")]
pub struct VersionError(pub String);

impl Version {
    /// Parses `go1.22.3`, `1.22.3`, `1.22`, `1.22rc1` or `1.9.2rc2`. Leading zeros, empty parts
    /// and unknown suffixes are rejected, as Go rejects them.
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let bad = || VersionError(text.to_string());
        let s = text.strip_prefix("go").unwrap_or(text);
        let (major, rest) = cut_int(s).ok_or_else(bad)?;
        if rest.is_empty() {
            return Ok(Version { major, minor: 0, patch: Some(0), pre: None });
        }
        let (minor, rest) = rest.strip_prefix('.').and_then(cut_int).ok_or_else(bad)?;
        if rest.is_empty() {
            let patch = if major == 1 && minor < 21 { Some(0) } else { None };
            return Ok(Version { major, minor, patch, pre: None });
        }
        let (patch, rest) = match rest.strip_prefix('.') {
            Some(after_dot) => {
                let (patch, rest) = cut_int(after_dot).ok_or_else(bad)?;
                (Some(patch), rest)
            }
            None => (None, rest),
        };
        let pre = if rest.is_empty() { None } else { Some(parse_pre(rest).ok_or_else(bad)?) };
        Ok(Version { major, minor, patch, pre })
    }

    /// A published toolchain without a pre-release suffix (`1.22.3`, `1.20`), not a language
    /// version.
    pub fn is_release(&self) -> bool {
        self.patch.is_some() && self.pre.is_none()
    }
}

fn cut_int(s: &str) -> Option<(u32, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let digits = &s[..end];
    if digits.is_empty() || (digits.starts_with('0') && digits.len() > 1) {
        return None;
    }
    Some((digits.parse().ok()?, &s[end..]))
}

fn parse_pre(s: &str) -> Option<(PreKind, u32)> {
    let kind = [PreKind::Alpha, PreKind::Beta, PreKind::Rc]
        .into_iter()
        .find(|k| s.starts_with(k.as_str()))?;
    let (n, rest) = cut_int(&s[kind.as_str().len()..])?;
    rest.is_empty().then_some((kind, n))
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then(self.minor.cmp(&other.minor))
            // None < Some: the language version and line pre-releases come before x.y.0.
            .then(self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre, other.pre) {
                (None, None) => Ordering::Equal,
                (Some(a), Some(b)) => a.cmp(&b),
                // Without a patch, `1.22` (no suffix) is the language version, below `1.22rc1`;
                // with one, `1.9.2` is the release, above `1.9.2rc2`.
                (None, Some(_)) if self.patch.is_none() => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) if self.patch.is_none() => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for Version {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

/// Go's spelling without the `go` prefix: `1.22.3`, `1.22rc1`, and `1.20` / `1` for the first
/// releases of lines before 1.21.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Version { major, minor, patch, pre } = *self;
        match patch {
            Some(0) if major == 1 && minor == 0 && pre.is_none() => write!(f, "1")?,
            Some(0) if major == 1 && minor < 21 && pre.is_none() => write!(f, "1.{minor}")?,
            Some(patch) => write!(f, "{major}.{minor}.{patch}")?,
            None => write!(f, "{major}.{minor}")?,
        }
        if let Some((kind, n)) = pre {
            write!(f, "{}{n}", kind.as_str())?;
        }
        Ok(())
    }
}

/// The download index a plan resolved versions against.
#[derive(Debug, Clone)]
pub struct FetchedIndex {
    pub url: String,
    pub index: Index,
    /// Why a cached copy older than the refresh interval was used (the fetch failed).
    pub stale: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like go.dev's answer: newest first, an rc, archived lines, every kind of file,
    /// and a field go.dev may add later.
    const FRAGMENT: &str = r#"[
      {"version": "go1.23rc1", "stable": false, "files": [
        {"filename": "go1.23rc1.linux-amd64.tar.gz", "os": "linux", "arch": "amd64",
         "version": "go1.23rc1", "sha256": "aa", "size": 1, "kind": "archive"}]},
      {"version": "go1.22.3", "stable": true, "future_field": 1, "files": [
        {"filename": "go1.22.3.src.tar.gz", "os": "", "arch": "", "version": "go1.22.3",
         "sha256": "01", "size": 27000000, "kind": "source"},
        {"filename": "go1.22.3.darwin-arm64.pkg", "os": "darwin", "arch": "arm64",
         "version": "go1.22.3", "sha256": "02", "size": 66000000, "kind": "installer"},
        {"filename": "go1.22.3.darwin-arm64.tar.gz", "os": "darwin", "arch": "arm64",
         "version": "go1.22.3", "sha256": "03", "size": 65000000, "kind": "archive"},
        {"filename": "go1.22.3.linux-amd64.tar.gz", "os": "linux", "arch": "amd64",
         "version": "go1.22.3", "sha256": "04", "size": 68958945, "kind": "archive"},
        {"filename": "go1.22.3.linux-armv6l.tar.gz", "os": "linux", "arch": "armv6l",
         "version": "go1.22.3", "sha256": "05", "size": 65000000, "kind": "archive"}]},
      {"version": "go1.22.10", "stable": true, "files": []},
      {"version": "go1.22.2", "stable": true, "files": []},
      {"version": "go1.22.0", "stable": true, "files": []},
      {"version": "go1.22rc2", "stable": false, "files": []},
      {"version": "go1.21.13", "stable": true, "files": []},
      {"version": "go1.20", "stable": true, "files": []},
      {"version": "go1.20.14", "stable": true, "files": []},
      {"version": "go1.20rc3", "stable": false, "files": []}
    ]"#;

    fn index() -> Index {
        match Index::parse(FRAGMENT.as_bytes()) {
            Ok(index) => index,
            Err(err) => panic!("fixture does not parse: {err}"),
        }
    }

    fn v(s: &str) -> Version {
        match Version::parse(s) {
            Ok(v) => v,
            Err(err) => panic!("{err}"),
        }
    }

    #[test]
    fn parses_the_fragment_and_ignores_unknown_fields() {
        let index = index();
        assert_eq!(index.releases.len(), 10);
        let r = &index.releases[1];
        assert_eq!(r.version, "go1.22.3");
        assert!(r.stable);
        assert_eq!(r.files[3].size, 68958945);
        assert_eq!(r.files[0].kind, "source");
    }

    #[test]
    fn newest_in_line_is_numeric_and_skips_unstable() {
        let index = index();
        let newest = |maj, min| index.newest_in_line(maj, min).map(|r| r.version.as_str());
        // 1.22.10 > 1.22.3 numerically, although the index lists 1.22.3 first.
        assert_eq!(newest(1, 22), Some("go1.22.10"));
        assert_eq!(newest(1, 21), Some("go1.21.13"));
        assert_eq!(newest(1, 20), Some("go1.20.14"));
        // Only an rc exists for 1.23.
        assert_eq!(newest(1, 23), None);
        assert_eq!(newest(1, 19), None);
    }

    #[test]
    fn release_lookup_accepts_both_spellings() {
        let index = index();
        assert_eq!(index.release("go1.22.3").map(|r| r.version.as_str()), Some("go1.22.3"));
        assert_eq!(index.release("1.22.3").map(|r| r.version.as_str()), Some("go1.22.3"));
        assert_eq!(index.release("1.23rc1").map(|r| r.version.as_str()), Some("go1.23rc1"));
        assert_eq!(index.release("go1.20").map(|r| r.version.as_str()), Some("go1.20"));
        assert!(index.release("1.22.4").is_none());
        assert!(index.release("1.22").is_none(), "a language version is not a release");
        assert!(index.release("nonsense").is_none());
    }

    #[test]
    fn archive_picks_the_tarball_for_the_platform() {
        let index = index();
        let Some(r) = index.release("1.22.3") else { panic!("fixture has 1.22.3") };
        let name = |os, arch| r.archive(os, arch).map(|f| f.filename.as_str());
        assert_eq!(name("linux", "amd64"), Some("go1.22.3.linux-amd64.tar.gz"));
        // The installer (.pkg) for darwin/arm64 is listed first; the archive must win.
        assert_eq!(name("darwin", "arm64"), Some("go1.22.3.darwin-arm64.tar.gz"));
        assert_eq!(name("linux", "arm"), Some("go1.22.3.linux-armv6l.tar.gz"));
        assert_eq!(name("linux", "armv6l"), Some("go1.22.3.linux-armv6l.tar.gz"));
        assert_eq!(name("linux", "arm64"), None);
        assert_eq!(name("", ""), None, "the source tarball is not an archive");
        assert_eq!(r.archive("linux", "amd64").map(|f| f.sha256.as_str()), Some("04"));
    }

    #[test]
    fn archive_names() {
        assert_eq!(archive_name("go1.22.3", "linux", "amd64"), "go1.22.3.linux-amd64.tar.gz");
        assert_eq!(archive_name("1.22.3", "darwin", "arm64"), "go1.22.3.darwin-arm64.tar.gz");
        assert_eq!(archive_name("1.22.3", "linux", "arm"), "go1.22.3.linux-armv6l.tar.gz");
        assert_eq!(archive_name("1.23rc1", "windows", "amd64"), "go1.23rc1.windows-amd64.zip");
        for r in &index().releases {
            for f in r.files.iter().filter(|f| f.kind == "archive") {
                assert_eq!(archive_name(&r.version, &f.os, &f.arch), f.filename);
            }
        }
        assert_eq!(
            mirror_url("https://golang.google.cn/dl/", "go1.22.3.linux-amd64.tar.gz"),
            "https://golang.google.cn/dl/go1.22.3.linux-amd64.tar.gz"
        );
        assert_eq!(mirror_url("file:///srv/go", "x"), "file:///srv/go/x");
    }

    #[test]
    fn version_parsing() {
        assert_eq!(v("go1.22.3"), Version { major: 1, minor: 22, patch: Some(3), pre: None });
        assert_eq!(v("1.22.3"), v("go1.22.3"));
        assert_eq!(
            v("1.22rc1"),
            Version { major: 1, minor: 22, patch: None, pre: Some((PreKind::Rc, 1)) }
        );
        assert_eq!(v("1.22"), Version { major: 1, minor: 22, patch: None, pre: None });
        assert_eq!(v("1.20"), v("1.20.0"));
        assert_eq!(v("1"), v("1.0.0"));
        assert_eq!(v("1.9.2rc2").pre, Some((PreKind::Rc, 2)));
        assert_eq!(v("1.4beta1").pre, Some((PreKind::Beta, 1)));
        for bad in [
            "", "go", "1.", "1.22.", "1.022", "01.2", "1.22x1", "1.22rc", "1.22rc1x", "1..2",
            "v1.22", "1.22.3 ",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let Err(err) = Version::parse("1.22x") else { panic!("must fail") };
        assert_eq!(
            err.to_string(),
            "`1.22x` is not a Go version: write it like `1.22.3`, `1.22` or `1.23rc1`"
        );
    }

    #[test]
    fn version_ordering_is_gos() {
        let ordered = [
            "1",
            "1.0.1",
            "1.4beta1",
            "1.4rc1",
            "1.4",
            "1.9.2rc2",
            "1.9.2",
            "1.20rc3",
            "1.20",
            "1.20.14",
            "1.21",
            "1.21rc1",
            "1.21rc2",
            "1.21.0",
            "1.22alpha1",
            "1.22beta1",
            "1.22rc1",
            "1.22.0",
            "1.22.1",
            "1.22.3",
            "1.22.10",
            "2.0.0",
        ];
        for pair in ordered.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        let mut shuffled: Vec<Version> = ordered.iter().rev().map(|s| v(s)).collect();
        shuffled.sort();
        let back: Vec<String> = shuffled.iter().map(Version::to_string).collect();
        assert_eq!(back, ordered);
    }

    #[test]
    fn version_display_round_trips() {
        for s in ["1.22.3", "1.22rc1", "1.20", "1", "1.9.2rc2", "1.22"] {
            assert_eq!(v(s).to_string(), s);
        }
        assert_eq!(v("go1.20.0").to_string(), "1.20");
        assert!(v("1.22.0").is_release() && !v("1.22").is_release() && !v("1.22rc1").is_release());
    }

    #[test]
    fn errors_name_the_format() {
        let not_json = Index::parse(b"<!DOCTYPE html><html>").err().map(|e| e.to_string());
        let Some(msg) = not_json else { panic!("html must not parse") };
        assert!(msg.starts_with("the download index is not JSON (line 1, column 1: "), "{msg}");
        assert!(
            msg.contains("is this a go.dev download index (`?mode=json&include=all`)?"),
            "{msg}"
        );
        assert!(msg.ends_with("it looks like an HTML page"), "{msg}");

        let shape = Index::parse(br#"{"version": "go1.22.3"}"#).err().map(|e| e.to_string());
        let Some(msg) = shape else { panic!("an object must not parse") };
        assert!(
            msg.starts_with("the download index has an unexpected shape (line 1, column 0"),
            "{msg}"
        );
        assert!(msg.contains("(`?mode=json&include=all`)?"), "{msg}");

        let missing = Index::parse(br#"[{"version": "go1.22.3", "stable": true}]"#);
        assert!(
            matches!(missing, Err(IndexError::WrongShape { ref detail }) if detail.contains("missing field `files`")),
            "{missing:?}"
        );

        let truncated = Index::parse(br#"[{"version": "go1.22.3""#);
        assert!(matches!(truncated, Err(IndexError::NotJson { looks_like_html: false, .. })));

        assert_eq!(Index::parse(b"[]").map(|i| i.releases.len()).ok(), Some(0));
    }
}
