"""Protocol classes made at run time with :func:`~socketio_rs.serve`'s settings, which
survive pickling: uvicorn pickles its ``Config`` (these classes included) into the
processes it spawns for ``workers=N`` and ``reload=True``, where a class made by
``type()`` could not be found by name. Such a class is pickled as the call that
makes it, and made again in the new process."""

from __future__ import annotations

import copyreg
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T", bound=type)


class Configured(type):
    """The metaclass of a protocol class made with settings; ``__recipe__`` is the call
    that makes it again: ``(function, args)``."""

    __recipe__: tuple[Callable[..., Any], tuple[Any, ...]]


def configured(base: T, attributes: dict[str, Any], make: Callable[..., Any], *args: Any) -> T:
    """A subclass of ``base`` with ``attributes``, pickled as ``make(*args)``; it adds no
    instance attributes, so it keeps ``base``'s slots without an instance dict."""
    namespace = {**attributes, "__module__": base.__module__, "__slots__": ()}
    cls = Configured(base.__name__, (base,), namespace)
    cls.__recipe__ = (make, args)
    return cls  # type: ignore[return-value]


copyreg.pickle(Configured, lambda cls: cls.__recipe__)
