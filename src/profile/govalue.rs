//! Checks Go environment values the way the Go command and the Go runtime do.
//!
//! ```kdl
//! go-env { GOPROXY "goproxy.cn,direct"; GOFLAGS "-mod=mod"; GOTOOLCHAIN "go1.22.10+auto" }
//! proxy "china" { private "git.corp.example.com/*" }
//! export { GOMEMLIMIT "2GiB"; GODEBUG "http2client=0" }
//! service "api.service" { GOGC "100" }
//! ```
//!
//! This module owns the rules for every value goenv writes where Go reads it: the `go-env` block
//! (the file `go env -w` writes), the `proxy` node, and the `export` and `service` blocks (the
//! process environment the Go runtime reads). A value is an error when Go rejects it, silently
//! ignores it, or accepts it and then fails at run time; a value Go reads differently from how it
//! is written comes back normalised. It also owns `~` expansion, the did-you-mean helper and URL
//! credential redaction used across the crate. Everything here is a pure function of its
//! arguments: it must never do I/O, run a subprocess or read the environment.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;

/// A value Go would reject, or accept and then fail on at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValueError {
    /// Stable, kebab-case, prefixed `goenv::value::`.
    pub(crate) code: &'static str,
    /// What is wrong.
    pub(crate) message: String,
    /// The fix.
    pub(crate) help: Option<String>,
    /// Byte range inside the checked value, when narrower than the whole value.
    pub(crate) range: Option<Range<usize>>,
}

type Checked = Result<Option<String>, ValueError>;

fn err(code: &'static str, message: impl Into<String>, help: impl Into<String>) -> ValueError {
    ValueError { code, message: message.into(), help: Some(help.into()), range: None }
}

fn fail<T>(c: &'static str, m: impl Into<String>, h: impl Into<String>) -> Result<T, ValueError> {
    Err(err(c, m, h))
}

impl ValueError {
    /// Narrows the error to `r` inside a value of `len` bytes (`None` when that is all of it).
    fn at(mut self, r: Range<usize>, len: usize) -> Self {
        self.range = (r != (0..len)).then_some(r);
        self
    }
}

/// Quotes a value for a message, with URL credentials redacted.
fn q(v: &str) -> String {
    format!("{:?}", redact_url_credentials(v))
}

#[rustfmt::skip]
const CODES: &[&str] = &[
    "goenv::value::gopath", "goenv::value::gobin", "goenv::value::gomodcache",
    "goenv::value::gocache", "goenv::value::gotmpdir", "goenv::value::goenv",
    "goenv::value::goproxy", "goenv::value::gosumdb", "goenv::value::goprivate",
    "goenv::value::gonoproxy", "goenv::value::gonosumdb", "goenv::value::goinsecure",
    "goenv::value::govcs", "goenv::value::gotoolchain", "goenv::value::go111module",
    "goenv::value::cgo-enabled", "goenv::value::goflags", "goenv::value::cc", "goenv::value::cxx",
    "goenv::value::gocacheprog", "goenv::value::goos", "goenv::value::goarch",
    "goenv::value::goamd64", "goenv::value::goarm64", "goenv::value::goarm", "goenv::value::go386",
    "goenv::value::gomips", "goenv::value::gomips64", "goenv::value::goppc64",
    "goenv::value::goriscv64", "goenv::value::gowasm", "goenv::value::gofips140",
    "goenv::value::gomemlimit", "goenv::value::gogc", "goenv::value::gotraceback",
    "goenv::value::gomaxprocs", "goenv::value::godebug",
];

/// The error code for a key's value: `goenv::value::` and the key in kebab case.
fn code(key: &str) -> &'static str {
    let kebab = || key.bytes().map(|b| if b == b'_' { b'-' } else { b.to_ascii_lowercase() });
    CODES.iter().find(|c| c[14..].bytes().eq(kebab())).copied().unwrap_or("goenv::value::invalid")
}

// ---------------------------------------------------------------------------------------------
// Go versions (internal/gover)

