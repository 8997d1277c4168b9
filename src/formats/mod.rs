//! Byte-exact rendering and editing of the foreign file formats goenv writes: the Go env file
//! (`go env -w`), the POSIX sh and fish files sourced at shell start, goenv's marker block inside
//! rc files someone else owns, and the systemd environment.d drop-in. Everything here is a pure
//! function on bytes or strings; nothing touches the disk except the tests, which run the real
//! programs (bash, dash, zsh, fish, systemd's generator) as oracles.

pub mod block;
pub mod envd;
pub mod goenvfile;
pub mod shell;
