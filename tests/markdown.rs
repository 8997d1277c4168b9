//! Markdown for a pull-request comment (issue 12, item 3), rendered by GitHub's own renderer,
//! `cmark-gfm`: every `<details>` balanced, every fence intact and every table well-formed even
//! when a diff holds backtick runs, `</details>` or a table's `|`; a diff too large is cut at a
//! line boundary with a note, never dropped; `--markdown-out FILE --split N` writes parts, each at
//! most N characters and valid on its own.

mod common;

use std::process::Output;

use common::TestEnv;
use common::markdown::assert_renders;
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn ok(out: Output) -> Output {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// Values and an existing `~/.bashrc` full of what breaks naive Markdown.
const HOSTILE: &str = r#"version 1
go-env {
    GOTOOLCHAIN "local"
    GOFLAGS "-ldflags=-X=main.v=```"
}
export {
    FENCE3 "```"
    FENCE4 "````diff"
    CLOSE "</details>"
    OPEN "<details><summary>x</summary>"
    PIPE "a|b||c"
    TILDE "~~~"
    MATH "$x$"
    STARS "**not bold**"
}
shells "bash"
"#;

const BASHRC: &str =
    "```\n</details>\n<details>\n| a | b |\n|---|---|\n~~~\n    ````\n<!-- x -->\n";

fn hostile() -> TestEnv {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(env.home().join(".bashrc"), BASHRC).unwrap();
    env.write("profile.kdl", HOSTILE);
    env
}

/// The plan's diffs, as `--format json` gives them.
fn json_diffs(env: &TestEnv, profile: &str) -> Vec<String> {
    let v: Value =
        common::schemas::parse(&env.goenv(&["plan", "--format", "json", profile]).stdout);
    v["changes"].as_array().unwrap().iter().map(|c| c["diff"].as_str().unwrap().into()).collect()
}

#[test]
fn backticks_and_html_in_a_diff_do_not_break_out() {
    let env = hostile();
    let out = ok(env.goenv(&["plan", "--format", "markdown", "profile.kdl"]));
    let md = text(&out.stdout);
    let r = assert_renders(&md);
    // Each diff is shown whole, exactly as goenv prints it.
    let mut want = json_diffs(&env, "profile.kdl");
    let mut got = r.diffs.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want, "the rendered code blocks are the diffs");
    assert!(got.iter().any(|d| d.contains("FENCE4='````diff'")), "{got:?}");
    assert!(got.iter().any(|d| d.contains("\n </details>\n")), "the .bashrc context: {got:?}");
    // The table: a row per change, three cells, the ids intact.
    assert_eq!(r.tables.len(), 1, "{}", r.html);
    assert_eq!(r.tables[0].len(), 1 + want.len());
    assert!(
        r.tables[0].iter().any(|row| row[1] == "<code>block:~/.bashrc</code>"),
        "{:?}",
        r.tables
    );
    let mut summaries = r.summaries.clone();
    summaries.sort();
    assert!(summaries.contains(&"file:~/.config/goenv/env.sh".to_owned()), "{summaries:?}");
    assert_eq!(summaries.len(), want.len());
}

/// A resource id with `|`, backticks and `</details>` in its path: the VS Code settings file,
/// whose path the profile chooses.
#[test]
fn a_path_with_pipes_backticks_and_html_stays_in_its_cell_and_summary() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    let dir = "we|ird`` </details> <b>dir";
    env.write(
        "profile.kdl",
        &format!("version 1\ngo-env {{\n    GOTOOLCHAIN \"local\"\n}}\nvscode \"~/{dir}/settings.json\"\n"),
    );
    let out = ok(env.goenv(&["plan", "--format", "markdown", "profile.kdl"]));
    let r = assert_renders(&text(&out.stdout));
    let id = format!("json:~/{dir}/settings.json");
    assert!(r.summaries.contains(&id), "{:?}", r.summaries);
    let row = r.tables[0]
        .iter()
        .find(|row| row[1].contains("settings.json"))
        .unwrap_or_else(|| panic!("{:?}", r.tables));
    assert_eq!(
        common::markdown::unescape(&row[1].replace("<code>", "").replace("</code>", "")),
        id,
        "the cell shows the id as it is"
    );
}

/// A profile whose env.sh diff is far longer than a comment: cut at a line boundary with a note
/// of how many lines were left out, the other diffs whole.
fn long_profile(keys: usize) -> String {
    let mut p = String::from("version 1\ngo-env {\n    GOTOOLCHAIN \"local\"\n}\nexport {\n");
    for i in 0..keys {
        p.push_str(&format!("    GOENV_TEST_{i:05} \"{}\"\n", "v".repeat(30)));
    }
    p.push_str("}\nshells \"bash\"\n");
    p
}

