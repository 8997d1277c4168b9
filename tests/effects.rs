//! Effects against a real, throwaway `systemd --user` manager (`scripts/user-manager`):
//! `session live=#true` changes the manager's environment on apply, exactly as a fresh login
//! would see it (a second manager started on the same home is the oracle), a second apply does
//! nothing, rollback restores the manager's environment exactly, and without a manager the
//! effects are skipped with a finding while the files are still written.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use common::TestEnv;
use common::user_manager::UserManager;

const PROFILE: &str = r#"version 1
go-env {
    GOPATH "~/go"
}
export {
    GREETING "hello world"
    GOFLAGS "-mod=mod"
    QUOTED "it's \"quoted\" \\ here"
}
path "~/tools/bin"
session live=#true
"#;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// goenv on the test home, talking to the manager on `runtime_dir`.
fn goenv(env: &TestEnv, runtime_dir: &Path, args: &[&str]) -> Output {
    env.goenv_with(&[("XDG_RUNTIME_DIR", runtime_dir.as_os_str())], args)
}

#[track_caller]
fn ok(out: &Output, what: &str) {
    assert_eq!(out.status.code(), Some(0), "{what}:\n{}{}", text(&out.stdout), text(&out.stderr));
}

/// The manager's environment, as `show-environment` prints it (values still quoted), without
/// `DBUS_SESSION_BUS_ADDRESS`, which the manager adds by itself once its bus socket is up.
fn environment(m: &UserManager) -> BTreeMap<String, String> {
    m.systemctl_ok(&["show-environment"])
        .lines()
        .filter(|l| !l.starts_with("DBUS_SESSION_BUS_ADDRESS="))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn home_env() -> TestEnv {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    env.write("profile.kdl", PROFILE);
    env
}

#[test]
fn session_live_changes_the_manager_as_a_fresh_login_would_and_rollback_restores_it() {
    let env = home_env();
    let run = env.dir.path().join("run");
    let manager = UserManager::start(&env.home(), &run);
    // A value the profile replaces, and one it never touches.
    manager.systemctl_ok(&["set-environment", "GREETING=before goenv", "OTHER=kept"]);
    let before = environment(&manager);

    // Planning shows the effect and runs nothing.
    let plan = goenv(&env, &run, &["plan", "profile.kdl"]);
    ok(&plan, "plan");
    let stdout = text(&plan.stdout);
    assert!(stdout.contains("> effect:systemd-user/set-environment\n"), "{stdout}");
    let home = env.home().display().to_string();
    let line = format!(
        "\nrun systemctl --user set-environment PATH={home}/go/bin:{home}/tools/bin:$PATH \
         \"GREETING=hello world\" GOFLAGS=-mod=mod \"QUOTED=it's \\\"quoted\\\" \\\\ here\"\n"
    );
    assert!(stdout.contains(&line), "{line}\n{stdout}");
    assert!(stdout.contains("Plan: 5 to add, 0 to change, 0 to remove, 1 to run."), "{stdout}");
    assert_eq!(environment(&manager), before, "plan runs no process");

    let apply = goenv(&env, &run, &["apply", "--yes", "profile.kdl"]);
    ok(&apply, "apply");
    let stderr = text(&apply.stderr);
    assert!(
        stderr.contains("ran systemctl --user set-environment PATH GREETING GOFLAGS QUOTED"),
        "{stderr}"
    );
    let after = environment(&manager);
    assert_eq!(after["GREETING"], "$'hello world'");
    assert_eq!(after["GOFLAGS"], "-mod=mod");
    assert_eq!(after["QUOTED"], r#"$'it\'s "quoted" \\ here'"#);
    assert_eq!(after["OTHER"], "kept");
    assert_eq!(after["PATH"], format!("{home}/go/bin:{home}/tools/bin:{}", before["PATH"]));

    // The oracle: a fresh login on this home (a second manager, started now) sees the same
    // values for every variable the file sets.
    let fresh = UserManager::start(&env.home(), &env.dir.path().join("run2"));
    let login = environment(&fresh);
    drop(fresh);
    for key in ["PATH", "GREETING", "GOFLAGS", "QUOTED"] {
        assert_eq!(after.get(key), login.get(key), "{key}: the live manager and a fresh login");
    }

    // Idempotent: nothing to do, nothing run.
    let again = goenv(&env, &run, &["apply", "--yes", "profile.kdl"]);
    ok(&again, "apply again");
    assert!(text(&again.stderr).contains("No changes."), "{}", text(&again.stderr));
    assert!(!text(&again.stderr).contains("ran systemctl"), "{}", text(&again.stderr));
    assert_eq!(environment(&manager), after);

    // Rollback: exactly the environment before, GREETING's old value back, the rest unset.
    let rollback = goenv(&env, &run, &["rollback", "--yes"]);
    ok(&rollback, "rollback");
    let stderr = text(&rollback.stderr);
    assert!(stderr.contains("> effect:systemd-user/set-environment"), "{stderr}");
    assert_eq!(environment(&manager), before, "rollback restores the manager");
    assert!(!env.home().join(".config/environment.d/50-goenv.conf").exists());

    // Undoing the rollback sets the values again, as the apply did.
    let redo = goenv(&env, &run, &["rollback", "--yes"]);
    ok(&redo, "rollback of the rollback");
    assert_eq!(environment(&manager), after, "undoing the rollback");
    // And back to the start.
    let to0 = goenv(&env, &run, &["rollback", "--to", "0", "--yes"]);
    ok(&to0, "rollback --to 0");
    assert_eq!(environment(&manager), before, "rollback --to 0");
}

/// `rollback --format json` says which effects ran (with the real manager) and which were
/// skipped and why (without one), with nothing on stderr and no value in the document.
#[test]
fn rollback_json_says_which_effects_ran_and_which_were_skipped() {
    let env = home_env();
    let run = env.dir.path().join("run");
    let manager = UserManager::start(&env.home(), &run);
    let before = environment(&manager);
    ok(&goenv(&env, &run, &["apply", "--yes", "profile.kdl"]), "apply");
    let after = environment(&manager);
    let json = |run: &Path| {
        let out = goenv(&env, run, &["rollback", "--yes", "--format", "json"]);
        ok(&out, "rollback --format json");
        assert_eq!(text(&out.stderr), "", "the document says it all");
        let v = common::schemas::parse(&out.stdout);
        assert!(!v["effects"].to_string().contains("hello world"), "no value: {v:#}");
        v
    };

    let v = json(&run);
    assert_eq!(environment(&manager), before, "the rollback restored the manager");
    assert_eq!(
        v["effects"]["ran"],
        serde_json::json!([
            "systemctl --user set-environment PATH",
            "systemctl --user unset-environment GREETING GOFLAGS QUOTED"
        ]),
        "{v:#}"
    );
    assert_eq!(
        (&v["effects"]["skipped"], &v["effects"]["skipped_why"]),
        (&serde_json::json!([]), &serde_json::Value::Null)
    );
    assert_eq!(v["findings"], serde_json::json!([]));
    assert!(
        v["changes"].as_array().unwrap().iter().any(|c| c["action"] == "run"
            && c["resource"] == "effect:systemd-user/set-environment"),
        "{v:#}"
    );

    // Undo the rollback (the values come back), then roll back with no manager to reach.
    json(&run);
    assert_eq!(environment(&manager), after);
    let gone = env.dir.path().join("no-manager");
    std::fs::create_dir_all(&gone).unwrap();
    let v = json(&gone);
    assert_eq!(v["effects"]["ran"], serde_json::json!([]), "{v:#}");
    assert_eq!(v["effects"]["skipped"].as_array().unwrap().len(), 2, "{v:#}");
    let why = v["effects"]["skipped_why"].as_str().unwrap();
    assert!(why.contains("`systemctl --user show-environment` failed"), "{why}");
    assert_eq!(v["findings"][0]["code"], "goenv::finding::user-manager-unreachable", "{v:#}");
    assert_eq!(v["generation"], 4);
    assert!(!env.home().join(".config/environment.d/50-goenv.conf").exists(), "files written");
    assert_eq!(environment(&manager), after, "nothing ran");
}

/// `apply --format json` says the same of its own effects: what ran (names, never values), what
/// was skipped and why, with nothing on stderr.
#[test]
fn apply_json_says_which_effects_ran_and_which_were_skipped() {
    let env = home_env();
    let run = env.dir.path().join("run");
    let _manager = UserManager::start(&env.home(), &run);
    let json = |run: &Path| {
        let out = goenv(&env, run, &["apply", "--yes", "--format", "json", "profile.kdl"]);
        ok(&out, "apply --format json");
        assert_eq!(text(&out.stderr), "", "the document says it all");
        let v = common::schemas::parse(&out.stdout);
        assert!(!v["effects"].to_string().contains("hello world"), "no value: {v:#}");
        v
    };
    let v = json(&run);
    assert_eq!(
        v["effects"],
        serde_json::json!({
            "ran": ["systemctl --user set-environment PATH GREETING GOFLAGS QUOTED"],
            "skipped": [],
            "skipped_why": null,
        }),
        "{v:#}"
    );
    assert_eq!(v["warnings"], serde_json::json!([]));
    // Nothing to do: nothing ran.
    let v = json(&run);
    assert_eq!(v["generation"], serde_json::Value::Null, "{v:#}");
    assert_eq!(v["effects"]["ran"], serde_json::json!([]), "{v:#}");

    // A change with no manager to reach: the files are written, the effect skipped, and why.
    env.write("profile.kdl", &PROFILE.replace("hello world", "hello again"));
    let gone = env.dir.path().join("no-manager");
    std::fs::create_dir_all(&gone).unwrap();
    let v = json(&gone);
    assert_eq!(v["effects"]["ran"], serde_json::json!([]), "{v:#}");
    // Without the manager's environment to compare with, every variable is one to set.
    assert_eq!(
        v["effects"]["skipped"],
        serde_json::json!(["systemctl --user set-environment PATH GREETING GOFLAGS QUOTED"]),
        "{v:#}"
    );
    let why = v["effects"]["skipped_why"].as_str().unwrap();
    assert!(why.contains("`systemctl --user show-environment` failed"), "{why}");
    let codes: Vec<&str> =
        v["findings"].as_array().unwrap().iter().filter_map(|f| f["code"].as_str()).collect();
    assert!(codes.contains(&"goenv::finding::user-manager-unreachable"), "{v:#}");
    assert_eq!(v["generation"], 2);
}

/// `gc` folds old generations into its base, effects included: `rollback --to 0` afterwards still
/// gives the manager back the environment it had before goenv.
#[test]
fn rollback_to_0_after_gc_still_restores_the_managers_environment() {
    let env = home_env();
    let run = env.dir.path().join("run");
    let manager = UserManager::start(&env.home(), &run);
    manager.systemctl_ok(&["set-environment", "GREETING=before goenv"]);
    let before = environment(&manager);
    ok(&goenv(&env, &run, &["apply", "--yes", "profile.kdl"]), "apply");
    env.write("profile.kdl", &PROFILE.replace("hello world", "hello again"));
    ok(&goenv(&env, &run, &["apply", "--yes", "profile.kdl"]), "apply a change");
    assert_eq!(environment(&manager)["GREETING"], "$'hello again'");
    ok(&goenv(&env, &run, &["gc", "--keep", "1"]), "gc");
    assert!(!env.home().join(".local/state/goenv/generations/0001.toml").exists(), "folded");
    let to0 = goenv(&env, &run, &["rollback", "--to", "0", "--yes"]);
    ok(&to0, "rollback --to 0");
    assert_eq!(environment(&manager), before, "the generation gc folded is undone too");
}

#[test]
fn changing_the_profile_updates_and_unsets_what_changed() {
    let env = home_env();
    let run = env.dir.path().join("run");
    let manager = UserManager::start(&env.home(), &run);
    let before = environment(&manager);
    ok(&goenv(&env, &run, &["apply", "--yes", "profile.kdl"]), "apply");
    // Log in again: the values now come from systemd's generator reading goenv's file, which
    // `unset-environment` alone cannot take away.
    drop(manager);
    let manager = UserManager::start(&env.home(), &run);
    assert_eq!(environment(&manager)["GOFLAGS"], "-mod=mod");
    env.write(
        "profile.kdl",
        &PROFILE.replace("    GOFLAGS \"-mod=mod\"\n", "").replace("~/tools/bin", "~/bin"),
    );
    let out = goenv(&env, &run, &["apply", "--yes", "profile.kdl"]);
    ok(&out, "apply the changed profile");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("systemctl --user unset-environment GOFLAGS"), "{stderr}");
    let now = environment(&manager);
    let home = env.home().display().to_string();
    // goenv's old PATH entries are replaced, not stacked.
    assert_eq!(now["PATH"], format!("{home}/go/bin:{home}/bin:{}", before["PATH"]));
    assert!(!now.contains_key("GOFLAGS"), "{now:?}");
    let fresh = UserManager::start(&env.home(), &env.dir.path().join("run2"));
    let login = environment(&fresh);
    for key in ["PATH", "GREETING", "GOFLAGS", "QUOTED"] {
        assert_eq!(now.get(key), login.get(key), "{key}: the live manager and a fresh login");
    }
}

#[test]
fn without_a_user_manager_the_effects_are_skipped_and_the_files_written() {
    let env = home_env();
    // A runtime directory with no manager behind it (an ssh login without lingering).
    let run = env.dir.path().join("no-manager");
    std::fs::create_dir_all(&run).unwrap();
    let out = goenv(&env, &run, &["apply", "--yes", "profile.kdl"]);
    ok(&out, "apply without a manager");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning: no user manager to run the effects: `systemctl --user show-environment` failed"),
        "{stderr}"
    );
    assert!(stderr.contains("skipped systemctl --user set-environment PATH GREETING"), "{stderr}");
    let warning = stderr.lines().find(|l| l.starts_with("warning: no user manager")).unwrap();
    assert!(!warning.contains("hello world"), "no value in the message: {warning}");
    assert!(env.home().join(".config/environment.d/50-goenv.conf").is_file());
    let plan = goenv(&env, &run, &["plan", "--detailed-exitcode", "profile.kdl"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stdout));
    // Nothing ran, so the rollback has nothing to undo there.
    let rollback = goenv(&env, &run, &["rollback", "--yes"]);
    ok(&rollback, "rollback");
    assert!(!text(&rollback.stderr).contains("effect:"), "{}", text(&rollback.stderr));

    // A manager that runs for another home is not this home's: skipped too.
    let other = TestEnv::new();
    std::fs::create_dir_all(other.home()).unwrap();
    let orun = other.dir.path().join("run");
    let _manager = UserManager::start(&other.home(), &orun);
    let out = goenv(&env, &orun, &["apply", "--yes", "profile.kdl"]);
    ok(&out, "apply against another home's manager");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("runs for HOME="), "{stderr}");
    assert!(!environment(&_manager).contains_key("GREETING"));
}

