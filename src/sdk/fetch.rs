//! Downloads for `go "1.22.10" { mirror "https://golang.google.cn/dl/"; index "file:///srv/go/index.json" }`.
//!
//! Owns the network side of SDK installs: fetching the download index, and streaming archives
//! into a download cache keyed by sha256 (`<cache>/<sha256>`), verified before anything else
//! may read them. Sources are `https://`, `http://` and `file://` URLs. Proxy settings arrive
//! in [`FetchOptions`]; `no_proxy` is matched here, one request (and one redirect hop) at a time.
//! It must never read the process environment, never buffer an archive in memory, never leave a
//! partial or unverified file under a cache name, never make a request when the cache already
//! holds the verified file, and never print a URL's credentials.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::digest::hex;

/// Sent with every request.
pub const USER_AGENT: &str = concat!("goenv/", env!("CARGO_PKG_VERSION"));

/// The most [`Fetcher::fetch_small`] accepts; go.dev's full index is a few MB.
pub const SMALL_LIMIT: u64 = 64 * 1024 * 1024;

/// The most [`Fetcher::download_verified`] accepts: a Go SDK archive is under 100 MB (1.25.5
/// for linux-amd64: 57.6 MB); an announced or actual length beyond this is refused.
pub const ARCHIVE_LIMIT: u64 = 1 << 30;

/// Redirects followed per request (go.dev/dl sends one, to dl.google.com).
const MAX_REDIRECTS: usize = 10;

const CHUNK: usize = 256 * 1024;

/// Network settings, taken from goenv's context (never from the environment here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// `HTTPS_PROXY`: used for `https://` URLs whose host `no_proxy` does not exempt.
    /// An empty string counts as unset.
    pub https_proxy: Option<String>,
    /// `NO_PROXY`: comma-separated host suffixes (`example.com`, `.example.com` and
    /// `*.example.com` all match `example.com` and its subdomains), `*` for every host; ports
    /// are ignored.
    pub no_proxy: Option<String>,
    /// Limit for establishing a connection (DNS of a proxy, TCP, TLS, proxy CONNECT).
    /// Zero means no limit.
    pub connect_timeout: Duration,
    /// Limit on a single read: a server that sends nothing for this long is given up on.
    /// It restarts with every read, so slow but moving downloads finish. Zero means no limit.
    pub read_timeout: Duration,
    /// A whole download must finish within `grace` plus its length at `min_rate` bytes per
    /// second (the length announced, else [`ARCHIVE_LIMIT`]): a server trickling one byte now
    /// and then never trips the read timeout, but trips this.
    pub grace: Duration,
    pub min_rate: u64,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            https_proxy: None,
            no_proxy: None,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
            grace: Duration::from_secs(600),
            min_rate: 100 * 1024,
        }
    }
}

impl FetchOptions {
    /// How long a download of `len` bytes (unknown: [`ARCHIVE_LIMIT`]) may take in all.
    pub fn deadline(&self, len: Option<u64>) -> Duration {
        let len = len.unwrap_or(ARCHIVE_LIMIT);
        self.grace + Duration::from_secs(len / self.min_rate.max(1))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("`{url}` is not a URL goenv can fetch: use https://, http:// or file://")]
    UnsupportedUrl { url: String },
    #[error(
        "the proxy `{proxy}` is not a URL goenv can use: write it like `http://proxy.example.com:3128`"
    )]
    InvalidProxy { proxy: String },
    #[error("`{value}` is not a sha256 checksum: expected 64 hex digits")]
    InvalidChecksum { value: String },
    #[error("not found at {url}: is the mirror's layout the same as go.dev/dl?")]
    NotFound { url: String },
    #[error("{url} answered HTTP {status}{hint}")]
    Status { url: String, status: u16, hint: &'static str },
    #[error("{url} redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects { url: String },
    #[error("{url} redirected to `{location}`, which goenv does not follow{why}")]
    BadRedirect { url: String, location: String, why: &'static str },
    #[error("could not connect to {url} within {t} (connect timeout): check the network and the proxy settings", t = Secs(*timeout))]
    ConnectTimeout { url: String, timeout: Duration },
    #[error("{url} sent nothing for {t} (read timeout): the server or the network stalled", t = Secs(*timeout))]
    ReadTimeout { url: String, timeout: Duration },
    #[error("could not fetch {url}: {reason}")]
    Network { url: String, reason: String },
    #[error(
        "the proxy {proxy} refused to connect to {url} ({reason}): check HTTPS_PROXY, or add the host to NO_PROXY"
    )]
    Proxy { proxy: String, url: String, reason: String },
    #[error("downloading {url}: the server closed the connection after {got} of {expected} bytes")]
    Truncated { url: String, got: u64, expected: u64 },
    #[error("downloading {url}: the transfer failed after {got} bytes: {reason}")]
    Interrupted { url: String, got: u64, reason: String },
    #[error("{url} is larger than {t} MiB: is it really a download index?", t = limit / (1024 * 1024))]
    TooLarge { url: String, limit: u64 },
    #[error(
        "{url} is larger than {t} MiB: a Go SDK archive is under 100 MB; nothing was installed",
        t = ARCHIVE_LIMIT >> 20
    )]
    ArchiveTooLarge { url: String },
    #[error(
        "{url} sends more than the {listed} bytes the download index lists for it: it is not the archive go.dev published; nothing was installed"
    )]
    LongerThanListed { url: String, listed: u64 },
    #[error(
        "downloading {url}: {got} bytes in {t}, too slow to finish (a download may take {t} for its size): the server or the network is stalling",
        t = Secs(*after)
    )]
    TooSlow { url: String, got: u64, after: Duration },
    #[error(
        "{url}: expected sha256 {expected}, got {actual}: the archive is not the one go.dev published; nothing was installed"
    )]
    ChecksumMismatch { url: String, expected: String, actual: String },
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io { action: &'static str, path: PathBuf, source: io::Error },
}

/// Fetches URLs with goenv's timeouts and proxy rules. Cheap to share by reference; the agents
/// keep connections alive between requests.
pub struct Fetcher {
    direct: ureq::Agent,
    /// The proxy agent and the proxy URL with credentials redacted.
    proxied: Option<(ureq::Agent, String)>,
    no_proxy: NoProxy,
    opts: FetchOptions,
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetcher")
            .field("proxy", &self.proxied.as_ref().map(|(_, shown)| shown))
            .field("no_proxy", &self.no_proxy)
            .field("connect_timeout", &self.opts.connect_timeout)
            .field("read_timeout", &self.opts.read_timeout)
            .finish()
    }
}

