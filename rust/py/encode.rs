//! Python objects to JSON text, in one walk that also lifts binary values
//! out as attachments (P2). Output follows `json.dumps(..., separators=(",",
//! ":"))` for keys and numbers, `JSON.stringify` for strings (raw UTF-8) and
//! non-finite floats (`null`).

use super::ffi_ext::{is_type, str_utf8};
use crate::error::Error;
use crate::json::{write_f64, write_i64, write_str_bytes};
use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use std::ptr::addr_of_mut;

/// Deepest nesting written; deeper (or circular) data is refused.
pub const MAX_ENCODE_DEPTH: usize = 256;

pub struct JsonEncoder<'py> {
    py: Python<'py>,
    pub attachments: Vec<Py<PyAny>>,
    pub err: Option<PyErr>,
}

impl<'py> JsonEncoder<'py> {
    pub fn new(py: Python<'py>) -> Self {
        JsonEncoder {
            py,
            attachments: Vec::new(),
            err: None,
        }
    }

    fn fail(&mut self, e: PyErr) -> Error {
        self.err = Some(e);
        Error::Host
    }

    fn fetch(&mut self) -> Error {
        let e = PyErr::fetch(self.py);
        self.fail(e)
    }

    /// Writes `obj` as JSON.
    pub fn write(
        &mut self,
        out: &mut Vec<u8>,
        obj: &Bound<'py, PyAny>,
        depth: usize,
    ) -> Result<(), Error> {
        let p = obj.as_ptr();
        // SAFETY: `p` is live for the whole call and the interpreter is
        // attached; the exact-type tests below only read `ob_type`.
        unsafe {
            if is_type(p, addr_of_mut!(ffi::PyUnicode_Type)) {
                self.write_str(out, p)
            } else if is_type(p, addr_of_mut!(ffi::PyLong_Type)) {
                self.write_int(out, p)
            } else if is_type(p, addr_of_mut!(ffi::PyList_Type)) {
                self.write_list(out, p, depth)
            } else if is_type(p, addr_of_mut!(ffi::PyDict_Type)) {
                self.write_dict(out, p, depth)
            } else if p == ffi::Py_None() {
                out.extend_from_slice(b"null");
                Ok(())
            } else if p == ffi::Py_True() {
                out.extend_from_slice(b"true");
                Ok(())
            } else if p == ffi::Py_False() {
                out.extend_from_slice(b"false");
                Ok(())
            } else if is_type(p, addr_of_mut!(ffi::PyFloat_Type)) {
                write_f64(out, ffi::PyFloat_AsDouble(p));
                Ok(())
            } else if is_type(p, addr_of_mut!(ffi::PyTuple_Type)) {
                self.write_tuple(out, p, depth)
            } else if is_type(p, addr_of_mut!(ffi::PyBytes_Type)) {
                self.write_placeholder(out, obj.clone().unbind());
                Ok(())
            } else {
                self.write_other(out, obj, depth)
            }
        }
    }

    /// Subclasses and the less common types, in `json.dumps`'s order.
    unsafe fn write_other(
        &mut self,
        out: &mut Vec<u8>,
        obj: &Bound<'py, PyAny>,
        depth: usize,
    ) -> Result<(), Error> {
        let p = obj.as_ptr();
        // SAFETY: `p` is live; the checks run no Python code.
        unsafe {
            if ffi::PyUnicode_Check(p) != 0 {
                self.write_str(out, p)
            } else if ffi::PyLong_Check(p) != 0 {
                self.write_int(out, p)
            } else if ffi::PyFloat_Check(p) != 0 {
                write_f64(out, ffi::PyFloat_AsDouble(p));
                Ok(())
            } else if ffi::PyList_Check(p) != 0 {
                self.write_list(out, p, depth)
            } else if ffi::PyTuple_Check(p) != 0 {
                self.write_tuple(out, p, depth)
            } else if ffi::PyDict_Check(p) != 0 {
                self.write_dict(out, p, depth)
            } else if ffi::PyBytes_Check(p) != 0
                || ffi::PyByteArray_Check(p) != 0
                || ffi::PyObject_TypeCheck(p, addr_of_mut!(ffi::PyMemoryView_Type)) != 0
            {
                let bytes = ffi::PyBytes_FromObject(p);
                if bytes.is_null() {
                    return Err(self.fetch());
                }
                let owned = Bound::from_owned_ptr(self.py, bytes).unbind();
                self.write_placeholder(out, owned);
                Ok(())
            } else {
                let name = type_name(obj);
                Err(self.fail(PyTypeError::new_err(format!(
                    "Object of type {name} is not JSON serializable"
                ))))
            }
        }
    }

