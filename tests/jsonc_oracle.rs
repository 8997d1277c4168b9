//! Oracle tests for `formats::jsonc`: realistic VS Code settings files, edited by goenv, then
//! read back by VS Code's own parser (npm `jsonc-parser`, through `tests/jsonc_oracle.js`). It
//! must see no error, the intended owned values and every other setting unchanged; the bytes
//! outside the edited member must be the original ones; and undoing an addition must give the
//! original bytes back.

mod jsonc_node;

use goenv::formats::jsonc::{
    self, ALTERNATE_TOOLS, DLV, Edit, GOROOT, JsoncErrorKind, TOOLS_MANAGEMENT_GO,
};
use jsonc_node::{
    Seen, indented_like_sibling, line_endings_kept, literal, only_members_differ, vscode,
};
use serde_json::{Map, Value, json};

const GO: &str = "/home/me/sdk/go1.25.5";
const TOOLS_GO: &str = "/home/me/sdk/go1.25.5/bin/go";
const DLV_PATH: &str = "/home/me/go/bin/dlv";
const ODD: &str = "C:\\Program Files\\Go \"new\"\n\tβ☃ /x";

/// Realistic settings files. Every one parses in VS Code without error.
const DOCS: &[(&str, &str)] = &[
    ("empty", ""),
    ("braces", "{}"),
    ("braces newline", "{}\n"),
    ("VS Code empty", "{\n}\n"),
    ("comment only", "// my settings\n"),
    (
        "typical",
        "{\n    \"editor.fontSize\": 14,\n    \"files.eol\": \"\\n\",\n    \"[go]\": {\n        \
         \"editor.formatOnSave\": true,\n        \"editor.codeActionsOnSave\": {\n            \
         \"source.organizeImports\": \"explicit\"\n        }\n    },\n    \"gopls\": {\n        \
         \"ui.semanticTokens\": true\n    }\n}\n",
    ),
    (
        "comments everywhere, CRLF, trailing commas",
        "// top comment\r\n/* block\r\n   over lines */\r\n{ // after brace\r\n    /* before key */ \
         \"editor.tabSize\" /* key-colon */ : /* colon-value */ 4 /* value-comma */, // eol\r\n    \
         \"go.lintTool\": \"staticcheck\", // trailing comma follows\r\n    \"arr\": [1, 2, /* in \
         array */ 3,],\r\n    // before the end\r\n} // after the end\r\n",
    ),
    ("tabs, no final newline", "{\n\t\"editor.insertSpaces\": false,\n\t\"x\": [\n\t\t1\n\t]\n}"),
    (
        "BOM and CRLF",
        "\u{feff}{\r\n  \"editor.rulers\": [80, 100],\r\n  \"files.encoding\": \"utf8\"\r\n}\r\n",
    ),
    (
        "other alternate tools",
        "{\n    \"go.alternateTools\": {\n        \"go\": \"/x/go\",\n        \"gopls\": \
         \"/home/me/go/bin/gopls\"\n    },\n    \"go.useLanguageServer\": true\n}\n",
    ),
    (
        "owned keys already set",
        "{\n    // the SDK\n    \"go.goroot\" /* k */ : \"/usr/lib/go\", // old\n    \
         \"go.toolsManagement.go\": \"/usr/bin/go\",\n    \"go.alternateTools\": { \"dlv\": \
         \"/old/dlv\", \"gopls\": \"/p\" },\n    \"z\": null\n}\n",
    ),
    ("one line", "{\"editor.tabSize\": 2, \"go.alternateTools\": {\"gopls\": \"/p\"}}"),
    ("one line, spaces, trailing comma", "{ \"a\": true, }"),
    (
        "unicode and escapes",
        "{\n    \"ключ.設定\": \"значение ☃\",\n    \"path\": \"C:\\\\Users\\\\me\",\n    \"q\": \
         \"say \\\"hi\\\" \\/ \\u00e9 \\ud83d\\ude00\",\n    \"a\\\"b\": -1.5e3,\n    \
         \"go\\u002elintFlags\": [\"--fast\"]\n}\n",
    ),
    (
        "alternate tools with comments, last, CRLF, no final newline",
        "{\r\n  \"editor.wordWrap\": \"on\",\r\n  \"go.alternateTools\": {\r\n    // use the \
         wrapper\r\n    \"go\": \"/x/go\", /* why */\r\n  }\r\n}",
    ),
    (
        "duplicate keys",
        "{\n    \"go.goroot\": \"/first\",\n    \"editor.fontSize\": 12,\n    \"go.goroot\": \
         \"/second\"\n}\n",
    ),
    (
        "two-space indent, block comment at the end",
        "{\n  \"a\": {\"b\": {\"c\": [true, false, null]}},\n  \"n\": 0.25\n  /* the end */\n}\n",
    ),
    (
        "only dlv in alternate tools",
        "{\n\t\"go.alternateTools\": {\n\t\t\"dlv\": \"/old/dlv\"\n\t},\n\t\"k\": \"v\"\n}\n",
    ),
    ("empty alternate tools", "{\n    \"go.alternateTools\": {},\n    \"k\": 1\n}\n"),
    (
        "commented-out owned key",
        "{\n    // \"go.goroot\": \"/old\",\n    \"editor.fontSize\": 14 // size\n}\n",
    ),
];

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

