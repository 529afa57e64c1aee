//! The command surface: every command in the README's table exists and answers `--help`
//! (and every command exists in the table), and the smaller commands and start flags behave
//! as PM2's: `env`, `report`, `init`, `completion`, `-s`, `--no-autostart`,
//! `--append-env-to-name`, `increment_var`, `--merge-logs`.

use crate::common;

use std::collections::BTreeSet;

use common::{pm2_bin, read, Pm2};

/// The commands and aliases of the README's `## Commands` table: in each row, the word after
/// `` `pm2 `` and the backticked words in the brackets right after that first cell's code.
fn readme_commands() -> (BTreeSet<String>, BTreeSet<String>) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## Commands\n")
        .nth(1)
        .expect("a ## Commands section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let (mut commands, mut aliases) = (BTreeSet::new(), BTreeSet::new());
    for row in section.lines().filter(|l| l.starts_with("| `pm2 ")) {
        let cell = row.trim_start_matches("| `pm2 ");
        let name: String = cell
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '`')
            .collect();
        assert!(commands.insert(name.clone()), "two rows for {name}");
        // `...` (`alias`, `alias`) | ...
        let first_cell = cell.split(" | ").next().unwrap_or("");
        if let Some(open) = first_cell.find("` (`") {
            let inside = &first_cell[open + 3..];
            let inside = &inside[..inside.find(')').unwrap_or(inside.len())];
            for alias in inside.split(", ") {
                aliases.insert(alias.trim_matches('`').to_string());
            }
        }
    }
    (commands, aliases)
}

/// The commands and aliases `pm2 --help` lists (`help` aside).
fn help_commands() -> (BTreeSet<String>, BTreeSet<String>) {
    let pm2 = Pm2::new();
    let help = pm2.run(&["--help"]).ok().stdout;
    let listing = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands: section");
    let (mut commands, mut aliases) = (BTreeSet::new(), BTreeSet::new());
    for line in listing.lines().take_while(|l| !l.trim().is_empty()) {
        let name = line.split_whitespace().next().expect("a command name");
        if name != "help" {
            commands.insert(name.to_string());
        }
        if let Some(list) = line
            .split("[alias: ")
            .nth(1)
            .or_else(|| line.split("[aliases: ").nth(1))
        {
            for alias in list.trim_end_matches(']').split(", ") {
                aliases.insert(alias.to_string());
            }
        }
    }
    (commands, aliases)
}

#[test]
fn the_readme_table_lists_every_command_and_each_answers_help() {
    let (readme, readme_aliases) = readme_commands();
    let (cli, cli_aliases) = help_commands();
    let missing: Vec<_> = cli.difference(&readme).collect();
    let unknown: Vec<_> = readme.difference(&cli).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "README.md's command table: no row for {missing:?}; rows for commands `pm2 --help` \
         does not list: {unknown:?}"
    );
    let missing: Vec<_> = cli_aliases.difference(&readme_aliases).collect();
    let unknown: Vec<_> = readme_aliases.difference(&cli_aliases).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "README.md's command table: aliases not given {missing:?}, aliases that do not \
         exist {unknown:?}"
    );
    let pm2 = Pm2::new();
    for command in readme.iter().chain(&readme_aliases) {
        let run = pm2.run(&[command, "--help"]);
        assert_eq!(run.code, 0, "pm2 {command} --help: {run:?}");
        assert!(
            run.stdout.contains("Usage: pm2"),
            "pm2 {command} --help: {run:?}"
        );
    }
}

