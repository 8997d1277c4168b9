//! The goenv.fleet Ansible collection (`ansible/ansible_collections/goenv/fleet`) run by the real
//! ansible-core that scripts/fixtures installs (pinned, `.fixtures/ansible/venv`), with the goenv
//! built here, from one controller against six inventory hosts (local connection, each its own
//! throwaway home through the host variable `goenv_home`, each its own copy of the binary):
//!
//! - `fleet_play`: the role installs the binary; check mode with `--diff` reports `changed` for
//!   every host, prints goenv's own diffs (byte for byte what `goenv plan --format json` says)
//!   and writes nothing (every home, every path, its bytes and mode); the real run applies, and
//!   the one host whose profile is invalid fails alone with goenv's message; a second run reports
//!   `changed=0` everywhere; `state: rolled_back` for one host (`--limit`) restores its home byte
//!   for byte and leaves the others alone; rollback in check mode shows goenv's rollback and
//!   writes nothing, and `generation: 0` on a host already there is `ok`. Every run is at `-vvv`
//!   and the secret (`secret=#true`) of the laptops' profile appears in none of them, though it
//!   is in the files goenv wrote.
//! - `sanity`: `ansible-test sanity` (its whole default set: compile, pep8, validate-modules,
//!   import, pylint, yamllint, ansible-doc, …) passes on the collection offline (in the virtual
//!   environments scripts/fixtures primed), and validate-modules fails on a copy whose
//!   documentation lacks an option's type; `ansible-galaxy collection build` packs the collection
//!   with its modules and role.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value;

/// In the laptops' profile as `secret=#true`: it must never appear in what Ansible prints.
const SECRET: &str = "tok-AnsibleFleet-93qz";

const HOSTS: [&str; 6] = ["h1", "h2", "h3", "h4", "h5", "bad"];
const FLEET: [&str; 5] = ["h1", "h2", "h3", "h4", "h5"];

/// The pinned controller scripts/fixtures installed; a missing one fails the test, never skips.
fn fixture() -> PathBuf {
    let dir = common::repo(".fixtures/ansible");
    let playbook = dir.join("venv/bin/ansible-playbook");
    assert!(
        playbook.is_file(),
        "{} is missing: run scripts/fixtures (it installs ansible-core from PyPI)",
        playbook.display()
    );
    dir.canonicalize().expect("canonical fixture path")
}

use common::Tree;

/// A tree without the profile the module wrote and goenv's own state (generations, blobs).
fn managed(mut t: Tree) -> Tree {
    t.retain(|p, _| {
        p != ".config/goenv"
            && p != ".config/goenv/profile.kdl"
            && p != ".local/state/goenv"
            && !p.starts_with(".local/state/goenv/")
    });
    t
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).expect("create parent");
    std::fs::write(path, text).expect("write");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let name = entry.file_name();
        if name == "__pycache__" || name == "output" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copy");
        }
    }
}

/// The laptops' profile, a template rendered on the controller with each host's variables.
const LAPTOP_TEMPLATE: &str = r#"version 1
// {{ inventory_hostname }}: a laptop of the team
go-env {
    GOPATH "~/go"
    GOTOOLCHAIN "local"
}
export {
    TEAM_TOKEN "{{ team_token }}" secret=#true
}
shells "bash"
"#;

/// The runners' profile, inline in their group_vars.
const RUNNER_PROFILE: &str = r#"version 1
go-env {
    GOPATH "~/go"
    GOFLAGS "-mod=readonly"
}
shells "bash"
"#;

/// A profile goenv refuses: an unknown node.
const BAD_PROFILE: &str = "version 1\nshells \"bash\"\ngo-envv {\n    GOPATH \"~/go\"\n}\n";

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// A controller: the inventory (groups laptops and runners under fleet, and broken),
/// group_vars, the playbook, and every homes under one temporary directory.
struct Controller {
    dir: tempfile::TempDir,
    venv: PathBuf,
}

