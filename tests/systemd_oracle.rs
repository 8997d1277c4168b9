//! The real `systemd --user` manager as an oracle (`scripts/user-manager`).

mod common;

use common::user_manager::UserManager;

#[test]
fn a_throwaway_user_manager_reads_its_own_home() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let envd = home.join(".config/environment.d");
    std::fs::create_dir_all(&envd).unwrap();
    std::fs::write(envd.join("50-test.conf"), "GOENV_TEST_MARK=seen\n").unwrap();
    let manager = UserManager::start(&home, &dir.path().join("run"));
    let env = manager.systemctl_ok(&["show-environment"]);
    assert!(env.lines().any(|l| l == format!("HOME={}", home.display())), "{env}");
    assert!(env.lines().any(|l| l == "GOENV_TEST_MARK=seen"), "{env}");
}
