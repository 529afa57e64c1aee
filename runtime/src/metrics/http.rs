//! A small HTTP/1.x responder: one request per connection, `GET` or `HEAD` of `/metrics`,
//! `Connection: close`. Enough for Prometheus, curl and browsers, and bounded against a
//! client that sends too much or too slowly.

use std::sync::Arc;
use std::time::Duration;

use pm2_actors::root::{Reply, RootCmd, RootMsg};
use ractor::ActorRef;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::exposition;

/// Largest request head accepted.
const MAX_HEAD: usize = 8 * 1024;
/// Longest a client may take to send its request.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest the tree may take to give the list.
const TREE_TIMEOUT_MS: u64 = 5_000;
/// Connections answered at once; others wait in the kernel's queue.
const CONCURRENT: usize = 16;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The metrics page; `head` for `HEAD` (headers only).
    Metrics {
        /// No body wanted.
        head: bool,
    },
    /// Any other path.
    NotFound,
    /// Any method but `GET` and `HEAD`.
    MethodNotAllowed,
    /// Not an HTTP request line.
    BadRequest,
}

/// Routes a request by its first line (`GET /metrics?x=1 HTTP/1.1`).
pub fn route(head: &[u8]) -> Route {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let Ok(line) = std::str::from_utf8(&head[..line_end]) else {
        return Route::BadRequest;
    };
    let mut words = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Route::BadRequest;
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Route::BadRequest;
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Route::MethodNotAllowed,
    };
    let path = target.split(['?', '#']).next().unwrap_or(target);
    if path == "/metrics" {
        Route::Metrics { head: head_only }
    } else {
        Route::NotFound
    }
}

/// Accepts connections until the task is aborted.
pub async fn serve(listener: TcpListener, root: ActorRef<RootMsg>) {
    let slots = Arc::new(Semaphore::new(CONCURRENT));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        match listener.accept().await {
            Ok((stream, _)) => {
                let root = root.clone();
                tokio::spawn(async move {
                    answer(stream, &root).await;
                    drop(slot);
                });
            }
            Err(e) => {
                tracing::warn!("metrics endpoint: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn answer(mut stream: TcpStream, root: &ActorRef<RootMsg>) {
    let route = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => route(&head),
        Ok(None) => Route::BadRequest,
        Err(_) => return,
    };
    let (status, body, head_only) = match route {
        Route::Metrics { head } => match page(root).await {
            Ok(page) => ("200 OK", page, head),
            Err(e) => ("503 Service Unavailable", format!("{e}\n"), head),
        },
        Route::NotFound => ("404 Not Found", "not found: try /metrics\n".into(), false),
        Route::MethodNotAllowed => ("405 Method Not Allowed", "use GET\n".into(), false),
        Route::BadRequest => ("400 Bad Request", "bad request\n".into(), false),
    };
    let content_type = if status.starts_with("200") {
        exposition::CONTENT_TYPE
    } else {
        "text/plain; charset=utf-8"
    };
    let allow = if route == Route::MethodNotAllowed {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         {allow}Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        response.extend_from_slice(body.as_bytes());
    }
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

/// Reads up to the blank line ending the head; `None` when the client stops first or
/// sends more than [`MAX_HEAD`].
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        head.extend_from_slice(&chunk[..read]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
            return Some(head);
        }
        if head.len() > MAX_HEAD {
            return None;
        }
    }
}

/// The metrics page, from the tree's list and host vitals.
async fn page(root: &ActorRef<RootMsg>) -> Result<String, String> {
    let wait = Duration::from_millis(TREE_TIMEOUT_MS);
    let processes = crate::route::processes(root, RootCmd::List { brief: true }, wait)
        .await
        .map_err(|e| e.message)?;
    let vitals = match crate::route::ask(root, RootCmd::Vitals, wait).await {
        Ok(Reply::Vitals(vitals)) => vitals,
        _ => None,
    };
    Ok(exposition::render(
        &processes,
        vitals.as_ref(),
        pm2_protocol::clock::now_ms(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_get_or_head_of_metrics_is_the_page() {
        assert_eq!(
            route(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Route::Metrics { head: false }
        );
        assert_eq!(
            route(b"HEAD /metrics?name[]=x HTTP/1.0\r\n\r\n"),
            Route::Metrics { head: true }
        );
        assert_eq!(route(b"GET / HTTP/1.1\r\n\r\n"), Route::NotFound);
        assert_eq!(route(b"GET /metrics/x HTTP/1.1\r\n\r\n"), Route::NotFound);
        assert_eq!(
            route(b"POST /metrics HTTP/1.1\r\n\r\n"),
            Route::MethodNotAllowed
        );
    }

    #[test]
    fn anything_else_is_a_bad_request() {
        for head in [
            &b""[..],
            b"GET\r\n\r\n",
            b"GET /metrics\r\n\r\n",
            b"GET /metrics SPDY/3\r\n\r\n",
            b"GET metrics HTTP/1.1\r\n\r\n",
            b"GET /metrics HTTP/1.1 extra\r\n\r\n",
            b"\xff\xfe /metrics HTTP/1.1\r\n\r\n",
        ] {
            assert_eq!(route(head), Route::BadRequest, "{head:?}");
        }
    }
}
