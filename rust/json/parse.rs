//! A recursive-descent JSON parser over UTF-8 text.
//!
//! It accepts what Python's `json.loads` accepts (including `NaN`,
//! `Infinity` and `-Infinity`, and escaped lone surrogates), rejects raw
//! control characters in strings as `json.loads` does, and enforces the
//! nesting and integer-length limits.

use super::swar::find_stop;
use super::{Builder, JsonStr, Limits};
use crate::error::{Error, JsonError, JsonErrorKind};

/// Parses one JSON value filling the whole `text` (whitespace aside).
pub fn parse<B: Builder>(text: &str, builder: &mut B, limits: &Limits) -> Result<B::Value, Error> {
    parse_with(text, builder, limits, &mut Scratch::default())
}

/// Buffers the parser needs, kept by a caller that parses often so that
/// they are allocated once rather than per payload.
pub struct Scratch<V> {
    stack: Vec<V>,
    bytes: Vec<u8>,
}

impl<V> Default for Scratch<V> {
    fn default() -> Self {
        Scratch {
            stack: Vec::new(),
            bytes: Vec::new(),
        }
    }
}

impl<V> Scratch<V> {
    /// Capacity kept between payloads; a rare huge payload's buffers are freed.
    const KEEP: usize = 256;

    fn trim(&mut self) {
        self.stack.clear();
        if self.stack.capacity() > Self::KEEP {
            self.stack = Vec::new();
        }
        if self.bytes.capacity() > Self::KEEP * 16 {
            self.bytes = Vec::new();
        }
    }
}

/// [`parse`] with caller-owned buffers.
pub fn parse_with<B: Builder>(
    text: &str,
    builder: &mut B,
    limits: &Limits,
    scratch: &mut Scratch<B::Value>,
) -> Result<B::Value, Error> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
        max_depth: limits.max_depth,
        max_int_digits: limits.max_int_digits,
        stack: std::mem::take(&mut scratch.stack),
        scratch: std::mem::take(&mut scratch.bytes),
    };
    let result = p.value(builder).and_then(|value| {
        p.skip_ws();
        if p.pos == p.bytes.len() {
            Ok(value)
        } else {
            Err(p.err(JsonErrorKind::TrailingCharacters))
        }
    });
    scratch.stack = p.stack;
    scratch.bytes = p.scratch;
    scratch.trim();
    result
}

/// Where a string's decoded text is: a slice of the input, or the scratch
/// buffer (when it had escapes).
enum Text {
    Slice(usize, usize),
    Scratch { surrogates: bool },
}

struct Parser<'a, V> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
    max_depth: usize,
    max_int_digits: usize,
    /// Items of the arrays being read, innermost last.
    stack: Vec<V>,
    /// Decoded text of the last string that contained escapes.
    scratch: Vec<u8>,
}

