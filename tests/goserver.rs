//! Tests of the test server itself (tests/common/goserver.rs): raw HTTP over TcpStream, faults,
//! request counts, and the archives it builds.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::goserver::{
    Fault, GoServer, HOSTILE_VERSION, Hostile, fake_sdk_archive, hostile_archive, sha256_hex,
};
use serde_json::Value;

/// A raw HTTP answer.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn content_length(&self) -> usize {
        self.header("content-length").expect("Content-Length").parse().expect("a number")
    }
}

/// Sends `request` as is and reads everything until the server closes the connection.
fn raw(addr: SocketAddr, request: &str) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    stream.write_all(request.as_bytes()).expect("send request");
    let mut all = Vec::new();
    stream.read_to_end(&mut all).expect("read until close");
    parse(&all)
}

fn parse(all: &[u8]) -> Answer {
    let end = all.windows(4).position(|w| w == b"\r\n\r\n").expect("end of head");
    let head = std::str::from_utf8(&all[..end]).expect("UTF-8 head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().expect("status code");
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(':').expect("header line");
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    Answer { status, headers, body: all[end + 4..].to_vec() }
}

fn get(addr: SocketAddr, target: &str) -> Answer {
    raw(addr, &format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: selftest\r\n\r\n"))
}

fn target_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("http URL");
    rest[rest.find('/').expect("path")..].to_owned()
}

const NAME_NEW: &str = "go1.25.5.linux-amd64.tar.gz";

#[test]
fn index_lists_registered_archives_newest_first() {
    let server = GoServer::start();
    server.add_fake_sdk("1.21.13").add_fake_sdk("go1.25.5").add_fake_sdk("1.25.4");
    server.add_fake_sdk("1.24.11").add_fake_sdk("1.26rc1");
    server.add_listing("1.25.5", "go1.25.5.darwin-arm64.tar.gz");
    server.add_listing("1.25.5", "go1.25.5.src.tar.gz");
    server.add_listing("1.25.5", "go1.25.5.windows-amd64.msi");

    let answer = get(server.addr(), &target_of(&server.index_url()));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("connection"), Some("close"));
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.content_length(), answer.body.len());
    let index: Value = serde_json::from_slice(&answer.body).expect("JSON");
    let versions: Vec<&str> =
        index.as_array().unwrap().iter().map(|r| r["version"].as_str().unwrap()).collect();
    assert_eq!(versions, ["go1.26rc1", "go1.25.5", "go1.25.4", "go1.24.11", "go1.21.13"]);
    assert_eq!(index[0]["stable"], false);
    assert_eq!(index[1]["stable"], true);

    let files = index[1]["files"].as_array().unwrap();
    let linux = files.iter().find(|f| f["filename"] == NAME_NEW).expect("linux file");
    assert_eq!(linux["os"], "linux");
    assert_eq!(linux["arch"], "amd64");
    assert_eq!(linux["kind"], "archive");
    assert_eq!(linux["version"], "go1.25.5");
    assert_eq!(linux["sha256"], sha256_hex(&fake_sdk_archive("1.25.5")));
    assert_eq!(linux["size"], fake_sdk_archive("1.25.5").len() as u64);
    let kinds = |name: &str| {
        let f = files.iter().find(|f| f["filename"] == name).unwrap();
        (f["os"].as_str().unwrap().to_owned(), f["arch"].to_string(), f["kind"].to_string())
    };
    assert_eq!(kinds("go1.25.5.src.tar.gz").0, "");
    assert_eq!(kinds("go1.25.5.src.tar.gz").2, "\"source\"");
    assert_eq!(kinds("go1.25.5.windows-amd64.msi").2, "\"installer\"");
    assert_eq!(kinds("go1.25.5.darwin-arm64.tar.gz").1, "\"arm64\"");

    // Without include=all: the newest patch of the two newest stable lines, as go.dev.
    let stable = get(server.addr(), "/dl/?mode=json");
    let stable: Value = serde_json::from_slice(&stable.body).unwrap();
    let versions: Vec<&str> =
        stable.as_array().unwrap().iter().map(|r| r["version"].as_str().unwrap()).collect();
    assert_eq!(versions, ["go1.25.5", "go1.24.11"]);
    assert_eq!(stable, server.index_json(false));
}

