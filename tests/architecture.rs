//! Source rules, checked on the text of `src/` (the files as text, not the compiled crate):
//!
//! 1. no import cycle between the top-level modules, nor between the direct submodules of any
//!    one of them;
//! 2. `src/cli/` starts no process and writes no file: it parses, calls the library and prints;
//! 3. resource ids (`file:~/…`, `block:~/…`, `json:…`, `link:…`, `sdk:…`, `tool:…`) are
//!    spelled and taken apart only in `src/resource/`: no string literal anywhere else starts
//!    with one of those six prefixes.
//!
//! What is read: every `.rs` file below `src/`, without comments, cut at its first
//! `#[cfg(test)]`; files of modules declared `#[cfg(test)] mod name;` are left out. String
//! literals are kept apart from the code, so a path or a call inside a message does not count,
//! and a `"file:"` inside a comment does not either.
//!
//! The checkers themselves are tested first, on synthetic graphs and files, so that a rule that
//! passes on `src/` is known to be able to fail.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// Reading source text.

/// A source file as the rules see it.
struct Source {
    /// `src/plan/desired.rs`.
    rel: String,
    /// `["plan", "desired"]`; `[]` for `src/lib.rs` and `src/main.rs`.
    module: Vec<String>,
    /// Comments removed and string and char literal contents blanked (lines and byte offsets
    /// kept), cut at the first `#[cfg(test)]`.
    code: String,
    /// The same, not cut: where `#[cfg(test)] mod tests;` declarations are.
    whole: String,
    /// Every string literal before the cut: (line, its text between the quotes, unescaped as
    /// written).
    strings: Vec<(usize, String)>,
    /// Byte offset of the start of each line.
    lines: Vec<usize>,
}

impl Source {
    fn new(rel: &str, text: &str) -> Source {
        let (whole, literals) = lex(text);
        let cut = whole.find("#[cfg(test)]").unwrap_or(whole.len());
        let lines: Vec<usize> =
            std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let mut source = Source {
            rel: rel.to_owned(),
            module: module_of(rel),
            code: whole[..cut].to_owned(),
            whole,
            strings: Vec::new(),
            lines,
        };
        source.strings = literals
            .into_iter()
            .filter(|(at, _)| *at < cut)
            .map(|(at, s)| (source.line(at), s))
            .collect();
        source
    }

    /// 1-based line of byte offset `at`.
    fn line(&self, at: usize) -> usize {
        self.lines.partition_point(|&start| start <= at)
    }
}

