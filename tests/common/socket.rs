//! Speaking the control protocol directly, as a frontend does: for tests of what the
//! socket itself promises (handshake, malformed frames, pushed changes).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use pm2_protocol::frame::{decode_body, encode_body};
use pm2_protocol::{ClientFrame, Hello, Request, Response, ServerFrame, Welcome, MAX_FRAME_LEN};

use super::Pm2;

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

/// A connection past the handshake that has sent `request`; returns the response.
pub fn ask(pm2: &Pm2, request: Request) -> (UnixStream, Response) {
    let mut stream = connect(pm2);
    handshake(&mut stream);
    send_frame(&mut stream, &ClientFrame::Request(request));
    match read_frame(&mut stream) {
        ServerFrame::Response(response) => (stream, response),
        other => panic!("expected a response, got {other:?}"),
    }
}
