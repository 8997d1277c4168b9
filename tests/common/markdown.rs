//! GitHub's own Markdown renderer, `cmark-gfm` (installed by `scripts/fixtures`), as the oracle
//! for every markdown plan the tests produce: [`render`] runs it with GitHub's extensions, and
//! [`assert_renders`] checks what came out: every `<details>` closed in order and holding its
//! `<summary>`, nothing of goenv's HTML left as text, every fenced diff a `<pre>` block whose
//! text is exactly a diff goenv printed (so no backtick run or `</details>` inside broke out),
//! and every table row with as many cells as its header.

use std::io::Write;
use std::process::{Command, Stdio};

/// `markdown` as GitHub renders it (raw HTML kept, as GitHub keeps `<details>`).
pub fn render(markdown: &str) -> String {
    let mut child = Command::new("cmark-gfm")
        .args(["--unsafe", "--extension", "table", "--extension", "strikethrough"])
        .args(["--extension", "autolink", "--extension", "tagfilter", "--extension", "tasklist"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cmark-gfm runs (scripts/fixtures installs it)");
    child.stdin.take().unwrap().write_all(markdown.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "cmark-gfm failed on:\n{markdown}");
    String::from_utf8(out.stdout).expect("cmark-gfm prints UTF-8")
}

/// The text of HTML-escaped content, as a browser shows it.
pub fn unescape(html: &str) -> String {
    html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

/// What a rendered plan holds, for assertions beyond well-formedness.
#[derive(Debug, Default)]
pub struct Rendered {
    pub html: String,
    /// The text of every `<pre>` block (a diff), unescaped.
    pub diffs: Vec<String>,
    /// The text of every `<summary>`, unescaped, tags removed.
    pub summaries: Vec<String>,
    /// Each table's rows (header first), each row its cells' HTML.
    pub tables: Vec<Vec<Vec<String>>>,
}

/// Renders `markdown` and panics, naming what broke, unless it is well-formed as described in
/// the module doc; returns what it holds.
#[track_caller]
pub fn assert_renders(markdown: &str) -> Rendered {
    let html = render(markdown);
    let fail = |why: &str| -> ! { panic!("{why}\n--- markdown:\n{markdown}\n--- html:\n{html}") };
    // <details> balanced, in order, each starting with its summary.
    let mut depth = 0usize;
    let mut rest = html.as_str();
    let mut summaries = Vec::new();
    while let Some(at) = rest.find("<details>").into_iter().chain(rest.find("</details>")).min() {
        if rest[at..].starts_with("</details>") {
            depth = depth.checked_sub(1).unwrap_or_else(|| fail("a </details> without <details>"));
            rest = &rest[at + "</details>".len()..];
        } else {
            depth += 1;
            rest = &rest[at + "<details>".len()..];
            let Some(summary) = rest.strip_prefix("<summary>") else {
                fail("a <details> that does not start with <summary>")
            };
            let end = summary.find("</summary>").unwrap_or_else(|| fail("an unclosed <summary>"));
            let inner = &summary[..end];
            if inner.contains('\n') || inner.contains("<details") {
                fail("a <summary> that runs on");
            }
            summaries.push(unescape(&inner.replace("<code>", "").replace("</code>", "")));
        }
    }
    if depth != 0 {
        fail("a <details> left open");
    }
    // goenv's HTML is never shown as text (outside code, where a path may hold it).
    let outside = strip(&strip(&html, "<pre>", "</pre>"), "<code>", "</code>");
    for tag in ["&lt;details&gt;", "&lt;/details&gt;", "&lt;summary&gt;"] {
        if outside.contains(tag) {
            fail(&format!("{tag} outside a code block: HTML shown as text"));
        }
    }
    // Fences: every <pre> closed, holding one diff.
    let mut diffs = Vec::new();
    let mut rest = html.as_str();
    while let Some(at) = rest.find("<pre>") {
        let block = &rest[at..];
        let start = block.find('>').unwrap() + 1;
        let code_start = block[start..].find('>').map(|i| start + i + 1).unwrap();
        let end = block.find("</code></pre>").unwrap_or_else(|| fail("an unclosed <pre>"));
        let text = unescape(&block[code_start..end]);
        if !text.starts_with("--- ") {
            fail("a code block that is not a whole diff: a fence broke");
        }
        diffs.push(text);
        rest = &block[end..];
    }
    if html.matches("<pre>").count()
        != markdown.matches("\n<details>").count() + usize::from(markdown.starts_with("<details>"))
    {
        fail("not one code block per <details>");
    }
    // Tables: every row has its header's number of cells.
    let mut tables = Vec::new();
    for table in html.split("<table>").skip(1) {
        let table = &table[..table.find("</table>").unwrap_or_else(|| fail("an unclosed table"))];
        let rows: Vec<Vec<String>> = table.split("<tr>").skip(1).map(cells).collect();
        let width = rows.first().map_or(0, Vec::len);
        if width == 0 || rows.iter().any(|r| r.len() != width) {
            fail("a table row with the wrong number of cells");
        }
        tables.push(rows);
    }
    Rendered { html, diffs, summaries, tables }
}

/// The cells of one table row, each its inner HTML.
fn cells(row: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = row;
    loop {
        let next = ["<td>", "<td ", "<th>", "<th "].iter().filter_map(|t| rest.find(t)).min();
        let Some(at) = next else { return out };
        let open_end = at + rest[at..].find('>').unwrap() + 1;
        let close = rest[open_end..].find("</t").map_or(rest.len(), |i| open_end + i);
        out.push(rest[open_end..close].to_owned());
        rest = &rest[close..];
    }
}

/// The HTML without what is between `open` and `close`.
fn strip(html: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find(open) {
        out.push_str(&rest[..at]);
        match rest[at..].find(close) {
            Some(end) => rest = &rest[at + end + close.len()..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}
