//! `EventLane`: the plain events of a direct WebSocket's read, taken in one
//! call from `serve()`'s reader (`engine/direct.py`), and their acks framed
//! and written in the same call.
//!
//! An acked event on the Python path went through a dozen frames of ours
//! between the read and the handler and after it: the reader's step, the
//! Engine.IO message, the dispatcher's target and handler lookup, the eager
//! step, the ack's rule, the connection's writer. The lane does those steps
//! here, for the messages python-socketio's rules alone handle:
//!
//! - a text Engine.IO MESSAGE holding a Socket.IO EVENT (`42...`), within the
//!   size limit, for a client that is not closing, whose decoder waits for no
//!   attachments;
//! - for a socket that is connected and not closing, with no Node-style
//!   handler, middleware or catch-all in the way (`Socket._intercepts`, asked
//!   once the server has such a listener anywhere: `intercepting`);
//! - with a python-socketio handler registered for the event, and neither the
//!   Admin UI watching (`observed`) nor the server's logger at INFO, while the
//!   server runs handlers as they come (`async_handlers`).
//!
//! The ack goes to the session's outbox (`EngineServer.outboxes`, `outbox.rs`).
//!
//! It takes the read's messages from the first on and stops at the first that
//! is not such an event, before anything of that one happened; the Python path
//! (`DirectReader.take_rest`, `Dispatcher.eio_message_nowait`) takes it and the
//! rest as it always did. So the lane changes no behaviour; it only
//! skips the frames. The rules it checks are the dispatcher's
//! (`server/dispatch.py`); a rule added there that the lane does not know
//! must make the lane step aside (`_intercepts`, `observed`).

