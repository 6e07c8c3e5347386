"""The benchmark: start a sandbox (``--scale``) and the dashboard, time pages and API lists.

    python -m bench.run --scale 40 --requests 30

Prints one table: per target, requests, p50 / p95 / max in milliseconds. Traffic stays on
loopback; every loop is bounded by ``--requests``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import threading
import time

import requests
from werkzeug.serving import make_server

from webapp import create_app, database
from webapp.auth.models import Staff
from webapp.extensions import db
from webapp.sandbox import start_sandbox
from webapp.sandbox.server import QuietRequestHandler

API_TARGETS = [
    ("GET /teams", "/teams", {"limit": 100}),
    ("GET /clients", "/clients", {"limit": 100}),
    ("GET /invoices/income", "/invoices/income", {"limit": 100}),
    ("GET /invoices/income?status=cancelled", "/invoices/income",
     {"limit": 100, "status": "cancelled"}),
    ("GET /invoices/search?q=A-1", "/invoices/search", {"q": "A-1"}),
    ("GET /payments", "/payments", {"limit": 100}),
    ("GET /receipts", "/receipts", {"limit": 100}),
]
PAGE_TARGETS = [
    ("page / (home: team + invoices + clients)", "/"),
    ("page /teams/", "/teams/"),
    ("page /audit/", "/audit/"),
    ("fragment /team/options?q=kemper", "/team/options?q=kemper"),
]
BENCH_EMAIL = "bench@backoffice.test"
BENCH_PASSWORD = "bench-password-not-secret"


def timed(session: requests.Session, url: str, params: dict, headers: dict,
          count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, params=params, headers=headers, timeout=30)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            raise SystemExit(f"{url} answered {response.status_code}: {response.text[:200]}")
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description="gigstack back office benchmark")
    parser.add_argument("--scale", type=int, default=40)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    started = time.perf_counter()
    sandbox = start_sandbox(scale=args.scale)
    seeded = time.perf_counter() - started
    invoices = len(sandbox.store.objects["invoices"])
    key = sandbox.key("partner_test")
    app = create_app({"GIGSTACK_SANDBOX_URL": sandbox.api_url, "GIGSTACK_SANDBOX_KEY": key,
                      "SECRET_KEY": "bench", "DATABASE_URL": "sqlite://"})
    database.upgrade(app)
    with app.app_context():
        staff = Staff(email=BENCH_EMAIL, name="Bench", role="admin")
        staff.set_password(BENCH_PASSWORD)
        db.session.add(staff)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True,
                         request_handler=QuietRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app_origin = f"http://127.0.0.1:{server.server_port}"

    print(f"sandbox scale {args.scale}: {invoices} invoices, seeded in {seeded:.2f} s")
    session = requests.Session()
    auth = {"Authorization": f"Bearer {key}"}
    rows = []
    for label, path, params in API_TARGETS:
        rows.append((label, timed(session, sandbox.api_url + path, params, auth, args.requests)))
    browser = requests.Session()
    form = browser.get(app_origin + "/sign-in", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    signed = browser.post(app_origin + "/sign-in", allow_redirects=False, timeout=30, data={
        "csrf_token": token, "email": BENCH_EMAIL, "password": BENCH_PASSWORD})
    if signed.status_code != 302:
        raise SystemExit(f"bench sign-in failed: {signed.status_code}")
    for label, path in PAGE_TARGETS:
        rows.append((label, timed(browser, app_origin + path, {}, {}, args.requests)))
    print(f"{'target':<42} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, samples in rows:
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        print(f"{label:<42} {len(samples):>4} {statistics.median(samples):>8.1f} "
              f"{p95:>8.1f} {ordered[-1]:>8.1f}")
    server.shutdown()
    sandbox.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
