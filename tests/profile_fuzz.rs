//! Property tests: whatever text arrives, the profile loader never panics, every problem it
//! reports points inside the file it names, and the report people read renders (miette panics
//! on a label beyond column 65,535; goenv cuts long lines first). Plus the shapes issue 17's
//! fuzzing found: very long lines, deep nesting (which overflowed the stack).

use std::path::Path;

use goenv::context::{Arch, Context, Os};
use goenv::profile::{self, Rejected};
use proptest::prelude::*;

fn ctx() -> Context {
    Context::hermetic("/home/u".into(), Os::Linux, Arch::Amd64, "box".into())
}

fn assert_sane(result: Result<profile::Profile, Rejected>) {
    if let Err(r) = result {
        sane(&r);
    }
}

/// Every problem points inside its file, and the whole report renders.
fn sane(r: &Rejected) {
    assert!(!r.problems.is_empty(), "a rejected profile names at least one problem");
    for p in &r.problems {
        let loc = p.loc.expect("problems in a readable file have a location");
        let file = r.sources.get(loc.file);
        assert!(loc.offset + loc.len <= file.text.len(), "{p:?} is outside the file");
        let (line, col) = file.line_col(loc.offset);
        assert!(line >= 1 && col >= 1);
        assert!(!p.message.is_empty());
    }
    let shown = goenv::cli::report::human(&r.sources, &r.problems, false);
    assert_eq!(shown.matches("  × ").count(), r.problems.len(), "every problem renders: {shown}");
}

fn load(text: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("profile.kdl");
    assert_sane(profile::load_str(&path, text, &ctx()));
}

const SHIPPED: &[&str] = &[
    include_str!("../profiles/default.kdl"),
    include_str!("../profiles/china.kdl"),
    include_str!("../profiles/corporate.kdl"),
    include_str!("../profiles/vscode-ubuntu.kdl"),
    include_str!("../profiles/macos-arm64.kdl"),
    include_str!("../profiles/service-runtime.kdl"),
];

/// Pieces that matter to the grammar and to the decoder, for mutations.
const PIECES: &[&str] = &[
    "{",
    "}",
    "\"",
    ";",
    "=",
    "#true",
    "true",
    "#null",
    "\\",
    "/-",
    "//",
    "/*",
    "*/",
    "\n",
    " ",
    "go",
    "go-env",
    "when",
    "include",
    "version",
    "1.22",
    "~",
    "$",
    "GOPROXY",
    "secret=#true",
    "é",
    "\u{0}",
    "#\"",
    "\"#",
    "r\"",
    "0x",
    "-",
    ",",
    "|",
    "off",
    "direct",
    "file://",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..20).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), 0..PIECES.len()).prop_map(|(a, p)| Mutation::Insert(a, p)),
        (any::<usize>(), 1usize..80).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
    ]
}

fn floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut s = text.to_owned();
    match *m {
        Mutation::Delete(at, n) => {
            let a = floor(&s, at % (s.len() + 1));
            let b = floor(&s, a + n);
            s.replace_range(a..b, "");
        }
        Mutation::Insert(at, p) => {
            let a = floor(&s, at % (s.len() + 1));
            s.insert_str(a, PIECES[p]);
        }
        Mutation::Duplicate(at, n) => {
            let a = floor(&s, at % (s.len() + 1));
            let b = floor(&s, a + n);
            let piece = s[a..b].to_owned();
            s.insert_str(b, &piece);
        }
    }
    s
}