#[test]
fn serves_bytes_head_sha256_and_404() {
    let server = GoServer::start();
    server.add_fake_sdk("1.25.5");
    let bytes = fake_sdk_archive("1.25.5");

    let answer = get(server.addr(), &target_of(&server.file_url(NAME_NEW)));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, bytes);
    assert_eq!(answer.content_length(), bytes.len());

    let head = raw(server.addr(), &format!("HEAD /dl/{NAME_NEW} HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_eq!((head.status, head.content_length(), head.body.len()), (200, bytes.len(), 0));

    let digest = get(server.addr(), &format!("/dl/{NAME_NEW}.sha256"));
    assert_eq!(String::from_utf8(digest.body).unwrap(), sha256_hex(&bytes));

    // Listed only, unknown file, unknown path, other method.
    server.add_listing("1.25.5", "go1.25.5.darwin-arm64.tar.gz");
    assert_eq!(get(server.addr(), "/dl/go1.25.5.darwin-arm64.tar.gz").status, 404);
    let missing = get(server.addr(), "/dl/go9.9.9.linux-amd64.tar.gz");
    assert_eq!((missing.status, missing.body.as_slice()), (404, &b"404 page not found\n"[..]));
    assert_eq!(get(server.addr(), "/elsewhere").status, 404);
    assert_eq!(raw(server.addr(), "POST /dl/ HTTP/1.1\r\nHost: x\r\n\r\n").status, 405);
    assert_eq!(raw(server.addr(), "garbage\r\n\r\n").status, 400);
}

#[test]
fn requests_are_recorded_in_order_and_counted() {
    let server = GoServer::start();
    server.add_fake_sdk("1.25.5");
    get(server.addr(), "/dl/?mode=json&include=all");
    get(server.addr(), &format!("/dl/{NAME_NEW}"));
    get(server.addr(), "/dl/nothing");
    get(server.addr(), "/dl/?mode=json");
    assert_eq!(
        server.requests(),
        ["/dl/?mode=json&include=all", &format!("/dl/{NAME_NEW}"), "/dl/nothing", "/dl/?mode=json"]
    );
    assert_eq!(server.count("/dl/?"), 2);
    assert_eq!(server.count_index(), 2);
    assert_eq!(server.count_file(NAME_NEW), 1);
    assert_eq!(server.count("/dl/"), 4);
    server.reset_counts();
    assert!(server.requests().is_empty());
    get(server.addr(), &format!("/dl/{NAME_NEW}"));
    assert_eq!(server.count_file(NAME_NEW), 1);
}

#[test]
fn close_mid_body_is_really_a_short_body() {
    let server = GoServer::start();
    server.add_fake_sdk("1.25.5").fault(NAME_NEW, Fault::CloseMidBody);
    let size = fake_sdk_archive("1.25.5").len();
    let answer = get(server.addr(), &format!("/dl/{NAME_NEW}"));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_length(), size);
    assert_eq!(answer.body.len(), size / 2);
    assert_eq!(answer.body, fake_sdk_archive("1.25.5")[..size / 2]);
}

#[test]
fn fault_times_then_normal_and_index_faults() {
    let server = GoServer::start();
    server.add_fake_sdk("1.25.5").fault_times(NAME_NEW, Fault::NotFound, 2);
    let target = format!("/dl/{NAME_NEW}");
    assert_eq!(get(server.addr(), &target).status, 404);
    assert_eq!(get(server.addr(), &target).status, 404);
    assert_eq!(get(server.addr(), &target).status, 200);

    server.index_fault(Fault::Status(503));
    let answer = get(server.addr(), "/dl/?mode=json&include=all");
    assert_eq!((answer.status, answer.body.as_slice()), (503, &b"503 Service Unavailable\n"[..]));
    server.clear_faults();
    assert_eq!(get(server.addr(), "/dl/?mode=json&include=all").status, 200);
}

