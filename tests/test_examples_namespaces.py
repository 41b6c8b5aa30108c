"""The namespace examples (examples/namespaces.py, examples/session_auth.py), served for real
and driven by the official JS client and python-socketio's AsyncClient: the request's
examples (seeds/) in their Python form."""

from __future__ import annotations

import importlib.util
import pathlib
import types

import httpx
import pytest

from server_harness import (
    WAIT,
    client,
    close_client,
    connected,
    node_steps,
    run_node,
    serve,
    steps,
)

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> types.ModuleType:
    """A fresh copy of ``examples/<name>.py`` (each test gets its own server)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_admin_namespace_with_authorisation(transport: str) -> None:
    example = load("namespaces")
    async with serve(example.app) as url:
        transcript = await node_steps(
            url,
            transport,
            [
                ["connect", "anon", "/admin"],
                ["connect", "bob", "/admin", {"auth": {"token": "user-token"}}],
                ["connect", "ada", "/admin", {"auth": {"token": "admin-token"}}],
                ["wait", "ada", "welcome"],
                ["ack", "ada", "delete user", "u42"],
            ],
        )
    forbidden = {"message": "forbidden", "data": {"code": 403}}
    assert steps(transcript, "connect_error") == [["anon", forbidden], ["bob", forbidden]]
    assert steps(transcript, "event") == [["ada", "welcome", "ada"]]
    assert steps(transcript, "ack") == [["ada", "delete user", "deleted u42"]]


async def test_per_tenant_dynamic_namespaces() -> None:
    example = load("namespaces")
    async with serve(example.app) as url:
        transcript = await node_steps(
            url,
            "websocket",
            [
                ["connect", "ada", "/acme", {"auth": {"token": "admin-token"}}],
                ["wait", "ada", "joined"],
                ["connect", "bob", "/acme", {"auth": {"token": "user-token"}}],
                ["wait", "ada", "joined", 2],
                ["connect", "bob-globex", "/globex", {"auth": {"token": "user-token"}}],
                ["ack", "bob", "message", "hello acme"],
                ["wait", "ada", "message"],
            ],
        )
    assert steps(transcript, "connect_error") == [
        ["bob-globex", {"message": "not a member of this workspace"}]
    ]
    ada = [e[1:] for e in steps(transcript, "event") if e[0] == "ada"]
    assert ada == [["joined", "ada"], ["joined", "bob"], ["message", "bob", "hello acme"]]
    assert steps(transcript, "ack") == [["bob", "message", "sent"]]
    workspaces = example.workspaces
    # /globex went with the refused connection that created it, /acme with its last socket
    # (cleanup_empty_child_namespaces is on by default)
    assert not workspaces.children
    assert example.sio.of("/acme").parent is workspaces
    assert example.sio.of("/admin").parent is None and example.sio.of("/ordered").parent is None


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_middleware_order_and_the_error_reaching_connect_error(transport: str) -> None:
    example = load("namespaces")
    async with serve(example.app) as url:
        transcript = await node_steps(
            url,
            transport,
            [
                ["connect", "refused", "/ordered"],
                ["connect", "ok", "/ordered", {"auth": {"pass": True}}],
                ["wait", "ok", "seen"],
                ["connect", "main", "/"],
                ["wait", "main", "hi"],
            ],
        )
    assert steps(transcript, "connect_error") == [["refused", {"message": "thou shall not pass"}]]
    assert ["ok", "seen", ["first", "third"]] in steps(transcript, "event")
    assert ["main", "hi", "everyone"] in steps(transcript, "event")


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_the_examples_with_socketio_client_2x(transport: str) -> None:
    """The 2.x docs' client side: io("/admin?token=..."), and the middleware's refusal as the
    "error" event (its data, else its message, as the reference server sends them)."""
    example = load("namespaces")
    cases = [
        ("/admin?token=admin-token", "welcome", [["connect"], ["welcome", "ada"]]),
        ("/admin?token=user-token", "welcome", [["error", {"code": 403}]]),
        ("/ordered", "seen", [["error", "thou shall not pass"]]),
        ("/ordered?pass=1", "seen", [["connect"], ["seen", ["first", "third"]]]),
    ]
    async with serve(example.app) as url:
        for nsp, event, expected in cases:
            options = {"nsp": nsp, "event": event}
            assert await run_node("eio3_listen.mjs", url, transport, options=options) == expected


async def test_session_middleware_reuse_through_asgi() -> None:
    example = load("session_auth")
    async with serve(example.app) as url:
        refused = client()
        try:
            with pytest.raises(Exception, match="failed to connect"):
                await refused.connect(url, transports=["websocket"], wait_timeout=WAIT)
        finally:
            await close_client(refused)
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{url}/login", params={"user": "ada"})
            assert response.text == "logged in"
            cookie = "; ".join(f"{k}={v}" for k, v in response.cookies.items())
        for transports in (["websocket"], ["polling"]):
            async with connected(url, transports, headers={"Cookie": cookie}) as c:
                assert await c.call("whoami", timeout=WAIT) == "ada"


async def test_token_in_handshake_auth() -> None:
    example = load("session_auth")
    async with serve(example.app) as url:
        transcript = await node_steps(
            url,
            "websocket",
            [
                ["connect", "none", "/service"],
                ["connect", "ok", "/service", {"auth": {"token": "s3cr3t"}}],
                ["ack", "ok", "whoami"],
            ],
        )
    assert steps(transcript, "connect_error") == [
        ["none", {"message": "invalid token", "data": {"hint": "send auth.token"}}]
    ]
    assert steps(transcript, "ack") == [["ok", "whoami", "service-account"]]
