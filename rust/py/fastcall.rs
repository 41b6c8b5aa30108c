//! METH_FASTCALL entry points for the calls made per packet:
//! `encode(packet)` and `Decoder.add(frame)`, and per WebSocket read and
//! write: `WsReader.feed(data)` and `ws_frame(opcode, payload)`.
//!
//! An abi3-py39 build gets PyO3's METH_VARARGS wrappers, so every call
//! builds (and PyO3 then parses) an argument tuple: 40-70 ns per call, a
//! tenth of a small packet's decode. METH_FASTCALL is in the stable ABI from
//! Python 3.10 only, so the one abi3 wheel decides when the module is
//! imported: on 3.10 and later it replaces those callables by
//! METH_FASTCALL ones; on 3.9 PyO3's stay. The fast entry points take the
//! usual call shapes (`encode(packet)`, `encode(packet, json=m)`,
//! `decoder.add(frame)`, `reader.feed(data)`, `ws_frame(op, payload)`) and hand any other to the PyO3 callable they
//! replace, so argument errors stay PyO3's, word for word.
//!
//! The calls go through PyO3's own fastcall trampoline (attach count, panic
//! trap, error restore), the one its macros use on 3.10+ builds. It is in
//! PyO3's `impl_` module, outside its semver promise: Cargo.lock pins the
//! version, and `tests/test_codec_fastcall.py` checks which entry points are in
//! place, so an upgrade that moves it fails loudly.

use super::decoder::Decoder;
use super::packet::{self, Packet};
use super::ws::{self, WsReader};
use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::impl_::trampoline::{fastcall_cfunction_with_keywords as fastcall, MethodDef};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use std::ffi::{c_int, CStr};

/// `METH_FASTCALL` (CPython's value since 3.7; in the limited API from 3.10).
const METH_FASTCALL: c_int = 0x0080;

type FastFn = unsafe extern "C" fn(
    *mut ffi::PyObject,
    *const *mut ffi::PyObject,
    ffi::Py_ssize_t,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;

static ORIGINAL_ENCODE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ORIGINAL_ADD: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ORIGINAL_FEED: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ORIGINAL_WS_FRAME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Whether the running interpreter takes METH_FASTCALL through the stable ABI.
fn available(py: Python<'_>) -> bool {
    py.version_info() >= (3, 10)
}

/// Puts the fast entry points in place of PyO3's (3.10 and later).
pub fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // Which entry points are in place, for the tests (private: not in `__all__`).
    m.setattr("_FASTCALL", available(py))?;
    if !available(py) {
        return Ok(());
    }
    replace_function(m, c"encode", fastcall::<EncodeDef>, &ORIGINAL_ENCODE)?;
    replace_function(m, c"ws_frame", fastcall::<WsFrameDef>, &ORIGINAL_WS_FRAME)?;
    replace_method(
        &py.get_type::<Decoder>(),
        c"add",
        fastcall::<AddDef>,
        &ORIGINAL_ADD,
    )?;
    replace_method(
        &py.get_type::<WsReader>(),
        c"feed",
        fastcall::<FeedDef>,
        &ORIGINAL_FEED,
    )
}

/// Keeps PyO3's callable `name` of `owner` in `original` (where the fast entry point
/// forwards unusual calls); returns a method definition with its docstring, and the name
/// as a `str`.
fn fast_def(
    owner: &Bound<'_, PyAny>,
    name: &'static CStr,
    f: FastFn,
    original: &'static PyOnceLock<Py<PyAny>>,
) -> PyResult<(*mut ffi::PyMethodDef, &'static str)> {
    let py = owner.py();
    let text = name
        .to_str()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let original = original.get_or_try_init(py, || PyResult::Ok(owner.getattr(text)?.unbind()))?;
    Ok((method_def(name, f, doc_of(original.bind(py), text)?), text))
}

/// Replaces the module function `name` by the METH_FASTCALL entry point `f`.
fn replace_function(
    m: &Bound<'_, PyModule>,
    name: &'static CStr,
    f: FastFn,
    original: &'static PyOnceLock<Py<PyAny>>,
) -> PyResult<()> {
    let (def, name) = fast_def(m.as_any(), name, f, original)?;
    let module_name = m.name()?;
    // SAFETY: `def` lives for the process; the module is its `self`, as for
    // PyO3's module functions. The result is a new reference or NULL.
    let function = unsafe {
        Bound::from_owned_ptr_or_err(
            m.py(),
            ffi::PyCFunction_NewEx(def, m.as_ptr(), module_name.as_ptr()),
        )?
    };
    m.setattr(name, function)
}

