//! Starting apps: new processes, or PM2's rules for an app that is already managed.

use std::sync::Arc;

use futures::future::join_all;
use pm2_protocol::message::Action;
use pm2_protocol::{AppSpec, ExecMode, ProcessInfo, Response, Status, Target};
use ractor::ActorRef;

use super::records::new_record;
use super::{AppHandle, RootMsg, RootState};
use crate::app::{AppArgs, AppMsg};
use crate::balancer::{SocketCell, Sockets};
use crate::logsink::LogsMsg;
use crate::proc::SpecUpdate;
use crate::registry::RegistryMsg;
use crate::supervision::{LiveRef, Strategy};
use pm2_protocol::dump::SavedApp;

/// What starting one app amounts to.
enum Started {
    /// Already handled (an existing app was restarted).
    Done(Vec<ProcessInfo>),
    /// New processes to spawn in this App.
    Spawning(ActorRef<AppMsg>, Vec<crate::proc::ProcRecord>),
}

/// PM2's words when a running script is started again without `-f`.
pub const ALREADY_LAUNCHED: &str = "Script already launched, add -f option to force re-execution";

impl RootState {
    /// Starts each app in order; the first failure stops the rest and is the answer.
    pub(super) async fn start(
        &mut self,
        myself: &ActorRef<RootMsg>,
        apps: Vec<AppSpec>,
        force: bool,
        existing: Option<Action>,
    ) -> Response {
        let mut plan = Plan::default();
        for spec in apps {
            match self.start_one(myself, spec, force, existing).await {
                Ok(step) => plan.carry_out(step),
                Err(e) => return Response::Error(e),
            }
        }
        plan.finish().await
    }

    /// Starts saved apps again with their ids when free (`pm2 resurrect`, crash recovery);
    /// apps already managed are left alone. Processes saved as stopped come back stopped:
    /// registered, not started, as PM2's `prepare` does with a saved `status: "stopped"`.
    pub(super) async fn restore(
        &mut self,
        myself: &ActorRef<RootMsg>,
        apps: Vec<SavedApp>,
    ) -> Response {
        let mut plan = Plan::default();
        for saved in apps {
            if self.apps.contains_key(&saved.spec.name) {
                continue;
            }
            let stopped: Vec<bool> = (0..saved.ids.len()).map(|i| saved.was_stopped(i)).collect();
            match self.book(myself, saved.spec, 0, Some(saved.ids)).await {
                Ok(mut step) => {
                    if let Started::Spawning(_, records) = &mut step {
                        // The records follow the saved ids in order (or new ids in their place).
                        for (record, _) in records.iter_mut().zip(&stopped).filter(|(_, s)| **s) {
                            record.status = Status::Stopped;
                        }
                    }
                    plan.carry_out(step)
                }
                Err(e) => return Response::Error(e),
            }
        }
        plan.finish().await
    }
}

/// Starts in flight: decisions and bookkeeping happen in order; each app's spawns start at
/// once in their own task, so 50 apps start in the time of a few rather than one by one.
#[derive(Default)]
struct Plan {
    started: Vec<ProcessInfo>,
    spawning: Vec<tokio::task::JoinHandle<Result<Vec<ProcessInfo>, String>>>,
}

impl Plan {
    fn carry_out(&mut self, step: Started) {
        match step {
            Started::Done(mut infos) => self.started.append(&mut infos),
            Started::Spawning(app, records) => self.spawning.push(tokio::spawn(async move {
                ractor::call!(app, AppMsg::Add, records).map_err(|e| format!("cannot start: {e}"))
            })),
        }
    }

    async fn finish(self) -> Response {
        let mut started = self.started;
        for outcome in join_all(self.spawning).await {
            match outcome {
                Ok(Ok(mut infos)) => started.append(&mut infos),
                Ok(Err(e)) => return Response::Error(e),
                Err(e) => return Response::Error(format!("start task failed: {e}")),
            }
        }
        started.sort_by_key(|p| p.pm_id);
        Response::Processes(started)
    }
}

impl RootState {
    async fn start_one(
        &mut self,
        myself: &ActorRef<RootMsg>,
        spec: AppSpec,
        force: bool,
        on_existing: Option<Action>,
    ) -> Result<Started, String> {
        let existing: Vec<ProcessInfo> = self
            .resolve(vec![Target::Name(spec.name.clone())], true)
            .await?
            .into_iter()
            .filter(|p| p.spec.name == spec.name)
            .collect();
        if !existing.is_empty() && !force {
            let ids: Vec<u32> = existing.iter().map(|p| p.pm_id).collect();
            if let Some(action) = on_existing {
                let update = SpecUpdate {
                    spec: Some(Box::new(spec)),
                    ..SpecUpdate::default()
                };
                return self
                    .act_on_app(action, &existing[0].spec.name, ids, update)
                    .await
                    .map(Started::Done);
            }
            if existing.iter().any(|p| p.spec.exec_path == spec.exec_path) {
                let down = existing.iter().all(|p| {
                    matches!(
                        p.status,
                        Status::Stopped | Status::Errored | Status::Stopping
                    )
                });
                if !down {
                    return Err(ALREADY_LAUNCHED.into());
                }
                return self
                    .act_on_app(Action::Restart, &spec.name, ids, SpecUpdate::default())
                    .await
                    .map(Started::Done);
            }
        }
        self.book(myself, spec, existing.len() as u32, None).await
    }

