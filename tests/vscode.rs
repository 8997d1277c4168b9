//! The `vscode` node end to end, through the built binary on temporary homes: `apply` sets only
//! goenv's three settings in a `settings.json` full of comments, trailing commas and other
//! settings; VS Code's own parser (npm `jsonc-parser`, through `tests/jsonc_oracle.js`) reads
//! the result without an error and sees exactly those values; `plan` is then empty; `rollback`
//! and removing the node give back every byte; a file goenv cannot parse stops the plan.

mod common;
mod jsonc_node;

use std::path::{Path, PathBuf};

use common::TestEnv;
use serde_json::{Value, json};

const SETTINGS: &str = ".config/Code/User/settings.json";

/// A settings file as people have them: comments of both kinds, trailing commas, nested
/// objects, and a `go.alternateTools` with other tools in it.
const ORIGINAL: &str = r#"// User settings: edited by hand
{
    /* the editor */
    "editor.tabSize": 2, // two
    "files.eol": "\n",
    "go.alternateTools": {
        "go": "/usr/local/go/bin/go", /* a wrapper */
        "gopls": "~/go/bin/gopls",
    },
    "[go]": { "editor.formatOnSave": true, },
    "go.lintTool": "staticcheck",
}
"#;

const PROFILE: &str = "version 1\ngo \"1.99.1\"\nshells \"bash\"\nvscode\n";

fn code(out: &std::process::Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `go1.99.1` in `~/sdk`, complete enough to be adopted (no download, no index).
fn adopted_sdk(home: &Path) {
    let sdk = home.join("sdk/go1.99.1");
    std::fs::create_dir_all(sdk.join("pkg/tool/linux_amd64")).expect("mkdir pkg/tool");
    std::fs::create_dir_all(sdk.join("bin")).expect("mkdir bin");
    std::fs::write(sdk.join("VERSION"), "go1.99.1\ntime 2020-02-02T00:00:00Z\n").expect("VERSION");
    std::fs::write(sdk.join(".unpacked-success"), "").expect("marker");
    std::fs::write(sdk.join("bin/go"), "#!/bin/sh\n").expect("bin/go");
}

/// A home with the adopted SDK, `settings` (if any) at `rel`, and `profile`.
fn home_with(settings: Option<&[u8]>, rel: &str, profile: &str) -> (TestEnv, PathBuf) {
    let env = TestEnv::new();
    adopted_sdk(&env.home());
    let path = env.home().join(rel);
    if let Some(bytes) = settings {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, bytes).expect("write settings");
    }
    env.write("profile.kdl", profile);
    (env, path)
}

fn apply(env: &TestEnv) {
    let out = env.goenv(&["apply", "--yes", "profile.kdl"]);
    assert_eq!(code(&out), 0, "apply: {}", text(&out.stderr));
}

fn plan_is_empty(env: &TestEnv) {
    let out = env.goenv(&["plan", "--detailed-exitcode", "profile.kdl"]);
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("No changes."), "{}", text(&out.stdout));
}

