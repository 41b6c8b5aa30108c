//! `Obj`: an owned reference for the decoder's hot path.
//!
//! PyO3's `Py<T>` checks, on every drop, whether the thread is attached to
//! the interpreter: a thread-local lookup, which in a shared library is a
//! call. The decoder creates and drops a reference per JSON value, always
//! while attached (its methods run attached, and a pending packet is dropped
//! with its `Decoder` in `tp_dealloc`, also attached), so `Obj` skips that.

use super::ffi_ext::{decref, incref};
use pyo3::ffi;
use pyo3::prelude::*;
use std::ptr::NonNull;

/// An owned, non-null reference, released with `Py_DecRef`. Only created,
/// cloned and dropped while attached to the interpreter.
pub struct Obj(NonNull<ffi::PyObject>);

// SAFETY: the reference is only used while attached to the interpreter,
// which serialises access; moving it between threads is then sound, as for
// PyO3's own `Py<T>`.
unsafe impl Send for Obj {}
unsafe impl Sync for Obj {}

impl Obj {
    /// Takes a new reference; `None` for NULL (an exception is set).
    ///
    /// # Safety
    /// `ptr` is NULL or a new (owned) reference; the caller is attached.
    #[inline]
    pub unsafe fn from_owned(ptr: *mut ffi::PyObject) -> Option<Obj> {
        NonNull::new(ptr).map(Obj)
    }

    /// Takes a new reference to a borrowed object.
    #[inline]
    pub fn from_bound(b: &Bound<'_, PyAny>) -> Obj {
        let ptr = b.as_ptr();
        // SAFETY: a `Bound` is never NULL and is live; attached.
        unsafe {
            incref(ptr);
            Obj(NonNull::new_unchecked(ptr))
        }
    }

    #[inline]
    pub fn as_ptr(&self) -> *mut ffi::PyObject {
        self.0.as_ptr()
    }

    /// Gives the reference away (to a function that steals it).
    #[inline]
    pub fn into_ptr(self) -> *mut ffi::PyObject {
        let ptr = self.0.as_ptr();
        std::mem::forget(self);
        ptr
    }

    /// A second reference to the same object.
    #[inline]
    pub fn clone_ref(&self, _py: Python<'_>) -> Obj {
        // SAFETY: a live object; attached (witnessed by `_py`).
        unsafe { incref(self.0.as_ptr()) };
        Obj(self.0)
    }

    /// As PyO3's owned handle.
    #[inline]
    pub fn into_py(self, py: Python<'_>) -> Py<PyAny> {
        // SAFETY: transfers our reference.
        unsafe { Bound::from_owned_ptr(py, self.into_ptr()) }.unbind()
    }

    /// Borrows as a PyO3 handle.
    #[inline]
    pub fn bind<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        // SAFETY: a live object; the new handle takes its own reference.
        unsafe { Bound::from_borrowed_ptr(py, self.0.as_ptr()) }
    }
}

impl Drop for Obj {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: see the module comment: always attached here.
        unsafe { decref(self.0.as_ptr()) }
    }
}
