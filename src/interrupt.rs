//! interrupt: what SIGINT and SIGTERM do to a goenv at work.
//!
//! While goenv downloads (`~/.cache/goenv/downloads/.partial-*`), unpacks an SDK
//! (`~/sdk/.goenv-staging-*`) or builds a tool (`<GOBIN>/.goenv-build-*`), the temporary path is
//! registered here ([`Temporary`]). The first one registered installs a handler: on SIGINT or
//! SIGTERM it lets a transaction in progress finish (it only renames, so this takes a moment;
//! then no journal is left to recover), removes every registered path, says what it removed on
//! stderr, and exits with 130 (SIGINT) or 143 (SIGTERM). What a SIGKILL leaves, which no handler
//! sees, is found and removed by `engine::debris` (recovery and `gc`) and shown by `status`.
//!
//! A program goenv runs that writes into such a path (`go install` into its staging GOBIN) runs
//! in its own process group, registered here ([`ChildGroup`]): the handler sends the group the
//! same signal and waits (briefly) for it to end before removing anything, so neither `go` nor
//! the compilers it started outlive goenv or write into a path after it is removed. (The group
//! is its own, so a Ctrl-C at the terminal reaches it through goenv too.)
//!
//! This module never decides what to create; it removes only what was registered.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

/// Paths being written that nothing needs once goenv stops.
static REGISTERED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// The process groups of programs goenv runs that write into registered paths.
static CHILDREN: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// Set by the handler as it starts: a child that ended because of the signal is not a failure
/// to report, the handler is about to exit.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// How long the handler waits for those groups to end after signalling them.
const CHILD_WAIT: Duration = Duration::from_secs(5);
/// Held for the whole of a transaction, and by the handler from the moment it starts.
static GATE: Mutex<()> = Mutex::new(());
/// Whether a transaction of this process has completed (the machine was changed).
static CHANGED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// How long the handler waits for a transaction to finish before exiting anyway.
const TRANSACTION_WAIT: Duration = Duration::from_secs(30);

fn lock<T>(m: &'static Mutex<T>) -> MutexGuard<'static, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A temporary file or directory, removed by the handler if goenv is interrupted while this
/// value lives. Dropping it only forgets the path (its owner removes or renames it).
#[derive(Debug)]
pub struct Temporary(PathBuf);

impl Temporary {
    pub fn new(path: &Path) -> Self {
        install();
        lock(&REGISTERED).push(path.to_path_buf());
        Self(path.to_path_buf())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        let mut all = lock(&REGISTERED);
        if let Some(i) = all.iter().position(|p| *p == self.0) {
            all.swap_remove(i);
        }
    }
}

/// A child started with `process_group(0)` (its pid is its group's id): on SIGINT or SIGTERM
/// the handler sends its whole group the signal while this value lives.
#[derive(Debug)]
pub struct ChildGroup(i32);

impl ChildGroup {
    pub fn new(child: &std::process::Child) -> Self {
        install();
        let id = i32::try_from(child.id()).unwrap_or(0);
        lock(&CHILDREN).push(id);
        Self(id)
    }
}

impl ChildGroup {
    /// Once the child has ended: if the handler is stopping goenv (it signalled the child), this
    /// never returns, so the child's death is not reported as its failure; the handler exits.
    pub fn ended(self) {
        drop(self);
        while INTERRUPTED.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

impl Drop for ChildGroup {
    fn drop(&mut self) {
        lock(&CHILDREN).retain(|g| *g != self.0);
    }
}

/// Sends `signal` to every registered group, then waits until none has a process left (a
/// zombie counts until it is reaped) or [`CHILD_WAIT`] has passed.
fn stop_children(signal: rustix::process::Signal) {
    use rustix::process::{Pid, kill_process_group, test_kill_process_group};
    let groups: Vec<Pid> = lock(&CHILDREN).iter().filter_map(|g| Pid::from_raw(*g)).collect();
    for g in &groups {
        let _ = kill_process_group(*g, signal);
    }
    let deadline = Instant::now() + CHILD_WAIT;
    while Instant::now() < deadline && groups.iter().any(|g| test_kill_process_group(*g).is_ok()) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A transaction in progress: the handler waits until it is dropped.
pub struct Transaction {
    _gate: MutexGuard<'static, ()>,
}

/// Marks the start of a transaction (apply, rollback or recovery); drop it at the end. Blocks
/// forever once the handler runs: the process is about to exit.
pub fn transaction() -> Transaction {
    install();
    Transaction { _gate: lock(&GATE) }
}

/// Records that a transaction of this process completed, so an interrupt after it does not say
/// that nothing was changed.
pub fn changed() {
    CHANGED.store(true, Ordering::SeqCst);
}

/// Installs the handler once. Without it (it could not be installed), a signal ends goenv as
/// it always would: recovery and `gc` remove what is left.
fn install() {
    INSTALL.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        let spawned = std::thread::Builder::new().name("goenv-signals".into()).spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let (name, code) =
                    if signal == SIGINT { ("SIGINT", 130) } else { ("SIGTERM", 143) };
                INTERRUPTED.store(true, Ordering::SeqCst);
                stop_children(if signal == SIGINT {
                    rustix::process::Signal::INT
                } else {
                    rustix::process::Signal::TERM
                });
                // The gate stays held until exit: no transaction starts meanwhile.
                let (said, _gate) = clean_up(name);
                // A closed or full stderr must not stop the exit.
                let _ = std::io::Write::write_all(
                    &mut std::io::stderr(),
                    format!("{said}\n").as_bytes(),
                );
                std::process::exit(code);
            }
        });
        drop(spawned);
    });
}

