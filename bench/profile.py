"""Where one request's CPU goes, page by page: cProfile over repeated requests in one process.

    python -m bench.profile                         # every page of bench.run.PAGES
    python -m bench.profile --only invoices --repeat 200 --top 20

The dashboard runs in production mode on an in-process sandbox without latency, one signed-in
admin asks each page ``--repeat`` times through Flask's test client (no socket, no gunicorn:
only the app's own work), and per page it prints the CPU per request and the functions that
took it (own time). ``make bench PROFILE=1`` samples the real server under load instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import re
import secrets
import tempfile
import time

from bench.run import CSRF, PAGES, PASSWORD, ROOT, ROUTER, Page


def build(scale: int, teams: int):
    """The app on its own sandbox, with one admin signed in through a test client."""
    from webapp.sandbox.server import start_sandbox

    sandbox = start_sandbox(test_mode=True, scale=scale, teams=teams)
    folder = tempfile.mkdtemp(prefix="backoffice-profile-")
    os.environ.update(
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        LOG_LEVEL="WARNING",
        DATABASE_URL=f"sqlite:///{folder}/profile.sqlite3",
        ALLOW_SQLITE="1",
        GIGSTACK_SANDBOX_URL=sandbox.api_url,
        GIGSTACK_SANDBOX_KEY=sandbox.key("partner_test"),
        JOBS_RATE_PER_SECOND="2000",  # the setup's sync reads the local sandbox, as make bench's
    )
    from webapp import create_app, database
    from webapp.auth.models import Staff
    from webapp.extensions import db

    app = create_app()
    database.upgrade(app)
    with app.app_context():
        staff = Staff(email="profile@backoffice.test", name="Profile", role="admin")
        staff.set_password(PASSWORD)
        db.session.add(staff)
        db.session.commit()
    # the search index synced, as ``make bench``'s setup does: the index pages (search, inbox,
    # REP monitor) are profiled with the rows they list there
    app.extensions["jobs"].reconcile_search()
    app.extensions["jobs"].drain()
    client = app.test_client()
    base = {"base_url": "https://backoffice.test", "headers": ROUTER}
    token = CSRF.search(client.get("/sign-in", **base).get_data(as_text=True)).group(1)
    client.post(
        "/sign-in",
        data={"csrf_token": token, "email": "profile@backoffice.test", "password": PASSWORD},
        headers={**ROUTER, "Referer": "https://backoffice.test/sign-in"},
        base_url="https://backoffice.test",
    )
    return sandbox, app, client


def ask(client, page: Page, csrf: str):
    headers = {**ROUTER, **page.headers, "Referer": "https://backoffice.test" + page.path}
    if page.form is None:
        return client.get(page.path, headers=headers, base_url="https://backoffice.test")
    return client.post(
        page.path,
        headers=headers,
        data={**page.form, "csrf_token": csrf},
        base_url="https://backoffice.test",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="cProfile of each page's own CPU")
    parser.add_argument("--only", default="")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--scale", type=int, default=40)
    parser.add_argument("--teams", type=int, default=0)
    args = parser.parse_args()
    sandbox, app, client = build(args.scale, args.teams)
    try:
        from bench.run import discover_ids

        class Adapter:  # discover_ids speaks to a Browser: answer through the test client
            def request(self, method, path, **kwargs):
                return client.open(
                    path, method=method, headers=ROUTER, base_url="https://backoffice.test"
                )

        ids = discover_ids(Adapter())
        # the sandbox's seeded data lives in this process: out of the collector's way, as
        # gunicorn's workers put what their app keeps (a full collection would walk it all)
        gc.collect()
        gc.freeze()
        for page in PAGES:
            if args.only not in page.name:
                continue
            page = Page(
                page.name,
                page.path.format(**ids),
                page.headers,
                page.upstream,
                {k: v.format(**ids) for k, v in page.form.items()} if page.form else None,
            )
            page_html = client.get("/teams/", headers=ROUTER, base_url="https://backoffice.test")
            csrf = CSRF.search(page_html.get_data(as_text=True)).group(1)
            ask(client, page, csrf)  # warm: caches, compiled templates, connections
            started = time.thread_time()
            for _ in range(args.repeat):
                ask(client, page, csrf).get_data()
            cpu = (time.thread_time() - started) * 1000 / args.repeat
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.repeat):
                ask(client, page, csrf).get_data()
            profile.disable()
            print(f"\n## {page.name}: {cpu:.2f} ms CPU per request (times below: under cProfile)")
            stats = pstats.Stats(profile)
            stats.sort_stats("tottime")
            width = len(str(ROOT)) + 1
            for (path, line, name), (_cc, calls, own, total, _) in sorted(
                stats.stats.items(), key=lambda item: -item[1][2]
            )[: args.top]:
                where = (
                    path[width:]
                    if path.startswith(str(ROOT))
                    else re.sub(r".*site-packages/", "", path)
                )
                print(
                    f"  {own * 1000 / args.repeat:6.3f} ms own {total * 1000 / args.repeat:7.3f}"
                    f" ms incl {calls / args.repeat:7.1f}× {where}:{line}({name})"
                )
    finally:
        app.extensions["gigstack"].close()
        sandbox.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
