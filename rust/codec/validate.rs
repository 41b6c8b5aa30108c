//! Payload rules per packet type (the reference's `isPayloadValid` and
//! `isPacketValid`, P9 and P15) and the placeholder test of binary
//! reconstruction (P7), written once over a [`PayloadView`] so that the same
//! rules apply to Python objects and to the plain [`crate::json::Value`].

use super::PacketType;

/// Event names the reference parser refuses (P13).
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Whether `name` is one of [`RESERVED_EVENTS`].
pub fn is_reserved_event(name: &str) -> bool {
    RESERVED_EVENTS.contains(&name)
}

/// The JSON kind of a value, as JavaScript's `typeof` / `Array.isArray` see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
    /// Binary data (after reconstruction) or anything else.
    Other,
}

/// Read access to a payload value, enough for the payload rules.
pub trait PayloadView: Sized {
    fn kind(&self) -> Kind;
    /// The first element of an array.
    fn first(&self) -> Option<Self>;
    /// For a string: whether it is a reserved event name.
    fn is_reserved_name(&self) -> bool;
}

/// The reference decoder's rule for a payload that is present (P9 step 5).
pub fn payload_valid<V: PayloadView>(
    packet_type: PacketType,
    payload: &V,
) -> Result<(), &'static str> {
    match packet_type {
        PacketType::Connect => match payload.kind() {
            Kind::Object => Ok(()),
            _ => Err("CONNECT payload must be an object"),
        },
        PacketType::Disconnect => Err("DISCONNECT packets carry no payload"),
        PacketType::ConnectError => match payload.kind() {
            Kind::String | Kind::Object => Ok(()),
            _ => Err("CONNECT_ERROR payload must be a string or an object"),
        },
        PacketType::Event | PacketType::BinaryEvent => event_valid(payload),
        PacketType::Ack | PacketType::BinaryAck => match payload.kind() {
            Kind::Array => Ok(()),
            _ => Err("ACK payload must be an array"),
        },
    }
}

fn event_valid<V: PayloadView>(payload: &V) -> Result<(), &'static str> {
    if payload.kind() != Kind::Array {
        return Err("EVENT payload must be an array");
    }
    match payload.first() {
        Some(name) => match name.kind() {
            Kind::Number => Ok(()),
            Kind::String if name.is_reserved_name() => Err("reserved event name"),
            Kind::String => Ok(()),
            _ => Err("event name must be a string or a number"),
        },
        None => Err("EVENT payload must start with an event name"),
    }
}

/// The reference's `isDataValid` (P15): `data` is `None` when absent.
/// Types 5 and 6 are never valid packet objects.
/// The Socket.IO protocol revision a decoder follows: 5 (socket.io-parser 4.x, the
/// default) or 4 (socket.io-parser 3.x, spoken by socket.io-client 2.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    V4,
    #[default]
    V5,
}

/// The payload rule of `packet_type` in `protocol`.
pub fn payload_valid_in<V: PayloadView>(
    protocol: Protocol,
    packet_type: PacketType,
    payload: &V,
) -> Result<(), &'static str> {
    match protocol {
        Protocol::V5 => payload_valid(packet_type, payload),
        Protocol::V4 => payload_valid_v4(packet_type, payload),
    }
}

/// socket.io-parser 3.x's `isPayloadValid`: `typeof payload === "object"` (so `null` and
/// arrays too) for CONNECT and ERROR, and any string or number as an event name, reserved
/// names included.
pub fn payload_valid_v4<V: PayloadView>(
    packet_type: PacketType,
    payload: &V,
) -> Result<(), &'static str> {
    let kind = payload.kind();
    let object_like = matches!(kind, Kind::Object | Kind::Array | Kind::Null);
    match packet_type {
        PacketType::Connect if object_like => Ok(()),
        PacketType::Connect => Err("CONNECT payload must be an object"),
        PacketType::Disconnect => Err("DISCONNECT packets carry no payload"),
        PacketType::ConnectError if object_like || kind == Kind::String => Ok(()),
        PacketType::ConnectError => Err("ERROR payload must be a string or an object"),
        PacketType::Event | PacketType::BinaryEvent => {
            if kind != Kind::Array {
                return Err("EVENT payload must be an array");
            }
            match payload.first().map(|name| name.kind()) {
                Some(Kind::String | Kind::Number) => Ok(()),
                Some(_) => Err("event name must be a string or a number"),
                None => Err("EVENT payload must start with an event name"),
            }
        }
        PacketType::Ack | PacketType::BinaryAck if kind == Kind::Array => Ok(()),
        PacketType::Ack | PacketType::BinaryAck => Err("ACK payload must be an array"),
    }
}

