//! Unit tests of the frame codec; section numbers are RFC 6455's.

use super::*;

const MASK: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

/// A masked client frame: `b0` (FIN, RSV, opcode), the shortest length.
fn frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![b0];
    let len = payload.len();
    if len <= 125 {
        out.push(0x80 | len as u8);
    } else if len <= 0xFFFF {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    masked(out, payload)
}

fn masked(mut head: Vec<u8>, payload: &[u8]) -> Vec<u8> {
    head.extend_from_slice(&MASK);
    let start = head.len();
    head.extend_from_slice(payload);
    apply_mask(&mut head[start..], MASK, 0);
    head
}

fn text(s: &str) -> Vec<u8> {
    frame(0x81, s.as_bytes())
}

/// What a reader emits, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    Text(String),
    Binary(Vec<u8>),
    Close(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

fn own(m: Message<'_>) -> Got {
    match m {
        Message::Text(s) => Got::Text(s.to_owned()),
        Message::Binary(b) => Got::Binary(b.to_vec()),
        Message::Close(b) => Got::Close(b.to_vec()),
        Message::Ping(b) => Got::Ping(b.to_vec()),
        Message::Pong(b) => Got::Pong(b.to_vec()),
    }
}

fn feed(reader: &mut Reader, input: &[u8]) -> Result<Vec<Got>, WsError> {
    let mut got = Vec::new();
    reader.feed(input, |m| got.push(own(m)))?;
    Ok(got)
}

fn read_all(input: &[u8]) -> Result<Vec<Got>, WsError> {
    feed(&mut Reader::new(1 << 20), input)
}

/// Feeds `input` cut at every point in `cuts` (sorted), collecting the output.
fn read_cut(input: &[u8], cuts: &[usize]) -> Result<Vec<Got>, WsError> {
    let mut reader = Reader::new(1 << 20);
    let mut got = Vec::new();
    let mut at = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        got.extend(feed(&mut reader, &input[at..cut])?);
        at = cut;
    }
    Ok(got)
}

fn code_of(input: &[u8]) -> u16 {
    read_all(input).unwrap_err().code()
}

#[test]
fn a_single_masked_text_frame_5_7() {
    // 5.7: "A single-frame masked text message" ("Hello").
    let input = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(read_all(&input).unwrap(), [Got::Text("Hello".into())]);
}

#[test]
fn binary_and_empty_messages() {
    let mut input = frame(0x82, &[0, 1, 2, 255]);
    input.extend(text(""));
    input.extend(frame(0x82, b""));
    assert_eq!(
        read_all(&input).unwrap(),
        [
            Got::Binary(vec![0, 1, 2, 255]),
            Got::Text(String::new()),
            Got::Binary(vec![])
        ]
    );
}

#[test]
fn sixteen_and_sixty_four_bit_lengths_5_2() {
    for len in [125, 126, 127, 200, 0xFFFF, 0x10000, 70_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        assert_eq!(
            read_all(&frame(0x82, &payload)).unwrap(),
            [Got::Binary(payload)],
            "{len}"
        );
    }
}

#[test]
fn longer_length_encodings_than_needed_are_accepted_5_2() {
    let mut head16 = vec![0x81, 0x80 | 126];
    head16.extend_from_slice(&5u16.to_be_bytes());
    let mut head64 = vec![0x89, 0x80 | 127];
    head64.extend_from_slice(&5u64.to_be_bytes());
    let mut input = masked(head16, b"hello");
    input.extend(masked(head64, b"ping!"));
    assert_eq!(
        read_all(&input).unwrap(),
        [Got::Text("hello".into()), Got::Ping(b"ping!".to_vec())]
    );
}

#[test]
fn fragments_are_reassembled_with_control_frames_between_5_4() {
    let mut input = frame(0x01, "héllo ".as_bytes());
    input.extend(frame(0x89, b"p1"));
    input.extend(frame(0x00, "wörld".as_bytes()));
    input.extend(frame(0x8A, b""));
    input.extend(frame(0x80, "!".as_bytes()));
    input.extend(frame(0x02, &[1, 2]));
    input.extend(frame(0x00, &[]));
    input.extend(frame(0x80, &[3]));
    assert_eq!(
        read_all(&input).unwrap(),
        [
            Got::Ping(b"p1".to_vec()),
            Got::Pong(vec![]),
            Got::Text("héllo wörld!".into()),
            Got::Binary(vec![1, 2, 3]),
        ]
    );
}

