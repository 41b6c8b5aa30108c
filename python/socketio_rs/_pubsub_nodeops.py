"""The Node-style operations of the pub/sub managers: broadcast operators'
``sockets_join``/``sockets_leave``/``disconnect_sockets`` on every process
(``sockets_op`` messages on the main channel, which python-socketio hosts
ignore) and ``fetch_sockets`` across processes (a request/response exchange on
socketio-rs's own channel, ``<channel>#requests``)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any

from .operators import BroadcastOperator
from .remote_socket import RemoteSocket, describe

if TYPE_CHECKING:
    from .server import AsyncServer


class NodeOps:
    """Mixed into ``AsyncPubSubManager``."""

    # Provided by AsyncPubSubManager.
    server: AsyncServer | None
    host_id: str
    name: str
    subscribed: bool
    request_channel: str
    request_timeout: float
    _requests: dict[str, _Request]

    if TYPE_CHECKING:  # provided by AsyncPubSubManager

        def _start_listener(self) -> None: ...

        def _dumps(self, message: dict[str, Any]) -> str | bytes: ...

        async def _publish_message(
            self, message: dict[str, Any], binary_field: str = "", channel: str | None = None
        ) -> None: ...

        def _get_logger(self) -> logging.Logger: ...

    async def fetch_remote_sockets(
        self, namespace: str, rooms: list[Any], except_rooms: list[Any]
    ) -> list[Any]:
        """Ask every other process for its matching sockets (a ``fetch_sockets``
        request on :attr:`request_channel`) and wait for all their answers."""
        if self.server is None:
            return []
        self._start_listener()
        expected = await self._count_subscribers(self.request_channel) - (
            1 if self.subscribed else 0
        )
        if expected <= 0:
            return []
        request_id = uuid.uuid4().hex
        request = _Request(expected)
        self._requests[request_id] = request
        try:
            await self._publish_message(
                {
                    "method": "fetch_sockets",
                    "request_id": request_id,
                    "namespace": namespace,
                    "rooms": rooms,
                    "except_rooms": except_rooms,
                    "host_id": self.host_id,
                },
                channel=self.request_channel,
            )
            try:
                await asyncio.wait_for(asyncio.shield(request.done), self.request_timeout)
            except asyncio.TimeoutError:
                raise TimeoutError(
                    f"timeout reached while waiting for fetch_sockets responses "
                    f"({len(request.answers)} of {expected})"
                ) from None
        finally:
            del self._requests[request_id]
        server = self.server
        return [
            RemoteSocket(server, namespace, details)
            for answer in request.answers
            for details in answer
            if isinstance(details, dict) and "id" in details
        ]

    async def _count_subscribers(self, channel: str) -> int:
        """How many processes listen on ``channel`` (a backend overrides it)."""
        return 0

    async def publish_sockets_op(
        self, namespace: str, op: str, rooms: list[Any], except_rooms: list[Any], arg: Any
    ) -> None:
        """Ask the other hosts to apply ``sockets_join``/``sockets_leave``/
        ``disconnect_sockets`` to their sockets (a ``sockets_op`` message,
        which python-socketio hosts ignore)."""
        await self._publish_message(
            {
                "method": "sockets_op",
                "op": op,
                "namespace": namespace,
                "rooms": rooms,
                "except_rooms": except_rooms,
                "arg": arg,
                "host_id": self.host_id,
            }
        )

    async def _handle_sockets_op(self, message: dict[str, Any]) -> None:
        nsp = self.server._nsps.get(message.get("namespace") or "/") if self.server else None
        if nsp is None:
            return
        operator = BroadcastOperator(
            nsp,
            rooms=frozenset(message.get("rooms") or ()),
            except_rooms=frozenset(message.get("except_rooms") or ()),
            local_only=True,
        )
        op, arg = message.get("op"), message.get("arg")
        if op == "join":
            await operator.sockets_join(arg)
        elif op == "leave":
            await operator.sockets_leave(arg)
        elif op == "disconnect":
            await operator.disconnect_sockets(bool(arg))

    async def _handle_fetch_sockets(self, message: dict[str, Any]) -> None:
        nsp = self.server._nsps.get(message.get("namespace") or "/") if self.server else None
        operator = BroadcastOperator(
            nsp,  # type: ignore[arg-type]
            rooms=frozenset(message.get("rooms") or ()),
            except_rooms=frozenset(message.get("except_rooms") or ()),
            local_only=True,
        )
        sockets = [describe(s) for s in operator._local_sockets()] if nsp is not None else []
        answer = {
            "method": "fetch_sockets_response",
            "request_id": message.get("request_id"),
            "sockets": sockets,
            "host_id": self.host_id,
        }
        try:
            self._dumps(answer)
        except (TypeError, ValueError):  # socket.data that JSON cannot carry
            self._get_logger().warning("%s: socket.data not sent: not JSON", self.name)
            for details in sockets:
                details["data"] = None
        await self._publish_message(answer, channel=self.request_channel)

    async def _handle_fetch_sockets_response(self, message: dict[str, Any]) -> None:
        request = self._requests.get(str(message.get("request_id")))
        if request is not None and isinstance(message.get("sockets"), list):
            request.answers.append(message["sockets"])
            if len(request.answers) >= request.expected and not request.done.done():
                request.done.set_result(None)


class _Request:
    """A ``fetch_sockets`` request waiting for the other processes' answers."""

    __slots__ = ("answers", "done", "expected")

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.answers: list[list[Any]] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