/// Every kind of edit goenv makes, alone and together.
fn scenarios() -> Vec<Vec<Edit>> {
    vec![
        vec![set_top(GOROOT, GO)],
        vec![set_top(TOOLS_MANAGEMENT_GO, TOOLS_GO)],
        vec![set_dlv(DLV_PATH)],
        vec![set_top(GOROOT, ODD)],
        vec![set_dlv(ODD)],
        vec![set_top(GOROOT, GO), set_top(TOOLS_MANAGEMENT_GO, TOOLS_GO), set_dlv(DLV_PATH)],
        vec![unset_top(GOROOT)],
        vec![unset_top(TOOLS_MANAGEMENT_GO)],
        vec![unset_dlv()],
        vec![unset_top(GOROOT), unset_top(TOOLS_MANAGEMENT_GO), unset_dlv()],
    ]
}

/// What VS Code should see after `edits`, computed on values.
fn model(before: &Value, edits: &[Edit]) -> Value {
    let mut object = before.as_object().cloned().unwrap_or_default();
    for edit in edits {
        match edit {
            Edit::SetTop { key, value: Some(v) } => {
                object.insert(key.clone(), json!(v));
            }
            Edit::SetTop { key, value: None } => {
                object.remove(key);
            }
            Edit::SetInObject { key, field, value } => {
                let mut inner = match object.get(key) {
                    Some(Value::Object(m)) => m.clone(),
                    _ => Map::new(),
                };
                match value {
                    Some(v) => inner.insert(field.clone(), json!(v)),
                    None => inner.remove(field),
                };
                object.insert(key.clone(), Value::Object(inner));
            }
        }
    }
    normalize(Value::Object(object))
}

/// An empty `go.alternateTools` means the same to VS Code as none.
fn normalize(mut value: Value) -> Value {
    if let Value::Object(m) = &mut value
        && m.get(ALTERNATE_TOOLS).is_some_and(|v| v.as_object().is_some_and(Map::is_empty))
    {
        m.remove(ALTERNATE_TOOLS);
    }
    value
}

fn apply(text: &[u8], edits: &[Edit]) -> Vec<u8> {
    jsonc::apply(text, edits).unwrap_or_else(|e| {
        panic!("{e} ({}) in {:?} with {edits:?}", e.hint(), String::from_utf8_lossy(text))
    })
}

fn dlv_prop(seen: &Seen) -> Option<&jsonc_node::Prop> {
    seen.last(ALTERNATE_TOOLS).and_then(|tools| tools.last(DLV))
}

