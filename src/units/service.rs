//! The `service` node: a systemd --user drop-in setting the Go runtime's variables for one unit.
//!
//! ```kdl
//! service "api.service" restart=#true {   // file:~/.config/systemd/user/api.service.d/50-goenv.conf
//!     GOMEMLIMIT "400MiB"
//!     GOGC "100"
//! }
//! ```
//!
//! The drop-in is owned whole: `[Service]` and one `Environment=` line per variable
//! (`formats::systemd`). It lives in `~/.config/systemd/user` (`$XDG_CONFIG_HOME`), the user's own
//! unit directory, so it applies whichever directory holds the unit file itself. Reloading the
//! manager and restarting the unit (`restart=#true`) are effects, run after the files are
//! written: when any drop-in changes, `effect:systemd-user/daemon-reload`, then
//! `effect:systemd-user/try-restart/NAME.service` for each changed unit with `restart=#true`
//! (try-restart: a unit that is not running stays stopped). [`wanted`] says which units and
//! whether each restarts.

use std::path::{Path, PathBuf};

use super::{Input, Planning, Reads, Resource, Unit, Want};
use crate::context::Context;
use crate::formats::systemd;
use crate::probe::FileState;
use crate::profile::{Problem, Profile};
use crate::resource::effect::Effect;

/// The name of goenv's drop-in inside `NAME.service.d/`.
pub const DROPIN: &str = "50-goenv.conf";

/// The user's own unit directory, where goenv's drop-ins go: `$XDG_CONFIG_HOME/systemd/user`.
pub fn user_unit_dir(ctx: &Context) -> PathBuf {
    ctx.config_home.join("systemd/user")
}

/// goenv's drop-in for `unit` (`api.service`).
pub fn dropin(ctx: &Context, unit: &str) -> PathBuf {
    user_unit_dir(ctx).join(format!("{unit}.d")).join(DROPIN)
}

/// The unit whose goenv drop-in `path` is, if it is one (`…/api.service.d/50-goenv.conf` →
/// `api.service`): what a rollback or an older generation's file names.
pub fn unit_of_dropin<'p>(ctx: &Context, path: &'p Path) -> Option<&'p str> {
    if path.file_name()? != DROPIN {
        return None;
    }
    let dir = path.parent()?;
    if dir.parent()? != user_unit_dir(ctx) {
        return None;
    }
    let unit = dir.file_name()?.to_str()?.strip_suffix(".d")?;
    unit.ends_with(".service").then_some(unit)
}

/// A unit the profile sets variables for, and what the effects step must do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// `api.service`.
    pub unit: String,
    /// `restart=#true`: `systemctl --user try-restart` after the reload.
    pub restart: bool,
    /// goenv's drop-in for it.
    pub dropin: PathBuf,
}

/// Every `service` node of the profile, in the order written.
pub fn wanted(profile: &Profile, ctx: &Context) -> Vec<Wanted> {
    profile
        .services
        .iter()
        .map(|s| Wanted { unit: s.unit.clone(), restart: s.restart, dropin: dropin(ctx, &s.unit) })
        .collect()
}

pub struct Services;

impl Unit for Services {
    fn node(&self) -> &'static str {
        "service"
    }

    fn reads(&self, input: Input<'_>, reads: &mut Reads) {
        for s in &input.profile.services {
            reads.files.push(dropin(input.ctx, &s.unit));
        }
    }

    fn wants(
        &self,
        planning: &mut Planning<'_>,
        out: &mut Vec<Resource>,
    ) -> Result<(), Vec<Problem>> {
        let Input { profile, ctx } = planning.input;
        let mut problems = Vec::new();
        // The units whose drop-in changes: the manager reloads once, then each restarts.
        let mut changed = Vec::new();
        for service in &profile.services {
            let vars: Vec<(&str, &str)> =
                service.env.iter().map(|s| (s.key.as_str(), s.value.text.as_str())).collect();
            match systemd::render_environment(&vars) {
                Ok(text) => {
                    let path = dropin(ctx, &service.unit);
                    let same = matches!(
                        planning.observed.get(&path),
                        FileState::Present { bytes, .. } if bytes == text.as_bytes()
                    );
                    if !same {
                        changed.push(service);
                    }
                    out.push(Resource::new(path, Want::File(text.into_bytes()), &ctx.home));
                }
                // The profile's checks refuse these with a location; this is the backstop.
                Err(e) => {
                    let at = service
                        .env
                        .iter()
                        .find(|s| s.key == e.key)
                        .map_or(service.at, |s| s.value.at);
                    problems.push(Problem::new(
                        at,
                        "goenv::plan::service-unrepresentable",
                        e.to_string(),
                        "here",
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        if !changed.is_empty() {
            out.push(Resource::effect(Effect::DaemonReload));
        }
        for service in changed.iter().filter(|s| s.restart) {
            out.push(Resource::effect(Effect::TryRestart { unit: service.unit.clone() }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Arch, Os};

    #[test]
    fn dropin_paths_round_trip() {
        let ctx = Context::hermetic("/h".into(), Os::Linux, Arch::Amd64, "box".into());
        let p = dropin(&ctx, "api.service");
        assert_eq!(p, Path::new("/h/.config/systemd/user/api.service.d/50-goenv.conf"));
        assert_eq!(unit_of_dropin(&ctx, &p), Some("api.service"));
        for other in [
            "/h/.config/systemd/user/api.service.d/51-goenv.conf",
            "/h/.config/systemd/user/api.socket.d/50-goenv.conf",
            "/h/.config/systemd/user.control/api.service.d/50-goenv.conf",
            "/h/.config/environment.d/50-goenv.conf",
        ] {
            assert_eq!(unit_of_dropin(&ctx, Path::new(other)), None, "{other}");
        }
    }

    #[test]
    fn a_secret_is_redacted_in_its_escaped_form() {
        let ctx = Context::hermetic("/h".into(), Os::Linux, Arch::Amd64, "box".into());
        let text = "version 1\nservice \"api.service\" {\n    TOKEN \"a%b\\\"c\" secret=#true\n}\n";
        let profile = crate::profile::load_str(Path::new("/p/profile.kdl"), text, &ctx).unwrap();
        let desired = crate::units::desired(
            Input { profile: &profile, ctx: &ctx },
            &crate::probe::Observed::default(),
        )
        .unwrap();
        let path = dropin(&ctx, "api.service");
        let r = desired.resources.iter().find(|r| r.path == path).expect("the drop-in");
        let Want::File(bytes) = &r.want else { panic!("a file") };
        let shown =
            crate::profile::secret::redact(std::str::from_utf8(bytes).unwrap(), &desired.secrets);
        assert!(shown.contains("Environment=\"TOKEN=<redacted>\""), "{shown}");
        assert_eq!(
            wanted(&profile, &ctx),
            [Wanted {
                unit: "api.service".into(),
                restart: false,
                dropin: dropin(&ctx, "api.service")
            }]
        );
    }
}
