//! The parser's tests (a child module, to keep `parse.rs` short).

use super::*;
use crate::json::delegate_to_value_builder;
use crate::json::{Value, ValueBuilder};

const LIMITS: Limits = Limits {
    max_depth: 256,
    max_int_digits: 100,
};

fn p(s: &str) -> Result<Value, Error> {
    parse(s, &mut ValueBuilder, &LIMITS)
}

fn kind(s: &str) -> JsonErrorKind {
    match p(s) {
        Err(Error::InvalidJson(e)) => e.kind,
        other => panic!("{s:?} gave {other:?}"),
    }
}

#[test]
fn scalars() {
    assert_eq!(p(" true ").unwrap(), Value::Bool(true));
    assert_eq!(p("null").unwrap(), Value::Null);
    assert_eq!(p("-0").unwrap(), Value::Int(0));
    assert_eq!(p("1.5e3").unwrap(), Value::Float(1500.0));
    assert_eq!(p("1E400").unwrap(), Value::Float(f64::INFINITY));
    assert_eq!(p("-Infinity").unwrap(), Value::Float(f64::NEG_INFINITY));
    assert!(matches!(p("NaN").unwrap(), Value::Float(f) if f.is_nan()));
    assert_eq!(
        p("123456789012345678901234567890").unwrap(),
        Value::BigInt("123456789012345678901234567890".into())
    );
    assert_eq!(p("9223372036854775807").unwrap(), Value::Int(i64::MAX));
}

