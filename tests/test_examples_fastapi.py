"""examples/fastapi_app.py: socketio-rs mounted in FastAPI, served for real and driven by
the official JS client, python-socketio's AsyncClient and HTTP requests."""

from __future__ import annotations

import asyncio

import httpx

from server_harness import WAIT, connected, node_steps, serve, steps, wait_until
from test_examples_namespaces import load


async def test_http_reaches_the_sockets_of_a_room() -> None:
    example = load("fastapi_app")
    async with serve(example.app) as url, httpx.AsyncClient(base_url=url) as http:

        async def members(room: str) -> list[str]:
            response = await http.get(f"/rooms/{room}")
            assert response.status_code == 200
            return list(response.json()["sockets"])

        # The official client, through the mounted path, waits for a note posted over HTTP.
        node = asyncio.ensure_future(
            node_steps(
                url,
                "websocket",
                [
                    ["connect", "js", "/", {"path": "/ws/socket.io", "query": {"room": "ops"}}],
                    ["ack", "js", "rooms"],
                    ["wait", "js", "note"],
                ],
            )
        )
        async with connected(url, ["polling"], socketio_path="/ws/socket.io") as lobby:
            sockets = example.sio.sockets.sockets
            await wait_until(
                lambda: node.done() or any("ops" in s.rooms for s in sockets.values()),
                what="the JS client in room ops",
            )
            assert len(await members("ops")) == 1
            assert await members("lobby") == [lobby.get_sid()]
            assert await lobby.call("rooms", timeout=WAIT) == ["lobby"]

            notes: list[str] = []
            lobby.on("note", notes.append)
            posted = await http.post("/rooms/ops/notes", json={"text": "deploying"})
            assert posted.json() == {"delivered": 1}
            transcript = await node
            assert steps(transcript, "event") == [["js", "note", "deploying"]]
            assert steps(transcript, "ack") == [["js", "rooms", ["ops"]]]

            posted = await http.post("/rooms/lobby/notes", json={"text": "hello"})
            assert posted.json() == {"delivered": 1}
            await wait_until(lambda: notes == ["hello"], what="the lobby's note")
        # FastAPI's own validation still answers for its routes.
        assert (await http.post("/rooms/ops/notes", json={})).status_code == 422
