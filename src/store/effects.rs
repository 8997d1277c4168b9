//! effects in the journal and the manifests: every value an effect sets or restores is kept as a
//! blob, so `journal.toml` and `generations/NNNN.toml` name variables and hashes only (a secret
//! exported to the session never lands in a manifest), and gc keeps those blobs.

use std::collections::BTreeSet;

use super::{Hash, Store, StoreError};
use crate::resource::effect::{Run, Step, Var};

fn vars_mut(run: &mut Run) -> &mut [Var] {
    match run {
        Run::SetEnvironment { vars } | Run::Launchctl { vars } => vars,
        Run::DaemonReload | Run::TryRestart { .. } => &mut [],
    }
}

impl Store {
    /// The steps as stored: each value replaced by its blob's hash.
    pub(super) fn effects_out(&self, steps: &[Step]) -> Result<Vec<Step>, StoreError> {
        let mut out = steps.to_vec();
        for step in &mut out {
            for run in [&mut step.run, &mut step.undo] {
                for v in vars_mut(run) {
                    if let Some(value) = v.value.take() {
                        v.blob = Some(self.put_blob(value.as_bytes())?.as_str().to_owned());
                    }
                }
            }
        }
        Ok(out)
    }

    /// The steps as read back: each blob's value in place.
    pub(super) fn effects_in(&self, mut steps: Vec<Step>) -> Result<Vec<Step>, StoreError> {
        for step in &mut steps {
            for run in [&mut step.run, &mut step.undo] {
                for v in vars_mut(run) {
                    if let Some(hash) = v.blob.take() {
                        let hash = Hash::parse(&hash).map_err(|_| StoreError::Parse {
                            path: self.root.clone(),
                            what: "effect",
                            message: format!("`{hash}` is not a sha256"),
                        })?;
                        let bytes = self.get_blob(&hash)?;
                        v.value = Some(String::from_utf8_lossy(&bytes).into_owned());
                    }
                }
            }
        }
        Ok(steps)
    }
}

/// The blobs stored steps refer to.
pub(super) fn blobs(steps: &[Step], out: &mut BTreeSet<Hash>) {
    for step in steps {
        for run in [&step.run, &step.undo] {
            if let Run::SetEnvironment { vars } | Run::Launchctl { vars } = run {
                out.extend(vars.iter().filter_map(|v| Hash::parse(v.blob.as_deref()?).ok()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::ResourceId;
    use crate::resource::effect::Effect;
    use crate::store::{Generation, Journal};

    fn step(value: &str) -> Step {
        Step {
            resource: ResourceId::effect(&Effect::Environment { vars: vec![] }),
            run: Run::SetEnvironment { vars: vec![Var::new("TOKEN", Some(value))] },
            undo: Run::SetEnvironment { vars: vec![Var::new("TOKEN", None)] },
        }
    }

    #[test]
    fn values_live_in_blobs_and_gc_keeps_them() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("state")).unwrap();
        let secret = "s3cr3t-value-in-the-session";
        let journal = Journal { generation: 1, steps: vec![], effects: vec![step(secret)] };
        store.write_journal(&journal).unwrap();
        let text = std::fs::read_to_string(tmp.path().join("state/journal.toml")).unwrap();
        assert!(!text.contains(secret), "{text}");
        assert_eq!(store.read_journal().unwrap(), Some(journal));
        store.remove_journal().unwrap();

        for n in 1..=3 {
            let g = Generation {
                number: n,
                time: "2026-12-01T00:00:00Z".into(),
                tool_version: "0".into(),
                command: "apply".into(),
                profile: None,
                profile_sha256: None,
                summary: String::new(),
                paths: vec![],
                effects: vec![step(&format!("{secret}-{n}"))],
            };
            store.write_generation(&g).unwrap();
            let text = std::fs::read_to_string(store.generation_path(n)).unwrap();
            assert!(!text.contains(secret), "{text}");
            assert_eq!(store.load_generation(n).unwrap(), g);
        }
        store.gc(1).unwrap();
        let kept = store.load_generation(3).unwrap();
        assert_eq!(kept.effects, [step(&format!("{secret}-3"))], "its blob survived gc");
        assert!(store.get_blob(&crate::store::sha256(format!("{secret}-1").as_bytes())).is_err());
        // What undoes the folded generations' effects stays, for `rollback --to 0`.
        let undo = Run::SetEnvironment { vars: vec![Var::new("TOKEN", None)] };
        assert_eq!(store.folded_undo().unwrap(), (2, vec![undo.clone(), undo]));
    }
}
