//! JSON text writers shared by the encoders: strings escaped as
//! `JSON.stringify` does (non-ASCII written raw), floats as Python's `repr`.

use super::swar::find_stop;
use std::fmt::Write as _;

/// The lowercase hex digit of the low four bits of `v`.
fn hex(v: u32) -> u8 {
    b"0123456789abcdef"
        .get((v & 0xf) as usize)
        .copied()
        .unwrap_or(b'0')
}

/// Writes a JSON string for UTF-8 text.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    write_str_bytes(out, s.as_bytes());
}

/// Writes a JSON string for UTF-8 or WTF-8 bytes: quotes, backslashes and
/// control characters are escaped (`\n` style where one exists, `\u00XX`
/// otherwise); a lone surrogate (WTF-8 `ED A0..BF xx`) becomes `\udXXX`.
pub fn write_str_bytes(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut i = find_stop(s, 0, true);
    if i == s.len() {
        // The usual case: nothing to escape.
        out.extend_from_slice(s);
        out.push(b'"');
        return;
    }
    let mut run = 0;
    loop {
        // Most bytes need no attention: skip them a word at a time. The
        // writer looks at control characters, `"`, `\\` and 0xED (which may
        // start a WTF-8 surrogate).
        i = find_stop(s, i, true);
        let Some(&c) = s.get(i) else { break };
        let escape: Option<&[u8]> = match c {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            0x00..=0x1f | 0xed => None,
            _ => {
                i += 1;
                continue;
            }
        };
        match escape {
            Some(e) => {
                out.extend_from_slice(s.get(run..i).unwrap_or_default());
                out.extend_from_slice(e);
                i += 1;
                run = i;
            }
            None if c < 0x20 => {
                out.extend_from_slice(s.get(run..i).unwrap_or_default());
                out.extend_from_slice(b"\\u00");
                out.push(hex(u32::from(c) >> 4));
                out.push(hex(u32::from(c)));
                i += 1;
                run = i;
            }
            None => match (s.get(i + 1), s.get(i + 2)) {
                // 0xED starts U+D000..U+D7FF in UTF-8 (second byte < 0xA0) and
                // a surrogate in WTF-8 (second byte >= 0xA0).
                (Some(&b1), Some(&b2)) if b1 >= 0xa0 => {
                    out.extend_from_slice(s.get(run..i).unwrap_or_default());
                    let cp = 0xd000 | (u32::from(b1 & 0x3f) << 6) | u32::from(b2 & 0x3f);
                    out.extend_from_slice(b"\\u");
                    for shift in [12, 8, 4, 0] {
                        out.push(hex(cp >> shift));
                    }
                    i += 3;
                    run = i;
                }
                _ => i += 1,
            },
        }
    }
    out.extend_from_slice(s.get(run..).unwrap_or_default());
    out.push(b'"');
}

/// Writes an integer.
pub fn write_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// A fixed stack buffer for `{:e}` output (at most 24 bytes for an f64).
struct Small {
    buf: [u8; 32],
    len: usize,
}

impl std::fmt::Write for Small {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes a finite float exactly as Python's `repr(float)` does (shortest
/// round-trip digits; scientific notation below 1e-4 and from 1e16, with a
/// signed exponent of at least two digits). Non-finite values are written as
/// `null`, as JavaScript's `JSON.stringify` does.
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    if !v.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    let mut sci = Small {
        buf: [0; 32],
        len: 0,
    };
    if write!(sci, "{v:e}").is_err() {
        out.extend_from_slice(b"null");
        return;
    }
    let text = sci.buf.get(..sci.len).unwrap_or_default();
    let (negative, text) = match text {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    let e_at = text.iter().position(|&c| c == b'e').unwrap_or(text.len());
    let mantissa = text.get(..e_at).unwrap_or_default();
    let exp: i32 = std::str::from_utf8(text.get(e_at + 1..).unwrap_or_default())
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut digits = [0u8; 24];
    let mut n = 0;
    for &c in mantissa.iter().filter(|c| c.is_ascii_digit()) {
        if let Some(slot) = digits.get_mut(n) {
            *slot = c;
            n += 1;
        }
    }
    let digits = digits.get(..n).unwrap_or_default();
    if negative {
        out.push(b'-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            for k in 0..int_len {
                out.push(digits.get(k).copied().unwrap_or(b'0'));
            }
            out.push(b'.');
            match digits.get(int_len..) {
                Some(frac) if !frac.is_empty() => out.extend_from_slice(frac),
                _ => out.push(b'0'),
            }
        } else {
            out.extend_from_slice(b"0.");
            for _ in 0..(-exp - 1) {
                out.push(b'0');
            }
            out.extend_from_slice(digits);
        }
    } else {
        let (first, rest) = digits.split_first().unwrap_or((&b'0', &[]));
        out.push(*first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let mag = exp.unsigned_abs();
        if mag < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(itoa::Buffer::new().format(mag).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn s(b: &[u8]) -> String {
        let mut out = Vec::new();
        write_str_bytes(&mut out, b);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_match_python_repr() {
        let cases = [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.2345e-7, "1.2345e-07"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (123456.789, "123456.789"),
            (f64::NAN, "null"),
            (f64::NEG_INFINITY, "null"),
        ];
        for (v, want) in cases {
            assert_eq!(f(v), want, "{v:e}");
        }
    }

    #[test]
    fn strings_escape_like_json_stringify() {
        assert_eq!(s(b"plain"), "\"plain\"");
        assert_eq!(
            s("a\"b\\c\n\r\t\u{8}\u{c}".as_bytes()),
            r#""a\"b\\c\n\r\t\b\f""#
        );
        assert_eq!(s(b"\x00\x1f\x7f"), "\"\\u0000\\u001f\x7f\"");
        assert_eq!(
            s("héllo 世界 😀 \u{d7ff}".as_bytes()),
            "\"héllo 世界 😀 \u{d7ff}\""
        );
        assert_eq!(
            s(&[b'x', 0xed, 0xa0, 0x80, b'y', 0xed, 0xbf, 0xbf]),
            r#""x\ud800y\udfff""#
        );
    }
}
