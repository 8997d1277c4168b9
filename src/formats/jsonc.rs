//! VS Code's `settings.json` (JSON with comments and trailing commas): read and edit the few
//! keys goenv owns (`go.goroot`, `go.toolsManagement.go`, and the `dlv` entry inside the
//! `go.alternateTools` object) and keep every other byte as it was: comments, trailing commas,
//! member order, indentation, CRLF line endings, a byte order mark, a missing final newline.
//! It must not reformat, reorder or normalise anything it does not own, and it must not guess
//! at a file it cannot parse exactly as VS Code does. Pure functions on bytes; no I/O.
//!
//! How it works: jsonc-parser's AST and token list give byte ranges; an edit is a few splices
//! at those ranges (the crate's CST editor reflows one-line objects and does not undo its own
//! insertions exactly, so it is not used). The text is parsed again after every edit.
//!
//! What VS Code accepts: comments, and trailing commas; nothing else from JSON5. So a file with
//! single quotes, unquoted keys, hex numbers, a missing comma, a raw control character inside a
//! string, or whitespace other than spaces, tabs and line breaks is an error here, as VS Code
//! flags it too. A byte order mark is kept and is invisible to positions (VS Code drops it when
//! it reads the file). Escapes for lone UTF-16 surrogates (`"\ud800"`) are rejected here
//! although VS Code reads them.
//!
//! Keys are literal strings: `"go.goroot"` is one key with a dot in it, not a path. Only
//! [`Edit::SetInObject`] looks one level down, into an object-valued top-level key.
//!
//! Duplicate keys: VS Code uses the last occurrence, so reads and replacements use the last
//! one and leave earlier ones alone. Removal removes every occurrence, so that the key is really
//! gone afterwards (otherwise an earlier duplicate would become the effective value).
//!
//! Layout of an inserted member:
//! - in an object whose closing `}` starts its own line: a new line just above that `}`, with
//!   the indentation of the object's last member (or the `}` line's indentation plus one
//!   indentation unit), and the document's line ending (CRLF if its first line ending is
//!   CRLF). A comma is added right after the previous member's value, unless the object
//!   already uses a trailing comma, in which case the new member gets one too;
//! - in an object written on one line (`{}`, `{ "a": 1 }`): on that line, `{"k": "v"}` or
//!   `{ "a": 1, "k": "v" }`;
//! - an empty or comment-only file gets `{`, line ending, `}`, line ending appended, and the
//!   members go in as above: `{\n    "go.goroot": "/usr/local/go"\n}\n`.
//!
//! The indentation unit is the top-level members' indentation (tabs or N spaces), 4 spaces
//! (as VS Code writes) when no member starts its own line. A new `go.alternateTools` object is
//! written over lines in a multi-line document and on one line (`{"dlv": "…"}`) in a one-line
//! document.
//!
//! Undo rule: removing a key goenv added gives back the original bytes. Removal takes out the
//! member and its own comma; when it was the last member without a trailing comma, the comma
//! before it goes instead. A member alone on its line(s) goes with its whole line(s); one that
//! shares a line loses the spaces after it (the first member of its object) or before it
//! (any other). Comments are never removed, except those inside the member itself (between its
//! key and its comma). When removing `dlv` leaves `go.alternateTools` with nothing but
//! whitespace inside, the whole `go.alternateTools` member is removed: an empty object means
//! the same to VS Code as no object, and goenv usually created it. The one case that does not
//! round-trip: a `go.alternateTools` that existed empty (`{}`) before goenv added `dlv` is gone
//! after the undo. An empty or comment-only file is not given back either: its undo leaves the
//! `{` `}` goenv appended.

use std::fmt;
use std::ops::Range;

use jsonc_parser::ast::{Object, ObjectProp, ObjectPropName, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::errors::ParseError;
use jsonc_parser::tokens::{Token, TokenAndRange};
use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions, parse_to_ast};

/// The GOROOT the Go extension uses (a string).
pub const GOROOT: &str = "go.goroot";
/// The Go binary used to install tools (a string).
pub const TOOLS_MANAGEMENT_GO: &str = "go.toolsManagement.go";
/// Object mapping a tool name to the binary to use instead.
pub const ALTERNATE_TOOLS: &str = "go.alternateTools";
/// The entry of [`ALTERNATE_TOOLS`] goenv owns.
pub const DLV: &str = "dlv";

