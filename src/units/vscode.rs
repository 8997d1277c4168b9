//! The `vscode` node: the three settings goenv owns in VS Code's user `settings.json` (the
//! findings about that file are in `rules::vscode`).
//!
//! ```kdl
//! go "1.22.10"   // "go.goroot": "~/sdk/current", "go.toolsManagement.go": "~/sdk/current/bin/go"
//! vscode         // ~/.config/Code/User/settings.json (macOS: ~/Library/Application Support/…)
//! ```
//!
//! goenv owns `go.goroot` and `go.toolsManagement.go` (only while the `go` node has an active
//! SDK) and the `dlv` entry of the `go.alternateTools` object (the `delve` node's path, else
//! GOBIN/dlv). Every other byte of the file stays the user's: edits go through
//! [`jsonc`](crate::formats::jsonc), which changes only those members. A key goenv stops setting
//! gets back the value it had before goenv first touched the file (or goes away if it had none);
//! a key goenv never set is never changed. Pure: the file is read by the probe, and nothing here
//! writes or starts a process.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::go::GoResolved;
use super::{Input, Planning, Reads, Resource, Then, Unit, Want};
use crate::context::{Context, Os};
use crate::formats::jsonc::{
    self, ALTERNATE_TOOLS, DLV, Edit, GOROOT, JsoncError, TOOLS_MANAGEMENT_GO,
};
use crate::probe::Observed;
use crate::profile::{Problem, Profile};

/// The `go` entry of `go.alternateTools`: the Go binary the extension runs instead of the one
/// in `go.goroot`.
pub const ALTERNATE_GO: &str = "go";

/// The `vscode` node: `json:` settings in VS Code's user settings file.
pub struct VsCode;

impl Unit for VsCode {
    fn node(&self) -> &'static str {
        "vscode"
    }

    fn reads(&self, input: Input<'_>, reads: &mut Reads) {
        reads.files.push(default_settings(input.ctx));
        reads.files.extend(settings_path(input.profile, input.ctx));
    }

    fn then(&self, input: Input<'_>, observed: &Observed, then: &mut Then) {
        then.editor_dlv = editor_dlv(input.profile, input.ctx, observed);
    }

    fn wants(
        &self,
        planning: &mut Planning<'_>,
        out: &mut Vec<Resource>,
    ) -> Result<(), Vec<Problem>> {
        let Input { profile, ctx } = planning.input;
        if let Some(path) = settings_path(profile, ctx) {
            let edits = wanted(profile, ctx, planning.go.as_ref());
            out.push(Resource::new(path, Want::Json(edits), &ctx.home));
        }
        Ok(())
    }
}

/// VS Code's user settings file on this OS: `$VSCODE_APPDATA`, else `$XDG_CONFIG_HOME` (Linux)
/// or `~/Library/Application Support` (macOS), then `Code/User/settings.json`, as VS Code
/// computes its user data directory.
pub fn default_settings(ctx: &Context) -> PathBuf {
    let app_data = match ctx.env.get("VSCODE_APPDATA").filter(|d| d.starts_with('/')) {
        Some(dir) => PathBuf::from(dir),
        None => match ctx.os {
            Os::Linux => ctx.config_home.clone(),
            Os::Macos => ctx.home.join("Library/Application Support"),
        },
    };
    app_data.join("Code/User/settings.json")
}

/// The settings file the `vscode` node names (its argument, else the default), or `None`
/// without a `vscode` node.
pub fn settings_path(profile: &Profile, ctx: &Context) -> Option<PathBuf> {
    let node = profile.vscode.as_ref()?;
    Some(node.settings.as_ref().map_or_else(|| default_settings(ctx), |v| PathBuf::from(&v.text)))
}

/// The settings goenv sets: the active SDK (when the `go` node has one) and dlv.
pub fn wanted(profile: &Profile, ctx: &Context, go: Option<&GoResolved>) -> Vec<Edit> {
    let mut edits = Vec::new();
    if let Some(go) = go.filter(|g| g.active.is_some()) {
        let link = go.link();
        edits.push(Key::Goroot.edit(Some(link.to_string_lossy().into_owned())));
        let go_bin = link.join("bin/go");
        edits.push(Key::ToolsGo.edit(Some(go_bin.to_string_lossy().into_owned())));
    }
    let dlv = super::delve::dlv_path(profile, ctx)
        .unwrap_or_else(|| Path::new(&super::gobin(profile, ctx)).join("dlv"));
    edits.push(Key::Dlv.edit(Some(dlv.to_string_lossy().into_owned())));
    edits
}

