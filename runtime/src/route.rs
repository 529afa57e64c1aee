//! The one place a wire [`Request`] is routed to its owner: the tree gets its own typed
//! [`RootCmd`]; daemon matters (handshake-level ping, settings, `pm2 update`, `pm2 kill`'s
//! exit, subscriptions) stay in the runtime. Every other part of the runtime that asks the
//! tree ([`ask`]) speaks `RootCmd` too, with a deadline.

use std::time::Duration;

use pm2_actors::error::{ErrorKind, TreeError};
use pm2_actors::root::{Reply, RootCmd, RootMsg};
use pm2_protocol::{Request, Response, Target};
use ractor::ActorRef;

use crate::state::StateFile;

/// Longest a frontend waits for the tree: stops wait for each app's `kill_timeout`, reloads
/// for its `listen_timeout` too (the tree's own calls have tighter, per-process deadlines).
pub const TREE_DEADLINE: Duration = Duration::from_secs(3600);

/// Who answers a request.
#[derive(Debug)]
pub enum Route {
    /// The tree, with this command; then, when `then_list`, the table too
    /// ([`pm2_protocol::ClientFrame::ThenList`]).
    Tree {
        /// The command.
        command: RootCmd,
        /// Answer [`Response::WithTable`].
        then_list: bool,
    },
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

/// Routes one request; `then_list`: it came as a `ThenList` frame, to be answered with the
/// table too (only a request of the tree can be).
pub fn route(request: Request, then_list: bool) -> Route {
    match route_one(request) {
        Route::Tree { command, .. } => Route::Tree { command, then_list },
        _ if then_list => Route::Answer(Response::Error(pm2_protocol::Failure::new(
            pm2_protocol::FailureKind::Refused,
            "only a request of the process table can be followed by the table",
        ))),
        route => route,
    }
}

fn route_one(request: Request) -> Route {
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
        } => RootCmd::Act {
            action,
            targets,
            update_env,
            attributes,
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
    Route::Tree {
        command,
        then_list: false,
    }
}

/// A request's name, for the daemon's log (never its contents: environments are large and
/// may hold secrets).
pub fn label(request: &Request) -> &'static str {
    match request {
        Request::Ping => "ping",
        Request::Start { .. } => "start",
        Request::Act { .. } => "act",
        Request::Signal { .. } => "signal",
        Request::SendLine { .. } => "send-line",
        Request::List => "list",
        Request::ListBrief => "list-brief",
        Request::Describe { .. } => "describe",
        Request::Kill => "kill",
        Request::Subscribe { .. } => "subscribe",
        Request::SubscribeTable => "subscribe-table",
        Request::Flush { .. } => "flush",
        Request::ReloadLogs => "reload-logs",
        Request::RecentLogs { .. } => "recent-logs",
        Request::Vitals => "vitals",
        Request::Restore { .. } => "restore",
        Request::Update => "update",
        Request::Scale { .. } => "scale",
        Request::SetConf { .. } => "set-conf",
        Request::GetConf { .. } => "get-conf",
        Request::UnsetConf { .. } => "unset-conf",
        Request::Watch { .. } => "watch",
    }
}

/// Asks the tree `command` and answers as the wire says it; with `then_list`, a success
/// comes with every row and the host's vitals ([`Response::WithTable`]).
///
/// A command that changes the process list is written to the state file before the
/// answer (write-ahead of the reply): what a client heard "done" survives the daemon's
/// SIGKILL the next instant. If it cannot be written, the answer says so.
pub async fn answer(
    root: &ActorRef<RootMsg>,
    command: RootCmd,
    then_list: bool,
    state: Option<&StateFile>,
) -> Response {
    let changes_the_list = changes_the_list(&command);
    let answer = ask(root, command, TREE_DEADLINE).await;
    if let (true, Some(state)) = (changes_the_list, state) {
        if let Err(e) = state.write_now(root).await {
            tracing::error!("cannot write the state file: {e}");
            return Response::error(format!(
                "done, but the process list cannot be saved ({e}): a daemon crash now \
                 would forget this change"
            ));
        }
    }
    if !then_list || answer.is_err() {
        return response(answer);
    }
    let table = ask(root, RootCmd::List { brief: true }, TREE_DEADLINE).await;
    let vitals = ask(root, RootCmd::Vitals, TREE_DEADLINE).await;
    match (table, vitals) {
        (Ok(Reply::Processes(table)), Ok(Reply::Vitals(vitals))) => Response::WithTable {
            answer: Box::new(response(answer)),
            table,
            vitals,
        },
        (Err(e), _) | (_, Err(e)) => Response::Error(e.into()),
        _ => response(answer),
    }
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

/// True for the commands whose effect the state file must hold before they are answered.
fn changes_the_list(command: &RootCmd) -> bool {
    matches!(
        command,
        RootCmd::Start { .. }
            | RootCmd::Restore { .. }
            | RootCmd::Act { .. }
            | RootCmd::Scale { .. }
            | RootCmd::Watch { .. }
    )
}

/// A tree's answer as the wire says it.
pub fn response(answer: Result<Reply, TreeError>) -> Response {
    match answer {
        Ok(Reply::Processes(list)) => Response::Processes(list),
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
            route(Request::ListBrief, false),
            Route::Tree {
                command: RootCmd::List { brief: true },
                then_list: false
            }
        ));
        assert!(matches!(
            route(Request::Vitals, true),
            Route::Tree {
                command: RootCmd::Vitals,
                then_list: true
            }
        ));
        assert!(matches!(
            route(Request::Kill, true),
            Route::Answer(Response::Error(_))
        ));
        assert!(matches!(route(Request::Kill, false), Route::Kill));
        assert!(matches!(route(Request::Update, false), Route::Update));
        assert!(matches!(
            route(Request::SubscribeTable, false),
            Route::FollowTable
        ));
        assert!(matches!(
            route(Request::GetConf { key: None }, false),
            Route::Settings(_)
        ));
        assert!(matches!(
            route(Request::Ping, false),
            Route::Answer(Response::Pong { .. })
        ));
    }

    #[test]
    fn an_unknown_signal_is_answered_without_the_tree() {
        let request = Request::Signal {
            signal: "SIGNOPE".into(),
            targets: vec![Target::All],
        };
        match route(request, false) {
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
            route(request, false),
            Route::Tree {
                command: RootCmd::Signal { signal, .. },
                ..
            } if signal == libc_sigusr2()
        ));
    }

    fn libc_sigusr2() -> i32 {
        nix::sys::signal::Signal::SIGUSR2 as i32
    }
}
