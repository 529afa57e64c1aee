//! A real tree under a temporary `PM2_HOME`, real OS processes, and the means to find and
//! kill its actors: every actor of the tree is a descendant of Root in ractor's supervision
//! tree, found by its message type. Every process started is killed by pid on drop.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pm2_actors::app::AppMsg;
use pm2_actors::logsink::RotationPolicy;
use pm2_actors::proc::ProcMsg;
use pm2_actors::root::{Reply, Root, RootArgs, RootCmd, RootMsg};
use pm2_protocol::message::Action;
use pm2_protocol::{AppSpec, ExecMode, Handover, ProcessInfo, Status, Target};
use ractor::{Actor, ActorCell, ActorId, ActorRef, Message};

/// How long any condition may take.
const DEADLINE: Duration = Duration::from_secs(20);

/// A running tree and what it started.
pub struct Tree {
    root: ActorRef<RootMsg>,
    handle: Option<ractor::concurrency::JoinHandle<()>>,
    dir: tempfile::TempDir,
    pids: Mutex<Vec<u32>>,
}

/// An actor as it was before a fault: its id, and which process or app it is for.
pub struct Seen {
    id: ActorId,
    key: Option<String>,
}

impl Seen {
    /// True when this actor is for the process or app `key`.
    pub fn is_for(&self, key: &str) -> bool {
        self.key.as_deref() == Some(key)
    }
}

impl Tree {
    /// Root and its children, with a fresh home.
    pub async fn boot() -> Tree {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        let args = RootArgs {
            pm2_home: home,
            rotation: RotationPolicy::default(),
            sysmonit: false,
        };
        let (root, handle) = Actor::spawn(None, Root, args).await.expect("root starts");
        Tree {
            root,
            handle: Some(handle),
            dir,
            pids: Mutex::new(Vec::new()),
        }
    }

    /// The temporary folder (scripts, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Asks Root one command.
    pub async fn ask(&self, command: RootCmd) -> Result<Reply, pm2_actors::error::TreeError> {
        ractor::call_t!(self.root, RootMsg::Command, 60_000, command).expect("root answers")
    }

    /// Starts `spec`; its pids in id order (each online).
    pub async fn start(&self, spec: AppSpec) -> Vec<u32> {
        let name = spec.name.clone();
        let started = self
            .ask(RootCmd::Start {
                apps: vec![spec],
                force: false,
                existing: None,
            })
            .await
            .expect("start")
            .into_processes();
        assert!(
            started.iter().all(|p| p.status == Status::Online),
            "{started:?}"
        );
        let pids: Vec<u32> = started.iter().map(|p| p.pid.expect("pid")).collect();
        self.pids.lock().expect("pids").extend(&pids);
        assert_eq!(self.pids_of(&name).await, pids);
        pids
    }

    /// The rows of app `name`, in id order.
    pub async fn rows(&self, name: &str) -> Vec<ProcessInfo> {
        self.ask(RootCmd::Describe {
            targets: vec![Target::Name(name.into())],
            allow_empty: false,
        })
        .await
        .expect("describe")
        .into_processes()
    }

    /// The pids of app `name`, in id order.
    pub async fn pids_of(&self, name: &str) -> Vec<u32> {
        let rows = self.rows(name).await;
        rows.iter().map(|p| p.pid.expect("running")).collect()
    }

    /// The restart counts of app `name`, in id order.
    pub async fn restarts_of(&self, name: &str) -> Vec<u32> {
        let rows = self.rows(name).await;
        rows.iter().map(|p| p.restart_time).collect()
    }

    /// The status of the first process of `name`, now.
    pub async fn status_now(&self, name: &str) -> Option<Status> {
        self.rows(name).await.first().map(|p| p.status)
    }

    /// `pm2 stop <name>`.
    pub async fn stop(&self, name: &str) -> Vec<ProcessInfo> {
        stop(&self.root, name).await
    }

    /// `pm2 stop <name>` in a task of its own.
    pub fn stop_in_background(&self, name: &str) -> tokio::task::JoinHandle<Vec<ProcessInfo>> {
        let root = self.root.clone();
        let name = name.to_string();
        tokio::spawn(async move { stop(&root, &name).await })
    }

    /// The list, answered within `limit`.
    pub async fn list_within(&self, limit: Duration) -> Vec<ProcessInfo> {
        let list = tokio::time::timeout(limit, self.ask(RootCmd::List { brief: true }))
            .await
            .unwrap_or_else(|_| panic!("the list took more than {limit:?}"));
        list.expect("list").into_processes()
    }

