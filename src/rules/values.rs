//! Findings about values that Go accepts and that hurt all the same:
//!
//! ```kdl
//! export { GOGC "-5"; GODEBUG "madeup=1" }     // gogc-negative, godebug-unknown-setting
//! service "api.service" { GOGC "-1" }          // the same for a service's environment
//! ```
//!
//! and the harmful keys of the Go env file as found (`GO111MODULE=off`, `GOFLAGS=-mod=vendor`, a
//! GOPROXY without `direct`, `GOSUMDB=off`) that the plan removes or replaces: the plan says why
//! they were harmful (`harmful-go-env-key-removed`). Pure: the profile, the observed Go env file
//! and the desired one.

use super::{Code, Finding, Input, Severity};
use crate::formats::goenvfile;
use crate::probe;
use crate::profile::govalue::closest;
use crate::profile::secret::redact_urls;
use crate::profile::{Profile, Setting};
use crate::resource::tilde_path;
use crate::units::Want;

pub fn findings(input: Input<'_>, out: &mut Vec<Finding>) {
    if let Some(profile) = input.profile {
        let blocks = std::iter::once(("`export`".to_owned(), &profile.export))
            .chain(profile.services.iter().map(|s| (format!("`service \"{}\"`", s.unit), &s.env)));
        for (block, settings) in blocks {
            for s in settings {
                match s.key.as_str() {
                    "GOGC" => negative_gogc(profile, &block, s, out),
                    "GODEBUG" => unknown_godebug(profile, &block, s, out),
                    _ => {}
                }
            }
        }
    }
    harmful_go_env_keys_removed(input, out);
}

/// The profile file and line of a setting's value, for a finding about it.
fn at(profile: &Profile, s: &Setting, finding: Finding) -> Finding {
    let file = profile.sources.get(s.value.at.file);
    let (line, _) = file.line_col(s.value.at.offset);
    finding.at(file.path.clone(), Some(line))
}

/// `gogc-negative`: the runtime reads a negative GOGC as "off" (`readGOGC`): no collection at
/// all, the heap only grows until GOMEMLIMIT (if any) forces one.
fn negative_gogc(profile: &Profile, block: &str, s: &Setting, out: &mut Vec<Finding>) {
    let Ok(n) = s.value.text.parse::<i32>() else { return };
    if n >= 0 {
        return;
    }
    let message = format!(
        "`GOGC` \"{n}\" in {block} turns the garbage collector off: Go reads every negative GOGC \
         as \"off\", so the heap only grows (up to GOMEMLIMIT, if one is set)"
    );
    let help = "write \"off\" if that is what you mean, or a percentage such as \"100\" (Go's \
                default)";
    out.push(at(
        profile,
        s,
        Finding::new(Severity::Error, Code::GogcNegative, message).help(help.into()),
    ));
}

/// `godebug-unknown-setting`: Go ignores a GODEBUG setting it does not know, silently.
fn unknown_godebug(profile: &Profile, block: &str, s: &Setting, out: &mut Vec<Finding>) {
    for field in s.value.text.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let Some((name, _)) = field.split_once('=') else { continue };
        if KNOWN_GODEBUG.contains(&name) {
            continue;
        }
        let message = format!(
            "`GODEBUG` setting `{name}` in {block} is not one Go knows, so Go ignores it without \
             a word"
        );
        let help = match closest(name, KNOWN_GODEBUG) {
            Some(c) => format!("did you mean `{c}`?"),
            None => "check the name against https://go.dev/doc/godebug; goenv knows the settings \
                     of Go 1.21 to 1.25, and a newer Go may know this one"
                .to_owned(),
        };
        out.push(at(
            profile,
            s,
            Finding::new(Severity::Warning, Code::GodebugUnknownSetting, message).help(help),
        ));
    }
}

