//! Which init system `pm2 startup` picks from PATH, and the service name and wait-ip options.

use super::*;

/// A directory holding executables with these names, to stand for an init system's tools.
fn fake_tools(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("pm2-fake-tools-")
        .tempdir()
        .expect("tools dir");
    for name in names {
        let path = dir.path().join(name);
        std::fs::write(&path, "#!/bin/sh\nexit 0\n").expect("write tool");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    dir
}

#[test]
fn the_init_system_is_detected_from_path_in_pm2_order() {
    let pm2 = Pm2::new();
    let tools = fake_tools(&["rc-update", "sysrc"]);
    let root = temp_root();
    let path = tools.path().to_str().expect("utf-8");
    let run = pm2
        .run_env(
            &["startup", "-u", "app", "--hp", "/home/app"],
            &[
                ("PATH", path),
                ("PM2_STARTUP_ROOT", root.path().to_str().expect("utf-8")),
            ],
        )
        .ok();
    assert!(
        has_line(&run.stdout, "[PM2] Init System found: openrc"),
        "{}",
        run.stdout
    );
    assert!(
        root.path().join("etc/init.d/pm2").exists(),
        "{}",
        run.stdout
    );
    assert!(
        has_line(
            &run.stdout,
            "[PM2] [-] Not executing (PM2_STARTUP_ROOT is set): rc-update add pm2 default"
        ),
        "{}",
        run.stdout
    );

    // A platform other than the detected one: PM2's notice, then as asked.
    let run = pm2
        .run_env(
            &["startup", "systemd", "-u", "app", "--hp", "/home/app"],
            &[
                ("PATH", path),
                ("PM2_STARTUP_ROOT", root.path().to_str().expect("utf-8")),
            ],
        )
        .ok();
    assert!(
        has_line(&run.stdout, " PM2 detected openrc but you precised systemd"),
        "{}",
        run.stdout
    );
    assert!(root
        .path()
        .join("etc/systemd/system/pm2-app.service")
        .exists());

    // Nothing to detect and nothing named: one line.
    let empty = fake_tools(&[]);
    let run = pm2
        .run_env(
            &["startup"],
            &[
                ("PATH", empty.path().to_str().expect("utf-8")),
                ("PM2_STARTUP_ROOT", root.path().to_str().expect("utf-8")),
            ],
        )
        .failed();
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("[PM2][ERROR] Init system not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn service_name_and_wait_ip() {
    let pm2 = Pm2::new();
    let root = temp_root();
    under_root(
        &pm2,
        root.path(),
        &[
            "startup",
            "systemd",
            "-u",
            "app",
            "--hp",
            "/home/app",
            "--service-name",
            "web",
            "--wait-ip",
        ],
    )
    .ok();
    let text = common::read(&root.path().join("etc/systemd/system/web.service"));
    assert!(has_line(&text, "After=network-online.target"), "{text}");
    assert!(has_line(&text, "User=app"), "{text}");
    let run = under_root(
        &pm2,
        root.path(),
        &[
            "unstartup",
            "systemd",
            "-u",
            "app",
            "--hp",
            "/home/app",
            "--service-name",
            "web",
        ],
    )
    .ok();
    assert!(
        run.stdout.contains("systemctl disable web"),
        "{}",
        run.stdout
    );
}