/// `src/a/b.rs` → `a::b`, `src/a/mod.rs` → `a`, `src/lib.rs` and `src/main.rs` → the root.
fn module_of(rel: &str) -> Vec<String> {
    let inner = rel.strip_prefix("src/").unwrap_or(rel);
    let inner = inner.strip_suffix(".rs").unwrap_or(inner);
    let mut parts: Vec<String> = inner.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

/// Splits Rust source into code and string literals. The code has the text's length and lines:
/// comments (`//…`, nested `/* … */`) and the insides of string, raw string, byte string and
/// char literals are replaced by spaces. Each string literal is returned with the byte offset of
/// its opening quote.
fn lex(text: &str) -> (String, Vec<(usize, String)>) {
    let b = text.as_bytes();
    let n = b.len();
    let mut code = b.to_vec();
    let mut strings = Vec::new();
    let blank = |code: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut code[from..to.min(n)] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < n {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'/' && next == Some(b'/') {
            let end = text[i..].find('\n').map_or(n, |e| i + e);
            blank(&mut code, i, end);
            i = end;
        } else if c == b'/' && next == Some(b'*') {
            let (start, mut depth) = (i, 0usize);
            while i < n {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            blank(&mut code, start, i);
        } else if let Some(hashes) = raw_string_start(b, i).filter(|_| i == 0 || !ident(b[i - 1])) {
            // r"…", r#"…"#, br"…": no escapes; ends at `"` followed by as many `#`.
            let quote = b[i..].iter().position(|&x| x == b'"').map_or(n, |p| i + p);
            let close: Vec<u8> =
                std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            let end = b[quote + 1..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(n, |p| quote + 1 + p);
            strings.push((quote, text[quote + 1..end].to_owned()));
            blank(&mut code, quote + 1, end);
            i = (end + close.len()).min(n);
        } else if c == b'"' {
            let start = i;
            i += 1;
            while i < n && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            let end = i.min(n);
            strings.push((start, text[start + 1..end].to_owned()));
            blank(&mut code, start + 1, end);
            i = end + 1;
        } else if c == b'\'' {
            // A char literal ('x', '\n', '\'', '"') or a lifetime or label ('a).
            if next == Some(b'\\') {
                let end = b[i + 3..].iter().position(|&x| x == b'\'').map_or(n, |p| i + 3 + p);
                blank(&mut code, i + 1, end);
                i = end + 1;
            } else {
                let width = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                if b.get(i + 1 + width) == Some(&b'\'') {
                    blank(&mut code, i + 1, i + 1 + width);
                    i += 2 + width;
                } else {
                    i += 1;
                }
            }
        } else {
            i += 1;
        }
    }
    (String::from_utf8(code).expect("only whole characters are blanked"), strings)
}

/// At `r"`, `r#…#"`, `br"` or `br#…#"`: the number of `#`.
fn raw_string_start(b: &[u8], i: usize) -> Option<usize> {
    let j = match b.get(i..i + 2)? {
        [b'b', b'r'] => i + 2,
        [b'r', _] => i + 1,
        _ => return None,
    };
    let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
    (b.get(j + hashes) == Some(&b'"')).then_some(hashes)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    PathSep,
    Open,
    Close,
    Comma,
    Star,
    Other,
}

/// Tokens of lexed code, each with its byte offset.
fn tokens(code: &str) -> Vec<(usize, Tok<'_>)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            Tok::Ident(&code[start..i])
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            Tok::Other
        } else if b[i..].starts_with(b"::") {
            i += 2;
            Tok::PathSep
        } else {
            i += code[i..].chars().next().map_or(1, char::len_utf8);
            match c {
                b'{' => Tok::Open,
                b'}' => Tok::Close,
                b',' => Tok::Comma,
                b'*' => Tok::Star,
                _ => Tok::Other,
            }
        };
        out.push((start, tok));
    }
    out
}

/// A path segment and the byte offset where it is written.
type Segment = (String, usize);

/// Parses the use tree or path starting at `toks[i]` and appends every path it names to `out`
/// (`a::{b, c::d as e, self}` → `a::b`, `a::c::d`, `a`; `a::*` → `a`). Returns the index after
/// it.
fn path_tree(
    toks: &[(usize, Tok<'_>)],
    mut i: usize,
    prefix: &[Segment],
    out: &mut Vec<Vec<Segment>>,
) -> usize {
    match toks.get(i) {
        Some((at, Tok::Ident(name))) => {
            let mut path = prefix.to_vec();
            if *name != "self" || prefix.is_empty() {
                path.push(((*name).to_owned(), *at));
            }
            i += 1;
            if matches!(toks.get(i), Some((_, Tok::PathSep))) {
                return path_tree(toks, i + 1, &path, out);
            }
            if matches!(toks.get(i), Some((_, Tok::Ident("as")))) {
                i += 2;
            }
            out.push(path);
            i
        }
        Some((_, Tok::Open)) => {
            i += 1;
            loop {
                match toks.get(i) {
                    Some((_, Tok::Close)) => return i + 1,
                    None => return i,
                    _ => {}
                }
                let before = i;
                i = path_tree(toks, i, prefix, out);
                match toks.get(i) {
                    Some((_, Tok::Comma)) => i += 1,
                    Some((_, Tok::Close)) => return i + 1,
                    _ if i == before => return i,
                    _ => {}
                }
            }
        }
        Some((_, Tok::Star)) => {
            out.push(prefix.to_vec());
            i + 1
        }
        _ => {
            if !prefix.is_empty() {
                out.push(prefix.to_vec());
            }
            i
        }
    }
}

/// Every `crate::…` and `super::…` path of the code (use declarations, groups included, and paths
/// in expressions and types), with the module it is written in (the file's module plus any inline
/// `mod name { … }` around it).
fn module_paths(source: &Source) -> Vec<(Vec<String>, Vec<Segment>)> {
    let toks = tokens(&source.code);
    let mut out = Vec::new();
    // For each open brace: the inline module it opens, if any.
    let mut braces: Vec<Option<String>> = Vec::new();
    for (k, (_, tok)) in toks.iter().enumerate() {
        match tok {
            Tok::Open => {
                let before = |back: usize| k.checked_sub(back).map(|j| &toks[j].1);
                let inline = match (before(2), before(1)) {
                    (Some(Tok::Ident("mod")), Some(Tok::Ident(name))) => Some((*name).to_owned()),
                    _ => None,
                };
                braces.push(inline);
                continue;
            }
            Tok::Close => {
                braces.pop();
                continue;
            }
            Tok::Ident("crate" | "super") => {}
            _ => continue,
        }
        let after_sep = k > 0 && toks[k - 1].1 == Tok::PathSep;
        if after_sep || !matches!(toks.get(k + 1), Some((_, Tok::PathSep))) {
            continue;
        }
        let mut module = source.module.clone();
        module.extend(braces.iter().flatten().cloned());
        let mut paths = Vec::new();
        path_tree(&toks, k, &[], &mut paths);
        out.extend(paths.into_iter().map(|p| (module.clone(), p)));
    }
    out
}

/// Every path named by a `use` declaration, whatever it starts with (`std::fs::{self, write}` →
/// `std::fs`, `std::fs::write`).
fn use_paths(source: &Source) -> Vec<Vec<Segment>> {
    let toks = tokens(&source.code);
    let mut out = Vec::new();
    for (k, (_, tok)) in toks.iter().enumerate() {
        if *tok == Tok::Ident("use") && (k == 0 || toks[k - 1].1 != Tok::PathSep) {
            path_tree(&toks, k + 1, &[], &mut out);
        }
    }
    out
}

/// The module a `#[cfg(test)]` at byte `at` of `code` is on: its name, and whether it is declared
/// `mod name;` (its body is another file). `None`: the attribute is on something else.
fn cfg_test_module(code: &str, at: usize) -> Option<(String, bool)> {
    let mut rest = code[at + "#[cfg(test)]".len()..].trim_start();
    // Other attributes, then `pub`, `pub(crate)`, …
    while rest.starts_with("#[") {
        rest = rest.split_once(']').map_or("", |(_, r)| r).trim_start();
    }
    if let Some(r) = rest.strip_prefix("pub") {
        rest = r.trim_start();
        if rest.starts_with('(') {
            rest = rest.split_once(')').map_or("", |(_, r)| r).trim_start();
        }
    }
    let rest = rest.strip_prefix("mod ")?.trim_start();
    let name: String =
        rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let after = rest[name.len()..].trim_start();
    (!name.is_empty() && (after.starts_with(';') || after.starts_with('{')))
        .then(|| (name, after.starts_with(';')))
}

/// Modules declared `#[cfg(test)] mod name;` (their files are test code).
fn test_modules(source: &Source) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (at, _) in source.whole.match_indices("#[cfg(test)]") {
        if let Some((name, true)) = cfg_test_module(&source.whole, at) {
            let mut module = source.module.clone();
            module.push(name);
            out.push(module);
        }
    }
    out
}

/// The `.rs` files below `src/` (sorted), without the files of `#[cfg(test)]` modules.
fn read_src() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/");
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((rel, text));
            }
        }
    }
    files.sort();
    sources(&files)
}

