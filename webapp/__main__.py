"""``python -m webapp`` — what ``make run`` starts: the dashboard, on the sandbox by default,
and beside it a jobs worker (``python -m webapp.jobs``) on the same database and queue."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys

from werkzeug.serving import run_simple

from . import database, logs
from .auth.demo import ensure_demo_admin
from .factory import create_app


def main() -> int:
    logs.configure(os.environ.get("LOG_FORMAT") or "text", os.environ.get("LOG_LEVEL", "INFO"))
    port = int(os.environ.get("PORT", "5000"))
    host = os.environ.get("HOST", "127.0.0.1")
    app = create_app()
    database.upgrade(app)
    demo = ensure_demo_admin(app)
    upstream = app.extensions["gigstack"]
    print(f"\n  gigstack back office: http://{host}:{port}/", flush=True)
    print(f"  running against: {upstream.label}", flush=True)
    if demo is not None:
        print(f"  demo admin: {demo} (password: DEMO_ADMIN_PASSWORD, see README)", flush=True)
    if upstream.is_sandbox:
        print(
            "  to use the real API: GIGSTACK_API_KEY=<your key> make run"
            "  (optional GIGSTACK_API_URL, default https://api.gigstack.io/v2)\n",
            flush=True,
        )
    worker = start_worker(app)
    # a SIGTERM ends this process through its exit handlers: the worker is stopped with it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"  jobs worker: pid {worker.pid} (python -m webapp.jobs)", flush=True)
    run_simple(host, port, app, threaded=True, use_reloader=False)
    return 0


def start_worker(app) -> subprocess.Popen:
    """The jobs worker as a process of its own, stopped with this one. On the sandbox it is
    told where this process's sandbox listens, so both see the same demo data."""
    env = dict(os.environ)
    sandbox = app.extensions["gigstack"].sandbox
    if sandbox is not None:
        env["GIGSTACK_SANDBOX_URL"] = sandbox.api_url
        env["GIGSTACK_SANDBOX_KEY"] = sandbox.key(app.config["SANDBOX_KEY_NAME"])
    worker = subprocess.Popen([sys.executable, "-m", "webapp.jobs"], env=env)

    def stop() -> None:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=25)
            except subprocess.TimeoutExpired:
                worker.kill()

    atexit.register(stop)
    return worker


if __name__ == "__main__":
    sys.exit(main())
