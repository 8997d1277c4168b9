//! planfile: saved plans. `goenv plan --out FILE` writes what a plan was made from and what it
//! does, as digests (the `goenv.planfile/1` JSON document, `schemas/planfile.schema.json`);
//! `goenv apply FILE` re-derives that plan from the profile and the pinned resolutions, and
//! applies it only when every digest still holds: the profile's files, each path's content
//! before, each path's content after, the platform, goenv's version and what the download
//! index says of each pinned Go release. Otherwise it refuses, naming each difference, and
//! changes nothing.
//!
//! A plan file holds no content and no secret. A digest is the sha256 of a whole content, except
//! for a content that holds a value the profile marks secret or a URL's credentials: that one is
//! hashed with every such value replaced by `<redacted>` (as goenv shows it) and says so
//! (`redacted: true`), so that a short secret in a small file goenv renders from a profile
//! everyone can read cannot be found by hashing guesses.
//!
//! Planning is still pure: this module reads files and the index, writes the plan file through
//! `fsx`, and never touches the user's files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Error, ErrorKind, Pending, Progress, Resolved, Result, Silent};
use crate::context::Context;
use crate::digest::{Hash, sha256};
use crate::plan::{Action, Plan};
use crate::profile::secret::{REDACTED, redact};
use crate::profile::{GoSelector, Profile};
use crate::resource::{Kind, ResourceId, tilde_path};
use crate::sdk::fetch::redact_url;
use crate::sdk::index::{self, FetchedIndex, Index};
use crate::units::go::How;

/// The document's schema id: its first field, and how `apply` tells a plan file from a profile.
pub const SCHEMA: &str = "goenv.planfile/1";

