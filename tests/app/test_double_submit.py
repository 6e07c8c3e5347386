"""Every form that is sent once creates once, whatever the setup: under gunicorn with two
workers and no Redis (the one-time tokens are claimed in the database: SQLite, PostgreSQL),
and with Redis, two identical POSTs at the same moment with the same form make exactly one
object upstream, counted through the API.

The forms are found by the crawl (:mod:`tests.app.crawl`): every form a page hands a one-time
token (``once``) or an idempotency key. Each needs an example below (what to type, how to
count what it makes); a form without one fails the test until it is given one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from tests.app.conftest import PASSWORD, add_staff, make_app
from tests.app.crawl import PostForm, TeamWalk, page_of
from tests.app.helpers import invoice_form, payment_form, receipt_form, walk_partner_team
from tests.app.test_production import browser_sign_in
from tests.support import stores
from tests.support.processes import gunicorn
from webapp.extensions import db
from webapp.jobs.models import Job

TOKENS = ("once", "idempotency_key")
ANSWERS = {200, 204, 302, 409}  # made, shown once, sent to what the first made, still under way


@dataclass(frozen=True)
class Example:
    """What to type into a form (``fill(ctx)``) and how many objects of its kind gigstack
    holds (``count(ctx)``); ``ctx`` has the API client, the stored data, the team and the
    form's own URL."""

    fill: Callable[[Any], dict[str, Any]]
    count: Callable[[Any], int]
    # the page (posting to itself) of the object the form is tried on, when the one the walk
    # came to first may not take it (a credit note of an invoice to the general public)
    at: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class Served:
    """The two-worker server: its URL, and how many jobs its database holds."""

    url: str
    jobs: Callable[[], int]


@dataclass
class Context:
    api: Any
    stored: Any
    team: str
    form: PostForm
    server: Served


def _client(ctx: Context) -> dict:
    return ctx.stored.one(
        "clients",
        ctx.team,
        tax_system="601",
        test=lambda c: c.get("is_valid") and not c["tax_id"].startswith("X"),
    )


def _client_invoice(ctx: Context) -> dict:
    """A valid income invoice to a client with a real RFC (one a credit note can relate to)."""
    return ctx.stored.one(
        "invoices",
        ctx.team,
        invoice_type="I",
        status="valid",
        test=lambda i: not i["client"]["tax_id"].startswith("X"),
    )


def _sale(ctx: Context, **over: str) -> dict[str, str]:
    return invoice_form(_client(ctx)["id"], **{"items-0-service": "", "replaces": "", **over})


def _total(list_call: Callable[..., Any]) -> Callable[[Context], int]:
    return lambda ctx: list_call(ctx)(limit=1, team=ctx.team).total_results


def _object_id(ctx: Context) -> str:
    """The id in the form's URL (``…/payments/<id>/refund``)."""
    return ctx.form.action.rstrip("/").split("/")[-2]


# a job is counted in the dashboard's own database (it is queued there, not in gigstack)
MONTH_JOB = Example(
    lambda ctx: {"kinds": "egress", "statuses": "valid"}, lambda ctx: ctx.server.jobs()
)

# a bulk action's confirmation starts one job (a cancel asks its motive and reason)
BULK_JOB = Example(
    lambda ctx: {"motive": "02", "reason": "doble clic"}, lambda ctx: ctx.server.jobs()
)
# the search index's sync: nothing to type, one job
SYNC_JOB = Example(lambda ctx: {}, lambda ctx: ctx.server.jobs())

