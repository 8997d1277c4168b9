//! The `goland` node (issue 14, item 4) against real readers: the `idea.properties` goenv
//! writes is loaded by Java's own `java.util.Properties` (`tests/fixtures/Props.java`, run with
//! `java File.java`; Debian's `default-jdk-headless`), as GoLand reads it (UTF-8) and as
//! `Properties.load(InputStream)` does, and must give `dlv.path` exactly and every other property
//! unchanged; `options/go.sdk.xml` is parsed by Python's `xml.etree.ElementTree` and must list the
//! SDK. Removing the node gives both files back byte for byte, and a running GoLand (its lock in
//! the configuration directory) makes `apply` refuse with the home unchanged.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::TestEnv;

const CONFIG: &str = ".config/JetBrains/GoLand2025.1";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file below `dir` with its bytes (symbolic links as their targets), but for goenv's
/// state directory (`~/.local/state/goenv`, which holds its lock) and its parents.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p == dir.join(".local") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(p, t.as_os_str().as_encoded_bytes().to_vec());
            } else if meta.is_dir() {
                out.insert(p.clone(), b"<dir>".to_vec());
                dirs.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// A home with an adopted SDK and GoLand's configuration directory as GoLand left it.
fn home(properties: Option<&[u8]>, sdk_xml: Option<&[u8]>) -> TestEnv {
    let env = TestEnv::new();
    let home = env.home();
    let root = home.join("sdk/go1.23.9");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("pkg/tool/linux_amd64")).unwrap();
    std::fs::write(root.join("VERSION"), "go1.23.9\ntime 2020-02-02T00:00:00Z\n").unwrap();
    std::fs::write(root.join(".unpacked-success"), "").unwrap();
    // A tree with the marker needs a `bin/go`; one that is no Go binary is not checked.
    std::fs::write(root.join("bin/go"), "#!/bin/sh\n").unwrap();
    let config = home.join(CONFIG);
    std::fs::create_dir_all(config.join("options")).unwrap();
    if let Some(p) = properties {
        std::fs::write(config.join("idea.properties"), p).unwrap();
    }
    if let Some(x) = sdk_xml {
        std::fs::write(config.join("options/go.sdk.xml"), x).unwrap();
    }
    env
}

fn profile(env: &TestEnv, goland: &str) -> PathBuf {
    env.write("profile.kdl", &format!("version 1\ngo \"1.23.9\"\nshells \"bash\"\n{goland}\n"))
}

#[track_caller]
fn ok(out: &Output, what: &str) {
    assert_eq!(out.status.code(), Some(0), "{what}: {}\n{}", text(&out.stdout), text(&out.stderr));
}

fn apply(env: &TestEnv) -> Output {
    env.goenv(&["apply", "--yes", "--fail-on", "never", "profile.kdl"])
}

/// `java Props.java FILES…`: what `java.util.Properties` reads from each file, both ways.
fn java_props(files: &[&Path]) -> BTreeMap<PathBuf, Vec<String>> {
    let out = Command::new("java")
        .arg(common::repo("tests/fixtures/Props.java"))
        .args(files)
        .output()
        .expect("java runs (Debian: default-jdk-headless; `scripts/fixtures` installs it)");
    assert!(out.status.success(), "java: {}", text(&out.stderr));
    let mut map: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    let mut current = None;
    for line in text(&out.stdout).lines() {
        if let Some(f) = line.strip_prefix("file ") {
            current = Some(PathBuf::from(f));
            map.insert(PathBuf::from(f), Vec::new());
        } else if let Some(f) = &current {
            map.get_mut(f).unwrap().push(line.to_owned());
        }
    }
    map
}

