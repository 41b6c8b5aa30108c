//! The invariants the fuzz targets check, shared by the libFuzzer target in
//! `fuzz/` and the stable randomized test below (which CI runs when no
//! nightly toolchain is available).
//!
//! For any sequence of frames: decoding never panics, and every packet that
//! decodes re-encodes into frames that decode to the same packet.

use crate::codec::{Decoded, Decoder, DecoderOptions, Step};
use crate::json::{encode_packet, Value, ValueBuilder};

/// Splits fuzz input into frames: chunks separated by `0xFF`; a chunk that
/// starts with `0xFE` is a binary frame, any other a text frame.
pub fn frames(data: &[u8]) -> Vec<Result<String, Vec<u8>>> {
    data.split(|&b| b == 0xff)
        .map(|chunk| match chunk.split_first() {
            Some((0xfe, rest)) => Err(rest.to_vec()),
            _ => Ok(String::from_utf8_lossy(chunk).into_owned()),
        })
        .collect()
}

fn finite(v: &Value) -> bool {
    match v {
        Value::Float(f) => f.is_finite(),
        Value::Array(items) => items.iter().all(finite),
        Value::Object(entries) => entries.iter().all(|(_, v)| finite(v)),
        _ => true,
    }
}

/// Feeds `data`'s frames to one decoder and checks the round trip of every
/// packet it completes.
pub fn check(data: &[u8]) {
    let mut decoder: Decoder<Value, Vec<u8>> = Decoder::new(DecoderOptions::default());
    for frame in frames(data) {
        let step = match frame {
            Ok(text) => decoder.add_text(&mut ValueBuilder, &text),
            Err(bytes) => decoder.add_binary(&mut ValueBuilder, bytes),
        };
        if let Ok(Step::Complete(packet)) = step {
            check_round_trip(&packet);
        }
    }
}

fn check_round_trip(packet: &Decoded<Value>) {
    if !packet.data.as_ref().is_none_or(finite) {
        return; // NaN and infinities are sent as null by design.
    }
    let Ok((text, attachments)) = encode_packet(packet) else {
        return; // e.g. nesting at the encoder's limit
    };
    let text = String::from_utf8(text);
    assert!(text.is_ok(), "the encoder wrote invalid UTF-8");
    let text = text.unwrap_or_default();
    let mut decoder: Decoder<Value, Vec<u8>> = Decoder::new(DecoderOptions::default());
    let mut step = decoder.add_text(&mut ValueBuilder, &text);
    for a in attachments {
        step = decoder.add_binary(&mut ValueBuilder, a);
    }
    assert_eq!(
        step,
        Ok(Step::Complete(packet.clone())),
        "re-encoded as {text:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small xorshift generator: deterministic for a seed, no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const SEEDS: &[&str] = &[
        "0/admin,{\"token\":\"123\"}",
        "2/admin,456[\"project:delete\",123]",
        "51-[\"hello\",{\"_placeholder\":true,\"num\":0}]\u{ff}\u{fe}abc",
        "52-/a,9[\"m\",{\"b\":[{\"_placeholder\":true,\"num\":1}]},{\"_placeholder\":true,\"num\":0}]",
        "3123[\"a\",1.5e300,{\"k\":[null,true,false,-0.0,\"\\ud800\\u00e9\"]}]",
        "4{\"message\":\"Invalid namespace\",\"data\":{\"a\":12345678901234567890123}}",
        "2 [\"x\",NaN,-Infinity]",
    ];

    const ALPHABET: &[u8] = b"0123456789-/,[]{}\":.eE+ \\untrfalsNIy_placeholdernum\xff\xfe";

    fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
        let mut data = seed.to_vec();
        for _ in 0..=rng.below(6) {
            let at = rng.below(data.len() + 1);
            let byte = ALPHABET
                .get(rng.below(ALPHABET.len()))
                .copied()
                .unwrap_or(b'0');
            match rng.below(5) {
                0 if at < data.len() => {
                    data.remove(at);
                }
                1 if at < data.len() => data[at] = byte,
                2 => data.truncate(at),
                3 => {
                    let len = rng.below(8);
                    let copy: Vec<u8> = data
                        .iter()
                        .skip(rng.below(data.len()))
                        .take(len)
                        .copied()
                        .collect();
                    data.splice(at..at, copy);
                }
                _ => data.insert(at, byte),
            }
        }
        data
    }

    fn run(seconds: f64, seed: u64) -> u64 {
        let mut rng = Rng(seed | 1);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(seconds);
        let mut cases = 0;
        while std::time::Instant::now() < deadline {
            for _ in 0..1000 {
                let seed = SEEDS[rng.below(SEEDS.len())].as_bytes();
                let data = if rng.below(10) == 0 {
                    (0..rng.below(64)).map(|_| rng.next() as u8).collect()
                } else {
                    mutate(&mut rng, seed)
                };
                check(&data);
                cases += 1;
            }
        }
        cases
    }

    #[test]
    fn seeds_round_trip() {
        for seed in SEEDS {
            check(seed.as_bytes());
        }
    }

    #[test]
    fn random_frames_briefly() {
        assert!(run(1.0, 0x9e37_79b9_7f4a_7c15) > 0);
    }

    /// The long run: `FUZZ_SECONDS=60 cargo test --release fuzz_random_frames -- --ignored`.
    #[test]
    #[ignore]
    fn fuzz_random_frames() {
        let seconds = std::env::var("FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60.0);
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        println!("seed {seed:#x}");
        let cases = run(seconds, seed);
        println!("{cases} cases, no failure");
    }
}
