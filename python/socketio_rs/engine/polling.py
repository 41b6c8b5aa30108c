"""The body of a polling POST, read within ``max_http_buffer_size``.

python-engineio reads ``CONTENT_LENGTH`` bytes: a larger declared length is refused
only after the session's close has waited a whole polling cycle (45 s by default,
then a 400), and a chunked body, which has no length, is read as empty and its
packets silently dropped. Here the declared length is checked before anything is
read, and a body without one is read until it ends or goes over the limit, keeping
no more than the limit; either way a body over it is answered 413 at once, as the
reference server does.
"""

from __future__ import annotations

from typing import Any

#: The answer to a polling POST over ``max_http_buffer_size`` (the reference server's).
TOO_LARGE: dict[str, Any] = {
    "status": "413 PAYLOAD TOO LARGE",
    "headers": [("Content-Type", "text/plain")],
    "response": b'"Payload too large"',
}


class Body:
    """A request body already read, for python-engineio's ``wsgi.input``."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self, length: int | None = None) -> bytes:
        data = self._data
        if length is None or length >= len(data):
            self._data = b""
            return data
        self._data = data[length:]
        return data[:length]


async def read_within(environ: dict[str, Any], limit: int) -> bytes | None:
    """The POST's body, or ``None`` when it is over ``limit`` bytes (declared or sent)."""
    declared = environ.get("CONTENT_LENGTH")
    if declared:
        try:
            length = int(declared)
        except ValueError:
            return None
        if length > limit:
            return None
        data: bytes = await environ["wsgi.input"].read(length)
        return data
    body = environ["wsgi.input"]
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = await body.read(limit + 1 - total)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
