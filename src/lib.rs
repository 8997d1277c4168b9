//! goenv: make a Go developer's machine match a declarative profile.
//!
//! The library holds all logic; `src/main.rs` only parses the command line and calls
//! [`cli::run`]. The pipeline: `profile` (KDL → typed, validated) → `probe` (read the machine,
//! never write) → `plan` (pure: desired resources against observed files and the last
//! generation) → `apply` (the only writer: one journaled transaction) → `store` (blobs and
//! generations, from which `rollback` restores any state).

pub(crate) mod apply;
pub mod cli;
pub mod context;
pub(crate) mod entry;
pub mod formats;
pub(crate) mod fsx;
pub mod gobin;
pub mod plan;
pub mod probe;
pub mod profile;
pub mod sdk;
pub(crate) mod store;
