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

use super::{Input, Planning, Reads, Resource, Unit, Want, unitfile};
use crate::context::Context;
use crate::formats::systemd;
use crate::probe::{FileState, Observed};
use crate::profile::{self, Problem, Profile};
use crate::resource::effect::Effect;
use crate::resource::tilde_path;

pub use unitfile::{DROPIN, dropin, user_unit_dir};

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

/// `GOMEMLIMIT "auto"` as computed: the value written and the limit it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoMemlimit {
    /// `360MiB`.
    pub value: String,
    pub limit: unitfile::MemoryLimit,
    /// The ratio, in millionths.
    pub ratio: u32,
}

/// Why `GOMEMLIMIT "auto"` cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoAuto {
    pub message: String,
    pub help: String,
}

/// `floor(ratio × min(MemoryHigh, MemoryMax))` in whole MiB, from the unit's files as observed.
pub fn auto_memlimit(
    ctx: &Context,
    observed: &Observed,
    service: &profile::Service,
) -> Result<AutoMemlimit, NoAuto> {
    let unit = &service.unit;
    let dirs = || {
        unitfile::search_path(ctx)
            .iter()
            .take(5)
            .map(|d| tilde_path(d, &ctx.home))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let set_one = format!(
        "give the unit a limit (`systemctl --user set-property {unit} MemoryMax=1G`, or a drop-in \
         with `[Service]` and `MemoryMax=1G`), or write a size such as \"512MiB\""
    );
    let limits = unitfile::resolve(ctx, observed, unit);
    let limit = match limits.memory_limit() {
        Ok(l) => l,
        Err(unitfile::NoLimit::NoUnitFile) => {
            return Err(NoAuto {
                message: format!(
                    "`GOMEMLIMIT \"auto\"` needs {unit}'s memory limit, and no user unit \
                     directory has {unit} ({}, …)",
                    dirs()
                ),
                help: format!(
                    "install the unit first (a file `~/.config/systemd/user/{unit}`), or write a \
                     size such as \"512MiB\""
                ),
            });
        }
        Err(unitfile::NoLimit::Masked(file)) => {
            return Err(NoAuto {
                message: format!(
                    "`GOMEMLIMIT \"auto\"` needs {unit}'s memory limit, and the unit is masked \
                     (`{}` is empty or a link to /dev/null)",
                    tilde_path(&file, &ctx.home)
                ),
                help: format!("unmask it (`systemctl --user unmask {unit}`), or write a size"),
            });
        }
        Err(unitfile::NoLimit::Unlimited) => {
            return Err(NoAuto {
                message: format!(
                    "`GOMEMLIMIT \"auto\"` needs {unit}'s memory limit, and it has none: \
                     MemoryHigh= and MemoryMax= are unset or infinity in its unit file and \
                     drop-ins"
                ),
                help: set_one,
            });
        }
        Err(unitfile::NoLimit::NoMemTotal(at)) => {
            return Err(NoAuto {
                message: format!(
                    "`GOMEMLIMIT \"auto\"`: {unit}'s memory limit at {} is a percentage of the \
                     physical memory, and /proc/meminfo has no MemTotal",
                    at.shown(ctx)
                ),
                help: "give the limit in bytes (`MemoryMax=1G`), or write a size".into(),
            });
        }
    };
    let bytes = u128::from(limit.bytes) * u128::from(service.memlimit_ratio) / 1_000_000;
    let mib = bytes >> 20;
    if mib == 0 {
        return Err(NoAuto {
            message: format!(
                "`GOMEMLIMIT \"auto\"`: {unit}'s {}={} at {} leaves less than 1 MiB for the Go heap",
                limit.key,
                limit.raw,
                limit.at.shown(ctx)
            ),
            help: "raise the unit's limit, or write a size".into(),
        });
    }
    Ok(AutoMemlimit { value: format!("{mib}MiB"), limit, ratio: service.memlimit_ratio })
}

pub struct Services;

impl Unit for Services {
    fn node(&self) -> &'static str {
        "service"
    }

    fn reads(&self, input: Input<'_>, reads: &mut Reads) {
        for s in &input.profile.services {
            reads.files.push(dropin(input.ctx, &s.unit));
            unitfile::reads(input.ctx, &s.unit, reads);
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
            let auto = match service.memlimit_auto() {
                None => None,
                Some(setting) => match auto_memlimit(ctx, planning.observed, service) {
                    Ok(auto) => Some(auto.value),
                    Err(why) => {
                        problems.push(
                            Problem::new(
                                setting.value.at,
                                "goenv::plan::no-memory-limit",
                                why.message,
                                "cannot be computed",
                            )
                            .help(why.help),
                        );
                        continue;
                    }
                },
            };
            let vars: Vec<(&str, &str)> = service
                .env
                .iter()
                .map(|s| match (&auto, s.key.as_str()) {
                    (Some(v), "GOMEMLIMIT") => (s.key.as_str(), v.as_str()),
                    _ => (s.key.as_str(), s.value.text.as_str()),
                })
                .collect();
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
        // A drop-in of a unit the profile no longer lists goes back to what it was (or away):
        // the manager reloads, so the unit's next start no longer sees goenv's values. It is not
        // restarted: `restart` went with the node.
        let dropped = planning.observed.managed_files.iter().any(|(path, original)| {
            unit_of_dropin(ctx, path)
                .is_some_and(|unit| !profile.services.iter().any(|s| s.unit == unit))
                && match planning.observed.get(path) {
                    FileState::Present { bytes, .. } => original.as_deref() != Some(&bytes[..]),
                    _ => original.is_some(),
                }
        });
        if !changed.is_empty() || dropped {
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

    #[test]
    fn a_managed_drop_in_the_profile_dropped_reloads_the_manager_once_it_changes() {
        let ctx = Context::hermetic("/h".into(), Os::Linux, Arch::Amd64, "box".into());
        let reloads = |text: &str, observed: &Observed| {
            let profile = crate::profile::load_str(Path::new("/p/p.kdl"), text, &ctx).unwrap();
            let desired =
                crate::units::desired(Input { profile: &profile, ctx: &ctx }, observed).unwrap();
            let ids: Vec<String> = desired
                .resources
                .iter()
                .filter(|r| r.id.kind == crate::resource::Kind::Effect)
                .map(|r| r.id.to_string())
                .collect();
            ids
        };
        let old = "/h/.config/systemd/user/old.service.d/50-goenv.conf";
        let mut observed = Observed::default().with_file(old, "[Service]\nEnvironment=\"A=1\"\n");
        observed.managed_files.insert(old.into(), None);
        assert_eq!(reloads("version 1\n", &observed), ["effect:systemd-user/daemon-reload"]);
        // Still listed and rewritten (goenv's drop-in has its header): one reload, not two.
        assert_eq!(
            reloads("version 1\nservice \"old.service\" {\n    A \"1\"\n}\n", &observed),
            ["effect:systemd-user/daemon-reload"]
        );
        // Already back to what it was before goenv: nothing to tell the manager.
        observed
            .managed_files
            .insert(old.into(), Some(b"[Service]\nEnvironment=\"A=1\"\n".to_vec()));
        assert_eq!(reloads("version 1\n", &observed), Vec::<String>::new());
        // Not a drop-in: no reload.
        let mut other = Observed::default().with_file("/h/.config/goenv/env.sh", "x\n");
        other.managed_files.insert("/h/.config/goenv/env.sh".into(), None);
        assert_eq!(reloads("version 1\n", &other), Vec::<String>::new());
    }

    fn plan(text: &str, observed: &Observed) -> Result<String, Vec<String>> {
        let ctx = Context::hermetic("/h".into(), Os::Linux, Arch::Amd64, "box".into());
        let profile = crate::profile::load_str(Path::new("/p/profile.kdl"), text, &ctx)
            .map_err(|r| r.problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>())?;
        let desired = crate::units::desired(Input { profile: &profile, ctx: &ctx }, observed)
            .map_err(|ps| ps.iter().map(|p| p.message.clone()).collect::<Vec<_>>())?;
        let path = dropin(&ctx, "api.service");
        let r = desired.resources.iter().find(|r| r.path == path).expect("the drop-in");
        let Want::File(bytes) = &r.want else { panic!("a file") };
        Ok(String::from_utf8(bytes.clone()).unwrap())
    }

    #[test]
    fn auto_takes_a_ratio_of_the_smaller_limit() {
        let observed = Observed::default().with_file(
            "/h/.config/systemd/user/api.service",
            "[Service]\nMemoryMax=1G\nMemoryHigh=800M\n",
        );
        let auto = |extra: &str| {
            plan(
                &format!(
                    "version 1\nservice \"api.service\" {{\n    GOMEMLIMIT \"auto\"{extra}\n}}\n"
                ),
                &observed,
            )
        };
        assert!(auto("").unwrap().contains("Environment=\"GOMEMLIMIT=720MiB\"\n"));
        assert!(auto(" ratio=0.5").unwrap().contains("Environment=\"GOMEMLIMIT=400MiB\"\n"));
        assert!(auto(" ratio=1").unwrap().contains("Environment=\"GOMEMLIMIT=800MiB\"\n"));
        for bad in [" ratio=0", " ratio=1.5", " ratio=\"0.9\"", " ratio=-1"] {
            let err = auto(bad).unwrap_err();
            assert!(err.iter().any(|m| m.contains("`ratio=` is the share")), "{bad}: {err:?}");
        }
        let err =
            plan("version 1\nservice \"api.service\" {\n    GOGC \"50\" ratio=0.5\n}\n", &observed)
                .unwrap_err();
        assert!(err[0].contains("`ratio=` goes with `GOMEMLIMIT \"auto\"`"), "{err:?}");
        let err = plan("version 1\nexport {\n    GOMEMLIMIT \"auto\"\n}\n", &observed).unwrap_err();
        assert!(err[0].contains("`export` has none"), "{err:?}");
        let none = Observed::default();
        let err = plan("version 1\nservice \"api.service\" {\n    GOMEMLIMIT \"auto\"\n}\n", &none)
            .unwrap_err();
        assert!(err[0].contains("no user unit directory has api.service"), "{err:?}");
        let unlimited = Observed::default()
            .with_file("/h/.config/systemd/user/api.service", "[Service]\nMemoryMax=infinity\n");
        let err =
            plan("version 1\nservice \"api.service\" {\n    GOMEMLIMIT \"auto\"\n}\n", &unlimited)
                .unwrap_err();
        assert!(err[0].contains("and it has none"), "{err:?}");
    }
}
