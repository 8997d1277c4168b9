//! GoLand's list of Go SDKs, `<config>/options/go.sdk.xml`:
//!
//! ```xml
//! <application>
//!   <component name="GoSdkList">
//!     <sdk-path>
//!       <set>
//!         <option value="$USER_HOME$/sdk/current" />
//!       </set>
//!     </sdk-path>
//!   </component>
//! </application>
//! ```
//!
//! Read with a real XML parser (`quick-xml`, with byte positions) and edited by splicing: [`add`]
//! inserts one `<option value="…" />` line (creating the `set`, `sdk-path` or component around it
//! when missing), [`remove`] takes that line out again; every other byte stays as it was. Undo
//! law: `remove(&add(x, v)?, v)? == x` when `x` has `<set>` and does not list `v`. Pure; no I/O.

use std::ops::Range;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// `$USER_HOME$`, the macro JetBrains IDEs write for the home directory.
pub const USER_HOME: &str = "$USER_HOME$";

/// A file that is not XML goenv can edit, with the 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl XmlError {
    fn at(text: &[u8], offset: usize, message: impl Into<String>) -> Self {
        let before = &text[..offset.min(text.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
        XmlError { line, column, message: message.into() }
    }
}

/// One registered SDK: its `value` as written (macros unexpanded) and the element's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub value: String,
    pub range: Range<usize>,
}

/// Where things are in the file.
#[derive(Debug, Default)]
struct Shape {
    /// The end of `<application>`'s start tag and the start of `</application>`.
    app: Option<(usize, usize)>,
    /// The end of the GoSdkList component's start tag and the start of its end tag.
    component: Option<(usize, usize)>,
    /// The end of `sdk-path`'s start tag.
    sdk_path: Option<usize>,
    /// The end of `set`'s start tag.
    set: Option<usize>,
    /// An empty `<set/>`.
    empty_set: Option<Range<usize>>,
    entries: Vec<Entry>,
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    let a = e.try_get_attribute(name).ok()??;
    a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned())
}

fn parse(text: &[u8]) -> Result<Shape, XmlError> {
    let mut reader = Reader::from_reader(text);
    reader.config_mut().check_end_names = true;
    let mut shape = Shape::default();
    // The path of open elements: name, and the start tag's end offset.
    let mut stack: Vec<(String, bool)> = Vec::new();
    // Inside GoSdkList's `sdk-path` and `set`, `n` elements deep.
    let in_list = |stack: &[(String, bool)], n: usize| {
        stack.len() == n
            && stack.get(1).is_some_and(|(_, list)| *list)
            && stack.get(2).is_none_or(|(name, _)| name == "sdk-path")
            && stack.get(3).is_none_or(|(name, _)| name == "set")
    };
    loop {
        let start = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| XmlError::at(text, reader.error_position() as usize, e.to_string()))?;
        let end = reader.buffer_position() as usize;
        match event {
            Event::Start(e) => {
                let name = e.name().0.to_owned();
                let depth = stack.len();
                let list = depth == 1
                    && name == "component"
                    && attr(&e, "name").as_deref() == Some("GoSdkList");
                match (depth, name.as_str()) {
                    (0, "application") => shape.app = Some((end, 0)),
                    (0, _) => {
                        return Err(XmlError::at(
                            text,
                            start,
                            "the root element is not `<application>`",
                        ));
                    }
                    (1, _) if list && shape.component.is_none() => shape.component = Some((end, 0)),
                    (2, "sdk-path") if in_list(&stack, 2) && shape.sdk_path.is_none() => {
                        shape.sdk_path = Some(end);
                    }
                    (3, "set") if in_list(&stack, 3) && shape.set.is_none() => {
                        shape.set = Some(end);
                    }
                    _ => {}
                }
                stack.push((name, list));
            }
            Event::Empty(e) => {
                let name = e.name().0.to_owned();
                if stack.is_empty() {
                    return Err(XmlError::at(
                        text,
                        start,
                        "the root element is empty (`<application/>`)",
                    ));
                }
                if stack.len() == 4
                    && in_list(&stack, 4)
                    && name == "option"
                    && let Some(value) = attr(&e, "value")
                {
                    shape.entries.push(Entry { value, range: start..end });
                }
                if in_list(&stack, 3) && name == "set" && shape.set.is_none() {
                    shape.empty_set = Some(start..end);
                }
                let list = name == "component" && attr(&e, "name").as_deref() == Some("GoSdkList");
                if (stack.len() == 1 && list) || (in_list(&stack, 2) && name == "sdk-path") {
                    return Err(XmlError::at(
                        text,
                        start,
                        format!(
                            "`<{name}/>` is empty: goenv adds only to a list GoLand has written out"
                        ),
                    ));
                }
            }
            Event::End(_) => {
                let (_, list) = stack.pop().unwrap_or_default();
                if stack.is_empty() {
                    if let Some(app) = shape.app.as_mut() {
                        app.1 = start;
                    }
                } else if list
                    && stack.len() == 1
                    && let Some(c) = shape.component.as_mut().filter(|c| c.1 == 0)
                {
                    c.1 = start;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::at(text, text.len(), "the file ends inside an element"));
    }
    Ok(shape)
}

/// The SDKs the file lists, in order.
pub fn entries(text: &[u8]) -> Result<Vec<Entry>, XmlError> {
    Ok(parse(text)?.entries)
}

/// `value` with `$USER_HOME$` expanded and a `file://` prefix dropped: a path.
pub fn expand(value: &str, home: &str) -> String {
    let v = value.strip_prefix("file://").unwrap_or(value);
    v.replace(USER_HOME, home)
}

/// `path` as GoLand writes it: under the home directory, from `$USER_HOME$`.
pub fn spelled(path: &str, home: &str) -> String {
    match path.strip_prefix(home) {
        Some(rest) if !home.is_empty() && (rest.is_empty() || rest.starts_with('/')) => {
            format!("{USER_HOME}{rest}")
        }
        _ => path.to_owned(),
    }
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push_str(&format!("&#{};", c as u32)),
            _ => out.push(c),
        }
    }
    out
}