/// Java's output for `text` with `dlv.path` set to `dlv` (as the oracle prints values).
fn with_dlv(read: &[String], dlv: &str) -> Vec<String> {
    let mut out = Vec::new();
    for how in ["latin1", "utf8"] {
        let mine: Vec<&String> =
            read.iter().filter(|l| l.starts_with(&format!("{how}:"))).collect();
        if mine.len() == 1 && mine[0].ends_with("unreadable") {
            out.push(mine[0].clone());
            continue;
        }
        let mut lines: Vec<String> = mine
            .into_iter()
            .filter(|l| !l.starts_with(&format!("{how}: dlv.path=")))
            .cloned()
            .collect();
        lines.push(format!("{how}: dlv.path={dlv}"));
        lines.sort();
        out.extend(lines);
    }
    out
}

/// `dlv` as the oracle prints it: non-ASCII and `\` as \uXXXX.
fn escaped(dlv: &str) -> String {
    dlv.encode_utf16()
        .map(|u| match u {
            0x20..=0x7e if u != u16::from(b'\\') => char::from(u as u8).to_string(),
            _ => format!("\\u{u:04X}"),
        })
        .collect()
}

/// `idea.properties` as people leave it: comments, a `\` continuation, `:` and space
/// separators, CRLF, `\u` escapes, a `dlv.path` of their own, no final newline, not UTF-8.
const ORIGINALS: [&[u8]; 5] = [
    b"# custom properties\n! bang comment\nidea.max.intellisense.filesize=2500\n",
    b"a.long=one\\\n    two\\\n    three\r\nsep.colon:value\r\nsep.space value with spaces\r\n",
    b"uni=\\u00e9t\\u00E9\ndlv.path=/usr/bin/dlv\n# later\nk\\=ey=v\\:al",
    b"latin1.byte=caf\xe9\nlast=1",
    b"",
];

#[test]
fn java_reads_dlv_path_exactly_and_every_other_property_unchanged() {
    for (i, original) in ORIGINALS.iter().enumerate() {
        for place in ["home/me/go/bin", "opt/my tools", "opt/Été/日本/🦀"] {
            let env = home(Some(original), None);
            // Outside the home (as `/opt/…` would be), inside the test's own directory.
            let dir = env.dir.path().join(place);
            std::fs::create_dir_all(&dir).unwrap();
            let dlv = format!("{}/dlv", dir.display());
            profile(&env, &format!("goland {{\n    dlv \"{dlv}\"\n}}"));
            let before = env.dir.path().join("before.properties");
            std::fs::write(&before, original).unwrap();
            ok(&apply(&env), &format!("apply #{i} {dlv}"));
            let after = env.home().join(CONFIG).join("idea.properties");
            let read = java_props(&[&before, &after]);
            let expected = with_dlv(&read[&before], &escaped(&dlv));
            assert_eq!(
                read[&after],
                expected,
                "#{i} {dlv}:\n{}",
                text(&std::fs::read(&after).unwrap())
            );
            // Every byte outside goenv's block is the user's.
            let written = std::fs::read(&after).unwrap();
            assert!(written.starts_with(original), "#{i}: {}", text(&written));
        }
    }
}

const SDK_XML: &[u8] = b"<application>\r\n  <component name=\"GoSdkList\">\r\n    <sdk-path>\r\n      <set>\r\n        <option value=\"$USER_HOME$/go/go1.21 &amp; old\" />\r\n      </set>\r\n    </sdk-path>\r\n  </component>\r\n  <component name=\"Other\" x=\"&lt;\"/>\r\n</application>";