#[test]
fn strings_and_escapes() {
    assert_eq!(
        p(r#""a\"b\\c\/d\n""#).unwrap(),
        Value::Str("a\"b\\c/d\n".into())
    );
    assert_eq!(
        p(r#""\ud83d\ude00""#).unwrap(),
        Value::Str("\u{1F600}".into())
    );
    assert_eq!(p(r#""\u00e9t\u00C9""#).unwrap(), Value::Str("étÉ".into()));
    assert_eq!(
        p(r#""\ud800""#).unwrap(),
        Value::Wtf8(vec![0xed, 0xa0, 0x80])
    );
    assert_eq!(kind("\"a\u{1}\""), JsonErrorKind::ControlCharacter);
    assert_eq!(kind(r#""\x""#), JsonErrorKind::InvalidEscape);
    assert_eq!(kind(r#""\u12""#), JsonErrorKind::InvalidEscape);
    assert_eq!(kind("\"abc"), JsonErrorKind::UnexpectedEnd);
}

#[test]
fn containers() {
    assert_eq!(
        p(r#"{"a":[1,{"b":null}],"a":2}"#).unwrap(),
        Value::Object(vec![("a".into(), Value::Int(2))])
    );
    assert_eq!(p("[ ]").unwrap(), Value::Array(vec![]));
    assert_eq!(kind("[1,]"), JsonErrorKind::ExpectedValue);
    assert_eq!(kind("[1 2]"), JsonErrorKind::ExpectedCommaOrEnd);
    assert_eq!(kind(r#"{"a" 1}"#), JsonErrorKind::ExpectedColon);
    assert_eq!(kind("{1:2}"), JsonErrorKind::ExpectedKey);
    assert_eq!(kind("[1] x"), JsonErrorKind::TrailingCharacters);
    assert_eq!(kind("01"), JsonErrorKind::TrailingCharacters);
}

#[test]
fn numbers_outside_the_grammar_are_rejected() {
    for bad in ["+1", ".5", "-", "--1", "0x10", "Infinityx", "nan"] {
        assert!(p(bad).is_err(), "{bad}");
    }
    assert_eq!(kind("1."), JsonErrorKind::TrailingCharacters);
    assert_eq!(kind("1e"), JsonErrorKind::TrailingCharacters);
}

#[test]
fn integer_length_limit_counts_the_sign() {
    let hundred = "9".repeat(100);
    assert!(p(&hundred).is_ok());
    assert_eq!(
        kind(&format!("-{hundred}")),
        JsonErrorKind::IntegerTooLong(100)
    );
    assert!(
        p(&format!("{hundred}.5")).is_ok(),
        "floats have no digit limit"
    );
}

#[test]
fn depth_limit() {
    let ok = format!("{}{}", "[".repeat(256), "]".repeat(256));
    assert!(p(&ok).is_ok());
    let deep = format!("{}{}", "[".repeat(257), "]".repeat(257));
    assert_eq!(kind(&deep), JsonErrorKind::TooDeep(256));
    let deep_objects = "{\"a\":".repeat(300);
    assert_eq!(kind(&deep_objects), JsonErrorKind::TooDeep(256));
}

/// Records which strings the parser reports as event names.
struct Names(Vec<String>);

impl Builder for Names {
    delegate_to_value_builder!();
    fn event_name(&mut self, s: JsonStr<'_>) -> Result<Value, Error> {
        let v = ValueBuilder.string(s)?;
        if let Value::Str(name) = &v {
            self.0.push(name.clone());
        }
        Ok(v)
    }
}

#[test]
fn only_the_first_string_of_the_top_level_array_is_an_event_name() {
    let mut names = Names(Vec::new());
    let v = parse(
        r#" [ "chat", "x", ["inner"], {"k": ["v"]}]"#,
        &mut names,
        &LIMITS,
    )
    .unwrap();
    assert_eq!(names.0, ["chat"]);
    assert_eq!(v, p(r#"["chat","x",["inner"],{"k":["v"]}]"#).unwrap());
    for text in [r#"[1, "a"]"#, r#"{"a": "b"}"#, r#""s""#, "[]", r#"[["a"]]"#] {
        let mut names = Names(Vec::new());
        parse(text, &mut names, &LIMITS).unwrap();
        assert!(names.0.is_empty(), "{text}");
    }
}

#[test]
fn strings_of_every_length_end_at_their_quote() {
    for n in 0..70 {
        let body: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        for tail in ["", "]", ", 1]"] {
            let text = if tail.is_empty() {
                format!("\"{body}\"")
            } else {
                format!("[\"{body}\"{tail}")
            };
            let v = p(&text).unwrap();
            let s = match &v {
                Value::Str(s) => s.clone(),
                Value::Array(items) => match &items[0] {
                    Value::Str(s) => s.clone(),
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            };
            assert_eq!(s, body);
        }
        let escaped = format!("\"{body}\\n{body}\u{1}\"");
        assert_eq!(kind(&escaped), JsonErrorKind::ControlCharacter);
    }
}

#[test]
fn the_depth_ceiling_fits_a_small_thread_stack() {
    let limits = Limits {
        max_depth: crate::codec::DecoderOptions::DEPTH_CEILING,
        max_int_digits: 100,
    };
    let n = limits.max_depth;
    let text = format!("{}1{}", "[{\"a\":".repeat(n / 2), "}]".repeat(n / 2));
    // Release builds (what Python loads) need under 256 KiB for this; an
    // unoptimised build's frames are several times larger.
    let stack = if cfg!(debug_assertions) {
        8 << 20
    } else {
        256 << 10
    };
    let handle = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || parse(&text, &mut ValueBuilder, &limits).is_ok())
        .unwrap();
    assert!(handle.join().unwrap());
}

#[test]
fn floats_are_read_as_str_parse_reads_them() {
    // The fast path (exact mantissa and power of ten) and the long way must agree
    // with Rust's correctly rounded parser on every shape of literal.
    let mut literals: Vec<String> = [
        "0.0",
        "-0.0",
        "0e5",
        "-0e-5",
        "0.038",
        "1717171717.123",
        "1717171000.5",
        "1.5e3",
        "9007199254740993.0",
        "9007199254740992.0",
        "9007199254740991.5",
        "1e22",
        "1e23",
        "1e-22",
        "1e-23",
        "123456789012345678.9",
        "1234567890123456789.0",
        "12345678901234567890.0",
        "0.1",
        "0.2",
        "0.30000000000000004",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "1e308",
        "1e309",
        "4.9e-324",
        "1e-400",
        "0.000001",
        "1E+2",
        "1e0000000000000000000001",
        "100000000000000000000000e-10",
        "0.00000000000000000000000000001",
        "1.00000000000000000000000000001",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // A deterministic spread of mantissas and exponents around the fast path's edges.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let digits = (x % 20) as usize + 1;
        let m = (x >> 8) % 10u64.pow(digits.min(19) as u32);
        let point = (x >> 40) as usize % (digits + 1);
        let exp = (x >> 48) as i64 % 60 - 30;
        let text = format!("{m:0digits$}");
        let (int, frac) = text.split_at(point);
        let int = if int.is_empty() { "0" } else { int };
        let int = int.trim_start_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        let frac = if frac.is_empty() { "0" } else { frac };
        let sign = if x & 1 == 1 { "-" } else { "" };
        literals.push(format!("{sign}{int}.{frac}"));
        literals.push(format!("{sign}{int}.{frac}e{exp}"));
        literals.push(format!("{sign}{int}e{exp}"));
    }
    for lit in literals {
        let expected: f64 = lit.parse().unwrap();
        match p(&lit).unwrap() {
            Value::Float(v) => assert_eq!(
                v.to_bits(),
                expected.to_bits(),
                "{lit}: {v:?} != {expected:?}"
            ),
            other => panic!("{lit}: {other:?}"),
        }
    }
}
