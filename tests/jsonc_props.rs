//! Property tests for `formats::jsonc` over generated settings files (comments in every slot,
//! CRLF, tabs, trailing commas, BOM, one-line objects, duplicates, `go.alternateTools` with
//! other tools): no panic, edits read back, adding then removing gives the original bytes,
//! and, on a sample, VS Code's own parser agrees (including on which broken files are errors).

mod jsonc_node;

use goenv::formats::jsonc::{
    self, ALTERNATE_TOOLS, DLV, Edit, GOROOT, JsoncErrorKind, TOOLS_MANAGEMENT_GO,
};
use jsonc_node::{line_endings_kept, vscode};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value, json};

// ---- generated documents ---------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Style {
    bom: bool,
    crlf: bool,
    indent: &'static str,
    trailing_comma: bool,
    final_newline: bool,
    one_line: bool,
    padded: bool,
    leading_comment: bool,
    end_comment: bool,
}

#[derive(Debug, Clone)]
enum Val {
    Raw(&'static str),
    Tools {
        entries: Vec<(&'static str, &'static str)>,
        one_line: bool,
        trailing: bool,
        comment: bool,
    },
}

#[derive(Debug, Clone)]
struct Member {
    key: &'static str,
    value: Val,
    /// Comments before the key, between key and colon, between colon and value, after it.
    comments: [bool; 4],
}

#[derive(Debug, Clone)]
struct Doc {
    style: Style,
    members: Vec<Member>,
}

const KEYS: &[&str] = &[
    "\"editor.fontSize\"",
    "\"files.eol\"",
    "\"[go]\"",
    "\"gopls\"",
    "\"go.lintTool\"",
    "\"ключ.設定\"",
    "\"a\\\"b\"",
    "\"\"",
    "\"go.goroot\"",
    "\"go.toolsManagement.go\"",
    "\"go\\u002egoroot\"",
];

const VALUES: &[&str] = &[
    "1",
    "-2.5e-3",
    "true",
    "false",
    "null",
    "\"plain\"",
    "\"C:\\\\Go\\\\bin\"",
    "\"é ☃ \\u00e9\"",
    "\"\\\"q\\\" \\/ \\t\"",
    "[]",
    "[1, \"a\", {\"b\": null},]",
    "{}",
    "{ \"editor.formatOnSave\": true }",
    "{\"x\": {\"y\": [0]}}",
];

const TOOLS: &[(&str, &str)] = &[
    ("\"go\"", "\"/x/go\""),
    ("\"gopls\"", "\"/home/me/go/bin/gopls\""),
    ("\"dlv\"", "\"/old/dlv\""),
    ("\"staticcheck\"", "\"/s\""),
];

fn style() -> impl Strategy<Value = Style> {
    (
        any::<[bool; 4]>(),
        prop::sample::select(vec!["    ", "  ", "\t", "\t\t"]),
        any::<[bool; 4]>(),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(a, indent, b, one_line)| Style {
            bom: a[0] && a[1],
            crlf: a[2],
            indent,
            trailing_comma: a[3],
            final_newline: b[0] || b[1],
            one_line,
            padded: b[2],
            leading_comment: b[3] && a[0],
            end_comment: b[3] && !a[0],
        })
}

fn member() -> impl Strategy<Value = Member> {
    let tools =
        (prop::collection::vec(prop::sample::select(TOOLS), 0..4), any::<[bool; 3]>()).prop_map(
            |(entries, f)| Val::Tools { entries, one_line: f[0], trailing: f[1], comment: f[2] },
        );
    let plain = (prop::sample::select(KEYS), prop::sample::select(VALUES))
        .prop_map(|(key, value)| (key, Val::Raw(value)));
    let alternate = tools.prop_map(|value| ("\"go.alternateTools\"", value));
    (
        prop_oneof![4 => plain, 1 => alternate],
        any::<[bool; 4]>().prop_map(|c| c.map(|x| x && rand_like(x))),
    )
        .prop_map(|((key, value), comments)| Member { key, value, comments })
}

/// Comments in about half of the slots a flag picks (keeps most documents readable).
fn rand_like(x: bool) -> bool {
    x
}

fn doc() -> impl Strategy<Value = Doc> {
    (style(), prop::collection::vec(member(), 0..7))
        .prop_map(|(style, members)| Doc { style, members })
}

impl Doc {
    fn eol(&self) -> &'static str {
        if self.style.crlf { "\r\n" } else { "\n" }
    }

