//! The real Delve refusal oracle (tests/common/delve.rs): Debian's dlv 1.20.2 refuses what Go
//! 1.21+ builds, with the text goenv's findings quote, and debugs what Debian's Go 1.19 builds.

mod common;

use common::delve::{
    DEBIAN_DLV_MAX_GO, DLV_TIMEOUT, INIT_CONTINUE_EXIT, delve_refusal, dlv_debug_hello,
    session_members, too_old_for_go, too_old_warning,
};
use common::fixtures::{GO_DELVE, GO_OLD};
use std::time::Duration;

#[test]
fn dlv_1_20_refuses_go_1_22_10() {
    let t = std::time::Instant::now();
    let message = delve_refusal(GO_DELVE);
    eprintln!("dlv refusal with go{GO_DELVE} in {:?}: {message}", t.elapsed());
    assert_eq!(
        message,
        "Version of Delve is too old for Go version 1.22.10 (maximum supported version 1.20, \
         suppress this error with --check-go-version=false)"
    );
    assert_eq!(message, too_old_for_go(GO_DELVE, DEBIAN_DLV_MAX_GO));
}

/// Go 1.21 is past Delve 1.20's window too.
#[test]
fn dlv_1_20_refuses_go_1_21_13() {
    let t = std::time::Instant::now();
    let message = delve_refusal(GO_OLD);
    eprintln!("dlv refusal with go{GO_OLD} in {:?}: {message}", t.elapsed());
    assert_eq!(message, too_old_for_go(GO_OLD, DEBIAN_DLV_MAX_GO));
}

/// Only the version check stops it: with `--check-go-version=false` the same dlv runs the
/// program built by 1.22.10 to its end, after a warning.
#[test]
fn dlv_1_20_debugs_go_1_22_10_without_the_check() {
    let run =
        dlv_debug_hello(GO_DELVE, &["--check-go-version=false"], INIT_CONTINUE_EXIT, DLV_TIMEOUT);
    eprintln!("dlv --check-go-version=false with go{GO_DELVE} in {:?}: {run:?}", run.elapsed);
    assert_eq!(run.code(), Some(0), "{run:?}");
    assert!(run.stdout.contains("hello\n"), "{run:?}");
    assert!(run.stdout.contains("has exited with status 0"), "{run:?}");
    assert_eq!(run.messages(), [too_old_warning(GO_DELVE, DEBIAN_DLV_MAX_GO)], "{run:?}");
}

/// The positive control: with Debian's Go 1.19 (the Go that built dlv) there is no refusal.
#[test]
fn dlv_1_20_debugs_go_1_19() {
    let run = dlv_debug_hello("debian-1.19", &[], INIT_CONTINUE_EXIT, DLV_TIMEOUT);
    eprintln!("dlv with go1.19 in {:?}: {run:?}", run.elapsed);
    assert_eq!(run.code(), Some(0), "{run:?}");
    assert!(run.stdout.contains("hello\n"), "{run:?}");
    assert!(run.stdout.contains("has exited with status 0"), "{run:?}");
    assert!(run.messages().is_empty(), "{run:?}");
}

/// The timeout works: a headless dlv waits for a client forever; it and its debuggee are
/// killed when the time is up.
#[test]
fn a_waiting_dlv_is_killed_at_the_timeout() {
    let args = ["--check-go-version=false", "--headless", "--listen=127.0.0.1:0"];
    let run = dlv_debug_hello(GO_DELVE, &args, "", Duration::from_secs(3));
    eprintln!("headless dlv: {run:?}");
    assert!(run.status.is_none(), "{run:?}");
    assert!(run.stdout.starts_with("API server listening at: 127.0.0.1:"), "{run:?}");
    assert_eq!(session_members(run.sid), [] as [u32; 0], "{run:?}");
}
