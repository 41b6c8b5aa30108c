//! JavaScript's `Number(string)` and its notion of whitespace, which the
//! reference parser uses to read the packet type, attachment count and ack id
//! (P9). Reproducing them keeps our decoder's accept/reject decisions equal to
//! the reference's on every input.

/// `StrWhiteSpaceChar` of ECMA-262: WhiteSpace and LineTerminator.
pub fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// `Number(s)` for a string `s`; `NaN` when JavaScript gives `NaN`.
pub fn js_number(s: &str) -> f64 {
    // Up to 15 ASCII digits (an ack id, an attachment count) are exact in an
    // f64: summed here, without the general parser.
    if !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .bytes()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0')) as f64;
    }
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let bytes = t.as_bytes();
    if let [b'0', p, rest @ ..] = bytes {
        let radix = match p {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            return radix_number(rest, radix);
        }
    }
    let (sign, unsigned) = match bytes {
        [b'-', rest @ ..] => (-1.0, rest),
        [b'+', rest @ ..] => (1.0, rest),
        _ => (1.0, bytes),
    };
    if unsigned == b"Infinity" {
        return sign * f64::INFINITY;
    }
    if !is_decimal_literal(unsigned) {
        return f64::NAN;
    }
    // The grammar is checked above; Rust's parser is correctly rounded, as
    // JavaScript's is.
    t.parse::<f64>().unwrap_or(f64::NAN)
}

fn radix_number(digits: &[u8], radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let mut value = 0.0f64;
    for &b in digits {
        match char::from(b).to_digit(radix) {
            Some(d) => value = value * f64::from(radix) + f64::from(d),
            None => return f64::NAN,
        }
    }
    value
}

/// `StrUnsignedDecimalLiteral` without `Infinity`: `1`, `1.`, `.5`, `1e3`, `1.5E-2`.
fn is_decimal_literal(b: &[u8]) -> bool {
    let mut i = 0;
    let int_digits = count_digits(b, &mut i);
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = count_digits(b, &mut i);
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if count_digits(b, &mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn count_digits(b: &[u8], i: &mut usize) -> usize {
    let start = *i;
    while b.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    *i - start
}

/// `Number(c) == c` for a one-character string: the characters the reference
/// treats as ack-id digits (ASCII digits and whitespace).
pub fn is_js_digit_like(c: char) -> bool {
    c.is_ascii_digit() || is_js_space(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_of_strings_follows_javascript() {
        assert_eq!(js_number(""), 0.0);
        assert_eq!(js_number("   "), 0.0);
        assert_eq!(js_number(" 12 "), 12.0);
        assert_eq!(js_number("012"), 12.0);
        assert_eq!(js_number("0x1f"), 31.0);
        assert_eq!(js_number("1e1"), 10.0);
        assert_eq!(js_number("1."), 1.0);
        assert_eq!(js_number(".5"), 0.5);
        assert_eq!(js_number("-1"), -1.0);
        assert_eq!(js_number("+Infinity"), f64::INFINITY);
        assert_eq!(js_number("9007199254740993"), 9007199254740992.0);
        for nan in [
            "1 2", "a", "0x", "-0x1", "1e", ".", "inf", "NaN", "1_0", "--1",
        ] {
            assert!(js_number(nan).is_nan(), "{nan}");
        }
    }

    #[test]
    fn digit_strings_are_read_exactly() {
        // The digits-only shortcut agrees with the correctly rounded parser.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 1..=16 {
            for _ in 0..200 {
                let digits: String = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        char::from(b'0' + (x % 10) as u8)
                    })
                    .collect();
                assert_eq!(
                    js_number(&digits),
                    digits.parse::<f64>().unwrap(),
                    "{digits}"
                );
            }
        }
        assert_eq!(js_number("999999999999999"), 999_999_999_999_999.0);
    }

    #[test]
    fn digit_like_characters() {
        assert!(is_js_digit_like('7'));
        assert!(is_js_digit_like(' '));
        assert!(is_js_digit_like('\u{3000}'));
        assert!(!is_js_digit_like('-'));
        assert!(!is_js_digit_like('a'));
    }
}