/// The version of goenv that writes and applies plan files.
pub const GOENV_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A saved plan: see the README's "The plan file" for every field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    pub schema: String,
    pub goenv: String,
    pub created: String,
    pub platform: Platform,
    pub profile: ProfileDoc,
    pub go: Option<GoDoc>,
    pub tools: Vec<ToolDoc>,
    pub changes: Vec<ChangeDoc>,
    pub unchanged: Vec<KeptDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub host: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileDoc {
    /// The profile, from `~` when it is in the home, else absolute.
    pub path: String,
    /// The profile, then every file it includes, in the order read.
    pub files: Vec<FileDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDoc {
    pub path: String,
    #[serde(flatten)]
    pub digest: Digest,
}

/// The digest of one content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digest {
    pub sha256: Hash,
    /// Whether secrets were replaced by `<redacted>` before hashing.
    pub redacted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoDoc {
    /// The download index the plan resolved through (credentials redacted), if it needed one.
    pub index: Option<String>,
    /// Each `go "1.N"` line (active or kept) and the release it resolved to.
    pub lines: Vec<LineDoc>,
    /// Every SDK the profile wants, active first.
    pub sdks: Vec<SdkDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineDoc {
    /// `1.22`.
    pub line: String,
    /// `1.22.10`.
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdkHow {
    /// To download and unpack.
    Install,
    /// goenv installed it earlier.
    Installed,
    /// Installed by someone else; used as it is.
    Adopted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkDoc {
    pub version: String,
    pub active: bool,
    pub how: SdkHow,
    /// `go1.22.10.linux-amd64.tar.gz` (not for an adopted SDK).
    pub archive: Option<String>,
    /// The archive's sha256.
    pub sha256: Option<String>,
    /// The archive's length as the download index lists it (none for a checksum pinned in the
    /// profile, or in a plan saved before goenv recorded it).
    #[serde(default)]
    pub size: Option<u64>,
    /// Where the archive is downloaded from (credentials redacted).
    pub url: Option<String>,
    /// `index <url>` or `profile <file>:<line>`.
    pub checksum_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolDoc {
    pub resource: ResourceId,
    pub package: String,
    /// As the profile writes it: `v1.23.1`, or `latest` (resolved by `go install` at apply).
    pub version: String,
    /// The `go` that builds it.
    pub go: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeDoc {
    pub resource: ResourceId,
    pub action: Action,
    /// `null`: absent before.
    pub before: Option<Digest>,
    /// `null`: removed. A tool still to be built: the digest of the build it describes.
    pub after: Option<Digest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeptDoc {
    pub resource: ResourceId,
    /// `null`: absent, and staying so.
    pub content: Option<Digest>,
}

impl PlanFile {
    /// `(to add, to change, to remove)`.
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |a| self.changes.iter().filter(|c| c.action == a).count();
        (n(Action::Create), n(Action::Update), n(Action::Delete))
    }
}

/// The digest of `content`: see the module doc for when it is redacted.
pub fn digest(content: &[u8], secrets: &[String]) -> Digest {
    match redacted(content, secrets) {
        Some(r) => Digest { sha256: sha256(&r), redacted: true },
        None => Digest { sha256: sha256(content), redacted: false },
    }
}

/// `content` with every secret and URL credential replaced, if it holds any.
fn redacted(content: &[u8], secrets: &[String]) -> Option<Vec<u8>> {
    if let Ok(text) = std::str::from_utf8(content) {
        let r = redact(text, secrets);
        return (r != text).then(|| r.into_bytes());
    }
    // Not text (a binary): only the profile's values can be in it.
    let mut out = content.to_vec();
    let mut changed = false;
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        let s = s.as_bytes();
        let mut i = 0;
        let mut next = Vec::with_capacity(out.len());
        while i < out.len() {
            if out[i..].starts_with(s) {
                next.extend_from_slice(REDACTED.as_bytes());
                i += s.len();
                changed = true;
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        out = next;
    }
    changed.then_some(out)
}

/// Every file of the profile with its digest: the text with what goenv masks when it shows a
/// profile (secret values, URL credentials) replaced by `<redacted>`.
fn profile_files(profile: &Profile, ctx: &Context) -> Vec<FileDoc> {
    profile
        .sources
        .files()
        .map(|f| {
            let path = std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
            let mut ranges = f.masked.clone();
            ranges.sort_by_key(|r| (r.start, r.end));
            let mut text = String::new();
            let mut last = 0;
            for r in ranges {
                let (start, end) = (r.start.max(last).min(f.text.len()), r.end.min(f.text.len()));
                if start >= end || !f.text.is_char_boundary(start) || !f.text.is_char_boundary(end)
                {
                    continue;
                }
                text.push_str(&f.text[last..start]);
                text.push_str(REDACTED);
                last = end;
            }
            let digest = if last == 0 && text.is_empty() {
                Digest { sha256: sha256(f.text.as_bytes()), redacted: false }
            } else {
                text.push_str(&f.text[last..]);
                Digest { sha256: sha256(text.as_bytes()), redacted: true }
            };
            FileDoc { path: tilde_path(&path, &ctx.home), digest }
        })
        .collect()
}

/// The resolutions of the `go` node: lines, SDKs, the index.
fn go_doc(profile: &Profile, resolved: &Resolved) -> Option<GoDoc> {
    let spec = profile.go.as_ref()?;
    let go = resolved.go.as_ref()?;
    let mut lines = Vec::new();
    let selectors = std::iter::once(spec.version).chain(spec.keep.iter().map(|(s, _)| *s));
    for selector in selectors {
        if let (GoSelector::Line(line), Some(fetched)) = (selector, &resolved.index)
            && let Some(release) = fetched.index.newest_in_line(line.major, line.minor)
        {
            let doc = LineDoc {
                line: line.to_string(),
                version: release.version.trim_start_matches("go").to_owned(),
            };
            if !lines.contains(&doc) {
                lines.push(doc);
            }
        }
    }
    let active = go.active.as_ref().map(|a| a.version.clone());
    let sdks = go
        .all()
        .map(|sdk| {
            let (how, d) = match &sdk.how {
                How::Install(d) => (SdkHow::Install, Some(d)),
                How::Installed(d) => (SdkHow::Installed, Some(d)),
                How::Adopted { .. } => (SdkHow::Adopted, None),
            };
            SdkDoc {
                version: sdk.version.clone(),
                active: active.as_deref() == Some(sdk.version.as_str()),
                how,
                archive: d.map(|d| d.archive.clone()),
                sha256: d.map(|d| d.sha256.clone()),
                size: d.and_then(|d| d.size),
                url: d.map(|d| redact_url(&d.url)),
                checksum_from: d.map(|d| redact_url(&d.checksum_from)),
            }
        })
        .collect();
    Some(GoDoc { index: resolved.index.as_ref().map(|i| redact_url(&i.url)), lines, sdks })
}

/// The changes and unchanged resources of `plan`, as digests.
fn plan_docs(plan: &Plan, ctx: &Context) -> (Vec<ChangeDoc>, Vec<KeptDoc>, Vec<ToolDoc>) {
    let d = |b: &[u8]| digest(b, &plan.secrets);
    let changes = plan
        .changes
        .iter()
        .map(|c| {
            let after = match &c.build {
                Some(build) => Some(d(build.describe().as_bytes())),
                None => c.after.as_deref().map(d),
            };
            ChangeDoc {
                resource: c.id.clone(),
                action: c.action,
                before: c.before.as_deref().map(d),
                after,
            }
        })
        .collect();
    let unchanged = plan
        .unchanged
        .iter()
        .map(|k| KeptDoc { resource: k.id.clone(), content: k.content.as_deref().map(d) })
        .collect();
    let tools = plan
        .changes
        .iter()
        .filter_map(|c| {
            let b = c.build.as_ref()?;
            Some(ToolDoc {
                resource: c.id.clone(),
                package: b.package.clone(),
                version: b.version.clone(),
                go: tilde_path(&b.go, &ctx.home),
            })
        })
        .collect();
    (changes, unchanged, tools)
}

/// Plans `profile` and describes the plan as a plan file.
pub fn make(
    profile: &Profile,
    ctx: &Context,
    progress: &mut dyn Progress,
) -> Result<(Plan, PlanFile)> {
    let (plan, resolved) = super::plan_parts(profile, ctx, progress, None)?;
    let (changes, unchanged, tools) = plan_docs(&plan, ctx);
    let profile_path = profile.sources.files().next().map_or(profile.path.clone(), |f| {
        std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone())
    });
    let file = PlanFile {
        schema: SCHEMA.into(),
        goenv: GOENV_VERSION.into(),
        created: ctx.now(),
        platform: platform(ctx),
        profile: ProfileDoc {
            path: tilde_path(&profile_path, &ctx.home),
            files: profile_files(profile, ctx),
        },
        go: go_doc(profile, &resolved),
        tools,
        changes,
        unchanged,
    };
    Ok((plan, file))
}

fn platform(ctx: &Context) -> Platform {
    Platform { os: ctx.os.to_string(), arch: ctx.arch.to_string(), host: ctx.host.clone() }
}

/// Writes `file` at `out` (atomically; a plan file holds no secret, so it is readable).
pub fn write(file: &PlanFile, out: &Path) -> Result<()> {
    let mut text = serde_json::to_string_pretty(file)
        .map_err(|e| Error::new(ErrorKind::State, format!("cannot write the plan: {e}")))?;
    text.push('\n');
    crate::fsx::replace_file(out, text.as_bytes(), 0o644).map_err(|e| {
        Error::new(ErrorKind::Usage, format!("cannot write the plan to `{}`: {e}", out.display()))
            .hint("give `--out` a path in a directory you can write")
    })
}

/// Whether `path` holds a plan file rather than a profile: its first character that is not
/// white space (after a byte order mark) is `{`, which no KDL document starts with.
pub fn is_plan_file(path: &Path) -> bool {
    use std::io::Read;
    let Ok(file) = std::fs::File::open(path) else { return false };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = Vec::new();
    if file.take(4096).read_to_end(&mut head).is_err() {
        return false;
    }
    let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&head);
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Reads and checks a plan file.
pub fn read(path: &Path) -> Result<PlanFile> {
    let shown = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| Error::new(ErrorKind::Usage, format!("cannot read `{shown}`: {e}")))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::new(
            ErrorKind::Usage,
            format!("`{shown}:{}:{}` is not JSON: {}", e.line(), e.column(), json_reason(&e)),
        )
        .hint("a plan file is what `goenv plan --out FILE` wrote; a profile is KDL, which never starts with `{`")
    })?;
    let schema = value.get("schema").and_then(|s| s.as_str());
    if schema != Some(SCHEMA) {
        let found = schema.map_or_else(|| "no `schema`".to_owned(), |s| format!("`{s}`"));
        return Err(Error::new(
            ErrorKind::Usage,
            format!("`{shown}` is not a goenv plan file: it has {found}, not `{SCHEMA}`"),
        )
        .hint("make one with `goenv plan PROFILE --out FILE`"));
    }
    serde_json::from_value(value).map_err(|e| {
        Error::new(ErrorKind::Usage, format!("`{shown}` is a damaged plan file: {e}"))
            .hint("make it again with `goenv plan PROFILE --out FILE`")
    })
}

fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// A plan file that still holds, re-derived and checked under the lock, ready to apply.
pub struct Checked {
    pub profile: Profile,
    pub profile_path: PathBuf,
    pub pending: Pending,
}

/// Re-derives the plan `file` describes and checks every digest against the machine, the
/// profile and the download index; refuses with every difference named, changing nothing.
pub fn check(
    file: &PlanFile,
    shown: &str,
    ctx: &Context,
    progress: &mut dyn Progress,
) -> Result<Checked> {
    super::check_host(ctx)?;
    let refuse = |kind, differences: Vec<String>| {
        let mut message = format!("the saved plan `{shown}` no longer holds:");
        for d in &differences {
            let _ = write!(message, "\n  {d}");
        }
        Error::new(kind, message).hint(format!(
            "make a new plan (`goenv plan {} --out {shown}`), review it, and apply that one",
            file.profile.path
        ))
    };
    let mut differences = Vec::new();
    if file.goenv != GOENV_VERSION {
        differences.push(format!(
            "the plan was made by goenv {}, this is goenv {GOENV_VERSION}",
            file.goenv
        ));
    }
    let here = platform(ctx);
    if file.platform != here {
        let p = &file.platform;
        differences.push(format!(
            "the plan is for {}/{} on host `{}`, this machine is {}/{} on host `{}`",
            p.os, p.arch, p.host, here.os, here.arch, here.host
        ));
    }
    if !differences.is_empty() {
        return Err(refuse(ErrorKind::Usage, differences));
    }
    let profile_path = PathBuf::from(ctx.expand_tilde(&file.profile.path));
    let profile = super::load_profile(&profile_path, ctx).map_err(|mut e| {
        e.message = format!("the profile changed since the plan and {}", e.message);
        e
    })?;
    let files = profile_files(&profile, ctx);
    differences.extend(profile_differences(&file.profile.files, &files));
    if !differences.is_empty() {
        return Err(refuse(ErrorKind::Machine, differences));
    }
    let pinned = pinned_index(file, &profile, ctx);
    // First without the lock, so a refusal creates nothing (not even goenv's state directory);
    // then again under it, so nothing changes between the check and the transaction.
    let (_, found) = rederive(file, &profile, ctx, pinned.as_ref(), progress)?;
    differences.extend(found);
    differences.extend(index_differences(file, &profile, ctx)?);
    if !differences.is_empty() {
        return Err(refuse(ErrorKind::Machine, differences));
    }
    let store = super::open_store(ctx)?;
    let lock = store.lock(&super::holder("apply"))?;
    let (plan, found) = rederive(file, &profile, ctx, pinned.as_ref(), &mut Silent)?;
    if !found.is_empty() {
        return Err(refuse(ErrorKind::Machine, found));
    }
    Ok(Checked { profile, profile_path, pending: Pending { store, _lock: lock, plan } })
}

fn rederive(
    file: &PlanFile,
    profile: &Profile,
    ctx: &Context,
    pinned: Option<&FetchedIndex>,
    progress: &mut dyn Progress,
) -> Result<(Plan, Vec<String>)> {
    let (plan, _) = super::plan_parts(profile, ctx, progress, pinned)?;
    let (changes, unchanged, _) = plan_docs(&plan, ctx);
    let mut found = differences(file, &changes, &unchanged);
    // Every path already holds what the plan would write: one line says so.
    let applied = |c: &ChangeDoc| {
        let now = changes.iter().map(|n| (&n.resource, n.before.as_ref()));
        let now = now.chain(unchanged.iter().map(|k| (&k.resource, k.content.as_ref())));
        now.into_iter().any(|(id, d)| *id == c.resource && d == c.after.as_ref())
            || (c.after.is_none() && !changes.iter().any(|n| n.resource == c.resource))
    };
    if !found.is_empty() && changes.is_empty() && file.changes.iter().all(applied) {
        found = vec!["it was applied already: every path it changes holds what it planned".into()];
    }
    Ok((plan, found))
}

/// A digest in a message: `absent`, `sha256 …`, or `sha256 … of its redacted text`.
pub fn shown_digest(d: Option<&Digest>) -> String {
    match d {
        None => "absent".into(),
        Some(d) if d.redacted => format!("sha256 {} of its redacted text", d.sha256),
        Some(d) => format!("sha256 {}", d.sha256),
    }
}

fn profile_differences(saved: &[FileDoc], now: &[FileDoc]) -> Vec<String> {
    let mut out = Vec::new();
    for s in saved {
        match now.iter().find(|n| n.path == s.path) {
            Some(n) if n.digest != s.digest => out.push(format!(
                "the profile changed since the plan: `{}` ({} → {})",
                s.path,
                shown_digest(Some(&s.digest)),
                shown_digest(Some(&n.digest))
            )),
            Some(_) => {}
            None => out.push(format!(
                "the profile changed since the plan: it no longer includes `{}`",
                s.path
            )),
        }
    }
    for n in now.iter().filter(|n| !saved.iter().any(|s| s.path == n.path)) {
        out.push(format!("the profile changed since the plan: it now includes `{}`", n.path));
    }
    out
}

/// A resource as people read it: its path, or the SDK's name.
fn named(id: &ResourceId) -> String {
    match id.kind {
        Kind::Sdk => format!("the SDK `{}`", id.name),
        _ => format!("`{}`", id.name),
    }
}

/// One resource in a plan: its content now and, when it changes, how.
struct Entry<'a> {
    before: Option<&'a Digest>,
    change: Option<(Action, Option<&'a Digest>)>,
}

fn entries<'a>(changes: &'a [ChangeDoc], kept: &'a [KeptDoc]) -> Vec<(&'a ResourceId, Entry<'a>)> {
    let changed = changes.iter().map(|c| {
        (
            &c.resource,
            Entry { before: c.before.as_ref(), change: Some((c.action, c.after.as_ref())) },
        )
    });
    let kept =
        kept.iter().map(|k| (&k.resource, Entry { before: k.content.as_ref(), change: None }));
    changed.chain(kept).collect()
}

/// What a resource holds once the plan is applied.
fn after<'a>(e: &Entry<'a>) -> Option<&'a Digest> {
    match e.change {
        Some((_, after)) => after,
        None => e.before,
    }
}

