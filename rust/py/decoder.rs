//! `Decoder`: one per connection.

use super::build::PyBuilder;
use super::errors::to_pyerr;
use super::ffi_ext::str_text;
use super::json_module;
use super::obj::Obj;
use super::packet::Packet;
use crate::codec::{self, DecoderOptions, Step};
use crate::error::Error;
use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::pyclass::{PyTraverseError, PyVisit};
use pyo3::types::{PyByteArray, PyBytes, PyList, PyMemoryView};

/// Decodes the frames of one connection into packets.
#[pyclass(module = "socketio_rs._core", name = "Decoder")]
pub struct Decoder {
    inner: codec::Decoder<Obj, Obj>,
    /// The `json=` module, and its `loads` (looked up once).
    json: Option<Py<PyAny>>,
    loads: Option<Py<PyAny>>,
}

#[pymethods]
impl Decoder {
    #[new]
    #[pyo3(signature = (*, max_attachments = 10, max_depth = 256, max_int_digits = 100, json = None, protocol = 5))]
    fn new(
        max_attachments: usize,
        max_depth: usize,
        max_int_digits: usize,
        json: Option<Bound<'_, PyAny>>,
        protocol: u8,
    ) -> PyResult<Self> {
        let protocol = match protocol {
            5 => codec::Protocol::V5,
            4 => codec::Protocol::V4,
            _ => {
                return Err(PyValueError::new_err(
                    "protocol must be 5 (socket.io-parser 4.x) or 4 (socket.io-parser 3.x)",
                ))
            }
        };
        if max_depth == 0 || max_depth > DecoderOptions::DEPTH_CEILING {
            return Err(PyValueError::new_err(format!(
                "max_depth must be between 1 and {}",
                DecoderOptions::DEPTH_CEILING
            )));
        }
        if max_int_digits == 0 {
            return Err(PyValueError::new_err("max_int_digits must be at least 1"));
        }
        let loads = match &json {
            Some(module) => Some(json_module::method(module, "loads")?.unbind()),
            None => None,
        };
        Ok(Decoder {
            inner: codec::Decoder::new(DecoderOptions {
                max_attachments,
                max_depth,
                max_int_digits,
                protocol,
            }),
            json: json.map(Bound::unbind),
            loads,
        })
    }

    /// Adds one frame (`str` for text, `bytes`-like for an attachment) and
    /// returns the packets it completed. Raises `PacketError` on bad input;
    /// the decoder is then reset and usable again.
    #[pyo3(signature = (frame, /))]
    pub(super) fn add<'py>(
        &mut self,
        py: Python<'py>,
        frame: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let loads = self.loads.as_ref().map(|l| l.bind(py).clone());
        let mut host = PyBuilder::new(py, loads, self.inner.options().max_depth);
        let result = self.step(&mut host, frame);
        match result {
            Ok(Step::Complete(p)) => {
                let packet = Bound::new(py, Packet::from_decoded(py, p))?;
                // SAFETY: a new one-item list; SetItem steals the packet.
                unsafe {
                    let list = ffi::PyList_New(1);
                    if list.is_null() {
                        return Err(PyErr::fetch(py));
                    }
                    ffi::PyList_SetItem(list, 0, packet.into_ptr());
                    Ok(Bound::from_owned_ptr(py, list).cast_into_unchecked())
                }
            }
            Ok(Step::NeedsAttachments(_)) => Ok(PyList::empty(py)),
            Err(e) => {
                self.inner.reset();
                Err(to_pyerr(py, e, host.err.take()))
            }
        }
    }

    /// Whether a binary packet is waiting for attachments.
    #[getter]
    fn pending(&self) -> bool {
        self.inner.awaiting() > 0
    }

    /// Drops a partial binary packet.
    fn reset(&mut self) {
        self.inner.reset();
    }

    #[getter]
    fn max_attachments(&self) -> usize {
        self.inner.options().max_attachments
    }

    #[getter]
    fn max_depth(&self) -> usize {
        self.inner.options().max_depth
    }

    #[getter]
    fn max_int_digits(&self) -> usize {
        self.inner.options().max_int_digits
    }

    /// The Socket.IO protocol revision whose payload rules apply: 5, or 4.
    #[getter]
    fn protocol(&self) -> u8 {
        match self.inner.options().protocol {
            codec::Protocol::V5 => 5,
            codec::Protocol::V4 => 4,
        }
    }

    /// The `json=` module whose `loads` parses payloads, or None (the Rust parser).
    #[getter]
    fn json(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.json.as_ref().map(|j| j.clone_ref(py))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.json)?;
        visit.call(&self.loads)
    }

    fn __clear__(&mut self) {
        self.json = None;
        self.loads = None;
    }
}

impl Decoder {
    /// One text frame decoded when it completes a packet and no binary packet
    /// waits for attachments (the event lane's decode, `lane.rs`). `None`
    /// otherwise, with the decoder left idle: `add` given the same frame then
    /// does, and says, what it would have without this call.
    pub(super) fn complete_text(
        &mut self,
        py: Python<'_>,
        text: &str,
    ) -> Option<codec::Decoded<Obj>> {
        if self.inner.awaiting() > 0 {
            return None;
        }
        let loads = self.loads.as_ref().map(|l| l.bind(py).clone());
        let mut host = PyBuilder::new(py, loads, self.inner.options().max_depth);
        match self.inner.add_text(&mut host, text) {
            Ok(Step::Complete(p)) => Some(p),
            Ok(Step::NeedsAttachments(_)) | Err(_) => {
                self.inner.reset();
                None
            }
        }
    }

    fn step<'py>(
        &mut self,
        host: &mut PyBuilder<'py>,
        frame: &Bound<'py, PyAny>,
    ) -> Result<Step<codec::Decoded<Obj>>, Error> {
        let p = frame.as_ptr();
        // SAFETY: a type check on a live object.
        if unsafe { ffi::PyUnicode_Check(p) } != 0 {
            // SAFETY: a live str, borrowed for this call.
            let text = unsafe { str_text(p) }.ok_or(Error::TextNotUtf8)?;
            return self.inner.add_text(host, text);
        }
        if frame.is_instance_of::<PyBytes>() {
            return self.inner.add_binary(host, Obj::from_bound(frame));
        }
        if frame.is_instance_of::<PyByteArray>() || frame.is_instance_of::<PyMemoryView>() {
            // SAFETY: a bytes-like object; the result is a new bytes or NULL.
            let ptr = unsafe { ffi::PyBytes_FromObject(p) };
            if ptr.is_null() {
                host.err = Some(PyErr::fetch(frame.py()));
                return Err(Error::Host);
            }
            // SAFETY: a new reference.
            let bytes = unsafe { Obj::from_owned(ptr) }.ok_or(Error::Host)?;
            return self.inner.add_binary(host, bytes);
        }
        let shown = frame
            .str()
            .map(|s| s.to_string())
            .unwrap_or_else(|_| "?".into());
        Err(Error::UnknownFrame(shown))
    }
}
