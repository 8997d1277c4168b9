//! fish's configuration, read and never run: a small reader of what `config.fish` and `conf.d`
//! snippets set.
//!
//! It evaluates `set` (`-g`, `-x`, `-U`, `-a`, `-p`, `-e`), `fish_add_path` (with fish's own
//! rules: existing directories only, universal `fish_user_paths` by default), `if`/`else` on
//! `status is-login`, `status is-interactive`, `test`, `set -q`, `type -q` and `command -q`,
//! `and`/`or`/`not`, `source`, and the universal variables in `fish_variables`. Anything else that
//! could change a variable makes it unknown, with its file and line. It never starts fish.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::sh::{Note, NoteKind, is_name};
use super::sys::{Sys, clean};
use super::value::{Env, Source, Val, Var, Why};

#[derive(Debug, Clone)]
pub struct FishMode {
    pub login: bool,
    pub interactive: bool,
}

#[derive(Debug, Clone)]
struct Stmt {
    words: Vec<String>,
    line: u32,
}

#[derive(Debug, Clone)]
enum Node {
    Simple(Stmt),
    If { arms: Vec<(Stmt, Vec<Node>)>, otherwise: Option<Vec<Node>> },
    For { var: String, words: Stmt, body: Vec<Node> },
    Function { name: String, body: Vec<Node> },
    Block(Vec<Node>),
    Opaque { line: u32, what: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    T,
    F,
    U,
}

#[derive(Debug, Clone)]
struct FVar {
    items: Result<Vec<String>, Why>,
    exported: bool,
    at: Source,
}

#[derive(Debug, Clone)]
struct State {
    vars: BTreeMap<String, FVar>,
    rest: Option<Why>,
    status: St,
    /// Entries `fish_user_paths` put in front of PATH, so a change can take them out again.
    added: Vec<String>,
    funcs: BTreeMap<String, Vec<Node>>,
}

struct Reader<'a> {
    sys: &'a Sys,
    mode: FishMode,
    file: PathBuf,
    notes: Vec<Note>,
    depth: usize,
}

/// The files fish reads at start, in order: the user's, system and vendor `conf.d` snippets (a
/// name seen first wins), then `/etc/fish/config.fish`, then the user's `config.fish`.
pub fn startup_files(sys: &Sys, config_home: &Path) -> Vec<PathBuf> {
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut order = Vec::new();
    let dirs = [
        config_home.join("fish/conf.d"),
        PathBuf::from("/etc/fish/conf.d"),
        sys.home().join(".local/share/fish/vendor_conf.d"),
        PathBuf::from("/usr/local/share/fish/vendor_conf.d"),
        PathBuf::from("/usr/share/fish/vendor_conf.d"),
    ];
    for dir in &dirs {
        for name in sys.list(dir) {
            if name.ends_with(".fish") && !seen.contains_key(&name) {
                seen.insert(name.clone(), dir.join(&name));
                order.push(name);
            }
        }
    }
    order.sort_by(|a, b| natural(a, b));
    let mut files: Vec<PathBuf> = order.into_iter().filter_map(|n| seen.remove(&n)).collect();
    files.push(PathBuf::from("/etc/fish/config.fish"));
    files.push(config_home.join("fish/config.fish"));
    files
}

fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    a.cmp(b)
}

/// Runs fish's start-up with `env` as the environment fish starts with.
pub fn run(
    sys: &Sys,
    mode: &FishMode,
    env: &Env,
    config_home: &Path,
    notes: &mut Vec<Note>,
) -> Env {
    let mut st = State {
        vars: BTreeMap::new(),
        rest: env.rest.clone(),
        status: St::T,
        added: Vec::new(),
        funcs: BTreeMap::new(),
    };
    for (name, var) in &env.vars {
        let items = match &var.val {
            Val::Known(s) if name == "PATH" => Ok(s.split(':').map(str::to_owned).collect()),
            Val::Known(s) => Ok(vec![s.clone()]),
            Val::Unknown(w) => Err(w.clone()),
        };
        st.vars.insert(name.clone(), FVar { items, exported: var.exported, at: var.at.clone() });
    }
    let mut r =
        Reader { sys, mode: mode.clone(), file: PathBuf::new(), notes: Vec::new(), depth: 0 };
    r.universal(&mut st, config_home);
    r.reconstruct(&mut st, &Source::layer("fish"));
    for file in startup_files(sys, config_home) {
        r.source(&file, &mut st);
    }
    notes.append(&mut r.notes);
    let mut out = Env { vars: BTreeMap::new(), rest: st.rest.clone() };
    for (name, v) in st.vars {
        if !v.exported {
            continue;
        }
        let sep = if name.ends_with("PATH") { ":" } else { " " };
        let val = match v.items {
            Ok(items) => Val::Known(items.join(sep)),
            Err(w) => Val::Unknown(w),
        };
        let mut var = Var::new(val, true, v.at.clone());
        if name == "PATH"
            && let Some(old) = env.vars.get(&name)
        {
            var.entries = var.split_entries(&old.path_entries());
        }
        out.vars.insert(name, var);
    }
    out
}

