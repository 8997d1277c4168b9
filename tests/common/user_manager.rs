//! A real `systemd --user` manager for one throwaway home, started and stopped by
//! `scripts/user-manager` (a private mount namespace; nothing global changes). A manager that
//! cannot start is a panic with the script's reason, never a skipped test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::repo;

pub struct UserManager {
    runtime_dir: PathBuf,
    home: PathBuf,
}

impl UserManager {
    /// Starts a manager whose HOME is `home`, with its bus in `runtime_dir` (created, mode 0700).
    #[track_caller]
    pub fn start(home: &Path, runtime_dir: &Path) -> Self {
        let out = Command::new(repo("scripts/user-manager"))
            .arg("start")
            .arg(runtime_dir)
            .arg(home)
            .output()
            .expect("run scripts/user-manager");
        assert!(
            out.status.success(),
            "cannot start a systemd --user manager for {}: {}",
            home.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Self { runtime_dir: runtime_dir.to_owned(), home: home.to_owned() }
    }

    pub fn runtime_dir(&self) -> &Path {
        &self.runtime_dir
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// `systemctl --user ARGS` against this manager.
    pub fn systemctl(&self, args: &[&str]) -> Output {
        Command::new("systemctl")
            .arg("--user")
            .args(args)
            .env_clear()
            .env("XDG_RUNTIME_DIR", &self.runtime_dir)
            .env("PATH", "/usr/bin:/bin")
            .output()
            .expect("run systemctl --user")
    }

    /// `systemctl --user ARGS`, which must succeed; its stdout.
    #[track_caller]
    pub fn systemctl_ok(&self, args: &[&str]) -> String {
        let out = self.systemctl(args);
        assert!(
            out.status.success(),
            "systemctl --user {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("systemctl prints UTF-8")
    }

    /// `systemctl --user show UNIT -p PROPERTY --value`.
    #[track_caller]
    pub fn property(&self, unit: &str, property: &str) -> String {
        self.systemctl_ok(&["show", unit, "-p", property, "--value"]).trim_end().to_owned()
    }
}

impl Drop for UserManager {
    fn drop(&mut self) {
        let _ =
            Command::new(repo("scripts/user-manager")).arg("stop").arg(&self.runtime_dir).output();
    }
}
