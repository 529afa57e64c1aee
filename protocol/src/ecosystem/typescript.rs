//! TypeScript scripts when bun is not installed. PM2 7 runs `.ts` and `.tsx` with bun; for a
//! `.ts` without bun it falls back to the type stripping of the `node` on PATH when that
//! node has it (natively from 22.18 on the 22 line and from 23.6, behind
//! `--experimental-strip-types` from 22.6: its `lib/tools/typestrip.js`), and refuses the
//! app otherwise.

use std::collections::BTreeMap;
use std::path::Path;

use super::resolve::{find_in_path, ResolveError};

/// How the node on PATH runs TypeScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripTypes {
    /// Without a flag.
    Native,
    /// With `--experimental-strip-types`.
    Flag,
}

/// The interpreter (and its arguments) that runs a TypeScript script in bun's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    /// `node`.
    pub interpreter: String,
    /// `--experimental-strip-types` when node needs it.
    pub args: Vec<String>,
}

/// What runs `script` (whose interpreter would be bun, not on the PATH of `env`): node with
/// type stripping for a `.ts` when the node on that PATH has it, else an error naming bun.
pub fn without_bun(
    script: &Path,
    env: &BTreeMap<String, String>,
) -> Result<Fallback, ResolveError> {
    let is_ts = script.extension().is_some_and(|e| e == "ts");
    let support = find_in_path("node", env)
        .and_then(|node| node_version(&node))
        .and_then(strip_types);
    match (is_ts, support) {
        (true, Some(support)) => Ok(Fallback {
            interpreter: "node".into(),
            args: match support {
                StripTypes::Native => Vec::new(),
                StripTypes::Flag => vec!["--experimental-strip-types".into()],
            },
        }),
        _ => Err(ResolveError::BunNotFound(script.display().to_string())),
    }
}

/// PM2's ranges: native `>=22.18.0 <23.0.0 || >=23.6.0`, with the flag `>=22.6.0`.
pub fn strip_types(version: (u32, u32, u32)) -> Option<StripTypes> {
    let native = ((22, 18, 0)..(23, 0, 0)).contains(&version) || version >= (23, 6, 0);
    if native {
        Some(StripTypes::Native)
    } else if version >= (22, 6, 0) {
        Some(StripTypes::Flag)
    } else {
        None
    }
}

/// `node --version` (`v22.18.0`) as numbers; `None` when it cannot be run or read.
fn node_version(node: &Path) -> Option<(u32, u32, u32)> {
    let output = std::process::Command::new(node)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    parse_version(&String::from_utf8_lossy(&output.stdout))
}

/// `v22.18.0` (or `22.18.0`) as numbers.
fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let text = text.trim();
    let mut parts = text.strip_prefix('v').unwrap_or(text).splitn(3, '.');
    let mut number = || parts.next()?.parse::<u32>().ok();
    Some((number()?, number()?, number()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_stripping_as_pm2_reads_node_versions() {
        assert_eq!(strip_types((20, 20, 2)), None);
        assert_eq!(strip_types((22, 5, 9)), None);
        assert_eq!(strip_types((22, 6, 0)), Some(StripTypes::Flag));
        assert_eq!(strip_types((22, 17, 1)), Some(StripTypes::Flag));
        assert_eq!(strip_types((22, 18, 0)), Some(StripTypes::Native));
        assert_eq!(strip_types((23, 5, 0)), Some(StripTypes::Flag));
        assert_eq!(strip_types((23, 6, 0)), Some(StripTypes::Native));
        assert_eq!(strip_types((24, 0, 0)), Some(StripTypes::Native));
    }

    #[test]
    fn versions_read_as_node_prints_them() {
        assert_eq!(parse_version("v22.18.0\n"), Some((22, 18, 0)));
        assert_eq!(parse_version("24.1.3"), Some((24, 1, 3)));
        assert_eq!(parse_version("v22"), None);
        assert_eq!(parse_version(""), None);
    }

    #[test]
    fn without_node_or_for_tsx_bun_is_needed() {
        let env: BTreeMap<String, String> = [("PATH".to_string(), "/nonexistent".to_string())]
            .into_iter()
            .collect();
        let error = without_bun(Path::new("/srv/app.ts"), &env).unwrap_err();
        assert_eq!(
            error.to_string(),
            "interpreter \"bun\" not found in PATH (needed to run /srv/app.ts): TypeScript apps \
             need bun, Node.js >= 22.18 (>= 22.6 with type stripping) or an --interpreter"
        );
        assert!(without_bun(Path::new("/srv/app.tsx"), &env).is_err());
    }
}
