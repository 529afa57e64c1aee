//! Monitor: samples cpu and memory of every process tree once a second, for `pm2 ls`.
//!
//! It asks the registry which pids run, finds their descendants through
//! `/proc/<pid>/task/<tid>/children`, refreshes only those pids in sysinfo, and publishes
//! the sums back to the registry, so reading the table never samples anything.

mod tree;

use std::collections::HashMap;
use std::time::Duration;

use pm2_protocol::Monit;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::registry::RegistryMsg;
use crate::supervision::LiveRef;

/// How often the monitor samples.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// Messages to the [`Monitor`].
#[derive(Debug)]
pub enum MonitorMsg {
    /// Take a sample now (sent by its own timer).
    Tick,
}

/// The Monitor actor.
#[derive(Clone)]
pub struct Monitor;

/// Its state: sysinfo's view (kept between ticks so cpu% has a baseline).
pub struct MonitorState {
    registry: LiveRef<RegistryMsg>,
    system: System,
}

impl Actor for Monitor {
    type Msg = MonitorMsg;
    type State = MonitorState;
    type Arguments = LiveRef<RegistryMsg>;

    async fn pre_start(
        &self,
        myself: ActorRef<MonitorMsg>,
        registry: LiveRef<RegistryMsg>,
    ) -> Result<MonitorState, ActorProcessingErr> {
        myself.send_interval(SAMPLE_EVERY, || MonitorMsg::Tick);
        Ok(MonitorState {
            registry,
            system: System::new()?,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<MonitorMsg>,
        msg: MonitorMsg,
        state: &mut MonitorState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            MonitorMsg::Tick => state.sample().await,
        }
        Ok(())
    }
}

impl MonitorState {
    async fn sample(&mut self) {
        let Some(registry) = self.registry.get() else {
            return;
        };
        let Ok(pids) = ractor::call_t!(registry, RegistryMsg::Pids, 2000) else {
            return;
        };
        if pids.is_empty() {
            return;
        }
        let trees: Vec<(u32, u32, Vec<u32>)> = pids
            .into_iter()
            .map(|(pm_id, pid)| (pm_id, pid, tree::descendants(pid)))
            .collect();
        let all: Vec<Pid> = trees
            .iter()
            .flat_map(|(_, _, members)| members.iter().map(|&p| Pid::from_u32(p)))
            .collect();
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&all),
            true,
            ProcessRefreshKind::nothing().with_cpu().with_memory(),
        );
        let figures: HashMap<u32, Monit> = all
            .iter()
            .filter_map(|pid| {
                self.system.process(*pid).map(|p| {
                    (
                        pid.as_u32(),
                        Monit {
                            cpu: p.cpu_usage(),
                            memory: p.memory(),
                        },
                    )
                })
            })
            .collect();
        let metrics = trees
            .into_iter()
            .map(|(pm_id, pid, members)| {
                let mut sum = Monit::default();
                for member in members {
                    if let Some(m) = figures.get(&member) {
                        sum.cpu += m.cpu;
                        sum.memory += m.memory;
                    }
                }
                sum.cpu = (sum.cpu * 10.0).round() / 10.0;
                (pm_id, pid, sum)
            })
            .collect();
        registry.cast(RegistryMsg::Metrics(metrics)).ok();
    }
}
