"""gunicorn settings (Procfile). On the sandbox, the master starts ONE sandbox for all workers
and prepares the demo (database schema, demo admin). With a real key, the Procfile's release
phase migrates the database instead.

Workers are forked after ``on_starting``, so they inherit ``GIGSTACK_SANDBOX_URL`` / ``_KEY``
and all talk to the same sandbox state over loopback (DESIGN.md, "The sandbox").
"""

import os
import secrets

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
accesslog = "-"


def on_starting(server):
    if os.environ.get("GIGSTACK_API_KEY") or os.environ.get("GIGSTACK_SANDBOX_URL"):
        return
    from webapp.upstream import start_embedded_sandbox

    sandbox, api_url, key = start_embedded_sandbox(
        int(os.environ.get("SANDBOX_PORT", "0")), int(os.environ.get("SANDBOX_SCALE", "1")),
        os.environ.get("SANDBOX_KEY_NAME", "partner_test"))
    server.sandbox = sandbox  # keep a reference: the thread lives in the master
    os.environ["GIGSTACK_SANDBOX_URL"] = api_url
    os.environ["GIGSTACK_SANDBOX_KEY"] = key
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    server.log.info("sandbox for all workers at %s", api_url)
    # a demo deployment: migrate the database and ensure the demo admin once, before forking
    from webapp import create_app, database
    from webapp.auth.demo import ensure_demo_admin

    app = create_app()
    database.upgrade(app)
    server.log.info("demo admin: %s", ensure_demo_admin(app))
    app.extensions["gigstack"].client.close()
