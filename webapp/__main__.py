"""``python -m webapp`` — what ``make run`` starts: the dashboard, on the sandbox by default."""

from __future__ import annotations

import os
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
    run_simple(host, port, app, threaded=True, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