    fn render_value(&self, value: &Val, indent: &str) -> String {
        let (entries, one_line, trailing, comment) = match value {
            Val::Raw(raw) => return (*raw).to_owned(),
            Val::Tools { entries, one_line, trailing, comment } => {
                (entries, one_line, trailing, comment)
            }
        };
        let eol = self.eol();
        if *one_line || self.style.one_line {
            let mut parts: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            if *comment {
                parts.push("/* tools */".to_owned());
            }
            let comma = if *trailing && !entries.is_empty() && !*comment { "," } else { "" };
            return format!("{{ {}{comma} }}", parts.join(", ").replace(", /*", " /*"));
        }
        let inner = format!("{indent}{}", self.style.indent);
        let mut out = format!("{{{eol}");
        if *comment {
            out += &format!("{inner}// tools{eol}");
        }
        for (i, (k, v)) in entries.iter().enumerate() {
            let comma = if i + 1 < entries.len() || *trailing { "," } else { "" };
            out += &format!("{inner}{k}: {v}{comma}{eol}");
        }
        out + indent + "}"
    }

    fn render(&self) -> String {
        let s = &self.style;
        let eol = self.eol();
        let mut out = String::new();
        if s.bom {
            out.push('\u{feff}');
        }
        if s.leading_comment {
            out += &format!("// settings{eol}/* more */ ");
        }
        let n = self.members.len();
        if s.one_line {
            let pad = if s.padded { " " } else { "" };
            let parts: Vec<String> = self
                .members
                .iter()
                .map(|m| {
                    let c = |i: usize, t: &'static str| if m.comments[i] { t } else { "" };
                    format!(
                        "{}{}{}: {}{}{}",
                        c(0, "/* c0 */ "),
                        m.key,
                        c(1, " /* c1 */"),
                        c(2, "/* c2 */ "),
                        self.render_value(&m.value, ""),
                        c(3, " /* c3 */")
                    )
                })
                .collect();
            let comma = if s.trailing_comma && n > 0 { "," } else { "" };
            out += &format!("{{{pad}{}{comma}{pad}}}", parts.join(", "));
        } else {
            out += &format!("{{{eol}");
            for (i, m) in self.members.iter().enumerate() {
                let c = |i: usize, t: &'static str| if m.comments[i] { t } else { "" };
                let comma = if i + 1 < n || s.trailing_comma { "," } else { "" };
                out += &format!(
                    "{}{}{}{}: {}{}{comma}{}{eol}",
                    s.indent,
                    c(0, "/* c0 */ "),
                    m.key,
                    c(1, " /* c1 */"),
                    c(2, "/* c2 */ "),
                    self.render_value(&m.value, s.indent),
                    c(3, " // c3")
                );
            }
            if s.end_comment {
                out += &format!("{}// end{eol}", s.indent);
            }
            out.push('}');
        }
        if s.final_newline {
            out += eol;
        }
        out
    }

    /// Whether goenv's undo of "add dlv" can give the exact bytes back: no go.alternateTools,
    /// or the last one has something in it (the documented exception is an empty one).
    fn dlv_round_trips(&self) -> bool {
        self.members.iter().rev().find(|m| m.key == "\"go.alternateTools\"").is_none_or(|m| {
            matches!(&m.value, Val::Tools { entries, comment, .. } if !entries.is_empty() || *comment)
        })
    }
}

// ---- edits -----------------------------------------------------------------------------------

const GO: &str = "/home/me/sdk/go1.25.5";
const TOOLS_GO: &str = "C:\\Go\\bin\\go.exe \"quoted\" é\n";
const DLV_PATH: &str = "/home/me/go/bin/dlv";

fn set_top(key: &str, value: &str) -> Edit {
    Edit::SetTop { key: key.to_owned(), value: Some(value.to_owned()) }
}

fn unset_top(key: &str) -> Edit {
    Edit::SetTop { key: key.to_owned(), value: None }
}

fn set_dlv(value: &str) -> Edit {
    Edit::SetInObject {
        key: ALTERNATE_TOOLS.to_owned(),
        field: DLV.to_owned(),
        value: Some(value.to_owned()),
    }
}

fn unset_dlv() -> Edit {
    Edit::SetInObject { key: ALTERNATE_TOOLS.to_owned(), field: DLV.to_owned(), value: None }
}

fn read(text: &[u8], edit: &Edit) -> Option<Value> {
    let got = match edit {
        Edit::SetTop { key, .. } => jsonc::get_top(text, key),
        Edit::SetInObject { key, field, .. } => jsonc::get_in_object(text, key, field),
    };
    got.unwrap_or_else(|e| panic!("{e} reading {:?}", String::from_utf8_lossy(text)))
}

fn undo_of(edit: &Edit) -> Edit {
    match edit {
        Edit::SetTop { key, .. } => unset_top(key),
        Edit::SetInObject { .. } => unset_dlv(),
    }
}

