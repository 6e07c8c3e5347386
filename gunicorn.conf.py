"""gunicorn settings (Procfile), sized for a Heroku-like dyno behind a 30 s router.

Pages wait on gigstack far more than they compute, so each worker runs many threads (gthread):
a thread waiting on the network costs little memory, and 2 workers × 16 threads keep 32
requests in flight in well under 512 MB (measured by ``make bench``). The gigstack client's
pool holds as many connections as a worker has threads (``GIGSTACK_POOL_MAXSIZE``).

The master checks the settings before forking (an impossible setting is a one-line error),
makes sure every worker signs sessions with one ``SECRET_KEY``, and on the sandbox starts ONE
sandbox for all workers and prepares the demo (schema, demo admin). With a real key, the
Procfile's release phase migrates the database instead.
"""

import gc
import os
import secrets

from webapp.logs import gunicorn_logconfig

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
# under the router's 30 s: a stuck worker is replaced before the router gives up on it
timeout = 25
# on SIGTERM (a deploy or a restart), requests in flight get 20 s to finish; the platform
# sends SIGKILL after 30 s
graceful_timeout = 20
keepalive = 5
# recycle workers now and then, staggered, so a slow leak never reaches the dyno's limit
max_requests = 20000
max_requests_jitter = 2000
# the app logs one line per request itself, with its request id and upstream calls
accesslog = None
logconfig_dict = gunicorn_logconfig(
    os.environ.get("LOG_FORMAT") or
    ("json" if os.environ.get("APP_ENV") == "production" else "text"),
    os.environ.get("LOG_LEVEL", "INFO"))


def _share_secret_key(server) -> None:
    """Workers each build their own app: without one SECRET_KEY in the environment, each would
    invent its own and reject the sessions the others signed."""
    if os.environ.get("SECRET_KEY"):
        return
    from webapp import config

    config.check(config.load())  # production or a real key: refuse, naming SECRET_KEY
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)
    server.log.warning("SECRET_KEY is not set: using a random one for this run "
                       "(sessions end when the server restarts)")


def on_starting(server):
    _share_secret_key(server)
    demo = not (os.environ.get("GIGSTACK_API_KEY") or os.environ.get("GIGSTACK_SANDBOX_URL"))
    if demo:
        from webapp.upstream import start_embedded_sandbox

        sandbox, api_url, key = start_embedded_sandbox(
            int(os.environ.get("SANDBOX_PORT", "0")), int(os.environ.get("SANDBOX_SCALE", "1")),
            os.environ.get("SANDBOX_KEY_NAME", "partner_test"),
            int(os.environ.get("SANDBOX_TEAMS", "0")))
        server.sandbox = sandbox  # keep a reference: the thread lives in the master
        os.environ["GIGSTACK_SANDBOX_URL"] = api_url
        os.environ["GIGSTACK_SANDBOX_KEY"] = key
        server.log.info("sandbox for all workers at %s", api_url)
    from webapp import create_app, database

    # builds the app once before forking: bad settings, or a database or Redis that does not
    # answer, stop the master here with one line instead of failing in every worker
    app = create_app()
    if demo:  # a demo deployment: migrate the database and ensure the demo admin once
        from webapp.auth.demo import ensure_demo_admin

        database.upgrade(app)
        server.log.info("demo admin: %s", ensure_demo_admin(app))
    app.extensions["gigstack"].client.close()
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()  # no connection crosses the fork


def post_worker_init(worker):
    """The worker's app is built: what it keeps for good (modules, compiled templates, the
    catalogues) leaves the collector's generations, so a full collection during a request
    walks only what requests made; and the list of teams starts loading behind the scenes,
    so the first pages find it at hand."""
    gc.freeze()
    directory = getattr(worker.wsgi, "extensions", {}).get("team_directory")
    if directory is not None:
        directory.warm()
