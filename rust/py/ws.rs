//! The WebSocket frame codec ([`crate::ws`]) for a Python protocol on a raw
//! transport: `WsReader.feed(data)` from `data_received`, and
//! `transport.write(ws_frame(...))` to send.

use super::ffi_ext::str_utf8;
use crate::ws::{self, Message};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyMemoryView, PyString, PyTuple};
use pyo3::{create_exception, ffi};

create_exception!(
    socketio_rs._core,
    WsError,
    PyValueError,
    "A client broke RFC 6455. `code` is the close code to answer with: 1002\n(protocol error), 1007 (invalid UTF-8) or 1009 (message too big);\n`str(err)` is a short reason."
);

/// The `WsError` of a core error, with its `code` and the `items` completed
/// before it in the same call.
fn to_pyerr(py: Python<'_>, err: ws::WsError, items: &Bound<'_, PyList>) -> PyErr {
    let exc = WsError::new_err(err.to_string());
    let value = exc.value(py);
    match value
        .setattr("code", err.code())
        .and_then(|()| value.setattr("items", items))
    {
        Ok(()) => exc,
        Err(e) => e,
    }
}

/// Reads what a client sends on a WebSocket connection (RFC 6455 5: masked
/// frames, fragments, control frames). With `deflate=True` (permessage-deflate
/// negotiated, RFC 7692) a message whose first frame has RSV1 is inflated,
/// and `max_message` bounds its inflated size too (close code 1009);
/// `no_context_takeover`: `client_no_context_takeover` was agreed.
#[pyclass(module = "socketio_rs._core", name = "WsReader")]
pub struct WsReader {
    core: ws::Reader,
}

#[pymethods]
impl WsReader {
    #[new]
    #[pyo3(signature = (max_message, *, deflate = false, no_context_takeover = false))]
    fn new(max_message: usize, deflate: bool, no_context_takeover: bool) -> Self {
        let core = if deflate {
            ws::Reader::with_deflate(max_message, no_context_takeover)
        } else {
            ws::Reader::new(max_message)
        };
        WsReader { core }
    }

    /// Feeds bytes received from the client; returns the items they complete,
    /// in order: `(1, str)` a text message, `(2, bytes)` a binary message,
    /// `(8, bytes)` a close frame's payload, `(9, bytes)` a ping's, `(10,
    /// bytes)` a pong's. Raises `WsError` when the client breaks the protocol,
    /// with the items completed earlier in the same call as its `items`; the
    /// reader is then poisoned and raises it again on every call. After a
    /// close frame, input is ignored.
    #[pyo3(signature = (data, /))]
    pub(super) fn feed<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        self.feed_each(data, &list, |message| append_item(&list, message))?;
        Ok(list)
    }

    /// Feeds bytes received from the client, as `feed`, with the items split:
    /// `(messages, controls)`, the payloads of the text (`str`) and binary
    /// (`bytes`) messages completed, in order, and `None` or the control
    /// frames among them as `feed` gives them, in order. A close frame ends
    /// the input, so the messages before it are all the messages; a ping
    /// answered after the messages of the same read is answered all the same.
    /// Raises `WsError` as `feed` does, with the messages completed before the
    /// error as its `items`.
    #[pyo3(signature = (data, /))]
    pub(super) fn read<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyList>, Option<Bound<'py, PyList>>)> {
        let messages = PyList::empty(py);
        let mut controls: Option<Bound<'py, PyList>> = None;
        self.feed_each(data, &messages, |message| match message {
            Message::Text(_) | Message::Binary(_) => append_payload(&messages, message),
            _ => append_item(controls.get_or_insert_with(|| PyList::empty(py)), message),
        })?;
        Ok((messages, controls))
    }

    /// Bytes held: a partial frame and a partial message.
    #[getter]
    fn buffered(&self) -> usize {
        self.core.buffered()
    }
}

