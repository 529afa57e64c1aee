//! The HTTP side of `pm2 serve`: hyper's HTTP/1.1 connection handling, basic auth, and the
//! answers PM2's `Serve.js` gives (its bodies and headers), with files streamed from disk.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use super::files::{content_type, lookup, Lookup};
use super::Options;

/// How long a client may take to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Bytes read from a file at a time.
const CHUNK: usize = 64 * 1024;

type Body = BoxBody<Bytes, std::io::Error>;

/// Accepts connections on `listener` forever, each served in its own task.
pub async fn serve(listener: TcpListener, options: Options) {
    let site = Arc::new(options);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let site = site.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let site = site.clone();
                async move { Ok::<_, Infallible>(answer(&site, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// One request's answer.
async fn answer(site: &Options, request: Request<Incoming>) -> Response<Body> {
    if let Some(expected) = &site.basic_auth {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !super::auth::matches(given, expected) {
            let mut response = text(StatusCode::UNAUTHORIZED, "401 Unauthorized");
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"Authentication service\""),
            );
            return response;
        }
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "405 Method Not Allowed");
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let path = request.uri().path();
    let found = match super::files::lookup_in(&site.root, path, &site.homepage, site.ftp) {
        Lookup::Missing if site.spa => lookup(&site.root, &site.homepage, &site.homepage),
        other => other,
    };
    match found {
        Lookup::File(file) => match send_file(file.clone(), StatusCode::OK).await {
            Ok(response) => response,
            Err(e) => {
                eprintln!("Error while serving {}: {e}", file.display());
                text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, check with the site admin for error\n",
                )
            }
        },
        Lookup::Folder(folder) => listing(&folder, path),
        Lookup::Missing => not_found(site).await,
        Lookup::Forbidden => text(StatusCode::FORBIDDEN, "403 Forbidden"),
        Lookup::BadRequest => text(StatusCode::BAD_REQUEST, "400 Bad Request"),
    }
}

/// PM2's `--ftp` listing of a folder, as HTML.
fn listing(folder: &std::path::Path, url: &str) -> Response<Body> {
    let html = super::listing::render(folder, url);
    let mut response = Response::new(
        Full::new(Bytes::from(html))
            .map_err(|never| match never {})
            .boxed(),
    );
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// The folder's `404.html` when it has one, else PM2's `404 Not Found`.
async fn not_found(site: &Options) -> Response<Body> {
    if let Lookup::File(page) = lookup(&site.root, "/404.html", &site.homepage) {
        if let Ok(mut response) = send_file(page, StatusCode::NOT_FOUND).await {
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/html"),
            );
            return response;
        }
    }
    text(StatusCode::NOT_FOUND, "404 Not Found")
}

/// A short answer, `text/html` as PM2 labels its error pages.
fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(
        Full::new(Bytes::from_static(body.as_bytes()))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html"),
    );
    response
}

/// A file, streamed in chunks, with PM2's content type and CORS headers.
async fn send_file(path: PathBuf, status: StatusCode) -> std::io::Result<Response<Body>> {
    let file = tokio::fs::File::open(&path).await?;
    let len = file.metadata().await?.len();
    let chunks = futures::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Frame::data(Bytes::from(buf))), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut response = Response::new(StreamBody::new(chunks).boxed());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type(&path)),
    );
    headers.insert(header::CONTENT_LENGTH, header::HeaderValue::from(len));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        header::HeaderValue::from_static("GET"),
    );
    Ok(response)
}