/// What goenv knows about a settings file it managed before.
#[derive(Debug, Clone, Copy)]
pub struct Earlier<'a> {
    /// The content before goenv first touched the file (`None`: goenv created it).
    pub original: Option<&'a [u8]>,
    /// The SDK links goenv managed: a `go.goroot` naming one of them was written by goenv.
    pub links: &'a [PathBuf],
}

/// The file after goenv's edits: the `wanted` settings set, and, for a file goenv managed
/// before (`earlier`), every owned setting it no longer sets given back its original value.
/// When that leaves every owned setting as it originally was and nothing else was changed, the
/// original bytes come back exactly (`None` when goenv had created the file).
pub fn after(
    current: Option<&[u8]>,
    wanted: &[Edit],
    earlier: Option<Earlier<'_>>,
) -> Result<Option<Vec<u8>>, JsoncError> {
    let Some(text) = current else {
        // Absent (or deleted by the user since): created only when something is wanted.
        return if wanted.is_empty() { Ok(None) } else { jsonc::apply(b"", wanted).map(Some) };
    };
    let Some(earlier) = earlier else { return jsonc::apply(text, wanted).map(Some) };
    let mut edits = wanted.to_vec();
    for key in Key::ALL {
        if wanted.iter().any(|w| key.is(w)) || !key.written_by_goenv(text, earlier.links)? {
            continue;
        }
        let original = match earlier.original {
            Some(o) => key.read(o).ok().flatten(),
            None => None,
        };
        // `Edit` writes strings; a setting that was some other value goes away (VS Code then
        // uses its default, as it did for the invalid value).
        edits.push(key.edit(original.and_then(|v| v.as_str().map(str::to_owned))));
    }
    let out = jsonc::apply(text, &edits)?;
    let original = earlier.original.unwrap_or_default();
    if owned_values(&out) == owned_values(original)
        && owned_values(&out).is_some()
        && recreate(text).is_some_and(|r| jsonc::apply(original, &r).is_ok_and(|t| t == text))
    {
        // The file is the original with goenv's settings in it: give back the original bytes.
        return Ok(earlier.original.map(<[u8]>::to_vec));
    }
    if earlier.original.is_none() && out.iter().filter(|b| !b.is_ascii_whitespace()).eq(b"{}") {
        return Ok(None);
    }
    Ok(Some(out))
}

/// The settings goenv owns in `text`, as one comparable value (`None` when it cannot be read):
/// an edit elsewhere in the file does not change it.
pub fn owned(text: &[u8]) -> Option<String> {
    owned_values(text).and_then(|v| serde_json::to_string(&v).ok())
}

/// `current` with goenv's settings as they are in `wanted` and every other byte as it is now:
/// what a rollback puts back. `wanted` is `None` when goenv had created the file: its settings
/// go, and the file too if nothing else is left. When only goenv's settings changed since, the
/// `wanted` bytes come back exactly. `None` from a file that cannot be read: the caller restores
/// `wanted` whole.
pub fn put_back(current: Option<&[u8]>, wanted: Option<&[u8]>) -> Option<Option<Vec<u8>>> {
    let edits = recreate(wanted.unwrap_or_default())?;
    let Some(now) = current else {
        // Deleted since: goenv's settings alone, if it had any.
        let removal = |e: &Edit| {
            matches!(e, Edit::SetTop { value: None, .. } | Edit::SetInObject { value: None, .. })
        };
        if edits.iter().all(removal) {
            return Some(None);
        }
        return jsonc::apply(b"", &edits).ok().map(Some);
    };
    if let Some(w) = wanted
        && recreate(now).is_some_and(|r| jsonc::apply(w, &r).is_ok_and(|t| t == now))
    {
        return Some(Some(w.to_vec()));
    }
    let out = jsonc::apply(now, &edits).ok()?;
    if wanted.is_none() && out.iter().filter(|b| !b.is_ascii_whitespace()).eq(b"{}") {
        return Some(None);
    }
    Some(Some(out))
}

/// The owned settings of a document, or `None` when it cannot be read.
fn owned_values(text: &[u8]) -> Option<Vec<Option<Value>>> {
    Key::ALL.iter().map(|k| k.read(text).ok()).collect()
}

/// The edits that put each owned setting of `text` into a document as it is there (string
/// values only).
fn recreate(text: &[u8]) -> Option<Vec<Edit>> {
    Key::ALL
        .iter()
        .map(|k| match k.read(text).ok()? {
            None => Some(k.edit(None)),
            Some(Value::String(s)) => Some(k.edit(Some(s))),
            Some(_) => None,
        })
        .collect()
}