/// How the re-derived plan differs from the saved one, one line per resource.
fn differences(file: &PlanFile, changes: &[ChangeDoc], kept: &[KeptDoc]) -> Vec<String> {
    let saved = entries(&file.changes, &file.unchanged);
    let now = entries(changes, kept);
    let mut out = Vec::new();
    for (id, s) in &saved {
        let Some((_, n)) = now.iter().find(|(i, _)| i == id) else {
            out.push(format!("goenv would no longer touch {}, which the plan has", named(id)));
            continue;
        };
        if s.before != n.before {
            let how = match (s.before, n.before) {
                (None, Some(_)) => "was created",
                (Some(_), None) => "was removed",
                _ => "changed",
            };
            out.push(format!(
                "{} {how} since the plan ({} → {})",
                named(id),
                shown_digest(s.before),
                shown_digest(n.before)
            ));
            continue;
        }
        if s.change.map(|c| c.0) != n.change.map(|c| c.0) || after(s) != after(n) {
            out.push(format!(
                "what goenv would write to {} is not what the plan says ({} → {})",
                named(id),
                shown_digest(after(s)),
                shown_digest(after(n))
            ));
        }
    }
    for (id, n) in now.iter().filter(|(i, _)| !saved.iter().any(|(s, _)| s == i)) {
        if n.change.is_some() {
            out.push(format!(
                "goenv would now also change {}, which is not in the plan ({})",
                named(id),
                shown_digest(n.before)
            ));
        }
    }
    out
}