const BOM: &str = "\u{feff}";
/// What VS Code writes when it creates `settings.json`.
const DEFAULT_INDENT: &str = "    ";

/// One change to a settings document. `value: None` removes the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Set or remove a top-level key (a literal string, dots and all) with a string value.
    SetTop { key: String, value: Option<String> },
    /// Set or remove `field` inside the object that top-level `key` holds, creating the object
    /// when it is missing; other fields in it are kept.
    SetInObject { key: String, field: String, value: Option<String> },
}

impl Edit {
    fn value(&self) -> Option<&str> {
        match self {
            Self::SetTop { value, .. } | Self::SetInObject { value, .. } => value.as_deref(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsoncErrorKind {
    /// The file is not UTF-8.
    NotUtf8,
    /// VS Code would report this as a syntax error; the message says what was wrong.
    Syntax(String),
    /// The top-level value is not an object.
    RootNotObject,
    /// The value of this top-level key is not an object.
    NotAnObject { key: String },
}

/// Why a settings document cannot be read or edited, and where (1-based line and column;
/// columns count characters; CRLF, LF and a lone CR each end a line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsoncError {
    pub line: usize,
    pub column: usize,
    pub kind: JsoncErrorKind,
}

impl JsoncError {
    /// A short suggestion for the user.
    pub fn hint(&self) -> &'static str {
        match self.kind {
            JsoncErrorKind::NotUtf8 => "save the file as UTF-8, VS Code's default encoding",
            JsoncErrorKind::Syntax(_) => {
                "fix the file in VS Code, which underlines the problem; goenv edits only files it \
                 can parse"
            }
            JsoncErrorKind::RootNotObject => {
                "VS Code settings are one object: { \"setting\": value, ... }"
            }
            JsoncErrorKind::NotAnObject { .. } => {
                "this setting must be an object, e.g. \"go.alternateTools\": { \"dlv\": \"/path/to/dlv\" }"
            }
        }
    }

    fn at(text: &str, offset: usize, kind: JsoncErrorKind) -> Self {
        let (line, column) = line_column(text, offset);
        Self { line, column, kind }
    }

    fn syntax(text: &str, offset: usize, message: impl Into<String>) -> Self {
        Self::at(text, offset, JsoncErrorKind::Syntax(message.into()))
    }
}

impl JsoncError {
    /// What is wrong, without the position (for messages that show it as `file:line:column`).
    pub fn message(&self) -> String {
        match &self.kind {
            JsoncErrorKind::NotUtf8 => "not valid UTF-8".to_owned(),
            JsoncErrorKind::Syntax(message) => message.clone(),
            JsoncErrorKind::RootNotObject => "the top-level value is not an object".to_owned(),
            JsoncErrorKind::NotAnObject { key } => format!("the value of `{key}` is not an object"),
        }
    }
}

impl fmt::Display for JsoncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message())
    }
}

impl std::error::Error for JsoncError {}

/// Applies `edits` in order and returns the new document. Empty input (or input with only
/// comments) gets a new object when an edit sets something; removing what is absent changes
/// nothing. Even with no edits, the input must parse.
pub fn apply(text: &[u8], edits: &[Edit]) -> Result<Vec<u8>, JsoncError> {
    let (bom, body) = decode(text)?;
    let mut body = body.to_owned();
    if parse(&body)?.is_none() && edits.iter().any(|edit| edit.value().is_some()) {
        append_empty_object(&mut body);
    }
    for edit in edits {
        body = apply_one(body, edit)?;
    }
    let mut out = Vec::with_capacity(bom.len() + body.len());
    out.extend_from_slice(bom.as_bytes());
    out.extend_from_slice(body.as_bytes());
    Ok(out)
}

/// The value of top-level `key` (its last occurrence), or None when it or the document is
/// absent.
pub fn get_top(text: &[u8], key: &str) -> Result<Option<serde_json::Value>, JsoncError> {
    let (_, body) = decode(text)?;
    let Some(doc) = parse(body)? else { return Ok(None) };
    match last_prop(&doc.root, key) {
        Some(prop) => to_serde(body, &prop.value).map(Some),
        None => Ok(None),
    }
}

