//! Whether goenv's own process runs translated by Rosetta 2 on an Apple silicon Mac.
//!
//! Apple's documented test is `sysctlbyname("sysctl.proc_translated")`: 1 translated, 0 native,
//! and the name unknown on Intel Macs (native). This crate forbids `unsafe`, so instead of a
//! foreign call goenv reads the same value with `/usr/sbin/sysctl -n sysctl.proc_translated`,
//! only in `doctor` and only in macOS builds: a Linux build has no code for it. A debug build
//! takes `TEST_GOENV_ROSETTA=1` instead, so tests on Linux can see the finding.

/// `true` when this process is translated by Rosetta 2.
pub fn translated() -> bool {
    if cfg!(debug_assertions)
        && let Some(v) = std::env::var_os("TEST_GOENV_ROSETTA")
    {
        return v == "1";
    }
    proc_translated()
}

#[cfg(target_os = "macos")]
fn proc_translated() -> bool {
    let out = std::process::Command::new("/usr/sbin/sysctl")
        .args(["-n", "sysctl.proc_translated"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    crate::rules::macos::rosetta_from_sysctl(out.as_deref())
}

#[cfg(not(target_os = "macos"))]
fn proc_translated() -> bool {
    false
}
