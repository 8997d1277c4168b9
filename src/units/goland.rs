//! The `goland` node: the Delve GoLand starts and the Go SDK it knows, in each GoLand
//! configuration directory goenv manages.
//!
//! ```kdl
//! go "1.22.10"
//! delve install="v1.23.1"   // goland's dlv defaults to this path
//! goland {
//!     config "~/.config/JetBrains/GoLand2025.1"   // default: every GoLand<YYYY.N> there is
//!     dlv "~/go/bin/dlv"
//! }
//! ```
//!
//! Per configuration directory (`~/.config/JetBrains/GoLand<YYYY.N>` on Linux,
//! `~/Library/Application Support/JetBrains/GoLand<YYYY.N>` on macOS):
//!
//! - `idea.properties` (Help | Edit Custom Properties) gets a marker block with
//!   `dlv.path=<path>`, escaped as `java.util.Properties` reads it
//!   ([`properties`](crate::formats::properties)); every other line stays as it was;
//! - `options/go.sdk.xml` gets the active SDK (the `go` node's `current` link, as GoLand spells
//!   it: `$USER_HOME$/sdk/current`) in its `GoSdkList`; removed again when no longer wanted,
//!   the rest of the file kept byte for byte ([`gosdk`](crate::formats::gosdk)).
//!
//! GoLand writes its options back from memory when it exits, so a directory GoLand is running
//! with (its `.lock`, or `port.lock` before 2023.1) stops the plan: nothing is changed. A `.lock`
//! holds GoLand's PID: on Linux, one naming a process that no longer runs (GoLand crashed) does
//! not stop it (the `goland-stale-lock` finding says so). Pure: the probe reads the files and
//! `/proc`; nothing here writes or starts a process.

use std::path::{Path, PathBuf};

use super::{Input, Planning, Reads, Resource, Unit, Want};
use crate::context::{Context, Os};
use crate::formats::gosdk::{self, XmlError};
use crate::formats::{block, properties};
use crate::probe::Observed;
use crate::profile::{Problem, Profile};

/// The files of a configuration directory goenv edits or looks at.
pub const PROPERTIES: &str = "idea.properties";
pub const SDK_XML: &str = "options/go.sdk.xml";
/// The lock GoLand 2023.1+ holds in its configuration directory (its PID), and the older one.
pub const LOCKS: [&str; 2] = [".lock", "port.lock"];

/// The `goland` node.
pub struct Goland;

