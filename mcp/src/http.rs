//! The streamable HTTP transport: rmcp's session service behind a small hyper server that
//! adds what a server on a workstation needs: one endpoint path (others get 404), an
//! optional bearer token (401 without it), DNS-rebinding protection (a foreign `Host` or
//! `Origin` gets 403), bounded request bodies, and timeouts for idle peers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::backend::Backend;
use crate::config::Config;
use crate::log;
use crate::server::Pm2Mcp;

/// Largest request body accepted (MCP messages are small).
const MAX_BODY: usize = 1024 * 1024;
/// How long a peer may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Hosts always accepted in `Host` (the server binds loopback by default).
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// Origins accepted when none are configured: pages served from this machine only.
const LOOPBACK_ORIGINS: [&str; 3] = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

type Body = BoxBody<Bytes, Infallible>;
type Mcp = StreamableHttpService<Pm2Mcp, LocalSessionManager>;

/// Serves MCP over HTTP until `stop` is cancelled.
pub async fn serve(
    config: &Config,
    backend: Backend,
    warning: Option<Arc<str>>,
    stop: CancellationToken,
) -> Result<(), String> {
    let listener = TcpListener::bind((config.host.as_str(), config.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", config.host, config.port))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    log::info(&format!(
        "MCP over streamable HTTP on http://{}{}",
        display(address),
        config.path
    ));
    let mcp = Arc::new(StreamableHttpService::new(
        move || Ok(Pm2Mcp::new(backend.clone(), warning.clone())),
        Arc::new(LocalSessionManager::default()),
        http_config(config, stop.child_token()),
    ));
    let endpoint = Arc::new(Endpoint {
        path: config.path.clone(),
        token: config.token.clone(),
        mcp,
    });
    loop {
        let stream = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    log::debug(&format!("accept failed: {e}"));
                    continue;
                }
            },
        };
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let endpoint = endpoint.clone();
                async move { Ok::<_, Infallible>(endpoint.answer(request).await) }
            });
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                log::debug(&format!("HTTP connection ended: {e}"));
            }
        });
    }
}

fn display(address: SocketAddr) -> String {
    address.to_string()
}

/// rmcp's settings: allowed hosts and origins, body limit, cancellation.
fn http_config(config: &Config, stop: CancellationToken) -> StreamableHttpServerConfig {
    let base = StreamableHttpServerConfig::default()
        .with_cancellation_token(stop)
        .with_max_request_body_bytes(MAX_BODY);
    if !config.dns_protection {
        return base.disable_allowed_hosts().disable_allowed_origins();
    }
    let hosts = LOOPBACK_HOSTS
        .iter()
        .map(|h| h.to_string())
        .chain(config.allowed_hosts.iter().cloned());
    let origins: Vec<String> = if config.allowed_origins.is_empty() {
        LOOPBACK_ORIGINS.iter().map(|o| o.to_string()).collect()
    } else {
        config.allowed_origins.clone()
    };
    base.with_allowed_hosts(hosts).with_allowed_origins(origins)
}

/// The endpoint: path and token checks in front of rmcp's service.
struct Endpoint {
    path: String,
    token: Option<String>,
    mcp: Arc<Mcp>,
}

impl Endpoint {
    async fn answer(&self, request: Request<Incoming>) -> Response<Body> {
        if request.uri().path() != self.path {
            return plain(
                StatusCode::NOT_FOUND,
                format!("not found: the MCP endpoint is {}\n", self.path),
            );
        }
        if let Some(token) = &self.token {
            let given = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            if !given.is_some_and(|given| same(given.as_bytes(), token.as_bytes())) {
                let mut response = plain(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized: send Authorization: Bearer <PM2_MCP_TOKEN>\n".into(),
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
                return response;
            }
        }
        let response = self.mcp.handle(request).await;
        if response.status() == StatusCode::FORBIDDEN {
            log::info("refused a request with a foreign Host or Origin (DNS-rebinding protection)");
        }
        response
    }
}

/// Compares without stopping at the first difference (the token is a secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn plain(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(text)).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret2"));
        assert!(!same(b"", b"secret"));
    }
}
