//! Desired state: the resources a profile asks for on this machine.
//!
//! ```kdl
//! go-env { GOPATH "~/go" }        // file:~/.config/go/env (the Go env file, owned whole)
//! export { EDITOR "vi" }          // file:~/.config/goenv/env.sh (and env.fish), owned whole
//! shells "bash" "zsh" "fish"      // block:~/.profile, block:~/.bashrc, block:~/.zshenv,
//!                                 // file:~/.config/fish/conf.d/goenv.fish
//! session                         // file:~/.config/environment.d/50-goenv.conf
//! vscode                          // json:~/.config/Code/User/settings.json (three settings)
//! ```
//!
//! Pure: it reads the profile, the Context and the probed files (to know which start-up files
//! exist), and renders contents with `formats`. Nodes whose targets are not built yet stop the
//! plan with a problem naming the node: never a silent skip.

use std::path::PathBuf;

use super::go::{self, GoResolved, How};
use super::vscode;
use crate::context::{Context, Os};
use crate::formats::{block, envd, goenvfile, jsonc, shell};
use crate::probe::{self, Observed};
use crate::profile::{Problem, Profile, Shell};

/// How goenv owns a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The whole file is goenv's.
    File { content: Vec<u8> },
    /// Only the marker block inside someone else's file.
    Block { body: String, placement: block::Placement },
    /// A symbolic link to `target` (`~/sdk/current`).
    Link { target: PathBuf },
    /// An SDK tree goenv installs, known by its descriptor.
    Sdk { descriptor: Vec<u8> },
    /// A binary `go install` builds (`delve install="v1.23.1"`). `build` describes the build
    /// when one is needed (the plan shows it; `apply` replaces it with the built bytes before the
    /// transaction), `None` when the binary there is already the one asked for.
    Tool { build: Option<String> },
    /// Single settings in a JSON-with-comments file someone else owns (VS Code's
    /// `settings.json`); the state is the whole file, edited only at those settings.
    Json { edits: Vec<jsonc::Edit> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: String,
    pub path: PathBuf,
    pub kind: Kind,
}

#[derive(Debug, Clone, Default)]
pub struct Desired {
    pub resources: Vec<Resource>,
    /// Values that must never be shown: secret values and URL credentials.
    pub secrets: Vec<String>,
    /// The `go` node on this machine.
    pub go: Option<GoResolved>,
}

/// Every file a plan may need to read: targets, the start-up files that decide placement, and
/// the files findings look at (rc files, other environment.d files, VS Code's settings).
pub fn probe_paths(profile: &Profile, ctx: &Context) -> Vec<PathBuf> {
    let h = &ctx.home;
    let mut paths: Vec<PathBuf> =
        [".bash_profile", ".bash_login", ".profile", ".bashrc", ".zshenv", ".zprofile", ".zshrc"]
            .iter()
            .map(|f| h.join(f))
            .collect();
    paths.extend(probe::go_env_file(ctx));
    let own = probe::goenv_dir(ctx);
    paths.push(own.join("env.sh"));
    paths.push(own.join("env.fish"));
    paths.push(ctx.config_home.join("fish/conf.d/goenv.fish"));
    paths.push(ctx.config_home.join("environment.d/50-goenv.conf"));
    paths.extend(probe::environment_d_files(ctx));
    paths.push(vscode::default_settings(ctx));
    paths.extend(vscode::settings_path(profile, ctx));
    paths
}

/// SDK directories to probe: the profile's and those of SDKs and links goenv manages.
pub fn sdk_dirs(profile: &Profile, ctx: &Context, managed: &super::Managed) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = profile.go.iter().map(|g| g.dir(ctx)).collect();
    for m in &managed.paths {
        if (m.id.starts_with("sdk:") || m.id.starts_with("link:"))
            && let Some(parent) = m.path.parent()
            && !dirs.iter().any(|d| d == parent)
        {
            dirs.push(parent.to_path_buf());
        }
    }
    dirs
}

