//! Pumps a child's stdout or stderr into its log sink, whole lines at a time.
//!
//! Complete lines are sent in batches as they arrive; a trailing partial line is held until
//! its newline comes, or sent as it is after [`PARTIAL_FLUSH`] of silence (or at EOF), so
//! nothing is cut and nothing waits forever.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::logsink::{LogSinkMsg, LogTarget};
use crate::supervision::LiveRef;

pub use crate::logsink::Stream;

/// How long a partial line may wait for the rest of itself.
pub const PARTIAL_FLUSH: Duration = Duration::from_millis(200);

const CHUNK: usize = 64 * 1024;

/// Most bytes of one unfinished line held back before they are passed on anyway.
const MAX_PENDING: usize = 4 * 1024 * 1024;

/// Reads `reader` to EOF, forwarding its bytes to the sink, addressed to `target`.
pub async fn pump<R: AsyncRead + Unpin>(
    mut reader: R,
    stream: Stream,
    target: Arc<LogTarget>,
    sink: LiveRef<LogSinkMsg>,
) {
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let read = if pending.is_empty() {
            reader.read(&mut chunk).await
        } else {
            match tokio::time::timeout(PARTIAL_FLUSH, reader.read(&mut chunk)).await {
                Ok(read) => read,
                Err(_) => {
                    send(&sink, &target, stream, std::mem::take(&mut pending));
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
            send(
                &sink,
                &target,
                stream,
                std::mem::replace(&mut pending, rest),
            );
        } else if pending.len() >= MAX_PENDING {
            // A line that never ends (progress bars, binary output): pass it on in pieces.
            // The file gets the same bytes; only followers see it split.
            send(&sink, &target, stream, std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        send(&sink, &target, stream, pending);
    }
}

fn send(sink: &LiveRef<LogSinkMsg>, target: &Arc<LogTarget>, stream: Stream, bytes: Vec<u8>) {
    sink.cast(LogSinkMsg::Write {
        target: target.clone(),
        stream,
        bytes,
    });
}