/// Go toolchain version per internal/gover: 1.N, 1.N.P, 1.NrcK, 1.NbetaK, 1.NalphaK. `pub`
/// because the profile re-exports it; its fields and methods stay crate-private.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GoVersion {
    pub(crate) major: u32,
    pub(crate) minor: u32,
    pub(crate) patch: Option<u32>,
    pub(crate) pre: Option<(PreKind, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum PreKind {
    Alpha,
    Beta,
    Rc,
}

/// gover's cutInt: digits without a leading zero.
fn cut_int(s: &str) -> Option<(u32, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || (n > 1 && s.starts_with('0')) {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

fn is_int(s: &str) -> bool {
    cut_int(s).is_some_and(|(_, rest)| rest.is_empty())
}

impl GoVersion {
    /// Parses "1.22.10", "1.22", "1.23rc1"; no "go" prefix and no suffix.
    pub(crate) fn parse(s: &str) -> Option<GoVersion> {
        let (major, rest) = cut_int(s)?;
        let (minor, rest) = cut_int(rest.strip_prefix('.')?)?;
        let mut v = GoVersion { major, minor, patch: None, pre: None };
        if let Some(p) = rest.strip_prefix('.') {
            // gover allows no pre-release on a patch release.
            v.patch = Some(p.parse().ok().filter(|_| is_int(p))?);
        } else if !rest.is_empty() {
            let k = rest.bytes().take_while(u8::is_ascii_lowercase).count();
            let kind = match &rest[..k] {
                "alpha" => PreKind::Alpha,
                "beta" => PreKind::Beta,
                "rc" => PreKind::Rc,
                _ => return None,
            };
            v.pre = Some((kind, rest[k..].parse().ok().filter(|_| is_int(&rest[k..]))?));
        }
        Some(v)
    }

    /// A full toolchain version: has a patch, or is a pre-release.
    pub(crate) fn is_exact(&self) -> bool {
        self.patch.is_some() || self.pre.is_some()
    }

    /// gover's comparison key: before 1.21 a missing patch means ".0" (1.20 == 1.20.0); from
    /// 1.21 on it sorts first (1.21 < 1.21rc1 < 1.21.0).
    fn key(&self) -> (u32, u32, Option<u32>, Option<(PreKind, u32)>) {
        let implied = (self.minor < 21 && self.pre.is_none()).then_some(0);
        (self.major, self.minor, self.patch.or(implied), self.pre)
    }
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        // The tie-break on the written patch keeps Ord consistent with Eq (1.20 vs 1.20.0).
        self.key().cmp(&other.key()).then(self.patch.cmp(&other.patch))
    }
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(p) = self.patch {
            write!(f, ".{p}")?;
        }
        match self.pre {
            Some((PreKind::Alpha, n)) => write!(f, "alpha{n}"),
            Some((PreKind::Beta, n)) => write!(f, "beta{n}"),
            Some((PreKind::Rc, n)) => write!(f, "rc{n}"),
            None => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Keys and names

/// The KnownEnv list of go1.27.3 (`internal/cfg`): what `go env -w` knows, refused keys included.
#[rustfmt::skip]
pub(crate) const KNOWN_GO_ENV: &[&str] = &[
    "AR", "CC", "CGO_CFLAGS", "CGO_CFLAGS_ALLOW", "CGO_CFLAGS_DISALLOW", "CGO_CPPFLAGS",
    "CGO_CPPFLAGS_ALLOW", "CGO_CPPFLAGS_DISALLOW", "CGO_CXXFLAGS", "CGO_CXXFLAGS_ALLOW",
    "CGO_CXXFLAGS_DISALLOW", "CGO_ENABLED", "CGO_FFLAGS", "CGO_FFLAGS_ALLOW",
    "CGO_FFLAGS_DISALLOW", "CGO_LDFLAGS", "CGO_LDFLAGS_ALLOW", "CGO_LDFLAGS_DISALLOW", "CXX",
    "FC", "GCCGO", "GO111MODULE", "GO386", "GOAMD64", "GOARCH", "GOARM", "GOARM64", "GOAUTH",
    "GOBIN", "GOCACHE", "GOCACHEPROG", "GOENV", "GOEXE", "GOEXPERIMENT", "GOFIPS140", "GOFLAGS",
    "GOGCCFLAGS", "GOHOSTARCH", "GOHOSTOS", "GOINSECURE", "GOMIPS", "GOMIPS64", "GOMODCACHE",
    "GONOPROXY", "GONOSUMDB", "GOOS", "GOPATH", "GOPPC64", "GOPRIVATE", "GOPROXY", "GORISCV64",
    "GOROOT", "GOSUMDB", "GOTMPDIR", "GOTOOLCHAIN", "GOTOOLDIR", "GOVCS", "GOWASM", "GOWORK",
    "GO_EXTLINK_ENABLED", "PKG_CONFIG",
];

/// Keys `go env -w` refuses with "cannot be modified", and what to do instead.
#[rustfmt::skip]
const READ_ONLY: &[(&str, &str)] = &[
    ("GOROOT", "goenv activates SDKs with the `go` node; a GOROOT line pins every toolchain to one SDK"),
    ("GOWORK", "set GOWORK per project, or in `export` if it must apply everywhere"),
    ("GOEXE", "Go derives GOEXE from GOOS: remove it"),
    ("GOVERSION", "GOVERSION is the version of the active SDK: choose it with the `go` node"),
    ("GOMOD", "Go finds go.mod from the current directory: remove it"),
    ("GOTOOLDIR", "Go derives GOTOOLDIR from GOROOT: remove it"),
    ("GOHOSTOS", "GOHOSTOS is fixed by the SDK; set GOOS to cross-compile"),
    ("GOHOSTARCH", "GOHOSTARCH is fixed by the SDK; set GOARCH to cross-compile"),
    ("GOGCCFLAGS", "Go computes GOGCCFLAGS; set CGO_CFLAGS instead"),
    ("GOTELEMETRY", "change it with `go telemetry off`, `go telemetry local` or `go telemetry on`"),
    ("GOTELEMETRYDIR", "Go keeps telemetry data in the OS config dir: remove it"),
];

/// Checks a key for the `go-env` block (the Go env file that `go env -w` writes). `sdk` is the
/// profile's active Go version when known, to catch keys that SDK does not know yet.
pub(crate) fn check_go_env_key(key: &str, sdk: Option<GoVersion>) -> Result<(), ValueError> {
    if let Some((_, help)) = READ_ONLY.iter().find(|(k, _)| *k == key) {
        let m = format!("{key} cannot be set in the Go env file (Go: `{key} cannot be modified`)");
        return fail("goenv::value::read-only-key", m, *help);
    }
    if key == "GOENV" || key == "GODEBUG" {
        let m = format!("{key} can only be set in the OS environment, not in the Go env file");
        return fail("goenv::value::os-only-key", m, format!("move {key} to the `export` block"));
    }
    if !KNOWN_GO_ENV.contains(&key) {
        let m = format!("unknown Go env key {key:?} (Go: `unknown go command variable {key}`)");
        let h = match closest(key, KNOWN_GO_ENV) {
            Some(c) => format!("did you mean {c:?}?"),
            None => "`go-env` takes the variables `go env -w` knows; put others in `export`".into(),
        };
        return fail("goenv::value::unknown-go-env-key", m, h);
    }
    let since = match key {
        "GOTOOLCHAIN" => 21,
        "GOARM64" | "GORISCV64" => 23,
        "GOAUTH" | "GOFIPS140" | "GOCACHEPROG" => 24,
        _ => return Ok(()),
    };
    match sdk {
        Some(v) if (v.major, v.minor) < (1, since) => fail(
            "goenv::value::key-needs-newer-go",
            format!("{key} is unknown to Go {v} (it arrived in Go 1.{since})"),
            format!("use Go 1.{since} or later in the `go` node, or remove {key}"),
        ),
        _ => Ok(()),
    }
}

pub(crate) use crate::formats::is_env_name;

/// Keys holding a ':'-separated list of absolute paths.
pub(crate) fn is_path_list_key(key: &str) -> bool {
    key == "GOPATH"
}

/// Keys holding one absolute path (GOCACHE and GOENV also take "off"). GOCACHEPROG is a command
/// line, not a path.
pub(crate) fn is_path_key(key: &str) -> bool {
    matches!(key, "GOBIN" | "GOMODCACHE" | "GOCACHE" | "GOTMPDIR" | "GOENV")
}

/// Go's path variables: in `go-env` and in `export` (or a service) goenv expands a leading `~`
/// in their values, as it knows they are paths (GOCACHEPROG is a command line, not a path).
pub(crate) fn is_go_path_variable(key: &str) -> bool {
    is_path_list_key(key) || is_path_key(key) || matches!(key, "GOROOT" | "GOWORK" | "GOTOOLDIR")
}

/// Whether `value` starts the way a shell would expand to a home directory if it were a bare
/// word: `~`, `~/…`, `~user` or `~user/…` (login names: letters, digits, `.`, `_`, `-`).
pub(crate) fn is_tilde_path(value: &str) -> bool {
    let Some(rest) = value.strip_prefix('~') else { return false };
    let user = rest.split('/').next().unwrap_or_default();
    user.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// goenv's `~` expansion: a leading "~" or "~/" becomes `home`, per entry for path-list keys.
/// "~user/…" and `$VAR` are left as written.
pub(crate) fn expand_tilde(key: &str, value: &str, home: &str) -> String {
    let base = home.trim_end_matches('/');
    let one = |v: &str| match v.strip_prefix('~') {
        Some("") if base.is_empty() => "/".to_string(),
        Some("") => base.to_string(),
        Some(rest) if rest.starts_with('/') => format!("{base}{rest}"),
        _ => v.to_string(),
    };
    if !is_path_list_key(key) {
        return one(value);
    }
    value.split(':').map(one).collect::<Vec<_>>().join(":")
}

/// Closest candidate for a did-you-mean (optimal string alignment distance, case-insensitive),
/// only when the distance is at most max(1, len/3).
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let w: Vec<char> = word.to_lowercase().chars().collect();
    let max = (w.len() / 3).max(1);
    let dist = |c: &str| osa(&w, &c.to_lowercase().chars().collect::<Vec<_>>());
    let best = candidates.iter().map(|c| (dist(c), *c)).min_by_key(|(d, _)| *d);
    best.filter(|(d, _)| *d <= max).map(|(_, c)| c)
}

fn osa(a: &[char], b: &[char]) -> usize {
    let mut d: Vec<Vec<usize>> = (0..=a.len()).map(|i| (i..=i + b.len()).collect()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

pub(crate) use super::secret::redact_urls as redact_url_credentials;

// ---------------------------------------------------------------------------------------------
// Values

/// Checks a value for a Go env file key. `Ok(Some(v))`: Go accepts it but reads it as `v`.
pub(crate) fn check_go_env_value(key: &str, value: &str) -> Checked {
    let n = value.len();
    let bad_char = value.char_indices().find(|(_, c)| matches!(c, '\0' | '\n' | '\r' | '\u{b}'));
    if let Some((i, c)) = bad_char {
        let (what, go) = if c == '\0' { ("a NUL", "NUL") } else { ("a line break", "newline") };
        let m = format!("{key} contains {what}");
        let h = format!("the Go env file holds one line per key (Go: `invalid {go} in {key}=...`)");
        return Err(err("goenv::value::control-char", m, h).at(i..i + 1, n));
    }
    match key {
        "GOPATH" => check_gopath(value),
        "GOCACHE" if value == "off" => fail(
            code(key),
            "GOCACHE \"off\" makes every build fail",
            "Go needs the build cache since Go 1.12: remove the key, or write an absolute directory",
        ),
        "GOENV" if value == "off" => Ok(None),
        _ if is_path_key(key) => check_path(key, value),
        "GOPROXY" => check_goproxy(value),
        "GOSUMDB" => check_gosumdb(value),
        "GOPRIVATE" | "GONOPROXY" | "GONOSUMDB" | "GOINSECURE" => check_module_patterns(key, value),
        "GOVCS" => check_govcs(value),
        "GOTOOLCHAIN" => check_gotoolchain(value),
        "GO111MODULE" => {
            one_of(key, value, &["", "on", "off", "auto"], "Go stops on anything else")
        }
        "CGO_ENABLED" if !matches!(value, "" | "0" | "1") => fail(
            code(key),
            format!("CGO_ENABLED {} is ignored by Go", q(value)),
            "Go honours only \"0\" and \"1\" and silently uses its default for anything else",
        ),
        "GOFLAGS" => check_goflags(value),
        "CC" | "CXX" | "GOCACHEPROG" => check_command(key, value),
        "GOOS" => check_port(key, value, GOOS_LIST),
        "GOARCH" => check_port(key, value, GOARCH_LIST),
        "GOAMD64" => one_of(key, value, &["", "v1", "v2", "v3", "v4"], ""),
        "GO386" => one_of(key, value, &["", "sse2", "softfloat"], ""),
        "GOMIPS" | "GOMIPS64" => one_of(key, value, &["", "hardfloat", "softfloat"], ""),
        "GOPPC64" => one_of(key, value, &["", "power8", "power9", "power10"], ""),
        "GORISCV64" => one_of(key, value, &["", "rva20u64", "rva22u64", "rva23u64"], ""),
        "GOARM64" | "GOARM" | "GOWASM" | "GOFIPS140" => check_level(key, value),
        _ => Ok(None),
    }
}

/// Checks a value exported into the process environment, where the Go runtime reads it; Go env
/// keys get the Go env file checks.
pub(crate) fn check_runtime_value(key: &str, value: &str) -> Checked {
    const TRACEBACK: &[&str] =
        &["", "none", "single", "all", "system", "crash", "wer", "0", "1", "2"];
    match key {
        "GOMEMLIMIT" => check_gomemlimit(value),
        "GOGC" => check_gogc(value),
        "GOTRACEBACK" => one_of(key, value, TRACEBACK, "Go reads anything else as \"all\""),
        "GOMAXPROCS" => check_gomaxprocs(value),
        "GODEBUG" => check_godebug(value),
        // An empty OS variable counts as unset: the Go env file's value applies.
        _ if value.is_empty() => Ok(None),
        _ if key == "GOENV" || KNOWN_GO_ENV.contains(&key) => check_go_env_value(key, value),
        _ => Ok(None),
    }
}

fn one_of(key: &str, value: &str, allowed: &[&str], why: &str) -> Checked {
    if allowed.contains(&value) {
        return Ok(None);
    }
    let list: Vec<String> = allowed.iter().filter(|a| !a.is_empty()).map(|a| q(a)).collect();
    let sep = if why.is_empty() { "" } else { "; " };
    let h = format!("write one of {}{sep}{why}", list.join(", "));
    fail(code(key), format!("invalid {key} value {}", q(value)), h)
}

/// Splits on any of `seps` (ASCII), yielding each piece with its byte range.
fn pieces<'a>(s: &'a str, seps: &'a [char]) -> impl Iterator<Item = (Range<usize>, &'a str)> {
    let mut start = 0;
    s.split(seps).map(move |p| {
        let r = start..start + p.len();
        start = r.end + 1;
        (r, p)
    })
}

/// The trimmed piece and its range.
fn trimmed<'a>(r: &Range<usize>, p: &'a str) -> (Range<usize>, &'a str) {
    let t = p.trim_start();
    let s = r.start + p.len() - t.len();
    (s..s + t.trim_end().len(), t.trim_end())
}

/// Where to point for an empty piece: its whitespace, else the separator after or before it.
fn empty_at(r: Range<usize>, n: usize) -> Range<usize> {
    match r {
        r if !r.is_empty() => r,
        r if r.end < n => r.end..r.end + 1,
        r => r.start.saturating_sub(1)..r.start,
    }
}

fn check_gopath(value: &str) -> Checked {
    let n = value.len();
    for (r, p) in pieces(value, &[':']).filter(|_| n > 0) {
        if p.is_empty() {
            let e = err(code("GOPATH"), "GOPATH has an empty entry", "remove the extra \":\"");
            return Err(e.at(empty_at(r, n), n));
        }
        check_abs("GOPATH", p, "GOPATH entry").map_err(|e| e.at(r, n))?;
    }
    Ok(None)
}

fn check_path(key: &str, value: &str) -> Checked {
    if value.is_empty() { Ok(None) } else { check_abs(key, value, key).map(|()| None) }
}

fn check_abs(key: &str, p: &str, what: &str) -> Result<(), ValueError> {
    let c = code(key);
    if p.starts_with('~') {
        // `~` and `~/…` were expanded before: this is `~user`.
        let user = p.split('/').next().unwrap_or(p);
        let m = format!("{what} {} starts with {user:?}, which goenv does not expand", q(p));
        let h = "goenv expands a leading \"~\" or \"~/\" (your home directory), not \"~user\": \
                 write the full path";
        return fail(c, m, h);
    }
    if p.contains('$') {
        let fix = ["$HOME", "${HOME}"]
            .iter()
            .find_map(|h| p.strip_prefix(h).filter(|r| r.is_empty() || r.starts_with('/')))
            .map(|r| format!("~{r}"));
        let fix = fix.unwrap_or_else(|| {
            let d = [("GOPATH", "~/go"), ("GOBIN", "~/go/bin"), ("GOMODCACHE", "~/go/pkg/mod")];
            d.iter().find(|(k, _)| *k == key).map_or("~/…", |(_, d)| d).to_string()
        });
        let h = format!("goenv does not expand $VAR: write {fix:?}");
        return fail(c, format!("{what} {} contains \"$\"", q(p)), h);
    }
    if !p.starts_with('/') {
        let h = format!("write {:?} or a full path starting with \"/\"", format!("~/{p}"));
        return fail(c, format!("{what} {} is relative; Go needs an absolute path", q(p)), h);
    }
    Ok(())
}

// ----- GOPROXY, GOSUMDB

/// `scheme:rest` as net/url splits it, scheme lower-cased; `None` without a scheme.
fn url_scheme(u: &str) -> Option<(String, &str)> {
    let (s, rest) = u.split_once(':')?;
    let ok = s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    ok.then(|| (s.to_ascii_lowercase(), rest))
}

/// The authority of "//authority/path" and what follows it.
fn authority(rest: &str) -> Option<(&str, &str)> {
    let r = rest.strip_prefix("//")?;
    Some(r.split_at(r.find(['/', '?', '#']).unwrap_or(r.len())))
}

/// A host with an optional port, after any userinfo.
fn valid_host(authority: &str) -> bool {
    let hp = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = match hp.strip_prefix('[').and_then(|v6| v6.split_once(']')) {
        Some((h, p)) if h.chars().all(|c| c.is_ascii_hexdigit() || c == ':') => (h, p),
        Some(_) => return false,
        None => hp.split_at(hp.find(':').unwrap_or(hp.len())),
    };
    host.chars().any(|c| c.is_ascii_alphanumeric())
        && host.chars().all(|c| c.is_ascii_alphanumeric() || "-._:".contains(c))
        && (port.is_empty()
            || port.strip_prefix(':').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())))
}

/// Checks a GOPROXY list (`modfetch/proxy.go`); `Some` when Go completes an entry to a URL.
pub(crate) fn check_goproxy(value: &str) -> Checked {
    const C: &str = "goenv::value::goproxy";
    let n = value.len();
    if value.split([',', '|']).all(|p| p.trim().is_empty()) {
        let h = "Go fails with `GOPROXY list is not the empty string, but contains no entries`: \
                 remove the key for the default, or write \"off\"";
        return fail(C, "GOPROXY contains no entries", h);
    }
    let (mut out, mut terminal) = (String::new(), None::<&str>);
    for (raw_r, raw) in pieces(value, &[',', '|']) {
        let (r, t) = trimmed(&raw_r, raw);
        if t.is_empty() {
            let h = "Go skips an empty entry silently: remove the extra separator";
            return Err(err(C, "GOPROXY has an empty entry", h).at(empty_at(raw_r, n), n));
        }
        if let Some(term) = terminal {
            let m = format!("GOPROXY entries after {term:?} are never used");
            let rest = q(&value[r.start..]);
            let h = format!("Go stops at {term:?}: remove {rest} or move it before {term:?}");
            return Err(err(C, m, h).at(r.start..n, n));
        }
        let url = match t {
            "direct" | "off" => t.to_string(),
            _ if t.contains(['.', ':', '/']) && !t.contains(":/") && !t.starts_with('/') => {
                format!("https://{t}")
            }
            _ => t.to_string(),
        };
        terminal = matches!(t, "direct" | "off").then_some(t);
        if terminal.is_none() {
            check_proxy_url(t, &url).map_err(|e| e.at(r, n))?;
        }
        out.push_str(&url);
        out.push_str(value.get(raw_r.end..raw_r.end + 1).unwrap_or(""));
    }
    Ok((out != value).then_some(out))
}

fn check_proxy_url(t: &str, url: &str) -> Result<(), ValueError> {
    // `url` is what Go reads: `t` itself, or `t` completed with "https://".
    let bad = |m: &str, h: String| {
        fail("goenv::value::goproxy", format!("GOPROXY entry {} {m}", q(url)), h)
    };
    let Some((scheme, rest)) = url_scheme(url) else {
        let h = match closest(t, &["direct", "off"]) {
            _ if t.starts_with('/') => format!("for a directory write {:?}", format!("file://{t}")),
            Some(c) => format!("did you mean {c:?}?"),
            None => {
                format!("write a URL like {:?}, or \"direct\" or \"off\"", format!("https://{t}"))
            }
        };
        return bad("has no scheme (Go: `invalid proxy URL missing scheme`)", h);
    };
    match (scheme.as_str(), authority(rest)) {
        ("http" | "https", Some((a, _))) if valid_host(a) => Ok(()),
        ("http" | "https", _) => {
            bad("has no valid host", "write a URL like \"https://proxy.example.com\"".into())
        }
        ("file", Some((a, path))) if !a.is_empty() => bad(
            "has a host; a file:// URL may carry only a path",
            format!("write {}", q(&format!("file:///{a}{path}"))),
        ),
        ("file", _) if rest.contains(['?', '#']) => {
            bad("has more than a path", "write \"file:///path/to/proxy\"".into())
        }
        ("file", _) => Ok(()),
        _ => bad(
            &format!("has scheme {scheme:?}"),
            "Go allows only https, http and file URLs here".into(),
        ),
    }
}

/// Checks GOSUMDB (`modfetch/sumdb.go`): "off", a name or verifier key, and an optional URL.
pub(crate) fn check_gosumdb(value: &str) -> Checked {
    const C: &str = "goenv::value::gosumdb";
    if value == "off" || value == "sum.golang.google.cn" {
        return Ok(None);
    }
    let n = value.len();
    let mut fields = Vec::new();
    let mut start = None;
    for (i, c) in value.char_indices().chain([(n, ' ')]) {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                fields.push((s..i, &value[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    let Some((r0, name)) = fields.first().cloned() else {
        let h = "Go fails with `missing GOSUMDB`: remove the key for the default, or write \"off\"";
        return fail(C, "GOSUMDB is empty", h);
    };
    if let Some((r2, _)) = fields.get(2) {
        let h = "write a name or key, then at most one URL: \"sum.golang.org https://sum.golang.google.cn\"";
        return Err(err(C, "GOSUMDB has too many fields", h).at(r2.start..n, n));
    }
    let problem = match name {
        "sum.golang.org" => None,
        "sum.golang.google.cn" => Some((
            "is an alias only on its own",
            "write \"sum.golang.org https://sum.golang.google.cn\"",
        )),
        _ if !name.contains('+') => Some((
            "is not a checksum database Go knows",
            "Go knows only \"sum.golang.org\" (and its mirror \"sum.golang.google.cn\") by name; \
             another database needs its verifier key \"name+hash+key\"",
        )),
        _ => key_problem(name).map(|h| ("is not a valid verifier key", h)),
    };
    if let Some((m, h)) = problem {
        return Err(err(C, format!("GOSUMDB {} {m}", q(name)), h).at(r0, n));
    }
    if let Some((r1, url)) = fields.get(1) {
        let ok = matches!(url_scheme(url), Some((s, rest)) if (s == "https" || s == "http")
            && authority(rest).is_some_and(|(a, _)| valid_host(a)));
        if !ok {
            let m = format!("GOSUMDB URL {} is not an http or https URL", q(url));
            let h = "write a URL like \"https://sum.golang.google.cn\"";
            return Err(err(C, m, h).at(r1.clone(), n));
        }
    }
    Ok(None)
}

/// What is wrong with a note verifier key `name+hash+base64key`, if anything.
fn key_problem(k: &str) -> Option<&'static str> {
    let (name, rest) = k.split_once('+')?;
    let (hash, key) = rest.split_once('+').unwrap_or((rest, ""));
    let host = name.split('/').next().unwrap_or("");
    let b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    if !valid_host(host) || host.contains(':') || name.ends_with('/') || name.contains('@') {
        Some("the name before the first \"+\" must be a host[/path] like \"sum.example.com\"")
    } else if hash.len() != 8 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some("the part after the name must be an 8-digit hex hash: \"name+hash+key\"")
    } else if key.len() != 44 || !key.starts_with('A') || !key.bytes().all(b64) {
        Some("the last part must be a base64 Ed25519 key (44 characters starting with \"A\")")
    } else {
        None
    }
}

// ----- module patterns, GOVCS

/// Checks GOPRIVATE/GONOPROXY/GONOSUMDB/GOINSECURE: comma-separated `path.Match` globs.
pub(crate) fn check_module_patterns(key: &str, value: &str) -> Checked {
    let (c, n) = (code(key), value.len());
    for (r, p) in pieces(value, &[',']).filter(|_| n > 0) {
        let bad = |m: String, h: String| Err(err(c, m, h).at(r.clone(), n));
        let glob = p.strip_suffix('/').unwrap_or(p);
        if glob.is_empty() {
            let h = "Go ignores an empty pattern: remove the extra \",\"";
            return Err(err(c, format!("{key} has an empty entry"), h).at(empty_at(r, n), n));
        }
        if p.contains(char::is_whitespace) {
            let fix = match p.trim() {
                t if t.contains(char::is_whitespace) => "remove the whitespace".into(),
                t => format!("write {t:?}"),
            };
            let h = format!("Go does not trim patterns, so this one never matches: {fix}");
            return bad(format!("{key} pattern {p:?} contains whitespace"), h);
        }
        if let Some((_, path)) = p.split_once("://") {
            let h = format!("patterns match module paths, which have no scheme: write {path:?}");
            return bad(format!("{key} pattern {} is a URL", q(p)), h);
        }
        if let Some(why) = glob_problem(glob) {
            let h = format!("Go silently ignores a malformed pattern: {why}");
            return bad(format!("{key} pattern {p:?} is malformed"), h);
        }
    }
    Ok(None)
}

/// Why `path.Match` would return ErrBadPattern, if it would.
fn glob_problem(p: &str) -> Option<&'static str> {
    const OPEN: &str = "close the \"[\" class with \"]\"";
    const EMPTY: &str =
        "a \"[…]\" class needs a character; escape a literal \"-\" or \"]\" with \"\\\"";
    let mut it = p.chars().peekable();
    let class_char = |it: &mut std::iter::Peekable<std::str::Chars<'_>>| match it.next() {
        None => Some(OPEN),
        Some('-' | ']') => Some(EMPTY),
        Some('\\') if it.next().is_none() => Some(OPEN),
        Some(_) => None,
    };
    while let Some(c) = it.next() {
        if c == '\\' && it.next().is_none() {
            return Some("remove the trailing \"\\\" or escape a character with it");
        } else if c == '[' {
            it.next_if_eq(&'^');
            let mut ranges = 0;
            while ranges == 0 || it.next_if_eq(&']').is_none() {
                let why = class_char(&mut it);
                let why = why.or_else(|| it.next_if_eq(&'-').and_then(|_| class_char(&mut it)));
                if why.is_some() {
                    return why;
                }
                ranges += 1;
            }
        }
    }
    None
}

fn check_govcs(value: &str) -> Checked {
    const C: &str = "goenv::value::govcs";
    const FORM: &str =
        "write entries like \"private:git|hg\" or \"*:off\"; `go get` stops on a bad GOVCS";
    const VCS: &[&str] = &["git", "hg", "svn", "bzr", "fossil", "all", "off"];
    let n = value.len();
    let mut seen: Vec<&str> = Vec::new();
    for (raw_r, raw) in pieces(value, &[',']).filter(|_| !value.trim().is_empty()) {
        let (r, e) = trimmed(&raw_r, raw);
        let bad = |m: String, h: &str| Err(err(C, m, h).at(r.clone(), n));
        if e.is_empty() {
            return Err(err(C, "GOVCS has an empty entry", FORM).at(empty_at(raw_r, n), n));
        }
        let Some((pat, list)) = e.split_once(':').map(|(p, l)| (p.trim(), l.trim())) else {
            return bad(format!("GOVCS entry {e:?} has no \":\""), FORM);
        };
        if pat.is_empty() || list.is_empty() {
            return bad(format!("GOVCS entry {e:?} has an empty pattern or VCS list"), FORM);
        }
        if pat == "." || pat == ".." || pat.starts_with("./") || pat.starts_with("../") {
            let h = "write a module path pattern, \"public\" or \"private\"";
            return bad(format!("GOVCS pattern {pat:?} is relative"), h);
        }
        if seen.contains(&pat) {
            let h = "the first match wins, so Go rejects the second as unreachable: merge them";
            return bad(format!("GOVCS pattern {pat:?} repeats"), h);
        }
        seen.push(pat);
        if let Some(v) = list.split('|').map(str::trim).find(|v| !VCS.contains(v)) {
            let h = match closest(v, VCS) {
                Some(c) => format!("did you mean {c:?}?"),
                None => "write git, hg, svn, bzr or fossil, or \"all\" or \"off\"".into(),
            };
            return bad(format!("GOVCS entry {e:?} names an unknown VCS {v:?}"), &h);
        }
    }
    Ok(None)
}

// ----- GOTOOLCHAIN

/// Checks GOTOOLCHAIN (`toolchain/select.go`, `gover.FromToolchain`).
fn check_gotoolchain(value: &str) -> Checked {
    const C: &str = "goenv::value::gotoolchain";
    const FORMS: &str = "write \"auto\", \"local\", \"path\" or a toolchain like \"go1.22.10\", \
                         optionally followed by \"+auto\" or \"+path\"";
    let full = match value {
        "" | "local" => return Ok(None),
        "auto" => "local+auto",
        "path" => "local+path",
        v => v,
    };
    let (min, suffix) = full.split_once('+').map_or((full, None), |(m, s)| (m, Some(s)));
    if min != "local" {
        let invalid = match suffix {
            Some(_) => format!("invalid GOTOOLCHAIN {value:?}: invalid minimum toolchain {min:?}"),
            None => format!("invalid GOTOOLCHAIN {value:?}"),
        };
        if min.contains(['/', '\\']) {
            let h = "name a toolchain, not a path: put its bin directory in PATH and use \"+path\"";
            return fail(C, invalid, h);
        }
        let Some(rest) = min.strip_prefix("go") else {
            let h = match GoVersion::parse(min) {
                Some(_) => format!("write {:?}", format!("go{value}")),
                None => FORMS.to_string(),
            };
            return fail(C, invalid, h);
        };
        let Some(v) = GoVersion::parse(rest.split([' ', '\t', '-']).next().unwrap_or("")) else {
            return fail(C, invalid, FORMS);
        };
        // Before 1.21 "go1.20" named a release; from 1.21 on "go1.N" is only a language version.
        if !v.is_exact() && (v.major, v.minor) >= (1, 21) {
            let m = format!("GOTOOLCHAIN {value:?} names a language version, not a toolchain");
            return fail(C, m, format!("write \"go{v}.0\" or a later go{v}.x release"));
        }
    }
    match suffix {
        Some(s) if s != "auto" && s != "path" => fail(
            C,
            format!("invalid GOTOOLCHAIN {value:?}: only version suffixes are +auto and +path"),
            format!("write \"{min}+auto\" or \"{min}+path\""),
        ),
        _ => Ok(None),
    }
}

// ----- GOFLAGS and commands

type Field<'a> = (Range<usize>, &'a str, bool);

/// `cmd/internal/quoted.Split`: fields (range including quotes, text, quoted?). A quote may wrap
/// a whole field, with no escapes; an unterminated quote is an error.
fn split_quoted<'a>(key: &str, s: &'a str) -> Result<Vec<Field<'a>>, ValueError> {
    let b = s.as_bytes();
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let (mut out, mut i) = (Vec::new(), 0);
    while i < b.len() {
        let start = i;
        if space(b[i]) {
            i += 1;
        } else if b[i] == b'"' || b[i] == b'\'' {
            let Some(len) = s[i + 1..].find(b[i] as char) else {
                let m = format!("{key} has an unterminated {} string", b[i] as char);
                let h =
                    "close the quote; Go allows quotes only around a whole field, without escapes";
                return Err(err(code(key), m, h).at(i..s.len(), s.len()));
            };
            i += len + 2;
            out.push((start..i, &s[start + 1..i - 1], true));
        } else {
            while i < b.len() && !space(b[i]) {
                i += 1;
            }
            out.push((start..i, &s[start..i], false));
        }
    }
    Ok(out)
}

