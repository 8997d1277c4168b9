//! No secret is ever shown (issue 16, item 1): a known secret is put on every line of every
//! shipped profile in turn, with errors provoked around it (a duplicate, an unterminated string,
//! a misspelt `secret`, a URL with credentials, KDL that does not parse), and every output
//! stream of `check` and `plan` is searched for it. Then, in profiles that are valid, the secret
//! goes through plan, apply, status, drift, rollback, show and gc, and stdout, stderr and every
//! file of the state directory that is not a content blob are searched too.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{TestEnv, repo};

/// The secret value and the password of a URL: neither, nor a part of them, may appear.
const TOKEN: &str = "SUPERSECRETTOKEN123";
const PASSWORD: &str = "hunter2PROXYPASS";
const NEEDLES: [&str; 4] = ["SUPERSECRET", "SECRETTOKEN", "hunter2", "PROXYPASS"];

/// Lines put into a profile at one place: the secret, and trouble around it.
fn provocations() -> Vec<Vec<String>> {
    let secret = format!("GITHUB_TOKEN \"{TOKEN}\" secret=#true");
    let url = format!("\"https://bob:{PASSWORD}@x.example.com\"");
    let lines = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        lines(&[&secret]),
        lines(&[&secret, &secret]),
        lines(&[&secret, "FOO \"unterminated"]),
        lines(&["FOO bar=", &secret]),
        lines(&[&format!("GITHUB_TOKEN \"{TOKEN}\" secrt=#true")]),
        lines(&[&format!("GITHUB_TOKEN #\"{TOKEN}\"# secret=#true }} {{")]),
        lines(&[&format!("GONOPROXY {url}")]),
        lines(&["export {", &secret, "GOGC \"abc\"", "}"]),
        lines(&["export {", &secret, &format!("GITHUB_TOKEN \"{TOKEN}\""), "}"]),
        lines(&["export {", &format!("GITHUB_TOKEN \"{TOKEN}\" secret=#true FOO=1"), "}"]),
        lines(&["go-env {", &format!("GONOPROXY {url}"), &format!("GONOSUMDB {url}"), "}"]),
        lines(&[
            "go-env {",
            &format!("GOPROXY \"https://bob:{PASSWORD}@p.example.com,direct\""),
            "GOFLAGS \"mod=x\"",
            "}",
        ]),
        lines(&[
            "proxy {",
            &format!("url \"https://bob:{PASSWORD}@p.example.com\" secret=#true"),
            "sumdb 1",
            "}",
        ]),
        lines(&[
            "go \"1.22.10\" {",
            &format!("mirror \"https://bob:{PASSWORD}@m.example.com/\""),
            "mirror \"x\"",
            "}",
        ]),
    ]
}

/// Every shipped profile, each with the files it includes.
fn shipped() -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo("profiles")).expect("profiles/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "kdl") {
            out.push((path, ""));
        }
    }
    out.sort();
    // alice.kdl includes base.kdl: a secret put into base.kdl is also read through alice.kdl.
    out.push((repo("examples/team/base.kdl"), "alice.kdl"));
    out.push((repo("examples/team/alice.kdl"), ""));
    out
}

fn leaked(text: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(text);
    NEEDLES.into_iter().find(|n| text.contains(n))
}