/// The value of `field` inside the object of top-level `key` (last occurrences), or None when
/// either is absent. Errors when `key` holds something other than an object.
pub fn get_in_object(
    text: &[u8],
    key: &str,
    field: &str,
) -> Result<Option<serde_json::Value>, JsoncError> {
    let (_, body) = decode(text)?;
    let Some(doc) = parse(body)? else { return Ok(None) };
    let Some(prop) = last_prop(&doc.root, key) else { return Ok(None) };
    let object = object_value(body, prop, key)?;
    match last_prop(object, field) {
        Some(inner) => to_serde(body, &inner.value).map(Some),
        None => Ok(None),
    }
}

/// The 1-based line of the last top-level member `key`, or of `field` inside its object value
/// when `field` is given. None when absent or when the document cannot be read.
pub fn line_of(text: &[u8], key: &str, field: Option<&str>) -> Option<usize> {
    let (_, body) = decode(text).ok()?;
    let doc = parse(body).ok()??;
    let prop = last_prop(&doc.root, key)?;
    let start = match field {
        None => prop.range.start,
        Some(field) => match &prop.value {
            Value::Object(object) => last_prop(object, field)?.range.start,
            _ => return None,
        },
    };
    Some(line_column(body, start).0)
}

// ---- reading ---------------------------------------------------------------------------------

/// Splits off a UTF-8 byte order mark and checks the rest is UTF-8.
fn decode(bytes: &[u8]) -> Result<(&'static str, &str), JsoncError> {
    let (bom, rest) = match bytes.strip_prefix(BOM.as_bytes()) {
        Some(rest) => (BOM, rest),
        None => ("", bytes),
    };
    match std::str::from_utf8(rest) {
        Ok(body) => Ok((bom, body)),
        Err(err) => {
            let valid = std::str::from_utf8(&rest[..err.valid_up_to()]).unwrap_or_default();
            Err(JsoncError::at(valid, valid.len(), JsoncErrorKind::NotUtf8))
        }
    }
}

/// A parsed document whose root is an object.
struct Doc<'a> {
    text: &'a str,
    root: Object<'a>,
    /// Every token, comments included, in order.
    tokens: Vec<TokenAndRange<'a>>,
}

