//! content: the typed contents of resources whose state is not plain bytes a unit renders: an
//! SDK's descriptor (the `.goenv-sdk` file goenv writes into every tree it installs) and a tool
//! build (`delve install=`), which `apply` turns into a binary before its transaction.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which SDK goenv installed at `<dir>/go<version>`, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Descriptor {
    /// `1.22.10` (the directory is `go1.22.10`).
    pub version: String,
    /// `go1.22.10.linux-amd64.tar.gz`.
    pub archive: String,
    /// The archive's sha256, as the checksum source gave it.
    pub sha256: String,
    /// The archive's length in bytes as the download index lists it; a download that sends
    /// more is refused. A checksum pinned in the profile comes without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Where the archive is downloaded from.
    pub url: String,
    /// Where the checksum came from: `index <url>` or `profile <file>:<line>`.
    pub checksum_from: String,
}

impl Descriptor {
    /// The descriptor file's bytes: a comment for whoever opens it, then TOML.
    pub fn render(&self) -> Vec<u8> {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# This Go SDK was installed by goenv, which removes it only when a profile with\n\
             # `prune #true` no longer lists it. Delete this file to make goenv leave it alone.\n\
             {body}"
        )
        .into_bytes()
    }

    pub fn parse(bytes: &[u8]) -> Option<Descriptor> {
        toml::from_str(std::str::from_utf8(bytes).ok()?).ok()
    }

    /// Same version from the same archive: where it was downloaded from does not matter.
    pub fn same_sdk(&self, other: &Descriptor) -> bool {
        self.version == other.version && self.sha256.eq_ignore_ascii_case(&other.sha256)
    }
}

/// A binary `go install` builds: `GOBIN=<dir> <go> install <package>@<version>`. A plan carries
/// it in place of the binary's new bytes; `apply` builds it, checks its build info, and only then
/// has the bytes to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolBuild {
    /// `github.com/go-delve/delve/cmd/dlv`.
    pub package: String,
    /// `v1.23.1` or `latest`.
    pub version: String,
    /// The `go` that builds it (the active SDK's).
    pub go: PathBuf,
    /// Where the binary goes.
    pub gobin: PathBuf,
}

impl ToolBuild {
    /// What the plan shows in place of the binary's new content.
    pub fn describe(&self) -> String {
        format!(
            "# `goenv apply` builds this binary before it changes anything, and checks its build info:\n\
             # GOBIN={} {} install {}@{}\n\
             package = \"{}\"\n\
             version = \"{}\"\n\
             go = \"{}\"\n",
            self.gobin.display(),
            self.go.display(),
            self.package,
            self.version,
            self.package,
            self.version,
            self.go.display()
        )
    }
}