/// Where the profile's `dlv` is: the `delve` node's path, else GOBIN/dlv.
pub fn dlv_path(profile: &Profile, ctx: &Context) -> Option<PathBuf> {
    let node = profile.delve.as_ref()?;
    Some(match &node.path {
        Some(p) => PathBuf::from(&p.text),
        None => PathBuf::from(gobin(profile, ctx)).join("dlv"),
    })
}

/// Directories whose existence a plan needs to know.
pub fn probe_dirs(ctx: &Context) -> Vec<PathBuf> {
    vec![ctx.config_home.join("fish")]
}

/// The shells to wire up: the profile's list, or bash plus zsh and fish when configured.
pub fn shells(profile: &Profile, ctx: &Context, observed: &Observed) -> Vec<Shell> {
    if let Some(list) = &profile.shells {
        return list.clone();
    }
    let mut out = vec![Shell::Bash];
    let h = &ctx.home;
    if [".zshrc", ".zshenv", ".zprofile"].iter().any(|f| observed.get(&h.join(f)).exists()) {
        out.push(Shell::Zsh);
    }
    if observed.dirs.contains(&ctx.config_home.join("fish")) {
        out.push(Shell::Fish);
    }
    out
}

/// The directory `go install` puts binaries in, as the profile sets it (GOBIN, else the first
/// GOPATH entry's `bin`, else `~/go/bin`).
pub fn gobin(profile: &Profile, ctx: &Context) -> String {
    let get = |k: &str| profile.go_env_file().find(|s| s.key == k).map(|s| s.value.text.clone());
    if let Some(b) = get("GOBIN").filter(|b| !b.is_empty()) {
        return b;
    }
    match get("GOPATH").and_then(|p| p.split(':').next().map(str::to_owned)) {
        Some(first) if !first.is_empty() => format!("{first}/bin"),
        _ => ctx.home.join("go/bin").to_string_lossy().into_owned(),
    }
}

/// The nodes whose targets are not built yet: planning them would be a silent skip.
fn unsupported(profile: &Profile) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut add = |at, node: &str| {
        out.push(
            Problem::new(
                at,
                "goenv::plan::not-yet-supported",
                format!("`{node}` cannot be planned by this version of goenv yet"),
                "not supported yet",
            )
            .help(format!(
                "remove `{node}` (or move it into a `when host=\"…\"` block for machines that \
                 have a newer goenv); `goenv check` still validates it"
            )),
        );
    };
    if let Some(s) = profile.services.first() {
        add(s.at, "service");
    }
    if let Some(s) = profile.session.filter(|s| s.live) {
        add(s.at, "session live=#true");
    }
    out
}

