//! `pm2-runtime`: the foreground process manager for containers.

fn main() {
    std::process::exit(pm2_runtime::foreground::main_entry());
}
