//! VS Code's JSONC parser (npm `jsonc-parser` 3.x, run by `node tests/jsonc_oracle.js`) as an
//! oracle, plus checks shared by the oracle and property tests. A missing `node` or package is a
//! panic that says how to install it, never a skipped test.

#![allow(dead_code)] // each test crate uses a different part

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The version the fixtures install (`npm install ... jsonc-parser@3.3.1`).
pub const PACKAGE_VERSION: &str = "3.3.1";
/// Where `scripts/fixtures` installs the package, relative to the crate root.
const PACKAGE_DIRS: [&str; 1] = [".fixtures/node/node_modules/jsonc-parser"];

/// What VS Code's parser makes of one text.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Error codes, e.g. "CommaExpected", with byte offsets.
    pub errors: Vec<(String, usize)>,
    pub has_value: bool,
    pub value: Value,
    pub props: Vec<Prop>,
    /// Length of the text in bytes.
    pub len: usize,
}

/// A member as VS Code's parse tree sees it; byte ranges into the text.
#[derive(Debug, Clone)]
pub struct Prop {
    pub key: String,
    pub span: Range<usize>,
    pub value: Range<usize>,
    /// Members of an object value.
    pub props: Vec<Prop>,
}

impl Seen {
    /// No error, except that a text with nothing but whitespace and comments is
    /// "ValueExpected" at its end to the bare parser, while the VS Code editor reads it as `{}`.
    /// (Garbage with no value in it is "ValueExpected" too, but where the garbage starts.)
    pub fn clean(&self) -> bool {
        match self.errors.as_slice() {
            [] => true,
            [(code, offset)] => !self.has_value && code == "ValueExpected" && *offset == self.len,
            _ => false,
        }
    }

    /// The last member named `key` (VS Code's last one wins).
    pub fn last(&self, key: &str) -> Option<&Prop> {
        self.props.iter().rev().find(|p| p.key == key)
    }

    pub fn all(&self, key: &str) -> Vec<&Prop> {
        self.props.iter().filter(|p| p.key == key).collect()
    }
}

