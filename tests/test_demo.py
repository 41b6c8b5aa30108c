"""The demo (examples/demo, what `make demo` serves), for real.

The browser test opens the page in headless Chromium (Debian's, at /usr/bin/chromium or
$CHROMIUM, installed by tools/ensure-chromium.sh; Playwright drives it and downloads nothing)
in two browser contexts, i.e. two users with their own cookies: they chat in the lobby's
rooms and in a workspace, one is refused from /admin without a token and let in with it, the
other gets in with a session cookie. A third context logs in to the official Socket.IO Admin UI
the demo serves at /admin-ui/ and sees the other two's sockets and namespaces. The screenshots
go to test-output/demo/ (git-ignored).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import pathlib
import re
import sys
import types
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import socketio
from playwright.async_api import Browser, Page, async_playwright, expect

from server_harness import (
    WAIT,
    client,
    close_client,
    ensure_npm_packages,
    free_port,
    listening,
    serve,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
OUTPUT = ROOT / "test-output" / "demo"
REFUSED = "refused: forbidden: /admin needs the admin token or an admin session (403)"


def load_demo() -> types.ModuleType:
    """A fresh copy of examples/demo/app.py (each test gets its own server)."""
    ensure_npm_packages(DEMO)  # the page's client bundle comes from there
    spec = importlib.util.spec_from_file_location("demo_app", DEMO / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: run tools/ensure-chromium.sh (make test does)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            await browser.close()


async def say(page: Page, field: str, text: str) -> None:
    await page.fill(field, text)
    await page.press(field, "Enter")


class Pages:
    """Browser pages of one demo server, each in its own context (its own cookies), with the
    URLs they requested and the errors they logged."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.browser, self.url = browser, url
        self.requested: list[str] = []
        self.errors: list[str] = []

    async def open(self, name: str, query: str = "") -> Page:
        context = await self.browser.new_context(viewport={"width": 1280, "height": 760})
        page = await context.new_page()
        page.on("request", lambda request: self.requested.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(f"{name}: {error}"))
        page.on(
            "console",
            lambda m: self.errors.append(f"{name}: {m.text}") if m.type == "error" else None,
        )
        await page.goto(f"{self.url}/?name={name}{query}")
        await expect(page.locator("#lobby-status")).to_have_text("connected")
        return page


async def test_the_demo_page_in_two_browsers() -> None:
    demo = load_demo()
    expect.set_options(timeout=WAIT * 1000)
    async with serve(demo.app) as url, chromium() as browser:
        pages = Pages(browser, url)
        requested, errors, open_page = pages.requested, pages.errors, pages.open

        alice, bob = await open_page("alice"), await open_page("bob")
        lobby = {page: page.locator("#lobby-log") for page in (alice, bob)}

        # The lobby: everyone starts in #general; a room change is acknowledged by the server.
        await say(alice, "#lobby-text", "hello lobby")
        await expect(lobby[bob]).to_contain_text("alice hello lobby")
        await bob.click("#rooms button[data-room=random]")
        await expect(lobby[bob]).to_contain_text("you are in #random")
        await expect(alice.locator("#presence-list")).to_contain_text("bob #random")
        await say(alice, "#lobby-text", "only for general")
        await expect(lobby[alice]).to_contain_text("alice only for general")
        # What alice said in #general was queued for bob before his own message, if at all.
        await say(bob, "#lobby-text", "hello random")
        await expect(lobby[bob]).to_contain_text("bob hello random")
        await expect(lobby[bob]).not_to_contain_text("only for general")

        # A workspace: a dynamic namespace, one chat shared by both and by nobody else.
        for page in (alice, bob):
            await say(page, "#workspace-input", "acme")
            await expect(page.locator("#workspace-status")).to_have_text("connected")
        await expect(alice.locator("#workspace-log")).to_contain_text("bob joined")
        await say(bob, "#workspace-text", "hi acme")
        await expect(alice.locator("#workspace-log")).to_contain_text("bob hi acme")
        await expect(lobby[alice]).not_to_contain_text("hi acme")
        assert {child.name for child in demo.workspaces.children} == {"/acme"}

        # /admin: the middleware refuses alice without a token, and the page's connect_error
        # handler shows the server's message and data; with the token she gets in.
        await alice.click("#admin-with-token")
        await expect(alice.locator("#admin-status")).to_have_text(REFUSED)
        OUTPUT.mkdir(parents=True, exist_ok=True)
        await alice.screenshot(path=str(OUTPUT / "alice-refused.png"))
        await alice.fill("#admin-token", demo.ADMIN_TOKEN)
        await alice.click("#admin-with-token")
        await expect(alice.locator("#admin-status")).to_have_text("connected as admin")
        # bob trades the token for a session cookie and connects without a token.
        await bob.fill("#admin-token", demo.ADMIN_TOKEN)
        await bob.click("#admin-with-cookie")
        await expect(bob.locator("#admin-status")).to_have_text("connected as admin")
        auths = sorted((s.handshake.auth for s in demo.admin.sockets.values()), key=str)
        assert auths == [{"name": "alice", "token": demo.ADMIN_TOKEN}, {"name": "bob"}]

        # An announcement reaches every chat: the lobby's rooms and every workspace.
        await say(alice, "#admin-text", "maintenance at five")
        for log in ("#lobby-log", "#workspace-log"):
            await expect(bob.locator(log)).to_contain_text(
                "announcement from alice: maintenance at five"
            )

        # The live panel: every namespace with its sockets.
        panel = bob.locator("#presence-list")
        await expect(panel.locator("[data-namespace='/'] h3")).to_have_text("/ · 2")
        await expect(panel.locator("[data-namespace='/admin'] h3")).to_have_text("/admin · 2")
        await expect(panel.locator("[data-namespace='/acme'] h3")).to_have_text("/acme · 2")

        for name, page in (("alice", alice), ("bob", bob)):
            await page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
        print(f"screenshots in {OUTPUT}: alice-refused.png, alice.png, bob.png")

    assert errors == []
    # Everything, the client bundle included, came from the demo server.
    assert requested and all(u.startswith(f"{url}/") for u in requested), requested
    assert f"{url}/vendor/socket.io-client/socket.io.min.js" in requested


