//! The one place where Rust errors become Python exceptions.

use crate::error::Error;
use pyo3::{PyErr, Python};

pyo3::import_exception!(socketio_rs.exceptions, PacketError);

/// Converts a codec error; `host` is the exception the host kept. With
/// [`Error::Host`] it is the error itself (a `MemoryError`, a `TypeError`,
/// ...); with any other error it becomes the `PacketError`'s `__cause__`
/// (a `json=` module's `loads` failing gives [`Error::HostJson`]).
pub fn to_pyerr(py: Python<'_>, err: Error, host: Option<PyErr>) -> PyErr {
    match (err, host) {
        (Error::Host, Some(e)) => e,
        (e, cause) => {
            let err = PacketError::new_err(e.to_string());
            if cause.is_some() {
                err.set_cause(py, cause);
            }
            err
        }
    }
}
