"""The drop-in proof: one python-socketio application, two servers, identical traffic.

``build_app`` is an application written for python-socketio (a chat with rooms, acks,
sessions, a class-based namespace and a catch-all). Its body reads exactly like code that did
``import socketio``. It runs once on python-socketio and once on socketio_rs; the same client
script (python-socketio's AsyncClient, three users, strictly sequential steps that await
every ack and every expected event) records what each client observed, and what the
application's own handlers saw. The transcripts must be identical.

Normalised differences (and why):

- sids: random per run on both servers; each distinct sid is replaced by ``<sid-N>`` in order
  of first appearance.
- The application's log stops before the final teardown: the remaining clients close
  concurrently, so the order of those disconnect entries is not defined on either server.
  The app logs no disconnect reasons: python-socketio's client closes a WebSocket without
  waiting for its queued DISCONNECT packet (see test_interop_connect), so the server-side
  reason of a client-initiated close may be 'client disconnect' or 'transport close' on
  either server. Server-initiated disconnects (kick, leave) are observed client-side.
- Events reaching different clients are compared per client (``transcripts[name]``): the
  relative arrival order across connections is not defined; within one connection it is.
"""

from __future__ import annotations

import asyncio
import types
from typing import Any

import pytest
import socketio as python_socketio

import socketio_rs
from server_harness import WAIT, Inbox, close_client, serve


def build_app(socketio_module: types.ModuleType) -> tuple[Any, list[Any]]:
    """A python-socketio chat application; returns the ASGI app and its handler log."""
    socketio = socketio_module  # i.e. `import socketio` (or `import socketio_rs as socketio`)

    log: list[Any] = []
    sio = socketio.AsyncServer(async_mode="asgi", ping_interval=1, ping_timeout=1)
    app = socketio.ASGIApp(sio)
    users: dict[str, str] = {}  # name -> sid

    @sio.event
    async def connect(sid, environ, auth):
        name = (auth or {}).get("name")
        if not name:
            raise socketio.exceptions.ConnectionRefusedError("name required", {"code": 401})
        if name == "mallory":
            return False
        users[name] = sid
        await sio.save_session(sid, {"name": name, "room": None})
        log.append(["connect", name, sid])
        await sio.emit("welcome", {"you": sid, "online": sorted(users)}, to=sid)
        return None

    @sio.event
    async def disconnect(sid, reason):
        session = await sio.get_session(sid)
        users.pop(session["name"], None)
        log.append(["disconnect", session["name"]])
        if session["room"]:
            await sio.emit("system", f"{session['name']} left", room=session["room"])

    @sio.event
    async def join(sid, room):
        async with sio.session(sid) as session:
            if session["room"]:
                await sio.leave_room(sid, session["room"])
            session["room"] = room
            name = session["name"]
        await sio.enter_room(sid, room)
        await sio.emit("system", f"{name} joined {room}", room=room, skip_sid=sid)
        return {"room": room, "rooms": sorted(r for r in sio.rooms(sid) if r != sid)}

    @sio.event
    async def say(sid, text):
        session = await sio.get_session(sid)
        await sio.emit(
            "chat", {"from": session["name"], "text": text}, room=session["room"], skip_sid=sid
        )
        return "delivered"

    @sio.on("whisper")
    async def whisper(sid, to_name, text):
        target = users.get(to_name)
        if target is None:
            return False, f"no such user {to_name}"
        name = (await sio.get_session(sid))["name"]
        await sio.emit("whisper", (name, text), to=target)
        return True

    @sio.event
    async def upload(sid, meta, data):
        session = await sio.get_session(sid)
        await sio.emit(
            "file",
            {"from": session["name"], "meta": meta, "data": data, "parts": [data[:1], data[1:]]},
            room=session["room"],
        )
        return len(data)

    @sio.event
    async def poke(sid, name):
        answer = await sio.call("are_you_there", {"from_sid": sid}, to=users[name], timeout=5)
        return answer

    @sio.event
    async def leave(sid):
        await sio.disconnect(sid)

    @sio.event
    async def flush(sid):
        await sio.emit("flushed", to=sid)

    @sio.on("*")
    async def any_event(event, sid, *args):
        log.append(["catch_all", event, list(args)])
        return "unknown event", event

    class Admin(socketio.AsyncNamespace):
        def on_connect(self, sid, environ, auth):
            if (auth or {}).get("token") != "s3cret":
                raise socketio.exceptions.ConnectionRefusedError("forbidden")
            log.append(["admin connect", sid])

        async def on_announce(self, sid, text):
            await sio.emit("announcement", {"text": text}, namespace="/")
            return "announced"

        async def on_kick(self, sid, name):
            if name not in users:
                return "not found"
            await sio.disconnect(users[name], namespace="/")
            return "kicked " + name

        async def on_online(self, sid):
            return sorted(users)

        def on_disconnect(self, sid, reason):
            log.append(["admin disconnect", sid])

    sio.register_namespace(Admin("/admin"))
    return app, log


