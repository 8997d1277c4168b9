//! Findings about the environment the Go command gets: another source (the process
//! environment, a shell start-up file, an environment.d file) sets a key the profile puts in the
//! Go env file, a `GOROOT=` line pins every toolchain, a GOPATH entry is GOROOT, and
//! `~/.bash_profile` hides `~/.profile`.

use super::{Code, Finding, Input, Severity};
use crate::context::{Context, Os};
use crate::formats::lines::numbered_text as lines;
use crate::formats::shell::{BASH_LOGIN_FILES, STARTUP_FILES, sh_assigned, sources_profile};
use crate::formats::{block, envd, goenvfile};
use crate::probe::{self, Observed};
use crate::profile::secret::{REDACTED, redact_urls};
use crate::profile::{Profile, Setting};
use crate::resource::{Kind, tilde_path};
use crate::units::Desired;

pub fn findings(input: Input<'_>, out: &mut Vec<Finding>) {
    let Input { ctx, observed, profile, desired } = input;
    let go_keys = profile.map(go_env_settings).unwrap_or_default();
    shadowed_by_environment(&go_keys, ctx, out);
    shadowed_by_rc_files(&go_keys, ctx, observed, out);
    if ctx.os == Os::Linux
        && let Some(profile) = profile
    {
        shadowed_by_environment_d(profile, &go_keys, ctx, desired, observed, out);
    }
    goroot_in_go_env_file(ctx, desired, observed, out);
    gopath_is_goroot(&go_keys, ctx, out);
    bash_profile_hides_profile(ctx, observed, out);
}

const CODE_ENV: Code = Code::ShadowedByEnvironment;
const CODE_RC: Code = Code::ShadowedByRcFile;
const CODE_ENVD: Code = Code::ShadowedByEnvironmentD;
const CODE_GOROOT: Code = Code::GorootInGoEnvFile;
const CODE_GOPATH: Code = Code::GopathIsGoroot;
const CODE_BASH: Code = Code::BashProfileHidesProfile;

/// goenv's own environment.d file.
const OWN_ENVD: &str = "50-goenv.conf";

/// The Go env file settings of the profile, one per key (the last one written wins, as in the
/// file), in order of first appearance.
fn go_env_settings(profile: &Profile) -> Vec<&Setting> {
    let mut out: Vec<&Setting> = Vec::new();
    for s in profile.go_env_file() {
        match out.iter_mut().find(|o| o.key == s.key) {
            Some(slot) => *slot = s,
            None => out.push(s),
        }
    }
    out
}

/// A value fit for a message: secrets hidden whole, URL credentials hidden.
fn shown(value: &str, secret: bool) -> String {
    if secret { REDACTED.to_owned() } else { format!("{:?}", redact_urls(value)) }
}

/// `shadowed-by-environment`: A non-empty OS variable wins over the Go env file (A.2); `go env -w` only warns.
fn shadowed_by_environment(go_keys: &[&Setting], ctx: &Context, out: &mut Vec<Finding>) {
    for s in go_keys {
        let Some(env) = ctx.env.get(&s.key).filter(|v| !v.is_empty()) else { continue };
        if *env == s.value.text {
            continue;
        }
        let key = &s.key;
        // The environment's value of a secret key is as secret as the profile's.
        let (theirs, ours) = (shown(env, s.value.secret), shown(&s.value.text, s.value.secret));
        out.push(Finding::new(Severity::Warning, CODE_ENV, format!(
                "`{key}` is {theirs} in the environment goenv runs in, so the Go command ignores \
                 the profile's {ours} from the Go env file"
            )).help(format!(
                "remove `{key}` from wherever it is exported (shell start-up files, \
                 environment.d, the desktop session) and start a new session, or set it to the \
                 profile's value there; `go env -w` only warns about this"
            )));
    }
}

