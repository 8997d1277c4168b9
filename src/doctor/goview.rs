//! What Go looks like from one context: which `go` it runs, the GOROOT that `go` uses, and the
//! effective value of every Go setting with the layer that won and what it shadows.
//!
//! The rules are Go's own (`cmd/go/internal/cfg`): a non-empty variable of the process
//! environment wins, then the Go env file (`$GOENV`, else `$XDG_CONFIG_HOME/go/env`), then
//! `$GOROOT/go.env`, then the built-in default. GOROOT is `$GOROOT`, else a `GOROOT=` line of the
//! Go env file, else found from the executable (`exe/../..` holding `pkg/tool`, before and after
//! resolving links). Nothing here runs `go`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::context::{Context, Os};

use super::sys::{Sys, clean};
use super::value::{Env, Source, Val, Why};

/// The Go settings doctor reports, in this order.
pub const KEYS: &[&str] = &[
    "GOROOT",
    "GOPROXY",
    "GOSUMDB",
    "GOPRIVATE",
    "GONOPROXY",
    "GONOSUMDB",
    "GOFLAGS",
    "GOTOOLCHAIN",
    "GOBIN",
    "GOPATH",
    "GOMODCACHE",
    "GOCACHE",
    "GO111MODULE",
    "CGO_ENABLED",
    "GOENV",
];

#[derive(Debug, Clone)]
pub struct GoFound {
    /// The `go` as the context finds it (`~/sdk/current/bin/go`).
    pub path: PathBuf,
    /// Its version, from `$GOROOT/VERSION` or its build info (`go1.22.10`).
    pub version: Option<String>,
    /// The GOROOT it uses, or why it has none.
    pub goroot: Result<PathBuf, String>,
    /// Set when GOROOT comes from a value that is not known (`goroot` is then an `Err` too):
    /// which SDK's packages this `go` uses cannot be predicted.
    pub goroot_unknown: Option<Why>,
    pub arch: Option<String>,
    pub os: Option<String>,
    /// How the context found it: "PATH", "go.goroot", "go.alternateTools".
    pub how: &'static str,
}

/// One setting: its value, where it came from, and the values below it that lost.
#[derive(Debug, Clone)]
pub struct Setting {
    pub value: Result<Option<String>, Why>,
    pub source: Source,
    pub shadows: Vec<(String, Source)>,
}