class User:
    """One python-socketio client and everything it observed, in order."""

    def __init__(self, name: str, transcripts: dict[str, list[Any]]) -> None:
        self.name = name
        # Per client: arrival order across different connections is not defined.
        self.transcript = transcripts.setdefault(name, [])
        self.inbox = Inbox()
        self.sio = python_socketio.AsyncClient(reconnection=False)
        self.sio.on("*", self._event)
        self.sio.on("*", self._admin_event, namespace="/admin")
        self.sio.on("are_you_there", self._are_you_there)
        self.sio.on("connect_error", self._connect_error)
        self.sio.on("connect_error", self._connect_error, namespace="/admin")
        self.sio.on("disconnect", self._disconnect)

    def note(self, *entry: Any) -> None:
        self.transcript.append(list(entry))

    async def _event(self, event: str, *args: Any) -> None:
        self.note("event", event, *args)
        self.inbox.put(event, *args)

    async def _admin_event(self, event: str, *args: Any) -> None:
        self.note("admin event", event, *args)

    async def _are_you_there(self, payload: Any) -> Any:
        self.note("event", "are_you_there", payload)
        return "yes", self.name

    async def _connect_error(self, data: Any) -> None:
        self.note("connect_error", data)

    async def _disconnect(self, reason: str) -> None:
        self.note("disconnect", reason)
        self.inbox.put("disconnect")

    async def connect(self, url: str, auth: Any, namespaces: list[str] | None = None) -> bool:
        try:
            await self.sio.connect(
                url,
                auth=auth,
                transports=["websocket"],
                namespaces=namespaces or ["/"],
                wait_timeout=WAIT,
            )
        except python_socketio.exceptions.ConnectionError as exc:
            self.note("connect failed", str(exc))
            return False
        return True

    async def call(self, event: str, *args: Any, namespace: str | None = None) -> Any:
        result = await self.sio.call(event, args, namespace=namespace, timeout=WAIT)
        self.note("ack", event, result)
        return result

    async def expect(self, event: str, count: int = 1) -> None:
        """Wait for the ``count``-th arrival of ``event``; on a timeout, note it and go on."""
        try:
            await self.inbox.wait(event, count, timeout=WAIT / 2)
        except AssertionError:
            self.note("missing", event, count)

    async def flush(self) -> None:
        """Every event sent to this client before now has arrived (one ordered connection)."""
        n = len(self.inbox.all("flushed"))
        await self.sio.emit("flush")
        await self.expect("flushed", n + 1)


