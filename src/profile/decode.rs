//! KDL document → [`Profile`], by hand.
//!
//! Each node is decoded with its exact location so that every mistake (an unknown node, a typo in
//! a property, a value Go would reject) is reported where it is, with a fix. Decoding never stops
//! at the first problem: everything is collected, and `when` blocks that do not match the Context
//! are decoded (and checked) too, then discarded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

use super::govalue::{self, GoVersion, ValueError};
use super::source::{FileId, Loc, Problem, Sources};
use super::{
    Delve, DelveRequire, FORMAT_VERSIONS, GoSelector, GoSpec, Goland, Profile, Rejected, Service,
    Session, Setting, Shell, Value, VsCode,
};
use crate::context::{Arch, Context, Os};

const NODES: &[&str] = &[
    "version", "include", "go", "go-env", "proxy", "export", "path", "shells", "session", "delve",
    "vscode", "goland", "service", "when",
];
const GO_CHILDREN: &[&str] = &["keep", "dir", "root", "mirror", "index", "prune", "checksum"];
const GOLAND_CHILDREN: &[&str] = &["config", "dlv"];
const PROXY_CHILDREN: &[&str] = &["url", "sumdb", "private", "noproxy", "nosumdb", "insecure"];
/// `proxy` presets: name, GOPROXY, GOSUMDB.
const PRESETS: &[(&str, &str, &str)] = &[
    ("default", "https://proxy.golang.org,direct", "sum.golang.org"),
    ("china", "https://goproxy.cn,direct", "sum.golang.google.cn"),
    ("direct", "direct", "sum.golang.org"),
    ("offline", "off", "off"),
];
/// Nodes that may appear once per block (a file's top level or a `when` body).
const SINGLETONS: &[&str] =
    &["go", "go-env", "proxy", "export", "shells", "session", "delve", "vscode", "goland"];
const MAX_INCLUDE_DEPTH: usize = 16;

pub(super) fn load(path: &Path, ctx: &Context) -> Result<Profile, Rejected> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            let problem = Problem {
                loc: None,
                code: "goenv::profile::unreadable",
                message: format!("cannot read profile `{}`: {}", path.display(), io_reason(&e)),
                label: String::new(),
                help: Some(if e.kind() == std::io::ErrorKind::NotFound {
                    let default = crate::resource::tilde_path(&ctx.default_profile(), &ctx.home);
                    if path == ctx.default_profile() {
                        format!(
                            "with no profile named, goenv reads `{default}`: `goenv init` writes \
                             a starter there (`goenv init --from-machine`: one that reproduces \
                             this machine), or name one: `goenv check PROFILE`"
                        )
                    } else {
                        format!(
                            "check the path, or create the profile (without a name, goenv reads `{default}`)"
                        )
                    }
                } else {
                    "check the file's permissions".into()
                }),
            };
            return Err(Rejected { sources: Sources::default(), problems: vec![problem] });
        }
    };
    let mut d = Decoder::new(ctx, path);
    let mut acc = Acc::default();
    d.decode_bytes(path, bytes, &mut acc);
    d.finish(path, acc)
}

pub(super) fn load_text(path: &Path, text: String, ctx: &Context) -> Result<Profile, Rejected> {
    let mut d = Decoder::new(ctx, path);
    let mut acc = Acc::default();
    d.decode_text(path, text, &mut acc);
    d.finish(path, acc)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// The profile being assembled: later nodes override earlier ones.
#[derive(Default)]
struct Acc {
    go: Option<GoSpec>,
    go_env: Vec<Setting>,
    proxy_preset: Option<String>,
    proxy: Vec<Setting>,
    export: Vec<Setting>,
    path: Vec<Value>,
    shells: Option<Vec<Shell>>,
    session: Option<Session>,
    delve: Option<Delve>,
    vscode: Option<VsCode>,
    goland: Option<Goland>,
    services: Vec<Service>,
}

/// Replaces settings with the same key, appends new ones.
fn merge_settings(into: &mut Vec<Setting>, new: Vec<Setting>) {
    for s in new {
        match into.iter_mut().find(|o| o.key == s.key) {
            Some(old) => *old = s,
            None => into.push(s),
        }
    }
}

/// `GOMEMLIMIT "auto"`: computed from the service's memory limit.
const AUTO: &str = "auto";

/// `GOMEMLIMIT "auto"`'s default share of the unit's limit, in millionths: 0.9.
pub const DEFAULT_RATIO: u32 = 900_000;

/// What kind of `KEY "value"` block is being read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    GoEnv,
    Export,
    Service,
}

impl Block {
    fn name(self) -> &'static str {
        match self {
            Self::GoEnv => "go-env",
            Self::Export => "export",
            Self::Service => "service",
        }
    }
}

struct Decoder<'c> {
    ctx: &'c Context,
    sources: Sources,
    problems: Vec<Problem>,
    /// Canonical paths of the files being decoded, outermost first, for cycle detection.
    stack: Vec<PathBuf>,
    /// Secret values, scrubbed from every message at the end.
    secrets: Vec<String>,
}

impl<'c> Decoder<'c> {
    fn new(ctx: &'c Context, root: &Path) -> Self {
        let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        Self {
            ctx,
            sources: Sources::default(),
            problems: Vec::new(),
            stack: vec![canonical],
            secrets: Vec::new(),
        }
    }

    fn problem(&mut self, p: Problem) {
        if !self.problems.contains(&p) {
            self.problems.push(p);
        }
    }

    fn err(&mut self, loc: Loc, code: &'static str, message: String, label: &str, help: &str) {
        let p = Problem::new(loc, code, message, label);
        self.problem(if help.is_empty() { p } else { p.help(help) });
    }

    fn value_error(&mut self, loc: Loc, e: ValueError, what_label: &str) {
        let loc = e.range.clone().map_or(loc, |r| loc.narrow(r));
        self.problem(Problem::new(loc, e.code, e.message, what_label).maybe_help(e.help));
    }

