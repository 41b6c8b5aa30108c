//! `DirectEmit`: `AsyncServer.emit(event, data, to=sid)` to a client on a
//! direct WebSocket, framed and written in one call.
//!
//! A handler's reply to its sender (`await sio.emit("x", data, to=sid)`) went
//! through eight Python frames of ours after `AsyncServer.emit`: the manager's
//! `emit` and `emit_local`, `_send_to_one`, the server's `send_event`, the
//! connect flow's `send_packet`, `direct_writer`, `ws_packet` and the outbox's
//! `write`. They decide nothing for that emit once these hold, which this
//! checks per call:
//!
//! - the server's manager is the base `AsyncManager` (a manager of its own, as
//!   Redis's, sees every emit), without connection state recovery (the packet
//!   would carry an offset and be kept) and without the Admin UI's observer
//!   (it reports each delivery);
//! - `to` names a room of exactly one member in the namespace (a sid is one);
//! - that client's session has an outbox (`EngineServer.outboxes`: a direct
//!   Engine.IO v4 WebSocket without compression, not closing);
//! - the data has no binary values (their attachments are frames of their own).
//!
//! The caller checks the rest of `emit_local`'s rule for one recipient: no
//! `skip_sid`, no callback, not volatile, the default encoder. Anything else
//! returns `False` before anything was sent, and the caller takes the manager's
//! path. `tests/test_direct_emit.py` holds both paths to the same bytes.

use super::outbox::WsOutbox;
use super::packet::{with_out, write_text};
use super::ws::engine_message_frame;
use crate::codec::PacketType;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pyclass::{PyTraverseError, PyVisit};
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

struct Refs {
    /// The `AsyncServer`: its `manager`, read per call.
    server: Py<PyAny>,
    /// `AsyncManager`, the base class; a subclass takes the manager's path.
    manager_type: Py<PyAny>,
    /// `EngineServer.outboxes`: Engine.IO sid -> `WsOutbox`.
    outboxes: Py<PyDict>,
}

/// `emit` to one client on a direct WebSocket (see the module comment).
#[pyclass(module = "socketio_rs._core", name = "DirectEmit")]
pub struct DirectEmit {
    refs: Option<Refs>,
}

#[pymethods]
impl DirectEmit {
    #[new]
    #[pyo3(signature = (*, server, manager_type, outboxes))]
    fn new(
        server: Bound<'_, PyAny>,
        manager_type: Bound<'_, PyAny>,
        outboxes: Bound<'_, PyDict>,
    ) -> Self {
        DirectEmit {
            refs: Some(Refs {
                server: server.unbind(),
                manager_type: manager_type.unbind(),
                outboxes: outboxes.unbind(),
            }),
        }
    }

    /// Send the EVENT `[event, *args]` (`data` by python-socketio's rule) to the
    /// one member of `room` in `namespace`; `False`, having sent nothing, when
    /// the manager's path must take it.
    fn __call__(
        &self,
        py: Python<'_>,
        namespace: &Bound<'_, PyString>,
        room: &Bound<'_, PyAny>,
        event: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let Some(r) = self.refs.as_ref() else {
            return Ok(false);
        };
        let manager = r.server.bind(py).getattr(intern!(py, "manager"))?;
        if !manager.get_type().is(r.manager_type.bind(py))
            || !manager.getattr(intern!(py, "recovery"))?.is_none()
            || !manager.getattr(intern!(py, "observer"))?.is_none()
        {
            return Ok(false);
        }
        let Some(eio_sid) = only_member(&manager, namespace, room)? else {
            return Ok(false);
        };
        let Some(outbox) = r.outboxes.bind(py).get_item(&eio_sid)? else {
            return Ok(false);
        };
        let Ok(outbox) = outbox.cast::<WsOutbox>() else {
            return Ok(false);
        };
        let args = event_args(py, data)?;
        args.insert(0, event)?;
        let nsp = namespace.to_cow()?;
        let frame = with_out(py, |out| {
            if !write_text(py, out, PacketType::Event, &nsp, None, &args)?.is_empty() {
                return Ok(None); // binary: attachments take frames of their own
            }
            engine_message_frame(py, out).map(Some)
        })?;
        match frame {
            Some(frame) => {
                WsOutbox::write(outbox, frame)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(r) = &self.refs {
            visit.call(&r.server)?;
            visit.call(&r.manager_type)?;
            visit.call(&r.outboxes)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.refs = None;
    }
}

/// The Engine.IO sid of the one member of `room` (`manager.rooms[namespace][room]`,
/// `sid -> eio_sid`); `None` when the room is missing or has another count.
fn only_member<'py>(
    manager: &Bound<'py, PyAny>,
    namespace: &Bound<'py, PyString>,
    room: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = manager.py();
    let rooms = manager.getattr(intern!(py, "rooms"))?;
    let Ok(rooms) = rooms.cast::<PyDict>() else {
        return Ok(None);
    };
    let Some(in_namespace) = rooms.get_item(namespace)? else {
        return Ok(None);
    };
    let Ok(in_namespace) = in_namespace.cast::<PyDict>() else {
        return Ok(None);
    };
    let Some(members) = in_namespace.get_item(room)? else {
        return Ok(None);
    };
    let Ok(members) = members.cast::<PyDict>() else {
        return Ok(None);
    };
    if members.len() != 1 {
        return Ok(None);
    }
    Ok(members.iter().next().map(|(_, eio_sid)| eio_sid))
}

/// python-socketio's rule for an emit's `data` or a handler's ack value
/// (`_rules.event_args`): a tuple is several arguments, `None` none, anything
/// else one. A new list, which the caller may extend.
pub(super) fn event_args<'py>(
    py: Python<'py>,
    value: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    if let Ok(items) = value.cast::<PyTuple>() {
        PyList::new(py, items.iter())
    } else if value.is_none() {
        Ok(PyList::empty(py))
    } else {
        PyList::new(py, [value])
    }
}
