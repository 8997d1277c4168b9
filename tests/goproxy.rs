//! Tests of the `file://` GOPROXY builder itself (tests/common/goproxy.rs): its hand-made zips
//! against Info-ZIP `unzip`, and the fake Delve against the real `go install` of the fixture
//! SDK 1.22.10 (no network: `GOPROXY=file://…`, `GOSUMDB=off`).

mod common;

use std::cmp::Ordering;
use std::path::Path;
use std::process::Output;
use std::time::Instant;

use common::fixtures::{BASE_PATH, GO_DELVE, go_bin, gocache, program, run_clean};
use common::goproxy::{
    DELVE_MODULE, DLV_PACKAGE, FAKE_DELVE_GO, WritableOnDrop, add_module_version, crc32,
    delve_go_mod, dlv_version_text, fake_delve_h1, fake_delve_proxy, go_mod_h1, info_json,
    semver_cmp, stored_zip,
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn ok(what: &str, out: Output) -> Output {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

#[test]
fn crc32_and_semver_order() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
    assert_eq!(semver_cmp("v1.23.1", "v1.9.0"), Ordering::Greater);
    assert_eq!(semver_cmp("v1.24.0-rc.1", "v1.24.0"), Ordering::Less);
    assert_eq!(semver_cmp("v1.24.0-rc.2", "v1.24.0-rc.10"), Ordering::Less);
    assert_eq!(semver_cmp("v1.24.0-rc.1", "v1.23.1"), Ordering::Greater);
    assert_eq!(info_json("v1.23.1"), r#"{"Version":"v1.23.1","Time":"2024-07-01T00:00:00Z"}"#);
}

/// Info-ZIP reads the stored zip: names, sizes, CRCs (`unzip -t`), contents and Unix modes.
#[test]
fn stored_zip_is_what_unzip_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let zip = stored_zip(&[("m@v1.0.0/go.mod", b"module m\n"), ("m@v1.0.0/a/b.bin", &big)]);
    let path = tmp.path().join("t.zip");
    std::fs::write(&path, &zip).unwrap();
    let unzip = program("unzip");
    let out =
        ok("unzip -t", std::process::Command::new(&unzip).arg("-t").arg(&path).output().unwrap());
    assert!(text(&out.stdout).contains("No errors detected"), "{}", text(&out.stdout));
    let out = ok(
        "unzip -Z",
        std::process::Command::new(&unzip).args(["-Z", "-l"]).arg(&path).output().unwrap(),
    );
    let listing = text(&out.stdout);
    eprintln!("{listing}");
    assert!(listing.contains("-rw-r--r--"), "{listing}");
    assert!(listing.contains("2 files"), "{listing}");
    ok(
        "unzip -d",
        std::process::Command::new(&unzip)
            .arg("-q")
            .arg(&path)
            .arg("-d")
            .arg(tmp.path().join("x"))
            .output()
            .unwrap(),
    );
    assert_eq!(std::fs::read(tmp.path().join("x/m@v1.0.0/a/b.bin")).unwrap(), big);
    assert_eq!(std::fs::read(tmp.path().join("x/m@v1.0.0/go.mod")).unwrap(), b"module m\n");
}

/// The proxy layout on disk.
#[test]
fn proxy_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proxy");
    let url = fake_delve_proxy(&root, &["v1.9.0", "v1.23.1", "v1.24.0-rc.1", "v1.22.0"]);
    assert_eq!(url, format!("file://{}", root.display()));
    let at_v = root.join("github.com/go-delve/delve/@v");
    assert_eq!(
        std::fs::read_to_string(at_v.join("list")).unwrap(),
        "v1.9.0\nv1.23.1\nv1.24.0-rc.1\nv1.22.0\n"
    );
    assert_eq!(
        std::fs::read_to_string(at_v.join("v1.23.1.info")).unwrap(),
        r#"{"Version":"v1.23.1","Time":"2024-07-01T00:00:00Z"}"#
    );
    assert_eq!(
        std::fs::read_to_string(at_v.join("v1.23.1.mod")).unwrap(),
        "module github.com/go-delve/delve\n\ngo 1.21\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("github.com/go-delve/delve/@latest")).unwrap(),
        info_json("v1.23.1")
    );
    let out = ok(
        "unzip -Z1",
        std::process::Command::new(program("unzip"))
            .arg("-Z1")
            .arg(at_v.join("v1.23.1.zip"))
            .output()
            .unwrap(),
    );
    assert_eq!(
        text(&out.stdout),
        "github.com/go-delve/delve@v1.23.1/go.mod\ngithub.com/go-delve/delve@v1.23.1/cmd/dlv/main.go\n"
    );
}