#[derive(Debug, Clone)]
pub struct Tool {
    pub path: PathBuf,
    pub version: Option<String>,
    /// The Go that built it.
    pub go: Option<String>,
    pub arch: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GoView {
    pub go: Result<Option<GoFound>, Why>,
    pub settings: BTreeMap<&'static str, Setting>,
    pub dlv: Result<Option<Tool>, Why>,
    pub gopls: Result<Option<Tool>, Why>,
    pub env_file: Option<PathBuf>,
}

/// Looks a program up in a PATH value, as `execvp` does.
pub fn which(sys: &Sys, path: &str, name: &str, home: &Path) -> Option<PathBuf> {
    for dir in path.split(':') {
        let dir = if dir.is_empty() { home.to_path_buf() } else { clean(home, Path::new(dir)) };
        let p = dir.join(name);
        if sys.is_executable(&p) {
            return Some(p);
        }
    }
    None
}

/// VS Code's Go settings that choose the `go` and the tools.
#[derive(Debug, Clone, Default)]
pub struct EditorGo {
    pub go: Option<(PathBuf, &'static str)>,
    pub dlv: Option<PathBuf>,
}

pub fn vscode_settings(sys: &Sys, ctx: &Context) -> EditorGo {
    let settings = crate::units::vscode::default_settings(ctx);
    let Some(text) = sys.read_text(&settings, "VS Code's user settings") else {
        return EditorGo::default();
    };
    let Ok(value) =
        jsonc_parser::parse_to_serde_value::<serde_json::Value>(&text, &Default::default())
    else {
        return EditorGo::default();
    };
    let resolve = |v: &str| crate::units::vscode::resolve(v, ctx);
    let alt = value.get("go.alternateTools");
    let go = alt
        .and_then(|a| a.get("go"))
        .and_then(|v| v.as_str())
        .and_then(resolve)
        .map(|p| (p, "go.alternateTools"))
        .or_else(|| {
            value
                .get("go.goroot")
                .and_then(|v| v.as_str())
                .and_then(resolve)
                .map(|r| (r.join("bin/go"), "go.goroot"))
        });
    let dlv = alt.and_then(|a| a.get("dlv")).and_then(|v| v.as_str()).and_then(resolve);
    EditorGo { go, dlv }
}

type BinaryFacts = (Option<String>, Option<String>, Option<String>, Option<String>);

thread_local! {
    /// What each binary is, read once per run: every context finds the same `go` and `dlv`.
    static BINARIES: std::cell::RefCell<BTreeMap<PathBuf, BinaryFacts>> = Default::default();
    /// Each Go env file's values, parsed once per run: most contexts read the same file.
    static GO_ENV_FILES: std::cell::RefCell<BTreeMap<PathBuf, Rc<GoEnvLines>>> = Default::default();
}

type GoEnvLines = BTreeMap<String, (String, u32)>;

/// Reads a binary's Go version, module version, architecture and OS without running it.
fn binary(sys: &Sys, path: &Path) -> BinaryFacts {
    let real = sys.real(path);
    if let Some(f) = BINARIES.with(|b| b.borrow().get(&real).cloned()) {
        return f;
    }
    let facts = read_binary(&real);
    BINARIES.with(|b| b.borrow_mut().insert(real, facts.clone()));
    facts
}

fn read_binary(real: &Path) -> BinaryFacts {
    let real = real.to_path_buf();
    match crate::gobin::read(&real) {
        Ok(b) => {
            let module = b
                .info
                .as_ref()
                .and_then(|i| i.main.as_ref())
                .map(|m| m.version.clone())
                .filter(|v| !v.is_empty() && v != "(devel)");
            (Some(b.go_version.clone()), module, Some(b.arch.to_string()), Some(b.os.to_string()))
        }
        Err(_) => match crate::gobin::read_arch(&real) {
            Ok((os, arch)) => (None, None, Some(arch.to_string()), Some(os.to_string())),
            Err(_) => (None, None, None, None),
        },
    }
}

fn is_goroot(sys: &Sys, dir: &Path) -> bool {
    sys.is_dir(&dir.join("pkg/tool"))
}

/// The Go env file for a context's environment (Go's `cfg.EnvFile`).
pub fn env_file(ctx: &Context, env: &Env) -> Result<Option<PathBuf>, Why> {
    match env.get("GOENV") {
        Some(Val::Known(v)) if v == "off" => return Ok(None),
        Some(Val::Known(v)) if !v.is_empty() => return Ok(Some(PathBuf::from(v))),
        Some(Val::Unknown(w)) => return Err(w),
        _ => {}
    }
    let home = match env.get("HOME") {
        Some(Val::Known(h)) if !h.is_empty() => PathBuf::from(h),
        Some(Val::Unknown(w)) => return Err(w),
        _ => ctx.home.clone(),
    };
    Ok(Some(match ctx.os {
        Os::Macos => home.join("Library/Application Support/go/env"),
        Os::Linux => match env.get("XDG_CONFIG_HOME") {
            Some(Val::Known(x)) if x.starts_with('/') => PathBuf::from(x).join("go/env"),
            Some(Val::Unknown(w)) => return Err(w),
            _ => home.join(".config/go/env"),
        },
    }))
}

/// The Go env file's (or `go.env`'s) effective values with their lines, as Go reads them.
fn go_env_lines(bytes: &[u8]) -> GoEnvLines {
    crate::formats::goenvfile::located(bytes)
        .into_iter()
        .map(|(k, v, line)| (k, (String::from_utf8_lossy(&v).into_owned(), line as u32)))
        .collect()
}

pub fn view(sys: &Sys, ctx: &Context, env: &Env, editor: Option<&EditorGo>) -> GoView {
    let home = match env.get("HOME") {
        Some(Val::Known(h)) if !h.is_empty() => PathBuf::from(h),
        _ => ctx.home.clone(),
    };
    let file = env_file(ctx, env);
    let (file_path, file_vals) = match &file {
        Ok(Some(p)) => {
            let cached = GO_ENV_FILES.with(|c| c.borrow().get(p).cloned());
            let vals = cached.unwrap_or_else(|| {
                let vals = Rc::new(
                    sys.read_text(p, "the Go env file (`go env -w`)")
                        .map(|t| go_env_lines(t.as_bytes()))
                        .unwrap_or_default(),
                );
                GO_ENV_FILES.with(|c| c.borrow_mut().insert(p.clone(), vals.clone()));
                vals
            });
            (Some(p.clone()), vals)
        }
        _ => (None, Rc::default()),
    };
    let path = env.get("PATH");
    let go: Result<Option<(PathBuf, &'static str)>, Why> =
        match (editor.and_then(|e| e.go.clone()), &path) {
            (Some((p, how)), _) => Ok(Some((p, how))),
            (None, Some(Val::Known(p))) => Ok(which(sys, p, "go", &home).map(|g| (g, "PATH"))),
            (None, Some(Val::Unknown(w))) => Err(w.clone()),
            (None, None) => Ok(None),
        };
    let os_val = |k: &str| -> Result<Option<(String, Source)>, Why> {
        match env.get(k) {
            Some(Val::Known(v)) if !v.is_empty() => {
                Ok(Some((v, env.var(k).map_or(Source::layer("environment"), |v| v.at.clone()))))
            }
            Some(Val::Unknown(w)) => Err(w),
            _ => Ok(None),
        }
    };
    // GOROOT: the environment, the Go env file, then the executable's location
    let goroot_set: Result<Option<(String, Source)>, Why> = os_val("GOROOT").map(|v| {
        v.or_else(|| {
            file_vals
                .get("GOROOT")
                .filter(|(v, _)| !v.is_empty())
                .map(|(v, l)| (v.clone(), Source::file(file_path.clone().unwrap_or_default(), *l)))
        })
    });
    let found = match go {
        Err(w) => Err(w),
        Ok(None) => Ok(None),
        Ok(Some((exe, how))) => {
            let goroot_unknown = goroot_set.as_ref().err().cloned();
            let goroot = match &goroot_set {
                Err(w) => Err(format!("GOROOT is not known: {}", w.reason)),
                Ok(Some((g, _))) => {
                    let g = clean(&home, Path::new(g));
                    if sys.is_dir(&g) {
                        Ok(g)
                    } else {
                        Err(format!("`go` fails: cannot find GOROOT directory: {}", g.display()))
                    }
                }
                _ => {
                    let from = |e: &Path| -> Option<PathBuf> {
                        let d = e.parent()?.parent()?;
                        if is_goroot(sys, d) {
                            return Some(d.to_path_buf());
                        }
                        let d = d.parent()?;
                        is_goroot(sys, d).then(|| d.to_path_buf())
                    };
                    let canonical = sys.canonical(&exe);
                    // Go on Linux finds its executable through /proc/self/exe, links resolved
                    let first = if ctx.os == Os::Linux {
                        canonical.as_deref().and_then(from)
                    } else {
                        from(&exe)
                    };
                    first
                        .or_else(|| canonical.as_deref().and_then(from))
                        .or_else(|| from(&exe))
                        .ok_or_else(|| "no GOROOT found next to it".to_owned())
                }
            };
            let version = goroot
                .as_ref()
                .ok()
                .and_then(|g| sys.read_text(&g.join("VERSION"), "the SDK's VERSION"))
                .and_then(|t| t.lines().next().map(|l| l.trim().to_owned()))
                .filter(|v| v.starts_with("go"));
            let (built, _, arch, bos) = binary(sys, &exe);
            let version = version.or(built);
            Ok(Some(GoFound { path: exe, version, goroot, goroot_unknown, arch, os: bos, how }))
        }
    };
    let goroot_unknown: Option<Why> = match &found {
        Ok(Some(g)) => g.goroot_unknown.clone(),
        _ => None,
    };
    let goroot_dir: Option<PathBuf> = match &found {
        Ok(Some(g)) => g.goroot.as_ref().ok().cloned(),
        _ => None,
    };
    let go_env_file: BTreeMap<String, (String, u32)> = goroot_dir
        .as_ref()
        .and_then(|g| sys.read(&g.join("go.env"), "the SDK's defaults (`$GOROOT/go.env`)"))
        .map(|t| go_env_lines(&t))
        .unwrap_or_default();
    let version_minor = match &found {
        Ok(Some(g)) => g.version.as_deref().and_then(crate::units::delve::go_minor),
        _ => None,
    };
    let mut settings: BTreeMap<&'static str, Setting> = BTreeMap::new();
    let layered = |k: &str, default: Option<(String, Source)>| -> Setting {
        let mut layers: Vec<(String, Source)> = Vec::new();
        let os = os_val(k);
        if let Err(w) = os {
            return Setting { value: Err(w.clone()), source: w.at.clone(), shadows: Vec::new() };
        }
        if let Ok(Some(v)) = os {
            layers.push(v);
        }
        if k != "GOENV"
            && let Some((v, l)) = file_vals.get(k)
            && !v.is_empty()
        {
            layers.push((v.clone(), Source::file(file_path.clone().unwrap_or_default(), *l)));
        }
        // below the Go env file comes $GOROOT/go.env: unknown when GOROOT is
        if layers.is_empty()
            && matches!(k, "GOPROXY" | "GOSUMDB" | "GOTOOLCHAIN")
            && let Some(w) = &goroot_unknown
        {
            return Setting { value: Err(w.clone()), source: w.at.clone(), shadows: Vec::new() };
        }
        if let (Some((v, l)), Some(g)) = (go_env_file.get(k), &goroot_dir)
            && !v.is_empty()
        {
            layers.push((v.clone(), Source::file(g.join("go.env"), *l)));
        }
        if let Some(d) = default {
            layers.push(d);
        }
        match layers.split_first() {
            Some(((v, s), rest)) => {
                Setting { value: Ok(Some(v.clone())), source: s.clone(), shadows: rest.to_vec() }
            }
            None => Setting {
                value: Ok(Some(String::new())),
                source: Source::layer("go default"),
                shadows: Vec::new(),
            },
        }
    };
    let dflt = |v: &str| Some((v.to_owned(), Source::layer("go default")));
    for k in ["GOPROXY", "GOSUMDB"] {
        let d = if k == "GOPROXY" { "https://proxy.golang.org,direct" } else { "sum.golang.org" };
        let s = if go_env_file.contains_key(k) { layered(k, None) } else { layered(k, dflt(d)) };
        settings.insert(if k == "GOPROXY" { "GOPROXY" } else { "GOSUMDB" }, s);
    }
    settings.insert("GOPRIVATE", layered("GOPRIVATE", None));
    for k in ["GONOPROXY", "GONOSUMDB"] {
        let private = settings["GOPRIVATE"].clone();
        let mut s = layered(k, None);
        if matches!(s.value, Ok(Some(ref v)) if v.is_empty())
            && matches!(s.source, Source::Layer(_))
        {
            s = Setting {
                value: private.value.clone(),
                source: private.source.clone(),
                shadows: Vec::new(),
            };
            if let Source::Layer(_) = s.source {
                s.source = Source::layer("go default (GOPRIVATE)");
            }
        }
        settings.insert(if k == "GONOPROXY" { "GONOPROXY" } else { "GONOSUMDB" }, s);
    }
    settings.insert("GOFLAGS", layered("GOFLAGS", None));
    let toolchain_default =
        if go_env_file.contains_key("GOTOOLCHAIN") || version_minor.is_some_and(|m| m < 21) {
            None
        } else {
            dflt("auto")
        };
    settings.insert("GOTOOLCHAIN", layered("GOTOOLCHAIN", toolchain_default));
    settings.insert("GO111MODULE", layered("GO111MODULE", None));
    let gopath = {
        let mut d = home.join("go").to_string_lossy().into_owned();
        if goroot_dir.as_ref().is_some_and(|g| g.to_string_lossy() == d) {
            d = String::new();
        }
        layered("GOPATH", dflt(&d))
    };
    let first_gopath = match &gopath.value {
        Ok(Some(p)) => Ok(p.split(':').next().unwrap_or("").to_owned()),
        Ok(None) => Ok(String::new()),
        Err(w) => Err(w.clone()),
    };
    settings.insert("GOPATH", gopath);
    let derived = |k: &str, d: Result<String, Why>| -> Setting {
        match d {
            Ok(d) => layered(k, Some((d, Source::layer("go default")))),
            Err(w) => {
                let s = layered(k, None);
                if matches!(s.source, Source::Layer(_)) {
                    Setting { value: Err(w.clone()), source: w.at.clone(), shadows: Vec::new() }
                } else {
                    s
                }
            }
        }
    };
    settings.insert(
        "GOMODCACHE",
        derived(
            "GOMODCACHE",
            first_gopath.clone().map(|g| if g.is_empty() { g } else { format!("{g}/pkg/mod") }),
        ),
    );
    let bin_default = if version_minor.is_some_and(|m| m >= 27) {
        first_gopath.clone().map(|g| if g.is_empty() { g } else { format!("{g}/bin") })
    } else {
        Ok(String::new())
    };
    settings.insert("GOBIN", derived("GOBIN", bin_default));
    let cache = match ctx.os {
        Os::Macos => Ok(home.join("Library/Caches/go-build").to_string_lossy().into_owned()),
        Os::Linux => match env.get("XDG_CACHE_HOME") {
            Some(Val::Known(x)) if x.starts_with('/') => Ok(format!("{x}/go-build")),
            Some(Val::Unknown(w)) => Err(w),
            _ => Ok(home.join(".cache/go-build").to_string_lossy().into_owned()),
        },
    };
    settings.insert("GOCACHE", derived("GOCACHE", cache));
    let cgo = match (&path, env.get("CC")) {
        (_, Some(Val::Known(cc))) if !cc.is_empty() => Ok("1".to_owned()),
        (Some(Val::Known(p)), _) => {
            let cc = if ctx.os == Os::Macos { "clang" } else { "gcc" };
            Ok(if which(sys, p, cc, &home).is_some() { "1" } else { "0" }.to_owned())
        }
        (Some(Val::Unknown(w)), _) => Err(w.clone()),
        (None, _) => Ok("0".to_owned()),
    };
    settings.insert("CGO_ENABLED", derived("CGO_ENABLED", cgo));
    let goenv = match &file {
        Ok(Some(p)) => Ok(p.to_string_lossy().into_owned()),
        Ok(None) => Ok("off".to_owned()),
        Err(w) => Err(w.clone()),
    };
    settings.insert("GOENV", derived("GOENV", goenv));
    let goroot_setting = match (&goroot_set, &found) {
        (Err(w), _) => Setting { value: Err(w.clone()), source: w.at.clone(), shadows: Vec::new() },
        (Ok(Some((v, s))), _) => {
            Setting { value: Ok(Some(v.clone())), source: s.clone(), shadows: Vec::new() }
        }
        (Ok(None), Ok(Some(g))) => Setting {
            value: Ok(g.goroot.as_ref().ok().map(|p| p.to_string_lossy().into_owned())),
            source: Source::layer("found from the `go` executable"),
            shadows: Vec::new(),
        },
        (Ok(None), Ok(None)) => {
            Setting { value: Ok(None), source: Source::layer("no `go` found"), shadows: Vec::new() }
        }
        (Ok(None), Err(w)) => {
            Setting { value: Err(w.clone()), source: w.at.clone(), shadows: Vec::new() }
        }
    };
    settings.insert("GOROOT", goroot_setting);

    let tool = |name: &str, first: Option<PathBuf>| -> Result<Option<Tool>, Why> {
        let mut candidates: Vec<PathBuf> = first.into_iter().collect();
        if editor.is_some() {
            // VS Code Go's search: GOBIN, GOPATH/bin, GOROOT/bin, then PATH
            if let Some(Setting { value: Ok(Some(b)), .. }) = settings.get("GOBIN")
                && !b.is_empty()
            {
                candidates.push(Path::new(b).join(name));
            }
            if let Ok(g) = &first_gopath
                && !g.is_empty()
            {
                candidates.push(Path::new(g).join("bin").join(name));
            }
            if let Some(g) = &goroot_dir {
                candidates.push(g.join("bin").join(name));
            }
        }
        let found = candidates.into_iter().find(|p| sys.is_executable(p));
        let found = match (found, &path) {
            (Some(f), _) => Some(f),
            (None, Some(Val::Known(p))) => which(sys, p, name, &home),
            (None, Some(Val::Unknown(w))) => return Err(w.clone()),
            (None, None) => None,
        };
        Ok(found.map(|p| {
            let (go, module, arch, _) = binary(sys, &p);
            Tool {
                path: p,
                version: module.map(|m| m.trim_start_matches('v').to_owned()),
                go,
                arch,
            }
        }))
    };
    let dlv = tool("dlv", editor.and_then(|e| e.dlv.clone()));
    let gopls = tool("gopls", None);
    GoView { go: found, settings, dlv, gopls, env_file: file_path }
}

/// What GoLand debugs with: its Delve (`dlv.path` in `idea.properties`, else the one bundled
/// with the installation) and the Go SDKs registered in `options/go.sdk.xml`.
#[derive(Debug, Clone, Default)]
pub struct Goland {
    pub dlv: Option<(PathBuf, &'static str)>,
    pub sdks: Vec<(PathBuf, Source)>,
}

/// GoLand's configuration directories, newest last (`GoLand2024.3`, `GoLand2025.1`).
fn goland_config_dirs(sys: &Sys, ctx: &Context) -> Vec<PathBuf> {
    let dir = match ctx.os {
        Os::Linux => ctx.config_home.join("JetBrains"),
        Os::Macos => ctx.home.join("Library/Application Support/JetBrains"),
    };
    sys.list(&dir).into_iter().filter(|n| n.starts_with("GoLand")).map(|n| dir.join(n)).collect()
}

pub fn goland(sys: &Sys, ctx: &Context) -> Goland {
    let mut out = Goland::default();
    let configs = goland_config_dirs(sys, ctx);
    let home = ctx.home.to_string_lossy().into_owned();
    if let Some(config) = configs.last() {
        // Read as GoLand reads them: `java.util.Properties`, and GoSdkList with an XML parser.
        for file in ["idea.properties", "goland.properties"] {
            if let Some(bytes) =
                sys.read(&config.join(file), "GoLand's custom properties (`dlv.path`)")
                && let Some(p) = crate::formats::properties::read(&bytes).get("dlv.path")
                && !p.value.trim().is_empty()
            {
                out.dlv = Some((PathBuf::from(p.value.trim()), "dlv.path"));
            }
        }
        let sdk_xml = config.join("options/go.sdk.xml");
        if let Some(bytes) = sys.read(&sdk_xml, "GoLand's registered Go SDKs")
            && let Ok(entries) = crate::formats::gosdk::entries(&bytes)
        {
            for e in entries {
                let line = bytes[..e.range.start].iter().filter(|&&b| b == b'\n').count() + 1;
                let v = crate::formats::gosdk::expand(&e.value, &home);
                out.sdks.push((PathBuf::from(v), Source::file(&sdk_xml, line as u32)));
            }
        }
    }
    if out.dlv.is_none() {
        let arch_dir = match (ctx.os, ctx.arch) {
            (Os::Macos, _) => "mac",
            (Os::Linux, crate::context::Arch::Arm64) => "linuxarm",
            (Os::Linux, _) => "linux",
        };
        let toolbox = ctx.home.join(".local/share/JetBrains/Toolbox/apps");
        let mut installs = vec![
            toolbox.join("goland"),
            PathBuf::from("/opt/goland"),
            PathBuf::from("/snap/goland/current"),
        ];
        for name in sys.list(&toolbox.join("Goland/ch-0")) {
            installs.push(toolbox.join("Goland/ch-0").join(name));
        }
        for name in sys.list(Path::new("/opt")) {
            if name.to_ascii_lowercase().starts_with("goland") {
                installs.push(PathBuf::from("/opt").join(name));
            }
        }
        if ctx.os == Os::Macos {
            installs = vec![
                PathBuf::from("/Applications/GoLand.app/Contents"),
                ctx.home.join("Applications/GoLand.app/Contents"),
            ];
        }
        out.dlv = installs
            .into_iter()
            .map(|i| i.join("plugins/go-plugin/lib/dlv").join(arch_dir).join("dlv"))
            .find(|p| sys.is_file(p))
            .map(|p| (p, "bundled with GoLand"));
    }
    out
}

/// A Delve binary as doctor reads it.
pub fn read_tool(sys: &Sys, path: &Path) -> Tool {
    let (go, module, arch, _) = binary(sys, path);
    Tool {
        path: path.to_path_buf(),
        version: module.map(|m| m.trim_start_matches('v').to_owned()),
        go,
        arch,
    }
}

/// The version of the SDK at `root`, from its VERSION file.
pub fn sdk_version(sys: &Sys, root: &Path) -> Option<String> {
    sys.read_text(&root.join("VERSION"), "the SDK's VERSION")
        .and_then(|t| t.lines().next().map(|l| l.trim().to_owned()))
        .filter(|v| v.starts_with("go"))
}