/// The three owned settings, each with the check that adding it can be undone exactly.
fn additions(doc: &Doc, text: &[u8]) -> Vec<(Edit, bool)> {
    [set_top(GOROOT, GO), set_top(TOOLS_MANAGEMENT_GO, TOOLS_GO), set_dlv(DLV_PATH)]
        .into_iter()
        .map(|edit| {
            let absent = read(text, &edit).is_none();
            let exact =
                absent && (!matches!(edit, Edit::SetInObject { .. }) || doc.dlv_round_trips());
            (edit, exact)
        })
        .collect()
}

fn check_doc(doc: &Doc) -> Result<(), TestCaseError> {
    let text = doc.render();
    let bytes = text.as_bytes();
    let ok = |edits: &[Edit], on: &[u8]| {
        jsonc::apply(on, edits).map_err(|e| {
            TestCaseError::fail(format!("{e} on {:?} with {edits:?}", String::from_utf8_lossy(on)))
        })
    };
    prop_assert_eq!(ok(&[], bytes)?, bytes);
    let mut undo_all = Vec::new();
    let mut all = Vec::new();
    let mut all_exact = true;
    for (edit, exact) in additions(doc, bytes) {
        let added = ok(std::slice::from_ref(&edit), bytes)?;
        let value = edit_value(&edit);
        prop_assert_eq!(read(&added, &edit), Some(json!(value)));
        line_endings_kept(bytes, &added);
        // Setting again changes nothing.
        prop_assert_eq!(&ok(std::slice::from_ref(&edit), &added)?, &added);
        let removed = ok(&[undo_of(&edit)], &added)?;
        prop_assert_eq!(read(&removed, &edit), None);
        if exact {
            prop_assert_eq!(String::from_utf8_lossy(&removed), text.as_str(), "undo of {:?}", edit);
        }
        // Removing from the original also works and leaves nothing behind.
        let gone = ok(&[undo_of(&edit)], bytes)?;
        prop_assert_eq!(read(&gone, &edit), None);
        all_exact &= exact;
        undo_all.insert(0, undo_of(&edit));
        all.push(edit);
    }
    let added = ok(&all, bytes)?;
    for edit in &all {
        prop_assert_eq!(read(&added, edit), Some(json!(edit_value(edit))));
    }
    if all_exact {
        let undone = ok(&undo_all, &added)?;
        prop_assert_eq!(String::from_utf8_lossy(&undone), text.as_str());
    }
    Ok(())
}

fn edit_value(edit: &Edit) -> &str {
    match edit {
        Edit::SetTop { value, .. } | Edit::SetInObject { value, .. } => {
            value.as_deref().unwrap_or("")
        }
    }
}

// ---- mutated (mostly broken) documents -------------------------------------------------------

/// A generated document with a few characters inserted, deleted or replaced.
fn mutated() -> impl Strategy<Value = String> {
    let op = (
        any::<prop::sample::Index>(),
        0..3u8,
        prop::sample::select(vec![
            "{", "}", "[", "]", ",", ":", "\"", "/", "*", "\n", "\r", " ", "\t", "\\", "a", "1",
            "-", ".", "e", "\u{a0}", "\u{b}", "é", "//", "/*", "*/", "\u{feff}",
        ]),
    );
    (doc(), prop::collection::vec(op, 1..4)).prop_map(|(doc, ops)| {
        let mut text: Vec<char> = doc.render().chars().collect();
        for (at, kind, piece) in ops {
            let i = at.index(text.len() + 1);
            match kind {
                0 => text.splice(i..i, piece.chars()).for_each(drop),
                1 if i < text.len() => drop(text.remove(i)),
                _ if i < text.len() => text.splice(i..=i, piece.chars()).for_each(drop),
                _ => {}
            }
        }
        text.into_iter().collect()
    })
}

