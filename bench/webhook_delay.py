"""How long a change in gigstack takes to be searchable through its webhook.

    python -m bench.webhook_delay             # 50 changes, sandbox latency 0 ms
    python -m bench.webhook_delay --changes 200 --latency 100

Starts the sandbox (``--latency`` ms on every answer, as ``make bench`` injects) and the
dashboard on loopback ports (SQLite in a temporary folder), indexes one team, gives it the
webhook the team page's button makes, then renames one of its clients ``--changes`` times
through the API and times, for each, the wait from sending the change to the index row
holding the new name (polled every millisecond; the change's own call included). Prints
p50, p95 and max. Every server and thread it starts is stopped.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time

import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from webapp import create_app, database
from webapp.extensions import db
from webapp.jobs import lifecycle
from webapp.sandbox import start_sandbox
from webapp.search.models import SearchEntry
from webapp.search.subscribe import DESCRIPTION, FOLLOWED, PATH
from webapp.search.sync import SYNC


def _name_of(app, team: str, client_id: str) -> str | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(SearchEntry.name).where(
                SearchEntry.team == team,
                SearchEntry.kind == "client",
                SearchEntry.object_id == client_id,
            )
        )


def measure(changes: int, latency_ms: int) -> list[float]:
    sandbox = start_sandbox("127.0.0.1", 0, test_mode=bool(latency_ms))
    folder = tempfile.mkdtemp(prefix="webhook-delay-")
    app = create_app(
        {
            "APP_ENV": "testing",
            "GIGSTACK_SANDBOX_URL": sandbox.api_url,
            "GIGSTACK_SANDBOX_KEY": sandbox.key("partner_test"),
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
            "FILES_DIR": folder,
        }
    )
    database.upgrade(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {sandbox.key('partner_test')}"
    try:
        team = sandbox.store.extras["seeded_team_ids"][3]
        url = f"http://127.0.0.1:{server.server_port}{PATH}"
        with app.app_context():
            lifecycle.start_unattended(SYNC, team=team, params={}, description="bench")
            app.extensions["jobs"].drain()
        # the webhook the team page's job makes (that job needs a staff member to start it)
        hook = {"url": url, "events": FOLLOWED, "description": DESCRIPTION}
        made = api.post(f"{sandbox.api_url}/webhooks", params={"team": team}, json=hook, timeout=30)
        made.raise_for_status()
        client_id = sandbox.store.all("clients", team, False)[0]["id"]
        if latency_ms:
            requests.put(
                f"{sandbox.origin}/_sandbox/faults", json={"latency_ms": latency_ms}, timeout=5
            ).raise_for_status()
        delays = []
        for number in range(changes):
            name = f"RENOMBRADO {number:05d}"
            changed = time.perf_counter()
            answer = api.put(
                f"{sandbox.api_url}/clients/{client_id}",
                params={"team": team},
                json={"legal_name": name},
                timeout=30,
            )
            answer.raise_for_status()
            while _name_of(app, team, client_id) != name:
                if time.perf_counter() - changed > 10:
                    raise SystemExit(f"change {number} never reached the index")
                time.sleep(0.001)
            delays.append(time.perf_counter() - changed)
        return delays
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["gigstack"].close()
        sandbox.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--latency", type=int, default=0, help="sandbox latency per answer, ms")
    args = parser.parse_args()
    delays = sorted(measure(args.changes, args.latency))
    p95 = delays[min(len(delays) - 1, int(len(delays) * 0.95))]
    print(
        f"webhook → searchable over {len(delays)} changes (sandbox latency {args.latency} ms): "
        f"p50 {statistics.median(delays) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {delays[-1] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
