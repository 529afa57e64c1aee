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
        pending.extend_from_slice(&chunk[..n]);
        if let Some(last_newline) = pending.iter().rposition(|&b| b == b'\n') {
            let rest = pending.split_off(last_newline + 1);
            send(
                &sink,
                &target,
                stream,
                std::mem::replace(&mut pending, rest),
            );
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