impl WsReader {
    /// Feeds `data` to the reader, handing each completed item to `take` until one fails;
    /// a protocol error raises `WsError` with `done` (what the call completed) as its
    /// `items`.
    fn feed_each<'py>(
        &mut self,
        data: &Bound<'py, PyAny>,
        done: &Bound<'py, PyList>,
        mut take: impl FnMut(Message<'_>) -> PyResult<()>,
    ) -> PyResult<()> {
        let data = as_bytes(data, "data")?;
        let mut failed = None;
        let result = self.core.feed(data.as_bytes(), |message| {
            if failed.is_none() {
                if let Err(e) = take(message) {
                    failed = Some(e);
                }
            }
        });
        result.map_err(|e| to_pyerr(done.py(), e, done))?;
        failed.map_or(Ok(()), Err)
    }
}

/// A message's payload as a Python object: a `str` for text, else `bytes`.
fn payload_object<'py>(py: Python<'py>, message: &Message<'_>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: attached; the C call's result is checked.
    unsafe {
        let payload = match message {
            Message::Text(s) => {
                ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as ffi::Py_ssize_t)
            }
            Message::Binary(b) | Message::Close(b) | Message::Ping(b) | Message::Pong(b) => {
                ffi::PyBytes_FromStringAndSize(b.as_ptr().cast(), b.len() as ffi::Py_ssize_t)
            }
        };
        Bound::from_owned_ptr_or_err(py, payload)
    }
}

/// Appends a message's payload to `list`.
fn append_payload(list: &Bound<'_, PyList>, message: Message<'_>) -> PyResult<()> {
    list.append(payload_object(list.py(), &message)?)
}

/// Appends `(opcode, payload)` to `list`.
fn append_item(list: &Bound<'_, PyList>, message: Message<'_>) -> PyResult<()> {
    let py = list.py();
    let payload = payload_object(py, &message)?;
    // SAFETY: attached; each C call's result is checked, and references are
    // handed over exactly once (`PyTuple_SetItem` steals its item).
    unsafe {
        let opcode = Bound::from_owned_ptr_or_err(
            py,
            ffi::PyLong_FromLong(std::ffi::c_long::from(message.opcode())),
        )?;
        let tuple = Bound::from_owned_ptr_or_err(py, ffi::PyTuple_New(2))?;
        ffi::PyTuple_SetItem(tuple.as_ptr(), 0, opcode.into_ptr());
        ffi::PyTuple_SetItem(tuple.as_ptr(), 1, payload.into_ptr());
        if ffi::PyList_Append(list.as_ptr(), tuple.as_ptr()) != 0 {
            return Err(PyErr::fetch(py));
        }
    }
    Ok(())
}

/// `obj` as `bytes`: itself, or a copy of a `bytearray` or `memoryview` (a
/// copy, since Python code run while we read, a finalizer, could resize it).
fn as_bytes<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        return Ok(bytes.clone());
    }
    if obj.is_instance_of::<PyByteArray>() || obj.is_instance_of::<PyMemoryView>() {
        // SAFETY: a bytes-like object; the result is a new bytes or NULL.
        return unsafe {
            Ok(
                Bound::from_owned_ptr_or_err(obj.py(), ffi::PyBytes_FromObject(obj.as_ptr()))?
                    .cast_into_unchecked(),
            )
        };
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be bytes-like, not {}",
        obj.get_type().name()?
    )))
}

/// The bytes of a `str` (as UTF-8) or bytes-like argument; `holder` keeps a
/// copy alive when one is made.
fn payload_bytes<'a, 'py>(
    obj: &'a Bound<'py, PyAny>,
    holder: &'a mut Option<Bound<'py, PyBytes>>,
    what: &str,
) -> PyResult<&'a [u8]> {
    if obj.is_instance_of::<PyString>() {
        // SAFETY: a live str, borrowed for the slice's life; attached.
        return match unsafe { str_utf8(obj.as_ptr()) } {
            Some(text) => Ok(text),
            // Lone surrogates: let Python's own encoder raise its
            // UnicodeEncodeError (a ValueError).
            None => match obj.call_method1("encode", ("utf-8",)) {
                Err(e) => Err(e),
                Ok(_) => Err(PyValueError::new_err(format!("{what}: not UTF-8"))),
            },
        };
    }
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        return Ok(bytes.as_bytes());
    }
    let bytes = as_bytes(obj, what)
        .map_err(|_| PyTypeError::new_err(format!("{what} must be str or bytes-like")))?;
    Ok(holder.insert(bytes).as_bytes())
}

