//! What the systemd user manager makes of a service's unit files: its `MemoryHigh=`,
//! `MemoryMax=` and `CPUQuota=`, resolved from the files alone as systemd 252 resolves them.
//!
//! - The user unit search path, highest precedence first ([`search_path`]; the manager prints
//!   its own as `systemctl --user show -p UnitPath`): `~/.config/systemd/user.control`,
//!   `$XDG_RUNTIME_DIR/systemd/user.control`, `…/transient`, `…/generator.early`,
//!   `~/.config/systemd/user`, `$XDG_CONFIG_DIRS/systemd/user` (`/etc/xdg`), `/etc/systemd/user`,
//!   `$XDG_RUNTIME_DIR/systemd/user`, `/run/systemd/user`, `…/generator`,
//!   `~/.local/share/systemd/user`, `$XDG_DATA_DIRS/systemd/user` (`/usr/local/share`,
//!   `/usr/share`), `/usr/local/lib/systemd/user`, `/usr/lib/systemd/user`, `…/generator.late`.
//! - The unit file is the one in the highest directory that has it (a template `foo@.service`
//!   for an instance `foo@bar.service` that has none); an empty file or a link to `/dev/null`
//!   masks the unit.
//! - Drop-ins: `*.conf` in `NAME.service.d/` of every directory, then the template's, the
//!   dash prefixes' (`foo-.service.d/` for `foo-bar.service`) and `service.d/`; a file name
//!   found twice keeps the first (the higher directory, the more specific name), and all are
//!   applied after the unit file in file-name order, whichever directory each is in.
//! - In `[Service]`, the last valid assignment wins, an empty one resets, an invalid one is
//!   ignored (systemd warns and keeps the value before). Sizes are base 1024; a percentage is
//!   of the physical memory (`MemTotal` in `/proc/meminfo`), rounded down to whole 4 KiB pages.
//!
//! Paths outside the home are read under [`Context::sysroot`]. goenv's own drop-in is left out:
//! it sets only `Environment=`, and it is the file being planned.

use std::path::{Path, PathBuf};

use super::Reads;
use crate::context::Context;
use crate::formats::systemd::{self, Memory};
use crate::probe::{FileState, Observed};
use crate::resource::tilde_path;

/// The user unit search path of systemd 252, highest precedence first, as the machine names it.
pub fn search_path(ctx: &Context) -> Vec<PathBuf> {
    let run = ctx.runtime_dir().join("systemd");
    let list = |name: &str, default: &[&str]| -> Vec<PathBuf> {
        let from_env: Vec<PathBuf> = ctx
            .env
            .get(name)
            .map(|v| v.split(':').filter(|p| p.starts_with('/')).map(PathBuf::from).collect())
            .unwrap_or_default();
        if from_env.is_empty() { default.iter().map(PathBuf::from).collect() } else { from_env }
    };
    let data_home = ctx
        .env
        .get("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| ctx.home.join(".local/share"));
    let mut out = vec![
        ctx.config_home.join("systemd/user.control"),
        run.join("user.control"),
        run.join("transient"),
        run.join("generator.early"),
        ctx.config_home.join("systemd/user"),
    ];
    out.extend(list("XDG_CONFIG_DIRS", &["/etc/xdg"]).iter().map(|d| d.join("systemd/user")));
    out.extend([
        PathBuf::from("/etc/systemd/user"),
        run.join("user"),
        PathBuf::from("/run/systemd/user"),
        run.join("generator"),
        data_home.join("systemd/user"),
    ]);
    out.extend(
        list("XDG_DATA_DIRS", &["/usr/local/share", "/usr/share"])
            .iter()
            .map(|d| d.join("systemd/user")),
    );
    out.extend([
        PathBuf::from("/usr/local/lib/systemd/user"),
        PathBuf::from("/usr/lib/systemd/user"),
        run.join("generator.late"),
    ]);
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.clone()));
    out
}

/// `foo@.service` for the instance `foo@bar.service`.
fn template_of(unit: &str) -> Option<String> {
    let (prefix, rest) = unit.split_once('@')?;
    let (instance, suffix) = rest.rsplit_once('.')?;
    (!instance.is_empty()).then(|| format!("{prefix}@.{suffix}"))
}