fn check_goflags(value: &str) -> Checked {
    const C: &str = "goenv::value::goflags";
    let n = value.len();
    let mut prev: Option<&str> = None;
    for (r, f, quoted) in split_quoted("GOFLAGS", value)? {
        if let Some(qi) = f.find(['\'', '"']).filter(|_| !quoted) {
            // `-ldflags='-s -w'`: Go splits it at the space and keeps the quotes.
            let (qc, abs) = (&f[qi..qi + 1], r.start + qi);
            let close = value[abs + 1..].find(qc).map(|e| abs + 1 + e);
            let fix = close.map_or("'-ldflags=-s -w'".into(), |e| {
                format!("{qc}{}{}{qc}", &f[..qi], &value[abs + 1..e])
            });
            let h = format!("Go removes quotes only around a whole field: write {fix}");
            let m = format!("GOFLAGS field {f:?} has a quote inside it");
            return Err(err(C, m, h).at(r.start..close.map_or(r.end, |e| e + 1), n));
        }
        if !f.starts_with('-') || f == "-" || f == "--" || f.starts_with("---") {
            let h = match prev {
                Some(p) if !p.contains('=') && !f.starts_with('-') => {
                    format!("Go takes a flag's value after \"=\": write \"{p}={f}\"")
                }
                _ => "each field must be a flag like \"-mod=mod\"; quote a whole field that has \
                      spaces: '-ldflags=-s -w'"
                    .into(),
            };
            let m = format!("GOFLAGS has a non-flag {f:?} (Go: `parsing $GOFLAGS: non-flag`)");
            return Err(err(C, m, h).at(r, n));
        }
        if f.trim_start_matches('-').starts_with('=') {
            let m = format!("GOFLAGS field {f:?} has no flag name");
            return Err(err(C, m, "write a flag like \"-mod=mod\"").at(r, n));
        }
        prev = Some(f);
    }
    Ok(None)
}

