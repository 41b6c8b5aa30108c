//! The decoder state machine (P6, P7, P11): text frames give a packet at once
//! or start a binary packet that completes with its last attachment.
//!
//! It is generic over the values it builds, so the same code decodes into
//! Python objects (the extension) and into [`crate::json::Value`] (tests, fuzz).

use super::header::decode_header;
use super::{PacketType, Protocol};
use crate::error::Error;
use crate::json::{self, Builder, Limits, Scratch};
use std::borrow::Cow;

/// Decoder limits. Every one of them protects the server from one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderOptions {
    /// Attachments per binary packet (the reference's `maxAttachments`).
    pub max_attachments: usize,
    /// Nesting depth of the JSON payload.
    pub max_depth: usize,
    /// Characters of an integer literal, sign included (python-engineio's guard).
    pub max_int_digits: usize,
    /// Whose payload rules apply: protocol v5's, or v4's (socket.io-client 2.x).
    pub protocol: Protocol,
}

impl DecoderOptions {
    /// The deepest nesting the parser may be asked to follow: it recurses once
    /// per level, and this bound keeps that far from any thread's stack size.
    pub const DEPTH_CEILING: usize = 1000;
}

impl Default for DecoderOptions {
    fn default() -> Self {
        DecoderOptions {
            max_attachments: 10,
            max_depth: 256,
            max_int_digits: 100,
            protocol: Protocol::V5,
        }
    }
}

/// A decoded packet. Reconstructed binary packets are reported with the
/// EVENT / ACK type, as the reference does.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<V> {
    pub packet_type: PacketType,
    pub nsp: Cow<'static, str>,
    pub id: Option<u64>,
    pub data: Option<V>,
}

/// What a frame did: completed a packet, or left one waiting for `n` more
/// attachments.
#[derive(Debug, Clone, PartialEq)]
pub enum Step<P> {
    Complete(P),
    NeedsAttachments(usize),
}

/// What the decoder needs from whoever builds the values.
pub trait Host: Builder {
    /// A received binary attachment.
    type Buffer;
    /// Turns a payload's JSON text into a value. The default is this crate's
    /// parser, within `limits`; a host may parse it another way (the Python
    /// binding's `json=` option), and then answers for its own limits. The
    /// payload rule and reconstruction apply to the result either way.
    fn parse_payload(
        &mut self,
        text: &str,
        limits: &Limits,
        scratch: &mut Scratch<Self::Value>,
    ) -> Result<Self::Value, Error>
    where
        Self: Sized,
    {
        json::parse_with(text, self, limits, scratch)
    }
    /// The payload rule of `packet_type` in `protocol` (see [`super::payload_valid_in`]).
    fn check_payload(
        &self,
        protocol: Protocol,
        packet_type: PacketType,
        value: &Self::Value,
    ) -> Result<(), &'static str>;
    /// Replaces placeholders by attachments (see [`super::placeholder_index`]).
    fn reconstruct(
        &mut self,
        value: Self::Value,
        buffers: &[Self::Buffer],
    ) -> Result<Self::Value, Error>;
}

struct Pending<V, B> {
    packet: Decoded<V>,
    attachments: usize,
    buffers: Vec<B>,
}

/// A Socket.IO decoder for one connection.
pub struct Decoder<V, B> {
    options: DecoderOptions,
    pending: Option<Pending<V, B>>,
    scratch: Scratch<V>,
}

impl<V, B> Decoder<V, B> {
    pub fn new(options: DecoderOptions) -> Self {
        Decoder {
            options,
            pending: None,
            scratch: Scratch::default(),
        }
    }

    pub fn options(&self) -> DecoderOptions {
        self.options
    }

    /// Attachments still awaited by a pending binary packet (0 when idle).
    pub fn awaiting(&self) -> usize {
        self.pending
            .as_ref()
            .map_or(0, |p| p.attachments.saturating_sub(p.buffers.len()))
    }

    /// Drops a partial binary packet (the reference's `destroy()`, P11).
    pub fn reset(&mut self) {
        self.pending = None;
    }