/// Lexes `(path, text)` pairs and drops the files of test-only modules.
fn sources(files: &[(String, String)]) -> Vec<Source> {
    let all: Vec<Source> = files.iter().map(|(rel, text)| Source::new(rel, text)).collect();
    let tests: Vec<Vec<String>> = all.iter().flat_map(test_modules).collect();
    all.into_iter().filter(|s| !tests.iter().any(|t| s.module.starts_with(t))).collect()
}

// ---------------------------------------------------------------------------------------------
// The module graph and the cycle checker.

/// Where an edge comes from: `src/store/journal.rs:12`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Site {
    file: String,
    line: usize,
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// `from → to`, with every place that makes the edge.
type Graph = BTreeMap<(String, String), Vec<Site>>;

fn add_edge(graph: &mut Graph, from: &str, to: &str, site: Site) {
    let sites = graph.entry((from.to_owned(), to.to_owned())).or_default();
    if !sites.contains(&site) {
        sites.push(site);
    }
}

/// The graphs of `sources`: the top-level modules (`a` → `b` when a file of `a` names
/// `crate::b…`), and for each top-level module the graph of its direct submodules (`a::b` →
/// `a::c` when a file of `a::b` names `a::c…`; naming `a` itself is not an edge there).
fn module_graphs(sources: &[Source]) -> (Graph, BTreeMap<String, Graph>) {
    let known: BTreeSet<&[String]> = sources.iter().map(|s| s.module.as_slice()).collect();
    let mut top = Graph::new();
    let mut siblings: BTreeMap<String, Graph> = BTreeMap::new();
    for source in sources {
        let Some(from_top) = source.module.first() else { continue };
        for (module, path) in module_paths(source) {
            // Resolve to an absolute path; a segment taken from the module itself is placed
            // where the path starts.
            let start = path[0].1;
            let (base, rest): (Vec<String>, &[Segment]) = if path[0].0 == "crate" {
                (Vec::new(), &path[1..])
            } else {
                let supers = path.iter().take_while(|(s, _)| s == "super").count();
                let Some(keep) = module.len().checked_sub(supers) else { continue };
                (module[..keep].to_vec(), &path[supers..])
            };
            let abs: Vec<Segment> =
                base.into_iter().map(|s| (s, start)).chain(rest.iter().cloned()).collect();
            let site = |at: usize| Site { file: source.rel.clone(), line: source.line(at) };
            let Some((to_top, at)) = abs.first() else { continue };
            if to_top != from_top && known.contains([to_top.clone()].as_slice()) {
                add_edge(&mut top, from_top, to_top, site(*at));
            }
            if let (Some(from_sub), Some((to_sub, at))) = (source.module.get(1), abs.get(1))
                && to_top == from_top
                && to_sub != from_sub
                && known.contains([to_top.clone(), to_sub.clone()].as_slice())
            {
                let graph = siblings.entry(from_top.clone()).or_default();
                add_edge(graph, from_sub, to_sub, site(*at));
            }
        }
    }
    (top, siblings)
}