/// A stream with every kind of item, fragments, and all three length sizes.
fn mixed_stream() -> Vec<u8> {
    let mut input = text("abc");
    input.extend(frame(0x01, "€uro ".as_bytes()));
    input.extend(frame(0x89, b"ping"));
    input.extend(frame(0x80, "and 𝄞".as_bytes()));
    input.extend(frame(0x82, &[7; 300]));
    input.extend(frame(0x8A, b"pong payload"));
    input.extend(frame(0x02, &[9; 70_000]));
    input.extend(frame(0x80, &[8; 3]));
    input.extend(frame(0x88, &[0x03, 0xE8, b'b', b'y', b'e']));
    input
}

fn mixed_expected() -> Vec<Got> {
    let mut big = vec![9; 70_000];
    big.extend([8; 3]);
    vec![
        Got::Text("abc".into()),
        Got::Ping(b"ping".to_vec()),
        Got::Text("€uro and 𝄞".into()),
        Got::Binary(vec![7; 300]),
        Got::Pong(b"pong payload".to_vec()),
        Got::Binary(big),
        Got::Close(vec![0x03, 0xE8, b'b', b'y', b'e']),
    ]
}

#[test]
fn input_cut_at_any_single_point_reads_the_same() {
    let input = mixed_stream();
    let expected = mixed_expected();
    // Every offset in the small frames, a stride through the big ones.
    let points = (0..input.len()).filter(|i| *i < 400 || i % 997 == 0 || input.len() - i < 40);
    for cut in points {
        assert_eq!(read_cut(&input, &[cut]).unwrap(), expected, "cut at {cut}");
    }
}

#[test]
fn input_fed_byte_by_byte_reads_the_same() {
    let mut input = text("fragmented 𝄞 text");
    input.extend(frame(0x01, "a".as_bytes()));
    input.extend(frame(0x89, b"x"));
    input.extend(frame(0x80, "b€".as_bytes()));
    input.extend(frame(0x82, &[5; 130]));
    let cuts: Vec<usize> = (1..input.len()).collect();
    assert_eq!(
        read_cut(&input, &cuts).unwrap(),
        [
            Got::Text("fragmented 𝄞 text".into()),
            Got::Ping(b"x".to_vec()),
            Got::Text("ab€".into()),
            Got::Binary(vec![5; 130]),
        ]
    );
}

#[test]
fn reserved_bits_must_be_zero_5_2() {
    for rsv in [0x40, 0x20, 0x10] {
        let err = read_all(&frame(0x81 | rsv, b"x")).unwrap_err();
        assert_eq!((err, err.code()), (WsError::ReservedBits, 1002));
    }
}

#[test]
fn reserved_opcodes_are_refused_5_2() {
    for op in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        let err = read_all(&frame(0x80 | op, b"")).unwrap_err();
        assert_eq!((err, err.code()), (WsError::ReservedOpcode(op), 1002));
    }
}

#[test]
fn client_frames_must_be_masked_5_1() {
    let err = read_all(&[0x81, 0x02, b'h', b'i']).unwrap_err();
    assert_eq!((err, err.code()), (WsError::Unmasked, 1002));
    // Known from the second byte alone.
    assert_eq!(read_all(&[0x81, 0x02]), Err(WsError::Unmasked));
}

#[test]
fn control_frames_must_not_be_fragmented_5_5() {
    for op in [0x08, 0x09, 0x0A] {
        assert_eq!(read_all(&frame(op, b"")), Err(WsError::FragmentedControl));
    }
}

#[test]
fn control_payloads_are_at_most_125_bytes_5_5() {
    assert_eq!(
        read_all(&frame(0x89, &[0; 125])).unwrap(),
        [Got::Ping(vec![0; 125])]
    );
    let err = read_all(&frame(0x89, &[0; 126])).unwrap_err();
    assert_eq!((err, err.code()), (WsError::ControlTooLong, 1002));
    // Known from the length field, before the payload.
    let mut head = vec![0x8A, 0x80 | 127];
    head.extend_from_slice(&1000u64.to_be_bytes());
    assert_eq!(read_all(&head), Err(WsError::ControlTooLong));
}

