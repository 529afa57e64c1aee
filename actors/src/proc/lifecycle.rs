//! Where one managed process is in its life, as one value the Proc actor alone writes
//! (watchexec's `CommandState` is the model).
//!
//! Before, the same facts were five fields (`status`, `running`, `draining`, `pending_exits`,
//! `generation`) written from four places. Now the waiter task of an OS process only
//! appends what it saw (an exit) to the record's `exits`; the Proc actor turns each into
//! the next [`Lifecycle`]; the status `pm2 ls` shows is derived from it.

use pm2_protocol::Status;

/// One spawned OS process: its pid, and which spawn of this record it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spawned {
    /// The OS process id.
    pub pid: u32,
    /// The spawn counter of the record when it was started.
    pub generation: u64,
}

/// The lifecycle of the record's current process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Created, not started yet: the actor's first incarnation starts it.
    Pending,
    /// Not running and not coming back by itself: `stopped` (asked, autorestart off, a
    /// `stop_exit_codes` exit) or `errored` (too many unstable restarts, spawn failure).
    Down {
        /// `errored` rather than `stopped`.
        errored: bool,
    },
    /// Running. `launching` while a `wait_ready` app has not said it is ready.
    Running {
        /// The process.
        process: Spawned,
        /// Shown as `launching`.
        launching: bool,
    },
    /// Asked to stop; runs until it exits (SIGKILL after `kill_timeout`).
    Stopping {
        /// The process.
        process: Spawned,
    },
    /// Exited; starts again when the timer of this generation fires.
    WaitingRestart {
        /// The generation the timer was set for (a later start makes it stale).
        generation: u64,
    },
}

impl Lifecycle {
    /// The status PM2 shows for it.
    pub fn status(&self) -> Status {
        match self {
            Lifecycle::Pending => Status::Launching,
            Lifecycle::Down { errored: false } => Status::Stopped,
            Lifecycle::Down { errored: true } => Status::Errored,
            Lifecycle::Running {
                launching: true, ..
            } => Status::Launching,
            Lifecycle::Running { .. } => Status::Online,
            Lifecycle::Stopping { .. } => Status::Stopping,
            Lifecycle::WaitingRestart { .. } => Status::WaitingRestart,
        }
    }

    /// The process that runs now, if any.
    pub fn process(&self) -> Option<Spawned> {
        match *self {
            Lifecycle::Running { process, .. } | Lifecycle::Stopping { process } => Some(process),
            _ => None,
        }
    }

    /// The lifecycle a record saved with `status` starts from (a restored or handed-over
    /// list): stopped ones stay down, the others start.
    pub fn from_saved(status: Status) -> Lifecycle {
        match status {
            Status::Stopped | Status::Stopping => Lifecycle::Down { errored: false },
            Status::Errored => Lifecycle::Down { errored: true },
            _ => Lifecycle::Pending,
        }
    }
}

/// The old process of a reload: it serves until the new one is ready, then stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retiring {
    /// The old process.
    pub process: Spawned,
    /// It was asked to stop (the new one is ready).
    pub stopping: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_is_derived_from_the_lifecycle() {
        let process = Spawned {
            pid: 7,
            generation: 2,
        };
        let cases = [
            (Lifecycle::Pending, Status::Launching),
            (Lifecycle::Down { errored: false }, Status::Stopped),
            (Lifecycle::Down { errored: true }, Status::Errored),
            (
                Lifecycle::Running {
                    process,
                    launching: true,
                },
                Status::Launching,
            ),
            (
                Lifecycle::Running {
                    process,
                    launching: false,
                },
                Status::Online,
            ),
            (Lifecycle::Stopping { process }, Status::Stopping),
            (
                Lifecycle::WaitingRestart { generation: 2 },
                Status::WaitingRestart,
            ),
        ];
        for (life, status) in cases {
            assert_eq!(life.status(), status, "{life:?}");
        }
        assert_eq!(Lifecycle::Stopping { process }.process(), Some(process));
        assert_eq!(Lifecycle::WaitingRestart { generation: 1 }.process(), None);
    }

    #[test]
    fn saved_records_come_back_down_or_pending() {
        assert_eq!(
            Lifecycle::from_saved(Status::Stopped),
            Lifecycle::Down { errored: false }
        );
        assert_eq!(
            Lifecycle::from_saved(Status::Errored),
            Lifecycle::Down { errored: true }
        );
        assert_eq!(Lifecycle::from_saved(Status::Online), Lifecycle::Pending);
    }
}
