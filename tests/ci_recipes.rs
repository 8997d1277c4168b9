//! The CI recipes in `examples/ci/` (issue 12, item 6): the GitHub Actions workflow and the
//! GitLab CI job share one shell step, between `# --- goenv plan: begin ---` and `# --- goenv
//! plan: end ---`, which plans the change against the base branch's profile and writes the
//! comment's parts. The tests run that step, as the recipes give it, in a temporary git
//! repository with two commits; only the posting (which needs GitHub or GitLab) is left out.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::TestEnv;

const RECIPES: [&str; 2] = ["examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml"];

/// The shared step of `recipe`, dedented.
fn step(recipe: &str) -> String {
    let text = std::fs::read_to_string(common::repo(recipe)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let begin = lines
        .iter()
        .position(|l| l.trim() == "# --- goenv plan: begin ---")
        .unwrap_or_else(|| panic!("{recipe}: no begin marker"));
    let end = lines
        .iter()
        .position(|l| l.trim() == "# --- goenv plan: end ---")
        .unwrap_or_else(|| panic!("{recipe}: no end marker"));
    let indent = lines[begin].len() - lines[begin].trim_start().len();
    lines[begin..=end]
        .iter()
        .map(|l| if l.len() >= indent { &l[indent..] } else { l.trim_start() })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn both_recipes_run_the_same_step_and_it_is_valid_sh() {
    let [github, gitlab] = RECIPES.map(step);
    assert_eq!(github, gitlab, "the two recipes' plan steps differ");
    for shell in ["bash", "dash"] {
        let out = Command::new(shell).arg("-n").arg("-c").arg(&github).output().unwrap();
        assert!(out.status.success(), "{shell} -n: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(github.contains("--against") && github.contains("--markdown-out"), "{github}");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs the step in `repo` with `base` as the base commit.
fn run_step(env: &TestEnv, repo: &Path, base: &str) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("goenv");
    let path = format!("{}:/usr/bin:/bin", bin.parent().unwrap().display());
    Command::new("bash")
        .arg("-e")
        .arg("-c")
        .arg(step(RECIPES[0]))
        .current_dir(repo)
        .env_clear()
        .env("PATH", path)
        .env("HOME", env.home())
        .env("BASE_REF", base)
        .env("GOENV_PROFILE", "team/profile.kdl")
        .env("GOENV_PLATFORMS", "linux/amd64 macos/arm64")
        .output()
        .unwrap()
}

const OLD: &str = r#"version 1
include "base.kdl"
go-env {
    GOTOOLCHAIN "local"
}
shells "bash" "zsh"
"#;

const BASE: &str = r#"version 1
go-env {
    GOPROXY "https://proxy.golang.org,direct"
}
"#;

#[test]
fn the_step_plans_the_change_against_the_base_commit() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    let repo = env.dir.path().join("repo");
    std::fs::create_dir_all(repo.join("team")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("team/profile.kdl"), OLD).unwrap();
    std::fs::write(repo.join("team/base.kdl"), BASE).unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "old profile"]);
    let base = git(&repo, &["rev-parse", "HEAD"]);
    // The pull request: a new Go env key, and the included file changed too.
    std::fs::write(
        repo.join("team/profile.kdl"),
        OLD.replace("\"local\"", "\"local\"\n    GOFLAGS \"-mod=mod\""),
    )
    .unwrap();
    std::fs::write(
        repo.join("team/base.kdl"),
        BASE.replace("https://proxy.golang.org", "https://goproxy.io"),
    )
    .unwrap();
    git(&repo, &["commit", "-q", "-am", "new profile"]);

    let out = run_step(&env, &repo, &base);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let dir = repo.join(".goenv-plan");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read("status").trim(), "2", "changes pending: {stdout}");
    let count: usize = read("count").trim().parse().unwrap();
    assert_eq!(count, 1, "a small plan is one comment");
    let post = read("post.1.md");
    assert!(post.starts_with("<!-- goenv-plan:1 -->\n### goenv plan"), "{post}");
    for platform in ["linux/amd64", "macos/arm64"] {
        assert!(post.contains(platform), "a section for {platform}: {post}");
    }
    assert!(post.contains("GOFLAGS=-mod=mod") && post.contains("goproxy.io"), "{post}");
    // Against the old profile, only the Go env file changes: the shells are as they were.
    assert!(!post.contains("block:~/.bashrc"), "{post}");
    common::markdown::assert_renders(&post);
    assert_eq!(
        git(&repo, &["status", "--porcelain", "--untracked-files=no"]),
        "",
        "the checkout is untouched"
    );

    // The same pull request planned again: the parts are rewritten, not appended.
    let again = run_step(&env, &repo, &base);
    assert!(again.status.success());
    assert_eq!(read("post.1.md"), post);

    // A profile new in this pull request: planned against an empty one.
    std::fs::rename(repo.join("team"), repo.join("team2")).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "moved"]);
    let moved = git(&repo, &["rev-parse", "HEAD"]);
    std::fs::rename(repo.join("team2"), repo.join("team")).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "back"]);
    let out = run_step(&env, &repo, &moved);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(read("status").trim(), "2");
    // An empty profile already wires bash (goenv's default): the Go env file is what is new.
    let post = read("post.1.md");
    assert!(post.contains("| `+` | `file:~/.config/go/env` | Create |"), "{post}");
}

/// A profile that does not load: the step still writes a comment saying why, and records 1.
#[test]
fn a_broken_profile_gives_a_comment_that_says_why() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    let repo = env.dir.path().join("repo");
    std::fs::create_dir_all(repo.join("team")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("team/profile.kdl"), OLD).unwrap();
    std::fs::write(repo.join("team/base.kdl"), BASE).unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "old profile"]);
    let base = git(&repo, &["rev-parse", "HEAD"]);
    std::fs::write(
        repo.join("team/profile.kdl"),
        "version 1\nexport {\n    GOMEMLIMIT \"512MB\"\n}\n",
    )
    .unwrap();
    git(&repo, &["commit", "-q", "-am", "broken"]);
    let out = run_step(&env, &repo, &base);
    assert!(
        out.status.success(),
        "the step records the failure: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = repo.join(".goenv-plan");
    assert_eq!(std::fs::read_to_string(dir.join("status")).unwrap().trim(), "1");
    let post = std::fs::read_to_string(dir.join("post.1.md")).unwrap();
    assert!(post.contains("The plan failed") && post.contains("GOMEMLIMIT"), "{post}");
    assert!(post.contains("team/profile.kdl:3:"), "at its line: {post}");
}