    /// Books new processes of `spec` (the wanted ids when all are free, else new ones) and
    /// makes sure its App exists.
    async fn book(
        &mut self,
        myself: &ActorRef<RootMsg>,
        spec: AppSpec,
        first_instance: u32,
        wanted: Option<Vec<u32>>,
    ) -> Result<Started, String> {
        let registry = self
            .registry
            .get()
            .ok_or("registry is restarting, try again")?;
        let unavailable = |e| format!("registry unavailable: {e}");
        let reserved = match wanted {
            Some(ids) if ids.len() == spec.instances as usize => {
                let free = ractor::call_t!(registry, RegistryMsg::Reserve, 5000, ids.clone())
                    .map_err(unavailable)?;
                free.then_some(ids)
            }
            _ => None,
        };
        let ids = match reserved {
            Some(ids) => ids,
            None => ractor::call_t!(registry, RegistryMsg::Allocate, 5000, spec.instances)
                .map_err(unavailable)?,
        };
        let (app, sockets) = self.app_for(myself, &spec, None).await?;
        let records = ids
            .iter()
            .enumerate()
            .map(|(i, &pm_id)| {
                let mut record = new_record(&spec, pm_id, first_instance + i as u32);
                record.sockets = sockets.clone();
                record
            })
            .collect();
        let app = app.get().ok_or("app is restarting, try again")?;
        Ok(Started::Spawning(app, records))
    }

    /// The App of `name`, started when it does not exist yet.
    pub(super) async fn app_for(
        &mut self,
        myself: &ActorRef<RootMsg>,
        spec: &AppSpec,
        inherited: Option<Arc<Sockets>>,
    ) -> Result<(LiveRef<AppMsg>, Option<SocketCell>), String> {
        let name = spec.name.as_str();
        if let Some(handle) = self.apps.get(name) {
            return Ok((handle.live.clone(), handle.sockets.clone()));
        }
        // A cluster app's sockets are bound once, here, and live as long as the app. A
        // node app whose port is only in its code gets them from its first instance; other
        // apps without a port (workers) run side by side without shared sockets.
        let bound = match spec.exec_mode {
            _ if inherited.is_some() => inherited,
            ExecMode::Cluster if !spec.ports.is_empty() || !spec.udp_ports.is_empty() => Some(
                Arc::new(Sockets::bind(spec).map_err(|e| format!("{name}: {e}"))?),
            ),
            _ => None,
        };
        let sockets: Option<SocketCell> = match (&bound, spec.exec_mode) {
            (Some(bound), _) => Some(Arc::new(bound.clone().into())),
            (None, ExecMode::Cluster) if crate::proc::readiness::runs_on_node(spec) => {
                Some(SocketCell::default())
            }
            _ => None,
        };
        let logs = self
            .logs
            .get()
            .ok_or("log supervisor is restarting, try again")?;
        let sink = ractor::call!(logs, LogsMsg::SinkFor, name.to_string())
            .map_err(|e| format!("cannot open logs of {name}: {e}"))?;
        let args = AppArgs {
            store: Self::new_app_store(),
            registry: self.registry.clone(),
            sink,
            strategy: Strategy::OneForOne,
            pm2_home: Some(self.pm2_home.to_string_lossy().into_owned()),
            sockets: bound.map(|s| (s, spec.handover)),
        };
        let live = LiveRef::default();
        let spec = self.app_store_spec(name, live.clone(), args);
        self.supervisor
            .start_child(myself.get_cell(), spec)
            .await
            .map_err(|e| format!("cannot start app {name}: {e}"))?;
        self.apps.insert(
            name.to_string(),
            AppHandle {
                live: live.clone(),
                sockets: sockets.clone(),
            },
        );
        Ok((live, sockets))
    }

    async fn act_on_app(
        &self,
        action: Action,
        name: &str,
        ids: Vec<u32>,
        update: SpecUpdate,
    ) -> Result<Vec<ProcessInfo>, String> {
        let app = self
            .apps
            .get(name)
            .and_then(|h| h.live.get())
            .ok_or_else(|| format!("app {name} is restarting, try again"))?;
        let outcomes = ractor::call!(app, |reply| AppMsg::Act {
            action,
            ids,
            update,
            reply
        })
        .map_err(|e| e.to_string())?;
        outcomes.into_iter().collect()
    }
}