#[track_caller]
fn assert_hidden(out: &Output, what: &str) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if let Some(n) = leaked(bytes) {
            panic!(
                "`{n}` on {stream} of {what}:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// Every file below `dir` but content blobs, which hold what goenv writes (the secret is
/// exported by env.sh, so its blob must have it).
fn state_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries {
        let path = e.expect("entry").path();
        if path.file_name().is_some_and(|n| n == "blobs") {
            continue;
        }
        if path.is_dir() {
            state_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn a_secret_on_any_line_of_any_profile_is_never_shown() {
    // One thread per profile: each has its own home, and the runs are independent.
    let runs: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = shipped()
            .into_iter()
            .map(|(original, entry)| scope.spawn(move || fuzz_one(&original, entry)))
            .collect();
        threads.into_iter().map(|t| t.join().expect("no secret shown")).sum()
    });
    eprintln!("{runs} runs of goenv, none showed the secret");
    assert!(runs > 5000, "only {runs} runs");
}

/// Every provocation at every line of `original` (read through `entry` too, when it includes
/// `original`); returns how many times goenv ran.
fn fuzz_one(original: &Path, entry: &str) -> usize {
    let provocations = provocations();
    let mut runs = 0;
    let text = std::fs::read_to_string(original).expect("profile");
    let lines: Vec<&str> = text.lines().collect();
    let env = TestEnv::new();
    for sibling in std::fs::read_dir(original.parent().expect("dir")).expect("dir") {
        let p = sibling.expect("entry").path();
        std::fs::copy(&p, env.dir.path().join(p.file_name().expect("name"))).expect("copy");
    }
    let name = original.file_name().expect("name").to_string_lossy().into_owned();
    for at in 0..=lines.len() {
        for (k, lines_in) in provocations.iter().enumerate() {
            let mut mutated: Vec<String> = lines[..at].iter().map(|s| (*s).to_owned()).collect();
            mutated.extend(lines_in.iter().cloned());
            mutated.extend(lines[at..].iter().map(|s| (*s).to_owned()));
            env.write(&name, &(mutated.join("\n") + "\n"));
            let mut targets = vec![name.as_str()];
            if !entry.is_empty() {
                targets.push(entry);
            }
            for target in targets {
                let what = format!("{name} with provocation {k} at line {}", at + 1);
                let human = env.goenv(&["check", target]);
                assert_hidden(&human, &format!("`check` of {what}"));
                assert_hidden(
                    &env.goenv(&["check", "--format", "json", target]),
                    &format!("`check --format json` of {what}"),
                );
                runs += 2;
                // Plan fetches the download index for some valid profiles: only the ones
                // `check` refuses are planned here, offline.
                if human.status.code() == Some(1) {
                    for format in ["human", "json", "markdown"] {
                        assert_hidden(
                            &env.goenv(&["plan", "--format", format, target]),
                            &format!("`plan --format {format}` of {what}"),
                        );
                        runs += 1;
                    }
                }
            }
        }
    }
    runs
}

/// `text` without its top-level `go` and `service` nodes, `live=#true` and `install=`: what
/// plans and applies offline.
fn offline(text: &str) -> String {
    let mut out = String::new();
    let mut skipping = 0usize;
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let depth = code.matches('{').count() as isize - code.matches('}').count() as isize;
        let trimmed = line.trim_start();
        if skipping > 0 {
            skipping = (skipping as isize + depth).max(0) as usize;
            continue;
        }
        if line == trimmed && (trimmed.starts_with("go ") || trimmed.starts_with("service ")) {
            skipping = depth.max(0) as usize;
            continue;
        }
        let mut line = line.replace("live=#true", "");
        if let Some(i) = line.find(" install=\"") {
            let end = line[i + 11..].find('"').map_or(line.len(), |e| i + 12 + e);
            line.replace_range(i..end, "");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn a_secret_applied_rolled_back_and_drifted_is_never_shown_nor_kept_in_the_state() {
    let os = if cfg!(target_os = "macos") { "macos" } else { "linux" };
    let mut checked_files = 0;
    for (original, _) in shipped() {
        if original.ends_with("base.kdl") {
            continue;
        }
        let env = TestEnv::new();
        for sibling in std::fs::read_dir(original.parent().expect("dir")).expect("dir") {
            let p = sibling.expect("entry").path();
            let text = std::fs::read_to_string(&p).expect("profile");
            env.write(&p.file_name().expect("name").to_string_lossy(), &offline(&text));
        }
        let name = original.file_name().expect("name").to_string_lossy().into_owned();
        let mut text = std::fs::read_to_string(env.dir.path().join(&name)).expect("profile");
        text.push_str(&format!(
            "when os=\"{os}\" {{\n    export {{\n        GITHUB_TOKEN \"{TOKEN}\" secret=#true\n        \
             HTTPS_PROXY \"http://bob:{PASSWORD}@proxy.example.com:3128\"\n    }}\n    \
             vscode\n}}\n"
        ));
        env.write(&name, &text);
        std::fs::create_dir_all(env.home()).expect("home");
        let run = |args: &[&str]| {
            let out = env.goenv(args);
            assert_hidden(&out, &format!("`goenv {}` of {name}", args.join(" ")));
            out
        };
        // Findings are not what this test is about: only a failure may stop it.
        let applied = run(&["apply", "--yes", "--fail-on", "never", &name]);
        assert_eq!(
            applied.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&applied.stderr)
        );
        for format in ["human", "json", "markdown"] {
            run(&["plan", "--format", format, &name]);
        }
        // What every program would see: env.sh and the session file export the secret.
        for format in ["human", "json"] {
            run(&["doctor", "--profile", &name, "--format", format]);
            run(&["doctor", "--format", format, "-v"]);
        }
        // Drift in every file goenv wrote, then everything that shows it.
        let env_sh = env.home().join(".config/goenv/env.sh");
        let before = std::fs::read_to_string(&env_sh).expect("env.sh");
        assert!(before.contains(TOKEN), "env.sh exports the secret");
        std::fs::write(&env_sh, before.replace("export", "export  ")).expect("drift");
        for args in [
            vec!["status"],
            vec!["status", name.as_str()],
            vec!["show", "1"],
            vec!["generations"],
            vec!["rollback", "--yes"],
            vec!["rollback", "--yes"],
            vec!["show", "3"],
            vec!["rollback", "--to", "0", "--yes"],
            vec!["gc", "--keep", "1"],
            vec!["apply", "--yes", name.as_str()],
        ] {
            run(&args);
        }
        let mut files = Vec::new();
        state_files(&env.home().join(".local/state/goenv"), &mut files);
        assert!(!files.is_empty(), "{name}: no state files");
        for f in files {
            let bytes = std::fs::read(&f).expect("state file");
            if let Some(n) = leaked(&bytes) {
                panic!("`{n}` in `{}` after {name}", f.display());
            }
            checked_files += 1;
        }
    }
    assert!(checked_files > 10, "only {checked_files} state files read");
}
