//! The sockets of a cluster app: what each instance inherits, and the environment that
//! tells it which descriptor is which.

use std::os::fd::{AsRawFd, RawFd};

use pm2_protocol::{AppSpec, Handover};

use super::Sockets;

/// Ports nobody listens on now (TCP and UDP), from the kernel.
fn free_ports() -> (u16, u16) {
    let tcp = std::net::TcpListener::bind(("0.0.0.0", 0)).unwrap();
    let udp = std::net::UdpSocket::bind(("0.0.0.0", 0)).unwrap();
    (
        tcp.local_addr().unwrap().port(),
        udp.local_addr().unwrap().port(),
    )
}

fn spec(ports: Vec<u16>, udp_ports: Vec<u16>, handover: Handover) -> AppSpec {
    let mut spec = AppSpec::new("c", "/bin/true".into(), "/".into(), "/tmp/c.pid".into());
    spec.ports = ports;
    spec.udp_ports = udp_ports;
    spec.handover = handover;
    spec.instances = 2;
    spec
}

#[test]
fn udp_sockets_are_inherited_after_the_listeners() {
    let (tcp, udp) = free_ports();
    let spec = spec(vec![tcp], vec![udp], Handover::Inherit);
    let sockets = Sockets::bind(&spec).unwrap();
    let fds: Vec<RawFd> = sockets.fds(Handover::Inherit);
    assert_eq!(fds.len(), 2);
    assert_eq!(fds[0], sockets.listeners[0].1.as_raw_fd());
    let env = sockets.environment(&spec, 0, None);
    assert_eq!(env["LISTEN_FDS"], "2");
    assert_eq!(env["LISTEN_FDNAMES"], format!("tcp-{tcp}:udp-{udp}"));
    assert_eq!(env["PM2_LISTEN_FDS"], format!("{tcp}:3"));
    assert_eq!(env["PM2_UDP_FDS"], format!("{udp}:4"));
    assert_eq!(sockets.hand_over_udp()[0].0, udp);
}

#[test]
fn behind_the_proxy_only_udp_sockets_are_inherited() {
    let (tcp, udp) = free_ports();
    let spec = spec(vec![tcp], vec![udp], Handover::Proxy);
    let sockets = Sockets::bind(&spec).unwrap();
    assert_eq!(sockets.fds(Handover::Proxy).len(), 1);
    let env = sockets.environment(&spec, 1, None);
    assert_eq!(env["LISTEN_FDS"], "1");
    assert_eq!(env["PM2_UDP_FDS"], format!("{udp}:3"));
    assert_eq!(env["PORT"], (tcp + 2).to_string());
    assert!(!env.contains_key("PM2_LISTEN_FDS"));
}

#[test]
fn a_udp_port_alone_is_enough_for_cluster_mode() {
    let (_, udp) = free_ports();
    let spec = spec(Vec::new(), vec![udp], Handover::Inherit);
    let sockets = Sockets::bind(&spec).unwrap();
    let env = sockets.environment(&spec, 0, None);
    assert_eq!(env["LISTEN_FDS"], "1");
    assert_eq!(env["LISTEN_FDNAMES"], format!("udp-{udp}"));
    assert!(!env.contains_key("PM2_LISTEN_FDS"));
    let none = self::spec(Vec::new(), Vec::new(), Handover::Inherit);
    assert!(Sockets::bind(&none).is_err());
}

#[test]
fn a_udp_port_taken_is_an_error_naming_it() {
    let taken = std::net::UdpSocket::bind(("0.0.0.0", 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let spec = spec(Vec::new(), vec![port], Handover::Inherit);
    let error = Sockets::bind(&spec).unwrap_err().to_string();
    assert!(error.contains(&format!("UDP port {port}")), "{error}");
}