    fn write_placeholder(&mut self, out: &mut Vec<u8>, bytes: Py<PyAny>) {
        out.extend_from_slice(b"{\"_placeholder\":true,\"num\":");
        write_i64(out, self.attachments.len() as i64);
        out.push(b'}');
        self.attachments.push(bytes);
    }

    unsafe fn write_str(&mut self, out: &mut Vec<u8>, p: *mut ffi::PyObject) -> Result<(), Error> {
        // SAFETY: `p` is a live str.
        if let Some(bytes) = unsafe { str_utf8(p) } {
            write_str_bytes(out, bytes);
            return Ok(());
        }
        // Lone surrogates: `surrogatepass` gives WTF-8, written as `\udXXX`.
        // SAFETY: as above; the result is a new bytes object or NULL.
        let encoded = unsafe {
            ffi::PyUnicode_AsEncodedString(p, c"utf-8".as_ptr(), c"surrogatepass".as_ptr())
        };
        if encoded.is_null() {
            return Err(self.fetch());
        }
        // SAFETY: a new reference to a bytes object.
        let encoded = unsafe { Bound::from_owned_ptr(self.py, encoded) };
        let bytes = encoded
            .cast::<pyo3::types::PyBytes>()
            .map(|b| b.as_bytes())
            .unwrap_or_default();
        write_str_bytes(out, bytes);
        Ok(())
    }

    unsafe fn write_int(&mut self, out: &mut Vec<u8>, p: *mut ffi::PyObject) -> Result<(), Error> {
        let mut overflow = 0;
        // SAFETY: `p` is a live int.
        let v = unsafe { ffi::PyLong_AsLongLongAndOverflow(p, &mut overflow) };
        if overflow == 0 {
            if v == -1 && !unsafe { ffi::PyErr_Occurred() }.is_null() {
                return Err(self.fetch());
            }
            write_i64(out, v);
            return Ok(());
        }
        // Beyond 64 bits: the decimal text, as int.__repr__ gives it.
        // SAFETY: as above; the result is a new str or NULL.
        let text = unsafe { ffi::PyNumber_ToBase(p, 10) };
        if text.is_null() {
            return Err(self.fetch());
        }
        // SAFETY: a new reference to a str of ASCII digits.
        let text = unsafe { Bound::from_owned_ptr(self.py, text) };
        match unsafe { str_utf8(text.as_ptr()) } {
            Some(digits) => {
                out.extend_from_slice(digits);
                Ok(())
            }
            None => Err(Error::Host),
        }
    }

    unsafe fn write_list(
        &mut self,
        out: &mut Vec<u8>,
        p: *mut ffi::PyObject,
        depth: usize,
    ) -> Result<(), Error> {
        // SAFETY: `p` is a live list.
        unsafe { self.write_sequence(out, p, depth, ffi::PyList_Size, ffi::PyList_GetItem) }
    }

    unsafe fn write_tuple(
        &mut self,
        out: &mut Vec<u8>,
        p: *mut ffi::PyObject,
        depth: usize,
    ) -> Result<(), Error> {
        // SAFETY: `p` is a live tuple.
        unsafe { self.write_sequence(out, p, depth, ffi::PyTuple_Size, ffi::PyTuple_GetItem) }
    }

