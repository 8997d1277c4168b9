//! JSON everywhere (issue 12, item 5): every command's `--format json` on a few homes, successes
//! and failures (a profile error, a download index that cannot be fetched, a path goenv refuses,
//! a generation that does not exist), each one document on stdout with nothing on stderr,
//! validated against its schema in `schemas/` by the real validator (`tests/common/schemas.rs`,
//! which every JSON-reading test in the suite also goes through). The schemas themselves are
//! checked: valid draft 2020-12, `$id` naming the file, the shared definitions identical, and
//! they refuse what the contract does not allow.

mod common;

use std::os::unix::fs::symlink;
use std::process::Output;

use common::TestEnv;
use common::schemas;
use serde_json::{Value, json};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const PROFILE: &str = r#"version 1
go-env {
    GOPATH "~/go"
    GOTOOLCHAIN "local"
    GOPRIVATE "example.com/*" secret=#true
}
export {
    GOGC "-1"
}
shells "bash"
"#;

/// Runs goenv with `--format json` appended, and checks the contract: one document on stdout
/// that conforms to its schema, `ok` telling success from failure, nothing on stderr.
#[track_caller]
fn json_run(env: &TestEnv, args: &[&str], code: i32) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out: Output = env.goenv(&all);
    assert_eq!(
        out.status.code(),
        Some(code),
        "goenv {all:?}\nstdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stderr), "", "goenv {all:?}: stderr is not for JSON commands");
    let v = schemas::parse(&out.stdout);
    assert_eq!(v["ok"], code != 1, "goenv {all:?}: {v:#}");
    assert!(!text(&out.stdout).contains("example.com/*"), "a secret in {all:?}");
    v
}

#[test]
fn every_command_prints_one_valid_document() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(env.home().join(".bashrc"), "alias ll='ls -l'\n").unwrap();
    env.write("profile.kdl", PROFILE);

    // Before any generation.
    let v = json_run(&env, &["status"], 0);
    assert_eq!((v["generation"].clone(), v["drift"].clone()), (Value::Null, json!([])));
    let v = json_run(&env, &["generations"], 0);
    assert_eq!(v["generations"], json!([]));
    let v = json_run(&env, &["status", "profile.kdl"], 2);
    assert!(v["pending"]["summary"]["add"].as_u64().unwrap() > 0, "{v:#}");
    let v = json_run(&env, &["plan", "profile.kdl"], 3);
    assert_eq!(v["problems"], json!([]));
    json_run(&env, &["check", "profile.kdl"], 0);

    // apply, then the history.
    let v = json_run(&env, &["apply", "--yes", "profile.kdl"], 3);
    assert_eq!(v["generation"], 1);
    assert!(!v["changes"].as_array().unwrap().is_empty(), "{v:#}");
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["severity"] == "error"));
    let v = json_run(&env, &["apply", "--yes", "--fail-on", "never", "profile.kdl"], 0);
    assert_eq!((v["generation"].clone(), v["changes"].clone()), (Value::Null, json!([])));
    let v = json_run(&env, &["generations"], 0);
    assert_eq!(v["generations"][0]["number"], 1);
    assert_eq!(v["generations"][0]["command"], "apply");
    let v = json_run(&env, &["show", "1"], 0);
    assert_eq!(v["generation"]["number"], 1);
    assert!(v["changes"].as_array().unwrap().iter().any(|c| c["resource"] == "block:~/.bashrc"));
    let v = json_run(&env, &["status", "profile.kdl"], 0);
    assert_eq!(v["pending"]["changes"], json!([]));

    // Drift, and what an interrupted goenv left.
    std::fs::write(env.home().join(".config/go/env"), "GOPROXY=direct\n").unwrap();
    std::fs::write(env.home().join(".config/goenv/.goenv-AbC123"), "partial").unwrap();
    let v = json_run(&env, &["status"], 2);
    assert_eq!(v["generation"]["number"], 1);
    assert_eq!(v["drift"][0]["resource"], "file:~/.config/go/env");
    assert!(v["drift"][0]["diff"].as_str().unwrap().contains("+GOPROXY=direct"), "{v:#}");
    assert_eq!(v["leftovers"][0]["bytes"], 7, "{v:#}");
}

