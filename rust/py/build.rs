//! Builds Python objects straight from the JSON text (no `json` module, no
//! intermediate tree), and gives the codec's payload rules and binary
//! reconstruction a view of them. With a decoder's `json=` module, the
//! module's `loads` parses the payload instead, and the rules and
//! reconstruction apply to what it returns.

use super::ffi_ext::str_utf8;
use super::json_module;
use super::obj::Obj;
use crate::codec::{self, Host, Kind, PacketType, PayloadView, PlaceholderCheck};
use crate::error::Error;
use crate::json::{self, Builder, JsonStr, Limits, Scratch};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::cell::UnsafeCell;

/// Builds values for one decoder call; keeps the first Python exception.
pub struct PyBuilder<'py> {
    py: Python<'py>,
    pub err: Option<PyErr>,
    /// The `loads` of the decoder's `json=` module; `None`: the Rust parser.
    loads: Option<Bound<'py, PyAny>>,
    /// Nesting followed when putting attachments back: a value from `loads`
    /// may be deeper than the parser allows, or circular.
    max_depth: usize,
}

impl<'py> PyBuilder<'py> {
    pub fn new(py: Python<'py>, loads: Option<Bound<'py, PyAny>>, max_depth: usize) -> Self {
        PyBuilder {
            py,
            err: None,
            loads,
            max_depth,
        }
    }

    /// Takes ownership of a new reference, or records the pending exception.
    #[inline]
    fn own(&mut self, ptr: *mut ffi::PyObject) -> Result<Obj, Error> {
        // SAFETY: `ptr` comes straight from a C API call returning a new reference.
        match unsafe { Obj::from_owned(ptr) } {
            Some(obj) => Ok(obj),
            None => Err(self.fetch()),
        }
    }

    fn fetch(&mut self) -> Error {
        self.err = Some(PyErr::fetch(self.py));
        Error::Host
    }

    fn new_str(&mut self, s: JsonStr<'_>) -> Result<Obj, Error> {
        // SAFETY: pointer and length describe a live slice; the interpreter is attached.
        let ptr = unsafe {
            match s {
                JsonStr::Utf8(s) => {
                    ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as ffi::Py_ssize_t)
                }
                JsonStr::Wtf8(b) => ffi::PyUnicode_DecodeUTF8(
                    b.as_ptr().cast(),
                    b.len() as ffi::Py_ssize_t,
                    c"surrogatepass".as_ptr(),
                ),
            }
        };
        self.own(ptr)
    }

    /// Replaces placeholders in `v` by attachments; `Some` when `v` itself is
    /// one. `depth` counts the containers around `v`.
    fn replace(
        &mut self,
        v: &Bound<'py, PyAny>,
        buffers: &[Obj],
        depth: usize,
    ) -> Result<Option<Obj>, Error> {
        if let Ok(list) = v.cast::<PyList>() {
            self.enter(depth)?;
            for i in 0..list.len() {
                let Ok(item) = list.get_item(i) else { continue };
                if let Some(new) = self.replace(&item, buffers, depth + 1)? {
                    list.set_item(i, new.into_py(self.py))
                        .map_err(|e| self.keep(e))?;
                }
            }
            return Ok(None);
        }
        let Ok(dict) = v.cast::<PyDict>() else {
            return Ok(None);
        };
        self.enter(depth)?;
        // The reference tests `_placeholder === true`: the JSON `true` only.
        // SAFETY: Py_True is a static object.
        let flag = matches!(dict.get_item("_placeholder"), Ok(Some(f)) if f.as_ptr() == unsafe { ffi::Py_True() });
        let num = match dict.get_item("num") {
            Ok(Some(n)) if is_number(&n) => n.extract::<f64>().ok(),
            _ => None,
        };
        match codec::placeholder_index(flag, num, buffers.len()) {
            PlaceholderCheck::Index(n) => match buffers.get(n) {
                Some(b) => Ok(Some(b.clone_ref(self.py))),
                None => Err(Error::IllegalPlaceholder),
            },
            PlaceholderCheck::Illegal => Err(Error::IllegalPlaceholder),
            PlaceholderCheck::NotPlaceholder => {
                let mut changes = Vec::new();
                let py = self.py;
                let (mut pos, mut key, mut value) = (0, std::ptr::null_mut(), std::ptr::null_mut());
                // Not PyO3's dict iterator, which panics if the dict changes
                // size: a value from a `json=` module's `loads` may run Python
                // code (`__float__` of an int subclass, `__eq__` of a key).
                // PyDict_Next stays memory-safe; each pair is owned at once.
                // SAFETY: a live dict; borrowed references taken over at once.
                while unsafe { ffi::PyDict_Next(dict.as_ptr(), &mut pos, &mut key, &mut value) }
                    != 0
                {
                    let (key, value) = unsafe {
                        (
                            Bound::from_borrowed_ptr(py, key),
                            Bound::from_borrowed_ptr(py, value),
                        )
                    };
                    if let Some(new) = self.replace(&value, buffers, depth + 1)? {
                        changes.push((key, new));
                    }
                }
                for (key, new) in changes {
                    dict.set_item(key, new.into_py(self.py))
                        .map_err(|e| self.keep(e))?;
                }
                Ok(None)
            }
        }
    }

    /// A container inside `depth` others: within `max_depth`, as the parser
    /// allows (a circular value from `loads` stops here too).
    fn enter(&self, depth: usize) -> Result<(), Error> {
        if depth >= self.max_depth {
            return Err(Error::TooDeep(self.max_depth));
        }
        Ok(())
    }

    fn keep(&mut self, e: PyErr) -> Error {
        self.err = Some(e);
        Error::Host
    }
}