use super::decoder::Decoder;
use super::emit::event_args;
use super::ffi_ext::{call_with, coro_send, str_text, Sent};
use super::outbox::WsOutbox;
use super::packet::{nsp_object, with_out, write_text};
use super::ws::engine_message_frame;
use crate::codec::PacketType;
use pyo3::exceptions::PyStopIteration;
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pyclass::{PyTraverseError, PyVisit};
use pyo3::types::{PyDict, PyList, PyString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// `logging.INFO`.
const INFO: i32 = 20;

/// What the lane calls and compares with: the server's objects, from Python.
struct Refs {
    /// `ConnectFlow.clients`: Engine.IO sid -> `Client`.
    clients: Py<PyDict>,
    /// `EngineServer.outboxes`: Engine.IO sid -> the `WsOutbox` of a direct
    /// WebSocket without compression, where acks are written.
    outboxes: Py<PyDict>,
    /// `HandlerTable.handlers`: namespace -> {event: handler}.
    handlers: Py<PyDict>,
    /// The `AsyncServer` (its `async_handlers` and `logger`, read per call).
    server: Py<PyAny>,
    not_handled: Py<PyAny>,
    no_ack: Py<PyAny>,
    /// `_eager.step`, for an awaitable that is not a coroutine, or every
    /// awaitable where `resume` is `None` (eager tasks, 3.12+).
    step: Py<PyAny>,
    /// `_eager.resume(coro, yielded)`: the `Later` of a coroutine whose first
    /// step the lane ran and which suspended.
    resume: Option<Py<PyAny>>,
    /// `_eager.Later`.
    later: Py<PyAny>,
    /// `Dispatcher._suspended(client, nsp, ack_id, later)`.
    suspended: Py<PyAny>,
    /// `Dispatcher._handler_failed(exc)`.
    failed: Py<PyAny>,
    /// `Dispatcher._ack(client, nsp, ack_id, result)`: the Python ack, for an
    /// ack with binary data or a session without an outbox.
    ack: Py<PyAny>,
    isawaitable: Py<PyAny>,
    coroutine: Py<PyAny>,
    cancelled: Py<PyAny>,
    /// `logging.Logger`.
    logger_type: Py<PyAny>,
}

/// Takes a direct WebSocket read's plain events (see the module comment).
#[pyclass(module = "socketio_rs._core", name = "EventLane")]
pub struct EventLane {
    refs: Option<Refs>,
    /// Set while the Admin UI watches: every event then takes the Python
    /// path, which reports it. Atomic: a handler the lane calls may set it.
    observed: AtomicBool,
    /// Set once the server has Node-style listeners anywhere (`Dispatcher.intercept`):
    /// from then on each event asks its socket's `_intercepts`. Atomic, as `observed`.
    intercepting: AtomicBool,
}

#[pymethods]
impl EventLane {
    #[new]
    #[pyo3(signature = (*, clients, outboxes, handlers, server, not_handled, no_ack, step, resume, later, suspended, failed, ack))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        clients: Bound<'_, PyDict>,
        outboxes: Bound<'_, PyDict>,
        handlers: Bound<'_, PyDict>,
        server: Bound<'_, PyAny>,
        not_handled: Bound<'_, PyAny>,
        no_ack: Bound<'_, PyAny>,
        step: Bound<'_, PyAny>,
        resume: Option<Bound<'_, PyAny>>,
        later: Bound<'_, PyAny>,
        suspended: Bound<'_, PyAny>,
        failed: Bound<'_, PyAny>,
        ack: Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(EventLane {
            refs: Some(Refs {
                clients: clients.unbind(),
                outboxes: outboxes.unbind(),
                handlers: handlers.unbind(),
                server: server.unbind(),
                not_handled: not_handled.unbind(),
                no_ack: no_ack.unbind(),
                step: step.unbind(),
                resume: resume.map(Bound::unbind),
                later: later.unbind(),
                suspended: suspended.unbind(),
                failed: failed.unbind(),
                ack: ack.unbind(),
                isawaitable: py.import("inspect")?.getattr("isawaitable")?.unbind(),
                coroutine: py.import("types")?.getattr("CoroutineType")?.unbind(),
                cancelled: py.import("asyncio")?.getattr("CancelledError")?.unbind(),
                logger_type: py.import("logging")?.getattr("Logger")?.unbind(),
            }),
            observed: AtomicBool::new(false),
            intercepting: AtomicBool::new(false),
        })
    }

    #[getter]
    fn observed(&self) -> bool {
        self.observed.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_observed(&self, observed: bool) {
        self.observed.store(observed, Ordering::Relaxed);
    }

    #[getter]
    fn intercepting(&self) -> bool {
        self.intercepting.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_intercepting(&self, intercepting: bool) {
        self.intercepting.store(intercepting, Ordering::Relaxed);
    }

    /// The session's reader as the WebSocket protocol's sink (`arm`): called with
    /// each read's messages inside `data_received`, it makes `task` (the session's
    /// reader task) the current task, takes what it can and hands what it
    /// leaves to `rest(messages, start)` (`DirectReader.take_rest`), also when a
    /// message closed the session. `DirectReader.take_now` in one call.
    #[pyo3(signature = (*, sid, session, limit, task, rest))]
    fn sink(
        slf: &Bound<'_, Self>,
        sid: Bound<'_, PyAny>,
        session: Bound<'_, PyAny>,
        limit: usize,
        task: Bound<'_, PyAny>,
        rest: Bound<'_, PyAny>,
    ) -> PyResult<LaneSink> {
        let py = slf.py();
        let tasks = py.import("asyncio.tasks")?;
        Ok(LaneSink {
            refs: Some(SinkRefs {
                lane: slf.clone().unbind(),
                sid: sid.unbind(),
                session: session.unbind(),
                event_loop: task.call_method0(intern!(py, "get_loop"))?.unbind(),
                task: task.unbind(),
                enter: tasks.getattr("_enter_task")?.unbind(),
                leave: tasks.getattr("_leave_task")?.unbind(),
                rest: rest.unbind(),
            }),
            limit,
            client: OnceLock::new(),
        })
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        let Some(r) = &self.refs else { return Ok(()) };
        for obj in [
            r.clients.as_any(),
            r.outboxes.as_any(),
            r.handlers.as_any(),
            &r.server,
            &r.not_handled,
            &r.no_ack,
            &r.step,
            &r.later,
            &r.suspended,
            &r.failed,
            &r.ack,
            &r.isawaitable,
            &r.coroutine,
            &r.cancelled,
            &r.logger_type,
        ] {
            visit.call(obj)?;
        }
        visit.call(&r.resume)
    }

    fn __clear__(&mut self) {
        self.refs = None;
    }
}

impl EventLane {
    /// Takes `messages` (one read's, in order) from the first on while each is a
    /// plain event of the Engine.IO session `session` (`sid`): how many it took,
    /// and whether it stopped after one because that message closed the session.
    /// `limit`: the largest message, in characters (``max_http_buffer_size``).
    /// `client`: the session's Socket.IO client, kept by the sink once found.
    fn take(
        &self,
        py: Python<'_>,
        sid: &Bound<'_, PyAny>,
        messages: &Bound<'_, PyList>,
        session: &Bound<'_, PyAny>,
        limit: usize,
        client: &OnceLock<ClientRefs>,
    ) -> PyResult<(usize, bool)> {
        let Some(r) = &self.refs else {
            return Ok((0, false));
        };
        let server = r.server.bind(py);
        if self.observed.load(Ordering::Relaxed)
            || !server.getattr(intern!(py, "async_handlers"))?.is_truthy()?
        {
            return Ok((0, false));
        }
        let logger = server.getattr(intern!(py, "logger"))?;
        let client = match client.get() {
            Some(found) => found,
            None => {
                let Some(found) = ClientRefs::find(py, r, sid)? else {
                    return Ok((0, false));
                };
                let _ = client.set(found);
                let Some(found) = client.get() else {
                    return Ok((0, false));
                };
                found
            }
        };
        // A plain Logger's cache of level answers: the same dict for the logger's life
        // (logging clears it in place when a level changes).
        let logger_cache = if logger.get_type().is(r.logger_type.bind(py)) {
            logger
                .getattr(intern!(py, "_cache"))?
                .cast_into::<PyDict>()
                .ok()
        } else {
            None
        };
        let read = Read {
            py,
            r,
            sid,
            logger,
            logger_cache,
            client: client.client.bind(py).clone(),
            decoder: client.decoder.bind(py).clone(),
            sockets: client.sockets.bind(py).clone(),
            limit,
            intercepting: &self.intercepting,
        };
        let count = messages.len();
        for index in 0..count {
            let message = messages.get_item(index)?;
            match read.event(&message) {
                Ok(true) => {}
                Ok(false) => return Ok((index, false)),
                // Logged as the dispatcher logs a failing handler; the message is done.
                Err(err) => {
                    r.failed.call1(py, (err.into_value(py),))?;
                }
            }
            if session.getattr(intern!(py, "closed"))?.is_truthy()? {
                return Ok((index + 1, true));
            }
        }
        Ok((count, false))
    }
}

/// A session's Socket.IO client (`ConnectFlow.clients[sid]`) and what it sets once in
/// its `__init__`: the same objects for the session's life.
struct ClientRefs {
    client: Py<PyAny>,
    decoder: Py<PyAny>,
    sockets: Py<PyDict>,
}

impl ClientRefs {
    /// The client of the Engine.IO session `sid`, once the server made it.
    fn find(py: Python<'_>, r: &Refs, sid: &Bound<'_, PyAny>) -> PyResult<Option<ClientRefs>> {
        let Some(client) = r.clients.bind(py).get_item(sid)? else {
            return Ok(None);
        };
        let decoder = client.getattr(intern!(py, "decoder"))?;
        let Ok(sockets) = client
            .getattr(intern!(py, "sockets"))?
            .cast_into::<PyDict>()
        else {
            return Ok(None);
        };
        Ok(Some(ClientRefs {
            client: client.unbind(),
            decoder: decoder.unbind(),
            sockets: sockets.unbind(),
        }))
    }
}

/// What a `LaneSink` calls and holds.
struct SinkRefs {
    lane: Py<EventLane>,
    sid: Py<PyAny>,
    session: Py<PyAny>,
    event_loop: Py<PyAny>,
    task: Py<PyAny>,
    /// `asyncio.tasks._enter_task` and `_leave_task`.
    enter: Py<PyAny>,
    leave: Py<PyAny>,
    /// `DirectReader.take_rest(messages, start)`.
    rest: Py<PyAny>,
}

/// One session's reader as its WebSocket protocol's sink (`EventLane.sink`).
#[pyclass(module = "socketio_rs._core", name = "LaneSink")]
pub struct LaneSink {
    refs: Option<SinkRefs>,
    limit: usize,
    /// The session's client, found on the first read that has it (`EventLane::take`).
    client: OnceLock<ClientRefs>,
}

#[pymethods]
impl LaneSink {
    /// Take one read's `messages` (see `EventLane.sink`).
    fn __call__(&self, py: Python<'_>, messages: &Bound<'_, PyList>) -> PyResult<()> {
        self.take(py, messages)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        let Some(s) = &self.refs else { return Ok(()) };
        for obj in [
            s.lane.as_any(),
            &s.sid,
            &s.session,
            &s.event_loop,
            &s.task,
            &s.enter,
            &s.leave,
            &s.rest,
        ] {
            visit.call(obj)?;
        }
        if let Some(c) = self.client.get() {
            visit.call(&c.client)?;
            visit.call(&c.decoder)?;
            visit.call(&c.sockets)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.refs = None;
        self.client = OnceLock::new();
    }
}

impl LaneSink {
    /// `__call__`, for the connection's feed (`feed.rs`), which calls it without the
    /// call's argument tuple.
    pub(super) fn take(&self, py: Python<'_>, messages: &Bound<'_, PyList>) -> PyResult<()> {
        let Some(s) = &self.refs else { return Ok(()) };
        let switch = [s.event_loop.bind(py).clone(), s.task.bind(py).clone()];
        call_with(s.enter.bind(py), &switch)?;
        let taken = (|| -> PyResult<()> {
            let lane = s.lane.bind(py).borrow();
            let (sid, session) = (s.sid.bind(py), s.session.bind(py));
            let (taken, stopped) =
                lane.take(py, sid, messages, session, self.limit, &self.client)?;
            drop(lane);
            if stopped || taken < messages.len() {
                s.rest.call1(py, (messages, taken))?;
            }
            Ok(())
        })();
        let left = call_with(s.leave.bind(py), &switch);
        taken?;
        left.map(drop)
    }
}

/// One read's call: what every message of it is checked against.
struct Read<'a, 'py> {
    py: Python<'py>,
    r: &'a Refs,
    /// The Engine.IO session's sid.
    sid: &'a Bound<'py, PyAny>,
    /// The server's logger, as it is for this read.
    logger: Bound<'py, PyAny>,
    client: Bound<'py, PyAny>,
    /// `logger._cache` when the logger is a plain `logging.Logger`.
    logger_cache: Option<Bound<'py, PyDict>>,
    /// The client's `decoder` and `sockets`.
    decoder: Bound<'py, PyAny>,
    sockets: Bound<'py, PyDict>,
    limit: usize,
    /// `EventLane.intercepting`, read per event: a handler may set it.
    intercepting: &'a AtomicBool,
}

impl<'py> Read<'_, 'py> {
    /// `logger.isEnabledFor(logging.INFO)`. For a plain `logging.Logger` its
    /// answer is read where that method keeps it (`disabled`, then the level's
    /// entry in `_cache`), without the call; otherwise, or when the cache has no
    /// entry yet, the method is called.
    fn info_enabled(&self) -> PyResult<bool> {
        let (py, logger) = (self.py, &self.logger);
        if let Some(cache) = &self.logger_cache {
            if logger.getattr(intern!(py, "disabled"))?.is_truthy()? {
                return Ok(false);
            }
            if let Some(enabled) = cache.get_item(INFO)? {
                return enabled.is_truthy();
            }
        }
        logger
            .call_method1(intern!(py, "isEnabledFor"), (INFO,))?
            .is_truthy()
    }

    /// Takes one message if it is a plain event: `false`, with nothing done,
    /// when it is not.
    fn event(&self, message: &Bound<'py, PyAny>) -> PyResult<bool> {
        let (py, r, client, limit) = (self.py, self.r, &self.client, self.limit);
        let Ok(message) = message.cast::<PyString>() else {
            return Ok(false); // binary: an attachment, for the Python path
        };
        // SAFETY: a live str; the length in characters, as Python's `len`.
        let chars = unsafe { ffi::PyUnicode_GetLength(message.as_ptr()) };
        if chars < 0 || chars as usize > limit {
            return Ok(false);
        }
        // SAFETY: a live str, borrowed for this call.
        let Some(text) = (unsafe { str_text(message.as_ptr()) }) else {
            return Ok(false);
        };
        let Some(packet_text) = text.strip_prefix('4') else {
            return Ok(false);
        };
        if !packet_text.starts_with('2') || client.getattr(intern!(py, "closing"))?.is_truthy()? {
            return Ok(false);
        }
        let Ok(decoder) = self.decoder.cast::<Decoder>() else {
            return Ok(false); // Engine.IO v3's query decoder
        };
        let Ok(mut decoder) = decoder.try_borrow_mut() else {
            return Ok(false);
        };
        // An undecodable packet is decoded again, and reported, by the Python path.
        let Some(packet) = decoder.complete_text(py, packet_text) else {
            return Ok(false);
        };
        drop(decoder);
        if packet.packet_type != PacketType::Event {
            return Ok(false);
        }
        let Some(data) = packet.data else {
            return Ok(false);
        };
        let Ok(data) = data.into_py(py).into_bound(py).cast_into::<PyList>() else {
            return Ok(false);
        };
        if data.is_empty() {
            return Ok(false); // never valid (P15); the codec refuses it before
        }
        let nsp = nsp_object(py, &packet.nsp).into_py(py).into_bound(py);
        let Some(socket) = self.sockets.get_item(&nsp)? else {
            return Ok(false);
        };
        // `Socket._live_id`: its id while it is connected and not closing.
        let id = socket.getattr(intern!(py, "_live_id"))?;
        if id.is_none() || self.info_enabled()? {
            return Ok(false);
        }
        let event = data.get_item(0)?;
        if self.intercepting.load(Ordering::Relaxed) && intercepted(&socket, &event)? {
            return Ok(false);
        }
        let Some(table) = r.handlers.bind(py).get_item(&nsp)? else {
            return Ok(false);
        };
        let Ok(table) = table.cast::<PyDict>() else {
            return Ok(false);
        };
        let Some(handler) = table.get_item(&event)? else {
            return Ok(false); // a catch-all or nothing: HandlerTable.resolve decides
        };
        // Taken: from here on the message is this call's.
        let mut args = Vec::with_capacity(data.len());
        args.push(id);
        args.extend(data.iter().skip(1));
        let result = match call_with(&handler, &args) {
            Ok(result) => result,
            Err(err) => {
                r.failed.call1(py, (err.into_value(py),))?;
                return Ok(true);
            }
        };
        let Some(value) = self.settle(result, &nsp, packet.id)? else {
            return Ok(true);
        };
        if let Some(id) = packet.id {
            self.ack(&nsp, &packet.nsp, id, value)?;
        }
        Ok(true)
    }

    /// A handler's result, awaited as far as it goes without waiting (`_eager.step`'s
    /// rule): its value, or `None` when it suspended (`Dispatcher._suspended` then
    /// acks when it ends) or failed (logged).
    fn settle(
        &self,
        result: Bound<'py, PyAny>,
        nsp: &Bound<'py, PyAny>,
        id: Option<u64>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let (py, r, client) = (self.py, self.r, &self.client);
        let awaitable = if result.get_type().is(r.coroutine.bind(py)) {
            if let Some(resume) = &r.resume {
                // The first step, as `_eager.step` takes it before eager tasks.
                return match first_step(&result)? {
                    Step::Yielded(yielded) => {
                        let later = resume.call1(py, (&result, yielded))?;
                        r.suspended.call1(py, (client, nsp, id, later))?;
                        Ok(None)
                    }
                    Step::Returned(value) => Ok(Some(value)),
                    Step::Raised(err) if err.is_instance(py, r.cancelled.bind(py)) => {
                        Ok(Some(py.None().into_bound(py)))
                    }
                    Step::Raised(err) => {
                        r.failed.call1(py, (err.into_value(py),))?;
                        Ok(None)
                    }
                };
            }
            true
        } else {
            !is_plain(&result) && r.isawaitable.call1(py, (&result,))?.is_truthy(py)?
        };
        if !awaitable {
            return Ok(Some(result));
        }
        match r.step.call1(py, (&result,)) {
            Ok(value) => {
                let value = value.into_bound(py);
                if value.get_type().is(r.later.bind(py)) {
                    r.suspended.call1(py, (client, nsp, id, &value))?;
                    return Ok(None);
                }
                Ok(Some(value))
            }
            Err(err) => {
                r.failed.call1(py, (err.into_value(py),))?;
                Ok(None)
            }
        }
    }

    /// The ack of a handler's `value` (`Dispatcher._ack`'s rule), framed and written
    /// to the session's outbox; through the Python ack when it has binary data
    /// or the session has no outbox (not on a direct WebSocket, compressed, or
    /// closing).
    fn ack(
        &self,
        nsp: &Bound<'py, PyAny>,
        nsp_text: &str,
        id: u64,
        value: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let (py, r, client) = (self.py, self.r, &self.client);
        if value.is(r.not_handled.bind(py))
            || value.is(r.no_ack.bind(py))
            || client.getattr(intern!(py, "closing"))?.is_truthy()?
        {
            return Ok(());
        }
        // The session's outbox while it is on a direct WebSocket without compression
        // and not closing (`EngineServer.direct_writer`'s rule).
        let outbox = r.outboxes.bind(py).get_item(self.sid)?;
        if let Some(outbox) = outbox.as_ref().and_then(|o| o.cast::<WsOutbox>().ok()) {
            let args = event_args(py, None, &value)?;
            let frame = with_out(py, |out| {
                if !write_text(py, out, PacketType::Ack, nsp_text, Some(id), &args)?.is_empty() {
                    return Ok(None); // binary: attachments take frames of their own
                }
                engine_message_frame(py, out).map(Some)
            })?;
            if let Some(frame) = frame {
                WsOutbox::write(outbox, frame)?;
                return Ok(());
            }
        }
        r.ack.call1(py, (client, nsp, id, value))?;
        Ok(())
    }
}

/// How a coroutine's first step ended.
enum Step<'py> {
    Yielded(Bound<'py, PyAny>),
    Returned(Bound<'py, PyAny>),
    Raised(PyErr),
}

/// `coro.send(None)`: through `PyIter_Send` where the interpreter has it (no
/// `StopIteration` made and caught for the return value), else the method.
fn first_step<'py>(coro: &Bound<'py, PyAny>) -> PyResult<Step<'py>> {
    let py = coro.py();
    // SAFETY: a live coroutine (the caller checked its type), attached.
    let sent = unsafe { coro_send(coro.as_ptr()) };
    // SAFETY (both arms): `coro_send` returns new, non-null references.
    Ok(match sent {
        Some(Sent::Yielded(value)) => Step::Yielded(unsafe { Bound::from_owned_ptr(py, value) }),
        Some(Sent::Returned(value)) => Step::Returned(unsafe { Bound::from_owned_ptr(py, value) }),
        Some(Sent::Raised) => Step::Raised(PyErr::fetch(py)),
        None => match coro.call_method1(intern!(py, "send"), (py.None(),)) {
            Ok(yielded) => Step::Yielded(yielded),
            Err(err) if err.is_instance_of::<PyStopIteration>(py) => {
                Step::Returned(err.value(py).getattr(intern!(py, "value"))?)
            }
            Err(err) => Step::Raised(err),
        },
    })
}

/// `socket._intercepts(event)`: whether a Node-style handler, middleware or
/// catch-all takes the event. The method call is most of an event's cost here,
/// so the containers it reads first are read from here: when the socket has none
/// of its own and its namespace has no handlers and no parent, the answer is
/// `False` without the call; otherwise the method answers.
fn intercepted(socket: &Bound<'_, PyAny>, event: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = socket.py();
    let mut plain = !socket.getattr(intern!(py, "_handlers"))?.is_truthy()?
        && !socket.getattr(intern!(py, "_fns"))?.is_truthy()?
        && !socket.getattr(intern!(py, "_any"))?.is_truthy()?;
    if plain {
        let nsp = socket.getattr(intern!(py, "nsp"))?;
        plain = !nsp.getattr(intern!(py, "_handlers"))?.is_truthy()?
            && nsp.getattr(intern!(py, "parent"))?.is_none();
    }
    if plain {
        return Ok(false);
    }
    socket
        .call_method1(intern!(py, "_intercepts"), (event,))?
        .is_truthy()
}

/// Whether `value` is of a type that is never awaitable (JSON's types).
fn is_plain(value: &Bound<'_, PyAny>) -> bool {
    let p = value.as_ptr();
    // SAFETY: type checks on a live object.
    unsafe {
        value.is_none()
            || ffi::PyUnicode_CheckExact(p) != 0
            || ffi::PyLong_CheckExact(p) != 0
            || ffi::PyList_CheckExact(p) != 0
            || ffi::PyDict_CheckExact(p) != 0
            || ffi::PyTuple_CheckExact(p) != 0
            || ffi::PyFloat_CheckExact(p) != 0
            || ffi::PyBool_Check(p) != 0
    }
}