/// Replaces the method `name` of the class `ty` by the METH_FASTCALL entry point `f`.
fn replace_method(
    ty: &Bound<'_, PyType>,
    name: &'static CStr,
    f: FastFn,
    original: &'static PyOnceLock<Py<PyAny>>,
) -> PyResult<()> {
    let (def, name) = fast_def(ty.as_any(), name, f, original)?;
    // SAFETY: `def` lives for the process; the result is a new method
    // descriptor of `ty` or NULL.
    let descriptor = unsafe {
        Bound::from_owned_ptr_or_err(ty.py(), ffi::PyDescr_NewMethod(ty.as_type_ptr(), def))?
    };
    ty.setattr(name, descriptor)
}

/// The docstring of PyO3's callable `original` with its text signature, as
/// CPython reads it from a `PyMethodDef`: made once, kept for the process.
fn doc_of(original: &Bound<'_, PyAny>, name: &str) -> PyResult<&'static CStr> {
    let signature: String = original.getattr("__text_signature__")?.extract()?;
    let doc: String = original.getattr("__doc__")?.extract()?;
    let text = std::ffi::CString::new(format!("{name}{signature}\n--\n\n{doc}"))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(Box::leak(text.into_boxed_c_str()))
}

fn method_def(name: &'static CStr, f: FastFn, doc: &'static CStr) -> *mut ffi::PyMethodDef {
    let def = ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            // SAFETY: a function pointer stored as another (same size), as C
            // stores it; METH_FASTCALL tells CPython its real signature.
            PyCFunction: unsafe { std::mem::transmute::<FastFn, ffi::PyCFunction>(f) },
        },
        ml_flags: METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: doc.as_ptr(),
    };
    // Made once per process, at import, and referenced by the callables.
    Box::leak(Box::new(def))
}

struct EncodeDef;
impl MethodDef<fastcall::Func> for EncodeDef {
    const METH: fastcall::Func = encode_fast;
}

struct AddDef;
impl MethodDef<fastcall::Func> for AddDef {
    const METH: fastcall::Func = add_fast;
}

struct FeedDef;
impl MethodDef<fastcall::Func> for FeedDef {
    const METH: fastcall::Func = feed_fast;
}

struct WsFrameDef;
impl MethodDef<fastcall::Func> for WsFrameDef {
    const METH: fastcall::Func = ws_frame_fast;
}

/// The positional arguments and the keyword names (NULL: none) of a call.
struct Call<'a> {
    args: &'a [*mut ffi::PyObject],
    nargs: usize,
    kwnames: *mut ffi::PyObject,
}

impl Call<'_> {
    /// # Safety
    /// The METH_FASTCALL arguments CPython passed, attached.
    unsafe fn new<'a>(
        args: *const *mut ffi::PyObject,
        nargs: ffi::Py_ssize_t,
        kwnames: *mut ffi::PyObject,
    ) -> Call<'a> {
        let nargs = usize::try_from(nargs).unwrap_or(0);
        // SAFETY: kwnames is NULL or a tuple of str.
        let nkw = if kwnames.is_null() {
            0
        } else {
            usize::try_from(unsafe { ffi::PyTuple_Size(kwnames) }).unwrap_or(0)
        };
        let args = if args.is_null() {
            &[][..]
        } else {
            // SAFETY: CPython passes `nargs` positional values followed by
            // one value per keyword name.
            unsafe { std::slice::from_raw_parts(args, nargs + nkw) }
        };
        Call {
            args,
            nargs,
            kwnames,
        }
    }

    /// The one argument of a call made with exactly one, positional.
    fn only_arg<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        match (self.nargs, self.args.len()) {
            (1, 1) => self.arg(py, 0),
            _ => None,
        }
    }

    fn arg<'py>(&self, py: Python<'py>, i: usize) -> Option<Bound<'py, PyAny>> {
        let p = *self.args.get(i)?;
        // SAFETY: the caller's arguments are live for the call.
        Some(unsafe { Bound::from_borrowed_ptr(py, p) })
    }

    /// The only keyword argument's name, if there is exactly one.
    fn single_keyword<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        if self.kwnames.is_null() || self.args.len() != self.nargs + 1 {
            return None;
        }
        // SAFETY: a live tuple of one str.
        let names = unsafe { Bound::from_borrowed_ptr(py, self.kwnames) };
        names.cast::<PyTuple>().ok()?.get_item(0).ok()
    }

    /// Calls `original` (PyO3's callable) with the same arguments, `slf` first.
    fn forward(
        &self,
        py: Python<'_>,
        original: &PyOnceLock<Py<PyAny>>,
        slf: Option<*mut ffi::PyObject>,
    ) -> PyResult<*mut ffi::PyObject> {
        let Some(original) = original.get(py) else {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "socketio_rs._core: entry point not initialised",
            ));
        };
        let mut positional: Vec<Bound<'_, PyAny>> = Vec::with_capacity(self.nargs + 1);
        if let Some(s) = slf {
            // SAFETY: the bound object of a method call, live for the call.
            positional.push(unsafe { Bound::from_borrowed_ptr(py, s) });
        }
        positional.extend((0..self.nargs).filter_map(|i| self.arg(py, i)));
        let kwargs = PyDict::new(py);
        if !self.kwnames.is_null() {
            // SAFETY: a live tuple of str.
            let names = unsafe { Bound::from_borrowed_ptr(py, self.kwnames) };
            for (k, name) in names.cast::<PyTuple>()?.iter().enumerate() {
                if let Some(value) = self.arg(py, self.nargs + k) {
                    kwargs.set_item(name, value)?;
                }
            }
        }
        let args = PyTuple::new(py, positional)?;
        Ok(original.bind(py).call(args, Some(&kwargs))?.into_ptr())
    }
}