/// Waits for a running transaction, removes every registered path, and says what happened.
/// Returns the gate, held, unless the transaction did not finish in time.
fn clean_up(signal: &str) -> (String, Option<MutexGuard<'static, ()>>) {
    let deadline = Instant::now() + TRANSACTION_WAIT;
    let gate = loop {
        match GATE.try_lock() {
            Ok(g) => break Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => break Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::sync::TryLockError::WouldBlock) => break None,
        }
    };
    let paths = std::mem::take(&mut *lock(&REGISTERED));
    let mut removed = Vec::new();
    let mut bytes = 0;
    for p in paths {
        // A transaction still running may be renaming a staged tree: leave directories alone.
        if gate.is_none() && p.is_dir() {
            continue;
        }
        let size = size_of(&p);
        if remove(&p) {
            bytes += size;
            removed.push(format!("`{}`", p.display()));
        }
    }
    let what = if removed.is_empty() {
        String::new()
    } else {
        format!("; removed {} ({})", removed.join(", "), human_size(bytes))
    };
    let outcome = if gate.is_none() {
        "; a change was still in progress: the next goenv command puts every path back"
    } else if CHANGED.load(Ordering::SeqCst) {
        "; the change it was making is complete"
    } else {
        "; nothing was changed"
    };
    (format!("goenv: interrupted by {signal}{what}{outcome}"), gate)
}

/// Removes a file or a whole directory; a path already gone counts as not removed.
fn remove(path: &Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            // Something may still be writing into it: try again briefly.
            (0..5).any(|_| std::fs::remove_dir_all(path).is_ok() || !path.exists())
        }
        Ok(_) => std::fs::remove_file(path).is_ok(),
        Err(_) => false,
    }
}

/// The bytes of the files below `path` (the file itself for a file).
pub fn size_of(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|rd| rd.flatten().map(|e| size_of(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

/// `12.3 MB`, `512 bytes`: sizes as people read them.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} byte{}", if bytes == 1 { "" } else { "s" });
    }
    let mut v = bytes as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// The tests' switch: stop at a named point outside a transaction (`unpack`: an SDK's archive
/// is unpacked into its staging directory) until a signal comes. Debug builds only.
pub fn pause_point(point: &str) {
    if cfg!(debug_assertions) && std::env::var("TEST_GOENV_PAUSE_AT").is_ok_and(|p| p == point) {
        eprintln!("goenv: paused at {point}");
        loop {
            std::thread::sleep(Duration::from_secs(60));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_paths_are_removed_and_forgotten_paths_are_not() {
        let tmp = tempfile::tempdir().unwrap();
        let partial = tmp.path().join(".partial-x");
        std::fs::write(&partial, vec![0u8; 1500]).unwrap();
        let staging = tmp.path().join(".goenv-staging-y");
        std::fs::create_dir_all(staging.join("go/bin")).unwrap();
        std::fs::write(staging.join("go/bin/go"), b"x").unwrap();
        let kept = tmp.path().join("kept");
        std::fs::write(&kept, b"x").unwrap();
        let _a = Temporary::new(&partial);
        let _b = Temporary::new(&staging);
        drop(Temporary::new(&kept));
        let (said, gate) = clean_up("SIGINT");
        assert!(gate.is_some());
        assert!(said.starts_with("goenv: interrupted by SIGINT; removed `"), "{said}");
        assert!(said.contains(".partial-x") && said.contains(".goenv-staging-y"), "{said}");
        assert!(said.contains("(1.5 kB)") && said.ends_with("; nothing was changed"), "{said}");
        assert!(!partial.exists() && !staging.exists() && kept.exists());
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(human_size(1), "1 byte");
        assert_eq!(human_size(999), "999 bytes");
        assert_eq!(human_size(12_345_678), "12.3 MB");
        assert_eq!(human_size(51_000_000_000), "51.0 GB");
    }
}
