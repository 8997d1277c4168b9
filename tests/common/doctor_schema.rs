//! The JSON Schema of `goenv doctor --format json` (`docs/doctor.schema.json`): every test that
//! reads doctor's JSON validates it here first.

use serde_json::Value;

use super::repo;

/// The schema, checked against the draft 2020-12 meta-schema and compiled.
pub fn validator() -> jsonschema::Validator {
    let path = repo("docs/doctor.schema.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    jsonschema::meta::validate(&schema)
        .unwrap_or_else(|e| panic!("{} is not a valid JSON Schema: {e}", path.display()));
    jsonschema::draft202012::new(&schema)
        .unwrap_or_else(|e| panic!("cannot compile {}: {e}", path.display()))
}

/// Every way `json` breaks the schema, one line each (empty when it conforms).
pub fn errors(validator: &jsonschema::Validator, json: &Value) -> Vec<String> {
    validator.iter_errors(json).map(|e| format!("at `{}`: {e}", e.instance_path())).collect()
}

/// Panics, showing every violation and the document, unless `json` conforms.
#[track_caller]
pub fn assert_valid(json: &Value) {
    let errors = errors(&validator(), json);
    assert!(
        errors.is_empty(),
        "doctor's JSON does not conform to docs/doctor.schema.json:\n{}\n{json:#}",
        errors.join("\n")
    );
}