/// The settings goenv owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Goroot,
    ToolsGo,
    Dlv,
}

impl Key {
    /// In the order goenv writes them.
    const ALL: [Self; 3] = [Self::Goroot, Self::ToolsGo, Self::Dlv];

    fn edit(self, value: Option<String>) -> Edit {
        match self {
            Self::Goroot => Edit::SetTop { key: GOROOT.to_owned(), value },
            Self::ToolsGo => Edit::SetTop { key: TOOLS_MANAGEMENT_GO.to_owned(), value },
            Self::Dlv => {
                Edit::SetInObject { key: ALTERNATE_TOOLS.to_owned(), field: DLV.to_owned(), value }
            }
        }
    }

    fn is(self, edit: &Edit) -> bool {
        match (self, edit) {
            (Self::Goroot, Edit::SetTop { key, .. }) => key == GOROOT,
            (Self::ToolsGo, Edit::SetTop { key, .. }) => key == TOOLS_MANAGEMENT_GO,
            (Self::Dlv, Edit::SetInObject { key, field, .. }) => {
                key == ALTERNATE_TOOLS && field == DLV
            }
            _ => false,
        }
    }

    fn read(self, text: &[u8]) -> Result<Option<Value>, JsoncError> {
        match self {
            Self::Goroot => jsonc::get_top(text, GOROOT),
            Self::ToolsGo => jsonc::get_top(text, TOOLS_MANAGEMENT_GO),
            Self::Dlv => jsonc::get_in_object(text, ALTERNATE_TOOLS, DLV),
        }
    }

    /// Whether goenv wrote this setting's current value in a file it manages. dlv is goenv's
    /// whenever the file is; the SDK settings only while they name an SDK link goenv manages
    /// (a profile without an active SDK leaves the user's own values alone).
    fn written_by_goenv(self, text: &[u8], links: &[PathBuf]) -> Result<bool, JsoncError> {
        let value = self.read(text)?;
        let value = value.as_ref().and_then(Value::as_str).map(Path::new);
        Ok(match self {
            Self::Dlv => true,
            Self::Goroot => value.is_some_and(|v| links.iter().any(|l| v == l)),
            Self::ToolsGo => value.is_some_and(|v| links.iter().any(|l| v == l.join("bin/go"))),
        })
    }
}

/// The `dlv` VS Code's Go extension debugs with, when it is not the `delve` node's (whose
/// findings already cover it): the settings file's `go.alternateTools.dlv`, or goenv's value
/// when the profile owns the file. `None` when there is nothing else to check.
pub fn editor_dlv(profile: &Profile, ctx: &Context, observed: &Observed) -> Option<PathBuf> {
    let own = super::delve::dlv_path(profile, ctx)
        .unwrap_or_else(|| Path::new(&super::gobin(profile, ctx)).join("dlv"));
    let path = settings_path(profile, ctx).unwrap_or_else(|| default_settings(ctx));
    let set = if profile.vscode.is_some() {
        own.clone()
    } else {
        let bytes = observed.get(&path).bytes()?;
        match jsonc::get_in_object(bytes, ALTERNATE_TOOLS, "dlv") {
            Ok(Some(Value::String(v))) => resolve(&v, ctx).filter(|p| p.is_absolute())?,
            _ => return None,
        }
    };
    (profile.delve.is_none() || normalise(&set) != normalise(&own)).then_some(set)
}

/// A path setting as VS Code's Go extension resolves it (`resolvePath(substituteEnv(v))`):
/// `${env:NAME}` becomes the variable's value (empty when unset; HOME is the Context's home),
/// then a leading `~` becomes the home directory (`path.join`, so `~x` is `<home>/x`), and the
/// result is normalised. `None` when it depends on the open folder (`${workspaceFolder}`).
/// `${userHome}` is not expanded: the extension leaves it as it is.
pub fn resolve(value: &str, ctx: &Context) -> Option<PathBuf> {
    let home = ctx.home.to_string_lossy();
    let mut s = String::new();
    let mut rest = value;
    while let Some(i) = rest.find("${env:") {
        let after = &rest[i + "${env:".len()..];
        match after.find('}') {
            Some(end) if end > 0 => {
                s.push_str(&rest[..i]);
                let name = after[..end].trim();
                let v = if name == "HOME" { Some(home.as_ref()) } else { None };
                s.push_str(v.or(ctx.env.get(name).map(String::as_str)).unwrap_or(""));
                rest = &after[end + 1..];
            }
            _ => {
                s.push_str(&rest[..i + 2]);
                rest = &rest[i + 2..];
            }
        }
    }
    s.push_str(rest);
    if ["${workspaceFolder}", "${workspaceRoot}", "${workspaceFolderBasename}"]
        .iter()
        .any(|v| s.contains(v))
    {
        return None;
    }
    let s = match s.strip_prefix('~') {
        Some(r) => format!("{home}/{r}"),
        None => s,
    };
    Some(normalise(Path::new(&s)))
}