impl Unit for Goland {
    fn node(&self) -> &'static str {
        "goland"
    }

    fn reads(&self, input: Input<'_>, reads: &mut Reads) {
        let Some(node) = input.profile.goland.as_ref() else { return };
        let files: Vec<&'static str> = [PROPERTIES, SDK_XML].into_iter().chain(LOCKS).collect();
        if node.configs.is_empty() {
            reads.subdirs.push(crate::probe::Subdirs { dir: jetbrains_dir(input.ctx), files });
        } else {
            for c in &node.configs {
                for f in &files {
                    reads.files.push(Path::new(&c.text).join(f));
                }
            }
        }
    }

    fn then(&self, input: Input<'_>, observed: &Observed, then: &mut super::Then) {
        for config in configs(input.profile, input.ctx, observed) {
            then.processes.extend(lock_pid(&config, observed));
        }
    }

    fn wants(
        &self,
        planning: &mut Planning<'_>,
        out: &mut Vec<Resource>,
    ) -> Result<(), Vec<Problem>> {
        let Input { profile, ctx } = planning.input;
        let Some(node) = profile.goland.as_ref() else { return Ok(()) };
        let dlv = dlv(profile, ctx);
        let dlv_text = dlv.to_string_lossy().into_owned();
        let mut problems = Vec::new();
        if dlv.to_str().is_none() || dlv_text.contains("${") {
            problems.push(
                Problem::new(
                    node.at,
                    "goenv::plan::goland-dlv-path",
                    format!(
                        "GoLand cannot be given the Delve at `{}`: it reads `idea.properties` as \
                         UTF-8 and expands `${{…}}` in it",
                        dlv.display()
                    ),
                    "this Delve",
                )
                .help("name a Delve whose path is UTF-8 without `${`: `goland { dlv \"~/go/bin/dlv\" }`"),
            );
        }
        let sdk = planning
            .go
            .as_ref()
            .filter(|g| g.active.is_some())
            .map(|g| gosdk::spelled(&g.link().to_string_lossy(), &ctx.home.to_string_lossy()));
        for config in configs(profile, ctx, planning.observed) {
            let shown = crate::resource::tilde_path(&config, &ctx.home);
            if let Some(lock) = running(&config, planning.observed) {
                problems.push(
                    Problem::new(
                        node.at,
                        "goenv::plan::goland-running",
                        format!(
                            "GoLand is running with `{shown}` (its lock `{}` is there): it writes \
                             its options back when it exits, over goenv's",
                            lock.file_name().unwrap_or_default().to_string_lossy()
                        ),
                        "manages that directory",
                    )
                    .help(format!(
                        "quit GoLand, then run goenv again; if GoLand is not running, it crashed \
                         and left `{}`: start and quit GoLand once, or delete that file",
                        crate::resource::tilde_path(&lock, &ctx.home)
                    )),
                );
                continue;
            }
            let props = config.join(PROPERTIES);
            let current = planning.observed.get(&props).bytes().unwrap_or_default();
            let before_block = match block::find(current) {
                Ok(Some(r)) => &current[..r.start],
                _ => current,
            };
            if let Some(line) = properties::read(before_block).open_continuation {
                problems.push(
                    Problem::new(
                        node.at,
                        "goenv::plan::goland-properties-continuation",
                        format!(
                            "`{}` ends in a `\\` continuation (the value starting at line \
                             {line}): a line goenv appends would become part of that value",
                            crate::resource::tilde_path(&props, &ctx.home)
                        ),
                        "writes there",
                    )
                    .help("end that value (remove the final `\\`, or add an empty line after it)"),
                );
                continue;
            }
            let body = format!(
                "# Managed by goenv: the Delve GoLand starts (restart GoLand to use it).\n\
                 dlv.path={}",
                properties::escape_value(&dlv_text)
            );
            out.push(Resource::new(
                props,
                Want::Block { body, placement: block::Placement::Bottom },
                &ctx.home,
            ));
            if let Some(sdk) = &sdk {
                out.push(Resource::new(config.join(SDK_XML), Want::Xml(sdk.clone()), &ctx.home));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}

/// Where JetBrains IDEs keep their configuration directories on this OS.
pub fn jetbrains_dir(ctx: &Context) -> PathBuf {
    match ctx.os {
        Os::Linux => ctx.config_home.join("JetBrains"),
        Os::Macos => ctx.home.join("Library/Application Support/JetBrains"),
    }
}

/// Whether `name` is a GoLand configuration directory's: `GoLand<YYYY.N>`.
pub fn is_config_name(name: &str) -> bool {
    let Some(v) = name.strip_prefix("GoLand") else { return false };
    let Some((year, minor)) = v.split_once('.') else { return false };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && !minor.is_empty()
        && minor.bytes().all(|b| b.is_ascii_digit())
}

/// The configuration directories the node manages: those it names, else every
/// `GoLand<YYYY.N>` found.
pub fn configs(profile: &Profile, ctx: &Context, observed: &Observed) -> Vec<PathBuf> {
    let Some(node) = profile.goland.as_ref() else { return Vec::new() };
    if !node.configs.is_empty() {
        return node.configs.iter().map(|c| PathBuf::from(&c.text)).collect();
    }
    let dir = jetbrains_dir(ctx);
    observed.subdir_names(&dir).iter().filter(|n| is_config_name(n)).map(|n| dir.join(n)).collect()
}

/// The Delve GoLand is pointed at: the node's `dlv`, else the `delve` node's path, else
/// GOBIN's `dlv`.
pub fn dlv(profile: &Profile, ctx: &Context) -> PathBuf {
    profile
        .goland
        .as_ref()
        .and_then(|g| g.dlv.as_ref())
        .map(|d| PathBuf::from(&d.text))
        .or_else(|| super::delve::dlv_path(profile, ctx))
        .unwrap_or_else(|| Path::new(&super::gobin(profile, ctx)).join("dlv"))
}

/// The lock showing GoLand runs with `config`, if there is one: a `.lock` whose process is
/// known not to run (see [`stale_lock`]) is not.
pub fn running(config: &Path, observed: &Observed) -> Option<PathBuf> {
    let stale = stale_lock(config, observed).map(|(lock, _)| lock);
    LOCKS
        .iter()
        .map(|l| config.join(l))
        .find(|p| observed.get(p).exists() && stale.as_ref() != Some(p))
}

/// `config`'s `.lock` and the PID in it, when that process is known not to run: what a crashed
/// GoLand leaves (it removes the file when it exits, and at its next start).
pub fn stale_lock(config: &Path, observed: &Observed) -> Option<(PathBuf, u32)> {
    let pid = lock_pid(config, observed)?;
    (observed.running.get(&pid) == Some(&false)).then(|| (config.join(LOCKS[0]), pid))
}

/// The PID GoLand wrote into `config`'s `.lock` (its only content), if it reads as one.
fn lock_pid(config: &Path, observed: &Observed) -> Option<u32> {
    let crate::probe::FileState::Present { bytes, .. } = observed.get(&config.join(LOCKS[0]))
    else {
        return None;
    };
    std::str::from_utf8(bytes).ok()?.trim().parse().ok().filter(|&pid| pid > 0)
}

/// Whether `value` (as written in `go.sdk.xml`) is one goenv wrote: it names `wanted` or one of
/// the SDK links goenv manages, and was not in the file before goenv first touched it.
fn goenv_wrote(
    value: &str,
    wanted: Option<&str>,
    links: &[PathBuf],
    home: &Path,
    original: &[String],
) -> bool {
    if original.iter().any(|o| o == value) {
        return false;
    }
    let path = gosdk::expand(value, &home.to_string_lossy());
    wanted == Some(value) || links.iter().any(|l| Path::new(&path) == l)
}

/// `go.sdk.xml` after goenv's edit: `wanted` registered, or (`None`) goenv's entries taken out.
/// For a file goenv managed before (`earlier`: `Some(original)`, `original` `None` when goenv
/// created it), an entry goenv no longer wants goes, and when nothing else changed the original
/// bytes come back exactly (or no file, when goenv had created it).
pub fn sdk_after(
    current: Option<&[u8]>,
    wanted: Option<&str>,
    earlier: Option<Option<&[u8]>>,
    links: &[PathBuf],
    home: &Path,
) -> Result<Option<Vec<u8>>, XmlError> {
    let original_values: Vec<String> = match earlier.flatten() {
        Some(o) => {
            gosdk::entries(o).map(|e| e.into_iter().map(|e| e.value).collect()).unwrap_or_default()
        }
        None => Vec::new(),
    };
    let stale = |v: &str| Some(v) != wanted && goenv_wrote(v, None, links, home, &original_values);
    let Some(text) = current else {
        return match wanted {
            Some(w) => gosdk::add(None, w).map(Some),
            None => Ok(None),
        };
    };
    let cleaned = if earlier.is_some() { gosdk::remove(text, stale)? } else { text.to_vec() };
    let Some(w) = wanted else {
        if let Some(original) = earlier {
            // The file is the original with goenv's entries in it: give back the original.
            let removed: Vec<String> =
                gosdk::entries(text)?.into_iter().map(|e| e.value).filter(|v| stale(v)).collect();
            let mut again = original.map(<[u8]>::to_vec);
            for v in &removed {
                again = gosdk::add(again.as_deref(), v).ok();
            }
            if !removed.is_empty() && again.as_deref() == Some(text) {
                return Ok(original.map(<[u8]>::to_vec));
            }
        }
        return Ok(Some(cleaned));
    };
    gosdk::add(Some(&cleaned), w).map(Some)
}

/// The SDKs a `go.sdk.xml` lists, as one comparable value (`None` when it cannot be read).
pub fn owned(text: &[u8]) -> Option<String> {
    let mut values: Vec<String> = gosdk::entries(text).ok()?.into_iter().map(|e| e.value).collect();
    values.sort();
    Some(values.join("\n"))
}

/// `current` with the SDK list as in `wanted` and every other byte as it is now: what a
/// rollback puts back. `None` when either cannot be read or is absent: the caller restores
/// `wanted` whole.
pub fn put_back(current: Option<&[u8]>, wanted: Option<&[u8]>) -> Option<Vec<u8>> {
    let (now, want) = (current?, wanted?);
    if now == want {
        return Some(want.to_vec());
    }
    let wanted_values: Vec<String> =
        gosdk::entries(want).ok()?.into_iter().map(|e| e.value).collect();
    let now_values: Vec<String> = gosdk::entries(now).ok()?.into_iter().map(|e| e.value).collect();
    let mut out = gosdk::remove(now, |v| !wanted_values.iter().any(|w| w == v)).ok()?;
    for v in wanted_values.iter().filter(|v| !now_values.contains(v)) {
        out = gosdk::add(Some(&out), v).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str = "$USER_HOME$/sdk/current";

    #[test]
    fn config_names() {
        assert!(is_config_name("GoLand2025.1"));
        assert!(is_config_name("GoLand2024.10"));
        for n in ["GoLand", "GoLand2025", "GoLand25.1", "GoLand2025.1-backup", "IntelliJIdea2025.1"]
        {
            assert!(!is_config_name(n), "{n}");
        }
    }

    #[test]
    fn sdk_list_comes_back_byte_for_byte() {
        let home = Path::new("/h");
        let links = [PathBuf::from("/h/sdk/current")];
        let original = b"<application>\n  <component name=\"GoSdkList\">\n    <sdk-path>\n      <set>\n        <option value=\"/usr/lib/go\" />\n      </set>\n    </sdk-path>\n  </component>\n</application>\n";
        let applied = sdk_after(Some(original), Some(V), None, &links, home).unwrap().unwrap();
        assert_eq!(owned(&applied).unwrap(), format!("{V}\n/usr/lib/go"));
        let back = sdk_after(Some(&applied), None, Some(Some(original)), &links, home).unwrap();
        assert_eq!(back.as_deref(), Some(&original[..]));
        // Created by goenv: removed whole.
        let created = sdk_after(None, Some(V), None, &links, home).unwrap().unwrap();
        assert_eq!(sdk_after(Some(&created), None, Some(None), &links, home).unwrap(), None);
        // An SDK the user had listed before stays theirs.
        let theirs = gosdk::add(Some(original), V).unwrap();
        let kept = sdk_after(Some(&theirs), None, Some(Some(&theirs)), &links, home).unwrap();
        assert_eq!(kept.as_deref(), Some(&theirs[..]));
        // The user added another SDK since: only goenv's entry goes.
        let more = gosdk::add(Some(&applied), "/opt/go1.20").unwrap();
        let left =
            sdk_after(Some(&more), None, Some(Some(original)), &links, home).unwrap().unwrap();
        assert_eq!(owned(&left).unwrap(), "/opt/go1.20\n/usr/lib/go");
    }

    #[test]
    fn put_back_restores_the_list_only() {
        let a = gosdk::add(None, "/a").unwrap();
        let ab = gosdk::add(Some(&a), "/b").unwrap();
        assert_eq!(owned(&put_back(Some(&a), Some(&ab)).unwrap()).unwrap(), "/a\n/b");
        assert_eq!(put_back(Some(&ab), Some(&a)).unwrap(), a);
        assert_eq!(put_back(None, Some(&a)), None);
    }
}