#[test]
fn wrong_bytes_is_a_valid_gzip_with_the_same_content_and_another_sha256() {
    let server = GoServer::start();
    server.add_fake_sdk("1.25.5").fault(NAME_NEW, Fault::WrongBytes);
    let good = fake_sdk_archive("1.25.5");
    let answer = get(server.addr(), &format!("/dl/{NAME_NEW}"));
    assert_eq!(answer.body.len(), good.len());
    assert_ne!(sha256_hex(&answer.body), server.sha256(NAME_NEW));
    let gunzip = |bytes: &[u8]| {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).expect("valid gzip");
        out
    };
    assert_eq!(gunzip(&answer.body), gunzip(&good));
}

#[test]
fn slow_and_stalled_answers_take_their_time() {
    let server = GoServer::start();
    server.add_fake_sdk("1.25.5").fault(NAME_NEW, Fault::Slow(Duration::from_millis(400)));
    let started = Instant::now();
    let answer = get(server.addr(), &format!("/dl/{NAME_NEW}"));
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(answer.body, fake_sdk_archive("1.25.5"));

    // A client with a short read timeout gets the headers and half the body, then times out.
    server.fault(NAME_NEW, Fault::StallMidBody(Duration::from_secs(2)));
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    write!(stream, "GET /dl/{NAME_NEW} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let err = loop {
        match stream.read(&mut buf) {
            Ok(0) => panic!("closed instead of stalling"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => break e,
        }
    };
    assert!(matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut));
    let answer = parse(&got);
    assert_eq!(answer.body.len(), fake_sdk_archive("1.25.5").len() / 2);
}

#[test]
fn keep_alive_clients_get_connection_close() {
    let server = GoServer::start();
    server.add_fake_sdk("1.25.5");
    // Two pipelined keep-alive requests: one answer, then the server closes.
    let request = "GET /dl/?mode=json HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n";
    let answer = raw(server.addr(), &format!("{request}{request}"));
    assert_eq!(answer.header("connection"), Some("close"));
    assert_eq!(answer.body.len(), answer.content_length());
    server.reset_counts();

    // goenv's HTTP client with its connection pool: several requests in a row all succeed.
    let agent: ureq::Agent =
        ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().into();
    for _ in 0..3 {
        let index = agent.get(server.index_url()).call().unwrap().body_mut().read_to_vec().unwrap();
        assert!(serde_json::from_slice::<Value>(&index).is_ok());
        let mut response = agent.get(server.file_url(NAME_NEW)).call().unwrap();
        assert_eq!(response.body_mut().read_to_vec().unwrap(), fake_sdk_archive("1.25.5"));
    }
    assert_eq!(server.count_index(), 3);

    // ureq notices the short body.
    server.fault(NAME_NEW, Fault::CloseMidBody);
    let mut response = agent.get(server.file_url(NAME_NEW)).call().unwrap();
    assert!(response.body_mut().read_to_vec().is_err());
}

#[test]
fn broken_clients_do_not_stop_the_server() {
    let server = GoServer::start();
    server.add_fake_sdk("1.25.5");
    drop(TcpStream::connect(server.addr()).unwrap());
    let mut half = TcpStream::connect(server.addr()).unwrap();
    half.write_all(b"GET /dl/ HT").unwrap();
    drop(half);
    // A client that leaves after the headers of a large body.
    let big = vec![7u8; 8 << 20];
    server.add_archive("1.25.6", "go1.25.6.linux-amd64.tar.gz", big);
    let mut rude = TcpStream::connect(server.addr()).unwrap();
    rude.write_all(b"GET /dl/go1.25.6.linux-amd64.tar.gz HTTP/1.1\r\n\r\n").unwrap();
    let mut buf = [0u8; 100];
    rude.read_exact(&mut buf).unwrap();
    drop(rude);
    raw(server.addr(), &"x".repeat(70 * 1024)); // too long a head: 400
    assert_eq!(get(server.addr(), &format!("/dl/{NAME_NEW}")).status, 200);
}

