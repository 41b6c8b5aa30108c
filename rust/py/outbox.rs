//! `WsOutbox`: what a `serve()` WebSocket connection has written and not yet
//! handed to its transport (`wsserver/protocol.py` owns one per connection).
//!
//! Frames written while the connection reads (`hold` .. `release`, around
//! `data_received`) leave together when the read is done; frames written at
//! other times leave at the end of the event-loop iteration (`loop.call_soon`),
//! also together: a broadcast loop that writes to every connection costs each
//! of them one `transport.write`. Every `SPILL` frames, what waits goes out at
//! once, so that a writer that never yields holds at most that many here and
//! the transport's buffer, which the write limit bounds, holds the rest.
//!
//! It used to be Python (`_send_frame`, `write_frames`, `_flush`): one to two
//! Python frames per message written, and per delivery of a broadcast.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pyclass::{PyTraverseError, PyVisit};
use pyo3::types::{PyBytes, PyDict, PyList};

/// Frames held for the end of an event-loop iteration before they go to the
/// transport anyway: a connection waits on at most this many messages beyond
/// its write limit.
pub const SPILL: usize = 64;

/// A connection's pending frames (see the module comment).
#[pyclass(module = "socketio_rs._core", name = "WsOutbox")]
pub struct WsOutbox {
    pending: Vec<Py<PyBytes>>,
    /// `loop.call_soon`.
    call_soon: Option<Py<PyAny>>,
    /// Called when a flush finds more than `limit` bytes buffered while the
    /// transport is paused (`WebSocketProtocol._overflow`).
    overflow: Option<Py<PyAny>>,
    transport: Option<Py<PyAny>>,
    /// This object's `flush`, for `call_soon` (made once).
    flush: Option<Py<PyAny>>,
    /// Whether `write` takes frames: the connection is open.
    #[pyo3(get, set)]
    pub(super) open: bool,
    /// Whether the transport is above its high-water mark (`pause_writing`).
    #[pyo3(get, set)]
    paused: bool,
    /// Above this many bytes in a paused transport's buffer, `overflow` is called.
    #[pyo3(get, set)]
    limit: usize,
    /// Set while the connection reads: `release` flushes.
    receiving: bool,
}

#[pymethods]
impl WsOutbox {
    #[new]
    fn new(call_soon: Bound<'_, PyAny>, overflow: Bound<'_, PyAny>) -> Self {
        WsOutbox {
            pending: Vec::new(),
            call_soon: Some(call_soon.unbind()),
            overflow: Some(overflow.unbind()),
            transport: None,
            flush: None,
            open: false,
            paused: false,
            limit: usize::MAX,
            receiving: false,
        }
    }

    /// The transport flushes write to (``connection_made``).
    fn attach(&mut self, transport: Bound<'_, PyAny>) {
        self.transport = Some(transport.unbind());
    }

    /// Write `frame` (bytes ready for the transport), whatever the state: the
    /// handshake's answer, a close frame, a pong.
    fn push(slf: &Bound<'_, Self>, frame: Bound<'_, PyBytes>) -> PyResult<()> {
        Self::add(slf, frame)
    }

    /// Write `frames` (messages already framed) while the connection is open;
    /// `False` once it is closing.
    pub(super) fn write(slf: &Bound<'_, Self>, frames: Bound<'_, PyBytes>) -> PyResult<bool> {
        if !slf.borrow().open {
            return Ok(false);
        }
        Self::add(slf, frames)?;
        Ok(true)
    }

    /// Start a read: what is written until `release` leaves after it. Returns
    /// whether one was already going on (a nested call), for `release`.
    pub(super) fn hold(&mut self) -> bool {
        std::mem::replace(&mut self.receiving, true)
    }

    /// End a read begun with `hold` (given what it returned): flush, unless an
    /// outer read goes on.
    pub(super) fn release(slf: &Bound<'_, Self>, outer: bool) -> PyResult<()> {
        slf.borrow_mut().receiving = outer;
        if outer {
            return Ok(());
        }
        Self::flush(slf)
    }

