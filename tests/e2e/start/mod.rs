//! `pm2 start`: scripts of every kind, its flags, fork instances, starting twice, and the
//! one-line errors a user gets for bad input.

mod again;
mod bad_input;
mod instances;
mod logs;
mod options;
mod restarts;
mod scripts;
mod support;

use crate::common;
