//! A user who is not root is told the command to run as root; nothing is written.

use super::*;

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