/// CC, CXX, GOCACHEPROG: a command line whose program is absolute or a bare name found in PATH.
fn check_command(key: &str, value: &str) -> Checked {
    match split_quoted(key, value)?.first() {
        Some((r, prog, _)) if prog.contains('/') && !prog.starts_with('/') => {
            let m = format!("{key} program {prog:?} is a relative path");
            let h = "Go runs it from other directories: write an absolute path or a bare name";
            Err(err(code(key), m, h).at(r.clone(), value.len()))
        }
        _ => Ok(None),
    }
}

// ----- ports and architecture levels

#[rustfmt::skip]
const GOOS_LIST: &[&str] = &[
    "linux", "darwin", "windows", "freebsd", "netbsd", "openbsd", "dragonfly", "solaris",
    "illumos", "aix", "plan9", "android", "ios", "js", "wasip1",
];
#[rustfmt::skip]
const GOARCH_LIST: &[&str] = &[
    "amd64", "arm64", "386", "arm", "ppc64", "ppc64le", "mips", "mipsle", "mips64", "mips64le",
    "riscv64", "s390x", "loong64", "wasm",
];
#[rustfmt::skip]
const PORT_ALIASES: &[(&str, &str)] = &[
    ("macos", "darwin"), ("osx", "darwin"), ("mac", "darwin"), ("macosx", "darwin"),
    ("win", "windows"), ("win32", "windows"), ("win64", "windows"), ("x86_64", "amd64"),
    ("x86-64", "amd64"), ("x64", "amd64"), ("aarch64", "arm64"), ("i386", "386"),
    ("i686", "386"), ("x86", "386"), ("armv7", "arm"), ("armv7l", "arm"), ("armv6l", "arm"),
    ("armhf", "arm"),
];