/// An int (not a bool) or a float: what JavaScript calls a number.
fn is_number(v: &Bound<'_, PyAny>) -> bool {
    let p = v.as_ptr();
    // SAFETY: `p` is live; type checks run no Python code.
    unsafe {
        (ffi::PyLong_Check(p) != 0 && ffi::PyBool_Check(p) == 0) || ffi::PyFloat_Check(p) != 0
    }
}

impl Builder for PyBuilder<'_> {
    type Value = Obj;
    type Key = Obj;
    type Object = Obj;

    fn null(&mut self) -> Result<Obj, Error> {
        // SAFETY: Py_None is a static object; IncRef makes the new reference.
        unsafe {
            ffi::Py_IncRef(ffi::Py_None());
            self.own(ffi::Py_None())
        }
    }

    fn boolean(&mut self, v: bool) -> Result<Obj, Error> {
        // SAFETY: attached; PyBool_FromLong returns a new reference.
        let ptr = unsafe { ffi::PyBool_FromLong(std::os::raw::c_long::from(v)) };
        self.own(ptr)
    }

    fn int(&mut self, v: i64) -> Result<Obj, Error> {
        // SAFETY: attached.
        let ptr = unsafe { ffi::PyLong_FromLongLong(v) };
        self.own(ptr)
    }

    fn big_int(&mut self, literal: &str) -> Result<Obj, Error> {
        let Ok(c) = std::ffi::CString::new(literal) else {
            return Err(Error::Host);
        };
        // SAFETY: `c` is a NUL-terminated decimal literal; attached.
        let ptr = unsafe { ffi::PyLong_FromString(c.as_ptr(), std::ptr::null_mut(), 10) };
        self.own(ptr)
    }

    fn float(&mut self, v: f64) -> Result<Obj, Error> {
        // SAFETY: attached.
        let ptr = unsafe { ffi::PyFloat_FromDouble(v) };
        self.own(ptr)
    }

    fn string(&mut self, s: JsonStr<'_>) -> Result<Obj, Error> {
        self.new_str(s)
    }

    fn array(&mut self, items: std::vec::Drain<'_, Obj>) -> Result<Obj, Error> {
        // SAFETY: attached.
        let list = self.own(unsafe { ffi::PyList_New(items.len() as ffi::Py_ssize_t) })?;
        for (i, item) in items.enumerate() {
            // SAFETY: `list` is a new list of the right size; SetItem steals `item`.
            if unsafe { ffi::PyList_SetItem(list.as_ptr(), i as ffi::Py_ssize_t, item.into_ptr()) }
                < 0
            {
                return Err(self.fetch());
            }
        }
        Ok(list)
    }

    fn object_new(&mut self) -> Result<Obj, Error> {
        // SAFETY: attached.
        let ptr = unsafe { ffi::PyDict_New() };
        self.own(ptr)
    }

    fn key(&mut self, s: JsonStr<'_>) -> Result<Obj, Error> {
        match s {
            JsonStr::Utf8(text) if text.len() <= KEY_MAX_LEN => {
                let slot = key_slot(text.as_bytes());
                let py = self.py;
                if let Some(hit) = KEYS.with(py, |cache| cache.lookup(slot, text.as_bytes(), py)) {
                    return Ok(hit);
                }
                let key = self.new_str(s)?;
                // SAFETY: hashing a str runs no Python code; the hash is then
                // cached in the object for every dict this key goes into.
                unsafe { ffi::PyObject_Hash(key.as_ptr()) };
                KEYS.with(py, |cache| cache.store(slot, text.as_bytes(), &key, py));
                Ok(key)
            }
            other => self.new_str(other),
        }
    }

    fn object_set(&mut self, object: &mut Obj, key: Obj, value: Obj) -> Result<(), Error> {
        // SAFETY: `object` is a dict we made; SetItem takes its own references.
        if unsafe { ffi::PyDict_SetItem(object.as_ptr(), key.as_ptr(), value.as_ptr()) } < 0 {
            return Err(self.fetch());
        }
        Ok(())
    }

    fn object_finish(&mut self, object: Obj) -> Result<Obj, Error> {
        Ok(object)
    }
}

