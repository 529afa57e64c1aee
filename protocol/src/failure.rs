//! Why a request failed, on the wire: a kind a frontend maps to PM2's words and exit code,
//! and the line the user reads.

use serde::{Deserialize, Serialize};

use crate::message::Response;

impl Response {
    /// A failure of no particular kind ([`FailureKind::Failed`]) saying `message`.
    pub fn error(message: impl Into<String>) -> Response {
        Response::Error(Failure::new(FailureKind::Failed, message))
    }
}

/// Why a request failed: what a frontend needs to choose PM2's words and exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailureKind {
    /// A target names no process (PM2's `Process or Namespace x not found`).
    NotFound,
    /// The request contradicts the state (a running script started again without `-f`, an
    /// unknown signal, a full stdin pipe).
    Refused,
    /// The part of the daemon that must answer is restarting or did not answer in time:
    /// the same request may succeed when tried again.
    Unavailable,
    /// The work was tried and failed.
    Failed,
}

/// A failed request: its kind and the line the user reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// Why.
    pub kind: FailureKind,
    /// What the user reads.
    pub message: String,
}

impl Failure {
    /// A failure of `kind` saying `message`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }
}