#[test]
fn concurrent_downloads() {
    let server = GoServer::start();
    server.add_fake_sdk("1.25.5");
    let addr = server.addr();
    let threads: Vec<_> = (0..16)
        .map(|_| std::thread::spawn(move || get(addr, &format!("/dl/{NAME_NEW}")).body))
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), fake_sdk_archive("1.25.5"));
    }
    assert_eq!(server.count_file(NAME_NEW), 16);
}

#[test]
fn dropping_the_server_stops_it() {
    let server = GoServer::start();
    let addr = server.addr();
    drop(server);
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn large_file_streams_fast_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.tar.gz");
    // 70 MB of not very compressible bytes.
    let mut bytes = vec![0u8; 70 << 20];
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for chunk in bytes.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(&path, &bytes).unwrap();
    let digest = sha256_hex(&bytes);
    drop(bytes);

    let server = GoServer::start();
    let name = "go1.30.0.linux-amd64.tar.gz";
    server.add_archive("1.30.0", name, &path);
    assert_eq!(server.sha256(name), digest);
    for _ in 0..2 {
        let mut stream = TcpStream::connect(server.addr()).unwrap();
        write!(stream, "GET /dl/{name} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let started = Instant::now();
        let mut hasher_input = Vec::with_capacity(71 << 20);
        stream.read_to_end(&mut hasher_input).unwrap();
        let elapsed = started.elapsed();
        let answer = parse(&hasher_input);
        assert_eq!(answer.body.len(), 70 << 20);
        let rate = 70.0 / elapsed.as_secs_f64();
        eprintln!("70 MiB in {elapsed:?}: {rate:.0} MiB/s");
        assert!(rate > 100.0, "only {rate:.0} MiB/s");
        assert_eq!(sha256_hex(&answer.body), digest);
    }
}

/// Entries of a .tar.gz as (raw name, type, raw link name).
fn entries(archive: &[u8]) -> Vec<(Vec<u8>, tar::EntryType, Vec<u8>)> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    tar.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let link = e.link_name_bytes().map(|l| l.to_vec()).unwrap_or_default();
            (e.path_bytes().to_vec(), e.header().entry_type(), link)
        })
        .collect()
}

#[test]
fn fake_sdk_archive_is_a_small_sdk_and_reproducible() {
    let archive = fake_sdk_archive("go1.25.5");
    assert_eq!(archive, fake_sdk_archive("1.25.5"));
    let names: Vec<String> =
        entries(&archive).into_iter().map(|(n, ..)| String::from_utf8(n).unwrap()).collect();
    assert_eq!(
        names,
        [
            "go/",
            "go/VERSION",
            "go/bin/",
            "go/bin/go",
            "go/go.env",
            "go/pkg/",
            "go/pkg/tool/",
            "go/pkg/tool/linux_amd64/"
        ]
    );
    // Unpacked, the go script answers like the real one.
    let dir = tempfile::tempdir().unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(&archive[..])).unpack(dir.path()).unwrap();
    let root = dir.path().join("go");
    assert_eq!(
        std::fs::read_to_string(root.join("VERSION")).unwrap(),
        "go1.25.5\ntime 2020-02-02T00:00:00Z\n"
    );
    let run = |args: &[&str]| {
        let out = std::process::Command::new(root.join("bin/go")).args(args).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run(&["version"]), "go version go1.25.5 linux/amd64\n");
    assert_eq!(run(&["env", "GOVERSION"]), "go1.25.5\n");
    assert_eq!(run(&["env", "GOROOT"]).trim_end(), root.canonicalize().unwrap().to_str().unwrap());
}

