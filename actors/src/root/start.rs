//! Starting apps: new processes, or PM2's rules for an app that is already managed.

use std::sync::Arc;

use futures::future::join_all;
use pm2_protocol::message::Action;
use pm2_protocol::{AppSpec, ExecMode, ProcessInfo, Status, Target};
use ractor::ActorRef;

use super::command::Reply;
use super::records::new_record;
use super::starts::Starter;
use super::tree::{verb_deadline, AppHandle, SPAWN_WAIT_MS, TABLE_WAIT_MS};
use super::{NewApp, RootMsg};
use crate::app::{AppArgs, AppMsg, AppStore};
use crate::balancer::{SocketCell, Sockets};
use crate::error::{TreeError, TreeResult};
use crate::logsink::LogsMsg;
use crate::proc::lifecycle::Lifecycle;
use crate::proc::SpecUpdate;
use crate::registry::RegistryMsg;
use pm2_protocol::dump::SavedApp;

/// What starting one app amounts to.
pub(super) enum Started {
    /// Already handled (an existing app was restarted).
    Done(Vec<ProcessInfo>),
    /// New processes to spawn in this App.
    Spawning(ActorRef<AppMsg>, Vec<crate::proc::ProcRecord>),
}

/// PM2's words when a running script is started again without `-f`.
pub const ALREADY_LAUNCHED: &str = "Script already launched, add -f option to force re-execution";

impl Starter {
    /// Starts each app in order; the first failure stops the rest and is the answer.
    pub(super) async fn start(
        &mut self,
        apps: Vec<AppSpec>,
        force: bool,
        existing: Option<Action>,
    ) -> TreeResult<Reply> {
        let mut plan = Plan::default();
        for spec in apps {
            let step = self.start_one(spec, force, existing).await?;
            plan.carry_out(step);
        }
        plan.finish().await
    }

    /// Starts saved apps again with their ids when free (`pm2 resurrect`, crash recovery);
    /// apps already managed are left alone. Processes saved as stopped come back stopped:
    /// registered, not started, as PM2's `prepare` does with a saved `status: "stopped"`.
    pub(super) async fn restore(&mut self, apps: Vec<SavedApp>) -> TreeResult<Reply> {
        let mut plan = Plan::default();
        for saved in apps {
            if self.tree.app(&saved.spec.name).is_some() {
                continue;
            }
            let stopped: Vec<bool> = (0..saved.ids.len()).map(|i| saved.was_stopped(i)).collect();
            let mut step = self.book(saved.spec, 0, Some(saved.ids)).await?;
            if let Started::Spawning(_, records) = &mut step {
                // The records follow the saved ids in order (or new ids in their place).
                for (record, _) in records.iter_mut().zip(&stopped).filter(|(_, s)| **s) {
                    record.life = Lifecycle::Down { errored: false };
                }
            }
            plan.carry_out(step)
        }
        plan.finish().await
    }
}

/// Starts in flight: decisions and bookkeeping happen in order; each app's spawns start at
/// once in their own task, so 50 apps start in the time of a few rather than one by one.
#[derive(Default)]
struct Plan {
    started: Vec<ProcessInfo>,
    spawning: Vec<(ActorRef<AppMsg>, Vec<crate::proc::ProcRecord>)>,
}

impl Plan {
    fn carry_out(&mut self, step: Started) {
        match step {
            Started::Done(mut infos) => self.started.append(&mut infos),
            Started::Spawning(app, records) => self.spawning.push((app, records)),
        }
    }

    /// Every app's spawns at once (bookkeeping was done in order), then the answer.
    async fn finish(self) -> TreeResult<Reply> {
        let mut started = self.started;
        let calls = self.spawning.into_iter().map(|(app, records)| async move {
            ractor::call_t!(app, AppMsg::Add, SPAWN_WAIT_MS, records)
                .map_err(|e| TreeError::failed(format!("cannot start: {e}")))
        });
        for outcome in join_all(calls).await {
            started.append(&mut outcome?);
        }
        started.sort_by_key(|p| p.pm_id);
        Ok(Reply::Processes(started))
    }
}