impl<V> Parser<'_, V> {
    fn err(&self, kind: JsonErrorKind) -> Error {
        Error::InvalidJson(JsonError::new(kind, self.pos))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &[u8]) -> Result<(), Error> {
        if self.bytes.get(self.pos..self.pos + literal.len()) == Some(literal) {
            self.pos += literal.len();
            Ok(())
        } else if self.pos + literal.len() > self.bytes.len() {
            Err(self.err(JsonErrorKind::UnexpectedEnd))
        } else {
            Err(self.err(JsonErrorKind::ExpectedValue))
        }
    }

    fn json_str(&self, t: Text) -> JsonStr<'_> {
        match t {
            Text::Slice(start, end) => JsonStr::Utf8(self.text.get(start..end).unwrap_or("")),
            Text::Scratch { surrogates: true } => JsonStr::Wtf8(&self.scratch),
            // Escapes that made no surrogate decode to valid UTF-8.
            Text::Scratch { surrogates: false } => match std::str::from_utf8(&self.scratch) {
                Ok(s) => JsonStr::Utf8(s),
                Err(_) => JsonStr::Wtf8(&self.scratch),
            },
        }
    }

    fn value<B: Builder<Value = V>>(&mut self, b: &mut B) -> Result<V, Error> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.err(JsonErrorKind::UnexpectedEnd)),
            Some(b'"') => {
                self.pos += 1;
                let t = self.string()?;
                b.string(self.json_str(t))
            }
            Some(b'[') => self.array(b),
            Some(b'{') => self.object(b),
            Some(b't') => {
                self.expect_literal(b"true")?;
                b.boolean(true)
            }
            Some(b'f') => {
                self.expect_literal(b"false")?;
                b.boolean(false)
            }
            Some(b'n') => {
                self.expect_literal(b"null")?;
                b.null()
            }
            Some(b'N') => {
                self.expect_literal(b"NaN")?;
                b.float(f64::NAN)
            }
            Some(b'I') => {
                self.expect_literal(b"Infinity")?;
                b.float(f64::INFINITY)
            }
            Some(b'-') if self.bytes.get(self.pos + 1) == Some(&b'I') => {
                self.expect_literal(b"-Infinity")?;
                b.float(f64::NEG_INFINITY)
            }
            Some(b'-' | b'0'..=b'9') => self.number(b),
            Some(_) => Err(self.err(JsonErrorKind::ExpectedValue)),
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        if self.depth >= self.max_depth {
            return Err(self.err(JsonErrorKind::TooDeep(self.max_depth)));
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    /// After an item: `,` continues, `close` ends the container.
    fn next_or_close(&mut self, close: u8) -> Result<bool, Error> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            None => Err(self.err(JsonErrorKind::UnexpectedEnd)),
            Some(_) => Err(self.err(JsonErrorKind::ExpectedCommaOrEnd)),
        }
    }

    fn array<B: Builder<Value = V>>(&mut self, b: &mut B) -> Result<V, Error> {
        self.enter()?;
        let mark = self.stack.len();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            // The first item of the top-level array may be an event name.
            let mut first = self.depth == 1;
            loop {
                let item = if first && self.peek() == Some(b'"') {
                    self.pos += 1;
                    let t = self.string()?;
                    b.event_name(self.json_str(t))?
                } else {
                    self.value(b)?
                };
                first = false;
                self.stack.push(item);
                if !self.next_or_close(b']')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        b.array(self.stack.drain(mark..))
    }

    fn object<B: Builder<Value = V>>(&mut self, b: &mut B) -> Result<V, Error> {
        self.enter()?;
        let mut object = b.object_new()?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                match self.peek() {
                    Some(b'"') => self.pos += 1,
                    None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                    Some(_) => return Err(self.err(JsonErrorKind::ExpectedKey)),
                }
                let t = self.string()?;
                let key = b.key(self.json_str(t))?;
                self.skip_ws();
                match self.peek() {
                    Some(b':') => self.pos += 1,
                    None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                    Some(_) => return Err(self.err(JsonErrorKind::ExpectedColon)),
                }
                let value = self.value(b)?;
                b.object_set(&mut object, key, value)?;
                if !self.next_or_close(b'}')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        b.object_finish(object)
    }

    /// Reads a string whose opening quote was consumed.
    #[inline]
    fn string(&mut self) -> Result<Text, Error> {
        let start = self.pos;
        // Plain text (anything but `"`, `\\` and control characters) is
        // skipped many bytes at a time; the input is already valid UTF-8.
        self.pos = find_stop(self.bytes, self.pos, false);
        if self.peek() == Some(b'"') {
            self.pos += 1;
            return Ok(Text::Slice(start, self.pos - 1));
        }
        self.string_slow(start)
    }

    /// The rest of a string that has escapes (or is broken), decoded into
    /// the scratch buffer; `self.pos` is at the first byte to look at.
    #[cold]
    fn string_slow(&mut self, start: usize) -> Result<Text, Error> {
        match self.peek() {
            Some(b'\\') => {}
            Some(_) => return Err(self.err(JsonErrorKind::ControlCharacter)),
            None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
        }
        self.scratch.clear();
        self.scratch
            .extend_from_slice(self.bytes.get(start..self.pos).unwrap_or_default());
        let mut surrogates = false;
        loop {
            let run = self.pos;
            self.pos = find_stop(self.bytes, self.pos, false);
            self.scratch
                .extend_from_slice(self.bytes.get(run..self.pos).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Text::Scratch { surrogates });
                }
                Some(b'\\') => {
                    self.pos += 1;
                    surrogates |= self.escape()?;
                }
                Some(_) => return Err(self.err(JsonErrorKind::ControlCharacter)),
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
            }
        }
    }

    /// Decodes the escape after a backslash into the scratch buffer; returns
    /// whether it wrote a lone surrogate.
    fn escape(&mut self) -> Result<bool, Error> {
        let c = self
            .peek()
            .ok_or_else(|| self.err(JsonErrorKind::UnexpectedEnd))?;
        self.pos += 1;
        let simple = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => return self.unicode_escape(),
            _ => {
                self.pos -= 1;
                return Err(self.err(JsonErrorKind::InvalidEscape));
            }
        };
        self.scratch.push(simple);
        Ok(false)
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.bytes.get(at..at + 4)?;
        let mut v = 0u32;
        for &d in digits {
            v = v * 16 + char::from(d).to_digit(16)?;
        }
        Some(v)
    }

    /// `\uXXXX`: a surrogate pair combines into one character (as `json.loads`
    /// does); a lone surrogate is kept, written as WTF-8.
    fn unicode_escape(&mut self) -> Result<bool, Error> {
        let cp = self
            .hex4(self.pos)
            .ok_or_else(|| self.err(JsonErrorKind::InvalidEscape))?;
        self.pos += 4;
        let mut code = cp;
        if (0xd800..0xdc00).contains(&cp) && self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u")
        {
            if let Some(low @ 0xdc00..=0xdfff) = self.hex4(self.pos + 2) {
                code = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                self.pos += 6;
            }
        }
        match char::from_u32(code) {
            Some(ch) => {
                let mut buf = [0u8; 4];
                self.scratch
                    .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                Ok(false)
            }
            None => {
                // A lone surrogate (0xD800..=0xDFFF): generalized UTF-8.
                self.scratch.extend_from_slice(&[
                    0xed,
                    0x80 | ((code >> 6) & 0x3f) as u8,
                    0x80 | (code & 0x3f) as u8,
                ]);
                Ok(true)
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`, as `json.loads`.
    fn number<B: Builder<Value = V>>(&mut self, b: &mut B) -> Result<V, Error> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        // The decimal digits read as one integer (integer part, then the
        // fraction), exact while it has at most 19 digits.
        let mut mantissa: u64 = 0;
        let mut digits = 0usize;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                let digits_start = self.pos;
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                    self.pos += 1;
                }
                digits = self.pos - digits_start;
            }
            None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
            Some(_) => return Err(self.err(JsonErrorKind::InvalidNumber)),
        }
        let mut is_float = false;
        // Power of ten to apply to `mantissa`.
        let mut exp10: i64 = 0;
        if self.peek() == Some(b'.') && self.bytes.get(self.pos + 1).is_some_and(u8::is_ascii_digit)
        {
            self.pos += 1;
            let fraction_start = self.pos;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                self.pos += 1;
            }
            let fraction = self.pos - fraction_start;
            // Leading zeros of "0.0…" add no significant digit.
            digits = if digits == 0 {
                fraction.saturating_sub(leading_zeros(self.bytes, fraction_start))
            } else {
                digits + fraction
            };
            exp10 = -(fraction as i64);
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            let save = self.pos;
            self.pos += 1;
            let exp_negative = match self.peek() {
                Some(b'-') => {
                    self.pos += 1;
                    true
                }
                Some(b'+') => {
                    self.pos += 1;
                    false
                }
                _ => false,
            };
            let mut exp: i64 = 0;
            let exp_start = self.pos;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                // Saturates far beyond any float's range.
                exp = (exp * 10 + i64::from(d - b'0')).min(1 << 20);
                self.pos += 1;
            }
            if self.pos == exp_start {
                // Like json.loads's regex: the exponent is not part of the number.
                self.pos = save;
            } else {
                exp10 += if exp_negative { -exp } else { exp };
                is_float = true;
            }
        }
        if is_float {
            if digits <= 19 {
                if let Some(v) = exact_float(mantissa, exp10) {
                    return b.float(if negative { -v } else { v });
                }
            }
            let literal = self.text.get(start..self.pos).unwrap_or("0");
            let v = literal
                .parse::<f64>()
                .map_err(|_| self.err(JsonErrorKind::InvalidNumber))?;
            return b.float(v);
        }
        let literal = self.text.get(start..self.pos).unwrap_or("0");
        if literal.len() > self.max_int_digits {
            self.pos = start;
            return Err(self.err(JsonErrorKind::IntegerTooLong(self.max_int_digits)));
        }
        if digits <= 18 {
            if let Ok(v) = i64::try_from(mantissa) {
                return b.int(if negative { -v } else { v });
            }
        }
        match literal.parse::<i64>() {
            Ok(v) => b.int(v),
            Err(_) => b.big_int(literal),
        }
    }
}

/// How many `0` bytes start `bytes[at..]`.
fn leading_zeros(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(at..)
        .map_or(0, |rest| rest.iter().take_while(|&&c| c == b'0').count())
}

/// Exact powers of ten as `f64` (10^22 is the largest one).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `mantissa * 10^exp10` when one IEEE operation on two exact operands gives
/// it, hence correctly rounded (Clinger's fast path, the first step of Rust's
/// own `str::parse::<f64>`): a mantissa of at most 2^53 and a power of ten
/// of at most 10^22. `None`: parse the text the long way.
fn exact_float(mantissa: u64, exp10: i64) -> Option<f64> {
    if mantissa > 1 << 53 {
        return None;
    }
    let m = mantissa as f64;
    let power = POW10.get(usize::try_from(exp10.unsigned_abs()).ok()?)?;
    Some(if exp10 < 0 { m / power } else { m * power })
}

#[cfg(test)]
mod tests;
