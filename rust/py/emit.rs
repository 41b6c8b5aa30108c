//! `emit_to_one`: `AsyncServer.emit(event, data, to=sid)` to a client on a
//! direct WebSocket, framed and written in one call.
//!
//! A handler's reply to its sender (`await sio.emit("x", data, to=sid)`) went
//! through eight Python frames of ours after `AsyncServer.emit`: the manager's
//! `emit` and `emit_local`, `_send_to_one`, the server's `send_event`, the
//! connect flow's `send_packet`, `direct_writer`, `ws_packet` and the outbox's
//! `write`. They decide nothing for that emit once these hold:
//!
//! - checked by the caller (`AsyncServer.emit`, where CPython's specialized
//!   attribute loads cost less than `getattr` from here): the server's manager
//!   is the base `AsyncManager` (a manager of its own, as Redis's, sees every
//!   emit) without connection state recovery (the packet would carry an offset
//!   and be kept) or the Admin UI's observer (it reports each delivery); the
//!   default encoder; no `skip_sid`, callback or `volatile`;
//! - checked here: `room` has exactly one member in the namespace (a sid is a
//!   room of one), whose session has an outbox (`EngineServer.outboxes`: a
//!   direct Engine.IO v4 WebSocket without compression, not closing), and the
//!   data has no binary values (their attachments are frames of their own).
//!
//! Otherwise it returns `False` before anything was sent, and the caller takes
//! the manager's path. `tests/test_direct_emit.py` holds both paths to the
//! same bytes.

use super::outbox::WsOutbox;
use super::packet::{with_out, write_text};
use super::ws::engine_message_frame;
use crate::codec::PacketType;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

/// Send the EVENT `[event, *args]` (`data` by python-socketio's rule) to the one
/// member of `room` in `namespace` (`rooms`: the manager's, namespace -> room ->
/// sid -> Engine.IO sid), through its session's outbox in `outboxes`; `False`,
/// having sent nothing, when the manager's path must take it (see the module
/// comment).
#[pyfunction]
#[pyo3(signature = (outboxes, rooms, namespace, room, event, data, /))]
pub fn emit_to_one<'py>(
    outboxes: &Bound<'py, PyDict>,
    rooms: &Bound<'py, PyDict>,
    namespace: &Bound<'py, PyAny>,
    room: &Bound<'py, PyAny>,
    event: &Bound<'py, PyAny>,
    data: &Bound<'py, PyAny>,
) -> PyResult<bool> {
    let py = outboxes.py();
    if outboxes.is_empty() {
        return Ok(false); // no direct WebSocket at all: under another ASGI server
    }
    let Ok(namespace) = namespace.cast::<PyString>() else {
        return Ok(false);
    };
    let Some(eio_sid) = only_member(rooms, namespace, room)? else {
        return Ok(false);
    };
    let Some(outbox) = outboxes.get_item(&eio_sid)? else {
        return Ok(false);
    };
    let Ok(outbox) = outbox.cast::<WsOutbox>() else {
        return Ok(false);
    };
    let args = event_args(py, Some(event), data)?;
    let nsp = namespace.to_cow()?;
    let frame = with_out(py, |out| {
        if !write_text(py, out, PacketType::Event, &nsp, None, &args)?.is_empty() {
            return Ok(None); // binary: attachments take frames of their own
        }
        engine_message_frame(py, out).map(Some)
    })?;
    match frame {
        // A closing session drops it, as `direct_writer`'s caller did.
        Some(frame) => WsOutbox::write(outbox, frame).map(|_| true),
        None => Ok(false),
    }
}

/// The Engine.IO sid of the one member of `rooms[namespace][room]` (`sid ->
/// eio_sid`); `None` when the room is missing or has another count.
fn only_member<'py>(
    rooms: &Bound<'py, PyDict>,
    namespace: &Bound<'py, PyString>,
    room: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
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
/// else one; after `first` (an emit's event name) when given. A new list.
pub(super) fn event_args<'py>(
    py: Python<'py>,
    first: Option<&Bound<'py, PyAny>>,
    value: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    match (first, value.cast::<PyTuple>()) {
        (None, Ok(items)) => PyList::new(py, items.iter()),
        (Some(first), Ok(items)) => {
            let mut all = Vec::with_capacity(items.len() + 1);
            all.push(first.clone());
            all.extend(items.iter());
            PyList::new(py, all)
        }
        (None, Err(_)) if value.is_none() => Ok(PyList::empty(py)),
        (Some(first), Err(_)) if value.is_none() => PyList::new(py, [first]),
        (None, Err(_)) => PyList::new(py, [value]),
        (Some(first), Err(_)) => PyList::new(py, [first, value]),
    }
}
