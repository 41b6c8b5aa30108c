//! Unit tests of permessage-deflate; section numbers are RFC 7692's.

use super::*;

const MASK: [u8; 4] = [0x12, 0x34, 0x56, 0x78];

/// A masked client frame with a short or 16-bit length.
fn frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![b0];
    if payload.len() <= 125 {
        out.push(0x80 | payload.len() as u8);
    } else {
        out.push(0x80 | 126);
        out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    out.extend_from_slice(&MASK);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], MASK, 0);
    out
}

fn compressed(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Deflater::new(6)
        .unwrap()
        .compress(payload, &mut out)
        .unwrap();
    out
}

/// Texts and binaries a reader emits, owned; control frames as their opcode.
fn read(reader: &mut Reader, input: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, WsError> {
    let mut got = Vec::new();
    reader.feed(input, |m| {
        let payload = match m {
            Message::Text(s) => s.as_bytes().to_vec(),
            Message::Binary(b) | Message::Close(b) | Message::Ping(b) | Message::Pong(b) => {
                b.to_vec()
            }
        };
        got.push((m.opcode(), payload));
    })?;
    Ok(got)
}

#[test]
fn the_hello_examples_of_7_2_3_1_and_7_2_3_2() {
    let mut reader = Reader::with_deflate(1000, false);
    // "Hello" compressed, then again with the first message's window (context takeover).
    let first = frame(0xC1, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    let second = frame(0xC1, &[0xf2, 0x00, 0x11, 0x00, 0x00]);
    let got = read(&mut reader, &[first, second].concat()).unwrap();
    assert_eq!(
        got,
        [(OP_TEXT, b"Hello".to_vec()), (OP_TEXT, b"Hello".to_vec())]
    );
}

#[test]
fn a_stored_block_7_2_3_3_and_an_empty_message_7_2_3_6() {
    let mut reader = Reader::with_deflate(1000, false);
    let stored = frame(
        0xC1,
        &[
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ],
    );
    let empty = frame(0xC2, &[0x00]);
    let got = read(&mut reader, &[stored, empty].concat()).unwrap();
    assert_eq!(got, [(OP_TEXT, b"Hello".to_vec()), (OP_BINARY, vec![])]);
}

#[test]
fn what_the_deflater_sends_inflates_back_fragmented_or_not() {
    let text = "héllo wörld ".repeat(200);
    let payload = compressed(text.as_bytes());
    assert!(payload.len() < text.len() / 10, "{}", payload.len());
    assert!(
        !payload.ends_with(&deflate::SYNC_TAIL),
        "7.2.1: the tail is removed"
    );
    let (a, b) = payload.split_at(payload.len() / 2);
    // 6.1: RSV1 on the first frame only, the continuation without it.
    let input = [frame(0x41, a), frame(0x09 | 0x80, b"p"), frame(0x80, b)].concat();
    for cut in [0, 1, 7, input.len() / 2, input.len() - 1] {
        let mut reader = Reader::with_deflate(10_000, false);
        let mut got = read(&mut reader, &input[..cut]).unwrap();
        got.extend(read(&mut reader, &input[cut..]).unwrap());
        assert_eq!(
            got,
            [
                (OP_PING, b"p".to_vec()),
                (OP_TEXT, text.as_bytes().to_vec())
            ]
        );
    }
}

#[test]
fn uncompressed_messages_still_pass_on_a_deflate_connection() {
    let mut reader = Reader::with_deflate(100, false);
    let got = read(&mut reader, &frame(0x82, b"raw")).unwrap();
    assert_eq!(got, [(OP_BINARY, b"raw".to_vec())]);
}

#[test]
fn the_deflater_resets_between_messages_and_sends_0x00_for_empty() {
    let mut deflater = Deflater::new(6).unwrap();
    let (mut one, mut two) = (Vec::new(), Vec::new());
    deflater.compress(b"same same same", &mut one).unwrap();
    deflater.compress(b"same same same", &mut two).unwrap();
    assert_eq!(one, two, "no context takeover: identical output");
    let mut empty = Vec::new();
    deflater.compress(b"", &mut empty).unwrap();
    assert_eq!(empty, [0x00]);
    assert_eq!(Deflater::new(10).unwrap_err(), DeflateError::Level(10));
}

#[test]
fn a_bomb_stops_at_the_limit_with_1009() {
    let bomb = compressed(&vec![0u8; 4 << 20]);
    assert!(bomb.len() < 8 * 1024, "{}", bomb.len());
    let mut inflater = Inflater::new(false);
    let mut out = Vec::new();
    let mut input = bomb.clone();
    input.extend_from_slice(&deflate::SYNC_TAIL);
    let err = inflater.inflate(&input, 64 * 1024, &mut out).unwrap_err();
    assert_eq!((err, err.code()), (WsError::MessageTooBig, 1009));
    assert!(out.capacity() <= 64 * 1024 + 1, "{}", out.capacity());

    let mut reader = Reader::with_deflate(64 * 1024, false);
    let err = read(&mut reader, &frame(0xC2, &bomb)).unwrap_err();
    assert_eq!(err, WsError::MessageTooBig);
    assert_eq!(reader.buffered(), 0, "released");
}

#[test]
fn exactly_the_limit_inflates() {
    let payload = vec![7u8; 50_000];
    let mut reader = Reader::with_deflate(50_000, false);
    let got = read(&mut reader, &frame(0xC2, &compressed(&payload))).unwrap();
    assert_eq!(got, [(OP_BINARY, payload)]);
    let mut reader = Reader::with_deflate(49_999, false);
    let err = read(&mut reader, &frame(0xC2, &compressed(&[7u8; 50_000]))).unwrap_err();
    assert_eq!(err, WsError::MessageTooBig);
}

#[test]
fn invalid_compressed_data_is_1007() {
    let mut reader = Reader::with_deflate(1000, false);
    // BTYPE 11 is reserved (RFC 1951 3.2.3).
    let err = read(&mut reader, &frame(0xC1, &[0xff, 0xff, 0xff])).unwrap_err();
    assert_eq!((err, err.code()), (WsError::InvalidDeflate, 1007));
}

#[test]
fn compressed_text_is_checked_as_utf8_once_inflated() {
    let mut reader = Reader::with_deflate(1000, false);
    let err = read(&mut reader, &frame(0xC1, &compressed(b"bad \xff"))).unwrap_err();
    assert_eq!((err, err.code()), (WsError::InvalidUtf8, 1007));
}

#[test]
fn rsv1_is_a_protocol_error_where_7692_does_not_allow_it() {
    let cases: [(&str, bool, Vec<u8>); 5] = [
        ("not negotiated", false, frame(0xC1, &[0x00])),
        (
            "on a continuation (6.1)",
            true,
            [frame(0x01, b"a"), frame(0xC0, b"b")].concat(),
        ),
        ("on a ping", true, frame(0xC9, b"")),
        ("on a close", true, frame(0xC8, b"")),
        ("RSV2", true, frame(0xA1, b"x")),
    ];
    for (case, deflate, input) in cases {
        let mut reader = if deflate {
            Reader::with_deflate(1000, false)
        } else {
            Reader::new(1000)
        };
        let err = read(&mut reader, &input).unwrap_err();
        assert_eq!((err, err.code()), (WsError::ReservedBits, 1002), "{case}");
    }
}

#[test]
fn client_no_context_takeover_resets_the_window() {
    // The second "Hello" of 7.2.3.2 refers to the first one's window: without
    // context takeover the inflater has forgotten it.
    let mut reader = Reader::with_deflate(1000, true);
    let first = frame(0xC1, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    let second = frame(0xC1, &[0xf2, 0x00, 0x11, 0x00, 0x00]);
    read(&mut reader, &first).unwrap();
    // (miniz_oxide reads a reset window as zeros rather than failing.)
    let got = read(&mut reader, &second);
    assert_ne!(got, Ok(vec![(OP_TEXT, b"Hello".to_vec())]));
}

#[test]
fn compressed_frame_headers_set_rsv1() {
    let (head, used) = deflated_frame_header(1, 5).unwrap();
    assert_eq!(&head[..used], [0xC1, 5]);
    assert_eq!(
        deflated_frame_header(8, 2).unwrap_err(),
        FrameError::Opcode(8)
    );
}

#[test]
fn random_compressed_payloads_end_in_a_message_or_a_close_code() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let valid = compressed("ab".repeat(300).as_bytes());
    for round in 0..2000 {
        // Random bytes, or a valid payload with a few bytes flipped or cut short.
        let mut payload: Vec<u8> = if round % 2 == 0 {
            (0..next() % 200).map(|_| next() as u8).collect()
        } else {
            let mut p = valid.clone();
            for _ in 0..1 + next() % 3 {
                let at = (next() as usize) % p.len();
                p[at] ^= 1 << (next() % 8);
            }
            p
        };
        if round % 7 == 0 {
            payload.truncate((next() as usize) % (payload.len() + 1));
        }
        let mut reader = Reader::with_deflate(500, round % 3 == 0);
        match read(&mut reader, &frame(0xC2, &payload)) {
            Ok(got) => assert!(got.iter().all(|(_, m)| m.len() <= 500)),
            Err(err) => assert!(
                matches!(err, WsError::InvalidDeflate | WsError::MessageTooBig),
                "{err:?}"
            ),
        }
    }
}