/// `env -i HOME=<tmp> PATH=/usr/bin:/bin GOTOOLCHAIN=local GOCACHE=<shared> GOPROXY=<url>
/// GOSUMDB=off GOFLAGS=-mod=mod GOBIN=<gobin> go <args>` with the fixture SDK 1.22.10.
fn go_in(home: &Path, proxy: &str, gobin: &Path, args: &[&str]) -> Output {
    let gocache = gocache();
    run_clean(
        &go_bin(GO_DELVE),
        args,
        home,
        BASE_PATH,
        &[
            ("GOTOOLCHAIN", "local"),
            ("GOCACHE", gocache.to_str().unwrap()),
            ("GOPROXY", proxy),
            ("GOSUMDB", "off"),
            ("GOFLAGS", "-mod=mod"),
            ("GOBIN", gobin.to_str().unwrap()),
        ],
    )
}

/// Real `go install github.com/go-delve/delve/cmd/dlv@v1.23.1` and `@latest` from the fake
/// proxy: the binary lands in GOBIN, `go version -m` shows the module with the h1 computed here,
/// and `dlv version` prints Delve's text.
#[test]
fn go_install_fake_delve_from_file_proxy() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let _cleanup = WritableOnDrop(home.clone());
    // Unsorted, with a lexically-larger older release and a newer pre-release.
    let t = Instant::now();
    let proxy = fake_delve_proxy(
        &tmp.path().join("proxy"),
        &["v1.9.0", "v1.23.1", "v1.24.0-rc.1", "v1.22.0"],
    );
    eprintln!("proxy built in {:?}: {proxy}", t.elapsed());

    for (query, want) in [("v1.23.1", "v1.23.1"), ("latest", "v1.23.1"), ("v1.9.0", "v1.9.0")] {
        let gobin = tmp.path().join(format!("bin-{query}"));
        let t = Instant::now();
        let out = ok(
            &format!("go install {DLV_PACKAGE}@{query}"),
            go_in(&home, &proxy, &gobin, &["install", &format!("{DLV_PACKAGE}@{query}")]),
        );
        let install = t.elapsed();
        let dlv = gobin.join("dlv");
        assert!(dlv.is_file(), "no {}: {}", dlv.display(), text(&out.stderr));
        eprintln!("go install …@{query}: {install:?}; stderr: {:?}", text(&out.stderr));

        let t = Instant::now();
        let out = ok(
            "go version -m",
            go_in(&home, &proxy, &gobin, &["version", "-m", dlv.to_str().unwrap()]),
        );
        let m = text(&out.stdout);
        eprintln!("go version -m ({:?}):\n{m}", t.elapsed());
        let h1 = fake_delve_h1(want, FAKE_DELVE_GO);
        assert!(m.starts_with(&format!("{}: go{GO_DELVE}\n", dlv.display())), "{m}");
        assert!(m.contains(&format!("\tpath\t{DLV_PACKAGE}\n")), "{m}");
        assert!(m.contains(&format!("\tmod\t{DELVE_MODULE}\t{want}\t{h1}\n")), "{m}");

        let t = Instant::now();
        let out = ok("dlv version", run_clean(&dlv, &["version"], &home, BASE_PATH, &[]));
        eprintln!("dlv version ({:?}):\n{}", t.elapsed(), text(&out.stdout));
        assert_eq!(text(&out.stdout), dlv_version_text(want));
        let out = ok("dlv version -v", run_clean(&dlv, &["version", "-v"], &home, BASE_PATH, &[]));
        assert_eq!(
            text(&out.stdout),
            format!(
                "{}Build Details: go{GO_DELVE}\nmod\t{DELVE_MODULE}\t{want}\t{h1}\n",
                dlv_version_text(want)
            )
        );
        let out = run_clean(&dlv, &["debug"], &home, BASE_PATH, &[]);
        assert_eq!(out.status.code(), Some(1));
    }

    // What Go recorded of the proxy's files: the zip's and the go.mod's hashes match ours.
    let cache = home.join("go/pkg/mod/cache/download/github.com/go-delve/delve/@v");
    let ziphash = std::fs::read_to_string(cache.join("v1.23.1.ziphash")).unwrap();
    assert_eq!(ziphash.trim_end(), fake_delve_h1("v1.23.1", FAKE_DELVE_GO));
    assert!(go_mod_h1(delve_go_mod(FAKE_DELVE_GO).as_bytes()).starts_with("h1:"));
}

