//! A user's JSON module (python-socketio's `json=` option): its
//! `dumps(obj, separators=(",", ":"))` writes the payload text and its
//! `loads(text)` reads it. The codec keeps everything else: the header, the
//! binary attachments and their placeholders, the payload rules.
//!
//! None of this is on the default path; it favours safe PyO3 calls over speed.

use super::encode::MAX_ENCODE_DEPTH;
use super::obj::Obj;
use crate::error::Error;
use pyo3::exceptions::{PyException, PyTypeError, PyUnicodeDecodeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::{ffi, intern};
use std::ptr::addr_of_mut;

/// The module's callable `name`; a `TypeError` (caused by the lookup's error)
/// when it has none.
pub fn method<'py>(module: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let py = module.py();
    match module.getattr(name) {
        Ok(m) if m.is_callable() => Ok(m),
        Ok(_) => Err(PyTypeError::new_err(format!(
            "the json module's {name} is not callable"
        ))),
        Err(e) => {
            let err = PyTypeError::new_err(format!("the json module must provide {name}()"));
            err.set_cause(py, Some(e));
            Err(err)
        }
    }
}

/// Why `loads` gave no value.
pub enum LoadsError {
    /// It raised an `Exception`: the payload is refused with this message,
    /// the exception becoming the cause.
    Refused(String, PyErr),
    /// It raised a `BaseException` that is not an `Exception`
    /// (`KeyboardInterrupt`, `SystemExit`, ...), which passes unchanged.
    Raised(PyErr),
}

/// `loads(text)`.
pub fn loads(loads: &Bound<'_, PyAny>, text: &str) -> Result<Obj, LoadsError> {
    let py = loads.py();
    match loads.call1((PyString::new(py, text),)) {
        Ok(value) => Ok(Obj::from_bound(&value)),
        Err(e) if e.is_instance_of::<PyException>(py) => {
            let value = e.value(py);
            let message = match value.str() {
                Ok(s) if s.len().unwrap_or(0) > 0 => s.to_string(),
                _ => type_name(value.as_any()),
            };
            Err(LoadsError::Refused(message, e))
        }
        Err(e) => Err(LoadsError::Raised(e)),
    }
}

/// Encodes one payload through a module's `dumps`, lifting binary values out
/// as attachments first.
pub struct Dumps<'py> {
    py: Python<'py>,
    pub attachments: Vec<Bound<'py, PyAny>>,
    pub err: Option<PyErr>,
}

impl<'py> Dumps<'py> {
    pub fn new(py: Python<'py>) -> Self {
        Dumps {
            py,
            attachments: Vec::new(),
            err: None,
        }
    }

    fn fail(&mut self, e: PyErr) -> Error {
        self.err = Some(e);
        Error::Host
    }

    /// Appends `module.dumps(data, separators=(",", ":"))` to `out`, `data`
    /// having its binary values replaced by placeholders (in a copy, made
    /// only along the paths that hold them).
    pub fn write(
        &mut self,
        out: &mut Vec<u8>,
        module: &Bound<'py, PyAny>,
        data: &Bound<'py, PyAny>,
    ) -> Result<(), Error> {
        let lifted = self.lift(data, 0)?;
        let obj = lifted.as_ref().unwrap_or(data);
        dumps(module, obj, out).map_err(|e| self.fail(e))
    }

