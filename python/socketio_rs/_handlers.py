"""Calling a user handler the python-socketio way."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable


async def call_handler(handler: Callable[..., Any], event: str, args: tuple[Any, ...]) -> Any:
    """``handler(*args)``, awaited if it returns an awaitable.

    A ``disconnect`` handler that raises ``TypeError`` is called again without
    the trailing reason (the legacy one-argument signature), and a cancelled
    handler counts as returning ``None``: both as python-socketio does.
    """
    try:
        try:
            ret = handler(*args)
            if inspect.isawaitable(ret):
                ret = await ret
        except TypeError:
            if event != "disconnect":
                raise
            ret = handler(*args[:-1])
            if inspect.isawaitable(ret):
                ret = await ret
    except asyncio.CancelledError:
        ret = None
    return ret
