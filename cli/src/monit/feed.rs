//! The dashboard's link to the daemon, as background tasks that turn the socket into a
//! stream of [`Update`]s and take [`Order`]s:
//!
//! - the **table** task owns one connection subscribed to the process table
//!   (`Request::SubscribeTable`): the rows once, then only what changes, pushed (rows, the
//!   Monitor's figures each second, host vitals), applied to a [`TableMirror`];
//! - the **follower** owns a second connection subscribed to every process's output, as
//!   `pm2 logs` is (`Request::Subscribe`, then pushed `Event`s);
//! - each **order** (a process's past lines, an action) gets a short-lived connection of
//!   its own, so a stop that waits for `kill_timeout` never stalls the list.
//!
//! Nothing is polled: an open dashboard costs the daemon one small frame a second.
//! When the daemon goes away the table task says so ([`Update::Down`]) and both
//! subscriptions come back every [`RETRY`] until it is back; only the very first connection
//! may start the daemon. Updates travel on a bounded channel: a dashboard that falls
//! behind slows its connections, and the daemon then drops lines for it (reported as
//! `Missed`) and sends it the whole table again instead of buffering.

use std::time::Duration;

use futures::FutureExt;
use pm2_protocol::{
    Action, Event, Home, HostVitals, LogLine, LogStream, ProcessInfo, Request, Response,
    TableChange, TableMirror, Target,
};
use tokio::sync::{mpsc, watch};

use crate::client::{Client, ClientError};
use pm2_protocol::client::ClientError as SocketError;

/// How long to wait between attempts to reach a daemon that went away.
pub const RETRY: Duration = Duration::from_millis(500);
/// Past lines fetched per file for a newly selected process.
pub const BACKFILL_LINES: usize = 100;
/// Updates waiting for the dashboard before the connections wait.
const QUEUE: usize = 1024;

/// What the daemon told the dashboard.
#[derive(Debug)]
pub enum Update {
    /// Connected (again).
    Up,
    /// The daemon does not answer; why. Reconnecting.
    Down(String),
    /// The process list, after a change.
    List {
        /// Every row, in id order.
        rows: Vec<ProcessInfo>,
        /// True when a new round of figures came with it (a point for the sparklines).
        sampled: bool,
    },
    /// The host's vitals (`None` while `pm2:sysmonit` is off).
    Vitals(Option<HostVitals>),
    /// A line of output.
    Log(LogLine),
    /// Lines the daemon dropped because the dashboard fell behind.
    Missed(u64),
    /// A process's last lines from before the dashboard opened, per stream, oldest first.
    Backfill {
        /// The process.
        pm_id: u32,
        /// Its last stdout lines.
        out: Vec<Vec<u8>>,
        /// Its last stderr lines.
        err: Vec<Vec<u8>>,
    },
    /// An action finished: a message for the user, and whether it failed.
    Acted {
        /// What happened.
        text: String,
        /// True when it failed.
        error: bool,
    },
}

/// What the dashboard asks of the daemon.
#[derive(Debug, Clone)]
pub enum Order {
    /// Fetch this process's past lines.
    Backfill(u32),
    /// Apply an action to one process (`name` is for the message).
    Act {
        /// The verb.
        action: Action,
        /// The process.
        pm_id: u32,
        /// Its app name.
        name: String,
    },
}

/// The running tasks' ends: updates to read, orders to send. Dropping it ends the tasks.
pub struct Feed {
    /// Updates, in the order they happened per connection.
    pub updates: mpsc::Receiver<Update>,
    orders: mpsc::UnboundedSender<Order>,
}

impl Feed {
    /// Starts the table task, the follower and the order taker on the current runtime.
    pub fn start(home: Home) -> Feed {
        let (tx, updates) = mpsc::channel(QUEUE);
        let (orders, orders_rx) = mpsc::unbounded_channel();
        let (up_tx, up_rx) = watch::channel(false);
        tokio::spawn(table(home.clone(), tx.clone(), up_tx));
        tokio::spawn(follow(home.clone(), tx.clone(), up_rx.clone()));
        tokio::spawn(take_orders(home, tx, orders_rx, up_rx));
        Feed { updates, orders }
    }

    /// Sends an order; ignored once the tasks are gone.
    pub fn send(&self, order: Order) {
        let _ = self.orders.send(order);
    }
}

/// Why a connection's loop ended.
enum End {
    /// The daemon went away (or answered nonsense): reconnect.
    Lost(String),
    /// The dashboard closed: stop.
    Closed,
}

impl From<ClientError> for End {
    fn from(e: ClientError) -> End {
        End::Lost(e.to_string())
    }
}

impl From<SocketError> for End {
    fn from(e: SocketError) -> End {
        End::Lost(e.to_string())
    }
}

/// Keeps the table subscription, reconnecting while the daemon is away.
async fn table(home: Home, tx: mpsc::Sender<Update>, up: watch::Sender<bool>) {
    let mut may_spawn = true;
    loop {
        let end = match Client::connect(&home, may_spawn).await {
            Ok(client) => mirror(client, &tx, &up).await,
            Err(e) => End::Lost(e.to_string()),
        };
        may_spawn = false;
        let _ = up.send(false);
        let End::Lost(reason) = end else { return };
        if tx.send(Update::Down(reason)).await.is_err() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY) => {}
            () = tx.closed() => return,
        }
    }
}