    /// Decodes one text frame. On error the decoder is reset.
    pub fn add_text<H>(&mut self, host: &mut H, text: &str) -> Result<Step<Decoded<V>>, Error>
    where
        H: Host<Value = V, Buffer = B>,
    {
        if self.pending.take().is_some() {
            return Err(Error::PlaintextWhileReconstructing);
        }
        let header = decode_header(text, self.options.max_attachments)?;
        let data = match header.payload {
            None => None,
            Some(payload) => {
                let limits = Limits {
                    max_depth: self.options.max_depth,
                    max_int_digits: self.options.max_int_digits,
                };
                let value = host.parse_payload(payload, &limits, &mut self.scratch)?;
                host.check_payload(self.options.protocol, header.packet_type, &value)
                    .map_err(Error::InvalidPayload)?;
                Some(value)
            }
        };
        let nsp = match header.nsp {
            "/" => Cow::Borrowed("/"),
            other => Cow::Owned(other.to_owned()),
        };
        let packet = Decoded {
            packet_type: header.packet_type.without_binary(),
            nsp,
            id: header.id,
            data,
        };
        if header.packet_type.is_binary() {
            self.pending = Some(Pending {
                packet,
                attachments: header.attachments,
                buffers: Vec::with_capacity(header.attachments),
            });
            Ok(Step::NeedsAttachments(header.attachments))
        } else {
            Ok(Step::Complete(packet))
        }
    }

