"""Serve the sandbox over real HTTP on loopback, in a background thread.

Used by the dashboard (no API key configured), by the tests and by the benchmark. Under
gunicorn the master process starts one for all workers (see ``gunicorn.conf.py``).

The server is waitress: it keeps HTTP/1.1 connections alive as the real API does (Werkzeug's
development server closes every one, so each call paid a new connection), and runs requests
on a pool of threads large enough for injected latency and hangs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from waitress.server import create_server

from .app import create_sandbox_app
from .store import Store

# requests handled at once: latency and hang faults hold a thread each
THREADS = 48
CONNECTION_LIMIT = 1000


@dataclass
class SandboxServer:
    """A running sandbox: its origin, API base URL, demo keys and a way to stop it."""

    server: Any  # a waitress server
    thread: threading.Thread
    app: Any
    store: Store
    host: str = "127.0.0.1"
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.server.effective_port

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
        """Close the listening socket and every connection, in the server's own thread.
        Calling it again (an explicit stop, then the one registered at exit) does nothing."""
        if not self.thread.is_alive():
            return
        sockets = self.extras["socket_map"]

        def close_everything() -> None:
            for dispatcher in list(sockets.values()):
                dispatcher.close()

        try:
            self.server.trigger.pull_trigger(close_everything)
        except OSError:
            # the loop's wake-up pipe is already gone (the loop is ending on its own): close
            # what is left from here rather than fail the caller's shutdown
            close_everything()
        self.thread.join(timeout=5)
        self.server.task_dispatcher.shutdown(timeout=5)


def demo_keys(store: Store) -> dict[str, dict[str, Any]]:
    out = {}
    for record in sorted(store.keys.values(), key=lambda r: r.name):
        team = store.teams[record.team]
        out[record.name] = {
            "key": record.token,
            "team": record.team,
            "livemode": record.livemode,
            "connect": bool(team.get("_connect")),
        }
    return out


def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    test_mode: bool = False,
    scale: int = 1,
    teams: int = 0,
    store: Store | None = None,
) -> SandboxServer:
    """Start a seeded sandbox on ``host:port`` (0 = any free port) and return at once; ``teams``
    extra sub-teams of the partner (see :mod:`.seed_teams`)."""
    app = create_sandbox_app(store, test_mode=test_mode, scale=scale, teams=teams)
    return serve(app, host, port)


def serve(app: Any, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Serve a sandbox app in a background thread (keep-alive, a pool of threads)."""
    sockets: dict = {}
    server = create_server(
        app,
        map=sockets,
        host=host,
        port=port,
        threads=THREADS,
        connection_limit=CONNECTION_LIMIT,
        ident="gigstack-sandbox",
        expose_tracebacks=False,
    )
    thread = threading.Thread(target=server.run, name="gigstack-sandbox", daemon=True)
    thread.start()
    return SandboxServer(
        server=server,
        thread=thread,
        app=app,
        store=app.config["SANDBOX_STORE"],
        host=host,
        extras={"socket_map": sockets},
    )