const KEY_SLOTS: usize = 512;
const KEY_MAX_LEN: usize = 32;

/// Recently seen dict keys, so the same key text becomes the same `str`
/// object (hash already computed) instead of a new one each time.
struct KeyCache {
    slots: Vec<Option<CachedKey>>,
}

struct CachedKey {
    len: u8,
    text: [u8; KEY_MAX_LEN],
    key: Obj,
}

impl KeyCache {
    fn lookup(&mut self, slot: usize, text: &[u8], py: Python<'_>) -> Option<Obj> {
        match self.slots.get(slot) {
            Some(Some(c))
                if usize::from(c.len) == text.len() && c.text.get(..text.len()) == Some(text) =>
            {
                Some(c.key.clone_ref(py))
            }
            _ => None,
        }
    }

    fn store(&mut self, slot: usize, text: &[u8], key: &Obj, py: Python<'_>) {
        if self.slots.is_empty() {
            self.slots = (0..KEY_SLOTS).map(|_| None).collect();
        }
        let mut buf = [0u8; KEY_MAX_LEN];
        let Some(dst) = buf.get_mut(..text.len()) else {
            return;
        };
        dst.copy_from_slice(text);
        if let Some(entry) = self.slots.get_mut(slot) {
            // Dropping a replaced key frees a str at most: no Python code runs.
            *entry = Some(CachedKey {
                len: text.len() as u8,
                text: buf,
                key: key.clone_ref(py),
            });
        }
    }
}

/// State shared by every decoder of the process and only touched while
/// attached to the interpreter, whose lock serialises access (abi3 builds
/// always have that lock). A plain static: no thread-local lookup per key.
struct Attached<T>(UnsafeCell<T>);

// SAFETY: see above; `with` requires the `Python` token.
unsafe impl<T> Sync for Attached<T> {}

