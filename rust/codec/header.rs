//! The packet header: `<type>[<attachments>-][<nsp>,][<id>]`, then the JSON.

use super::jsnum::{is_js_digit_like, is_js_space, js_number};
use super::PacketType;
use crate::error::Error;

/// The largest ack id accepted: 2^53, the end of the integers a JavaScript
/// peer holds exactly (ids are read as a JavaScript `Number`, so
/// `9007199254740993` arrives as 2^53, as in the reference).
pub const MAX_ACK_ID: u64 = 1 << 53;

/// A decoded header; `payload` is the JSON text after it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    pub packet_type: PacketType,
    /// The attachment count of BINARY_EVENT / BINARY_ACK, 0 otherwise.
    pub attachments: usize,
    pub nsp: &'a str,
    pub id: Option<u64>,
    pub payload: Option<&'a str>,
}

/// Reads a packet header the way socket.io-parser 4.2.7's `decodeString` does
/// (P9), including its quirks: `""` is a CONNECT to `/`, whitespace counts as
/// an ack-id digit, the namespace runs to the first comma.
pub fn decode_header(s: &str, max_attachments: usize) -> Result<Header<'_>, Error> {
    let mut chars = s.char_indices();
    let (packet_type, mut pos) = match chars.next() {
        None => (PacketType::Connect, 0),
        Some((_, c)) => {
            let t = if let Some(d) = c.to_digit(10) {
                PacketType::from_u8(d as u8)
                    .ok_or_else(|| Error::UnknownPacketType(d.to_string()))?
            } else if is_js_space(c) {
                PacketType::Connect
            } else {
                return Err(Error::UnknownPacketType("NaN".into()));
            };
            (t, c.len_utf8())
        }
    };
    let rest = s.get(pos..).unwrap_or("");

    let mut attachments = 0;
    if packet_type.is_binary() {
        let dash = rest.find('-').ok_or(Error::IllegalAttachments)?;
        let count = js_number(rest.get(..dash).unwrap_or(""));
        if count.is_nan() || count.fract() != 0.0 || count.is_infinite() || count < 1.0 {
            return Err(Error::IllegalAttachments);
        }
        if count > max_attachments as f64 {
            return Err(Error::TooManyAttachments);
        }
        attachments = count as usize;
        pos += dash + 1;
    }

    let rest = s.get(pos..).unwrap_or("");
    let nsp = if rest.starts_with('/') {
        match rest.find(',') {
            Some(comma) => {
                pos += comma + 1;
                rest.get(..comma).unwrap_or("")
            }
            None => {
                pos = s.len();
                rest
            }
        }
    } else {
        "/"
    };

    let rest = s.get(pos..).unwrap_or("");
    let id_len: usize = rest
        .chars()
        .take_while(|&c| is_js_digit_like(c))
        .map(char::len_utf8)
        .sum();
    let id = if id_len > 0 {
        let value = js_number(rest.get(..id_len).unwrap_or(""));
        if value.is_nan() {
            return Err(Error::InvalidAckId);
        }
        if value > MAX_ACK_ID as f64 {
            return Err(Error::AckIdOutOfRange);
        }
        pos += id_len;
        Some(value as u64)
    } else {
        None
    };

    let payload = s.get(pos..).filter(|p| !p.is_empty());
    Ok(Header {
        packet_type,
        attachments,
        nsp,
        id,
        payload,
    })
}

/// Encodes a packet: the header, then the JSON data written by `write_data`,
/// which returns how many binary attachments it replaced by placeholders.
/// With attachments, EVENT and ACK become BINARY_EVENT and BINARY_ACK (P2)
/// and the count is written after the type; other types refuse them. An
/// explicit binary type is written with the count found. The result is UTF-8.
pub fn encode_with<F>(
    packet_type: PacketType,
    nsp: &str,
    id: Option<u64>,
    write_data: F,
) -> Result<Vec<u8>, Error>
where
    F: FnOnce(&mut Vec<u8>) -> Result<usize, Error>,
{
    let mut out = Vec::with_capacity(64);
    encode_into(&mut out, packet_type, nsp, id, write_data)?;
    Ok(out)
}

/// [`encode_with`] into a caller's buffer (cleared first), so that a caller
/// encoding often allocates once.
pub fn encode_into<F>(
    out: &mut Vec<u8>,
    packet_type: PacketType,
    nsp: &str,
    id: Option<u64>,
    write_data: F,
) -> Result<(), Error>
where
    F: FnOnce(&mut Vec<u8>) -> Result<usize, Error>,
{
    out.clear();
    out.push(packet_type.digit());
    write_nsp_and_id(out, nsp, id)?;
    let attachments = write_data(out)?;
    let final_type = if attachments > 0 || packet_type.is_binary() {
        packet_type
            .with_binary()
            .ok_or(Error::BinaryNotSupported(packet_type))?
    } else {
        packet_type
    };
    if final_type.is_binary() {
        let mut count = itoa::Buffer::new().format(attachments).as_bytes().to_vec();
        count.push(b'-');
        out.splice(1..1, count);
        if let Some(first) = out.first_mut() {
            *first = final_type.digit();
        }
    }
    Ok(())
}