/// A new `bytes` of `head` followed by `payload`, written in place.
fn frame_bytes<'py>(py: Python<'py>, head: &[u8], payload: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let len = head.len() + payload.len();
    // SAFETY: a NULL source asks CPython for `len` bytes left for us to fill;
    // both copies stay within them.
    unsafe {
        let obj = Bound::from_owned_ptr_or_err(
            py,
            ffi::PyBytes_FromStringAndSize(std::ptr::null(), len as ffi::Py_ssize_t),
        )?;
        let buf = ffi::PyBytes_AsString(obj.as_ptr()).cast::<u8>();
        if buf.is_null() {
            return Err(PyErr::fetch(py));
        }
        std::ptr::copy_nonoverlapping(head.as_ptr(), buf, head.len());
        std::ptr::copy_nonoverlapping(payload.as_ptr(), buf.add(head.len()), payload.len());
        Ok(obj.cast_into_unchecked())
    }
}

/// One unmasked server frame with FIN set (RFC 6455 5.2): `opcode` 1 (text),
/// 2 (binary), 8 (close), 9 (ping) or 10 (pong); a `str` payload is sent as
/// UTF-8. Control frames carry at most 125 bytes. Raises `ValueError`.
#[pyfunction]
#[pyo3(signature = (opcode, payload))]
pub(super) fn ws_frame<'py>(
    py: Python<'py>,
    opcode: i64,
    payload: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut holder = None;
    let payload = payload_bytes(payload, &mut holder, "payload")?;
    let (head, used) = ws::frame_header(opcode, payload.len())
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    frame_bytes(py, head.get(..used).unwrap_or_default(), payload)
}

/// Engine.IO v4 MESSAGE packets framed for a WebSocket in one `bytes`, ready for
/// `WebSocketProtocol.write_frames`: a `str` goes out as a text frame of `"4"` and
/// the text, a `bytes`-like as a binary frame of its bytes (Engine.IO v4 sends
/// binary messages without a type byte). `messages` is what `encode` returns.
#[pyfunction]
#[pyo3(signature = (messages, /))]
fn ws_messages<'py>(
    py: Python<'py>,
    messages: &Bound<'py, PyList>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut out = Vec::new();
    for item in messages.iter() {
        let mut holder = None;
        let is_text = item.is_instance_of::<PyString>();
        let payload = payload_bytes(&item, &mut holder, "message")?;
        let (opcode, len) = if is_text {
            (ws::OP_TEXT, payload.len() + 1)
        } else {
            (ws::OP_BINARY, payload.len())
        };
        let (head, used) = ws::frame_header(i64::from(opcode), len)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        out.reserve(used + len);
        out.extend_from_slice(head.get(..used).unwrap_or_default());
        if is_text {
            out.push(b'4');
        }
        out.extend_from_slice(payload);
    }
    Ok(PyBytes::new(py, &out))
}

/// The text frame of an Engine.IO v4 MESSAGE carrying `text`: `"4"` and the text.
pub(super) fn engine_message_frame<'py>(
    py: Python<'py>,
    text: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let (head, used) = ws::frame_header(i64::from(ws::OP_TEXT), text.len() + 1)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let mut prefix = [0u8; ws::MAX_SERVER_HEADER + 1];
    let head = head.get(..used).unwrap_or_default();
    for (slot, byte) in prefix.iter_mut().zip(head.iter().chain(b"4")) {
        *slot = *byte;
    }
    frame_bytes(py, prefix.get(..used + 1).unwrap_or_default(), text)
}

/// Compresses the server's messages for permessage-deflate (RFC 7692) without
/// context takeover: each message on its own, so one compressed frame may go
/// to every recipient of a broadcast.
#[pyclass(module = "socketio_rs._core", name = "WsDeflater")]
pub struct WsDeflater {
    core: ws::Deflater,
    threshold: usize,
    /// The compressed payload being built, kept between calls.
    scratch: Vec<u8>,
}