/// VS Code's dialect: comments and trailing commas, nothing else from JSON5.
fn vscode_options() -> ParseOptions {
    ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Parses `text` (without a byte order mark). None when it holds no value at all (empty, or
/// only whitespace and comments).
fn parse(text: &str) -> Result<Option<Doc<'_>>, JsoncError> {
    let collect = CollectOptions { comments: CommentCollectionStrategy::AsTokens, tokens: true };
    let parsed =
        parse_to_ast(text, &collect, &vscode_options()).map_err(|err| parse_error(text, &err))?;
    let tokens = parsed.tokens.unwrap_or_default();
    check_vscode_lexing(text, &tokens)?;
    match parsed.value {
        None => Ok(None),
        Some(Value::Object(root)) => Ok(Some(Doc { text, root, tokens })),
        Some(other) => Err(JsoncError::at(text, other.start(), JsoncErrorKind::RootNotObject)),
    }
}

fn parse_error(text: &str, err: &ParseError) -> JsoncError {
    let mut message = err.kind().to_string();
    if let Some(first) = message.get(..1) {
        message.replace_range(..1, &first.to_lowercase());
    }
    JsoncError::syntax(text, err.range().start, message)
}

/// What jsonc-parser accepts and VS Code does not: whitespace other than spaces, tabs, CR and
/// LF between tokens, and raw control characters inside strings.
fn check_vscode_lexing(text: &str, tokens: &[TokenAndRange<'_>]) -> Result<(), JsoncError> {
    let mut pos = 0;
    let gaps =
        tokens.iter().map(|t| (t.range.start, t.range.end)).chain([(text.len(), text.len())]);
    for (start, end) in gaps {
        let gap = text.get(pos..start).unwrap_or_default();
        if let Some((i, c)) =
            gap.char_indices().find(|&(_, c)| !matches!(c, ' ' | '\t' | '\r' | '\n'))
        {
            let message = format!(
                "unexpected character U+{:04X}; only spaces, tabs and line breaks may separate \
                 values",
                u32::from(c)
            );
            return Err(JsoncError::syntax(text, pos + i, message));
        }
        pos = end;
    }
    for token in tokens.iter().filter(|t| matches!(t.token, Token::String(_))) {
        let raw = text.get(token.range.start..token.range.end).unwrap_or_default();
        if let Some((i, c)) = raw.char_indices().find(|&(_, c)| c < ' ') {
            let message = format!(
                "control character U+{:04X} inside a string; write it as an escape such as \\n",
                u32::from(c)
            );
            return Err(JsoncError::syntax(text, token.range.start + i, message));
        }
    }
    Ok(())
}

/// 1-based line and column of byte `offset`; a column counts characters.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let (mut line, mut column, mut after_cr) = (1, 1, false);
    for c in before.chars() {
        match c {
            '\n' if after_cr => column = 1,
            '\n' | '\r' => (line, column) = (line + 1, 1),
            _ => column += 1,
        }
        after_cr = c == '\r';
    }
    (line, column)
}

fn key_of<'a>(prop: &'a ObjectProp<'_>) -> &'a str {
    match &prop.name {
        ObjectPropName::String(lit) => &lit.value,
        ObjectPropName::Word(lit) => lit.value,
    }
}

fn last_prop<'o, 'a>(object: &'o Object<'a>, key: &str) -> Option<&'o ObjectProp<'a>> {
    object.properties.iter().rev().find(|prop| key_of(prop) == key)
}

fn object_value<'o, 'a>(
    text: &str,
    prop: &'o ObjectProp<'a>,
    key: &str,
) -> Result<&'o Object<'a>, JsoncError> {
    match &prop.value {
        Value::Object(object) => Ok(object),
        other => Err(JsoncError::at(
            text,
            other.start(),
            JsoncErrorKind::NotAnObject { key: key.to_owned() },
        )),
    }
}

fn to_serde(text: &str, value: &Value<'_>) -> Result<serde_json::Value, JsoncError> {
    Ok(match value {
        Value::StringLit(lit) => serde_json::Value::String(lit.value.clone().into_owned()),
        Value::BooleanLit(lit) => serde_json::Value::Bool(lit.value),
        Value::NullKeyword(_) => serde_json::Value::Null,
        Value::NumberLit(lit) => serde_json::from_str(lit.value)
            .map_err(|_| JsoncError::syntax(text, lit.range.start, "number too large to read"))?,
        Value::Array(array) => serde_json::Value::Array(
            array.elements.iter().map(|v| to_serde(text, v)).collect::<Result<_, _>>()?,
        ),
        Value::Object(object) => {
            let mut map = serde_json::Map::new();
            for prop in &object.properties {
                // Later duplicates overwrite earlier ones, as in VS Code.
                map.insert(key_of(prop).to_owned(), to_serde(text, &prop.value)?);
            }
            serde_json::Value::Object(map)
        }
    })
}

// ---- layout ----------------------------------------------------------------------------------

/// A member of an object, as byte offsets.
struct Member {
    key_start: usize,
    value: Range<usize>,
    /// The member's own comma, if it has one.
    comma: Option<usize>,
}

impl Member {
    /// End of the member including its own comma.
    fn end(&self) -> usize {
        self.comma.map_or(self.value.end, |comma| comma + 1)
    }
}

fn members(object: &Object<'_>, tokens: &[TokenAndRange<'_>]) -> Vec<Member> {
    object
        .properties
        .iter()
        .map(|prop| {
            let value = prop.value.start()..prop.value.end();
            let next = tokens.partition_point(|t| t.range.start < value.end);
            let comma = tokens[next..]
                .iter()
                .find(|t| !matches!(t.token, Token::CommentLine(_) | Token::CommentBlock(_)))
                .filter(|t| matches!(t.token, Token::Comma))
                .map(|t| t.range.start);
            Member { key_start: prop.range.start, value, comma }
        })
        .collect()
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// When only spaces and tabs stand between the start of its line and `pos`: where they start.
fn line_indent_start(text: &str, pos: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = pos;
    while i > 0 && is_blank(bytes[i - 1]) {
        i -= 1;
    }
    (i == 0 || bytes[i - 1] == b'\n').then_some(i)
}

/// When only spaces and tabs stand between `pos` and the end of its line: the position after
/// the line ending.
fn blank_to_line_end(text: &str, pos: usize) -> Option<usize> {
    let bytes = &text.as_bytes()[pos..];
    let blanks = bytes.iter().take_while(|&&b| is_blank(b)).count();
    match &bytes[blanks..] {
        [b'\n', ..] => Some(pos + blanks + 1),
        [b'\r', b'\n', ..] => Some(pos + blanks + 2),
        _ => None,
    }
}

/// The spaces and tabs at the start of the line holding `pos`.
fn indent_of_line(text: &str, pos: usize) -> &str {
    let start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let len = text.as_bytes()[start..].iter().take_while(|&&b| is_blank(b)).count();
    &text[start..start + len]
}

fn blanks_after(text: &str, pos: usize) -> usize {
    text.as_bytes()[pos..].iter().take_while(|&&b| is_blank(b)).count()
}

fn blanks_before(text: &str, pos: usize) -> usize {
    text.as_bytes()[..pos].iter().rev().take_while(|&&b| is_blank(b)).count()
}

/// CRLF when the document's first line ending is CRLF, else LF.
fn eol_of(text: &str) -> &'static str {
    super::lines::eol_of(text.as_bytes())
}

