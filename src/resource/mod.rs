//! resource: what goenv owns on a machine, named. A [`ResourceId`] is a [`Kind`] and a path; its
//! text (`block:~/.bashrc`, `sdk:go1.22.10`) is what manifests, plans and people read, and this
//! module is the only code that writes or parses that text. Each kind knows its storage
//! [`Shape`] (a file's bytes, a link's target, an SDK tree's descriptor), and [`entry`] reads and
//! puts every shape in place.
//!
//! | kind    | example id                   | owns                                                   |
//! |---------|------------------------------|--------------------------------------------------------|
//! | `file`  | `file:~/.config/go/env`      | the whole file                                         |
//! | `block` | `block:~/.bashrc`            | the text between goenv's marker lines                  |
//! | `json`  | `json:~/.config/Code/User/…` | the settings goenv owns in a JSON-with-comments file   |
//! | `xml`   | `xml:~/.config/JetBrains/…`  | the SDK entry goenv added to GoLand's `go.sdk.xml`      |
//! | `tool`  | `tool:~/go/bin/dlv`          | a binary `go install` builds                           |
//! | `link`  | `link:~/sdk/current`         | a symbolic link, switched atomically                   |
//! | `sdk`   | `sdk:go1.22.10`              | an SDK tree goenv installed                            |
//! | `effect`| `effect:systemd-user/set-environment` | a command run after the files ([`effect`])    |
//!
//! Paths are kept losslessly: [`path_text`] stores a path that is not UTF-8 in a form that reads
//! back to the same bytes. Nothing here decides what a path should hold.

pub mod content;
pub mod effect;
pub mod entry;
pub mod path_text;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use entry::Shape;

/// How goenv owns a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The whole file is goenv's.
    File,
    /// Only the marker block inside someone else's file.
    Block,
    /// Single settings in a JSON-with-comments file someone else owns.
    Json,
    /// The Go SDK entry goenv added to GoLand's `options/go.sdk.xml`, someone else's file.
    Xml,
    /// A binary `go install` builds.
    Tool,
    /// A symbolic link.
    Link,
    /// An SDK tree goenv installed.
    Sdk,
    /// A command with no file, run after the files ([`effect`]).
    Effect,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::File,
        Kind::Block,
        Kind::Json,
        Kind::Xml,
        Kind::Tool,
        Kind::Link,
        Kind::Sdk,
        Kind::Effect,
    ];

    /// The id's prefix, without the colon.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Block => "block",
            Kind::Json => "json",
            Kind::Xml => "xml",
            Kind::Tool => "tool",
            Kind::Link => "link",
            Kind::Sdk => "sdk",
            Kind::Effect => "effect",
        }
    }

    /// How a path of this kind is stored and put in place.
    pub fn shape(self) -> Shape {
        match self {
            Kind::File | Kind::Block | Kind::Json | Kind::Xml | Kind::Tool => Shape::File,
            Kind::Link => Shape::Link,
            Kind::Sdk => Shape::Sdk,
            Kind::Effect => Shape::Effect,
        }
    }
}

/// A resource's stable name: its kind and its path as people read it (from `~` inside the home,
/// absolute outside it; an SDK by its directory's name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourceId {
    pub kind: Kind,
    pub name: String,
}

impl ResourceId {
    /// The id of `path` as a resource of `kind`, with `home` written as `~`.
    pub fn new(kind: Kind, path: &Path, home: &Path) -> Self {
        let name = match kind {
            Kind::Sdk => path.file_name().map(|n| n.to_string_lossy().into_owned()),
            _ => None,
        };
        ResourceId { kind, name: name.unwrap_or_else(|| tilde_path(path, home)) }
    }

    /// The id of an effect: `effect:systemd-user/set-environment`.
    pub fn effect(e: &effect::Effect) -> Self {
        ResourceId { kind: Kind::Effect, name: e.name() }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.prefix(), self.name)
    }
}

/// Text that is not a resource id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a goenv resource id (`file:`, `block:`, `json:`, `xml:`, `tool:`, `link:`, \
     `sdk:` or `effect:`)"
)]
pub struct BadId(pub String);

impl FromStr for ResourceId {
    type Err = BadId;
    fn from_str(s: &str) -> Result<Self, BadId> {
        let (prefix, name) = s.split_once(':').ok_or_else(|| BadId(s.to_owned()))?;
        let kind = Kind::ALL.into_iter().find(|k| k.prefix() == prefix);
        match kind {
            Some(kind) if !name.is_empty() => Ok(ResourceId { kind, name: name.to_owned() }),
            _ => Err(BadId(s.to_owned())),
        }
    }
}

impl TryFrom<String> for ResourceId {
    type Error = BadId;
    fn try_from(s: String) -> Result<Self, BadId> {
        s.parse()
    }
}

impl From<ResourceId> for String {
    fn from(id: ResourceId) -> String {
        id.to_string()
    }
}

/// A path with the home directory written as `~`.
pub fn tilde_path(path: &Path, home: &Path) -> String {
    match path.strip_prefix(home) {
        Ok(rest) if rest.as_os_str().is_empty() => "~".into(),
        Ok(rest) => format!("~/{}", rest.display()),
        Err(_) => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse_as_manifests_spell_them() {
        let home = Path::new("/h");
        for (kind, path, text) in [
            (Kind::File, "/h/.config/go/env", "file:~/.config/go/env"),
            (Kind::Block, "/h/.bashrc", "block:~/.bashrc"),
            (
                Kind::Json,
                "/h/.config/Code/User/settings.json",
                "json:~/.config/Code/User/settings.json",
            ),
            (Kind::Tool, "/usr/local/bin/dlv", "tool:/usr/local/bin/dlv"),
            (Kind::Link, "/h/sdk/current", "link:~/sdk/current"),
            (Kind::Sdk, "/h/sdk/go1.22.10", "sdk:go1.22.10"),
        ] {
            let id = ResourceId::new(kind, Path::new(path), home);
            assert_eq!(id.to_string(), text);
            assert_eq!(text.parse::<ResourceId>().unwrap(), id);
        }
        let id = ResourceId::effect(&effect::Effect::DaemonReload);
        assert_eq!(id.to_string(), "effect:systemd-user/daemon-reload");
        assert_eq!("effect:systemd-user/daemon-reload".parse::<ResourceId>().unwrap(), id);
        for bad in ["", "file", "file:", "disk:~/x", "~/.bashrc"] {
            assert!(bad.parse::<ResourceId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_kind_has_a_shape_and_a_distinct_prefix() {
        let mut prefixes: Vec<&str> = Kind::ALL.iter().map(|k| k.prefix()).collect();
        prefixes.sort();
        prefixes.dedup();
        assert_eq!(prefixes.len(), Kind::ALL.len());
        assert_eq!(Kind::Block.shape(), Shape::File);
        assert_eq!(Kind::Link.shape(), Shape::Link);
        assert_eq!(Kind::Sdk.shape(), Shape::Sdk);
    }
}
