//! Short strings the decoder sees again and again: dict keys and event
//! names. The same text becomes the same `str` object, whose hash is
//! computed once, instead of a new object each time.

use super::attached::Attached;
use super::obj::Obj;
use crate::error::Error;
use crate::json::same_text;
use pyo3::ffi;
use pyo3::prelude::*;

/// The cached `str` for `text` (at most `KEY_MAX_LEN` bytes of UTF-8), made
/// by `make` on a miss; `None` for longer text, which is never cached.
#[inline]
pub fn cached_str(
    py: Python<'_>,
    text: &str,
    make: impl FnOnce() -> Result<Obj, Error>,
) -> Result<Option<Obj>, Error> {
    let text = text.as_bytes();
    if text.len() > KEY_MAX_LEN {
        return Ok(None);
    }
    let print = Fingerprint::of(text);
    if let Some(hit) = KEYS.with(py, |cache| cache.lookup(&print, text, py)) {
        return Ok(Some(hit));
    }
    let key = make()?;
    // SAFETY: hashing a str runs no Python code; the hash is then cached in
    // the object for every dict this key goes into (or event name lookup).
    unsafe { ffi::PyObject_Hash(key.as_ptr()) };
    KEYS.with(py, |cache| cache.store(print, text, &key, py));
    Ok(Some(key))
}

const KEY_SLOTS: usize = 512;
const KEY_MAX_LEN: usize = 32;

/// The length and the first and last eight bytes of a text (fewer than
/// eight: all of them, folded): it picks the slot, and for texts of up to
/// sixteen bytes equal fingerprints mean equal texts.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    len: usize,
    head: u64,
    tail: u64,
}

impl Fingerprint {
    #[inline]
    fn of(bytes: &[u8]) -> Fingerprint {
        // Fixed-size loads (no copy call) from eight bytes up; shorter texts
        // are folded byte by byte.
        let head = match bytes.first_chunk::<8>() {
            Some(w) => u64::from_le_bytes(*w),
            None => bytes
                .iter()
                .rev()
                .fold(0, |acc, &b| (acc << 8) | u64::from(b)),
        };
        let tail = match bytes.last_chunk::<8>() {
            Some(w) => u64::from_le_bytes(*w),
            None => head,
        };
        Fingerprint {
            len: bytes.len(),
            head,
            tail,
        }
    }

    /// A cheap slot hash (collisions only cost a cache miss).
    fn slot(&self) -> usize {
        let h = (self.head ^ self.tail.rotate_left(29) ^ self.len as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> 40) as usize % KEY_SLOTS
    }

    /// Whether a text with this fingerprint equals `stored`, which has it too.
    fn same(&self, stored: &[u8], text: &[u8]) -> bool {
        // Bytes 8..len-8 are the only ones the fingerprint does not hold.
        self.len <= 16
            || matches!(
                (stored.get(8..self.len - 8), text.get(8..self.len - 8)),
                (Some(a), Some(b)) if same_text(a, b)
            )
    }
}

/// Recently seen keys and event names, by slot.
struct KeyCache {
    slots: Vec<Option<CachedKey>>,
}

struct CachedKey {
    print: Fingerprint,
    text: [u8; KEY_MAX_LEN],
    key: Obj,
}

impl KeyCache {
    fn lookup(&mut self, print: &Fingerprint, text: &[u8], py: Python<'_>) -> Option<Obj> {
        match self.slots.get(print.slot()) {
            Some(Some(c)) if c.print == *print && print.same(&c.text, text) => {
                Some(c.key.clone_ref(py))
            }
            _ => None,
        }
    }

    fn store(&mut self, print: Fingerprint, text: &[u8], key: &Obj, py: Python<'_>) {
        if self.slots.is_empty() {
            self.slots = (0..KEY_SLOTS).map(|_| None).collect();
        }
        let mut buf = [0u8; KEY_MAX_LEN];
        let Some(dst) = buf.get_mut(..text.len()) else {
            return;
        };
        dst.copy_from_slice(text);
        if let Some(entry) = self.slots.get_mut(print.slot()) {
            // Dropping a replaced key frees a str at most: no Python code runs.
            *entry = Some(CachedKey {
                print,
                text: buf,
                key: key.clone_ref(py),
            });
        }
    }
}

static KEYS: Attached<KeyCache> = Attached::new(KeyCache { slots: Vec::new() });