/// The drop-in directory names systemd looks for in one search directory, in its order
/// (`unit_file_find_dirs`): the unit's, its template's, then its dash prefixes'.
fn dropin_names(unit: &str, out: &mut Vec<String>) {
    out.push(format!("{unit}.d"));
    let Some((stem, suffix)) = unit.rsplit_once('.') else { return };
    let instance = stem.split_once('@').map(|(_, i)| i).filter(|i| !i.is_empty());
    if let Some(t) = template_of(unit) {
        dropin_names(&t, out);
    }
    if stem == "service" {
        return;
    }
    let mut prefix = stem.split_once('@').map_or(stem, |(p, _)| p).to_owned();
    let mut chopped = false;
    loop {
        let Some(dash) = prefix.rfind('-') else { return };
        if dash == 0 {
            return;
        }
        if dash + 1 != prefix.len() || chopped {
            prefix.truncate(dash + 1);
            break;
        }
        prefix.truncate(dash);
        chopped = true;
    }
    let built = match instance {
        Some(i) => format!("{prefix}@{i}.{suffix}"),
        None => format!("{prefix}.{suffix}"),
    };
    dropin_names(&built, out);
}

/// Every drop-in directory of `unit`, in systemd's order, as the machine names them.
fn dropin_dirs(ctx: &Context, unit: &str) -> Vec<PathBuf> {
    let path = search_path(ctx);
    let mut names = Vec::new();
    dropin_names(unit, &mut names);
    let mut out = Vec::new();
    for dir in &path {
        out.extend(names.iter().map(|n| dir.join(n)));
    }
    out.extend(path.iter().map(|dir| dir.join("service.d")));
    out
}

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

/// The physical memory file.
const MEMINFO: &str = "/proc/meminfo";

/// What resolving `unit` reads: the unit file (and its template) in every directory, every
/// drop-in directory's `*.conf`, and `/proc/meminfo`.
pub fn reads(ctx: &Context, unit: &str, reads: &mut Reads) {
    let template = template_of(unit);
    for dir in search_path(ctx) {
        reads.files.push(ctx.real(&dir.join(unit)));
        if let Some(t) = &template {
            reads.files.push(ctx.real(&dir.join(t)));
        }
    }
    reads.listed.extend(dropin_dirs(ctx, unit).iter().map(|d| ctx.real(d)));
    reads.files.push(ctx.real(Path::new(MEMINFO)));
    reads.files.push(ctx.real(&subtree_control(ctx)));
}

/// The user manager's `cgroup.subtree_control` (cgroup v2): the controllers its units get.
pub fn subtree_control(ctx: &Context) -> PathBuf {
    let uid = ctx.uid;
    PathBuf::from(format!(
        "/sys/fs/cgroup/user.slice/user-{uid}.slice/user@{uid}.service/cgroup.subtree_control"
    ))
}

/// Where a setting was made: a file as the machine names it, and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub path: PathBuf,
    pub line: usize,
}

impl Origin {
    /// `~/.config/systemd/user/api.service.d/limits.conf:3`.
    pub fn shown(&self, ctx: &Context) -> String {
        format!("{}:{}", tilde_path(&self.path, &ctx.home), self.line)
    }
}

/// One resolved setting: its value as written (`512M`, `50%`) and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned<T> {
    pub value: T,
    pub raw: String,
    pub at: Origin,
}

/// What the manager will run `unit` with, as far as goenv's findings and `"auto"` care.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitLimits {
    /// The unit file, as the machine names it; `None` when no directory has one.
    pub file: Option<PathBuf>,
    /// The unit file is empty or a link to `/dev/null`: the unit is masked.
    pub masked: bool,
    /// The effective drop-ins, in the order they apply.
    pub dropins: Vec<PathBuf>,
    /// The last assignment of each (`None`: never set, or reset by an empty one: infinity).
    pub memory_max: Option<Assigned<Memory>>,
    pub memory_high: Option<Assigned<Memory>>,
    /// `CPUQuota=` in hundredths of a percent (`150%` is 15000).
    pub cpu_quota: Option<Assigned<u64>>,
    /// `MemTotal` in bytes, when `/proc/meminfo` could be read.
    pub mem_total: Option<u64>,
}

