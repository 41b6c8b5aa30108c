//! A plain Rust data model for payloads, used by `cargo test` and the fuzz
//! target to exercise the same parser, rules and decoder as the extension.

use super::{write_f64, write_i64, write_str, write_str_bytes, Builder, JsonStr};
use crate::codec::{self, Decoded, Host, Kind, PacketType, PayloadView, PlaceholderCheck};
use crate::error::Error;

/// A JSON value, plus binary data as an EVENT or ACK may carry.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer literal beyond `i64`.
    BigInt(String),
    Float(f64),
    Str(String),
    /// A string holding lone surrogates, as WTF-8.
    Wtf8(Vec<u8>),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    /// Keys in insertion order.
    Object(Vec<(String, Value)>),
}

impl PayloadView for &Value {
    fn kind(&self) -> Kind {
        match self {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Int(_) | Value::BigInt(_) | Value::Float(_) => Kind::Number,
            Value::Str(_) | Value::Wtf8(_) => Kind::String,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
            Value::Bytes(_) => Kind::Other,
        }
    }

    fn first(&self) -> Option<Self> {
        match self {
            Value::Array(items) => items.first(),
            _ => None,
        }
    }

    fn is_reserved_name(&self) -> bool {
        matches!(self, Value::Str(s) if codec::is_reserved_event(s))
    }
}

impl PayloadView for Value {
    fn kind(&self) -> Kind {
        (&self).kind()
    }

    fn first(&self) -> Option<Self> {
        (&self).first().cloned()
    }

    fn is_reserved_name(&self) -> bool {
        (&self).is_reserved_name()
    }
}

/// Builds [`Value`]s; never fails.
#[derive(Debug, Default, Clone, Copy)]
pub struct ValueBuilder;

impl Builder for ValueBuilder {
    type Value = Value;
    type Key = String;
    type Object = Vec<(String, Value)>;

    fn null(&mut self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn boolean(&mut self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }
    fn int(&mut self, v: i64) -> Result<Value, Error> {
        Ok(Value::Int(v))
    }
    fn big_int(&mut self, literal: &str) -> Result<Value, Error> {
        Ok(Value::BigInt(literal.to_owned()))
    }
    fn float(&mut self, v: f64) -> Result<Value, Error> {
        Ok(Value::Float(v))
    }
    fn string(&mut self, s: JsonStr<'_>) -> Result<Value, Error> {
        Ok(match s {
            JsonStr::Utf8(s) => Value::Str(s.to_owned()),
            JsonStr::Wtf8(b) => Value::Wtf8(b.to_vec()),
        })
    }
    fn array(&mut self, items: std::vec::Drain<'_, Value>) -> Result<Value, Error> {
        Ok(Value::Array(items.collect()))
    }
    fn object_new(&mut self) -> Result<Self::Object, Error> {
        Ok(Vec::new())
    }
    fn key(&mut self, s: JsonStr<'_>) -> Result<String, Error> {
        Ok(match s {
            JsonStr::Utf8(s) => s.to_owned(),
            JsonStr::Wtf8(b) => String::from_utf8_lossy(b).into_owned(),
        })
    }
    fn object_set(
        &mut self,
        object: &mut Self::Object,
        key: String,
        value: Value,
    ) -> Result<(), Error> {
        match object.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => object.push((key, value)),
        }
        Ok(())
    }
    fn object_finish(&mut self, object: Self::Object) -> Result<Value, Error> {
        Ok(Value::Object(object))
    }
}