/// `encode(packet, /, *, json=None)`.
unsafe fn encode_fast(
    py: Python<'_>,
    _module: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: CPython's METH_FASTCALL arguments.
    let call = unsafe { Call::new(args, nargs, kwnames) };
    let json = match (call.nargs, call.args.len()) {
        (1, 1) => None,
        (1, 2) => match call.single_keyword(py) {
            Some(name) if name.eq(pyo3::intern!(py, "json"))? => {
                call.arg(py, 1).filter(|j| !j.is_none())
            }
            _ => return call.forward(py, &ORIGINAL_ENCODE, None),
        },
        _ => return call.forward(py, &ORIGINAL_ENCODE, None),
    };
    let Some(packet) = call.arg(py, 0) else {
        return call.forward(py, &ORIGINAL_ENCODE, None);
    };
    let Ok(packet) = packet.cast::<Packet>() else {
        return call.forward(py, &ORIGINAL_ENCODE, None);
    };
    Ok(packet::encode(py, packet, json.as_ref())?.into_ptr())
}

/// `Decoder.add(frame, /)`.
unsafe fn add_fast(
    py: Python<'_>,
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: CPython's METH_FASTCALL arguments.
    let call = unsafe { Call::new(args, nargs, kwnames) };
    let Some(frame) = call.only_arg(py) else {
        return call.forward(py, &ORIGINAL_ADD, Some(slf));
    };
    // SAFETY: the method descriptor checked that `slf` is a `Decoder`; the
    // cast checks again.
    let slf = unsafe { Bound::from_borrowed_ptr(py, slf) };
    let decoder = slf.cast::<Decoder>()?;
    let packets = decoder.try_borrow_mut()?.add(py, &frame)?;
    Ok(packets.into_ptr())
}

/// `WsReader.feed(data, /)`.
unsafe fn feed_fast(
    py: Python<'_>,
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: CPython's METH_FASTCALL arguments.
    let call = unsafe { Call::new(args, nargs, kwnames) };
    let Some(data) = call.only_arg(py) else {
        return call.forward(py, &ORIGINAL_FEED, Some(slf));
    };
    // SAFETY: the method descriptor checked that `slf` is a `WsReader`; the
    // cast checks again.
    let slf = unsafe { Bound::from_borrowed_ptr(py, slf) };
    let reader = slf.cast::<WsReader>()?;
    let items = reader.try_borrow_mut()?.feed(py, &data)?;
    Ok(items.into_ptr())
}

/// `ws_frame(opcode, payload)`, both positional.
unsafe fn ws_frame_fast(
    py: Python<'_>,
    _module: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: CPython's METH_FASTCALL arguments.
    let call = unsafe { Call::new(args, nargs, kwnames) };
    let (2, 2, Some(opcode), Some(payload)) = (
        call.nargs,
        call.args.len(),
        call.arg(py, 0),
        call.arg(py, 1),
    ) else {
        return call.forward(py, &ORIGINAL_WS_FRAME, None);
    };
    // Anything but an int that fits: PyO3's own callable words the error.
    let Ok(opcode) = opcode.extract::<i64>() else {
        return call.forward(py, &ORIGINAL_WS_FRAME, None);
    };
    Ok(ws::ws_frame(py, opcode, &payload)?.into_ptr())
}
