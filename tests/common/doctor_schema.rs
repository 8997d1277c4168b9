//! The JSON Schema of `goenv doctor --format json` (`schemas/doctor.schema.json`): every test that
//! reads doctor's JSON validates it here first (through [`super::schemas`]).

use serde_json::Value;

use super::schemas;

const FILE: &str = "schemas/doctor.schema.json";

/// The schema, checked against the draft 2020-12 meta-schema and compiled.
pub fn validator() -> jsonschema::Validator {
    schemas::compile(FILE)
}

/// Every way `json` breaks the schema, one line each (empty when it conforms).
pub fn errors(validator: &jsonschema::Validator, json: &Value) -> Vec<String> {
    schemas::errors(validator, json)
}

/// Panics, showing every violation and the document, unless `json` conforms.
#[track_caller]
pub fn assert_valid(json: &Value) {
    assert_eq!(json["schema"], "goenv.doctor/1", "{json:#}");
    schemas::assert_valid(json);
}