/// One level of indentation: what the top-level members use beyond the `{` line's own.
fn indent_unit(doc: &Doc<'_>) -> String {
    let base = indent_of_line(doc.text, doc.root.start());
    for member in members(&doc.root, &doc.tokens) {
        if let Some(start) = line_indent_start(doc.text, member.key_start) {
            let indent = &doc.text[start..member.key_start];
            let unit = indent.strip_prefix(base).unwrap_or(indent);
            if unit.contains('\t') {
                return "\t".to_owned();
            }
            if !unit.is_empty() {
                return unit.to_owned();
            }
        }
    }
    DEFAULT_INDENT.to_owned()
}

/// For a file with no JSON value: append `{`, line ending, `}`, line ending.
fn append_empty_object(body: &mut String) {
    let eol = eol_of(body);
    if !body.is_empty() && !body.ends_with(['\n', '\r']) {
        body.push_str(eol);
    }
    body.push('{');
    body.push_str(eol);
    body.push('}');
    body.push_str(eol);
}

/// A JSON string literal: quotes, backslashes and control characters escaped, everything else
/// (non-ASCII included) as it is.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---- editing ---------------------------------------------------------------------------------

/// A value goenv writes.
enum NewValue<'e> {
    Str(&'e str),
    /// An object with one string field (a new `go.alternateTools`).
    Object {
        field: &'e str,
        value: &'e str,
    },
}

/// Where a new member goes: its indentation on a line of its own, or None on a shared line.
struct Layout<'l> {
    indent: Option<&'l str>,
    unit: &'l str,
    eol: &'l str,
}

fn render_member(key: &str, value: &NewValue<'_>, layout: &Layout<'_>) -> String {
    let value = match (value, layout.indent) {
        (NewValue::Str(s), _) => quote(s),
        (NewValue::Object { field, value }, None) => {
            format!("{{{}: {}}}", quote(field), quote(value))
        }
        (NewValue::Object { field, value }, Some(indent)) => {
            let (unit, eol) = (layout.unit, layout.eol);
            format!("{{{eol}{indent}{unit}{}: {}{eol}{indent}}}", quote(field), quote(value))
        }
    };
    format!("{}: {value}", quote(key))
}

type Splices = Vec<(Range<usize>, String)>;

/// Replaces each range (they do not overlap) by its text.
fn splice(text: &str, mut splices: Splices) -> String {
    splices.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut out = text.to_owned();
    for (range, with) in splices {
        out.replace_range(range, &with);
    }
    out
}

fn apply_one(mut body: String, edit: &Edit) -> Result<String, JsoncError> {
    // A removal takes one occurrence per pass, so duplicates need several.
    loop {
        let Some(doc) = parse(&body)? else { return Ok(body) };
        let Some(splices) = plan(&doc, edit)? else { return Ok(body) };
        body = splice(&body, splices);
        if edit.value().is_some() {
            return Ok(body);
        }
    }
}

/// The splices for one step of `edit`, or None when there is nothing (more) to do.
fn plan(doc: &Doc<'_>, edit: &Edit) -> Result<Option<Splices>, JsoncError> {
    match edit {
        Edit::SetTop { key, value: Some(value) } => Ok(set(doc, &doc.root, key, value)),
        Edit::SetTop { key, value: None } => Ok(remove(doc, &doc.root, key)),
        Edit::SetInObject { key, field, value } => {
            let Some(prop) = last_prop(&doc.root, key) else {
                return Ok(value
                    .as_deref()
                    .map(|value| insert(doc, &doc.root, key, &NewValue::Object { field, value })));
            };
            let object = object_value(doc.text, prop, key)?;
            match value {
                Some(value) => Ok(set(doc, object, field, value)),
                None => {
                    let only_field = object.properties.len() == 1
                        && object.properties.iter().all(|p| key_of(p) == field.as_str());
                    let has_comments = doc.tokens.iter().any(|t| {
                        matches!(t.token, Token::CommentLine(_) | Token::CommentBlock(_))
                            && t.range.start > object.start()
                            && t.range.end < object.end()
                    });
                    if only_field && !has_comments {
                        Ok(remove(doc, &doc.root, key))
                    } else {
                        Ok(remove(doc, object, field))
                    }
                }
            }
        }
    }
}

