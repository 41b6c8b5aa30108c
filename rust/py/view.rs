//! How the payload rules (`codec::payload_valid`) see Python values.

use super::ffi_ext::{is_type, str_text};
use crate::codec::{self, Kind, PayloadView};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

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
        unsafe { str_text(self.0.as_ptr()) }.is_some_and(codec::is_reserved_event)
    }
}

/// [`View`] for a value this crate's parser built, borrowed from it: the
/// parser makes only exact types, so the kind is a comparison of the type
/// pointer (no `PyType_GetFlags` call) and nothing is reference counted.
pub struct Parsed(pub *mut ffi::PyObject);

impl PayloadView for Parsed {
    fn kind(&self) -> Kind {
        let p = self.0;
        // SAFETY: `p` is borrowed from a live value (see `check_payload`);
        // reading its type runs no Python code.
        unsafe {
            if p == ffi::Py_None() {
                Kind::Null
            } else if is_type(p, &raw mut ffi::PyUnicode_Type) {
                Kind::String
            } else if is_type(p, &raw mut ffi::PyList_Type) {
                Kind::Array
            } else if is_type(p, &raw mut ffi::PyDict_Type) {
                Kind::Object
            } else if is_type(p, &raw mut ffi::PyLong_Type)
                || is_type(p, &raw mut ffi::PyFloat_Type)
            {
                Kind::Number
            } else if is_type(p, &raw mut ffi::PyBool_Type) {
                Kind::Bool
            } else {
                Kind::Other
            }
        }
    }

    fn first(&self) -> Option<Self> {
        // SAFETY: as in `kind`; the item is borrowed from the list, which
        // outlives this view.
        unsafe {
            if !is_type(self.0, &raw mut ffi::PyList_Type) || ffi::PyList_Size(self.0) < 1 {
                return None;
            }
            let item = ffi::PyList_GetItem(self.0, 0);
            (!item.is_null()).then_some(Parsed(item))
        }
    }

    fn is_reserved_name(&self) -> bool {
        // SAFETY: as in `kind`.
        unsafe {
            is_type(self.0, &raw mut ffi::PyUnicode_Type)
                && str_text(self.0).is_some_and(codec::is_reserved_event)
        }
    }
}
