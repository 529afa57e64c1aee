//! `pm2 scale`: more processes of an app (new ids, next instance numbers, the same
//! sockets), or fewer (the newest are stopped and removed).

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
            let mut spec = procs[procs.len() - 1].spec.clone();
            spec.instances = target;
            let next_instance = procs.iter().map(|p| p.instance + 1).max().unwrap_or(0);
            let records = ids
                .iter()
                .enumerate()
                .map(|(i, &pm_id)| {
                    let mut record = new_record(&spec, pm_id, next_instance + i as u32);
                    record.sockets = handle.sockets.clone();
                    record
                })
                .collect();
            ractor::call!(app, AppMsg::Add, records)
                .map_err(|e| format!("cannot scale {name}: {e}"))
        } else if target < current {
            let ids: Vec<u32> = procs[target as usize..].iter().map(|p| p.pm_id).collect();
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
