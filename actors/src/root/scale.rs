//! `pm2 scale`: more processes of an app (new ids, the free instance numbers, the same
//! sockets), or fewer (the oldest, lowest ids, are stopped and removed), as PM2's
//! `scale` (lib/API.js) with `duplicateProcessId` and `deleteProcessId`.

use pm2_protocol::message::Action;
use pm2_protocol::{ProcessInfo, ScaleTo, Target};

use super::command::Reply;
use super::records::new_record;
use super::starts::Starter;
use super::tree::{verb_deadline, SPAWN_WAIT_MS, TABLE_WAIT_MS};
use crate::app::AppMsg;
use crate::error::{TreeError, TreeResult};
use crate::proc::SpecUpdate;
use crate::registry::RegistryMsg;

impl Starter {
    /// Brings app `name` to the count `to` asks for.
    pub(super) async fn scale(&mut self, name: &str, to: ScaleTo) -> TreeResult<Reply> {
        self.scale_to(name, to).await.map(Reply::Processes)
    }

    async fn scale_to(&mut self, name: &str, to: ScaleTo) -> TreeResult<Vec<ProcessInfo>> {
        let mut procs: Vec<ProcessInfo> = self
            .tree
            .resolve(vec![Target::Name(name.to_string())], false)
            .await?
            .into_iter()
            .filter(|p| p.spec.name == name)
            .collect();
        if procs.is_empty() {
            return Err(TreeError::not_found(format!("Process {name} not found")));
        }
        procs.sort_by_key(|p| p.pm_id);
        let current = procs.len() as u32;
        let target = to.from(current);
        let restarting = || TreeError::restarting(format!("app {name}"));
        let handle = self.tree.app(name).ok_or_else(restarting)?;
        let app = handle.live.get().ok_or_else(restarting)?;
        if let Some(sockets) = handle.sockets.as_ref().and_then(|cell| cell.get()) {
            sockets.set_instances(target.max(1));
        }
        if target > current {
            let registry = self.tree.registry()?;
            let ids = ractor::call_t!(
                registry,
                RegistryMsg::Allocate,
                TABLE_WAIT_MS,
                target - current
            )
            .map_err(|e| TreeError::no_answer("registry", e))?;
            // As PM2's duplicateProcessId: a copy of the first process's options, `instances`
            // included (the count the app was started with; PM2 does not rewrite it).
            let spec = procs[0].spec.clone();
            let mut taken: Vec<u32> = procs.iter().map(|p| p.instance).collect();
            let records = ids
                .iter()
                .map(|&pm_id| {
                    let instance = free_instance(&taken);
                    taken.push(instance);
                    let mut record = new_record(&spec, pm_id, instance);
                    record.sockets = handle.sockets.clone();
                    record
                })
                .collect();
            ractor::call_t!(app, AppMsg::Add, SPAWN_WAIT_MS, records)
                .map_err(|e| TreeError::failed(format!("cannot scale {name}: {e}")))
        } else if target < current {
            // As PM2: the first processes of the list (lowest ids) go, the newest stay.
            let leaving = &procs[..(current - target) as usize];
            let ids: Vec<u32> = leaving.iter().map(|p| p.pm_id).collect();
            let wait = verb_deadline(leaving).as_millis() as u64;
            let outcomes = ractor::call_t!(
                app,
                |reply| AppMsg::Act {
                    action: Action::Delete,
                    ids,
                    update: SpecUpdate::default(),
                    reply
                },
                wait
            )
            .map_err(|e| TreeError::no_answer(format!("app {name}"), e))?;
            outcomes.into_iter().collect()
        } else {
            Ok(Vec::new())
        }
    }
}

/// The instance number of a new process, as PM2's `injectVariables`: the lowest one no
/// process of the app has (a gap left by a scale down), else the next.
fn free_instance(taken: &[u32]) -> u32 {
    (0..).find(|n| !taken.contains(n)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::free_instance;

    #[test]
    fn new_instances_fill_the_gaps_first() {
        assert_eq!(free_instance(&[]), 0);
        assert_eq!(free_instance(&[0, 1, 2]), 3);
        assert_eq!(free_instance(&[2]), 0);
        assert_eq!(free_instance(&[2, 0]), 1);
        assert_eq!(free_instance(&[0, 2]), 1);
    }
}
