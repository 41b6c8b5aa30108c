//! Raw helpers over the C API for the per-value hot paths, where PyO3's safe
//! wrappers would add a check or an allocation per value.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::os::raw::{c_char, c_void};

extern "C" {
    // In the stable ABI (ABI only): what the limited API's own `Py_DECREF`
    // calls when a count reaches zero.
    fn _Py_Dealloc(op: *mut ffi::PyObject);
    // Part of the stable ABI since 3.10 and exported by CPython since 3.3, so
    // present in every interpreter an abi3-py39 wheel loads into. It returns
    // the str's cached UTF-8 buffer: no bytes object per string.
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// The UTF-8 text of a `str`, borrowed from the object; `None` (with the
/// Python error cleared) when it holds lone surrogates.
///
/// # Safety
/// `obj` must be a live `str` and the interpreter attached; the slice lives
/// as long as `obj` does.
pub unsafe fn str_utf8<'a>(obj: *mut ffi::PyObject) -> Option<&'a [u8]> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: guaranteed by the caller.
    let ptr = unsafe { PyUnicode_AsUTF8AndSize(obj, &mut len) };
    if ptr.is_null() {
        // SAFETY: attached; the UnicodeEncodeError is replaced by our own error.
        unsafe { ffi::PyErr_Clear() };
        return None;
    }
    // SAFETY: CPython guarantees `len` bytes at `ptr` for the object's life.
    Some(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize) })
}

/// The text of a `str` as `&str`, borrowed from the object; `None` (with the
/// Python error cleared) when it holds lone surrogates.
///
/// # Safety
/// As [`str_utf8`].
pub unsafe fn str_text<'a>(obj: *mut ffi::PyObject) -> Option<&'a str> {
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { str_utf8(obj) }?;
    // SAFETY: CPython's UTF-8 encoder wrote these bytes from a str without
    // surrogates (it fails on those): valid UTF-8, no need to check again.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// Whether `obj`'s type is exactly `tp`.
///
/// # Safety
/// `obj` must be a live object.
#[inline]
pub unsafe fn is_type(obj: *mut ffi::PyObject, tp: *mut ffi::PyTypeObject) -> bool {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::Py_TYPE(obj) == tp }
}

/// `Py_INCREF` as the limited API's headers inline it for a 3.9 target: the
/// count is a field of the stable ABI's `PyObject`. PyO3 calls `Py_IncRef`
/// instead (a call per reference, measurable per JSON value). Immortal
/// objects (3.12+) are meant to take such plain increments from older
/// stable-ABI extensions (PEP 683).
///
/// # Safety
/// `op` must be a live object and the interpreter attached (abi3 builds only
/// load into interpreters with a GIL, whose holder alone touches counts).
#[inline(always)]
pub unsafe fn incref(op: *mut ffi::PyObject) {
    // SAFETY: guaranteed by the caller.
    unsafe { (*op).ob_refcnt += 1 }
}

/// `Py_DECREF` as the limited API's headers inline it for a 3.9 target (see
/// [`incref`]).
///
/// # Safety
/// As [`incref`], and the caller owns the reference it gives up.
#[inline(always)]
pub unsafe fn decref(op: *mut ffi::PyObject) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        (*op).ob_refcnt -= 1;
        if (*op).ob_refcnt == 0 {
            _Py_Dealloc(op);
        }
    }
}

/// What `PyIter_Send` says a step ended with.
pub enum Sent {
    /// The coroutine suspended, yielding this value.
    Yielded(*mut ffi::PyObject),
    /// The coroutine returned this value.
    Returned(*mut ffi::PyObject),
    /// It raised; the exception is set.
    Raised,
}

type IterSend = unsafe extern "C" fn(
    iter: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
    presult: *mut *mut ffi::PyObject,
) -> std::os::raw::c_int;

