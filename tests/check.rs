//! `goenv check` end to end: every validation rule with a failing profile (code, message,
//! line:column), the corner cases Go accepts, includes, `when`, and the output contract.

mod common;

use common::{TestEnv, position_of, repo};
use serde_json::Value;

/// Checks `body` (after `version 1`) and asserts exactly one problem: its code, its location
/// (the first occurrence of `at`), and that its message and help contain `says`.
#[track_caller]
fn rejects(body: &str, at: &str, code: &str, says: &str) {
    let text = format!("version 1\n{body}\n");
    let env = TestEnv::new();
    let (exit, json) = env.check_json(&text, &[]);
    assert_eq!(exit, 1, "{json:#}");
    assert_eq!(json["ok"], false);
    let problems = json["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "expected one problem for:\n{text}\ngot {json:#}");
    let p = &problems[0];
    assert_eq!(p["code"], code, "{p:#}");
    let (line, column) = position_of(&text, at);
    assert_eq!((p["line"].as_u64(), p["column"].as_u64()), (Some(line), Some(column)), "{p:#}");
    let words =
        format!("{} {}", p["message"].as_str().unwrap_or(""), p["help"].as_str().unwrap_or(""));
    assert!(words.contains(says), "`{says}` not in: {words}");
}

/// Checks `body` (after `version 1`) and returns the success JSON.
#[track_caller]
fn accepts(body: &str) -> Value {
    let env = TestEnv::new();
    let (exit, json) = env.check_json(&format!("version 1\n{body}\n"), &[]);
    assert_eq!(exit, 0, "{json:#}");
    json
}

// ---- the document ------------------------------------------------------------------------

#[test]
fn version_must_come_first() {
    let env = TestEnv::new();
    let (exit, json) = env.check_json("go \"1.22.10\"\n", &[]);
    assert_eq!(exit, 1);
    assert_eq!(json["problems"][0]["code"], "goenv::profile::missing-version");
    assert_eq!(
        (json["problems"][0]["line"].as_u64(), json["problems"][0]["column"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn unsupported_format_version_names_the_supported_ones() {
    let env = TestEnv::new();
    let (_, json) = env.check_json("version 2\n", &[]);
    let p = &json["problems"][0];
    assert_eq!(p["code"], "goenv::profile::unsupported-version");
    assert_eq!((p["line"].as_u64(), p["column"].as_u64()), (Some(1), Some(9)));
    assert!(p["help"].as_str().unwrap().contains("versions: 1"));
}

#[test]
fn format_version_is_a_number() {
    let env = TestEnv::new();
    let (_, json) = env.check_json("version \"1\"\n", &[]);
    assert_eq!(json["problems"][0]["code"], "goenv::profile::wrong-type");
    assert!(json["problems"][0]["help"].as_str().unwrap().contains("without quotes"));
}

#[test]
fn version_only_once_and_only_first() {
    rejects(
        "when os=\"linux\" { version 1 }",
        "version 1 }",
        "goenv::profile::misplaced-version",
        "first node",
    );
}

#[test]
fn kdl_1_booleans_get_the_kdl_2_spelling() {
    rejects("go \"1.22.10\" {\n    prune true\n}", "true", "goenv::profile::syntax", "#true");
}

#[test]
fn unquoted_dotted_versions_are_a_syntax_error_with_a_fix() {
    rejects("go 1.22.10", "1.22.10", "goenv::profile::syntax", "\"1.22.10\"");
}

#[test]
fn unknown_node_suggests_the_closest() {
    rejects(
        "exprot { EDITOR \"vi\" }",
        "exprot",
        "goenv::profile::unknown-node",
        "did you mean `export`?",
    );
}

#[test]
fn go_setting_outside_a_block_says_where_it_belongs() {
    rejects("GOPROXY \"direct\"", "GOPROXY", "goenv::profile::unknown-node", "go-env {");
}

#[test]
fn unknown_property_suggests_the_closest() {
    rejects(
        "session lvie=#true",
        "lvie",
        "goenv::profile::unknown-property",
        "did you mean `live`?",
    );
}

#[test]
fn unknown_go_setting_suggests_the_closest() {
    rejects(
        "go \"1.22.10\" {\n    prnue #true\n}",
        "prnue",
        "goenv::profile::unknown-child",
        "did you mean `prune`?",
    );
}

#[test]
fn singleton_nodes_appear_once_per_block() {
    rejects(
        "go \"1.22.10\"\ngo \"1.23.9\"",
        "go \"1.23.9\"",
        "goenv::profile::duplicate-node",
        "line 2",
    );
}

#[test]
fn same_key_twice_in_a_block() {
    rejects(
        "go-env {\n    GOPATH \"~/go\"\n    GOPATH \"~/work\"\n}",
        "GOPATH \"~/work\"",
        "goenv::profile::duplicate-key",
        "line 3",
    );
}

#[test]
fn same_property_twice() {
    rejects(
        "session live=#true live=#false",
        "live=#false",
        "goenv::profile::duplicate-property",
        "twice",
    );
}

#[test]
fn missing_value() {
    rejects("go", "go", "goenv::profile::missing-argument", "go \"1.22.10\"");
}

#[test]
fn extra_value() {
    rejects(
        "go \"1.22.10\" {\n    dir \"~/sdk\" \"~/other\"\n}",
        "\"~/other\"",
        "goenv::profile::extra-argument",
        "one value",
    );
}

#[test]
fn numbers_where_strings_belong_get_quoted() {
    rejects("go 1.22", "1.22", "goenv::profile::wrong-type", "quote it: \"1.22\"");
}

#[test]
fn booleans_written_as_strings() {
    rejects(
        "go \"1.22.10\" {\n    prune \"true\"\n}",
        "\"true\"",
        "goenv::profile::wrong-type",
        "write #true",
    );
}

#[test]
fn blocks_where_none_belong() {
    rejects("shells \"bash\" { zsh }", "{ zsh }", "goenv::profile::unexpected-block", "no block");
}

#[test]
fn not_utf8_is_refused_with_the_offset() {
    let env = TestEnv::new();
    let path = env.dir.path().join("profile.kdl");
    std::fs::write(&path, b"version 1\nexport { A \"\xff\" }\n").unwrap();
    let out = env.goenv(&["check", "--format", "json", "profile.kdl"]);
    let json: Value = common::schemas::parse(&out.stdout);
    let p = &json["problems"][0];
    assert_eq!(p["code"], "goenv::profile::not-utf8");
    assert_eq!((p["line"].as_u64(), p["column"].as_u64()), (Some(2), Some(13)));
}

// ---- go ------------------------------------------------------------------------------------

#[test]
fn go_version_with_prefix() {
    rejects(
        "go \"go1.22.10\"",
        "\"go1.22.10\"",
        "goenv::profile::bad-go-version",
        "write \"1.22.10\"",
    );
}

#[test]
fn go_version_nonsense() {
    rejects("go \"latest\"", "\"latest\"", "goenv::profile::bad-go-version", "\"system\"");
}

#[test]
fn keep_is_versions_only() {
    rejects(
        "go \"1.22.10\" {\n    keep \"system\"\n}",
        "\"system\"",
        "goenv::profile::bad-go-version",
        "keep",
    );
}

#[test]
fn sdk_dir_must_be_absolute() {
    rejects(
        "go \"1.22.10\" {\n    dir \"sdk\"\n}",
        "\"sdk\"",
        "goenv::profile::bad-path",
        "absolute",
    );
}

#[test]
fn mirror_must_be_a_url() {
    rejects(
        "go \"1.22.10\" {\n    mirror \"golang.google.cn/dl/\"\n}",
        "\"golang.google.cn",
        "goenv::profile::bad-url",
        "https://golang.google.cn/dl/",
    );
}

#[test]
fn checksum_is_a_sha256() {
    rejects(
        "go \"1.22.10\" {\n    checksum \"abc\"\n}",
        "\"abc\"",
        "goenv::profile::bad-checksum",
        "64 hexadecimal",
    );
}

#[test]
fn checksum_needs_an_exact_version() {
    let sum = "a".repeat(64);
    rejects(
        &format!("go \"1.22\" {{\n    checksum \"{sum}\"\n}}"),
        &format!("\"{sum}\""),
        "goenv::profile::checksum-needs-version",
        "exact version",
    );
}

#[test]
fn go_versions_go_accepts() {
    let json = accepts(
        "go \"1.22\" {\n    keep \"1.21.13\" \"1.23rc1\" \"1.20\"\n    prune #true\n    mirror \"https://golang.google.cn/dl\"\n    index \"file:///srv/go/dl.json\"\n}",
    );
    assert!(json["summary"].as_str().unwrap().contains("Go 1.22.x"));
    accepts("go \"system\"");
    accepts(&format!("go \"1.23.9\" {{\n    checksum \"{}\"\n}}", "AB".repeat(32)));
}

// ---- proxy -----------------------------------------------------------------------------------

#[test]
fn unknown_preset_suggests_the_closest() {
    rejects(
        "proxy \"chinaa\"",
        "\"chinaa\"",
        "goenv::profile::unknown-preset",
        "did you mean \"china\"?",
    );
}

#[test]
fn empty_proxy() {
    rejects("proxy", "proxy", "goenv::profile::empty-proxy", "preset");
}

#[test]
fn proxy_and_go_env_cannot_both_set_a_key() {
    rejects(
        "proxy \"china\"\ngo-env {\n    GOPROXY \"direct\"\n}",
        "GOPROXY",
        "goenv::profile::conflicting-value",
        "proxy",
    );
}

#[test]
fn presets_expand_to_go_env_keys() {
    for (preset, goproxy, gosumdb) in [
        ("default", "https://proxy.golang.org,direct", "sum.golang.org"),
        ("china", "https://goproxy.cn,direct", "sum.golang.google.cn"),
        ("direct", "direct", "sum.golang.org"),
        ("offline", "off", "off"),
    ] {
        let json = accepts(&format!("proxy \"{preset}\""));
        assert_eq!(json["go_env_file"]["GOPROXY"], goproxy);
        assert_eq!(json["go_env_file"]["GOSUMDB"], gosumdb);
    }
    let json = accepts(
        "proxy \"china\" {\n    url \"goproxy.io\" \"direct\"\n    private \"git.corp.example.com/*\" \"github.com/corp\"\n}",
    );
    assert_eq!(json["go_env_file"]["GOPROXY"], "https://goproxy.io,direct");
    assert_eq!(json["go_env_file"]["GOSUMDB"], "sum.golang.google.cn");
    assert_eq!(json["go_env_file"]["GOPRIVATE"], "git.corp.example.com/*,github.com/corp");
}

// ---- export, path, shells, session, delve, vscode, service ------------------------------------

#[test]
fn path_is_not_exported() {
    rejects(
        "export {\n    PATH \"/opt/bin\"\n}",
        "PATH",
        "goenv::profile::path-in-export",
        "path \"~/tools/bin\"",
    );
}

#[test]
fn export_names_must_be_environment_names() {
    rejects(
        "export {\n    \"1FOO\" \"x\"\n}",
        "\"1FOO\"",
        "goenv::profile::bad-env-name",
        "letters",
    );
}

#[test]
fn nul_in_a_value() {
    rejects("export {\n    A \"x\\u{0}y\"\n}", "\"x\\u{0}y\"", "goenv::profile::nul", "NUL");
}

#[test]
fn exported_go_key_must_agree_with_the_go_env_file() {
    rejects(
        "go-env {\n    GOFLAGS \"-mod=mod\"\n}\nexport {\n    GOFLAGS \"-mod=vendor\"\n}",
        "-mod=vendor",
        "goenv::profile::conflicting-value",
        "overrides the Go env file",
    );
    accepts("go-env {\n    GOFLAGS \"-mod=mod\"\n}\nexport {\n    GOFLAGS \"-mod=mod\"\n}");
}

#[test]
fn path_entries_are_absolute_and_unexpanded() {
    rejects("path \"$HOME/bin\"", "\"$HOME/bin\"", "goenv::profile::bad-path", "~/");
    rejects("path \"bin\"", "\"bin\"", "goenv::profile::bad-path", "absolute");
    rejects("path \"~/a:~/b\"", "\"~/a:~/b\"", "goenv::profile::bad-path", "own argument");
    rejects("path \"~bob/bin\"", "\"~bob/bin\"", "goenv::profile::bad-path", "~user");
}

#[test]
fn shells_are_known_and_listed_once() {
    rejects(
        "shells \"bash\" \"zhs\"",
        "\"zhs\"",
        "goenv::profile::unknown-shell",
        "did you mean \"zsh\"?",
    );
    rejects(
        "shells \"bash\" \"sh\"",
        "\"sh\"",
        "goenv::profile::unknown-shell",
        "wired together with bash",
    );
    rejects("shells \"fish\" \"fish\"", "\"fish\"\n", "goenv::profile::duplicate-value", "twice");
}

#[test]
fn session_values_environment_d_cannot_hold() {
    rejects(
        "session\nexport {\n    GREETING \"$USER\"\n}",
        "$USER",
        "goenv::profile::session-unrepresentable",
        "expands `$`",
    );
    rejects(
        "session\nexport {\n    EMPTY \"\"\n}",
        "\"\"",
        "goenv::profile::session-unrepresentable",
        "empty",
    );
    // Without `session`, shells can carry both.
    accepts("export {\n    GREETING \"$USER\"\n    EMPTY \"\"\n}");
}

#[test]
fn delve_require_and_install() {
    rejects(
        "delve require=\"compatable\"",
        "\"compatable\"",
        "goenv::profile::bad-delve-require",
        "did you mean \"compatible\"?",
    );
    rejects(
        "delve install=\"1.22.0\"",
        "\"1.22.0\"",
        "goenv::profile::bad-delve-install",
        "install=\"v1.22.0\"",
    );
    accepts("delve \"~/go/bin/dlv\" require=\"present\" install=\"v1.27.1\"");
    accepts("delve install=\"latest\"");
}

#[test]
fn vscode_settings_path() {
    rejects(
        "vscode \"settings.json\"",
        "\"settings.json\"",
        "goenv::profile::bad-path",
        "absolute",
    );
    accepts("vscode \"~/.config/Code - OSS/User/settings.json\"");
}

#[test]
fn service_units() {
    rejects(
        "service \"api\" {\n    GOGC \"100\"\n}",
        "\"api\"",
        "goenv::profile::bad-unit",
        "did you mean \"api.service\"?",
    );
    rejects("service \"api.socket\"", "\"api.socket\"", "goenv::profile::bad-unit", ".service");
    rejects(
        "service \"a.service\" restart=#true\nservice \"a.service\"",
        "\"a.service\"\n",
        "goenv::profile::duplicate-node",
        "line 2",
    );
    accepts("service \"worker@1.service\" restart=#true {\n    GOMAXPROCS \"2\"\n}");
}

// ---- when and include --------------------------------------------------------------------------

#[test]
fn when_needs_a_known_condition_and_a_block() {
    rejects(
        "when os=\"darwin\" { go \"1.22.10\" }",
        "\"darwin\"",
        "goenv::profile::unknown-platform",
        "\"macos\"",
    );
    rejects(
        "when arch=\"x86_64\" { go \"1.22.10\" }",
        "\"x86_64\"",
        "goenv::profile::unknown-platform",
        "\"amd64\"",
    );
    rejects("when { go \"1.22.10\" }", "when", "goenv::profile::when-without-condition", "os=");
    rejects("when os=\"linux\"", "when", "goenv::profile::missing-block", "block");
}

#[test]
fn when_blocks_are_checked_even_where_they_do_not_apply() {
    rejects(
        "when os=\"macos\" {\n    go \"1.2x\"\n}",
        "\"1.2x\"",
        "goenv::profile::bad-go-version",
        "version",
    );
}

#[test]
fn when_selects_by_os_arch_and_host() {
    let body = "go \"1.22.10\"\nwhen os=\"macos\" arch=\"arm64\" {\n    go \"1.23.9\"\n}\nwhen host=\"ci-runner\" {\n    shells \"fish\"\n}";
    let env = TestEnv::new();
    let text = format!("version 1\n{body}\n");
    let (_, linux) = env.check_json(&text, &[]);
    assert!(linux["summary"].as_str().unwrap().starts_with("Go 1.22.10"), "{linux}");
    let (_, mac) = env.check_json(&text, &["--os", "macos", "--arch", "arm64"]);
    assert!(mac["summary"].as_str().unwrap().starts_with("Go 1.23.9"), "{mac}");
    assert_eq!(mac["platform"], "macos/arm64");
    let (_, intel_mac) = env.check_json(&text, &["--os", "macos", "--arch", "amd64"]);
    assert!(intel_mac["summary"].as_str().unwrap().starts_with("Go 1.22.10"));
    let (_, ci) = env.check_json(&text, &["--host", "ci-runner"]);
    assert!(ci["summary"].as_str().unwrap().contains("shells fish"), "{ci}");
}

#[test]
fn includes_merge_first_and_the_including_file_wins() {
    let env = TestEnv::new();
    env.write("team/base.kdl", "version 1\ngo \"1.22.10\" {\n    keep \"1.21.13\"\n    dir \"~/sdk\"\n}\ngo-env {\n    GOPATH \"~/go\"\n    GOFLAGS \"-mod=mod\"\n}\n");
    let (exit, json) = env.check_json("version 1\ngo-env {\n    GOFLAGS \"-mod=readonly\"\n}\ninclude \"team/base.kdl\"\ngo \"1.23.9\"\n", &[]);
    assert_eq!(exit, 0, "{json:#}");
    assert_eq!(json["go_env_file"]["GOFLAGS"], "-mod=readonly");
    assert_eq!(json["go_env_file"]["GOPATH"], format!("{}/go", env.home().display()));
    // The version is overridden; `keep` and `dir` come from the base.
    assert!(
        json["summary"].as_str().unwrap().starts_with("Go 1.23.9 in ~/sdk (keeps 1.21.13)"),
        "{json}"
    );
}

#[test]
fn include_paths_are_relative_to_the_including_file() {
    let env = TestEnv::new();
    env.write("a/b/leaf.kdl", "version 1\nshells \"zsh\"\n");
    env.write("a/mid.kdl", "version 1\ninclude \"b/leaf.kdl\"\n");
    let (exit, json) = env.check_json("version 1\ninclude \"a/mid.kdl\"\n", &[]);
    assert_eq!(exit, 0, "{json:#}");
    assert!(json["summary"].as_str().unwrap().contains("shells zsh"));
}

#[test]
fn missing_include() {
    rejects(
        "include \"nope.kdl\"",
        "\"nope.kdl\"",
        "goenv::profile::include-not-found",
        "relative to the including file",
    );
}

#[test]
fn include_cycles_are_refused() {
    let env = TestEnv::new();
    env.write("b.kdl", "version 1\ninclude \"profile.kdl\"\n");
    let (exit, json) = env.check_json("version 1\ninclude \"b.kdl\"\n", &[]);
    assert_eq!(exit, 1);
    let p = &json["problems"][0];
    assert_eq!(p["code"], "goenv::profile::include-cycle");
    assert_eq!(p["file"], "b.kdl");
    assert_eq!((p["line"].as_u64(), p["column"].as_u64()), (Some(2), Some(9)));
    assert!(p["message"].as_str().unwrap().contains("profile.kdl → b.kdl → profile.kdl"), "{p}");
}

// ---- several mistakes at once, and the output contract -------------------------------------------

#[test]
fn every_mistake_is_reported_at_its_own_place() {
    let env = TestEnv::new();
    let base = "version 1\ngo-env {\n    GOPATH \"~/go\"\n    GO111MODULE \"yes\"\n}\n";
    env.write("base.kdl", base);
    let text = "version 1\ninclude \"base.kdl\"\ngo \"1.22.10\" {\n    prnue #true\n}\nshells \"bash\" \"ksh\"\nexport {\n    GOMEMLIMIT \"512MB\"\n}\nservice \"api\"\n";
    env.write("profile.kdl", text);
    let out = env.goenv(&["check", "profile.kdl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "stdout must stay empty: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: 5 problems in `profile.kdl`; nothing was changed"), "{stderr}");

    let (_, json) = env.check_json(text, &[]);
    let got: Vec<(String, u64, u64, String)> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().to_owned(),
                p["line"].as_u64().unwrap(),
                p["column"].as_u64().unwrap(),
                p["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let at = |f: &str, t: &str, n: &str, code: &str| {
        let (l, c) = position_of(t, n);
        (f.to_owned(), l, c, code.to_owned())
    };
    let mut want = vec![
        at("base.kdl", base, "yes", "goenv::value::go111module"),
        at("profile.kdl", text, "prnue", "goenv::profile::unknown-child"),
        at("profile.kdl", text, "\"ksh\"", "goenv::profile::unknown-shell"),
        at("profile.kdl", text, "512MB", "goenv::value::gomemlimit"),
        at("profile.kdl", text, "\"api\"", "goenv::profile::bad-unit"),
    ];
    want.sort();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    assert_eq!(got_sorted, want);
}

#[test]
fn human_output_points_at_the_value_with_a_hint() {
    let env = TestEnv::new();
    env.write("profile.kdl", "version 1\nexport {\n    GOMEMLIMIT \"512MB\"\n}\n");
    let out = env.goenv(&["check", "profile.kdl"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[profile.kdl:3:17]"), "{stderr}");
    assert!(stderr.contains("512MiB"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "no colour without a terminal: {stderr}");
}

#[test]
fn success_prints_one_summary_line() {
    let env = TestEnv::new();
    let out = env.goenv(&["check", repo("profiles/china.kdl").to_str().unwrap()]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("ok for linux/amd64") || stdout.contains("ok for"), "{stdout}");
    assert!(stdout.contains("Go 1.23.9"), "{stdout}");
    assert!(stdout.contains("proxy china"), "{stdout}");
}

#[test]
fn json_schema_on_success_and_failure() {
    let env = TestEnv::new();
    let (exit, ok) = env.check_json("version 1\nshells \"zsh\"\n", &[]);
    assert_eq!(exit, 0);
    assert_eq!(ok["schema"], "goenv.check/1");
    assert_eq!(ok["ok"], true);
    assert_eq!(ok["problems"], serde_json::json!([]));
    let (exit, bad) = env.check_json("version 1\nshells \"ksh\"\n", &[]);
    assert_eq!(exit, 1);
    let p = &bad["problems"][0];
    for key in ["file", "line", "column", "code", "message", "help"] {
        assert!(p.get(key).is_some(), "{key} missing in {p}");
    }
}

#[test]
fn missing_profile_is_a_clear_error() {
    let env = TestEnv::new();
    let out = env.goenv(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read profile"), "{stderr}");
    assert!(
        stderr.contains(".config/goenv/profile.kdl"),
        "the default path is inside --home: {stderr}"
    );
}

#[test]
fn secrets_never_appear_in_messages_or_snippets() {
    let env = TestEnv::new();
    let text = "version 1\nsession\nexport {\n    TOKEN \"hunter2$x\" secret=#true\n}\nproxy {\n    url \"https://bob:s3cr3t@proxy.corp.example.com\" \"ftp://x\"\n}\n";
    env.write("profile.kdl", text);
    let out = env.goenv(&["check", "profile.kdl"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TOKEN"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
    let (_, json) = env.check_json(text, &[]);
    assert!(!json.to_string().contains("hunter2"));
    assert!(!json.to_string().contains("s3cr3t"));
    let (_, ok) =
        env.check_json("version 1\nexport {\n    TOKEN \"hunter2\" secret=#true\n}\n", &[]);
    assert_eq!(ok["export"]["TOKEN"], "<redacted>");
}

#[test]
fn every_shipped_profile_passes_on_every_platform() {
    let mut profiles: Vec<_> =
        std::fs::read_dir(repo("profiles")).unwrap().map(|e| e.unwrap().path()).collect();
    profiles.push(repo("examples/team/alice.kdl"));
    profiles.push(repo("examples/team/base.kdl"));
    assert!(profiles.len() >= 8);
    let env = TestEnv::new();
    for p in &profiles {
        for (os, arch) in
            [("linux", "amd64"), ("linux", "arm64"), ("macos", "arm64"), ("macos", "amd64")]
        {
            let out = env.goenv(&[
                "--os",
                os,
                "--arch",
                arch,
                "--host",
                "alice-workstation",
                "check",
                p.to_str().unwrap(),
            ]);
            assert!(
                out.status.success(),
                "{} on {os}/{arch}: {}",
                p.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

// ---- Go values: every rule, at the value (or the entry) at fault --------------------------------

#[test]
fn go_values_go_rejects() {
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str)] = &[
        // (body after `version 1`, text the problem points at, code, words in message or help)
        ("go-env { GOPATH \"go\" }", "go\"", "goenv::value::gopath", "absolute"),
        ("go-env { GOPATH \"$HOME/go\" }", "$HOME", "goenv::value::gopath", "does not expand"),
        ("go-env { GOPATH \"~bob/go\" }", "~bob", "goenv::value::gopath", "not \"~user\""),
        ("go-env { GOPATH \"~/go:relative\" }", "~/go:relative", "goenv::value::gopath", "\"relative\" is relative"),
        ("go-env { GOBIN \"bin\" }", "bin\"", "goenv::value::gobin", "absolute"),
        ("go-env { GOMODCACHE \"mod\" }", "mod\"", "goenv::value::gomodcache", "absolute"),
        ("go-env { GOCACHE \"off\" }", "off", "goenv::value::gocache", "every build fail"),
        ("go-env { GOPROXY \"https://a.example.com,ftp://b.example.com,direct\" }", "ftp://b", "goenv::value::goproxy", "https, http and file"),
        ("go-env { GOPROXY \"https://a.example.com,,direct\" }", ",direct", "goenv::value::goproxy", "empty entry"),
        ("go-env { GOPROXY \"direct,https://a.example.com\" }", "https://a", "goenv::value::goproxy", "never used"),
        ("go-env { GOPROXY \"proxy\" }", "proxy\"", "goenv::value::goproxy", "missing scheme"),
        ("go-env { GOPROXY \"file://host/srv\" }", "file://host", "goenv::value::goproxy", "file:///host/srv"),
        ("go-env { GOSUMDB \"a b c\" }", "c\"", "goenv::value::gosumdb", "too many fields"),
        ("go-env { GOSUMDB \"sum.example.com\" }", "sum.example", "goenv::value::gosumdb", "verifier key"),
        ("go-env { GOTOOLCHAIN \"banana\" }", "banana", "goenv::value::gotoolchain", "invalid GOTOOLCHAIN"),
        ("go-env { GOTOOLCHAIN \"go1.22\" }", "go1.22\"", "goenv::value::gotoolchain", "go1.22.0"),
        ("go-env { GOTOOLCHAIN \"go1.22.3+new\" }", "go1.22.3+new", "goenv::value::gotoolchain", "+auto and +path"),
        ("go-env { GO111MODULE \"yes\" }", "yes", "goenv::value::go111module", "\"on\", \"off\", \"auto\""),
        ("go-env { CGO_ENABLED \"true\" }", "true", "goenv::value::cgo-enabled", "\"0\" and \"1\""),
        ("go-env { GOFLAGS \"-mod=mod v\" }", "v\"", "goenv::value::goflags", "non-flag"),
        ("go-env { GOFLAGS \"'-ldflags=-s\" }", "'-ldflags", "goenv::value::goflags", "unterminated"),
        ("go-env { GOFLAGS \"-a\\nb\" }", "\"-a", "goenv::value::control-char", "newline"),
        ("go-env { GOAMD64 \"v5\" }", "v5", "goenv::value::goamd64", "\"v4\""),
        ("go-env { GOARM64 \"v8.10\" }", "v8.10", "goenv::value::goarm64", "v9.5"),
        ("go-env { GOARM \"8\" }", "8\"", "goenv::value::goarm", "5, 6 or 7"),
        ("go-env { GO386 \"sse3\" }", "sse3", "goenv::value::go386", "sse2"),
        ("go-env { GOMIPS \"hard\" }", "hard", "goenv::value::gomips", "hardfloat"),
        ("go-env { GOPPC64 \"power7\" }", "power7", "goenv::value::goppc64", "power8"),
        ("go-env { GORISCV64 \"rva24u64\" }", "rva24u64", "goenv::value::goriscv64", "rva23u64"),
        ("go-env { GOWASM \"simd\" }", "simd", "goenv::value::gowasm", "satconv"),
        ("go-env { GOFIPS140 \"v2\" }", "v2", "goenv::value::gofips140", "v1.0.0"),
        ("go-env { GOOS \"macos\" }", "macos", "goenv::value::goos", "\"darwin\""),
        ("go-env { GOARCH \"x86_64\" }", "x86_64", "goenv::value::goarch", "\"amd64\""),
        ("go-env { GOVCS \"github.com:svnx\" }", "github.com:svnx", "goenv::value::govcs", "\"svn\""),
        ("go-env { GOPRIVATE \"git.corp.example.com/ *\" }", "git.corp", "goenv::value::goprivate", "whitespace"),
        ("go-env { GONOSUMDB \"a,,b\" }", ",b", "goenv::value::gonosumdb", "empty"),
        ("go-env { GOINSECURE \"[abc\" }", "[abc", "goenv::value::goinsecure", "malformed"),
        ("go-env { GOPROXYY \"direct\" }", "GOPROXYY", "goenv::value::unknown-go-env-key", "did you mean \"GOPROXY\"?"),
        ("go-env { GOENV \"/x\" }", "GOENV", "goenv::value::os-only-key", "`export`"),
        ("go-env { GODEBUG \"x=1\" }", "GODEBUG", "goenv::value::os-only-key", "`export`"),
        ("go-env { GOROOT \"/usr/local/go\" }", "GOROOT", "goenv::value::read-only-key", "`go` node"),
        ("go \"1.22.10\"\ngo-env { GOARM64 \"v8.0\" }", "GOARM64", "goenv::value::key-needs-newer-go", "Go 1.23"),
        ("go \"1.22.10\"\ngo-env { GOPATH \"~/sdk/go1.22.10\" }", "~/sdk/go1.22.10", "goenv::profile::gopath-is-goroot", "GOROOT"),
        ("go-env { GOPATH \"~/sdk/current\" }\ngo \"1.23.9\"", "~/sdk/current", "goenv::profile::gopath-is-goroot", "~/go"),
        ("export { GOMEMLIMIT \"512MB\" }", "512MB", "goenv::value::gomemlimit", "write \"512MiB\""),
        ("export { GOMEMLIMIT \"1.5GiB\" }", "1.5GiB", "goenv::value::gomemlimit", "1536MiB"),
        ("service \"api.service\" { GOMEMLIMIT \"4gb\" }", "4gb", "goenv::value::gomemlimit", "not a size"),
        ("export { GOGC \"fast\" }", "fast", "goenv::value::gogc", "100"),
        ("export { GOTRACEBACK \"verbose\" }", "verbose", "goenv::value::gotraceback", "crash"),
        ("export { GOMAXPROCS \"0\" }", "0\"", "goenv::value::gomaxprocs", "above 0"),
        ("export { GODEBUG \"gotypesalias=0\" }", "gotypesalias", "goenv::value::godebug", "Go 1.27"),
        ("export { GODEBUG \"http2client\" }", "http2client", "goenv::value::godebug", "no \"=\""),
        ("export { GOTOOLCHAIN \"banana\" }", "banana", "goenv::value::gotoolchain", "invalid GOTOOLCHAIN"),
        ("proxy { sumdb \"a b c\" }", "c\"", "goenv::value::gosumdb", "too many fields"),
        ("proxy { url \"https://goproxy.cn\" \"ftp://x\" }", "ftp://x", "goenv::value::goproxy", "https, http and file"),
        ("proxy { url \"direct\" \"https://goproxy.cn\" }", "https://goproxy.cn", "goenv::value::goproxy", "never used"),
        ("proxy { private \"a b\" }", "a b", "goenv::value::goprivate", "whitespace"),
    ];
    for (body, at, code, says) in cases {
        rejects(body, at, code, says);
    }
}

#[test]
fn go_values_go_accepts_are_accepted_and_shown_normalised() {
    let json = accepts(
        "go \"1.23.9\"\ngo-env {\n    GOPATH \"~/go:/opt/gopath\"\n    GOBIN \"~/go/bin\"\n    GOPROXY \"goproxy.cn,direct\"\n    GOSUMDB \"sum.golang.org https://sum.golang.google.cn\"\n    GOTOOLCHAIN \"go1.21.0-bigcorp+auto\"\n    GOFLAGS \"-mod=mod '-ldflags=-s -w'\"\n    GOARM64 \"v8.2,lse,crypto\"\n    GOPRIVATE \"git.corp.example.com/\"\n    GOVCS \"github.com:git,evil.com:off,*:git|hg\"\n    CGO_ENABLED \"0\"\n    GO111MODULE \"auto\"\n}",
    );
    let home =
        json["go_env_file"]["GOBIN"].as_str().unwrap().trim_end_matches("/go/bin").to_owned();
    assert_eq!(json["go_env_file"]["GOPATH"], format!("{home}/go:/opt/gopath"));
    assert_eq!(json["go_env_file"]["GOPROXY"], "https://goproxy.cn,direct");
    assert_eq!(json["go_env_file"]["GOTOOLCHAIN"], "go1.21.0-bigcorp+auto");
    for proxy in ["https://a.example.com|https://b.example.com,direct", "file:///srv/proxy", "off"]
    {
        let json = accepts(&format!("go-env {{ GOPROXY \"{proxy}\" }}"));
        assert_eq!(json["go_env_file"]["GOPROXY"], *proxy);
    }
    for sumdb in [
        "sum.golang.google.cn",
        "off",
        "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
    ] {
        accepts(&format!("go-env {{ GOSUMDB \"{sumdb}\" }}"));
    }
    for toolchain in ["auto", "local", "path", "go1.22.10", "go1.23rc1+path", "local+auto"] {
        accepts(&format!("go-env {{ GOTOOLCHAIN \"{toolchain}\" }}"));
    }
    for (key, value) in [
        ("GOMEMLIMIT", "0"),
        ("GOMEMLIMIT", "512MiB"),
        ("GOMEMLIMIT", "1073741824"),
        ("GOMEMLIMIT", "off"),
        ("GOGC", "-1"),
        ("GOGC", "off"),
        ("GOGC", "200"),
        ("GOTRACEBACK", "2"),
        ("GOTRACEBACK", "crash"),
        ("GOMAXPROCS", "8"),
        ("GODEBUG", "http2client=0,panicnil=1"),
        ("GOENV", "/etc/go.env"),
    ] {
        accepts(&format!("export {{ {key} \"{value}\" }}"));
    }
}

// ---- `~` in `export` (issue 16, item 7) --------------------------------------------------------

/// A Go path variable in `export` is expanded as in `go-env`: `~` and `~/…` (each GOPATH entry).
#[test]
fn go_path_variables_in_export_expand_the_home() {
    let env = TestEnv::new();
    let home = env.home().display().to_string();
    let text = "version 1\nexport {\n    GOMODCACHE \"~/go/pkg/mod\"\n    GOPATH \"~/go:~/other\"\n    \
                GOBIN \"~\"\n    GOCACHE \"~/.cache/go-build\"\n    GOROOT \"~/sdk/go1.22.10\"\n}\n";
    let (exit, json) = env.check_json(text, &[]);
    assert_eq!(exit, 0, "{json:#}");
    let export = &json["export"];
    assert_eq!(export["GOMODCACHE"], format!("{home}/go/pkg/mod"), "{json:#}");
    assert_eq!(export["GOPATH"], format!("{home}/go:{home}/other"), "{json:#}");
    assert_eq!(export["GOBIN"], home.as_str(), "{json:#}");
    assert_eq!(export["GOCACHE"], format!("{home}/.cache/go-build"), "{json:#}");
    assert_eq!(export["GOROOT"], format!("{home}/sdk/go1.22.10"), "{json:#}");
}

/// `~user` is never expanded, and the message says so instead of contradicting itself; in the
/// value of a variable that is not one of Go's paths, `~` is refused, saying why.
#[test]
fn tilde_goenv_does_not_expand_says_why() {
    rejects(
        "export {\n    GOMODCACHE \"~bob/go/pkg/mod\"\n}",
        "~bob",
        "goenv::value::gomodcache",
        "not \"~user\"",
    );
    rejects(
        "export {\n    EDITOR \"~/bin/vi\"\n}",
        "~/bin/vi",
        "goenv::value::unexpanded-tilde",
        "no shell expands",
    );
    rejects(
        "service \"api.service\" {\n    CONFIG \"~/api.toml\"\n}",
        "~/api.toml",
        "goenv::value::unexpanded-tilde",
        "systemd",
    );
}