/// The bytes around a single edit: a replacement changes only the value; an insertion or a
/// removal changes only the member, its comma and whitespace next to it.
fn check_bytes(
    name: &str,
    before: &[u8],
    seen_before: &Seen,
    edit: &Edit,
    after: &[u8],
    seen_after: &Seen,
) {
    let ctx = || {
        format!(
            "{name}: {edit:?}\nbefore: {:?}\nafter:  {:?}",
            String::from_utf8_lossy(before),
            String::from_utf8_lossy(after)
        )
    };
    line_endings_kept(before, after);
    if !seen_before.has_value {
        return; // a new document
    }
    let (old, new, value) = match edit {
        Edit::SetTop { key, value } => (seen_before.last(key), seen_after.last(key), value),
        Edit::SetInObject { value, .. } => (dlv_prop(seen_before), dlv_prop(seen_after), value),
    };
    match (old, value) {
        (Some(old), Some(v)) => {
            // Replaced in place: exactly the value's bytes.
            let current = &before[old.value.clone()];
            let want = if serde_json::from_slice::<Value>(current).ok() == Some(json!(v)) {
                before.to_vec()
            } else {
                [&before[..old.value.start], literal(v).as_bytes(), &before[old.value.end..]]
                    .concat()
            };
            assert_eq!(after, want, "{}", ctx());
        }
        (None, Some(_)) => {
            let span = match (edit, seen_before.last(ALTERNATE_TOOLS)) {
                (Edit::SetInObject { .. }, None) => {
                    seen_after.last(ALTERNATE_TOOLS).map(|p| p.span.clone())
                }
                _ => new.map(|p| p.span.clone()),
            };
            let span = span.unwrap_or_else(|| panic!("no new member: {}", ctx()));
            only_members_differ(before, after, &[span]);
            // The new member: dlv inside an existing go.alternateTools, else a top-level one.
            let (siblings, new_key) = match edit {
                Edit::SetInObject { key, field, .. } if seen_before.last(key).is_some() => {
                    (seen_after.last(key).map_or(&[][..], |t| &t.props[..]), field.as_str())
                }
                Edit::SetInObject { key, .. } | Edit::SetTop { key, .. } => {
                    (&seen_after.props[..], key.as_str())
                }
            };
            if let Some(new) = siblings.iter().rev().find(|p| p.key == new_key) {
                indented_like_sibling(after, siblings, new);
            }
        }
        (Some(_), None) => {
            let spans: Vec<_> = match edit {
                Edit::SetTop { key, .. } => {
                    seen_before.all(key).iter().map(|p| p.span.clone()).collect()
                }
                Edit::SetInObject { .. } if seen_after.last(ALTERNATE_TOOLS).is_none() => {
                    seen_before.all(ALTERNATE_TOOLS).iter().map(|p| p.span.clone()).collect()
                }
                Edit::SetInObject { .. } => seen_before
                    .last(ALTERNATE_TOOLS)
                    .map(|t| {
                        t.props.iter().filter(|p| p.key == DLV).map(|p| p.span.clone()).collect()
                    })
                    .unwrap_or_default(),
            };
            only_members_differ(after, before, &spans);
        }
        (None, None) => assert_eq!(after, before, "{}", ctx()),
    }
}

/// The edits that undo `edits` when none of their keys was there before.
fn undo(edits: &[Edit]) -> Vec<Edit> {
    edits
        .iter()
        .rev()
        .map(|edit| match edit {
            Edit::SetTop { key, .. } => unset_top(key),
            Edit::SetInObject { .. } => unset_dlv(),
        })
        .collect()
}

#[test]
fn vscode_reads_what_goenv_writes() {
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let mut cases = Vec::new();
    for &(name, doc) in DOCS {
        for edits in scenarios() {
            let after = apply(doc.as_bytes(), &edits);
            inputs.push(doc.as_bytes().to_vec());
            outputs.push(after);
            cases.push((name, doc, edits));
        }
    }
    let seen_in = vscode(&inputs);
    let seen_out = vscode(&outputs);
    let mut round_trips = 0;
    for (i, (name, doc, edits)) in cases.iter().enumerate() {
        let (before, after) = (&seen_in[i], &seen_out[i]);
        let shown = String::from_utf8_lossy(&outputs[i]);
        assert!(before.clean(), "{name}: fixture has errors {:?}", before.errors);
        assert!(after.clean(), "{name} {edits:?}: VS Code sees {:?} in {shown:?}", after.errors);
        let want = model(&before.value, edits);
        let got = if after.has_value { normalize(after.value.clone()) } else { json!({}) };
        assert_eq!(got, want, "{name} {edits:?}: VS Code reads {shown:?}");
        // goenv reads back what it wrote, as VS Code does.
        for edit in edits {
            let read = match edit {
                Edit::SetTop { key, .. } => jsonc::get_top(&outputs[i], key),
                Edit::SetInObject { key, field, .. } => {
                    jsonc::get_in_object(&outputs[i], key, field)
                }
            };
            let expected = match edit {
                Edit::SetTop { key, .. } => want.get(key).cloned(),
                Edit::SetInObject { key, field, .. } => {
                    want.get(key).and_then(|o| o.get(field)).cloned()
                }
            };
            assert_eq!(read.expect("goenv reads its output"), expected, "{name} {edit:?}");
        }
        if let [edit] = edits.as_slice() {
            check_bytes(name, doc.as_bytes(), before, edit, &outputs[i], after);
        }
        // Undo of an addition gives the original bytes back.
        let added_only = edits.iter().all(|e| match e {
            Edit::SetTop { key, value } => value.is_some() && before.last(key).is_none(),
            Edit::SetInObject { value, .. } => {
                value.is_some()
                    && dlv_prop(before).is_none()
                    && before.last(ALTERNATE_TOOLS).is_none_or(|t| !t.props.is_empty())
            }
        });
        if added_only && before.has_value {
            let undone = apply(&outputs[i], &undo(edits));
            assert_eq!(
                String::from_utf8_lossy(&undone),
                *doc,
                "{name}: undo of {edits:?} from {shown:?}"
            );
            round_trips += 1;
        }
    }
    assert!(round_trips >= 60, "only {round_trips} round trips checked");
}