#[test]
fn continuation_needs_a_message_in_progress_5_4() {
    assert_eq!(code_of(&frame(0x80, b"x")), 1002);
    let mut input = text("done");
    input.extend(frame(0x00, b"x"));
    assert_eq!(read_all(&input), Err(WsError::UnexpectedContinuation));
}

#[test]
fn a_new_message_cannot_start_inside_a_fragmented_one_5_4() {
    for op in [0x81, 0x82, 0x01] {
        let mut input = frame(0x01, b"first");
        input.extend(frame(op, b"second"));
        let err = read_all(&input).unwrap_err();
        assert_eq!((err, err.code()), (WsError::InterleavedMessage, 1002));
    }
}

#[test]
fn a_64_bit_length_with_the_top_bit_set_is_refused_5_2() {
    let mut head = vec![0x82, 0x80 | 127];
    head.extend_from_slice(&(1u64 << 63).to_be_bytes());
    let err = feed(&mut Reader::new(usize::MAX), &head).unwrap_err();
    assert_eq!((err, err.code()), (WsError::LengthOverflow, 1002));
}

#[test]
fn messages_over_the_limit_are_refused_from_the_header_7_4_1() {
    let mut reader = Reader::new(10);
    assert_eq!(
        feed(&mut reader, &frame(0x82, &[1; 10])).unwrap(),
        [Got::Binary(vec![1; 10])]
    );
    // The header of an 11-byte frame is enough: no payload needed.
    let mut reader = Reader::new(10);
    let err = feed(&mut reader, &frame(0x81, &[b'a'; 11])[..2]).unwrap_err();
    assert_eq!((err, err.code()), (WsError::MessageTooBig, 1009));
    // The fragments count together.
    let mut input = frame(0x01, &[b'a'; 6]);
    input.extend(frame(0x80, &[b'a'; 5]));
    assert_eq!(
        feed(&mut Reader::new(10), &input),
        Err(WsError::MessageTooBig)
    );
    // Control frames are not messages.
    assert_eq!(
        feed(&mut Reader::new(1), &frame(0x89, &[1; 100])).unwrap(),
        [Got::Ping(vec![1; 100])]
    );
}

#[test]
fn a_declared_huge_length_buffers_only_what_arrives() {
    let mut reader = Reader::new(usize::MAX);
    let mut input = vec![0x82, 0x80 | 127];
    input.extend_from_slice(&(1u64 << 62).to_be_bytes());
    input.extend_from_slice(&MASK);
    input.extend_from_slice(&[0; 100]);
    assert_eq!(feed(&mut reader, &input).unwrap(), []);
    assert_eq!(reader.buffered(), 100);
}

#[test]
fn text_must_be_utf8_8_1() {
    let err = read_all(&frame(0x81, &[b'a', 0xFF])).unwrap_err();
    assert_eq!((err, err.code()), (WsError::InvalidUtf8, 1007));
    // A sequence cut by the end of the message.
    assert_eq!(
        read_all(&frame(0x81, &[b'a', 0xE2, 0x82])),
        Err(WsError::InvalidUtf8)
    );
    // Surrogates and overlong forms are not UTF-8.
    assert_eq!(
        read_all(&frame(0x81, &[0xED, 0xA0, 0x80])),
        Err(WsError::InvalidUtf8)
    );
    assert_eq!(
        read_all(&frame(0x81, &[0xC0, 0xAF])),
        Err(WsError::InvalidUtf8)
    );
    // Binary messages are not checked.
    assert_eq!(
        read_all(&frame(0x82, &[0xFF])).unwrap(),
        [Got::Binary(vec![0xFF])]
    );
}

#[test]
fn invalid_utf8_fails_before_the_message_ends_8_1() {
    // In a first fragment...
    assert_eq!(
        read_all(&frame(0x01, &[b'a', 0xFF])),
        Err(WsError::InvalidUtf8)
    );
    // ...and in a frame whose end has not arrived.
    let whole = frame(0x81, &[b'a', 0xFF, b'b', b'c', b'd']);
    assert_eq!(read_all(&whole[..8]), Err(WsError::InvalidUtf8));
}