fn write_nsp_and_id(out: &mut Vec<u8>, nsp: &str, id: Option<u64>) -> Result<(), Error> {
    if !nsp.is_empty() && nsp != "/" {
        if nsp.contains(',') {
            return Err(Error::NamespaceWithComma);
        }
        out.extend_from_slice(nsp.as_bytes());
        out.push(b',');
    }
    if let Some(id) = id {
        if id > MAX_ACK_ID {
            return Err(Error::AckIdOutOfRange);
        }
        out.extend_from_slice(itoa::Buffer::new().format(id).as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Result<Header<'_>, Error> {
        decode_header(s, 10)
    }

    #[test]
    fn empty_string_is_a_connect_to_the_main_namespace() {
        let hd = h("").unwrap();
        assert_eq!(
            (hd.packet_type, hd.nsp, hd.id, hd.payload),
            (PacketType::Connect, "/", None, None)
        );
    }

    #[test]
    fn unknown_types_name_the_digit_or_nan() {
        assert_eq!(h("7"), Err(Error::UnknownPacketType("7".into())));
        assert_eq!(h("999"), Err(Error::UnknownPacketType("9".into())));
        assert_eq!(h("a"), Err(Error::UnknownPacketType("NaN".into())));
        assert_eq!(h("\u{1F600}"), Err(Error::UnknownPacketType("NaN".into())));
    }

    #[test]
    fn namespace_runs_to_the_first_comma_or_the_end() {
        assert_eq!(h("0/admin,").unwrap().nsp, "/admin");
        assert_eq!(h("0/admin").unwrap().nsp, "/admin");
        let hd = h("2/a,b,[\"x\"]").unwrap();
        assert_eq!((hd.nsp, hd.payload), ("/a", Some("b,[\"x\"]")));
        let hd = h("2/admin[\"x\"]").unwrap();
        assert_eq!((hd.nsp, hd.payload), ("/admin[\"x\"]", None));
    }

    #[test]
    fn ack_id_quirks_match_the_reference() {
        assert_eq!(h("2 [\"x\"]").unwrap().id, Some(0));
        assert_eq!(h("201[\"x\"]").unwrap().id, Some(1));
        assert_eq!(h("29007199254740993[\"x\"]").unwrap().id, Some(MAX_ACK_ID));
        assert_eq!(h("29007199254740995[\"x\"]"), Err(Error::AckIdOutOfRange));
        assert_eq!(h("21 2[\"x\"]"), Err(Error::InvalidAckId));
        let hd = h("2-1[\"x\"]").unwrap();
        assert_eq!((hd.id, hd.payload), (None, Some("-1[\"x\"]")));
    }

    #[test]
    fn attachment_counts() {
        assert_eq!(h("5"), Err(Error::IllegalAttachments));
        assert_eq!(h("51"), Err(Error::IllegalAttachments));
        assert_eq!(h("5a-"), Err(Error::IllegalAttachments));
        assert_eq!(h("51.23-"), Err(Error::IllegalAttachments));
        assert_eq!(h("5-1-[\"a\"]"), Err(Error::IllegalAttachments));
        assert_eq!(h("50-[\"a\"]"), Err(Error::IllegalAttachments));
        assert_eq!(h("511-[\"a\"]"), Err(Error::TooManyAttachments));
        let hd = h("610-/x,3[]").unwrap();
        assert_eq!(
            (hd.packet_type, hd.attachments, hd.nsp, hd.id, hd.payload),
            (PacketType::BinaryAck, 10, "/x", Some(3), Some("[]"))
        );
    }

    fn enc(
        t: PacketType,
        nsp: &str,
        id: Option<u64>,
        data: &str,
        attachments: usize,
    ) -> Result<Vec<u8>, Error> {
        encode_with(t, nsp, id, |out| {
            out.extend_from_slice(data.as_bytes());
            Ok(attachments)
        })
    }

    #[test]
    fn encoder_writes_the_header_of_p1() {
        assert_eq!(enc(PacketType::Connect, "/", None, "", 0).unwrap(), b"0");
        assert_eq!(
            enc(PacketType::Connect, "/admin", None, "", 0).unwrap(),
            b"0/admin,"
        );
        assert_eq!(
            enc(PacketType::Event, "/admin", Some(7), "[1]", 2).unwrap(),
            b"52-/admin,7[1]"
        );
        assert_eq!(
            enc(PacketType::Ack, "/", Some(15), "[1]", 1).unwrap(),
            b"61-15[1]"
        );
        assert_eq!(
            enc(PacketType::BinaryEvent, "/", None, "[\"x\"]", 0).unwrap(),
            b"50-[\"x\"]"
        );
    }

    #[test]
    fn encoder_refuses_what_cannot_be_decoded_back() {
        assert_eq!(
            enc(PacketType::Event, "/a,b", None, "", 0),
            Err(Error::NamespaceWithComma)
        );
        assert_eq!(
            enc(PacketType::Event, "/", Some(MAX_ACK_ID + 1), "", 0),
            Err(Error::AckIdOutOfRange)
        );
        assert_eq!(
            enc(PacketType::Connect, "/", None, "{}", 1),
            Err(Error::BinaryNotSupported(PacketType::Connect))
        );
    }

    #[test]
    fn encode_into_reuses_and_clears_the_buffer() {
        let mut out = b"left over from the last packet".to_vec();
        encode_into(&mut out, PacketType::Event, "/admin", Some(7), |out| {
            out.extend_from_slice(b"[\"m\",{\"_placeholder\":true,\"num\":0}]");
            Ok(1)
        })
        .unwrap();
        assert_eq!(
            out,
            b"51-/admin,7[\"m\",{\"_placeholder\":true,\"num\":0}]".to_vec()
        );
        encode_into(&mut out, PacketType::Connect, "/", None, |_| Ok(0)).unwrap();
        assert_eq!(out, b"0".to_vec());
    }
}