fn check_port(key: &str, value: &str, known: &[&str]) -> Checked {
    if value.is_empty() || known.contains(&value) {
        return Ok(None);
    }
    let lower = value.to_ascii_lowercase();
    let alias = PORT_ALIASES.iter().find(|(a, _)| *a == lower).map(|(_, g)| *g);
    let h = match alias.or_else(|| closest(value, known)) {
        Some(g) => format!("Go calls it {g:?}: write {g:?}"),
        None => format!("write one of {}", known.join(", ")),
    };
    fail(code(key), format!("{key} {} is not a value Go knows", q(value)), h)
}

fn check_level(key: &str, value: &str) -> Checked {
    let (ok, h) = match key {
        "GOARM64" => {
            let mut v = value;
            while let Some(rest) = v.strip_suffix(",lse").or_else(|| v.strip_suffix(",crypto")) {
                v = rest;
            }
            let b = v.as_bytes();
            let ok = v.is_empty()
                || (b.len() == 4 && v.starts_with("v8.") && b[3].is_ascii_digit())
                || (b.len() == 4 && v.starts_with("v9.") && (b'0'..=b'5').contains(&b[3]));
            (
                ok,
                "write v8.0 … v8.9 or v9.0 … v9.5, optionally followed by \",lse\" and/or \",crypto\"",
            )
        }
        "GOARM" => {
            let v = value.strip_suffix(",softfloat").or_else(|| value.strip_suffix(",hardfloat"));
            let ok = matches!(v.unwrap_or(value), "" | "5" | "6" | "7");
            (ok, "write 5, 6 or 7, optionally followed by \",softfloat\" or \",hardfloat\"")
        }
        "GOWASM" => {
            let ok = value.split(',').all(|f| matches!(f, "" | "satconv" | "signext"));
            (ok, "write a comma-separated list of \"satconv\" and \"signext\"")
        }
        _ => {
            let ok = matches!(value, "" | "off" | "latest" | "inprocess" | "certified");
            (
                ok || fips_version(value),
                "write \"off\", \"latest\", \"inprocess\", \"certified\" or a version like \"v1.0.0\"",
            )
        }
    };
    if ok { Ok(None) } else { fail(code(key), format!("invalid {key} value {}", q(value)), h) }
}

/// GOFIPS140 `v1.Y.Z[-hash|-rcN]`.
fn fips_version(v: &str) -> bool {
    let Some(rest) = v.strip_prefix("v1.") else { return false };
    let (ver, suffix) = rest.split_once('-').map_or((rest, None), |(a, b)| (a, Some(b)));
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    ver.split_once('.').is_some_and(|(y, z)| is_int(y) && is_int(z))
        && suffix.is_none_or(|s| s.strip_prefix("rc").is_some_and(is_int) || hex(s))
}

// ----- runtime variables

/// Go's parseByteCount: digits with an optional B/KiB/MiB/GiB/TiB unit, fitting an i64.
pub(crate) fn parse_byte_count(s: &str) -> Option<i64> {
    let units =
        [("KiB", 1i64 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40), ("B", 1)];
    let (num, mult) =
        units.iter().find_map(|(u, m)| Some((s.strip_suffix(u)?, *m))).unwrap_or((s, 1));
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    num.parse::<i64>().ok()?.checked_mul(mult)
}

fn check_gomemlimit(value: &str) -> Checked {
    const C: &str = "goenv::value::gomemlimit";
    if value.is_empty() || value == "off" || parse_byte_count(value).is_some() {
        return Ok(None);
    }
    let m = format!("GOMEMLIMIT {} is not a size Go accepts", q(value));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let h = match memlimit_fix(value) {
        Some((fix, why)) => format!("{why}: write {fix:?}"),
        None if digits(value.trim_end_matches(char::is_alphabetic)) => {
            "the limit must fit in a signed 64-bit byte count (at most 8388607TiB), or write \"off\""
                .into()
        }
        None => "every Go program would stop at start-up with `malformed GOMEMLIMIT`: write a whole \
                 number with an optional unit B, KiB, MiB, GiB or TiB (like \"512MiB\"), or \"off\""
            .into(),
    };
    fail(C, m, h)
}

/// A spelling Go accepts for a mistyped GOMEMLIMIT, and why it differs.
fn memlimit_fix(value: &str) -> Option<(String, &'static str)> {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let s: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    let (num, unit) =
        s.split_at(s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len()));
    let p = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 1,
        "m" | "mb" | "mib" => 2,
        "g" | "gb" | "gib" => 3,
        "t" | "tb" | "tib" => 4,
        _ => return None,
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let mant: u128 = format!("{int}{frac}").parse().ok()?;
    let den = 10u128.checked_pow(u32::try_from(frac.len()).ok()?)?;
    // The largest unit, up to the one written, that gives a whole number.
    let fix = (0..=p).rev().find_map(|u| {
        let scaled = mant.checked_mul(1024u128.pow(p as u32 - u as u32))?;
        (scaled % den == 0).then(|| format!("{}{}", scaled / den, UNITS[u]))
    })?;
    let why = match () {
        _ if s.len() != value.len() => "Go allows no spaces",
        _ if !frac.is_empty() => "Go accepts only whole numbers",
        _ if unit.eq_ignore_ascii_case(UNITS[p]) => "Go's units are case-sensitive",
        _ => "Go uses binary units",
    };
    (parse_byte_count(&fix).is_some() && fix != value).then_some((fix, why))
}

fn check_gogc(value: &str) -> Checked {
    // strconv.ParseInt(v, 10, 32); a negative value also means off.
    if value.is_empty() || value == "off" || value.parse::<i32>().is_ok() {
        return Ok(None);
    }
    let fix = value.strip_suffix('%').filter(|v| v.parse::<i32>().is_ok());
    let fix = fix
        .map_or("a percentage like \"100\" that fits in 32 bits, or \"off\"".into(), |v| {
            format!("{v:?}")
        });
    let m = format!("GOGC {} is not a number Go accepts", q(value));
    fail("goenv::value::gogc", m, format!("Go silently uses 100 instead; write {fix}"))
}

fn check_gomaxprocs(value: &str) -> Checked {
    let ok = value.bytes().all(|b| b.is_ascii_digit()) && value.parse::<i32>().is_ok_and(|n| n > 0);
    if value.is_empty() || ok {
        return Ok(None);
    }
    fail(
        "goenv::value::gomaxprocs",
        format!("GOMAXPROCS {} is not a CPU count Go accepts", q(value)),
        "Go silently ignores it and uses its default; write a whole number above 0",
    )
}

/// Settings whose old value is fatal from Go 1.27, with the release that removed them.
#[rustfmt::skip]
const REMOVED_GODEBUG: &[(&str, &str)] = &[
    ("gotypesalias=0", "27"), ("tlsunsafeekm=1", "27"), ("tlsrsakex=1", "27"), ("tls3des=1", "27"),
    ("tls10server=1", "27"), ("x509keypairleaf=0", "27"), ("asynctimerchan=1", "27"),
    ("asynctimerchan=2", "27"), ("x509sha1=1", "24"), ("tlskyber=0", "24"),
];

