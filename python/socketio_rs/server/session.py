"""``async with sio.session(sid) as session:``: a user session read, then saved back."""

from __future__ import annotations

from typing import Any, Protocol


class SessionStore(Protocol):
    """Where sessions live (``AsyncServer`` meets it)."""

    async def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]: ...

    async def save_session(
        self, sid: str, session: dict[str, Any], namespace: str | None = None
    ) -> None: ...


class SessionContext:
    """Reads the session of ``sid`` on entry and saves it back on exit."""

    def __init__(self, store: SessionStore, sid: str, namespace: str | None) -> None:
        self.server = store
        self.sid = sid
        self.namespace = namespace
        self.session: dict[str, Any] | None = None

    async def __aenter__(self) -> dict[str, Any]:
        self.session = await self.server.get_session(self.sid, namespace=self.namespace)
        return self.session

    async def __aexit__(self, *exc: Any) -> None:
        assert self.session is not None
        await self.server.save_session(self.sid, self.session, namespace=self.namespace)
