//! The end-to-end tests, in one binary so that CI links once: each module was a test binary
//! of its own (`tests/<name>.rs` or `tests/<name>/main.rs`). They run the real `pm2`,
//! `pm2-runtime` and `pm2-mcp` binaries against a temporary `PM2_HOME` each and kill
//! everything they start; none sets process-wide state (environment, working directory,
//! signal handlers), so they share this process and its test threads safely.
//!
//! One module: `cargo test --test e2e <module>::` (for example `cargo test --test e2e
//! lifecycle::`). The differential suite against PM2 stays a binary of its own
//! (`tests/compat`).

mod common;

mod bun;
mod chaos;
mod cluster;
mod cluster_udp;
mod commands;
mod cron;
mod daemon;
mod ecosystem;
mod export;
mod lifecycle;
mod logs;
mod logs_files;
mod logs_follow;
mod logs_tail;
mod ls;
mod mcp;
mod mcp_sdk;
mod monit;
mod monitor;
mod output;
mod persistence;
mod rotation;
mod round_trips;
mod runtime;
mod security;
mod serve;
mod smoke;
mod start;
mod startup;
mod stdin;
mod table;
mod targets;
mod variables;
mod watch;