/// `harmful-go-env-key-removed`: the Go env file has a key that breaks builds, and the plan
/// removes it or gives it another value: say what it did, so the change is not a surprise.
fn harmful_go_env_keys_removed(input: Input<'_>, out: &mut Vec<Finding>) {
    let Input { ctx, observed, desired, .. } = input;
    let (Some(desired), Some(path)) = (desired, probe::go_env_file(ctx)) else { return };
    let Some(now) = observed.get(&path).bytes() else { return };
    let Some(wanted) = desired.resources.iter().find_map(|r| match &r.want {
        Want::File(bytes) if r.path == path => Some(bytes),
        _ => None,
    }) else {
        return;
    };
    let wanted = goenvfile::parse(wanted);
    let shown = tilde_path(&path, &ctx.home);
    for (key, value) in goenvfile::parse(now) {
        let value = String::from_utf8_lossy(&value).into_owned();
        let Some(why) = harm(&key, &value) else { continue };
        let kept = wanted.iter().any(|(k, v)| *k == key && *v == value.as_bytes());
        if kept {
            continue;
        }
        let replaced = wanted.iter().any(|(k, _)| *k == key);
        let verb = if replaced { "replaces" } else { "removes" };
        let line = format!("{key}={}", redact_urls(&value));
        out.push(
            Finding::new(
                Severity::Info,
                Code::HarmfulGoEnvKeyRemoved,
                format!("the plan {verb} `{line}` in `{shown}`: {why}"),
            )
            .at(path.clone(), None),
        );
    }
}

/// Why a Go env file value breaks builds, if it does.
fn harm(key: &str, value: &str) -> Option<&'static str> {
    let flags = || value.split_whitespace().map(|f| f.trim_start_matches('-'));
    match key {
        "GO111MODULE" if value == "off" => Some(
            "it turns modules off, so `go build` ignores go.mod and looks for every import in \
             GOPATH: module projects stop building",
        ),
        "GOFLAGS" if flags().any(|f| f == "mod=vendor") => Some(
            "`-mod=vendor` makes every build read the vendor directory, so a module without an \
             up-to-date one fails with `inconsistent vendoring`",
        ),
        "GOPROXY" if value != "off" && !value.split([',', '|']).any(|p| p.trim() == "direct") => {
            Some(
                "it has no `direct` entry, so a module the proxy does not serve (a private one, a \
                 brand-new tag) cannot be fetched at all",
            )
        }
        "GOSUMDB" if value == "off" => {
            Some("it turned checksum verification off: downloaded modules were not verified")
        }
        _ => None,
    }
}

