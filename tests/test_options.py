"""Options are never silently ignored: an unknown one is a TypeError naming the option meant
(a Node name the snake_case one), and every python-socketio and python-engineio option
still works (docs/server.md, "Options")."""

from __future__ import annotations

import inspect
from typing import Any

import engineio
import pytest
import socketio

import socketio_rs
from socketio_rs._options import SERVER_OPTIONS


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pingInterval": 1000}, "did you mean 'ping_interval'"),
        ({"maxHttpBufferSize": 10}, "did you mean 'max_http_buffer_size'"),
        ({"cleanupEmptyChildNamespaces": True}, "did you mean 'cleanup_empty_child_namespaces'"),
        ({"connectTimeout": 5}, "did you mean 'connect_timeout'"),
        ({"cors": {"origin": "*"}}, "did you mean 'cors_allowed_origins'"),
        ({"adapter": None}, "did you mean 'client_manager'"),
        ({"ping_intervall": 5}, "did you mean 'ping_interval'"),
        ({"max_http_bufer_size": 5}, "did you mean 'max_http_buffer_size'"),
        ({"path": "/x"}, "socketio_path"),
        ({"perMessageDeflate": True}, "use socketio_rs.serve\\(app, per_message_deflate"),
        ({"wibble": 1}, "unknown option 'wibble'$"),
    ],
)
def test_an_unknown_option_is_refused_with_the_name_meant(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        socketio_rs.AsyncServer(**options)


@pytest.mark.parametrize(
    ("node_name", "name"),
    [("connectionStateRecovery", "connection_state_recovery"), ("allowEIO3", "allow_eio3")],
)
def test_node_names_of_supported_options_point_to_ours(node_name: str, name: str) -> None:
    with pytest.raises(TypeError, match=f"did you mean '{name}'"):
        socketio_rs.AsyncServer(**{node_name: True})
    assert socketio_rs.AsyncServer(**{name: True}) is not None


def _parameters(function: Any) -> set[str]:
    return {
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
    }


def test_every_python_socketio_and_python_engineio_option_is_taken() -> None:
    # Read from the installed libraries, so that an option they add shows up here.
    engineio_names = _parameters(engineio.AsyncServer.__init__)
    socketio_names = _parameters(socketio.AsyncServer.__init__) | {"engineio_logger"}
    assert engineio_names <= SERVER_OPTIONS
    for name in sorted(engineio_names | socketio_names):
        value = _a_value_for(name)
        sio = socketio_rs.AsyncServer(**{"async_mode": "asgi", name: value})
        assert sio is not None


def _a_value_for(name: str) -> Any:
    values: dict[str, Any] = {
        "async_mode": "asgi",
        "ping_interval": 5,
        "ping_timeout": 5,
        "max_http_buffer_size": 1000,
        "compression_threshold": 10,
        "cookie": "io",
        "cors_allowed_origins": "*",
        "transports": ["websocket"],
        "namespaces": "*",
        "serializer": "default",
        "client_manager": socketio_rs.AsyncManager(),
        "json": None,
    }
    return values.get(name, False)


def test_options_take_effect() -> None:
    sio = socketio_rs.AsyncServer(
        async_mode="asgi", ping_interval=3, max_http_buffer_size=123, connect_timeout=7
    )
    assert (sio.eio.ping_interval, sio.eio.max_http_buffer_size) == (3, 123)
    assert sio.connect_timeout == 7


def test_serve_refuses_an_unknown_option_with_the_name_meant() -> None:
    app = object()
    with pytest.raises(TypeError, match="did you mean 'log_level'"):
        socketio_rs.serve(app, logLevel="info")
    with pytest.raises(TypeError, match="did you mean 'timeout_keep_alive'"):
        socketio_rs.serve(app, timeout_keepalive=5)
    with pytest.raises(TypeError, match="did you mean 'header_timeout'"):
        socketio_rs.serve(app, header_timout=5)


@pytest.mark.parametrize("auth", [{}, []])
def test_instrument_refuses_empty_credentials(auth: Any) -> None:
    sio = socketio_rs.AsyncServer(async_mode="asgi")
    with pytest.raises(ValueError, match="auth=False"):
        sio.instrument(auth=auth)
    assert sio.instrumentation is None
    assert sio.instrument(auth=False).auth is False
