//! A small Markdown writer for pull-request comments that render as meant on GitHub (checked
//! with `cmark-gfm`, GitHub's renderer, in `tests/markdown.rs`), whatever the text holds: a fence
//! longer than any backtick run inside it, HTML escaped inside `<details>`/`<summary>`, table
//! cells with `|` and newlines escaped, text with Markdown's punctuation escaped. A document is a
//! list of [`Block`]s, each valid on its own; [`fit`] makes one document under a size (cutting
//! the longest diffs at a line boundary, with a note of the lines left out) and [`split`] packs
//! them into parts, each under a size and each valid on its own. Sizes count UTF-16 code units,
//! which is never less than what GitHub's limit counts.

use std::fmt::Write as _;

/// GitHub's comment limit is 65,536 characters; parts stay under this by default.
pub const SPLIT_DEFAULT: usize = 65_000;

/// The size of `text` as a comment limit counts it.
pub fn size(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `text` as inline Markdown that shows exactly `text`: ASCII punctuation that could start
/// markup is backslash-escaped, control characters (a newline in a path) are shown as escapes.
pub fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            // `$` too: GitHub renders `$…$` as math.
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                out.push_str(&c.escape_default().to_string().replace('\\', "\\\\"))
            }
            c => out.push(c),
        }
    }
    out
}

/// Inline text as goenv writes messages: `` `code` `` spans stay code spans (with a fence that
/// fits what they hold), everything else is [`text`]. An unpaired backtick is text.
pub fn prose(message: &str) -> String {
    let parts: Vec<&str> = message.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return text(message);
    }
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 { out.push_str(&code(part)) } else { out.push_str(&text(part)) }
    }
    out
}

/// `text` as a code span: delimited by more backticks than any run inside, padded with a space
/// when it starts or ends with a backtick; control characters shown as escapes (a code span
/// cannot hold a line break in a table or a list item).
pub fn code(text: &str) -> String {
    let shown: String = text
        .chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect();
    let ticks = "`".repeat(longest_run(&shown, '`') + 1);
    let pad =
        if shown.starts_with('`') || shown.ends_with('`') || shown.is_empty() { " " } else { "" };
    format!("{ticks}{pad}{shown}{pad}{ticks}")
}

/// A code span inside a table cell: `|` must be escaped even there (GFM's table rule).
pub fn cell_code(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// `text` inside HTML (`<summary>`): `&`, `<`, `>`, `"` as entities, and control characters
/// (a newline would end the HTML block) as numeric references.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn longest_run(text: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == ch { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// A fenced code block of `body` (lines; a final newline is added when missing): the fence is a
/// backtick run longer than any in `body`, so nothing inside can close it.
pub fn fenced(info: &str, body: &str) -> String {
    let fence = "`".repeat((longest_run(body, '`') + 1).max(3));
    let mut out = format!("{fence}{info}\n{body}");
    if !body.is_empty() && !body.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}");
    out
}

/// One piece of a document, valid Markdown on its own (it ends with a blank line).
#[derive(Debug, Clone)]
pub enum Block {
    /// Markdown as it is: headings, a summary line, a list.
    Text(String),
    /// A table (or a list): the header (a table's first two rows, or a heading) and its rows,
    /// each a line; cut between rows, the header repeated.
    Table { header: String, rows: Vec<String> },
    /// A diff folded under `<details>`: the summary (HTML-escaped here) and the diff's lines,
    /// cut at a line boundary when too long, with a note of how many lines were left out.
    Diff { summary: String, diff: String },
}

impl Block {
    /// The block whole.
    pub fn render(&self) -> String {
        match self {
            Block::Text(t) => t.clone(),
            Block::Table { header, rows } => table(header, rows),
            Block::Diff { summary, diff } => details(summary, diff, None),
        }
    }

