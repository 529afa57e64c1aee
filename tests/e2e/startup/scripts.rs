//! The scripts `pm2 startup` writes for each platform, `pm2 unstartup`, and systemd's own
//! check of the units.

use super::*;

#[test]
fn systemd_unit_is_what_a_user_expects_and_unstartup_removes_it() {
    let pm2 = Pm2::new();
    let root = temp_root();
    let run = under_root(
        &pm2,
        root.path(),
        &["startup", "systemd", "-u", "app", "--hp", "/home/app"],
    )
    .ok();
    let unit = root.path().join("etc/systemd/system/pm2-app.service");
    let text = common::read(&unit);
    let bin = binary();
    let bin = bin.display();
    for line in [
        "Type=forking".to_owned(),
        "User=app".to_owned(),
        "Environment=PM2_HOME=/home/app/.pm2".to_owned(),
        "PIDFile=/home/app/.pm2/pm2.pid".to_owned(),
        format!("ExecStart={bin} resurrect"),
        format!("ExecReload={bin} reload all"),
        format!("ExecStop={bin} kill"),
        "WantedBy=multi-user.target".to_owned(),
    ] {
        assert!(
            has_line(&text, &line),
            "no {line:?} in {}:\n{text}",
            unit.display()
        );
    }
    let mode = std::fs::metadata(&unit).expect("unit").permissions().mode();
    assert_eq!(mode & 0o777, 0o644);
    assert_eq!(leftover_placeholder(&text), None, "{text}");

    // PM2's narration, with the enabling command printed, not run.
    let out = &run.stdout;
    assert!(has_line(out, "Platform systemd"), "{out}");
    assert!(has_line(out, "[ 'systemctl enable pm2-app' ]"), "{out}");
    assert!(
        has_line(
            out,
            &format!("[PM2] Writing init configuration in {}", unit.display())
        ),
        "{out}"
    );
    assert!(
        has_line(
            out,
            "[PM2] [-] Not executing (PM2_STARTUP_ROOT is set): systemctl enable pm2-app"
        ),
        "{out}"
    );
    assert!(!out.contains("Executing: systemctl"), "{out}");
    assert!(has_line(out, "$ pm2 save"), "{out}");
    assert!(has_line(out, "$ pm2 unstartup systemd"), "{out}");

    let run = under_root(
        &pm2,
        root.path(),
        &["unstartup", "systemd", "-u", "app", "--hp", "/home/app"],
    )
    .ok();
    assert!(!unit.exists(), "unstartup left {}", unit.display());
    for line in [
        "[PM2] [-] Not executing (PM2_STARTUP_ROOT is set): systemctl stop pm2-app",
        "[PM2] [-] Not executing (PM2_STARTUP_ROOT is set): systemctl disable pm2-app",
        "[PM2] Init file disabled.",
    ] {
        assert!(
            has_line(&run.stdout, line),
            "no {line:?} in\n{}",
            run.stdout
        );
    }

    // Nothing left to remove: one line, non-zero.
    let run = under_root(
        &pm2,
        root.path(),
        &["unstartup", "systemd", "-u", "app", "--hp", "/home/app"],
    )
    .failed();
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("[PM2][ERROR] no startup script at "),
        "{}",
        run.stderr
    );
}