fn check_godebug(value: &str) -> Checked {
    const C: &str = "goenv::value::godebug";
    let n = value.len();
    for (r, f) in pieces(value, &[',']).filter(|(_, f)| !f.is_empty()) {
        if !f.contains('=') {
            let h =
                "Go ignores a field without \"=\": write \"name=value\", like \"http2client=0\"";
            return Err(err(C, format!("GODEBUG field {f:?} has no \"=\""), h).at(r, n));
        }
        if let Some((_, v)) = REMOVED_GODEBUG.iter().find(|(s, _)| *s == f) {
            let m = format!("GODEBUG setting {f:?} is fatal from Go 1.27");
            let effect = if *v == "24" {
                "Go 1.24 to 1.26 ignore it and Go 1.27 stops any program started with it"
            } else {
                "a program started with it stops with `removed GODEBUG`"
            };
            let h = format!(
                "Go 1.{v} removed it (https://go.dev/doc/godebug#go-1{v}): {effect}; remove {f:?}"
            );
            return Err(err(C, m, h).at(r, n));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runtime keys go through `check_runtime_value`, the rest through `check_go_env_value`.
    fn check(key: &str, value: &str) -> Checked {
        match key {
            "GOMEMLIMIT" | "GOGC" | "GOTRACEBACK" | "GOMAXPROCS" | "GODEBUG" => {
                check_runtime_value(key, value)
            }
            _ => check_go_env_value(key, value),
        }
    }

    #[rustfmt::skip]
    const OK: &[(&str, &[&str])] = &[
        ("GOPATH", &["/home/u/go", "/a:/b", ""]),
        ("GOBIN", &["/home/u/go/bin", ""]),
        ("GOCACHE", &["/tmp/c", ""]),
        ("GOPROXY", &["https://a|https://b,direct", "file:///srv/proxy", "direct", "off", "https://proxy.golang.org,direct", "http://u:p@[::1]:8080/x", "HTTPS://a", "file:/srv/p"]),
        ("GOSUMDB", &["off", "sum.golang.org", "sum.golang.google.cn", "sum.golang.org https://sum.golang.google.cn", SUMKEY, "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8  http://mirror:8080/x"]),
        ("GOPRIVATE", &["", "github.com/corp/*,git.corp.example.com/", "*.corp.example.com", "x/[a-c]?/\\*", "[^a]", "[\\]]"]),
        ("GOVCS", &["", "public:git|hg,private:all", "*:off", "github.com/corp:git, evil.com:off"]),
        ("GOTOOLCHAIN", &["", "auto", "local", "path", "local+auto", "local+path", "go1.22.3", "go1.22rc1", "go1.21.0-bigcorp", "go1.21.0-bigcorp+auto", "go1.22.10+path", "go1.20", "go1.20+auto", "go1.21.0 custom"]),
        ("GO111MODULE", &["", "on", "off", "auto"]),
        ("CGO_ENABLED", &["0", "1", ""]),
        ("GOFLAGS", &["", "-mod=mod '-ldflags=-s -w'", "-v --trimpath\t\"-tags=a b\"", "-modcacherw"]),
        ("CC", &["gcc", "/usr/bin/clang -m64", "'/opt/my cc/gcc'", ""]),
        ("GOOS", &["linux", "darwin", "wasip1", ""]),
        ("GOARCH", &["amd64", "386", "loong64"]),
        ("GOAMD64", &["v1", "v4"]),
        ("GOARM64", &["v8.0", "v8.2,lse,crypto", "v9.5,crypto,lse", "v8.9"]),
        ("GOARM", &["5", "6", "7", "7,softfloat", "6,hardfloat"]),
        ("GO386", &["sse2", "softfloat"]),
        ("GOMIPS64", &["hardfloat"]),
        ("GOPPC64", &["power10"]),
        ("GORISCV64", &["rva22u64"]),
        ("GOWASM", &["", "satconv", "satconv,signext"]),
        ("GOFIPS140", &["off", "latest", "inprocess", "certified", "v1.0.0", "v1.0.0-c2097c7c", "v1.1.0-rc1"]),
        ("GOMEMLIMIT", &["0", "512MiB", "off", "", "1B", "1024", "8388607TiB", "9223372036854775807"]),
        ("GOGC", &["-1", "off", "100", "2147483647", "+50", ""]),
        ("GOTRACEBACK", &["2", "crash", "", "none", "wer"]),
        ("GOMAXPROCS", &["8", ""]),
        ("GODEBUG", &["http2client=0,x509sha1=0", "", "a=1,"]),
        ("GOEXPERIMENT", &["anything"]),
    ];
    const SUMKEY: &str = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

    /// key, value, code after "goenv::value::", part of the message, part of the help.
    #[rustfmt::skip]
    const BAD: &[(&str, &str, &str, &str, &str)] = &[
        ("GOFLAGS", "-v\n-x", "control-char", "line break", "newline"),
        ("GOPROXY", "a\0", "control-char", "NUL", "invalid NUL"),
        ("AR", "ar\r", "control-char", "line break", ""),
        ("AR", "ar\u{b}", "control-char", "line break", ""),
        ("GOPATH", "~bob/go", "gopath", "starts with \"~bob\", which goenv does not expand", "not \"~user\""),
        ("GOPATH", "$HOME/go", "gopath", "contains \"$\"", "does not expand $VAR: write \"~/go\""),
        ("GOPATH", "$GOROOT/x", "gopath", "contains \"$\"", "write \"~/go\""),
        ("GOPATH", "go", "gopath", "\"go\" is relative", "write \"~/go\""),
        ("GOBIN", "bin", "gobin", "relative", "\"~/bin\""),
        ("GOBIN", "${HOME}/bin", "gobin", "contains \"$\"", "write \"~/bin\""),
        ("GOMODCACHE", "x/mod", "gomodcache", "relative", ""),
        ("GOTMPDIR", "tmp", "gotmpdir", "relative", ""),
        ("GOCACHE", "off", "gocache", "makes every build fail", "since Go 1.12"),
        ("GOPROXY", "", "goproxy", "no entries", "contains no entries"),
        ("GOPROXY", ",", "goproxy", "no entries", ""),
        ("GOPROXY", " | ", "goproxy", "no entries", ""),
        ("GOPROXY", "off,direct", "goproxy", "after \"off\" are never used", ""),
        ("GOPROXY", "direct,proxy", "goproxy", "never used", "remove \"proxy\""),
        ("GOPROXY", "dirct", "goproxy", "has no scheme", "did you mean \"direct\"?"),
        ("GOPROXY", "/srv/proxy", "goproxy", "has no scheme", "write \"file:///srv/proxy\""),
        ("GOPROXY", "proxy", "goproxy", "missing scheme", "\"https://proxy\""),
        ("GOPROXY", "ftp://x.org", "goproxy", "has scheme \"ftp\"", "https, http and file"),
        ("GOPROXY", "file://srv/proxy", "goproxy", "has a host", "write \"file:///srv/proxy\""),
        ("GOPROXY", "file:///x?y", "goproxy", "more than a path", ""),
        ("GOPROXY", "https://", "goproxy", "no valid host", ""),
        ("GOPROXY", "https://a b", "goproxy", "no valid host", ""),
        ("GOPROXY", "file:rel", "goproxy", "no valid host", ""),
        ("GOSUMDB", "", "gosumdb", "empty", "missing GOSUMDB"),
        ("GOSUMDB", "sum.example.com", "gosumdb", "not a checksum database Go knows", "sum.golang.org"),
        ("GOSUMDB", "bad name+033de0ae+x", "gosumdb", "\"bad\" is not a checksum database", ""),
        ("GOSUMDB", "sum.golang.org+033de0a+Ac4z", "gosumdb", "not a valid verifier key", "8-digit hex"),
        ("GOSUMDB", "sum.golang.org+033de0ae+short", "gosumdb", "not a valid verifier key", "base64"),
        ("GOSUMDB", "a:1+033de0ae+x", "gosumdb", "not a valid verifier key", "host[/path]"),
        ("GOSUMDB", "sum.golang.org ftp://x.org", "gosumdb", "not an http or https URL", ""),
        ("GOSUMDB", "sum.golang.org sum.golang.google.cn", "gosumdb", "not an http", ""),
        ("GOPRIVATE", "a,/", "goprivate", "empty entry", "ignores"),
        ("GONOPROXY", "a, b", "gonoproxy", "contains whitespace", "never matches: write \"b\""),
        ("GONOPROXY", "a b", "gonoproxy", "contains whitespace", "remove the whitespace"),
        ("GONOSUMDB", "x/[a-", "gonosumdb", "malformed", "close the \"[\""),
        ("GONOSUMDB", "x/[]", "gonosumdb", "malformed", "needs a character"),
        ("GONOSUMDB", "x\\", "gonosumdb", "malformed", "trailing"),
        ("GONOSUMDB", "[a", "gonosumdb", "malformed", ""),
        ("GONOSUMDB", "[\\", "gonosumdb", "malformed", ""),
        ("GONOSUMDB", "[a-]", "gonosumdb", "malformed", ""),
        ("GOINSECURE", "https://git.corp/x", "goinsecure", "is a URL", "write \"git.corp/x\""),
        ("GOVCS", "private", "govcs", "has no \":\"", "private:git|hg"),
        ("GOVCS", "*:gti", "govcs", "unknown VCS \"gti\"", "did you mean \"git\"?"),
        ("GOVCS", "a:git,a:hg", "govcs", "repeats", ""),
        ("GOVCS", "a:", "govcs", "empty pattern or VCS list", ""),
        ("GOVCS", "./x:git", "govcs", "relative", ""),
        ("GOTOOLCHAIN", "banana", "gotoolchain", "invalid GOTOOLCHAIN \"banana\"", "\"auto\", \"local\""),
        ("GOTOOLCHAIN", "go1.22", "gotoolchain", "names a language version", "write \"go1.22.0\""),
        ("GOTOOLCHAIN", "go1.22+auto", "gotoolchain", "language version", ""),
        ("GOTOOLCHAIN", "go1.22.0+foo", "gotoolchain", "only version suffixes are +auto and +path", "\"go1.22.0+auto\""),
        ("GOTOOLCHAIN", "local+auto+x", "gotoolchain", "only version suffixes", ""),
        ("GOTOOLCHAIN", "banana+auto", "gotoolchain", "invalid minimum toolchain \"banana\"", ""),
        ("GOTOOLCHAIN", "auto+path", "gotoolchain", "invalid minimum toolchain \"auto\"", ""),
        ("GOTOOLCHAIN", "1.22.10", "gotoolchain", "invalid GOTOOLCHAIN", "write \"go1.22.10\""),
        ("GOTOOLCHAIN", "go/go1.22.1", "gotoolchain", "invalid", "not a path"),
        ("GOTOOLCHAIN", "go1.22.x", "gotoolchain", "invalid", ""),
        ("GOTOOLCHAIN", "auto ", "gotoolchain", "invalid", ""),
        ("GO111MODULE", "ON", "go111module", "invalid GO111MODULE value \"ON\"", "\"on\""),
        ("CGO_ENABLED", "true", "cgo-enabled", "ignored by Go", "silently"),
        ("GOFLAGS", "-mod mod", "goflags", "non-flag \"mod\"", "write \"-mod=mod\""),
        ("GOFLAGS", "-v 'x", "goflags", "unterminated ' string", ""),
        ("GOFLAGS", "-ldflags='-s -w'", "goflags", "quote inside", "write '-ldflags=-s -w'"),
        ("GOFLAGS", "-", "goflags", "non-flag", ""),
        ("GOFLAGS", "--", "goflags", "non-flag", ""),
        ("GOFLAGS", "---x", "goflags", "non-flag", ""),
        ("GOFLAGS", "x", "goflags", "non-flag", "each field must be a flag"),
        ("GOFLAGS", "-=x", "goflags", "no flag name", ""),
        ("CC", "bin/gcc", "cc", "relative", ""),
        ("GOCACHEPROG", "./cacher -v", "gocacheprog", "relative", ""),
        ("GOOS", "macos", "goos", "\"macos\" is not a value Go knows", "write \"darwin\""),
        ("GOOS", "linx", "goos", "not a value", "\"linux\""),
        ("GOARCH", "x86_64", "goarch", "not a value", "\"amd64\""),
        ("GOAMD64", "v5", "goamd64", "invalid GOAMD64", "\"v4\""),
        ("GOARM64", "v9.6", "goarm64", "invalid", ",crypto"),
        ("GOARM64", "v8", "goarm64", "invalid", ""),
        ("GOARM64", "v8.1,foo", "goarm64", "invalid", ""),
        ("GOARM", "8", "goarm", "invalid", ""),
        ("GO386", "387", "go386", "invalid", ""),
        ("GOMIPS", "soft", "gomips", "invalid", ""),
        ("GOPPC64", "power7", "goppc64", "invalid", ""),
        ("GORISCV64", "rv64gc", "goriscv64", "invalid", ""),
        ("GOWASM", "simd", "gowasm", "invalid", ""),
        ("GOFIPS140", "v2.0.0", "gofips140", "invalid", ""),
        ("GOFIPS140", "v1.0", "gofips140", "invalid", ""),
        ("GOFIPS140", "v1.0.0-", "gofips140", "invalid", ""),
        ("GOFIPS140", "v1.0.0-XYZ", "gofips140", "invalid", ""),
        ("GOMEMLIMIT", "512MB", "gomemlimit", "GOMEMLIMIT \"512MB\" is not a size Go accepts", "Go uses binary units: write \"512MiB\""),
        ("GOMEMLIMIT", "2G", "gomemlimit", "not a size", "Go uses binary units: write \"2GiB\""),
        ("GOMEMLIMIT", "1.5GiB", "gomemlimit", "not a size", "Go accepts only whole numbers: write \"1536MiB\""),
        ("GOMEMLIMIT", "1.5GB", "gomemlimit", "not a size", "write \"1536MiB\""),
        ("GOMEMLIMIT", "512mib", "gomemlimit", "not a size", "case-sensitive: write \"512MiB\""),
        ("GOMEMLIMIT", "1024b", "gomemlimit", "not a size", "case-sensitive: write \"1024B\""),
        ("GOMEMLIMIT", "512 MiB", "gomemlimit", "not a size", "no spaces: write \"512MiB\""),
        ("GOMEMLIMIT", "lots", "gomemlimit", "not a size", "malformed GOMEMLIMIT"),
        ("GOMEMLIMIT", "0.5", "gomemlimit", "not a size", "malformed GOMEMLIMIT"),
        ("GOMEMLIMIT", "-1", "gomemlimit", "not a size", "malformed GOMEMLIMIT"),
        ("GOMEMLIMIT", ".", "gomemlimit", "not a size", "malformed GOMEMLIMIT"),
        ("GOMEMLIMIT", "8388608TiB", "gomemlimit", "not a size", "64-bit"),
        ("GOMEMLIMIT", "99999999999999999999", "gomemlimit", "not a size", "64-bit"),
        ("GOGC", "50%", "gogc", "not a number Go accepts", "uses 100 instead; write \"50\""),
        ("GOGC", "2147483648", "gogc", "not a number", "32 bits"),
        ("GOTRACEBACK", "3", "gotraceback", "invalid GOTRACEBACK", "as \"all\""),
        ("GOMAXPROCS", "0", "gomaxprocs", "not a CPU count", "silently ignores"),
        ("GOMAXPROCS", "-1", "gomaxprocs", "not a CPU count", ""),
        ("GOMAXPROCS", "four", "gomaxprocs", "not a CPU count", ""),
        ("GOMAXPROCS", "+2", "gomaxprocs", "not a CPU count", ""),
        ("GODEBUG", "tls10server=1", "godebug", "fatal from Go 1.27", "go-127"),
        ("GODEBUG", "asynctimerchan=2", "godebug", "fatal", ""),
        ("GODEBUG", "x509sha1=1", "godebug", "fatal from Go 1.27", "Go 1.24 to 1.26 ignore it and Go 1.27 stops"),
        ("GODEBUG", "tlskyber=0", "godebug", "fatal", "go-124"),
    ];

    /// key, value, the byte range the error points at.
    #[rustfmt::skip]
    const RANGES: &[(&str, &str, Range<usize>)] = &[
        ("GOFLAGS", "-v\n-x", 2..3),
        ("GOPATH", "/a:~bob/go", 3..10),
        ("GOPATH", "/a::/b", 3..4),
        ("GOPROXY", "https://a,,direct", 10..11),
        ("GOPROXY", "https://a, ,direct", 10..11),
        ("GOPROXY", "https://a,", 9..10),
        ("GOPROXY", "https://a,direct,https://b|https://c", 17..36),
        ("GOPROXY", "https://a, proxy ", 11..16),
        ("GOSUMDB", "sum.golang.org https://a b", 25..26),
        ("GOSUMDB", "sum.golang.google.cn https://x.org", 0..20),
        ("GOSUMDB", "sum.golang.org  ftp://x", 16..23),
        ("GOPRIVATE", "a,,b", 2..3),
        ("GONOPROXY", "a, b", 2..4),
        ("GOVCS", "a:git,,b:hg", 6..7),
        ("GOVCS", "a:git, b:cvs", 7..12),
        ("GOFLAGS", "-mod mod", 5..8),
        ("GOFLAGS", "-v 'x", 3..5),
        ("GOFLAGS", "-v -ldflags='-s -w' -x", 3..19),
        ("CC", "./gcc -m64", 0..5),
        ("GODEBUG", "a=1,panicnil", 4..12),
        ("GODEBUG", "http2client=0,tls10server=1", 14..27),
    ];

    #[test]
    fn accepted_values() {
        for (key, values) in OK {
            for v in *values {
                assert_eq!(check(key, v), Ok(None), "{key}={v:?}");
            }
        }
    }

    #[test]
    fn rejected_values() {
        for (key, value, code, msg, help) in BAD {
            let e = check(key, value).expect_err(&format!("{key}={value:?} should fail"));
            assert_eq!(
                e.code.strip_prefix("goenv::value::"),
                Some(*code),
                "{key}={value:?}: {e:?}"
            );
            assert!(e.message.contains(msg), "{key}={value:?}: {e:?}");
            assert!(e.help.as_deref().is_some_and(|h| h.contains(help)), "{key}={value:?}: {e:?}");
        }
        for (key, value, range) in RANGES {
            let e = check(key, value).expect_err(value);
            assert_eq!(e.range.as_ref(), Some(range), "{key}={value:?}: {e:?}");
        }
        for (setting, _) in REMOVED_GODEBUG {
            assert!(
                check("GODEBUG", &format!("a=1,{setting}")).unwrap_err().message.contains("fatal")
            );
        }
        // Whole-value errors carry no range.
        assert_eq!(check("GOPATH", "go").unwrap_err().range, None);
        assert_eq!(check("CC", "bin/gcc").unwrap_err().range, None);
    }

    #[test]
    fn normalised_values() {
        #[rustfmt::skip]
        let cases = [
            ("goproxy.cn,direct", "https://goproxy.cn,direct"),
            ("localhost:3000|off", "https://localhost:3000|off"),
            (" https://a , direct", "https://a,direct"),
            ("goproxy.io|mirrors.aliyun.com/goproxy/,direct", "https://goproxy.io|https://mirrors.aliyun.com/goproxy/,direct"),
        ];
        for (value, want) in cases {
            assert_eq!(check_goproxy(value), Ok(Some(want.to_string())), "{value}");
            assert_eq!(check_go_env_value("GOPROXY", value), Ok(Some(want.to_string())));
        }
        assert_eq!(
            check_runtime_value("GOPROXY", "goproxy.cn"),
            Ok(Some("https://goproxy.cn".into()))
        );
    }

    #[test]
    fn runtime_delegates_to_go_env_checks() {
        assert_eq!(
            check_runtime_value("GOTOOLCHAIN", "banana").unwrap_err().code,
            "goenv::value::gotoolchain"
        );
        assert_eq!(check_runtime_value("GOENV", "off"), Ok(None));
        assert_eq!(check_runtime_value("GOENV", "env").unwrap_err().code, "goenv::value::goenv");
        // An empty OS variable counts as unset; other keys are not Go's business.
        assert_eq!(check_runtime_value("GOPROXY", ""), Ok(None));
        assert_eq!(check_runtime_value("EDITOR", "vim\n"), Ok(None));
    }

    #[test]
    fn credentials_never_reach_messages() {
        let e = check_goproxy("ftp://user:tok@corp.example").unwrap_err();
        assert!(e.message.contains("<redacted>@corp") && !e.message.contains("tok"), "{e:?}");
        let e = check_goproxy("direct,https://u:secret@x.org").unwrap_err();
        assert!(!e.help.unwrap().contains("secret"));
        let e = check_goproxy("u:secret@x y").unwrap_err();
        assert!(e.message.contains("\"https://<redacted>@x y\"") && !e.message.contains("secret"));
        assert_eq!(check_goproxy("u:secret@x.org"), Ok(Some("https://u:secret@x.org".into())));
    }

    fn v(s: &str) -> GoVersion {
        GoVersion::parse(s).expect(s)
    }

    #[test]
    fn go_versions() {
        for s in
            ["1.22.10", "1.22", "1.23rc1", "1.21beta2", "1.21alpha1", "1.20", "2.0.1", "1.21rc0"]
        {
            assert_eq!(v(s).to_string(), s);
        }
        for s in [
            "go1.22",
            "1.22.",
            "1.022",
            "1.22rc",
            "1.22.1rc1",
            "1",
            "1.x",
            "1.22-x",
            "1.22 ",
            "1.22.01",
            "1.2.3.4",
            "1.22pre1",
            "",
            "1.99999999999",
        ] {
            assert_eq!(GoVersion::parse(s), None, "{s}");
        }
        let p = v("1.22.10");
        assert_eq!((p.major, p.minor, p.patch, p.pre), (1, 22, Some(10), None));
        assert_eq!(v("1.23rc1").pre, Some((PreKind::Rc, 1)));
        #[rustfmt::skip]
        let order = ["1.9.1", "1.10", "1.20rc1", "1.20", "1.20.0", "1.20.1", "1.21", "1.21alpha1", "1.21beta1", "1.21rc1", "1.21rc2", "1.21.0", "1.21.1", "1.21.10", "1.22rc1", "1.22.0", "2.0.0"];
        for w in order.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.20").cmp(&v("1.20")), Ordering::Equal);
        assert!(v("1.22.1").is_exact() && v("1.23rc1").is_exact() && !v("1.22").is_exact());
    }

    #[test]
    fn go_env_keys() {
        let code =
            |k: &str, sdk: Option<&str>| check_go_env_key(k, sdk.map(v)).err().map(|e| e.code);
        assert_eq!(code("GOPROXY", Some("1.22.10")), None);
        assert_eq!(code("GOPROXI", None), Some("goenv::value::unknown-go-env-key"));
        for k in ["GOENV", "GODEBUG"] {
            assert_eq!(code(k, None), Some("goenv::value::os-only-key"));
        }
        for k in [
            "GOROOT",
            "GOEXE",
            "GOVERSION",
            "GOWORK",
            "GOMOD",
            "GOTOOLDIR",
            "GOHOSTOS",
            "GOHOSTARCH",
            "GOGCCFLAGS",
            "GOTELEMETRY",
            "GOTELEMETRYDIR",
        ] {
            assert_eq!(code(k, None), Some("goenv::value::read-only-key"), "{k}");
        }
        for (k, sdk) in [
            ("GOARM64", "1.22.10"),
            ("GORISCV64", "1.22.0"),
            ("GOAUTH", "1.23.4"),
            ("GOFIPS140", "1.23.0"),
            ("GOCACHEPROG", "1.23.0"),
            ("GOTOOLCHAIN", "1.20.14"),
        ] {
            assert_eq!(code(k, Some(sdk)), Some("goenv::value::key-needs-newer-go"), "{k}");
        }
        for (k, sdk) in [
            ("GOARM64", "1.23rc1"),
            ("GOFIPS140", "1.24.0"),
            ("GOTOOLCHAIN", "1.21.0"),
            ("GOARM64", "2.0.0"),
        ] {
            assert_eq!(code(k, Some(sdk)), None, "{k}");
        }
        let help = |k: &str| check_go_env_key(k, None).unwrap_err().help.unwrap_or_default();
        assert_eq!(help("GOPROXI"), "did you mean \"GOPROXY\"?");
        assert_eq!(help("goproxy"), "did you mean \"GOPROXY\"?");
        assert!(help("XYZZY_PLUGH").contains("`export`"));
        assert!(help("GODEBUG").contains("`export`"));
        assert!(help("GOROOT").contains("`go` node"));
        assert!(help("GOWORK").contains("`export`"));
        let e = check_go_env_key("GOARM64", Some(v("1.22.10"))).unwrap_err();
        assert!(e.message.contains("1.22.10") && e.message.contains("Go 1.23"), "{e:?}");
    }

    #[test]
    fn names_and_paths() {
        assert!(is_env_name("_A1") && is_env_name("GOPATH") && is_env_name("a"));
        assert!(!is_env_name("1A") && !is_env_name("") && !is_env_name("A-B") && !is_env_name("É"));
        assert!(is_path_key("GOCACHE") && is_path_key("GOENV") && !is_path_key("GOPATH"));
        assert!(is_path_list_key("GOPATH") && !is_path_list_key("GOBIN"));
        assert!(KNOWN_GO_ENV.contains(&"GOTOOLCHAIN") && !KNOWN_GO_ENV.contains(&"GODEBUG"));
        assert_eq!(code("CGO_ENABLED"), "goenv::value::cgo-enabled");
        assert_eq!(code("GOPATHX"), "goenv::value::invalid");
    }

    #[test]
    fn tilde_paths_are_what_a_shell_would_expand() {
        for yes in ["~", "~/bin/vi", "~bob", "~bob/x", "~a.b-c_d/"] {
            assert!(is_tilde_path(yes), "{yes}");
        }
        for no in ["", "x~", "~ approx", "~=b", "~é", "/~/x"] {
            assert!(!is_tilde_path(no), "{no}");
        }
    }

    #[test]
    fn tilde_expansion() {
        let x = |k: &str, val: &str, home: &str| expand_tilde(k, val, home);
        assert_eq!(x("GOPATH", "~/go:~:/x:~bob/y", "/home/u"), "/home/u/go:/home/u:/x:~bob/y");
        assert_eq!(x("GOBIN", "~/go/bin", "/home/u/"), "/home/u/go/bin");
        assert_eq!(x("GOBIN", "~", "/home/u"), "/home/u");
        assert_eq!(x("GOPATH", "~:~/a", "/home/u/"), "/home/u:/home/u/a");
        assert_eq!(x("GOBIN", "~/x:~/y", "/home/u"), "/home/u/x:~/y");
        assert_eq!(x("X", "$HOME/a~", "/h"), "$HOME/a~");
        assert_eq!(x("X", "~user/a", "/h"), "~user/a");
        assert_eq!(x("X", "~/a", "/"), "/a");
        assert_eq!(x("X", "~", "/"), "/");
    }

    #[test]
    fn did_you_mean() {
        let c = ["GOPROXY", "GOPATH", "GOPRIVATE", "GOFLAGS"];
        assert_eq!(closest("GOPROXI", &c), Some("GOPROXY"));
        assert_eq!(closest("goflags", &c), Some("GOFLAGS"));
        assert_eq!(closest("GOPTAH", &c), Some("GOPATH"));
        assert_eq!(closest("banana", &c), None);
        assert_eq!(closest("ab", &["ba", "xy"]), Some("ba"));
        assert_eq!(closest("ab", &["xy"]), None);
        assert_eq!(closest("x", &[]), None);
    }

    #[test]
    fn redaction() {
        let r = redact_url_credentials("https://user:tok@host/x,http://a@b|file:///x");
        assert_eq!(r, "https://<redacted>@host/x,http://<redacted>@b|file:///x");
        assert_eq!(redact_url_credentials("x https://u:p@h y"), "x https://<redacted>@h y");
        for s in ["https://host/a@b,direct", "https://<redacted>@h", "user@host", ""] {
            assert!(matches!(redact_url_credentials(s), std::borrow::Cow::Borrowed(_)), "{s}");
        }
    }
}
