//! Temporary.
use super::fixture::*;
#[test]
#[ignore]
fn show() {
    let mut a = process(0, "api");
    a.spec.exec_mode = pm2_protocol::ExecMode::Cluster;
    a.spec.args = vec!["a b".into(), "c'd".into()];
    a.spec.interpreter = Some("node".into());
    a.spec.interpreter_args = vec!["--max-old-space-size=100".into(), "--inspect".into()];
    a.spec.max_memory_restart = Some(209715200);
    a.combined_log = Some("/tmp/rapp/combined-0.log".into());
    a.env.insert("MY-VAR".into(), "x".into());
    a.env.insert("NODE_ENV".into(), "production".into());
    a.spec.inert_options = vec!["watch".into(), "cron_restart".into()];
    a.last_error = Some("spawn ENOENT".into());
    a.spec.stop_exit_codes = vec![0, 3];
    a.spec.exp_backoff_restart_delay_ms = Some(100);
    let b = stopped(1, "it's-long");
    let procs = vec![a.clone(), b];
    std::fs::write("/tmp/insp/pretty.txt", super::prettylist(&procs, NOW)).unwrap();
    std::fs::write("/tmp/insp/jlist.json", serde_json::to_string(&super::jlist(&procs, NOW)).unwrap()).unwrap();
    println!("{}", super::table(&procs, NOW, false));
    println!("{}", super::table(&[], NOW, false));
    println!("{}", super::table_for_width(&procs, NOW, false, Some(100)));
    println!("{}", super::table_for_width(&procs, NOW, false, Some(60)));
    println!("{}", super::describe(&a, NOW, false));
    let mut local = std::collections::BTreeMap::new();
    local.insert("HOME".to_string(), "/root".to_string());
    local.insert("PATH".to_string(), "/usr/bin:/bin".to_string());
    println!("{}", super::divergent_env(&a, &local, false));
    println!("{}", super::divergent_env(&a, &Default::default(), false));
    std::fs::write("/tmp/insp/color.txt", format!("{}\n{}\n", super::table(&procs, NOW, true), super::describe(&a, NOW, true))).unwrap();
}