impl Fetcher {
    /// Fails only when `https_proxy` is not a usable proxy URL.
    pub fn new(opts: FetchOptions) -> Result<Fetcher, FetchError> {
        let limit = |d: Duration| (!d.is_zero()).then_some(d);
        let agent = |proxy: Option<ureq::Proxy>| -> ureq::Agent {
            ureq::Agent::config_builder()
                // Explicitly: ureq's default would read ALL_PROXY/HTTPS_PROXY from the process.
                .proxy(proxy)
                // Statuses and redirects are handled here, for messages and per-hop no_proxy.
                .http_status_as_error(false)
                .max_redirects(0)
                .user_agent(USER_AGENT)
                .timeout_connect(limit(opts.connect_timeout))
                .timeout_per_read(limit(opts.read_timeout))
                .build()
                .into()
        };
        let proxied = match opts.https_proxy.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let shown = redact_url(text);
                let invalid = || FetchError::InvalidProxy { proxy: shown.clone() };
                let scheme_ok = match text.split_once("://") {
                    Some((scheme, _)) => {
                        scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
                    }
                    None => true, // `proxy:3128` means http, as curl and ureq read it
                };
                if !scheme_ok {
                    return Err(invalid());
                }
                let proxy = ureq::Proxy::new(text).map_err(|_| invalid())?;
                Some((agent(Some(proxy)), shown))
            }
        };
        let no_proxy = NoProxy::parse(opts.no_proxy.as_deref().unwrap_or(""));
        Ok(Fetcher { direct: agent(None), proxied, no_proxy, opts })
    }

    /// Whether a request to `url` would go through the proxy: an `https://` URL, a proxy is
    /// set, and neither `no_proxy` nor loopback (never proxied, as in Go) exempts the host.
    pub fn uses_proxy(&self, url: &str) -> bool {
        self.proxied.is_some()
            && split_url(url).is_some_and(|u| {
                u.scheme.eq_ignore_ascii_case("https")
                    && !is_loopback(&u.host)
                    && !self.no_proxy.matches(&u.host)
            })
    }

    /// The whole body of a small resource (the download index), at most [`SMALL_LIMIT`] bytes.
    pub fn fetch_small(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        self.fetch_limited(url, SMALL_LIMIT)
    }

    fn fetch_limited(&self, url: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        let Source { mut body, meta } = self.open(url)?;
        if meta.len.is_some_and(|len| len > limit) {
            return Err(FetchError::TooLarge { url: meta.shown_url, limit });
        }
        let mut out = Vec::with_capacity(meta.len.map_or(0, |len| len as usize));
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = meta.read(&mut body, &mut buf, out.len() as u64)?;
            if n == 0 {
                break;
            }
            if out.len() as u64 + n as u64 > limit {
                return Err(FetchError::TooLarge { url: meta.shown_url, limit });
            }
            out.extend_from_slice(&buf[..n]);
        }
        meta.check_complete(out.len() as u64)?;
        Ok(out)
    }

    /// The file with sha256 `expected_sha256`, downloaded from `url` into `cache_dir` unless
    /// `cache_dir/<sha256>` already holds it (re-hashed; then no request is made).
    ///
    /// `size` is the length the download index lists: a server announcing or sending more is
    /// refused as soon as it does, and the overall deadline is derived from it. Without one
    /// (a checksum pinned in the profile) the bound is [`ARCHIVE_LIMIT`].
    ///
    /// The body is streamed through the hasher into a temporary file in `cache_dir` (created
    /// with mode 0700) and renamed to `<sha256>` only once the length and the checksum match.
    /// On any error nothing is left in `cache_dir`. `progress` gets (bytes so far, total when
    /// known) after each chunk.
    pub fn download_verified(
        &self,
        url: &str,
        expected_sha256: &str,
        size: Option<u64>,
        cache_dir: &Path,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<PathBuf, FetchError> {
        let expected = normalize_sha256(expected_sha256)?;
        let entry = cache_dir.join(&expected);
        if cached_entry_is_valid(&entry, &expected)? {
            return Ok(entry);
        }

        let started = std::time::Instant::now();
        let Source { body, meta } = self.open(url)?;
        let too_long = |url: String| match size {
            Some(listed) if listed <= ARCHIVE_LIMIT => FetchError::LongerThanListed { url, listed },
            _ => FetchError::ArchiveTooLarge { url },
        };
        let limit = size.map_or(ARCHIVE_LIMIT, |listed| listed.min(ARCHIVE_LIMIT));
        if meta.len.is_some_and(|len| len > limit) {
            return Err(too_long(meta.shown_url));
        }
        let total = size.or(meta.len);
        let deadline = self.opts.deadline(total);
        create_private_dir(cache_dir)?;
        let mut partial = tempfile::Builder::new()
            .prefix(".partial-")
            .tempfile_in(cache_dir)
            .map_err(|source| io_error("create a temporary file in", cache_dir, source))?;
        // Removed by SIGINT and SIGTERM too, not only by dropping `partial`.
        let _interrupted = crate::interrupt::Temporary::new(partial.path());

        let mut reader = HashingReader::new(body);
        let mut buf = vec![0u8; CHUNK];
        loop {
            let got = reader.count();
            let n = meta.read(&mut reader, &mut buf, got)?;
            if n == 0 {
                break;
            }
            if got + n as u64 > limit {
                return Err(too_long(meta.shown_url));
            }
            if started.elapsed() > deadline {
                return Err(FetchError::TooSlow { url: meta.shown_url, got, after: deadline });
            }
            partial
                .write_all(&buf[..n])
                .map_err(|source| io_error("write", partial.path(), source))?;
            progress(reader.count(), total);
        }
        let (actual, got) = reader.finish();
        meta.check_complete(got)?;
        if actual != expected {
            // Dropping `partial` deletes it.
            return Err(FetchError::ChecksumMismatch { url: meta.shown_url, expected, actual });
        }
        // No fsync: an entry torn by a crash fails the re-hash above and is downloaded again.
        partial
            .persist(&entry)
            .map_err(|err| io_error("rename a download to", &entry, err.error))?;
        Ok(entry)
    }

    fn open(&self, url: &str) -> Result<Source, FetchError> {
        let Some(parts) = split_url(url) else {
            return Err(FetchError::UnsupportedUrl { url: redact_url(url) });
        };
        match parts.scheme.to_ascii_lowercase().as_str() {
            "file" => open_file(url),
            "http" | "https" => self.open_http(url),
            _ => Err(FetchError::UnsupportedUrl { url: redact_url(url) }),
        }
    }

    fn open_http(&self, url: &str) -> Result<Source, FetchError> {
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let shown = redact_url(&current);
            let (agent, proxy) = match &self.proxied {
                Some((agent, proxy)) if self.uses_proxy(&current) => (agent, Some(proxy)),
                _ => (&self.direct, None),
            };
            let response =
                agent.get(&current).call().map_err(|err| self.call_error(err, &shown, proxy))?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
            };
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let Some(location) = header("location") else {
                    return Err(status_error(shown, status));
                };
                current = follow_redirect(&current, &location).map_err(|why| {
                    FetchError::BadRedirect {
                        url: shown.clone(),
                        location: redact_url(&location),
                        why,
                    }
                })?;
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(status_error(shown, status));
            }
            let len = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
            return Ok(Source {
                body: Body::Http(response.into_body().into_reader()),
                meta: SourceMeta {
                    len,
                    shown_url: shown,
                    read_timeout: self.opts.read_timeout,
                    file: None,
                },
            });
        }
        Err(FetchError::TooManyRedirects { url: redact_url(url) })
    }

    fn call_error(&self, err: ureq::Error, shown: &str, proxy: Option<&String>) -> FetchError {
        let url = shown.to_string();
        match err {
            ureq::Error::Timeout(ureq::Timeout::Connect) => {
                FetchError::ConnectTimeout { url, timeout: self.opts.connect_timeout }
            }
            ureq::Error::Timeout(ureq::Timeout::PerRead) => {
                FetchError::ReadTimeout { url, timeout: self.opts.read_timeout }
            }
            ureq::Error::ConnectProxyFailed(reason) => FetchError::Proxy {
                proxy: proxy.cloned().unwrap_or_default(),
                url,
                reason: reason.to_lowercase(),
            },
            other => FetchError::Network { url, reason: describe(&other, proxy) },
        }
    }
}