    /// `Some(copy)` of `obj` with each binary value replaced by a
    /// placeholder, numbered depth-first (dicts in insertion order), as the
    /// default encoder numbers them; `None` when `obj` holds no binary value.
    fn lift(
        &mut self,
        obj: &Bound<'py, PyAny>,
        depth: usize,
    ) -> Result<Option<Bound<'py, PyAny>>, Error> {
        let py = self.py;
        let p = obj.as_ptr();
        // SAFETY: `p` is live; the type checks run no Python code.
        let binary = unsafe {
            ffi::PyBytes_Check(p) != 0
                || ffi::PyByteArray_Check(p) != 0
                || ffi::PyObject_TypeCheck(p, addr_of_mut!(ffi::PyMemoryView_Type)) != 0
        };
        if binary {
            let bytes = if obj.is_exact_instance_of::<PyBytes>() {
                obj.clone()
            } else {
                // SAFETY: a bytes-like object; the result is a new bytes or NULL.
                let ptr = unsafe { ffi::PyBytes_FromObject(p) };
                if ptr.is_null() {
                    let e = PyErr::fetch(py);
                    return Err(self.fail(e));
                }
                // SAFETY: a new reference.
                unsafe { Bound::from_owned_ptr(py, ptr) }
            };
            return self.placeholder(bytes).map(Some);
        }
        if let Ok(list) = obj.cast::<PyList>() {
            enter(depth)?;
            let mut copy: Option<Bound<'py, PyList>> = None;
            let mut i = 0;
            while i < list.len() {
                let item = list.get_item(i).map_err(|e| self.fail(e))?;
                if let Some(new) = self.lift(&item, depth + 1)? {
                    let target = copy.get_or_insert_with(|| list.get_slice(0, list.len()));
                    target.set_item(i, new).map_err(|e| self.fail(e))?;
                }
                i += 1;
            }
            return Ok(copy.map(Bound::into_any));
        }
        if let Ok(tuple) = obj.cast::<PyTuple>() {
            enter(depth)?;
            let mut copy: Option<Vec<Bound<'py, PyAny>>> = None;
            for (i, item) in tuple.iter().enumerate() {
                if let Some(new) = self.lift(&item, depth + 1)? {
                    let items = copy.get_or_insert_with(|| tuple.iter().collect());
                    if let Some(slot) = items.get_mut(i) {
                        *slot = new;
                    }
                }
            }
            return match copy {
                Some(items) => match PyTuple::new(py, items) {
                    Ok(t) => Ok(Some(t.into_any())),
                    Err(e) => Err(self.fail(e)),
                },
                None => Ok(None),
            };
        }
        if let Ok(dict) = obj.cast::<PyDict>() {
            enter(depth)?;
            let mut changes = Vec::new();
            let mut pos: ffi::Py_ssize_t = 0;
            let mut key: *mut ffi::PyObject = std::ptr::null_mut();
            let mut value: *mut ffi::PyObject = std::ptr::null_mut();
            // SAFETY: PyDict_Next yields borrowed references, which we own
            // (from_borrowed_ptr) before anything else runs; it stays
            // memory-safe even if the dict changed between calls.
            while unsafe { ffi::PyDict_Next(dict.as_ptr(), &mut pos, &mut key, &mut value) } != 0 {
                let (k, v) = unsafe {
                    (
                        Bound::from_borrowed_ptr(py, key),
                        Bound::from_borrowed_ptr(py, value),
                    )
                };
                if let Some(new) = self.lift(&v, depth + 1)? {
                    changes.push((k, new));
                }
            }
            if changes.is_empty() {
                return Ok(None);
            }
            let copy = dict.copy().map_err(|e| self.fail(e))?;
            for (k, new) in changes {
                copy.set_item(k, new).map_err(|e| self.fail(e))?;
            }
            return Ok(Some(copy.into_any()));
        }
        Ok(None)
    }

    /// `{"_placeholder": True, "num": n}` for the next attachment.
    fn placeholder(&mut self, bytes: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>, Error> {
        let py = self.py;
        let dict = PyDict::new(py);
        let filled = dict
            .set_item(intern!(py, "_placeholder"), true)
            .and_then(|()| dict.set_item(intern!(py, "num"), self.attachments.len()));
        if let Err(e) = filled {
            return Err(self.fail(e));
        }
        self.attachments.push(bytes);
        Ok(dict.into_any())
    }
}

/// The default encoder's depth limit, which also stops circular data.
fn enter(depth: usize) -> Result<(), Error> {
    if depth >= MAX_ENCODE_DEPTH {
        return Err(Error::TooDeep(MAX_ENCODE_DEPTH));
    }
    Ok(())
}

/// `module.dumps(obj, separators=(",", ":"))`, a `str` or UTF-8 `bytes`,
/// appended to `out`. Exceptions from `dumps` pass unchanged.
fn dumps(module: &Bound<'_, PyAny>, obj: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
    let py = module.py();
    let dumps = method(module, "dumps")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item(
        intern!(py, "separators"),
        (intern!(py, ","), intern!(py, ":")),
    )?;
    let text = dumps.call((obj,), Some(&kwargs))?;
    if let Ok(s) = text.cast::<PyString>() {
        // A lone surrogate raises UnicodeEncodeError: the wire is UTF-8.
        out.extend_from_slice(s.to_cow()?.as_bytes());
        return Ok(());
    }
    if let Ok(b) = text.cast::<PyBytes>() {
        let bytes = b.as_bytes();
        return match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.extend_from_slice(s.as_bytes());
                Ok(())
            }
            Err(e) => Err(PyErr::from_value(
                PyUnicodeDecodeError::new_utf8(py, bytes, e)?.into_any(),
            )),
        };
    }
    Err(PyTypeError::new_err(format!(
        "the json module's dumps must return str or bytes, not {}",
        type_name(&text)
    )))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}