impl Starter {
    async fn start_one(
        &mut self,
        spec: AppSpec,
        force: bool,
        on_existing: Option<Action>,
    ) -> TreeResult<Started> {
        let existing: Vec<ProcessInfo> = self
            .tree
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
                    .act_on_app(action, &existing, ids, update)
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
                    return Err(TreeError::refused(ALREADY_LAUNCHED));
                }
                return self
                    .act_on_app(Action::Restart, &existing, ids, SpecUpdate::default())
                    .await
                    .map(Started::Done);
            }
        }
        self.book(spec, existing.len() as u32, None).await
    }

    /// Books new processes of `spec` (the wanted ids when all are free, else new ones) and
    /// makes sure its App exists.
    pub(super) async fn book(
        &mut self,
        spec: AppSpec,
        first_instance: u32,
        wanted: Option<Vec<u32>>,
    ) -> TreeResult<Started> {
        let registry = self.tree.registry()?;
        let unavailable = |e| TreeError::no_answer("registry", e);
        let reserved = match wanted {
            Some(ids) if ids.len() == spec.instances as usize => {
                let free =
                    ractor::call_t!(registry, RegistryMsg::Reserve, TABLE_WAIT_MS, ids.clone())
                        .map_err(unavailable)?;
                free.then_some(ids)
            }
            _ => None,
        };
        let ids = match reserved {
            Some(ids) => ids,
            None => ractor::call_t!(
                registry,
                RegistryMsg::Allocate,
                TABLE_WAIT_MS,
                spec.instances
            )
            .map_err(unavailable)?,
        };
        let handle = self.app_for(&spec, None).await?;
        let sockets = handle.sockets;
        let records = ids
            .iter()
            .enumerate()
            .map(|(i, &pm_id)| {
                let mut record = new_record(&spec, pm_id, first_instance + i as u32);
                record.sockets = sockets.clone();
                record
            })
            .collect();
        let app = handle
            .live
            .get()
            .ok_or_else(|| TreeError::restarting(format!("app {}", spec.name)))?;
        Ok(Started::Spawning(app, records))
    }

    /// The App of `name`, started (by Root, its supervisor) when it does not exist yet.
    /// Only this actor adds apps, one command at a time, so the published map is current.
    pub(super) async fn app_for(
        &mut self,
        spec: &AppSpec,
        inherited: Option<Arc<Sockets>>,
    ) -> TreeResult<AppHandle> {
        let name = spec.name.as_str();
        if let Some(handle) = self.tree.app(name) {
            return Ok(handle);
        }
        // A cluster app's sockets are bound once, here, and live as long as the app. A
        // node app whose port is only in its code gets them from its first instance; other
        // apps without a port (workers) run side by side without shared sockets.
        let bound = match spec.exec_mode {
            _ if inherited.is_some() => inherited,
            ExecMode::Cluster if !spec.ports.is_empty() || !spec.udp_ports.is_empty() => {
                Some(Arc::new(
                    Sockets::bind(spec).map_err(|e| TreeError::failed(format!("{name}: {e}")))?,
                ))
            }
            _ => None,
        };
        let sockets: Option<SocketCell> = match (&bound, spec.exec_mode) {
            (Some(bound), _) => Some(Arc::new(bound.clone().into())),
            (None, ExecMode::Cluster) if crate::proc::readiness::runs_on_node(spec) => {
                Some(SocketCell::default())
            }
            _ => None,
        };
        let logs = self.tree.logs()?;
        let sink = ractor::call_t!(logs, LogsMsg::SinkFor, TABLE_WAIT_MS, name.to_string())
            .map_err(|e| TreeError::failed(format!("cannot open logs of {name}: {e}")))?;
        let args = AppArgs {
            store: Arc::new(AppStore::default()),
            registry: self.tree.registry.clone(),
            sink,
            strategy: spec.strategy,
            pm2_home: Some(self.pm2_home.to_string_lossy().into_owned()),
            sockets: bound.map(|s| (s, spec.handover)),
        };
        let app = NewApp {
            name: name.to_string(),
            args,
            sockets,
        };
        ractor::call_t!(self.root, RootMsg::EnsureApp, SPAWN_WAIT_MS, app)
            .map_err(|e| TreeError::no_answer("root", e))?
    }

    /// A verb on processes of one app that exists (an app started again by name).
    async fn act_on_app(
        &self,
        action: Action,
        existing: &[ProcessInfo],
        ids: Vec<u32>,
        update: SpecUpdate,
    ) -> TreeResult<Vec<ProcessInfo>> {
        let name = &existing[0].spec.name;
        let app = self
            .tree
            .app(name)
            .and_then(|h| h.live.get())
            .ok_or_else(|| TreeError::restarting(format!("app {name}")))?;
        let wait = verb_deadline(existing).as_millis() as u64;
        let outcomes = ractor::call_t!(
            app,
            |reply| AppMsg::Act {
                action,
                ids,
                update,
                reply
            },
            wait
        )
        .map_err(|e| TreeError::no_answer(format!("app {name}"), e))?;
        outcomes.into_iter().collect()
    }
}
