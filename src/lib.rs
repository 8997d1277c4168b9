//! goenv: make a Go developer's machine match a declarative profile.
//!
//! The library holds all logic; `src/main.rs` only parses the command line and calls
//! [`cli::run`], and `cli` only parses arguments, calls one [`engine`] function and renders.
//! The pipeline: `profile` (KDL → typed, validated) → `probe` (read the machine, never write)
//! → `units` (one per profile node: what it reads, what resources it wants) → `plan` (pure:
//! desired resources against observed files and the last generation) and `rules` (findings)
//! → `apply` (the only writer: one journaled transaction) → `store` (blobs and generations,
//! from which a rollback restores any state). `docs/architecture.md` has the map.

pub(crate) mod apply;
pub mod cli;
pub mod context;
pub mod digest;
pub mod doctor;
pub mod engine;
pub mod formats;
pub(crate) mod fsx;
pub mod gobin;
pub mod init;
pub(crate) mod interrupt;
pub mod plan;
pub mod probe;
pub mod profile;
pub mod resource;
pub mod rules;
pub mod sdk;
pub(crate) mod store;
pub mod units;