#[test]
fn every_failure_is_a_document_with_problems() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();

    // A profile error: each problem at its file, line and column, as `check` reports it.
    env.write("bad.kdl", "version 1\nexport {\n    GOMEMLIMIT \"512MB\"\n}\n");
    for cmd in [&["plan", "bad.kdl"][..], &["apply", "--yes", "bad.kdl"], &["status", "bad.kdl"]] {
        let v = json_run(&env, cmd, 1);
        let check = json_run(&env, &["check", "bad.kdl"], 1);
        assert_eq!(v["problems"], check["problems"], "{cmd:?}: the problems are check's");
        assert_eq!(v["problems"][0]["line"], 3);
    }
    let v = json_run(&env, &["apply", "--yes", "bad.kdl"], 1);
    assert_eq!(v["changed"], false);

    // An engine error: a download index that cannot be fetched.
    env.write(
        "index.kdl",
        "version 1\ngo \"1.22\" {\n    index \"http://127.0.0.1:9/dl.json\"\n}\n",
    );
    let v = json_run(&env, &["plan", "index.kdl"], 1);
    assert_eq!(v["problems"][0]["code"], "goenv::error::fetch", "{v:#}");
    assert_eq!(v["problems"][0]["file"], "index.kdl");
    assert!(v["problems"][0]["message"].as_str().unwrap().contains("127.0.0.1:9"), "{v:#}");

    // A path goenv refuses: a dangling link.
    symlink("dotfiles/missing", env.home().join(".bashrc")).unwrap();
    env.write("shells.kdl", "version 1\nshells \"bash\"\n");
    for cmd in [&["plan", "shells.kdl"][..], &["apply", "--yes", "shells.kdl"]] {
        let v = json_run(&env, cmd, 1);
        let p = &v["problems"][0];
        assert!(p["message"].as_str().unwrap().contains("~/.bashrc"), "{v:#}");
        assert!(p["help"].is_string(), "{v:#}");
    }

    // A profile that is not there; a generation that does not exist; a usage error after
    // parsing; apply without --yes off a terminal.
    let v = json_run(&env, &["plan", "missing.kdl"], 1);
    assert_eq!(v["problems"][0]["code"], "goenv::profile::unreadable");
    let v = json_run(&env, &["show", "7"], 1);
    assert_eq!(v["problems"][0]["file"], Value::Null);
    // Usage errors clap finds, too, when the arguments say `--format json`.
    for cmd in
        [&["plan", "--detailed-exitcod", "ok.kdl"][..], &["apply", "--fail-on", "x"], &["show"]]
    {
        let v = json_run(&env, cmd, 1);
        assert_eq!(v["problems"][0]["code"], "goenv::error::usage", "{v:#}");
    }
    let v = json_run(&env, &["--os", "macos", "generations"], 1);
    assert_eq!(v["problems"][0]["code"], "goenv::error::usage", "{v:#}");
    std::fs::remove_file(env.home().join(".bashrc")).unwrap();
    env.write("ok.kdl", "version 1\ngo-env {\n    GOTOOLCHAIN \"local\"\n}\n");
    let v = json_run(&env, &["apply", "ok.kdl"], 1);
    assert_eq!(v["problems"][0]["code"], "goenv::error::declined", "{v:#}");
    assert!(!env.home().join(".config").exists(), "nothing was changed");
}

