//! `Packet`, `encode()` and `is_packet_valid()`.

use super::attached::Attached;
use super::encode::JsonEncoder;
use super::errors::{to_pyerr, PacketError};
use super::json_module::Dumps;
use super::keys;
use super::obj::Obj;
use super::view::View;
use crate::codec::{self, Decoded, PacketType, MAX_ACK_ID};
use crate::error::Error;
use pyo3::basic::CompareOp;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyList, PyString, PyTuple};
use pyo3::{ffi, intern};

/// One Socket.IO packet: `type`, `nsp`, `data` (None when absent) and `id`
/// (the ack id, None when absent). Frozen and comparable.
#[pyclass(frozen, freelist = 128, module = "socketio_rs._core", name = "Packet")]
pub struct Packet {
    packet_type: PacketType,
    /// A `str`. `Obj`, not `Py<...>`: dropping a `Py` checks a thread-local
    /// for the attached state, and a packet is always freed attached (in its
    /// `tp_dealloc`).
    nsp: Obj,
    data: Obj,
    id: Option<u64>,
}

/// `Packet`'s constructor arguments, for pickling.
type PacketArgs = (u8, Py<PyString>, Py<PyAny>, Option<u64>);

static PACKET_TYPE_MEMBERS: PyOnceLock<Py<PyTuple>> = PyOnceLock::new();

/// The `socketio_rs.codec.PacketType` member for a type.
fn type_member(py: Python<'_>, t: PacketType) -> PyResult<Bound<'_, PyAny>> {
    let members = PACKET_TYPE_MEMBERS.get_or_try_init(py, || -> PyResult<Py<PyTuple>> {
        let enum_type = py.import("socketio_rs.codec")?.getattr("PacketType")?;
        let members = PacketType::ALL
            .iter()
            .map(|t| enum_type.call1((*t as u8,)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyTuple::new(py, members)?.unbind())
    })?;
    members.bind(py).get_item(t as usize)
}

fn packet_type_from(obj: &Bound<'_, PyAny>) -> PyResult<PacketType> {
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err("packet type must be an int, not bool"));
    }
    let v: i64 = obj
        .extract()
        .map_err(|_| PyTypeError::new_err("packet type must be an int"))?;
    u8::try_from(v)
        .ok()
        .and_then(PacketType::from_u8)
        .ok_or_else(|| PacketError::new_err(Error::UnknownPacketType(v.to_string()).to_string()))
}

fn ack_id_from(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    // SAFETY: a type check on a live object.
    let is_int = unsafe { ffi::PyLong_Check(obj.as_ptr()) != 0 };
    if !is_int || obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "ack id must be an int or None, not {}",
            obj.get_type().name()?
        )));
    }
    match obj.extract::<u64>() {
        Ok(v) if v <= MAX_ACK_ID => Ok(v),
        _ => Err(PacketError::new_err(Error::AckIdOutOfRange.to_string())),
    }
}

fn new_str(py: Python<'_>, s: &str) -> Obj {
    Obj::from_bound(PyString::new(py, s).as_any())
}

fn none(py: Python<'_>) -> Obj {
    Obj::from_bound(&py.None().into_bound(py))
}

/// A decoded namespace as a `str`. Namespaces repeat from packet to packet:
/// short ones come from the cache of keys and event names.
pub(super) fn nsp_object(py: Python<'_>, nsp: &str) -> Obj {
    match nsp {
        "/" => Obj::from_bound(intern!(py, "/").as_any()),
        other => match keys::cached_str(py, other, || Ok(new_str(py, other))) {
            // The cache holds only `str` objects.
            Ok(Some(cached)) => cached,
            _ => new_str(py, other),
        },
    }
}

impl Packet {
    /// Wraps a decoded packet.
    pub fn from_decoded(py: Python<'_>, p: Decoded<Obj>) -> Packet {
        Packet {
            packet_type: p.packet_type,
            nsp: nsp_object(py, &p.nsp),
            data: p.data.unwrap_or_else(|| none(py)),
            id: p.id,
        }
    }