pub fn data_valid<V: PayloadView>(packet_type: PacketType, data: Option<&V>) -> bool {
    match (packet_type, data) {
        (PacketType::BinaryEvent | PacketType::BinaryAck, _) => false,
        (PacketType::Connect | PacketType::Disconnect, None) => true,
        (_, None) => false,
        (t, Some(d)) => payload_valid(t, d).is_ok(),
    }
}

/// What a value means during binary reconstruction (P7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceholderCheck {
    /// Not a placeholder: recurse into it.
    NotPlaceholder,
    /// A valid placeholder for attachment `n`.
    Index(usize),
    /// `_placeholder` is `true` but `num` is not an attachment index.
    Illegal,
}

/// Decides what an object is, given its `_placeholder` value (`Some(true)`
/// only when it is the JSON `true`) and its `num` read as a number.
/// A `num` that is not an integer within `[0, attachments)` is illegal.
pub fn placeholder_index(
    is_placeholder: bool,
    num: Option<f64>,
    attachments: usize,
) -> PlaceholderCheck {
    if !is_placeholder {
        return PlaceholderCheck::NotPlaceholder;
    }
    match num {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n < attachments as f64 => {
            PlaceholderCheck::Index(n as usize)
        }
        _ => PlaceholderCheck::Illegal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Value;

    fn arr(items: Vec<Value>) -> Value {
        Value::Array(items)
    }

    #[test]
    fn protocol_v4_payloads_follow_parser_3() {
        let v4 = |t, v: &Value| payload_valid_in(Protocol::V4, t, v);
        assert!(v4(PacketType::Connect, &Value::Null).is_ok());
        assert!(v4(PacketType::Connect, &arr(vec![])).is_ok());
        assert!(payload_valid(PacketType::Connect, &Value::Null).is_err());
        assert!(v4(PacketType::ConnectError, &Value::Null).is_ok());
        assert!(v4(PacketType::ConnectError, &Value::Bool(true)).is_err());
        let reserved = arr(vec![Value::Str("connect".into())]);
        assert!(v4(PacketType::Event, &reserved).is_ok());
        assert!(payload_valid(PacketType::Event, &reserved).is_err());
        assert!(v4(PacketType::Event, &arr(vec![])).is_err());
        assert!(v4(PacketType::Event, &arr(vec![Value::Null])).is_err());
        assert!(v4(PacketType::Ack, &Value::Null).is_err());
        assert!(v4(PacketType::Disconnect, &Value::Null).is_err());
    }

    #[test]
    fn event_names() {
        let ok = arr(vec![Value::Str("chat".into())]);
        assert!(payload_valid(PacketType::Event, &ok).is_ok());
        let numeric = arr(vec![Value::Float(1.5)]);
        assert!(payload_valid(PacketType::Event, &numeric).is_ok());
        for bad in [
            arr(vec![]),
            arr(vec![Value::Str("connect".into())]),
            arr(vec![Value::Bool(true)]),
            arr(vec![Value::Null]),
            Value::Object(vec![]),
        ] {
            assert!(payload_valid(PacketType::Event, &bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn data_validity_follows_p15() {
        assert!(data_valid::<Value>(PacketType::Connect, None));
        assert!(!data_valid(PacketType::Connect, Some(&arr(vec![]))));
        assert!(!data_valid::<Value>(PacketType::Event, None));
        assert!(!data_valid(
            PacketType::BinaryEvent,
            Some(&arr(vec![Value::Str("x".into())]))
        ));
        assert!(data_valid(
            PacketType::ConnectError,
            Some(&Value::Str("no".into()))
        ));
    }

    #[test]
    fn placeholders() {
        assert_eq!(
            placeholder_index(false, Some(0.0), 1),
            PlaceholderCheck::NotPlaceholder
        );
        assert_eq!(
            placeholder_index(true, Some(0.0), 1),
            PlaceholderCheck::Index(0)
        );
        assert_eq!(
            placeholder_index(true, Some(1.0), 1),
            PlaceholderCheck::Illegal
        );
        assert_eq!(
            placeholder_index(true, Some(0.5), 2),
            PlaceholderCheck::Illegal
        );
        assert_eq!(placeholder_index(true, None, 2), PlaceholderCheck::Illegal);
    }
}