EXAMPLES: dict[str, Example] = {
    "exports.month": MONTH_JOB,
    "partner_exports.month": MONTH_JOB,
    "bulk.download": BULK_JOB,
    "bulk.send": BULK_JOB,
    "bulk.cancel": BULK_JOB,
    "bulk.stamp": BULK_JOB,
    "clients.stamp_pending_receipts": Example(lambda ctx: {}, lambda ctx: ctx.server.jobs()),
    "team_search.sync": SYNC_JOB,
    "search.sync": SYNC_JOB,
    "clients.new": Example(
        lambda ctx: {
            "legal_name": "COMERCIALIZADORA DOBLE CLIC",
            "name": "Doble clic",
            "tax_id": "CDC150101AB2",
            "tax_system": "601",
            "use": "G03",
            "zip": "37000",
            "country": "MEX",
        },
        _total(lambda ctx: ctx.api.clients.list),
    ),
    "services.new": Example(
        lambda ctx: {
            "description": "Servicio de doble clic",
            "product_key": "84111500",
            "unit_key": "E48",
            "unit_name": "Servicio",
            "unit_price": "1500",
            "iva": "0.16",
        },
        _total(lambda ctx: ctx.api.services.list),
    ),
    "webhooks.new": Example(
        lambda ctx: {
            "url": "https://erp.example.mx/hooks/doble",
            "status": "active",
            "all_invoice": "y",
        },
        lambda ctx: len(list(ctx.api.webhooks.iter(team=ctx.team))),
    ),
    "users.new": Example(
        lambda ctx: {
            "email": "doble.clic@cumbredigital.mx",
            "first_name": "Doble",
            "last_name": "Clic",
            "role": "viewer",
        },
        _total(lambda ctx: ctx.api.users.list),
    ),
    "members.new": Example(
        lambda ctx: {"user": "diego.salas@nubenorte.mx", "role": "viewer"},
        lambda ctx: len(list(ctx.api.teams.members(ctx.team, team=ctx.team))),
    ),
    "series.new": Example(
        lambda ctx: {"series": "dc", "live": "0", "test": "0"},
        lambda ctx: len(ctx.api.teams.series(ctx.team, team=ctx.team)),
    ),
    "teams.new": Example(
        lambda ctx: {
            "alias": "Panadería Doble",
            "legal_name": "PANADERIA DOBLE",
            "tax_id": "PDO200101ABA",
            "tax_system": "601",
            "zip": "06700",
            "country": "MEX",
            "support_email": "hola@doble.mx",
        },
        lambda ctx: ctx.api.teams.list(limit=1).total_results,
    ),
    "invoices.new": Example(
        lambda ctx: _sale(ctx, series="A", action="stamp"),
        lambda ctx: ctx.api.invoices.list("income", limit=1, team=ctx.team).total_results,
    ),
    "invoices.new_egress": Example(
        lambda ctx: _sale(
            ctx,
            use="G02",
            series="",
            relationship="01",
            related_uuids=ctx.stored.one("invoices", ctx.team, invoice_type="I", status="valid")[
                "uuid"
            ],
            action="stamp",
        ),
        lambda ctx: ctx.api.invoices.list("egress", limit=1, team=ctx.team).total_results,
    ),
    "invoices.credit_note": Example(
        lambda ctx: {"action": "issue"},
        lambda ctx: ctx.api.invoices.list("egress", limit=1, team=ctx.team).total_results,
        at=lambda ctx: (
            f"/teams/{ctx.team}/invoices/{_client_invoice(ctx)['uuid']}/credit-note?type=income"
        ),
    ),
    "payments.new": Example(
        lambda ctx: payment_form(_client(ctx)["id"]), _total(lambda ctx: ctx.api.payments.list)
    ),
    "payments.request": Example(
        lambda ctx: payment_form(_client(ctx)["id"], methods="spei", automation_type="none"),
        _total(lambda ctx: ctx.api.payments.list),
    ),
    "payments.refund": Example(
        lambda ctx: {"amount": "1", "reason": "doble clic"},
        lambda ctx: len(ctx.api.payments.get(_object_id(ctx), team=ctx.team)["refunds"] or []),
    ),
    "receipts.new": Example(
        # its idempotency key is the one the page hands out
        lambda ctx: receipt_form("", **{"items-0-service": ""}),
        _total(lambda ctx: ctx.api.receipts.list),
    ),
}