/// `@v/list`, `@latest`, and what `go list -m M@latest` gives: the version, or stderr.
type LatestCase =
    (&'static [&'static str], Option<&'static str>, Result<&'static str, &'static str>);

/// How Go answers `@latest` from a proxy (`go list -m M@latest`, no zip needed): the highest
/// release in `@v/list` (semver order, pre-releases only when there is no release), ignoring
/// `@latest`; `@latest` only when the list is empty; neither → an error.
#[test]
fn go_resolves_latest_from_the_list() {
    let cases: [LatestCase; 4] = [
        (&["v1.9.0", "v1.23.1", "v1.24.0-rc.1", "v1.22.0"], Some("v1.9.0"), Ok("v1.23.1")),
        (&["v1.24.0-rc.1"], None, Ok("v1.24.0-rc.1")),
        (&[], Some("v1.9.0"), Ok("v1.9.0")),
        (
            &[],
            None,
            Err(
                "go: module github.com/go-delve/delve: no matching versions for query \"latest\"\n",
            ),
        ),
    ];
    for (list, latest, want) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let _cleanup = WritableOnDrop(home.clone());
        let root = tmp.path().join("proxy");
        let module_dir = root.join("github.com/go-delve/delve");
        for version in list {
            add_module_version(
                &root,
                DELVE_MODULE,
                version,
                &[("go.mod", delve_go_mod("1.21").as_bytes())],
            );
        }
        std::fs::create_dir_all(module_dir.join("@v")).unwrap();
        std::fs::write(
            module_dir.join("@v/list"),
            list.iter().map(|v| format!("{v}\n")).collect::<String>(),
        )
        .unwrap();
        match latest {
            Some(v) => std::fs::write(module_dir.join("@latest"), info_json(v)).unwrap(),
            None => {
                let _ = std::fs::remove_file(module_dir.join("@latest"));
            }
        }
        let proxy = format!("file://{}", root.display());
        let t = Instant::now();
        let out = go_in(&home, &proxy, &home, &["list", "-m", &format!("{DELVE_MODULE}@latest")]);
        eprintln!("list {list:?} @latest {latest:?}: {:?} in {:?}", out.status.code(), t.elapsed());
        match want {
            Ok(v) => {
                let out = ok("go list -m", out);
                assert_eq!(text(&out.stdout), format!("{DELVE_MODULE} {v}\n"));
            }
            Err(message) => {
                assert_eq!(out.status.code(), Some(1));
                assert_eq!(text(&out.stderr), message);
            }
        }
    }
}
