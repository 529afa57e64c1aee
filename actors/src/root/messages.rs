//! Messages to the Root actor.

use std::sync::Arc;

use pm2_protocol::{LogLine, Request, Response};
use ractor::RpcReplyPort;

use crate::logsink::RotationPolicy;
use tokio::sync::broadcast;

/// What Root is asked.
#[derive(Debug)]
pub enum RootMsg {
    /// A request from a frontend, answered once.
    Request(Request, RpcReplyPort<Response>),
    /// A receiver of every log line from now on, for a `pm2 logs` follower (the host
    /// filters and forwards them; the tree never blocks on a follower).
    SubscribeLogs(RpcReplyPort<broadcast::Receiver<Arc<LogLine>>>),
    /// New log rotation settings (`pm2 set pm2-logrotate:*`), passed on to Logs.
    SetRotation(Arc<RotationPolicy>),
}
