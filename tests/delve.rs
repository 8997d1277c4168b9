//! The `delve` node against real Delve: Debian's `dlv` (Delve 1.20.2, built by go1.19, with no
//! module version in its build info) and fake SDKs whose `VERSION` says which Go is active.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::TestEnv;
use serde_json::Value;

const DEBIAN_DLV: &str = "/usr/bin/dlv";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is JSON ({e}): {}\nstderr: {}", text(&out.stdout), text(&out.stderr))
    })
}

/// What `go1.<v> download` leaves at `<home>/sdk/go<v>`; `bin/go` runs the fixture SDK when
/// one is given (Go finds its root from the resolved executable).
fn adopted_sdk(home: &Path, version: &str, real_go: Option<&Path>) {
    let root = home.join(format!("sdk/go{version}"));
    fs::create_dir_all(root.join("pkg/tool/linux_amd64")).unwrap();
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::write(root.join("VERSION"), format!("go{version}\ntime 2020-02-02T00:00:00Z\n")).unwrap();
    fs::write(root.join(".unpacked-success"), "").unwrap();
    if let Some(go) = real_go {
        std::os::unix::fs::symlink(go, root.join("bin/go")).unwrap();
    }
}

#[track_caller]
fn debian_dlv() -> &'static Path {
    let p = Path::new(DEBIAN_DLV);
    assert!(
        p.is_file(),
        "missing test fixture {DEBIAN_DLV}: run `scripts/fixtures` (Debian package delve)"
    );
    p
}

fn findings<'a>(plan: &'a Value, code: &str) -> Vec<&'a Value> {
    let code = format!("goenv::finding::{code}");
    plan["findings"].as_array().unwrap().iter().filter(|f| f["code"] == code.as_str()).collect()
}

#[test]
fn debian_delve_is_too_old_for_go_1_22_and_goenv_says_how_to_fix_it() {
    let dlv = debian_dlv();
    let env = TestEnv::new();
    let home = env.home();
    adopted_sdk(&home, "1.22.10", None);
    adopted_sdk(&home, "1.19.13", None);
    env.write(
        "p.kdl",
        &format!(
            "version 1\ngo \"1.22.10\" {{\n    keep \"1.19.13\"\n}}\ndelve \"{}\"\n\
             go-env {{ GOTOOLCHAIN \"local\" }}\nshells \"bash\"\n",
            dlv.display()
        ),
    );
    let out = env.goenv(&["plan", "--format", "json", "p.kdl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan = json(&out);
    let bad = findings(&plan, "delve-incompatible");
    assert_eq!(bad.len(), 1, "only the active SDK is out of Delve 1.20's range: {plan}");
    let f = bad[0];
    assert_eq!(f["severity"], "error");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("Delve 1.20.2, from `dlv version`"), "{message}");
    assert!(message.contains("too old for Go 1.22.10"), "{message}");
    assert!(message.contains("Version of Delve is too old for Go version go1.22.10"), "{message}");
    let help = f["help"].as_str().unwrap();
    let want = format!(
        "GOBIN={} ~/sdk/current/bin/go install github.com/go-delve/delve/cmd/dlv@v1.22.1",
        dlv.parent().unwrap().display()
    );
    // 1.22.1 is the newest Delve that debugs both 1.22 and the kept 1.19.
    assert!(help.contains(&want), "{help}");

    // The answer of `dlv version` is remembered by the file's identity: later plans read it.
    let cache = home.join(".local/state/goenv/dlv-versions.toml");
    let remembered = fs::read_to_string(&cache).unwrap();
    assert!(remembered.contains("= \"1.20.2\""), "{remembered}");
    let again = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    let message = findings(&again, "delve-incompatible")[0]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("from `dlv version`, remembered"), "{message}");
}

#[test]
fn presence_executability_and_leftovers() {
    let env = TestEnv::new();
    let home = env.home();
    adopted_sdk(&home, "1.22.10", None);
    let profile = |extra: &str| {
        format!(
            "version 1\ngo \"1.22.10\" {{\n}}\ndelve {extra}\ngo-env {{ GOBIN \"~/go/bin\"; GOTOOLCHAIN \"local\" }}\nshells \"bash\"\n"
        )
    };

    // Missing at the default place, GOBIN/dlv: an error with the command that installs it there.
    env.write("p.kdl", &profile(""));
    let plan = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    let missing = findings(&plan, "delve-missing");
    assert_eq!(missing.len(), 1, "{plan}");
    let help = missing[0]["help"].as_str().unwrap();
    let gobin = home.join("go/bin");
    assert!(
        help.contains(&format!(
            "GOBIN={} ~/sdk/current/bin/go install github.com/go-delve/delve/cmd/dlv@v1.25.2",
            gobin.display()
        )),
        "{help}"
    );

    // There but not executable, with a dlv-dap leftover beside it.
    fs::create_dir_all(&gobin).unwrap();
    fs::copy(debian_dlv(), gobin.join("dlv")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(gobin.join("dlv"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(gobin.join("dlv-dap"), "old").unwrap();
    let plan = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    assert_eq!(findings(&plan, "delve-not-executable").len(), 1, "{plan}");
    assert_eq!(findings(&plan, "dlv-dap-leftover").len(), 1, "{plan}");
    assert_eq!(findings(&plan, "delve-version-unknown").len(), 1, "not run, so unknown: {plan}");

    // require="present" checks presence only; require="off" checks nothing.
    fs::set_permissions(gobin.join("dlv"), fs::Permissions::from_mode(0o755)).unwrap();
    env.write("p.kdl", &profile("require=\"present\""));
    let plan = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    assert!(findings(&plan, "delve-incompatible").is_empty(), "{plan}");
    fs::remove_file(gobin.join("dlv")).unwrap();
    env.write("p.kdl", &profile("require=\"off\""));
    let plan = json(&env.goenv(&["plan", "--format", "json", "p.kdl"]));
    assert!(findings(&plan, "delve-missing").is_empty(), "{plan}");
}