#[test]
fn hostile_archives_differ_from_the_sdk_only_by_the_hostile_entry() {
    use tar::EntryType::{Link, Regular, Symlink};
    let base = entries(&fake_sdk_archive(HOSTILE_VERSION));
    for kind in Hostile::ALL {
        let got = entries(&hostile_archive(kind));
        assert_eq!(got[..base.len()], base[..], "{kind:?}");
        let extra: Vec<(&[u8], tar::EntryType, &[u8])> =
            got[base.len()..].iter().map(|(n, t, l)| (&n[..], *t, &l[..])).collect();
        let want: Vec<(&[u8], tar::EntryType, &[u8])> = match kind {
            Hostile::DotDot => vec![(b"go/../../goenv-hostile-dotdot", Regular, b"")],
            Hostile::Absolute => vec![(b"/tmp/goenv-hostile-absolute", Regular, b"")],
            Hostile::Symlink => vec![(b"go/bin/link", Symlink, b"/etc/passwd")],
            Hostile::Hardlink => vec![(b"go/bin/hard", Link, b"/etc/passwd")],
            Hostile::SymlinkEscape => vec![
                (b"go/escape", Symlink, b"../../.."),
                (b"go/escape/goenv-hostile", Regular, b""),
            ],
        };
        assert_eq!(extra, want, "{kind:?}");
        assert_eq!(extra[0].0, kind.entry_name().as_bytes());
    }
}

/// What the system's GNU tar and the tar crate make of the hostile archives (printed, for the
/// record; the assertions only check that nothing escapes).
#[test]
fn hostile_archives_as_seen_by_gnu_tar_and_the_tar_crate() {
    for kind in Hostile::ALL {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a.tar.gz");
        std::fs::write(&archive, hostile_archive(kind)).unwrap();
        let listing =
            std::process::Command::new("tar").arg("-tvzf").arg(&archive).output().unwrap();
        let listing = String::from_utf8_lossy(&listing.stdout);
        let last = listing.lines().last().unwrap_or("").to_owned();
        let dest = dir.path().join("sub/dest");
        std::fs::create_dir_all(&dest).unwrap();
        let result = tar::Archive::new(flate2::read::GzDecoder::new(&hostile_archive(kind)[..]))
            .unpack(&dest);
        let found: Vec<String> = walk(dir.path())
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .filter(|p| p.contains("hostile") || p.contains("link") || p.contains("hard"))
            .collect();
        eprintln!("{kind:?}: gnu tar lists `{last}`; tar crate unpack: {result:?}, left {found:?}");
        assert!(!dir.path().join("goenv-hostile-dotdot").exists());
        assert!(!dir.path().join("sub/goenv-hostile").exists());
    }
    assert!(!std::path::Path::new(common::goserver::HOSTILE_ABSOLUTE_PATH).exists());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && !path.is_symlink() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

#[test]
fn absolute_form_targets_are_served_as_by_a_proxy() {
    let server = GoServer::start();
    server.add_fake_sdk("1.25.5");
    let target = format!("http://go.dev.invalid/dl/{NAME_NEW}");
    let answer = get(server.addr(), &target);
    assert_eq!(answer.body, fake_sdk_archive("1.25.5"));
    let index = get(server.addr(), "http://go.dev.invalid/dl/?mode=json&include=all");
    assert_eq!(index.status, 200);
    assert_eq!(
        server.requests(),
        [target.as_str(), "http://go.dev.invalid/dl/?mode=json&include=all"]
    );
    assert_eq!((server.count_file(NAME_NEW), server.count_index()), (1, 1));

    // ureq reaches an http:// URL through an http:// proxy with a CONNECT tunnel.
    server.reset_counts();
    let proxy = ureq::Proxy::new(&format!("http://{}", server.addr())).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().proxy(Some(proxy)).build().into();
    let body = agent.get(&target).call().unwrap().body_mut().read_to_vec().unwrap();
    assert_eq!(body, fake_sdk_archive("1.25.5"));
    assert_eq!(server.requests(), ["CONNECT go.dev.invalid:80", &format!("/dl/{NAME_NEW}")]);
}
