//! Findings about Go services run by the systemd user manager, and the runtime values that hurt
//! them wherever they are set:
//!
//! ```kdl
//! service "api.service" { GOMEMLIMIT "auto" }   // gomemlimit-from-unit: where the limit came from
//! service "api.service" { GOMEMLIMIT "2GiB" }   // gomemlimit-at-unit-limit, when MemoryMax=1G
//! service "api.service" { GOGC "off" }          // gogc-off-without-memlimit
//! service "api.service" { GOMAXPROCS "8" }      // gomaxprocs-above-cpu-quota, when CPUQuota=200%
//! service "api.service" { … }                   // service-unit-missing, memory-not-delegated
//! export { GOGC "off" }                         // gogc-off-without-memlimit, for every program
//! ```
//!
//! Pure: the unit files, `/proc/meminfo` and the user manager's `cgroup.subtree_control` as the
//! `service` unit asked them read (`units::unitfile`).

use std::path::PathBuf;

use super::{Code, Finding, Input, Severity};
use crate::context::{Context, Os};
use crate::probe::Observed;
use crate::profile::govalue::parse_byte_count;
use crate::profile::{Profile, Service, Setting};
use crate::resource::tilde_path;
use crate::units::{service, unitfile};

pub fn findings(input: Input<'_>, out: &mut Vec<Finding>) {
    let Some(profile) = input.profile else { return };
    let Input { ctx, observed, .. } = input;
    gogc_off_without_memlimit(profile, "`export`", &profile.export, out);
    let mut limited_units = Vec::new();
    for s in &profile.services {
        let block = format!("`service \"{}\"`", s.unit);
        gogc_off_without_memlimit(profile, &block, &s.env, out);
        if ctx.os != Os::Linux {
            continue;
        }
        let limits = unitfile::resolve(ctx, observed, &s.unit);
        if limits.file.is_none() {
            unit_missing(profile, ctx, s, out);
            continue;
        }
        let get = |k: &str| s.env.iter().find(|e| e.key == k);
        let auto = s.memlimit_auto().is_some();
        if auto && let Ok(a) = service::auto_memlimit(ctx, observed, s) {
            let ratio = f64::from(a.ratio) / 1e6;
            let message = format!(
                "`GOMEMLIMIT \"auto\"` for {} is {}: {ratio} × {}={} ({}), set at {}",
                s.unit,
                a.value,
                a.limit.key,
                a.limit.raw,
                bytes(a.limit.bytes),
                a.limit.at.shown(ctx)
            );
            out.push(
                Finding::new(Severity::Info, Code::GomemlimitFromUnit, message)
                    .at(a.limit.at.path.clone(), Some(a.limit.at.line)),
            );
        }
        if let Some(setting) = get("GOMEMLIMIT").filter(|_| !auto)
            && let Some(limit) = parse_byte_count(&setting.value.text)
            && let Ok(unit) = limits.memory_limit()
            && u64::try_from(limit).is_ok_and(|l| l >= unit.bytes)
        {
            let message = format!(
                "`GOMEMLIMIT` \"{}\" in {block} is at or above the unit's own limit, {}={} ({}, \
                 at {}): the kernel stops the service before Go's collector tries to stay under \
                 it",
                setting.value.text,
                unit.key,
                unit.raw,
                bytes(unit.bytes),
                unit.at.shown(ctx)
            );
            let help = format!(
                "write `GOMEMLIMIT \"auto\"` (90% of the unit's limit), or a size below {}",
                bytes(unit.bytes)
            );
            out.push(at(
                profile,
                setting,
                Finding::new(Severity::Error, Code::GomemlimitAtUnitLimit, message).help(help),
            ));
        }
        if let Some(setting) = get("GOMAXPROCS")
            && let Ok(n) = setting.value.text.parse::<u64>()
            && let (Some(cpus), Some(q)) = (limits.quota_cpus(), &limits.cpu_quota)
            && n > cpus
        {
            let message = format!(
                "`GOMAXPROCS` \"{n}\" in {block} is above the {cpus} CPU{} the unit's \
                 CPUQuota={} allows (at {}): the extra threads only wait for the quota, and \
                 latency suffers",
                if cpus == 1 { "" } else { "s" },
                q.raw,
                q.at.shown(ctx)
            );
            let help = format!(
                "write `GOMAXPROCS \"{cpus}\"`, or remove it: Go 1.25 and later default to the \
                 CPU quota themselves"
            );
            out.push(at(
                profile,
                setting,
                Finding::new(Severity::Warning, Code::GomaxprocsAboveCpuQuota, message).help(help),
            ));
        }
        let limited = auto || get("GOMEMLIMIT").is_some() || limits.memory_limit().is_ok();
        if limited {
            limited_units.push(s.unit.as_str());
        }
    }
    if !limited_units.is_empty()
        && let Some(missing) = memory_not_delegated(ctx, observed)
    {
        let message = format!(
            "the user manager's cgroup has no memory controller (`{}` does not list `memory`), \
             so the memory limits of {} are not enforced",
            tilde_path(&missing, &ctx.home),
            limited_units.join(", ")
        );
        let help = "delegate it: a drop-in for `user@.service` with `[Service]` and \
                    `Delegate=cpu cpuset io memory pids`, then `systemctl daemon-reload` and a new \
                    login (see systemd.resource-control(5))";
        out.push(
            Finding::new(Severity::Warning, Code::MemoryNotDelegated, message)
                .help(help.into())
                .at(missing, None),
        );
    }
}