impl Reader<'_> {
    fn unknown(&mut self, line: u32, reason: String) -> Why {
        let at = Source::file(self.file.clone(), line);
        let note = Note { at: at.clone(), kind: NoteKind::Unknown(reason.clone()) };
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
        Why::new(at, reason)
    }

    /// Universal variables from `fish_variables`.
    fn universal(&mut self, st: &mut State, config_home: &Path) {
        let path = config_home.join("fish/fish_variables");
        let Some(text) = self.sys.read_text(&path, "fish's universal variables") else { return };
        for (i, line) in text.lines().enumerate() {
            let Some(rest) = line.strip_prefix("SETUVAR ") else { continue };
            let (exported, rest) = match rest.strip_prefix("--export ") {
                Some(r) => (true, r),
                None => (false, rest.strip_prefix("--path ").unwrap_or(rest)),
            };
            let Some((name, value)) = rest.split_once(':') else { continue };
            let items: Vec<String> = if value.is_empty() {
                Vec::new()
            } else {
                value.split("\\x1e").map(unescape_uvar).collect()
            };
            let at = Source::file(path.clone(), i as u32 + 1);
            st.vars.insert(name.to_owned(), FVar { items: Ok(items), exported, at });
        }
    }

    /// fish's `__fish_reconstruct_path`: `fish_user_paths` in front of PATH, without duplicates.
    fn reconstruct(&mut self, st: &mut State, at: &Source) {
        let user = match st.vars.get("fish_user_paths") {
            None => Vec::new(),
            Some(FVar { items: Ok(i), .. }) => {
                i.iter().flat_map(|s| s.split(':')).map(str::to_owned).collect()
            }
            Some(FVar { items: Err(w), .. }) => {
                let w = w.clone();
                if let Some(p) = st.vars.get_mut("PATH") {
                    p.items = Err(w);
                }
                return;
            }
        };
        let Some(path) = st.vars.get("PATH") else { return };
        let Ok(mut local) = path.items.clone() else { return };
        for x in &st.added {
            if let Some(i) = local.iter().position(|e| e == x) {
                local.remove(i);
            }
        }
        let mut dedup: Vec<String> = Vec::new();
        for u in user {
            if !dedup.contains(&u) {
                dedup.push(u);
            }
        }
        st.added.clear();
        for x in dedup.iter().rev() {
            if let Some(i) = local.iter().position(|e| e == x) {
                local.remove(i);
            } else {
                st.added.push(x.clone());
            }
            local.insert(0, x.clone());
        }
        let at = if dedup.is_empty() { path.at.clone() } else { at.clone() };
        st.vars.insert("PATH".into(), FVar { items: Ok(local), exported: true, at });
    }

    fn source(&mut self, file: &Path, st: &mut State) {
        if self.depth > 16 {
            return;
        }
        let Some(text) = self.sys.read_text(file, "a fish start-up file") else { return };
        self.notes
            .push(Note { at: Source::file(file, 1), kind: NoteKind::Read(file.to_path_buf()) });
        let saved = std::mem::replace(&mut self.file, file.to_path_buf());
        self.depth += 1;
        let stmts = tokenize(&text);
        let mut i = 0;
        let nodes = parse_block(&stmts, &mut i, &[], 0);
        self.block(&nodes, st);
        self.depth -= 1;
        self.file = saved;
    }

    fn block(&mut self, nodes: &[Node], st: &mut State) -> bool {
        for n in nodes {
            if !self.node(n, st) {
                return false;
            }
        }
        true
    }

    /// Runs one node; `false` when `return`/`exit` ended the file.
    fn node(&mut self, n: &Node, st: &mut State) -> bool {
        match n {
            Node::Simple(s) => self.simple(s, st),
            Node::Block(b) => self.block(b, st),
            Node::Function { name, body } => {
                st.funcs.insert(name.clone(), body.clone());
                true
            }
            Node::If { arms, otherwise } => {
                for (cond, body) in arms {
                    self.simple(cond, st);
                    match st.status {
                        St::T => return self.block(body, st),
                        St::F => continue,
                        St::U => {
                            let why = self.unknown(
                                cond.line,
                                "this condition is not known from files".into(),
                            );
                            let mut b = st.clone();
                            self.block(body, &mut b);
                            let mut other = st.clone();
                            if let Some(o) = otherwise {
                                self.block(o, &mut other);
                            }
                            *st = merge(b, other, &why);
                            return true;
                        }
                    }
                }
                match otherwise {
                    Some(o) => self.block(o, st),
                    None => true,
                }
            }
            Node::For { var, words, body } => {
                let items = self.words(&words.words, st, words.line);
                match items {
                    Ok(items) => {
                        for it in items {
                            let at = Source::file(self.file.clone(), words.line);
                            st.vars.insert(
                                var.clone(),
                                FVar { items: Ok(vec![it]), exported: false, at },
                            );
                            if !self.block(body, st) {
                                return false;
                            }
                        }
                    }
                    Err(w) => {
                        let why = self.unknown(
                            words.line,
                            format!("a `for` loop over words that are not known ({})", w.reason),
                        );
                        clobber(st, why);
                    }
                }
                true
            }
            Node::Opaque { line, what } => {
                let why = self.unknown(*line, format!("{what} is not evaluated"));
                clobber(st, why);
                true
            }
        }
    }

    fn words(&mut self, words: &[String], st: &State, line: u32) -> Result<Vec<String>, Why> {
        let mut out = Vec::new();
        for w in words {
            out.extend(self.expand(w, st, line)?);
        }
        Ok(out)
    }

    /// fish's expansion of one word: quotes, `~`, `$VAR` (a list: one argument per item, the
    /// cartesian product with the text around it), `"$VAR"` (joined). Command substitution and
    /// braces are unknown.
    fn expand(&mut self, w: &str, st: &State, line: u32) -> Result<Vec<String>, Why> {
        let home = self.sys.home().to_string_lossy().into_owned();
        let mut results: Vec<String> = vec![String::new()];
        let chars: Vec<char> = w.chars().collect();
        let mut i = 0;
        if chars.first() == Some(&'~') && (chars.len() == 1 || chars[1] == '/') {
            results = vec![home.clone()];
            i = 1;
        }
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            match (quote, c) {
                (None, '\'') | (None, '"') => {
                    quote = Some(c);
                    i += 1;
                }
                (Some(q), c) if c == q => {
                    quote = None;
                    i += 1;
                }
                (Some('\''), '\\')
                    if i + 1 < chars.len() && matches!(chars[i + 1], '\'' | '\\') =>
                {
                    push_all(&mut results, &chars[i + 1].to_string());
                    i += 2;
                }
                (Some('"'), '\\')
                    if i + 1 < chars.len() && matches!(chars[i + 1], '"' | '\\' | '$') =>
                {
                    push_all(&mut results, &chars[i + 1].to_string());
                    i += 2;
                }
                (None, '\\') if i + 1 < chars.len() => {
                    push_all(&mut results, &chars[i + 1].to_string());
                    i += 2;
                }
                (q, '$') if q != Some('\'') => {
                    let start = i + 1;
                    let mut j = start;
                    while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                        j += 1;
                    }
                    let name: String = chars[start..j].iter().collect();
                    if name.is_empty() || (j < chars.len() && chars[j] == '[') {
                        return Err(Why::new(
                            Source::file(self.file.clone(), line),
                            format!("fish expansion in `{w}` is not evaluated"),
                        ));
                    }
                    let items = match st.vars.get(&name) {
                        Some(FVar { items: Ok(i), .. }) => i.clone(),
                        Some(FVar { items: Err(w), .. }) => return Err(w.clone()),
                        None => match &st.rest {
                            Some(w) => return Err(w.clone()),
                            None => Vec::new(),
                        },
                    };
                    if q == Some('"') {
                        let sep = if name.ends_with("PATH") { ":" } else { " " };
                        push_all(&mut results, &items.join(sep));
                    } else {
                        let mut next = Vec::new();
                        for r in &results {
                            for it in &items {
                                next.push(format!("{r}{it}"));
                            }
                        }
                        results = next;
                    }
                    i = j;
                }
                (None, '(') if chars[i..].contains(&')') => {
                    let end = i + chars[i..].iter().position(|&c| c == ')').unwrap_or(0);
                    let inner: String = chars[i + 1..end].iter().collect();
                    let words: Vec<&str> = inner.split_whitespace().collect();
                    let prog = words.first().map(|p| p.rsplit('/').next().unwrap_or(p));
                    let out = match (prog, words.get(1..).unwrap_or_default()) {
                        (Some("id"), ["-u"]) => self.sys.uid.to_string(),
                        _ => {
                            return Err(Why::new(
                                Source::file(self.file.clone(), line),
                                format!("the output of `({inner})` is not known from files"),
                            ));
                        }
                    };
                    push_all(&mut results, &out);
                    i = end + 1;
                }
                (None, '(') | (None, '{') | (None, '*') | (None, '?') => {
                    return Err(Why::new(
                        Source::file(self.file.clone(), line),
                        format!("fish expansion in `{w}` is not evaluated"),
                    ));
                }
                (_, c) => {
                    push_all(&mut results, &c.to_string());
                    i += 1;
                }
            }
        }
        Ok(results)
    }

    fn simple(&mut self, s: &Stmt, st: &mut State) -> bool {
        let Some(first) = s.words.first() else { return true };
        let line = s.line;
        match first.as_str() {
            "and" => {
                if st.status == St::F {
                    return true;
                }
                return self.maybe(&s.words[1..], line, st);
            }
            "or" => {
                if st.status == St::T {
                    return true;
                }
                return self.maybe(&s.words[1..], line, st);
            }
            "not" | "!" => {
                let r = self.command(&s.words[1..], line, st);
                st.status = match st.status {
                    St::T => St::F,
                    St::F => St::T,
                    St::U => St::U,
                };
                return r;
            }
            _ => {}
        }
        // `a && b`, `a || b`, `a; and b` were split by the tokenizer into separate statements
        self.command(&s.words, line, st)
    }

    fn maybe(&mut self, words: &[String], line: u32, st: &mut State) -> bool {
        if st.status == St::U {
            let why = self.unknown(
                line,
                "whether the command before `and`/`or` succeeds is not known from files".into(),
            );
            let mut b = st.clone();
            self.command(words, line, &mut b);
            let a = st.clone();
            *st = merge(a, b, &why);
            return true;
        }
        self.command(words, line, st)
    }

    fn command(&mut self, words: &[String], line: u32, st: &mut State) -> bool {
        let Some(name) = words.first() else { return true };
        let raw = words.join(" ");
        if let Some(manager) = activation(&raw) {
            self.notes.push(Note {
                at: Source::file(self.file.clone(), line),
                kind: NoteKind::Activation(manager),
            });
            let prog = words
                .iter()
                .find(|w| w.contains("brew") || w.contains("mise") || w.contains("goenv"));
            let exists = prog.is_some_and(|p| {
                let p = p.trim_start_matches('(').trim_matches('"');
                if p.contains('/') {
                    self.sys.is_executable(Path::new(p))
                } else {
                    find_in_path(self.sys, st, p).is_some()
                }
            });
            if exists {
                let why = self.unknown(line, format!("{manager} sets them"));
                for n in ["PATH", "GOROOT", "GOPATH", "GOBIN"] {
                    st.vars.insert(
                        n.into(),
                        FVar { items: Err(why.clone()), exported: true, at: why.at.clone() },
                    );
                }
            }
            st.status = St::T;
            return true;
        }
        if words.iter().any(|w| w == "|") {
            let why = self.unknown(line, format!("the pipeline `{raw}` is not evaluated"));
            if words.last().is_some_and(|w| w == "source" || w == ".") {
                clobber(st, why);
            }
            st.status = St::U;
            return true;
        }
        let args = match self.words(&words[1..], st, line) {
            Ok(a) => a,
            Err(w) => {
                if matches!(name.as_str(), "set" | "source" | "." | "eval" | "fish_add_path") {
                    let why = self.unknown(
                        line,
                        format!("`{}` with words that are not known ({})", name, w.reason),
                    );
                    if name == "set"
                        && let Some(n) = words.iter().skip(1).find(|x| !x.starts_with('-'))
                    {
                        let exported = st.vars.get(n).is_some_and(|v| v.exported);
                        st.vars.insert(
                            n.clone(),
                            FVar { items: Err(why.clone()), exported, at: why.at.clone() },
                        );
                    } else {
                        clobber(st, why);
                    }
                }
                st.status = St::U;
                return true;
            }
        };
        let at = Source::file(self.file.clone(), line);
        match name.as_str() {
            "set" => self.set(&args, st, at),
            "fish_add_path" => self.add_path(&args, st, at),
            "status" => {
                st.status = match args.first().map(String::as_str) {
                    Some("is-login") | Some("--is-login") => of(self.mode.login),
                    Some("is-interactive") | Some("--is-interactive") => of(self.mode.interactive),
                    Some("is-command-substitution") => St::F,
                    _ => St::T,
                };
            }
            "test" | "[" => {
                let mut a = args.clone();
                if name == "[" && a.last().is_some_and(|x| x == "]") {
                    a.pop();
                }
                st.status = self.test(&a);
            }
            "type" | "command" | "builtin" | "functions" => {
                let query =
                    args.iter().any(|a| a == "-q" || a == "--query" || a == "-v" || a == "-s");
                let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
                if query || name == "type" {
                    st.status = if names.iter().all(|n| {
                        find_in_path(self.sys, st, n).is_some() || st.funcs.contains_key(n.as_str())
                    }) {
                        St::T
                    } else {
                        St::F
                    };
                } else {
                    st.status = St::U;
                }
            }
            "contains" => {
                let a: Vec<&String> = args.iter().filter(|a| *a != "--").collect();
                st.status = match a.split_first() {
                    Some((needle, hay)) => of(hay.contains(needle)),
                    None => St::F,
                };
            }
            "source" | "." => {
                if let Some(f) = args.first() {
                    let p = clean(self.sys.home(), Path::new(f));
                    if self.sys.is_file(&p) {
                        self.source(&p, st);
                        st.status = St::T;
                    } else {
                        st.status = St::F;
                    }
                }
            }
            "true" => st.status = St::T,
            "false" => st.status = St::F,
            "return" | "exit" => return false,
            "eval" => {
                let why = self.unknown(line, format!("`eval {}` is not evaluated", args.join(" ")));
                clobber(st, why);
            }
            "abbr"
            | "alias"
            | "bind"
            | "complete"
            | "set_color"
            | "fish_vi_key_bindings"
            | "fish_default_key_bindings"
            | "fish_config"
            | "echo"
            | "printf"
            | "umask"
            | "ulimit"
            | "emit"
            | "function"
            | "funcsave"
            | "string"
            | "math"
            | "count" => st.status = St::T,
            other => {
                if let Some(body) = st.funcs.get(other).cloned() {
                    if self.depth < 16 {
                        self.depth += 1;
                        self.block(&body, st);
                        self.depth -= 1;
                    }
                } else {
                    st.status = St::U;
                }
            }
        }
        true
    }

    fn set(&mut self, args: &[String], st: &mut State, at: Source) {
        let mut export: Option<bool> = None;
        let (mut erase, mut append, mut prepend, mut query) = (false, false, false, false);
        let mut rest = Vec::new();
        for a in args {
            if rest.is_empty() && a.starts_with('-') && a.len() > 1 {
                match a.as_str() {
                    "--export" => export = Some(true),
                    "--unexport" => export = Some(false),
                    "--erase" => erase = true,
                    "--append" => append = true,
                    "--prepend" => prepend = true,
                    "--query" => query = true,
                    "--global" | "--universal" | "--local" | "--function" | "--path"
                    | "--unpath" => {}
                    _ if !a.starts_with("--") => {
                        for f in a[1..].chars() {
                            match f {
                                'x' => export = Some(true),
                                'u' => export = Some(false),
                                'e' => erase = true,
                                'a' => append = true,
                                'p' => prepend = true,
                                'q' => query = true,
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                continue;
            }
            rest.push(a.clone());
        }
        let Some((name, values)) = rest.split_first() else {
            st.status = St::T;
            return;
        };
        if query {
            st.status = match st.vars.get(name) {
                Some(_) => St::T,
                None if st.rest.is_some() => St::U,
                None => St::F,
            };
            return;
        }
        if !is_name(name) {
            st.status = St::F;
            return;
        }
        if erase {
            st.vars.remove(name);
        } else {
            let old = st.vars.get(name).cloned();
            let mut items = values.to_vec();
            if name.ends_with("PATH") {
                items = items.iter().flat_map(|s| s.split(':')).map(str::to_owned).collect();
            }
            let items = match (&old, append, prepend) {
                (Some(FVar { items: Ok(o), .. }), true, _) => {
                    o.iter().cloned().chain(items).collect()
                }
                (Some(FVar { items: Ok(o), .. }), false, true) => {
                    items.into_iter().chain(o.iter().cloned()).collect()
                }
                (Some(FVar { items: Err(w), .. }), true, _)
                | (Some(FVar { items: Err(w), .. }), _, true) => {
                    let w = w.clone();
                    st.vars.insert(
                        name.clone(),
                        FVar {
                            items: Err(w),
                            exported: old.as_ref().is_some_and(|o| o.exported),
                            at,
                        },
                    );
                    st.status = St::T;
                    return;
                }
                _ => items,
            };
            let exported = export.unwrap_or_else(|| old.as_ref().is_some_and(|o| o.exported));
            st.vars.insert(name.clone(), FVar { items: Ok(items), exported, at: at.clone() });
        }
        if name == "fish_user_paths" {
            self.reconstruct(st, &at);
        }
        st.status = St::T;
    }

    fn add_path(&mut self, args: &[String], st: &mut State, at: Source) {
        let (mut path_mode, mut append, mut moving) = (false, false, false);
        let mut dirs = Vec::new();
        let mut expanded: Vec<String> = Vec::new();
        for a in args {
            if a.starts_with('-') && !a.starts_with("--") && a.len() > 2 {
                expanded.extend(a[1..].chars().map(|c| format!("-{c}")));
            } else {
                expanded.push(a.clone());
            }
        }
        for a in &expanded {
            match a.as_str() {
                "-P" | "--path" => path_mode = true,
                "-a" | "--append" => append = true,
                "-p" | "--prepend" => append = false,
                "-m" | "--move" => moving = true,
                "-g" | "--global" | "-U" | "--universal" | "-v" | "--verbose" => {}
                "-n" | "--dry-run" => return,
                _ => dirs.push(a.clone()),
            }
        }
        let var = if path_mode { "PATH" } else { "fish_user_paths" };
        let current = match st.vars.get(var) {
            Some(FVar { items: Ok(i), .. }) => i.clone(),
            Some(FVar { items: Err(w), .. }) => {
                let w = w.clone();
                if let Some(p) = st.vars.get_mut("PATH") {
                    p.items = Err(w);
                }
                return;
            }
            None => Vec::new(),
        };
        let mut newpaths: Vec<String> = Vec::new();
        let mut list = current.clone();
        for d in dirs {
            let p = clean(self.sys.home(), Path::new(&d)).to_string_lossy().into_owned();
            if !self.sys.is_dir(Path::new(&p)) {
                continue;
            }
            if let Some(i) = list.iter().position(|e| *e == p) {
                if moving && !newpaths.contains(&p) {
                    list.remove(i);
                    newpaths.push(p);
                }
            } else if !newpaths.contains(&p) {
                newpaths.push(p);
            }
        }
        if newpaths.is_empty() {
            st.status = St::F;
            return;
        }
        let items: Vec<String> = if append {
            list.into_iter().chain(newpaths).collect()
        } else {
            newpaths.into_iter().chain(list).collect()
        };
        let exported = path_mode || st.vars.get(var).is_some_and(|v| v.exported);
        st.vars.insert(var.into(), FVar { items: Ok(items), exported, at: at.clone() });
        if !path_mode {
            self.reconstruct(st, &at);
        }
        st.status = St::T;
    }

    fn test(&self, a: &[String]) -> St {
        let file = |f: &str| clean(self.sys.home(), Path::new(f));
        match a {
            [op, x] if op == "-d" => of(self.sys.is_dir(&file(x))),
            [op, x] if op == "-f" => of(self.sys.is_file(&file(x))),
            [op, x] if op == "-e" => of(self.sys.exists(&file(x))),
            [op, x] if op == "-x" => {
                of(self.sys.is_executable(&file(x)) || self.sys.is_dir(&file(x)))
            }
            [op, x] if op == "-r" => of(self.sys.is_readable(&file(x))),
            [op, x] if op == "-s" => of(self.sys.stat(&file(x)).is_some_and(|s| s.len > 0)),
            [op, x] if op == "-L" || op == "-h" => of(self.sys.is_symlink(&file(x))),
            [op, x] if op == "-n" => of(!x.is_empty()),
            [op, x] if op == "-z" => of(x.is_empty()),
            [x] => of(!x.is_empty()),
            [x, op, y] if op == "=" => of(x == y),
            [x, op, y] if op == "!=" => of(x != y),
            [n, x] if n == "!" => match self.test(std::slice::from_ref(x)) {
                St::T => St::F,
                St::F => St::T,
                St::U => St::U,
            },
            _ => St::U,
        }
    }
}

fn of(b: bool) -> St {
    if b { St::T } else { St::F }
}

fn push_all(results: &mut [String], s: &str) {
    for r in results {
        r.push_str(s);
    }
}

fn find_in_path(sys: &Sys, st: &State, name: &str) -> Option<PathBuf> {
    let Some(FVar { items: Ok(dirs), .. }) = st.vars.get("PATH") else { return None };
    dirs.iter().map(|d| Path::new(d).join(name)).find(|p| sys.is_executable(p))
}

fn activation(raw: &str) -> Option<&'static str> {
    if raw.contains("brew shellenv") {
        Some("Homebrew (`brew shellenv`)")
    } else if raw.contains("mise activate") || raw.contains("rtx activate") {
        Some("mise (`mise activate`)")
    } else if raw.contains("goenv init") {
        Some("go-nv/goenv (`goenv init`)")
    } else if raw.contains("asdf.fish") {
        Some("asdf (`asdf.fish`)")
    } else {
        None
    }
}

fn clobber(st: &mut State, why: Why) {
    for v in st.vars.values_mut() {
        v.items = Err(why.clone());
    }
    st.rest = Some(why);
    st.status = St::U;
}

fn merge(a: State, b: State, why: &Why) -> State {
    let mut out = a.clone();
    let names: std::collections::BTreeSet<String> =
        a.vars.keys().chain(b.vars.keys()).cloned().collect();
    for n in names {
        let x = a.vars.get(&n);
        let y = b.vars.get(&n);
        let same = match (x, y) {
            (Some(x), Some(y)) => x.items == y.items && x.exported == y.exported,
            (None, None) => true,
            _ => false,
        };
        if !same {
            let exported = x.is_some_and(|v| v.exported) || y.is_some_and(|v| v.exported);
            out.vars.insert(n, FVar { items: Err(why.clone()), exported, at: why.at.clone() });
        }
    }
    if out.rest.is_none() {
        out.rest = b.rest;
    }
    if a.status != b.status {
        out.status = St::U;
    }
    out
}

fn unescape_uvar(s: &str) -> String {
    let mut out = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1] == b'x'
            && let Ok(n) = u8::from_str_radix(&s[i + 2..i + 4], 16)
        {
            {
                out.push(n as char);
                i += 4;
                continue;
            }
        }
        if b[i] == b'\\' && i + 1 < b.len() {
            out.push(b[i + 1] as char);
            i += 2;
            continue;
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// Splits fish text into statements: words with quotes kept, comments dropped, `;`, `&&`, `||`
/// and newlines as separators (`a && b` becomes `a` then `and b`).
fn tokenize(text: &str) -> Vec<Stmt> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut line: u32 = 1;
    let mut start_line: u32 = 1;
    let mut depth = 0usize;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut next_prefix: Option<&str> = None;
    let mut started = false;
    let flush_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
        }
        if let Some(q) = quote {
            word.push(c);
            if c == '\\' && i + 1 < chars.len() {
                word.push(chars[i + 1]);
                i += 2;
                continue;
            }
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                word.push(c);
                in_word = true;
            }
            '\\' if i + 1 < chars.len() && chars[i + 1] == '\n' => {
                line += 1;
                i += 2;
                continue;
            }
            '\\' if i + 1 < chars.len() => {
                word.push(c);
                word.push(chars[i + 1]);
                in_word = true;
                i += 2;
                continue;
            }
            '(' => {
                depth += 1;
                word.push(c);
                in_word = true;
            }
            ')' => {
                depth = depth.saturating_sub(1);
                word.push(c);
                in_word = true;
            }
            '#' if !in_word && depth == 0 => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ' ' | '\t' if depth == 0 => flush_word(&mut words, &mut word, &mut in_word),
            '|' if depth == 0 && i + 1 < chars.len() && chars[i + 1] == '|' => {
                flush_word(&mut words, &mut word, &mut in_word);
                if !words.is_empty() {
                    out.push(Stmt { words: std::mem::take(&mut words), line: start_line });
                }
                next_prefix = Some("or");
                i += 2;
                continue;
            }
            '&' if depth == 0 && i + 1 < chars.len() && chars[i + 1] == '&' => {
                flush_word(&mut words, &mut word, &mut in_word);
                if !words.is_empty() {
                    out.push(Stmt { words: std::mem::take(&mut words), line: start_line });
                }
                next_prefix = Some("and");
                i += 2;
                continue;
            }
            '|' if depth == 0 => {
                flush_word(&mut words, &mut word, &mut in_word);
                words.push("|".into());
            }
            '\n' | ';' if depth == 0 => {
                flush_word(&mut words, &mut word, &mut in_word);
                if !words.is_empty() {
                    out.push(Stmt { words: std::mem::take(&mut words), line: start_line });
                }
            }
            _ => {
                word.push(c);
                in_word = true;
            }
        }
        if words.is_empty() && in_word && !started {
            started = true;
            start_line = line;
            if let Some(p) = next_prefix.take() {
                words.push(p.to_owned());
            }
        }
        if words.is_empty() && !in_word {
            started = false;
        }
        i += 1;
    }
    flush_word(&mut words, &mut word, &mut in_word);
    if !words.is_empty() {
        out.push(Stmt { words, line: start_line });
    }
    out
}

