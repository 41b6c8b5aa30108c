"""The socketio-rs demo: one server, one page, the whole product.

- **The lobby**, the default namespace ``/``: a chat with rooms, written the python-socketio
  way (``@sio.event`` handlers that get a ``sid``), as an existing application is.
- **/admin**: a namespace guarded by a namespace middleware. The admin token in the
  client's ``auth``, or an admin session cookie, gets in; anyone else gets a
  ``connect_error`` that says why.
- **Workspaces**: ``sio.of(re.compile(r"^/\\w+$"))``, one namespace per workspace, created
  by its first connection; each is a chat of its own.
- **A live panel** of the connected sockets of every namespace, pushed to every page.
- **The Socket.IO Admin UI** at ``/admin-ui/``: the official one, from the npm package
  ``@socket.io/admin-ui``, served from here; ``sio.instrument()`` reports to it, with the
  credentials printed at start.

``make demo`` installs the browser clients and the Admin UI (``npm ci`` here) and runs this
file; then open http://127.0.0.1:8000. Ctrl-C stops it. http://127.0.0.1:8000/?client=2 loads
the same page with socket.io-client 2.x, which ``allow_eio3=True`` serves beside the current
client.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import urllib.parse
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import socketio_rs as socketio
from socketio_rs import ConnectionRefusedError

HERE = Path(__file__).resolve().parent
# The official browser client, as npm installed it: the page never loads it from elsewhere.
CLIENT_DIST = HERE / "node_modules" / "socket.io-client" / "dist"
# socket.io-client 2.5.0, for the page's ?client=2 (npm's alias "socket.io-client-v2").
CLIENT_V2_DIST = HERE / "node_modules" / "socket.io-client-v2" / "dist"
# The official Admin UI's built app, and the icon font its page would fetch from a CDN.
ADMIN_UI_DIST = HERE / "node_modules" / "@socket.io" / "admin-ui" / "ui" / "dist"
ICON_FONT = HERE / "node_modules" / "@mdi" / "font"
ADMIN_TOKEN = os.environ.get("DEMO_ADMIN_TOKEN", "admin-secret")
# The Admin UI's login; a new password each start unless chosen.
ADMIN_UI_AUTH = {
    "username": "admin",
    "password": os.environ.get("DEMO_ADMIN_UI_PASSWORD") or secrets.token_urlsafe(9),
}
# "/admin" is the demo's own admin chat, so the Admin UI gets a namespace of its own (its
# login form's advanced options; the page served below fills it in).
ADMIN_UI_NAMESPACE = "/admin-ui"
LOBBY_ROOMS = ["general", "random", "help"]

sio = socketio.AsyncServer(
    async_mode="asgi",
    # A workspace namespace goes away with its last socket, so the panel lists live ones only.
    cleanup_empty_child_namespaces=True,
    # socket.io-client 2.x too (Engine.IO v3), for the page loaded with ?client=2.
    allow_eio3=True,
)


def clean_name(name: Any) -> str:
    return str(name or "").strip()[:24]


def display_name(socket: socketio.Socket) -> str:
    """A current client sends its name in ``auth``; a 2.x client, which has no auth, in the
    query (``io({query: {name}})``)."""
    return clean_name(socket.handshake.auth.get("name") or socket.handshake.query.get("name"))


def require_name(socket: socketio.Socket) -> None:
    """Namespace middleware (the one-parameter form: return to accept, raise to refuse)."""
    if not display_name(socket):
        raise ConnectionRefusedError("choose a name first")


def chat_line(who: str, text: Any) -> dict[str, str]:
    return {"from": who, "text": str(text)[:500]}


# -- the lobby: python-socketio's API, unchanged --------------------------------------------
# Namespace middleware runs before python-socketio's connect handler, for "/" only.
sio.use(require_name)


@sio.event
async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any] | None) -> None:
    # The middleware checked the name, from auth or (a 2.x client) from the query.
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    name = clean_name((auth or {}).get("name") or query.get("name", [""])[0])
    await sio.save_session(sid, {"name": name, "room": LOBBY_ROOMS[0]})
    await sio.enter_room(sid, LOBBY_ROOMS[0])


@sio.event
async def join(sid: str, room: str) -> str:
    """Move to another lobby room; the return value is the client's ack."""
    if room not in LOBBY_ROOMS:
        return "no such room"
    async with sio.session(sid) as session:
        await sio.leave_room(sid, session["room"])
        await sio.enter_room(sid, room)
        session["room"] = room
    await presence_changed()
    return room