/// Plausible profile lines, right and wrong.
fn line() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("\"1.22.10\"".to_owned()),
        Just("\"1.22\"".to_owned()),
        Just("\"system\"".to_owned()),
        Just("\"~/go\"".to_owned()),
        Just("\"512MB\"".to_owned()),
        Just("\"https://goproxy.cn,direct\"".to_owned()),
        Just("#true".to_owned()),
        Just("1.5".to_owned()),
        "\"[ -~]{0,12}\"".prop_map(|s| s.replace(['"', '\\'], "")),
    ];
    let name = prop_oneof![
        Just("go"),
        Just("go-env"),
        Just("proxy"),
        Just("export"),
        Just("path"),
        Just("shells"),
        Just("session"),
        Just("delve"),
        Just("vscode"),
        Just("service"),
        Just("when"),
        Just("include"),
        Just("version"),
        Just("keep"),
        Just("GOPROXY"),
        Just("GOMEMLIMIT"),
        Just("GOFLAGS"),
        Just("url"),
        Just("prnue"),
    ];
    let prop = prop_oneof![
        Just(""),
        Just(" secret=#true"),
        Just(" os=\"linux\""),
        Just(" live=#true"),
        Just(" require=\"present\""),
        Just(" arch=\"arm64\""),
        Just(" bogus=1"),
    ];
    (name, proptest::collection::vec(value, 0..3), prop, 0u8..3).prop_map(|(n, vs, p, block)| {
        let body = match block {
            0 => String::new(),
            1 => " { GOPATH \"~/go\"; keep \"1.21.13\" }".to_owned(),
            _ => " { go \"1.23.9\" }".to_owned(),
        };
        format!("{n} {}{p}{body}", vs.join(" "))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        load(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("profile.kdl");
        std::fs::write(&path, &bytes).expect("write");
        assert_sane(profile::load(&path, &ctx()));
    }

    #[test]
    fn mutated_shipped_profiles_never_panic(
        which in 0..SHIPPED.len(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let text = mutations.iter().fold(SHIPPED[which].to_owned(), |t, m| apply(&t, m));
        load(&text);
    }

    #[test]
    fn generated_profiles_never_panic(lines in proptest::collection::vec(line(), 0..12)) {
        load(&format!("version 1\n{}\n", lines.join("\n")));
    }
}

#[test]
fn shipped_profiles_are_valid_as_written() {
    for text in SHIPPED {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/x.kdl");
        if let Err(r) = profile::load_str(&path, text, &ctx()) {
            panic!("{:?}", r.problems);
        }
    }
}

/// Loads `text`, which must be rejected with `code`; the report renders, and its header names the
/// real line and column of the first problem. Returns the report.
#[track_caller]
fn rejected(text: &str, code: &str) -> String {
    let path = Path::new("/p/profile.kdl");
    let r = profile::load_str(path, text, &ctx()).expect_err("rejected");
    sane(&r);
    assert_eq!(r.problems[0].code, code, "{:?}", r.problems);
    let loc = r.problems[0].loc.expect("located");
    let (line, col) = r.sources.get(loc.file).line_col(loc.offset);
    let shown = goenv::cli::report::human(&r.sources, &r.problems, false);
    assert!(shown.contains(&format!("[/p/profile.kdl:{line}:{col}]")), "{shown}");
    shown
}

#[test]
fn a_label_beyond_column_65535_is_shown_cut_with_its_real_column() {
    let long = "x".repeat(70_000);
    let shown = rejected(
        &format!("version 1\nexport {{\n    A \"{long}\" bad=1\n}}\n"),
        "goenv::profile::unknown-property",
    );
    assert!(shown.contains("profile.kdl:3:70010]"), "{shown}");
    assert!(shown.lines().all(|l| l.chars().count() < 200), "{shown}");
    // The value itself is the label: underlined in part, never 70,000 characters wide.
    let shown = rejected(
        &format!("version 1\nexport {{\n    GOMEMLIMIT \"512MB{long}\"\n}}\n"),
        "goenv::value::gomemlimit",
    );
    assert!(shown.lines().all(|l| l.chars().count() < 200), "{shown}");
    // Multi-byte characters on a long line, and a long line that is not the label's.
    let wide = "é".repeat(40_000);
    let text = format!("version 1\n// {wide}\nexport {{\n    A \"{wide}\" nope=1\n}}\n");
    let shown = rejected(&text, "goenv::profile::unknown-property");
    assert!(shown.lines().all(|l| l.chars().count() < 200), "{shown}");
}

#[test]
fn deep_nesting_is_a_problem_not_a_stack_overflow() {
    for (open, close) in
        [("when os=\"linux\" {", "}"), ("foo {", "}"), ("/*", "*/"), ("export {", "}")]
    {
        for n in [33, 2_000, 5_000] {
            let text = format!("version 1\n{}\n{}\n", open.repeat(n), close.repeat(n));
            let shown = rejected(&text, "goenv::profile::too-deep");
            assert!(shown.contains("nested more than 32 deep"), "{shown}");
        }
    }
    // 32 levels are fine as far as nesting goes (the nodes themselves are then checked).
    let text = format!("version 1\n{}\n{}\n", "when os=\"linux\" {".repeat(32), "}".repeat(32));
    if let Err(r) = profile::load_str(Path::new("/p/profile.kdl"), &text, &ctx()) {
        assert!(
            r.problems.iter().all(|p| p.code != "goenv::profile::too-deep"),
            "{:?}",
            r.problems
        );
    }
    // Braces inside strings, raw strings and comments do not count.
    let braces = "{".repeat(100);
    let text = format!(
        "version 1\n// {braces}\n/* {braces} */\nexport {{\n    A \"{braces}\"\n    B #\"{braces}\"\\\"#\n    C \"\"\"\n    {braces}\n    \"\"\"\n}}\n"
    );
    if let Err(r) = profile::load_str(Path::new("/p/profile.kdl"), &text, &ctx()) {
        panic!("{:?}", r.problems);
    }
}

#[test]
fn many_problems_in_a_large_profile_are_reported_in_linear_time() {
    // 3,000 unknown nodes on one 20 KB line and on 3,000 lines: every one reported and rendered.
    for sep in [" ", "\n"] {
        let text = format!(
            "version 1\n{}\n",
            (0..3000).map(|i| format!("x{i};")).collect::<Vec<_>>().join(sep)
        );
        let r =
            profile::load_str(Path::new("/p/profile.kdl"), &text, &ctx()).expect_err("rejected");
        assert_eq!(r.problems.len(), 3000);
        let shown = goenv::cli::report::human(&r.sources, &r.problems, false);
        assert_eq!(shown.matches("unknown node").count(), 3000);
    }
}