/// `rollback --format json` on real rollbacks: of an apply, of drift, `--to 0` (and again, with
/// nothing left to do), declined off a terminal, and its failures (nothing to roll back, no
/// such generation); the profile's secret appears nowhere, not on stderr either.
#[test]
fn rollback_prints_one_valid_document() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(env.home().join(".bashrc"), "alias ll='ls -l'\n").unwrap();
    env.write("profile.kdl", PROFILE);
    let files = |env: &TestEnv| {
        let mut all = std::collections::BTreeMap::new();
        for p in [".bashrc", ".profile", ".config/go/env", ".config/goenv/env.sh"] {
            all.insert(p, std::fs::read(env.home().join(p)).ok());
        }
        all
    };
    let fresh = files(&env);

    // Nothing to roll back yet: a failure, exit 1 as without JSON, nothing changed.
    let v = json_run(&env, &["rollback", "--yes"], 1);
    assert_eq!(v["changed"], false);
    assert_eq!(v["problems"][0]["code"], "goenv::error::usage", "{v:#}");
    assert!(v["problems"][0]["message"].as_str().unwrap().contains("nothing to roll back"));

    // The rollback of an apply: generation 1 undone as generation 2, every file as it was.
    json_run(&env, &["apply", "--yes", "--fail-on", "never", "profile.kdl"], 0);
    let v = json_run(&env, &["rollback", "--yes"], 0);
    assert_eq!(
        (&v["changed"], &v["undoes"], &v["from"], &v["to"], &v["generation"]),
        (&json!(true), &json!("generation"), &json!(1), &json!(0), &json!(2)),
        "{v:#}"
    );
    assert_eq!(v["why"], "undo generation 1");
    let paths: Vec<(String, String)> = v["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["shown"].as_str().unwrap().into(), p["action"].as_str().unwrap().into()))
        .collect();
    assert!(paths.contains(&("~/.bashrc".into(), "restored".into())), "{paths:?}");
    assert!(paths.contains(&("~/.config/go/env".into(), "removed".into())), "{paths:?}");
    assert_eq!(v["paths"].as_array().unwrap().len(), v["changes"].as_array().unwrap().len());
    assert_eq!(v["summary"]["remove"], paths.iter().filter(|p| p.1 == "removed").count());
    assert_eq!(v["effects"], json!({"ran": [], "skipped": [], "skipped_why": null}));
    let env_diff =
        v["changes"].as_array().unwrap().iter().find(|c| c["resource"] == "file:~/.config/go/env");
    assert!(env_diff.unwrap()["diff"].as_str().unwrap().contains("-GOPRIVATE=<redacted>"), "{v:#}");
    assert_eq!(files(&env), fresh, "rolled back byte for byte");

    // Undoing the rollback (generation 2) puts back the Go env file it removed: `created`.
    let v = json_run(&env, &["rollback", "--yes"], 0);
    assert_eq!((&v["undoes"], &v["from"], &v["to"]), (&json!("generation"), &json!(2), &json!(1)));
    assert!(
        v["paths"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["shown"] == "~/.config/go/env" && p["action"] == "created"),
        "{v:#}"
    );

    // Drift: a `go env -w` undone, restoring generation 3.
    std::fs::write(env.home().join(".config/go/env"), "GOPROXY=direct\n").unwrap();
    let v = json_run(&env, &["rollback", "--yes"], 0);
    assert_eq!((&v["undoes"], &v["from"], &v["to"]), (&json!("drift"), &json!(3), &json!(3)));
    assert_eq!(v["paths"][0]["action"], "restored", "{v:#}");

    // Declined off a terminal: exit 1, nothing changed, and what it would have done.
    let before = files(&env);
    let v = json_run(&env, &["rollback", "--to", "0"], 1);
    assert_eq!(v["problems"][0]["code"], "goenv::error::declined", "{v:#}");
    assert_eq!((&v["changed"], &v["undoes"], &v["to"]), (&json!(false), &json!("to"), &json!(0)));
    assert!(!v["changes"].as_array().unwrap().is_empty(), "{v:#}");
    assert_eq!(files(&env), before, "nothing was changed");

    // `--to 0`: the machine as goenv found it; again, nothing to do (exit 0, no generation).
    let v = json_run(&env, &["rollback", "--to", "0", "--yes"], 0);
    assert_eq!((&v["undoes"], &v["from"], &v["to"]), (&json!("to"), &json!(4), &json!(0)));
    assert_eq!(v["generation"], 5);
    assert_eq!(files(&env), fresh);
    // The schema is not vacuous: what breaks the contract is refused.
    let schema = schemas::validator("schemas/rollback.schema.json");
    for (what, change) in [
        ("a change without a generation", ("generation", Value::Null)),
        ("an unknown `undoes`", ("undoes", json!("everything"))),
        ("a generation before 1", ("generation", json!(0))),
        ("nothing changed with changes", ("changed", json!(false))),
    ] {
        let mut d = v.clone();
        d[change.0] = change.1;
        assert!(!schemas::errors(&schema, &d).is_empty(), "{what} was accepted: {d:#}");
    }
    let mut d = v.clone();
    d["paths"][0]["action"] = json!("update");
    assert!(!schemas::errors(&schema, &d).is_empty(), "a path's change action was accepted");
    let v = json_run(&env, &["rollback", "--to", "0", "--yes"], 0);
    assert_eq!(
        (&v["changed"], &v["generation"], &v["changes"], &v["paths"]),
        (&json!(false), &Value::Null, &json!([]), &json!([])),
        "{v:#}"
    );
    assert_eq!(v["why"], "restore generation 0");

    // No such generation; a usage error clap finds.
    let v = json_run(&env, &["rollback", "--to", "9", "--yes"], 1);
    assert_eq!(v["problems"][0]["message"], "there is no generation 9: the latest is 5");
    assert_eq!(v["problems"][0]["help"], "`goenv generations` lists them");
    let v = json_run(&env, &["rollback", "--to", "x"], 1);
    assert_eq!(v["problems"][0]["code"], "goenv::error::usage", "{v:#}");

    // The human rollback of a profile with a secret says none either.
    json_run(&env, &["apply", "--yes", "--fail-on", "never", "profile.kdl"], 0);
    let out = env.goenv(&["rollback", "--yes"]);
    assert_eq!(out.status.code(), Some(0));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(all.contains("GOPRIVATE=<redacted>"), "{all}");
    assert!(!all.contains("example.com/*"), "{all}");
}