/// The limit GOMEMLIMIT must stay under: the smaller of MemoryHigh= and MemoryMax=.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryLimit {
    pub bytes: u64,
    /// `MemoryHigh` or `MemoryMax`.
    pub key: &'static str,
    pub raw: String,
    pub at: Origin,
}

/// Why a unit's memory limit cannot be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoLimit {
    /// No unit file in any directory.
    NoUnitFile,
    Masked(PathBuf),
    /// MemoryHigh= and MemoryMax= are both infinity (unset).
    Unlimited,
    /// A percentage, and `/proc/meminfo` says no MemTotal.
    NoMemTotal(Origin),
}

impl UnitLimits {
    /// The smaller of MemoryHigh= and MemoryMax= in bytes, and where it was set.
    pub fn memory_limit(&self) -> Result<MemoryLimit, NoLimit> {
        match (&self.file, self.masked) {
            (None, _) => return Err(NoLimit::NoUnitFile),
            (Some(f), true) => return Err(NoLimit::Masked(f.clone())),
            _ => {}
        }
        let mut best: Option<MemoryLimit> = None;
        for (key, a) in [("MemoryHigh", &self.memory_high), ("MemoryMax", &self.memory_max)] {
            let Some(a) = a else { continue };
            let bytes = match (a.value, self.mem_total) {
                (Memory::Infinity, _) => continue,
                (Memory::Bytes(b), _) => b,
                (m, Some(total)) => match m.bytes(total) {
                    Some(b) => b,
                    None => continue,
                },
                (_, None) => return Err(NoLimit::NoMemTotal(a.at.clone())),
            };
            if best.as_ref().is_none_or(|b| bytes < b.bytes) {
                best = Some(MemoryLimit { bytes, key, raw: a.raw.clone(), at: a.at.clone() });
            }
        }
        best.ok_or(NoLimit::Unlimited)
    }

    /// The CPUs `CPUQuota=` allows, rounded up (`150%` → 2), as Go's own default would count it.
    pub fn quota_cpus(&self) -> Option<u64> {
        self.cpu_quota.as_ref().map(|q| q.value.div_ceil(10000).max(1))
    }
}

