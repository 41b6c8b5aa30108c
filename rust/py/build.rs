//! Builds Python objects straight from the JSON text (no `json` module, no
//! intermediate tree), and gives the codec's payload rules and binary
//! reconstruction a view of them. With a decoder's `json=` module, the
//! module's `loads` parses the payload instead, and the rules and
//! reconstruction apply to what it returns.

use super::ffi_ext::{incref, is_type};
use super::json_module;
use super::keys;
use super::obj::Obj;
use super::view::{Parsed, View};
use crate::codec::{self, Host, PacketType, PlaceholderCheck};
use crate::error::Error;
use crate::json::{self, Builder, JsonStr, Limits, Scratch};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3::{ffi, intern};

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

    /// A str from the cache of keys and event names (short UTF-8 text), or
    /// a new one.
    fn cached_str(&mut self, s: JsonStr<'_>) -> Result<Obj, Error> {
        if let JsonStr::Utf8(text) = s {
            if let Some(hit) = keys::cached_str(self.py, text, || self.new_str(s))? {
                return Ok(hit);
            }
        }
        self.new_str(s)
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
        // Interned keys: their hash is computed once, not per lookup.
        let py = self.py;
        let flag = matches!(dict.get_item(intern!(py, "_placeholder")), Ok(Some(f)) if f.as_ptr() == unsafe { ffi::Py_True() });
        let num = match dict.get_item(intern!(py, "num")) {
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

    /// [`Self::replace`] for a value this crate's parser built: only exact
    /// `list`, `dict`, `str` keys and scalars, so no Python code can run
    /// during the walk and borrowed references stay valid. Values are
    /// replaced in place (a dict's keys do not change, which `PyDict_Next`
    /// allows). Without PyO3's owned handles and checked casts this costs a
    /// fifth of the general walk.
    ///
    /// # Safety
    /// `v` is a live object built by the parser (the decoder's own packet,
    /// never seen by Python code yet); attached.
    unsafe fn replace_parsed(
        &mut self,
        v: *mut ffi::PyObject,
        buffers: &[Obj],
        depth: usize,
    ) -> Result<Option<Obj>, Error> {
        // SAFETY (whole body): see above; every pointer is borrowed from the
        // tree, which only this walk changes.
        unsafe {
            if is_type(v, &raw mut ffi::PyList_Type) {
                self.enter(depth)?;
                for i in 0..ffi::PyList_Size(v) {
                    let item = ffi::PyList_GetItem(v, i);
                    if item.is_null() || !is_container(item) {
                        continue;
                    }
                    if let Some(new) = self.replace_parsed(item, buffers, depth + 1)? {
                        // Steals `new`, releases the placeholder dict.
                        if ffi::PyList_SetItem(v, i, new.into_ptr()) < 0 {
                            return Err(self.fetch());
                        }
                    }
                }
                return Ok(None);
            }
            if !is_type(v, &raw mut ffi::PyDict_Type) {
                return Ok(None);
            }
            self.enter(depth)?;
            let py = self.py;
            // The reference tests `_placeholder === true`: the JSON `true` only.
            let flag = ffi::PyDict_GetItemWithError(v, intern!(py, "_placeholder").as_ptr());
            let check = if flag == ffi::Py_True() {
                let num = ffi::PyDict_GetItemWithError(v, intern!(py, "num").as_ptr());
                codec::placeholder_index(true, as_number(num), buffers.len())
            } else {
                PlaceholderCheck::NotPlaceholder
            };
            if !ffi::PyErr_Occurred().is_null() {
                return Err(self.fetch());
            }
            match check {
                PlaceholderCheck::Index(n) => match buffers.get(n) {
                    Some(b) => Ok(Some(b.clone_ref(py))),
                    None => Err(Error::IllegalPlaceholder),
                },
                PlaceholderCheck::Illegal => Err(Error::IllegalPlaceholder),
                PlaceholderCheck::NotPlaceholder => {
                    let (mut pos, mut key, mut value) =
                        (0, std::ptr::null_mut(), std::ptr::null_mut());
                    while ffi::PyDict_Next(v, &mut pos, &mut key, &mut value) != 0 {
                        if !is_container(value) {
                            continue;
                        }
                        if let Some(new) = self.replace_parsed(value, buffers, depth + 1)? {
                            // An existing key: the dict keeps its size and order.
                            if ffi::PyDict_SetItem(v, key, new.as_ptr()) < 0 {
                                return Err(self.fetch());
                            }
                        }
                    }
                    Ok(None)
                }
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

/// Whether the parser's value `p` is a list or a dict.
///
/// # Safety
/// `p` is a live object.
#[inline]
unsafe fn is_container(p: *mut ffi::PyObject) -> bool {
    // SAFETY: guaranteed by the caller.
    unsafe { is_type(p, &raw mut ffi::PyList_Type) || is_type(p, &raw mut ffi::PyDict_Type) }
}

/// A parsed `num` read as a number (`None` when absent, not a number, or an
/// int too large for a float), as `extract::<f64>()` of [`is_number`] values.
///
/// # Safety
/// `p` is NULL or a live object; attached.
unsafe fn as_number(p: *mut ffi::PyObject) -> Option<f64> {
    // SAFETY: guaranteed by the caller.
    unsafe {
        if p.is_null() {
            return None;
        }
        if is_type(p, &raw mut ffi::PyFloat_Type) {
            return Some(ffi::PyFloat_AsDouble(p));
        }
        if !is_type(p, &raw mut ffi::PyLong_Type) {
            return None;
        }
        let v = ffi::PyLong_AsDouble(p);
        if v == -1.0 && !ffi::PyErr_Occurred().is_null() {
            // Too large for a float: not an attachment index.
            ffi::PyErr_Clear();
            return None;
        }
        Some(v)
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
            incref(ffi::Py_None());
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
        self.cached_str(s)
    }

    fn event_name(&mut self, s: JsonStr<'_>) -> Result<Obj, Error> {
        self.cached_str(s)
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

    fn check_payload(
        &self,
        protocol: codec::Protocol,
        packet_type: PacketType,
        value: &Obj,
    ) -> Result<(), &'static str> {
        if self.loads.is_none() {
            return codec::payload_valid_in(protocol, packet_type, &Parsed(value.as_ptr()));
        }
        codec::payload_valid_in(protocol, packet_type, &View(value.bind(self.py)))
    }

    fn reconstruct(&mut self, value: Obj, buffers: &[Obj]) -> Result<Obj, Error> {
        let replaced = if self.loads.is_none() {
            // SAFETY: without `json=` the value is the parser's own.
            unsafe { self.replace_parsed(value.as_ptr(), buffers, 0)? }
        } else {
            self.replace(&value.bind(self.py), buffers, 0)?
        };
        Ok(replaced.unwrap_or(value))
    }
}