def sent_once(crawled: TeamWalk) -> dict[str, PostForm]:
    """The forms a page hands a one-time token or an idempotency key, by the endpoint they
    post to (an edit form with an empty token is not one)."""
    return {
        endpoint: post
        for endpoint, post in sorted(crawled.posts.items())
        if any(post.form.sent().get(name) for name in TOKENS)
    }


@pytest.fixture(scope="module")
def once_forms(sandbox, keys) -> dict[str, PostForm]:
    """Every form sent once, found by walking the partner team's pages."""
    return sent_once(walk_partner_team(sandbox, keys, "forms@staff.test"))


@pytest.fixture
def two_workers(sandbox, keys, tmp_path, request) -> Iterator[Served]:
    """gunicorn with two workers on the session's sandbox and a database (``param``: a SQLite
    file, ``postgresql``, or a SQLite file and ``redis``), an admin of it made."""
    if request.param == "postgresql":
        database = stores.postgres_migrated_url()
    else:
        database = f"sqlite:///{tmp_path / 'backoffice.sqlite3'}"
    setup = make_app(sandbox.api_url, keys["partner_test"]["key"], DATABASE_URL=database)
    add_staff(setup, "double@staff.test", "admin")
    setup.extensions["gigstack"].close()

    def jobs() -> int:
        with setup.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(Job))

    settings = {
        "WEB_CONCURRENCY": "2",
        "SECRET_KEY": "d" * 48,
        "DATABASE_URL": database,
        "GIGSTACK_SANDBOX_URL": sandbox.api_url,
        "GIGSTACK_SANDBOX_KEY": keys["partner_test"]["key"],
    }
    if request.param == "redis":
        settings["REDIS_URL"] = stores.redis_url()
    with gunicorn(**settings) as server:
        yield Served(server.url, jobs)


def _at_once(url: str, cookies: Any, data: dict[str, Any]) -> list[int]:
    """Two POSTs of ``data`` released together, each on its own connection."""
    start = threading.Barrier(2)
    answers: list[int] = []

    def post() -> None:
        with requests.Session() as browser:
            browser.cookies.update(cookies)
            start.wait(timeout=10)
            answers.append(
                browser.post(url, data=data, allow_redirects=False, timeout=30).status_code
            )

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.parametrize("two_workers", ["sqlite", "postgresql", "redis"], indirect=True)
def test_two_identical_posts_at_once_make_one_object_on_every_form(
    two_workers, once_forms, api, stored, teams, frozen_clock, restore_sandbox
):
    missing = sorted(set(once_forms) - set(EXAMPLES))
    assert not missing, f"forms sent once without an example here: {missing}"
    assert len(once_forms) >= 14
    browser = browser_sign_in(two_workers.url, "double@staff.test", PASSWORD)
    made: dict[str, int] = {}
    odd: dict[str, list[int]] = {}
    for endpoint, post in once_forms.items():
        ctx = Context(api, stored, teams["partner"], post, two_workers)
        example = EXAMPLES[endpoint]
        at = example.at(ctx) if example.at else None
        page_url, action = (at, at) if at else (post.page, post.action)
        page = browser.get(two_workers.url + page_url, timeout=30).text
        forms = page_of(page, page_url).forms
        [form] = [f for f in forms if f.method == "POST" and f.action == action]
        data = form.data(**example.fill(ctx))
        data |= {name: value for name in TOKENS if (value := form.sent().get(name))}
        before = example.count(ctx)
        answers = _at_once(two_workers.url + action, browser.cookies, data)
        made[endpoint] = example.count(ctx) - before
        if not set(answers) <= ANSWERS:
            odd[endpoint] = answers
    assert made == dict.fromkeys(once_forms, 1)  # one object each: no duplicate, none lost
    assert not odd