    /// The namespace, a `str`.
    fn nsp_str<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        // SAFETY: `nsp` only ever holds a `str` (see the constructors).
        unsafe { self.nsp.bind(py).cast_into_unchecked() }
    }

    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            [
                type_member(py, self.packet_type)?,
                self.nsp.bind(py),
                self.data.bind(py),
                self.id.into_pyobject(py)?.into_any(),
            ],
        )
    }
}

#[pymethods]
impl Packet {
    #[new]
    #[pyo3(signature = (r#type, nsp = None, data = None, id = None), text_signature = "(type, nsp='/', data=None, id=None)")]
    fn new(
        py: Python<'_>,
        r#type: &Bound<'_, PyAny>,
        nsp: Option<Bound<'_, PyString>>,
        data: Option<Py<PyAny>>,
        id: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let packet_type = packet_type_from(r#type)?;
        let nsp = Obj::from_bound(nsp.as_ref().map_or(intern!(py, "/"), |n| n).as_any());
        let id = id.map(ack_id_from).transpose()?;
        Ok(Packet {
            packet_type,
            nsp,
            data: data.map_or_else(|| none(py), |d| Obj::from_bound(d.bind(py))),
            id,
        })
    }

    /// The packet type, a `PacketType`.
    #[getter(r#type)]
    fn get_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        type_member(py, self.packet_type)
    }

    /// The namespace, `"/"` for the main one.
    #[getter]
    fn nsp<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        self.nsp_str(py)
    }

    /// The payload; None when the packet has none.
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.data.bind(py)
    }

    /// The ack id, or None.
    #[getter]
    fn id(&self) -> Option<u64> {
        self.id
    }

    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let Ok(other) = other.cast::<Packet>() else {
            return Ok(py.NotImplemented());
        };
        let other = other.get();
        let equal = || -> PyResult<bool> {
            Ok(self.packet_type == other.packet_type
                && self.id == other.id
                && self.nsp.bind(py).eq(other.nsp.bind(py))?
                && self.data.bind(py).eq(other.data.bind(py))?)
        };
        match op {
            CompareOp::Eq => Ok(PyBool::new(py, equal()?).to_owned().into_any().unbind()),
            CompareOp::Ne => Ok(PyBool::new(py, !equal()?).to_owned().into_any().unbind()),
            _ => Ok(py.NotImplemented()),
        }
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        self.fields(py)?.hash()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let id = match self.id {
            Some(id) => id.to_string(),
            None => "None".into(),
        };
        Ok(format!(
            "Packet(type=PacketType.{}, nsp={}, data={}, id={})",
            self.packet_type.name(),
            self.nsp.bind(py).repr()?,
            self.data.bind(py).repr()?,
            id
        ))
    }

    /// Encodes the packet: `encode(packet, json=json)`.
    #[pyo3(signature = (*, json = None))]
    fn encode<'py>(
        slf: &Bound<'py, Self>,
        json: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        encode(slf.py(), slf, json)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, PacketArgs)> {
        let py = slf.py();
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (
                me.packet_type as u8,
                me.nsp_str(py).unbind(),
                me.data.bind(py).unbind(),
                me.id,
            ),
        ))
    }
}

/// Encodes a packet: the text frame first, then each binary attachment.
/// With `json`, that module's `dumps` writes the payload text.
#[pyfunction]
#[pyo3(signature = (packet, /, *, json = None))]
pub fn encode<'py>(
    py: Python<'py>,
    packet: &Bound<'py, Packet>,
    json: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    with_out(py, |out| encode_into(py, out, packet.get(), json))
}

/// One Socket.IO packet as the WebSocket frame of its Engine.IO v4 MESSAGE (a
/// text frame of `"4"` and the packet's text): what `ws_messages(encode(Packet(
/// type, nsp, data, id)))` gives, in one step and without the packet or the
/// list. `None` when `data` carries binary values, whose attachments take
/// frames of their own (then use `encode`). Raises as `Packet` and `encode` do.
#[pyfunction]
#[pyo3(signature = (r#type, nsp, data, id = None, /))]
pub fn ws_packet<'py>(
    py: Python<'py>,
    r#type: &Bound<'py, PyAny>,
    nsp: &Bound<'py, PyString>,
    data: &Bound<'py, PyAny>,
    id: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let packet_type = packet_type_from(r#type)?;
    let id = id.filter(|id| !id.is_none()).map(ack_id_from).transpose()?;
    let nsp = nsp.to_cow()?;
    with_out(py, |out| {
        if !write_text(py, out, packet_type, &nsp, id, data)?.is_empty() {
            return Ok(None);
        }
        super::ws::engine_message_frame(py, out).map(Some)
    })
}

