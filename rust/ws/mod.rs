//! A server-side WebSocket frame codec (RFC 6455), with permessage-deflate
//! (RFC 7692) when a connection negotiates it.
//!
//! - [`Reader`] turns the bytes a client sends into messages: it checks the
//!   framing rules of RFC 6455 5.2-5.5, unmasks (5.3), reassembles fragmented
//!   messages (5.4), validates text as UTF-8 (8.1) and close payloads (5.5.1,
//!   7.4), and refuses messages above a size limit before buffering them;
//!   with deflate on, it inflates compressed messages within the same limit.
//! - [`frame_header`] and [`close_payload`] build what the server sends:
//!   unmasked frames with FIN set (5.1: a server must not mask).
//! - [`deflate`]: the compressor and the bounded inflater of RFC 7692.
//! - [`accept_key`]: the `Sec-WebSocket-Accept` of a handshake (4.2.2).
//!
//! Plain Rust: the Python binding is `py/ws.rs`.

pub mod deflate;
mod mask;
mod reader;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_deflate;

pub use deflate::{DeflateError, Deflater, Inflater};
pub use mask::apply_mask;
pub use reader::Reader;

/// Continuation frame (RFC 6455 5.2).
pub const OP_CONTINUATION: u8 = 0x0;
/// Text frame.
pub const OP_TEXT: u8 = 0x1;
/// Binary frame.
pub const OP_BINARY: u8 = 0x2;
/// Connection close (5.5.1).
pub const OP_CLOSE: u8 = 0x8;
/// Ping (5.5.2).
pub const OP_PING: u8 = 0x9;
/// Pong (5.5.3).
pub const OP_PONG: u8 = 0xA;

/// The largest payload of a control frame (5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;
/// The longest header a server frame needs: 2 bytes, then a 64-bit length.
pub const MAX_SERVER_HEADER: usize = 10;
/// RSV1 in a frame's first byte: a compressed message (RFC 7692 6).
pub const RSV1: u8 = 0x40;

/// A complete item read from the client, borrowed from the reader's buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// A text message, fragments reassembled, valid UTF-8.
    Text(&'a str),
    /// A binary message, fragments reassembled.
    Binary(&'a [u8]),
    /// A close frame's payload: empty, or a valid code and a UTF-8 reason.
    Close(&'a [u8]),
    /// A ping's payload.
    Ping(&'a [u8]),
    /// A pong's payload.
    Pong(&'a [u8]),
}

impl Message<'_> {
    /// The opcode of the frame (of the first frame, for a message).
    pub fn opcode(&self) -> u8 {
        match self {
            Message::Text(_) => OP_TEXT,
            Message::Binary(_) => OP_BINARY,
            Message::Close(_) => OP_CLOSE,
            Message::Ping(_) => OP_PING,
            Message::Pong(_) => OP_PONG,
        }
    }
}

/// Why the client's input breaks RFC 6455. [`WsError::code`] is the close
/// code to answer with (7.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WsError {
    /// 5.2: RSV1-3 must be 0 when no extension is negotiated; with
    /// permessage-deflate, RSV1 only on the first frame of a data message
    /// (RFC 7692 6.1).
    #[error("reserved bits set")]
    ReservedBits,
    /// 5.2: opcodes 3-7 and 0xB-0xF are reserved.
    #[error("reserved opcode {0}")]
    ReservedOpcode(u8),
    /// 5.1, 5.3: every frame from a client is masked.
    #[error("unmasked client frame")]
    Unmasked,
    /// 5.5: control frames must not be fragmented.
    #[error("fragmented control frame")]
    FragmentedControl,
    /// 5.5: control frames carry at most 125 bytes.
    #[error("control frame payload over 125 bytes")]
    ControlTooLong,
    /// 5.4: a continuation frame needs a fragmented message in progress.
    #[error("continuation frame without a message in progress")]
    UnexpectedContinuation,
    /// 5.4: fragments of one message must not be interleaved with another.
    #[error("new data frame inside a fragmented message")]
    InterleavedMessage,
    /// 5.2: the most significant bit of a 64-bit length must be 0.
    #[error("64-bit payload length with the most significant bit set")]
    LengthOverflow,
    /// 7.4.1 (1009): the message is above the reader's limit.
    #[error("message too big")]
    MessageTooBig,
    /// RFC 7692 (1007, as Node's `ws`): a compressed message is not valid
    /// DEFLATE data. The framing is sound; the message's data is not.
    #[error("invalid compressed data")]
    InvalidDeflate,
    /// 8.1 (1007): a text message is not valid UTF-8.
    #[error("invalid UTF-8 in text message")]
    InvalidUtf8,
    /// 5.5.1: a close body is empty or starts with a 2-byte code.
    #[error("close frame payload of 1 byte")]
    CloseTooShort,
    /// 7.4.1, 7.4.2: a code that must not be sent in a close frame.
    #[error("invalid close code {0}")]
    InvalidCloseCode(u16),
    /// 5.5.1 (1007): the close reason is not UTF-8.
    #[error("invalid UTF-8 in close reason")]
    InvalidCloseReason,
}

impl WsError {
    /// The close code to send the client (7.4.1): 1007 for invalid UTF-8 or
    /// compressed data, 1009 for a message too big (inflated or not), 1002
    /// for the protocol errors.
    pub fn code(&self) -> u16 {
        match self {
            WsError::InvalidUtf8 | WsError::InvalidCloseReason | WsError::InvalidDeflate => 1007,
            WsError::MessageTooBig => 1009,
            _ => 1002,
        }
    }
}

/// Whether a peer may send `code` in a close frame (7.4.1, 7.4.2): 1000-1003,
/// 1007-1014 (1012-1014 registered with IANA since), 3000-4999. 1004 is
/// reserved; 1005, 1006 and 1015 are for local use only; 1016-2999 are
/// reserved for the protocol; 0-999 are unused.
pub fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Checks a close frame's payload (5.5.1): empty, or a valid code followed
/// by a UTF-8 reason.
pub fn check_close_payload(payload: &[u8]) -> Result<(), WsError> {
    match payload {
        [] => Ok(()),
        [_] => Err(WsError::CloseTooShort),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !is_valid_close_code(code) {
                return Err(WsError::InvalidCloseCode(code));
            }
            std::str::from_utf8(reason).map_err(|_| WsError::InvalidCloseReason)?;
            Ok(())
        }
    }
}

/// Why a server frame cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Only text, binary, close, ping and pong frames are sent whole.
    #[error("opcode must be 1, 2, 8, 9 or 10, not {0}")]
    Opcode(i64),
    /// 5.5: a control frame's payload is at most 125 bytes.
    #[error("control frame payload of {0} bytes: at most 125")]
    ControlTooLong(usize),
    /// 7.4.1: the code is not one an endpoint may send.
    #[error("invalid close code {0}")]
    CloseCode(i64),
}