#[test]
fn a_character_may_span_fragments_5_6() {
    let euro = "€".as_bytes();
    let mut input = frame(0x01, &euro[..1]);
    input.extend(frame(0x00, &euro[1..2]));
    input.extend(frame(0x80, &euro[2..]));
    assert_eq!(read_all(&input).unwrap(), [Got::Text("€".into())]);
}

#[test]
fn close_payloads_are_checked_5_5_1() {
    let close = |payload: &[u8]| read_all(&frame(0x88, payload));
    assert_eq!(close(b"").unwrap(), [Got::Close(vec![])]);
    let err = close(&[0x03]).unwrap_err();
    assert_eq!((err, err.code()), (WsError::CloseTooShort, 1002));
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1011, 1012, 1014, 3000, 4999,
    ] {
        let payload = code.to_be_bytes();
        assert_eq!(close(&payload).unwrap(), [Got::Close(payload.to_vec())]);
    }
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535,
    ] {
        let err = close(&code.to_be_bytes()).unwrap_err();
        assert_eq!((err, err.code()), (WsError::InvalidCloseCode(code), 1002));
    }
    let err = close(&[0x03, 0xE8, b'o', 0xFF]).unwrap_err();
    assert_eq!((err, err.code()), (WsError::InvalidCloseReason, 1007));
}

#[test]
fn input_after_a_close_frame_is_ignored_5_5_1() {
    let mut reader = Reader::new(100);
    let mut input = frame(0x88, &[0x03, 0xE8]);
    input.extend(text("late"));
    assert_eq!(
        feed(&mut reader, &input).unwrap(),
        [Got::Close(vec![0x03, 0xE8])]
    );
    assert!(reader.closed());
    assert_eq!(feed(&mut reader, &[0xFF, 0xFF]).unwrap(), []);
    assert_eq!(reader.buffered(), 0);
}

#[test]
fn an_error_poisons_the_reader() {
    let mut reader = Reader::new(100);
    let mut input = text("before");
    input.extend(frame(0x83, b""));
    let mut got = Vec::new();
    let err = reader.feed(&input, |m| got.push(own(m))).unwrap_err();
    assert_eq!(err, WsError::ReservedOpcode(3));
    // What came before the error was emitted.
    assert_eq!(got, [Got::Text("before".into())]);
    assert_eq!(feed(&mut reader, &text("after")), Err(err));
    assert_eq!(feed(&mut reader, b""), Err(err));
    assert_eq!(reader.buffered(), 0);
}

#[test]
fn buffered_counts_partial_headers_frames_and_messages() {
    let mut reader = Reader::new(100);
    let input = frame(0x01, b"abcd");
    feed(&mut reader, &input[..3]).unwrap();
    assert_eq!(reader.buffered(), 3);
    feed(&mut reader, &input[3..]).unwrap();
    assert_eq!(reader.buffered(), 4);
    let ping = frame(0x89, b"xy");
    feed(&mut reader, &ping[..7]).unwrap();
    assert_eq!(reader.buffered(), 5);
    feed(&mut reader, &ping[7..]).unwrap();
    assert_eq!(reader.buffered(), 4);
}

#[test]
fn unmasking_by_words_matches_the_byte_rule_5_3() {
    let mask = [1, 2, 4, 128];
    for len in 0..40 {
        for phase in 0..8 {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let mut fast = data.clone();
            apply_mask(&mut fast, mask, phase);
            let slow: Vec<u8> = data
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ mask[(i + phase) % 4])
                .collect();
            assert_eq!(fast, slow, "len {len} phase {phase}");
        }
    }
}

