//! JavaScript ecosystem files (`*.config.js`, `.cjs`, `.mjs`), evaluated by `node`.
//!
//! A child `node -e <script> <absolute path>` loads the file (`require`, or `import()` for
//! ES modules) and prints `JSON.stringify` of what it exports after a marker, so that the
//! file's own `console.log` output cannot be mistaken for the configuration. Functions and
//! other values JSON cannot hold are dropped, as when PM2 serialises the apps.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::ecosystem::EcosystemError;

/// Printed before the JSON on stdout, and before the error line on stderr.
const MARK: &str = "\u{0}PM2_ECOSYSTEM\u{0}";

/// How long a configuration may take to evaluate.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Loads the file given as first argument and prints what it exports (see the module doc).
const SCRIPT: &str = r#"
const file = process.argv[1];
const MARK = '\u0000PM2_ECOSYSTEM\u0000';
const fail = (e) => {
  let m;
  try {
    m = e instanceof Error ? `${e.name}: ${e.message}` : `Error: ${String(e)}`;
  } catch (_) {
    m = 'Error: the configuration threw a value that cannot be printed';
  }
  process.stderr.write(MARK + m.split('\n')[0] + '\n', () => process.exit(1));
};
const done = (v) => {
  let s;
  try {
    s = JSON.stringify(v === undefined ? null : v);
  } catch (e) {
    return fail(e);
  }
  if (s === undefined) s = 'null';
  process.stdout.write(MARK + s, () => process.exit(0));
};
// An ES module namespace (from import(), or from require() of ES syntax): its default
// export if it has one, else its named exports.
const unwrap = (m) =>
  m && (m[Symbol.toStringTag] === 'Module' || m.__esModule) && m.default !== undefined
    ? m.default
    : m;
const load = () => import(require('url').pathToFileURL(file).href);
let p;
if (process.argv[2] === 'expr') {
  // A .json file PM2 reads as a JavaScript expression (comments, trailing commas, ...).
  try {
    const text = require('fs').readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    p = Promise.resolve(require('vm').runInThisContext('(' + text + ')', { filename: file, timeout: 1000 }));
  } catch (e) {
    p = Promise.reject(e);
  }
} else if (/\.mjs$/.test(file)) {
  p = load();
} else {
  try {
    p = Promise.resolve(require(file));
  } catch (e) {
    p = e && e.code === 'ERR_REQUIRE_ESM' ? load() : Promise.reject(e);
  }
}
p.then((m) => done(unwrap(m)), fail);
"#;

/// Evaluates the file with node and returns the JSON text of its exports.
pub(super) fn evaluate(path: &Path) -> Result<String, EcosystemError> {
    evaluate_with(path, "node")
}

/// Evaluates a `.json` file as the JavaScript expression PM2 takes it for (`vm` on
/// `(text)`, 1 s at most), for files that are not strict JSON; returns the JSON text.
pub(super) fn evaluate_expression(path: &Path) -> Result<String, EcosystemError> {
    run_node(path, "node", Some("expr"))
}

/// [`evaluate`] with the given node program (looked up in PATH like `node`).
pub(super) fn evaluate_with(path: &Path, node: &str) -> Result<String, EcosystemError> {
    run_node(path, node, None)
}

fn run_node(path: &Path, node: &str, mode: Option<&str>) -> Result<String, EcosystemError> {
    let io_error = |error| EcosystemError::Io {
        path: path.to_path_buf(),
        error,
    };
    let invalid = |message: String| EcosystemError::Malformed {
        path: path.to_path_buf(),
        line: 1,
        message,
    };
    let absolute = std::fs::canonicalize(path).map_err(io_error)?;
    let spawned = Command::new(node)
        .arg("-e")
        .arg(SCRIPT)
        .arg(&absolute)
        .args(mode)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(EcosystemError::NodeMissing {
                path: path.to_path_buf(),
            })
        }
        Err(err) => return Err(io_error(err)),
    };
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(invalid(format!(
                    "evaluating the configuration with node took longer than {} s",
                    TIMEOUT.as_secs()
                )));
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io_error(err));
            }
        }
    };
    let collect = |reader: Option<thread::JoinHandle<Vec<u8>>>| {
        reader
            .and_then(|r| r.join().ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    };
    let stdout = collect(stdout);
    let stderr = collect(stderr);
    if status.success() {
        if let Some(at) = stdout.rfind(MARK) {
            return Ok(stdout[at + MARK.len()..].to_owned());
        }
    }
    Err(invalid(error_line(&stderr).unwrap_or_else(
        || match status.code() {
            Some(code) => {
                format!("node exited with status {code} without printing the configuration")
            }
            None => "node was killed before printing the configuration".to_owned(),
        },
    )))
}

/// Reads a pipe to its end on a thread of its own.
fn drain<R: Read + Send + 'static>(mut pipe: R) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Node's first error line: ours after the marker, else the first line naming an error,
/// else the first line of stderr.
fn error_line(stderr: &str) -> Option<String> {
    if let Some(at) = stderr.rfind(MARK) {
        let line = stderr[at + MARK.len()..]
            .lines()
            .next()
            .unwrap_or("")
            .trim();
        if !line.is_empty() {
            return Some(line.to_owned());
        }
    }
    let lines = || stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    lines()
        .find(|l| {
            l.split(':')
                .next()
                .is_some_and(|name| name.ends_with("Error") && !name.contains(' '))
        })
        .or_else(|| lines().next())
        .map(str::to_owned)
}