impl Prop {
    pub fn last(&self, key: &str) -> Option<&Prop> {
        self.props.iter().rev().find(|p| p.key == key)
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[track_caller]
fn package_dir() -> PathBuf {
    for dir in PACKAGE_DIRS {
        let dir = root().join(dir);
        if dir.join("package.json").is_file() {
            return dir;
        }
    }
    panic!(
        "missing test fixture: npm package jsonc-parser {PACKAGE_VERSION} (VS Code's parser) in \
         {}. Install it: npm install --prefix .fixtures/node --no-save --no-package-lock \
         --no-audit --no-fund --ignore-scripts jsonc-parser@{PACKAGE_VERSION}",
        PACKAGE_DIRS.join(" or ")
    )
}

fn range(v: &Value, offset: &str, length: &str) -> Range<usize> {
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("oracle gave no {k}: {v}")) as usize;
    n(offset)..n(offset) + n(length)
}

fn props(v: &Value) -> Vec<Prop> {
    let Some(list) = v.as_array() else { return Vec::new() };
    list.iter()
        .map(|p| Prop {
            key: p["key"].as_str().unwrap_or_default().to_owned(),
            span: range(p, "offset", "length"),
            value: if p["valueOffset"].is_null() {
                0..0
            } else {
                range(p, "valueOffset", "valueLength")
            },
            props: props(&p["props"]),
        })
        .collect()
}

/// Runs VS Code's parser on every text (one `node` process for all of them).
#[track_caller]
pub fn vscode(texts: &[Vec<u8>]) -> Vec<Seen> {
    let strings: Vec<&str> =
        texts.iter().map(|t| std::str::from_utf8(t).expect("oracle input must be UTF-8")).collect();
    let input = serde_json::to_vec(&strings).expect("JSON array of strings");
    let script = root().join("tests/jsonc_oracle.js");
    let mut child = Command::new("node")
        .arg(&script)
        .arg("--batch")
        .env("JSONC_PARSER_MODULE", package_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("missing test fixture: cannot run `node` ({e}); install Node.js (apt-get install nodejs)")
        });
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("node runs");
    writer.join().expect("writer thread").expect("node reads its input");
    assert!(
        out.status.success(),
        "{} failed ({}): {}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("oracle prints JSON");
    assert_eq!(results.len(), texts.len(), "one oracle result per text");
    results
        .iter()
        .zip(texts)
        .map(|(r, text)| {
            assert_eq!(r["version"], PACKAGE_VERSION, "pinned jsonc-parser version");
            Seen {
                errors: r["errors"]
                    .as_array()
                    .expect("errors array")
                    .iter()
                    .map(|e| {
                        (
                            e["code"].as_str().unwrap_or("?").to_owned(),
                            range(e, "offset", "length").start,
                        )
                    })
                    .collect(),
                has_value: r["hasValue"].as_bool().expect("hasValue"),
                value: r["value"].clone(),
                props: props(&r["props"]),
                len: text.len(),
            }
        })
        .collect()
}

/// A JSON string literal, as goenv must write it.
pub fn literal(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// `shorter` is `longer` with the `spans` cut out and, around them, only whitespace and at most
/// one comma per span removed: every byte outside the edited members is kept, in order.
#[track_caller]
pub fn only_members_differ(shorter: &[u8], longer: &[u8], spans: &[Range<usize>]) {
    let mut spans = spans.to_vec();
    spans.sort_by_key(|s| s.start);
    let mut rest = Vec::new();
    let mut pos = 0;
    for span in &spans {
        rest.extend_from_slice(&longer[pos..span.start]);
        pos = span.end;
    }
    rest.extend_from_slice(&longer[pos..]);
    let (mut i, mut commas, mut skipped) = (0, 0, 0);
    for &b in &rest {
        if i < shorter.len() && shorter[i] == b {
            i += 1;
        } else {
            assert!(
                matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b','),
                "byte {:?} outside the edited member changed\nshorter: {:?}\nlonger:  {:?}",
                b as char,
                String::from_utf8_lossy(shorter),
                String::from_utf8_lossy(longer)
            );
            commas += usize::from(b == b',');
            skipped += 1;
        }
    }
    assert_eq!(i, shorter.len(), "bytes lost\nshorter: {shorter:?}\nlonger: {longer:?}");
    assert!(commas <= spans.len(), "more commas removed than members");
    assert!(skipped <= 64 * spans.len(), "too much whitespace changed");
}

/// VS Code's reading of a file on disk (for the single-file mode of the script).
pub fn vscode_file(path: &Path) -> Value {
    let out = Command::new("node")
        .arg(root().join("tests/jsonc_oracle.js"))
        .arg(path)
        .env("JSONC_PARSER_MODULE", package_dir())
        .output()
        .unwrap_or_else(|e| panic!("missing test fixture: cannot run `node` ({e})"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("oracle prints JSON")
}

/// A CRLF file stays CRLF: when every line ending of `before` is CRLF, so is every one of
/// `after`.
#[track_caller]
pub fn line_endings_kept(before: &[u8], after: &[u8]) {
    let all_crlf =
        |t: &[u8]| t.iter().enumerate().all(|(i, &b)| b != b'\n' || (i > 0 && t[i - 1] == b'\r'));
    let has_crlf = before.windows(2).any(|w| w == b"\r\n");
    if has_crlf && all_crlf(before) {
        assert!(
            all_crlf(after),
            "LF line ending added to a CRLF file: {:?}",
            String::from_utf8_lossy(after)
        );
    }
}

/// The spaces and tabs before `pos` when they are all that precede it on its line.
pub fn own_line_indent(text: &[u8], pos: usize) -> Option<&[u8]> {
    let start = text[..pos].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let indent = &text[start..pos];
    indent.iter().all(|&b| b == b' ' || b == b'\t').then_some(indent)
}

/// A member inserted on a line of its own is indented like the sibling before it (when that
/// one starts its line too).
#[track_caller]
pub fn indented_like_sibling(after: &[u8], siblings: &[Prop], new: &Prop) {
    let Some(index) = siblings.iter().position(|p| p.span == new.span) else { return };
    let Some(previous) = index.checked_sub(1).map(|i| &siblings[i]) else { return };
    if let (Some(mine), Some(theirs)) =
        (own_line_indent(after, new.span.start), own_line_indent(after, previous.span.start))
    {
        assert_eq!(
            String::from_utf8_lossy(mine),
            String::from_utf8_lossy(theirs),
            "indentation of the new member in {:?}",
            String::from_utf8_lossy(after)
        );
    }
}
