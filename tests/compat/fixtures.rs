//! The fixture apps every scenario can start, written into the shared work dir. They print
//! fixed lines (no pids, no times) so that their logs compare across the two sides.

use std::collections::BTreeMap;
use std::path::Path;

/// Prints a start line, its arguments and one stderr line, then `echo N` every 500 ms;
/// logs `got SIGUSR2` when signalled (sendSignal scenarios).
const ECHO_JS: &str = r#"let n = 0;
console.log('echo start ' + process.argv.slice(2).join(' '));
console.error('echo err');
process.on('SIGUSR2', () => console.log('got SIGUSR2'));
setInterval(() => console.log('echo ' + n++), 500);
"#;

/// Prints, then exits with `$EXIT_CODE` (default 1) after 200 ms: the restart scenarios.
const CRASH_JS: &str = r#"console.log('crash start');
setTimeout(() => process.exit(Number(process.env.EXIT_CODE || 1)), 200);
"#;

/// An HTTP server on `$PORT` (0: any free port); cluster and listen scenarios.
const HTTP_JS: &str = r#"const http = require('http');
const server = http.createServer((req, res) => res.end('ok\n'));
server.listen(Number(process.env.PORT || 0), () => console.log('listening'));
"#;

/// Tells PM2 it is ready after 1 s (`--wait-ready`: a `start` that waits has `ready sent` in
/// the log when it returns); exits on the `shutdown` message (`--shutdown-with-message`).
const READY_JS: &str = r#"console.log('ready start');
setTimeout(() => { console.log('ready sent'); if (process.send) process.send('ready'); }, 1000);
process.on('message', (msg) => {
  if (msg === 'shutdown') { console.log('got shutdown'); process.exit(0); }
});
setInterval(() => {}, 1000);
"#;

/// Prints the variables the env scenarios set, one `KEY=value` line each, then stays up.
const ENV_JS: &str = r#"for (const key of ['FOO', 'BAR', 'NODE_ENV', 'PORT', 'NODE_APP_INSTANCE', 'APP_ID',
  'name', 'pm_id', 'namespace', 'exec_mode', 'instances', 'PM2_HOME', 'pm_exec_path']) {
  console.log(key + '=' + (process.env[key] === undefined ? '<unset>' : process.env[key]));
}
setInterval(() => {}, 1000);
"#;

/// A bash app: a start line with its arguments, then sleeps.
const SLEEP_SH: &str =
    "#!/usr/bin/env bash\necho \"sleep.sh start $*\"\nwhile true; do sleep 0.5; done\n";

/// A python app: a start line with its arguments, then sleeps.
const APP_PY: &str = r#"import sys, time
print('app.py start ' + ' '.join(sys.argv[1:]), flush=True)
while True:
    time.sleep(0.5)
"#;

/// Every fixture, name -> (text, executable).
fn all() -> BTreeMap<&'static str, (&'static str, bool)> {
    BTreeMap::from([
        ("echo.js", (ECHO_JS, false)),
        ("crash.js", (CRASH_JS, false)),
        ("http.js", (HTTP_JS, false)),
        ("ready.js", (READY_JS, false)),
        ("env.js", (ENV_JS, false)),
        ("sleep.sh", (SLEEP_SH, true)),
        ("app.py", (APP_PY, false)),
    ])
}

/// Empties `work` and writes the fixtures, then `extra` (a scenario's `files`, where
/// `$WORK` stands for the work dir); each side starts from the same files.
pub fn reset(work: &Path, extra: &[&BTreeMap<String, String>]) {
    for entry in std::fs::read_dir(work).expect("read work dir").flatten() {
        let path = entry.path();
        let _ = if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
    for (name, (text, executable)) in all() {
        write(work, name, text, executable);
    }
    for files in extra {
        for (name, text) in files.iter() {
            let text = text.replace("$WORK", &work.to_string_lossy());
            write(work, name, &text, name.ends_with(".sh"));
        }
    }
}

/// Writes one file (making its folder), executable when asked.
fn write(work: &Path, name: &str, text: &str, executable: bool) {
    use std::os::unix::fs::PermissionsExt;
    let path = work.join(name);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir in work dir");
    }
    std::fs::write(&path, text).expect("write fixture");
    if executable {
        let mode = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(&path, mode).expect("chmod fixture");
    }
}
