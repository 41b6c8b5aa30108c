//! Builds Python objects straight from the JSON text (no `json` module, no
//! intermediate tree), and gives the codec's payload rules and binary
//! reconstruction a view of them.

use super::ffi_ext::{is_type, str_utf8};
use crate::codec::{self, Host, Kind, PacketType, PayloadView, PlaceholderCheck};
use crate::error::Error;
use crate::json::{Builder, JsonStr};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::cell::RefCell;
use std::ptr::addr_of_mut;

/// Builds values for one decoder call; keeps the first Python exception.
pub struct PyBuilder<'py> {
    py: Python<'py>,
    pub err: Option<PyErr>,
}

impl<'py> PyBuilder<'py> {
    pub fn new(py: Python<'py>) -> Self {
        PyBuilder { py, err: None }
    }

    /// Takes ownership of a new reference, or records the pending exception.
    fn own(&mut self, ptr: *mut ffi::PyObject) -> Result<Py<PyAny>, Error> {
        if ptr.is_null() {
            self.err = Some(PyErr::fetch(self.py));
            return Err(Error::Host);
        }
        // SAFETY: a non-null new reference returned by the C API.
        Ok(unsafe { Bound::from_owned_ptr(self.py, ptr) }.unbind())
    }

    fn check(&mut self, status: std::os::raw::c_int) -> Result<(), Error> {
        if status < 0 {
            self.err = Some(PyErr::fetch(self.py));
            return Err(Error::Host);
        }
        Ok(())
    }

    fn new_str(&mut self, s: JsonStr<'_>) -> Result<Py<PyAny>, Error> {
        // SAFETY: pointer and length describe a live slice; the interpreter is attached.
        let ptr = unsafe {
            match s {
                JsonStr::Utf8(s) => ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as ffi::Py_ssize_t),
                JsonStr::Wtf8(b) => {
                    ffi::PyUnicode_DecodeUTF8(b.as_ptr().cast(), b.len() as ffi::Py_ssize_t, c"surrogatepass".as_ptr())
                }
            }
        };
        self.own(ptr)
    }

    /// Replaces placeholders in `v` by attachments; `Some` when `v` itself is one.
    fn replace(&mut self, v: &Bound<'py, PyAny>, buffers: &[Py<PyAny>]) -> Result<Option<Py<PyAny>>, Error> {
        if let Ok(list) = v.cast::<PyList>() {
            for i in 0..list.len() {
                let Ok(item) = list.get_item(i) else { continue };
                if let Some(new) = self.replace(&item, buffers)? {
                    list.set_item(i, new).map_err(|e| self.keep(e))?;
                }
            }
            return Ok(None);
        }
        let Ok(dict) = v.cast::<PyDict>() else {
            return Ok(None);
        };
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
                for (key, value) in dict.iter() {
                    if let Some(new) = self.replace(&value, buffers)? {
                        changes.push((key, new));
                    }
                }
                for (key, new) in changes {
                    dict.set_item(key, new).map_err(|e| self.keep(e))?;
                }
                Ok(None)
            }
        }
    }

    fn keep(&mut self, e: PyErr) -> Error {
        self.err = Some(e);
        Error::Host
    }
}

/// An int (not a bool) or a float: what JavaScript calls a number.
fn is_number(v: &Bound<'_, PyAny>) -> bool {
    // SAFETY: `v` is live and the interpreter attached.
    unsafe { ffi::PyLong_Check(v.as_ptr()) != 0 && ffi::PyBool_Check(v.as_ptr()) == 0 || ffi::PyFloat_Check(v.as_ptr()) != 0 }
}

