//! Registry: the process table. Procs publish their rows here, the Monitor its metrics, and
//! requests read it, so `pm2 ls` never waits on a process; subscribers get its changes
//! pushed (`pm2 monit`), and a revision counter tells when rows changed (the state file).
//!
//! The [`Table`] is handed to the actor by Root and survives a Registry restart.

mod table;

use std::sync::{Arc, Mutex, MutexGuard};

use pm2_protocol::{Metrics, ProcessInfo, TableChange, Target};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::sync::{broadcast, watch};

pub use table::{Table, Watched};

/// Messages to the [`Registry`].
#[derive(Debug)]
pub enum RegistryMsg {
    /// Reserve ids for new processes.
    Allocate(u32, RpcReplyPort<Vec<u32>>),
    /// Reserve these exact ids when all are free (restoring a saved list).
    Reserve(Vec<u32>, RpcReplyPort<bool>),
    /// A process's newest row.
    Update(Box<ProcessInfo>),
    /// A process is gone.
    Remove(u32),
    /// Every row.
    List(RpcReplyPort<Vec<ProcessInfo>>),
    /// Every row without its environments.
    ListBrief(RpcReplyPort<Vec<ProcessInfo>>),
    /// The rows some targets name.
    Resolve(
        Vec<Target>,
        bool,
        RpcReplyPort<crate::error::TreeResult<Vec<ProcessInfo>>>,
    ),
    /// Running processes, for the monitor.
    Watched(RpcReplyPort<Vec<Watched>>),
    /// Each process's id, pid and restart count (what the state file depends on).
    Fingerprint(RpcReplyPort<Vec<(u32, Option<u32>, u32)>>),
    /// A round of metrics.
    Metrics(Vec<Metrics>),
    /// Every row without environments and a receiver of the changes from then on.
    Subscribe(RpcReplyPort<(Vec<ProcessInfo>, broadcast::Receiver<TableChange>)>),
    /// A receiver of the revision, bumped whenever a row changes.
    Revisions(RpcReplyPort<watch::Receiver<u64>>),
    /// A process's log files fail (`Some`) or work again (`None`).
    LogError(u32, Option<String>),
}

/// The table, shared between the Registry's incarnations.
pub type SharedTable = Arc<Mutex<Table>>;

/// The Registry actor.
#[derive(Clone)]
pub struct Registry;

fn lock(table: &SharedTable) -> MutexGuard<'_, Table> {
    table.lock().unwrap_or_else(|e| e.into_inner())
}

impl Actor for Registry {
    type Msg = RegistryMsg;
    type State = SharedTable;
    type Arguments = SharedTable;

    async fn pre_start(
        &self,
        _myself: ActorRef<RegistryMsg>,
        table: SharedTable,
    ) -> Result<SharedTable, ActorProcessingErr> {
        Ok(table)
    }

    async fn handle(
        &self,
        _myself: ActorRef<RegistryMsg>,
        msg: RegistryMsg,
        table: &mut SharedTable,
    ) -> Result<(), ActorProcessingErr> {
        let mut table = lock(table);
        match msg {
            RegistryMsg::Allocate(count, reply) => {
                let _ = reply.send(table.allocate(count));
            }
            RegistryMsg::Reserve(ids, reply) => {
                let _ = reply.send(table.reserve(&ids));
            }
            RegistryMsg::Update(info) => table.update(*info),
            RegistryMsg::Remove(pm_id) => table.remove(pm_id),
            RegistryMsg::List(reply) => {
                let _ = reply.send(table.list());
            }
            RegistryMsg::ListBrief(reply) => {
                let _ = reply.send(table.list_brief());
            }
            RegistryMsg::Resolve(targets, allow_empty, reply) => {
                let _ = reply.send(table.resolve(&targets, allow_empty));
            }
            RegistryMsg::Watched(reply) => {
                let _ = reply.send(table.watched());
            }
            RegistryMsg::Fingerprint(reply) => {
                let _ = reply.send(table.fingerprint());
            }
            RegistryMsg::Metrics(metrics) => table.set_metrics(metrics),
            RegistryMsg::Subscribe(reply) => {
                let _ = reply.send(table.subscribe());
            }
            RegistryMsg::Revisions(reply) => {
                let _ = reply.send(table.revisions());
            }
            RegistryMsg::LogError(pm_id, error) => table.set_log_error(pm_id, error),
        }
        Ok(())
    }
}