#[test]
fn server_headers_use_the_shortest_length_5_2() {
    let head = |op, len| {
        let (bytes, used) = frame_header(op, len).unwrap();
        bytes[..used].to_vec()
    };
    assert_eq!(head(1, 0), [0x81, 0]);
    assert_eq!(head(2, 125), [0x82, 125]);
    assert_eq!(head(1, 126), [0x81, 126, 0, 126]);
    assert_eq!(head(1, 0xFFFF), [0x81, 126, 0xFF, 0xFF]);
    assert_eq!(head(2, 0x10000), [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert_eq!(head(8, 2), [0x88, 2]);
    assert_eq!(head(9, 125), [0x89, 125]);
    assert_eq!(head(10, 0), [0x8A, 0]);
}

#[test]
fn server_frames_refuse_bad_opcodes_and_long_control_payloads_5_5() {
    for op in [0, 3, 7, 11, 15, 16, -1, 256] {
        assert_eq!(frame_header(op, 1), Err(FrameError::Opcode(op)));
    }
    for op in [8, 9, 10] {
        assert_eq!(frame_header(op, 126), Err(FrameError::ControlTooLong(126)));
    }
}

#[test]
fn close_reasons_are_cut_on_a_character_boundary_5_5_1() {
    assert_eq!(close_payload(1000, "").unwrap(), [0x03, 0xE8]);
    assert_eq!(close_payload(1002, "no").unwrap(), [0x03, 0xEA, b'n', b'o']);
    let fits = "a".repeat(123);
    assert_eq!(close_payload(1000, &fits).unwrap().len(), 125);
    // 122 bytes, then a 2-byte character that would end at byte 124.
    let over = format!("{}é", "a".repeat(122));
    let payload = close_payload(1000, &over).unwrap();
    assert_eq!(&payload[2..], "a".repeat(122).as_bytes());
    let long = "€".repeat(100);
    let payload = close_payload(4000, &long).unwrap();
    assert_eq!(payload.len(), 2 + 123);
    assert_eq!(std::str::from_utf8(&payload[2..]).unwrap(), "€".repeat(41));
    for code in [0, 999, 1005, 1006, 1015, 2000, 5000, 65536, -1] {
        assert_eq!(close_payload(code, ""), Err(FrameError::CloseCode(code)));
    }
}

#[test]
fn accept_key_of_the_rfc_example_4_2_2() {
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn base64_of_the_rfc_4648_vectors() {
    let cases = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];
    for (plain, encoded) in cases {
        assert_eq!(base64_encode(plain.as_bytes()), encoded);
    }
}

/// A small deterministic generator (xorshift64*), for the randomized test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A random stream: mostly valid frames (fragments, control frames, UTF-8
/// with multi-byte characters), sometimes a flipped bit or a stray byte.
fn random_stream(rng: &mut Rng) -> Vec<u8> {
    const PIECES: [&str; 5] = ["a", "é", "€", "𝄞", "xyz"];
    let mut out = Vec::new();
    for _ in 0..rng.below(6) {
        let op = [0x81, 0x82, 0x01, 0x00, 0x80, 0x89, 0x8A, 0x88][rng.below(8)];
        let len = [0, 1, 5, 125, 126, 300, 70_000][rng.below(7)];
        let mut payload = Vec::with_capacity(len);
        while payload.len() < len {
            payload.extend_from_slice(PIECES[rng.below(PIECES.len())].as_bytes());
        }
        if op == 0x88 && len >= 2 {
            payload[..2].copy_from_slice(&1000u16.to_be_bytes());
        }
        out.extend(frame(op, &payload));
    }
    if !out.is_empty() {
        for _ in 0..rng.below(3) {
            let at = rng.below(out.len());
            out[at] ^= 1 << rng.below(8);
        }
    }
    out
}

/// Everything a reader emits for `chunks`, and its error if any.
fn outcome(chunks: &[&[u8]]) -> (Vec<Got>, Option<WsError>) {
    let mut reader = Reader::new(100_000);
    let mut got = Vec::new();
    for chunk in chunks {
        if let Err(e) = reader.feed(chunk, |m| got.push(own(m))) {
            return (got, Some(e));
        }
    }
    (got, None)
}

#[test]
fn random_streams_read_the_same_whole_and_cut_anywhere() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut items, mut errors) = (0, 0);
    for _ in 0..3000 {
        let stream = random_stream(&mut rng);
        let whole = outcome(&[&stream]);
        items += whole.0.len();
        errors += usize::from(whole.1.is_some());
        let mut cuts: Vec<usize> = (0..rng.below(6))
            .map(|_| rng.below(stream.len() + 1))
            .collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut at = 0;
        for cut in cuts.into_iter().chain([stream.len()]) {
            chunks.push(&stream[at..cut]);
            at = cut;
        }
        assert_eq!(outcome(&chunks), whole, "{stream:02x?}");
    }
    // Both paths are exercised.
    assert!(
        items > 1000 && errors > 500,
        "{items} items, {errors} errors"
    );
}
