"""The server's namespaces by name, its dynamic parents, the router that
matches new names against the parents' regular expressions, and the dynamic
children still waiting for their first connection's middleware."""

from __future__ import annotations

import logging
import re
from typing import Any, Callable

from .. import _eager
from ..namespaces import Namespace, NamespaceServer, ParentNamespace, RegexRouter


class NamespaceRegistry:
    """Creates, finds and removes the namespaces of one server."""

    def __init__(self, server: NamespaceServer, logger: logging.Logger) -> None:
        self._server = server
        self._logger = logger
        self._nsps: dict[str, Namespace] = {}
        self._regex_parents: list[ParentNamespace] = []  # index = the router's index
        self._fn_parents: list[ParentNamespace] = []
        self._parent_count = 0
        self._router = RegexRouter()
        # Dynamic children whose first connections are still in their middleware:
        # not the server's yet, so a refused connection leaves nothing behind.
        self._candidates: dict[str, Namespace] = {}

    def get(self, name: str) -> Namespace | None:
        """The namespace called ``name``, if it exists now."""
        return self._nsps.get(name)

    def names(self) -> list[str]:
        """The names of the namespaces that exist now (dynamic children included)."""
        return list(self._nsps)

    def of(self, name: str) -> Namespace:
        """The namespace ``name``, created on first use; a name a regex parent
        matches becomes its child (N4)."""
        existing = self._nsps.get(name)
        if existing is not None:
            return existing
        candidate = self._candidates.get(name)
        if candidate is not None:
            self.confirm(candidate)
            return candidate
        index = self._router.first_match(name) if self._regex_parents else None
        if index is not None:
            return self.create_child(self._regex_parents[index], name)
        nsp = Namespace(self._server, name)
        self._register(nsp)
        return nsp

    def new_parent(self, matcher: re.Pattern[str] | Callable[..., Any]) -> ParentNamespace:
        """A dynamic parent for a compiled regex or a function ``fn(name, auth)``."""
        order = self._parent_count
        self._parent_count += 1
        parent = ParentNamespace(self._server, f"/_{order}", matcher, order)
        if isinstance(matcher, re.Pattern):
            self._router.add(matcher)  # TypeError for a bytes pattern
            self._regex_parents.append(parent)
        else:
            self._fn_parents.append(parent)
        return parent

    async def match_parent(self, name: str, auth: Any) -> ParentNamespace | None:
        """The first parent, in registration order, that accepts ``name``. The
        regexes are matched in one pass by the router; function parents
        registered before the first matching regex are asked in order."""
        first_regex = None
        if self._regex_parents:
            index = self._router.first_match(name)
            if index is not None:
                first_regex = self._regex_parents[index]
        for parent in self._fn_parents:
            if first_regex is not None and parent.order > first_regex.order:
                break
            if await parent._accepts(name, auth):
                return parent
        return first_regex

    def candidate(self, parent: ParentNamespace, name: str) -> Namespace:
        """The namespace a connection to the new name ``name``, which ``parent``
        accepted, joins while its middleware runs: the child that exists now,
        or a candidate child that becomes the server's when :meth:`confirm`
        is called, and is forgotten by :meth:`drop_candidate`. Connections
        to the same new name share one candidate."""
        existing = self._nsps.get(name)
        if existing is not None:
            return existing
        candidate = self._candidates.get(name)
        if candidate is None:
            candidate = self._candidates[name] = Namespace(self._server, name, parent=parent)
        return candidate

    def confirm(self, nsp: Namespace) -> None:
        """A connection to the candidate ``nsp`` was accepted by the middleware:
        it becomes its parent's child and the server's namespace, and the
        ``new_namespace`` listeners hear of it. Nothing for any other namespace."""
        if self._candidates.get(nsp.name) is not nsp:
            return
        del self._candidates[nsp.name]
        assert nsp.parent is not None
        nsp.parent._adopt(nsp)
        self._register(nsp)

    def drop_candidate(self, nsp: Namespace) -> bool:
        """Forget the candidate ``nsp`` (its last joining connection was
        refused or went away); whether it was one."""
        if self._candidates.get(nsp.name) is not nsp:
            return False
        del self._candidates[nsp.name]
        return True

    def create_child(self, parent: ParentNamespace, name: str) -> Namespace:
        """A new child of ``parent`` called ``name``."""
        child = Namespace(self._server, name, parent=parent)
        parent._adopt(child)
        self._register(child)
        return child

    def remove_child(self, nsp: Namespace) -> None:
        """A dynamic child goes (``cleanup_empty_child_namespaces``, N21); it is
        created again by the next connection to its name."""
        parent = nsp.parent
        if parent is None:
            return
        if self._nsps.get(nsp.name) is nsp:
            del self._nsps[nsp.name]
        parent._release(nsp)

    def _register(self, nsp: Namespace) -> None:
        self._nsps[nsp.name] = nsp
        if nsp.name != "/":
            default = self._nsps.get("/")
            if default is not None:
                for fn in default._listeners("new_namespace"):
                    _eager.start_listener(self._logger, fn, nsp)