/// Blocks deeper than this are not read (and not recursed into).
const MAX_BLOCKS: usize = 32;

fn parse_block(stmts: &[Stmt], i: &mut usize, ends: &[&str], depth: usize) -> Vec<Node> {
    let mut nodes = Vec::new();
    if depth > MAX_BLOCKS {
        let line = stmts.get(*i).map_or(0, |s| s.line);
        *i = stmts.len();
        nodes.push(Node::Opaque {
            line,
            what: format!("blocks nested more than {MAX_BLOCKS} deep"),
        });
        return nodes;
    }
    while *i < stmts.len() {
        let s = &stmts[*i];
        let first = s.words[0].as_str();
        if ends.contains(&first) || (ends.contains(&"else") && first == "else") {
            return nodes;
        }
        *i += 1;
        match first {
            "if" => {
                let mut arms = Vec::new();
                let mut cond = Stmt { words: s.words[1..].to_vec(), line: s.line };
                let mut otherwise = None;
                loop {
                    let body = parse_block(stmts, i, &["end", "else"], depth + 1);
                    arms.push((cond.clone(), body));
                    let Some(next) = stmts.get(*i) else { break };
                    *i += 1;
                    if next.words[0] == "else" {
                        if next.words.get(1).is_some_and(|w| w == "if") {
                            cond = Stmt { words: next.words[2..].to_vec(), line: next.line };
                            continue;
                        }
                        otherwise = Some(parse_block(stmts, i, &["end"], depth + 1));
                        *i += 1;
                    }
                    break;
                }
                nodes.push(Node::If { arms, otherwise });
            }
            "for" => {
                let var = s.words.get(1).cloned().unwrap_or_default();
                let words = Stmt { words: s.words.iter().skip(3).cloned().collect(), line: s.line };
                let body = parse_block(stmts, i, &["end"], depth + 1);
                *i += 1;
                nodes.push(Node::For { var, words, body });
            }
            "function" => {
                let name = s.words.get(1).cloned().unwrap_or_default();
                let body = parse_block(stmts, i, &["end"], depth + 1);
                *i += 1;
                nodes.push(Node::Function { name, body });
            }
            "begin" => {
                let body = parse_block(stmts, i, &["end"], depth + 1);
                *i += 1;
                nodes.push(Node::Block(body));
            }
            "while" | "switch" => {
                let _ = parse_block(stmts, i, &["end"], depth + 1);
                *i += 1;
                nodes.push(Node::Opaque { line: s.line, what: format!("a `{first}` block") });
            }
            _ => nodes.push(Node::Simple(s.clone())),
        }
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_on_separators() {
        let s = tokenize("set -gx A 1; set B \"two words\" # c\nif test -d ~/x && true\nend\n");
        let words: Vec<Vec<String>> = s.iter().map(|s| s.words.clone()).collect();
        assert_eq!(words[0], ["set", "-gx", "A", "1"]);
        assert_eq!(words[1], ["set", "B", "\"two words\""]);
        assert_eq!(words[2], ["if", "test", "-d", "~/x"]);
        assert_eq!(words[3], ["and", "true"]);
        assert_eq!(s[2].line, 2);
    }
}