    /// Decodes a file's bytes, refusing text that is not UTF-8.
    fn decode_bytes(&mut self, path: &Path, bytes: Vec<u8>, acc: &mut Acc) {
        match String::from_utf8(bytes) {
            Ok(text) => self.decode_text(path, text, acc),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let file = self.sources.add(path, text);
                let loc = Loc { file, offset: at, len: 1 };
                self.err(
                    loc,
                    "goenv::profile::not-utf8",
                    "profile is not valid UTF-8".into(),
                    "invalid byte here",
                    "KDL documents are UTF-8 text: re-save the file as UTF-8",
                );
            }
        }
    }

    fn decode_text(&mut self, path: &Path, text: String, acc: &mut Acc) {
        if let Some(at) = too_deep(&text) {
            let file = self.sources.add(path, text);
            self.err(
                Loc { file, offset: at, len: 1 },
                "goenv::profile::too-deep",
                format!("blocks or comments are nested more than {MAX_NESTING} deep"),
                "one level too many opens here",
                "a profile needs a few levels at most (a `when` inside a node): flatten this",
            );
            return;
        }
        let parsed = KdlDocument::parse_v2(&text);
        let file = self.sources.add(path, text);
        let doc = match parsed {
            Ok(doc) => doc,
            Err(e) => {
                for d in e.diagnostics {
                    self.syntax_problem(file, d);
                }
                return;
            }
        };
        let nodes = doc.nodes();
        match nodes.first() {
            Some(first) if first.name().value() == "version" => self.version(first, file),
            Some(first) => self.err(
                Loc::new(file, first.name().span()),
                "goenv::profile::missing-version",
                "a profile must start with `version 1`".into(),
                "expected `version 1` before this",
                "add `version 1` as the first line",
            ),
            None => self.err(
                Loc { file, offset: 0, len: 0 },
                "goenv::profile::missing-version",
                "the profile is empty".into(),
                "empty",
                "start with `version 1`, then the nodes you want goenv to manage",
            ),
        }
        self.level(nodes, file, acc, true);
    }

    fn syntax_problem(&mut self, file: FileId, d: kdl::KdlDiagnostic) {
        let loc = Loc::new(file, d.span);
        let text = &self.sources.get(file).text;
        let found = text.get(loc.offset..loc.offset + loc.len).unwrap_or("").to_owned();
        // The token that failed, for hints: kdl may point at part of it.
        let word: String = text[loc.offset.min(text.len())..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !"{};=".contains(*c))
            .collect();
        let help = if matches!(found.as_str(), "true" | "false" | "null")
            || matches!(word.as_str(), "true" | "false" | "null")
        {
            let w = if found.is_empty() { word.as_str() } else { found.as_str() };
            Some(format!(
                "this looks like KDL 1.0: KDL 2.0 writes `#{w}` (booleans are `#true` and `#false`)"
            ))
        } else if word.starts_with('r') && word[1..].starts_with(['"', '#']) {
            Some("this looks like a KDL 1.0 raw string: KDL 2.0 writes `#\"…\"#`".into())
        } else if word.chars().next().is_some_and(|c| c.is_ascii_digit())
            && word.matches('.').count() >= 2
        {
            Some(format!("quote versions and other dotted values: \"{word}\""))
        } else {
            d.help.clone()
        };
        let message = d.message.unwrap_or_else(|| "invalid KDL".into());
        self.problem(
            Problem::new(
                loc,
                "goenv::profile::syntax",
                format!("invalid KDL: {}", lower_first(&message)),
                d.label.as_deref().unwrap_or("here"),
            )
            .maybe_help(help),
        );
    }

    fn version(&mut self, node: &KdlNode, file: FileId) {
        self.no_children(node, file);
        self.props(node, file, &[]);
        let args = self.args(node, file, 1, 1, "version 1");
        let Some(e) = args.first() else { return };
        let loc = self.vloc(e, file);
        let supported =
            FORMAT_VERSIONS.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        match e.value() {
            KdlValue::Integer(n) if FORMAT_VERSIONS.contains(n) => {}
            KdlValue::Integer(n) => self.err(
                loc,
                "goenv::profile::unsupported-version",
                format!("profile format version {n} is not supported"),
                "unsupported",
                &format!("this goenv reads profile format versions: {supported}"),
            ),
            KdlValue::String(s) if s.trim() == "1" => self.err(
                loc,
                "goenv::profile::wrong-type",
                "the profile format version is a number".into(),
                "a string",
                "write `version 1` without quotes",
            ),
            _ => self.err(
                loc,
                "goenv::profile::wrong-type",
                "the profile format version must be a whole number".into(),
                "not a version",
                &format!("write `version 1` (supported: {supported})"),
            ),
        }
    }

    /// Decodes one block of nodes: a file's top level or a `when` body.
    /// Includes are merged first, so the block's own nodes win over what they include.
    fn level(&mut self, nodes: &[KdlNode], file: FileId, acc: &mut Acc, top: bool) {
        for node in nodes.iter().filter(|n| n.name().value() == "include") {
            self.include(node, file, acc);
        }
        let mut seen: HashMap<&str, Loc> = HashMap::new();
        let mut units: HashMap<String, Loc> = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            let name = node.name().value();
            let name_loc = Loc::new(file, node.name().span());
            if SINGLETONS.contains(&name) {
                if let Some(first) = seen.get(name) {
                    let (line, _) = self.sources.get(file).line_col(first.offset);
                    self.err(
                        name_loc,
                        "goenv::profile::duplicate-node",
                        format!("`{name}` appears twice in the same block"),
                        "second one",
                        &format!("merge it into the `{name}` at line {line}"),
                    );
                    continue;
                }
                seen.insert(name, name_loc);
            }
            match name {
                "version" if top && i == 0 => {}
                "version" => self.err(
                    name_loc,
                    "goenv::profile::misplaced-version",
                    "`version` must be the first node of the file, and appear once".into(),
                    "misplaced",
                    "keep a single `version 1` on the first line",
                ),
                "include" => {}
                "go" => {
                    if let Some(go) = self.go(node, file) {
                        acc.go = Some(merge_go(acc.go.take(), go));
                    }
                }
                "go-env" => {
                    self.no_args(node, file);
                    self.props(node, file, &[]);
                    let settings = self.settings(node, file, Block::GoEnv);
                    merge_settings(&mut acc.go_env, settings);
                }
                "proxy" => self.proxy(node, file, acc),
                "export" => {
                    self.no_args(node, file);
                    self.props(node, file, &[]);
                    let settings = self.settings(node, file, Block::Export);
                    merge_settings(&mut acc.export, settings);
                }
                "path" => self.path(node, file, acc),
                "shells" => self.shells(node, file, acc),
                "session" => {
                    self.no_args(node, file);
                    self.no_children(node, file);
                    let props = self.props(node, file, &["live"]);
                    let live = props
                        .iter()
                        .find(|(k, _)| *k == "live")
                        .and_then(|(_, e)| self.boolean(e, file, "live"))
                        .unwrap_or(false);
                    acc.session = Some(Session { live, at: name_loc });
                }
                "delve" => self.delve(node, file, acc),
                "vscode" => {
                    self.no_children(node, file);
                    self.props(node, file, &["secret"]);
                    let args =
                        self.args(node, file, 0, 1, "vscode \"~/.config/Code/User/settings.json\"");
                    let settings =
                        args.first().and_then(|e| self.path_value(node, e, file, "vscode"));
                    acc.vscode = Some(VsCode { settings, at: name_loc });
                }
                "goland" => self.goland(node, file, acc),
                "service" => self.service(node, file, acc, &mut units),
                "when" => self.when(node, file, acc),
                other => {
                    let env_like = govalue::is_env_name(other)
                        && other.chars().all(|c| !c.is_ascii_lowercase());
                    let help = match govalue::closest(other, NODES) {
                        _ if env_like && govalue::KNOWN_GO_ENV.contains(&other) => {
                            format!("Go settings go inside a block: `go-env {{ {other} \"…\" }}`")
                        }
                        _ if env_like => {
                            format!("variables go inside a block: `export {{ {other} \"…\" }}`")
                        }
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("the nodes a profile may use are: {}", NODES.join(", ")),
                    };
                    self.err(
                        name_loc,
                        "goenv::profile::unknown-node",
                        format!("unknown node `{other}`"),
                        "unknown",
                        &help,
                    );
                }
            }
        }
    }

    fn include(&mut self, node: &KdlNode, file: FileId, acc: &mut Acc) {
        self.no_children(node, file);
        self.props(node, file, &[]);
        let args = self.args(node, file, 1, 1, "include \"team-base.kdl\"");
        let Some(e) = args.first() else { return };
        let loc = self.vloc(e, file);
        let Some(raw) = self.string(e, file, "include") else { return };
        let expanded = self.ctx.expand_tilde(&raw);
        // Relative to the including file wherever it really is (the stack holds canonical paths).
        let including = self.stack.last().cloned().unwrap_or_default();
        let base = including.parent().unwrap_or(Path::new("."));
        let target = base.join(&expanded);
        let canonical = match std::fs::canonicalize(&target) {
            Ok(c) => c,
            Err(e) => {
                let help = format!(
                    "include paths are relative to the including file: this one resolves to `{}`",
                    target.display()
                );
                self.err(
                    loc,
                    "goenv::profile::include-not-found",
                    format!("cannot read included profile `{raw}`: {}", io_reason(&e)),
                    "not found",
                    &help,
                );
                return;
            }
        };
        if let Some(pos) = self.stack.iter().position(|p| *p == canonical) {
            let chain = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| {
                    p.file_name().map_or_else(
                        || p.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    )
                })
                .collect::<Vec<_>>()
                .join(" → ");
            self.err(
                loc,
                "goenv::profile::include-cycle",
                format!("include cycle: {chain}"),
                "includes a file that includes this one",
                "remove one of the includes: each file may be included once along a chain",
            );
            return;
        }
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            self.err(
                loc,
                "goenv::profile::include-depth",
                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} files"),
                "too deep",
                "flatten the chain of includes",
            );
            return;
        }
        match std::fs::read(&canonical) {
            Ok(bytes) => {
                self.stack.push(canonical.clone());
                self.decode_bytes(&target, bytes, acc);
                self.stack.pop();
            }
            Err(e) => self.err(
                loc,
                "goenv::profile::include-not-found",
                format!("cannot read included profile `{raw}`: {}", io_reason(&e)),
                "unreadable",
                "check the file's permissions",
            ),
        }
    }

    fn when(&mut self, node: &KdlNode, file: FileId, acc: &mut Acc) {
        self.no_args(node, file);
        let props = self.props(node, file, &["os", "arch", "host"]);
        let name_loc = Loc::new(file, node.name().span());
        if props.is_empty() {
            self.err(
                name_loc,
                "goenv::profile::when-without-condition",
                "`when` needs at least one of `os`, `arch` or `host`".into(),
                "no condition",
                "for example `when os=\"macos\" arch=\"arm64\" { … }`",
            );
        }
        let mut matches = true;
        for (key, e) in &props {
            let Some(v) = self.string(e, file, key) else {
                matches = false;
                continue;
            };
            let loc = self.vloc(e, file);
            let (known, here): (&[&str], &str) = match *key {
                "os" => (Os::NAMES, self.ctx.os.name()),
                "arch" => (Arch::NAMES, self.ctx.arch.name()),
                _ => (&[], self.ctx.host.as_str()),
            };
            if !known.is_empty() && !known.contains(&v.as_str()) {
                let alias = match v.as_str() {
                    "darwin" | "mac" | "osx" => Some("macos"),
                    "x86_64" | "x64" | "amd" => Some("amd64"),
                    "aarch64" | "arm" | "apple" => Some("arm64"),
                    _ => govalue::closest(&v, known),
                };
                let help = match alias {
                    Some(a) => format!("goenv spells it \"{a}\""),
                    None => format!("one of: {}", known.join(", ")),
                };
                self.err(
                    loc,
                    "goenv::profile::unknown-platform",
                    format!("unknown {key} \"{v}\""),
                    "unknown",
                    &help,
                );
                matches = false;
            }
            matches &= v == here;
        }
        let Some(children) = node.children() else {
            self.err(
                name_loc,
                "goenv::profile::missing-block",
                "`when` needs a block of nodes to apply".into(),
                "no block",
                "write `when os=\"macos\" { go \"1.23.9\" }`",
            );
            return;
        };
        if matches {
            self.level(children.nodes(), file, acc, false);
        } else {
            // Checked all the same, so a profile is valid on every platform it names.
            self.level(children.nodes(), file, &mut Acc::default(), false);
        }
    }

    fn go(&mut self, node: &KdlNode, file: FileId) -> Option<GoSpec> {
        self.props(node, file, &[]);
        let args = self.args(node, file, 1, 1, "go \"1.22.10\"");
        let e = args.first()?;
        let version_at = self.vloc(e, file);
        let raw = self.string(e, file, "go")?;
        let version = self.go_selector(&raw, version_at, true)?;
        let mut spec = GoSpec {
            version,
            version_at,
            keep: Vec::new(),
            dir: None,
            root: None,
            mirror: None,
            index: None,
            prune: false,
            checksum: None,
        };
        let Some(children) = node.children() else { return Some(spec) };
        let mut seen: HashMap<String, Loc> = HashMap::new();
        for child in children.nodes() {
            let name = child.name().value();
            if !self.known_child(child, file, "go", GO_CHILDREN, &mut seen) {
                continue;
            }
            self.no_children(child, file);
            let secret_ok = matches!(name, "mirror" | "index");
            let props = self.props(child, file, if secret_ok { &["secret"] } else { &[] });
            let secret = self.secret(&props, file);
            match name {
                "keep" => {
                    for e in self.args(child, file, 1, usize::MAX, "keep \"1.21.13\"") {
                        let loc = self.vloc(e, file);
                        if let Some(raw) = self.string(e, file, "keep")
                            && let Some(sel) = self.go_selector(&raw, loc, false)
                        {
                            spec.keep.push((sel, loc));
                        }
                    }
                }
                "dir" => {
                    let args = self.args(child, file, 1, 1, "dir \"~/sdk\"");
                    spec.dir = args.first().and_then(|e| self.path_value(child, e, file, "dir"));
                }
                "root" => {
                    let args = self.args(child, file, 1, 1, "root \"/usr/local/go\"");
                    spec.root = args.first().and_then(|e| self.path_value(child, e, file, "root"));
                    if let Some(root) = &spec.root
                        && !matches!(spec.version, GoSelector::Exact(_))
                    {
                        let help = match spec.version {
                            GoSelector::System => {
                                "`go \"system\"` finds its tree on PATH: remove `root`, or write \
                                 the version the tree's `VERSION` file names, e.g. `go \"1.22.10\"`"
                            }
                            _ => {
                                "a tree holds one toolchain: write the version its `VERSION` file \
                                 names, e.g. `go \"1.22.10\"`"
                            }
                        };
                        self.err(
                            root.at,
                            "goenv::profile::root-needs-version",
                            format!(
                                "`root` names one installed toolchain, so it needs an exact \
                                 version, not \"{}\"",
                                spec.version
                            ),
                            "needs an exact version",
                            help,
                        );
                        spec.root = None;
                    }
                }
                "mirror" | "index" => {
                    let example = if name == "mirror" {
                        "mirror \"https://golang.google.cn/dl/\""
                    } else {
                        "index \"https://go.example.corp/dl/?mode=json&include=all\""
                    };
                    let args = self.args(child, file, 1, 1, example);
                    let Some(e) = args.first() else { continue };
                    let loc = self.vloc(e, file);
                    let Some(raw) = self.string(e, file, name) else { continue };
                    if secret {
                        self.sources.mask(loc);
                        self.secrets.push(raw.clone());
                    }
                    let Some(mut url) = self.url(&raw, loc, name) else { continue };
                    if name == "mirror" && !url.ends_with('/') {
                        url.push('/');
                    }
                    let value = self.value(url, secret, loc);
                    if name == "mirror" {
                        spec.mirror = Some(value);
                    } else {
                        spec.index = Some(value);
                    }
                }
                "prune" => {
                    let args = self.args(child, file, 1, 1, "prune #true");
                    if let Some(b) = args.first().and_then(|e| self.boolean(e, file, "prune")) {
                        spec.prune = b;
                    }
                }
                "checksum" => {
                    let args = self.args(child, file, 1, 1, "checksum \"<sha256 of the archive>\"");
                    let Some(e) = args.first() else { continue };
                    let loc = self.vloc(e, file);
                    let Some(raw) = self.string(e, file, "checksum") else { continue };
                    if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
                        spec.checksum = Some(self.value(raw.to_ascii_lowercase(), false, loc));
                    } else {
                        self.err(
                            loc,
                            "goenv::profile::bad-checksum",
                            "`checksum` must be a sha256: 64 hexadecimal digits".into(),
                            "not a sha256",
                            "copy the sha256 of the archive from go.dev/dl for this platform",
                        );
                    }
                }
                _ => {}
            }
        }
        Some(spec)
    }

    fn go_selector(&mut self, raw: &str, loc: Loc, allow_system: bool) -> Option<GoSelector> {
        if raw == "system" {
            if allow_system {
                return Some(GoSelector::System);
            }
            self.err(
                loc,
                "goenv::profile::bad-go-version",
                "`keep` lists SDK versions to keep installed, not \"system\"".into(),
                "not a version",
                "write a version like \"1.21.13\"",
            );
            return None;
        }
        if let Some(v) = GoVersion::parse(raw) {
            return Some(if v.is_exact() { GoSelector::Exact(v) } else { GoSelector::Line(v) });
        }
        let help = match raw.strip_prefix("go").and_then(GoVersion::parse) {
            Some(v) => format!("write \"{v}\", without the `go` prefix"),
            None if allow_system => {
                "write a version like \"1.22.10\", a minor line like \"1.22\" (the newest 1.22.x), or \"system\"".into()
            }
            None => "write a version like \"1.21.13\" or a minor line like \"1.21\"".into(),
        };
        self.err(
            loc,
            "goenv::profile::bad-go-version",
            format!("\"{raw}\" is not a Go version"),
            "not a Go version",
            &help,
        );
        None
    }

    fn url(&mut self, raw: &str, loc: Loc, what: &str) -> Option<String> {
        let ok = match raw.split_once("://") {
            Some(("https" | "http", rest)) => {
                !rest.is_empty() && !rest.starts_with('/') && !raw.contains(char::is_whitespace)
            }
            Some(("file", rest)) => rest.starts_with('/'),
            _ => false,
        };
        if ok {
            return Some(raw.to_owned());
        }
        let shown = govalue::redact_url_credentials(raw).into_owned();
        let help = if raw.contains("://") {
            "use an https://, http:// or file:/// URL".to_owned()
        } else {
            format!("write the full URL, e.g. \"https://{}\"", shown.trim_start_matches('/'))
        };
        self.err(
            loc,
            "goenv::profile::bad-url",
            format!("`{what}` \"{shown}\" is not a URL goenv can fetch from"),
            "not a URL",
            &help,
        );
        None
    }

    fn proxy(&mut self, node: &KdlNode, file: FileId, acc: &mut Acc) {
        self.props(node, file, &[]);
        let args = self.args(node, file, 0, 1, "proxy \"china\"");
        let mut out: Vec<Setting> = Vec::new();
        let name_loc = Loc::new(file, node.name().span());
        let mut preset = None;
        if let Some(e) = args.first() {
            let loc = self.vloc(e, file);
            if let Some(name) = self.string(e, file, "proxy") {
                match PRESETS.iter().find(|p| p.0 == name) {
                    Some(&(n, goproxy, gosumdb)) => {
                        preset = Some((n, goproxy, gosumdb, loc));
                    }
                    None => {
                        let names: Vec<&str> = PRESETS.iter().map(|p| p.0).collect();
                        let help = match govalue::closest(&name, &names) {
                            Some(s) => format!("did you mean \"{s}\"?"),
                            None => format!("presets: {}", names.join(", ")),
                        };
                        self.err(
                            loc,
                            "goenv::profile::unknown-preset",
                            format!("unknown proxy preset \"{name}\""),
                            "unknown",
                            &help,
                        );
                    }
                }
            }
        }
        let mut seen: HashMap<String, Loc> = HashMap::new();
        let mut given: Vec<&str> = Vec::new();
        for child in node.children().map(KdlDocument::nodes).unwrap_or_default() {
            let name = child.name().value();
            if !self.known_child(child, file, "proxy", PROXY_CHILDREN, &mut seen) {
                continue;
            }
            self.no_children(child, file);
            let props = self.props(child, file, &["secret"]);
            let secret = self.secret(&props, file);
            let (key, max, example) = match name {
                "url" => ("GOPROXY", usize::MAX, "url \"https://goproxy.cn\" \"direct\""),
                "sumdb" => ("GOSUMDB", 1, "sumdb \"sum.golang.org\""),
                "private" => ("GOPRIVATE", usize::MAX, "private \"git.corp.example.com/*\""),
                "noproxy" => ("GONOPROXY", usize::MAX, "noproxy \"git.corp.example.com/*\""),
                "nosumdb" => ("GONOSUMDB", usize::MAX, "nosumdb \"git.corp.example.com/*\""),
                _ => ("GOINSECURE", usize::MAX, "insecure \"git.lab.example.com/*\""),
            };
            given.push(key);
            let mut parts = Vec::new();
            for e in self.args(child, file, 1, max, example) {
                let loc = self.vloc(e, file);
                if let Some(s) = self.string(e, file, name) {
                    if secret {
                        self.sources.mask(loc);
                        self.secrets.push(s.clone());
                    }
                    let inner = self.inner_loc(loc, &s);
                    parts.push((s, inner));
                }
            }
            if parts.is_empty() {
                continue;
            }
            let checked = self.check_joined(&parts, |v| match key {
                "GOPROXY" => govalue::check_goproxy(v),
                "GOSUMDB" => govalue::check_gosumdb(v),
                _ => govalue::check_module_patterns(key, v),
            });
            if let Some(text) = checked {
                let at = Loc::new(file, child.span());
                let value = self.value(text, secret, parts[0].1);
                out.push(Setting { key: key.into(), key_at: at, value });
            }
        }
        if let Some((n, goproxy, gosumdb, loc)) = preset {
            for (key, text) in [("GOPROXY", goproxy), ("GOSUMDB", gosumdb)] {
                if !given.contains(&key) {
                    let value = self.value(text.into(), false, loc);
                    out.push(Setting { key: key.into(), key_at: loc, value });
                }
            }
            acc.proxy_preset = Some(n.into());
        } else if given.is_empty() && args.is_empty() {
            self.err(
                name_loc,
                "goenv::profile::empty-proxy",
                "`proxy` sets nothing".into(),
                "empty",
                "name a preset (`proxy \"default\"`, \"china\", \"direct\", \"offline\") or give `url`, `sumdb` or `private`",
            );
        }
        merge_settings(&mut acc.proxy, out);
    }

    /// Checks list arguments joined by `,` as one value, pointing errors at the argument at fault.
    fn check_joined(
        &mut self,
        parts: &[(String, Loc)],
        check: impl Fn(&str) -> Result<Option<String>, ValueError>,
    ) -> Option<String> {
        let joined = parts.iter().map(|p| p.0.as_str()).collect::<Vec<_>>().join(",");
        match check(&joined) {
            Ok(norm) => Some(norm.unwrap_or(joined)),
            Err(mut e) => {
                let mut start = 0;
                let mut loc = parts[0].1;
                if let Some(r) = e.range.take() {
                    for (text, at) in parts {
                        if r.start <= start + text.len() {
                            loc = if at.len == text.len() {
                                at.narrow(r.start - start..r.end.saturating_sub(start))
                            } else {
                                *at
                            };
                            break;
                        }
                        start += text.len() + 1;
                    }
                }
                self.value_error(loc, e, "rejected");
                None
            }
        }
    }

    fn path(&mut self, node: &KdlNode, file: FileId, acc: &mut Acc) {
        self.no_children(node, file);
        self.props(node, file, &[]);
        for e in self.args(node, file, 1, usize::MAX, "path \"~/tools/bin\"") {
            let Some(v) = self.path_value(node, e, file, "path") else { continue };
            if v.text.contains(':') {
                self.err(
                    v.at,
                    "goenv::profile::bad-path",
                    "a PATH entry cannot contain `:`".into(),
                    "splits PATH",
                    "PATH separates entries with `:`: list each directory as its own argument",
                );
                continue;
            }
            if !acc.path.iter().any(|p| p.text == v.text) {
                acc.path.push(v);
            }
        }
    }

    fn shells(&mut self, node: &KdlNode, file: FileId, acc: &mut Acc) {
        self.no_children(node, file);
        self.props(node, file, &[]);
        let mut shells = Vec::new();
        for e in self.args(node, file, 1, usize::MAX, "shells \"bash\" \"zsh\" \"fish\"") {
            let loc = self.vloc(e, file);
            let Some(s) = self.string(e, file, "shells") else { continue };
            match Shell::parse(&s) {
                Some(sh) if shells.contains(&sh) => self.err(
                    loc,
                    "goenv::profile::duplicate-value",
                    format!("\"{s}\" is listed twice"),
                    "again",
                    "list each shell once",
                ),
                Some(sh) => shells.push(sh),
                None => {
                    let help = if s == "sh" || s == "dash" {
                        "`~/.profile` (sh) is wired together with bash: list \"bash\"".to_owned()
                    } else {
                        match govalue::closest(&s, Shell::NAMES) {
                            Some(c) => format!("did you mean \"{c}\"?"),
                            None => format!("goenv wires up: {}", Shell::NAMES.join(", ")),
                        }
                    };
                    self.err(
                        loc,
                        "goenv::profile::unknown-shell",
                        format!("unknown shell \"{s}\""),
                        "unknown",
                        &help,
                    );
                }
            }
        }
        acc.shells = Some(shells);
    }

    fn delve(&mut self, node: &KdlNode, file: FileId, acc: &mut Acc) {
        self.no_children(node, file);
        let at = Loc::new(file, node.name().span());
        let props = self.props(node, file, &["require", "install"]);
        let args = self.args(node, file, 0, 1, "delve \"~/go/bin/dlv\"");
        let path = args.first().and_then(|e| self.path_value(node, e, file, "delve"));
        let mut require = DelveRequire::default();
        let mut install = None;
        for (key, e) in props {
            let loc = self.vloc(e, file);
            let Some(s) = self.string(e, file, key) else { continue };
            if key == "require" {
                require = match s.as_str() {
                    "compatible" => DelveRequire::Compatible,
                    "present" => DelveRequire::Present,
                    "off" => DelveRequire::Off,
                    _ => {
                        let help = match govalue::closest(&s, DelveRequire::NAMES) {
                            Some(c) => format!("did you mean \"{c}\"?"),
                            None => format!("one of: {}", DelveRequire::NAMES.join(", ")),
                        };
                        self.err(
                            loc,
                            "goenv::profile::bad-delve-require",
                            format!("unknown `require` value \"{s}\""),
                            "unknown",
                            &help,
                        );
                        continue;
                    }
                };
            } else if s == "latest" || is_module_version(&s) {
                install = Some(self.value(s, false, loc));
            } else {
                let help = if is_module_version(&format!("v{s}")) {
                    format!("module versions start with `v`: install=\"v{s}\"")
                } else {
                    "write install=\"v1.27.1\" or install=\"latest\"".into()
                };
                self.err(
                    loc,
                    "goenv::profile::bad-delve-install",
                    format!("\"{s}\" is not a Delve version `go install` accepts"),
                    "not a version",
                    &help,
                );
            }
        }
        acc.delve = Some(match acc.delve.take() {
            // A later `delve` refines an earlier one: unstated fields are kept.
            Some(old) => Delve {
                path: path.or(old.path),
                require: if node.entry("require").is_some() { require } else { old.require },
                install: install.or(old.install),
                at,
            },
            None => Delve { path, require, install, at },
        });
    }

    /// `goland { config "~/.config/JetBrains/GoLand2025.1" ; dlv "~/go/bin/dlv" }`, every
    /// child optional.
    fn goland(&mut self, node: &KdlNode, file: FileId, acc: &mut Acc) {
        self.props(node, file, &[]);
        self.args(node, file, 0, 0, "goland { dlv \"~/go/bin/dlv\" }");
        let mut goland =
            Goland { configs: Vec::new(), dlv: None, at: Loc::new(file, node.name().span()) };
        if let Some(children) = node.children() {
            let mut seen: HashMap<String, Loc> = HashMap::new();
            for child in children.nodes() {
                if !self.known_child(child, file, "goland", GOLAND_CHILDREN, &mut seen) {
                    continue;
                }
                self.no_children(child, file);
                self.props(child, file, &[]);
                match child.name().value() {
                    "config" => {
                        let example = "config \"~/.config/JetBrains/GoLand2025.1\"";
                        for e in self.args(child, file, 1, usize::MAX, example) {
                            if let Some(v) = self.path_value(child, e, file, "config") {
                                if goland.configs.iter().any(|c: &Value| c.text == v.text) {
                                    self.err(
                                        v.at,
                                        "goenv::profile::duplicate-value",
                                        format!("\"{}\" is listed twice", v.text),
                                        "again",
                                        "name each configuration directory once",
                                    );
                                    continue;
                                }
                                goland.configs.push(v);
                            }
                        }
                    }
                    _ => {
                        let args = self.args(child, file, 1, 1, "dlv \"~/go/bin/dlv\"");
                        goland.dlv =
                            args.first().and_then(|e| self.path_value(child, e, file, "dlv"));
                    }
                }
            }
        }
        acc.goland = Some(goland);
    }

    fn service(
        &mut self,
        node: &KdlNode,
        file: FileId,
        acc: &mut Acc,
        units: &mut HashMap<String, Loc>,
    ) {
        let props = self.props(node, file, &["restart"]);
        let restart =
            props.first().and_then(|(_, e)| self.boolean(e, file, "restart")).unwrap_or(false);
        let args = self.args(node, file, 1, 1, "service \"api.service\" { GOMEMLIMIT \"400MiB\" }");
        let Some(e) = args.first() else { return };
        let loc = self.vloc(e, file);
        let Some(unit) = self.string(e, file, "service") else { return };
        let valid_chars = !unit.is_empty()
            && unit.chars().all(|c| c.is_ascii_alphanumeric() || ":_.-@\\".contains(c));
        if !valid_chars || !unit.ends_with(".service") || unit == ".service" {
            let help = if valid_chars && !unit.contains('.') {
                format!("did you mean \"{unit}.service\"?")
            } else if valid_chars {
                "`Environment=` drop-ins apply to `.service` units: name the service that runs the program".into()
            } else {
                "a unit name has letters, digits and `:_.-@\\`, and ends in `.service`".into()
            };
            self.err(
                loc,
                "goenv::profile::bad-unit",
                format!("\"{unit}\" is not a systemd service unit name"),
                "not a service",
                &help,
            );
            return;
        }
        if let Some(first) = units.get(&unit) {
            let (line, _) = self.sources.get(file).line_col(first.offset);
            self.err(
                loc,
                "goenv::profile::duplicate-node",
                format!("service \"{unit}\" appears twice in the same block"),
                "second one",
                &format!("merge it into the one at line {line}"),
            );
            return;
        }
        units.insert(unit.clone(), loc);
        let env = self.settings(node, file, Block::Service);
        let memlimit = self.memlimit_ratio(node, file, &env);
        match acc.services.iter_mut().find(|s| s.unit == unit) {
            Some(old) => {
                if env.iter().any(|s| s.key == "GOMEMLIMIT") {
                    old.memlimit_ratio = memlimit;
                }
                merge_settings(&mut old.env, env);
                old.restart = restart || (node.entry("restart").is_none() && old.restart);
            }
            None => {
                acc.services.push(Service { unit, at: loc, restart, env, memlimit_ratio: memlimit })
            }
        }
    }

    /// The `ratio=` of a service's `GOMEMLIMIT "auto"`, in millionths (0.9 → 900000): a number
    /// above 0 and at most 1, on that line only.
    fn memlimit_ratio(&mut self, node: &KdlNode, file: FileId, env: &[Setting]) -> u32 {
        let auto = env.iter().any(|s| s.key == "GOMEMLIMIT" && s.value.text == AUTO);
        let mut ratio = DEFAULT_RATIO;
        for child in node.children().map(|c| c.nodes()).unwrap_or_default() {
            let Some(e) = child.entry("ratio") else { continue };
            let loc = self.vloc(e, file);
            let key = child.name().value();
            if key != "GOMEMLIMIT" || !auto {
                self.err(
                    loc,
                    "goenv::profile::misplaced-ratio",
                    format!("`ratio=` goes with `GOMEMLIMIT \"auto\"`, not `{key}` \"…\""),
                    "no effect here",
                    "write `GOMEMLIMIT \"auto\" ratio=0.9`, or remove `ratio=`",
                );
                continue;
            }
            let value = match e.value() {
                KdlValue::Float(f) => Some(*f),
                KdlValue::Integer(i) => Some(*i as f64),
                _ => None,
            };
            match value.filter(|v| *v > 0.0 && *v <= 1.0) {
                Some(v) if (v * 1e6).round() >= 1.0 => ratio = (v * 1e6).round() as u32,
                _ => self.err(
                    loc,
                    "goenv::profile::bad-ratio",
                    "`ratio=` is the share of the unit's memory limit GOMEMLIMIT gets: a number \
                     above 0 and at most 1"
                        .into(),
                    "not a ratio",
                    "write a number like `ratio=0.9` (the default: 10% of headroom for memory \
                     the Go runtime does not manage)",
                ),
            }
        }
        ratio
    }

    /// Reads `KEY "value"` children.
    fn settings(&mut self, node: &KdlNode, file: FileId, block: Block) -> Vec<Setting> {
        let mut out: Vec<Setting> = Vec::new();
        let Some(children) = node.children() else {
            if block != Block::Service {
                self.err(
                    Loc::new(file, node.name().span()),
                    "goenv::profile::missing-block",
                    format!("`{}` needs a block of `KEY \"value\"` lines", block.name()),
                    "no block",
                    &format!("write `{} {{ GOPATH \"~/go\" }}`", block.name()),
                );
            }
            return out;
        };
        for child in children.nodes() {
            let key = child.name().value().to_owned();
            let key_at = Loc::new(file, child.name().span());
            self.no_children(child, file);
            // `ratio=` goes with `GOMEMLIMIT "auto"` in a service; `service` checks it.
            let allowed: &[&str] =
                if block == Block::Service { &["secret", "ratio"] } else { &["secret"] };
            let props = self.props(child, file, allowed);
            let secret = self.secret(&props, file);
            let args = self.args(child, file, 1, 1, &format!("{key} \"value\""));
            if let Some(first) = out.iter().find(|s| s.key == key) {
                let (line, _) = self.sources.get(file).line_col(first.key_at.offset);
                self.err(
                    key_at,
                    "goenv::profile::duplicate-key",
                    format!("`{key}` is set twice in `{}`", block.name()),
                    "second one",
                    &format!("keep one: the other is at line {line}"),
                );
                continue;
            }
            if !self.setting_key(&key, key_at, block) {
                continue;
            }
            let Some(e) = args.first() else { continue };
            let loc = self.vloc(e, file);
            let Some(raw) = self.string(e, file, &key) else { continue };
            if secret {
                self.sources.mask(loc);
                self.secrets.push(raw.clone());
            }
            let home = self.ctx.home.to_string_lossy();
            let expanded = match block {
                Block::GoEnv => govalue::expand_tilde(&key, &raw, &home),
                _ if govalue::is_go_path_variable(&key) => govalue::expand_tilde(&key, &raw, &home),
                _ => raw.clone(),
            };
            let inner = self.inner_loc(loc, &raw);
            if block != Block::GoEnv
                && !govalue::is_go_path_variable(&key)
                && govalue::is_tilde_path(&raw)
            {
                let (reader, literal) = match block {
                    Block::Service => {
                        ("systemd does not expand it in `Environment=`", "the service")
                    }
                    _ => ("no shell expands it inside a value", "programs"),
                };
                self.err(
                    inner,
                    "goenv::value::unexpanded-tilde",
                    format!(
                        "the value of `{key}` starts like a path in the home directory (\"~\"), \
                         which goenv writes as it is: {reader}, so {literal} would get a literal \
                         \"~\""
                    ),
                    "not expanded",
                    "write the full path: goenv expands \"~\" only in Go's path variables \
                     (GOPATH, GOBIN, GOMODCACHE, GOCACHE, GOROOT, …), which it knows are paths",
                );
                continue;
            }
            if expanded.contains('\0') {
                self.err(
                    inner,
                    "goenv::profile::nul",
                    format!("the value of `{key}` contains a NUL character"),
                    "NUL",
                    "environment variables cannot hold NUL: remove it",
                );
                continue;
            }
            let checked = match block {
                Block::GoEnv => govalue::check_go_env_value(&key, &expanded),
                // Computed from the unit's memory limit when planning.
                Block::Service if key == "GOMEMLIMIT" && expanded == AUTO => Ok(None),
                Block::Export if key == "GOMEMLIMIT" && expanded == AUTO => {
                    self.err(
                        inner,
                        "goenv::value::gomemlimit",
                        "`GOMEMLIMIT \"auto\"` needs a unit's memory limit, and `export` has none"
                            .into(),
                        "no unit here",
                        "move it into a `service \"NAME.service\"` block (goenv then computes it \
                         from the unit's MemoryHigh=/MemoryMax=), or write a size like \"512MiB\"",
                    );
                    continue;
                }
                Block::Export | Block::Service => govalue::check_runtime_value(&key, &expanded),
            };
            let text = match checked {
                Ok(norm) => norm.unwrap_or(expanded),
                Err(mut e) => {
                    // A range into the expanded value is only meaningful if nothing was expanded.
                    if expanded != raw || inner.len != raw.len() {
                        e.range = None;
                    }
                    self.value_error(inner, e, "rejected");
                    continue;
                }
            };
            let value = self.value(text, secret, inner);
            out.push(Setting { key, key_at, value });
        }
        out
    }

    fn setting_key(&mut self, key: &str, at: Loc, block: Block) -> bool {
        if block == Block::GoEnv {
            if let Err(e) = govalue::check_go_env_key(key, None) {
                self.value_error(at, e, "not a Go env file key");
                return false;
            }
            return true;
        }
        if !govalue::is_env_name(key) {
            self.err(
                at,
                "goenv::profile::bad-env-name",
                format!("`{key}` is not a valid environment variable name"),
                "invalid name",
                "names have letters, digits and `_`, and do not start with a digit",
            );
            return false;
        }
        if block == Block::Export && key == "PATH" {
            self.err(
                at,
                "goenv::profile::path-in-export",
                "PATH is managed by the `path` node, not `export`".into(),
                "use `path`",
                "write `path \"~/tools/bin\"`: goenv puts the SDK, GOBIN and these entries first, exactly once",
            );
            return false;
        }
        true
    }

    /// A path argument: `~` expanded, absolute, no `$` or newline.
    fn path_value(
        &mut self,
        _node: &KdlNode,
        e: &KdlEntry,
        file: FileId,
        what: &str,
    ) -> Option<Value> {
        let loc = self.vloc(e, file);
        let raw = self.string(e, file, what)?;
        let expanded = self.ctx.expand_tilde(&raw);
        let problem = if raw.contains('$') {
            Some((
                "goenv does not expand `$VARIABLES`",
                "write `~/…` for the home directory, or an absolute path",
            ))
        } else if raw.contains(['\n', '\r', '\0']) {
            Some(("a path cannot contain a newline or NUL", "remove it"))
        } else if raw.starts_with('~') && !raw.starts_with("~/") && raw != "~" {
            Some(("only `~` and `~/…` are expanded, not `~user`", "write the absolute path"))
        } else if !expanded.starts_with('/') {
            Some(("paths must be absolute or start with `~/`", "write `~/…` or an absolute path"))
        } else {
            None
        };
        if let Some((message, help)) = problem {
            self.err(
                loc,
                "goenv::profile::bad-path",
                format!("`{what}` \"{raw}\": {message}"),
                "here",
                help,
            );
            return None;
        }
        Some(self.value(expanded, false, loc))
    }

    fn value(&mut self, text: String, secret: bool, at: Loc) -> Value {
        if secret || govalue::redact_url_credentials(&text) != text {
            self.sources.mask(at);
        }
        if secret {
            self.secrets.push(text.clone());
        }
        Value { text, secret, at }
    }

    /// The location of an entry's value: for `key=value`, only the part after `=`.
    fn vloc(&self, e: &KdlEntry, file: FileId) -> Loc {
        let loc = Loc::new(file, e.span());
        if e.name().is_none() {
            return loc;
        }
        let text = &self.sources.get(file).text;
        let raw = text.get(loc.offset..loc.offset + loc.len).unwrap_or("");
        match raw.find('=') {
            Some(i) => Loc { file, offset: loc.offset + i + 1, len: raw[i + 1..].trim_end().len() },
            None => loc,
        }
    }

    /// The location of the characters of `value` inside a quoted or raw string entry, when they
    /// appear there literally; otherwise the whole entry.
    fn inner_loc(&self, loc: Loc, value: &str) -> Loc {
        let text = &self.sources.get(loc.file).text;
        let raw = text.get(loc.offset..loc.offset + loc.len).unwrap_or("");
        match raw.find(value) {
            Some(i) if !value.is_empty() => {
                Loc { file: loc.file, offset: loc.offset + i, len: value.len() }
            }
            _ => loc,
        }
    }

    fn secret(&mut self, props: &[(&str, &KdlEntry)], file: FileId) -> bool {
        props
            .iter()
            .find(|(k, _)| *k == "secret")
            .and_then(|(_, e)| self.boolean(e, file, "secret"))
            .unwrap_or(false)
    }

    /// Checks a child node name against the known ones and reports repeats.
    fn known_child(
        &mut self,
        child: &KdlNode,
        file: FileId,
        parent: &str,
        known: &[&str],
        seen: &mut HashMap<String, Loc>,
    ) -> bool {
        let name = child.name().value();
        let loc = Loc::new(file, child.name().span());
        if !known.contains(&name) {
            let help = match govalue::closest(name, known) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("`{parent}` takes: {}", known.join(", ")),
            };
            self.err(
                loc,
                "goenv::profile::unknown-child",
                format!("unknown `{parent}` setting `{name}`"),
                "unknown",
                &help,
            );
            return false;
        }
        if let Some(first) = seen.get(name) {
            let (line, _) = self.sources.get(file).line_col(first.offset);
            self.err(
                loc,
                "goenv::profile::duplicate-key",
                format!("`{name}` is given twice in `{parent}`"),
                "second one",
                &format!("keep one: the other is at line {line}"),
            );
            return false;
        }
        seen.insert(name.to_owned(), loc);
        true
    }

    /// The node's properties, each checked against `allowed`.
    fn props<'n>(
        &mut self,
        node: &'n KdlNode,
        file: FileId,
        allowed: &[&str],
    ) -> Vec<(&'n str, &'n KdlEntry)> {
        let mut out: Vec<(&str, &KdlEntry)> = Vec::new();
        for e in node.entries() {
            let Some(name) = e.name() else { continue };
            let key = name.value();
            let loc = Loc::new(file, name.span());
            if !allowed.contains(&key) {
                let mut candidates: Vec<&str> = allowed.to_vec();
                candidates.push("secret");
                let help = match govalue::closest(key, &candidates) {
                    Some(s) if allowed.contains(&s) => format!("did you mean `{s}`?"),
                    Some(_) => format!(
                        "`secret=#true` belongs on a value line, not on `{}`",
                        node.name().value()
                    ),
                    None if allowed.is_empty() => {
                        format!("`{}` takes no properties", node.name().value())
                    }
                    None => format!("`{}` takes: {}", node.name().value(), allowed.join(", ")),
                };
                self.err(
                    loc,
                    "goenv::profile::unknown-property",
                    format!("unknown property `{key}` on `{}`", node.name().value()),
                    "unknown",
                    &help,
                );
                continue;
            }
            if out.iter().any(|(k, _)| *k == key) {
                self.err(
                    loc,
                    "goenv::profile::duplicate-property",
                    format!("property `{key}` is given twice"),
                    "again",
                    "keep one",
                );
                continue;
            }
            out.push((key, e));
        }
        out
    }

    /// The node's positional arguments, reporting too few or too many.
    fn args<'n>(
        &mut self,
        node: &'n KdlNode,
        file: FileId,
        min: usize,
        max: usize,
        example: &str,
    ) -> Vec<&'n KdlEntry> {
        let args: Vec<&KdlEntry> = node.entries().iter().filter(|e| e.name().is_none()).collect();
        let name = node.name().value();
        if args.len() < min {
            self.err(
                Loc::new(file, node.span()),
                "goenv::profile::missing-argument",
                format!(
                    "`{name}` needs {}",
                    if min == 1 { "a value".into() } else { format!("{min} values") }
                ),
                "incomplete",
                &format!("for example: `{example}`"),
            );
        }
        if args.len() > max {
            let extra = args[max];
            self.err(
                Loc::new(file, extra.span()),
                "goenv::profile::extra-argument",
                format!(
                    "`{name}` takes {}",
                    match max {
                        0 => "no values".to_owned(),
                        1 => "one value".to_owned(),
                        n => format!("at most {n} values"),
                    }
                ),
                "extra",
                &format!("for example: `{example}`"),
            );
        }
        args.into_iter().take(max).collect()
    }

    fn no_args(&mut self, node: &KdlNode, file: FileId) {
        self.args(node, file, 0, 0, &format!("{} {{ … }}", node.name().value()));
    }

    fn no_children(&mut self, node: &KdlNode, file: FileId) {
        if let Some(children) = node.children() {
            let name = node.name().value();
            // The children's span starts inside the braces: point at the opening one.
            let inner = children.span().offset();
            let text = &self.sources.get(file).text;
            let brace = text[..inner.min(text.len())].rfind('{').unwrap_or(inner);
            self.err(
                Loc { file, offset: brace, len: 1 },
                "goenv::profile::unexpected-block",
                format!("`{name}` takes no block"),
                "unexpected",
                &format!("give `{name}` its values on the same line"),
            );
        }
    }

    fn string(&mut self, e: &KdlEntry, file: FileId, what: &str) -> Option<String> {
        if let KdlValue::String(s) = e.value() {
            // Masked as soon as it is read, so no snippet of any later problem shows it.
            if govalue::redact_url_credentials(s) != s.as_str() {
                let loc = self.vloc(e, file);
                self.sources.mask(loc);
            }
            return Some(s.clone());
        }
        let loc = self.vloc(e, file);
        let raw = {
            let text = &self.sources.get(file).text;
            let r = text.get(loc.offset..loc.offset + loc.len).unwrap_or("");
            r.rsplit_once('=').map_or(r, |(_, v)| v).trim().to_owned()
        };
        let help = match e.value() {
            KdlValue::Integer(_) | KdlValue::Float(_) => format!("quote it: \"{raw}\""),
            KdlValue::Bool(b) => format!("quote it if you mean the text: \"{b}\""),
            _ => "write a quoted string".to_owned(),
        };
        self.err(
            loc,
            "goenv::profile::wrong-type",
            format!("`{what}` takes a string, not {}", kind(e.value())),
            "not a string",
            &help,
        );
        None
    }

    fn boolean(&mut self, e: &KdlEntry, file: FileId, what: &str) -> Option<bool> {
        if let KdlValue::Bool(b) = e.value() {
            return Some(*b);
        }
        let loc = self.vloc(e, file);
        let help = match e.value().as_string() {
            Some("true" | "yes" | "on") => {
                "KDL 2.0 writes booleans as `#true` and `#false`: write #true"
            }
            Some("false" | "no" | "off") => {
                "KDL 2.0 writes booleans as `#true` and `#false`: write #false"
            }
            _ => "write #true or #false",
        };
        self.err(
            loc,
            "goenv::profile::wrong-type",
            format!("`{what}` takes #true or #false, not {}", kind(e.value())),
            "not a boolean",
            help,
        );
        None
    }

    /// Cross-node rules, then the assembled profile.
    fn finish(mut self, path: &Path, acc: Acc) -> Result<Profile, Rejected> {
        self.cross_checks(&acc);
        let mut secrets = std::mem::take(&mut self.secrets);
        secrets.extend(self.sources.text_secrets().cloned());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        for s in &secrets {
            self.sources.mask_everywhere(s);
        }
        for p in &mut self.problems {
            p.message = super::secret::redact(&p.message, &secrets);
            p.label = super::secret::redact(&p.label, &secrets);
            if let Some(h) = &mut p.help {
                *h = super::secret::redact(h, &secrets);
            }
        }
        if !self.problems.is_empty() {
            let mut problems = self.problems;
            problems.sort_by_key(|p| p.loc);
            return Err(Rejected { sources: self.sources, problems });
        }
        Ok(Profile {
            path: path.to_path_buf(),
            sources: self.sources,
            go: acc.go,
            go_env: acc.go_env,
            proxy_preset: acc.proxy_preset,
            proxy: acc.proxy,
            export: acc.export,
            path_entries: acc.path,
            shells: acc.shells,
            session: acc.session,
            delve: acc.delve,
            vscode: acc.vscode,
            goland: acc.goland,
            services: acc.services,
        })
    }

    fn cross_checks(&mut self, acc: &Acc) {
        let sdk = acc.go.as_ref().and_then(|g| match g.version {
            GoSelector::Exact(v) | GoSelector::Line(v) => Some(v),
            GoSelector::System => None,
        });
        for s in &acc.go_env {
            if let Some(v) = sdk
                && let Err(e) = govalue::check_go_env_key(&s.key, Some(v))
            {
                self.value_error(s.key_at, e, "needs a newer Go");
            }
            if acc.proxy.iter().any(|p| p.key == s.key) {
                self.err(
                    s.key_at,
                    "goenv::profile::conflicting-value",
                    format!("`{}` is set both here and by `proxy`", s.key),
                    "also set by `proxy`",
                    "set it in one place: remove it from `go-env`, or from `proxy`",
                );
            }
        }
        for e in &acc.export {
            let Some(file_value) = acc.go_env.iter().chain(&acc.proxy).find(|s| s.key == e.key)
            else {
                continue;
            };
            if file_value.value.text != e.value.text {
                let shown = |v: &Value| {
                    if v.secret {
                        "<redacted>".to_owned()
                    } else {
                        govalue::redact_url_credentials(&v.text).into_owned()
                    }
                };
                let (line, _) =
                    self.sources.get(file_value.key_at.file).line_col(file_value.key_at.offset);
                self.err(
                    e.value.at,
                    "goenv::profile::conflicting-value",
                    format!(
                        "`{}` is exported as \"{}\" but the Go env file gets \"{}\" (line {line})",
                        e.key,
                        shown(&e.value),
                        shown(&file_value.value)
                    ),
                    "the exported value would silently win",
                    "a non-empty environment variable overrides the Go env file: keep one value, in one place",
                );
            }
        }
        if let Some(go) = &acc.go {
            self.check_gopath(go, acc);
            if let (Some(sum), Some(root)) = (&go.checksum, &go.root) {
                self.err(
                    sum.at,
                    "goenv::profile::checksum-with-root",
                    format!(
                        "`checksum` pins an archive to download, but `root \"{}\"` is never \
                         downloaded",
                        root.text
                    ),
                    "nothing to verify",
                    "remove `checksum`: goenv verifies an adopted tree by its `VERSION`, `bin/go` \
                     and `pkg/tool`",
                );
            }
            if let Some(sum) = &go.checksum
                && !matches!(go.version, GoSelector::Exact(_))
            {
                self.err(
                    sum.at,
                    "goenv::profile::checksum-needs-version",
                    format!("a pinned `checksum` needs an exact version, not \"{}\"", go.version),
                    "pins nothing",
                    "write an exact version such as `go \"1.22.10\"`, or remove `checksum`",
                );
            }
        }
        if acc.session.is_some() {
            let macos = self.ctx.os == crate::context::Os::Macos;
            for e in &acc.export {
                let t = &e.value.text;
                // launchd (`launchctl setenv`, single-quoted in the LaunchAgent) keeps `$` and
                // quotes; `launchctl getenv` answers one line and prints nothing for an empty
                // value. environment.d expands `$` and cannot hold an empty value.
                let why = match (macos, t) {
                    (true, t) if t.is_empty() => {
                        Some("`launchctl getenv` cannot tell an empty value from an unset one")
                    }
                    (true, t) if t.contains(['\n', '\r']) => {
                        Some("launchd values cannot span lines")
                    }
                    (false, t) if t.is_empty() => Some("environment.d cannot set an empty value"),
                    (false, t) if t.contains('$') => {
                        Some("environment.d expands `$` in every value, even inside quotes")
                    }
                    (false, t) if t.contains(['\n', '\r']) => {
                        Some("environment.d values cannot span lines")
                    }
                    _ => None,
                };
                if let Some(why) = why {
                    self.err(
                        e.value.at,
                        "goenv::profile::session-unrepresentable",
                        format!(
                            "the value of `{}` cannot be written to the desktop session: {why}",
                            e.key
                        ),
                        "not representable",
                        "change the value, or remove `session` so only shells export it",
                    );
                }
            }
        }
    }

    fn check_gopath(&mut self, go: &GoSpec, acc: &Acc) {
        let Some(gopath) = acc.go_env.iter().find(|s| s.key == "GOPATH") else { return };
        let dir = go.dir(self.ctx);
        let mut roots = vec![dir.join("current")];
        if let GoSelector::Exact(v) = go.version {
            roots.push(go.sdk_path(self.ctx, &v.to_string(), true));
        }
        for sel in std::iter::once(&go.version).chain(go.keep.iter().map(|k| &k.0)) {
            if let GoSelector::Exact(v) = sel {
                roots.push(dir.join(format!("go{v}")));
            }
        }
        for entry in gopath.value.text.split(':') {
            let p = Path::new(entry.trim_end_matches('/'));
            if roots.iter().any(|r| r == p) {
                self.err(
                    gopath.value.at,
                    "goenv::profile::gopath-is-goroot",
                    format!("GOPATH entry `{entry}` is a Go SDK root (GOROOT)"),
                    "same as GOROOT",
                    "Go warns and misbehaves when GOPATH and GOROOT are the same: use \"~/go\"",
                );
            }
        }
    }
}

