//! Starts: the one actor that adds processes and apps (`start`, `resurrect`, `scale`, the
//! adoption after `pm2 update`), one command at a time.
//!
//! Starts are serialised on purpose, as PM2's are: `pm2 start a` twice must see the first
//! booking before deciding on the second (one copy, not two). That waiting happens here, in
//! a child of Root, so Root itself never awaits a child and `pm2 ls` answers meanwhile. A
//! new App is created by Root on request ([`RootMsg::EnsureApp`]): Root supervises it.

use std::path::PathBuf;

use pm2_protocol::dump::Handover;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use super::command::{Reply, RootCmd};
use super::tree::Tree;
use super::RootMsg;
use crate::error::{TreeError, TreeResult};

/// What the Starts actor is asked.
#[derive(Debug)]
pub enum StartsMsg {
    /// `Start`, `Restore` or `Scale`, answered once done.
    Run(RootCmd, RpcReplyPort<TreeResult<Reply>>),
    /// Adopt what the previous daemon handed over; answers how many processes run on.
    Adopt(Box<Handover>, RpcReplyPort<TreeResult<usize>>),
}

/// What every incarnation of Starts is given.
#[derive(Clone)]
pub struct StartsArgs {
    /// The tree's references.
    pub tree: Tree,
    /// Root, which creates and supervises new Apps.
    pub root: ActorRef<RootMsg>,
    /// `PM2_HOME`, given to every process.
    pub pm2_home: PathBuf,
}

/// The Starts actor.
#[derive(Clone)]
pub struct Starts;

/// Its state: what a start needs (nothing survives an incarnation: a command in flight when
/// it fails is answered with an error by the dropped reply port).
pub struct Starter {
    pub(super) tree: Tree,
    pub(super) root: ActorRef<RootMsg>,
    pub(super) pm2_home: PathBuf,
}

impl Actor for Starts {
    type Msg = StartsMsg;
    type State = Starter;
    type Arguments = StartsArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<StartsMsg>,
        args: StartsArgs,
    ) -> Result<Starter, ActorProcessingErr> {
        Ok(Starter {
            tree: args.tree,
            root: args.root,
            pm2_home: args.pm2_home,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<StartsMsg>,
        msg: StartsMsg,
        state: &mut Starter,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            StartsMsg::Run(command, reply) => {
                let _ = reply.send(state.run(command).await);
            }
            StartsMsg::Adopt(handover, reply) => {
                let _ = reply.send(state.adopt(*handover).await);
            }
        }
        Ok(())
    }
}

impl Starter {
    async fn run(&mut self, command: RootCmd) -> TreeResult<Reply> {
        match command {
            RootCmd::Start {
                apps,
                force,
                existing,
            } => self.start(apps, force, existing).await,
            RootCmd::Restore { apps } => self.restore(apps).await,
            RootCmd::Scale { name, to } => self.scale(&name, to).await,
            _ => Err(TreeError::failed(
                "internal: Starts carries out start, restore and scale only",
            )),
        }
    }
}
