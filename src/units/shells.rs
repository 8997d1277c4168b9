//! The `shells`, `export` and `path` nodes: what every shell exports, and the start-up files that
//! load it.
//!
//! ```kdl
//! export { EDITOR "vi" }          // file:~/.config/goenv/env.sh, file:~/.config/goenv/env.fish
//! path "~/tools/bin"              // first on PATH, after the active SDK's bin and GOBIN
//! shells "bash" "zsh" "fish"      // block:~/.profile (and ~/.bash_profile), block:~/.bashrc,
//!                                 // block:~/.zshenv (~/.zprofile on macOS),
//!                                 // file:~/.config/fish/conf.d/goenv.fish
//! ```
//!
//! Without `shells`, bash is wired, and zsh and fish when they are configured; on macOS zsh (its
//! login shell since 10.15: `~/.zprofile`, which zsh reads after `/etc/zprofile` has run
//! `path_helper`, so goenv's PATH entries stay first), bash only when `$SHELL` is bash, and fish
//! when configured. goenv's blocks in the user's start-up files only source `env.sh`;
//! everything else is in goenv's own files.

use std::path::PathBuf;

use super::{Input, Planning, Reads, Resource, Unit, Want, path_front};
use crate::context::{Context, Os};
use crate::formats::block;
use crate::formats::shell::{self, BASH_LOGIN_FILES, STARTUP_FILES, ZSH_FILES};
use crate::probe::{self, Observed};
use crate::profile::{Problem, Profile, Shell};

pub struct Shells;

/// goenv's fish hook, in fish's `conf.d`.
const FISH_HOOK: &str = "fish/conf.d/goenv.fish";

impl Unit for Shells {
    fn node(&self) -> &'static str {
        "shells"
    }

    fn reads(&self, input: Input<'_>, reads: &mut Reads) {
        let Input { ctx, .. } = input;
        reads.files.extend(STARTUP_FILES.iter().map(|f| ctx.home.join(f)));
        let own = probe::goenv_dir(ctx);
        reads.files.push(own.join("env.sh"));
        reads.files.push(own.join("env.fish"));
        reads.files.push(ctx.config_home.join(FISH_HOOK));
        // `~/.config/fish` means fish is configured.
        reads.dirs.push(ctx.config_home.join("fish"));
    }

    fn wants(
        &self,
        planning: &mut Planning<'_>,
        out: &mut Vec<Resource>,
    ) -> Result<(), Vec<Problem>> {
        let Input { profile, ctx } = planning.input;
        let home = &ctx.home;
        let front = path_front(planning);
        let front: Vec<&str> = front.iter().map(String::as_str).collect();
        let exports: Vec<(&str, &str)> =
            profile.export.iter().map(|s| (s.key.as_str(), s.value.text.as_str())).collect();
        let own = probe::goenv_dir(ctx);
        let env_sh = own.join("env.sh");
        let mut file = |path: PathBuf, content: String| {
            out.push(Resource::new(path, Want::File(content.into_bytes()), home));
        };
        file(env_sh.clone(), shell::render_env_sh(&front, &exports));

        let shells = shells(profile, ctx, planning.observed);
        if shells.contains(&Shell::Fish) {
            let env_fish = own.join("env.fish");
            file(env_fish.clone(), shell::render_env_fish(&front, &exports));
            let q = shell::fish_quote(&env_fish.to_string_lossy());
            file(
                ctx.config_home.join(FISH_HOOK),
                format!(
                    "# Managed by goenv: it loads the Go environment of your profile.\n\
                     test -f {q}; and source {q}\n"
                ),
            );
        }

        let body = block::sh_source_body(&env_sh.to_string_lossy());
        let mut blk = |path: PathBuf, placement| {
            out.push(Resource::new(path, Want::Block { body: body.clone(), placement }, home));
        };
        let mut sh_profile = None;
        if shells.contains(&Shell::Bash) {
            // bash reads only the first of these that exists; creating ~/.bash_profile would
            // silently disable ~/.profile, so goenv never does.
            let profile_sh = home.join(".profile");
            let login = BASH_LOGIN_FILES
                .iter()
                .map(|f| home.join(f))
                .find(|p| planning.observed.get(p).exists())
                .unwrap_or_else(|| profile_sh.clone());
            if login != profile_sh {
                // sh login shells and the X11 session read ~/.profile, bash does not: wire it
                // for them, in a block bash skips (see `block::sh_only_source_body`).
                let bash_login = crate::resource::tilde_path(&login, home);
                let body = block::sh_only_source_body(&env_sh.to_string_lossy(), &bash_login);
                let placement = block::Placement::Bottom;
                sh_profile = Some(Resource::new(profile_sh, Want::Block { body, placement }, home));
            }
            blk(login, block::Placement::Bottom);
            // At the top, before the usual "not interactive: return" guard, so `ssh host cmd`
            // and other non-interactive bash reach it.
            blk(home.join(".bashrc"), block::Placement::Top);
        }
        if shells.contains(&Shell::Zsh) {
            // macOS runs path_helper from /etc/zprofile, which reorders PATH set in .zshenv.
            let f = if ctx.os == Os::Macos { ".zprofile" } else { ".zshenv" };
            blk(home.join(f), block::Placement::Bottom);
        }
        out.extend(sh_profile);
        Ok(())
    }
}

/// The shells to wire up: the profile's list; else on Linux bash, plus zsh and fish when
/// configured; on macOS zsh (the login shell since 10.15), plus bash when `$SHELL` is bash and
/// fish when configured.
pub fn shells(profile: &Profile, ctx: &Context, observed: &Observed) -> Vec<Shell> {
    if let Some(list) = &profile.shells {
        return list.clone();
    }
    let h = &ctx.home;
    let mut out = Vec::new();
    if ctx.os == Os::Macos {
        let bash = ctx.env.get("SHELL").is_some_and(|s| s.rsplit('/').next() == Some("bash"));
        if bash {
            out.push(Shell::Bash);
        }
        out.push(Shell::Zsh);
    } else {
        out.push(Shell::Bash);
        if ZSH_FILES.iter().any(|f| observed.get(&h.join(f)).exists()) {
            out.push(Shell::Zsh);
        }
    }
    if observed.dirs.contains(&ctx.config_home.join("fish")) {
        out.push(Shell::Fish);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Arch;

    fn profile() -> Profile {
        let ctx = Context::hermetic("/h".into(), Os::Macos, Arch::Arm64, "m".into());
        crate::profile::load_str(std::path::Path::new("/p.kdl"), "version 1\n", &ctx)
            .unwrap_or_else(|_| panic!("the profile loads"))
    }

    #[test]
    fn macos_wires_zsh_and_bash_only_for_a_bash_user() {
        let mut ctx = Context::hermetic("/h".into(), Os::Macos, Arch::Arm64, "m".into());
        let observed = Observed::default();
        assert_eq!(shells(&profile(), &ctx, &observed), [Shell::Zsh]);
        ctx.env.insert("SHELL".into(), "/bin/bash".into());
        assert_eq!(shells(&profile(), &ctx, &observed), [Shell::Bash, Shell::Zsh]);
        ctx.env.insert("SHELL".into(), "/opt/homebrew/bin/fish".into());
        assert_eq!(shells(&profile(), &ctx, &observed), [Shell::Zsh]);
        let linux = Context::hermetic("/h".into(), Os::Linux, Arch::Amd64, "l".into());
        assert_eq!(shells(&profile(), &linux, &observed), [Shell::Bash]);
    }
}
