//! Balancer: in cluster mode, owns the app's listening sockets for as long as the app
//! exists, so restarts, reloads and scaling never refuse a connection.
//!
//! The sockets ([`Sockets`]) are bound once, when the app is created, and kept by the App's
//! durable store; the Balancer actor and every instance only borrow them. Two handovers
//! ([`Handover`]): *inherit* passes them to each instance as fd 3.. (`LISTEN_FDS`, with a
//! preload making Node's `server.listen(port)` use them); *proxy* accepts here and forwards
//! each connection to an instance's own port (`PORT` = base + 1 + instance).
//!
//! UDP ports (`udp_port`) are bound here too and always inherited, after the TCP sockets:
//! every instance reads from the same socket, so the kernel gives each datagram to one of
//! them, and the socket (with what is queued on it) outlives restarts and reloads. No
//! `SO_REUSEPORT` is needed, the socket being bound once.

mod adopt;
mod proxy;
#[cfg(test)]
mod tests;

pub use adopt::take_fd;

pub use proxy::is_self_connection;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{TcpListener, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use pm2_protocol::{AppSpec, Handover};
use ractor::{Actor, ActorProcessingErr, ActorRef};

/// The preload that makes unmodified Node servers listen on the inherited sockets.
pub const NODE_PRELOAD: &str = include_str!("preload.js");

/// First inherited descriptor, as systemd's socket activation numbers them.
pub const FIRST_FD: RawFd = 3;

/// The listening sockets of one cluster app.
#[derive(Debug)]
pub struct Sockets {
    listeners: Vec<(u16, TcpListener)>,
    /// UDP sockets (`udp_port`), inherited by every instance after the listeners.
    datagrams: Vec<(u16, UdpSocket)>,
    /// How many instances the proxy spreads connections over.
    instances: AtomicU32,
    /// Proxy routing: instances taken out of rotation, and connections open to each.
    routing: Mutex<Routing>,
}

#[derive(Debug, Default)]
struct Routing {
    paused: HashSet<u32>,
    active: HashMap<u32, u32>,
}

/// Why a cluster app's port cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// The app declared no port.
    #[error(
        "cluster mode needs the port the app serves: set `port` (or PORT in its env) or `udp_port`"
    )]
    NoPort,
    /// The port is taken or not ours to bind.
    #[error("cannot listen on port {port}: {source}")]
    Bind {
        /// The port.
        port: u16,
        /// The cause.
        source: std::io::Error,
    },
    /// The UDP port is taken or not ours to bind.
    #[error("cannot bind UDP port {port}: {source}")]
    BindUdp {
        /// The port.
        port: u16,
        /// The cause.
        source: std::io::Error,
    },
}

