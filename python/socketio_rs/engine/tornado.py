"""The tornado request handler: python-engineio's tornado driver, serving an ``EngineServer``."""

from __future__ import annotations

from typing import Any

from .server import EngineServer


def tornado_handler(engine: EngineServer) -> Any:
    """python-engineio's tornado handler class for ``engine`` (created with
    ``async_mode="tornado"``)."""
    # Imported here: tornado is the application's dependency, not socketio-rs's.
    from engineio.async_drivers.tornado import get_tornado_handler

    return get_tornado_handler(engine)
