"""python-socketio's handlers: the ``sio.on``/``sio.event`` table, class-based
namespaces, the lookup order with catch-alls, and how a handler is called."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable, Protocol


class NamespaceHandler(Protocol):
    """A class-based namespace (``AsyncNamespace``), as the lookup uses it."""

    def trigger_event(self, event: str, *args: Any) -> Any: ...


#: python-socketio's events that catch-all handlers do not receive.
RESERVED_EVENTS = ("connect", "disconnect")


class HandlerTable:
    """The handlers of one server, python-socketio's way.

    ``handlers[namespace][event]`` and ``namespace_handlers[namespace]`` are
    the server's public ``handlers`` and ``namespace_handlers`` dicts.
    """

    def __init__(self) -> None:
        self.handlers: dict[str, dict[Any, Callable[..., Any]]] = {}
        self.namespace_handlers: dict[str, NamespaceHandler] = {}
        #: What :meth:`resolve` and :meth:`trigger` return when no handler applies.
        self.not_handled = object()

    def declared(self, name: str, namespaces: list[str] | str) -> bool:
        """A namespace python-socketio's way: with handlers, or listed in ``namespaces``."""
        return (
            name in self.handlers
            or name in self.namespace_handlers
            or (namespaces != "*" and name in namespaces)
        )

    def resolve(self, event: Any, namespace: str, args: tuple[Any, ...]) -> Any:
        """Call the handler of ``event``; its result, possibly a coroutine, or
        :attr:`not_handled`."""
        ns_handlers = self.handlers.get(namespace)
        handler = None if ns_handlers is None else ns_handlers.get(event)
        if handler is None:  # not the event's own handler: python-socketio's whole lookup
            handler, args = self.event_handler(event, namespace, args)
        if handler is not None:
            return handler(*args)
        ns_handler, args = self.namespace_handler(namespace, args)
        if ns_handler is not None:
            return ns_handler.trigger_event(event, *args)
        return self.not_handled

    async def trigger(self, event: str, namespace: str, *args: Any) -> Any:
        """Run the handler of ``event`` and return its result, or :attr:`not_handled`
        (used for connect and disconnect)."""
        handler, args = self.event_handler(event, namespace, args)
        if handler is not None:
            return await call_handler(handler, event, args)
        ns_handler, args = self.namespace_handler(namespace, args)
        if ns_handler is not None:
            return await ns_handler.trigger_event(event, *args)
        return self.not_handled

    def event_handler(
        self, event: Any, namespace: str, args: tuple[Any, ...]
    ) -> tuple[Callable[..., Any] | None, tuple[Any, ...]]:
        """python-socketio's lookup order: the event in the namespace, the
        namespace's ``"*"``, the event in the ``"*"`` namespace, then ``"*"``
        in ``"*"``; catch-alls get the event and/or namespace prepended."""
        handlers = self.handlers
        ns_handlers = handlers.get(namespace)
        if ns_handlers is not None:
            handler = ns_handlers.get(event)
            if handler is not None:
                return handler, args
            if event not in RESERVED_EVENTS and "*" in ns_handlers:
                return ns_handlers["*"], (event, *args)
        any_ns = handlers.get("*")
        if any_ns is not None:
            if event in any_ns:
                return any_ns[event], (namespace, *args)
            if event not in RESERVED_EVENTS and "*" in any_ns:
                return any_ns["*"], (event, namespace, *args)
        return None, args

    def namespace_handler(
        self, namespace: str, args: tuple[Any, ...]
    ) -> tuple[NamespaceHandler | None, tuple[Any, ...]]:
        """The class-based namespace of ``namespace``, or of ``"*"`` (which gets
        the namespace prepended)."""
        handler = self.namespace_handlers.get(namespace)
        if handler is not None:
            return handler, args
        handler = self.namespace_handlers.get("*")
        if handler is not None:
            return handler, (namespace, *args)
        return None, args


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
