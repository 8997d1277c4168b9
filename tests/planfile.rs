//! Saved plans end to end: `goenv plan --out FILE`, then a change to the machine, the profile or
//! the download index, and `goenv apply FILE` must refuse with exit 1, naming the change, and
//! leave the home byte for byte as it was (every path, its bytes, its mode); on an untouched
//! machine it applies exactly the planned changes and the next plan is empty. SDKs come from the
//! loopback go.dev stand-in; the `go env -w` is real Go's (a fixture SDK) writing the home's Go
//! env file. Every plan file is validated against `schemas/planfile.schema.json`.

mod common;

use common::fixtures::{self, GO_NEW};
use common::goserver::{GoServer, sha256_hex};
use common::snapshot::Recording;
use common::{TestEnv, repo};
use serde_json::Value;

/// The secret the profile marks `secret=#true`: short enough that a plain sha256 of a small file
/// holding it could be reversed by trying every four-digit number.
/// Not hex, and long enough that no sha256 in the plan file can contain it by chance.
const SECRET: &str = "tok-4711-zq";

fn profile(server: &GoServer, goproxy: &str) -> String {
    format!(
        "version 1\ngo \"1.99\" {{\n    mirror \"{}\"\n    index \"{}\"\n}}\ngo-env {{\n    GOPROXY \"{goproxy}\"\n}}\nexport {{\n    TOKEN \"{SECRET}\" secret=#true\n}}\nshells \"bash\"\n",
        server.url(),
        server.index_url()
    )
}

/// The recording's settings, with the loopback server's port and the host name filtered too.
fn settings(recording: &Recording) -> insta::Settings {
    let mut s = recording.settings();
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    s.add_filter(r"on host `[^`]*`", "on host `[HOST]`");
    s
}

macro_rules! snap {
    ($name:expr, $recording:expr) => {{
        let recording: Recording = $recording;
        settings(&recording).bind(|| insta::assert_snapshot!($name, recording.text.as_str()));
    }};
}

/// A home with a `~/.bashrc` of the user's and a Go env file `go env -w` wrote, and a plan of
/// the profile saved to `plan.json`.
fn planned(server: &GoServer) -> TestEnv {
    let env = TestEnv::for_snapshots();
    let home = env.home();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".bashrc"), "alias ll='ls -l'\n").unwrap();
    fixtures::go(GO_NEW, &home, &["env", "-w", "GOPRIVATE=example.com/*"]);
    env.write("p.kdl", &profile(server, "https://proxy.golang.org,direct"));
    let out = env.run(&["plan", "p.kdl", "--out", "plan.json", "-q"]);
    assert_eq!(out.code, Some(0), "{}", out.text);
    validate(&plan_file(&env));
    env
}

fn plan_file(env: &TestEnv) -> Value {
    let text = std::fs::read_to_string(env.dir.path().join("plan.json")).expect("plan.json");
    serde_json::from_str(&text).expect("the plan file is JSON")
}

