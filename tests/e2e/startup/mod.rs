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

mod detection;
mod privileges;
mod scripts;