/// What the profile wants on this machine, or the problems that stop the plan.
pub fn desired(
    profile: &Profile,
    ctx: &Context,
    observed: &Observed,
) -> Result<Desired, Vec<Problem>> {
    let problems = unsupported(profile);
    if !problems.is_empty() {
        return Err(problems);
    }
    let home = &ctx.home;
    let mut resources = Vec::new();
    let go = match &profile.go {
        Some(spec) => Some(go::resolve(spec, ctx, observed, &profile.sources)?),
        None => None,
    };
    if let Some(go) = &go {
        // SDKs first: the link is switched only once its target is in place.
        for sdk in go.all() {
            let descriptor = match &sdk.how {
                How::Installed(bytes) => bytes.clone(),
                How::Install(d) => d.render(),
                How::Adopted => continue,
            };
            resources.push(Resource {
                id: format!("sdk:go{}", sdk.version),
                path: sdk.path.clone(),
                kind: Kind::Sdk { descriptor },
            });
        }
        if let Some(active) = &go.active {
            let link = go.link();
            resources.push(Resource {
                id: format!("link:{}", super::tilde_path(&link, home)),
                path: link,
                kind: Kind::Link { target: active.path.clone() },
            });
        }
    }
    if let Some(tool) = delve_tool(profile, ctx, observed, go.as_ref())? {
        resources.push(tool);
    }
    let mut file = |path: PathBuf, content: String| {
        resources.push(Resource {
            id: format!("file:{}", super::tilde_path(&path, home)),
            path,
            kind: Kind::File { content: content.into_bytes() },
        });
    };

    let go_env: Vec<(&str, &str)> =
        profile.go_env_file().map(|s| (s.key.as_str(), s.value.text.as_str())).collect();
    if !go_env.is_empty()
        && let Some(path) = probe::go_env_file(ctx)
    {
        file(path, goenvfile::render(&go_env));
    }

    let gobin = gobin(profile, ctx);
    let sdk_bin = go
        .as_ref()
        .filter(|g| g.active.is_some())
        .map(|g| g.link().join("bin").to_string_lossy().into_owned());
    let mut front: Vec<&str> = sdk_bin.iter().map(String::as_str).collect();
    if !front.contains(&gobin.as_str()) {
        front.push(&gobin);
    }
    for p in &profile.path_entries {
        if !front.contains(&p.text.as_str()) {
            front.push(&p.text);
        }
    }
    let exports: Vec<(&str, &str)> =
        profile.export.iter().map(|s| (s.key.as_str(), s.value.text.as_str())).collect();
    let own = probe::goenv_dir(ctx);
    let env_sh = own.join("env.sh");
    file(env_sh.clone(), shell::render_env_sh(&front, &exports));

    let shells = shells(profile, ctx, observed);
    if shells.contains(&Shell::Fish) {
        let env_fish = own.join("env.fish");
        file(env_fish.clone(), shell::render_env_fish(&front, &exports));
        let q = shell::fish_quote(&env_fish.to_string_lossy());
        file(
            ctx.config_home.join("fish/conf.d/goenv.fish"),
            format!(
                "# Managed by goenv: it loads the Go environment of your profile.\n\
                 test -f {q}; and source {q}\n"
            ),
        );
    }
    if let Some(_session) = &profile.session {
        let path = ctx.config_home.join("environment.d/50-goenv.conf");
        match envd::render(&front, &exports) {
            Ok(text) => file(path, text),
            Err(e) => {
                // The profile's own checks catch these with a location; this is the backstop.
                let at = profile.session.map(|s| s.at);
                if let Some(at) = at {
                    return Err(vec![Problem::new(
                        at,
                        "goenv::plan::session-unrepresentable",
                        e.to_string(),
                        "here",
                    )]);
                }
            }
        }
    }

    let body = block::sh_source_body(&env_sh.to_string_lossy());
    let mut blk = |path: PathBuf, placement| {
        resources.push(Resource {
            id: format!("block:{}", super::tilde_path(&path, home)),
            path,
            kind: Kind::Block { body: body.clone(), placement },
        });
    };
    if shells.contains(&Shell::Bash) {
        // bash reads only the first of these that exists; creating ~/.bash_profile would
        // silently disable ~/.profile, so goenv never does.
        let login = [".bash_profile", ".bash_login", ".profile"]
            .iter()
            .map(|f| home.join(f))
            .find(|p| observed.get(p).exists())
            .unwrap_or_else(|| home.join(".profile"));
        blk(login, block::Placement::Bottom);
        // At the top, before the usual "not interactive: return" guard, so `ssh host cmd` and
        // other non-interactive bash reach it.
        blk(home.join(".bashrc"), block::Placement::Top);
    }
    if shells.contains(&Shell::Zsh) {
        // macOS runs path_helper from /etc/zprofile, which reorders PATH set in .zshenv.
        let f = if ctx.os == Os::Macos { ".zprofile" } else { ".zshenv" };
        blk(home.join(f), block::Placement::Bottom);
    }

    if let Some(path) = vscode::settings_path(profile, ctx) {
        resources.push(Resource {
            id: format!("json:{}", super::tilde_path(&path, home)),
            path,
            kind: Kind::Json { edits: vscode::wanted(profile, ctx, go.as_ref()) },
        });
    }

    Ok(Desired { resources, secrets: secrets(profile), go })
}

