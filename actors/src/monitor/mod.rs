//! Monitor: once a second, the cpu and memory of every process tree (for `pm2 ls` and
//! `max_memory_restart`) and, while `pm2:sysmonit` is on, the host's vitals.
//!
//! It asks the registry which pids run, reads each one's tree straight from `/proc`
//! ([`tree`], [`procfs`]: one `pread` per file held open, two files for a single-threaded
//! process) and publishes the sums
//! back to the registry, so reading the table never samples anything. A tree over its
//! app's `max_memory_restart` is restarted through Root, the path of `pm2 restart`
//! ([`memory`]). Host vitals go to a watch channel Root answers `Request::Vitals` from.

mod files;
mod host;
mod memory;
mod procfs;
mod tree;
mod usage;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pm2_protocol::message::Action;
use pm2_protocol::{HostVitals, Metrics, Monit, Target};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::sync::watch;

use crate::registry::{RegistryMsg, Watched};
use crate::root::{RootCmd, RootMsg};
use crate::supervision::LiveRef;
use pm2_protocol::clock::now_ms;

/// How often the monitor samples.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// Messages to the [`Monitor`].
#[derive(Debug)]
pub enum MonitorMsg {
    /// Take a sample now (sent by its own timer).
    Tick,
    /// The memory restart of this process is over (done or failed).
    Restarted(u32),
}

/// What the Monitor is started with; clones share the channels.
#[derive(Clone)]
pub struct MonitorArgs {
    /// The process table.
    pub registry: LiveRef<RegistryMsg>,
    /// The table's revision: which processes run is asked again only when it moved.
    pub revisions: watch::Receiver<u64>,
    /// Where memory restarts are asked for, as any `pm2 restart`.
    pub root: ActorRef<RootMsg>,
    /// `pm2:sysmonit`: sample the host while true.
    pub sysmonit: watch::Receiver<bool>,
    /// The latest host sample, `None` while sysmonit is off.
    pub vitals: Arc<watch::Sender<Option<HostVitals>>>,
}

/// The Monitor actor.
#[derive(Clone)]
pub struct Monitor;

/// Its state: the previous readings (cpu% and rates are differences), what is restarting,
/// and the running processes as of the table's last revision.
pub struct MonitorState {
    args: MonitorArgs,
    watched: Option<Vec<Watched>>,
    walker: tree::Walker,
    cpu: usage::CpuMeter,
    guard: memory::MemoryGuard,
    host: Option<host::HostSampler>,
}

impl Actor for Monitor {
    type Msg = MonitorMsg;
    type State = MonitorState;
    type Arguments = MonitorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<MonitorMsg>,
        args: MonitorArgs,
    ) -> Result<MonitorState, ActorProcessingErr> {
        myself.send_interval(SAMPLE_EVERY, || MonitorMsg::Tick);
        Ok(MonitorState {
            args,
            watched: None,
            walker: tree::Walker::default(),
            cpu: usage::CpuMeter::default(),
            guard: memory::MemoryGuard::from_env(),
            host: None,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<MonitorMsg>,
        msg: MonitorMsg,
        state: &mut MonitorState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            MonitorMsg::Tick => {
                state.sample_host();
                state.sample_processes(&myself).await;
            }
            MonitorMsg::Restarted(pm_id) => state.guard.done(pm_id),
        }
        Ok(())
    }
}

impl MonitorState {
    fn sample_host(&mut self) {
        if !*self.args.sysmonit.borrow() {
            if self.host.take().is_some() {
                self.args.vitals.send_replace(None);
            }
            return;
        }
        let sampler = self.host.get_or_insert_with(host::HostSampler::default);
        let vitals = sampler.sample(Instant::now(), now_ms());
        self.args.vitals.send_replace(vitals);
    }

    /// The running processes: asked of the registry only after a row changed. Asking each
    /// second (and copying fifty rows' worth) was most of an idle daemon's CPU.
    async fn refresh_watched(&mut self, registry: &ActorRef<RegistryMsg>) {
        // A closed channel (cannot happen while Root lives) means: always ask.
        if self.args.revisions.has_changed().unwrap_or(true) {
            self.args.revisions.borrow_and_update();
            self.watched = None;
        }
        if self.watched.is_none() {
            self.watched = ractor::call_t!(registry, RegistryMsg::Watched, 2000).ok();
        }
    }

    async fn sample_processes(&mut self, myself: &ActorRef<MonitorMsg>) {
        let Some(registry) = self.args.registry.get() else {
            return;
        };
        self.refresh_watched(&registry).await;
        // Taken out for the round (and put back) rather than copied.
        let Some(watched) = self.watched.take() else {
            return;
        };
        // An empty round still ends: the files of processes that went away are closed.
        let hz = procfs::ticks_per_second();
        let page = procfs::page_size();
        self.cpu.begin_round();
        self.walker.begin_round();
        let mut metrics = Vec::with_capacity(watched.len());
        let judges = self.guard.judges_now(Instant::now());
        for process in &watched {
            let now = Instant::now();
            let mut sum = Monit::default();
            for (pid, stat) in self.walker.tree(process.pid) {
                sum.cpu += self.cpu.percent(pid, &stat, now, hz);
                sum.memory += stat.rss_pages.saturating_mul(page);
            }
            sum.cpu = (sum.cpu * 10.0).round() / 10.0;
            if judges
                && process.online
                && self
                    .guard
                    .over_limit(process.pm_id, sum.memory, process.max_memory)
            {
                self.restart(myself, process, sum.memory);
            }
            metrics.push(Metrics {
                pm_id: process.pm_id,
                pid: process.pid,
                monit: sum,
            });
        }
        self.cpu.end_round();
        self.walker.end_round();
        self.watched = Some(watched);
        if !metrics.is_empty() {
            registry.cast(RegistryMsg::Metrics(metrics)).ok();
        }
    }

    /// Restarts a process over its memory limit the way `pm2 restart <id>` does
    /// (`kill_signal`, `kill_timeout`, counted in `restart_time`), without waiting for it.
    fn restart(&self, myself: &ActorRef<MonitorMsg>, process: &Watched, memory: u64) {
        let limit = process.max_memory.unwrap_or_default();
        // PM2's words (lib/Worker.js), with the app's name.
        tracing::warn!(
            "[PM2][WORKER] Process {} ({}) restarted because it exceeds --max-memory-restart \
             value (current_memory={memory} max_memory_limit={limit} [octets])",
            process.pm_id,
            process.name,
        );
        let (port, answer) = tokio::sync::oneshot::channel();
        let command = RootCmd::Act {
            action: Action::Restart,
            targets: vec![Target::Id(process.pm_id)],
            update_env: None,
            attributes: None,
        };
        let pm_id = process.pm_id;
        if self
            .args
            .root
            .cast(RootMsg::Command(command, port.into()))
            .is_err()
        {
            let _ = myself.cast(MonitorMsg::Restarted(pm_id));
            return;
        }
        let myself = myself.clone();
        // Waits for the restart's answer only to tell the Monitor it may judge this process
        // again; it holds nothing but two references and ends when Root answers (Root's own
        // verb task has the deadline), or when Root stops (the port is dropped).
        tokio::spawn(async move {
            match answer.await {
                Ok(Err(e)) => tracing::warn!(pm_id, "memory restart failed: {e}"),
                Err(_) => tracing::warn!(pm_id, "memory restart: no answer"),
                Ok(Ok(_)) => {}
            }
            let _ = myself.cast(MonitorMsg::Restarted(pm_id));
        });
    }
}