/// `shadowed-by-rc-file`: A shell start-up file that sets a Go env file key outside goenv's block.
fn shadowed_by_rc_files(
    go_keys: &[&Setting],
    ctx: &Context,
    observed: &Observed,
    out: &mut Vec<Finding>,
) {
    if go_keys.is_empty() {
        return;
    }
    for name in STARTUP_FILES {
        let path = ctx.home.join(name);
        let Some(bytes) = observed.get(&path).bytes() else { continue };
        // A broken block is reported by the plan; here every line is then looked at.
        let own = block::find(bytes).ok().flatten();
        let shown_path = tilde_path(&path, &ctx.home);
        for (n, start, text) in lines(bytes) {
            if own.as_ref().is_some_and(|r| r.contains(&start)) {
                continue;
            }
            let text = String::from_utf8_lossy(text);
            let mut names = sh_assigned(&text);
            names.dedup();
            for key in names.iter().filter(|k| go_keys.iter().any(|s| s.key == **k)) {
                out.push(
                    Finding::new(
                        Severity::Warning,
                        CODE_RC,
                        format!(
                            "`{shown_path}:{n}` sets `{key}` outside goenv's block: in shells that \
                         read it, the Go command uses that value instead of the Go env file's"
                        ),
                    )
                    .help(format!(
                        "remove or comment out line {n} of `{shown_path}`: goenv puts `{key}` in \
                         the Go env file, which every `go` reads"
                    ))
                    .at(path.clone(), Some(n)),
                );
            }
        }
    }
}

/// `shadowed-by-environment-d`: Another environment.d file sets a Go env file key, or a key goenv's own file sets.
fn shadowed_by_environment_d(
    profile: &Profile,
    go_keys: &[&Setting],
    ctx: &Context,
    desired: Option<&Desired>,
    observed: &Observed,
    out: &mut Vec<Finding>,
) {
    let dir = ctx.config_home.join("environment.d");
    let session = desired.is_some_and(|d| d.wants(Kind::File, &dir.join(OWN_ENVD)));
    for (path, state) in &observed.files {
        if path.parent() != Some(dir.as_path())
            || path.extension().is_none_or(|x| x != "conf")
            || path.file_name().is_some_and(|f| f == OWN_ENVD)
        {
            continue;
        }
        let Some(bytes) = state.bytes() else { continue };
        let name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        // systemd applies the files in name order; later assignments win.
        let after = name.as_bytes() > OWN_ENVD.as_bytes();
        let shown_path = tilde_path(path, &ctx.home);
        for (n, key, value) in envd::assignments(bytes) {
            let at = format!("`{shown_path}:{n}`");
            let (message, help) = if go_keys.iter().any(|s| s.key == key) {
                (
                    format!(
                        "{at} sets `{key}` for services and apps the user manager starts: the \
                         Go command they run uses it instead of the Go env file's value"
                    ),
                    format!(
                        "remove line {n} of `{shown_path}`: goenv puts `{key}` in the Go env \
                         file, which every `go` reads"
                    ),
                )
            } else if session && profile.export.iter().any(|s| s.key == key) {
                if after {
                    (
                        format!(
                            "{at} sets `{key}`, and `{name}` is applied after goenv's \
                             `{OWN_ENVD}`, so its value wins over the profile's"
                        ),
                        format!(
                            "remove line {n} of `{shown_path}`, or rename the file so it sorts \
                             before `{OWN_ENVD}`"
                        ),
                    )
                } else {
                    (
                        format!(
                            "{at} sets `{key}`, but `{name}` is applied before goenv's \
                             `{OWN_ENVD}`, whose value from the profile wins"
                        ),
                        format!("remove line {n} of `{shown_path}` so `{key}` has one source"),
                    )
                }
            } else if session && after && key == "PATH" && !value.contains("$PATH") {
                if value.contains("${PATH") {
                    continue;
                }
                (
                    format!(
                        "{at} sets `PATH` without `$PATH`, and `{name}` is applied after \
                         goenv's `{OWN_ENVD}`, so the entries goenv puts on `PATH` are lost"
                    ),
                    format!("append `${{PATH:+:$PATH}}` to line {n} of `{shown_path}`"),
                )
            } else {
                continue;
            };
            out.push(
                Finding::new(Severity::Warning, CODE_ENVD, message)
                    .help(help)
                    .at(path.clone(), Some(n)),
            );
        }
    }
}