/// `delve install="v1.23.1"`: the binary `apply` builds with the active SDK, unless the one at
/// the path already is that release (`"latest"`: unless one is there that can debug the active
/// SDK).
fn delve_tool(
    profile: &Profile,
    ctx: &Context,
    observed: &Observed,
    go: Option<&GoResolved>,
) -> Result<Option<Resource>, Vec<Problem>> {
    let Some(node) = &profile.delve else { return Ok(None) };
    let Some(install) = &node.install else { return Ok(None) };
    let Some(path) = dlv_path(profile, ctx) else { return Ok(None) };
    let go_exe = match go {
        Some(g) => g.active.as_ref().map(|a| a.path.join("bin/go")),
        None => None,
    }
    .or_else(|| observed.path_go.first().map(|d| d.join("go")));
    let Some(go_exe) = go_exe else {
        return Err(vec![
            Problem::new(
                install.at,
                "goenv::plan::delve-install-needs-go",
                "`install=` builds Delve with the active Go SDK, and there is none",
                "needs a Go SDK",
            )
            .help("add a `go` node with a version, e.g. `go \"1.22.10\"`"),
        ]);
    };
    let current = observed.delve.as_ref().and_then(|d| d.version.as_ref()).map(|(v, _)| v.as_str());
    let up_to_date = match install.text.as_str() {
        "latest" => current.is_some_and(|v| {
            let built = observed
                .delve
                .as_ref()
                .and_then(|d| d.binary.as_ref())
                .and_then(|b| b.as_ref().ok())
                .map(|b| b.go_version.as_str());
            let active = go.and_then(|g| g.active.as_ref()).map(|a| a.version.as_str());
            active.is_none_or(|a| super::delve::incompatibility(v, built, a, ctx.os).is_none())
        }),
        wanted => current == Some(wanted.trim_start_matches('v')),
    };
    let build = (!up_to_date).then(|| {
        format!(
            "# `goenv apply` builds this binary before it changes anything, and checks its build info:\n\
             # GOBIN={} {} install github.com/go-delve/delve/cmd/dlv@{}\n\
             package = \"github.com/go-delve/delve/cmd/dlv\"\n\
             version = \"{}\"\n\
             go = \"{}\"\n",
            path.parent().map(|p| p.display().to_string()).unwrap_or_default(),
            go_exe.display(),
            install.text,
            install.text,
            go_exe.display()
        )
    });
    Ok(Some(Resource {
        id: format!("tool:{}", super::tilde_path(&path, &ctx.home)),
        path,
        kind: Kind::Tool { build },
    }))
}

/// Values of `profile` that must never be shown: `secret=#true` values and URL credentials.
pub fn secrets(profile: &Profile) -> Vec<String> {
    let settings = || profile.go_env_file().chain(&profile.export);
    let mut out: Vec<String> =
        settings().filter(|s| s.value.secret).map(|s| s.value.text.clone()).collect();
    for s in settings() {
        out.extend(url_credentials(&s.value.text));
    }
    // Shell renderings quote values: a secret also appears as its quoted forms.
    let quoted: Vec<String> =
        out.iter().flat_map(|v| [shell::sh_quote(v), shell::fish_quote(v)]).collect();
    out.extend(quoted);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// The `user:password` parts of URLs in a value.
fn url_credentials(value: &str) -> Vec<String> {
    value
        .match_indices("://")
        .filter_map(|(i, _)| {
            let rest = &value[i + 3..];
            let end = rest.find(['/', ',', '|', ' ']).unwrap_or(rest.len());
            rest[..end].rfind('@').map(|at| rest[..at].to_owned())
        })
        .filter(|c| !c.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_are_found_in_lists() {
        assert_eq!(
            url_credentials("https://bob:t0k@a.example.com,https://b.example.com|direct"),
            vec!["bob:t0k".to_owned()]
        );
        assert!(url_credentials("direct").is_empty());
    }
}