/// A set of modules that import each other, and a shortest cycle through its first member.
#[derive(Debug, PartialEq, Eq)]
struct Cycle {
    /// The strongly connected component, sorted.
    members: Vec<String>,
    /// `[a, b, c, a]`: a shortest cycle through the first member.
    path: Vec<String>,
}

/// Every group of nodes that reach each other (Tarjan's strongly connected components with more
/// than one node, or one node with an edge to itself), sorted; empty for a DAG.
fn cycles(graph: &Graph) -> Vec<Cycle> {
    let mut adj: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in graph.keys() {
        adj.entry(from).or_default().push(to);
        adj.entry(to).or_default();
    }
    struct Tarjan<'a> {
        adj: &'a BTreeMap<&'a str, Vec<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        groups: Vec<Vec<&'a str>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for &w in &self.adj[v] {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    group.push(w);
                    if w == v {
                        break;
                    }
                }
                self.groups.push(group);
            }
        }
    }
    let mut t = Tarjan {
        adj: &adj,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for &v in adj.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    let mut out: Vec<Cycle> = t
        .groups
        .into_iter()
        .filter(|g| g.len() > 1 || adj[g[0]].contains(&g[0]))
        .map(|mut group| {
            group.sort_unstable();
            let members: BTreeSet<&str> = group.iter().copied().collect();
            // Breadth-first from the first member, inside the group, back to it.
            let first = group[0];
            let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
            let mut queue = VecDeque::from([first]);
            'search: while let Some(v) = queue.pop_front() {
                for &w in &adj[v] {
                    if !members.contains(w) {
                        continue;
                    }
                    if w == first {
                        parent.insert(first, v);
                        break 'search;
                    }
                    if !parent.contains_key(w) {
                        parent.insert(w, v);
                        queue.push_back(w);
                    }
                }
            }
            let mut path = vec![first.to_owned()];
            let mut v = parent[first];
            while v != first {
                path.push(v.to_owned());
                v = parent[v];
            }
            path.push(first.to_owned());
            path.reverse();
            Cycle { members: group.iter().map(|s| (*s).to_owned()).collect(), path }
        })
        .collect();
    out.sort_by(|a, b| a.members.cmp(&b.members));
    out
}