/// The header of an unmasked server frame with FIN set carrying `len` bytes
/// (5.2): its bytes and how many of them are used (2, 4 or 10). The shortest
/// length encoding is used.
pub fn frame_header(
    opcode: i64,
    len: usize,
) -> Result<([u8; MAX_SERVER_HEADER], usize), FrameError> {
    let op = match opcode {
        1 | 2 | 8 | 9 | 10 => opcode as u8,
        _ => return Err(FrameError::Opcode(opcode)),
    };
    if op >= OP_CLOSE && len > MAX_CONTROL_PAYLOAD {
        return Err(FrameError::ControlTooLong(len));
    }
    let mut head = [0u8; MAX_SERVER_HEADER];
    head[0] = 0x80 | op;
    let used = if len <= 125 {
        head[1] = len as u8;
        2
    } else if let Ok(short) = u16::try_from(len) {
        head[1] = 126;
        let [a, b] = short.to_be_bytes();
        head[2] = a;
        head[3] = b;
        4
    } else {
        head[1] = 127;
        let [a, b, c, d, e, f, g, h] = (len as u64).to_be_bytes();
        head[2..10].copy_from_slice(&[a, b, c, d, e, f, g, h]);
        10
    };
    Ok((head, used))
}

/// The header of a compressed data frame (RFC 7692 6): as [`frame_header`],
/// with RSV1 set. Only text (1) and binary (2) messages are compressed.
pub fn deflated_frame_header(
    opcode: i64,
    len: usize,
) -> Result<([u8; MAX_SERVER_HEADER], usize), FrameError> {
    if opcode != i64::from(OP_TEXT) && opcode != i64::from(OP_BINARY) {
        return Err(FrameError::Opcode(opcode));
    }
    let (mut head, used) = frame_header(opcode, len)?;
    if let Some(b0) = head.first_mut() {
        *b0 |= RSV1;
    }
    Ok((head, used))
}

/// The longest close reason that fits a control frame after the code.
pub const MAX_CLOSE_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

/// The payload of a close frame (5.5.1): `code`, big-endian, then `reason`
/// cut to [`MAX_CLOSE_REASON`] bytes on a character boundary.
pub fn close_payload(code: i64, reason: &str) -> Result<Vec<u8>, FrameError> {
    let valid = u16::try_from(code).ok().filter(|c| is_valid_close_code(*c));
    let Some(code) = valid else {
        return Err(FrameError::CloseCode(code));
    };
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let reason = reason.get(..end).unwrap_or_default();
    let mut out = Vec::with_capacity(2 + reason.len());
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(reason.as_bytes());
    Ok(out)
}

/// The GUID of RFC 6455 4.2.2, appended to the client's key before hashing.
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (4.2.2 item 5.4):
/// base64(SHA-1(key + GUID)).
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key);
    sha.update(ACCEPT_GUID);
    base64_encode(&sha.digest().bytes())
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 4).
fn base64_encode(data: &[u8]) -> String {
    let digit = |v: u32| {
        BASE64
            .get((v & 63) as usize)
            .map_or('=', |&b| char::from(b))
    };
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let (a, b, c) = match *chunk {
            [a, b, c] => (a, b, c),
            [a, b] => (a, b, 0),
            [a] => (a, 0, 0),
            _ => break,
        };
        let n = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c);
        out.push(digit(n >> 18));
        out.push(digit(n >> 12));
        out.push(if chunk.len() > 1 { digit(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { digit(n) } else { '=' });
    }
    out
}