@sio.event
async def message(sid: str, text: str) -> None:
    session = await sio.get_session(sid)
    await sio.emit("message", chat_line(session["name"], text), room=session["room"])


# -- /admin: only for admins ----------------------------------------------------------------

admin = sio.of("/admin")


@admin.use
def admins_only(socket: socketio.Socket, next: Any) -> None:
    # socket.request is the environ of the connection's first HTTP request; under ASGI it
    # holds the scope, where Starlette's SessionMiddleware put the session (see `app` below).
    session = socket.request["asgi.scope"].get("session", {})
    if socket.handshake.auth.get("token") == ADMIN_TOKEN or session.get("admin"):
        next()
    else:  # the page's connect_error handler gets this message and data
        next(
            ConnectionRefusedError(
                "forbidden: /admin needs the admin token or an admin session", {"code": 403}
            )
        )


@admin.on("announce")
async def announce(socket: socketio.Socket, text: str) -> str:
    line = chat_line(display_name(socket) or "admin", text)
    await sio.sockets.emit("announcement", line)  # every lobby room
    await workspaces.emit("announcement", line)  # a parent's emit reaches all its children
    return "announced"


# -- workspaces: one dynamic namespace each -------------------------------------------------
# After /admin on purpose: an existing namespace wins over a parent, whereas sio.of("/admin")
# called after this line would create /admin as a child of it, with the workspaces' handlers.

workspaces = sio.of(re.compile(r"^/\w+$"))
workspaces.use(require_name)  # the parent's middleware runs for every child


@workspaces.on("connection")
async def entered(socket: socketio.Socket) -> None:
    workspace = socket.nsp  # the child namespace, e.g. "/acme"
    await workspace.emit("message", chat_line("*", f"{display_name(socket)} joined"))


@workspaces.on("message")
async def workspace_message(socket: socketio.Socket, text: str) -> None:
    await socket.nsp.emit("message", chat_line(display_name(socket), text))


# -- the live panel: who is connected where -------------------------------------------------


def presence() -> dict[str, list[dict[str, Any]]]:
    """Each namespace's sockets: their id, name and rooms (without their own id)."""
    namespaces = [sio.sockets, admin, *sorted(workspaces.children, key=lambda n: n.name)]
    return {
        nsp.name: [
            {
                "id": socket.id,
                "name": display_name(socket) or "?",
                "rooms": sorted(room for room in socket.rooms if room != socket.id),
            }
            for socket in nsp.sockets.values()
        ]
        for nsp in namespaces
        if nsp.sockets or nsp.parent is None  # the fixed namespaces show even when empty
    }


async def presence_changed(*_: Any) -> None:
    await sio.sockets.emit("presence", presence())


# Node-style handlers on the same sockets as the python-socketio ones above: "connection"
# runs once the client is in (after the CONNECT reply), "disconnect" once it has left.
for namespace in (sio.sockets, admin, workspaces):
    namespace.on("connection", presence_changed)
    namespace.on("disconnect", presence_changed)


# -- the Admin UI: every socket, room and event of this server, live --------------------------
# No workspace can take its namespace's name: "-" is not a word character.

sio.instrument(auth=ADMIN_UI_AUTH, namespace=ADMIN_UI_NAMESPACE)


# -- HTTP: the page, the client bundle, the admin session, the Admin UI ---------------------