    /// Adds one binary attachment. On error the decoder is reset.
    pub fn add_binary<H>(&mut self, host: &mut H, buffer: B) -> Result<Step<Decoded<V>>, Error>
    where
        H: Host<Value = V, Buffer = B>,
    {
        let Some(mut pending) = self.pending.take() else {
            return Err(Error::BinaryWhileIdle);
        };
        pending.buffers.push(buffer);
        if pending.buffers.len() < pending.attachments {
            let left = pending.attachments - pending.buffers.len();
            self.pending = Some(pending);
            return Ok(Step::NeedsAttachments(left));
        }
        let mut packet = pending.packet;
        if let Some(data) = packet.data.take() {
            packet.data = Some(host.reconstruct(data, &pending.buffers)?);
        }
        Ok(Step::Complete(packet))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::delegate_to_value_builder;
    use crate::json::{Value, ValueBuilder};

    type D = Decoder<Value, Vec<u8>>;

    fn decoder() -> D {
        Decoder::new(DecoderOptions::default())
    }

    fn complete(step: Step<Decoded<Value>>) -> Decoded<Value> {
        match step {
            Step::Complete(p) => p,
            Step::NeedsAttachments(n) => panic!("still needs {n}"),
        }
    }

    #[test]
    fn text_packet_completes_at_once() {
        let mut d = decoder();
        let p = complete(
            d.add_text(&mut ValueBuilder, "2/admin,456[\"project:delete\",123]")
                .unwrap(),
        );
        assert_eq!(p.packet_type, PacketType::Event);
        assert_eq!(p.nsp, "/admin");
        assert_eq!(p.id, Some(456));
        assert_eq!(
            p.data,
            Some(Value::Array(vec![
                Value::Str("project:delete".into()),
                Value::Int(123)
            ]))
        );
    }

    #[test]
    fn binary_packet_completes_with_its_last_attachment() {
        let mut d = decoder();
        let text =
            r#"52-/admin,789["m",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]"#;
        assert_eq!(
            d.add_text(&mut ValueBuilder, text).unwrap(),
            Step::NeedsAttachments(2)
        );
        assert_eq!(
            d.add_binary(&mut ValueBuilder, vec![1]).unwrap(),
            Step::NeedsAttachments(1)
        );
        let p = complete(d.add_binary(&mut ValueBuilder, vec![2]).unwrap());
        assert_eq!(p.packet_type, PacketType::Event);
        assert_eq!(
            p.data,
            Some(Value::Array(vec![
                Value::Str("m".into()),
                Value::Bytes(vec![2]),
                Value::Bytes(vec![1])
            ]))
        );
        assert_eq!(d.awaiting(), 0);
    }

    #[test]
    fn errors_reset_the_decoder() {
        let mut d = decoder();
        d.add_text(
            &mut ValueBuilder,
            r#"51-["a",{"_placeholder":true,"num":0}]"#,
        )
        .unwrap();
        assert_eq!(
            d.add_text(&mut ValueBuilder, r#"2["b"]"#),
            Err(Error::PlaintextWhileReconstructing)
        );
        assert_eq!(d.awaiting(), 0);
        complete(d.add_text(&mut ValueBuilder, r#"2["b"]"#).unwrap());
        assert_eq!(
            d.add_binary(&mut ValueBuilder, vec![0]),
            Err(Error::BinaryWhileIdle)
        );
    }

    #[test]
    fn placeholder_out_of_range_is_illegal() {
        let mut d = decoder();
        d.add_text(
            &mut ValueBuilder,
            r#"51-["a",{"_placeholder":true,"num":1}]"#,
        )
        .unwrap();
        assert_eq!(
            d.add_binary(&mut ValueBuilder, vec![0]),
            Err(Error::IllegalPlaceholder)
        );
        assert_eq!(d.awaiting(), 0);
    }

    #[test]
    fn payload_rules_apply_to_binary_events() {
        let mut d = decoder();
        assert!(matches!(
            d.add_text(
                &mut ValueBuilder,
                r#"51-["connect",{"_placeholder":true,"num":0}]"#
            ),
            Err(Error::InvalidPayload(_))
        ));
    }

    /// A host with its own payload parser: here, one that takes a canned
    /// value for any text, as a Python `json.loads` might give anything.
    struct OwnParser {
        value: Value,
        calls: usize,
    }

    impl Builder for OwnParser {
        delegate_to_value_builder!();
    }

    impl Host for OwnParser {
        type Buffer = Vec<u8>;
        fn parse_payload(
            &mut self,
            _text: &str,
            _limits: &Limits,
            _scratch: &mut Scratch<Value>,
        ) -> Result<Value, Error> {
            self.calls += 1;
            Ok(self.value.clone())
        }
        fn check_payload(
            &self,
            protocol: Protocol,
            t: PacketType,
            value: &Value,
        ) -> Result<(), &'static str> {
            ValueBuilder.check_payload(protocol, t, value)
        }
        fn reconstruct(&mut self, value: Value, buffers: &[Vec<u8>]) -> Result<Value, Error> {
            ValueBuilder.reconstruct(value, buffers)
        }
    }

    fn placeholder(num: i64) -> Value {
        Value::Object(vec![
            ("_placeholder".into(), Value::Bool(true)),
            ("num".into(), Value::Int(num)),
        ])
    }

    #[test]
    fn a_host_may_parse_the_payload_itself() {
        let mut d = decoder();
        let mut host = OwnParser {
            value: Value::Array(vec![Value::Str("chat".into())]),
            calls: 0,
        };
        // Not JSON at all: only the host's parser sees the text.
        let p = complete(d.add_text(&mut host, "2/a,7<anything>").unwrap());
        assert_eq!(host.calls, 1);
        assert_eq!((p.nsp.as_ref(), p.id), ("/a", Some(7)));
        assert_eq!(p.data, Some(host.value.clone()));
        // No payload, no call.
        complete(d.add_text(&mut host, "0").unwrap());
        assert_eq!(host.calls, 1);
    }

    #[test]
    fn the_payload_rule_applies_to_a_host_parsed_value() {
        let mut d = decoder();
        for bad in [
            Value::Array(vec![Value::Str("connect".into())]),
            Value::Object(vec![]),
        ] {
            let mut host = OwnParser {
                value: bad,
                calls: 0,
            };
            assert!(matches!(
                d.add_text(&mut host, "2x"),
                Err(Error::InvalidPayload(_))
            ));
        }
    }

    #[test]
    fn reconstruction_applies_to_a_host_parsed_value() {
        let mut d = decoder();
        let mut host = OwnParser {
            value: Value::Array(vec![Value::Str("m".into()), placeholder(1), placeholder(0)]),
            calls: 0,
        };
        assert_eq!(
            d.add_text(&mut host, "52-x").unwrap(),
            Step::NeedsAttachments(2)
        );
        d.add_binary(&mut host, vec![1]).unwrap();
        let p = complete(d.add_binary(&mut host, vec![2]).unwrap());
        assert_eq!(
            p.data,
            Some(Value::Array(vec![
                Value::Str("m".into()),
                Value::Bytes(vec![2]),
                Value::Bytes(vec![1])
            ]))
        );
    }
}