/// The download index the plan resolved through, as the plan pinned it: only its releases, so
/// `go "1.22"` resolves to the pinned 1.22.10 whatever the index lists now.
fn pinned_index(file: &PlanFile, profile: &Profile, ctx: &Context) -> Option<FetchedIndex> {
    let go = file.go.as_ref()?;
    go.index.as_ref()?;
    let spec = profile.go.as_ref()?;
    let (goos, goarch) = (crate::units::go::goos(ctx), ctx.arch.name());
    let mut releases: Vec<index::Release> = Vec::new();
    let mut add = |version: &str, file: Option<index::File>| {
        let name = format!("go{version}");
        let at = match releases.iter().position(|r| r.version == name) {
            Some(i) => i,
            None => {
                releases.push(index::Release { version: name, stable: true, files: vec![] });
                releases.len() - 1
            }
        };
        releases[at].files.extend(file);
    };
    for sdk in &go.sdks {
        let archive = match (&sdk.archive, &sdk.sha256) {
            (Some(a), Some(s)) => Some(index::File {
                filename: a.clone(),
                os: goos.into(),
                arch: goarch.into(),
                version: format!("go{}", sdk.version),
                sha256: s.clone(),
                size: sdk.size.and_then(|size| i64::try_from(size).ok()).unwrap_or(0),
                kind: "archive".into(),
            }),
            _ => None,
        };
        add(&sdk.version, archive);
    }
    for line in &go.lines {
        add(&line.version, None);
    }
    Some(FetchedIndex {
        url: crate::units::go::index_url(spec),
        index: Index { releases },
        stale: None,
    })
}