/// The sha256 of a reader's bytes: wrap a reader, read it to the end, call [`finish`].
///
/// [`finish`]: HashingReader::finish
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader { inner, hasher: Sha256::new(), count: 0 }
    }

    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The lower-case hex sha256 of everything read, and the byte count.
    pub fn finish(self) -> (String, u64) {
        (hex(&self.hasher.finalize()), self.count)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// The lower-case hex sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let file = fs::File::open(path).map_err(|source| io_error("open", path, source))?;
    let mut reader = HashingReader::new(file);
    io::copy(&mut reader, &mut io::sink()).map_err(|source| io_error("read", path, source))?;
    Ok(reader.finish().0)
}

/// `NO_PROXY` as goenv reads it: host suffixes on label boundaries, or `*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    all: bool,
    suffixes: Vec<String>,
}

impl NoProxy {
    /// Entries are separated by commas; blanks, `*.` and leading dots, ports and `[]` around
    /// IPv6 addresses are dropped. CIDR ranges are not understood (they match nothing).
    pub fn parse(list: &str) -> NoProxy {
        let mut no_proxy = NoProxy::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                no_proxy.all = true;
                continue;
            }
            let host = normalize_host(&strip_port(entry));
            let host = host.strip_prefix("*.").unwrap_or(&host);
            let host = host.trim_start_matches('.');
            if !host.is_empty() {
                no_proxy.suffixes.push(host.to_string());
            }
        }
        no_proxy
    }

    /// Whether `host` (a bare host, or `host:port`) is exempt from the proxy.
    pub fn matches(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let host = normalize_host(&strip_port(host));
        self.suffixes.iter().any(|s| {
            host == *s
                || (host.len() > s.len() && host.ends_with(s.as_str()) && {
                    let boundary = host.len() - s.len() - 1;
                    host.as_bytes()[boundary] == b'.'
                })
        })
    }
}

/// `url` with any `user:password@` replaced by `<redacted>@`, for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://<redacted>@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

// ----- sources

enum Body {
    Http(ureq::BodyReader<'static>),
    File(fs::File),
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Body::Http(reader) => reader.read(buf),
            Body::File(file) => file.read(buf),
        }
    }
}

struct Source {
    body: Body,
    meta: SourceMeta,
}

/// What error messages need to know about a source while its body is being read.
struct SourceMeta {
    /// Content-Length, or the file's size.
    len: Option<u64>,
    shown_url: String,
    read_timeout: Duration,
    file: Option<PathBuf>,
}

impl SourceMeta {
    /// One chunk from `reader`; `got` (bytes so far) only makes errors precise.
    fn read(&self, reader: &mut impl Read, buf: &mut [u8], got: u64) -> Result<usize, FetchError> {
        loop {
            match reader.read(buf) {
                Ok(n) => return Ok(n),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(self.read_error(err, got)),
            }
        }
    }

    fn read_error(&self, err: io::Error, got: u64) -> FetchError {
        if let Some(path) = &self.file {
            return io_error("read", path, err);
        }
        let url = self.shown_url.clone();
        match ureq::Error::from(err) {
            ureq::Error::Timeout(_) => FetchError::ReadTimeout { url, timeout: self.read_timeout },
            ureq::Error::Io(io) if is_disconnect(&io) => match self.len {
                Some(expected) => FetchError::Truncated { url, got, expected },
                None => FetchError::Interrupted { url, got, reason: io.to_string().to_lowercase() },
            },
            other => FetchError::Interrupted { url, got, reason: describe(&other, None) },
        }
    }

    /// A body that ends before its announced length was cut off.
    fn check_complete(&self, got: u64) -> Result<(), FetchError> {
        match self.len {
            Some(expected) if got < expected => {
                Err(FetchError::Truncated { url: self.shown_url.clone(), got, expected })
            }
            _ => Ok(()),
        }
    }
}

fn open_file(url: &str) -> Result<Source, FetchError> {
    let shown = redact_url(url);
    let path =
        file_url_path(url).ok_or_else(|| FetchError::UnsupportedUrl { url: shown.clone() })?;
    let file = match fs::File::open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(FetchError::NotFound { url: shown });
        }
        Err(err) => return Err(io_error("open", &path, err)),
    };
    let meta = file.metadata().map_err(|source| io_error("read", &path, source))?;
    if !meta.is_file() {
        return Err(io_error("read", &path, io::Error::other("not a regular file")));
    }
    Ok(Source {
        body: Body::File(file),
        meta: SourceMeta {
            len: Some(meta.len()),
            shown_url: shown,
            read_timeout: Duration::ZERO,
            file: Some(path),
        },
    })
}

/// `file:///abs/path` or `file://localhost/abs/path`, percent-decoded.
fn file_url_path(url: &str) -> Option<PathBuf> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("file") {
        return None;
    }
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    Some(PathBuf::from(percent_decode(rest)?))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

// ----- cache

