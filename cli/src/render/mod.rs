//! Rendering processes for people and scripts, the way PM2 7 prints them.
//!
//! - [`table`] / [`table_for_width`]: the `pm2 ls` box table; [`list`]: the table or the
//!   `-m` [`mini_list`], in a [`SortSpec`]'s order (`--sort`).
//! - [`describe`] / [`divergent_env`]: `pm2 describe`; [`env_listing`]: `pm2 env`.
//! - [`jlist`]: the JSON value of `pm2 jlist`; [`prettylist`]: the same in Node's
//!   `util.inspect` notation, as `pm2 prettylist` prints it; [`inspect`] for any JSON value.
//! - [`human_bytes`] / [`human_duration`]: PM2's `12.3mb` and `5m`.
//! - [`conf`]: `pm2 get` / `pm2 set`'s listing of module_conf.json.
//! - [`host_line`]: the host line under the table while `pm2:sysmonit` is on.
//!
//! Every function returns text without a trailing newline and never touches the terminal:
//! callers decide on colours (`color`) and the current time (`now_ms`, ms since the epoch).

mod boxes;
mod color;
pub mod conf;
mod describe;
mod env;
mod host;
mod inspect;
mod jlist;
mod list;
pub mod logline;
mod mini;
mod sort;
mod table;
mod units;

pub use describe::{describe, divergent_env};
pub use env::env_listing;
pub use host::{host_line, this_host};
pub use inspect::inspect;
pub use jlist::{jlist, prettylist};
pub use list::{list, ListStyle};
pub use mini::mini_list;
pub use sort::{SortKey, SortOrder, SortSpec, SortSpecError};
pub use table::{table, table_for_width, table_of_rows};
pub use units::{human_bytes, human_duration};

pub(crate) use color::Paint;

#[cfg(test)]
pub(crate) mod fixture;

#[cfg(test)]
mod describe_tests;
#[cfg(test)]
mod inspect_tests;
#[cfg(test)]
mod jlist_tests;
#[cfg(test)]
mod list_tests;
#[cfg(test)]
mod sort_tests;
#[cfg(test)]
mod table_tests;
#[cfg(test)]
mod units_tests;
