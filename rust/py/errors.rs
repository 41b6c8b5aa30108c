//! The one place where Rust errors become Python exceptions.

use crate::error::Error;
use pyo3::PyErr;

pyo3::import_exception!(socketio_rs.exceptions, PacketError);

/// Converts a codec error; `host` is the exception a builder kept when the
/// error is [`Error::Host`] (a `MemoryError`, a `TypeError`, ...).
pub fn to_pyerr(err: Error, host: Option<PyErr>) -> PyErr {
    match (err, host) {
        (Error::Host, Some(e)) => e,
        (e, _) => PacketError::new_err(e.to_string()),
    }
}
