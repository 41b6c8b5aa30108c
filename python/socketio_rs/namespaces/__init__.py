"""Node-style namespaces: :class:`Namespace` and dynamic :class:`ParentNamespace`
objects, their :class:`Socket` objects, broadcast operators, middleware, the
handshake, and the Rust :class:`RegexRouter` that matches dynamic names."""

from __future__ import annotations

from .handshake import Handshake, Headers
from .namespace import Namespace, NamespaceServer, ParentNamespace
from .operators import BroadcastOperator
from .router import RegexRouter
from .socket import Socket

__all__ = [
    "BroadcastOperator",
    "Handshake",
    "Headers",
    "Namespace",
    "NamespaceServer",
    "ParentNamespace",
    "RegexRouter",
    "Socket",
]
