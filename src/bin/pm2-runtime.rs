//! `pm2-runtime`: the foreground process manager for containers (PID 1 or not).

fn main() {
    let prepared = match pm2_cli::runtime::prepare() {
        Ok(prepared) => prepared,
        Err(e) => {
            eprintln!("[PM2][ERROR] {e:#}");
            std::process::exit(1);
        }
    };
    let options = pm2_runtime::foreground::Options {
        apps: prepared.apps,
        auto_exit: prepared.auto_exit,
    };
    let code = pm2_runtime::foreground::run(prepared.home, options, prepared.print);
    std::process::exit(code);
}
