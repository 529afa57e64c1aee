//! `pm2 scale`: more processes of an app (new ids, the free instance numbers, the same
//! sockets), or fewer (the oldest, lowest ids, are stopped and removed), as PM2's
//! `scale` (lib/API.js) with `duplicateProcessId` and `deleteProcessId`.

use pm2_protocol::message::Action;
use pm2_protocol::{ProcessInfo, Response, ScaleTo, Target};
use ractor::RpcReplyPort;

use super::records::new_record;
use super::RootState;
use crate::app::AppMsg;
use crate::proc::SpecUpdate;
use crate::registry::RegistryMsg;

impl RootState {
    /// Brings app `name` to the count `to` asks for.
    pub(super) async fn scale(&mut self, name: String, to: ScaleTo, reply: RpcReplyPort<Response>) {
        let response = match self.scale_to(&name, to).await {
            Ok(procs) => Response::Processes(procs),
            Err(e) => Response::Error(e),
        };
        let _ = reply.send(response);
    }

    async fn scale_to(&mut self, name: &str, to: ScaleTo) -> Result<Vec<ProcessInfo>, String> {
        let mut procs: Vec<ProcessInfo> = self
            .resolve(vec![Target::Name(name.to_string())], false)
            .await?
            .into_iter()
            .filter(|p| p.spec.name == name)
            .collect();
        if procs.is_empty() {
            return Err(format!("Process {name} not found"));
        }
        procs.sort_by_key(|p| p.pm_id);
        let current = procs.len() as u32;
        let target = to.from(current);
        let handle = self
            .apps
            .get(name)
            .cloned()
            .ok_or_else(|| format!("app {name} is restarting, try again"))?;
        let app = handle
            .live
            .get()
            .ok_or_else(|| format!("app {name} is restarting, try again"))?;
        if let Some(sockets) = handle.sockets.as_ref().and_then(|cell| cell.get()) {
            sockets.set_instances(target.max(1));
        }
        if target > current {
            let registry = self
                .registry
                .get()
                .ok_or("registry is restarting, try again")?;
            let ids = ractor::call_t!(registry, RegistryMsg::Allocate, 5000, target - current)
                .map_err(|e| format!("registry unavailable: {e}"))?;
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
            ractor::call!(app, AppMsg::Add, records)
                .map_err(|e| format!("cannot scale {name}: {e}"))
        } else if target < current {
            // As PM2: the first processes of the list (lowest ids) go, the newest stay.
            let ids: Vec<u32> = procs[..(current - target) as usize]
                .iter()
                .map(|p| p.pm_id)
                .collect();
            let outcomes = ractor::call!(app, |reply| AppMsg::Act {
                action: Action::Delete,
                ids,
                update: SpecUpdate::default(),
                reply
            })
            .map_err(|e| e.to_string())?;
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
