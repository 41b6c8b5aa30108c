//! `Attached<T>`: process-wide state touched only while attached to the
//! interpreter (the key cache, the encoder's output buffer).

use pyo3::prelude::*;
use std::cell::UnsafeCell;

/// State shared by every decoder and encoder of the process and only
/// touched while attached to the interpreter, whose lock serialises access
/// (abi3 builds always have that lock). A plain static: no thread-local
/// lookup per use.
pub struct Attached<T>(UnsafeCell<T>);

// SAFETY: see above; `with` requires the `Python` token.
unsafe impl<T> Sync for Attached<T> {}

impl<T> Attached<T> {
    pub const fn new(value: T) -> Self {
        Attached(UnsafeCell::new(value))
    }

    /// Runs `f` on the value. `f` must not run Python code (which could
    /// re-enter): the users only compare, copy, swap buffers and count
    /// references.
    #[inline]
    pub fn with<R>(&self, _py: Python<'_>, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: attached, and `f` cannot re-enter (see above).
        f(unsafe { &mut *self.0.get() })
    }
}