#[test]
fn env_lists_a_variable_given_at_start() {
    let pm2 = Pm2::new();
    pm2.run_env(
        &["start", "sleep", "--name", "napper", "--", "100"],
        &[("GREETING", "hello there")],
    )
    .ok();
    let run = pm2.run(&["env", "0"]).ok();
    assert!(
        run.stdout.lines().any(|l| l == "GREETING: hello there"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.lines().any(|l| l == "namespace: default"));
    assert!(!run.stdout.lines().any(|l| l.starts_with("pm_id: ")));
    let missing = pm2.run(&["env", "7"]).failed();
    assert!(
        missing.stderr.contains("Modules with id 7 not found"),
        "{missing:?}"
    );
}

#[test]
fn report_names_the_daemon_and_its_processes() {
    let pm2 = Pm2::new();
    pm2.run(&["start", "sleep", "--name", "napper", "--", "100"])
        .ok();
    let daemon = pm2.daemon_pid().expect("daemon pid");
    let report = pm2.run(&["report"]).ok().stdout;
    assert!(
        report.contains(&format!("pid                  : {daemon}")),
        "{report}"
    );
    let home = pm2.home().display().to_string();
    assert!(
        report.contains(&format!("pm2 home             : {home}")),
        "{report}"
    );
    for section in ["Daemon", "CLI", "System info", "PM2 list", "Daemon logs"] {
        assert!(report.contains(&format!("--- {section} ---")), "{report}");
    }
    assert!(report.contains("napper"), "{report}");
    assert!(report.contains("kernel               : "), "{report}");
    assert!(report.contains("totalmem             : "), "{report}");
}

#[test]
fn init_writes_a_file_start_accepts_and_never_overwrites_it() {
    let pm2 = Pm2::new();
    let run = pm2.run(&["init"]).ok();
    let file = pm2.work().join("ecosystem.toml");
    assert!(
        run.stdout
            .contains(&format!("File {} generated", file.display())),
        "{run:?}"
    );
    let sample = read(&file);
    assert!(sample.contains("# max_restarts = 16"), "{sample}");

    pm2.write("app.js", "setInterval(() => {}, 1000);\n", false);
    pm2.run(&["start", "ecosystem.toml"]).ok();
    pm2.wait_status(0, "online");
    assert_eq!(pm2.process(0).expect("app")["name"], "app");

    std::fs::write(&file, "# mine\n").expect("write");
    let again = pm2.run(&["init", "simple"]).failed();
    assert!(again.stderr.contains("already exists"), "{again:?}");
    assert_eq!(read(&file), "# mine\n");

    pm2.run(&["ecosystem", "simple", "yaml"]).ok();
    assert!(read(&pm2.work().join("ecosystem.yaml")).contains("script: ./app.js"));
}

#[test]
fn completion_prints_a_bash_script_bash_accepts() {
    let pm2 = Pm2::new();
    let script = pm2.run(&["completion", "bash"]).ok().stdout;
    assert!(script.contains("complete -F _pm2"), "{script}");
    let path = pm2.write("pm2.bash", &script, false);
    let loaded = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p pm2", path.display()))
        .output()
        .expect("run bash");
    assert!(loaded.status.success(), "{loaded:?}");
    assert!(String::from_utf8_lossy(&loaded.stdout).contains("_pm2"));
    let zsh = pm2.run(&["completion", "zsh"]).ok().stdout;
    assert!(zsh.starts_with("#compdef pm2"), "{zsh}");
}

#[test]
fn silent_prints_nothing_on_success() {
    let pm2 = Pm2::new();
    for args in [
        &["start", "sleep", "--name", "quiet", "-s", "--", "100"][..],
        &["restart", "quiet", "-s"],
        &["stop", "0", "--silent"],
        &["delete", "all", "-s"],
    ] {
        let run = pm2.run(args).ok();
        assert_eq!(
            (run.stdout.as_str(), run.stderr.as_str()),
            ("", ""),
            "{args:?}"
        );
    }
    let failed = pm2.run(&["stop", "nope", "-s"]).failed();
    assert!(!failed.stderr.is_empty(), "errors still show");
}

#[test]
fn no_autostart_registers_the_app_stopped() {
    let pm2 = Pm2::new();
    pm2.run(&[
        "start",
        "sleep",
        "--name",
        "later",
        "--no-autostart",
        "--",
        "100",
    ])
    .ok();
    let p = pm2.process(0).expect("registered");
    assert_eq!(p["pm2_env"]["status"], "stopped", "{p:#}");
    assert_eq!(p["pid"], 0);
    pm2.run(&["start", "later"]).ok();
    pm2.wait_status(0, "online");
}

#[test]
fn append_env_to_name_suffixes_the_profile() {
    let pm2 = Pm2::new();
    let args = ["start", "sleep", "--name", "api", "--append-env-to-name"];
    pm2.run(&[&args[..], &["--env", "staging", "--", "100"]].concat())
        .ok();
    pm2.run(&[&args[..], &["--", "100"]].concat()).ok();
    pm2.write(
        "eco.toml",
        "[[apps]]\nname = \"worker\"\nscript = \"sleep\"\nargs = \"100\"\nappend_env_to_name = true\n",
        false,
    );
    pm2.run(&["start", "eco.toml", "--env", "production"]).ok();
    let names: Vec<String> = pm2
        .jlist()
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(names, ["api-staging", "api", "worker-production"]);
}

#[test]
fn increment_var_gives_each_instance_the_next_port() {
    let pm2 = Pm2::new();
    pm2.write(
        "eco.toml",
        "[[apps]]\nname = \"web\"\nscript = \"sleep\"\nargs = \"100\"\ninstances = 2\n\
         increment_var = \"PORT\"\n\n[apps.env]\nPORT = \"3000\"\n",
        false,
    );
    pm2.run(&["start", "eco.toml"]).ok();
    // Numbers, as PM2 shows them (the file wrote PORT as a number).
    let ports: Vec<serde_json::Value> = pm2
        .jlist()
        .iter()
        .map(|p| p["pm2_env"]["env"]["PORT"].clone())
        .collect();
    assert_eq!(ports, [3000, 3001]);
    pm2.run(&["scale", "web", "3"]).ok();
    let third = pm2.process(2).expect("third instance");
    assert_eq!(third["pm2_env"]["env"]["PORT"], 3002, "{third:#}");
}

#[test]
fn merge_logs_flag_gives_instances_one_file() {
    let pm2 = Pm2::new();
    pm2.write(
        "hi.sh",
        "echo \"hi from $NODE_APP_INSTANCE\"\nexec sleep 100\n",
        false,
    );
    pm2.run(&["start", "hi.sh", "-i", "2", "--merge-logs"]).ok();
    let merged = pm2.log("hi-out.log");
    common::wait_until("both instances in one file", || {
        let text = read(&merged);
        text.contains("hi from 0") && text.contains("hi from 1")
    });
    assert!(!pm2.log("hi-out-0.log").exists());
}

/// `pm2 --version` is a flag, not a command: the table says so below it.
#[test]
fn version_flag_prints_the_version() {
    let out = std::process::Command::new(pm2_bin())
        .arg("--version")
        .output()
        .expect("run pm2");
    assert!(out.status.success());
    assert!(!out.stdout.is_empty());
}

#[test]
fn only_takes_a_comma_separated_list_of_apps() {
    let pm2 = Pm2::new();
    let app =
        |name: &str| format!("[[apps]]\nname = \"{name}\"\nscript = \"sleep\"\nargs = \"100\"\n\n");
    pm2.write("eco.toml", &[app("a"), app("b"), app("c")].concat(), false);
    pm2.run(&["start", "eco.toml", "--only", "a,c"]).ok();
    let names = |pm2: &Pm2| -> Vec<String> {
        pm2.jlist()
            .iter()
            .filter(|p| p["pm2_env"]["status"] == "online")
            .filter_map(|p| p["name"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(names(&pm2), ["a", "c"]);
    pm2.run(&["stop", "eco.toml", "--only", "c"]).ok();
    assert_eq!(names(&pm2), ["a"]);
}