/// What the download index says now of each release the plan pinned through it: asked again
/// (never its cache), so a new patch release since the plan is seen.
fn index_differences(file: &PlanFile, profile: &Profile, ctx: &Context) -> Result<Vec<String>> {
    let Some(go) = &file.go else { return Ok(vec![]) };
    let (Some(_), Some(spec)) = (&go.index, &profile.go) else { return Ok(vec![]) };
    let url = crate::units::go::index_url(spec);
    let fetcher = super::observe::fetcher(ctx)?;
    let fetched = fetcher
        .fetch_small(&url)
        .map_err(|e| e.to_string())
        .and_then(|bytes| Index::parse(&bytes).map_err(|e| e.to_string()));
    let now = fetched.map_err(|e| {
        Error::new(
            ErrorKind::Fetch,
            format!("cannot check the plan's Go releases against the download index: {e}"),
        )
        .hint("a saved plan that resolved a version through the index applies only once the index confirms it; check the network (HTTPS_PROXY, NO_PROXY)")
    })?;
    let (goos, goarch) = (crate::units::go::goos(ctx), ctx.arch.name());
    let listed = |sdk: &SdkDoc| -> String {
        let file = now.release(&sdk.version).and_then(|r| r.archive(goos, goarch));
        let archive = sdk.archive.as_deref().unwrap_or("its archive");
        match (file, &sdk.sha256) {
            (Some(f), Some(s)) if f.sha256.eq_ignore_ascii_case(s) => {
                format!("{archive} is still listed with the pinned sha256")
            }
            (Some(f), _) => format!("{archive} is now listed with sha256 {}", f.sha256),
            (None, _) => format!("{archive} is no longer listed"),
        }
    };
    let mut out = Vec::new();
    for line in &go.lines {
        let Some((major, minor)) = line.line.split_once('.') else { continue };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else { continue };
        let newest = now.newest_in_line(major, minor).map(|r| r.version.trim_start_matches("go"));
        if newest == Some(line.version.as_str()) {
            continue;
        }
        let pinned = go.sdks.iter().find(|s| s.version == line.version);
        let state = pinned.filter(|s| s.archive.is_some()).map(|s| format!(" and {}", listed(s)));
        out.push(match newest {
            Some(v) => format!(
                "go \"{}\" now resolves to {v}, the plan pinned {}{}",
                line.line,
                line.version,
                state.unwrap_or_default()
            ),
            None => format!(
                "the download index no longer lists a {}.x release, the plan pinned {}",
                line.line, line.version
            ),
        });
    }
    for sdk in &go.sdks {
        let from_index = sdk.checksum_from.as_deref().is_some_and(|c| c.starts_with("index "));
        if sdk.how != SdkHow::Install || !from_index {
            continue;
        }
        let state = listed(sdk);
        if !state.ends_with("with the pinned sha256")
            && !out.iter().any(|o| o.contains(&format!("pinned {}", sdk.version)))
        {
            out.push(format!("the plan pinned go{} and {state}", sdk.version));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_enters_a_digest() {
        let secrets = vec!["1234".to_owned()];
        let with = digest(b"export TOKEN=1234\n", &secrets);
        assert!(with.redacted);
        assert_eq!(with.sha256, sha256(b"export TOKEN=<redacted>\n"));
        // Another secret of the same shape gives the same digest: nothing to guess against.
        assert_eq!(digest(b"export TOKEN=9876\n", &["9876".to_owned()]), with);
        let plain = digest(b"export EDITOR=vi\n", &secrets);
        assert!(!plain.redacted);
        assert_eq!(plain.sha256, sha256(b"export EDITOR=vi\n"));
        // URL credentials are hidden from the text alone.
        let url = digest(b"GOPROXY=https://me:pin@proxy.example\n", &[]);
        assert!(url.redacted);
        assert_eq!(url.sha256, sha256(b"GOPROXY=https://<redacted>@proxy.example\n"));
        // In a binary too.
        let bin = digest(b"\0\xff1234\0", &secrets);
        assert!(bin.redacted);
        assert_eq!(bin.sha256, sha256(b"\0\xff<redacted>\0"));
    }

    fn change(id: &str, before: Option<&[u8]>, after: Option<&[u8]>) -> ChangeDoc {
        let d = |b: &[u8]| digest(b, &[]);
        ChangeDoc {
            resource: id.parse().unwrap(),
            action: Action::between(&before, &after),
            before: before.map(d),
            after: after.map(d),
        }
    }

    #[test]
    fn every_difference_from_the_saved_plan_is_named() {
        let file = PlanFile {
            schema: SCHEMA.into(),
            goenv: GOENV_VERSION.into(),
            created: String::new(),
            platform: Platform { os: "linux".into(), arch: "amd64".into(), host: "h".into() },
            profile: ProfileDoc { path: "~/p.kdl".into(), files: vec![] },
            go: None,
            tools: vec![],
            changes: vec![
                change("block:~/.bashrc", Some(b"a"), Some(b"b")),
                change("file:~/.config/goenv/env.sh", None, Some(b"x")),
                change("file:~/gone", Some(b"g"), None),
            ],
            unchanged: vec![KeptDoc {
                resource: "file:~/.config/go/env".parse().unwrap(),
                content: Some(digest(b"k", &[])),
            }],
        };
        // The same plan again: no difference.
        assert_eq!(differences(&file, &file.changes, &file.unchanged), Vec::<String>::new());
        let now = vec![
            change("block:~/.bashrc", Some(b"a2"), Some(b"b")),
            change("file:~/.config/goenv/env.sh", None, Some(b"y")),
            change("file:~/.config/go/env", Some(b"k2"), Some(b"k")),
        ];
        let found = differences(&file, &now, &[]);
        let h = |b: &[u8]| sha256(b).to_string();
        assert_eq!(
            found,
            [
                format!(
                    "`~/.bashrc` changed since the plan (sha256 {} → sha256 {})",
                    h(b"a"),
                    h(b"a2")
                ),
                format!(
                    "what goenv would write to `~/.config/goenv/env.sh` is not what the plan says (sha256 {} → sha256 {})",
                    h(b"x"),
                    h(b"y")
                ),
                "goenv would no longer touch `~/gone`, which the plan has".to_owned(),
                format!(
                    "`~/.config/go/env` changed since the plan (sha256 {} → sha256 {})",
                    h(b"k"),
                    h(b"k2")
                ),
            ]
        );
        let extra = [file.changes.clone(), vec![change("sdk:go1.99.2", None, Some(b"d"))]].concat();
        assert_eq!(
            differences(&file, &extra, &file.unchanged),
            ["goenv would now also change the SDK `go1.99.2`, which is not in the plan (absent)"]
        );
    }

    #[test]
    fn a_plan_file_is_told_from_a_profile_by_its_first_character() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        assert!(is_plan_file(&write("a.json", "\u{feff}\n  {\"schema\": 1}")));
        assert!(!is_plan_file(&write("p.kdl", "version 1\ngo \"1.22\" { }\n")));
        assert!(!is_plan_file(&write("c.kdl", "// {\n")));
        assert!(!is_plan_file(&dir.path().join("missing")));
        assert!(!is_plan_file(dir.path()));
    }
}
