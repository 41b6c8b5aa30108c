"""Registering Node-style listeners: the ``on``/``off`` of namespaces and sockets."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
Table = dict[Any, list[Callable[..., Any]]]


def on(table: Table, key: Any, handler: Callable[..., Any] | None, owner: Any) -> Any:
    """``owner.on(key)`` as a decorator (returns the function) or
    ``owner.on(key, handler)`` (returns ``owner``, for chaining)."""

    def register(fn: F) -> F:
        table.setdefault(key, []).append(fn)
        return fn

    if handler is None:
        return register
    register(handler)
    return owner


def off(table: Table, key: Any, handler: Callable[..., Any] | None) -> None:
    """Remove one handler of ``key``, or all of them."""
    if handler is None:
        table.pop(key, None)
        return
    handlers = table.get(key, [])
    if handler in handlers:
        handlers.remove(handler)
    if not handlers:
        table.pop(key, None)