fn check_no_panic(text: &[u8]) -> Result<(), TestCaseError> {
    let _ = jsonc::get_top(text, GOROOT);
    let _ = jsonc::get_in_object(text, ALTERNATE_TOOLS, DLV);
    let edits = [set_top(GOROOT, GO), set_dlv(DLV_PATH), unset_top(TOOLS_MANAGEMENT_GO)];
    if let Ok(out) = jsonc::apply(text, &edits) {
        // What goenv accepted, it can edit, and it reads back what it wrote.
        prop_assert_eq!(read(&out, &edits[0]), Some(json!(GO)));
        prop_assert_eq!(read(&out, &edits[1]), Some(json!(DLV_PATH)));
        prop_assert_eq!(read(&out, &edits[2]), None);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn generated_documents_round_trip(doc in doc()) {
        check_doc(&doc)?;
    }

    #[test]
    fn mutated_documents_never_panic(text in mutated()) {
        check_no_panic(text.as_bytes())?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        check_no_panic(&bytes)?;
    }
}

// ---- VS Code agrees, on a sample -------------------------------------------------------------

fn sample<T: std::fmt::Debug>(strategy: impl Strategy<Value = T>, n: usize) -> Vec<T> {
    let mut runner = TestRunner::deterministic();
    (0..n).map(|_| strategy.new_tree(&mut runner).expect("generate").current()).collect()
}

fn normalize(mut value: Value) -> Value {
    if let Value::Object(m) = &mut value
        && m.get(ALTERNATE_TOOLS).is_some_and(|v| v.as_object().is_some_and(Map::is_empty))
    {
        m.remove(ALTERNATE_TOOLS);
    }
    value
}

/// Generated documents, each with all three settings added; VS Code sees no error, the new
/// values, and every other setting as before.
#[test]
fn vscode_agrees_on_generated_documents() {
    let docs = sample(doc(), 400);
    let edits = [set_top(GOROOT, GO), set_top(TOOLS_MANAGEMENT_GO, TOOLS_GO), set_dlv(DLV_PATH)];
    let befores: Vec<Vec<u8>> = docs.iter().map(|d| d.render().into_bytes()).collect();
    let afters: Vec<Vec<u8>> = befores
        .iter()
        .map(|b| {
            jsonc::apply(b, &edits)
                .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(b)))
        })
        .collect();
    let removed: Vec<Vec<u8>> = befores
        .iter()
        .map(|b| {
            let undo = [unset_dlv(), unset_top(TOOLS_MANAGEMENT_GO), unset_top(GOROOT)];
            jsonc::apply(b, &undo).expect("removal applies")
        })
        .collect();
    let seen = vscode(&[befores.clone(), afters.clone(), removed.clone()].concat());
    let (seen_before, rest) = seen.split_at(docs.len());
    let (seen_after, seen_removed) = rest.split_at(docs.len());
    for i in 0..docs.len() {
        let shown = String::from_utf8_lossy(&afters[i]);
        assert!(
            seen_before[i].errors.is_empty(),
            "generator wrote an invalid file: {:?}",
            String::from_utf8_lossy(&befores[i])
        );
        assert!(
            seen_after[i].errors.is_empty(),
            "VS Code sees {:?} in {shown:?}",
            seen_after[i].errors
        );
        assert!(
            seen_removed[i].errors.is_empty(),
            "VS Code sees {:?} after removal",
            seen_removed[i].errors
        );
        let mut want = seen_before[i].value.as_object().cloned().expect("object");
        want.insert(GOROOT.to_owned(), json!(GO));
        want.insert(TOOLS_MANAGEMENT_GO.to_owned(), json!(TOOLS_GO));
        let mut tools = match want.get(ALTERNATE_TOOLS) {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        tools.insert(DLV.to_owned(), json!(DLV_PATH));
        want.insert(ALTERNATE_TOOLS.to_owned(), Value::Object(tools.clone()));
        assert_eq!(seen_after[i].value, Value::Object(want.clone()), "{shown:?}");
        want.remove(GOROOT);
        want.remove(TOOLS_MANAGEMENT_GO);
        tools.remove(DLV);
        let mut got = seen_removed[i].value.clone();
        if seen_before[i].all(ALTERNATE_TOOLS).len() > 1 {
            // When the last go.alternateTools goes away, an earlier duplicate takes effect
            // (VS Code's last one wins); what matters is that no dlv is left.
            assert!(got[ALTERNATE_TOOLS].get(DLV).is_none(), "dlv left in {got}");
            got.as_object_mut().expect("object").remove(ALTERNATE_TOOLS);
            want.remove(ALTERNATE_TOOLS);
        } else {
            want.insert(ALTERNATE_TOOLS.to_owned(), Value::Object(tools));
        }
        assert_eq!(normalize(got), normalize(Value::Object(want)));
    }
}

/// On broken files, goenv refuses exactly those VS Code reports errors for.
#[test]
fn vscode_agrees_on_which_files_are_broken() {
    let texts = sample(mutated(), 1500);
    let bytes: Vec<Vec<u8>> = texts.iter().map(|t| t.clone().into_bytes()).collect();
    let seen = vscode(&bytes);
    let (mut broken, mut fine) = (0, 0);
    for (text, seen) in texts.iter().zip(seen) {
        let vscode_ok = seen.clean();
        let goenv_ok = match jsonc::apply(text.as_bytes(), &[]) {
            Ok(_) => true,
            Err(e) => !matches!(e.kind, JsoncErrorKind::Syntax(_)),
        };
        assert_eq!(goenv_ok, vscode_ok, "{text:?}: VS Code errors {:?}", seen.errors);
        if vscode_ok { fine += 1 } else { broken += 1 }
    }
    assert!(broken > 300 && fine > 100, "sample too one-sided: {broken} broken, {fine} fine");
}