impl Builder for PyBuilder<'_> {
    type Value = Py<PyAny>;
    type Key = Py<PyAny>;
    type Object = Py<PyAny>;

    fn null(&mut self) -> Result<Py<PyAny>, Error> {
        Ok(self.py.None())
    }

    fn boolean(&mut self, v: bool) -> Result<Py<PyAny>, Error> {
        Ok(pyo3::types::PyBool::new(self.py, v).to_owned().into_any().unbind())
    }

    fn int(&mut self, v: i64) -> Result<Py<PyAny>, Error> {
        // SAFETY: attached.
        let ptr = unsafe { ffi::PyLong_FromLongLong(v) };
        self.own(ptr)
    }

    fn big_int(&mut self, literal: &str) -> Result<Py<PyAny>, Error> {
        let Ok(c) = std::ffi::CString::new(literal) else {
            return Err(Error::Host);
        };
        // SAFETY: `c` is a NUL-terminated decimal literal; attached.
        let ptr = unsafe { ffi::PyLong_FromString(c.as_ptr(), std::ptr::null_mut(), 10) };
        self.own(ptr)
    }

    fn float(&mut self, v: f64) -> Result<Py<PyAny>, Error> {
        // SAFETY: attached.
        let ptr = unsafe { ffi::PyFloat_FromDouble(v) };
        self.own(ptr)
    }

    fn string(&mut self, s: JsonStr<'_>) -> Result<Py<PyAny>, Error> {
        self.new_str(s)
    }

    fn array(&mut self, items: std::vec::Drain<'_, Py<PyAny>>) -> Result<Py<PyAny>, Error> {
        // SAFETY: attached.
        let list = self.own(unsafe { ffi::PyList_New(items.len() as ffi::Py_ssize_t) })?;
        for (i, item) in items.enumerate() {
            // SAFETY: `list` is a new list of the right size; SetItem steals `item`.
            let status = unsafe { ffi::PyList_SetItem(list.as_ptr(), i as ffi::Py_ssize_t, item.into_ptr()) };
            self.check(status)?;
        }
        Ok(list)
    }

    fn object_new(&mut self) -> Result<Py<PyAny>, Error> {
        // SAFETY: attached.
        let ptr = unsafe { ffi::PyDict_New() };
        self.own(ptr)
    }

    fn key(&mut self, s: JsonStr<'_>) -> Result<Py<PyAny>, Error> {
        match s {
            JsonStr::Utf8(text) if text.len() <= KEY_CACHE_MAX_LEN => cached_key(self, text),
            other => self.new_str(other),
        }
    }

    fn object_set(&mut self, object: &mut Py<PyAny>, key: Py<PyAny>, value: Py<PyAny>) -> Result<(), Error> {
        // SAFETY: `object` is a dict we made; SetItem takes its own references.
        let status = unsafe { ffi::PyDict_SetItem(object.as_ptr(), key.as_ptr(), value.as_ptr()) };
        self.check(status)
    }

    fn object_finish(&mut self, object: Py<PyAny>) -> Result<Py<PyAny>, Error> {
        Ok(object)
    }
}

const KEY_CACHE_SLOTS: usize = 1024;
const KEY_CACHE_MAX_LEN: usize = 64;

/// Recently seen dict keys, so the same key text becomes the same `str`
/// object (with its hash already computed) instead of a new one each time.
struct KeyCache {
    slots: Vec<Option<CachedKey>>,
}

/// A key's UTF-8 text and its `str`.
type CachedKey = (Box<[u8]>, Py<PyAny>);

thread_local! {
    static KEYS: RefCell<KeyCache> = RefCell::new(KeyCache {
        slots: (0..KEY_CACHE_SLOTS).map(|_| None).collect(),
    });
}

fn fnv1a(bytes: &[u8]) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as usize
}

fn cached_key(b: &mut PyBuilder<'_>, text: &str) -> Result<Py<PyAny>, Error> {
    let slot = fnv1a(text.as_bytes()) % KEY_CACHE_SLOTS;
    let hit = KEYS.with(|cache| {
        let cache = cache.try_borrow().ok()?;
        match cache.slots.get(slot) {
            Some(Some((k, v))) if **k == *text.as_bytes() => Some(v.clone_ref(b.py)),
            _ => None,
        }
    });
    if let Some(key) = hit {
        return Ok(key);
    }
    let key = b.new_str(JsonStr::Utf8(text))?;
    // SAFETY: `key` is a str; hashing a str runs no Python code and caches
    // the hash in the object, so every dict this key goes into skips it.
    unsafe { ffi::PyObject_Hash(key.as_ptr()) };
    store_key(slot, text, &key, b.py);
    Ok(key)
}

fn store_key(slot: usize, text: &str, key: &Py<PyAny>, py: Python<'_>) {
    KEYS.with(|cache| {
        // A re-entrant call (a finalizer decoding while we build) skips the cache.
        if let Ok(mut cache) = cache.try_borrow_mut() {
            if let Some(entry) = cache.slots.get_mut(slot) {
                *entry = Some((text.as_bytes().into(), key.clone_ref(py)));
            }
        }
    });
}

impl Host for PyBuilder<'_> {
    type Buffer = Py<PyAny>;

    fn check_payload(&self, packet_type: PacketType, value: &Py<PyAny>) -> Result<(), &'static str> {
        codec::payload_valid(packet_type, &View(value.bind(self.py).clone()))
    }

    fn reconstruct(&mut self, value: Py<PyAny>, buffers: &[Py<PyAny>]) -> Result<Py<PyAny>, Error> {
        let bound = value.bind(self.py).clone();
        Ok(self.replace(&bound, buffers)?.unwrap_or(value))
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
        // SAFETY: only called on a str (kind() == String).
        let is_str = unsafe { is_type(self.0.as_ptr(), addr_of_mut!(ffi::PyUnicode_Type)) }
            || unsafe { ffi::PyUnicode_Check(self.0.as_ptr()) != 0 };
        if !is_str {
            return false;
        }
        // SAFETY: a live str.
        match unsafe { str_utf8(self.0.as_ptr()) } {
            Some(bytes) => std::str::from_utf8(bytes).is_ok_and(codec::is_reserved_event),
            None => false,
        }
    }
}