impl Sockets {
    /// Binds every port of the spec on all interfaces: TCP `ports`, then `udp_ports`.
    pub fn bind(spec: &AppSpec) -> Result<Sockets, BindError> {
        if spec.ports.is_empty() && spec.udp_ports.is_empty() {
            return Err(BindError::NoPort);
        }
        let listeners = spec
            .ports
            .iter()
            .map(|&port| {
                TcpListener::bind(("0.0.0.0", port))
                    .map(|l| (port, l))
                    .map_err(|source| BindError::Bind { port, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let datagrams = spec
            .udp_ports
            .iter()
            .map(|&port| {
                UdpSocket::bind(("0.0.0.0", port))
                    .map(|s| (port, s))
                    .map_err(|source| BindError::BindUdp { port, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sockets::inherited(listeners, datagrams, spec.instances))
    }

    /// Sockets around one listener taken over from an instance (see [`take_fd`]).
    pub fn adopt(port: u16, listener: TcpListener, instances: u32) -> Sockets {
        Sockets::inherited(vec![(port, listener)], Vec::new(), instances)
    }

    /// Sockets around ones that already exist (taken over, or inherited from the previous
    /// daemon).
    pub fn inherited(
        listeners: Vec<(u16, TcpListener)>,
        datagrams: Vec<(u16, UdpSocket)>,
        instances: u32,
    ) -> Sockets {
        Sockets {
            listeners,
            datagrams,
            instances: AtomicU32::new(instances),
            routing: Mutex::default(),
        }
    }

    /// The listeners, kept open across `exec` for a successor daemon: (port, fd).
    pub fn hand_over(&self) -> Vec<(u16, RawFd)> {
        self.listeners
            .iter()
            .map(|(port, l)| (*port, crate::proc::handover::keep_across_exec(l)))
            .collect()
    }

    /// The UDP sockets, kept open across `exec` for a successor daemon: (port, fd).
    pub fn hand_over_udp(&self) -> Vec<(u16, RawFd)> {
        self.datagrams
            .iter()
            .map(|(port, s)| (*port, crate::proc::handover::keep_across_exec(s)))
            .collect()
    }

    /// The descriptors an instance inherits, in fd order (from 3): the listeners when
    /// they are inherited (not behind the proxy), then the UDP sockets.
    pub fn fds(&self, handover: Handover) -> Vec<RawFd> {
        self.inherited_ports(handover)
            .into_iter()
            .map(|(_, _, fd)| fd)
            .collect()
    }

    /// What an instance inherits: (`tcp` or `udp`, port, fd in the daemon), in fd order.
    fn inherited_ports(&self, handover: Handover) -> Vec<(&'static str, u16, RawFd)> {
        let tcp = self
            .listeners
            .iter()
            .filter(|_| handover == Handover::Inherit)
            .map(|(port, l)| ("tcp", *port, l.as_raw_fd()));
        let udp = self
            .datagrams
            .iter()
            .map(|(port, s)| ("udp", *port, s.as_raw_fd()));
        tcp.chain(udp).collect()
    }

    /// Records how many instances the app has now (scale), for the proxy.
    pub fn set_instances(&self, count: u32) {
        self.instances.store(count, Ordering::Relaxed);
    }

    fn instances(&self) -> u32 {
        self.instances.load(Ordering::Relaxed).max(1)
    }

    fn routing(&self) -> std::sync::MutexGuard<'_, Routing> {
        self.routing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes an instance out of the proxy's rotation (before it is replaced).
    pub fn pause(&self, instance: u32) {
        self.routing().paused.insert(instance);
    }

    /// Puts an instance back into rotation.
    pub fn resume(&self, instance: u32) {
        self.routing().paused.remove(&instance);
    }

    /// The port an instance serves behind the proxy.
    pub fn backend(&self, instance: u32) -> Option<u16> {
        self.listeners
            .first()
            .map(|(port, _)| backend_port(*port, instance))
    }

    /// Connections the proxy has open to an instance.
    pub fn active(&self, instance: u32) -> u32 {
        self.routing().active.get(&instance).copied().unwrap_or(0)
    }

    /// Counts a new connection to an instance until the guard is dropped; `None` while the
    /// instance is out of rotation. One lock for both, so a drain never misses a connection.
    fn try_open(self: &Arc<Self>, instance: u32) -> Option<ActiveGuard> {
        let mut routing = self.routing();
        if routing.paused.contains(&instance) {
            return None;
        }
        *routing.active.entry(instance).or_default() += 1;
        Some(ActiveGuard {
            sockets: self.clone(),
            instance,
        })
    }

    /// The environment an instance needs to find its sockets: systemd's `LISTEN_FDS` (and
    /// `LISTEN_FDNAMES`, `tcp-3000:udp-5000`), and `port:fd` lists of our own for TCP
    /// (`PM2_LISTEN_FDS`, read by the Node preload) and UDP (`PM2_UDP_FDS`).
    pub fn environment(
        &self,
        spec: &AppSpec,
        instance: u32,
        preload: Option<&Path>,
    ) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        let inherited = self.inherited_ports(spec.handover);
        if !inherited.is_empty() {
            let numbered = || {
                inherited
                    .iter()
                    .enumerate()
                    .map(|(i, &(kind, port, _))| (kind, port, FIRST_FD + i as RawFd))
            };
            let pairs = |want: &str| -> String {
                let pairs: Vec<String> = numbered()
                    .filter(|(kind, _, _)| *kind == want)
                    .map(|(_, port, fd)| format!("{port}:{fd}"))
                    .collect();
                pairs.join(",")
            };
            let names: Vec<String> = numbered()
                .map(|(kind, port, _)| format!("{kind}-{port}"))
                .collect();
            env.insert("LISTEN_FDS".into(), inherited.len().to_string());
            env.insert("LISTEN_FDNAMES".into(), names.join(":"));
            if !self.datagrams.is_empty() {
                env.insert("PM2_UDP_FDS".into(), pairs("udp"));
            }
            if spec.handover == Handover::Inherit && !self.listeners.is_empty() {
                env.insert("PM2_LISTEN_FDS".into(), pairs("tcp"));
            }
        }
        match spec.handover {
            Handover::Inherit => {
                env.insert("PM2_KILL_TIMEOUT".into(), spec.kill_timeout_ms.to_string());
                if let Some(preload) = preload {
                    env.insert("NODE_OPTIONS".into(), node_options(spec, preload));
                }
            }
            Handover::Proxy => {
                if let Some((port, _)) = self.listeners.first() {
                    env.insert("PORT".into(), backend_port(*port, instance).to_string());
                }
            }
        }
        env
    }
}

/// The sockets of a cluster app, shared by its processes: set when the app is created (a
/// configured port) or once the first instance has bound its port (a port in the code).
pub type SocketCell = Arc<std::sync::OnceLock<Arc<Sockets>>>;

/// One open proxied connection, counted while it lives.
struct ActiveGuard {
    sockets: Arc<Sockets>,
    instance: u32,
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        if let Some(count) = self.sockets.routing().active.get_mut(&self.instance) {
            *count = count.saturating_sub(1);
        }
    }
}

/// The environment of the instance that binds a port known only to its code: the preload
/// (which reports the socket) and the stop grace it honours.
pub fn discovery_environment(spec: &AppSpec, preload: Option<&Path>) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("PM2_KILL_TIMEOUT".into(), spec.kill_timeout_ms.to_string());
    // listen(port) asks the daemon for the app's shared socket instead of binding.
    env.insert("PM2_ASK_PORTS".into(), "1".into());
    if let Some(preload) = preload {
        env.insert("NODE_OPTIONS".into(), node_options(spec, preload));
    }
    env
}

/// `NODE_OPTIONS` with our preload after whatever the app sets.
fn node_options(spec: &AppSpec, preload: &Path) -> String {
    // Quoted, as NODE_OPTIONS allows, so a PM2_HOME with spaces works.
    let require = format!("--require \"{}\"", preload.display());
    match spec
        .env
        .get("NODE_OPTIONS")
        .or(spec.base_env.get("NODE_OPTIONS"))
    {
        Some(existing) if !existing.is_empty() => format!("{existing} {require}"),
        _ => require,
    }
}

/// The port instance `instance` serves behind the proxy.
pub fn backend_port(port: u16, instance: u32) -> u16 {
    port.wrapping_add(1).wrapping_add(instance as u16)
}

/// Writes the Node preload under `PM2_HOME` once per daemon and returns its path.
pub fn preload_path(pm2_home: &Path) -> Option<PathBuf> {
    static WRITTEN: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    WRITTEN
        .get_or_init(|| {
            let dir = pm2_home.join("preload");
            let path = dir.join("cluster.js");
            let result =
                std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, NODE_PRELOAD));
            match result {
                Ok(()) => Some(path),
                Err(e) => {
                    tracing::error!("cannot write the cluster preload {}: {e}", path.display());
                    None
                }
            }
        })
        .clone()
}

/// Messages to the [`Balancer`].
#[derive(Debug)]
pub enum BalancerMsg {
    /// The accept loop of listener `index` gave up with this error: the Balancer fails,
    /// and the App's supervisor restarts it (counted against its intensity).
    LoopEnded(usize, std::io::Error),
}

/// Serves a proxied cluster app's sockets: accepts and forwards connections, one accept
/// loop per listener, each watched (its end is a failure of this actor). Apps whose
/// instances inherit the sockets have no Balancer: nothing would run in it.
#[derive(Clone)]
pub struct Balancer;

/// The Balancer's state: its accept loops, stopped with it (the sockets stay open).
pub struct BalancerState {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Actor for Balancer {
    type Msg = BalancerMsg;
    type State = BalancerState;
    type Arguments = Arc<Sockets>;

    async fn pre_start(
        &self,
        myself: ActorRef<BalancerMsg>,
        sockets: Arc<Sockets>,
    ) -> Result<BalancerState, ActorProcessingErr> {
        let mut tasks = Vec::new();
        for index in 0..sockets.listeners.len() {
            let accept = proxy::serve(sockets.clone(), index)?;
            let myself = myself.clone();
            tasks.push(tokio::spawn(async move {
                let error = accept.await;
                let _ = myself.cast(BalancerMsg::LoopEnded(index, error));
            }));
        }
        Ok(BalancerState { tasks })
    }

    async fn handle(
        &self,
        _myself: ActorRef<BalancerMsg>,
        msg: BalancerMsg,
        _state: &mut BalancerState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            BalancerMsg::LoopEnded(index, error) => {
                Err(format!("accept loop {index} gave up: {error}").into())
            }
        }
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<BalancerMsg>,
        state: &mut BalancerState,
    ) -> Result<(), ActorProcessingErr> {
        for task in state.tasks.drain(..) {
            task.abort();
        }
        Ok(())
    }
}

impl Drop for BalancerState {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
