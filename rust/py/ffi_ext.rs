//! Raw helpers over the C API for the per-value hot paths, where PyO3's safe
//! wrappers would add a check or an allocation per value.

use pyo3::ffi;
use std::os::raw::c_char;

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