/// The failure message: each cycle with one `file:line` per edge, then the group's other edges.
fn describe(what: &str, graph: &Graph, found: &[Cycle]) -> String {
    let edge = |from: &str, to: &str| {
        let sites = &graph[&(from.to_owned(), to.to_owned())];
        let more = match sites.len() {
            1 => String::new(),
            n => format!("  (and {} more place(s))", n - 1),
        };
        format!("    {from} → {to}   {}{more}\n", sites[0])
    };
    let mut out = format!("{what}: {} import cycle(s)\n", found.len());
    for c in found {
        out.push_str(&format!(
            "  cycle {}  (group: {})\n",
            c.path.join(" → "),
            c.members.join(", ")
        ));
        let on_cycle: BTreeSet<(&str, &str)> =
            c.path.windows(2).map(|w| (w[0].as_str(), w[1].as_str())).collect();
        for w in c.path.windows(2) {
            out.push_str(&edge(&w[0], &w[1]));
        }
        let others: Vec<&(String, String)> = graph
            .keys()
            .filter(|(f, t)| c.members.contains(f) && c.members.contains(t))
            .filter(|(f, t)| !on_cycle.contains(&(f.as_str(), t.as_str())))
            .collect();
        if !others.is_empty() {
            out.push_str("   other edges inside the group:\n");
            for (f, t) in others {
                out.push_str(&edge(f, t));
            }
        }
    }
    out
}

/// Panics with `describe` unless `graph` is acyclic.
fn assert_acyclic(what: &str, graph: &Graph) {
    let found = cycles(graph);
    assert!(found.is_empty(), "{}", describe(what, graph, &found));
}

// ---------------------------------------------------------------------------------------------
// The checkers, on synthetic input.

fn graph(edges: &[(&str, &str)]) -> Graph {
    let mut g = Graph::new();
    for (i, (from, to)) in edges.iter().enumerate() {
        add_edge(&mut g, from, to, Site { file: format!("src/{from}.rs"), line: i + 1 });
    }
    g
}

#[test]
fn the_cycle_checker_finds_a_cycle_and_names_each_edge() {
    let g = graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"), ("a", "c")]);
    let found = cycles(&g);
    assert_eq!(
        found,
        [Cycle {
            members: vec!["a".into(), "b".into(), "c".into()],
            path: vec!["a".into(), "c".into(), "a".into()]
        }]
    );
    let message = describe("test", &g, &found);
    assert_eq!(
        message,
        "\
test: 1 import cycle(s)
  cycle a → c → a  (group: a, b, c)
    a → c   src/a.rs:6
    c → a   src/c.rs:3
   other edges inside the group:
    a → b   src/a.rs:1
    b → c   src/b.rs:2
"
    );
    let result = std::panic::catch_unwind(|| assert_acyclic("test", &g));
    assert!(result.is_err(), "a cyclic graph fails");
}

#[test]
fn the_cycle_checker_finds_every_group_and_self_loops() {
    let g = graph(&[
        ("a", "b"),
        ("b", "a"),
        ("b", "c"),
        ("c", "d"),
        ("d", "e"),
        ("e", "c"),
        ("f", "f"),
    ]);
    let members: Vec<Vec<String>> = cycles(&g).into_iter().map(|c| c.members).collect();
    assert_eq!(members, [vec!["a", "b"], vec!["c", "d", "e"], vec!["f"]]);
}

#[test]
fn the_cycle_checker_passes_a_dag() {
    let g = graph(&[("a", "b"), ("a", "c"), ("b", "c"), ("c", "d"), ("a", "d")]);
    assert_eq!(cycles(&g), []);
    assert_acyclic("test", &g);
    assert_eq!(cycles(&Graph::new()), []);
}