    /// A list or tuple as a JSON array; `size` and `get` are the type's C API.
    unsafe fn write_sequence(
        &mut self,
        out: &mut Vec<u8>,
        p: *mut ffi::PyObject,
        depth: usize,
        size: unsafe extern "C" fn(*mut ffi::PyObject) -> ffi::Py_ssize_t,
        get: unsafe extern "C" fn(*mut ffi::PyObject, ffi::Py_ssize_t) -> *mut ffi::PyObject,
    ) -> Result<(), Error> {
        enter(depth)?;
        out.push(b'[');
        let mut i = 0;
        // The size is read each time: nothing here runs Python code, but the
        // loop stays correct even if it did.
        while i < unsafe { size(p) } {
            if i > 0 {
                out.push(b',');
            }
            // SAFETY: `i` is in range; the borrowed item is kept alive by `p`.
            let item = unsafe { get(p, i) };
            if item.is_null() {
                return Err(self.fetch());
            }
            let item = unsafe { Bound::from_borrowed_ptr(self.py, item) };
            self.write(out, &item, depth + 1)?;
            i += 1;
        }
        out.push(b']');
        Ok(())
    }

    unsafe fn write_dict(
        &mut self,
        out: &mut Vec<u8>,
        p: *mut ffi::PyObject,
        depth: usize,
    ) -> Result<(), Error> {
        enter(depth)?;
        out.push(b'{');
        let mut pos: ffi::Py_ssize_t = 0;
        let mut key: *mut ffi::PyObject = std::ptr::null_mut();
        let mut value: *mut ffi::PyObject = std::ptr::null_mut();
        let mut first = true;
        // SAFETY: PyDict_Next yields borrowed references kept alive by the
        // dict; the walk itself runs no Python code that could mutate it.
        while unsafe { ffi::PyDict_Next(p, &mut pos, &mut key, &mut value) } != 0 {
            if !first {
                out.push(b',');
            }
            first = false;
            let k = unsafe { Bound::from_borrowed_ptr(self.py, key) };
            let v = unsafe { Bound::from_borrowed_ptr(self.py, value) };
            self.write_key(out, &k)?;
            out.push(b':');
            self.write(out, &v, depth + 1)?;
        }
        out.push(b'}');
        Ok(())
    }

    /// Keys as `json.dumps` converts them.
    fn write_key(&mut self, out: &mut Vec<u8>, key: &Bound<'py, PyAny>) -> Result<(), Error> {
        let p = key.as_ptr();
        // SAFETY: `p` is live; the checks run no Python code.
        unsafe {
            if ffi::PyUnicode_Check(p) != 0 {
                return self.write_str(out, p);
            }
            if ffi::PyFloat_Check(p) != 0 {
                let v = ffi::PyFloat_AsDouble(p);
                out.push(b'"');
                if v.is_nan() {
                    out.extend_from_slice(b"NaN");
                } else if v.is_infinite() {
                    out.extend_from_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
                } else {
                    write_f64(out, v);
                }
                out.push(b'"');
                return Ok(());
            }
            let literal: Option<&[u8]> = if p == ffi::Py_True() {
                Some(b"\"true\"")
            } else if p == ffi::Py_False() {
                Some(b"\"false\"")
            } else if p == ffi::Py_None() {
                Some(b"\"null\"")
            } else {
                None
            };
            if let Some(l) = literal {
                out.extend_from_slice(l);
                return Ok(());
            }
            if ffi::PyLong_Check(p) != 0 {
                out.push(b'"');
                self.write_int(out, p)?;
                out.push(b'"');
                return Ok(());
            }
        }
        let name = type_name(key);
        Err(self.fail(PyTypeError::new_err(format!(
            "keys must be str, int, float, bool or None, not {name}"
        ))))
    }
}

/// A container at `depth` (0 for the payload itself) is one level more: the
/// payload may hold `MAX_ENCODE_DEPTH` nested containers, as the default
/// decoder accepts.
fn enter(depth: usize) -> Result<(), Error> {
    if depth >= MAX_ENCODE_DEPTH {
        return Err(Error::TooDeep(MAX_ENCODE_DEPTH));
    }
    Ok(())
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}