impl Controller {
    fn new() -> Self {
        let venv = fixture().join("venv");
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = dir.path();
        let goenv = env!("CARGO_BIN_EXE_goenv");
        let mut hosts = String::new();
        for (group, members) in
            [("laptops", &["h1", "h2", "h3"][..]), ("runners", &["h4", "h5"]), ("broken", &["bad"])]
        {
            hosts.push_str(&format!("[{group}]\n"));
            for h in members {
                hosts.push_str(&format!(
                    "{h} goenv_home={root}/homes/{h} goenv_binary_dest={root}/bin/{h}/goenv\n",
                    root = root.display()
                ));
            }
            hosts.push('\n');
        }
        hosts.push_str("[fleet:children]\nlaptops\nrunners\n");
        write(&root.join("inventory/hosts.ini"), &hosts);
        write(
            &root.join("inventory/group_vars/all.yml"),
            &format!(
                "ansible_connection: local\nansible_python_interpreter: {}\ngoenv_binary_src: {goenv}\ngoenv_gather_facts: true\n",
                venv.join("bin/python").display()
            ),
        );
        write(
            &root.join("inventory/group_vars/laptops.yml"),
            &format!("goenv_profile_src: laptop.kdl.j2\nteam_token: {SECRET}\n"),
        );
        write(
            &root.join("inventory/group_vars/runners.yml"),
            &format!("goenv_profile_content: |\n{}", indent(RUNNER_PROFILE)),
        );
        write(
            &root.join("inventory/group_vars/broken.yml"),
            &format!("goenv_profile_content: |\n{}", indent(BAD_PROFILE)),
        );
        write(&root.join("templates/laptop.kdl.j2"), LAPTOP_TEMPLATE);
        write(
            &root.join("site.yml"),
            r#"- name: goenv on the fleet
  hosts: all
  gather_facts: false
  roles:
    - goenv.fleet.machine
  post_tasks:
    - name: The doctor's facts are this host's
      ansible.builtin.assert:
        that:
          - ansible_facts.goenv.schema == 'goenv.doctor/1'
          - ansible_facts.goenv.home == goenv_home
        quiet: true
      tags: [goenv_facts]
"#,
        );
        write(&root.join("ansible.cfg"), "[defaults]\n");
        // Each home as a user's: a .bashrc of their own (mode 0640), a .profile, XDG dirs.
        for h in HOSTS {
            let home = root.join("homes").join(h);
            write(&home.join(".bashrc"), &format!("# {h}'s own bashrc\nalias ll='ls -l'\n"));
            std::fs::set_permissions(home.join(".bashrc"), std::fs::Permissions::from_mode(0o640))
                .unwrap();
            write(&home.join(".profile"), "# ~/.profile\numask 022\n");
            std::fs::create_dir_all(home.join(".config")).unwrap();
            std::fs::create_dir_all(home.join(".local/state")).unwrap();
        }
        for d in ["controller", "local-tmp", "remote-tmp"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        Controller { dir, venv }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn home(&self, host: &str) -> PathBuf {
        self.root().join("homes").join(host)
    }

    fn homes(&self) -> BTreeMap<&'static str, Tree> {
        HOSTS.iter().map(|h| (*h, common::tree(&self.home(h), &[]))).collect()
    }

    /// `ansible-playbook -vvv` with everything Ansible reads or writes inside the temporary
    /// directory and the collection from this repository; no network is involved.
    fn play(&self, args: &[&str]) -> Run {
        let root = self.root();
        let started = Instant::now();
        let out = Command::new(self.venv.join("bin/ansible-playbook"))
            .current_dir(root)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", self.venv.join("bin").display()))
            .env("HOME", root.join("controller"))
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .env("ANSIBLE_CONFIG", root.join("ansible.cfg"))
            .env("ANSIBLE_HOME", root.join("controller/.ansible"))
            .env("ANSIBLE_COLLECTIONS_PATH", common::repo("ansible"))
            .env("ANSIBLE_COLLECTIONS_SCAN_SYS_PATH", "False")
            .env("ANSIBLE_LOCAL_TEMP", root.join("local-tmp"))
            .env("ANSIBLE_REMOTE_TEMP", root.join("remote-tmp"))
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_RETRY_FILES_ENABLED", "False")
            .env("ANSIBLE_FORKS", "6")
            // goenv runs in the module with this environment: no dpkg database of this machine.
            .env("TEST_GOENV_DPKG_INFO", root.join("no-dpkg"))
            .args(["-i", "inventory/hosts.ini", "site.yml", "-vvv"])
            .args(args)
            .output()
            .expect("ansible-playbook runs");
        let run = Run::new(out, args);
        eprintln!("ansible-playbook {}: {:.1} s", args.join(" "), started.elapsed().as_secs_f64());
        run
    }
}

/// One ansible-playbook run: its exit code, output, and each host's recap counts.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    recap: BTreeMap<String, BTreeMap<String, u32>>,
}