/// Resolves `unit` from what was read ([`reads`]).
pub fn resolve(ctx: &Context, observed: &Observed, unit: &str) -> UnitLimits {
    let mut out = UnitLimits {
        mem_total: observed.get(&ctx.real(Path::new(MEMINFO))).bytes().and_then(mem_total),
        ..UnitLimits::default()
    };
    let path = search_path(ctx);
    let template = template_of(unit);
    let found = |name: &str| {
        path.iter().map(|d| d.join(name)).find(|p| {
            !matches!(observed.get(&ctx.real(p)), FileState::Absent | FileState::Dangling { .. })
        })
    };
    let Some(file) = found(unit).or_else(|| template.as_deref().and_then(found)) else {
        return out;
    };
    let mut files: Vec<(PathBuf, &[u8])> = Vec::new();
    match observed.get(&ctx.real(&file)) {
        FileState::Present { bytes, .. } if !bytes.is_empty() => files.push((file.clone(), bytes)),
        _ => out.masked = true,
    }
    out.file = Some(file);
    if out.masked {
        return out;
    }
    // Drop-ins: the first directory with a name wins it; then by name.
    let own = dropin(ctx, unit);
    let mut dropins: Vec<(&str, PathBuf)> = Vec::new();
    for dir in dropin_dirs(ctx, unit) {
        for name in observed.listing(&ctx.real(&dir)) {
            if !dropins.iter().any(|(n, _)| *n == name.as_str()) {
                dropins.push((name.as_str(), dir.join(name)));
            }
        }
    }
    dropins.sort_by(|a, b| a.0.cmp(b.0));
    for (_, p) in dropins {
        if p == own {
            continue;
        }
        // A drop-in that is not a readable file (a link to /dev/null) masks the lower ones.
        if let Some(bytes) = observed.get(&ctx.real(&p)).bytes() {
            files.push((p.clone(), bytes));
        }
        out.dropins.push(p);
    }
    for (p, bytes) in files {
        for a in systemd::assignments(bytes) {
            if a.section != "Service" {
                continue;
            }
            let at = Origin { path: p.clone(), line: a.line };
            fn assigned<T>(value: T, raw: &str, at: &Origin) -> Assigned<T> {
                Assigned { value, raw: raw.to_owned(), at: at.clone() }
            }
            match a.key.as_str() {
                "MemoryMax" | "MemoryHigh" => {
                    let Some(m) = systemd::parse_memory(&a.value) else { continue };
                    let slot = if a.key == "MemoryMax" {
                        &mut out.memory_max
                    } else {
                        &mut out.memory_high
                    };
                    *slot = (m != Memory::Infinity).then(|| assigned(m, &a.value, &at));
                }
                "CPUQuota" if a.value.is_empty() => out.cpu_quota = None,
                "CPUQuota" => {
                    if let Some(q) = cpu_quota(&a.value) {
                        out.cpu_quota = Some(assigned(q, &a.value, &at));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// `CPUQuota=150%` in hundredths of a percent (`parse_permyriad_unbounded`); 0 is invalid.
fn cpu_quota(value: &str) -> Option<u64> {
    let n = value.strip_suffix('%')?;
    let (int, frac) = n.split_once('.').unwrap_or((n, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (n.contains('.') && frac.is_empty()) {
        return None;
    }
    let q: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    let v = int.parse::<u64>().ok()?.checked_mul(100)?.checked_add(q)?;
    (v > 0 && v <= i32::MAX as u64).then_some(v)
}

/// `MemTotal:  16384000 kB` in bytes.
fn mem_total(bytes: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    let kb = line.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()?;
    kb.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Arch, Os};

    fn ctx() -> Context {
        let mut c = Context::hermetic("/h".into(), Os::Linux, Arch::Amd64, "box".into());
        c.uid = 1000;
        c.sysroot = "/".into();
        c
    }

    #[test]
    fn the_search_path_is_systemd_252s() {
        let shown: Vec<String> =
            search_path(&ctx()).iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            shown,
            [
                "/h/.config/systemd/user.control",
                "/run/user/1000/systemd/user.control",
                "/run/user/1000/systemd/transient",
                "/run/user/1000/systemd/generator.early",
                "/h/.config/systemd/user",
                "/etc/xdg/systemd/user",
                "/etc/systemd/user",
                "/run/user/1000/systemd/user",
                "/run/systemd/user",
                "/run/user/1000/systemd/generator",
                "/h/.local/share/systemd/user",
                "/usr/local/share/systemd/user",
                "/usr/share/systemd/user",
                "/usr/local/lib/systemd/user",
                "/usr/lib/systemd/user",
                "/run/user/1000/systemd/generator.late",
            ]
        );
    }

    #[test]
    fn dropin_names_follow_templates_and_dashes() {
        let names = |u: &str| {
            let mut v = Vec::new();
            dropin_names(u, &mut v);
            v
        };
        assert_eq!(names("api.service"), ["api.service.d"]);
        assert_eq!(names("a-b-c.service"), ["a-b-c.service.d", "a-b-.service.d", "a-.service.d"]);
        assert_eq!(names("w@1.service"), ["w@1.service.d", "w@.service.d"]);
        assert_eq!(
            names("a-b@i.service"),
            [
                "a-b@i.service.d",
                "a-b@.service.d",
                "a-.service.d",
                "a-@i.service.d",
                "a-@.service.d"
            ]
        );
        assert_eq!(names("-x.service"), ["-x.service.d"]);
    }

    fn limits(files: &[(&str, &str)], listings: &[(&str, &[&str])]) -> UnitLimits {
        let mut o = Observed::default().with_file("/proc/meminfo", "MemTotal:  1000000 kB\n");
        for (p, t) in files {
            o = o.with_file(*p, *t);
        }
        for (d, names) in listings {
            o = o.with_listing(*d, names);
        }
        resolve(&ctx(), &o, "api.service")
    }

    #[test]
    fn the_last_assignment_wins_across_directories_in_name_order() {
        let l = limits(
            &[
                ("/usr/lib/systemd/user/api.service", "[Service]\nMemoryMax=1G\nExecStart=/x\n"),
                ("/h/.config/systemd/user/api.service.d/10-a.conf", "[Service]\nMemoryMax=512M\n"),
                ("/usr/lib/systemd/user/api.service.d/20-b.conf", "[Service]\nMemoryHigh=300M\n"),
                ("/usr/lib/systemd/user/api.service.d/10-a.conf", "[Service]\nMemoryMax=10M\n"),
                ("/h/.config/systemd/user/api.service.d/50-goenv.conf", "[Service]\nMemoryMax=1\n"),
            ],
            &[
                ("/h/.config/systemd/user/api.service.d", &["10-a.conf", "50-goenv.conf"]),
                ("/usr/lib/systemd/user/api.service.d", &["10-a.conf", "20-b.conf"]),
            ],
        );
        assert_eq!(l.file.as_deref(), Some(Path::new("/usr/lib/systemd/user/api.service")));
        let max = l.memory_max.clone().unwrap();
        assert_eq!((max.value, max.at.line), (Memory::Bytes(512 << 20), 2));
        assert_eq!(max.at.path, Path::new("/h/.config/systemd/user/api.service.d/10-a.conf"));
        let limit = l.memory_limit().unwrap();
        assert_eq!((limit.bytes, limit.key), (300 << 20, "MemoryHigh"));
        assert_eq!(limit.at.shown(&ctx()), "/usr/lib/systemd/user/api.service.d/20-b.conf:2");
    }

    #[test]
    fn resets_infinity_percentages_and_masks() {
        let base = ("/h/.config/systemd/user/api.service", "[Service]\nMemoryMax=1G\n");
        let dir = "/h/.config/systemd/user.control/api.service.d";
        let reset = limits(
            &[
                base,
                ("/h/.config/systemd/user.control/api.service.d/x.conf", "[Service]\nMemoryMax=\n"),
            ],
            &[(dir, &["x.conf"])],
        );
        assert_eq!(reset.memory_limit(), Err(NoLimit::Unlimited));
        let pct = limits(
            &[
                base,
                (
                    "/h/.config/systemd/user.control/api.service.d/x.conf",
                    "[Service]\nMemoryMax=50%\n",
                ),
            ],
            &[(dir, &["x.conf"])],
        );
        assert_eq!(
            pct.memory_limit().unwrap().bytes,
            1_000_000 * 1024 / 4096 * 5000 / 10000 * 4096
        );
        let invalid = limits(
            &[
                base,
                (
                    "/h/.config/systemd/user.control/api.service.d/x.conf",
                    "[Service]\nMemoryMax=lots\n",
                ),
            ],
            &[(dir, &["x.conf"])],
        );
        assert_eq!(invalid.memory_limit().unwrap().bytes, 1 << 30);
        let masked = limits(&[("/h/.config/systemd/user/api.service", "")], &[]);
        assert!(matches!(masked.memory_limit(), Err(NoLimit::Masked(_))));
        assert_eq!(limits(&[], &[]).memory_limit(), Err(NoLimit::NoUnitFile));
        let quota =
            limits(&[("/h/.config/systemd/user/api.service", "[Service]\nCPUQuota=150%\n")], &[]);
        assert_eq!(quota.quota_cpus(), Some(2));
    }

    #[test]
    fn cpu_quota_parses_as_systemd() {
        assert_eq!(cpu_quota("150%"), Some(15000));
        assert_eq!(cpu_quota("12.5%"), Some(1250));
        assert_eq!(cpu_quota("12.25%"), Some(1225));
        for bad in ["0%", "150", "1.234%", "x%", "-5%", "1.%"] {
            assert_eq!(cpu_quota(bad), None, "{bad}");
        }
    }
}