    /// The block in at most `room` characters, cut if it must be and can be; `None` when even
    /// its smallest form does not fit.
    fn within(&self, room: usize) -> Option<String> {
        let whole = self.render();
        if size(&whole) <= room {
            return Some(whole);
        }
        match self {
            Block::Text(_) | Block::Table { .. } => None,
            Block::Diff { summary, diff } => cut_diff(summary, diff, room),
        }
    }
}

fn table(header: &str, rows: &[String]) -> String {
    let mut out = String::from(header);
    for r in rows {
        out.push_str(r);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// `<details>` with the diff fenced, and, when `left_out` lines were cut, a note after it.
fn details(summary: &str, diff: &str, left_out: Option<(usize, usize)>) -> String {
    let mut out = format!("<details><summary><code>{}</code></summary>\n\n", html(summary));
    out.push_str(&fenced("diff", diff));
    if let Some((left, total)) = left_out {
        let _ = writeln!(
            out,
            "\n*{left} of the diff's {total} lines are not shown (too long for a comment); \
             `goenv plan` shows them all.*"
        );
    }
    out.push_str("\n</details>\n\n");
    out
}

/// The diff cut at the last line boundary that fits `room`, with the note; `None` when not even
/// the note fits.
fn cut_diff(summary: &str, diff: &str, room: usize) -> Option<String> {
    let lines: Vec<&str> = diff.split_inclusive('\n').collect();
    let total = lines.len();
    // The largest number of lines that fits: sizes grow with the lines kept.
    let fits = |keep: usize| {
        let body: String = lines[..keep].concat();
        let shown = details(summary, &body, Some((total - keep, total)));
        (size(&shown) <= room).then_some(shown)
    };
    let (mut lo, mut hi) = (0, total.saturating_sub(1));
    let mut best = fits(0)?;
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        match fits(mid) {
            Some(shown) => {
                best = shown;
                lo = mid;
            }
            None => hi = mid - 1,
        }
    }
    Some(best)
}

/// One document of at most `limit` characters: `head` (headings, summary, table, findings) as
/// it is, then the diffs, smallest first while each fits whole, the others cut to an equal share
/// of what is left; the diffs stay in their order. A diff is never left out, only cut.
pub fn fit(head: &[Block], diffs: &[Block], limit: usize) -> String {
    let mut out: String = head.iter().map(Block::render).collect();
    let mut left = limit.saturating_sub(size(&out));
    let mut order: Vec<usize> = (0..diffs.len()).collect();
    order.sort_by_key(|&i| size(&diffs[i].render()));
    let mut shown = vec![None; diffs.len()];
    for (n, &i) in order.iter().enumerate() {
        let share = left / (diffs.len() - n);
        if let Some(text) = diffs[i].within(share) {
            left -= size(&text);
            shown[i] = Some(text);
        }
    }
    for (i, text) in shown.into_iter().enumerate() {
        match text {
            Some(t) => out.push_str(&t),
            // Not even the note fits: the diff is named, so nothing goes unmentioned.
            None => {
                let _ =
                    writeln!(out, "- {}: diff not shown (no room left)\n", summary_of(&diffs[i]));
            }
        }
    }
    out
}

fn summary_of(b: &Block) -> String {
    match b {
        Block::Diff { summary, .. } => code(summary),
        _ => String::new(),
    }
}

/// Parts of at most `limit` characters each, each valid on its own: `title(n, total)` starts
/// part n, then as many blocks as fit, in order; a table too long for a part continues in the
/// next with its header repeated; a diff too long for a part is cut to fit one.
pub fn split(
    title: &dyn Fn(usize, usize) -> String,
    blocks: &[Block],
    limit: usize,
) -> Vec<String> {
    // The title's size does not depend much on the part numbers: measure it with large ones.
    let room = limit.saturating_sub(size(&title(99_999, 99_999)));
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let push = |piece: String, current: &mut String, parts: &mut Vec<String>| {
        if !current.is_empty() && size(current) + size(&piece) > room {
            parts.push(std::mem::take(current));
        }
        current.push_str(&piece);
    };
    for b in blocks {
        match b {
            Block::Table { header, rows } if size(&b.render()) > room => {
                let mut chunk: Vec<String> = Vec::new();
                for r in rows {
                    let mut next = chunk.clone();
                    next.push(r.clone());
                    let free = room.saturating_sub(size(&current));
                    if !chunk.is_empty() && size(&table(header, &next)) > free {
                        push(table(header, &chunk), &mut current, &mut parts);
                        parts.push(std::mem::take(&mut current));
                        chunk.clear();
                    }
                    chunk.push(r.clone());
                }
                if !chunk.is_empty() {
                    push(table(header, &chunk), &mut current, &mut parts);
                }
            }
            _ => {
                let free = room.saturating_sub(size(&current));
                let piece = match b.within(free) {
                    Some(p) => p,
                    None => {
                        if !current.is_empty() {
                            parts.push(std::mem::take(&mut current));
                        }
                        b.within(room).unwrap_or_else(|| b.render())
                    }
                };
                push(piece, &mut current, &mut parts);
            }
        }
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    let total = parts.len();
    parts.into_iter().enumerate().map(|(i, p)| format!("{}{p}", title(i + 1, total))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_are_longer_than_any_backtick_run_inside() {
        assert_eq!(fenced("diff", "+a\n"), "```diff\n+a\n```\n");
        assert_eq!(fenced("diff", "+```\n+````x\n"), "`````diff\n+```\n+````x\n`````\n");
        assert_eq!(fenced("", "no newline"), "```\nno newline\n```\n");
    }

    #[test]
    fn code_spans_hold_backticks_and_pipes() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(cell_code("a|b"), "`a\\|b`");
        assert_eq!(code("a\nb"), "`a\\nb`");
    }

    #[test]
    fn prose_keeps_code_spans_and_escapes_the_rest() {
        assert_eq!(prose("run `go env -u X` <now>"), "run `go env -u X` \\<now\\>");
        assert_eq!(prose("one ` tick"), "one \\` tick");
    }

    #[test]
    fn html_escapes_what_could_end_the_summary() {
        assert_eq!(html("file:~/a</details>\n&"), "file:~/a&lt;/details&gt;&#10;&amp;");
    }

    #[test]
    fn a_long_diff_is_cut_at_a_line_boundary_with_a_note() {
        let diff: String = (0..1000).map(|i| format!("+line {i}\n")).collect();
        let b = Block::Diff { summary: "file:~/x".into(), diff };
        let shown = b.within(2000).unwrap();
        assert!(size(&shown) <= 2000, "{}", size(&shown));
        assert!(shown.contains("lines are not shown"), "{shown}");
        let kept = shown.lines().filter(|l| l.starts_with("+line ")).count();
        assert!(kept > 100, "{kept}");
        assert!(shown.contains(&format!("*{} of the diff's 1000 lines", 1000 - kept)), "{shown}");
        assert!(shown.contains(&format!("+line {}\n```", kept - 1)), "cut after a whole line");
    }

    #[test]
    fn split_parts_stay_under_the_limit() {
        let diffs: Vec<Block> = (0..30)
            .map(|i| Block::Diff {
                summary: format!("file:~/f{i}"),
                diff: (0..100).map(|l| format!("+{i} {l}\n")).collect(),
            })
            .collect();
        let title = |n: usize, total: usize| format!("### plan ({n} of {total})\n\n");
        let parts = split(&title, &diffs, 5000);
        assert!(parts.len() > 3);
        for (i, p) in parts.iter().enumerate() {
            assert!(size(p) <= 5000, "part {i}: {}", size(p));
            assert_eq!(p.matches("<details>").count(), p.matches("</details>").count());
        }
        let all: String = parts.concat();
        for i in 0..30 {
            assert!(all.contains(&format!("file:~/f{i}<")), "f{i} is in a part");
        }
    }
}