    /// Right after a fault: every list request is answered at once (an error while an
    /// actor restarts is an answer), and the list works again before long.
    pub async fn answers_throughout(&self) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let answer = tokio::time::timeout(
                Duration::from_secs(2),
                self.ask(RootCmd::List { brief: true }),
            )
            .await
            .expect("Root answered within 2 s");
            if answer.is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the list kept failing: {answer:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Every actor of the tree (Root's descendants).
    pub fn cells(&self) -> BTreeSet<ActorId> {
        descendants(&self.root.get_cell())
            .iter()
            .map(ActorCell::get_id)
            .collect()
    }

    /// Every actor of message type `M`, in id order for Procs.
    pub fn all<M: Message>(&self) -> Vec<ActorCell> {
        of_type::<M>(descendants(&self.root.get_cell()))
    }

    /// The one actor of message type `M`.
    pub fn one<M: Message>(&self) -> ActorCell {
        let found = self.all::<M>();
        assert_eq!(
            found.len(),
            1,
            "one actor of {}",
            std::any::type_name::<M>()
        );
        found.into_iter().next().expect("one")
    }

    /// The one actor of type `M`, once it exists.
    pub async fn wait_for<M: Message>(&self) -> ActorCell {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(cell) = self.all::<M>().into_iter().next() {
                return cell;
            }
            assert!(
                Instant::now() < deadline,
                "no {}",
                std::any::type_name::<M>()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The children of type `M` of one actor.
    pub fn children_of<M: Message>(&self, cell: &ActorCell) -> Vec<ActorCell> {
        of_type::<M>(cell.get_children())
    }

    /// True when `cell` is the App of `name` (one of its Procs runs `name`).
    pub async fn is_app(&self, cell: &ActorCell, name: &str) -> bool {
        for proc in self.children_of::<ProcMsg>(cell) {
            if proc_info(&proc).await.is_some_and(|p| p.spec.name == name) {
                return true;
            }
        }
        false
    }

    /// What identifies `cell` across its incarnations: a Proc's id, an App's name.
    pub async fn seen(&self, cell: &ActorCell) -> Seen {
        let key = if cell.is_message_type_of::<ProcMsg>() == Some(true) {
            proc_info(cell).await.map(|p| p.pm_id.to_string())
        } else if cell.is_message_type_of::<AppMsg>() == Some(true) {
            let procs = self.children_of::<ProcMsg>(cell);
            match procs.first() {
                Some(proc) => proc_info(proc).await.map(|p| p.spec.name),
                None => None,
            }
        } else {
            None
        };
        Seen {
            id: cell.get_id(),
            key,
        }
    }

    /// The next incarnation of `old` (same key, a newer actor), once it runs.
    pub async fn wait_for_new<M: Message>(&self, old: &Seen) -> ActorCell {
        let deadline = Instant::now() + DEADLINE;
        loop {
            for cell in self.all::<M>() {
                if cell.get_id().pid() <= old.id.pid() {
                    continue;
                }
                if old.key.is_none() || self.seen(&cell).await.key == old.key {
                    return cell;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no new {} after {}",
                std::any::type_name::<M>(),
                old.id
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Asserts that of the actors in `before`, exactly `changed` are gone (restarted).
    pub fn only_changed(&self, before: &BTreeSet<ActorId>, changed: &[&Seen]) {
        let now = self.cells();
        let changed: BTreeSet<ActorId> = changed.iter().map(|s| s.id).collect();
        let gone: BTreeSet<ActorId> = before.difference(&now).copied().collect();
        assert_eq!(gone, changed, "the actors restarted");
        assert_eq!(now.len(), before.len(), "as many actors as before");
    }

    /// Each pid runs, and no second process runs the same command line.
    pub fn each_runs_once(&self, pids: &[u32]) {
        for &pid in pids {
            assert!(alive(pid), "process {pid} runs");
            let line = cmdline(pid).expect("command line");
            let same = pids
                .iter()
                .filter(|&&p| cmdline(p).as_deref() == Some(line.as_str()))
                .count();
            assert_eq!(
                running_with(&line),
                same,
                "no other process runs {line:?} (no double start)"
            );
        }
    }

    /// Stops every process and the tree.
    pub async fn shut_down(mut self) {
        let _ = self.ask(RootCmd::StopAll).await;
        self.root.stop(None);
        if let Some(handle) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), handle).await;
        }
    }
}

impl Drop for Tree {
    /// The backstop: every process started is killed, by pid.
    fn drop(&mut self) {
        let pids = self.pids.lock().map(|p| p.clone()).unwrap_or_default();
        for pid in pids {
            if alive(pid) {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        self.root.stop(None);
    }
}

async fn stop(root: &ActorRef<RootMsg>, name: &str) -> Vec<ProcessInfo> {
    let command = RootCmd::Act {
        action: Action::Stop,
        targets: vec![Target::Name(name.into())],
        update_env: None,
        attributes: None,
    };
    ractor::call_t!(root, RootMsg::Command, 60_000, command)
        .expect("root answers")
        .expect("stop")
        .into_processes()
}

async fn proc_info(cell: &ActorCell) -> Option<ProcessInfo> {
    let proc: ActorRef<ProcMsg> = cell.clone().into();
    ractor::call_t!(proc, ProcMsg::Info, 2000).ok()
}

fn descendants(cell: &ActorCell) -> Vec<ActorCell> {
    let mut found = Vec::new();
    let mut pending = cell.get_children();
    while let Some(next) = pending.pop() {
        pending.extend(next.get_children());
        found.push(next);
    }
    found
}

fn of_type<M: Message>(cells: Vec<ActorCell>) -> Vec<ActorCell> {
    let mut found: Vec<ActorCell> = cells
        .into_iter()
        .filter(|c| c.is_message_type_of::<M>() == Some(true))
        .filter(|c| {
            !matches!(
                c.get_status(),
                ractor::ActorStatus::Stopping | ractor::ActorStatus::Stopped
            )
        })
        .collect();
    found.sort_by_key(|c| c.get_id().pid());
    found
}

/// Waits until `probe` holds.
pub async fn wait_until(what: &str, mut probe: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !probe().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A number no other process of this test binary uses, for unique command lines.
fn unique() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::SeqCst) * 10_000 + std::process::id() % 10_000
}

/// `instances` copies of a `sleep` with a command line of its own.
pub fn sleeper(tree: &Tree, name: &str, instances: u32) -> AppSpec {
    let dir = tree.dir();
    let mut spec = AppSpec::new(
        name,
        "/bin/sleep".into(),
        dir.into(),
        dir.join(format!("{name}.pid")),
    );
    spec.args = vec![format!("100{}", unique())];
    spec.instances = instances;
    spec
}

/// A shell printing a line every 50 ms into `<name>-out.log`.
pub fn talker(tree: &Tree, name: &str) -> AppSpec {
    let mut spec = sleeper(tree, name, 1);
    spec.exec_path = "/bin/sh".into();
    spec.args = vec![
        "-c".into(),
        format!("while :; do echo line; sleep 0.05; done # {}", unique()),
    ];
    spec.out_file = Some(tree.dir().join(format!("{name}-out.log")));
    spec.error_file = Some(tree.dir().join(format!("{name}-error.log")));
    spec
}

/// A proxied cluster app: each instance a Python HTTP server on its own `PORT`.
pub fn proxied_server(tree: &Tree, name: &str, port: u16, instances: u32) -> AppSpec {
    let mut spec = sleeper(tree, name, instances);
    spec.exec_path = "/usr/bin/env".into();
    spec.args = vec![
        "python3".into(),
        "-c".into(),
        format!(
            "import os, http.server as h; h.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), \
             h.SimpleHTTPRequestHandler).serve_forever() # {}",
            unique()
        ),
    ];
    spec.exec_mode = ExecMode::Cluster;
    spec.handover = Handover::Proxy;
    spec.ports = vec![port];
    spec
}

/// A port nobody listens on now, whose proxy ports above it are free too.
pub fn free_port() -> u16 {
    loop {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .expect("a free port")
            .local_addr()
            .expect("addr")
            .port();
        let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        if port < 60_000 && (1..=4).all(|k| free(port + k)) {
            return port;
        }
    }
}

/// One HTTP request through `port` answered 200.
pub fn http_ok(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"GET / HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer.starts_with(b"HTTP/1.0 200")
}

/// Lines in a file now.
pub fn lines(path: &PathBuf) -> usize {
    std::fs::read_to_string(path)
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

/// The process runs and is not a zombie.
pub fn alive(pid: u32) -> bool {
    pm2_protocol::procfs::running(pid)
}

/// True once `pid` has started a child process.
pub fn has_children(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/task/{pid}/children"))
        .is_ok_and(|children| pm2_protocol::procfs::parse_pids(&children).next().is_some())
}

fn cmdline(pid: u32) -> Option<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .ok()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// How many live processes run exactly this command line.
fn running_with(line: &str) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| alive(pid) && cmdline(pid).as_deref() == Some(line))
        .count()
}
