"""Serve the sandbox over real HTTP on loopback, in a background thread.

Used by the dashboard (no API key configured), by the tests and by the benchmark. Under
gunicorn the master process starts one for all workers (see ``gunicorn.conf.py``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_sandbox_app
from .store import Store


class QuietRequestHandler(WSGIRequestHandler):
    """Access lines go to the ``webapp.sandbox.access`` logger at DEBUG, not to stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logging.getLogger("webapp.sandbox.access").debug(
            "%s %s %s", self.command, self.path.split("?", 1)[0], code)


@dataclass
class SandboxServer:
    """A running sandbox: its origin, API base URL, demo keys and a way to stop it."""

    server: BaseWSGIServer
    thread: threading.Thread
    app: Any
    store: Store
    host: str = "127.0.0.1"
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.server.server_port

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.origin}/v2"

    def keys(self) -> dict[str, dict[str, Any]]:
        """Demo keys by name: ``{key, team, livemode, connect}``."""
        return demo_keys(self.store)

    def key(self, name: str = "partner_test") -> str:
        return self.store.key_by_name(name).token

    def shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def demo_keys(store: Store) -> dict[str, dict[str, Any]]:
    out = {}
    for record in sorted(store.keys.values(), key=lambda r: r.name):
        team = store.teams[record.team]
        out[record.name] = {"key": record.token, "team": record.team,
                            "livemode": record.livemode, "connect": bool(team.get("_connect"))}
    return out


def start_sandbox(host: str = "127.0.0.1", port: int = 0, *, test_mode: bool = False,
                  scale: int = 1, store: Store | None = None) -> SandboxServer:
    """Start a seeded sandbox on ``host:port`` (0 = any free port) and return at once."""
    app = create_sandbox_app(store, test_mode=test_mode, scale=scale)
    server = make_server(host, port, app, threaded=True,
                         request_handler=QuietRequestHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="gigstack-sandbox",
                              daemon=True)
    thread.start()
    return SandboxServer(server=server, thread=thread, app=app,
                         store=app.config["SANDBOX_STORE"], host=host)
