//! The JSON Schemas of goenv's documents (`schemas/<name>.schema.json`, draft 2020-12, one file
//! per document, `$id` ending in the file's name): every test that reads a JSON document from
//! goenv passes it through [`assert_valid`], which picks the schema by the document's `schema`
//! field (`goenv.plan/1` → `schemas/plan.schema.json`) and validates it with the real validator.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

/// A path in the repository (this file is also included alone, without `common`).
fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The schema file of a document's `schema` field: `goenv.NAME/1` → `schemas/NAME.schema.json`.
pub fn file_of(schema: &str) -> String {
    let name = schema
        .strip_prefix("goenv.")
        .and_then(|s| s.strip_suffix("/1"))
        .unwrap_or_else(|| panic!("`{schema}` is not a goenv document id (goenv.NAME/1)"));
    format!("schemas/{name}.schema.json")
}

/// The schema in `file`, checked against the draft 2020-12 meta-schema and compiled.
pub fn compile(file: &str) -> jsonschema::Validator {
    let path = repo(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    jsonschema::meta::validate(&schema)
        .unwrap_or_else(|e| panic!("{} is not a valid JSON Schema: {e}", path.display()));
    let name = file.rsplit('/').next().unwrap_or(file);
    let id = schema["$id"].as_str().unwrap_or_default();
    assert!(id.ends_with(&format!("/schemas/{name}")), "{file}: `$id` {id:?} does not name it");
    jsonschema::draft202012::new(&schema)
        .unwrap_or_else(|e| panic!("cannot compile {}: {e}", path.display()))
}

/// The compiled schema of `file`, compiled once per test process.
pub fn validator(file: &str) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(file) {
        return v.clone();
    }
    let v = Arc::new(compile(file));
    cache.lock().unwrap().insert(file.to_owned(), v.clone());
    v
}

/// Every way `json` breaks `validator`, one line each (empty when it conforms).
pub fn errors(validator: &jsonschema::Validator, json: &Value) -> Vec<String> {
    validator.iter_errors(json).map(|e| format!("at `{}`: {e}", e.instance_path())).collect()
}

/// Panics, showing every violation and the document, unless `json` conforms to the schema its
/// `schema` field names.
#[track_caller]
pub fn assert_valid(json: &Value) {
    let schema = json["schema"]
        .as_str()
        .unwrap_or_else(|| panic!("a goenv JSON document without `schema`:\n{json:#}"));
    let file = file_of(schema);
    let errors = errors(&validator(&file), json);
    assert!(
        errors.is_empty(),
        "a {schema} document does not conform to {file}:\n{}\n{json:#}",
        errors.join("\n")
    );
}

/// Parses goenv's stdout as one JSON document and validates it.
#[track_caller]
pub fn parse(stdout: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!("stdout is one JSON document ({e}):\n{}", String::from_utf8_lossy(stdout))
    });
    assert_valid(&v);
    v
}