impl<T> Attached<T> {
    /// Runs `f` on the value. `f` must not run Python code (which could
    /// re-enter); the key cache only compares, copies and counts references.
    fn with<R>(&self, _py: Python<'_>, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: attached, and `f` cannot re-enter (see above).
        f(unsafe { &mut *self.0.get() })
    }
}

static KEYS: Attached<KeyCache> = Attached(UnsafeCell::new(KeyCache { slots: Vec::new() }));

/// A cheap slot hash for short keys: the length and up to the first and
/// last eight bytes (collisions only cost a cache miss).
fn key_slot(bytes: &[u8]) -> usize {
    let word = |s: &[u8]| {
        let mut w = [0u8; 8];
        let n = s.len().min(8);
        if let (Some(dst), Some(src)) = (w.get_mut(..n), s.get(..n)) {
            dst.copy_from_slice(src);
        }
        u64::from_le_bytes(w)
    };
    let head = word(bytes);
    let tail = word(
        bytes
            .get(bytes.len().saturating_sub(8)..)
            .unwrap_or_default(),
    );
    let h = (head ^ tail.rotate_left(29) ^ bytes.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 40) as usize % KEY_SLOTS
}

impl Host for PyBuilder<'_> {
    type Buffer = Obj;

    fn parse_payload(
        &mut self,
        text: &str,
        limits: &Limits,
        scratch: &mut Scratch<Obj>,
    ) -> Result<Obj, Error> {
        let Some(loads) = &self.loads else {
            return json::parse_with(text, self, limits, scratch);
        };
        match json_module::loads(loads, text) {
            Ok(value) => Ok(value),
            Err(json_module::LoadsError::Refused(message, cause)) => {
                self.err = Some(cause);
                Err(Error::HostJson(message))
            }
            Err(json_module::LoadsError::Raised(e)) => Err(self.keep(e)),
        }
    }

    fn check_payload(&self, packet_type: PacketType, value: &Obj) -> Result<(), &'static str> {
        codec::payload_valid(packet_type, &View(value.bind(self.py)))
    }

    fn reconstruct(&mut self, value: Obj, buffers: &[Obj]) -> Result<Obj, Error> {
        let bound = value.bind(self.py);
        Ok(self.replace(&bound, buffers, 0)?.unwrap_or(value))
    }
}

/// A Python value seen by the payload rules: lists and tuples are arrays,
/// dicts are objects, ints (not bools) and floats are numbers.
pub struct View<'py>(pub Bound<'py, PyAny>);

impl PayloadView for View<'_> {
    fn kind(&self) -> Kind {
        let p = self.0.as_ptr();
        // SAFETY: `p` is live; type checks run no Python code.
        unsafe {
            if p == ffi::Py_None() {
                Kind::Null
            } else if ffi::PyUnicode_Check(p) != 0 {
                Kind::String
            } else if ffi::PyBool_Check(p) != 0 {
                Kind::Bool
            } else if ffi::PyLong_Check(p) != 0 || ffi::PyFloat_Check(p) != 0 {
                Kind::Number
            } else if ffi::PyList_Check(p) != 0 || ffi::PyTuple_Check(p) != 0 {
                Kind::Array
            } else if ffi::PyDict_Check(p) != 0 {
                Kind::Object
            } else {
                Kind::Other
            }
        }
    }

    fn first(&self) -> Option<Self> {
        if let Ok(list) = self.0.cast::<PyList>() {
            return list.get_item(0).ok().map(View);
        }
        if let Ok(tuple) = self.0.cast::<PyTuple>() {
            return tuple.get_item(0).ok().map(View);
        }
        None
    }

    fn is_reserved_name(&self) -> bool {
        // SAFETY: a type check on a live object.
        if unsafe { ffi::PyUnicode_Check(self.0.as_ptr()) } == 0 {
            return false;
        }
        // SAFETY: a live str.
        match unsafe { str_utf8(self.0.as_ptr()) } {
            Some(bytes) => std::str::from_utf8(bytes).is_ok_and(codec::is_reserved_event),
            None => false,
        }
    }
}
