//! Byte-exact rendering and editing of the foreign file formats goenv writes: the Go env file
//! (`go env -w`), the POSIX sh and fish files sourced at shell start, goenv's marker block inside
//! rc files someone else owns, the systemd environment.d drop-in, a systemd unit's `Environment=`
//! drop-in (and the reader of unit files), and the few keys goenv owns in VS Code's
//! `settings.json`, GoLand's `idea.properties` (Java `.properties`: `properties`) and its
//! `options/go.sdk.xml` (`gosdk`). Everything here is a pure function on bytes or strings; nothing
//! touches the disk except the tests, which run the real programs (bash, dash, zsh, fish,
//! systemd's generator, VS Code's JSONC parser) as oracles.

pub mod block;
pub mod envd;
pub mod goenvfile;
pub mod gosdk;
pub mod jsonc;
pub mod lines;
pub mod plist;
pub mod properties;
pub mod shell;
pub mod systemd;

/// True for a valid environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_env_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}