/// What Python's ElementTree finds in GoLand's SDK list.
fn python_sdks(path: &Path) -> Vec<String> {
    let script = "import sys, xml.etree.ElementTree as ET\n\
                  root = ET.parse(sys.argv[1]).getroot()\n\
                  assert root.tag == 'application', root.tag\n\
                  for o in root.findall(\"./component[@name='GoSdkList']/sdk-path/set/option\"):\n    print(o.get('value'))\n";
    let out = Command::new("python3").args(["-c", script]).arg(path).output().expect("python3");
    assert!(out.status.success(), "python: {}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn the_sdk_list_is_real_xml_and_removing_the_node_gives_both_files_back() {
    for sdk_xml in [Some(SDK_XML), None] {
        let original = ORIGINALS[1];
        let env = home(Some(original), sdk_xml);
        let before = tree(&env.home());
        profile(&env, "goland");
        ok(&apply(&env), "apply");
        let xml = env.home().join(CONFIG).join("options/go.sdk.xml");
        let mut expected = vec!["$USER_HOME$/sdk/current".to_owned()];
        if sdk_xml.is_some() {
            expected.push("$USER_HOME$/go/go1.21 & old".to_owned());
        }
        assert_eq!(python_sdks(&xml), expected);
        let out = env.goenv(&["plan", "--detailed-exitcode", "--fail-on", "never", "profile.kdl"]);
        assert_eq!(out.status.code(), Some(0), "applied twice: {}", text(&out.stdout));
        // Without the node, both files come back byte for byte.
        profile(&env, "");
        ok(&apply(&env), "apply without goland");
        let config = env.home().join(CONFIG);
        for (f, was) in [("idea.properties", Some(original)), ("options/go.sdk.xml", sdk_xml)] {
            assert_eq!(std::fs::read(config.join(f)).ok().as_deref(), was, "{f}");
        }
        // And a rollback to the start gives back the whole home.
        ok(&env.goenv(&["rollback", "--to", "0", "--yes"]), "rollback");
        let after = tree(&env.home());
        let changed: Vec<&PathBuf> =
            before.keys().chain(after.keys()).filter(|p| before.get(*p) != after.get(*p)).collect();
        assert!(changed.is_empty(), "{changed:?}");
    }
}

#[test]
fn a_running_goland_makes_apply_refuse_with_nothing_changed() {
    // A running process (this test) stands for GoLand: `.lock` holds GoLand's PID.
    let running = std::process::id().to_string();
    for lock in [".lock", "port.lock"] {
        let env = home(Some(ORIGINALS[0]), Some(SDK_XML));
        std::fs::write(env.home().join(CONFIG).join(lock), &running).unwrap();
        profile(&env, "goland");
        let before = tree(&env.home());
        let out = apply(&env);
        let stderr = text(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("goenv::plan::goland-running"), "{stderr}");
        assert!(stderr.contains(&format!("GoLand is running with `~/{CONFIG}`")), "{stderr}");
        assert_eq!(tree(&env.home()), before, "{lock}: the home changed");
    }
}

/// A `.lock` whose process is gone (GoLand crashed, or was killed) does not stop goenv on Linux:
/// the change is made and the `goland-stale-lock` note names the lock and the PID. The lock
/// itself is GoLand's: it stays, for GoLand to remove at its next start.
#[test]
fn a_lock_left_by_a_crashed_goland_is_named_and_does_not_stop_the_apply() {
    // Beyond the largest pid_max Linux allows (2^22): no process has it.
    let gone = "4194305";
    let env = home(Some(ORIGINALS[0]), Some(SDK_XML));
    let lock = env.home().join(CONFIG).join(".lock");
    std::fs::write(&lock, gone).unwrap();
    profile(&env, "goland");
    let plan = env.goenv(&["plan", "--format", "json", "profile.kdl"]);
    let json = common::schemas::parse(&plan.stdout);
    let stale: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "goenv::finding::goland-stale-lock")
        .collect();
    assert_eq!(stale.len(), 1, "{json}");
    assert_eq!(
        stale[0]["message"],
        format!(
            "`~/{CONFIG}/.lock` names process {gone}, which is not running: a GoLand that crashed \
             or was killed left it, so goenv changes that directory"
        )
    );
    let out = apply(&env);
    ok(&out, "apply");
    let props = std::fs::read(env.home().join(CONFIG).join("idea.properties")).unwrap();
    assert!(text(&props).contains("dlv.path="), "{}", text(&props));
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), gone, "GoLand's lock is left alone");
    // `-v` says where the answer came from.
    let verbose = text(&env.goenv(&["plan", "-v", "profile.kdl"]).stderr);
    assert!(verbose.contains(&format!("/proc/{gone}")), "{verbose}");
}