impl Run {
    fn new(out: Output, args: &[&str]) -> Run {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let mut recap = BTreeMap::new();
        if let Some((_, tail)) = stdout.rsplit_once("PLAY RECAP") {
            for line in tail.lines().skip(1) {
                let words: Vec<&str> = line.split_whitespace().collect();
                if words.len() < 3 || words[1] != ":" {
                    continue;
                }
                let counts = words[2..]
                    .iter()
                    .filter_map(|w| w.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.parse().unwrap_or(u32::MAX)))
                    .collect();
                recap.insert(words[0].to_owned(), counts);
            }
        }
        let run = Run { code: out.status.code().unwrap_or(-1), stdout, stderr, recap };
        // The secret is in the profile every laptop's play renders; never in what is printed.
        assert!(
            !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
            "the secret is printed by `ansible-playbook {}`:\n{}",
            args.join(" "),
            run.text()
        );
        run
    }

    fn text(&self) -> String {
        format!("exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }

    fn count(&self, host: &str, what: &str) -> u32 {
        let counts = self
            .recap
            .get(host)
            .unwrap_or_else(|| panic!("no recap line for {host}:\n{}", self.text()));
        counts[what]
    }

    /// `host` ran without failing and changed exactly `changed` tasks.
    fn assert_host(&self, host: &str, changed: u32) {
        assert_eq!(
            (
                self.count(host, "failed"),
                self.count(host, "unreachable"),
                self.count(host, "changed")
            ),
            (0, 0, changed),
            "{host}: failed, unreachable, changed\n{}",
            self.text()
        );
    }
}

/// The JSON result Ansible printed after `prefix` (at `-vvv`, the whole result, indented).
fn result_of(stdout: &str, prefix: &str) -> Value {
    let at = stdout.find(prefix).unwrap_or_else(|| panic!("no `{prefix}` in:\n{stdout}"));
    let mut values = serde_json::Deserializer::from_str(&stdout[at + prefix.len()..]).into_iter();
    values.next().expect("a result").expect("the result is JSON")
}

/// What goenv itself says: `goenv --home HOME plan --format json PROFILE`.
fn goenv_plan(home: &Path, profile: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_goenv"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .arg("--home")
        .arg(home)
        .args(["plan", "--format", "json"])
        .arg(profile)
        .output()
        .expect("goenv runs");
    common::schemas::parse(&out.stdout)
}

#[test]
fn fleet_play() {
    let started = Instant::now();
    let c = Controller::new();

    // The binary first (a fleet's machines have it before a PR check plans on them).
    let install = c.play(&["--tags", "goenv_binary"]);
    assert_eq!(install.code, 0, "{}", install.text());
    let built = std::fs::read(env!("CARGO_BIN_EXE_goenv")).unwrap();
    for h in HOSTS {
        install.assert_host(h, 2); // its directory, then the binary
        let copy = c.root().join("bin").join(h).join("goenv");
        assert!(std::fs::read(&copy).unwrap() == built, "{h}: the binary copied is goenv's");
        assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o755);
    }

    // Check mode with --diff: every host changed, goenv's diffs printed, nothing written.
    let fresh = c.homes();
    let check = c.play(&["--check", "--diff", "--limit", "fleet"]);
    assert_eq!(check.code, 0, "{}", check.text());
    for h in FLEET {
        check.assert_host(h, 1);
    }
    assert!(!check.recap.contains_key("bad"), "--limit fleet leaves bad out");
    assert_eq!(c.homes(), fresh, "check mode wrote nothing in any home");
    // The runners' diffs are exactly what goenv renders for them.
    let runner_profile = c.root().join("runner.kdl");
    write(&runner_profile, RUNNER_PROFILE);
    let runner_plan = goenv_plan(&c.home("h4"), &runner_profile);
    for h in ["h4", "h5"] {
        let plan = goenv_plan(&c.home(h), &runner_profile);
        let changes = plan["changes"].as_array().unwrap();
        assert!(changes.len() >= 3, "{plan:#}");
        for change in changes {
            let diff = change["diff"].as_str().unwrap();
            assert!(
                check.stdout.contains(diff),
                "{h}: goenv's diff {diff} not printed:\n{}",
                check.text()
            );
        }
    }
    assert_eq!(check.stdout.matches("+++ b/~/.config/go/env\n").count(), 5, "{}", check.text());
    // The laptops' secret is goenv's `<redacted>` in the diffs.
    assert_eq!(
        check.stdout.matches("+export TEAM_TOKEN=<redacted>\n").count(),
        3,
        "{}",
        check.text()
    );
    assert_eq!(
        check.stdout.matches("/.config/goenv/profile.kdl: written from profile_content (not shown: it may hold secrets)\n").count(),
        5,
        "{}",
        check.text()
    );

    // The real run: the fleet applies, the host with an invalid profile fails alone.
    let apply = c.play(&[]);
    assert_eq!(apply.code, 2, "a failed host makes ansible-playbook exit 2\n{}", apply.text());
    for h in FLEET {
        apply.assert_host(h, 1);
    }
    assert_eq!(apply.count("bad", "failed"), 1, "{}", apply.text());
    assert_eq!(apply.stdout.matches("fatal: [").count(), 1, "only bad fails\n{}", apply.text());
    // goenv's own message: what `goenv plan --format json` says about that profile.
    let bad_profile = c.root().join("bad.kdl");
    write(&bad_profile, BAD_PROFILE);
    let refused = goenv_plan(&c.home("bad"), &bad_profile);
    assert_eq!(refused["ok"], false, "{refused:#}");
    let message = refused["problems"][0]["message"].as_str().unwrap();
    assert!(message.contains("go-envv"), "{refused:#}");
    let failed = result_of(&apply.stdout, "fatal: [bad]: FAILED! => ");
    let msg = failed["msg"].as_str().unwrap();
    assert!(msg.starts_with("goenv apply failed: "), "{failed:#}");
    assert!(msg.contains(message), "goenv's message `{message}` in {msg}");
    assert!(msg.contains(".config/goenv/profile.kdl:3:1: "), "where: {msg}");
    assert_eq!(failed["problems"][0]["code"], refused["problems"][0]["code"], "{failed:#}");
    // The bad host: its profile written (mode 0600), nothing else changed.
    let bad_home = common::tree(&c.home("bad"), &[]);
    assert_eq!(bad_home[".config/goenv/profile.kdl"].1 & 0o777, 0o600);
    assert_eq!(bad_home[".config/goenv/profile.kdl"].2, BAD_PROFILE.as_bytes());
    assert_eq!(managed(bad_home), managed(fresh["bad"].clone()), "bad: nothing but its profile");
    // Applied: the laptops' secret is in the files goenv wrote (so the play did carry it).
    for h in ["h1", "h2", "h3"] {
        let env_sh = std::fs::read_to_string(c.home(h).join(".config/goenv/env.sh")).unwrap();
        assert!(env_sh.contains(&format!("export TEAM_TOKEN={SECRET}")), "{h}: {env_sh}");
        let profile = common::tree(&c.home(h), &[])[".config/goenv/profile.kdl"].clone();
        assert_eq!(profile.1 & 0o777, 0o600, "{h}: the profile is private");
        assert!(String::from_utf8(profile.2).unwrap().contains(&format!("// {h}: a laptop")));
    }
    let s = &runner_plan["summary"];
    let said = format!(
        "goenv apply: {} to add, {} to change, {} to remove",
        s["add"], s["change"], s["remove"]
    );
    assert!(apply.stdout.contains(&said), "{said}\n{}", apply.text());

    // A second run changes nothing on any host.
    let applied = c.homes();
    let again = c.play(&["--limit", "fleet"]);
    assert_eq!(again.code, 0, "{}", again.text());
    for h in FLEET {
        again.assert_host(h, 0);
    }
    assert_eq!(c.homes(), applied, "the second run wrote nothing");

    // Rollback for one host: h2's home is byte for byte what it was; the others are untouched.
    let rollback = c.play(&["--limit", "h2", "-e", "goenv_state=rolled_back"]);
    assert_eq!(rollback.code, 0, "{}", rollback.text());
    rollback.assert_host("h2", 1);
    assert_eq!(rollback.recap.len(), 1, "{}", rollback.text());
    assert!(
        rollback.stdout.contains("Rolled back (undo generation 1) as generation 2"),
        "{}",
        rollback.text()
    );
    // From goenv's `goenv.rollback/1` document, as the module returns it (`-vvv` prints it).
    for said in [
        r#""undoes": "generation""#,
        r#""rolled_back_from": 1"#,
        r#""restored": 0"#,
        r#""shown": "~/.config/go/env""#,
        r#""action": "removed""#,
    ] {
        assert!(rollback.stdout.contains(said), "{said}\n{}", rollback.text());
    }
    let now = c.homes();
    assert_eq!(
        managed(now["h2"].clone()),
        managed(fresh["h2"].clone()),
        "h2 rolled back byte for byte"
    );
    for h in HOSTS.iter().filter(|h| **h != "h2") {
        assert_eq!(now[h], applied[h], "{h} untouched by h2's rollback");
    }

    // Rollback in check mode: h3 shows goenv's rollback and stays; h2 is at generation 0 already.
    let preview = c.play(&[
        "--check",
        "--diff",
        "--limit",
        "h2,h3",
        "-e",
        "goenv_state=rolled_back",
        "-e",
        "goenv_generation=0",
    ]);
    assert_eq!(preview.code, 0, "{}", preview.text());
    preview.assert_host("h2", 0);
    preview.assert_host("h3", 1);
    assert!(preview.stdout.contains("Rollback: restore generation 0."), "{}", preview.text());
    assert!(preview.stdout.contains("-export TEAM_TOKEN=<redacted>\n"), "{}", preview.text());
    assert!(preview.stdout.contains(r#""undoes": "to""#), "{}", preview.text());
    let after = c.homes();
    for host in HOSTS {
        let (a, b) = (&after[host], &now[host]);
        let changed: Vec<&String> =
            a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).collect();
        assert!(changed.is_empty(), "rollback in check mode wrote {changed:?} on {host}");
    }
    eprintln!("fleet_play: {:.1} s", started.elapsed().as_secs_f64());
}

/// `ansible-test sanity` in a copy of the collection under `…/ansible_collections/goenv/fleet`
/// (ansible-test's layout; its results go to `tests/output` there, not into the repository),
/// with the sanity virtual environments scripts/fixtures made (HOME's `.ansible/test/venv`).
fn ansible_test(collection: &Path, tests: &[&str]) -> (i32, String) {
    let fixture = fixture();
    let dir = tempfile::tempdir().expect("temporary directory");
    let at = dir.path().join("ansible_collections/goenv/fleet");
    copy_dir(collection, &at);
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".ansible/test")).unwrap();
    std::os::unix::fs::symlink(
        fixture.join("home/.ansible/test/venv"),
        home.join(".ansible/test/venv"),
    )
    .unwrap();
    let mut cmd = Command::new(fixture.join("venv/bin/ansible-test"));
    cmd.current_dir(&at)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", fixture.join("venv/bin").display()))
        .env("HOME", &home)
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        // Offline: a proxy nobody listens on, should anything try to download.
        .env("http_proxy", "http://127.0.0.1:9")
        .env("https_proxy", "http://127.0.0.1:9")
        .args(["sanity", "--python", "3.11", "--color", "no"]);
    for t in tests {
        cmd.args(["--test", t]);
    }
    let out = cmd.output().expect("ansible-test runs");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn sanity() {
    let started = Instant::now();
    let collection = common::repo("ansible/ansible_collections/goenv/fleet");
    // Every test of ansible-test's default set (compile, pep8, validate-modules, import,
    // pylint, yamllint, ansible-doc, runtime-metadata, …).
    let (code, text) = ansible_test(&collection, &[]);
    assert_eq!(code, 0, "ansible-test sanity:\n{text}");
    for t in ["compile", "pep8", "validate-modules", "import", "pylint", "yamllint", "ansible-doc"]
    {
        let ran = [
            format!("Running sanity test \"{t}\""),
            format!("Running sanity test \"{t}\" on Python 3.11"),
        ];
        assert!(ran.iter().any(|r| text.contains(r.as_str())), "{t} ran:\n{text}");
    }
    assert!(!text.contains("Skipping"), "no test skipped:\n{text}");
    eprintln!("ansible-test sanity: {:.1} s", started.elapsed().as_secs_f64());

    // galaxy.yml is valid: the collection builds, with its modules, role and README.
    let out_dir = tempfile::tempdir().unwrap();
    let venv = fixture().join("venv");
    let built = Command::new(venv.join("bin/ansible-galaxy"))
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", venv.join("bin").display()))
        .env("HOME", out_dir.path())
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .args(["collection", "build", "--output-path"])
        .arg(out_dir.path())
        .arg(&collection)
        .output()
        .expect("ansible-galaxy runs");
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let tarball = out_dir.path().join("goenv-fleet-0.1.0.tar.gz");
    let listed = Command::new("tar").arg("tzf").arg(&tarball).output().expect("tar runs");
    let listed = String::from_utf8_lossy(&listed.stdout);
    // MANIFEST.json is what ansible-galaxy makes of galaxy.yml.
    for f in [
        "MANIFEST.json",
        "README.md",
        "meta/runtime.yml",
        "plugins/modules/goenv.py",
        "plugins/modules/goenv_facts.py",
        "plugins/module_utils/goenv.py",
        "roles/machine/tasks/main.yml",
        "roles/machine/meta/argument_specs.yml",
    ] {
        assert!(listed.lines().any(|l| l == f), "{f} in the built collection:\n{listed}");
    }

    // The same check fails on documentation that lacks an option's type.
    let broken = tempfile::tempdir().unwrap();
    copy_dir(&collection, broken.path());
    let module = broken.path().join("plugins/modules/goenv.py");
    let source = std::fs::read_to_string(&module).unwrap();
    let without = source.replacen("    type: int\n", "", 1);
    assert_ne!(without, source);
    std::fs::write(&module, without).unwrap();
    let (code, text) = ansible_test(broken.path(), &["validate-modules"]);
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("parameter-type-not-in-doc: Argument 'generation' in argument_spec defines type as 'int'"),
        "{text}"
    );
}