#[test]
fn empty_alternate_tools_is_removed_with_its_last_field() {
    let doc = "{\n    \"go.alternateTools\": {},\n    \"k\": 1\n}\n";
    let added = apply(doc.as_bytes(), &[set_dlv(DLV_PATH)]);
    let undone = apply(&added, &[unset_dlv()]);
    assert_eq!(String::from_utf8_lossy(&undone), "{\n    \"k\": 1\n}\n");
    let seen = vscode(&[undone]);
    assert!(seen[0].errors.is_empty());
}

/// Rust refuses exactly what VS Code flags as an error, so goenv never edits a file that VS
/// Code reads differently.
#[test]
fn errors_agree_with_vscode() {
    let bad = [
        "{\"a\": 1 \"b\": 2}",
        "{'a': 1}",
        "{a: 1}",
        "{\"a\": 0x10}",
        "{\"a\": +1}",
        "{\"a\": .5}",
        "{\"a\": 1.}",
        "{\"a\": 01}",
        "{\"a\": NaN}",
        "{\"a\": 1,,}",
        "{,}",
        "{\"a\": [1,,2]}",
        "{\"a\": 1}}",
        "{\"a\": 1} x",
        "{} {}",
        "{\"a\": \"x\ty\"}",
        "{\"a\": \"\\x41\"}",
        "{\"a\": \"\\q\"}",
        "{\"a\":\u{a0}1}",
        "\u{b}{}",
        "{\"a\": 1 /* open",
        "{\"a\": \"open",
        "{\"a\": 1",
        "{\n  \"a\": tru\n}",
        "}",
    ];
    let texts: Vec<Vec<u8>> = bad.iter().map(|t| t.as_bytes().to_vec()).collect();
    for (text, seen) in bad.iter().zip(vscode(&texts)) {
        assert!(!seen.errors.is_empty(), "VS Code accepts {text:?}");
        let err = jsonc::apply(text.as_bytes(), &[set_top(GOROOT, GO)])
            .expect_err(&format!("goenv accepts {text:?}"));
        assert!(matches!(err.kind, JsoncErrorKind::Syntax(_)), "{text:?}: {err}");
        assert!(err.line >= 1 && err.column >= 1);
    }
    // Valid for VS Code, refused by goenv with a position: not an object where one must be.
    let not_objects = ["[]", "\"x\"", "null", "{\"go.alternateTools\": \"/x\"}"];
    let texts: Vec<Vec<u8>> = not_objects.iter().map(|t| t.as_bytes().to_vec()).collect();
    for (text, seen) in not_objects.iter().zip(vscode(&texts)) {
        assert!(seen.errors.is_empty(), "{text:?}");
        let err = jsonc::apply(text.as_bytes(), &[set_dlv(DLV_PATH)]).expect_err(text);
        assert!(
            matches!(err.kind, JsoncErrorKind::RootNotObject | JsoncErrorKind::NotAnObject { .. }),
            "{text:?}: {err}"
        );
    }
}

#[test]
fn script_reads_a_file_like_vscode() {
    let dir = std::env::temp_dir().join(format!("goenv-jsonc-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("settings.json");
    let written = apply("\u{feff}{\r\n}".as_bytes(), &[set_dlv(DLV_PATH)]);
    std::fs::write(&path, &written).expect("write");
    let seen = jsonc_node::vscode_file(&path);
    std::fs::remove_dir_all(&dir).expect("clean up");
    assert_eq!(seen["errors"], json!([]));
    assert_eq!(seen["value"], json!({ ALTERNATE_TOOLS: { DLV: DLV_PATH } }));
    assert!(written.starts_with("\u{feff}{\r\n".as_bytes()), "BOM and CRLF kept");
}
