//! The one error type that crosses actors: a kind a frontend can map to PM2's lines and exit
//! codes, and the message for the user.
//!
//! Before it, errors crossed as bare strings and a caller that wanted to know *why* (a
//! target naming nothing, an actor between incarnations) had to compare text.

use std::fmt;

/// Why a command of the tree failed: the wire's kinds, so the frontends see the same ones.
pub use pm2_protocol::FailureKind as ErrorKind;

/// A failed command of the tree: its kind and one line for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TreeError {
    /// Why.
    pub kind: ErrorKind,
    /// What the user reads.
    pub message: String,
}

impl TreeError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A target names nothing.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// The request contradicts the state.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Refused, message)
    }

    /// The work was tried and failed.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failed, message)
    }

    /// `who` is between incarnations: try again.
    pub fn restarting(who: impl fmt::Display) -> Self {
        Self::new(
            ErrorKind::Unavailable,
            format!("{who} is restarting, try again"),
        )
    }

    /// A call to `who` failed or timed out (`error` says which).
    pub fn no_answer(who: impl fmt::Display, error: impl fmt::Display) -> Self {
        Self::new(
            ErrorKind::Unavailable,
            format!("{who} unavailable: {error}"),
        )
    }
}

impl From<TreeError> for pm2_protocol::Failure {
    fn from(error: TreeError) -> Self {
        pm2_protocol::Failure::new(error.kind, error.message)
    }
}

/// What a command of the tree answers.
pub type TreeResult<T> = Result<T, TreeError>;
