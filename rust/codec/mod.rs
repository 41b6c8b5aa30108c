//! The Socket.IO v5 packet format (socketio-server-behaviour.md section 4).
//!
//! `<type>[<attachments>-][<nsp>,][<id>][<JSON>]`, one text frame per packet,
//! followed by one binary frame per attachment for BINARY_EVENT / BINARY_ACK.

mod decoder;
mod header;
mod jsnum;
mod validate;

pub use decoder::{Decoded, Decoder, DecoderOptions, Host, Step};
pub use header::{decode_header, encode_into, encode_with, Header, MAX_ACK_ID};
pub use validate::{
    data_valid, is_reserved_event, payload_valid, payload_valid_in, payload_valid_v4,
    placeholder_index, Kind, PayloadView, PlaceholderCheck, Protocol, RESERVED_EVENTS,
};

use std::fmt;

/// The seven packet types; defined here once and exported to Python.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    Connect = 0,
    Disconnect = 1,
    Event = 2,
    Ack = 3,
    ConnectError = 4,
    BinaryEvent = 5,
    BinaryAck = 6,
}

impl PacketType {
    /// Every type, in wire order.
    pub const ALL: [PacketType; 7] = [
        PacketType::Connect,
        PacketType::Disconnect,
        PacketType::Event,
        PacketType::Ack,
        PacketType::ConnectError,
        PacketType::BinaryEvent,
        PacketType::BinaryAck,
    ];

    /// The type for a wire digit, if it is one.
    pub fn from_u8(v: u8) -> Option<PacketType> {
        PacketType::ALL.get(usize::from(v)).copied()
    }

    /// The name used by the reference parser's `PacketType` enum.
    pub fn name(self) -> &'static str {
        match self {
            PacketType::Connect => "CONNECT",
            PacketType::Disconnect => "DISCONNECT",
            PacketType::Event => "EVENT",
            PacketType::Ack => "ACK",
            PacketType::ConnectError => "CONNECT_ERROR",
            PacketType::BinaryEvent => "BINARY_EVENT",
            PacketType::BinaryAck => "BINARY_ACK",
        }
    }

    /// BINARY_EVENT and BINARY_ACK carry an attachment count.
    pub fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }

    /// The binary form of EVENT and ACK (P2); `None` for types that cannot
    /// carry attachments. Binary types map to themselves.
    pub fn with_binary(self) -> Option<PacketType> {
        match self {
            PacketType::Event | PacketType::BinaryEvent => Some(PacketType::BinaryEvent),
            PacketType::Ack | PacketType::BinaryAck => Some(PacketType::BinaryAck),
            _ => None,
        }
    }

    /// The type a reconstructed binary packet is reported as (P6: 5 -> 2, 6 -> 3).
    pub fn without_binary(self) -> PacketType {
        match self {
            PacketType::BinaryEvent => PacketType::Event,
            PacketType::BinaryAck => PacketType::Ack,
            other => other,
        }
    }

    /// The ASCII digit written on the wire.
    pub fn digit(self) -> u8 {
        b'0' + self as u8
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_types_round_trip_through_their_digit() {
        for t in PacketType::ALL {
            assert_eq!(PacketType::from_u8(t.digit() - b'0'), Some(t));
        }
        assert_eq!(PacketType::from_u8(7), None);
    }

    #[test]
    fn binary_forms() {
        assert_eq!(
            PacketType::Event.with_binary(),
            Some(PacketType::BinaryEvent)
        );
        assert_eq!(PacketType::Ack.with_binary(), Some(PacketType::BinaryAck));
        assert_eq!(PacketType::Connect.with_binary(), None);
        assert_eq!(PacketType::BinaryAck.without_binary(), PacketType::Ack);
    }
}