/// `goroot-in-go-env-file`: A `GOROOT=` line in the Go env file pins every toolchain to one GOROOT (A.1).
fn goroot_in_go_env_file(
    ctx: &Context,
    desired: Option<&Desired>,
    observed: &Observed,
    out: &mut Vec<Finding>,
) {
    let Some(path) = probe::go_env_file(ctx) else { return };
    let Some(bytes) = observed.get(&path).bytes() else { return };
    // An empty value pins nothing: Go then finds GOROOT itself.
    let Some((_, value)) = goenvfile::parse(bytes).into_iter().find(|(k, _)| k == "GOROOT") else {
        return;
    };
    if value.is_empty() {
        return;
    }
    // The last `GOROOT=` line is the one Go uses.
    let line = lines(bytes).filter(|(_, _, t)| t.starts_with(b"GOROOT=")).map(|(n, ..)| n).last();
    let shown_path = tilde_path(&path, &ctx.home);
    let at = line.map_or_else(|| format!("`{shown_path}`"), |n| format!("`{shown_path}:{n}`"));
    let value = shown(&String::from_utf8_lossy(&value), false);
    let owned = desired.is_some_and(|d| d.wants(Kind::File, &path));
    let help = if owned {
        "`goenv apply` rewrites the Go env file from the profile, without this line".to_owned()
    } else {
        "run `go env -u GOROOT` to remove it (go1.27 refuses `go env -w GOROOT=…` but still \
         honours a line already in the file)"
            .to_owned()
    };
    out.push(
        Finding::new(
            Severity::Error,
            CODE_GOROOT,
            format!(
                "{at} sets `GOROOT` to {value}: every Go toolchain, including those `GOTOOLCHAIN` \
             switches to, uses that one GOROOT"
            ),
        )
        .help(help)
        .at(path, line),
    );
}

/// `gopath-is-goroot`: A GOPATH entry that is GOROOT: Go warns on every run and `go install` writes into the SDK.
fn gopath_is_goroot(go_keys: &[&Setting], ctx: &Context, out: &mut Vec<Finding>) {
    let Some(goroot) = ctx.env.get("GOROOT").filter(|v| !v.is_empty()) else { return };
    let trim = |p: &str| -> String {
        let t = p.trim_end_matches('/');
        if t.is_empty() && p.starts_with('/') { "/".to_owned() } else { t.to_owned() }
    };
    let (gopath, from) = match go_keys.iter().find(|s| s.key == "GOPATH") {
        Some(s) => (s.value.text.clone(), "the profile's `GOPATH`"),
        None => match ctx.env.get("GOPATH").filter(|v| !v.is_empty()) {
            Some(v) => (v.clone(), "`GOPATH` in the environment goenv runs in"),
            None => (ctx.home.join("go").to_string_lossy().into_owned(), "the default `GOPATH`"),
        },
    };
    let root = trim(goroot);
    for entry in gopath.split(':').filter(|e| !e.is_empty()) {
        if trim(entry) != root {
            continue;
        }
        out.push(
            Finding::new(
                Severity::Warning,
                CODE_GOPATH,
                format!(
                    "{from} has the entry `{entry}`, which is `GOROOT` in the environment goenv \
                 runs in: the Go command warns on every run and `go install` writes into the SDK"
                ),
            )
            .help(
                "point `GOPATH` elsewhere (Go's default is `~/go`), or unset `GOROOT`: the Go \
             command finds its own GOROOT"
                    .to_owned(),
            ),
        );
    }
}

