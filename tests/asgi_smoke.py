"""tests/smoke_app.py as a module-level ASGI application, for the servers that a test starts by
their command line (granian, daphne: ``asgi_smoke:app``)."""

from __future__ import annotations

import socketio_rs
from smoke_app import make_server

app = socketio_rs.ASGIApp(make_server(async_mode="asgi"))
