"""The dashboard as production runs it: gunicorn with gunicorn.conf.py, in its own process group
on a free loopback port, its stdout (the logs) collected line by line."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests

from tests.support.paths import REPO_ROOT

# variables of the developer's shell that would change what the server does
_OWN_PREFIXES = (
    "GIGSTACK_",
    "SANDBOX_",
    "SECRET_KEY",
    "APP_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "RATELIMIT_",
    "LOG_",
    "ALLOW_SQLITE",
    "WEB_CONCURRENCY",
    "GUNICORN_",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue = field(default_factory=queue.Queue)

    def wait_for_line(self, needle: str, timeout: float = 30) -> str:
        """The first log line containing ``needle`` (already seen or still to come)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            while seen < len(self.lines):
                seen += 1
                if needle in self.lines[seen - 1]:
                    return self.lines[seen - 1]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no log line with {needle!r}:\n" + "\n".join(self.lines))
            try:
                self.lines.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                continue

    def wait_ready(self, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None:
                raise AssertionError("gunicorn exited: " + self.output())
            assert time.monotonic() < deadline, "gunicorn did not start: " + self.output()
            time.sleep(0.2)

    def output(self) -> str:
        """Everything printed so far (drained without waiting)."""
        while True:
            try:
                self.lines.append(self._queue.get_nowait())
            except queue.Empty:
                return "\n".join(self.lines)


def gunicorn_command(port: int) -> list[str]:
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    return [
        gunicorn,
        "-c",
        "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "webapp:create_app()",
    ]


def clean_environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env.update(settings)
    return env


@contextmanager
def gunicorn(wait: bool = True, **settings: str) -> Iterator[Server]:
    """Run gunicorn with ``settings`` as its environment (and nothing of ours); stopped after."""
    port = free_port()
    env = clean_environment(PORT=str(port), **settings)
    process = subprocess.Popen(
        gunicorn_command(port),
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    server = Server(process, f"http://127.0.0.1:{port}")

    def pump() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            server._queue.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    try:
        if wait:
            server.wait_ready()
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def run_to_exit(timeout: float = 60, **settings: str) -> subprocess.CompletedProcess:
    """Start gunicorn expecting it to refuse: its exit status and everything it printed."""
    port = free_port()
    return subprocess.run(
        gunicorn_command(port),
        env=clean_environment(PORT=str(port), **settings),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
