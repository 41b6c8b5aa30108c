//! JSON, read and written with the semantics of Python's `json` module where
//! the two differ from JavaScript's, and with the reference encoder's output
//! format (compact, raw UTF-8) where the wire demands it.

mod parse;
mod swar;
mod value;
mod write;

pub use parse::{parse, parse_with, Scratch};
pub use swar::same_text;
#[cfg(test)]
pub(crate) use value::delegate_to_value_builder;
pub use value::{encode_packet, Value, ValueBuilder};
pub use write::{write_f64, write_i64, write_str, write_str_bytes};

use crate::error::Error;

/// Limits applied while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_depth: usize,
    pub max_int_digits: usize,
}

/// A decoded JSON string: plain UTF-8, or WTF-8 when it holds lone
/// surrogates written as `\udXXX` escapes (each encoded in three bytes,
/// `ED A0..BF 80..BF`, as Python's `surrogatepass` error handler reads them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonStr<'a> {
    Utf8(&'a str),
    Wtf8(&'a [u8]),
}

/// Builds values while [`parse`] reads the text, so no intermediate tree is
/// made. Errors from the host are reported as [`Error::Host`] and kept by the
/// builder.
pub trait Builder {
    type Value;
    type Key;
    type Object;
    fn null(&mut self) -> Result<Self::Value, Error>;
    fn boolean(&mut self, v: bool) -> Result<Self::Value, Error>;
    fn int(&mut self, v: i64) -> Result<Self::Value, Error>;
    /// An integer literal (optional `-`, then digits) that does not fit `i64`.
    fn big_int(&mut self, literal: &str) -> Result<Self::Value, Error>;
    fn float(&mut self, v: f64) -> Result<Self::Value, Error>;
    fn string(&mut self, s: JsonStr<'_>) -> Result<Self::Value, Error>;
    /// Takes the items of a finished array, in order.
    fn array(&mut self, items: std::vec::Drain<'_, Self::Value>) -> Result<Self::Value, Error>;
    fn object_new(&mut self) -> Result<Self::Object, Error>;
    /// The first item of the top-level array when it is a string: the event
    /// name of EVENT packets, which repeats from packet to packet (a builder
    /// may cache it, as keys).
    fn event_name(&mut self, s: JsonStr<'_>) -> Result<Self::Value, Error> {
        self.string(s)
    }
    /// Makes a key (before its value is read).
    fn key(&mut self, s: JsonStr<'_>) -> Result<Self::Key, Error>;
    /// Sets a key; a repeated key keeps its first position and its last value,
    /// as `json.loads` and `JSON.parse` do.
    fn object_set(
        &mut self,
        object: &mut Self::Object,
        key: Self::Key,
        value: Self::Value,
    ) -> Result<(), Error>;
    fn object_finish(&mut self, object: Self::Object) -> Result<Self::Value, Error>;
}