/// `PyIter_Send` when the interpreter has it (the stable ABI since 3.10; an
/// abi3-py39 module cannot link to it, so it is looked up in the process once).
fn iter_send() -> Option<IterSend> {
    static SEND: std::sync::OnceLock<Option<IterSend>> = std::sync::OnceLock::new();
    // SAFETY: a found `PyIter_Send` has this signature (the C API's).
    *SEND.get_or_init(|| {
        interpreter_symbol(c"PyIter_Send")
            .map(|found| unsafe { std::mem::transmute::<*mut c_void, IterSend>(found) })
    })
}

type Vectorcall = unsafe extern "C" fn(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject;

/// `PyObject_Vectorcall` when the interpreter exports it (3.11+; the stable ABI
/// has it since 3.12), looked up once.
fn vectorcall() -> Option<Vectorcall> {
    static CALL: std::sync::OnceLock<Option<Vectorcall>> = std::sync::OnceLock::new();
    // SAFETY: a found `PyObject_Vectorcall` has this signature (the C API's).
    *CALL.get_or_init(|| {
        interpreter_symbol(c"PyObject_Vectorcall")
            .map(|found| unsafe { std::mem::transmute::<*mut c_void, Vectorcall>(found) })
    })
}

/// A function of the interpreter's C API, looked up among the process's global
/// symbols; `None` when it has no such function.
#[cfg(unix)]
fn interpreter_symbol(name: &std::ffi::CStr) -> Option<*mut c_void> {
    #[cfg_attr(all(target_os = "linux", target_env = "gnu"), link(name = "dl"))]
    extern "C" {
        fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    }
    // RTLD_DEFAULT: the process's global symbols, where the interpreter's are.
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    let default = -2isize as *mut c_void;
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    let default = std::ptr::null_mut();
    // SAFETY: a symbol lookup.
    let found = unsafe { dlsym(default, name.as_ptr()) };
    (!found.is_null()).then_some(found)
}

#[cfg(not(unix))]
fn interpreter_symbol(_name: &std::ffi::CStr) -> Option<*mut c_void> {
    None
}

/// `callable(*args)`: without an argument tuple where the interpreter exports
/// `PyObject_Vectorcall` (and for up to eight arguments), through one otherwise.
pub fn call_with<'py>(
    callable: &Bound<'py, PyAny>,
    args: &[Bound<'py, PyAny>],
) -> PyResult<Bound<'py, PyAny>> {
    let py = callable.py();
    if let Some(call) = vectorcall() {
        if args.len() <= 8 {
            let mut ptrs = [std::ptr::null_mut(); 8];
            for (slot, arg) in ptrs.iter_mut().zip(args) {
                *slot = arg.as_ptr();
            }
            // SAFETY: `callable` and the arguments are live for the call, which
            // borrows them; it returns a new reference, or NULL with an error set.
            return unsafe {
                let result = call(
                    callable.as_ptr(),
                    ptrs.as_ptr(),
                    args.len(),
                    std::ptr::null_mut(),
                );
                Bound::from_owned_ptr_or_err(py, result)
            };
        }
    }
    callable.call1(PyTuple::new(py, args)?)
}

/// One step of the coroutine `coro` with `None` sent in, without the
/// `StopIteration` a `send` call makes for its return value: `None` when the
/// interpreter has no `PyIter_Send` (then call `coro.send(None)`).
///
/// # Safety
/// `coro` must be a live coroutine and the interpreter attached. The returned
/// pointers are new references.
pub unsafe fn coro_send(coro: *mut ffi::PyObject) -> Option<Sent> {
    let send = iter_send()?;
    let mut result: *mut ffi::PyObject = std::ptr::null_mut();
    // SAFETY: guaranteed by the caller; `Py_None` is immortal or borrowed here.
    let status = unsafe { send(coro, ffi::Py_None(), &mut result) };
    Some(match status {
        0 => Sent::Returned(result), // PYGEN_RETURN
        1 => Sent::Yielded(result),  // PYGEN_NEXT
        _ => Sent::Raised,           // PYGEN_ERROR
    })
}
