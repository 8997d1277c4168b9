//! goenv: make a Go developer's machine match a declarative profile.
//!
//! The library holds all logic; `src/main.rs` only parses the command line and calls
//! [`cli::run`]. The pipeline is profile → probe → plan → apply → generations (see the README);
//! this version implements the first stage: the profile language and `goenv check`.

pub(crate) mod apply;
pub mod cli;
pub mod context;
pub mod formats;
pub(crate) mod fsx;
pub mod plan;
pub mod probe;
pub mod profile;
pub(crate) mod store;