/// Writes a packet's text with socketio-rs's JSON encoder; returns its binary
/// attachments, in order.
pub(super) fn write_text<'py>(
    py: Python<'py>,
    out: &mut Vec<u8>,
    packet_type: PacketType,
    nsp: &str,
    id: Option<u64>,
    data: &Bound<'py, PyAny>,
) -> PyResult<Vec<Py<PyAny>>> {
    let has_data = !data.is_none();
    let mut encoder = JsonEncoder::new(py);
    codec::encode_into(out, packet_type, nsp, id, |out| {
        if has_data {
            encoder.write(out, data, 0)?;
        }
        Ok(encoder.attachments.len())
    })
    .map_err(|e| to_pyerr(py, e, encoder.err.take()))?;
    Ok(encoder.attachments)
}

/// Runs `f` with the process's output buffer, taken for the call: a nested
/// call (from a `json=` module's `dumps`) finds it empty and allocates its own.
pub(super) fn with_out<R>(py: Python<'_>, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut out = OUT.with(py, std::mem::take);
    let result = f(&mut out);
    if out.capacity() <= OUT_KEEP {
        OUT.with(py, |kept| *kept = out);
    }
    result
}

/// The encoder's reusable output buffer, and the capacity kept between calls.
static OUT: Attached<Vec<u8>> = Attached::new(Vec::new());
const OUT_KEEP: usize = 1 << 18;

fn encode_into<'py>(
    py: Python<'py>,
    out: &mut Vec<u8>,
    p: &Packet,
    json: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let nsp = p.nsp_str(py);
    let nsp = nsp.to_cow()?;
    let data = p.data.bind(py);
    let has_data = !data.is_none();
    let attachments = match json {
        None => write_text(py, out, p.packet_type, &nsp, p.id, &data)?,
        Some(module) => {
            let mut dumps = Dumps::new(py);
            codec::encode_into(out, p.packet_type, &nsp, p.id, |out| {
                if has_data {
                    dumps.write(out, module, &data)?;
                }
                Ok(dumps.attachments.len())
            })
            .map_err(|e| to_pyerr(py, e, dumps.err.take()))?;
            dumps.attachments.into_iter().map(Bound::unbind).collect()
        }
    };
    // SAFETY: the text is UTF-8 (our writer's, or checked from `dumps`); the
    // C API validates it again. The list gets one new reference per slot.
    unsafe {
        let text =
            ffi::PyUnicode_FromStringAndSize(out.as_ptr().cast(), out.len() as ffi::Py_ssize_t);
        if text.is_null() {
            return Err(PyErr::fetch(py));
        }
        let list = ffi::PyList_New(1 + attachments.len() as ffi::Py_ssize_t);
        if list.is_null() {
            ffi::Py_DecRef(text);
            return Err(PyErr::fetch(py));
        }
        ffi::PyList_SetItem(list, 0, text);
        for (i, a) in attachments.into_iter().enumerate() {
            ffi::PyList_SetItem(list, 1 + i as ffi::Py_ssize_t, a.into_ptr());
        }
        Ok(Bound::from_owned_ptr(py, list).cast_into_unchecked())
    }
}

/// The reference's `isPacketValid` (P15): the namespace is a str without a
/// comma and the data follows the type's rule; types 5 and 6 are never valid.
#[pyfunction]
pub fn is_packet_valid(py: Python<'_>, packet: &Bound<'_, Packet>) -> PyResult<bool> {
    let p = packet.get();
    if p.nsp_str(py).to_cow()?.contains(',') {
        return Ok(false);
    }
    let data = p.data.bind(py);
    let view = (!data.is_none()).then(|| View(data.clone()));
    Ok(codec::data_valid(p.packet_type, view.as_ref()))
}