#[track_caller]
fn validate(json: &Value) {
    let path = repo("schemas/planfile.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::meta::validate(&schema).expect("a valid draft 2020-12 schema");
    let validator = jsonschema::draft202012::new(&schema).expect("the schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(json).map(|e| format!("at `{}`: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "the plan file breaks the schema:\n{}\n{json:#}", errors.join("\n"));
}

/// `apply plan.json` after `change`: exit 1, the refusal as snapshotted, the home untouched.
#[track_caller]
fn refuses(name: &str, server: &GoServer, change: impl FnOnce(&TestEnv)) {
    let env = planned(server);
    change(&env);
    let before = common::tree(&env.home(), &[]);
    let recording = env.run(&["apply", "plan.json", "--yes"]);
    assert_eq!(recording.code, Some(1), "{name}: {}", recording.text);
    assert!(recording.text.contains("nothing was changed"), "{name}: {}", recording.text);
    assert!(before == common::tree(&env.home(), &[]), "{name}: the refusal changed the home");
    assert!(!env.state().exists(), "{name}: the refusal created goenv's state directory");
    snap!(name, recording);
}

#[test]
fn a_change_since_the_plan_is_refused_and_nothing_changes() {
    let server = GoServer::start();
    server.add_fake_sdk("1.99.1");
    refuses("refused_go_env_w", &server, |env| {
        fixtures::go(GO_NEW, &env.home(), &["env", "-w", "GOFLAGS=-mod=mod"]);
    });
    refuses("refused_bashrc_edit", &server, |env| {
        let rc = env.home().join(".bashrc");
        let mut text = std::fs::read_to_string(&rc).unwrap();
        text.push_str("export EDITOR=vi\n");
        std::fs::write(rc, text).unwrap();
    });
    refuses("refused_profile_edit", &server, |env| {
        env.write("p.kdl", &profile(&server, "https://goproxy.io,direct"));
    });
    // Last: the index now lists a newer patch release for every later run.
    refuses("refused_new_patch_release", &server, |_| {
        server.add_fake_sdk("1.99.2");
    });

    // The pinned archive republished with other bytes under the same name.
    let other = GoServer::start();
    other.add_fake_sdk("1.99.1");
    refuses("refused_archive_republished", &other, |_| {
        let mut bytes = common::goserver::fake_sdk_archive("1.99.1");
        bytes.extend_from_slice(&[0; 512]);
        other.add_archive("1.99.1", "go1.99.1.linux-amd64.tar.gz", bytes);
    });
}

#[test]
fn an_untouched_machine_gets_exactly_the_plan_and_then_plans_nothing() {
    let server = GoServer::start();
    server.add_fake_sdk("1.99.1");
    let env = planned(&server);
    let file = plan_file(&env);
    let text = std::fs::read_to_string(env.dir.path().join("plan.json")).unwrap();
    assert!(!text.contains(SECRET), "the plan file holds the secret:\n{text}");
    snap!("show", env.run(&["show", "plan.json"]));

    let home = env.home();
    let before = common::tree(&home, &[]);
    let recording = env.run(&["apply", "plan.json", "--yes"]);
    assert_eq!(recording.code, Some(0), "{}", recording.text);
    assert!(!recording.text.contains(SECRET), "{}", recording.text);
    snap!("applied", recording);
    let after = common::tree(&home, &[]);

    // What changed in the home is what the plan lists, each with the planned after-digest.
    let path_of = |resource: &str| -> String {
        let (kind, name) = resource.split_once(':').unwrap();
        match kind {
            "sdk" => format!("sdk/{name}/.goenv-sdk"),
            _ => name.strip_prefix("~/").unwrap().to_owned(),
        }
    };
    let mut planned_paths = Vec::new();
    for c in file["changes"].as_array().unwrap() {
        let resource = c["resource"].as_str().unwrap();
        let path = path_of(resource);
        let (_, _, bytes) = after.get(&path).unwrap_or_else(|| panic!("{path} after apply"));
        let secret = String::from_utf8_lossy(bytes).contains(SECRET);
        let hashed = if secret {
            String::from_utf8_lossy(bytes).replace(SECRET, "<redacted>").into_bytes()
        } else {
            bytes.clone()
        };
        assert_eq!(c["after"]["sha256"], sha256_hex(&hashed), "{resource}");
        assert_eq!(c["after"]["redacted"], secret, "{resource}");
        // The plan file never holds the plain digest of a content with the secret in it.
        assert!(!text.contains(&sha256_hex(bytes)) || !secret, "{resource}");
        if let Some(b) = before.get(&path) {
            assert_eq!(c["before"]["sha256"], sha256_hex(&b.2), "{resource}");
        }
        planned_paths.push(path);
    }
    assert!(planned_paths.iter().any(|p| p == "sdk/go1.99.1/.goenv-sdk"), "{planned_paths:?}");
    let changed: Vec<&String> = after
        .keys()
        .filter(|p| before.get(*p) != after.get(*p))
        .filter(|p| !p.starts_with(".local/state/goenv") && !p.starts_with(".cache/goenv"))
        .filter(|p| !p.starts_with("sdk/go1.99.1/") || p.ends_with(".goenv-sdk"))
        .filter(|p| after[*p].0 != "dir")
        .collect();
    let mut planned_sorted: Vec<&String> = planned_paths.iter().collect();
    planned_sorted.sort();
    assert_eq!(changed, planned_sorted);
    assert!(before.keys().all(|p| after.contains_key(p)), "apply removed a path");

    let next = env.run(&["plan", "p.kdl", "--detailed-exitcode"]);
    assert_eq!(next.code, Some(0), "{}", next.text);
    assert!(next.text.contains("No changes."), "{}", next.text);

    // Applying the same plan again is refused: it was made for the machine as it was.
    let again = env.run(&["apply", "plan.json", "--yes"]);
    assert_eq!(again.code, Some(1), "{}", again.text);
    snap!("refused_already_applied", again);
}

#[test]
fn a_plan_is_pinned_to_its_platform_and_a_plan_file_is_told_from_a_profile() {
    let server = GoServer::start();
    server.add_fake_sdk("1.99.1");
    server.add_listing("1.99.1", "go1.99.1.darwin-arm64.tar.gz");
    let env = TestEnv::for_snapshots();
    std::fs::create_dir_all(env.home()).unwrap();
    env.write("p.kdl", &profile(&server, "https://proxy.golang.org,direct"));
    let out = env.run(&["--os", "macos", "--arch", "arm64", "plan", "p.kdl", "--out", "mac.json"]);
    assert_eq!(out.code, Some(0), "{}", out.text);
    let before = common::tree(&env.home(), &[]);
    snap!("refused_other_platform", env.run(&["apply", "mac.json", "--yes"]));
    assert!(before == common::tree(&env.home(), &[]));

    env.write("broken.json", "{\"schema\": \"goenv.planfile/1\", \"goenv\": 3}\n");
    snap!("damaged_plan_file", env.run(&["apply", "broken.json", "--yes"]));
    env.write("other.json", "  {\"schema\": \"goenv.plan/1\"}\n");
    snap!("not_a_plan_file", env.run(&["show", "other.json"]));
}