/// The GODEBUG settings of Go 1.21 to 1.25: `internal/godebugs.All`, every `godebug.New` of the
/// standard library and cmd, and the runtime's `dbgvars`, with the settings removed since.
#[rustfmt::skip]
pub(crate) const KNOWN_GODEBUG: &[&str] = &[
    "adaptivestackstart", "allocfreetrace", "allowmultiplevcs", "asyncpreemptoff",
    "asynctimerchan", "cgocheck", "checkfinalizers", "clobberfree", "cmdgonetlimit",
    "containermaxprocs", "dataindependenttiming", "decoratemappings", "disablethp",
    "dontfreezetheworld", "efence", "embedfollowsymlinks", "execerrdot", "execwait", "fips140",
    "fuzzdebug", "gccheckmark", "gcpacertrace", "gcshrinkstackoff", "gcstoptheworld", "gctrace",
    "gocachehash", "gocachetest", "gocacheverify", "gofsystrace", "gofsystracelog",
    "gofsystracestack", "goindex", "gotestjsonbuildtext", "gotoolchainexec", "gotypesalias",
    "harddecommit", "http2client", "http2debug", "http2server", "httpcookiemaxnum",
    "httplaxcontentlength", "httpmuxgo121", "httpservecontentkeepheaders", "inittrace",
    "installgoroot", "intern", "invalidptr", "jstmpllitinterp", "madvdontneed", "multipartfiles",
    "multipartmaxheaders", "multipartmaxparts", "multipathtcp", "netdns", "netedns0", "panicnil",
    "profstackdepth", "randautoseed", "randseednop", "rsa1024min", "runtimecontentionstacks",
    "sbrk", "scavtrace", "scheddetail", "schedtrace", "tarinsecurepath", "tls10server",
    "tls3des", "tlskyber", "tlsmaxrsasize", "tlsmlkem", "tlsrsakex", "tlssha1", "tlsunsafeekm",
    "toolchaintrace", "traceadvanceperiod", "traceallocfree", "tracebackancestors",
    "tracecheckstackownership", "tracefpunwindoff", "updatemaxprocs", "winreadlinkvolume",
    "winsymlink", "x509keypairleaf", "x509negativeserial", "x509rsacrt", "x509seriallength",
    "x509sha1", "x509sha256skid", "x509usefallbackroots", "x509usepolicies", "zipinsecurepath",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Arch, Context, Os};
    use crate::probe::Observed;

    fn findings_for(profile: &str, go_env: Option<&str>) -> Vec<Finding> {
        let ctx = Context::hermetic("/h".into(), Os::Linux, Arch::Amd64, "box".into());
        let profile = crate::profile::load_str(&ctx.default_profile(), profile, &ctx)
            .unwrap_or_else(|r| panic!("profile rejected: {:?}", r.problems));
        let mut observed = Observed::default();
        if let Some(text) = go_env {
            observed = observed.with_file("/h/.config/go/env", text);
        }
        let input = crate::units::Input { profile: &profile, ctx: &ctx };
        // A profile with `service` does not plan yet: rules still see it, as doctor will.
        let desired = crate::units::desired(input, &observed).ok();
        let mut out = Vec::new();
        findings(
            Input {
                ctx: &ctx,
                observed: &observed,
                profile: Some(&profile),
                desired: desired.as_ref(),
            },
            &mut out,
        );
        out
    }

    #[test]
    fn negative_gogc_is_an_error_in_export_and_in_a_service() {
        let all = findings_for(
            "version 1\nexport {\n    GOGC \"-5\"\n}\nservice \"api.service\" {\n    GOGC \"-1\"\n}\n",
            None,
        );
        let codes: Vec<(Code, Severity, Option<usize>)> =
            all.iter().map(|f| (f.code, f.severity, f.line)).collect();
        assert_eq!(
            codes,
            [
                (Code::GogcNegative, Severity::Error, Some(3)),
                (Code::GogcNegative, Severity::Error, Some(6))
            ]
        );
        assert!(all[1].message.contains("`service \"api.service\"`"), "{}", all[1].message);
        assert!(all[0].help.as_deref().unwrap_or_default().starts_with("write \"off\""));
        for fine in ["\"off\"", "\"0\"", "\"100\""] {
            let text = format!("version 1\nexport {{\n    GOGC {fine}\n}}\n");
            assert_eq!(findings_for(&text, None), [], "GOGC {fine}");
        }
    }

    #[test]
    fn unknown_godebug_settings_are_warnings_with_a_suggestion() {
        let all = findings_for(
            "version 1\nexport {\n    GODEBUG \"http2client=0,madeup=1,gctrce=1,panicnil=1\"\n}\n",
            None,
        );
        let names: Vec<&str> = all.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(all.len(), 2, "{names:#?}");
        assert!(all.iter().all(|f| f.severity == Severity::Warning));
        assert!(names[0].contains("`madeup`"), "{}", names[0]);
        assert!(all[1].help.as_deref() == Some("did you mean `gctrace`?"), "{:?}", all[1].help);
    }

    #[test]
    fn harmful_go_env_keys_the_plan_removes_are_explained() {
        let profile = "version 1\ngo-env {\n    GOPROXY \"https://proxy.golang.org,direct\"\n}\n";
        let file = "GO111MODULE=off\nGOFLAGS=-mod=vendor -v\nGOPROXY=https://u:pw@goproxy.io\n\
                    GOSUMDB=off\nGOPRIVATE=x\n";
        let all = findings_for(profile, Some(file));
        let messages: Vec<&str> = all.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(all.len(), 4, "{messages:#?}");
        assert!(all.iter().all(|f| f.code == Code::HarmfulGoEnvKeyRemoved));
        assert!(
            messages[0].starts_with("the plan removes `GO111MODULE=off` in `~/.config/go/env`")
        );
        assert!(
            messages[2].starts_with("the plan replaces `GOPROXY=https://<redacted>@goproxy.io`")
        );
        assert!(!messages.concat().contains("pw"), "{messages:#?}");
        // A harmless file, or a harmful value the profile keeps, says nothing.
        let keeps = "version 1\ngo-env {\n    GOPROXY \"https://goproxy.io\"\n}\n";
        assert_eq!(findings_for(keeps, Some("GOPROXY=https://goproxy.io\n")), []);
        assert_eq!(findings_for(profile, Some("GOPRIVATE=x\n")), []);
    }
}