#[test]
fn the_lexer_keeps_comments_strings_and_chars_out_of_the_code() {
    let text = r##"use crate::a; // crate::b
/* crate::c /* nested */ crate::d */ let q = '"';
let s = "crate::e \" crate::f"; let r = r#"crate::g "x" "#;
fn f<'a>(x: &'a str) -> char { super::h::i(b'\''); 'z' }
"##;
    let s = Source::new("src/x/y.rs", text);
    let paths: Vec<String> = module_paths(&s)
        .into_iter()
        .map(|(m, p)| {
            format!(
                "{}: {}",
                m.join("::"),
                p.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join("::")
            )
        })
        .collect();
    assert_eq!(paths, ["x::y: crate::a", "x::y: super::h::i"]);
    let strings: Vec<(usize, &str)> = s.strings.iter().map(|(l, t)| (*l, t.as_str())).collect();
    assert_eq!(strings, [(3, "crate::e \\\" crate::f"), (3, "crate::g \"x\" ")]);
    assert_eq!(s.code.len(), text.len());
    assert_eq!(s.code.lines().count(), text.lines().count());
}

/// A small crate: `a` and `b` import each other, `a::x` and `a::y` too; `c` only imports.
fn synthetic() -> Vec<Source> {
    let files = [
        ("src/lib.rs", "pub mod a; pub mod b; pub mod c; pub mod d;\n"),
        (
            "src/a/mod.rs",
            "pub mod x;
pub mod y;
use self::x::Thing;
pub struct Item;
#[cfg(test)]
mod tests;
",
        ),
        ("src/a/x.rs", "use super::{Item, y::{self, Other as O}};\n// use crate::c;\n"),
        ("src/a/y.rs", "pub fn f() {\n    crate::a::x::g();\n    let _ = \"crate::d\";\n}\n"),
        ("src/a/tests.rs", "use crate::c::Z;\nuse super::super::d;\n"),
        (
            "src/b.rs",
            "use crate::{\n    a::{x, Item},\n    c,\n};\nuse std::fs::{self, write as w};\n",
        ),
        (
            "src/c.rs",
            "mod inner {
    use super::super::a::y::f;
}
fn g() { super::d::h() }
#[cfg(test)]
mod tests {
    use crate::d;
}
",
        ),
        ("src/d.rs", "use crate::a::Item;\n"),
    ];
    let files: Vec<(String, String)> =
        files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect();
    sources(&files)
}

fn edges(g: &Graph) -> Vec<String> {
    g.iter()
        .map(|((f, t), sites)| {
            let sites: Vec<String> = sites.iter().map(Site::to_string).collect();
            format!("{f} → {t} {}", sites.join(" "))
        })
        .collect()
}

