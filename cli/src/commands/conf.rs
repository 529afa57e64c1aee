//! `pm2 set`, `pm2 get`, `pm2 unset`, `pm2 conf`: module_conf.json, through the daemon
//! (which owns the file and applies pm2-logrotate's values at once).

use anyhow::{bail, Result};
use pm2_protocol::{ConfValue, Request, Response};

use super::{ask, Context};
use crate::render::conf as render;

/// The module a key names (`pm2-logrotate` in `pm2-logrotate:max_size`), if it has one.
fn module_of(key: &str) -> Option<&str> {
    let separator = if key.contains('.') { '.' } else { ':' };
    key.split_once(separator)
        .map(|(module, _)| module.trim_matches('"'))
}

async fn ask_conf(ctx: &Context, request: Request) -> Result<Vec<ConfValue>> {
    let mut client = ctx.client().await?;
    match ask(&mut client, request).await? {
        Response::Conf(values) => Ok(values),
        other => bail!("unexpected answer from the daemon: {other:?}"),
    }
}

fn print_modules(ctx: &Context, values: &[ConfValue], only: Option<&str>) {
    let text = render::modules(values, only, ctx.printer.color);
    if !text.is_empty() {
        ctx.printer.text(text);
    }
}

/// `pm2 set <key> <value>`.
pub async fn set(ctx: &Context, key: String, value: String) -> Result<()> {
    let values = ask_conf(
        ctx,
        Request::SetConf {
            key: key.clone(),
            value,
        },
    )
    .await?;
    match module_of(&key) {
        Some(module) => {
            ctx.printer.info("Setting changed");
            print_modules(ctx, &values, Some(module));
        }
        None => print_modules(ctx, &values, None),
    }
    Ok(())
}

/// `pm2 get [key]`.
pub async fn get(ctx: &Context, key: Option<String>) -> Result<()> {
    let key = key.filter(|k| k != "all");
    let values = ask_conf(ctx, Request::GetConf { key: key.clone() }).await?;
    match key {
        None => print_modules(ctx, &values, None),
        Some(key) if module_of(&key).is_some() => {
            for value in &values {
                ctx.printer.text(render::value(value, ctx.printer.color));
            }
        }
        Some(key) => {
            match values.first() {
                Some(top @ ConfValue { module: None, .. }) => {
                    ctx.printer.text(render::value(top, ctx.printer.color))
                }
                _ => print_modules(ctx, &values, Some(&key)),
            }
            ctx.printer
                .text("Modules configuration. Copy/Paste line to edit values.");
        }
    }
    Ok(())
}

/// `pm2 conf [key]` and `pm2 config <key>` without a value. PM2's `conf [key] [value]`
/// shows every value whatever its arguments (it calls `get()` without them), while
/// `config <key>` reads that key (`conf(key)`, as `get <key>`).
pub async fn conf(ctx: &Context, key: Option<String>) -> Result<()> {
    let typed = std::env::args_os()
        .skip(1)
        .map(|word| word.to_string_lossy().into_owned());
    if invoked_as_config(typed) {
        get(ctx, key).await
    } else {
        get(ctx, None).await
    }
}

/// Whether the command word typed was `config` rather than `conf` (clap resolves the
/// alias to one command): the first of the two words on the command line.
fn invoked_as_config(mut args: impl Iterator<Item = String>) -> bool {
    args.find(|word| word == "conf" || word == "config")
        .is_some_and(|word| word == "config")
}

/// `pm2 unset <key>`.
pub async fn unset(ctx: &Context, key: String) -> Result<()> {
    let values = ask_conf(ctx, Request::UnsetConf { key }).await?;
    print_modules(ctx, &values, None);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{invoked_as_config, module_of};

    #[test]
    fn config_and_conf_are_told_apart_by_the_word_typed() {
        let words = |line: &str| {
            line.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert!(invoked_as_config(words("config mymod:key")));
        assert!(invoked_as_config(words("--no-color config conf")));
        assert!(!invoked_as_config(words("conf mymod:key")));
        assert!(!invoked_as_config(words("-s conf config")));
    }

    #[test]
    fn the_module_is_before_the_first_separator() {
        assert_eq!(module_of("pm2-logrotate:max_size"), Some("pm2-logrotate"));
        assert_eq!(module_of("pm2-logrotate.retain"), Some("pm2-logrotate"));
        assert_eq!(module_of("foo"), None);
    }
}
