//! generation: one immutable manifest per apply or rollback (`generations/0007.toml`), the
//! replay that answers "what was every managed path right after generation N", and gc, which
//! folds old manifests into `generations/base.toml` so that answer never changes for the
//! generations it keeps and for generation 0 (the machine as goenv first found it). A manifest
//! is written once and never edited; gc never deletes a blob anything still refers to.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::resource::{Kind, ResourceId};

use super::{Hash, Store, StoreError, check_absolute, io_err, octal, write_atomic};

/// The blobs stored effect steps refer to.
fn effect_blobs(steps: &[crate::resource::effect::Step]) -> BTreeSet<Hash> {
    let mut out = BTreeSet::new();
    super::effects::blobs(steps, &mut out);
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Generation {
    pub number: u32,
    /// RFC 3339 UTC, from the caller's clock (tests pin it).
    pub time: String,
    pub tool_version: String,
    /// `apply` or `rollback`.
    pub command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_sha256: Option<Hash>,
    pub summary: String,
    #[serde(default)]
    pub paths: Vec<PathRecord>,
    /// The effects that ran after the paths were written, each with what undoes it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<crate::resource::effect::Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PathRecord {
    /// Absolute path.
    #[serde(with = "crate::resource::path_text")]
    pub path: PathBuf,
    /// The resource that owns the change, e.g. `file:~/.config/go/env` or `block:~/.bashrc`.
    pub resource: ResourceId,
    /// `None`: the file did not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Hash>,
    /// `None`: the file was removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Hash>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "octal")]
    pub mode: Option<u32>,
    /// Whether goenv manages the path after this generation (false once a removal restored it).
    #[serde(default = "managed_default")]
    pub managed: bool,
}

fn managed_default() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct GcReport {
    pub generations_removed: usize,
    pub blobs_removed: usize,
    pub bytes_freed: u64,
}

/// `generations/index.toml`: every path goenv ever touched, as all generations leave it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Index {
    /// The newest generation accounted for.
    pub latest: u32,
    #[serde(default)]
    pub paths: Vec<IndexRecord>,
    /// Every profile a generation was applied from, oldest first.
    #[serde(default)]
    pub profiles: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IndexRecord {
    #[serde(with = "crate::resource::path_text")]
    pub path: PathBuf,
    /// The resource that last touched the path, e.g. `block:~/.bashrc`.
    pub resource: ResourceId,
    /// Content before goenv first touched the path (`None`: absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<Hash>,
    /// Content right after the latest generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Hash>,
}

impl Index {
    fn add(&mut self, g: &Generation) {
        for r in &g.paths {
            match self.paths.iter_mut().find(|p| p.path == r.path) {
                Some(p) => {
                    p.after = r.after.clone();
                    p.resource = r.resource.clone();
                }
                None => self.paths.push(IndexRecord {
                    path: r.path.clone(),
                    resource: r.resource.clone(),
                    original: r.before.clone(),
                    after: r.after.clone(),
                }),
            }
        }
        if let Some(p) = &g.profile
            && !self.profiles.contains(p)
        {
            self.profiles.push(p.clone());
        }
        self.latest = g.number;
    }
}

/// `generations/base.toml`: what gc kept of the manifests it deleted.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Base {
    /// Generations `1..=through` were folded in here.
    through: u32,
    #[serde(default)]
    paths: Vec<BaseRecord>,
    /// What undoes the effects the folded generations ran, oldest first (values in blobs, as a
    /// manifest keeps them): what `rollback --to 0` must still undo. The values they set are
    /// not kept: gc drops them with their generations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    undo: Vec<crate::resource::effect::Step>,
}

#[derive(Debug, Serialize, Deserialize)]
struct BaseRecord {
    #[serde(with = "crate::resource::path_text")]
    path: PathBuf,
    /// The resource that last touched the path (absent in base files from before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource: Option<ResourceId>,
    /// Content before goenv first touched the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    original: Option<Hash>,
    /// Content right after generation `through`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<Hash>,
}

