"""``python -m webapp.jobs`` — a jobs worker: the Procfile's ``worker:`` process (scale it
with ``heroku ps:scale worker=N``: every worker takes from one Redis queue), and the worker
``make run`` starts beside the web server (on the SQLite queue under ``instance/``)."""

from __future__ import annotations

import logging
import os
import sys

from webapp import logs
from webapp.factory import create_app

from .kinds import load_kinds


def main() -> int:
    logs.configure(os.environ.get("LOG_FORMAT") or "text", os.environ.get("LOG_LEVEL", "INFO"))
    app = create_app()
    load_kinds()
    jobs = app.extensions["jobs"]
    threads = int(os.environ.get("JOBS_WORKER_THREADS", "2"))
    logging.getLogger(__name__).info(
        "jobs worker: %d thread(s), queue %s, files in %s, gigstack: %s",
        threads,
        jobs.url.split("://", 1)[0],
        jobs.store.where,
        app.extensions["gigstack"].label,
    )
    jobs.consumer(workers=threads).run()
    app.extensions["gigstack"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
