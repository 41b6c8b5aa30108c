//! The code points of a `regex` crate character class, so that the Python
//! side can emit Python's classes (`\w`, `\d`, `\s`, case-insensitive
//! letters) as the `regex` crate's closest class plus an exact difference.

use super::Error;
use regex_syntax::hir::{Class, HirKind};

/// The inclusive code point ranges of `class`, a class in the `regex` crate's
/// syntax such as `\w` or `[\d--\p{Thai}]`, with the crate's default
/// (Unicode) flags, as `regex` compiles it.
pub fn class_ranges(class: &str) -> Result<Vec<(u32, u32)>, Error> {
    let hir = regex_syntax::Parser::new()
        .parse(class)
        .map_err(|e| Error::Regex(e.to_string()))?;
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => Ok(c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect()),
        HirKind::Literal(lit) => {
            // A one-character class is simplified to a literal.
            let text = std::str::from_utf8(&lit.0).map_err(|e| Error::Regex(e.to_string()))?;
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(vec![(u32::from(c), u32::from(c))]),
                _ => Err(Error::Regex(format!("not a character class: {class}"))),
            }
        }
        _ => Err(Error::Regex(format!("not a character class: {class}"))),
    }
}