async def index(request: Request) -> Response:
    if request.query_params.get("client") == "2":  # the same page on socket.io-client 2.x
        page = (HERE / "static" / "index.html").read_text(encoding="utf-8")
        bundle = "/vendor/socket.io-client/socket.io.min.js"
        return HTMLResponse(page.replace(bundle, "/vendor/socket.io-client-v2/socket.io.js"))
    return FileResponse(HERE / "static" / "index.html")


async def sign_in(request: Request) -> JSONResponse:
    """Trade the admin token for a session cookie, which /admin's middleware accepts."""
    body = await request.json()
    if body.get("token") != ADMIN_TOKEN:
        return JSONResponse({"error": "wrong token"}, status_code=403)
    request.session["admin"] = True
    return JSONResponse({"admin": True})


def admin_ui_page() -> str:
    """The Admin UI's index.html, made to work from this server alone: its icon font from
    node_modules instead of a CDN, its web font dropped (the system's sans-serif stands in),
    and its login form filled in with this server and the UI's namespace on first use."""
    page = (ADMIN_UI_DIST / "index.html").read_text(encoding="utf-8")
    page, fonts = re.subn(
        r'<link rel="stylesheet" href="https://fonts\.googleapis\.com/[^"]*">', "", page
    )
    page, icons = re.subn(
        r'<link rel="stylesheet" href="https://cdn\.jsdelivr\.net/npm/@mdi/font@[^"]*">',
        '<link rel="stylesheet" href="mdi/css/materialdesignicons.min.css">',
        page,
    )
    if (fonts, icons) != (1, 1):
        raise RuntimeError(f"{ADMIN_UI_DIST / 'index.html'} is not the page this demo knows")
    defaults = (
        "<script>for (const [key, value] of Object.entries({server_url: location.origin, "
        f'namespace: "{ADMIN_UI_NAMESPACE}"}})) '
        "if (!localStorage.getItem(key)) localStorage.setItem(key, value);</script>"
    )
    return page.replace("</head>", defaults + "</head>", 1)


async def admin_ui(request: Request) -> HTMLResponse:
    return HTMLResponse(ADMIN_UI_PAGE)


for needed in (CLIENT_DIST, CLIENT_V2_DIST, ADMIN_UI_DIST, ICON_FONT):
    if not needed.is_dir():
        raise RuntimeError(f"{needed} is missing: run `npm ci` in {HERE} (`make demo` does)")
ADMIN_UI_PAGE = admin_ui_page()

app = Starlette(
    routes=[
        Route("/", index),
        Route("/session", sign_in, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static")),
        Mount("/vendor/socket.io-client", StaticFiles(directory=CLIENT_DIST)),
        Mount("/vendor/socket.io-client-v2", StaticFiles(directory=CLIENT_V2_DIST)),
        # The page's assets are relative to it: /admin-ui redirects to /admin-ui/.
        Route("/admin-ui", lambda request: RedirectResponse("/admin-ui/")),
        Route("/admin-ui/", admin_ui),
        Mount("/admin-ui/mdi", StaticFiles(directory=ICON_FONT)),
        Mount("/admin-ui", StaticFiles(directory=ADMIN_UI_DIST)),
        Mount("/", socketio.ASGIApp(sio)),  # /socket.io/: the Socket.IO server
    ],
    # In front of everything, Socket.IO included: the session reaches socket.request.
    middleware=[Middleware(SessionMiddleware, secret_key=os.urandom(16).hex())],
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    print(f"socketio-rs demo on http://{args.host}:{args.port} (admin token: {ADMIN_TOKEN})")
    print(
        f"Socket.IO Admin UI on http://{args.host}:{args.port}/admin-ui/ (username: "
        f"{ADMIN_UI_AUTH['username']}, password: {ADMIN_UI_AUTH['password']})"
    )
    # socketio-rs's own serving mode: uvicorn for HTTP, socketio-rs's WebSocket path (see
    # docs/server.md). Ctrl-C closes the WebSockets and waits at most 3 s for the rest.
    socketio.serve(
        app, host=args.host, port=args.port, access_log=False, timeout_graceful_shutdown=3
    )


if __name__ == "__main__":
    main()
