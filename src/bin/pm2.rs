//! `pm2`: the command line, which also re-executes itself as the daemon.

fn main() {
    if pm2_runtime::daemon::is_daemon_invocation() {
        std::process::exit(pm2_runtime::daemon::run_from_env());
    }
    std::process::exit(pm2_cli::main_entry());
}