#[test]
fn a_diff_too_long_for_a_comment_is_cut_with_a_note() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    env.write("long.kdl", &long_profile(3000));
    let md = text(&ok(env.goenv(&["plan", "--format", "markdown", "long.kdl"])).stdout);
    assert!(md.encode_utf16().count() <= 65_000, "{} characters", md.len());
    let r = assert_renders(&md);
    let want = json_diffs(&env, "long.kdl");
    assert_eq!(r.diffs.len(), want.len(), "no diff is dropped");
    let long = want.iter().max_by_key(|d| d.len()).unwrap();
    let shown = r.diffs.iter().find(|d| d.contains("GOENV_TEST_00000")).unwrap();
    assert!(shown.len() < long.len() && long.starts_with(shown.as_str()), "cut, from the top");
    assert!(shown.ends_with('\n'), "at a line boundary");
    let left = long.lines().count() - shown.lines().count();
    assert!(
        md.contains(&format!("{left} of the diff's {} lines are not shown", long.lines().count())),
        "the note says how many lines were left out ({left})"
    );
    // The short diffs are whole.
    for d in want.iter().filter(|d| *d != long) {
        assert!(r.diffs.contains(d), "{d}");
    }
}

#[test]
fn split_parts_are_each_valid_and_under_the_limit() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(env.home().join(".bashrc"), BASHRC).unwrap();
    let mut profile = long_profile(400);
    profile =
        profile.replace("export {\n", "export {\n    FENCE \"`````\"\n    CLOSE \"</details>\"\n");
    env.write("long.kdl", &profile);
    let out = ok(env.goenv(&[
        "plan",
        "--format",
        "markdown",
        "--markdown-out",
        "comment",
        "--split",
        "4000",
        "long.kdl",
    ]));
    let listed: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert!(listed.len() >= 2, "{listed:?}");
    let want = json_diffs(&env, "long.kdl");
    let mut seen = Vec::new();
    for (i, file) in listed.iter().enumerate() {
        assert_eq!(*file, format!("comment.{}.md", i + 1));
        let part = std::fs::read_to_string(env.dir.path().join(file)).unwrap();
        assert!(part.encode_utf16().count() <= 4000, "{file}: {} characters", part.len());
        assert!(
            part.starts_with(&format!("### goenv plan (part {} of {})\n", i + 1, listed.len())),
            "{file}: {part}"
        );
        let r = assert_renders(&part);
        seen.extend(r.summaries);
    }
    assert_eq!(seen.len(), want.len(), "every diff is in one part: {seen:?}");
    let parts: String =
        listed.iter().map(|f| std::fs::read_to_string(env.dir.path().join(f)).unwrap()).collect();
    assert!(parts.contains("lines are not shown"), "the env.sh diff is cut to fit a part");
    // Without --split: one part of at most 65,000 characters.
    let out = ok(env.goenv(&["plan", "--format", "markdown", "--markdown-out", "one", "long.kdl"]));
    assert_eq!(text(&out.stdout), "one.1.md\n");
    let one = std::fs::read_to_string(env.dir.path().join("one.1.md")).unwrap();
    assert!(one.starts_with("### goenv plan\n"), "{one}");
    assert_renders(&one);
}

#[test]
fn markdown_out_flags_are_checked() {
    let env = hostile();
    for args in [
        &["plan", "--split", "5000", "profile.kdl"][..],
        &["plan", "--format", "markdown", "--markdown-out", "c", "--split", "10", "profile.kdl"],
        &["plan", "--markdown-out", "c", "profile.kdl"],
        &["plan", "--format", "json", "--markdown-out", "c", "profile.kdl"],
    ] {
        let out = env.goenv(args);
        assert_eq!(out.status.code(), Some(1), "goenv {args:?}: {}", text(&out.stderr));
    }
    assert!(!env.dir.path().join("c.1.md").exists(), "nothing written");
}

/// An empty plan and a plan with findings only.
#[test]
fn plans_without_changes_render_too() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    env.write("profile.kdl", "version 1\nexport {\n    GOGC \"-1\"\n}\nshells \"bash\"\n");
    ok(env.goenv(&["apply", "--yes", "--fail-on", "never", "profile.kdl"]));
    let out = env.goenv(&["plan", "--format", "markdown", "profile.kdl"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    assert!(md.contains("No changes") && md.contains("#### Findings"), "{md}");
    let r = assert_renders(&md);
    assert!(r.html.contains("<li><strong>Error</strong>"), "{}", r.html);
}
