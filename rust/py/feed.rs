//! `WsFeed`: what a `serve()` WebSocket connection's transport calls with each
//! read (`WebSocketProtocol.data_received`; `wsserver/protocol.py` owns one per
//! connection).
//!
//! While the session's reader waits with nothing queued, the protocol arms the
//! feed with the reader's sink (`WebSocketProtocol.arm`): then a read is one
//! call from the event loop to here, which holds the outbox, reads the frames
//! (`WsReader.read`), hands the messages to the sink and releases the outbox,
//! so that what the read answered leaves in one write. A read that completes
//! nothing (part of a frame) ends there. A read with control
//! frames or a protocol error, a read while messages are queued or the
//! connection is not open, goes to the protocol's `_after_read` with what the
//! reader made of it, inside the same hold. Unarmed, every read goes to the
//! protocol's `_received` (the opening handshake, and the reader's own turns).
//!
//! The transport caches the callable it calls (uvloop does, at
//! `set_protocol`), so it is this object from the connection's start to its
//! end; arming changes what it does, not what is called.

use super::lane::LaneSink;
use super::outbox::WsOutbox;
use super::ws::{WsError, WsReader};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pyclass::{PyTraverseError, PyVisit};
use pyo3::types::PyList;

struct Refs {
    outbox: Py<WsOutbox>,
    /// `WebSocketProtocol._incoming`: the messages queued for the reader.
    incoming: Py<PyAny>,
    /// `WebSocketProtocol._received(data)`: a read while unarmed.
    received: Py<PyAny>,
    /// `WebSocketProtocol._after_read(messages, controls, failure)`.
    after_read: Py<PyAny>,
}

/// The session reader's sink: the event lane's, called without a Python call,
/// or any other callable. Told apart once, when the feed is armed.
enum Sink {
    Lane(Py<LaneSink>),
    Call(Py<PyAny>),
}

impl Sink {
    fn clone_ref(&self, py: Python<'_>) -> Sink {
        match self {
            Sink::Lane(lane) => Sink::Lane(lane.clone_ref(py)),
            Sink::Call(call) => Sink::Call(call.clone_ref(py)),
        }
    }

    fn take(&self, py: Python<'_>, messages: &Bound<'_, PyList>) -> PyResult<()> {
        match self {
            Sink::Lane(lane) => lane.borrow(py).take(py, messages),
            Sink::Call(call) => call.call1(py, (messages,)).map(drop),
        }
    }
}

/// One connection's read entry point (see the module comment).
#[pyclass(module = "socketio_rs._core", name = "WsFeed")]
pub struct WsFeed {
    refs: Option<Refs>,
    /// While armed: the session reader's sink and the connection's reader.
    armed: Option<(Sink, Py<WsReader>)>,
}

#[pymethods]
impl WsFeed {
    #[new]
    #[pyo3(signature = (*, outbox, incoming, received, after_read))]
    fn new(
        outbox: Bound<'_, WsOutbox>,
        incoming: Bound<'_, PyAny>,
        received: Bound<'_, PyAny>,
        after_read: Bound<'_, PyAny>,
    ) -> Self {
        WsFeed {
            refs: Some(Refs {
                outbox: outbox.unbind(),
                incoming: incoming.unbind(),
                received: received.unbind(),
                after_read: after_read.unbind(),
            }),
            armed: None,
        }
    }

    /// Hand each read's messages to `sink`, read by `reader`, until `disarm`.
    fn arm(&mut self, sink: Bound<'_, PyAny>, reader: Bound<'_, WsReader>) {
        let sink = match sink.cast_into::<LaneSink>() {
            Ok(lane) => Sink::Lane(lane.unbind()),
            Err(other) => Sink::Call(other.into_inner().unbind()),
        };
        self.armed = Some((sink, reader.unbind()));
    }

    fn disarm(&mut self) {
        self.armed = None;
    }

    /// One read's bytes. What it calls may arm or disarm the feed, so nothing of
    /// it stays borrowed while they run.
    fn __call__(slf: &Bound<'_, Self>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let (outbox, incoming, sink, reader) = {
            let me = slf.borrow();
            let Some(r) = &me.refs else { return Ok(()) };
            let Some((sink, reader)) = &me.armed else {
                let received = r.received.clone_ref(py);
                drop(me);
                received.call1(py, (data,))?;
                return Ok(());
            };
            (
                r.outbox.clone_ref(py),
                r.incoming.clone_ref(py),
                sink.clone_ref(py),
                reader.clone_ref(py),
            )
        };
        let outbox = outbox.bind(py);
        let outer = outbox.borrow_mut().hold();
        let taken = (|| -> PyResult<()> {
            let read = reader.bind(py).borrow_mut().read(py, data);
            let (messages, controls, failure) = match read {
                Ok((messages, controls)) => (messages, controls, None),
                // What the client sent before breaking the protocol counts.
                Err(err) if err.is_instance_of::<WsError>(py) => {
                    let value = err.into_value(py).into_bound(py);
                    let items = value.getattr(intern!(py, "items"))?;
                    let messages =
                        PyList::new(py, items.try_iter()?.collect::<PyResult<Vec<_>>>()?)?;
                    (messages, None, Some(value))
                }
                Err(err) => return Err(err),
            };
            let plain = controls.is_none() && failure.is_none();
            if plain && messages.is_empty() {
                return Ok(()); // a frame's part: nothing to hand on yet
            }
            if plain && outbox.borrow().open && incoming.bind(py).len()? == 0 {
                sink.take(py, &messages)?;
            } else {
                let after_read = match &slf.borrow().refs {
                    Some(r) => r.after_read.clone_ref(py),
                    None => return Ok(()),
                };
                after_read.call1(py, (messages, controls, failure))?;
            }
            Ok(())
        })();
        let released = WsOutbox::release(outbox, outer);
        taken?;
        released
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(r) = &self.refs {
            visit.call(&r.outbox)?;
            visit.call(&r.incoming)?;
            visit.call(&r.received)?;
            visit.call(&r.after_read)?;
        }
        if let Some((sink, reader)) = &self.armed {
            match sink {
                Sink::Lane(lane) => visit.call(lane)?,
                Sink::Call(call) => visit.call(call)?,
            }
            visit.call(reader)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.refs = None;
        self.armed = None;
    }
}