/// Replace the last `key` in `object`, or insert it at the end. None when it already holds
/// exactly that string.
fn set(doc: &Doc<'_>, object: &Object<'_>, key: &str, new: &str) -> Option<Splices> {
    let Some(prop) = last_prop(object, key) else {
        return Some(insert(doc, object, key, &NewValue::Str(new)));
    };
    if let Value::StringLit(lit) = &prop.value
        && lit.value == new
    {
        return None;
    }
    Some(vec![(prop.value.start()..prop.value.end(), quote(new))])
}

fn insert(doc: &Doc<'_>, object: &Object<'_>, key: &str, value: &NewValue<'_>) -> Splices {
    let text = doc.text;
    let close = object.end() - 1;
    let unit = indent_unit(doc);
    let eol = eol_of(text);
    let shared = |indent| Layout { indent, unit: &unit, eol };
    let members = members(object, &doc.tokens);
    match (members.last(), line_indent_start(text, close)) {
        // The closing brace starts its line: a new line above it.
        (Some(last), Some(close_line)) => {
            let indent = match line_indent_start(text, last.key_start) {
                Some(start) => text[start..last.key_start].to_owned(),
                None => format!("{}{unit}", indent_of_line(text, object.start())),
            };
            let member = render_member(key, value, &shared(Some(&indent)));
            let own_comma = if last.comma.is_some() { "," } else { "" };
            let mut splices =
                vec![(close_line..close_line, format!("{indent}{member}{own_comma}{eol}"))];
            if last.comma.is_none() {
                splices.push((last.value.end..last.value.end, ",".to_owned()));
            }
            splices
        }
        (None, Some(close_line)) => {
            let indent = format!("{}{unit}", &text[close_line..close]);
            let member = render_member(key, value, &shared(Some(&indent)));
            vec![(close_line..close_line, format!("{indent}{member}{eol}"))]
        }
        // One-line object: on that line.
        (Some(last), None) => {
            let member = render_member(key, value, &shared(None));
            match last.comma {
                Some(comma) => vec![(comma + 1..comma + 1, format!(" {member},"))],
                None => vec![(last.value.end..last.value.end, format!(", {member}"))],
            }
        }
        (None, None) => {
            let member = render_member(key, value, &shared(None));
            let space = if is_blank(text.as_bytes()[close - 1]) { " " } else { "" };
            vec![(close..close, format!("{member}{space}"))]
        }
    }
}

