//! Shell start-up files, read and never run: a safe evaluator over `brush-parser`'s syntax tree.
//!
//! It evaluates what start-up files really contain: assignments and `export` with `$VAR`,
//! `${VAR:-…}` and `~` expansion, `PATH=…:$PATH`, `.`/`source` of other files, `[ -f … ]`,
//! `if`/`case`/`for` over known words (Debian's `/etc/profile.d/*.sh` loop), `case $- in`,
//! `return`, functions (evaluated when called), `command -v`, and a few command substitutions
//! whose output is known from files (`$(id -u)`, `$(uname -s)`, `$(cat FILE)`). Known activation
//! lines (`eval "$(brew shellenv)"`, go-nv's `goenv init`, `mise activate`, asdf, gvm, nvm) are
//! recognised and named. Anything else that could change the environment (an unknown `eval`, a
//! `while` loop, a condition on a program's exit status) makes the affected values unknown, with
//! the file and line that made them so: never a confident wrong answer.
//!
//! One evaluator serves sh (dash), bash and zsh; the dialect decides field splitting, which
//! builtins exist and zsh's `path` array. It never writes and never starts a process.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use brush_parser::ast;
use brush_parser::word::{
    self, Parameter, ParameterExpr, ParameterTestType, SpecialParameter, TildeExpr, WordPiece,
};

use super::sys::{Sys, clean};
use super::value::{Env, Source, Val, Var, Why};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sh,
    Bash,
    Zsh,
}

/// How the shell was started.
#[derive(Debug, Clone)]
pub struct Mode {
    pub dialect: Dialect,
    pub login: bool,
    pub interactive: bool,
    /// The shell's own path (`$BASH`, `$0`).
    pub shell: PathBuf,
    pub os_name: &'static str,
    pub machine: &'static str,
    pub host: String,
}

/// Something worth telling about a start-up file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub at: Source,
    pub kind: NoteKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteKind {
    /// A version manager or package manager's activation line, by name.
    Activation(&'static str),
    /// A file was read (sourced).
    Read(PathBuf),
    /// Values became unknown here, and why.
    Unknown(String),
}

/// Three-valued exit status: success, failure, or not known from files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    T,
    F,
    U,
}

impl St {
    fn of(b: bool) -> Self {
        if b { Self::T } else { Self::F }
    }
    fn not(self) -> Self {
        match self {
            Self::T => Self::F,
            Self::F => Self::T,
            Self::U => Self::U,
        }
    }
    fn and(self, o: Self) -> Self {
        match (self, o) {
            (Self::F, _) | (_, Self::F) => Self::F,
            (Self::T, Self::T) => Self::T,
            _ => Self::U,
        }
    }
    fn or(self, o: Self) -> Self {
        match (self, o) {
            (Self::T, _) | (_, Self::T) => Self::T,
            (Self::F, Self::F) => Self::F,
            _ => Self::U,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Next,
    Return,
    Exit,
    Break,
    Continue,
}

type Func = Rc<(Rc<Path>, ast::FunctionBody)>;

#[derive(Debug, Clone)]
struct State {
    vars: BTreeMap<String, Var>,
    rest: Option<Why>,
    funcs: BTreeMap<String, Func>,
    positional: Vec<Val>,
    status: St,
    allexport: bool,
    cwd: PathBuf,
    unique_path: bool,
}

impl State {
    fn merge(&mut self, other: State, why: &Why) {
        let names: BTreeSet<String> = self.vars.keys().chain(other.vars.keys()).cloned().collect();
        for name in names {
            let a = self.vars.get(&name);
            let b = other.vars.get(&name);
            let same = match (a, b) {
                (Some(a), Some(b)) => a.val == b.val && a.exported == b.exported,
                (None, None) => true,
                _ => false,
            };
            if !same {
                let exported = a.is_some_and(|v| v.exported) || b.is_some_and(|v| v.exported);
                self.vars
                    .insert(name, Var::new(Val::Unknown(why.clone()), exported, why.at.clone()));
            }
        }
        if self.rest.is_none() {
            self.rest = other.rest;
        }
        for (name, f) in other.funcs {
            self.funcs.entry(name).or_insert(f);
        }
        if self.status != other.status {
            self.status = St::U;
        }
        self.allexport |= other.allexport;
        self.unique_path |= other.unique_path;
    }

    fn clobber(&mut self, why: Why) {
        for var in self.vars.values_mut() {
            *var = Var::new(Val::Unknown(why.clone()), var.exported, why.at.clone());
        }
        self.rest = Some(why);
        self.status = St::U;
    }

    fn get(&self, name: &str) -> Option<Val> {
        match self.vars.get(name) {
            Some(v) => Some(v.val.clone()),
            None => self.rest.clone().map(Val::Unknown),
        }
    }
}

type Parsed = Rc<Result<ast::Program, ParseFailure>>;

#[derive(Debug)]
enum ParseFailure {
    Parse(brush_parser::ParseError),
    TooDeep(u32, &'static str),
}

impl std::fmt::Display for ParseFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Parse(e) => write!(f, "{e}"),
            Self::TooDeep(_, what) => write!(f, "{what} nest deeper than goenv reads"),
        }
    }
}

/// The deepest nesting goenv parses: real start-up files nest a few levels.
const MAX_NESTING: usize = 32;
const MAX_PARENS: usize = 12;

/// Where `text` nests too deep, roughly tokenised (quotes and comments skipped).
fn too_deep(text: &str) -> Option<(u32, &'static str)> {
    let (mut depth, mut parens, mut line) = (0usize, 0usize, 1u32);
    let b = text.as_bytes();
    let mut i = 0;
    let mut word = String::new();
    let close_word = |word: &mut String, depth: &mut usize| {
        match word.as_str() {
            "if" | "while" | "until" | "for" | "case" | "select" => *depth += 1,
            "fi" | "done" | "esac" => *depth = depth.saturating_sub(1),
            _ => {}
        }
        word.clear();
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                close_word(&mut word, &mut depth);
            }
            b'#' if word.is_empty() => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\'' => {
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    line += u32::from(b[i] == b'\n');
                    i += 1;
                }
            }
            b'\\' => i += 1,
            b'(' | b'{' => {
                close_word(&mut word, &mut depth);
                depth += 1;
                if c == b'(' {
                    parens += 1;
                }
            }
            b')' | b'}' => {
                close_word(&mut word, &mut depth);
                depth = depth.saturating_sub(1);
                if c == b')' {
                    parens = parens.saturating_sub(1);
                }
            }
            b' ' | b'\t' | b';' | b'&' | b'|' | b'"' | b'`' => close_word(&mut word, &mut depth),
            _ => word.push(c as char),
        }
        if parens > MAX_PARENS {
            return Some((line, "parentheses"));
        }
        if depth > MAX_NESTING {
            return Some((line, "blocks"));
        }
        i += 1;
    }
    None
}

thread_local! {
    /// Files do not change during one doctor run; many contexts read the same ones.
    static PARSED: std::cell::RefCell<std::collections::HashMap<PathBuf, Parsed>> = Default::default();
}

/// The limits that keep a hostile or looping file from hanging doctor.
const MAX_DEPTH: usize = 16;
/// Blocks, sourced files and calls evaluated inside one another, in all: what keeps doctor's own
/// recursion far from the end of the main thread's stack.
const MAX_LEVELS: usize = 256;
const MAX_STEPS: usize = 200_000;

/// One shell's start-up, file by file, with the state kept between files.
pub struct ShellRun<'a> {
    r: Runner<'a>,
    st: State,
    stopped: bool,
}

impl<'a> ShellRun<'a> {
    /// A shell started with `env` as its environment.
    pub fn new(sys: &'a Sys, mode: &Mode, env: &Env) -> Self {
        let mut st = State {
            vars: env.vars.clone(),
            rest: env.rest.clone(),
            funcs: BTreeMap::new(),
            positional: Vec::new(),
            status: St::T,
            allexport: false,
            cwd: sys.home().to_path_buf(),
            unique_path: false,
        };
        let r = Runner::new(sys, mode);
        r.preset(&mut st);
        Self { r, st, stopped: false }
    }

    /// Reads each file that exists, in order, until one exits the shell.
    pub fn source_files(&mut self, files: &[PathBuf]) {
        for file in files {
            if self.stopped {
                return;
            }
            if !self.r.sys.is_file(file) {
                continue;
            }
            if self.r.source(file, &[], &mut self.st, false) == Flow::Exit {
                self.stopped = true;
            }
        }
    }

    /// Reads the first of `files` that exists (bash's `~/.bash_profile`, `~/.bash_login`, `~/.profile`).
    pub fn source_first(&mut self, files: &[PathBuf]) -> Option<PathBuf> {
        let first = files.iter().find(|f| self.r.sys.is_file(f))?.clone();
        self.source_files(std::slice::from_ref(&first));
        Some(first)
    }

    /// Runs a piece of code attributed to `at` (the `-c` string of a session wrapper).
    pub fn eval(&mut self, text: &str, at: Source) {
        if self.stopped {
            return;
        }
        self.r.frames.push(Vec::new());
        if self.r.eval_text(text, &mut self.st, &at) == Flow::Exit {
            self.stopped = true;
        }
        self.r.end_frame(&mut self.st);
    }

    /// A shell variable, exported or not.
    pub fn var(&self, name: &str) -> Option<Val> {
        self.st.get(name)
    }

    /// The environment the shell's children get.
    pub fn finish(mut self, notes: &mut Vec<Note>) -> Env {
        for (s, why) in std::mem::take(&mut self.r.exits) {
            self.st.merge(s, &why);
        }
        notes.append(&mut self.r.notes);
        let mut out = Env { vars: BTreeMap::new(), rest: self.st.rest.clone() };
        for (name, var) in self.st.vars {
            if var.exported {
                out.vars.insert(name, var);
            }
        }
        out
    }
}

/// Output of a command substitution while it is evaluated.
#[derive(Debug, Clone)]
enum Capture {
    Text(String),
    Unknown(Why),
}

struct Runner<'a> {
    sys: &'a Sys,
    mode: Mode,
    dialect: Dialect,
    notes: Vec<Note>,
    file: Rc<Path>,
    /// Inside `eval` or a `-c` string every line is attributed to this one.
    eval_at: Option<Source>,
    depth: usize,
    steps: usize,
    /// States that left the current file or function early (`return` under a condition doctor
    /// cannot decide), merged back when it ends.
    frames: Vec<Vec<(State, Why)>>,
    exits: Vec<(State, Why)>,
    capture: Option<Capture>,
    in_function: usize,
    locals: Vec<Vec<(String, Option<Var>)>>,
    /// How deep evaluation is nested now (see `MAX_LEVELS`).
    levels: usize,
}

#[derive(Debug, Clone)]
enum Arg {
    Known(String),
    Unknown(Why),
}