/// `536870912 bytes = 512 MiB`: what a limit is, in both units.
fn bytes(n: u64) -> String {
    if n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes, {:.1} MiB", n as f64 / f64::from(1u32 << 20))
    }
}

/// The profile file and line of a setting's value.
fn at(profile: &Profile, s: &Setting, finding: Finding) -> Finding {
    let file = profile.sources.get(s.value.at.file);
    let (line, _) = file.line_col(s.value.at.offset);
    finding.at(file.path.clone(), Some(line))
}

/// `service-unit-missing`: the drop-in is for a unit no directory has.
fn unit_missing(profile: &Profile, ctx: &Context, s: &Service, out: &mut Vec<Finding>) {
    let file = profile.sources.get(s.at.file);
    let (line, _) = file.line_col(s.at.offset);
    let own = tilde_path(&unitfile::search_path(ctx)[4].join(&s.unit), &ctx.home);
    let message = format!(
        "no user unit directory has {}: goenv's drop-in sets its environment, and does nothing \
         until a unit of that name is installed",
        s.unit
    );
    let help = format!(
        "install the unit (for example `{own}`, then `systemctl --user daemon-reload`), or check \
         the name against `systemctl --user list-unit-files`"
    );
    out.push(
        Finding::new(Severity::Warning, Code::ServiceUnitMissing, message)
            .help(help)
            .at(file.path.clone(), Some(line)),
    );
}

/// `gogc-off-without-memlimit`: with the collector off and no GOMEMLIMIT, the heap only grows.
fn gogc_off_without_memlimit(
    profile: &Profile,
    block: &str,
    env: &[Setting],
    out: &mut Vec<Finding>,
) {
    let Some(gogc) = env.iter().find(|s| s.key == "GOGC") else { return };
    let off = gogc.value.text == "off" || gogc.value.text.parse::<i32>().is_ok_and(|n| n < 0);
    let memlimit = env
        .iter()
        .find(|s| s.key == "GOMEMLIMIT")
        .is_some_and(|s| !matches!(s.value.text.as_str(), "" | "off"));
    if !off || memlimit {
        return;
    }
    let message = format!(
        "`GOGC` \"{}\" in {block} turns the garbage collector off, and {block} sets no \
         GOMEMLIMIT: the heap grows until the program is killed for running out of memory",
        gogc.value.text
    );
    let help = if block.starts_with("`service") {
        "add `GOMEMLIMIT \"auto\"` (90% of the unit's memory limit), or remove `GOGC`"
    } else {
        "add a GOMEMLIMIT such as \"1GiB\", or remove `GOGC`: every Go program you start gets it"
    };
    out.push(at(
        profile,
        gogc,
        Finding::new(Severity::Warning, Code::GogcOffWithoutMemlimit, message).help(help.into()),
    ));
}

/// The subtree_control file when it exists and lacks `memory` (cgroup v2 without delegation).
fn memory_not_delegated(ctx: &Context, observed: &Observed) -> Option<PathBuf> {
    let path = unitfile::subtree_control(ctx);
    let bytes = observed.get(&ctx.real(&path)).bytes()?;
    let text = String::from_utf8_lossy(bytes);
    (!text.split_whitespace().any(|c| c == "memory")).then_some(path)
}