#[pymethods]
impl WsDeflater {
    /// `level`: 0 (stored) to 9 (smallest); `threshold`: payloads of fewer
    /// bytes are sent uncompressed. Raises `ValueError` for a level above 9.
    #[new]
    #[pyo3(signature = (*, level = 6, threshold = 1024))]
    fn new(level: u32, threshold: usize) -> PyResult<Self> {
        let core = ws::Deflater::new(level).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(WsDeflater {
            core,
            threshold,
            scratch: Vec::new(),
        })
    }

    /// One server frame, as `ws_frame(opcode, payload)` builds it, but a text
    /// (1) or binary (2) payload of `threshold` bytes or more is compressed
    /// and sent with RSV1 set, unless compressing does not make it smaller
    /// (data already compressed): it is then sent as it is.
    #[pyo3(signature = (opcode, payload, /))]
    fn frame<'py>(
        &mut self,
        py: Python<'py>,
        opcode: i64,
        payload: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let mut holder = None;
        let data = payload_bytes(payload, &mut holder, "payload")?;
        let data_frame = opcode == i64::from(ws::OP_TEXT) || opcode == i64::from(ws::OP_BINARY);
        if data.len() < self.threshold || !data_frame {
            return ws_frame(py, opcode, payload);
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let built = self
            .core
            .compress(data, &mut scratch)
            .map_err(|e| PyValueError::new_err(e.to_string()))
            .and_then(|()| {
                if scratch.len() >= data.len() {
                    return ws_frame(py, opcode, payload);
                }
                let (head, used) = ws::deflated_frame_header(opcode, scratch.len())
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
                frame_bytes(py, head.get(..used).unwrap_or_default(), &scratch)
            });
        if scratch.capacity() <= 64 * 1024 {
            self.scratch = scratch;
        }
        built
    }

    /// The compression level (0-9).
    #[getter]
    fn level(&self) -> u32 {
        self.core.level()
    }

    /// Payloads of fewer bytes are sent uncompressed.
    #[getter]
    fn threshold(&self) -> usize {
        self.threshold
    }
}

/// A close frame (RFC 6455 5.5.1) with `code` and `reason`, the reason cut to
/// 123 bytes on a character boundary. Raises `ValueError` for a code an
/// endpoint may not send (7.4).
#[pyfunction]
#[pyo3(signature = (code, reason = ""))]
fn ws_close_frame<'py>(py: Python<'py>, code: i64, reason: &str) -> PyResult<Bound<'py, PyBytes>> {
    let payload =
        ws::close_payload(code, reason).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let (head, used) = ws::frame_header(i64::from(ws::OP_CLOSE), payload.len())
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    frame_bytes(py, head.get(..used).unwrap_or_default(), &payload)
}

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` (RFC 6455
/// 4.2.2): base64 of the SHA-1 of the key and the protocol's GUID.
#[pyfunction]
#[pyo3(signature = (key))]
fn ws_accept(key: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut holder = None;
    Ok(ws::accept_key(payload_bytes(key, &mut holder, "key")?))
}

/// Adds `WsError`, `WsReader`, `WsDeflater`, `ws_frame`, `ws_messages`, `ws_close_frame` and
/// `ws_accept`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let error = py.get_type::<WsError>();
    // The class default, for the type checker's view; every raised error sets its own.
    error.setattr("code", 1002)?;
    error.setattr("items", PyTuple::empty(py))?;
    m.add("WsError", error)?;
    m.add_class::<WsReader>()?;
    m.add_class::<WsDeflater>()?;
    m.add_function(wrap_pyfunction!(ws_frame, m)?)?;
    m.add_function(wrap_pyfunction!(ws_close_frame, m)?)?;
    m.add_function(wrap_pyfunction!(ws_messages, m)?)?;
    m.add_function(wrap_pyfunction!(ws_accept, m)?)?;
    Ok(())
}
