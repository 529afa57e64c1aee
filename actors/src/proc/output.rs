//! Pumps a child's stdout or stderr into its log sink, whole lines at a time.
//!
//! Complete lines are sent in batches as they arrive; a trailing partial line is held until
//! its newline comes, or sent as it is after [`PARTIAL_FLUSH`] of silence (or at EOF), so
//! nothing is cut and nothing waits forever. At most [`MAX_IN_FLIGHT`] writes per stream wait
//! in the daemon: past that the pump stops reading, so a slow disk slows the app (as writing
//! to a file directly would) rather than growing the daemon's memory.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::oneshot;

use crate::logsink::{LogSinkMsg, LogTarget};
use crate::supervision::LiveRef;

pub use crate::logsink::Stream;

/// How long a partial line may wait for the rest of itself.
pub const PARTIAL_FLUSH: Duration = Duration::from_millis(200);

const CHUNK: usize = 64 * 1024;

/// Writes sent to the sink and not yet done, per stream: at most this many chunks (512 KiB)
/// wait in the daemon; beyond that the pump stops reading and the app's pipe fills.
pub const MAX_IN_FLIGHT: usize = 8;

/// Longest a pump waits for its sink to be restarted before it drops what it read.
const SINK_RESTART_WAIT: Duration = Duration::from_secs(5);

/// Most bytes of one unfinished line held back before they are passed on anyway.
const MAX_PENDING: usize = 4 * 1024 * 1024;

/// Reads `reader` to EOF, forwarding its bytes to the sink, addressed to `target`.
pub async fn pump<R: AsyncRead + Unpin>(
    mut reader: R,
    stream: Stream,
    target: Arc<LogTarget>,
    sink: LiveRef<LogSinkMsg>,
) {
    let mut out = Forwarder {
        sink,
        target,
        stream,
        in_flight: VecDeque::new(),
    };
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let read = if pending.is_empty() {
            reader.read(&mut chunk).await
        } else {
            match tokio::time::timeout(PARTIAL_FLUSH, reader.read(&mut chunk)).await {
                Ok(read) => read,
                Err(_) => {
                    out.send(std::mem::take(&mut pending)).await;
                    continue;
                }
            }
        };
        let n = match read {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let before = pending.len();
        pending.extend_from_slice(&chunk[..n]);
        // Only the new bytes can hold a newline the pending ones did not.
        if let Some(offset) = chunk[..n].iter().rposition(|&b| b == b'\n') {
            let rest = pending.split_off(before + offset + 1);
            out.send(std::mem::replace(&mut pending, rest)).await;
        } else if pending.len() >= MAX_PENDING {
            // A line that never ends (progress bars, binary output): pass it on in pieces.
            // The file gets the same bytes; only followers see it split.
            out.send(std::mem::take(&mut pending)).await;
        }
    }
    if !pending.is_empty() {
        out.send(pending).await;
    }
}

/// Sends chunks to the sink with a bounded number of writes in flight.
struct Forwarder {
    sink: LiveRef<LogSinkMsg>,
    target: Arc<LogTarget>,
    stream: Stream,
    in_flight: VecDeque<oneshot::Receiver<()>>,
}

impl Forwarder {
    async fn send(&mut self, bytes: Vec<u8>) {
        while self.in_flight.len() >= MAX_IN_FLIGHT {
            if let Some(done) = self.in_flight.pop_front() {
                // An error means the sink is gone (restarting): nothing to wait for.
                let _ = done.await;
            }
        }
        // Between a sink's death and its restart there is no sink: wait for the new one
        // (the pipe fills meanwhile, the app is slowed, nothing read is dropped), for a
        // while: a sink that never comes back (its app removed) does not hold the pump.
        let deadline = tokio::time::Instant::now() + SINK_RESTART_WAIT;
        while self.sink.get().is_none() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (written, done) = oneshot::channel();
        self.sink.cast(LogSinkMsg::Write {
            target: self.target.clone(),
            stream: self.stream,
            bytes,
            written: Some(written.into()),
        });
        self.in_flight.push_back(done);
    }
}