/// The `Builder` items of a test builder that builds [`Value`]s exactly as
/// [`ValueBuilder`] does and differs elsewhere (a hook such as
/// `event_name`, or the `Host` side): `impl Builder for X { delegate_to_value_builder!(); }`.
#[cfg(test)]
macro_rules! delegate_to_value_builder {
    () => {
        type Value = $crate::json::Value;
        type Key = String;
        type Object = Vec<(String, $crate::json::Value)>;
        fn null(&mut self) -> Result<Self::Value, $crate::error::Error> {
            $crate::json::ValueBuilder.null()
        }
        fn boolean(&mut self, v: bool) -> Result<Self::Value, $crate::error::Error> {
            $crate::json::ValueBuilder.boolean(v)
        }
        fn int(&mut self, v: i64) -> Result<Self::Value, $crate::error::Error> {
            $crate::json::ValueBuilder.int(v)
        }
        fn big_int(&mut self, literal: &str) -> Result<Self::Value, $crate::error::Error> {
            $crate::json::ValueBuilder.big_int(literal)
        }
        fn float(&mut self, v: f64) -> Result<Self::Value, $crate::error::Error> {
            $crate::json::ValueBuilder.float(v)
        }
        fn string(
            &mut self,
            s: $crate::json::JsonStr<'_>,
        ) -> Result<Self::Value, $crate::error::Error> {
            $crate::json::ValueBuilder.string(s)
        }
        fn array(
            &mut self,
            items: std::vec::Drain<'_, Self::Value>,
        ) -> Result<Self::Value, $crate::error::Error> {
            $crate::json::ValueBuilder.array(items)
        }
        fn object_new(&mut self) -> Result<Self::Object, $crate::error::Error> {
            $crate::json::ValueBuilder.object_new()
        }
        fn key(&mut self, s: $crate::json::JsonStr<'_>) -> Result<String, $crate::error::Error> {
            $crate::json::ValueBuilder.key(s)
        }
        fn object_set(
            &mut self,
            object: &mut Self::Object,
            key: String,
            value: Self::Value,
        ) -> Result<(), $crate::error::Error> {
            $crate::json::ValueBuilder.object_set(object, key, value)
        }
        fn object_finish(
            &mut self,
            object: Self::Object,
        ) -> Result<Self::Value, $crate::error::Error> {
            $crate::json::ValueBuilder.object_finish(object)
        }
    };
}
#[cfg(test)]
pub(crate) use delegate_to_value_builder;

impl Host for ValueBuilder {
    type Buffer = Vec<u8>;

    fn check_payload(
        &self,
        protocol: codec::Protocol,
        packet_type: PacketType,
        value: &Value,
    ) -> Result<(), &'static str> {
        codec::payload_valid_in(protocol, packet_type, &value)
    }

    fn reconstruct(&mut self, value: Value, buffers: &[Vec<u8>]) -> Result<Value, Error> {
        match value {
            Value::Array(items) => items
                .into_iter()
                .map(|v| self.reconstruct(v, buffers))
                .collect::<Result<_, _>>()
                .map(Value::Array),
            Value::Object(entries) => {
                let flag = entries
                    .iter()
                    .any(|(k, v)| k == "_placeholder" && *v == Value::Bool(true));
                let num = entries
                    .iter()
                    .find(|(k, _)| k == "num")
                    .and_then(|(_, v)| match v {
                        Value::Int(i) => Some(*i as f64),
                        Value::Float(f) => Some(*f),
                        _ => None,
                    });
                match codec::placeholder_index(flag, num, buffers.len()) {
                    PlaceholderCheck::Index(n) => buffers
                        .get(n)
                        .map(|b| Value::Bytes(b.clone()))
                        .ok_or(Error::IllegalPlaceholder),
                    PlaceholderCheck::Illegal => Err(Error::IllegalPlaceholder),
                    PlaceholderCheck::NotPlaceholder => entries
                        .into_iter()
                        .map(|(k, v)| Ok((k, self.reconstruct(v, buffers)?)))
                        .collect::<Result<_, _>>()
                        .map(Value::Object),
                }
            }
            other => Ok(other),
        }
    }
}

/// Encodes a packet of [`Value`]s: the text frame, then the attachments.
pub fn encode_packet(packet: &Decoded<Value>) -> Result<(Vec<u8>, Vec<Vec<u8>>), Error> {
    let mut attachments = Vec::new();
    let text = codec::encode_with(
        packet.packet_type,
        &packet.nsp,
        packet.id,
        |out| match &packet.data {
            None => Ok(0),
            Some(data) => {
                write_value(out, data, &mut attachments, 0)?;
                Ok(attachments.len())
            }
        },
    )?;
    Ok((text, attachments))
}

const MAX_ENCODE_DEPTH: usize = 256;

fn write_value(
    out: &mut Vec<u8>,
    v: &Value,
    attachments: &mut Vec<Vec<u8>>,
    depth: usize,
) -> Result<(), Error> {
    if depth >= MAX_ENCODE_DEPTH && matches!(v, Value::Array(_) | Value::Object(_)) {
        return Err(Error::TooDeep(MAX_ENCODE_DEPTH));
    }
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(i) => write_i64(out, *i),
        Value::BigInt(s) => out.extend_from_slice(s.as_bytes()),
        Value::Float(f) => write_f64(out, *f),
        Value::Str(s) => write_str(out, s),
        Value::Wtf8(b) => write_str_bytes(out, b),
        Value::Bytes(b) => {
            out.extend_from_slice(b"{\"_placeholder\":true,\"num\":");
            write_i64(out, attachments.len() as i64);
            out.push(b'}');
            attachments.push(b.clone());
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, attachments, depth + 1)?;
            }
            out.push(b']');
        }
        Value::Object(entries) => {
            out.push(b'{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_value(out, item, attachments, depth + 1)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}
