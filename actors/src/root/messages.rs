//! Messages to the Root actor.

use pm2_protocol::{Request, Response};
use ractor::RpcReplyPort;

/// What Root is asked: one request of the wire protocol, answered once.
#[derive(Debug)]
pub enum RootMsg {
    /// A request from a frontend.
    Request(Request, RpcReplyPort<Response>),
}
