//! The one error type of the native core. The Python bindings map every
//! variant to `socketio_rs.exceptions.PacketError` (a `ValueError`), except
//! [`Error::Host`], which carries an exception the host (Python) already raised.
//!
//! Messages start with the reference parser's exact text where it has one
//! (socketio-server-behaviour.md, table after P15); a detail may follow ": ".

use crate::codec::PacketType;
use std::fmt;

/// Why a packet could not be decoded or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// P9: the first character is not a packet type (`<n>` may be `NaN`).
    #[error("unknown packet type {0}")]
    UnknownPacketType(String),
    /// P9: the attachment count is missing, not numeric, not an integer or < 1.
    #[error("Illegal attachments")]
    IllegalAttachments,
    /// P9: the attachment count is above the decoder's `max_attachments`.
    #[error("too many attachments")]
    TooManyAttachments,
    /// P9, P13: the payload breaks the rule of its packet type.
    #[error("invalid payload: {0}")]
    InvalidPayload(&'static str),
    /// P9: the payload is not valid JSON, or breaks a JSON limit.
    #[error("invalid payload: {0}")]
    InvalidJson(JsonError),
    /// P9: the host's own JSON parser (a Python `json=` module) refused the
    /// payload; its message follows. The binding layer chains the host's
    /// exception as the cause.
    #[error("invalid payload: {0}")]
    HostJson(String),
    /// P7: a placeholder whose `num` does not index a received attachment.
    #[error("illegal attachments")]
    IllegalPlaceholder,
    /// P6: a text frame arrived while attachments were awaited.
    #[error("got plaintext data when reconstructing a packet")]
    PlaintextWhileReconstructing,
    /// P7: a binary frame arrived with no binary packet pending.
    #[error("got binary data when not reconstructing a packet")]
    BinaryWhileIdle,
    /// P8: a frame that is neither text nor binary.
    #[error("Unknown type: {0}")]
    UnknownFrame(String),
    /// The ack id position holds digits and spaces that are not one number
    /// (the reference would produce `NaN`).
    #[error("invalid ack id")]
    InvalidAckId,
    /// An ack id above 2^53, the largest integer a JavaScript peer holds exactly.
    #[error("ack id out of range: above 2**53")]
    AckIdOutOfRange,
    /// A namespace with a comma cannot be decoded back (the comma ends it).
    #[error("invalid namespace: must not contain a comma")]
    NamespaceWithComma,
    /// Only EVENT and ACK packets may carry binary attachments (P2).
    #[error("{0} packets do not support binary payload")]
    BinaryNotSupported(PacketType),
    /// Data nested deeper than the encoder's limit, or circular.
    #[error("data nested deeper than {0} levels (or circular)")]
    TooDeep(usize),
    /// Text frames must be valid UTF-8 (the wire always is).
    #[error("text frame is not valid UTF-8 (it contains a lone surrogate)")]
    TextNotUtf8,
    /// The host raised its own exception while building a value; the binding
    /// layer keeps that exception and re-raises it.
    #[error("host error")]
    Host,
}

/// A JSON syntax error or limit, with the byte offset in the payload text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    pub kind: JsonErrorKind,
    pub offset: usize,
}

/// What went wrong in a JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    ExpectedValue,
    UnexpectedEnd,
    TrailingCharacters,
    ExpectedCommaOrEnd,
    ExpectedColon,
    ExpectedKey,
    ControlCharacter,
    InvalidEscape,
    InvalidNumber,
    IntegerTooLong(usize),
    TooDeep(usize),
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use JsonErrorKind::*;
        match self.kind {
            ExpectedValue => write!(f, "expected a JSON value")?,
            UnexpectedEnd => write!(f, "unexpected end of JSON")?,
            TrailingCharacters => write!(f, "unexpected text after the JSON value")?,
            ExpectedCommaOrEnd => write!(f, "expected ',' or a closing bracket")?,
            ExpectedColon => write!(f, "expected ':'")?,
            ExpectedKey => write!(f, "expected a string key")?,
            ControlCharacter => write!(f, "control character in a string")?,
            InvalidEscape => write!(f, "invalid escape in a string")?,
            InvalidNumber => write!(f, "invalid number")?,
            IntegerTooLong(n) => write!(f, "integer literal longer than {n} digits")?,
            TooDeep(n) => write!(f, "JSON nested deeper than {n} levels")?,
        }
        write!(f, " at offset {}", self.offset)
    }
}

impl JsonError {
    pub(crate) fn new(kind: JsonErrorKind, offset: usize) -> Self {
        JsonError { kind, offset }
    }
}

impl From<JsonError> for Error {
    fn from(e: JsonError) -> Self {
        Error::InvalidJson(e)
    }
}