fn normalize_sha256(value: &str) -> Result<String, FetchError> {
    let trimmed = value.trim();
    if trimmed.len() == 64 && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(trimmed.to_ascii_lowercase())
    } else {
        Err(FetchError::InvalidChecksum { value: value.to_string() })
    }
}

/// True when `entry` is a regular file with the expected hash; a wrong or odd entry is removed.
fn cached_entry_is_valid(entry: &Path, expected: &str) -> Result<bool, FetchError> {
    let meta = match fs::symlink_metadata(entry) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(err) => return Err(io_error("inspect", entry, err)),
    };
    if meta.is_dir() {
        let err = io::Error::other("a directory where a cached download belongs; remove it");
        return Err(io_error("use", entry, err));
    }
    if meta.is_file() && sha256_file(entry)? == expected {
        return Ok(true);
    }
    fs::remove_file(entry)
        .map_err(|source| io_error("remove the corrupt cache entry", entry, source))?;
    Ok(false)
}

fn create_private_dir(dir: &Path) -> Result<(), FetchError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| io_error("create", dir, source))
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> FetchError {
    FetchError::Io { action, path: path.to_path_buf(), source }
}

// ----- URLs and errors

struct UrlParts {
    scheme: String,
    /// Lower-case, without userinfo, port or IPv6 brackets.
    host: String,
}

fn split_url(url: &str) -> Option<UrlParts> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty()
        || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
    {
        return None;
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    Some(UrlParts { scheme: scheme.to_string(), host: normalize_host(&strip_port(host_port)) })
}

/// `host:port` → `host`, `[::1]:80` → `::1`; a bare IPv6 address is left alone.
fn strip_port(host_port: &str) -> String {
    if let Some(rest) = host_port.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_string();
    }
    match host_port.split_once(':') {
        Some((host, port)) if !port.contains(':') => host.to_string(),
        _ => host_port.to_string(),
    }
}

fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The next URL of a redirect chain; https never downgrades to http.
fn follow_redirect(current: &str, location: &str) -> Result<String, &'static str> {
    let location = location.trim();
    let (scheme, rest) = current.split_once("://").ok_or("")?;
    let next = if let Some((next_scheme, _)) = location.split_once("://")
        && !location.starts_with('/')
        && !next_scheme.contains(['/', '?', '#'])
    {
        if !next_scheme.eq_ignore_ascii_case("http") && !next_scheme.eq_ignore_ascii_case("https") {
            return Err(": only http and https redirects are followed");
        }
        location.to_string()
    } else if let Some(network_path) = location.strip_prefix("//") {
        format!("{scheme}://{network_path}")
    } else {
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let origin = &current[..scheme.len() + 3 + authority_end];
        if location.starts_with('/') {
            format!("{origin}{location}")
        } else {
            let path = rest[authority_end..].split(['?', '#']).next().unwrap_or("");
            let dir = path.rfind('/').map_or("", |slash| &path[..slash]);
            format!("{origin}{dir}/{location}")
        }
    };
    let downgrade = scheme.eq_ignore_ascii_case("https")
        && next.split_once("://").is_some_and(|(s, _)| s.eq_ignore_ascii_case("http"));
    if downgrade {
        return Err(": it downgrades https to http");
    }
    Ok(next)
}

fn status_error(url: String, status: u16) -> FetchError {
    let hint = match status {
        404 | 410 => return FetchError::NotFound { url },
        401 | 403 => ": check the credentials in the URL, or whether the mirror needs them",
        407 => {
            ": the proxy wants credentials; put them in HTTPS_PROXY as http://user:password@host:port"
        }
        429 => ": the server is rate limiting; try again later",
        300..=399 => ": a redirect without a location",
        500..=599 => ": the server failed; try again later or use another mirror",
        _ => "",
    };
    FetchError::Status { url, status, hint }
}