impl Store {
    pub(crate) fn generation_path(&self, number: u32) -> PathBuf {
        self.generations_dir().join(format!("{number:04}.toml"))
    }

    fn base_path(&self) -> PathBuf {
        self.generations_dir().join("base.toml")
    }

    /// Writes generation `number` once; an existing (or gc'd) number is refused.
    pub(crate) fn write_generation(&self, generation: &Generation) -> Result<(), StoreError> {
        let number = generation.number;
        if number == 0 {
            return Err(StoreError::GenerationZero);
        }
        let path = self.generation_path(number);
        if number <= self.load_base()?.through {
            return Err(StoreError::GenerationExists { number, path: self.base_path() });
        }
        for record in &generation.paths {
            check_absolute(&record.path)?;
        }
        let hashes = generation.paths.iter().flat_map(|r| r.before.iter().chain(&r.after));
        self.require_blobs(hashes)?;
        let stored =
            Generation { effects: self.effects_out(&generation.effects)?, ..generation.clone() };
        let text = toml::to_string(&stored)
            .map_err(|e| StoreError::Encode { path: path.clone(), message: e.to_string() })?;
        match write_atomic(&path, text.as_bytes(), false) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(StoreError::GenerationExists { number, path });
            }
            Err(e) => return Err(io_err("write generation", &path)(e)),
        }
        // Keep the index current; `index()` rebuilds it if this is interrupted. Before the first
        // generation there is no index to update (nothing was cached): it starts here.
        let current = match fs::read_to_string(self.index_path()) {
            Ok(text) => toml::from_str::<Index>(&text).ok(),
            Err(e) if e.kind() == io::ErrorKind::NotFound && number == 1 => Some(Index::default()),
            Err(_) => None,
        };
        if let Some(mut index) = current
            && index.latest + 1 == number
        {
            index.add(generation);
            let _ = self.write_index(&index);
        }
        Ok(())
    }

    pub(crate) fn load_generation(&self, number: u32) -> Result<Generation, StoreError> {
        let path = self.generation_path(number);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NoSuchGeneration { number, dir: self.generations_dir() });
            }
            Err(e) => return Err(io_err("read generation", &path)(e)),
        };
        let parse_err = |message: String| StoreError::Parse {
            path: path.clone(),
            what: "generation manifest",
            message,
        };
        let mut generation: Generation =
            toml::from_str(&text).map_err(|e| parse_err(e.to_string()))?;
        if generation.number != number {
            return Err(parse_err(format!("it says it is generation {}", generation.number)));
        }
        generation.effects = self.effects_in(std::mem::take(&mut generation.effects))?;
        Ok(generation)
    }

    /// Numbers of the generations on record (not folded into `base.toml`), ascending.
    pub(crate) fn generation_numbers(&self) -> Result<Vec<u32>, StoreError> {
        let through = self.load_base()?.through;
        Ok(self.numbers_on_disk()?.into_iter().filter(|&n| n > through).collect())
    }

    pub(crate) fn latest(&self) -> Result<Option<Generation>, StoreError> {
        match self.generation_numbers()?.last() {
            Some(&number) => self.load_generation(number).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn next_number(&self) -> Result<u32, StoreError> {
        let through = self.load_base()?.through;
        let last = self.numbers_on_disk()?.last().copied().unwrap_or(0);
        Ok(last.max(through) + 1)
    }

    /// The content of every path goenv ever touched, right after generation `number`
    /// (`None`: absent). Generation 0 is the machine as goenv first found it.
    pub(crate) fn state_after(
        &self,
        number: u32,
    ) -> Result<BTreeMap<PathBuf, Option<Hash>>, StoreError> {
        let index = self.index()?;
        if number == index.latest && number != 0 {
            return Ok(index.paths.into_iter().map(|r| (r.path, r.after)).collect());
        }
        if number == 0 {
            return Ok(index.paths.into_iter().map(|r| (r.path, r.original)).collect());
        }
        let base = self.load_base()?;
        let numbers: Vec<u32> =
            self.numbers_on_disk()?.into_iter().filter(|&n| n > base.through).collect();
        if !numbers.contains(&number) {
            return Err(if number <= base.through {
                StoreError::Pruned { number, through: base.through, path: self.base_path() }
            } else {
                StoreError::NoSuchGeneration { number, dir: self.generations_dir() }
            });
        }
        let mut state: BTreeMap<PathBuf, Option<Hash>> = base
            .paths
            .into_iter()
            .map(|r| (r.path, if number == 0 { r.original } else { r.after }))
            .collect();
        for n in numbers {
            for record in self.load_generation(n)?.paths {
                if n <= number {
                    state.insert(record.path, record.after);
                } else {
                    // First touched after `number`: it was still as its first toucher found it.
                    state.entry(record.path).or_insert(record.before);
                }
            }
        }
        Ok(state)
    }

    /// Every managed path's content before goenv first touched it: `state_after(0)`.
    pub(crate) fn originals(&self) -> Result<BTreeMap<PathBuf, Option<Hash>>, StoreError> {
        Ok(self.index()?.paths.into_iter().map(|r| (r.path, r.original)).collect())
    }

    /// What all generations add up to, from `generations/index.toml`: a cache derived from the
    /// manifests, rebuilt whenever it does not account for exactly the newest one, so planning
    /// reads one small file instead of every manifest.
    pub(crate) fn index(&self) -> Result<Index, StoreError> {
        let latest = self.generation_numbers()?.last().copied().unwrap_or(0);
        let path = self.index_path();
        if let Ok(text) = fs::read_to_string(&path)
            && let Ok(index) = toml::from_str::<Index>(&text)
            && index.latest == latest
        {
            return Ok(index);
        }
        let base = self.load_base()?;
        let mut index = Index {
            latest: base.through,
            paths: base
                .paths
                .into_iter()
                .map(|r| IndexRecord {
                    // Base files from before resources were kept in them knew files only.
                    resource: r.resource.unwrap_or_else(|| ResourceId {
                        kind: Kind::File,
                        name: crate::resource::path_text::encode(&r.path),
                    }),
                    path: r.path,
                    original: r.original,
                    after: r.after,
                })
                .collect(),
            profiles: Vec::new(),
        };
        for n in self.generation_numbers()? {
            index.add(&self.load_generation(n)?);
        }
        // A cache: failing to write it only costs the next reader a rebuild. Of nothing (no
        // generation yet) there is nothing to cache, and a store that records nothing stays
        // empty (see the lock).
        if index.latest > 0 || !index.paths.is_empty() {
            let _ = self.write_index(&index);
        }
        Ok(index)
    }

    fn index_path(&self) -> PathBuf {
        self.generations_dir().join("index.toml")
    }

    fn write_index(&self, index: &Index) -> Result<(), StoreError> {
        if self.read_only {
            return Ok(());
        }
        let path = self.index_path();
        let text = toml::to_string(index)
            .map_err(|e| StoreError::Encode { path: path.clone(), message: e.to_string() })?;
        write_atomic(&path, text.as_bytes(), true).map_err(io_err("write", &path))
    }

    /// Keeps the newest `keep` generations (at least one), folds the older ones into
    /// `base.toml`, and deletes blobs nothing refers to. The caller holds the lock.
    pub(crate) fn gc(&self, keep: usize) -> Result<GcReport, StoreError> {
        let mut base = self.load_base()?;
        let numbers = self.generation_numbers()?;
        let keep = keep.max(1).min(numbers.len());
        let (dropped, kept) = numbers.split_at(numbers.len() - keep);

        if !dropped.is_empty() {
            // path → (original, after, resource)
            type Folded = (Option<Hash>, Option<Hash>, Option<ResourceId>);
            let mut paths: BTreeMap<PathBuf, Folded> =
                base.paths.drain(..).map(|r| (r.path, (r.original, r.after, r.resource))).collect();
            for &n in dropped {
                let generation = self.load_generation(n)?;
                for record in generation.paths {
                    let entry = paths.entry(record.path).or_insert((record.before, None, None));
                    entry.1 = record.after;
                    entry.2 = Some(record.resource);
                }
                // Only the undo half: the run half's values (a secret the session got) go.
                let undos = generation.effects.into_iter().map(|step| {
                    let undo = step.undo.clone();
                    crate::resource::effect::Step { run: undo.clone(), undo, ..step }
                });
                base.undo.extend(self.effects_out(&undos.collect::<Vec<_>>())?);
                base.through = n;
            }
            base.paths = paths
                .into_iter()
                .map(|(path, (original, after, resource))| BaseRecord {
                    path,
                    resource,
                    original,
                    after,
                })
                .collect();
            // base.toml first: a crash before the deletes below leaves manifests that
            // `generation_numbers` already ignores and the next gc deletes.
            let path = self.base_path();
            let text = toml::to_string(&base)
                .map_err(|e| StoreError::Encode { path: path.clone(), message: e.to_string() })?;
            write_atomic(&path, text.as_bytes(), true).map_err(io_err("write", &path))?;
        }

        let mut report = GcReport::default();
        for n in self.numbers_on_disk()?.into_iter().filter(|&n| n <= base.through) {
            let path = self.generation_path(n);
            fs::remove_file(&path).map_err(io_err("remove generation", &path))?;
            report.generations_removed += 1;
        }
        let dir = self.generations_dir();
        crate::fsx::sync_dir(&dir).map_err(io_err("sync directory", &dir))?;

        let mut referenced: BTreeSet<Hash> = BTreeSet::new();
        for record in &base.paths {
            referenced.extend(record.original.iter().chain(&record.after).cloned());
        }
        referenced.extend(effect_blobs(&base.undo));
        for &n in kept {
            let generation = self.load_generation(n)?;
            referenced.extend(generation.profile_sha256);
            for record in generation.paths {
                referenced.extend(record.before.into_iter().chain(record.after));
            }
            // Loaded, the values are in place: their blobs are the values' hashes.
            referenced.extend(
                self.effects_out(&generation.effects)?
                    .iter()
                    .flat_map(|s| effect_blobs(std::slice::from_ref(s))),
            );
        }
        if let Some(journal) = self.read_journal()? {
            for step in journal.steps {
                referenced.extend(step.before.into_iter().chain(step.after));
            }
            referenced.extend(effect_blobs(&self.effects_out(&journal.effects)?));
        }
        (report.blobs_removed, report.bytes_freed) = self.sweep_blobs(&referenced)?;
        Ok(report)
    }

    /// The generations `gc` folded (`1..=through`, 0 for none) and what undoes the effects they
    /// ran, oldest first, values in place.
    pub(crate) fn folded_undo(
        &self,
    ) -> Result<(u32, Vec<crate::resource::effect::Run>), StoreError> {
        let base = self.load_base()?;
        Ok((base.through, self.effects_in(base.undo)?.into_iter().map(|s| s.undo).collect()))
    }

    fn load_base(&self) -> Result<Base, StoreError> {
        let path = self.base_path();
        match fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| StoreError::Parse {
                path,
                what: "gc base file",
                message: e.to_string(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Base::default()),
            Err(e) => Err(io_err("read", &path)(e)),
        }
    }

    /// Every `NNNN.toml` in `generations/`, including ones folded into `base.toml`, ascending.
    fn numbers_on_disk(&self) -> Result<Vec<u32>, StoreError> {
        let dir = self.generations_dir();
        let mut numbers = Vec::new();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            // A store opened for reading may have no generation yet.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(numbers),
            Err(e) => return Err(io_err("read directory", &dir)(e)),
        };
        for entry in entries {
            let name = entry.map_err(io_err("read directory", &dir))?.file_name();
            let number =
                name.to_str().and_then(|name| name.strip_suffix(".toml")).and_then(|stem| {
                    let digits = !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit());
                    if digits { stem.parse::<u32>().ok() } else { None }
                });
            numbers.extend(number);
        }
        numbers.sort_unstable();
        Ok(numbers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    use crate::store::sha256;

    fn generation(number: u32, paths: Vec<PathRecord>) -> Generation {
        Generation {
            number,
            time: "2026-11-23T09:41:00Z".into(),
            tool_version: "0.1.0".into(),
            command: "apply".into(),
            profile: Some("/home/u/.config/goenv/profile.kdl".into()),
            profile_sha256: Some(sha256(b"profile")),
            summary: format!("generation {number}"),
            paths,
            effects: Vec::new(),
        }
    }

    fn record(path: &str, before: Option<&Hash>, after: Option<&Hash>) -> PathRecord {
        PathRecord {
            path: path.into(),
            resource: ResourceId { kind: Kind::File, name: path.to_owned() },
            before: before.cloned(),
            after: after.cloned(),
            mode: Some(0o644),
            managed: true,
        }
    }

    #[test]
    fn write_load_and_refuse_overwrite() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        assert_eq!(store.latest().unwrap(), None);
        assert_eq!(store.next_number().unwrap(), 1);

        let after = store.put_blob(b"GOFLAGS=-mod=mod\n").unwrap();
        let first = generation(1, vec![record("/h/.config/go/env", None, Some(&after))]);
        store.write_generation(&first).unwrap();
        assert_eq!(store.load_generation(1).unwrap(), first);
        let text = fs::read_to_string(store.generation_path(1)).unwrap();
        assert!(text.contains("mode = \"0644\""), "{text}");

        let err = store.write_generation(&generation(1, vec![])).unwrap_err();
        assert!(matches!(err, StoreError::GenerationExists { number: 1, .. }), "{err}");
        assert_eq!(store.load_generation(1).unwrap(), first);

        let missing = sha256(b"not stored");
        let bad = generation(2, vec![record("/h/x", None, Some(&missing))]);
        assert!(matches!(store.write_generation(&bad), Err(StoreError::MissingBlob { .. })));
        let relative = generation(2, vec![record("h/x", None, None)]);
        assert!(matches!(store.write_generation(&relative), Err(StoreError::RelativePath { .. })));
        assert!(matches!(store.load_generation(2), Err(StoreError::NoSuchGeneration { .. })));

        store.write_generation(&generation(2, vec![])).unwrap();
        assert_eq!(store.generation_numbers().unwrap(), [1, 2]);
        assert_eq!(store.latest().unwrap().map(|g| g.number), Some(2));
        assert_eq!(store.next_number().unwrap(), 3);

        fs::write(store.generation_path(3), "number = 3\ntime = ").unwrap();
        let err = store.load_generation(3).unwrap_err();
        assert!(err.to_string().contains("0003.toml"), "{err}");
    }

    #[test]
    fn state_after_replays_and_survives_gc() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let put = |s: &str| store.put_blob(s.as_bytes()).unwrap();
        let (a0, a1, a2) = (put("a0"), put("a1"), put("a2"));
        let (b1, b2, c0, c1) = (put("b1"), put("b2"), put("c0"), put("c1"));
        let junk = put("stored but never recorded");
        let (a, b, c) = ("/h/.bashrc", "/h/.config/go/env", "/h/.profile");

        // b is created by goenv; c is changed in 2 and restored in 3.
        let gens = [
            generation(1, vec![record(a, Some(&a0), Some(&a1)), record(b, None, Some(&b1))]),
            generation(2, vec![record(b, Some(&b1), Some(&b2)), record(c, Some(&c0), Some(&c1))]),
            generation(3, vec![record(a, Some(&a1), Some(&a2)), record(c, Some(&c1), Some(&c0))]),
        ];
        for g in &gens {
            store.write_generation(g).unwrap();
        }
        let state = |entries: [(&str, Option<&Hash>); 3]| -> BTreeMap<PathBuf, Option<Hash>> {
            entries.into_iter().map(|(p, h)| (PathBuf::from(p), h.cloned())).collect()
        };
        let s0 = state([(a, Some(&a0)), (b, None), (c, Some(&c0))]);
        let s3 = state([(a, Some(&a2)), (b, Some(&b2)), (c, Some(&c0))]);
        assert_eq!(store.state_after(0).unwrap(), s0);
        assert_eq!(store.originals().unwrap(), s0);
        assert_eq!(
            store.state_after(1).unwrap(),
            state([(a, Some(&a1)), (b, Some(&b1)), (c, Some(&c0))])
        );
        assert_eq!(
            store.state_after(2).unwrap(),
            state([(a, Some(&a1)), (b, Some(&b2)), (c, Some(&c1))])
        );
        assert_eq!(store.state_after(3).unwrap(), s3);
        assert!(matches!(store.state_after(4), Err(StoreError::NoSuchGeneration { .. })));

        let report = store.gc(1).unwrap();
        assert_eq!(report.generations_removed, 2);
        assert_eq!(report.blobs_removed, 2); // b1 (only in dropped generation 1) and junk
        assert_eq!(report.bytes_freed, 2 + 25);
        assert_eq!(store.generation_numbers().unwrap(), [3]);
        assert_eq!(store.state_after(0).unwrap(), s0);
        assert_eq!(store.state_after(3).unwrap(), s3);
        assert!(matches!(store.state_after(1), Err(StoreError::Pruned { .. })));
        assert!(!store.has_blob(&b1) && !store.has_blob(&junk));
        for kept in [&a0, &a1, &a2, &b2, &c0, &c1] {
            assert!(store.has_blob(kept));
        }
        assert!(matches!(
            store.write_generation(&generation(2, vec![])),
            Err(StoreError::GenerationExists { .. })
        ));
        assert_eq!(store.next_number().unwrap(), 4);

        // A second gc after another generation folds into the existing base.
        let a3 = put("a3");
        store.write_generation(&generation(4, vec![record(a, Some(&a2), Some(&a3))])).unwrap();
        assert_eq!(store.gc(1).unwrap().generations_removed, 1);
        assert_eq!(store.state_after(0).unwrap(), s0);
        assert_eq!(
            store.state_after(4).unwrap(),
            state([(a, Some(&a3)), (b, Some(&b2)), (c, Some(&c0))])
        );
        assert!(!store.has_blob(&a1) && store.has_blob(&a2)); // a2 is generation 4's before
        assert_eq!(store.gc(1).unwrap(), GcReport::default());
    }

    #[test]
    fn the_index_is_a_cache_that_heals() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let (x0, x1, x2) = (
            store.put_blob(b"x0").unwrap(),
            store.put_blob(b"x1").unwrap(),
            store.put_blob(b"x2").unwrap(),
        );
        let mut block = record("/h/.bashrc", Some(&x0), Some(&x1));
        block.resource = "block:~/.bashrc".parse().unwrap();
        store.write_generation(&generation(1, vec![block.clone()])).unwrap();
        let built = store.index().unwrap();
        assert_eq!(built.latest, 1);
        // Written incrementally from now on.
        block.before = Some(x1.clone());
        block.after = Some(x2.clone());
        store.write_generation(&generation(2, vec![block])).unwrap();
        let text = fs::read_to_string(store.index_path()).unwrap();
        assert!(text.contains("latest = 2"), "{text}");
        let incremental = store.index().unwrap();
        // Missing, stale or garbled: rebuilt to the same answer.
        for broken in ["", "latest = 1\n", "not toml ["] {
            fs::write(store.index_path(), broken).unwrap();
            let rebuilt = store.index().unwrap();
            assert_eq!(rebuilt.latest, 2);
            assert_eq!(format!("{:?}", rebuilt.paths), format!("{:?}", incremental.paths));
        }
        assert_eq!(store.originals().unwrap()[Path::new("/h/.bashrc")], Some(x0.clone()));
        assert_eq!(store.state_after(2).unwrap()[Path::new("/h/.bashrc")], Some(x2.clone()));
        // After gc folds generation 1 away, a rebuild still knows the resource and original.
        store.gc(1).unwrap();
        fs::remove_file(store.index_path()).unwrap();
        let after_gc = store.index().unwrap();
        assert_eq!(after_gc.paths[0].resource.to_string(), "block:~/.bashrc");
        assert_eq!(after_gc.paths[0].original, Some(x0));
        assert_eq!(after_gc.profiles, ["/home/u/.config/goenv/profile.kdl"]);
    }
}
