//! `Request::SubscribeTable`: the process table, then its changes, pushed.
//!
//! The connection holds a receiver of the table's changes and of the host's vitals; each
//! one is encoded once and written when it happens, so an open `pm2 monit` costs the
//! daemon one small frame a second (the Monitor's round) instead of the whole list.
//! A client too slow to take them is sent every row again ([`TableChange::Reset`]) rather
//! than have the daemon hold changes for it without bound.

use futures::{SinkExt, StreamExt};
use pm2_actors::root::{RootMsg, TableFeed};
use pm2_protocol::{Response, ServerFrame, TableChange};
use ractor::ActorRef;
use tokio::sync::broadcast::error::RecvError;

use super::{refuse, Connection};

/// Serves a table subscription until the client hangs up or the daemon stops.
pub async fn follow(mut framed: Connection, root: &ActorRef<RootMsg>) {
    let TableFeed {
        rows,
        mut changes,
        mut vitals,
    } = match subscribe(root).await {
        Ok(feed) => feed,
        Err(e) => return refuse(&mut framed, e).await,
    };
    if framed
        .send(ServerFrame::Response(Response::Processes(rows)))
        .await
        .is_err()
    {
        return;
    }
    let now = vitals.borrow_and_update().clone();
    if now.is_some() && send(&mut framed, TableChange::Vitals(now)).await.is_err() {
        return;
    }
    loop {
        let change = tokio::select! {
            change = changes.recv() => match change {
                Ok(change) => change,
                Err(RecvError::Lagged(_)) => match subscribe(root).await {
                    Ok(feed) => {
                        changes = feed.changes;
                        TableChange::Reset(feed.rows)
                    }
                    Err(_) => return,
                },
                Err(RecvError::Closed) => return,
            },
            Ok(()) = vitals.changed() => TableChange::Vitals(vitals.borrow_and_update().clone()),
            incoming = framed.next() => {
                // Nothing is expected from the client: anything but a frame is a hang-up.
                if matches!(incoming, Some(Ok(_))) {
                    continue;
                }
                return;
            }
        };
        if send(&mut framed, change).await.is_err() {
            return;
        }
    }
}

async fn subscribe(root: &ActorRef<RootMsg>) -> Result<TableFeed, String> {
    ractor::call_t!(root, RootMsg::SubscribeTable, 30_000)
        .map_err(|e| format!("daemon is not answering: {e}"))
}

async fn send(framed: &mut Connection, change: TableChange) -> Result<(), ()> {
    framed
        .send(ServerFrame::Change(change))
        .await
        .map_err(|_| ())
}