fn merge_go(old: Option<GoSpec>, new: GoSpec) -> GoSpec {
    let Some(old) = old else { return new };
    // A checksum pins one archive: it cannot survive a change of version.
    let checksum = new.checksum.or(if old.version == new.version { old.checksum } else { None });
    // So does a root: it holds one toolchain.
    let root = new.root.or(if old.version == new.version { old.root } else { None });
    GoSpec {
        keep: if new.keep.is_empty() { old.keep } else { new.keep },
        dir: new.dir.or(old.dir),
        mirror: new.mirror.or(old.mirror),
        index: new.index.or(old.index),
        prune: new.prune || old.prune,
        checksum,
        root,
        ..new
    }
}

/// `vX.Y.Z` with optional pre-release, as module versions are written.
fn is_module_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else { return false };
    let core = rest.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn kind(v: &KdlValue) -> &'static str {
    match v {
        KdlValue::String(_) => "a string",
        KdlValue::Integer(_) => "a number",
        KdlValue::Float(_) => "a number",
        KdlValue::Bool(_) => "a boolean",
        KdlValue::Null => "#null",
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// How deep `{ … }` blocks and `/* … */` comments may nest. KDL's parser recurses per level
/// (thousands of levels overflow the stack); no real profile needs more than four.
const MAX_NESTING: usize = 32;

/// The byte offset of the first `{` or `/*` that opens level `MAX_NESTING + 1`, skipping
/// strings (quoted, multi-line, raw with any number of `#`) and comments as KDL 2 does. One pass,
/// no recursion: it runs before the parser so that the parser never sees such a text.
fn too_deep(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let (mut i, mut depth, mut comments) = (0, 0usize, 0usize);
    // Skips a string whose opening quote(s) start at `i`, with `hashes` `#` before them.
    let skip_string = |mut i: usize, hashes: usize| -> usize {
        let multi = b[i..].starts_with(b"\"\"\"");
        i += if multi { 3 } else { 1 };
        while i < b.len() {
            if hashes == 0 && b[i] == b'\\' {
                i += 2;
                continue;
            }
            let close: &[u8] = if multi { b"\"\"\"" } else { b"\"" };
            if b[i..].starts_with(close)
                && b[i + close.len()..].iter().take_while(|&&c| c == b'#').count() >= hashes
            {
                return i + close.len() + hashes;
            }
            i += 1;
        }
        b.len()
    };
    while i < b.len() {
        if comments > 0 {
            if b[i..].starts_with(b"/*") {
                comments += 1;
                if depth + comments > MAX_NESTING {
                    return Some(i);
                }
                i += 2;
            } else if b[i..].starts_with(b"*/") {
                comments -= 1;
                i += 2;
            } else {
                i += 1;
            }
            continue;
        }
        match b[i] {
            b'"' => i = skip_string(i, 0),
            b'#' => {
                let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + hashes) == Some(&b'"') {
                    i = skip_string(i + hashes, hashes);
                } else {
                    i += hashes;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                comments = 1;
                if depth + comments > MAX_NESTING {
                    return Some(i);
                }
                i += 2;
            }
            b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
                i += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}
