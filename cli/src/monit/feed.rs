//! The dashboard's link to the daemon, as background tasks that turn the socket into a
//! stream of [`Update`]s and take [`Order`]s:
//!
//! - the **poller** owns one connection: the process list and the host vitals once a
//!   second ([`TICK`]), and each process's past log lines when it is first selected;
//! - the **follower** owns a second connection subscribed to every process's output, as
//!   `pm2 logs` is (`Request::Subscribe`, then pushed `Event`s);
//! - each **action** (restart, stop, reload, delete) gets a short-lived connection of its
//!   own, so a stop that waits for `kill_timeout` never stalls the list.
//!
//! When the daemon goes away the poller says so ([`Update::Down`]) and both reconnect every
//! [`RETRY`] until it is back; only the very first connection may start the daemon.
//! Updates travel on a bounded channel: a dashboard that falls behind slows its follower,
//! and the daemon then drops lines for it (reported as `Missed`) instead of buffering.

use std::time::Duration;

use pm2_protocol::{
    Action, Event, Home, HostVitals, LogLine, LogStream, ProcessInfo, Request, Response, Target,
};
use tokio::sync::{mpsc, watch};

use crate::client::{Client, ClientError};

/// How often the list (and the host vitals) is asked for.
pub const TICK: Duration = Duration::from_secs(1);
/// How long to wait between attempts to reach a daemon that went away.
pub const RETRY: Duration = Duration::from_millis(500);
/// Past lines fetched per file for a newly selected process.
pub const BACKFILL_LINES: usize = 100;
/// Updates waiting for the dashboard before the follower waits.
const QUEUE: usize = 1024;

/// What the daemon told the dashboard.
#[derive(Debug)]
pub enum Update {
    /// Connected (again).
    Up,
    /// The daemon does not answer; why. Reconnecting.
    Down(String),
    /// The process list.
    List(Vec<ProcessInfo>),
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
    /// Ask for the list now (after an action).
    Refresh,
}

/// The running tasks' ends: updates to read, orders to send. Dropping it ends the tasks.
pub struct Feed {
    /// Updates, in the order they happened per connection.
    pub updates: mpsc::Receiver<Update>,
    orders: mpsc::UnboundedSender<Order>,
}

impl Feed {
    /// Starts the poller and the follower on the current tokio runtime.
    pub fn start(home: Home) -> Feed {
        let (tx, updates) = mpsc::channel(QUEUE);
        let (orders, orders_rx) = mpsc::unbounded_channel();
        let (up_tx, up_rx) = watch::channel(false);
        tokio::spawn(poll(
            home.clone(),
            tx.clone(),
            orders.clone(),
            orders_rx,
            up_tx,
        ));
        tokio::spawn(follow(home, tx, up_rx));
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

async fn poll(
    home: Home,
    tx: mpsc::Sender<Update>,
    self_orders: mpsc::UnboundedSender<Order>,
    mut orders: mpsc::UnboundedReceiver<Order>,
    up: watch::Sender<bool>,
) {
    let mut may_spawn = true;
    loop {
        let end = match Client::connect(&home, may_spawn).await {
            Ok(mut client) => {
                let _ = up.send(true);
                match tx.send(Update::Up).await {
                    Ok(()) => serve(&mut client, &home, &tx, &self_orders, &mut orders).await,
                    Err(_) => End::Closed,
                }
            }
            Err(e) => End::Lost(e.to_string()),
        };
        may_spawn = false;
        let _ = up.send(false);
        let End::Lost(reason) = end else { return };
        if tx.send(Update::Down(reason)).await.is_err() {
            return;
        }
        // Orders that arrive while the daemon is away fail at once rather than pile up.
        let pause = tokio::time::sleep(RETRY);
        tokio::pin!(pause);
        loop {
            tokio::select! {
                () = &mut pause => break,
                order = orders.recv() => match order {
                    None => return,
                    Some(Order::Act { action, name, .. }) => {
                        let text = format!("cannot {} {name}: the daemon is unreachable", verb(action));
                        if tx.send(Update::Acted { text, error: true }).await.is_err() {
                            return;
                        }
                    }
                    Some(_) => {}
                },
            }
        }
    }
}

/// One connection's life: the list every tick, orders in between.
async fn serve(
    client: &mut Client,
    home: &Home,
    tx: &mpsc::Sender<Update>,
    self_orders: &mpsc::UnboundedSender<Order>,
    orders: &mut mpsc::UnboundedReceiver<Order>,
) -> End {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let result = tokio::select! {
            _ = tick.tick() => refresh(client, tx).await,
            order = orders.recv() => match order {
                None => Err(End::Closed),
                Some(Order::Refresh) => refresh(client, tx).await,
                Some(Order::Backfill(pm_id)) => backfill(client, pm_id, tx).await,
                Some(Order::Act { action, pm_id, name }) => {
                    tokio::spawn(act(home.clone(), action, pm_id, name, tx.clone(), self_orders.clone()));
                    Ok(())
                }
            },
        };
        if let Err(end) = result {
            return end;
        }
    }
}

async fn deliver(tx: &mpsc::Sender<Update>, update: Update) -> Result<(), End> {
    tx.send(update).await.map_err(|_| End::Closed)
}

/// The list, then the vitals.
async fn refresh(client: &mut Client, tx: &mpsc::Sender<Update>) -> Result<(), End> {
    match client.request(Request::ListBrief).await? {
        Response::Processes(list) => deliver(tx, Update::List(list)).await?,
        other => return Err(End::Lost(format!("unexpected answer {other:?}"))),
    }
    // A daemon without host vitals (or an error) is the same as sysmonit off.
    let vitals = match client.request(Request::Vitals).await? {
        Response::Vitals(vitals) => vitals,
        _ => None,
    };
    deliver(tx, Update::Vitals(vitals)).await
}

/// A process's last lines, from the daemon's memory, or from the file when it does not
/// hold them all.
async fn backfill(client: &mut Client, pm_id: u32, tx: &mpsc::Sender<Update>) -> Result<(), End> {
    let request = Request::RecentLogs {
        targets: vec![Target::Id(pm_id)],
        stream: None,
        lines: BACKFILL_LINES as u32,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    // An error answer (the process was just deleted) leaves nothing to show.
    if let Response::RecentLogs(logs) = client.request(request).await? {
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
    deliver(tx, Update::Backfill { pm_id, out, err }).await
}

/// One action on its own connection; the outcome as a notice, then a fresh list.
async fn act(
    home: Home,
    action: Action,
    pm_id: u32,
    name: String,
    tx: mpsc::Sender<Update>,
    orders: mpsc::UnboundedSender<Order>,
) {
    let request = Request::Act {
        action,
        targets: vec![Target::Id(pm_id)],
        update_env: None,
    };
    let answer = match Client::connect(&home, false).await {
        Ok(mut client) => client.request(request).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let (text, error) = match answer {
        Ok(Response::Error(message)) => (message, true),
        Ok(_) => (format!("{} {name} (id {pm_id})", done(action)), false),
        Err(e) => (format!("cannot {} {name}: {e}", verb(action)), true),
    };
    let _ = tx.send(Update::Acted { text, error }).await;
    let _ = orders.send(Order::Refresh);
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

/// Follows every process's output while the poller is connected.
async fn follow(home: Home, tx: mpsc::Sender<Update>, mut up: watch::Receiver<bool>) {
    loop {
        if up.wait_for(|up| *up).await.is_err() {
            return; // the poller ended
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