fn eol_of(text: &[u8]) -> &'static str {
    match text.iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && text[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The indentation of the line `offset` is on.
fn indent_at(text: &[u8], offset: usize) -> String {
    let start = text[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    text[start..].iter().take_while(|&&b| b == b' ' || b == b'\t').map(|&b| b as char).collect()
}

/// The file with `value` registered (`text` `None`: a new file). A file already listing it
/// (as written) comes back unchanged.
pub fn add(text: Option<&[u8]>, value: &str) -> Result<Vec<u8>, XmlError> {
    let option = format!("<option value=\"{}\" />", escape(value));
    let Some(text) = text.filter(|t| !t.iter().all(u8::is_ascii_whitespace)) else {
        return Ok(format!(
            "<application>\n  <component name=\"GoSdkList\">\n    <sdk-path>\n      <set>\n        \
             {option}\n      </set>\n    </sdk-path>\n  </component>\n</application>\n"
        )
        .into_bytes());
    };
    let shape = parse(text)?;
    if shape.entries.iter().any(|e| e.value == value) {
        return Ok(text.to_vec());
    }
    let eol = eol_of(text);
    if let Some(empty) = shape.empty_set.clone().filter(|_| shape.set.is_none()) {
        let i = indent_at(text, empty.start);
        let set = format!("<set>{eol}{i}  {option}{eol}{i}</set>");
        return Ok([&text[..empty.start], set.as_bytes(), &text[empty.end..]].concat());
    }
    let (at, insert) = if let Some(set) = shape.set {
        let indent = match shape.entries.first() {
            Some(e) => indent_at(text, e.range.start),
            None => format!("{}  ", indent_at(text, set)),
        };
        (set, format!("{eol}{indent}{option}"))
    } else if let Some(sdk_path) = shape.sdk_path {
        let i = indent_at(text, sdk_path);
        (sdk_path, format!("{eol}{i}  <set>{eol}{i}    {option}{eol}{i}  </set>"))
    } else if let Some((component, _)) = shape.component {
        let i = indent_at(text, component);
        (
            component,
            format!(
                "{eol}{i}  <sdk-path>{eol}{i}    <set>{eol}{i}      {option}{eol}{i}    </set>\
                 {eol}{i}  </sdk-path>"
            ),
        )
    } else if let Some((app_start, app_end)) = shape.app {
        let i = format!("{}  ", indent_at(text, app_start));
        // Before `</application>`, after the last child's line.
        let at = text[..app_end].iter().rposition(|&b| b == b'\n').filter(|&p| p >= app_start);
        let component = format!(
            "{i}<component name=\"GoSdkList\">{eol}{i}  <sdk-path>{eol}{i}    <set>{eol}{i}      \
             {option}{eol}{i}    </set>{eol}{i}  </sdk-path>{eol}{i}</component>"
        );
        match at {
            Some(p) => (p + 1, format!("{component}{eol}")),
            None => (app_end, format!("{eol}{component}{eol}")),
        }
    } else {
        return Err(XmlError::at(text, 0, "there is no `<application>` element"));
    };
    Ok([&text[..at], insert.as_bytes(), &text[at..]].concat())
}

/// The file without the `<option>` of each value `drop` accepts: each element goes with the
/// line break and indentation before it (so a line [`add`] inserted goes whole).
pub fn remove(text: &[u8], drop: impl Fn(&str) -> bool) -> Result<Vec<u8>, XmlError> {
    let shape = parse(text)?;
    let mut out = text.to_vec();
    for e in shape.entries.iter().rev().filter(|e| drop(&e.value)) {
        let mut start = e.range.start;
        while start > 0 && matches!(text[start - 1], b' ' | b'\t') {
            start -= 1;
        }
        if start > 0 && text[start - 1] == b'\n' {
            start -= 1;
            if start > 0 && text[start - 1] == b'\r' {
                start -= 1;
            }
        } else {
            start = e.range.start;
        }
        out.drain(start..e.range.end);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTED: &str = "<application>\r\n  <component name=\"GoSdkList\">\r\n    <sdk-path>\r\n      <set>\r\n        <option value=\"$USER_HOME$/go1.21\" />\r\n      </set>\r\n    </sdk-path>\r\n  </component>\r\n</application>";

    #[test]
    fn add_then_remove_gives_back_the_bytes() {
        let v = "$USER_HOME$/sdk/current";
        let set_only = "<application>\n  <component name=\"GoSdkList\">\n    <sdk-path>\n      <set>\n      </set>\n    </sdk-path>\n  </component>\n</application>\n";
        for original in [LISTED, set_only] {
            let added = add(Some(original.as_bytes()), v).unwrap();
            let values: Vec<String> =
                entries(&added).unwrap().into_iter().map(|e| e.value).collect();
            assert!(values.contains(&v.to_owned()), "{values:?}");
            assert_eq!(add(Some(&added), v).unwrap(), added, "adding twice changes nothing");
            let back = remove(&added, |x| x == v).unwrap();
            assert_eq!(String::from_utf8(back).unwrap(), original);
        }
        assert!(String::from_utf8(add(Some(LISTED.as_bytes()), v).unwrap())
            .unwrap()
            .contains("<set>\r\n        <option value=\"$USER_HOME$/sdk/current\" />\r\n        <option value=\"$USER_HOME$/go1.21\" />"));
    }

    #[test]
    fn creates_what_is_missing() {
        for original in [
            "<application>\n  <component name=\"Other\" a=\"1\"/>\n</application>\n",
            "<?xml version=\"1.0\"?>\n<application></application>",
            "<application>\n  <component name=\"GoSdkList\">\n  </component>\n</application>\n",
        ] {
            let added = add(Some(original.as_bytes()), "/opt/go & <x>").unwrap();
            let values: Vec<String> =
                entries(&added).unwrap().into_iter().map(|e| e.value).collect();
            assert_eq!(values, ["/opt/go & <x>"], "{}", String::from_utf8_lossy(&added));
        }
        let new = add(None, "$USER_HOME$/sdk/current").unwrap();
        assert_eq!(entries(&new).unwrap()[0].value, "$USER_HOME$/sdk/current");
    }

    #[test]
    fn errors_have_positions() {
        let e = add(Some(b"<application>\n  <component>\n</application>"), "/x").unwrap_err();
        assert_eq!(e.line, 3, "{e:?}");
        let e = add(Some(b"<project/>"), "/x").unwrap_err();
        assert_eq!((e.line, e.column), (1, 1));
        assert!(
            add(Some(b"<application><component name=\"GoSdkList\"/></application>"), "/x").is_err()
        );
        let empty = b"<application>\n  <component name=\"GoSdkList\">\n    <sdk-path>\n      <set />\n    </sdk-path>\n  </component>\n</application>\n";
        let added = add(Some(empty), "/x").unwrap();
        assert_eq!(entries(&added).unwrap()[0].value, "/x", "{}", String::from_utf8_lossy(&added));
    }

    #[test]
    fn macros_expand_and_are_written_back() {
        assert_eq!(expand("file://$USER_HOME$/sdk/go", "/h"), "/h/sdk/go");
        assert_eq!(spelled("/h/sdk/current", "/h"), "$USER_HOME$/sdk/current");
        assert_eq!(spelled("/home2/x", "/home"), "/home2/x");
    }
}
