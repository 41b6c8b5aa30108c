"""Every Python snippet in the README and docs/ runs, and the demo runs."""

from __future__ import annotations

import asyncio
import pathlib
import re
import runpy
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def snippets(path: pathlib.Path) -> list[str]:
    """The ```python blocks of a Markdown file."""
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_snippets_run(path: pathlib.Path) -> None:
    # The blocks of one file share a namespace, as a reader's session would.
    namespace: dict[str, object] = {}
    for block in snippets(path):
        exec(compile(block, str(path), "exec"), namespace)


def test_readme_has_a_snippet() -> None:
    assert snippets(ROOT / "README.md"), "the README's example must be tested"


def test_codec_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(ROOT / "examples" / "codec_demo.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert '0/admin,{"token":"s3cr3t"}' in out
    assert "then: [Packet(type=PacketType.EVENT" in out


async def test_readme_quickstart_serves_clients() -> None:
    """The README's server example answers a real client over a real socket."""
    import socketio

    from server_harness import serve

    [block] = [b for b in snippets(ROOT / "README.md") if "ASGIApp" in b]
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    async with serve(namespace["app"]) as url:
        alice, bob = socketio.AsyncClient(), socketio.AsyncClient()
        heard: asyncio.Queue[object] = asyncio.Queue()
        bob.on("chat", heard.put_nowait)
        await alice.connect(url, transports=["websocket"])
        await bob.connect(url, transports=["polling"])
        try:
            assert await alice.call("chat", "hello", timeout=10) == "delivered"
            message = await asyncio.wait_for(heard.get(), 10)
            assert message == {"from": alice.get_sid(), "text": "hello"}
        finally:
            await alice.disconnect()
            await bob.disconnect()


async def test_readme_namespaces_example_serves_clients() -> None:
    """The README's namespace example, served: the admin middleware, the per-socket handler,
    a workspace created on demand."""
    import socketio

    import socketio_rs
    from server_harness import client, close_client, serve

    [block] = [b for b in snippets(ROOT / "README.md") if 'sio.of("/admin")' in b]
    namespace: dict[str, Any] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    sio = namespace["sio"]
    async with serve(socketio_rs.ASGIApp(sio)) as url:
        refused, admin, tenant = client(), client(), client()
        joined: asyncio.Queue[object] = asyncio.Queue()
        tenant.on("joined", joined.put_nowait, namespace="/acme")
        try:
            with pytest.raises(socketio.exceptions.ConnectionError):
                await refused.connect(url, namespaces=["/admin"], transports=["websocket"])
            await admin.connect(
                url, namespaces=["/admin"], transports=["websocket"], auth={"token": "let-me-in"}
            )
            assert await admin.call("delete user", 7, namespace="/admin", timeout=10) == "deleted"
            await tenant.connect(url, namespaces=["/acme"], transports=["polling"])
            assert await asyncio.wait_for(joined.get(), 10) == tenant.get_sid("/acme")
            assert sio.of("/acme").parent is namespace["workspaces"]
        finally:
            for c in (refused, admin, tenant):
                await close_client(c)