    /// Hand what waits to the transport, in one write (nothing once the
    /// transport is closing); then, if it is paused and holds more than
    /// `limit` bytes, call `overflow`.
    fn flush(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let (pending, transport) = {
            let mut me = slf.borrow_mut();
            if me.pending.is_empty() {
                return Ok(());
            }
            let pending = std::mem::take(&mut me.pending);
            match &me.transport {
                Some(t) => (pending, t.clone_ref(py).into_bound(py)),
                None => return Ok(()),
            }
        };
        if !transport
            .call_method0(intern!(py, "is_closing"))?
            .is_truthy()?
        {
            let data = match <[_; 1]>::try_from(pending) {
                Ok([one]) => one.into_bound(py),
                Err(many) => join(py, &many)?,
            };
            transport.call_method1(intern!(py, "write"), (data,))?;
        }
        let (paused, limit, overflow) = {
            let me = slf.borrow();
            let overflow = me.overflow.as_ref().map(|o| o.clone_ref(py));
            (me.paused, me.limit, overflow)
        };
        // Below its high-water mark the transport's buffer is small enough to
        // leave unchecked; above it, its size is asked once per flush.
        if paused {
            let buffered: usize = transport
                .call_method0(intern!(py, "get_write_buffer_size"))?
                .extract()?;
            if buffered > limit {
                if let Some(overflow) = overflow {
                    overflow.call0(py)?;
                }
            }
        }
        Ok(())
    }

    /// Drop what waits (the connection is cut off).
    fn clear(&mut self) {
        self.pending.clear();
    }

    /// How many frames wait.
    fn __len__(&self) -> usize {
        self.pending.len()
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.call_soon)?;
        visit.call(&self.overflow)?;
        visit.call(&self.transport)?;
        visit.call(&self.flush)
    }

    fn __clear__(&mut self) {
        self.call_soon = None;
        self.overflow = None;
        self.transport = None;
        self.flush = None;
        self.pending.clear();
    }
}

impl WsOutbox {
    /// Queue `frame`: the first of a batch schedules the flush (unless a read
    /// goes on, which flushes when it ends); the `SPILL`th flushes at once.
    fn add(slf: &Bound<'_, Self>, frame: Bound<'_, PyBytes>) -> PyResult<()> {
        let py = slf.py();
        let schedule = {
            let mut me = slf.borrow_mut();
            me.pending.push(frame.unbind());
            let count = me.pending.len();
            if count >= SPILL {
                drop(me);
                return Self::flush(slf);
            }
            count == 1 && !me.receiving
        };
        if !schedule {
            return Ok(());
        }
        let made = slf.borrow().flush.as_ref().map(|f| f.clone_ref(py));
        let flush = match made {
            Some(flush) => flush,
            None => {
                let flush = slf.getattr(intern!(py, "flush"))?.unbind();
                slf.borrow_mut().flush = Some(flush.clone_ref(py));
                flush
            }
        };
        let call_soon = slf.borrow().call_soon.as_ref().map(|c| c.clone_ref(py));
        if let Some(call_soon) = call_soon {
            call_soon.call1(py, (flush,))?;
        }
        Ok(())
    }
}

/// Write `frames` (one broadcast's messages, framed) to the outbox of every
/// session of `sids` that `outboxes` (sid -> `WsOutbox`: the sessions on a
/// direct WebSocket without compression, `EngineServer.outboxes`) holds;
/// `volatile`: not to those whose connection is closing or whose transport
/// is above its high-water mark. Returns the sids it does not hold, for the
/// caller's other ways of writing.
#[pyfunction]
#[pyo3(signature = (outboxes, sids, frames, volatile = false, /))]
pub fn broadcast_frames<'py>(
    outboxes: &Bound<'py, PyDict>,
    sids: &Bound<'py, PyAny>,
    frames: &Bound<'py, PyBytes>,
    volatile: bool,
) -> PyResult<Bound<'py, PyList>> {
    let py = outboxes.py();
    let rest = PyList::empty(py);
    for sid in sids.try_iter()? {
        let sid = sid?;
        let Some(outbox) = outboxes.get_item(&sid)? else {
            rest.append(sid)?;
            continue;
        };
        let Ok(outbox) = outbox.cast::<WsOutbox>() else {
            rest.append(sid)?;
            continue;
        };
        let (open, paused) = {
            let me = outbox.borrow();
            (me.open, me.paused)
        };
        if open && !(volatile && paused) {
            WsOutbox::add(outbox, frames.clone())?;
        }
    }
    Ok(rest)
}

/// The frames as one `bytes`.
fn join<'py>(py: Python<'py>, frames: &[Py<PyBytes>]) -> PyResult<Bound<'py, PyBytes>> {
    let total = frames.iter().map(|f| f.bind(py).as_bytes().len()).sum();
    PyBytes::new_with(py, total, |out| {
        let mut at = 0;
        for frame in frames {
            let bytes = frame.bind(py).as_bytes();
            if let Some(slot) = out.get_mut(at..at + bytes.len()) {
                slot.copy_from_slice(bytes);
            }
            at += bytes.len();
        }
        Ok(())
    })
}