/// One connection's life: the rows, then each change applied and the list passed on. The
/// changes already waiting are applied together, so a burst (fifty apps restarted) is one
/// list for the dashboard.
async fn mirror(mut client: Client, tx: &mpsc::Sender<Update>, up: &watch::Sender<bool>) -> End {
    let mut table = match client.subscribe_table().await {
        Ok(rows) => TableMirror::new(rows),
        Err(e) => return e.into(),
    };
    let _ = up.send(true);
    for update in [Update::Up, Update::Vitals(None), list(&table, false)] {
        if tx.send(update).await.is_err() {
            return End::Closed;
        }
    }
    loop {
        let mut change = match client.next_change().await {
            Ok(Some(change)) => change,
            Ok(None) => return End::Lost("the daemon closed the connection".into()),
            Err(e) => return e.into(),
        };
        let (mut rows, mut sampled) = (false, false);
        loop {
            sampled |= matches!(change, TableChange::Metrics(_));
            let vitals = matches!(change, TableChange::Vitals(_));
            rows |= table.apply(change);
            if vitals
                && tx
                    .send(Update::Vitals(table.vitals().cloned()))
                    .await
                    .is_err()
            {
                return End::Closed;
            }
            // Dropping a read that is not complete loses nothing: the bytes stay buffered.
            match client.next_change().now_or_never() {
                Some(Ok(Some(next))) => change = next,
                Some(Ok(None)) => return End::Lost("the daemon closed the connection".into()),
                Some(Err(e)) => return e.into(),
                None => break,
            }
        }
        if rows && tx.send(list(&table, sampled)).await.is_err() {
            return End::Closed;
        }
    }
}

fn list(table: &TableMirror, sampled: bool) -> Update {
    Update::List {
        rows: table.list(),
        sampled,
    }
}

/// Carries out orders, each on a connection of its own; an action while the daemon is
/// away fails at once rather than waits.
async fn take_orders(
    home: Home,
    tx: mpsc::Sender<Update>,
    mut orders: mpsc::UnboundedReceiver<Order>,
    up: watch::Receiver<bool>,
) {
    while let Some(order) = orders.recv().await {
        match order {
            Order::Act { action, name, .. } if !*up.borrow() => {
                let text = format!("cannot {} {name}: the daemon is unreachable", verb(action));
                if tx.send(Update::Acted { text, error: true }).await.is_err() {
                    return;
                }
            }
            Order::Act {
                action,
                pm_id,
                name,
            } => {
                tokio::spawn(act(home.clone(), action, pm_id, name, tx.clone()));
            }
            Order::Backfill(pm_id) => {
                tokio::spawn(backfill(home.clone(), pm_id, tx.clone()));
            }
        }
    }
}

/// A process's last lines, from the daemon's memory, or from the file when it does not
/// hold them all. Nothing is shown when the daemon cannot be asked.
async fn backfill(home: Home, pm_id: u32, tx: mpsc::Sender<Update>) {
    let request = Request::RecentLogs {
        targets: vec![Target::Id(pm_id)],
        stream: None,
        lines: BACKFILL_LINES as u32,
    };
    let answer = match Client::connect(&home, false).await {
        Ok(mut client) => client.request(request).await.ok(),
        Err(_) => None,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    // An error answer (the process was just deleted) leaves nothing to show.
    if let Some(Response::RecentLogs(logs)) = answer {
        for log in logs.into_iter().filter(|l| l.pm_id == pm_id) {
            let lines = if log.complete {
                log.lines
            } else {
                pm2_protocol::tail::last_lines(&log.file, BACKFILL_LINES).unwrap_or_default()
            };
            match log.stream {
                LogStream::Out => out.extend(lines),
                LogStream::Err => err.extend(lines),
            }
        }
    }
    let _ = tx.send(Update::Backfill { pm_id, out, err }).await;
}

/// One action on its own connection; the outcome as a notice (the table shows its effect).
async fn act(home: Home, action: Action, pm_id: u32, name: String, tx: mpsc::Sender<Update>) {
    let request = Request::Act {
        action,
        targets: vec![Target::Id(pm_id)],
        update_env: None,
        attributes: None,
    };
    let answer = match Client::connect(&home, false).await {
        Ok(mut client) => client.request(request).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let (text, error) = match answer {
        Ok(Response::Error(failure)) => (failure.message, true),
        Ok(_) => (format!("{} {name} (id {pm_id})", done(action)), false),
        Err(e) => (format!("cannot {} {name}: {e}", verb(action)), true),
    };
    let _ = tx.send(Update::Acted { text, error }).await;
}

/// The verb of an action, for messages.
pub fn verb(action: Action) -> &'static str {
    match action {
        Action::Stop => "stop",
        Action::Restart => "restart",
        Action::Reload => "reload",
        Action::Delete => "delete",
        Action::Reset => "reset",
    }
}

/// An action under way, for messages.
pub fn doing(action: Action) -> &'static str {
    match action {
        Action::Stop => "stopping",
        Action::Restart => "restarting",
        Action::Reload => "reloading",
        Action::Delete => "deleting",
        Action::Reset => "resetting",
    }
}

fn done(action: Action) -> &'static str {
    match action {
        Action::Stop => "stopped",
        Action::Restart => "restarted",
        Action::Reload => "reloaded",
        Action::Delete => "deleted",
        Action::Reset => "reset",
    }
}

/// Follows every process's output while the table task is connected.
async fn follow(home: Home, tx: mpsc::Sender<Update>, mut up: watch::Receiver<bool>) {
    loop {
        if up.wait_for(|up| *up).await.is_err() {
            return; // the table task ended
        }
        if let Ok(mut client) = Client::connect(&home, false).await {
            if client.subscribe(Vec::new()).await.is_ok() {
                while let Ok(Some(event)) = client.next_event().await {
                    let update = match event {
                        Event::Log(line) => Update::Log(line),
                        Event::Missed(count) => Update::Missed(count),
                    };
                    if tx.send(update).await.is_err() {
                        return;
                    }
                }
            }
        }
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(RETRY).await;
    }
}