async def chat_script(url: str, log: list[Any]) -> tuple[dict[str, list[Any]], list[Any]]:
    """Run the users' steps; return their transcripts and the app's log before teardown."""
    transcripts: dict[str, list[Any]] = {}
    ann, bob, cat = (User(n, transcripts) for n in ("ann", "bob", "cat"))
    nobody, mallory = User("nobody", transcripts), User("mallory", transcripts)
    denied, admin = User("denied", transcripts), User("admin", transcripts)
    try:
        assert not await nobody.connect(url, auth=None)
        assert not await mallory.connect(url, auth={"name": "mallory"})
        for user in (ann, bob, cat):
            assert await user.connect(url, auth={"name": user.name})
            await user.expect("welcome")
        await ann.call("join", "lobby")
        await bob.call("join", "lobby")
        await ann.expect("system")
        await cat.call("join", "lobby")
        await ann.expect("system", 2)
        await bob.expect("system")
        await ann.call("say", "hello all")
        await bob.expect("chat")
        await cat.expect("chat")
        await cat.call("join", "kitchen")  # cat leaves the lobby
        await bob.call("say", "cat is gone")
        await ann.expect("chat")
        await bob.call("whisper", "cat", "psst")
        await cat.expect("whisper")
        await bob.call("whisper", "dan", "hello?")
        await ann.call("upload", {"name": "a.bin"}, b"\x00\x01\x02\xff")
        await bob.expect("file")
        await ann.call("poke", "bob")
        await cat.call("no_such_event", 1, {"x": [b"\x07"]})
        assert not await denied.connect(url, auth={"token": "nope"}, namespaces=["/admin"])
        assert await admin.connect(url, auth={"token": "s3cret"}, namespaces=["/admin"])
        await admin.call("online", namespace="/admin")
        await admin.call("announce", "maintenance at 5", namespace="/admin")
        for user in (ann, bob, cat):
            await user.expect("announcement")
        await admin.call("kick", "bob", namespace="/admin")
        await bob.expect("disconnect")
        await ann.expect("system", 3)  # "bob left"
        await admin.call("online", namespace="/admin")
        await admin.call("kick", "bob", namespace="/admin")
        await cat.sio.emit("leave")
        await cat.expect("disconnect")
        await admin.call("online", namespace="/admin")
        await ann.flush()
        # The closes below run concurrently, so the order of their log entries is not defined.
        log_before_teardown = list(log)
    finally:
        await asyncio.gather(
            *(close_client(u.sio) for u in (ann, bob, cat, nobody, mallory, denied, admin))
        )
    return transcripts, log_before_teardown


def normalise(value: Any, sids: dict[str, str]) -> Any:
    """Replace every sid (a string of 20 url-safe characters seen as a sid) by a placeholder."""
    if isinstance(value, str) and value in sids:
        return sids[value]
    if isinstance(value, list):
        return [normalise(v, sids) for v in value]
    if isinstance(value, tuple):
        return tuple(normalise(v, sids) for v in value)
    if isinstance(value, dict):
        return {k: normalise(v, sids) for k, v in value.items()}
    return value


def collect_sids(value: Any, sids: dict[str, str], known: set[str]) -> None:
    if isinstance(value, str) and value in known and value not in sids:
        sids[value] = f"<sid-{len(sids) + 1}>"
    elif isinstance(value, (list, tuple)):
        for v in value:
            collect_sids(v, sids, known)
    elif isinstance(value, dict):
        for v in value.values():
            collect_sids(v, sids, known)


async def run_chat(module: types.ModuleType) -> tuple[dict[str, list[Any]], list[Any]]:
    app, log = build_app(module)
    async with serve(app) as url:
        transcript, log = await chat_script(url, log)
    # The sids are those the application saw at connect time.
    known = {entry[2] for entry in log if entry[0] == "connect"}
    known |= {entry[1] for entry in log if entry[0] in ("admin connect", "admin disconnect")}
    sids: dict[str, str] = {}
    collect_sids([log, transcript], sids, known)
    return normalise(transcript, sids), normalise(log, sids)


async def test_chat_transcripts_are_identical() -> None:
    expected_transcript, expected_log = await run_chat(python_socketio)
    # The script really exercised the application (guards against a vacuous comparison).
    kinds = {entry[0] for entries in expected_transcript.values() for entry in entries}
    assert {"event", "ack", "connect_error", "connect failed", "disconnect"} <= kinds
    assert "missing" not in kinds
    assert ["event", "whisper", "bob", "psst"] in expected_transcript["cat"]
    transcript, log = await run_chat(socketio_rs)
    assert transcript == expected_transcript
    assert log == expected_log


@pytest.mark.parametrize("module", [python_socketio, socketio_rs], ids=["socketio", "socketio_rs"])
def test_build_app_reads_like_python_socketio(module: types.ModuleType) -> None:
    """The app builds from the module's public names alone, as `import socketio` code does."""
    app, log = build_app(module)
    assert isinstance(app, module.ASGIApp) and log == []
