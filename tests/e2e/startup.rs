//! `pm2 startup` / `pm2 unstartup`: the boot script a user gets, on every platform.
//!
//! Nothing here touches the machine. Every run that could write is given
//! `PM2_STARTUP_ROOT=<temp dir>`, under which the script is written and the init system's
//! commands are printed instead of run. The one run without it, checking the advice to a
//! user who is not root, runs as `nobody` when the tests run as root (as the current user
//! otherwise), so it cannot write anything either.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Pm2, Run};

/// The `pm2` binary as the command sees itself (`/proc/self/exe`).
fn binary() -> PathBuf {
    std::fs::canonicalize(common::pm2_bin()).expect("canonical pm2 path")
}

/// `pm2 args...` writing under `root`.
fn under_root(pm2: &Pm2, root: &Path, args: &[&str]) -> Run {
    pm2.run_env(
        args,
        &[("PM2_STARTUP_ROOT", root.to_str().expect("utf-8 path"))],
    )
}

fn temp_root() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("pm2-startup-root-")
        .tempdir()
        .expect("temp root")
}

/// The first `%NAME%` placeholder left in a text.
fn leftover_placeholder(text: &str) -> Option<&str> {
    text.split('%')
        .skip(1)
        .step_by(2)
        .find(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
}

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

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

/// The uid and gid of `nobody` when the tests run as root: the non-root path must be
/// taken for real, without a test switch in the product.
fn unprivileged() -> Option<(u32, u32)> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    let nobody = nix::unistd::User::from_name("nobody")
        .ok()
        .flatten()
        .expect("user nobody (needed to test the non-root advice as root)");
    Some((nobody.uid.as_raw(), nobody.gid.as_raw()))
}

/// `pm2 args...` as a user who is not root, without `PM2_STARTUP_ROOT`.
fn as_non_root(pm2: &Pm2, args: &[&str]) -> (Run, Option<String>) {
    use std::os::unix::process::CommandExt;
    let mut command: Command = pm2.command(args);
    command
        .env_remove("PM2_STARTUP_ROOT")
        .env("HOME", "/home/somebody")
        .current_dir("/");
    let user = match unprivileged() {
        Some((uid, gid)) => {
            command.uid(uid).gid(gid);
            Some("nobody".to_owned())
        }
        None => nix::unistd::User::from_uid(nix::unistd::geteuid())
            .ok()
            .flatten()
            .map(|u| u.name),
    };
    let output = command.output().expect("run pm2");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    (run, user)
}

#[test]
fn not_root_prints_the_command_to_run_as_root() {
    let pm2 = Pm2::new();
    let bin = binary();
    let dir = bin.parent().expect("bin dir").display().to_string();
    let bin = bin.display().to_string();

    let (run, user) = as_non_root(&pm2, &["startup", "systemd"]);
    let run = run.failed();
    let lines: Vec<&str> = run.stdout.lines().collect();
    let advice = lines
        .iter()
        .position(|l| *l == "[PM2] To setup the Startup Script, copy/paste the following command:")
        .unwrap_or_else(|| panic!("no advice in\n{}", run.stdout));
    let command = lines.get(advice + 1).copied().unwrap_or_default();
    let prefix = format!("sudo env PATH=$PATH:{dir} {bin} startup systemd -u ");
    assert!(command.starts_with(&prefix), "{command:?}");
    assert!(command.ends_with(" --hp /home/somebody"), "{command:?}");
    if let Some(user) = user {
        assert_eq!(command, format!("{prefix}{user} --hp /home/somebody"));
    }
    assert_eq!(
        lines.len(),
        advice + 2,
        "the command is the last line:\n{}",
        run.stdout
    );
    assert_eq!(
        run.stderr.trim_end(),
        "[PM2][ERROR] You have to run this with elevated rights"
    );

    let (run, _) = as_non_root(
        &pm2,
        &[
            "unstartup",
            "upstart",
            "-u",
            "app",
            "--hp",
            "/srv/app",
            "--service-name",
            "web",
        ],
    );
    let run = run.failed();
    assert!(
        has_line(
            &run.stdout,
            "[PM2] To unsetup the Startup Script, copy/paste the following command:"
        ),
        "{}",
        run.stdout
    );
    let expected = format!(
        "sudo env PATH=$PATH:{dir} {bin} unstartup upstart -u app --hp /srv/app --service-name web"
    );
    assert!(
        has_line(&run.stdout, &expected),
        "{expected:?} not in\n{}",
        run.stdout
    );
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