#[test]
fn the_module_graph_of_a_synthetic_crate() {
    let sources = synthetic();
    let names: Vec<&str> = sources.iter().map(|s| s.rel.as_str()).collect();
    assert!(!names.contains(&"src/a/tests.rs"), "a #[cfg(test)] module's file is left out");
    let (top, siblings) = module_graphs(&sources);
    assert_eq!(
        edges(&top),
        [
            "b → a src/b.rs:2",
            "b → c src/b.rs:3",
            "c → a src/c.rs:2",
            "c → d src/c.rs:4",
            "d → a src/d.rs:1",
        ]
    );
    assert_eq!(siblings.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(edges(&siblings["a"]), ["x → y src/a/x.rs:1", "y → x src/a/y.rs:2"]);
    assert_eq!(cycles(&top), []);
    assert_eq!(cycles(&siblings["a"]).len(), 1);
    let uses: Vec<String> = use_paths(&sources[4])
        .into_iter()
        .map(|p| p.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join("::"))
        .collect();
    assert_eq!(sources[4].rel, "src/b.rs");
    assert_eq!(uses, ["crate::a::x", "crate::a::Item", "crate::c", "std::fs", "std::fs::write"]);
}

// ---------------------------------------------------------------------------------------------
// Rule 1: no import cycle.

fn src() -> Vec<Source> {
    let sources = read_src();
    // Not vacuous: the walk found the crate.
    let modules: BTreeSet<&str> =
        sources.iter().filter_map(|s| s.module.first()).map(String::as_str).collect();
    for m in [
        "apply", "cli", "engine", "plan", "probe", "profile", "resource", "rules", "sdk", "store",
        "units",
    ] {
        assert!(modules.contains(m), "module `{m}` not found in src/: {modules:?}");
    }
    // Each file is read up to its first `#[cfg(test)]`: that must be the test module, or the
    // code after it would go unchecked.
    for s in &sources {
        let at = s.code.len();
        if at < s.whole.len() && cfg_test_module(&s.whole, at).is_none() {
            panic!(
                "{}:{}: the first #[cfg(test)] is not on a module; the rules read each file only \
                 up to it, so move it (or its item) after the code",
                s.rel,
                s.line(at)
            );
        }
    }
    sources
}

#[test]
fn top_level_modules_form_a_dag() {
    let (top, _) = module_graphs(&src());
    assert!(top.len() > 10, "the top-level graph has edges: {top:?}");
    assert_acyclic("top-level modules of src/", &top);
}

#[test]
fn the_submodules_of_each_module_form_a_dag() {
    let (_, siblings) = module_graphs(&src());
    assert!(siblings.contains_key("cli") && siblings.contains_key("gobin"), "{siblings:?}");
    let mut failures = String::new();
    for (module, graph) in &siblings {
        let found = cycles(graph);
        if !found.is_empty() {
            failures.push_str(&describe(&format!("submodules of `{module}`"), graph, &found));
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

// ---------------------------------------------------------------------------------------------
// Rule 2: src/cli/ starts no process and writes no file.

/// Starting a process, or writing, removing, renaming or creating files and directories.
const FORBIDDEN_IN_CLI: [&str; 18] = [
    "Command::new",
    "process::Command",
    "fs::write",
    "fs::remove_file",
    "fs::remove_dir_all",
    "fs::rename",
    "fs::create_dir_all",
    "File::create",
    "replace_file",
    "OpenOptions",
    // The same, by other names.
    "fs::copy",
    "fs::create_dir",
    "fs::remove_dir",
    "fs::set_permissions",
    "fs::hard_link",
    "symlink",
    "DirBuilder",
    "tempfile::",
];

/// Offsets of `word` in `hay` that are not part of a longer identifier.
fn find_word(hay: &str, word: &str) -> Vec<usize> {
    let ident = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_');
    let ends_in_ident = ident(word.bytes().last());
    hay.match_indices(word)
        .map(|(at, _)| at)
        .filter(|&at| !ident(at.checked_sub(1).map(|j| hay.as_bytes()[j])))
        .filter(|&at| !ends_in_ident || !ident(hay.as_bytes().get(at + word.len()).copied()))
        .collect()
}

/// `file:line: pattern, …` for each line of `sources` that uses a forbidden name, in the code
/// (comments and strings aside) or in a `use` declaration's expanded path.
fn forbidden_uses(sources: &[Source], patterns: &[&str]) -> Vec<String> {
    let mut hits: BTreeMap<(String, usize), BTreeSet<&str>> = BTreeMap::new();
    for s in sources {
        for pattern in patterns {
            for at in find_word(&s.code, pattern) {
                hits.entry((s.rel.clone(), s.line(at))).or_default().insert(pattern);
            }
        }
        for path in use_paths(s) {
            let joined: Vec<&str> = path.iter().map(|(n, _)| n.as_str()).collect();
            let joined = joined.join("::");
            let at = path.last().map_or(0, |(_, at)| *at);
            for pattern in patterns.iter().filter(|p| !find_word(&joined, p).is_empty()) {
                hits.entry((s.rel.clone(), s.line(at))).or_default().insert(pattern);
            }
        }
    }
    hits.into_iter()
        .map(|((file, line), p)| {
            format!("{file}:{line}: {}", p.into_iter().collect::<Vec<_>>().join(", "))
        })
        .collect()
}

#[test]
fn the_cli_rule_on_synthetic_files() {
    let files = [
        (
            "src/cli/x.rs",
            r#"use std::fs::{self, write as put};
use std::process::Command;
// fs::write(p, b)
fn f() {
    let _ = "std::fs::rename";
    std::fs::create_dir_all(d)?; crate::fsx::replace_file(p, b, 0o644)?;
    let m = fs::symlink_metadata(p); fs::create_dir(d);
}
#[cfg(test)]
mod tests { fn g() { std::fs::remove_file(p); } }
"#,
        ),
        ("src/cli/y.rs", "fn f() { let s = std::fs::read_to_string(p); is_symlink(); }\n"),
    ];
    let files: Vec<(String, String)> =
        files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect();
    assert_eq!(
        forbidden_uses(&sources(&files), &FORBIDDEN_IN_CLI),
        [
            "src/cli/x.rs:1: fs::write",
            "src/cli/x.rs:2: process::Command",
            "src/cli/x.rs:6: fs::create_dir_all, replace_file",
            "src/cli/x.rs:7: fs::create_dir",
        ]
    );
}

#[test]
fn src_cli_starts_no_process_and_writes_no_file() {
    let cli: Vec<Source> = src().into_iter().filter(|s| s.rel.starts_with("src/cli/")).collect();
    assert!(cli.len() >= 5, "src/cli/ has its files: {}", cli.len());
    let hits = forbidden_uses(&cli, &FORBIDDEN_IN_CLI);
    assert!(
        hits.is_empty(),
        "src/cli/ parses, calls the library and prints; it starts no process and writes no file \
         (move these into a library module):\n{}",
        hits.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Rule 3: resource ids are spelled and parsed only in src/resource/.

const ID_PREFIXES: [&str; 6] = ["file:", "block:", "json:", "link:", "sdk:", "tool:"];

/// Every string literal outside `src/resource/` that starts with a resource-id prefix (as a
/// `starts_with`/`strip_prefix` argument, a `format!` string or a plain id), by file. A
/// `file://` URL is not an id.
fn id_literals(sources: &[Source]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in sources.iter().filter(|s| !s.rel.starts_with("src/resource/")) {
        for (line, text) in &s.strings {
            if ID_PREFIXES.iter().any(|p| text.starts_with(p)) && !text.starts_with("file://") {
                out.entry(s.rel.clone()).or_default().push(format!("{}:{line}: \"{text}\"", s.rel));
            }
        }
    }
    out
}

#[test]
fn the_id_prefix_rule_on_synthetic_files() {
    let files = [
        (
            "src/x.rs",
            r#"// "file:~/.bashrc"
fn f(id: &str) -> bool {
    let _ = format!("block:{}", p);
    let _ = "file:///srv/proxy";
    let _ = "not json: a";
    id.starts_with("sdk:") || id.strip_prefix(r"tool:").is_some()
}
#[cfg(test)]
mod tests { const X: &str = "link:~/sdk/current"; }
"#,
        ),
        ("src/resource/mod.rs", "pub const FILE: &str = \"file:\";\n"),
    ];
    let files: Vec<(String, String)> =
        files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect();
    let found = id_literals(&sources(&files));
    assert_eq!(found.keys().collect::<Vec<_>>(), ["src/x.rs"]);
    assert_eq!(
        found["src/x.rs"],
        ["src/x.rs:3: \"block:{}\"", "src/x.rs:6: \"sdk:\"", "src/x.rs:6: \"tool:\""]
    );
}

#[test]
fn resource_id_prefixes_appear_only_in_src_resource() {
    let sources = src();
    assert!(sources.len() >= 30, "src/ has its files: {}", sources.len());
    let found = id_literals(&sources);
    let total: usize = found.values().map(Vec::len).sum();
    let mut message = format!(
        "{total} string literal(s) outside src/resource/ start with a resource-id prefix \
         ({}); build and take ids apart with the resource module instead:\n",
        ID_PREFIXES.join(" ")
    );
    for (file, hits) in &found {
        message.push_str(&format!("  {file}: {}\n", hits.len()));
    }
    for hits in found.values() {
        for hit in hits {
            message.push_str(&format!("    {hit}\n"));
        }
    }
    assert!(found.is_empty(), "{message}");
}