/// The values goenv writes for a home.
fn owned(home: &Path) -> [(&'static str, String); 3] {
    let h = home.display();
    [
        ("go.goroot", format!("{h}/sdk/current")),
        ("go.toolsManagement.go", format!("{h}/sdk/current/bin/go")),
        ("dlv", format!("{h}/go/bin/dlv")),
    ]
}

/// What goenv must make of `ORIGINAL` (in the file's own line endings): the three members and
/// their commas, nothing else.
fn expected(home: &Path, eol: &str) -> String {
    let [(_, goroot), (_, tools_go), (_, dlv)] = owned(home);
    ORIGINAL
        .replace(
            "        \"gopls\": \"~/go/bin/gopls\",\n",
            &format!("        \"gopls\": \"~/go/bin/gopls\",\n        \"dlv\": \"{dlv}\",\n"),
        )
        .replace(
            "    \"go.lintTool\": \"staticcheck\",\n",
            &format!(
                "    \"go.lintTool\": \"staticcheck\",\n    \"go.goroot\": \"{goroot}\",\n    \
                 \"go.toolsManagement.go\": \"{tools_go}\",\n"
            ),
        )
        .replace('\n', eol)
}

#[test]
fn apply_sets_only_goenvs_settings_and_vscode_reads_them() {
    for eol in ["\n", "\r\n"] {
        let original = ORIGINAL.replace('\n', eol);
        let (env, path) = home_with(Some(original.as_bytes()), SETTINGS, PROFILE);
        let out = env.goenv(&["plan", "profile.kdl"]);
        let plan = text(&out.stdout);
        assert!(plan.contains("~ json:~/.config/Code/User/settings.json"), "{plan}");
        apply(&env);

        let after = std::fs::read(&path).expect("settings.json");
        assert_eq!(text(&after), expected(&env.home(), eol), "only the owned members are new");

        let seen = jsonc_node::vscode(&[original.clone().into_bytes(), after.clone()]);
        assert!(seen[0].errors.is_empty(), "fixture: {:?}", seen[0].errors);
        assert!(seen[1].errors.is_empty(), "VS Code sees {:?} in {}", seen[1].errors, text(&after));
        let mut want = seen[0].value.clone();
        let [(goroot_key, goroot), (tools_key, tools_go), (dlv_key, dlv)] = owned(&env.home());
        want[goroot_key] = json!(goroot);
        want[tools_key] = json!(tools_go);
        want["go.alternateTools"][dlv_key] = json!(dlv);
        assert_eq!(seen[1].value, want, "VS Code reads exactly goenv's values and the rest");
        assert_eq!(seen[1].value["go.alternateTools"]["go"], json!("/usr/local/go/bin/go"));

        plan_is_empty(&env);
        let out = env.goenv(&["rollback", "--yes"]);
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        assert_eq!(std::fs::read(&path).expect("settings.json"), original.as_bytes());
    }
}

#[test]
fn removing_the_node_gives_back_the_original_bytes() {
    let (env, path) = home_with(Some(ORIGINAL.as_bytes()), SETTINGS, PROFILE);
    apply(&env);
    assert_ne!(std::fs::read(&path).expect("settings"), ORIGINAL.as_bytes());

    // The `go` node goes: the SDK settings go back to what they were (absent), dlv stays.
    env.write("profile.kdl", "version 1\nshells \"bash\"\nvscode\n");
    apply(&env);
    let now = text(&std::fs::read(&path).expect("settings"));
    let seen = &jsonc_node::vscode(&[now.clone().into_bytes()])[0];
    assert!(seen.errors.is_empty(), "{now}");
    assert_eq!(seen.value.get("go.goroot"), None, "{now}");
    assert_eq!(seen.value.get("go.toolsManagement.go"), None, "{now}");
    assert_eq!(seen.value["go.alternateTools"]["dlv"], json!(owned(&env.home())[2].1));
    plan_is_empty(&env);

    // The `vscode` node goes: every byte as before.
    env.write("profile.kdl", "version 1\nshells \"bash\"\n");
    let plan = text(&env.goenv(&["plan", "profile.kdl"]).stdout);
    assert!(plan.contains("~ json:~/.config/Code/User/settings.json"), "{plan}");
    apply(&env);
    assert_eq!(text(&std::fs::read(&path).expect("settings")), ORIGINAL);
    plan_is_empty(&env);

    // And the whole history can be undone to the machine as goenv found it.
    let out = env.goenv(&["rollback", "--to", "0", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(text(&std::fs::read(&path).expect("settings")), ORIGINAL);
}

/// Issue 16, item 3: in a file goenv shares, only goenv's settings are goenv's. An edit of
/// another setting is no drift, and a rollback keeps it; a rollback after drift in goenv's own
/// settings restores those only.
#[test]
fn drift_and_rollback_in_settings_json_are_only_about_goenvs_settings() {
    let original = "{\n    \"editor.fontSize\": 14\n}\n";
    let (env, path) = home_with(Some(original.as_bytes()), SETTINGS, PROFILE);
    apply(&env);
    let applied = std::fs::read_to_string(&path).unwrap();
    let theirs = applied.replace("\"editor.fontSize\": 14", "\"editor.fontSize\": 16");
    std::fs::write(&path, &theirs).unwrap();
    let status = env.goenv(&["status"]);
    assert_eq!(code(&status), 0, "another setting is not drift: {}", text(&status.stdout));
    assert!(!text(&status.stdout).contains("goenv rollback"), "{}", text(&status.stdout));

    // A change of goenv's own setting is drift; rollback restores it and keeps the 16.
    let drifted = theirs.replace("/sdk/current\"", "/elsewhere\"");
    assert_ne!(drifted, theirs);
    std::fs::write(&path, &drifted).unwrap();
    let status = env.goenv(&["status"]);
    assert_eq!(code(&status), 2, "{}", text(&status.stdout));
    let out = env.goenv(&["rollback", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs);

    // Undoing the apply takes goenv's settings out and leaves the user's 16.
    assert_eq!(code(&env.goenv(&["rollback", "--to", "0", "--yes"])), 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original.replace("14", "16"));
}

#[test]
fn a_file_goenv_created_goes_away_with_the_node() {
    let (env, path) = home_with(None, SETTINGS, PROFILE);
    apply(&env);
    let created = std::fs::read(&path).expect("created");
    let seen = &jsonc_node::vscode(std::slice::from_ref(&created))[0];
    assert!(seen.errors.is_empty(), "{}", text(&created));
    let [(_, goroot), (_, tools_go), (_, dlv)] = owned(&env.home());
    assert_eq!(
        seen.value,
        json!({"go.goroot": goroot, "go.toolsManagement.go": tools_go, "go.alternateTools": {"dlv": dlv}})
    );
    assert!(text(&created).starts_with("{\n    \"go.goroot\""), "VS Code's own layout");

    env.write("profile.kdl", "version 1\ngo \"1.99.1\"\nshells \"bash\"\n");
    apply(&env);
    assert!(!path.exists(), "goenv created it, and nothing else is in it");
}

#[test]
fn settings_without_an_sdk_and_at_a_given_path() {
    // No `go` node: the user's go.goroot is not goenv's, and stays.
    let rel = ".config/Code - OSS/User/settings.json";
    let original = "{\n\t\"go.goroot\": \"/opt/go\"\n}";
    let profile = format!("version 1\nshells \"bash\"\nvscode \"~/{rel}\"\n");
    let (env, path) = home_with(Some(original.as_bytes()), rel, &profile);
    let plan = text(&env.goenv(&["plan", "profile.kdl"]).stdout);
    assert!(plan.contains("~ json:~/.config/Code - OSS/User/settings.json"), "{plan}");
    assert!(!env.home().join(SETTINGS).exists());
    apply(&env);
    let dlv = &owned(&env.home())[2].1;
    let want = format!(
        "{{\n\t\"go.goroot\": \"/opt/go\",\n\t\"go.alternateTools\": {{\n\t\t\"dlv\": \"{dlv}\"\n\t}}\n}}"
    );
    assert_eq!(text(&std::fs::read(&path).expect("settings")), want);
    plan_is_empty(&env);
}

#[test]
fn macos_keeps_settings_in_library() {
    let (env, _) = home_with(None, SETTINGS, PROFILE);
    let out = env.goenv(&["--os", "macos", "plan", "profile.kdl"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(
        plan.contains("+ json:~/Library/Application Support/Code/User/settings.json"),
        "{plan}"
    );
    assert!(!plan.contains("json:~/.config"), "{plan}");
}

#[test]
fn an_unparsable_settings_file_stops_the_plan_and_nothing_is_written() {
    // The comma is missing after `2`, at line 2, column 24.
    let broken = "{\n    \"editor.tabSize\": 2\n    \"go.goroot\": \"/x\"\n}\n";
    let (env, path) = home_with(Some(broken.as_bytes()), SETTINGS, PROFILE);
    for command in [&["plan", "profile.kdl"][..], &["apply", "--yes", "profile.kdl"]] {
        let out = env.goenv(command);
        assert_eq!(code(&out), 1, "{command:?}");
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("cannot plan `~/.config/Code/User/settings.json:2:24`: expected comma"),
            "{stderr}"
        );
        assert!(stderr.contains("fix the file in VS Code"), "{stderr}");
        assert!(stderr.contains("nothing was changed"), "{stderr}");
        if command[0] == "plan" {
            assert!(!env.home().join(".local/state/goenv").exists(), "plan writes no state");
        }
    }
    assert_eq!(std::fs::read(&path).expect("settings"), broken.as_bytes());
    let generations = env.home().join(".local/state/goenv/generations");
    let manifests = std::fs::read_dir(&generations).map_or(0, |d| d.count());
    assert_eq!(manifests, 0, "no generation in {}", generations.display());
    assert!(!env.home().join(".config/goenv/env.sh").exists(), "no file written");
    assert!(!env.home().join("sdk/current").exists(), "no link written");
}

/// `plan --format json` findings with `code`.
fn findings(env: &TestEnv, code: &str) -> Vec<Value> {
    let out = env.goenv(&["plan", "--format", "json", "profile.kdl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = common::schemas::parse(&out.stdout);
    let all = doc["findings"].as_array().expect("findings").clone();
    all.into_iter().filter(|f| f["code"] == code).collect()
}

#[test]
fn a_goroot_elsewhere_is_a_finding() {
    let settings = "{\n  // from the Go download page\n  \"go.goroot\": \"/usr/local/go\",\n}\n";
    let code = "goenv::finding::vscode-goroot-differs";
    // No `vscode` node: goenv reports the default settings file and does not edit it.
    let (env, path) = home_with(Some(settings.as_bytes()), SETTINGS, "version 1\ngo \"1.99.1\"\n");
    let found = findings(&env, code);
    let [f] = found.as_slice() else { panic!("{found:#?}") };
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["path"], json!(path.display().to_string()));
    assert_eq!(f["line"], 3);
    let message = f["message"].as_str().unwrap_or_default();
    assert!(message.contains("sets `go.goroot` to \"/usr/local/go\""), "{message}");
    assert!(message.contains("not the active SDK `~/sdk/current`"), "{message}");
    assert!(f["help"].as_str().unwrap_or_default().contains("add `vscode`"), "{f}");

    // With the node, apply fixes it, and the finding is gone.
    env.write("profile.kdl", PROFILE);
    let found = findings(&env, code);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["severity"], "info");
    apply(&env);
    assert!(findings(&env, code).is_empty());
}