/// `.`, `..` and repeated or trailing slashes resolved lexically, as node's `path.join` does.
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() && !path.is_absolute() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Arch;

    const GOROOT_G: &str = "/h/sdk/current";

    fn ctx(os: Os) -> Context {
        let mut c = Context::hermetic("/h".into(), os, Arch::Amd64, "box".into());
        c.env.insert("SDKS".into(), "/h/sdk".into());
        c
    }

    #[test]
    fn put_back_restores_goenvs_settings_only() {
        let left = b"{\n    \"a\": 1,\n    \"go.goroot\": \"/h/sdk/current\"\n}\n";
        // Only goenv's setting changed since: the bytes goenv left.
        let theirs = b"{\n    \"a\": 1,\n    \"go.goroot\": \"/x\"\n}\n";
        assert_eq!(put_back(Some(theirs), Some(left)), Some(Some(left.to_vec())));
        // Another setting changed too: that change stays.
        let both = b"{\n    \"a\": 2,\n    \"go.goroot\": \"/x\"\n}\n";
        let got = put_back(Some(both), Some(left)).unwrap().unwrap();
        assert_eq!(got, b"{\n    \"a\": 2,\n    \"go.goroot\": \"/h/sdk/current\"\n}\n");
        assert_eq!(owned(&got), owned(left));
        assert_ne!(owned(both), owned(left));
        // goenv created the file: its settings go, and the file when nothing else is left.
        let only = b"{\n    \"go.goroot\": \"/h/sdk/current\"\n}\n";
        assert_eq!(put_back(Some(only), None), Some(None));
        let kept = put_back(Some(both), None).unwrap().unwrap();
        assert_eq!(jsonc::get_top(&kept, "a").unwrap(), Some(serde_json::json!(2)));
        assert_eq!(jsonc::get_top(&kept, GOROOT).unwrap(), None);
        // Unreadable now: the caller restores the whole file.
        assert_eq!(put_back(Some(b"{"), Some(left)), None);
    }

    fn wanted_all() -> Vec<Edit> {
        vec![
            Key::Goroot.edit(Some(GOROOT_G.into())),
            Key::ToolsGo.edit(Some(format!("{GOROOT_G}/bin/go"))),
            Key::Dlv.edit(Some("/h/go/bin/dlv".into())),
        ]
    }

    fn links() -> Vec<PathBuf> {
        vec![PathBuf::from(GOROOT_G)]
    }

    fn earlier<'a>(original: Option<&'a [u8]>, links: &'a [PathBuf]) -> Option<Earlier<'a>> {
        Some(Earlier { original, links })
    }

    fn text(bytes: Option<Vec<u8>>) -> Option<String> {
        bytes.map(|b| String::from_utf8(b).expect("UTF-8"))
    }

    #[test]
    fn default_settings_follow_vscode() {
        assert_eq!(
            default_settings(&ctx(Os::Linux)),
            Path::new("/h/.config/Code/User/settings.json")
        );
        assert_eq!(
            default_settings(&ctx(Os::Macos)),
            Path::new("/h/Library/Application Support/Code/User/settings.json")
        );
        let mut c = ctx(Os::Linux);
        c.config_home = "/x".into();
        assert_eq!(default_settings(&c), Path::new("/x/Code/User/settings.json"));
        c.env.insert("VSCODE_APPDATA".into(), "/portable".into());
        assert_eq!(default_settings(&c), Path::new("/portable/Code/User/settings.json"));
    }

    #[test]
    fn values_resolve_like_the_go_extension() {
        let c = ctx(Os::Linux);
        let r = |v: &str| resolve(v, &c);
        assert_eq!(r("~/sdk/current/"), Some("/h/sdk/current".into()));
        assert_eq!(r("~"), Some("/h".into()));
        assert_eq!(r("~sdk//current"), Some("/h/sdk/current".into()));
        assert_eq!(r("${env:HOME}/sdk/./x/../current"), Some("/h/sdk/current".into()));
        assert_eq!(r("${env: SDKS }/current"), Some("/h/sdk/current".into()));
        assert_eq!(r("${env:NOPE}/go"), Some("/go".into()));
        assert_eq!(r("${env:}/go"), Some("${env:}/go".into()));
        assert_eq!(r("${userHome}/sdk/current"), Some("${userHome}/sdk/current".into()));
        assert_eq!(r("${workspaceFolder}/go"), None);
        assert_eq!(r("go"), Some("go".into()));
    }

    #[test]
    fn new_file_and_removal_of_everything() {
        let created = after(None, &wanted_all(), None).unwrap();
        let shown = text(created.clone()).unwrap();
        assert!(shown.starts_with("{\n    \"go.goroot\": \"/h/sdk/current\",\n"), "{shown}");
        // The node is removed: goenv had created the file, so it goes.
        let l = links();
        assert_eq!(after(created.as_deref(), &[], earlier(None, &l)).unwrap(), None);
        // Absent and nothing wanted: nothing to write.
        assert_eq!(after(None, &[], earlier(Some(b"{}"), &l)).unwrap(), None);
    }

    #[test]
    fn removal_gives_back_the_original_bytes() {
        let l = links();
        for original in [
            "{\n  // mine\n  \"editor.tabSize\": 2,\n}\n",
            "// only a comment\n",
            "{\"go.alternateTools\": {}, \"go.goroot\": \"/old\"}",
            "\u{feff}{\r\n\t\"go.alternateTools\": {\"gopls\": \"/p\"}\r\n}",
            "",
        ] {
            let o = original.as_bytes();
            let applied = after(Some(o), &wanted_all(), earlier(Some(o), &l)).unwrap();
            let back = after(applied.as_deref(), &[], earlier(Some(o), &l)).unwrap();
            assert_eq!(text(back).as_deref(), Some(original), "{applied:?}");
        }
    }

    #[test]
    fn removal_keeps_the_users_later_edits() {
        let l = links();
        let original = b"{\n    \"a\": 1\n}\n";
        let applied = after(Some(original), &wanted_all(), earlier(Some(original), &l)).unwrap();
        let edited = String::from_utf8(applied.unwrap()).unwrap().replace("\"a\": 1", "\"a\": 2");
        let back = after(Some(edited.as_bytes()), &[], earlier(Some(original), &l)).unwrap();
        assert_eq!(text(back).as_deref(), Some("{\n    \"a\": 2\n}\n"));
        // A created file the user added to stays.
        let created = after(None, &wanted_all(), None).unwrap().unwrap();
        let edited =
            String::from_utf8(created).unwrap().replacen("{\n", "{\n    \"b\": true,\n", 1);
        let back = after(Some(edited.as_bytes()), &[], earlier(None, &l)).unwrap();
        assert_eq!(text(back).as_deref(), Some("{\n    \"b\": true\n}\n"));
    }

    #[test]
    fn sdk_settings_go_back_when_the_profile_drops_its_sdk() {
        let l = links();
        let original = b"{\"go.goroot\": \"/usr/lib/go\"}";
        let applied = after(Some(original), &wanted_all(), earlier(Some(original), &l)).unwrap();
        let dlv_only = &wanted_all()[2..];
        let got = after(applied.as_deref(), dlv_only, earlier(Some(original), &l)).unwrap();
        assert_eq!(
            text(got).as_deref(),
            Some(
                "{\"go.goroot\": \"/usr/lib/go\", \"go.alternateTools\": {\"dlv\": \"/h/go/bin/dlv\"}}"
            )
        );
        // A go.goroot that is not goenv's link is the user's, even in a managed file.
        let users = b"{\"go.goroot\": \"/opt/go\"}";
        let got = after(Some(users), dlv_only, earlier(Some(original), &l)).unwrap();
        assert_eq!(
            text(got).as_deref(),
            Some(
                "{\"go.goroot\": \"/opt/go\", \"go.alternateTools\": {\"dlv\": \"/h/go/bin/dlv\"}}"
            )
        );
    }

    /// Findings for `profile` on a temporary home with an adopted go1.99.1 in `~/sdk` and
    #[test]
    fn unparsable_files_are_errors() {
        let err = after(Some(b"{\n  \"a\": 1\n  \"b\": 2\n}"), &wanted_all(), None).unwrap_err();
        assert_eq!((err.line, err.column), (2, 9));
        let l = links();
        assert!(after(Some(b"{"), &[], earlier(None, &l)).is_err());
    }
}