// ---- services: daemon-reload and try-restart ---------------------------------------------

/// A real user service whose shell writes its environment to `<home>/NAME.env` at start.
fn write_service(home: &Path, name: &str, extra: &str) {
    let units = home.join(".config/systemd/user");
    std::fs::create_dir_all(&units).unwrap();
    let out = home.join(format!("{name}.env"));
    std::fs::write(
        units.join(format!("{name}.service")),
        format!(
            "[Service]\n{extra}ExecStart=/bin/sh -c 'env > {0}.tmp && mv {0}.tmp {0} && exec sleep 600'\n",
            out.display()
        ),
    )
    .unwrap();
}

/// The service's environment, once it has written it (NAME → value).
#[track_caller]
fn service_env(home: &Path, name: &str) -> BTreeMap<String, String> {
    let path = home.join(format!("{name}.env"));
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(60) {
        if let Ok(text) = std::fs::read_to_string(&path) {
            return text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{name} wrote no {} within 60 s", path.display());
}

#[test]
fn a_service_sees_the_new_values_after_apply_and_the_old_after_rollback() {
    let env = TestEnv::new();
    let home = env.home();
    write_service(&home, "api", "");
    write_service(&home, "worker", "");
    let run = env.dir.path().join("run");
    let manager = UserManager::start(&home, &run);
    manager.systemctl_ok(&["start", "api.service", "worker.service"]);
    let api_before = service_env(&home, "api");
    assert!(!api_before.contains_key("GOMEMLIMIT"));
    let worker_pid = manager.property("worker.service", "MainPID");

    env.write(
        "profile.kdl",
        "version 1\nservice \"api.service\" restart=#true {\n    GOMEMLIMIT \"300MiB\"\n    \
         GOGC \"50\"\n}\nservice \"worker.service\" {\n    GOGC \"200\"\n}\n",
    );
    let plan = goenv(&env, &run, &["plan", "profile.kdl"]);
    ok(&plan, "plan");
    let stdout = text(&plan.stdout);
    for line in [
        "> effect:systemd-user/daemon-reload\n",
        "> effect:systemd-user/try-restart/api.service\n",
        "run systemctl --user daemon-reload\n",
        "run systemctl --user try-restart api.service\n",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    assert!(!stdout.contains("worker.service\n"), "restart=#false: no restart: {stdout}");

    std::fs::remove_file(home.join("api.env")).unwrap();
    let apply = goenv(&env, &run, &["apply", "--yes", "profile.kdl"]);
    ok(&apply, "apply");
    // The test ran no systemctl: goenv reloaded the manager and restarted api.
    let api = service_env(&home, "api");
    assert_eq!(api.get("GOMEMLIMIT").map(String::as_str), Some("300MiB"));
    assert_eq!(api.get("GOGC").map(String::as_str), Some("50"));
    // worker was not restarted, but the manager knows its new environment.
    assert_eq!(manager.property("worker.service", "MainPID"), worker_pid);
    assert_eq!(manager.property("worker.service", "Environment"), "GOGC=200");

    // Applying again changes no drop-in: nothing runs.
    let again = goenv(&env, &run, &["apply", "--yes", "profile.kdl"]);
    ok(&again, "apply again");
    assert!(!text(&again.stderr).contains("ran "), "{}", text(&again.stderr));

    std::fs::remove_file(home.join("api.env")).unwrap();
    let rollback = goenv(&env, &run, &["rollback", "--yes"]);
    ok(&rollback, "rollback");
    let stderr = text(&rollback.stderr);
    assert!(
        stderr.contains(
            "ran systemctl --user daemon-reload, systemctl --user try-restart api.service"
        ),
        "{stderr}"
    );
    let api = service_env(&home, "api");
    assert!(!api.contains_key("GOMEMLIMIT"), "rolled back: {api:?}");
    assert_eq!(api.get("GOGC"), api_before.get("GOGC"));
    assert_eq!(manager.property("worker.service", "Environment"), "");
    assert!(!home.join(".config/systemd/user/api.service.d").exists());
}

/// `show N` lists what a generation ran after its files, as apply reported it, and the JSON
/// gives each effect's commands and their undo; a secret value is redacted in both.
#[test]
fn show_lists_the_effects_a_generation_ran_without_its_secrets() {
    const TOKEN: &str = "tok-effects-7731";
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    let run = env.dir.path().join("run");
    let manager = UserManager::start(&env.home(), &run);
    env.write(
        "profile.kdl",
        &format!(
            "version 1\nexport {{\n    GREETING \"hi\"\n    TOKEN \"{TOKEN}\" secret=#true\n}}\n\
             session live=#true\n"
        ),
    );
    ok(&goenv(&env, &run, &["apply", "--yes", "profile.kdl"]), "apply");
    assert_eq!(environment(&manager)["TOKEN"], TOKEN, "the manager has the real value");
    let show = goenv(&env, &run, &["show", "1"]);
    ok(&show, "show");
    let stdout = text(&show.stdout);
    assert!(
        stdout.contains(
            "\n> effect:systemd-user/set-environment\nran systemctl --user set-environment "
        ),
        "{stdout}"
    );
    assert!(stdout.contains("GREETING=hi TOKEN=<redacted>\n"), "{stdout}");
    let json = goenv(&env, &run, &["show", "1", "--format", "json"]);
    ok(&json, "show json");
    let v = common::schemas::parse(&json.stdout);
    let effects = v["effects"].as_array().unwrap();
    assert_eq!(effects.len(), 1, "{v}");
    assert_eq!(effects[0]["resource"], "effect:systemd-user/set-environment");
    let ran = effects[0]["ran"][0].as_str().unwrap();
    assert!(
        ran.starts_with("systemctl --user set-environment PATH=")
            && ran.ends_with("TOKEN=<redacted>"),
        "{ran}"
    );
    let undo = effects[0]["undo"][0].as_str().unwrap();
    assert!(undo.starts_with("systemctl --user "), "{undo}");
    for out in [&show, &json] {
        assert!(!text(&out.stdout).contains(TOKEN) && !text(&out.stderr).contains(TOKEN));
    }
}

#[test]
fn removing_a_service_node_reloads_the_manager_so_the_unit_no_longer_sees_goenvs_values() {
    let env = TestEnv::new();
    let home = env.home();
    write_service(&home, "worker", "");
    let run = env.dir.path().join("run");
    let manager = UserManager::start(&home, &run);
    env.write("with.kdl", "version 1\nservice \"worker.service\" {\n    GOGC \"200\"\n}\n");
    ok(&goenv(&env, &run, &["apply", "--yes", "with.kdl"]), "apply");
    assert_eq!(manager.property("worker.service", "Environment"), "GOGC=200");

    // The profile no longer lists the service: its drop-in goes, and the manager must hear of it.
    env.write("without.kdl", "version 1\n");
    let plan = goenv(&env, &run, &["plan", "without.kdl"]);
    ok(&plan, "plan");
    let stdout = text(&plan.stdout);
    for line in [
        "file:~/.config/systemd/user/worker.service.d/50-goenv.conf",
        "run systemctl --user daemon-reload\n",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    assert!(!stdout.contains("try-restart"), "no restart without the node: {stdout}");
    let apply = goenv(&env, &run, &["apply", "--yes", "without.kdl"]);
    ok(&apply, "apply without the node");
    assert!(
        text(&apply.stderr).contains("ran systemctl --user daemon-reload"),
        "{}",
        text(&apply.stderr)
    );
    assert!(!home.join(".config/systemd/user/worker.service.d").exists());
    assert_eq!(manager.property("worker.service", "Environment"), "");
    let show = text(&goenv(&env, &run, &["show", "2"]).stdout);
    assert!(
        show.contains(
            "\n> effect:systemd-user/daemon-reload\nran systemctl --user daemon-reload\n"
        ),
        "{show}"
    );
    // Nothing left to do: the next apply runs nothing.
    let again = goenv(&env, &run, &["apply", "--yes", "without.kdl"]);
    ok(&again, "apply again");
    assert!(!text(&again.stderr).contains("ran "), "{}", text(&again.stderr));
}

#[test]
fn a_failing_effect_puts_the_files_and_the_manager_back() {
    let env = TestEnv::new();
    let home = env.home();
    // A oneshot service that refuses to start with GOGC=13: try-restart waits for it and fails.
    let units = home.join(".config/systemd/user");
    std::fs::create_dir_all(&units).unwrap();
    std::fs::write(
        units.join("picky.service"),
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'test \"$GOGC\" != 13'\n",
    )
    .unwrap();
    let run = env.dir.path().join("run");
    let manager = UserManager::start(&home, &run);
    manager.systemctl_ok(&["start", "picky.service"]);
    env.write(
        "profile.kdl",
        "version 1\nexport {\n    GREETING \"hi\"\n}\nsession live=#true\n\
         service \"picky.service\" restart=#true {\n    GOGC \"13\"\n}\n",
    );
    let before = environment(&manager);
    let out = goenv(&env, &run, &["apply", "--yes", "profile.kdl"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let error = stderr.lines().find(|l| l.starts_with("error:")).expect("an error line");
    assert!(
        error.starts_with("error: `systemctl --user try-restart picky.service` failed (exit 1):"),
        "{error}"
    );
    assert!(
        error.ends_with(
            "(it had already run: systemctl --user set-environment PATH GREETING, systemctl \
             --user daemon-reload); goenv put every file back as it was and undid the effects \
             that had run; nothing was changed"
        ),
        "{error}"
    );
    assert!(
        stderr.contains(
            "hint: nothing is left changed; fix the cause (`systemctl --user status`) and run the \
             command again"
        ),
        "{stderr}"
    );
    // Everything as before: no drop-in, no environment.d file, the manager's environment and
    // the unit's, no generation.
    assert!(!units.join("picky.service.d").exists());
    assert!(!home.join(".config/environment.d/50-goenv.conf").exists());
    assert_eq!(environment(&manager), before);
    assert_eq!(manager.property("picky.service", "Environment"), "");
    assert!(!home.join(".local/state/goenv/journal.toml").exists());
    let gens = goenv(&env, &run, &["generations"]);
    ok(&gens, "generations");
    assert!(!text(&gens.stdout).contains("apply"), "{}", text(&gens.stdout));
}