impl Arg {
    fn known(&self) -> Option<&str> {
        match self {
            Self::Known(s) => Some(s),
            Self::Unknown(_) => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Seg {
    text: String,
    quoted: bool,
    /// From an unquoted expansion: field splitting applies (not in zsh).
    split: bool,
}

impl<'a> Runner<'a> {
    fn new(sys: &'a Sys, mode: &Mode) -> Self {
        Self {
            sys,
            mode: mode.clone(),
            dialect: mode.dialect,
            notes: Vec::new(),
            file: Rc::from(Path::new("")),
            eval_at: None,
            depth: 0,
            steps: 0,
            frames: Vec::new(),
            exits: Vec::new(),
            capture: None,
            in_function: 0,
            locals: Vec::new(),
            levels: 0,
        }
    }

    /// Variables the shell itself sets before reading any file.
    fn preset(&self, st: &mut State) {
        let at = Source::layer("the shell");
        let set = |st: &mut State, k: &str, v: &str, exported: bool| {
            if !st.vars.contains_key(k) {
                st.vars
                    .insert(k.to_owned(), Var::new(Val::Known(v.to_owned()), exported, at.clone()));
            }
        };
        let home = self.sys.home().to_string_lossy().into_owned();
        set(st, "HOME", &home, true);
        set(st, "IFS", " \t\n", false);
        let pwd = st.cwd.to_string_lossy().into_owned();
        st.vars.insert("PWD".into(), Var::new(Val::Known(pwd), true, at.clone()));
        if self.mode.interactive {
            let ps1 = match self.dialect {
                Dialect::Sh => "$ ",
                Dialect::Bash => "\\s-\\v\\$ ",
                Dialect::Zsh => "%m%# ",
            };
            st.vars.insert("PS1".into(), Var::new(Val::Known(ps1.into()), false, at.clone()));
        } else {
            st.vars.remove("PS1");
        }
        let uid = self.sys.uid.to_string();
        match self.dialect {
            Dialect::Bash => {
                let shell = self.mode.shell.to_string_lossy().into_owned();
                st.vars.insert("BASH".into(), Var::new(Val::Known(shell), false, at.clone()));
                st.vars.insert(
                    "BASH_VERSION".into(),
                    Var::new(Val::Known("5".into()), false, at.clone()),
                );
                st.vars.insert("UID".into(), Var::new(Val::Known(uid.clone()), false, at.clone()));
                st.vars.insert("EUID".into(), Var::new(Val::Known(uid), false, at.clone()));
                st.vars.insert(
                    "HOSTNAME".into(),
                    Var::new(Val::Known(self.mode.host.clone()), false, at.clone()),
                );
                let shlvl = match st.get("SHLVL") {
                    Some(Val::Known(n)) => n.parse::<i64>().map_or(1, |n| n + 1),
                    None => 1,
                    Some(Val::Unknown(_)) => 1,
                };
                st.vars.insert(
                    "SHLVL".into(),
                    Var::new(Val::Known(shlvl.to_string()), true, at.clone()),
                );
            }
            Dialect::Zsh => {
                st.vars.insert(
                    "ZSH_VERSION".into(),
                    Var::new(Val::Known("5".into()), false, at.clone()),
                );
                st.vars.insert("UID".into(), Var::new(Val::Known(uid.clone()), false, at.clone()));
                st.vars.insert("EUID".into(), Var::new(Val::Known(uid), false, at.clone()));
                st.vars.insert(
                    "HOST".into(),
                    Var::new(Val::Known(self.mode.host.clone()), false, at.clone()),
                );
                if !st.vars.contains_key("PATH") {
                    st.vars.insert(
                        "PATH".into(),
                        Var::new(
                            Val::Known("/bin:/usr/bin:/usr/ucb:/usr/local/bin".into()),
                            true,
                            at.clone(),
                        ),
                    );
                }
            }
            Dialect::Sh => {}
        }
        if !st.vars.contains_key("PATH") && self.dialect != Dialect::Zsh {
            // bash and dash use a compiled-in search path but do not export it
            let default = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
            st.vars.insert("PATH".into(), Var::new(Val::Known(default.into()), false, at.clone()));
        }
    }

    /// One set of parser options for every dialect, so a file several shells read is parsed
    /// once: bash's syntax is a superset of what dash and zsh start-up files use, and the
    /// dialect decides how the tree is evaluated.
    fn parser_options(&self) -> brush_parser::ParserOptions {
        brush_parser::ParserOptions {
            enable_extended_globbing: false,
            posix_mode: false,
            sh_mode: false,
            tilde_expansion_at_word_start: true,
            tilde_expansion_after_colon: false,
            parser_impl: Default::default(),
        }
    }

    fn here(&self, line: usize) -> Source {
        match &self.eval_at {
            Some(at) => at.clone(),
            None => Source::at(&self.file, line as u32),
        }
    }

    fn unknown(&mut self, at: Source, reason: impl Into<String>) -> Why {
        let reason = reason.into();
        let note = Note { at: at.clone(), kind: NoteKind::Unknown(reason.clone()) };
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
        Why::new(at, reason)
    }

    fn note(&mut self, at: Source, kind: NoteKind) {
        let note = Note { at, kind };
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Reads and runs a file in a frame of its own.
    fn source(&mut self, file: &Path, args: &[String], st: &mut State, nested: bool) -> Flow {
        let Some(text) = self.sys.read_text(file, "a shell start-up file") else {
            st.status = St::F;
            return Flow::Next;
        };
        if self.depth >= MAX_DEPTH {
            let at = self.here(1);
            let why =
                self.unknown(at, format!("files source each other more than {MAX_DEPTH} deep"));
            st.clobber(why);
            return Flow::Next;
        }
        self.note(Source::file(file, 1), NoteKind::Read(file.to_path_buf()));
        let saved_file = std::mem::replace(&mut self.file, Rc::from(file));
        let saved_eval = self.eval_at.take();
        let saved_pos = if nested && !args.is_empty() {
            Some(std::mem::replace(
                &mut st.positional,
                args.iter().cloned().map(Val::Known).collect(),
            ))
        } else {
            None
        };
        self.depth += 1;
        let parsed = self.parse_file(file, &text);
        self.frames.push(Vec::new());
        let flow = match &*parsed {
            Ok(program) => {
                let mut flow = Flow::Next;
                for cc in &program.complete_commands {
                    flow = self.list(cc, st);
                    if flow != Flow::Next {
                        break;
                    }
                }
                flow
            }
            Err(e) => {
                let line = match e {
                    ParseFailure::Parse(e) => parse_error_line(e),
                    ParseFailure::TooDeep(line, _) => *line,
                };
                let at = Source::file(file, line);
                let why = self.unknown(at, format!("goenv cannot parse this file: {e}"));
                st.clobber(why);
                Flow::Next
            }
        };
        self.end_frame(st);
        self.depth -= 1;
        if let Some(pos) = saved_pos {
            st.positional = pos;
        }
        self.file = saved_file;
        self.eval_at = saved_eval;
        match flow {
            Flow::Exit => Flow::Exit,
            _ => Flow::Next,
        }
    }

    /// A file's syntax tree, parsed once per doctor run.
    fn parse_file(&self, file: &Path, text: &str) -> Parsed {
        let key = file.to_path_buf();
        PARSED.with(|cache| {
            if let Some(p) = cache.borrow().get(&key) {
                return p.clone();
            }
            let parsed = Rc::new(self.parse_text(text));
            cache.borrow_mut().insert(key, parsed.clone());
            parsed
        })
    }

    /// Parses shell text, refusing text nested too deep: brush-parser's backtracking is
    /// exponential in unclosed `(` and its recursion overflows the stack on deep nesting.
    fn parse_text(&self, text: &str) -> Result<ast::Program, ParseFailure> {
        if let Some((line, what)) = too_deep(text) {
            return Err(ParseFailure::TooDeep(line, what));
        }
        let opts = self.parser_options();
        brush_parser::Parser::new(std::io::Cursor::new(text.as_bytes()), &opts)
            .parse_program()
            .map_err(ParseFailure::Parse)
    }

    fn end_frame(&mut self, st: &mut State) {
        if let Some(left) = self.frames.pop() {
            for (s, why) in left {
                st.merge(s, &why);
            }
        }
    }

    fn eval_text(&mut self, text: &str, st: &mut State, at: &Source) -> Flow {
        match self.parse_text(text) {
            Ok(program) => {
                let saved = self.eval_at.replace(at.clone());
                let mut flow = Flow::Next;
                for cc in &program.complete_commands {
                    flow = self.list(cc, st);
                    if flow != Flow::Next {
                        break;
                    }
                }
                self.eval_at = saved;
                flow
            }
            Err(e) => {
                let why =
                    self.unknown(at.clone(), format!("goenv cannot parse `{}`: {e}", short(text)));
                st.clobber(why);
                Flow::Next
            }
        }
    }

    fn step(&mut self, st: &mut State, line: usize) -> bool {
        self.steps += 1;
        if self.steps == MAX_STEPS {
            let at = self.here(line);
            let why = self.unknown(at, format!("evaluation stopped after {MAX_STEPS} steps"));
            st.clobber(why);
        }
        self.steps < MAX_STEPS
    }

    fn list(&mut self, list: &ast::CompoundList, st: &mut State) -> Flow {
        for item in &list.0 {
            if matches!(item.1, ast::SeparatorOperator::Async) {
                // a background job runs in a subshell: it cannot change this shell
                st.status = St::T;
                continue;
            }
            let flow = self.and_or(&item.0, st);
            if flow != Flow::Next {
                return flow;
            }
        }
        Flow::Next
    }

    fn and_or(&mut self, list: &ast::AndOrList, st: &mut State) -> Flow {
        let mut flow = self.pipeline(&list.first, st);
        for next in &list.additional {
            if flow != Flow::Next {
                return flow;
            }
            let (and, p) = match next {
                ast::AndOr::And(p) => (true, p),
                ast::AndOr::Or(p) => (false, p),
            };
            match (and, st.status) {
                (true, St::T) | (false, St::F) => flow = self.pipeline(p, st),
                (true, St::F) | (false, St::T) => {}
                (_, St::U) => {
                    let line = loc_line(p.location());
                    let at = self.here(line);
                    let why = Why::new(
                        at,
                        "whether the command before `&&`/`||` succeeds is not known from files",
                    );
                    let mut b = st.clone();
                    let fb = self.pipeline(p, &mut b);
                    flow = self.join(st, Flow::Next, b, fb, &why);
                }
            }
        }
        flow
    }

    /// Joins two possible states after a condition doctor cannot decide.
    fn join(&mut self, st: &mut State, fa: Flow, b: State, fb: Flow, why: &Why) -> Flow {
        if fa == fb {
            st.merge(b, why);
            return fa;
        }
        match (fa, fb) {
            (Flow::Next, other) => {
                self.park(b, other, why);
                Flow::Next
            }
            (other, Flow::Next) => {
                let a = std::mem::replace(st, b);
                self.park(a, other, why);
                Flow::Next
            }
            _ => {
                st.merge(b, why);
                fa
            }
        }
    }

    fn park(&mut self, s: State, flow: Flow, why: &Why) {
        match flow {
            Flow::Exit => self.exits.push((s, why.clone())),
            _ => match self.frames.last_mut() {
                Some(frame) => frame.push((s, why.clone())),
                None => self.exits.push((s, why.clone())),
            },
        }
    }

    fn pipeline(&mut self, p: &ast::Pipeline, st: &mut State) -> Flow {
        let flow = if p.seq.len() == 1 {
            self.command(&p.seq[0], st)
        } else {
            // each part of a pipeline runs in a subshell (zsh runs the last one here)
            let last = p.seq.len() - 1;
            for (i, c) in p.seq.iter().enumerate() {
                if self.dialect == Dialect::Zsh && i == last {
                    let mut sub = st.clone();
                    sub.status = St::U;
                    self.command(c, &mut sub);
                    if sub.vars != st.vars {
                        let at = self.here(loc_line(c.location()));
                        let why = self
                            .unknown(at, "a pipeline feeds this command: its input is not known");
                        st.merge(sub, &why);
                    }
                }
            }
            st.status = St::U;
            Flow::Next
        };
        if p.bang {
            st.status = st.status.not();
        }
        flow
    }

    fn command(&mut self, c: &ast::Command, st: &mut State) -> Flow {
        match c {
            ast::Command::Simple(s) => self.simple(s, st),
            ast::Command::Compound(cc, _) => self.compound(cc, st),
            ast::Command::Function(f) => {
                let name = f.fname.value.clone();
                st.funcs.insert(name, Rc::new((self.file.clone(), f.body.clone())));
                st.status = St::T;
                Flow::Next
            }
            ast::Command::ExtendedTest(e, _) => {
                let line = e.loc.start.line;
                st.status = self.ext_test(&e.expr, st, line);
                Flow::Next
            }
        }
    }

    fn compound(&mut self, c: &ast::CompoundCommand, st: &mut State) -> Flow {
        if self.levels >= MAX_LEVELS {
            let at = self.here(0);
            let why = self
                .unknown(at, format!("blocks, files and calls nest more than {MAX_LEVELS} deep"));
            st.clobber(why);
            return Flow::Next;
        }
        self.levels += 1;
        let flow = self.compound_here(c, st);
        self.levels -= 1;
        flow
    }

    fn compound_here(&mut self, c: &ast::CompoundCommand, st: &mut State) -> Flow {
        match c {
            ast::CompoundCommand::BraceGroup(b) => self.list(&b.list, st),
            ast::CompoundCommand::Subshell(s) => {
                let mut sub = st.clone();
                self.frames.push(Vec::new());
                self.list(&s.list, &mut sub);
                self.frames.pop();
                st.status = sub.status;
                Flow::Next
            }
            ast::CompoundCommand::IfClause(i) => {
                let mut arms: Vec<(Option<&ast::CompoundList>, &ast::CompoundList)> =
                    vec![(Some(&i.condition), &i.then)];
                for e in i.elses.iter().flatten() {
                    arms.push((e.condition.as_ref(), &e.body));
                }
                self.arms(&arms, st, i.loc.start.line)
            }
            ast::CompoundCommand::CaseClause(c) => self.case(c, st),
            ast::CompoundCommand::ForClause(f) => self.for_loop(f, st),
            ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => {
                let line = w.2.start.line;
                let at = self.here(line);
                let text = format!("{} {}", w.0, w.1.list);
                self.opaque(&text, st, at, "a `while`/`until` loop");
                Flow::Next
            }
            ast::CompoundCommand::ArithmeticForClause(f) => {
                let at = self.here(f.loc.start.line);
                let text = format!("{}", f.body.list);
                self.opaque(&text, st, at, "an arithmetic `for` loop");
                Flow::Next
            }
            ast::CompoundCommand::Arithmetic(a) => {
                let text = a.expr.value.clone();
                if assigns_in_arithmetic(&text) {
                    let at = self.here(a.loc.start.line);
                    let why =
                        self.unknown(at, format!("arithmetic `(( {}))` assigns", short(&text)));
                    for name in names_in(&text) {
                        let exported = st.vars.get(&name).is_some_and(|v| v.exported);
                        st.vars.insert(
                            name,
                            Var::new(Val::Unknown(why.clone()), exported, why.at.clone()),
                        );
                    }
                }
                st.status = St::U;
                Flow::Next
            }
            ast::CompoundCommand::Coprocess(_) => {
                st.status = St::T;
                Flow::Next
            }
        }
    }

    fn arms(
        &mut self,
        arms: &[(Option<&ast::CompoundList>, &ast::CompoundList)],
        st: &mut State,
        line: usize,
    ) -> Flow {
        let Some(((cond, body), rest)) = arms.split_first() else {
            st.status = St::T;
            return Flow::Next;
        };
        let Some(cond) = cond else {
            return self.list(body, st);
        };
        let flow = self.list(cond, st);
        if flow != Flow::Next {
            return flow;
        }
        match st.status {
            St::T => self.list(body, st),
            St::F => self.arms(rest, st, line),
            St::U => {
                let at = self.here(loc_line(cond.location()).max(line));
                let why = Why::new(at, "this condition is not known from files");
                let mut b = st.clone();
                let fa = self.list(body, st);
                let fb = self.arms(rest, &mut b, line);
                self.join(st, fa, b, fb, &why)
            }
        }
    }

    fn case(&mut self, c: &ast::CaseClauseCommand, st: &mut State) -> Flow {
        let value = self.expand_one(&c.value, st);
        let line = c.loc.start.line;
        self.case_items(&value, &c.cases, st, line)
    }

    fn case_items(
        &mut self,
        value: &Arg,
        items: &[ast::CaseItem],
        st: &mut State,
        line: usize,
    ) -> Flow {
        let Some((item, rest)) = items.split_first() else {
            st.status = St::T;
            return Flow::Next;
        };
        let mut matched = St::F;
        for pat in &item.patterns {
            let m = match (value, self.pattern(pat, st)) {
                (Arg::Known(v), Some(p)) => St::of(glob_match(&p, v)),
                _ => St::U,
            };
            matched = matched.or(m);
            if matched == St::T {
                break;
            }
        }
        let run = |me: &mut Self, st: &mut State| -> Flow {
            match &item.cmd {
                Some(cmd) => {
                    st.status = St::T;
                    me.list(cmd, st)
                }
                None => {
                    st.status = St::T;
                    Flow::Next
                }
            }
        };
        match matched {
            St::T => run(self, st),
            St::F => self.case_items(value, rest, st, line),
            St::U => {
                let at = self.here(item.loc.as_ref().map_or(line, |l| l.start.line));
                let why = Why::new(at, "which `case` branch runs is not known from files");
                let mut b = st.clone();
                let fa = run(self, st);
                let fb = self.case_items(value, rest, &mut b, line);
                self.join(st, fa, b, fb, &why)
            }
        }
    }

    fn for_loop(&mut self, f: &ast::ForClauseCommand, st: &mut State) -> Flow {
        let line = f.loc.start.line;
        let words: Vec<Arg> = match &f.values {
            Some(values) => {
                let mut out = Vec::new();
                for w in values {
                    out.extend(self.expand(w, st, true));
                }
                out
            }
            None => st
                .positional
                .iter()
                .map(|v| match v {
                    Val::Known(s) => Arg::Known(s.clone()),
                    Val::Unknown(w) => Arg::Unknown(w.clone()),
                })
                .collect(),
        };
        if let Some(Arg::Unknown(why)) = words.iter().find(|a| matches!(a, Arg::Unknown(_))) {
            let at = self.here(line);
            let reason = format!("a `for` loop over words that are not known ({})", why.reason);
            let text = format!("{}", f.body.list);
            self.opaque(&text, st, at, &reason);
            return Flow::Next;
        }
        st.status = St::T;
        let at = self.here(line);
        for w in words {
            let Arg::Known(w) = w else { continue };
            self.assign(st, &f.variable_name, Val::Known(w), at.clone(), None);
            if !self.step(st, line) {
                return Flow::Next;
            }
            match self.list(&f.body.list, st) {
                Flow::Break => break,
                Flow::Continue | Flow::Next => {}
                other => return other,
            }
        }
        Flow::Next
    }

    /// A piece of code doctor does not evaluate: every variable it may assign becomes unknown, and
    /// everything if it may run arbitrary code.
    fn opaque(&mut self, text: &str, st: &mut State, at: Source, what: &str) {
        let (names, anything) = assigned_names(text, st);
        let why = self.unknown(at, format!("{what} is not evaluated"));
        if anything {
            st.clobber(why);
            return;
        }
        for name in names {
            let exported = st.vars.get(&name).is_some_and(|v| v.exported);
            st.vars.insert(name, Var::new(Val::Unknown(why.clone()), exported, why.at.clone()));
        }
        st.status = St::U;
    }

    fn assign(&mut self, st: &mut State, name: &str, val: Val, at: Source, export: Option<bool>) {
        if self.dialect == Dialect::Zsh && name == "path" {
            // zsh ties the array `path` to PATH
            return self.assign(st, "PATH", val, at, export);
        }
        let old = st.vars.get(name);
        let exported = export.unwrap_or(false) || old.is_some_and(|v| v.exported) || st.allexport;
        let old_entries = match (name, old) {
            ("PATH", Some(v)) => v.path_entries(),
            _ => Vec::new(),
        };
        let val = match (name, val, st.unique_path) {
            ("PATH", Val::Known(p), true) => Val::Known(unique_entries(&p)),
            (_, v, _) => v,
        };
        let mut var = Var { val, exported, at, entries: Vec::new() };
        if name == "PATH" {
            var.entries = var.split_entries(&old_entries);
        }
        st.vars.insert(name.to_owned(), var);
    }

    fn simple(&mut self, c: &ast::SimpleCommand, st: &mut State) -> Flow {
        let line = simple_line(c);
        if !self.step(st, line) {
            return Flow::Next;
        }
        let at = self.here(line);
        let mut assignments: Vec<&ast::Assignment> = Vec::new();
        for item in c.prefix.iter().flat_map(|p| p.0.iter()) {
            if let ast::CommandPrefixOrSuffixItem::AssignmentWord(a, _) = item {
                assignments.push(a);
            }
        }
        let Some(name_word) = &c.word_or_name else {
            st.status = St::T;
            for a in assignments {
                let val = self.assignment_value(a, st);
                let name = assignment_name(a);
                self.assign(st, &name, val, at.clone(), None);
            }
            return Flow::Next;
        };
        // recognise activation lines from their text, before expanding anything
        if let Some(flow) = self.activation(c, st, &at) {
            return flow;
        }
        let name = match self.expand_one(name_word, st) {
            Arg::Known(n) => n,
            Arg::Unknown(why) => {
                let why =
                    self.unknown(at, format!("the command name is not known ({})", why.reason));
                st.clobber(why);
                return Flow::Next;
            }
        };
        let decl = matches!(
            name.as_str(),
            "export" | "readonly" | "declare" | "typeset" | "local" | "integer"
        );
        let mut args: Vec<Arg> = Vec::new();
        let mut decl_assign: Vec<(usize, String, Val)> = Vec::new();
        for item in c.suffix.iter().flat_map(|s| s.0.iter()) {
            match item {
                ast::CommandPrefixOrSuffixItem::Word(w) => {
                    if decl && let Some((n, v)) = split_assignment(&w.value) {
                        let line = w.loc.as_ref().map_or(0, |l| l.start.line);
                        let val = self.expand_value(v, st, line);
                        decl_assign.push((args.len(), n.to_owned(), val));
                        args.push(Arg::Known(format!("{n}=")));
                        continue;
                    }
                    args.extend(self.expand(w, st, true));
                }
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    if decl {
                        let val = self.assignment_value(a, st);
                        let n = assignment_name(a);
                        decl_assign.push((args.len(), n.clone(), val));
                        args.push(Arg::Known(format!("{n}=")));
                    } else {
                        args.extend(self.expand(w, st, true));
                    }
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {
                    let why = Why::new(at.clone(), "a process substitution is not evaluated");
                    args.push(Arg::Unknown(why));
                }
                ast::CommandPrefixOrSuffixItem::IoRedirect(_) => {}
            }
        }
        let temp: Vec<(String, Val)> = assignments
            .iter()
            .map(|a| (assignment_name(a), self.assignment_value(a, st)))
            .collect();
        self.dispatch(&name, args, decl_assign, temp, st, &at, line)
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &mut self,
        name: &str,
        args: Vec<Arg>,
        decl_assign: Vec<(usize, String, Val)>,
        temp: Vec<(String, Val)>,
        st: &mut State,
        at: &Source,
        line: usize,
    ) -> Flow {
        let special = matches!(
            name,
            "export"
                | "readonly"
                | "."
                | "eval"
                | "set"
                | "unset"
                | "return"
                | "exit"
                | "shift"
                | ":"
                | "exec"
                | "trap"
        );
        if self.dialect == Dialect::Sh && special {
            for (n, v) in &temp {
                self.assign(st, n, v.clone(), at.clone(), None);
            }
        }
        if let Some(f) = st.funcs.get(name).cloned() {
            return self.call(&f, name, &args, temp, st, at, line);
        }
        match name {
            "export" | "readonly" | "declare" | "typeset" | "local" | "integer" => {
                self.declare(name, &args, decl_assign, st, at);
                Flow::Next
            }
            "unset" => {
                let mut funcs = false;
                for a in &args {
                    match a.known() {
                        Some("-f") => funcs = true,
                        Some("-v") | Some("-n") => funcs = false,
                        Some(n) => {
                            if funcs {
                                st.funcs.remove(n);
                            } else if self.dialect == Dialect::Zsh && n == "path" {
                                st.vars.remove("PATH");
                            } else {
                                st.vars.remove(n);
                            }
                        }
                        None => {
                            let why =
                                self.unknown(at.clone(), "`unset` of a name that is not known");
                            st.clobber(why);
                        }
                    }
                }
                st.status = St::T;
                Flow::Next
            }
            "." | "source" if !(name == "source" && self.dialect == Dialect::Sh) => {
                self.dot(&args, st, at)
            }
            "eval" => {
                let mut text = Vec::new();
                for a in &args {
                    match a {
                        Arg::Known(s) => text.push(s.clone()),
                        Arg::Unknown(why) => {
                            let why = self.unknown(
                                at.clone(),
                                format!("`eval` of text that is not known ({})", why.reason),
                            );
                            st.clobber(why);
                            return Flow::Next;
                        }
                    }
                }
                st.status = St::T;
                let text = text.join(" ");
                self.eval_text(&text, st, at)
            }
            "emulate" if self.dialect == Dialect::Zsh => {
                let known: Vec<&str> = args.iter().filter_map(Arg::known).collect();
                if let Some(i) = known.iter().position(|a| *a == "-c")
                    && let Some(code) = known.get(i + 1)
                {
                    let saved = self.dialect;
                    if known.first().is_some_and(|m| *m == "sh" || *m == "ksh") {
                        self.dialect = Dialect::Sh;
                    }
                    let code = (*code).to_owned();
                    let flow = self.eval_text(&code, st, at);
                    self.dialect = saved;
                    return flow;
                }
                st.status = St::T;
                Flow::Next
            }
            "set" => {
                let mut rest_positional: Option<Vec<Val>> = None;
                let mut iter = args.iter().peekable();
                while let Some(a) = iter.next() {
                    match a.known() {
                        Some("--") => {
                            rest_positional = Some(iter.by_ref().map(arg_val).collect());
                        }
                        Some(o) if o.starts_with('-') || o.starts_with('+') => {
                            let on = o.starts_with('-');
                            if o == "-o" || o == "+o" {
                                if let Some(Arg::Known(opt)) = iter.next()
                                    && opt == "allexport"
                                {
                                    st.allexport = on;
                                }
                            } else if o[1..].contains('a') {
                                st.allexport = on;
                            }
                        }
                        Some(_) => {
                            let mut all = vec![arg_val(a)];
                            all.extend(iter.by_ref().map(arg_val));
                            rest_positional = Some(all);
                        }
                        None => {
                            let mut all = vec![arg_val(a)];
                            all.extend(iter.by_ref().map(arg_val));
                            rest_positional = Some(all);
                        }
                    }
                }
                if let Some(p) = rest_positional {
                    st.positional = p;
                }
                st.status = St::T;
                Flow::Next
            }
            "shift" => {
                let n = args.first().and_then(|a| a.known()?.parse().ok()).unwrap_or(1usize);
                if n <= st.positional.len() {
                    st.positional.drain(..n);
                    st.status = St::T;
                } else {
                    st.status = St::F;
                }
                Flow::Next
            }
            "return" => {
                st.status = exit_status(args.first(), st.status);
                Flow::Return
            }
            "break" => Flow::Break,
            "continue" => Flow::Continue,
            "exit" | "logout" => {
                st.status = exit_status(args.first(), st.status);
                Flow::Exit
            }
            "exec" => {
                if args.is_empty() {
                    st.status = St::T;
                    return Flow::Next;
                }
                let what =
                    args.iter().map(|a| a.known().unwrap_or("…")).collect::<Vec<_>>().join(" ");
                let why =
                    self.unknown(at.clone(), format!("`exec {}` replaces the shell", short(&what)));
                st.clobber(why);
                Flow::Exit
            }
            "test" | "[" => {
                let mut words = args;
                if name == "[" {
                    match words.last().and_then(Arg::known) {
                        Some("]") => {
                            words.pop();
                        }
                        _ => {
                            st.status = St::F;
                            return Flow::Next;
                        }
                    }
                }
                st.status = self.test(&words, st, line);
                Flow::Next
            }
            "true" | ":" => {
                st.status = St::T;
                Flow::Next
            }
            "false" => {
                st.status = St::F;
                Flow::Next
            }
            "command" | "builtin" => {
                let known: Vec<&str> = args.iter().filter_map(Arg::known).collect();
                if name == "command" && matches!(known.first(), Some(&"-v") | Some(&"-V")) {
                    let found = known.get(1).and_then(|n| self.which(n, st, true));
                    // Not found in a PATH that is not known: it may well be there.
                    if found.is_none()
                        && self.path_unknown(st)
                        && known.get(1).is_some_and(|n| !n.contains('/'))
                    {
                        st.status = St::U;
                        if let Some(cap) = &mut self.capture {
                            *cap = Capture::Unknown(Why::new(
                                at.clone(),
                                format!("whether `{}` exists is not known", known[1]),
                            ));
                        }
                        return Flow::Next;
                    }
                    if let Some(Capture::Text(out)) = &mut self.capture
                        && let Some(found) = &found
                    {
                        out.push_str(found);
                        out.push('\n');
                    }
                    st.status = St::of(found.is_some());
                    return Flow::Next;
                }
                let mut rest = args;
                if rest.first().and_then(Arg::known).is_some_and(|a| a.starts_with('-')) {
                    rest.remove(0);
                }
                if rest.is_empty() {
                    st.status = St::T;
                    return Flow::Next;
                }
                let inner = match rest.remove(0) {
                    Arg::Known(n) => n,
                    Arg::Unknown(why) => {
                        st.clobber(why);
                        return Flow::Next;
                    }
                };
                let saved = std::mem::take(&mut st.funcs);
                let flow = self.dispatch(&inner, rest, Vec::new(), temp, st, at, line);
                let defined = std::mem::replace(&mut st.funcs, saved);
                st.funcs.extend(defined);
                flow
            }
            "type" | "hash" | "which" | "whence" => {
                let mut all = St::T;
                for a in args.iter().filter(|a| a.known().is_none_or(|s| !s.starts_with('-'))) {
                    let found = match a.known() {
                        Some(n) => St::of(self.which(n, st, name != "which").is_some()),
                        None => St::U,
                    };
                    all = all.and(found);
                }
                st.status = all;
                Flow::Next
            }
            "cd" | "pushd" => {
                let target =
                    match args.iter().find(|a| a.known().is_none_or(|s| !s.starts_with('-'))) {
                        None => st.get("HOME").and_then(|v| v.known().map(str::to_owned)),
                        Some(a) => a.known().map(str::to_owned),
                    };
                match target {
                    Some(t) => {
                        let dir = clean(&st.cwd, Path::new(&t));
                        if self.sys.is_dir(&dir) {
                            st.cwd = dir.clone();
                            let pwd = dir.to_string_lossy().into_owned();
                            self.assign(st, "PWD", Val::Known(pwd), at.clone(), None);
                            st.status = St::T;
                        } else {
                            st.status = St::F;
                        }
                    }
                    None => {
                        let why = self.unknown(at.clone(), "`cd` to a directory that is not known");
                        self.assign(st, "PWD", Val::Unknown(why), at.clone(), None);
                        st.status = St::U;
                    }
                }
                Flow::Next
            }
            "read" | "getopts" | "mapfile" | "readarray" | "vared" => {
                let why =
                    self.unknown(at.clone(), format!("`{name}` reads input that is not known"));
                for a in args.iter().skip(usize::from(name == "getopts")) {
                    if let Some(n) = a.known().filter(|n| is_name(n)) {
                        let v = Val::Unknown(why.clone());
                        self.assign(st, n, v, at.clone(), None);
                    }
                }
                st.status = St::U;
                Flow::Next
            }
            "let" => {
                let why = self.unknown(at.clone(), "`let` arithmetic is not evaluated");
                for a in &args {
                    if let Some((n, _)) = a.known().and_then(split_assignment) {
                        self.assign(st, n, Val::Unknown(why.clone()), at.clone(), None);
                    }
                }
                st.status = St::U;
                Flow::Next
            }
            "echo" | "printf" | "print" => {
                let known: Option<Vec<&str>> = args.iter().map(Arg::known).collect();
                if name == "printf"
                    && let Some(i) = args.iter().position(|a| a.known() == Some("-v"))
                {
                    if let Some(n) = args.get(i + 1).and_then(Arg::known) {
                        let why = Why::new(at.clone(), "`printf -v` is not evaluated");
                        self.assign(st, n, Val::Unknown(why), at.clone(), None);
                    }
                } else if let Some(cap) = &mut self.capture {
                    match (known, name) {
                        (Some(words), "echo")
                            if words.first().is_none_or(|w| !w.starts_with('-')) =>
                        {
                            if let Capture::Text(out) = cap {
                                out.push_str(&words.join(" "));
                                out.push('\n');
                            }
                        }
                        (Some(words), "printf")
                            if words
                                .first()
                                .is_some_and(|f| *f == "%s" || !f.contains(['%', '\\'])) =>
                        {
                            if let Capture::Text(out) = cap {
                                if words[0] == "%s" {
                                    out.push_str(&words[1..].concat());
                                } else {
                                    out.push_str(words[0]);
                                }
                            }
                        }
                        _ => {
                            *cap = Capture::Unknown(Why::new(
                                at.clone(),
                                format!("the output of `{name}` is not evaluated"),
                            ))
                        }
                    }
                }
                st.status = St::T;
                Flow::Next
            }
            "pwd" => {
                if let Some(Capture::Text(out)) = &mut self.capture {
                    out.push_str(&st.cwd.to_string_lossy());
                    out.push('\n');
                }
                st.status = St::T;
                Flow::Next
            }
            // builtins that change the shell but not its environment
            "alias" | "unalias" | "shopt" | "complete" | "compgen" | "compopt" | "bind"
            | "umask" | "ulimit" | "trap" | "setopt" | "unsetopt" | "bindkey" | "zstyle"
            | "autoload" | "zmodload" | "history" | "fc" | "jobs" | "disown" | "wait"
            | "enable" | "compdef" | "compinit" | "promptinit" | "rehash" | "unhash" | "dirs"
            | "popd" | "suspend" | "times" | "caller" | "help" | "zle" | "functions" | "limit"
            | "unlimit" => {
                st.status = St::T;
                Flow::Next
            }
            _ => self.external(name, &args, st, at),
        }
    }

    fn declare(
        &mut self,
        name: &str,
        args: &[Arg],
        decl_assign: Vec<(usize, String, Val)>,
        st: &mut State,
        at: &Source,
    ) {
        let mut export = name == "export";
        let mut unexport = false;
        let mut global = name == "export" || name == "readonly";
        let mut funcs = false;
        let mut unique = false;
        let mut assigned: BTreeMap<usize, (String, Val)> = BTreeMap::new();
        for (i, n, v) in decl_assign {
            assigned.insert(i, (n, v));
        }
        let mut names = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if let Some((n, v)) = assigned.remove(&i) {
                names.push((n, Some(v)));
                continue;
            }
            match a {
                Arg::Known(s)
                    if (s.starts_with('-') || s.starts_with('+'))
                        && s.len() > 1
                        && names.is_empty() =>
                {
                    let on = s.starts_with('-');
                    for flag in s[1..].chars() {
                        match flag {
                            'x' => {
                                export = on;
                                unexport = !on;
                            }
                            'n' if name == "export" => unexport = true,
                            'g' => global = true,
                            'f' | 'F' => funcs = true,
                            'U' => unique = on,
                            _ => {}
                        }
                    }
                }
                Arg::Known(s) => names.push((s.clone(), None)),
                Arg::Unknown(why) => {
                    let why = self.unknown(
                        at.clone(),
                        format!("`{name}` of words that are not known ({})", why.reason),
                    );
                    st.clobber(why);
                    return;
                }
            }
        }
        st.status = St::T;
        if funcs {
            return;
        }
        let local = self.in_function > 0
            && !global
            && matches!(name, "local" | "declare" | "typeset" | "integer");
        for (n, v) in names {
            if !is_name(&n) {
                st.status = St::F;
                continue;
            }
            let n = if self.dialect == Dialect::Zsh && n == "path" { "PATH".to_owned() } else { n };
            if unique && n == "PATH" {
                st.unique_path = true;
                if let Some(Val::Known(p)) = st.get("PATH") {
                    self.assign(st, "PATH", Val::Known(p), at.clone(), None);
                }
            }
            if local && let Some(frame) = self.locals.last_mut() {
                if !frame.iter().any(|(name, _)| *name == n) {
                    frame.push((n.clone(), st.vars.get(&n).cloned()));
                }
                if v.is_none() {
                    st.vars.remove(&n);
                }
            }
            match v {
                Some(v) => {
                    let exp = if unexport { Some(false) } else { Some(export) };
                    self.assign(st, &n, v, at.clone(), exp);
                    if unexport && let Some(var) = st.vars.get_mut(&n) {
                        var.exported = false;
                    }
                }
                None => {
                    if let Some(var) = st.vars.get_mut(&n) {
                        if unexport {
                            var.exported = false;
                        } else if export {
                            var.exported = true;
                        }
                    } else if export && let Some(why) = &st.rest {
                        let why = why.clone();
                        st.vars
                            .insert(n.clone(), Var::new(Val::Unknown(why.clone()), true, why.at));
                    }
                }
            }
        }
    }

    fn dot(&mut self, args: &[Arg], st: &mut State, at: &Source) -> Flow {
        let Some(first) = args.first() else {
            st.status = St::F;
            return Flow::Next;
        };
        let file = match first {
            Arg::Known(f) => f.clone(),
            Arg::Unknown(why) => {
                let why = self.unknown(
                    at.clone(),
                    format!("a file is sourced whose name is not known ({})", why.reason),
                );
                st.clobber(why);
                return Flow::Next;
            }
        };
        let path = if file.contains('/') {
            Some(clean(&st.cwd, Path::new(&file)))
        } else {
            self.search_path(&file, st).or_else(|| {
                let p = st.cwd.join(&file);
                (self.dialect != Dialect::Sh && self.sys.is_file(&p)).then_some(p)
            })
        };
        let rest: Vec<String> =
            args[1..].iter().filter_map(|a| a.known().map(str::to_owned)).collect();
        match path {
            Some(p) if self.sys.is_file(&p) => {
                if let Some(flow) = self.known_script(&p, st, at) {
                    return flow;
                }
                st.status = St::T;
                self.source(&p, &rest, st, true)
            }
            _ => {
                st.status = St::F;
                if self.dialect == Dialect::Sh && !self.mode.interactive {
                    // dash: a failing special builtin ends a non-interactive shell
                    return Flow::Exit;
                }
                Flow::Next
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        f: &Func,
        name: &str,
        args: &[Arg],
        temp: Vec<(String, Val)>,
        st: &mut State,
        at: &Source,
        line: usize,
    ) -> Flow {
        if self.depth >= MAX_DEPTH {
            let why = self.unknown(
                at.clone(),
                format!("function `{name}` calls nest more than {MAX_DEPTH} deep"),
            );
            st.clobber(why);
            return Flow::Next;
        }
        if !self.step(st, line) {
            return Flow::Next;
        }
        let positional = std::mem::replace(&mut st.positional, args.iter().map(arg_val).collect());
        let saved_file = std::mem::replace(&mut self.file, f.0.clone());
        let saved_eval = self.eval_at.take();
        self.depth += 1;
        self.in_function += 1;
        let mut frame = Vec::new();
        for (n, v) in temp {
            frame.push((n.clone(), st.vars.get(&n).cloned()));
            self.assign(st, &n, v, at.clone(), Some(true));
        }
        self.locals.push(frame);
        self.frames.push(Vec::new());
        let flow = self.compound(&f.1.0, st);
        self.end_frame(st);
        if let Some(frame) = self.locals.pop() {
            for (n, old) in frame.into_iter().rev() {
                match old {
                    Some(v) => {
                        st.vars.insert(n, v);
                    }
                    None => {
                        st.vars.remove(&n);
                    }
                }
            }
        }
        self.in_function -= 1;
        self.depth -= 1;
        self.file = saved_file;
        self.eval_at = saved_eval;
        st.positional = positional;
        match flow {
            Flow::Exit => Flow::Exit,
            _ => Flow::Next,
        }
    }

    /// A program that is not a builtin runs in a child: it cannot change this shell's
    /// environment, only its exit status (and its output, inside `$(…)`).
    fn external(&mut self, name: &str, args: &[Arg], st: &mut State, at: &Source) -> Flow {
        let found = if name.contains('/') {
            let p = clean(&st.cwd, Path::new(name));
            self.sys.is_executable(&p).then(|| p.to_string_lossy().into_owned())
        } else {
            self.search_path(name, st).map(|p| p.to_string_lossy().into_owned())
        };
        if found.is_none() && self.path_unknown(st) {
            st.status = St::U;
            if let Some(cap) = &mut self.capture {
                *cap = Capture::Unknown(Why::new(
                    at.clone(),
                    format!("whether `{name}` exists is not known"),
                ));
            }
            return Flow::Next;
        }
        let Some(_) = found else {
            st.status = St::F;
            return Flow::Next;
        };
        let base = name.rsplit('/').next().unwrap_or(name);
        let known: Option<Vec<&str>> = args.iter().map(Arg::known).collect();
        if self.capture.is_some() {
            let out = known.and_then(|a| self.known_output(base, &a, st));
            if let Some(cap) = &mut self.capture {
                match (out, &*cap) {
                    (Some(text), Capture::Text(_)) => {
                        if let Capture::Text(buf) = cap {
                            buf.push_str(&text);
                        }
                        st.status = St::T;
                        return Flow::Next;
                    }
                    (None, _) => {
                        *cap = Capture::Unknown(Why::new(
                            at.clone(),
                            format!("the output of `{base}` is not known from files"),
                        ));
                    }
                    _ => {}
                }
            }
        }
        st.status = St::U;
        Flow::Next
    }

    /// Output of the few programs whose answer is in files.
    fn known_output(&self, name: &str, args: &[&str], st: &State) -> Option<String> {
        let line = |s: String| Some(s + "\n");
        match (name, args) {
            ("id", ["-u"]) | ("id", ["-ru"]) => line(self.sys.uid.to_string()),
            ("id", ["-un"]) | ("id", ["-nu"]) | ("whoami", []) | ("logname", []) => {
                user_name(self.sys, self.sys.uid).and_then(line)
            }
            ("uname", []) | ("uname", ["-s"]) => line(self.mode.os_name.to_owned()),
            ("uname", ["-m"]) | ("uname", ["-p"]) | ("arch", []) => {
                line(self.mode.machine.to_owned())
            }
            ("hostname", []) => line(self.mode.host.clone()),
            ("dirname", [p]) => {
                let d = Path::new(p).parent().map_or(".".into(), |d| {
                    if d.as_os_str().is_empty() {
                        ".".into()
                    } else {
                        d.to_string_lossy().into_owned()
                    }
                });
                line(d)
            }
            ("basename", [p]) => line(Path::new(p).file_name()?.to_string_lossy().into_owned()),
            ("basename", [p, suffix]) => {
                let b = Path::new(p).file_name()?.to_string_lossy().into_owned();
                line(
                    b.strip_suffix(suffix)
                        .filter(|s| !s.is_empty())
                        .map_or(b.clone(), str::to_owned),
                )
            }
            ("cat", files) if !files.is_empty() && files.iter().all(|f| !f.starts_with('-')) => {
                let mut out = String::new();
                for f in files.iter() {
                    out.push_str(&self.sys.read_text(
                        &clean(&st.cwd, Path::new(f)),
                        "read by `cat` in a start-up file",
                    )?);
                }
                Some(out)
            }
            ("true", []) => Some(String::new()),
            _ => None,
        }
    }

    fn path_unknown(&self, st: &State) -> bool {
        matches!(st.get("PATH"), Some(Val::Unknown(_)))
    }

    /// Where a command name resolves: a function or builtin by name, else the first executable in PATH.
    fn which(&self, name: &str, st: &State, builtins: bool) -> Option<String> {
        if builtins && (st.funcs.contains_key(name) || is_builtin(self.dialect, name)) {
            return Some(name.to_owned());
        }
        if name.contains('/') {
            let p = clean(&st.cwd, Path::new(name));
            return self.sys.is_executable(&p).then(|| p.to_string_lossy().into_owned());
        }
        self.search_path(name, st).map(|p| p.to_string_lossy().into_owned())
    }

    fn search_path(&self, name: &str, st: &State) -> Option<PathBuf> {
        let Some(Val::Known(path)) = st.get("PATH") else { return None };
        for dir in path.split(':') {
            let dir = if dir.is_empty() { st.cwd.clone() } else { clean(&st.cwd, Path::new(dir)) };
            let p = dir.join(name);
            if self.sys.is_executable(&p) {
                return Some(p);
            }
        }
        None
    }

    /// Activation lines of version and package managers, recognised by their text.
    fn activation(&mut self, c: &ast::SimpleCommand, st: &mut State, at: &Source) -> Option<Flow> {
        let name = c.word_or_name.as_ref()?.value.as_str();
        if name != "eval" && name != "source" && name != "." {
            return None;
        }
        let text: String = c
            .suffix
            .iter()
            .flat_map(|s| s.0.iter())
            .filter_map(|i| match i {
                ast::CommandPrefixOrSuffixItem::Word(w) => Some(w.value.clone()),
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(_, s) => {
                    Some(format!("<({})", s.list))
                }
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" ");
        let inner = text.trim_matches('"');
        let sub = inner
            .strip_prefix("$(")
            .and_then(|s| s.strip_suffix(')'))
            .or_else(|| inner.strip_prefix("<(").and_then(|s| s.strip_suffix(')')))
            .or_else(|| inner.strip_prefix('`').and_then(|s| s.strip_suffix('`')))?;
        let words: Vec<&str> =
            sub.split_whitespace().filter(|w| !w.contains('=') || w.starts_with('-')).collect();
        let prog = words.first()?.trim_matches('"');
        let base = prog.rsplit('/').next().unwrap_or(prog);
        let found = self.which(prog, st, false);
        let program_path = if prog.contains('$') || prog.starts_with('~') {
            let w = ast::Word { value: prog.to_owned(), loc: None };
            self.expand_one(&w, st).known().map(PathBuf::from)
        } else if prog.contains('/') {
            Some(PathBuf::from(prog))
        } else {
            found.map(PathBuf::from)
        };
        let exists = program_path.as_ref().is_some_and(|p| self.sys.is_executable(p));
        let rest = words.get(1..).unwrap_or_default();
        let (manager, effect): (&'static str, Effect) = match (base, rest) {
            ("brew", ["shellenv", ..]) => ("Homebrew (`brew shellenv`)", Effect::Brew),
            ("path_helper", ["-s", ..]) => ("macOS `path_helper`", Effect::PathHelper),
            ("goenv", ["init", ..]) => ("go-nv/goenv (`goenv init`)", Effect::GoNv),
            ("mise", ["activate", r @ ..]) if r.contains(&"--shims") => {
                ("mise (`mise activate --shims`)", Effect::MiseShims)
            }
            ("mise", ["activate", ..]) => ("mise (`mise activate`)", Effect::Mise),
            ("rtx", ["activate", ..]) => ("mise (`rtx activate`)", Effect::Mise),
            ("dircolors", _) => ("dircolors", Effect::Vars(&["LS_COLORS"])),
            ("lesspipe", _) | ("lesspipe.sh", _) => {
                ("lesspipe", Effect::Vars(&["LESSOPEN", "LESSCLOSE"]))
            }
            ("direnv", ["hook", ..]) => ("direnv (`direnv hook`)", Effect::Hook),
            ("starship", ["init", ..])
            | ("zoxide", ["init", ..])
            | ("fzf", _)
            | ("atuin", ["init", ..]) => ("a prompt or history tool", Effect::Vars(&[])),
            _ => return None,
        };
        st.status = St::T;
        if !exists {
            // the program is not there: `$(…)` prints nothing and eval runs nothing
            st.status = St::T;
            return Some(Flow::Next);
        }
        if !matches!(effect, Effect::Vars(_) | Effect::PathHelper) {
            self.note(at.clone(), NoteKind::Activation(manager));
        }
        let prefix = program_path
            .as_ref()
            .and_then(|p| p.parent()?.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        self.apply_effect(effect, &prefix, st, at, manager);
        Some(Flow::Next)
    }

    /// Scripts that activate a manager when sourced, recognised by their path.
    fn known_script(&mut self, path: &Path, st: &mut State, at: &Source) -> Option<Flow> {
        let p = path.to_string_lossy();
        let (manager, effect): (&'static str, Effect) = if p.ends_with("/asdf.sh") {
            ("asdf (`asdf.sh`)", Effect::Asdf)
        } else if p.ends_with("/.gvm/scripts/gvm") {
            ("gvm", Effect::Gvm)
        } else if p.ends_with("/nvm.sh") {
            ("nvm", Effect::Vars(&["PATH", "NVM_BIN", "NVM_INC", "MANPATH"]))
        } else if p.ends_with("/bash_completion") || p.ends_with("/bash-completion/bash_completion")
        {
            ("bash-completion", Effect::Vars(&[]))
        } else {
            return None;
        };
        if manager != "bash-completion" {
            self.note(at.clone(), NoteKind::Activation(manager));
        }
        let prefix = path.parent().map(Path::to_path_buf).unwrap_or_default();
        self.apply_effect(effect, &prefix, st, at, manager);
        st.status = St::T;
        Some(Flow::Next)
    }

    fn apply_effect(
        &mut self,
        effect: Effect,
        prefix: &Path,
        st: &mut State,
        at: &Source,
        manager: &str,
    ) {
        let home = self.sys.home().to_path_buf();
        let prepend = |me: &mut Self, st: &mut State, dirs: &[PathBuf]| {
            let old = match st.get("PATH") {
                Some(Val::Known(p)) => p,
                Some(Val::Unknown(_)) => return,
                None => String::new(),
            };
            let mut entries: Vec<String> =
                dirs.iter().map(|d| d.to_string_lossy().into_owned()).collect();
            if !old.is_empty() {
                entries.push(old);
            }
            me.assign(st, "PATH", Val::Known(entries.join(":")), at.clone(), Some(true));
        };
        let unknown_vars = |me: &mut Self, st: &mut State, names: &[&str], reason: String| {
            let why = me.unknown(at.clone(), reason);
            for n in names {
                me.assign(st, n, Val::Unknown(why.clone()), at.clone(), Some(true));
            }
        };
        match effect {
            Effect::Brew => {
                let p = prefix.to_string_lossy().into_owned();
                for (k, v) in
                    [("HOMEBREW_PREFIX", p.clone()), ("HOMEBREW_CELLAR", format!("{p}/Cellar"))]
                {
                    self.assign(st, k, Val::Known(v), at.clone(), Some(true));
                }
                let first = match st.get("PATH") {
                    Some(Val::Known(path)) => path.starts_with(&format!("{p}/bin:{p}/sbin")),
                    _ => false,
                };
                if !first {
                    prepend(self, st, &[prefix.join("bin"), prefix.join("sbin")]);
                }
            }
            Effect::PathHelper => {
                // /etc/paths, then /etc/paths.d/* in name order, then what PATH had that they lack
                let mut entries: Vec<String> = Vec::new();
                let mut files = vec![PathBuf::from("/etc/paths")];
                files.extend(
                    self.sys
                        .list(Path::new("/etc/paths.d"))
                        .into_iter()
                        .map(|n| Path::new("/etc/paths.d").join(n)),
                );
                for f in files {
                    if let Some(text) = self.sys.read_text(&f, "macOS's path_helper list") {
                        for l in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                            if !entries.iter().any(|e| e == l) {
                                entries.push(l.to_owned());
                            }
                        }
                    }
                }
                match st.get("PATH") {
                    Some(Val::Known(old)) => {
                        for e in old.split(':') {
                            if !e.is_empty() && !entries.iter().any(|x| x == e) {
                                entries.push(e.to_owned());
                            }
                        }
                    }
                    Some(Val::Unknown(_)) => return,
                    None => {}
                }
                self.assign(st, "PATH", Val::Known(entries.join(":")), at.clone(), Some(true));
            }
            Effect::GoNv => {
                let root = match st.get("GOENV_ROOT") {
                    Some(Val::Known(r)) if !r.is_empty() => PathBuf::from(r),
                    _ => home.join(".goenv"),
                };
                prepend(self, st, &[root.join("shims")]);
                let shell = match self.dialect {
                    Dialect::Zsh => "zsh",
                    Dialect::Bash => "bash",
                    Dialect::Sh => "sh",
                };
                self.assign(st, "GOENV_SHELL", Val::Known(shell.into()), at.clone(), Some(true));
                unknown_vars(
                    self,
                    st,
                    &["GOROOT", "GOPATH"],
                    format!("{manager} sets them for the version it selects"),
                );
            }
            Effect::MiseShims => {
                let data = match st.get("MISE_DATA_DIR") {
                    Some(Val::Known(d)) if !d.is_empty() => PathBuf::from(d),
                    _ => home.join(".local/share/mise"),
                };
                prepend(self, st, &[data.join("shims")]);
            }
            Effect::Mise => {
                unknown_vars(
                    self,
                    st,
                    &["PATH", "GOROOT", "GOPATH", "GOBIN"],
                    format!(
                        "{manager} sets them from the current directory's tool versions, at every prompt"
                    ),
                );
            }
            Effect::Hook => {
                unknown_vars(self, st, &[], format!("{manager} changes variables per directory"));
            }
            Effect::Asdf => {
                let data = match st.get("ASDF_DATA_DIR") {
                    Some(Val::Known(d)) if !d.is_empty() => PathBuf::from(d),
                    _ => home.join(".asdf"),
                };
                prepend(self, st, &[prefix.join("bin"), data.join("shims")]);
                self.assign(
                    st,
                    "ASDF_DIR",
                    Val::Known(prefix.to_string_lossy().into_owned()),
                    at.clone(),
                    Some(true),
                );
            }
            Effect::Gvm => {
                unknown_vars(
                    self,
                    st,
                    &["PATH", "GOROOT", "GOPATH", "GVM_ROOT"],
                    format!("{manager} sets them for the Go it selects"),
                );
            }
            Effect::Vars(names) => {
                if !names.is_empty() {
                    unknown_vars(self, st, names, format!("set by {manager}"));
                }
            }
        }
    }

    // ---- words ----

    fn parse_word(&self, text: &str) -> Option<Rc<Vec<word::WordPieceWithSource>>> {
        type Pieces = Option<Rc<Vec<word::WordPieceWithSource>>>;
        thread_local! {
            static PARSED: std::cell::RefCell<std::collections::HashMap<(u8, String), Pieces>> =
                std::cell::RefCell::new(std::collections::HashMap::new());
        }
        let key = (self.dialect as u8, text.to_owned());
        if let Some(hit) = PARSED.with(|p| p.borrow().get(&key).cloned()) {
            return hit;
        }
        let parsed = word::parse(text, &self.parser_options()).ok().map(Rc::new);
        PARSED.with(|p| p.borrow_mut().insert(key, parsed.clone()));
        parsed
    }

    /// One word to fields, with splitting and pathname expansion when `fields` is set.
    fn expand(&mut self, w: &ast::Word, st: &mut State, fields: bool) -> Vec<Arg> {
        if fields && (w.value == "\"$@\"" || w.value == "\"${@}\"") {
            return st
                .positional
                .iter()
                .map(|v| match v {
                    Val::Known(s) => Arg::Known(s.clone()),
                    Val::Unknown(w) => Arg::Unknown(w.clone()),
                })
                .collect();
        }
        let line = w.loc.as_ref().map_or(0, |l| l.start.line);
        let segs = match self.segments(&w.value, st, false, line) {
            Ok(s) => s,
            Err(why) => return vec![Arg::Unknown(why)],
        };
        if !fields {
            return vec![Arg::Known(segs.into_iter().map(|s| s.text).collect())];
        }
        let ifs = match st.get("IFS") {
            None => " \t\n".to_owned(),
            Some(Val::Known(i)) => i,
            Some(Val::Unknown(why)) => return vec![Arg::Unknown(why)],
        };
        let split_here = self.dialect != Dialect::Zsh;
        let mut out: Vec<Vec<Seg>> = Vec::new();
        let mut cur: Vec<Seg> = Vec::new();
        let mut cur_has = false;
        for seg in segs {
            if seg.split && split_here {
                let mut piece = String::new();
                for ch in seg.text.chars() {
                    if ifs.contains(ch) {
                        if !piece.is_empty() {
                            cur.push(Seg {
                                text: std::mem::take(&mut piece),
                                quoted: false,
                                split: false,
                            });
                            cur_has = true;
                        }
                        if cur_has {
                            out.push(std::mem::take(&mut cur));
                            cur_has = false;
                        }
                    } else {
                        piece.push(ch);
                    }
                }
                if !piece.is_empty() {
                    cur.push(Seg { text: piece, quoted: false, split: false });
                    cur_has = true;
                }
            } else {
                cur_has |= seg.quoted || !seg.text.is_empty();
                cur.push(seg);
            }
        }
        if cur_has {
            out.push(cur);
        }
        let mut args = Vec::new();
        for field in out {
            let globbing = field.iter().any(|s| !s.quoted && s.text.contains(['*', '?', '[']));
            if globbing {
                let pat: String = field
                    .iter()
                    .map(|s| if s.quoted { escape_glob(&s.text) } else { s.text.clone() })
                    .collect();
                let matches = self.glob(&pat, st);
                if !matches.is_empty() {
                    args.extend(matches.into_iter().map(Arg::Known));
                    continue;
                }
                if self.dialect == Dialect::Zsh {
                    continue;
                }
            }
            args.push(Arg::Known(field.into_iter().map(|s| s.text).collect()));
        }
        args
    }

    fn expand_one(&mut self, w: &ast::Word, st: &mut State) -> Arg {
        let line = w.loc.as_ref().map_or(0, |l| l.start.line);
        match self.segments(&w.value, st, false, line) {
            Ok(segs) => Arg::Known(segs.into_iter().map(|s| s.text).collect()),
            Err(why) => Arg::Unknown(why),
        }
    }

    /// A `case` pattern, with quoted parts escaped.
    fn pattern(&mut self, w: &ast::Word, st: &mut State) -> Option<String> {
        let line = w.loc.as_ref().map_or(0, |l| l.start.line);
        let segs = self.segments(&w.value, st, false, line).ok()?;
        Some(
            segs.into_iter()
                .map(|s| if s.quoted { escape_glob(&s.text) } else { s.text })
                .collect(),
        )
    }

    fn expand_value(&mut self, text: &str, st: &mut State, line: usize) -> Val {
        match self.segments(text, st, true, line) {
            Ok(segs) => Val::Known(segs.into_iter().map(|s| s.text).collect()),
            Err(why) => Val::Unknown(why),
        }
    }

    fn assignment_value(&mut self, a: &ast::Assignment, st: &mut State) -> Val {
        let name = assignment_name(a);
        let val = match &a.value {
            ast::AssignmentValue::Scalar(w) => self.expand_value(&w.value, st, a.loc.start.line),
            ast::AssignmentValue::Array(items) => {
                let mut parts: Vec<String> = Vec::new();
                for (_, w) in items {
                    if self.dialect == Dialect::Zsh
                        && matches!(
                            w.value.as_str(),
                            "$path" | "${path[@]}" | "\"$path[@]\"" | "${path}"
                        )
                    {
                        match st.get("PATH") {
                            Some(Val::Known(p)) => parts.extend(p.split(':').map(str::to_owned)),
                            Some(Val::Unknown(why)) => return Val::Unknown(why),
                            None => {}
                        }
                        continue;
                    }
                    for arg in self.expand(w, st, true) {
                        match arg {
                            Arg::Known(s) => parts.push(s),
                            Arg::Unknown(why) => return Val::Unknown(why),
                        }
                    }
                }
                let sep = if self.dialect == Dialect::Zsh && name == "path" { ":" } else { " " };
                Val::Known(parts.join(sep))
            }
        };
        if a.append {
            let target =
                if self.dialect == Dialect::Zsh && name == "path" { "PATH" } else { name.as_str() };
            let sep = if target == "PATH" && matches!(a.value, ast::AssignmentValue::Array(_)) {
                ":"
            } else {
                ""
            };
            return match (st.get(target), val) {
                (Some(Val::Known(old)), Val::Known(new)) if !old.is_empty() => {
                    Val::Known(format!("{old}{sep}{new}"))
                }
                (Some(Val::Unknown(w)), _) => Val::Unknown(w),
                (None, v) | (Some(Val::Known(_)), v) => v,
            };
        }
        val
    }

    /// Expands a word's text to segments; `Err` when any part is not known.
    fn segments(
        &mut self,
        text: &str,
        st: &mut State,
        assignment: bool,
        line: usize,
    ) -> Result<Vec<Seg>, Why> {
        let Some(pieces) = self.parse_word(text) else {
            let at = self.here(line);
            return Err(Why::new(at, format!("goenv cannot read the word `{}`", short(text))));
        };
        let mut out = Vec::new();
        for p in pieces.iter() {
            self.piece(&p.piece, st, false, assignment, line, &mut out)?;
        }
        Ok(out)
    }

    fn piece(
        &mut self,
        p: &WordPiece,
        st: &mut State,
        quoted: bool,
        assignment: bool,
        line: usize,
        out: &mut Vec<Seg>,
    ) -> Result<(), Why> {
        match p {
            WordPiece::Text(t) => {
                if assignment && !quoted && t.contains(":~") {
                    // tilde after a colon in an assignment (bash and zsh; not dash)
                    let home = st
                        .get("HOME")
                        .and_then(|h| h.known().map(str::to_owned))
                        .unwrap_or_default();
                    let expanded = if self.dialect == Dialect::Sh {
                        t.clone()
                    } else {
                        tilde_after_colons(t, &home)
                    };
                    out.push(Seg { text: expanded, quoted, split: false });
                } else {
                    out.push(Seg { text: t.clone(), quoted, split: false });
                }
            }
            WordPiece::SingleQuotedText(t) => {
                out.push(Seg { text: t.clone(), quoted: true, split: false })
            }
            WordPiece::AnsiCQuotedText(t) => {
                out.push(Seg { text: ansi_c(t), quoted: true, split: false })
            }
            WordPiece::EscapeSequence(e) => {
                let text = if quoted {
                    match e.strip_prefix('\\') {
                        Some(c) if matches!(c, "$" | "`" | "\"" | "\\" | "\n") => c.to_owned(),
                        _ => e.clone(),
                    }
                } else {
                    e.strip_prefix('\\').unwrap_or(e).to_owned()
                };
                let text = if text == "\n" { String::new() } else { text };
                out.push(Seg { text, quoted: true, split: false });
            }
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                out.push(Seg { text: String::new(), quoted: true, split: false });
                for i in inner {
                    self.piece(&i.piece, st, true, assignment, line, out)?;
                }
            }
            WordPiece::TildeExpansion(t) => {
                let text = match t {
                    TildeExpr::Home => match st.get("HOME") {
                        Some(Val::Known(h)) => h,
                        Some(Val::Unknown(why)) => return Err(why),
                        None => self.sys.home().to_string_lossy().into_owned(),
                    },
                    TildeExpr::UserHome(u) => match user_home(self.sys, u) {
                        Some(h) => h,
                        None => format!("~{u}"),
                    },
                    TildeExpr::WorkingDir => st.cwd.to_string_lossy().into_owned(),
                    _ => {
                        let at = self.here(line);
                        return Err(Why::new(at, "a directory-stack `~` is not evaluated"));
                    }
                };
                out.push(Seg { text, quoted: true, split: false });
            }
            WordPiece::ParameterExpansion(e) => {
                let text = self.parameter(e, st, line)?;
                out.push(Seg { text, quoted, split: !quoted && !assignment });
            }
            WordPiece::CommandSubstitution(code)
            | WordPiece::BackquotedCommandSubstitution(code) => {
                let text = self.substitute(code, st, line)?;
                out.push(Seg { text, quoted, split: !quoted && !assignment });
            }
            WordPiece::ArithmeticExpression(e) => {
                let text = arithmetic(&e.value, st).ok_or_else(|| {
                    Why::new(
                        self.here(line),
                        format!("arithmetic `$(( {} ))` is not evaluated", short(&e.value)),
                    )
                })?;
                out.push(Seg { text, quoted, split: !quoted && !assignment });
            }
        }
        Ok(())
    }

    fn lookup(&self, p: &Parameter, st: &State, line: usize) -> Result<Option<String>, Why> {
        let val = match p {
            Parameter::Named(n) if self.dialect == Dialect::Zsh && n == "path" => {
                st.get("PATH").map(|v| match v {
                    Val::Known(p) => Val::Known(p.replace(':', " ")),
                    other => other,
                })
            }
            Parameter::Named(n) => st.get(n),
            Parameter::Positional(0) => Some(Val::Known(self.argv0())),
            Parameter::Positional(n) => st.positional.get(*n as usize - 1).cloned(),
            Parameter::Special(s) => Some(match s {
                SpecialParameter::CurrentOptionFlags => Val::Known(self.flags()),
                SpecialParameter::LastExitStatus => match st.status {
                    St::T => Val::Known("0".into()),
                    St::F => Val::Known("1".into()),
                    St::U => Val::Unknown(Why::new(
                        self.here(line),
                        "the exit status before this line is not known",
                    )),
                },
                SpecialParameter::PositionalParameterCount => {
                    Val::Known(st.positional.len().to_string())
                }
                SpecialParameter::ShellName => Val::Known(self.argv0()),
                SpecialParameter::AllPositionalParameters { .. } => {
                    let mut parts = Vec::new();
                    for v in &st.positional {
                        match v {
                            Val::Known(s) => parts.push(s.clone()),
                            Val::Unknown(w) => return Err(w.clone()),
                        }
                    }
                    Val::Known(parts.join(" "))
                }
                SpecialParameter::ProcessId | SpecialParameter::LastBackgroundProcessId => {
                    Val::Unknown(Why::new(self.here(line), "a process id is not known"))
                }
            }),
            Parameter::NamedWithIndex { name, index }
                if index == "0" || index == "@" || index == "*" =>
            {
                st.get(name)
            }
            _ => {
                return Err(Why::new(self.here(line), format!("the array `{p}` is not evaluated")));
            }
        };
        match val {
            Some(Val::Known(s)) => Ok(Some(s)),
            Some(Val::Unknown(w)) => Err(w),
            None => Ok(None),
        }
    }

    fn argv0(&self) -> String {
        let base =
            self.mode.shell.file_name().map_or("sh".into(), |b| b.to_string_lossy().into_owned());
        if self.mode.login { format!("-{base}") } else { base }
    }

    fn flags(&self) -> String {
        let mut f = String::new();
        match self.dialect {
            Dialect::Bash => {
                f.push_str("hB");
                if self.mode.interactive {
                    f.insert(1, 'i');
                    f.insert(2, 'm');
                    f.push('H');
                } else {
                    f.push('c');
                }
            }
            Dialect::Sh => {
                if self.mode.interactive {
                    f.push('i');
                }
                if !self.mode.interactive {
                    f.push('c');
                }
            }
            Dialect::Zsh => {
                f.push('0');
                if self.mode.interactive {
                    f.push('i');
                }
                if self.mode.login {
                    f.push('l');
                }
            }
        }
        f
    }

    fn parameter(&mut self, e: &ParameterExpr, st: &mut State, line: usize) -> Result<String, Why> {
        let null_or_unset = |v: &Option<String>, t: &ParameterTestType| match t {
            ParameterTestType::UnsetOrNull => v.as_deref().is_none_or(str::is_empty),
            ParameterTestType::Unset => v.is_none(),
        };
        match e {
            ParameterExpr::Parameter { parameter, indirect: false } => {
                Ok(self.lookup(parameter, st, line)?.unwrap_or_default())
            }
            ParameterExpr::UseDefaultValues {
                parameter,
                indirect: false,
                test_type,
                default_value,
            } => {
                let v = self.lookup(parameter, st, line)?;
                if null_or_unset(&v, test_type) {
                    self.inner_word(default_value.as_deref().unwrap_or(""), st, line)
                } else {
                    Ok(v.unwrap_or_default())
                }
            }
            ParameterExpr::AssignDefaultValues {
                parameter,
                indirect: false,
                test_type,
                default_value,
            } => {
                let v = self.lookup(parameter, st, line)?;
                if null_or_unset(&v, test_type) {
                    let d = self.inner_word(default_value.as_deref().unwrap_or(""), st, line)?;
                    if let Parameter::Named(n) = parameter {
                        let at = self.here(line);
                        self.assign(st, n, Val::Known(d.clone()), at, None);
                    }
                    Ok(d)
                } else {
                    Ok(v.unwrap_or_default())
                }
            }
            ParameterExpr::UseAlternativeValue {
                parameter,
                indirect: false,
                test_type,
                alternative_value,
            } => {
                let v = self.lookup(parameter, st, line)?;
                if null_or_unset(&v, test_type) {
                    Ok(String::new())
                } else {
                    self.inner_word(alternative_value.as_deref().unwrap_or(""), st, line)
                }
            }
            ParameterExpr::IndicateErrorIfNullOrUnset {
                parameter,
                indirect: false,
                test_type,
                ..
            } => {
                let v = self.lookup(parameter, st, line)?;
                if null_or_unset(&v, test_type) {
                    Err(Why::new(
                        self.here(line),
                        format!("`{parameter}` is unset here, which ends the shell"),
                    ))
                } else {
                    Ok(v.unwrap_or_default())
                }
            }
            ParameterExpr::ParameterLength { parameter, indirect: false } => Ok(self
                .lookup(parameter, st, line)?
                .unwrap_or_default()
                .chars()
                .count()
                .to_string()),
            ParameterExpr::RemoveSmallestSuffixPattern { parameter, indirect: false, pattern }
            | ParameterExpr::RemoveLargestSuffixPattern { parameter, indirect: false, pattern }
            | ParameterExpr::RemoveSmallestPrefixPattern { parameter, indirect: false, pattern }
            | ParameterExpr::RemoveLargestPrefixPattern { parameter, indirect: false, pattern } => {
                let v = self.lookup(parameter, st, line)?.unwrap_or_default();
                let pat = match pattern {
                    Some(p) => {
                        let segs = self.segments(p, st, false, line)?;
                        segs.into_iter()
                            .map(|s| if s.quoted { escape_glob(&s.text) } else { s.text })
                            .collect()
                    }
                    None => String::new(),
                };
                let chars: Vec<char> = v.chars().collect();
                let n = chars.len();
                let matches = |s: &[char]| glob_match(&pat, &s.iter().collect::<String>());
                let result = match e {
                    ParameterExpr::RemoveSmallestSuffixPattern { .. } => {
                        (0..=n).rev().find(|&i| matches(&chars[i..])).map(|i| &chars[..i])
                    }
                    ParameterExpr::RemoveLargestSuffixPattern { .. } => {
                        (0..=n).find(|&i| matches(&chars[i..])).map(|i| &chars[..i])
                    }
                    ParameterExpr::RemoveSmallestPrefixPattern { .. } => {
                        (0..=n).find(|&i| matches(&chars[..i])).map(|i| &chars[i..])
                    }
                    _ => (0..=n).rev().find(|&i| matches(&chars[..i])).map(|i| &chars[i..]),
                };
                Ok(result.map_or(v.clone(), |c| c.iter().collect()))
            }
            _ => Err(Why::new(
                self.here(line),
                format!("the expansion `{}` is not evaluated", short(&format!("{e:?}"))),
            )),
        }
    }

    fn inner_word(&mut self, text: &str, st: &mut State, line: usize) -> Result<String, Why> {
        Ok(self.segments(text, st, false, line)?.into_iter().map(|s| s.text).collect())
    }

    /// `$(…)`: run in a copy of the shell, capturing what the few known commands print.
    fn substitute(&mut self, code: &str, st: &mut State, line: usize) -> Result<String, Why> {
        let at = self.here(line);
        let mut sub = st.clone();
        let saved_cap = self.capture.replace(Capture::Text(String::new()));
        let saved_eval = self.eval_at.replace(at.clone());
        self.frames.push(Vec::new());
        let parsed = self.parse_text(code);
        let result = match parsed {
            Ok(program) => {
                for cc in &program.complete_commands {
                    if self.list(cc, &mut sub) != Flow::Next {
                        break;
                    }
                }
                match self.capture.take() {
                    Some(Capture::Text(t)) if sub.rest.is_none() => {
                        Ok(t.trim_end_matches('\n').to_owned())
                    }
                    Some(Capture::Unknown(why)) => {
                        Err(Why::new(at.clone(), format!("`$({})`: {}", short(code), why.reason)))
                    }
                    _ => Err(Why::new(
                        at.clone(),
                        format!("the output of `$({})` is not known from files", short(code)),
                    )),
                }
            }
            Err(_) => Err(Why::new(at.clone(), format!("goenv cannot parse `$({})`", short(code)))),
        };
        self.frames.pop();
        self.capture = saved_cap;
        self.eval_at = saved_eval;
        st.status = sub.status;
        if let Err(why) = &result {
            self.note(at, NoteKind::Unknown(why.reason.clone()));
        }
        result
    }

    fn glob(&self, pattern: &str, st: &State) -> Vec<String> {
        let abs = pattern.starts_with('/');
        let base = if abs { PathBuf::from("/") } else { st.cwd.clone() };
        let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
        let mut current: Vec<PathBuf> = vec![base];
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let mut next = Vec::new();
            for dir in &current {
                if part.contains(['*', '?', '[']) {
                    for name in self.sys.list(dir) {
                        if name.starts_with('.') && !part.starts_with('.') {
                            continue;
                        }
                        if glob_match(part, &name) {
                            let p = dir.join(&name);
                            if last || self.sys.is_dir(&p) {
                                next.push(p);
                            }
                        }
                    }
                } else {
                    let p = dir.join(unescape_glob(part));
                    if self.sys.exists(&p) || self.sys.is_symlink(&p) {
                        next.push(p);
                    }
                }
            }
            current = next;
        }
        let mut out: Vec<String> = current
            .into_iter()
            .map(|p| {
                if abs {
                    p.to_string_lossy().into_owned()
                } else {
                    p.strip_prefix(&st.cwd)
                        .map_or(p.clone(), Path::to_path_buf)
                        .to_string_lossy()
                        .into_owned()
                }
            })
            .collect();
        out.sort();
        out
    }

    // ---- tests ----

    fn test(&mut self, words: &[Arg], st: &State, _line: usize) -> St {
        let Some(words): Option<Vec<&str>> = words.iter().map(Arg::known).collect() else {
            return St::U;
        };
        match brush_parser::test_command::parse(&words) {
            Ok(expr) => self.test_expr(&expr, st),
            Err(_) => St::F,
        }
    }

    fn test_expr(&mut self, e: &ast::TestExpr, st: &State) -> St {
        match e {
            ast::TestExpr::False => St::F,
            ast::TestExpr::Literal(s) => St::of(!s.is_empty()),
            ast::TestExpr::And(a, b) => self.test_expr(a, st).and(self.test_expr(b, st)),
            ast::TestExpr::Or(a, b) => self.test_expr(a, st).or(self.test_expr(b, st)),
            ast::TestExpr::Not(a) => self.test_expr(a, st).not(),
            ast::TestExpr::Parenthesized(a) => self.test_expr(a, st),
            ast::TestExpr::UnaryTest(p, s) => self.unary(p, s, st),
            ast::TestExpr::BinaryTest(p, a, b) => binary(p, a, b, false),
        }
    }

    fn unary(&self, p: &ast::UnaryPredicate, s: &str, st: &State) -> St {
        use ast::UnaryPredicate as U;
        let path = || clean(&st.cwd, Path::new(s));
        match p {
            U::StringHasZeroLength => St::of(s.is_empty()),
            U::StringHasNonZeroLength => St::of(!s.is_empty()),
            U::FileExists => St::of(!s.is_empty() && self.sys.exists(&path())),
            U::FileExistsAndIsDir => St::of(!s.is_empty() && self.sys.is_dir(&path())),
            U::FileExistsAndIsRegularFile => St::of(!s.is_empty() && self.sys.is_file(&path())),
            U::FileExistsAndIsReadable => St::of(!s.is_empty() && self.sys.is_readable(&path())),
            U::FileExistsAndIsWritable => St::of(!s.is_empty() && self.sys.is_writable(&path())),
            U::FileExistsAndIsExecutable => {
                let p = path();
                St::of(
                    !s.is_empty()
                        && (self.sys.is_executable(&p)
                            || (self.sys.is_dir(&p)
                                && self.sys.stat(&p).is_some_and(|m| m.mode & 0o111 != 0))),
                )
            }
            U::FileExistsAndIsNotZeroLength => {
                St::of(!s.is_empty() && self.sys.stat(&path()).is_some_and(|m| m.len > 0))
            }
            U::FileExistsAndIsSymlink => St::of(!s.is_empty() && self.sys.is_symlink(&path())),
            U::FileExistsAndOwnedByEffectiveUserId => {
                St::of(self.sys.stat(&path()).is_some_and(|m| m.uid == self.sys.uid))
            }
            U::ShellVariableIsSetAndAssigned => match st.get(s) {
                Some(Val::Known(_)) => St::T,
                Some(Val::Unknown(_)) => St::U,
                None => St::F,
            },
            _ => St::U,
        }
    }

    fn ext_test(&mut self, e: &ast::ExtendedTestExpr, st: &mut State, line: usize) -> St {
        use ast::ExtendedTestExpr as E;
        match e {
            E::And(a, b) => {
                let l = self.ext_test(a, st, line);
                if l == St::F { St::F } else { l.and(self.ext_test(b, st, line)) }
            }
            E::Or(a, b) => {
                let l = self.ext_test(a, st, line);
                if l == St::T { St::T } else { l.or(self.ext_test(b, st, line)) }
            }
            E::Not(a) => self.ext_test(a, st, line).not(),
            E::Parenthesized(a) => self.ext_test(a, st, line),
            E::UnaryTest(p, w) => match self.expand_one(w, st) {
                Arg::Known(s) => self.unary(p, &s, st),
                Arg::Unknown(_) => St::U,
            },
            E::BinaryTest(p, a, b) => {
                let a = self.expand_one(a, st);
                let pattern = matches!(
                    p,
                    ast::BinaryPredicate::StringExactlyMatchesPattern
                        | ast::BinaryPredicate::StringDoesNotExactlyMatchPattern
                );
                let b = if pattern {
                    match self.pattern(b, st) {
                        Some(p) => Arg::Known(p),
                        None => Arg::Unknown(Why::new(self.here(line), "pattern not known")),
                    }
                } else {
                    self.expand_one(b, st)
                };
                match (a, b) {
                    (Arg::Known(a), Arg::Known(b)) => binary(p, &a, &b, true),
                    _ => St::U,
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Effect {
    Brew,
    PathHelper,
    GoNv,
    Mise,
    MiseShims,
    Hook,
    Asdf,
    Gvm,
    Vars(&'static [&'static str]),
}

fn binary(p: &ast::BinaryPredicate, a: &str, b: &str, extended: bool) -> St {
    use ast::BinaryPredicate as B;
    let int = |s: &str| s.trim().parse::<i64>().ok();
    let cmp = |f: fn(i64, i64) -> bool| match (int(a), int(b)) {
        (Some(x), Some(y)) => St::of(f(x, y)),
        _ => St::F,
    };
    match p {
        B::StringExactlyMatchesPattern if extended => St::of(glob_match(b, a)),
        B::StringDoesNotExactlyMatchPattern if extended => St::of(!glob_match(b, a)),
        B::StringExactlyMatchesPattern | B::StringExactlyMatchesString => St::of(a == b),
        B::StringDoesNotExactlyMatchPattern | B::StringDoesNotExactlyMatchString => St::of(a != b),
        B::StringContainsSubstring => St::of(a.contains(b)),
        B::LeftSortsBeforeRight => St::of(a < b),
        B::LeftSortsAfterRight => St::of(a > b),
        B::ArithmeticEqualTo => cmp(|x, y| x == y),
        B::ArithmeticNotEqualTo => cmp(|x, y| x != y),
        B::ArithmeticLessThan => cmp(|x, y| x < y),
        B::ArithmeticLessThanOrEqualTo => cmp(|x, y| x <= y),
        B::ArithmeticGreaterThan => cmp(|x, y| x > y),
        B::ArithmeticGreaterThanOrEqualTo => cmp(|x, y| x >= y),
        _ => St::U,
    }
}

fn is_builtin(d: Dialect, name: &str) -> bool {
    const COMMON: &[&str] = &[
        ".", ":", "alias", "bg", "break", "cd", "command", "continue", "echo", "eval", "exec",
        "exit", "export", "false", "fg", "getopts", "hash", "jobs", "kill", "printf", "pwd",
        "read", "readonly", "return", "set", "shift", "test", "times", "trap", "true", "type",
        "ulimit", "umask", "unalias", "unset", "wait", "[",
    ];
    const BASH: &[&str] = &[
        "bind",
        "builtin",
        "caller",
        "compgen",
        "complete",
        "compopt",
        "declare",
        "dirs",
        "disown",
        "enable",
        "help",
        "history",
        "let",
        "local",
        "logout",
        "mapfile",
        "popd",
        "pushd",
        "readarray",
        "shopt",
        "source",
        "suspend",
        "typeset",
    ];
    const ZSH: &[&str] = &[
        "autoload",
        "bindkey",
        "builtin",
        "declare",
        "emulate",
        "functions",
        "integer",
        "local",
        "print",
        "setopt",
        "source",
        "typeset",
        "unsetopt",
        "whence",
        "zmodload",
        "zstyle",
        "rehash",
    ];
    COMMON.contains(&name)
        || match d {
            Dialect::Bash => BASH.contains(&name),
            Dialect::Zsh => ZSH.contains(&name),
            Dialect::Sh => name == "local",
        }
}

fn exit_status(arg: Option<&Arg>, current: St) -> St {
    match arg {
        None => current,
        Some(Arg::Known(n)) => St::of(n.trim() == "0"),
        Some(Arg::Unknown(_)) => St::U,
    }
}

fn arg_val(a: &Arg) -> Val {
    match a {
        Arg::Known(s) => Val::Known(s.clone()),
        Arg::Unknown(w) => Val::Unknown(w.clone()),
    }
}

fn assignment_name(a: &ast::Assignment) -> String {
    match &a.name {
        ast::AssignmentName::VariableName(n) => n.clone(),
        ast::AssignmentName::ArrayElementName(n, _) => n.clone(),
    }
}

fn split_assignment(w: &str) -> Option<(&str, &str)> {
    let (n, v) = w.split_once('=')?;
    let n = n.strip_suffix('+').unwrap_or(n);
    is_name(n).then_some((n, v))
}

pub use crate::formats::is_env_name as is_name;

fn simple_line(c: &ast::SimpleCommand) -> usize {
    if let Some(w) = &c.word_or_name
        && let Some(l) = &w.loc
    {
        return l.start.line;
    }
    for item in c.prefix.iter().flat_map(|p| p.0.iter()) {
        if let ast::CommandPrefixOrSuffixItem::AssignmentWord(a, _) = item {
            return a.loc.start.line;
        }
    }
    0
}

fn loc_line(loc: Option<brush_parser::SourceSpan>) -> usize {
    loc.map_or(0, |l| l.start.line)
}

use brush_parser::ast::SourceLocation;

fn parse_error_line(e: &brush_parser::ParseError) -> u32 {
    let text = e.to_string();
    // messages end in "(line N, col M)" or name a token at "N:M"
    let digits: String =
        text.split(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty()).unwrap_or("1").to_owned();
    digits.parse().unwrap_or(1).max(1)
}

fn short(s: &str) -> String {
    let s = s.trim();
    let first = s.lines().next().unwrap_or("");
    if first.chars().count() > 60 || s.lines().count() > 1 {
        format!("{}…", first.chars().take(60).collect::<String>())
    } else {
        first.to_owned()
    }
}

fn unique_entries(path: &str) -> String {
    let mut seen = BTreeSet::new();
    path.split(':').filter(|e| seen.insert(*e)).collect::<Vec<_>>().join(":")
}

fn tilde_after_colons(t: &str, home: &str) -> String {
    t.split(':')
        .enumerate()
        .map(|(i, part)| {
            if i > 0 && (part == "~" || part.starts_with("~/")) {
                format!("{home}{}", &part[1..])
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(":")
}

fn ansi_c(t: &str) -> String {
    let mut out = String::new();
    let mut chars = t.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn arithmetic(expr: &str, st: &State) -> Option<String> {
    let e = expr.trim();
    if let Ok(n) = e.parse::<i64>() {
        return Some(n.to_string());
    }
    let name = e.strip_prefix('$').unwrap_or(e);
    if is_name(name)
        && let Some(Val::Known(v)) = st.get(name)
    {
        return v.trim().parse::<i64>().ok().map(|n| n.to_string());
    }
    None
}

fn assigns_in_arithmetic(text: &str) -> bool {
    text.contains("++")
        || text.contains("--")
        || text
            .replace("==", "")
            .replace("!=", "")
            .replace("<=", "")
            .replace(">=", "")
            .contains('=')
}

fn names_in(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| is_name(w))
        .map(str::to_owned)
        .collect()
}

/// Names a piece of code may assign, read from its text, and whether it may run anything at all.
fn assigned_names(text: &str, st: &State) -> (BTreeSet<String>, bool) {
    let mut names = BTreeSet::new();
    let mut prev = "";
    for tok in
        text.split(|c: char| c.is_whitespace() || ";|&(){}".contains(c)).filter(|t| !t.is_empty())
    {
        if let Some((n, _)) = split_assignment(tok) {
            names.insert(n.to_owned());
        } else if matches!(
            prev,
            "export" | "declare" | "typeset" | "local" | "readonly" | "read" | "unset" | "for"
        ) && is_name(tok)
        {
            names.insert(tok.to_owned());
        }
        if matches!(tok, "eval" | "." | "source" | "exec" | "set" | "cd" | "emulate")
            || st.funcs.contains_key(tok)
        {
            return (names, true);
        }
        prev = tok;
    }
    (names, false)
}

fn user_name(sys: &Sys, uid: u32) -> Option<String> {
    let passwd = sys.read_text(Path::new("/etc/passwd"), "the user's name and login shell")?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 7 && f[2].parse::<u32>().ok() == Some(uid)).then(|| f[0].to_owned())
    })
}

fn user_home(sys: &Sys, user: &str) -> Option<String> {
    let passwd = sys.read_text(Path::new("/etc/passwd"), "the user's name and login shell")?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 7 && f[0] == user).then(|| f[5].to_owned())
    })
}

fn escape_glob(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn unescape_glob(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Shell pattern matching: `*`, `?`, `[…]`/`[!…]`, and `\` escapes.
pub fn glob_match(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    // iterative matcher with one backtrack point for `*`
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, s[si])
                        && matched
                    {
                        pi = next;
                        si += 1;
                        continue;
                    }
                    if class(&p, pi, s[si]).is_none() && s[si] == '[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                '\\' if pi + 1 < p.len() => {
                    if p[pi + 1] == s[si] {
                        pi += 2;
                        si += 1;
                        continue;
                    }
                }
                c => {
                    if c == s[si] {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// A bracket expression at `p[at]`: whether `c` matches, and the index after it.
fn class(p: &[char], at: usize, c: char) -> Option<(bool, usize)> {
    let mut i = at + 1;
    let negate = i < p.len() && (p[i] == '!' || p[i] == '^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    if i >= p.len() {
        return None;
    }
    Some((matched != negate, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_the_shell() {
        assert!(glob_match("*i*", "himBHs"));
        assert!(!glob_match("*i*", "hBc"));
        assert!(glob_match("*.sh", "a.sh"));
        assert!(!glob_match("*.sh", "a.shx"));
        assert!(glob_match("*\\:/a\\:*", ":/b:/a:/c:"));
        assert!(glob_match("[!a]x", "bx"));
        assert!(!glob_match("[!a]x", "ax"));
        assert!(glob_match("go1.2[0-9]*", "go1.22.10"));
    }
}
