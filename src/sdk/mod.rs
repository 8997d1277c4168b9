//! Go SDKs: `go "1.22.10" { keep "1.21.13"; mirror "https://golang.google.cn/dl/" }`.
//!
//! Owns everything between the profile's `go` node and an SDK on disk: reading go.dev's
//! download index ([`index`]), fetching archives into a cache verified by sha256 ([`fetch`]),
//! unpacking a verified archive into `<dir>/go<version>` or adopting one already there
//! ([`extract`]), what goenv records in an SDK it installed and preparing installs before a
//! transaction ([`install`]),; which machine an SDK's binaries are for is read by [`crate::gobin`].
//! Nothing here reads the process environment, runs an SDK's binaries, or writes outside the
//! directories it is given; renaming a prepared tree into place is the transaction's job.

pub mod extract;
pub mod fetch;
pub mod index;
pub mod install;
