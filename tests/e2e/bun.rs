//! Bun: `.ts`/`.tsx` scripts run with bun (as PM2 7), `--interpreter bun`, node's type
//! stripping for `.ts` when bun is missing, and one line naming bun when nothing can run
//! the script. The tests that run bun itself skip unless it is on PATH or installed in
//! `target/bun` (`.ci/run` installs it there from npm), and fail without it under `CI`.

use crate::common;

use std::path::{Path, PathBuf};

use common::{read, wait_until, Pm2};

/// bun on PATH, else the one `.ci/run` installs from npm into `target/bun`
/// (`@oven/bun-linux-x64-baseline` or `-aarch64`).
fn bun() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("bun"))
            .find(|p| p.is_file())
    });
    let oven = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bun/node_modules/@oven");
    let installed = || {
        std::fs::read_dir(oven)
            .ok()?
            .flatten()
            .map(|package| package.path().join("bin/bun"))
            .find(|bun| bun.is_file())
    };
    on_path.or_else(installed)
}

/// bun, or `None` after saying the test skips (a failure under `CI`, where `.ci/run`
/// installs it).
fn bun_or_skip() -> Option<PathBuf> {
    let found = bun();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "bun is not installed (.ci/run installs it into target/bun)"
        );
        eprintln!(
            "skipped: bun is not installed (npm install --prefix target/bun @oven/bun-linux-x64)"
        );
    }
    found
}

/// A PATH with `dir` first and the system's folders, without bun.
fn path_without_bun(dir: &Path) -> String {
    format!("{}:/usr/local/bin:/usr/bin:/bin", dir.display())
}

/// A `node` that reports `version` and, run on a script, says how and sleeps.
fn fake_node(pm2: &Pm2, version: &str) -> PathBuf {
    let dir = pm2.work().join(format!("node-{version}"));
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo v{version}; exit 0; fi\n\
         echo \"fake node $*\"\nexec sleep 1000\n"
    );
    std::fs::create_dir_all(&dir).expect("mkdir");
    let node = dir.join("node");
    std::fs::write(&node, script).expect("write node");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&node, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn skip_if_bun_is_installed_system_wide(path: &str) -> bool {
    let found = std::env::split_paths(path).any(|dir| dir.join("bun").is_file());
    if found {
        eprintln!("skipped: bun is installed in a system folder");
    }
    found
}

const TS_APP: &str = "const greeting: string = \"typed hello\";\nconsole.log(greeting);\n\
                      setInterval(() => {}, 1000);\n";

#[test]
fn a_ts_app_runs_with_bun() {
    let Some(bun) = bun_or_skip() else { return };
    let pm2 = Pm2::new();
    pm2.write("app.ts", TS_APP, false);
    pm2.write(
        "view.tsx",
        "const n: number = 2;\nconsole.log(`tsx ${n}`);\nsetInterval(() => {}, 1000);\n",
        false,
    );
    pm2.write(
        "plain.js",
        "console.log('js on ' + (typeof Bun));\nsetInterval(() => {}, 1000);\n",
        false,
    );
    let path = format!(
        "{}:{}",
        bun.parent().expect("bun's folder").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = [("PATH", path.as_str())];
    pm2.run_env(&["start", "app.ts"], &env).ok();
    pm2.run_env(&["start", "view.tsx"], &env).ok();
    pm2.run_env(&["start", "plain.js", "--interpreter", "bun"], &env)
        .ok();
    let list = pm2.wait_for("3 apps online", |l| {
        l.len() == 3 && l.iter().all(|p| p["pm2_env"]["status"] == "online")
    });
    for p in &list {
        assert_eq!(p["pm2_env"]["exec_interpreter"], "bun", "{}", p["name"]);
        assert_eq!(p["pm2_env"]["exec_mode"], "fork_mode");
    }
    for (log, line) in [
        ("app-out.log", "typed hello"),
        ("view-out.log", "tsx 2"),
        ("plain-out.log", "js on object"),
    ] {
        let file = pm2.log(log);
        wait_until(&format!("{line} in {log}"), || read(&file).contains(line));
    }
}

#[test]
fn without_bun_a_ts_app_runs_on_node_type_stripping() {
    let pm2 = Pm2::new();
    pm2.write("app.ts", TS_APP, false);
    let path = path_without_bun(&fake_node(&pm2, "22.6.0"));
    if skip_if_bun_is_installed_system_wide(&path) {
        return;
    }
    pm2.run_env(&["start", "app.ts"], &[("PATH", &path)]).ok();
    let p = pm2.wait_status(0, "online");
    assert_eq!(p["pm2_env"]["exec_interpreter"], "node");
    assert_eq!(
        p["pm2_env"]["node_args"],
        serde_json::json!(["--experimental-strip-types"])
    );
    let out = pm2.log("app-out.log");
    wait_until("node to run the script", || {
        read(&out).contains("fake node --experimental-strip-types")
    });

    // From 22.18 node strips types without the flag.
    let native = path_without_bun(&fake_node(&pm2, "22.18.0"));
    pm2.run_env(
        &["start", "app.ts", "--name", "native"],
        &[("PATH", &native)],
    )
    .ok();
    let p = pm2.wait_status(1, "online");
    assert_eq!(p["pm2_env"]["node_args"], serde_json::json!([]));
}

#[test]
fn without_bun_or_a_recent_node_the_error_names_bun() {
    let pm2 = Pm2::new();
    let ts = pm2.write("app.ts", TS_APP, false);
    pm2.write("view.tsx", TS_APP, false);
    pm2.write("plain.js", "console.log(1)\n", false);
    let path = path_without_bun(&fake_node(&pm2, "20.20.2"));
    if skip_if_bun_is_installed_system_wide(&path) {
        return;
    }
    let run = pm2
        .run_env(&["start", "app.ts"], &[("PATH", &path)])
        .failed();
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "[PM2][ERROR] interpreter \"bun\" not found in PATH (needed to run {}): TypeScript \
             apps need bun, Node.js >= 22.18 (>= 22.6 with type stripping) or an --interpreter",
            ts.display()
        )
    );
    // .tsx has no node fallback, as in PM2; --interpreter bun names bun too.
    let run = pm2
        .run_env(&["start", "view.tsx"], &[("PATH", &path)])
        .failed();
    assert!(
        run.stderr.contains("interpreter \"bun\" not found in PATH"),
        "{}",
        run.stderr
    );
    let run = pm2
        .run_env(
            &["start", "plain.js", "--interpreter", "bun"],
            &[("PATH", &path)],
        )
        .failed();
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("interpreter \"bun\" not found in PATH (needed to run")
            && run.stderr.contains("plain.js"),
        "{}",
        run.stderr
    );
    assert!(pm2.jlist().is_empty());
}
