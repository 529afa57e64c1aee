//! Speaking the control protocol directly, for tests of what the socket itself promises:
//! raw frames (a std stream, byte by byte) for handshakes and malformed input on purpose, and
//! the frontends' own client ([`pm2_protocol::client`]) for well-formed requests and pushed
//! changes.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use pm2_protocol::client::Client;
use pm2_protocol::frame::{decode_body, encode_body};
use pm2_protocol::{
    ClientFrame, Hello, Home, Request, Response, ServerFrame, TableChange, Welcome, MAX_FRAME_LEN,
};

use super::{Pm2, DEADLINE};

/// A raw connection to the daemon's socket; reads give up after 10 s.
pub fn connect(pm2: &Pm2) -> UnixStream {
    let stream = UnixStream::connect(pm2.home().join("rpc.sock")).expect("connect rpc.sock");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream
}

/// Sends one frame: a big-endian u32 length, then `body`.
pub fn send_raw(stream: &mut UnixStream, body: &[u8]) {
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(body);
    stream.write_all(&frame).expect("send frame");
}

/// Sends one frame.
pub fn send_frame(stream: &mut UnixStream, frame: &ClientFrame) {
    send_raw(stream, &encode_body(frame).expect("encode"));
}

/// Reads one frame from the daemon.
pub fn read_frame(stream: &mut UnixStream) -> ServerFrame {
    let mut len = [0u8; 4];
    stream
        .read_exact(&mut len)
        .expect("read a frame length from the daemon");
    let len = u32::from_be_bytes(len) as usize;
    assert!(
        len <= MAX_FRAME_LEN,
        "the daemon sent a frame of {len} bytes"
    );
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).expect("read a frame body");
    decode_body(&body).expect("the daemon's frame decodes")
}

/// Sends our hello and returns the welcome.
pub fn handshake(stream: &mut UnixStream) -> Welcome {
    send_frame(stream, &ClientFrame::Hello(Hello::current()));
    match read_frame(stream) {
        ServerFrame::Welcome(welcome) => welcome,
        other => panic!("expected a welcome, got {other:?}"),
    }
}

/// A conversation through the shared client, driven from a synchronous test (a runtime of
/// its own, on this thread).
pub struct Conversation {
    runtime: tokio::runtime::Runtime,
    client: Client,
}

impl Conversation {
    /// Connects to the daemon of `pm2` and shakes hands.
    pub fn open(pm2: &Pm2) -> Conversation {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let home = Home::at(pm2.home().to_path_buf());
        let client = runtime
            .block_on(Client::connect(&home, "the tests"))
            .unwrap_or_else(|e| panic!("connect to the daemon: {e}"));
        Conversation { runtime, client }
    }

    /// Sends one request; returns its response.
    pub fn ask(&mut self, request: Request) -> Response {
        self.runtime
            .block_on(self.client.request(request))
            .unwrap_or_else(|e| panic!("ask the daemon: {e}"))
    }

    /// The next change pushed after `Request::SubscribeTable`, within [`DEADLINE`].
    pub fn next_change(&mut self) -> TableChange {
        let next = async { tokio::time::timeout(DEADLINE, self.client.next_change()).await };
        match self.runtime.block_on(next) {
            Ok(Ok(Some(change))) => change,
            Ok(Ok(None)) => panic!("the daemon closed the subscription"),
            Ok(Err(e)) => panic!("read a change: {e}"),
            Err(_) => panic!("no change pushed within {DEADLINE:?}"),
        }
    }
}

/// One request on a new connection; returns the response.
pub fn ask(pm2: &Pm2, request: Request) -> Response {
    Conversation::open(pm2).ask(request)
}
