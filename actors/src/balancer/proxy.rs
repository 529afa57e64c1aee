//! Proxy handover: accept on the app's port and forward each connection to an instance's
//! own port, round-robin, skipping instances that do not answer.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

use super::{backend_port, Sockets};

/// Consecutive accept errors (out of descriptors, say) after which the loop gives up and
/// its Balancer fails, for the App's supervisor to restart it.
const MAX_ACCEPT_ERRORS: u32 = 100;
/// Pause after an accept error, so a persistent one does not spin a core.
const ACCEPT_RETRY: std::time::Duration = std::time::Duration::from_millis(10);

/// Builds the accept loop of listener `index` (an error if the socket cannot be shared).
/// The loop ends only when accepting keeps failing, with the last error.
pub fn serve(
    sockets: Arc<Sockets>,
    index: usize,
) -> std::io::Result<impl std::future::Future<Output = std::io::Error> + Send + 'static> {
    let (port, listener) = &sockets.listeners[index];
    let port = *port;
    let std_listener = listener.try_clone()?;
    std_listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(std_listener)?;
    let next = Arc::new(AtomicU32::new(0));
    Ok(async move {
        let mut errors = 0;
        loop {
            let client = match listener.accept().await {
                Ok((client, _)) => {
                    errors = 0;
                    client
                }
                Err(e) => {
                    errors += 1;
                    if errors >= MAX_ACCEPT_ERRORS {
                        return e;
                    }
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            };
            let sockets = sockets.clone();
            let next = next.clone();
            // One task per connection, owned by its client: it ends when either side
            // closes, and a Balancer restart must not cut connections in flight.
            tokio::spawn(async move {
                let instances = sockets.instances();
                // One draw per connection, then each instance once from there: other
                // connections drawing meanwhile cannot make this one skip an instance.
                let start = next.fetch_add(1, Ordering::Relaxed);
                for k in 0..instances {
                    let instance = start.wrapping_add(k) % instances;
                    // Counted from before the connect: a drain that starts meanwhile waits
                    // for this connection too.
                    let Some(counted) = sockets.try_open(instance) else {
                        continue;
                    };
                    let Ok(backend) =
                        TcpStream::connect(("127.0.0.1", backend_port(port, instance))).await
                    else {
                        continue;
                    };
                    // With no listener on an ephemeral-range port, Linux may hand the
                    // connection that same port as its source: a connection to itself.
                    if is_self_connection(&backend) {
                        continue;
                    }
                    forward(client, backend).await;
                    drop(counted);
                    return;
                }
                tracing::warn!(port, "no instance answered: connection dropped");
            });
        }
    })
}

/// A TCP connection to itself (see [`serve`]): nobody listens on that port.
pub fn is_self_connection(stream: &TcpStream) -> bool {
    matches!((stream.local_addr(), stream.peer_addr()), (Ok(local), Ok(peer)) if local == peer)
}

async fn forward(mut client: TcpStream, mut backend: TcpStream) {
    let _ = client.set_nodelay(true);
    let _ = backend.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
}