/// `bash-profile-hides-profile`: bash login shells read only the first of `~/.bash_profile`, `~/.bash_login` and
/// `~/.profile` (C.3), so the first hides `~/.profile` unless it sources it.
fn bash_profile_hides_profile(ctx: &Context, observed: &Observed, out: &mut Vec<Finding>) {
    let profile = ctx.home.join(".profile");
    if !observed.get(&profile).exists() {
        return;
    }
    // The login files bash reads before `~/.profile`, the last of its list.
    let before_profile = &BASH_LOGIN_FILES[..BASH_LOGIN_FILES.len() - 1];
    let Some((path, bytes)) = before_profile.iter().find_map(|f| {
        let p = ctx.home.join(f);
        let state = observed.get(&p);
        state.exists().then(|| (p, state.bytes().unwrap_or_default()))
    }) else {
        return;
    };
    if lines(bytes).any(|(_, _, t)| sources_profile(&String::from_utf8_lossy(t))) {
        return;
    }
    let shown_path = tilde_path(&path, &ctx.home);
    out.push(
        Finding::new(
            Severity::Warning,
            CODE_BASH,
            format!(
                "`{shown_path}` does not source `~/.profile`: bash login shells read only \
             `{shown_path}`, so everything in `~/.profile` is ignored by bash"
            ),
        )
        .help(format!("add `. ~/.profile` to `{shown_path}`"))
        .at(path, None),
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::context::Arch;
    use crate::rules::findings;

    const GOPROXY: &str = "version 1\ngo-env { GOPROXY \"https://proxy.golang.org,direct\" }\n";

    /// A temporary home with `files` (relative to it), the environment `env` and `profile`.
    struct Machine {
        dir: tempfile::TempDir,
        env: Vec<(String, String)>,
        os: Os,
    }

    impl Machine {
        fn new() -> Self {
            Self { dir: tempfile::tempdir().expect("temp dir"), env: Vec::new(), os: Os::Linux }
        }

        fn home(&self) -> &Path {
            self.dir.path()
        }

        fn file(self, rel: &str, bytes: impl AsRef<[u8]>) -> Self {
            let path = self.home().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, bytes).expect("write");
            self
        }

        fn env(mut self, key: &str, value: &str) -> Self {
            self.env.push((key.to_owned(), value.to_owned()));
            self
        }

        fn findings(&self, profile: &str) -> Vec<Finding> {
            let mut ctx =
                Context::hermetic(self.home().to_path_buf(), self.os, Arch::Amd64, "box".into());
            ctx.env = self.env.iter().cloned().collect();
            let path = ctx.default_profile();
            let profile = match crate::profile::load_str(&path, profile, &ctx) {
                Ok(p) => p,
                Err(r) => panic!("profile rejected: {:?}", r.problems),
            };
            let input = crate::units::Input { profile: &profile, ctx: &ctx };
            let observed = crate::engine::observe(input, &Default::default()).expect("observe");
            let desired = crate::units::desired(input, &observed).expect("desired");
            findings(crate::rules::Input {
                ctx: &ctx,
                observed: &observed,
                profile: Some(&profile),
                desired: Some(&desired),
            })
        }
    }

    fn with_code(all: &[Finding], code: Code) -> Vec<&Finding> {
        all.iter().filter(|f| f.code == code).collect()
    }

    #[track_caller]
    fn one(all: &[Finding], code: Code) -> &Finding {
        let found = with_code(all, code);
        assert_eq!(found.len(), 1, "expected one {code}, got {all:#?}");
        found[0]
    }

    #[track_caller]
    fn none(all: &[Finding], code: Code) {
        assert!(with_code(all, code).is_empty(), "unexpected {code}: {all:#?}");
    }

    // ---- shadowed-by-environment -------------------------------------------------------

    #[test]
    fn environment_value_shadows_the_go_env_file() {
        let all = Machine::new().env("GOPROXY", "https://goproxy.cn").findings(GOPROXY);
        let f = one(&all, CODE_ENV);
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!((&f.path, f.line), (&None, None));
        assert!(f.message.starts_with("`GOPROXY` is \"https://goproxy.cn\""), "{}", f.message);
        assert!(f.message.contains("\"https://proxy.golang.org,direct\""), "{}", f.message);
        assert!(f.message.contains("the environment goenv runs in"), "{}", f.message);
        assert!(f.help.as_deref().unwrap_or_default().contains("go env -w"));
    }

    #[test]
    fn empty_or_equal_environment_values_do_not_shadow() {
        let all = Machine::new().env("GOPROXY", "").findings(GOPROXY);
        none(&all, CODE_ENV);
        let all =
            Machine::new().env("GOPROXY", "https://proxy.golang.org,direct").findings(GOPROXY);
        none(&all, CODE_ENV);
        // A variable the profile does not put in the Go env file is none of goenv's business.
        let all = Machine::new().env("GOFLAGS", "-v").findings(GOPROXY);
        none(&all, CODE_ENV);
    }

    #[test]
    fn secret_values_and_url_credentials_are_not_printed() {
        let profile = "version 1\ngo-env { GOPROXY \"https://proxy.example.com\" secret=#true }\n";
        let all = Machine::new().env("GOPROXY", "https://old-secret.example.com").findings(profile);
        let f = one(&all, CODE_ENV);
        assert!(!f.message.contains("proxy.example.com"), "{}", f.message);
        assert!(!f.message.contains("old-secret"), "{}", f.message);
        assert_eq!(f.message.matches("<redacted>").count(), 2, "{}", f.message);

        let all =
            Machine::new().env("GOPROXY", "https://bob:hunter2@p.example.com").findings(GOPROXY);
        let f = one(&all, CODE_ENV);
        assert!(!f.message.contains("hunter2") && !f.message.contains("bob"), "{}", f.message);
        assert!(f.message.contains("https://<redacted>@p.example.com"), "{}", f.message);
    }

    // ---- shadowed-by-rc-file -----------------------------------------------------------

    #[test]
    fn rc_file_exports_are_reported_with_file_and_line() {
        let m = Machine::new()
            .file(".bashrc", "alias ll='ls -l'\n  export GOPROXY=https://goproxy.cn\n")
            .file(".zshrc", "GOPROXY=off\n[ -n \"$X\" ] && export A=1 GOPROXY=\"a b\"\n");
        let all = m.findings(GOPROXY);
        let found = with_code(&all, CODE_RC);
        let at: Vec<(String, Option<usize>)> = found
            .iter()
            .map(|f| (tilde_path(f.path.as_ref().expect("path"), m.home()), f.line))
            .collect();
        let want = [("~/.bashrc", 2), ("~/.zshrc", 1), ("~/.zshrc", 2)]
            .map(|(p, l)| (p.to_owned(), Some(l)))
            .to_vec();
        assert_eq!(at, want);
        assert!(
            found[0].message.starts_with("`~/.bashrc:2` sets `GOPROXY`"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].severity, Severity::Warning);
    }

    #[test]
    fn crlf_and_non_utf8_rc_files_give_the_right_line() {
        let m = Machine::new()
            .file(".profile", b"# \xff\xfe\r\nPATH=$PATH:/x\r\n\r\nexport GOPROXY=x\r\n");
        let all = m.findings(GOPROXY);
        let f = one(&all, CODE_RC);
        assert_eq!(f.line, Some(4));
        assert_eq!(f.path.as_deref(), Some(m.home().join(".profile").as_path()));
        assert!(f.message.contains("`~/.profile:4`"), "{}", f.message);
    }

    #[test]
    fn goenv_block_comments_and_other_uses_do_not_count() {
        let rc = "# export GOPROXY=x\n   #GOPROXY=y\n\
                  # >>> goenv >>>\nexport GOPROXY=inside\n# <<< goenv <<<\n\
                  GOPROXY=z go build ./...\necho GOPROXY=z\nexport GOPROXY\nexport GOPROXYX=1\n\
                  MYGOPROXY=1\n";
        let all = Machine::new().file(".bashrc", rc).findings(GOPROXY);
        none(&all, CODE_RC);
        // Keys the profile does not put in the Go env file are not reported.
        let all = Machine::new().file(".bashrc", "export GOPROXY=x\n").findings("version 1\n");
        none(&all, CODE_RC);
    }

    // ---- shadowed-by-environment-d -----------------------------------------------------

    #[test]
    fn environment_d_setting_a_go_env_key_is_reported() {
        let m = Machine::new().file(
            ".config/environment.d/10-proxy.conf",
            "# GOPROXY=x\n; GOPROXY=y\nGOPROXY=https://a\n",
        );
        let all = m.findings(GOPROXY);
        let f = one(&all, CODE_ENVD);
        assert_eq!(f.line, Some(3));
        assert!(
            f.message.starts_with("`~/.config/environment.d/10-proxy.conf:3` sets `GOPROXY`"),
            "{}",
            f.message
        );
    }

    #[test]
    fn environment_d_exports_say_which_file_wins() {
        let profile = "version 1\nexport { EDITOR \"vi\" }\nsession\n";
        let m = Machine::new()
            .file(".config/environment.d/10-early.conf", "EDITOR=nano\n")
            .file(".config/environment.d/90-late.conf", "X=1\\\nEDITOR=cont\nEDITOR = emacs\n")
            .file(".config/environment.d/50-goenv.conf", "EDITOR=old\n");
        let all = m.findings(profile);
        let found = with_code(&all, CODE_ENVD);
        assert_eq!(found.len(), 2, "{all:#?}");
        assert_eq!(found[0].line, Some(1));
        assert!(found[0].message.contains("applied before goenv's `50-goenv.conf`"));
        assert_eq!(found[1].line, Some(3));
        assert!(found[1].message.contains("applied after goenv's `50-goenv.conf`"));
        assert!(found[1].message.contains("wins over the profile's"));
    }

    #[test]
    fn environment_d_without_conflicts_is_quiet() {
        let m = Machine::new()
            .file(".config/environment.d/90-late.conf", "EDITOR=nano\nexport GOPROXY=x\nGOPROXY=\n")
            .file(".config/environment.d/20-path.conf", "PATH=/opt/bin\n")
            .file(".config/environment.d/95-path.conf", "PATH=/opt/bin:$PATH\n")
            .file(".config/environment.d/notes.txt", "GOPROXY=x\n");
        // Without `session`, goenv's own file does not exist: exports cannot clash.
        let all = m.findings(GOPROXY);
        none(&all, CODE_ENVD);
        let all = m.findings("version 1\nexport { TERM \"xterm\" }\nsession\n");
        none(&all, CODE_ENVD);
        // A later PATH that drops `$PATH` loses goenv's entries.
        let m = m.file(".config/environment.d/99-path.conf", "PATH=/usr/bin\n");
        let all = m.findings("version 1\nsession\n");
        assert_eq!(one(&all, CODE_ENVD).line, Some(1));
    }

    // ---- goroot-in-go-env-file ---------------------------------------------------------

    #[test]
    fn goroot_line_in_the_go_env_file_is_an_error() {
        let m = Machine::new().file(".config/go/env", "GOPROXY=x\nGOROOT=/usr/local/go\n");
        let all = m.findings(GOPROXY);
        let f = one(&all, CODE_GOROOT);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.line, Some(2));
        assert!(f.message.starts_with("`~/.config/go/env:2` sets `GOROOT`"), "{}", f.message);
        assert!(f.help.as_deref().unwrap_or_default().contains("goenv apply"));
        // Errors come first.
        assert_eq!(all[0].code, CODE_GOROOT);

        let all = m.findings("version 1\n");
        let help = one(&all, CODE_GOROOT).help.clone().unwrap_or_default();
        assert!(help.contains("go env -u GOROOT"), "{help}");
    }

    #[test]
    fn no_goroot_line_no_error() {
        let m =
            Machine::new().file(".config/go/env", "# GOROOT=/x\nGOPROXY=x\ngoroot=/x\nGOROOT=\n");
        none(&m.findings(GOPROXY), CODE_GOROOT);
        // Under GOENV=off Go reads no file.
        let m = Machine::new().file(".config/go/env", "GOROOT=/x\n").env("GOENV", "off");
        none(&m.findings("version 1\n"), CODE_GOROOT);
    }

    // ---- gopath-is-goroot --------------------------------------------------------------

    #[test]
    fn gopath_entry_equal_to_goroot_is_reported() {
        let profile = "version 1\ngo-env { GOPATH \"/opt/a:/usr/local/go/\" }\n";
        let all = Machine::new().env("GOROOT", "/usr/local/go").findings(profile);
        let f = one(&all, CODE_GOPATH);
        assert!(f.message.contains("`/usr/local/go/`"), "{}", f.message);
        assert!(f.message.starts_with("the profile's `GOPATH`"), "{}", f.message);

        let m = Machine::new();
        let home = m.home().to_string_lossy().into_owned();
        let all = m.env("GOROOT", &format!("{home}/go/")).findings("version 1\n");
        assert!(one(&all, CODE_GOPATH).message.starts_with("the default `GOPATH`"));
        let all = Machine::new().env("GOROOT", "/g").env("GOPATH", "/g").findings("version 1\n");
        assert_eq!(with_code(&all, CODE_GOPATH).len(), 1);
    }

    #[test]
    fn gopath_apart_from_goroot_is_fine() {
        let profile = "version 1\ngo-env { GOPATH \"/opt/a:/usr/local/go/x\" }\n";
        none(&Machine::new().env("GOROOT", "/usr/local/go").findings(profile), CODE_GOPATH);
        none(
            &Machine::new().env("GOROOT", "").env("GOPATH", "/g").findings("version 1\n"),
            CODE_GOPATH,
        );
        // The profile's GOPATH is the one goenv makes effective.
        let all = Machine::new().env("GOROOT", "/g").env("GOPATH", "/g").findings(profile);
        none(&all, CODE_GOPATH);
    }

    // ---- bash-profile-hides-profile ----------------------------------------------------

    #[test]
    fn bash_profile_that_ignores_profile_is_reported() {
        let m = Machine::new()
            .file(".profile", "export EDITOR=vi\n")
            .file(".bash_profile", "# . ~/.profile\necho ~/.profile\n. ~/.profile.local\n");
        let all = m.findings("version 1\n");
        let f = one(&all, CODE_BASH);
        assert_eq!(f.path.as_deref(), Some(m.home().join(".bash_profile").as_path()));
        assert!(f.message.starts_with("`~/.bash_profile` does not source `~/.profile`"));
        assert_eq!(f.help.as_deref(), Some("add `. ~/.profile` to `~/.bash_profile`"));
    }

    #[test]
    fn bash_profile_that_sources_profile_is_fine() {
        for line in [
            ". ~/.profile",
            "[ -f ~/.profile ] && . ~/.profile",
            "if [ -r \"$HOME/.profile\" ]; then source \"$HOME/.profile\"; fi",
            "  source ${HOME}/.profile # login settings",
        ] {
            let m =
                Machine::new().file(".profile", "").file(".bash_profile", format!("{line}\r\n"));
            none(&m.findings("version 1\n"), CODE_BASH);
        }
        // Without ~/.profile nothing is hidden.
        none(&Machine::new().file(".bash_profile", "").findings("version 1\n"), CODE_BASH);
        none(&Machine::new().file(".profile", "").findings("version 1\n"), CODE_BASH);
    }

    // ---- order -------------------------------------------------------------------------

    #[test]
    fn findings_are_ordered_and_deterministic() {
        let m = Machine::new()
            .file(".zshrc", "export GOPROXY=a\n")
            .file(".bashrc", "export GOPROXY=b\nGOPROXY=c\n")
            .file(".config/go/env", "GOROOT=/x\n")
            .env("GOPROXY", "d");
        let all = m.findings(GOPROXY);
        assert_eq!(all, m.findings(GOPROXY));
        let order: Vec<(Code, Option<usize>)> = all.iter().map(|f| (f.code, f.line)).collect();
        assert_eq!(
            order,
            [
                (CODE_GOROOT, Some(1)),
                (CODE_ENV, None),
                (CODE_RC, Some(1)),
                (CODE_RC, Some(2)),
                (CODE_RC, Some(1)),
            ]
        );
        assert!(all[4].message.contains("~/.zshrc"));
    }

    #[test]
    fn sh_lines_are_split_into_commands() {
        assert_eq!(sh_assigned("A=1 B=\"x y\""), ["A", "B"]);
        assert_eq!(sh_assigned("export A=$(a; GOPROXY=b) C+=2"), ["A", "C"]);
        assert_eq!(sh_assigned("x || GOPROXY='a;b'; export D"), ["GOPROXY"]);
        assert!(sh_assigned("echo A=1 # B=2").is_empty());
        assert!(sh_assigned("A=1 cmd").is_empty());
    }
}