async def test_the_admin_ui_sees_the_demo() -> None:
    """The official Admin UI, served by the demo from npm's package: it logs in with the
    credentials the demo prints, and shows the namespaces and sockets of two browsers."""
    demo = load_demo()
    expect.set_options(timeout=WAIT * 1000)
    async with serve(demo.app) as url, chromium() as browser:
        pages = Pages(browser, url)
        alice, bob = await pages.open("alice"), await pages.open("bob")
        for page in (alice, bob):
            await say(page, "#workspace-input", "acme")
            await expect(page.locator("#workspace-status")).to_have_text("connected")
        await alice.fill("#admin-token", demo.ADMIN_TOKEN)
        await alice.click("#admin-with-token")
        await expect(alice.locator("#admin-status")).to_have_text("connected as admin")

        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        ui = await context.new_page()
        ui.on("request", lambda request: pages.requested.append(request.url))
        ui.on("pageerror", lambda error: pages.errors.append(f"admin UI: {error}"))
        await ui.goto(f"{url}/admin-ui")  # redirected to /admin-ui/, where its assets resolve
        # The login form comes filled in with this server; a wrong password is refused.
        await expect(ui.get_by_label("Server URL")).to_have_value(url)
        await ui.get_by_label("Username").fill(demo.ADMIN_UI_AUTH["username"])
        await ui.get_by_label("Password").fill("not the password")
        await ui.get_by_role("button", name="Connect").click()
        await expect(ui.get_by_text("Error: authentication failed")).to_be_visible()
        await ui.get_by_label("Password").fill(demo.ADMIN_UI_AUTH["password"])
        await ui.get_by_role("button", name="Connect").click()
        # The status chip (its text is shown in capitals by CSS).
        await expect(ui.get_by_text(re.compile(r"^\s*connected\s*$")).first).to_be_visible()

        # The dashboard: the demo's namespaces with their sockets (the UI's own is one more).
        for row in ("/ 2", "/acme 2", "/admin 1", "/admin-ui 1"):
            await expect(ui.get_by_role("row", name=row, exact=True)).to_be_visible()
        OUTPUT.mkdir(parents=True, exist_ok=True)
        await ui.screenshot(path=str(OUTPUT / "admin-ui-dashboard.png"), full_page=True)

        # The sockets page: both browsers' lobby sockets, by the ids the server gave them.
        await ui.get_by_role("link", name="Sockets").click()
        lobby_ids = list(demo.sio.sockets.sockets)
        assert len(lobby_ids) == 2
        for socket_id in lobby_ids:
            await expect(
                ui.get_by_role("row", name=re.compile(re.escape(socket_id)))
            ).to_be_visible()
        await ui.screenshot(path=str(OUTPUT / "admin-ui-sockets.png"), full_page=True)
        print(f"screenshots in {OUTPUT}: admin-ui-dashboard.png, admin-ui-sockets.png")

    assert pages.errors == []
    # The Admin UI, its icon font included, came from the demo server: nothing from a CDN.
    assert all(u.startswith(f"{url}/") for u in pages.requested), pages.requested
    assert f"{url}/admin-ui/mdi/css/materialdesignicons.min.css" in pages.requested