/// Remove the last `key` in `object`; None when there is none.
fn remove(doc: &Doc<'_>, object: &Object<'_>, key: &str) -> Option<Splices> {
    let text = doc.text;
    let index = object.properties.iter().rposition(|prop| key_of(prop) == key)?;
    let members = members(object, &doc.tokens);
    let member = &members[index];
    let mut splices = Vec::new();
    // The last member without a trailing comma takes the comma before it along.
    if index + 1 == members.len()
        && member.comma.is_none()
        && let Some(previous) = index.checked_sub(1).and_then(|i| members[i].comma)
    {
        splices.push((previous..previous + 1, String::new()));
    }
    let (start, end) = (member.key_start, member.end());
    let own_line = line_indent_start(text, start);
    let range = match (own_line, blank_to_line_end(text, end)) {
        (Some(line), Some(line_end)) => line..line_end,
        (Some(_), None) => start..end + blanks_after(text, end),
        (None, _) if index == 0 => start..end + blanks_after(text, end),
        (None, _) => start - blanks_before(text, start)..end,
    };
    splices.push((range, String::new()));
    Some(splices)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn run(text: &str, edits: &[Edit]) -> String {
        let out = apply(text.as_bytes(), edits).unwrap_or_else(|e| panic!("{e}: {text:?}"));
        String::from_utf8(out).expect("output is UTF-8")
    }

    /// `add` gives `want`, and removing again gives `text` back.
    #[track_caller]
    fn round_trip(text: &str, add: Edit, remove: Edit, want: &str) {
        let added = run(text, &[add]);
        assert_eq!(added, want, "adding to {text:?}");
        assert_eq!(run(&added, &[remove]), text, "removing from {added:?}");
    }

    #[test]
    fn new_documents() {
        let g = set_top(GOROOT, "/usr/local/go");
        assert_eq!(
            run("", std::slice::from_ref(&g)),
            "{\n    \"go.goroot\": \"/usr/local/go\"\n}\n"
        );
        assert_eq!(
            run("// mine\r\n", std::slice::from_ref(&g)),
            "// mine\r\n{\r\n    \"go.goroot\": \"/usr/local/go\"\r\n}\r\n"
        );
        assert_eq!(run("/* c */", &[g]), "/* c */\n{\n    \"go.goroot\": \"/usr/local/go\"\n}\n");
        assert_eq!(run("", &[unset_top(GOROOT), unset_dlv()]), "");
        assert_eq!(
            run("", &[set_dlv("/d")]),
            "{\n    \"go.alternateTools\": {\n        \"dlv\": \"/d\"\n    }\n}\n"
        );
        let bom = apply(b"\xef\xbb\xbf", &[set_top(GOROOT, "x")]).expect("applies");
        assert_eq!(bom, b"\xef\xbb\xbf{\n    \"go.goroot\": \"x\"\n}\n");
    }

    #[test]
    fn insert_and_remove_shapes() {
        let g = || set_top(GOROOT, "/g");
        let ug = || unset_top(GOROOT);
        round_trip("{}", g(), ug(), "{\"go.goroot\": \"/g\"}");
        round_trip("{ }", g(), ug(), "{ \"go.goroot\": \"/g\" }");
        round_trip("{\n}\n", g(), ug(), "{\n    \"go.goroot\": \"/g\"\n}\n");
        round_trip("{ \"a\": 1 }", g(), ug(), "{ \"a\": 1, \"go.goroot\": \"/g\" }");
        round_trip("{ \"a\": 1, }", g(), ug(), "{ \"a\": 1, \"go.goroot\": \"/g\", }");
        round_trip(
            "{\r\n\t\"a\": 1 // one\r\n}",
            g(),
            ug(),
            "{\r\n\t\"a\": 1, // one\r\n\t\"go.goroot\": \"/g\"\r\n}",
        );
        round_trip(
            "{\n  \"a\": 1,\n  // end\n}\n",
            g(),
            ug(),
            "{\n  \"a\": 1,\n  // end\n  \"go.goroot\": \"/g\",\n}\n",
        );
        round_trip(
            "{\n    \"go.alternateTools\": {\n        \"gopls\": \"/p\"\n    }\n}",
            set_dlv("/d"),
            unset_dlv(),
            "{\n    \"go.alternateTools\": {\n        \"gopls\": \"/p\",\n        \"dlv\": \"/d\"\n    }\n}",
        );
        round_trip(
            "{\n  \"a\": 1\n}",
            set_dlv("/d"),
            unset_dlv(),
            "{\n  \"a\": 1,\n  \"go.alternateTools\": {\n    \"dlv\": \"/d\"\n  }\n}",
        );
        round_trip(
            "{\"a\": 1}",
            set_dlv("/d"),
            unset_dlv(),
            "{\"a\": 1, \"go.alternateTools\": {\"dlv\": \"/d\"}}",
        );
    }

    #[test]
    fn replace_touches_only_the_value() {
        let text = "{\n  // c\n  \"go.goroot\" /* k */ : /* v */ \"/old\" // t\n}";
        let want = "{\n  // c\n  \"go.goroot\" /* k */ : /* v */ \"/new\" // t\n}";
        assert_eq!(run(text, &[set_top(GOROOT, "/new")]), want);
        assert_eq!(run(text, &[set_top(GOROOT, "/old")]), text);
        // Duplicates: the last one is edited, and removal removes them all.
        let dup = "{\"go.goroot\": \"/a\", \"x\": 1, \"go.goroot\": \"/b\"}";
        assert_eq!(run(dup, &[set_top(GOROOT, "/c")]), dup.replace("/b", "/c"));
        assert_eq!(run(dup, &[unset_top(GOROOT)]), "{\"x\": 1}");
    }

    #[test]
    fn removal_keeps_comments_around() {
        let text = "{\n    \"a\": 1, // about a\n    // about g\n    \"go.goroot\": \"/g\" // same line\n}";
        let want = "{\n    \"a\": 1 // about a\n    // about g\n    // same line\n}";
        assert_eq!(run(text, &[unset_top(GOROOT)]), want);
        // A go.alternateTools with a comment inside stays, emptied.
        let text = "{\"go.alternateTools\": { /* keep */ \"dlv\": \"/d\" }}";
        assert_eq!(run(text, &[unset_dlv()]), "{\"go.alternateTools\": { /* keep */ }}");
        // The documented exception: an empty object is removed with its last field.
        let added = run("{\"go.alternateTools\": {}}", &[set_dlv("/d")]);
        assert_eq!(added, "{\"go.alternateTools\": {\"dlv\": \"/d\"}}");
        assert_eq!(run(&added, &[unset_dlv()]), "{}");
    }

    #[test]
    fn values_are_escaped() {
        let value = "C:\\Go \"x\"\n\t\u{1}é☃";
        let out = run("{}", &[set_top(GOROOT, value)]);
        assert_eq!(out, "{\"go.goroot\": \"C:\\\\Go \\\"x\\\"\\n\\t\\u0001é☃\"}");
        assert_eq!(get_top(out.as_bytes(), GOROOT), Ok(Some(serde_json::json!(value))));
    }

    #[test]
    fn reads() {
        let text = b"{\"go.alternateTools\": {\"dlv\": \"/a\", \"dlv\": \"/b\"}, \"n\": [1, null]}";
        assert_eq!(get_in_object(text, ALTERNATE_TOOLS, DLV), Ok(Some(serde_json::json!("/b"))));
        assert_eq!(get_in_object(text, ALTERNATE_TOOLS, "gopls"), Ok(None));
        assert_eq!(get_top(text, "n"), Ok(Some(serde_json::json!([1, null]))));
        assert_eq!(get_top(b"", GOROOT), Ok(None));
        assert_eq!(get_in_object(b"{}", ALTERNATE_TOOLS, DLV), Ok(None));
    }

    #[test]
    fn lines_of_members() {
        let text = b"\xef\xbb\xbf// c\r\n{\r\n  \"go.goroot\": \"/g\",\r\n  \"go.alternateTools\": {\r\n    \"go\": \"/x\"\r\n  }\r\n}";
        assert_eq!(line_of(text, GOROOT, None), Some(3));
        assert_eq!(line_of(text, ALTERNATE_TOOLS, Some("go")), Some(5));
        assert_eq!(line_of(text, ALTERNATE_TOOLS, Some(DLV)), None);
        assert_eq!(line_of(text, GOROOT, Some("go")), None);
        assert_eq!(line_of(b"{", GOROOT, None), None);
    }

    #[test]
    fn errors_say_where() {
        let err = |text: &[u8]| apply(text, &[set_dlv("/d")]).expect_err("must fail");
        let e = err(b"{\n  \"a\": 1\n  \"b\": 2\n}");
        assert_eq!((e.line, e.column), (2, 9));
        assert_eq!(e.to_string(), "line 2, column 9: expected comma");
        assert_eq!(e.message(), "expected comma");
        let e = err(b"[]");
        assert_eq!((e.line, e.column, e.kind), (1, 1, JsoncErrorKind::RootNotObject));
        let e = err(b"\xef\xbb\xbf{\r\n \"go.alternateTools\": \"dlv\"}");
        let kind = JsoncErrorKind::NotAnObject { key: ALTERNATE_TOOLS.to_owned() };
        assert_eq!((e.line, e.column, e.kind), (2, 23, kind));
        let e = err(b"{\"a\": \"\xff\"}");
        assert_eq!((e.line, e.column, e.kind.clone()), (1, 8, JsoncErrorKind::NotUtf8));
        assert!(!e.hint().is_empty());
        let e = err("{\"a\":\u{a0}1}".as_bytes());
        assert_eq!((e.line, e.column), (1, 6));
        let e = err(b"{\"a\": \"x\ty\"}");
        assert_eq!((e.line, e.column), (1, 9));
        for bad in ["{'a': 1}", "{a: 1}", "{\"a\": 0x1}", "{\"a\": .5}", "{} {}", "{\"a\": 1,,}"] {
            assert!(apply(bad.as_bytes(), &[]).is_err(), "{bad}");
        }
    }
}