#[test]
fn every_platform_writes_its_script_and_unstartup_removes_it() {
    let pm2 = Pm2::new();
    let cases: [(&str, &str, u32); 6] = [
        ("systemd", "etc/systemd/system/pm2-app.service", 0o644),
        ("upstart", "etc/init.d/pm2-app", 0o755),
        ("systemv", "etc/init.d/pm2-app", 0o755),
        ("openrc", "etc/init.d/pm2", 0o755),
        (
            "launchd",
            "home/app/Library/LaunchAgents/pm2.app.plist",
            0o644,
        ),
        ("rcd", "usr/local/etc/rc.d/pm2_app", 0o755),
    ];
    let bin = binary();
    for (platform, path, mode) in cases {
        let root = temp_root();
        let args = ["-u", "app", "--hp", "/home/app"];
        let run = under_root(
            &pm2,
            root.path(),
            &[&["startup", platform][..], &args].concat(),
        );
        let run = run.ok();
        let script = root.path().join(path);
        let text = common::read(&script);
        assert!(
            text.contains(&bin.display().to_string()) && text.contains("resurrect"),
            "{platform}: {} does not run `{} resurrect`:\n{text}\n{}",
            script.display(),
            bin.display(),
            run.stdout
        );
        assert!(
            text.contains("/home/app/.pm2") || platform == "openrc",
            "{platform}:\n{text}"
        );
        assert_eq!(leftover_placeholder(&text), None, "{platform}:\n{text}");
        let actual = std::fs::metadata(&script)
            .expect("script")
            .permissions()
            .mode();
        assert_eq!(
            actual & 0o777,
            mode,
            "{platform}: mode of {}",
            script.display()
        );
        assert!(
            run.stdout
                .contains("Not executing (PM2_STARTUP_ROOT is set)"),
            "{platform}: {}",
            run.stdout
        );
        if matches!(platform, "upstart" | "systemv") {
            assert!(
                root.path().join("var/lock/subsys/pm2-app").exists(),
                "{platform}"
            );
        }
        under_root(
            &pm2,
            root.path(),
            &[&["unstartup", platform][..], &args].concat(),
        )
        .ok();
        assert!(
            !script.exists(),
            "{platform}: unstartup left {}",
            script.display()
        );
    }
}

#[test]
fn unknown_platform_is_one_error_line() {
    let pm2 = Pm2::new();
    let root = temp_root();
    for (command, platform, message) in [
        (
            "startup",
            "foo",
            "[PM2][ERROR] Unknown platform / init system name: foo (",
        ),
        (
            "unstartup",
            "bar",
            "[PM2][ERROR] Unknown platform / init system name: bar (",
        ),
        (
            "startup",
            "smf",
            "[PM2][ERROR] init system smf is not supported by this pm2 (",
        ),
    ] {
        let run = under_root(&pm2, root.path(), &[command, platform]).failed();
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.starts_with(message), "{}", run.stderr);
        assert_eq!(run.stdout, "", "{command} {platform}");
    }
    let written = std::fs::read_dir(root.path()).expect("root").count();
    assert_eq!(written, 0, "an unknown platform wrote files");
}

/// `systemd-analyze verify` on generated units, when systemd-analyze is installed.
#[test]
fn systemd_analyze_accepts_the_units() {
    let Some(analyze) = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("systemd-analyze"))
        .find(|p| p.is_file())
    else {
        eprintln!("skipped: systemd-analyze is not installed (apt-get install systemd)");
        return;
    };
    let pm2 = Pm2::new();
    let root = temp_root();
    let user = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map_or_else(|| "root".to_owned(), |u| u.name);
    let home = pm2.work().to_str().expect("utf-8").to_owned();
    for extra in [&[][..], &["--wait-ip", "--service-name", "pm2-online"][..]] {
        let args = [
            &["startup", "systemd", "-u", &user, "--hp", &home][..],
            extra,
        ]
        .concat();
        under_root(&pm2, root.path(), &args).ok();
    }
    for name in [
        format!("pm2-{user}.service"),
        "pm2-online.service".to_owned(),
    ] {
        let unit = root.path().join("etc/systemd/system").join(&name);
        let output = Command::new(&analyze)
            .arg("verify")
            .arg(&unit)
            .output()
            .expect("run systemd-analyze");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "systemd-analyze verify {name}: {stderr}"
        );
        let about_unit: Vec<&str> = stderr.lines().filter(|l| l.contains(&name)).collect();
        assert!(
            about_unit.is_empty(),
            "systemd-analyze on {name}:\n{stderr}\n{}",
            common::read(&unit)
        );
    }
}
