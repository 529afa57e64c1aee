//! The one place a wire [`Request`] is routed to its owner: the tree gets its own typed
//! [`RootCmd`]; daemon matters (handshake-level ping, settings, `pm2 update`, `pm2 kill`'s
//! exit, subscriptions) stay in the runtime. Every other part of the runtime that asks the
//! tree ([`ask`]) speaks `RootCmd` too, with a deadline.

use std::time::Duration;

use pm2_actors::error::{ErrorKind, TreeError};
use pm2_actors::root::{Reply, RootCmd, RootMsg};
use pm2_protocol::{Request, Response, Target};
use ractor::ActorRef;

/// Longest a frontend waits for the tree: stops wait for each app's `kill_timeout`, reloads
/// for its `listen_timeout` too (the tree's own calls have tighter, per-process deadlines).
pub const TREE_DEADLINE: Duration = Duration::from_secs(3600);

/// Who answers a request.
#[derive(Debug)]
pub enum Route {
    /// The tree, with this command.
    Tree(RootCmd),
    /// `pm2 kill`: the tree stops every process, then the daemon exits.
    Kill,
    /// `pm2 update`: the daemon hands over to the installed binary.
    Update,
    /// `pm2 set/get/unset`: the daemon's settings.
    Settings(Request),
    /// `pm2 logs` follower: a stream of lines.
    FollowLogs(Vec<Target>),
    /// `pm2 monit` and friends: the table, then its changes.
    FollowTable,
    /// Answered at once by the daemon (`ping`, or a request that is wrong in itself).
    Answer(Response),
}

/// Routes one request.
pub fn route(request: Request) -> Route {
    let command = match request {
        Request::Ping => {
            return Route::Answer(Response::Pong {
                pid: std::process::id(),
                version: pm2_protocol::VERSION.to_string(),
            })
        }
        Request::Kill => return Route::Kill,
        Request::Update => return Route::Update,
        Request::SetConf { .. } | Request::GetConf { .. } | Request::UnsetConf { .. } => {
            return Route::Settings(request)
        }
        Request::Subscribe { targets } => return Route::FollowLogs(targets),
        Request::SubscribeTable => return Route::FollowTable,
        Request::List => RootCmd::List { brief: false },
        Request::ListBrief => RootCmd::List { brief: true },
        Request::Describe {
            targets,
            allow_empty,
        } => RootCmd::Describe {
            targets,
            allow_empty,
        },
        Request::Start {
            apps,
            force,
            existing,
        } => RootCmd::Start {
            apps,
            force,
            existing,
        },
        Request::Restore { apps } => RootCmd::Restore { apps },
        Request::Act {
            action,
            targets,
            update_env,
            attributes,
            then_list,
        } => RootCmd::Act {
            action,
            targets,
            update_env,
            attributes,
            then_list,
        },
        Request::Signal { signal, targets } => {
            match pm2_actors::proc::spawn::parse_signal(&signal) {
                Some(signal) => RootCmd::Signal { signal, targets },
                None => {
                    return Route::Answer(Response::Error(pm2_protocol::Failure::new(
                        pm2_protocol::FailureKind::Refused,
                        format!("unknown signal {signal:?}"),
                    )))
                }
            }
        }
        Request::SendLine { target, line } => RootCmd::SendLine {
            target,
            line: line.into_bytes(),
        },
        Request::Watch { targets, change } => RootCmd::Watch { targets, change },
        Request::Flush { targets } => RootCmd::Flush { targets },
        Request::ReloadLogs => RootCmd::ReloadLogs,
        Request::RecentLogs {
            targets,
            stream,
            lines,
        } => RootCmd::RecentLogs {
            targets,
            stream,
            lines,
        },
        Request::Vitals => RootCmd::Vitals,
        Request::Scale { name, to } => RootCmd::Scale { name, to },
    };
    Route::Tree(command)
}

/// Asks the tree one command, waiting at most `deadline`.
pub async fn ask(
    root: &ActorRef<RootMsg>,
    command: RootCmd,
    deadline: Duration,
) -> Result<Reply, TreeError> {
    match ractor::call_t!(root, RootMsg::Command, deadline.as_millis() as u64, command) {
        Ok(answer) => answer,
        Err(e) => Err(TreeError::new(
            ErrorKind::Unavailable,
            format!("daemon is not answering: {e}"),
        )),
    }
}

/// The processes of a tree's answer, or its error as text (for the runtime's own callers).
pub async fn processes(
    root: &ActorRef<RootMsg>,
    command: RootCmd,
    deadline: Duration,
) -> Result<Vec<pm2_protocol::ProcessInfo>, TreeError> {
    ask(root, command, deadline)
        .await
        .map(Reply::into_processes)
}

/// A tree's answer as the wire says it.
pub fn response(answer: Result<Reply, TreeError>) -> Response {
    match answer {
        Ok(Reply::Processes(list)) => Response::Processes(list),
        Ok(Reply::Acted {
            acted,
            table,
            vitals,
        }) => Response::Acted {
            acted,
            table,
            vitals,
        },
        Ok(Reply::Done) => Response::Ok,
        Ok(Reply::RecentLogs(logs)) => Response::RecentLogs(logs),
        Ok(Reply::Vitals(vitals)) => Response::Vitals(vitals),
        Err(e) => Response::Error(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_requests_become_commands_and_daemon_matters_stay() {
        assert!(matches!(
            route(Request::ListBrief),
            Route::Tree(RootCmd::List { brief: true })
        ));
        assert!(matches!(route(Request::Kill), Route::Kill));
        assert!(matches!(route(Request::Update), Route::Update));
        assert!(matches!(route(Request::SubscribeTable), Route::FollowTable));
        assert!(matches!(
            route(Request::GetConf { key: None }),
            Route::Settings(_)
        ));
        assert!(matches!(
            route(Request::Ping),
            Route::Answer(Response::Pong { .. })
        ));
    }

    #[test]
    fn an_unknown_signal_is_answered_without_the_tree() {
        let request = Request::Signal {
            signal: "SIGNOPE".into(),
            targets: vec![Target::All],
        };
        match route(request) {
            Route::Answer(Response::Error(e)) => {
                assert_eq!(e.kind, pm2_protocol::FailureKind::Refused);
                assert!(e.message.contains("SIGNOPE"), "{e}")
            }
            other => panic!("unexpected route {other:?}"),
        }
        let request = Request::Signal {
            signal: "SIGUSR2".into(),
            targets: vec![Target::All],
        };
        assert!(matches!(
            route(request),
            Route::Tree(RootCmd::Signal { signal, .. }) if signal == libc_sigusr2()
        ));
    }

    fn libc_sigusr2() -> i32 {
        nix::sys::signal::Signal::SIGUSR2 as i32
    }
}
