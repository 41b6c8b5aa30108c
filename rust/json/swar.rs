//! Finds the first byte of a string that a reader or writer must look at,
//! so that plain text is skipped sixteen bytes at a time (SSE2, part of every
//! x86-64 CPU) or eight (a u64 word, "SIMD within a register", elsewhere and
//! for the tail) rather than a byte at a time; and compares short byte
//! strings a word at a time.

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte that is zero in `x`, plus possibly false
/// positives *above* a true one (a borrow runs upwards), never below: the
/// lowest set bit always marks the first zero byte.
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(LOW) & !x & HIGH
}

/// The high bit of each byte of `w` below 0x20 (same caveat as [`zero_bytes`]).
#[inline(always)]
fn control_bytes(w: u64) -> u64 {
    w.wrapping_sub(LOW * 0x20) & !w & HIGH
}

#[inline(always)]
fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk = bytes.get(at..at + 8)?;
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    Some(u64::from_le_bytes(word))
}

/// Which bytes stop a scan: always `"`, `\\` and control characters; 0xED
/// too when `with_ed` (the writer's lone-surrogate check).
#[inline(always)]
fn stops(w: u64, with_ed: bool) -> u64 {
    let mut m = zero_bytes(w ^ (LOW * u64::from(b'"')))
        | zero_bytes(w ^ (LOW * u64::from(b'\\')))
        | control_bytes(w);
    // 0xED has its high bit set: an ASCII word cannot hold it.
    if with_ed && w & HIGH != 0 {
        m |= zero_bytes(w ^ (LOW * 0xed));
    }
    m
}

/// The index of the first byte at or after `from` that is `"`, `\\` or a
/// control character (below 0x20), or 0xED when `with_ed`; `bytes.len()` if
/// there is none.
#[inline]
pub fn find_stop(bytes: &[u8], from: usize, with_ed: bool) -> usize {
    let s = bytes.get(from..).unwrap_or_default();
    from + find_stop_in(s, with_ed)
}

fn find_stop_in(s: &[u8], with_ed: bool) -> usize {
    let n = s.len();
    #[cfg(target_arch = "x86_64")]
    if n >= 16 {
        let mut i = 0;
        while let Some(chunk) = s.get(i..i + 16) {
            let m = stops_sse2(chunk, with_ed);
            if m != 0 {
                return i + m.trailing_zeros() as usize;
            }
            i += 16;
        }
        // The tail: the last sixteen bytes, overlapping bytes already seen
        // (which hold no stop, so they add nothing to the mask).
        return match s.last_chunk::<16>() {
            Some(last) if i < n => match stops_sse2(last, with_ed) {
                0 => n,
                m => n - 16 + m.trailing_zeros() as usize,
            },
            _ => n,
        };
    }
    let mut i = 0;
    while let Some(w) = word_at(s, i) {
        let m = stops(w, with_ed);
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    if i == n {
        return n;
    }
    // Fewer than eight bytes left. After a word: the last eight bytes,
    // overlapping bytes already seen (no stop there, and a false positive
    // only ever sits above a true one). A string shorter than eight bytes:
    // its bytes in a word padded with a byte that never stops a scan.
    let (w, base) = match s.last_chunk::<8>() {
        Some(last) => (u64::from_le_bytes(*last), n - 8),
        None => {
            let mut w = u64::from_le_bytes([PAD; 8]);
            for (k, &b) in s.iter().enumerate() {
                w ^= u64::from(b ^ PAD) << (8 * k);
            }
            (w, 0)
        }
    };
    match stops(w, with_ed) {
        0 => n,
        m => base + (m.trailing_zeros() / 8) as usize,
    }
}

/// A byte that never stops a scan.
const PAD: u8 = b'a';

/// The bit of each of the 16 bytes that stops a scan (SSE2 is part of the
/// x86-64 baseline).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn stops_sse2(chunk: &[u8], with_ed: bool) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    if chunk.len() < 16 {
        return 0;
    }
    // SAFETY: SSE2 is always present on x86-64, and `chunk` holds the 16
    // bytes the unaligned load reads (checked above).
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // v <= 0x1f exactly when min(v, 0x1f) == v (unsigned).
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        let mut m = _mm_or_si128(_mm_or_si128(quote, backslash), control);
        if with_ed {
            m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(0xedu8 as i8)));
        }
        _mm_movemask_epi8(m) as u32
    }
}

/// `a == b` for short byte strings, a word at a time: no call to `memcmp`
/// for the few bytes of a dict key.
#[inline]
pub fn same_text(a: &[u8], b: &[u8]) -> bool {
    let word = |s: &[u8], at: usize| s.get(at..).and_then(|s| s.first_chunk::<8>()).copied();
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let mut i = 0;
    while i + 8 <= n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    // The last word, overlapping bytes already compared.
    i == n || word(a, n - 8) == word(b, n - 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bytes: &[u8], from: usize, with_ed: bool) -> usize {
        (from..bytes.len())
            .find(|&i| {
                let c = bytes[i];
                c == b'"' || c == b'\\' || c < 0x20 || (with_ed && c == 0xed)
            })
            .unwrap_or(bytes.len())
    }

    #[test]
    fn finds_the_first_stop_at_every_offset() {
        let specials = [b'"', b'\\', 0x00, 0x1f, 0xed, b' ', 0x21, 0x7f, 0x80, 0xff];
        for len in 0..40 {
            for at in 0..len {
                for &s in &specials {
                    for &before in &[b'a', 0x1f, b'"', 0xed, 0xff] {
                        let mut text = vec![b'x'; len];
                        text[at] = s;
                        if at > 0 {
                            text[at - 1] = before;
                        }
                        for from in 0..=len {
                            for with_ed in [false, true] {
                                assert_eq!(
                                    find_stop(&text, from, with_ed),
                                    naive(&text, from, with_ed),
                                    "{text:?} from {from} ed {with_ed}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_borrow_never_hides_the_first_stop() {
        // 0x20 just above a control byte borrows into a false positive; the
        // first stop is still the control byte.
        let text = [b'a', 0x01, 0x20, b'"', b'b', b'c', b'd', b'e', b'f'];
        assert_eq!(find_stop(&text, 0, false), 1);
        assert_eq!(find_stop(&text, 2, false), 3);
    }

    #[test]
    fn same_text_compares_every_byte() {
        for n in 0..=40 {
            let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
            assert!(same_text(&a, &a.clone()));
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_text(&a, &b), "{n} {at}");
            }
        }
        assert!(!same_text(b"ab", b"abc"));
    }
}