/// The schemas as files: valid, named by `$id`, the shared definitions the same everywhere.
#[test]
fn the_schemas_are_valid_named_and_share_their_definitions() {
    let dir = common::repo("schemas");
    let mut shared: std::collections::BTreeMap<String, (String, Value)> = Default::default();
    let mut names = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(name.ends_with(".schema.json"), "schemas/{name}");
        schemas::compile(&format!("schemas/{name}"));
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(&name)).unwrap()).unwrap();
        assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema", "{name}");
        // doctor's findings are its own (per context, with a `fix`): not the plan's.
        let own = name == "doctor.schema.json";
        for (def, body) in v["$defs"].as_object().into_iter().flatten().filter(|_| !own) {
            if ["success", "failure"].contains(&def.as_str()) {
                continue;
            }
            match shared.get(def) {
                Some((first, b)) => {
                    assert_eq!(b, body, "`$defs/{def}` differs in {first} and {name}")
                }
                None => {
                    shared.insert(def.clone(), (name.clone(), body.clone()));
                }
            }
        }
        names.push(name);
    }
    names.sort();
    for doc in ["apply", "check", "doctor", "generations", "plan", "rollback", "show", "status"] {
        assert!(names.contains(&format!("{doc}.schema.json")), "{names:?}");
    }
}

/// The validator is not vacuous: documents that break the contract are refused.
#[test]
fn the_schemas_refuse_what_the_contract_does_not_allow() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    env.write("profile.kdl", PROFILE);
    let plan = json_run(&env, &["plan", "profile.kdl"], 3);
    let v = schemas::validator("schemas/plan.schema.json");
    let refused = |what: &str, doc: Value| {
        assert!(!schemas::errors(&v, &doc).is_empty(), "{what} was accepted: {doc:#}");
    };
    let mut d = plan.clone();
    d["changes"][0]["action"] = json!("replace");
    refused("an unknown action", d);
    let mut d = plan.clone();
    d["extra"] = json!(1);
    refused("an unknown key", d);
    let mut d = plan.clone();
    d["ok"] = json!(false);
    refused("a failure without problems", d);
    let mut d = plan.clone();
    d["problems"] = json!([{"file": "p", "line": 0, "column": 1, "code": "goenv::x::y", "message": "m", "help": null}]);
    refused("a success with problems", d);
    let mut d = plan.clone();
    d.as_object_mut().unwrap().remove("findings");
    refused("a plan without findings", d);
    let failure = json!({"schema": "goenv.plan/1", "ok": false, "problems": [
        {"file": null, "line": null, "column": null, "code": "goenv::error::fetch", "message": "m", "help": null}
    ]});
    assert!(schemas::errors(&v, &failure).is_empty(), "a failure with a problem is accepted");
}