async def test_the_demo_prints_the_admin_ui_login() -> None:
    """`make demo` runs app.py: what it prints at start logs in to the Admin UI's namespace."""
    ensure_npm_packages(DEMO)
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DEMO_ADMIN_UI_PASSWORD", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, DEMO / "app.py", "--port", str(port), stdout=PIPE, stderr=PIPE, env=env
    )
    try:
        assert proc.stdout is not None
        printed = ""
        while "password:" not in printed:
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            assert line, f"the demo exited: {printed}"
            printed += line.decode()
        login = re.search(r"/admin-ui/ \(username: (\S+), password: (\S+)\)", printed)
        assert login is not None, printed
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):  # the line comes before uvicorn listens
            if await listening(port):
                break
            await asyncio.sleep(0.05)
        wrong = client()
        try:
            with pytest.raises(socketio.exceptions.ConnectionError):
                await wrong.connect(
                    url, namespaces=["/admin-ui"], auth={"username": login[1], "password": "x"}
                )
        finally:
            await close_client(wrong)
        ui = client()
        auth = {"username": login[1], "password": login[2]}
        try:
            await ui.connect(url, namespaces=["/admin-ui"], auth=auth, wait_timeout=WAIT)
            assert ui.connected
        finally:
            await close_client(ui)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.communicate(), WAIT)


async def test_the_demo_page_on_socketio_client_2x() -> None:
    """``/?client=2``: the same page on socket.io-client 2.5.0 (npm's, served by the demo),
    which ``allow_eio3=True`` serves; it chats with a page on the current client."""
    demo = load_demo()
    expect.set_options(timeout=WAIT * 1000)
    async with serve(demo.app) as url, chromium() as browser:
        pages = Pages(browser, url)
        alice, carol = await pages.open("alice"), await pages.open("carol", "&client=2")
        assert await carol.evaluate("io.protocol") == 4  # the 2.x bundle is the page's client
        await say(carol, "#lobby-text", "hello from 2.x")
        await expect(alice.locator("#lobby-log")).to_contain_text("carol hello from 2.x")
        await say(alice, "#lobby-text", "hello from 4.x")
        await expect(carol.locator("#lobby-log")).to_contain_text("alice hello from 4.x")
        await carol.click("#rooms button[data-room=help]")  # an event with an ack
        await expect(carol.locator("#lobby-log")).to_contain_text("you are in #help")
        await expect(alice.locator("#presence-list")).to_contain_text("carol #help")
        for page in (alice, carol):  # a dynamic namespace, its name in the CONNECT's query
            await say(page, "#workspace-input", "acme")
            await expect(page.locator("#workspace-status")).to_have_text("connected")
        await say(carol, "#workspace-text", "hi acme")
        await expect(alice.locator("#workspace-log")).to_contain_text("carol hi acme")
        # The middleware's refusal reaches the 2.x client as its "error" event: the error's
        # data, as the reference server sends it to protocol v4 clients.
        await carol.click("#admin-with-token")
        await expect(carol.locator("#admin-status")).to_have_text("refused: refused (403)")
        await carol.fill("#admin-token", demo.ADMIN_TOKEN)
        await carol.click("#admin-with-token")
        await expect(carol.locator("#admin-status")).to_have_text("connected as admin")
        OUTPUT.mkdir(parents=True, exist_ok=True)
        await carol.screenshot(path=str(OUTPUT / "carol-2x.png"), full_page=True)
    assert pages.errors == []
    assert f"{url}/vendor/socket.io-client-v2/socket.io.js" in pages.requested
    assert all(u.startswith(f"{url}/") for u in pages.requested), pages.requested


async def test_the_demo_with_python_clients() -> None:
    """The same server without a browser: the served bundle is npm's, and the refusals."""
    demo = load_demo()
    async with serve(demo.app) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            bundle = await http.get("/vendor/socket.io-client/socket.io.min.js")
            assert bundle.content == (demo.CLIENT_DIST / "socket.io.min.js").read_bytes()
            assert "/vendor/socket.io-client/socket.io.min.js" in (await http.get("/")).text
            wrong = await http.post("/session", json={"token": "guess"})
            assert (wrong.status_code, wrong.json()) == (403, {"error": "wrong token"})

        # Refused by namespace middleware; what python-socketio's client gets in connect_error.
        refusals = {
            "/": {"message": "choose a name first"},
            "/admin": {
                "message": "forbidden: /admin needs the admin token or an admin session",
                "data": {"code": 403},
            },
        }
        for namespace, expected in refusals.items():
            c = client()
            errors: list[object] = []
            c.on("connect_error", errors.append, namespace=namespace)
            try:
                with pytest.raises(socketio.exceptions.ConnectionError):
                    await c.connect(url, namespaces=[namespace], wait_timeout=WAIT)
            finally:
                await close_client(c)
            assert errors == [expected]

        c = client()
        try:
            await c.connect(url, auth={"name": "py"}, transports=["websocket"], wait_timeout=WAIT)
            assert await c.call("join", "help", timeout=WAIT) == "help"
            assert await c.call("join", "nowhere", timeout=WAIT) == "no such room"
        finally:
            await close_client(c)


def test_the_readme_describes_this_demo() -> None:
    """The README quotes the demo's refusal and token: they must stay the demo's."""
    demo = load_demo()
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"`{REFUSED.removeprefix('refused: ')}`" in readme
    assert f"(`{demo.ADMIN_TOKEN}`, printed at start)" in readme
    assert demo.workspaces.pattern.pattern == r"^/\w+$"
    assert 'sio.of(re.compile(r"^/\\w+$"))' in readme
