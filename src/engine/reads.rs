//! What the history commands read, for `-v`: generation manifests and the paths the latest
//! generation manages. Planning commands report their reads as they observe
//! ([`super::observe_reporting`]); these commands read the state directory, listed here from
//! the same store.

use std::path::PathBuf;

use super::{Result, existing_store};
use crate::context::Context;

/// Which part of the history a command reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// `status`, `rollback`: the latest generation and every path it manages.
    Latest,
    /// `generations`, `gc`: every manifest on record.
    All,
    /// `show N`: that generation's manifest.
    One(u32),
}

/// The files a history command reads, each with why; empty when goenv has no state here.
pub fn state_reads(ctx: &Context, reading: Reading) -> Result<Vec<(PathBuf, String)>> {
    let Some(store) = existing_store(ctx)? else { return Ok(Vec::new()) };
    let numbers = store.generation_numbers()?;
    let manifest = |n: u32| (store.generation_path(n), format!("generation {n}'s manifest"));
    Ok(match reading {
        Reading::All => numbers.into_iter().map(manifest).collect(),
        Reading::One(n) => numbers.into_iter().filter(|&m| m == n).map(manifest).collect(),
        Reading::Latest => {
            let Some(latest) = store.latest()? else { return Ok(Vec::new()) };
            let n = latest.number;
            let mut out = vec![manifest(n)];
            for r in latest.paths.iter().filter(|r| r.managed) {
                out.push((r.path.clone(), format!("managed by generation {n}")));
            }
            out
        }
    })
}