fn is_disconnect(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

/// A lower-case reason for a transport error.
fn describe(err: &ureq::Error, proxy: Option<&String>) -> String {
    match err {
        ureq::Error::HostNotFound => match proxy {
            Some(proxy) => format!("could not resolve the host of the proxy {proxy}"),
            None => "could not resolve the host name".to_string(),
        },
        ureq::Error::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => match proxy {
            Some(proxy) => format!("the proxy {proxy} refused the connection"),
            None => "connection refused".to_string(),
        },
        ureq::Error::Io(io) => io.to_string().to_lowercase(),
        ureq::Error::Timeout(which) => format!("timed out ({which})"),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => format!(
            "tls failed ({err}); if a proxy inspects tls, its certificate is not one goenv trusts"
        ),
        other => other.to_string(),
    }
}

/// `30s`, `1.5s`, `200ms`.
struct Secs(Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d < Duration::from_secs(1) {
            write!(f, "{}ms", d.as_millis())
        } else if d.subsec_millis() == 0 {
            write!(f, "{}s", d.as_secs())
        } else {
            write!(f, "{:.1}s", d.as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread::{self, JoinHandle};
    use std::time::Instant;

    /// What the loopback server answers for one path (or CONNECT target).
    #[derive(Clone)]
    enum Reply {
        /// 200 with Content-Length.
        Body(Vec<u8>),
        /// Announces the whole length, sends half, closes.
        HalfThenClose(Vec<u8>),
        /// Sends the headers and `head` bytes, then nothing for `pause`.
        Stall {
            head: usize,
            total: usize,
            pause: Duration,
        },
        /// Announces `total` bytes, then sends one byte every `every`. With `total` 0, announces
        /// no length and trickles for 10 s.
        Trickle {
            total: usize,
            every: Duration,
        },
        /// Announces a Content-Length of `len`, sends a little, closes.
        Announce(u64),
        /// No Content-Length: sends bytes until the client hangs up (or 1 GiB).
        Endless,
        Redirect(&'static str),
        /// A proxy that refuses CONNECT.
        ProxyRefuses,
    }

    /// An HTTP/1.1 server on 127.0.0.1 that serves at most `max_requests` connections (one
    /// request each), then stops; dropping it stops it early. Counts and records requests.
    struct Server {
        addr: SocketAddr,
        hits: Arc<AtomicUsize>,
        requests: Arc<Mutex<Vec<String>>>,
        stop: Arc<AtomicBool>,
        thread: Option<JoinHandle<()>>,
    }

    impl Server {
        fn start(routes: Vec<(&'static str, Reply)>, max_requests: usize) -> Server {
            let listener = ok(TcpListener::bind("127.0.0.1:0"));
            ok(listener.set_nonblocking(true));
            let addr = ok(listener.local_addr());
            let hits = Arc::new(AtomicUsize::new(0));
            let requests = Arc::new(Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            let (h, r, s) = (hits.clone(), requests.clone(), stop.clone());
            let thread = thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(30);
                let mut served = 0;
                while served < max_requests
                    && !s.load(Ordering::SeqCst)
                    && Instant::now() < deadline
                {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            served += 1;
                            serve_one(stream, &routes, &h, &r);
                        }
                        Err(_) => thread::sleep(Duration::from_millis(5)),
                    }
                }
            });
            Server { addr, hits, requests, stop, thread: Some(thread) }
        }

        fn url(&self, path: &str) -> String {
            format!("http://{}{path}", self.addr)
        }

        fn hits(&self) -> usize {
            self.hits.load(Ordering::SeqCst)
        }

        fn requests(&self) -> Vec<String> {
            self.requests.lock().map(|r| r.clone()).unwrap_or_default()
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }

    fn serve_one(
        mut stream: TcpStream,
        routes: &[(&'static str, Reply)],
        hits: &AtomicUsize,
        requests: &Mutex<Vec<String>>,
    ) {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let Ok(clone) = stream.try_clone() else { return };
        let mut reader = io::BufReader::new(clone);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => head.push_str(&line),
            }
        }
        hits.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut all) = requests.lock() {
            all.push(head.clone());
        }
        let target = head.split_whitespace().nth(1).unwrap_or("");
        let reply = routes.iter().find(|(path, _)| *path == target).map(|(_, r)| r.clone());
        let _ = match reply {
            Some(Reply::Body(body)) => respond(&mut stream, "200 OK", body.len(), &body),
            Some(Reply::HalfThenClose(body)) => {
                respond(&mut stream, "200 OK", body.len(), &body[..body.len() / 2])
            }
            Some(Reply::Stall { head, total, pause }) => {
                let body = vec![b'x'; total];
                let sent = respond(&mut stream, "200 OK", total, &body[..head]);
                thread::sleep(pause);
                sent.and_then(|()| stream.write_all(&body[head..]))
            }
            Some(Reply::Trickle { total: 0, every }) => {
                write!(stream, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n").and_then(|()| {
                    let until = Instant::now() + Duration::from_secs(10);
                    while Instant::now() < until {
                        thread::sleep(every);
                        stream.write_all(b"x")?;
                        stream.flush()?;
                    }
                    Ok(())
                })
            }
            Some(Reply::Trickle { total, every }) => respond(&mut stream, "200 OK", total, b"")
                .and_then(|()| {
                    for _ in 0..total {
                        thread::sleep(every);
                        stream.write_all(b"x")?;
                        stream.flush()?;
                    }
                    Ok(())
                }),
            Some(Reply::Announce(len)) => write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\nxxxx"
            ),
            Some(Reply::Endless) => write!(stream, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
                .and_then(|()| {
                    let chunk = vec![b'x'; 64 * 1024];
                    for _ in 0..(1 << 30) / chunk.len() {
                        stream.write_all(&chunk)?;
                    }
                    Ok(())
                }),
            Some(Reply::Redirect(to)) => write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            ),
            Some(Reply::ProxyRefuses) => respond(&mut stream, "403 Forbidden", 0, b""),
            None => respond(&mut stream, "404 Not Found", 0, b""),
        };
        let _ = stream.flush();
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }

    fn respond(stream: &mut TcpStream, status: &str, len: usize, body: &[u8]) -> io::Result<()> {
        write!(stream, "HTTP/1.1 {status}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n")?;
        stream.write_all(body)
    }

    fn ok<T, E: fmt::Debug>(result: Result<T, E>) -> T {
        match result {
            Ok(value) => value,
            Err(err) => panic!("test setup failed: {err:?}"),
        }
    }

    fn fetcher() -> Fetcher {
        fetcher_with(FetchOptions {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
            ..FetchOptions::default()
        })
    }

    fn fetcher_with(opts: FetchOptions) -> Fetcher {
        ok(Fetcher::new(opts))
    }

    /// Not compressible, so nothing between us and the bytes could shortcut them.
    fn archive_bytes(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_u32;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect()
    }

    fn sha(bytes: &[u8]) -> String {
        hex(&Sha256::digest(bytes))
    }

    /// Names in `dir`, empty when it does not exist.
    fn entries(dir: &Path) -> Vec<String> {
        match fs::read_dir(dir) {
            Ok(iter) => {
                iter.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
            }
            Err(_) => Vec::new(),
        }
    }

    fn download(
        fetcher: &Fetcher,
        url: &str,
        sha256: &str,
        cache: &Path,
    ) -> Result<PathBuf, FetchError> {
        fetcher.download_verified(url, sha256, None, cache, &mut |_, _| {})
    }

    const SIZE: usize = 300_000;

    #[test]
    fn download_is_verified_cached_and_the_second_one_makes_no_request() {
        let body = archive_bytes(SIZE);
        let digest = sha(&body);
        let server =
            Server::start(vec![("/go1.22.3.linux-amd64.tar.gz", Reply::Body(body.clone()))], 2);
        let home = ok(tempfile::tempdir());
        let cache = home.path().join("cache/goenv/downloads");
        let url = server.url("/go1.22.3.linux-amd64.tar.gz");
        let fetcher = fetcher();

        let mut calls = Vec::new();
        let path = ok(fetcher.download_verified(&url, &digest, None, &cache, &mut |got, total| {
            calls.push((got, total))
        }));
        assert_eq!(path, cache.join(&digest));
        assert_eq!(ok(fs::read(&path)), body);
        assert_eq!(calls.last(), Some(&(SIZE as u64, Some(SIZE as u64))));
        assert!(calls.windows(2).all(|w| w[0].0 < w[1].0), "progress only grows");
        assert_eq!(entries(&cache), vec![digest.clone()], "no temporary file is left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(ok(fs::metadata(&cache)).permissions().mode() & 0o777, 0o700);
        }
        assert_eq!(server.hits(), 1);
        let request = server.requests().concat().to_lowercase();
        assert!(request.starts_with("get /go1.22.3.linux-amd64.tar.gz http/1.1"), "{request}");
        assert!(request.contains(&format!("user-agent: goenv/{}", env!("CARGO_PKG_VERSION"))));

        // Upper-case input names the same entry; no request is made.
        let again = ok(download(&fetcher, &url, &digest.to_uppercase(), &cache));
        assert_eq!(again, path);
        assert_eq!(server.hits(), 1, "a cached, verified download makes no request");
    }

    #[test]
    fn a_corrupt_cache_entry_is_replaced() {
        let body = archive_bytes(SIZE);
        let digest = sha(&body);
        let server = Server::start(vec![("/a.tar.gz", Reply::Body(body.clone()))], 1);
        let home = ok(tempfile::tempdir());
        let cache = home.path().join("downloads");
        ok(fs::create_dir_all(&cache));
        ok(fs::write(cache.join(&digest), b"torn by a crash"));

        let path = ok(download(&fetcher(), &server.url("/a.tar.gz"), &digest, &cache));
        assert_eq!(ok(fs::read(path)), body);
        assert_eq!(server.hits(), 1);
        assert_eq!(entries(&cache), vec![digest]);
    }

    #[test]
    fn not_found_leaves_nothing() {
        let server = Server::start(vec![], 1);
        let home = ok(tempfile::tempdir());
        let cache = home.path().join("downloads");
        let url = server.url("/go1.22.3.linux-amd64.tar.gz");
        let err = download(&fetcher(), &url, &sha(b"x"), &cache).err();
        assert!(matches!(err, Some(FetchError::NotFound { .. })), "{err:?}");
        assert_eq!(
            err.map(|e| e.to_string()),
            Some(format!("not found at {url}: is the mirror's layout the same as go.dev/dl?"))
        );
        assert!(entries(&cache).is_empty());
        assert_eq!(server.hits(), 1);
    }

    #[test]
    fn a_connection_closed_mid_body_leaves_nothing() {
        let body = archive_bytes(SIZE);
        let server = Server::start(vec![("/half", Reply::HalfThenClose(body.clone()))], 1);
        let home = ok(tempfile::tempdir());
        let cache = home.path().join("downloads");
        let url = server.url("/half");
        let err = download(&fetcher(), &url, &sha(&body), &cache).err();
        let half = (SIZE / 2) as u64;
        assert!(
            matches!(err, Some(FetchError::Truncated { got, expected, .. }) if got == half && expected == SIZE as u64),
            "{err:?}"
        );
        assert_eq!(
            err.map(|e| e.to_string()),
            Some(format!(
                "downloading {url}: the server closed the connection after {half} of {SIZE} bytes"
            ))
        );
        assert!(entries(&cache).is_empty(), "{:?}", entries(&cache));
    }

    #[test]
    fn a_checksum_mismatch_leaves_nothing() {
        let published = archive_bytes(SIZE);
        let mut tampered = published.clone();
        tampered[SIZE / 3] ^= 1;
        let server = Server::start(vec![("/go.tar.gz", Reply::Body(tampered.clone()))], 1);
        let home = ok(tempfile::tempdir());
        let cache = home.path().join("downloads");
        let url = server.url("/go.tar.gz");
        let err = download(&fetcher(), &url, &sha(&published), &cache).err();
        assert!(matches!(err, Some(FetchError::ChecksumMismatch { .. })), "{err:?}");
        assert_eq!(
            err.map(|e| e.to_string()),
            Some(format!(
                "{url}: expected sha256 {}, got {}: the archive is not the one go.dev published; \
                 nothing was installed",
                sha(&published),
                sha(&tampered)
            ))
        );
        assert!(entries(&cache).is_empty(), "{:?}", entries(&cache));
    }

    #[test]
    fn a_stalled_server_hits_the_read_timeout_and_leaves_nothing() {
        let pause = Duration::from_millis(1500);
        let server =
            Server::start(vec![("/slow", Reply::Stall { head: 1000, total: SIZE, pause })], 1);
        let home = ok(tempfile::tempdir());
        let cache = home.path().join("downloads");
        let url = server.url("/slow");
        let fetcher = fetcher_with(FetchOptions {
            read_timeout: Duration::from_millis(200),
            connect_timeout: Duration::from_secs(5),
            ..FetchOptions::default()
        });
        let started = Instant::now();
        let err = download(&fetcher, &url, &sha(b"x"), &cache).err();
        assert!(
            started.elapsed() < Duration::from_millis(1200),
            "gave up late: {:?}",
            started.elapsed()
        );
        assert!(matches!(err, Some(FetchError::ReadTimeout { .. })), "{err:?}");
        assert_eq!(
            err.map(|e| e.to_string()),
            Some(format!(
                "{url} sent nothing for 200ms (read timeout): the server or the network stalled"
            ))
        );
        assert!(entries(&cache).is_empty(), "{:?}", entries(&cache));
    }

    #[test]
    fn redirects_are_followed_and_counted() {
        let body = archive_bytes(1000);
        let server = Server::start(
            vec![
                ("/dl/go.tar.gz", Reply::Redirect("/files/go.tar.gz")),
                ("/files/go.tar.gz", Reply::Body(body.clone())),
            ],
            2,
        );
        let home = ok(tempfile::tempdir());
        let path = ok(download(&fetcher(), &server.url("/dl/go.tar.gz"), &sha(&body), home.path()));
        assert_eq!(ok(fs::read(path)), body);
        assert_eq!(server.hits(), 2);
    }

    #[test]
    fn fetch_small_reads_the_index_and_enforces_its_cap() {
        let index = br#"[{"version": "go1.22.3", "stable": true, "files": []}]"#.to_vec();
        let big = vec![b' '; 5000];
        let server = Server::start(
            vec![
                ("/dl/?mode=json&include=all", Reply::Body(index.clone())),
                ("/big", Reply::Body(big)),
            ],
            3,
        );
        let fetcher = fetcher();
        assert_eq!(ok(fetcher.fetch_small(&server.url("/dl/?mode=json&include=all"))), index);
        let err = fetcher.fetch_limited(&server.url("/big"), 4096).err();
        assert!(matches!(err, Some(FetchError::TooLarge { limit: 4096, .. })), "{err:?}");
        let err = fetcher.fetch_small(&server.url("/nothing")).err();
        assert!(matches!(err, Some(FetchError::NotFound { .. })), "{err:?}");
        assert_eq!(server.hits(), 3);
    }

    #[test]
    fn credentials_never_appear_in_messages() {
        let server = Server::start(vec![], 1);
        let url = format!("http://mirror-user:hunter2@{}/go.tar.gz", server.addr);
        let err = fetcher().fetch_small(&url).err().map(|e| e.to_string());
        assert_eq!(
            err,
            Some(format!(
                "not found at http://<redacted>@{}/go.tar.gz: is the mirror's layout the same as go.dev/dl?",
                server.addr
            ))
        );
        // The credentials themselves were sent (ureq turns them into basic auth).
        assert!(server.requests().concat().to_lowercase().contains("authorization: basic "));
        assert_eq!(redact_url("https://tok@h/p@q"), "https://<redacted>@h/p@q");
        assert_eq!(redact_url("https://h/p"), "https://h/p");
        assert_eq!(redact_url("http://u:p@proxy:3128"), "http://<redacted>@proxy:3128");
    }

    #[test]
    fn a_refused_connection_is_named() {
        let addr = {
            let listener = ok(TcpListener::bind("127.0.0.1:0"));
            ok(listener.local_addr())
        };
        let url = format!("http://{addr}/go.tar.gz");
        let home = ok(tempfile::tempdir());
        let err = download(&fetcher(), &url, &sha(b"x"), home.path()).err();
        assert_eq!(
            err.map(|e| e.to_string()),
            Some(format!("could not fetch {url}: connection refused"))
        );
        assert!(entries(home.path()).is_empty());
    }

    #[test]
    fn https_goes_through_the_proxy_unless_no_proxy_says_otherwise() {
        let proxy = Server::start(vec![("go.dev.invalid:443", Reply::ProxyRefuses)], 1);
        let fetcher = fetcher_with(FetchOptions {
            https_proxy: Some(format!("http://user:secret@{}", proxy.addr)),
            no_proxy: Some("corp.example, .internal:8443".to_string()),
            ..FetchOptions::default()
        });
        let url = "https://go.dev.invalid/dl/?mode=json&include=all";
        let err = fetcher.fetch_small(url).err();
        assert!(matches!(err, Some(FetchError::Proxy { .. })), "{err:?}");
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.starts_with(&format!(
                "the proxy http://<redacted>@{} refused to connect to {url}",
                proxy.addr
            )),
            "{msg}"
        );
        assert!(!msg.contains("secret"), "{msg}");
        let seen = proxy.requests().concat();
        assert!(seen.starts_with("CONNECT go.dev.invalid:443 HTTP/1.1"), "{seen}");
        assert_eq!(proxy.hits(), 1);

        assert!(fetcher.uses_proxy("https://dl.google.com/go/x.tar.gz"));
        assert!(!fetcher.uses_proxy("https://mirror.corp.example/go/x.tar.gz"));
        assert!(!fetcher.uses_proxy("https://go.internal/x"));
        assert!(
            !fetcher.uses_proxy("http://dl.google.com/go/x.tar.gz"),
            "https_proxy is for https"
        );
        assert!(!fetcher.uses_proxy("https://127.0.0.1:8443/x"), "loopback is never proxied");
        assert!(!fetcher.uses_proxy("https://[::1]/x"));
        assert!(!fetcher.uses_proxy("https://localhost/x"));
        assert!(!fetcher.uses_proxy("file:///srv/go/x.tar.gz"));
        assert!(!self::fetcher().uses_proxy("https://dl.google.com/x"), "no proxy configured");
    }

    #[test]
    fn a_trickling_server_hits_the_overall_deadline() {
        // One byte every 50 ms never trips a 1 s read timeout; 1 s + 100 bytes at 100 B/s does.
        let every = Duration::from_millis(50);
        let server = Server::start(vec![("/trickle", Reply::Trickle { total: 100, every })], 1);
        let home = ok(tempfile::tempdir());
        let cache = home.path().join("downloads");
        let fetcher = fetcher_with(FetchOptions {
            read_timeout: Duration::from_secs(1),
            grace: Duration::from_secs(1),
            min_rate: 100,
            ..FetchOptions::default()
        });
        let started = Instant::now();
        let err = download(&fetcher, &server.url("/trickle"), &sha(b"x"), &cache).err();
        assert!(matches!(err, Some(FetchError::TooSlow { .. })), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
        assert!(entries(&cache).is_empty(), "{:?}", entries(&cache));

        // Without a Content-Length the deadline comes from the size the index lists (1 s + 100
        // bytes at 100 B/s), not from the 1 GiB cap.
        let server = Server::start(vec![("/quiet", Reply::Trickle { total: 0, every })], 1);
        let started = Instant::now();
        let err = fetcher
            .download_verified(&server.url("/quiet"), &sha(b"x"), Some(100), &cache, &mut |_, _| {})
            .err();
        assert!(
            matches!(err, Some(FetchError::TooSlow { after, .. }) if after == Duration::from_secs(2)),
            "{err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
        assert_eq!(FetchOptions::default().deadline(Some(57_595_018)), Duration::from_secs(1162));
    }

    #[test]
    fn an_archive_announced_larger_than_the_limit_is_refused_before_its_body() {
        let server = Server::start(vec![("/huge", Reply::Announce(100 << 30))], 1);
        let home = ok(tempfile::tempdir());
        let cache = home.path().join("downloads");
        let err = download(
            &fetcher_with(FetchOptions::default()),
            &server.url("/huge"),
            &sha(b"x"),
            &cache,
        )
        .err();
        assert!(matches!(err, Some(FetchError::ArchiveTooLarge { .. })), "{err:?}");
        assert!(entries(&cache).is_empty(), "{:?}", entries(&cache));
    }

    #[test]
    fn a_body_longer_than_the_index_lists_is_refused_as_it_streams() {
        // No Content-Length and no end: goenv stops one chunk past the listed size.
        let server = Server::start(vec![("/endless", Reply::Endless)], 1);
        let home = ok(tempfile::tempdir());
        let cache = home.path().join("downloads");
        let fetcher = fetcher();
        let started = Instant::now();
        let mut seen = 0;
        let err = fetcher
            .download_verified(
                &server.url("/endless"),
                &sha(b"x"),
                Some(100_000),
                &cache,
                &mut |got, total| {
                    assert_eq!(total, Some(100_000));
                    seen = got;
                },
            )
            .err();
        assert!(
            matches!(err, Some(FetchError::LongerThanListed { listed: 100_000, .. })),
            "{err:?}"
        );
        assert!(seen <= 100_000, "{seen}");
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        assert!(entries(&cache).is_empty(), "{:?}", entries(&cache));
        assert_eq!(
            err.map(|e| e.to_string()),
            Some(format!(
                "{} sends more than the 100000 bytes the download index lists for it: it is not \
                 the archive go.dev published; nothing was installed",
                server.url("/endless")
            ))
        );
    }

    #[test]
    fn a_length_announced_beyond_the_listed_size_is_refused_before_its_body() {
        let server = Server::start(vec![("/big", Reply::Announce(1_000_001))], 1);
        let home = ok(tempfile::tempdir());
        let cache = home.path().join("downloads");
        let err = fetcher()
            .download_verified(
                &server.url("/big"),
                &sha(b"x"),
                Some(1_000_000),
                &cache,
                &mut |_, _| {},
            )
            .err();
        assert!(matches!(err, Some(FetchError::LongerThanListed { .. })), "{err:?}");
        assert!(entries(&cache).is_empty(), "{:?}", entries(&cache));
        // A listed size beyond the cap is no licence: the cap still holds.
        let server = Server::start(vec![("/huge", Reply::Announce(100 << 30))], 1);
        let err = fetcher()
            .download_verified(
                &server.url("/huge"),
                &sha(b"x"),
                Some(200 << 30),
                &cache,
                &mut |_, _| {},
            )
            .err();
        assert!(matches!(err, Some(FetchError::ArchiveTooLarge { .. })), "{err:?}");
    }

    #[test]
    fn proxy_urls_are_checked() {
        for bad in ["socks5://127.0.0.1:1080", "http://"] {
            let err = Fetcher::new(FetchOptions {
                https_proxy: Some(bad.to_string()),
                ..FetchOptions::default()
            });
            assert!(matches!(err, Err(FetchError::InvalidProxy { .. })), "{bad}: {err:?}");
        }
        let err = Fetcher::new(FetchOptions {
            https_proxy: Some("ftp://u:pw@proxy".to_string()),
            ..FetchOptions::default()
        })
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            err,
            Some(
                "the proxy `ftp://<redacted>@proxy` is not a URL goenv can use: write it like \
                  `http://proxy.example.com:3128`"
                    .to_string()
            )
        );
        for fine in ["proxy.corp:3128", "http://proxy.corp:3128", "https://u:p@proxy.corp", ""] {
            let made = Fetcher::new(FetchOptions {
                https_proxy: Some(fine.to_string()),
                ..FetchOptions::default()
            });
            assert!(made.is_ok(), "{fine}: {made:?}");
        }
    }

    #[test]
    fn no_proxy_matching() {
        let np = NoProxy::parse(
            " example.com, .corp.internal ,*.svc:8080,,10.0.0.1, [::1]:443, Mirror.CN. ",
        );
        for host in [
            "example.com",
            "dl.example.com",
            "EXAMPLE.com",
            "example.com:443",
            "a.corp.internal",
            "corp.internal",
            "x.svc",
            "svc",
            "10.0.0.1",
            "::1",
            "[::1]:8443",
            "mirror.cn",
            "a.mirror.cn.",
        ] {
            assert!(np.matches(host), "{host} should bypass the proxy");
        }
        for host in
            ["badexample.com", "example.com.evil", "internal", "10.0.0.10", "go.dev", "cn", ""]
        {
            assert!(!np.matches(host), "{host} should use the proxy");
        }
        let all = NoProxy::parse("go.dev, *");
        assert!(all.matches("anything.example") && all.matches("go.dev"));
        let none = NoProxy::parse(" , ,");
        assert!(!none.matches("go.dev"));
        assert_eq!(NoProxy::parse(""), NoProxy::default());
    }

    #[test]
    fn file_urls_work_like_http() {
        let body = archive_bytes(SIZE);
        let dir = ok(tempfile::tempdir());
        let mirror = dir.path().join("my mirror");
        ok(fs::create_dir_all(&mirror));
        ok(fs::write(mirror.join("go1.22.3.linux-amd64.tar.gz"), &body));
        ok(fs::write(mirror.join("index.json"), b"[]"));
        let base = format!("file://{}", mirror.display()).replace(' ', "%20");
        let cache = dir.path().join("cache");
        let fetcher = fetcher();

        assert_eq!(ok(fetcher.fetch_small(&format!("{base}/index.json"))), b"[]");
        let url = format!("{base}/go1.22.3.linux-amd64.tar.gz");
        let mut last = None;
        let path = ok(fetcher
            .download_verified(&url, &sha(&body), None, &cache, &mut |g, t| last = Some((g, t))));
        assert_eq!(ok(fs::read(&path)), body);
        assert_eq!(last, Some((SIZE as u64, Some(SIZE as u64))));

        let wrong = download(&fetcher, &url, &sha(b"other"), &dir.path().join("c2")).err();
        assert!(matches!(wrong, Some(FetchError::ChecksumMismatch { .. })), "{wrong:?}");
        assert!(entries(&dir.path().join("c2")).is_empty());

        let missing = download(&fetcher, &format!("{base}/nope.tar.gz"), &sha(b"x"), &cache).err();
        assert!(matches!(missing, Some(FetchError::NotFound { .. })), "{missing:?}");
        let localhost =
            format!("file://localhost{}/index.json", mirror.display()).replace(' ', "%20");
        assert_eq!(ok(fetcher.fetch_small(&localhost)), b"[]");
        let relative = fetcher.fetch_small("file://relative/index.json").err();
        assert!(matches!(relative, Some(FetchError::UnsupportedUrl { .. })), "{relative:?}");
    }

    #[test]
    fn bad_inputs_are_refused_before_any_request() {
        let server = Server::start(vec![], 1);
        let home = ok(tempfile::tempdir());
        let fetcher = fetcher();
        for bad in ["", "../../etc/passwd", &"g".repeat(64), &"a".repeat(63)] {
            let err = download(&fetcher, &server.url("/x"), bad, home.path()).err();
            assert!(matches!(err, Some(FetchError::InvalidChecksum { .. })), "{bad}: {err:?}");
        }
        for url in ["ftp://example.com/x", "example.com/x", "/tmp/x"] {
            let err = fetcher.fetch_small(url).err();
            assert!(matches!(err, Some(FetchError::UnsupportedUrl { .. })), "{url}: {err:?}");
        }
        assert_eq!(server.hits(), 0);
        assert!(entries(home.path()).is_empty());
    }

    #[test]
    fn redirect_resolution() {
        let base = "https://go.dev/dl/go1.22.3.linux-amd64.tar.gz?x=1";
        let next = |loc| follow_redirect(base, loc);
        assert_eq!(
            next("https://dl.google.com/go/a"),
            Ok("https://dl.google.com/go/a".to_string())
        );
        assert_eq!(next("//dl.google.com/go/a"), Ok("https://dl.google.com/go/a".to_string()));
        assert_eq!(next("/go/a"), Ok("https://go.dev/go/a".to_string()));
        assert_eq!(next("a.tar.gz"), Ok("https://go.dev/dl/a.tar.gz".to_string()));
        assert!(next("http://dl.google.com/go/a").is_err(), "no downgrade");
        assert!(next("file:///etc/passwd").is_err());
        assert_eq!(
            follow_redirect("http://127.0.0.1:80/a/b", "https://x/y"),
            Ok("https://x/y".to_string())
        );
    }

    #[test]
    fn hashing_reader_and_hex() {
        let mut reader = HashingReader::new(&b"abc"[..]);
        ok(io::copy(&mut reader, &mut io::sink()));
        assert_eq!(
            reader.finish(),
            ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_string(), 3)
        );
        assert_eq!(Secs(Duration::from_secs(30)).to_string(), "30s");
        assert_eq!(Secs(Duration::from_millis(1500)).to_string(), "1.5s");
        assert_eq!(Secs(Duration::from_millis(200)).to_string(), "200ms");
    }
}
