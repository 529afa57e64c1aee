//! Framing: a u32 big-endian length followed by a bincode 2 (serde) body.
//!
//! The codec is typed by what it reads and what it writes, so a daemon connection is a
//! `FrameCodec<ClientFrame, ServerFrame>` and a client one the reverse. A frame longer than
//! [`MAX_FRAME_LEN`] or a body that does not decode is an error for that connection only.

use std::marker::PhantomData;

use bytes::{Buf, BufMut, BytesMut};
use serde::{de::DeserializeOwned, Serialize};
use tokio_util::codec::{Decoder, Encoder};

/// Largest frame body accepted or sent (16 MiB): big enough for a list of thousands of apps.
pub const MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer announced a frame larger than [`MAX_FRAME_LEN`].
    #[error("frame of {0} bytes exceeds the maximum of {MAX_FRAME_LEN} bytes")]
    TooLarge(usize),
    /// The body is not a valid encoding of the expected type.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// The value could not be encoded.
    #[error("cannot encode frame: {0}")]
    Encode(String),
    /// The underlying stream failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_FRAME_LEN>()
}

/// Encodes `value` as one frame body (without the length prefix).
pub fn encode_body<T: Serialize>(value: &T) -> Result<Vec<u8>, FrameError> {
    bincode::serde::encode_to_vec(value, config()).map_err(|e| FrameError::Encode(e.to_string()))
}

/// Decodes one frame body; trailing bytes are an error.
pub fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    let (value, used) = bincode::serde::decode_from_slice(body, config())
        .map_err(|e| FrameError::Malformed(e.to_string()))?;
    if used != body.len() {
        return Err(FrameError::Malformed(format!(
            "{} trailing bytes after the message",
            body.len() - used
        )));
    }
    Ok(value)
}

/// A tokio-util codec reading frames of `In` and writing frames of `Out`.
#[derive(Debug)]
pub struct FrameCodec<In, Out> {
    _types: PhantomData<fn(Out) -> In>,
}

impl<In, Out> FrameCodec<In, Out> {
    /// A codec with the default maximum frame size.
    pub fn new() -> Self {
        Self {
            _types: PhantomData,
        }
    }
}

impl<In, Out> Default for FrameCodec<In, Out> {
    fn default() -> Self {
        Self::new()
    }
}

impl<In: DeserializeOwned, Out> Decoder for FrameCodec<In, Out> {
    type Item = In;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<In>, FrameError> {
        if src.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([src[0], src[1], src[2], src[3]]) as usize;
        if len > MAX_FRAME_LEN {
            return Err(FrameError::TooLarge(len));
        }
        if src.len() < 4 + len {
            src.reserve(4 + len - src.len());
            return Ok(None);
        }
        src.advance(4);
        let body = src.split_to(len);
        decode_body(&body).map(Some)
    }
}

impl<In, Out: Serialize> Encoder<Out> for FrameCodec<In, Out> {
    type Error = FrameError;

    fn encode(&mut self, item: Out, dst: &mut BytesMut) -> Result<(), FrameError> {
        let body = encode_body(&item)?;
        if body.len() > MAX_FRAME_LEN {
            return Err(FrameError::TooLarge(body.len()));
        }
        dst.reserve(4 + body.len());
        dst.put_u32(body.len() as u32);
        dst.extend_from_slice(&body);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{ClientFrame, Hello, Request};

    type Server = FrameCodec<ClientFrame, ClientFrame>;

    #[test]
    fn a_frame_round_trips_even_when_split() {
        let mut codec = Server::new();
        let mut buf = BytesMut::new();
        let frame = ClientFrame::Request(Request::Ping);
        codec.encode(frame.clone(), &mut buf).unwrap();
        let tail = buf.split_off(3);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        buf.unsplit(tail);
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(frame));
        assert!(buf.is_empty());
    }

    #[test]
    fn an_oversized_length_is_refused_before_reading_the_body() {
        let mut codec = Server::new();
        let mut buf = BytesMut::new();
        buf.put_u32(u32::MAX);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(FrameError::TooLarge(_))
        ));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let mut codec = Server::new();
        let mut buf = BytesMut::new();
        buf.put_u32(5);
        buf.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(FrameError::Malformed(_))
        ));
    }

    #[test]
    fn hello_carries_the_version() {
        let mut codec = Server::new();
        let mut buf = BytesMut::new();
        let hello = ClientFrame::Hello(Hello::current());
        codec.encode(hello.clone(), &mut buf).unwrap();
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(hello));
    }
}
