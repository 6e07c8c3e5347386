"""Anything typed into a URL or form gets a page or a field message, never a 500 — on SQLite
and on PostgreSQL, which refuses NUL bytes and integers past 2**31 - 1 that SQLite takes.

The shell's forms are named here one by one; the team screens are found by walking the pages
(:mod:`tests.app.crawl`) and attacked whole (:mod:`tests.app.attack`), so a new screen is
covered without anyone remembering to add it."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import request
from hypothesis import given
from markupsafe import Markup

from tests.app.attack import Findings, attack, targets_of
from tests.app.conftest import add_staff, csrf_token, make_app, sign_in
from tests.app.crawl import Form, crawl
from tests.app.helpers import one_finished_job, sync_team
from tests.app.hostile import HOSTILE_SETTINGS, NASTY, no_server_error
from webapp.audit.models import AuditEntry
from webapp.auth.access import PUBLIC, SIGNED_IN, access_of, requires
from webapp.auth.models import Staff
from webapp.auth.roles import Role
from webapp.extensions import db

pytestmark = pytest.mark.databases  # and on PostgreSQL

NOT_ALLOWED = "Contiene un carácter que no se permite aquí."


def field_errors(html: str, field_id: str) -> str:
    block = re.search(rf'id="{field_id}".*?(?=<div class="field|</form>)', html, re.S)
    assert block, f"no field #{field_id}"
    return block.group(0)


# -- NUL bytes never reach the database ------------------------------------------------------


def test_a_nul_in_the_sign_in_email_is_a_field_message_anonymously(app, client):
    token = csrf_token(client)
    answer = client.post(
        "/sign-in",
        data={"csrf_token": token, "email": "ana\x00@staff.test", "password": "whatever it is"},
    )
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert NOT_ALLOWED in field_errors(html, "email")
    assert 'value="ana@staff.test"' in html  # kept, without the NUL
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_nul_bytes_do_not_count_against_the_sign_in_limits(app, client):
    for _ in range(12):
        token = csrf_token(client)
        answer = client.post(
            "/sign-in",
            data={"csrf_token": token, "email": "x\x00@y.test", "password": "whatever it is"},
        )
        assert answer.status_code == 400


@pytest.mark.parametrize("param", ["team", "action", "staff"])
def test_a_nul_in_an_audit_filter_is_said_and_not_applied(admin, param):
    answer = admin.get(f"/audit/?{param}=a%00b")
    assert answer.status_code == 200
    assert NOT_ALLOWED in field_errors(answer.get_data(as_text=True), param)
    assert admin.get(f"/audit/export.csv?{param}=a%00b").status_code == 200


def test_a_nul_in_the_staff_search_is_said_and_not_searched(admin):
    answer = admin.get("/staff/?q=ana%00")
    assert answer.status_code == 200
    assert NOT_ALLOWED in field_errors(answer.get_data(as_text=True), "q")


def test_a_nul_in_a_new_staff_members_fields_keeps_the_rest(app, admin):
    token = csrf_token(admin, "/staff/new")
    answer = admin.post(
        "/staff/new",
        data={
            "csrf_token": token,
            "email": "nul@staff.test",
            "name": "Ana\x00 Pérez",
            "role": "viewer",
            "password": "a long enough passphrase",
            "confirm": "a long enough passphrase",
        },
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert NOT_ALLOWED in field_errors(html, "name")
    assert 'value="nul@staff.test"' in html and 'value="Ana Pérez"' in html
    with app.app_context():
        assert Staff.by_email("nul@staff.test") is None


def test_a_nul_team_switch_is_refused_and_audited_without_the_nul(app, admin):
    token = csrf_token(admin, "/audit/")
    answer = admin.post("/team", data={"csrf_token": token, "team": "team\x00x"})
    assert answer.status_code == 403
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "team.switch")
        ).one()
    assert entry.object_id == "team\ufffdx" and entry.outcome == "team_out_of_scope"


# -- numbers, dates and ids from the URL -----------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "before=²³",
        "before=99999999999999999999",
        "before=0",
        "before=-5",
        "staff=²³",
        "staff=99999999999999999999",
        "date_to=9999-12-31",
        "date_from=0001-01-01",
        "date_from=9999-12-31&date_to=9999-12-31",
        "date_to=0001-01-01",
    ],
)
def test_audit_numbers_and_dates_out_of_range_are_pages_not_errors(admin, query):
    assert admin.get(f"/audit/?{query}").status_code == 200
    assert admin.get(f"/audit/export.csv?{query}").status_code == 200


@pytest.mark.parametrize(
    "path", ["/staff/99999999999999999999/edit", "/staff/2147483648/edit", "/staff/0/edit"]
)
def test_staff_ids_no_row_can_have_are_not_found(admin, path):
    assert admin.get(path).status_code == 404


@pytest.mark.parametrize(
    "next_value", ["/audit/\r\nSet-Cookie: x=1", "/audit/\n", "/\x00audit/", "/audit/\t"]
)
def test_a_next_with_control_characters_goes_to_a_safe_page(app, client, admin, next_value):
    from tests.app.conftest import add_staff

    add_staff(app, "next@staff.test")
    token = csrf_token(client)
    signed = client.post(
        "/sign-in",
        data={
            "csrf_token": token,
            "email": "next@staff.test",
            "password": "correct horse battery staple",
            "next": next_value,
        },
    )
    assert signed.status_code == 302 and signed.headers["Location"] == "/"
    assert client.get("/sign-in?next=" + quote(next_value)).status_code == 302
    token = csrf_token(admin, "/audit/")
    for path, data in [
        ("/account/language", {"locale": "en"}),
        ("/team", {"team": app.extensions["gigstack"].key_info.team}),
    ]:
        answer = admin.post(path, data={"csrf_token": token, "next": next_value, **data})
        assert answer.status_code == 302, path
        assert "\n" not in answer.headers["Location"] and "\r" not in answer.headers["Location"]


# -- property-based: whatever is typed, no 500 ------------------------------------------------


@HOSTILE_SETTINGS
@given(email=NASTY, password=NASTY, next_value=NASTY)
def test_sign_in_form_survives_anything(client, email, password, next_value):
    token = csrf_token(client)
    no_server_error(
        client.post(
            "/sign-in",
            data={"csrf_token": token, "email": email, "password": password, "next": next_value},
        ),
        "sign-in",
    )


@HOSTILE_SETTINGS
@given(staff=NASTY, team=NASTY, action=NASTY, date_from=NASTY, date_to=NASTY, before=NASTY)
def test_audit_filters_survive_anything(admin, staff, team, action, date_from, date_to, before):
    query = {
        "staff": staff,
        "team": team,
        "action": action,
        "date_from": date_from,
        "date_to": date_to,
        "before": before,
    }
    no_server_error(admin.get("/audit/", query_string=query), "audit")
    no_server_error(admin.get("/audit/export.csv", query_string=query), "audit export")


@HOSTILE_SETTINGS
@given(q=NASTY, role=NASTY, switcher=NASTY)
def test_searches_survive_anything(admin, q, role, switcher):
    no_server_error(admin.get("/staff/", query_string={"q": q, "role": role}), "staff")
    no_server_error(
        admin.get("/team/options", query_string={"q": switcher}, headers={"HX-Request": "true"}),
        "switcher",
    )


@HOSTILE_SETTINGS
@given(email=NASTY, name=NASTY, role=NASTY, password=NASTY, teams=NASTY)
def test_staff_form_survives_anything(admin, email, name, role, password, teams):
    token = csrf_token(admin, "/staff/new")
    no_server_error(
        admin.post(
            "/staff/new",
            data={
                "csrf_token": token,
                "email": email,
                "name": name,
                "role": role,
                "password": password,
                "confirm": password,
                "teams": teams,
            },
        ),
        "staff create",
    )


@HOSTILE_SETTINGS
@given(team=NASTY, locale=NASTY, next_value=NASTY)
def test_switch_and_language_survive_anything(admin, team, locale, next_value):
    token = csrf_token(admin, "/audit/")
    no_server_error(
        admin.post("/team", data={"csrf_token": token, "team": team, "next": next_value}),
        "team switch",
    )
    no_server_error(
        admin.post(
            "/account/language", data={"csrf_token": token, "locale": locale, "next": next_value}
        ),
        "language",
    )


# -- the team screens --------------------------------------------------------------------------


@HOSTILE_SETTINGS
@given(q=NASTY, sort=NASTY, tab=NASTY, page=NASTY)
def test_team_directory_survives_anything(admin, q, sort, tab, page):
    query = {"q": q, "sort": sort, "tab": tab, "page": page}
    no_server_error(admin.get("/teams/", query_string=query), "directory")
    no_server_error(admin.get("/teams/export.csv", query_string=query), "directory export")
    no_server_error(admin.get("/teams/regimes", query_string={"tax_id": q}), "regimes")


@HOSTILE_SETTINGS
@given(team=NASTY, rest=NASTY)
def test_team_ids_in_urls_survive_anything(admin, team, rest):
    answer = admin.get(f"/teams/{quote(team, safe='')}/{quote(rest, safe='')}")
    no_server_error(answer, "team url")
    assert answer.status_code in (200, 301, 302, 308, 400, 404, 405)


@HOSTILE_SETTINGS
@given(q=NASTY, role=NASTY, cursor=NASTY, live=NASTY, test=NASTY)
def test_team_lists_and_previews_survive_anything(admin, teams, q, role, cursor, live, test):
    base = f"/teams/{teams['partner']}"
    no_server_error(admin.get(f"{base}/users/", query_string={"q": q, "role": role}), "users")
    no_server_error(admin.get(f"{base}/users/", query_string={"next": cursor}), "users cursor")
    series = admin.get(f"{base}/series/").get_data(as_text=True)
    series_id = re.search(r"/series/([^/\"]+)/edit", series).group(1)
    no_server_error(
        admin.get(
            f"{base}/series/{series_id}/edit",
            query_string={"live": live, "test": test},
            headers={"HX-Request": "true", "HX-Target": "series-preview"},
        ),
        "series preview",
    )


@HOSTILE_SETTINGS
@given(alias=NASTY, legal_name=NASTY, tax_id=NASTY, regime=NASTY, email=NASTY, color=NASTY)
def test_team_forms_survive_anything(admin, teams, alias, legal_name, tax_id, regime, email, color):
    """Always one refused field (the postal code), so nothing is ever written upstream."""
    token = csrf_token(admin, "/teams/new")
    data = {
        "csrf_token": token,
        "alias": alias,
        "legal_name": legal_name,
        "tax_id": tax_id,
        "tax_system": regime,
        "support_email": email,
        "primary_color": color,
        "zip": "ABCDE",
        "once": alias,
    }
    for path in ("/teams/new", f"/teams/{teams['subs'][0]}/edit"):
        answer = admin.post(path, data=data)
        no_server_error(answer, path)
        assert answer.status_code == 422
    settings = {
        "csrf_token": token,
        "product_key": "1",
        "default_description": alias,
        "emails-invoices_bcc": email,
        "use": regime,
        "eom_ppd_threshold_days": tax_id,
        "avoid_receipts": color,
    }
    answer = admin.post(f"/teams/{teams['subs'][0]}/settings", data=settings)
    no_server_error(answer, "settings")
    assert answer.status_code == 422


# -- clients, services and the catalogue pickers ------------------------------------------------


@HOSTILE_SETTINGS
@given(q=NASTY, validity=NASTY, efos=NASTY, persona=NASTY, sort=NASTY)
def test_client_lists_survive_anything(admin, teams, q, validity, efos, persona, sort):
    base = f"/teams/{teams['partner']}/clients/"
    query = {"q": q, "validity": validity, "efos": efos, "persona": persona, "sort": sort}
    no_server_error(admin.get(base, query_string=query), "clients")
    no_server_error(admin.get(base + "export.csv", query_string=query), "clients export")


@HOSTILE_SETTINGS
@given(q=NASTY, field=NASTY, price=NASTY, iva=NASTY, ieps=NASTY)
def test_services_and_pickers_survive_anything(admin, teams, q, field, price, iva, ieps):
    base = f"/teams/{teams['partner']}/services/"
    no_server_error(admin.get(base, query_string={"q": q}), "services")
    for catalogue in ("product-keys", "unit-keys"):
        no_server_error(
            admin.get(f"/catalogs/{catalogue}", query_string={"field": field, "q": q}), catalogue
        )
    no_server_error(
        admin.get(
            base + "new",
            query_string={"unit_price": price, "iva": iva, "ieps": ieps, "product_key": q},
            headers={"HX-Request": "true", "HX-Target": "price-preview"},
        ),
        "price preview",
    )


@HOSTILE_SETTINGS
@given(legal_name=NASTY, tax_id=NASTY, regime=NASTY, use=NASTY, email=NASTY, bcc=NASTY)
def test_client_form_survives_anything(admin, teams, legal_name, tax_id, regime, use, email, bcc):
    """Always one refused field (the postal code), so nothing is ever written upstream."""
    token = csrf_token(admin, "/audit/")
    answer = admin.post(
        f"/teams/{teams['partner']}/clients/new",
        data={
            "csrf_token": token,
            "legal_name": legal_name,
            "tax_id": tax_id,
            "tax_system": regime,
            "use": use,
            "email": email,
            "bcc": bcc,
            "zip": "ABCDE",
        },
    )
    no_server_error(answer, "client create")
    assert answer.status_code == 422


# -- covered by construction: the targets found by walking the pages ---------------------------


def _form(action: str, method: str = "POST", **fields: str) -> Form:
    form = Form(method, action)
    if method == "POST":
        form.add("csrf_token", "hidden", "")
    for name, value in fields.items():
        form.add(name, "text", value)
    return form


# routes no signed-in page links to, and a form that reaches each (a route in neither the
# walk nor this table fails the test until it is given one)
EXAMPLES: dict[str, Callable[[str], Form]] = {
    "auth.sign_in": lambda team: _form("/sign-in", email="ana@staff.test", password="x", next="/"),
    "health.healthz": lambda team: _form("/healthz", method="GET"),
    "health.readyz": lambda team: _form("/readyz", method="GET"),
    "shell.favicon": lambda team: _form("/favicon.ico", method="GET"),
    "shell.unpin": lambda team: _form("/team/unpin", team=team, next="/"),
    "clients.confirm_csf": lambda team: _form(f"/teams/{team}/clients/csf/confirm", token=""),
    # a retry shows on a job with failed items only; the walk's job (1) finished clean
    "jobs.retry": lambda team: _form(f"/teams/{team}/jobs/1/retry"),
    "all_jobs.retry": lambda team: _form("/jobs/1/retry"),
    # gigstack's webhook events: no page posts there (a form body is no event: ignored)
    "hooks.gigstack": lambda team: _form("/hooks/gigstack", type="customer.updated", team=team),
}
# each example is a request: enough of them to find what the issue found by hand, few enough
# to keep the suite quick
EXAMPLES_PER = {"form": 8, "query": 5, "id": 4}


@pytest.fixture
def upstream_writes(sandbox) -> Iterator[list[tuple[str, str, int]]]:
    """(method, path, status) of every request the sandbox answers."""
    seen: list[tuple[str, str, int]] = []
    inner = sandbox.app.wsgi_app

    def recording(environ, start_response):
        def start(status, headers, *rest):
            seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], int(status[:3])))
            return start_response(status, headers, *rest)

        return inner(environ, start)

    sandbox.app.wsgi_app = recording
    yield seen
    sandbox.app.wsgi_app = inner


def walk_and_attack(app, browsers, seeds, upstream, *, skip=lambda url: False, forms=()):
    """Walk from ``seeds`` as an admin, then attack every target found (and ``forms``) as the
    lowest role each route allows; returns the walk, the targets, what went wrong and the
    routes neither the walk nor ``forms`` reached."""
    walked = crawl(app, browsers["crawler"], seeds, skip=skip)
    findings = Findings()
    findings.server_errors += [f"GET {u} → {s}" for u, s in walked.pages.items() if s >= 500]
    tokens = {
        who: csrf_token(browser, "/sign-in" if who == PUBLIC else "/audit/")
        for who, browser in browsers.items()
    }
    targets = targets_of(app, walked, forms)
    for target in targets:
        who = access_of(app, target.endpoint)
        attack(target, browsers[who], tokens[who], findings, upstream, EXAMPLES_PER[target.kind])
    routes = {rule.endpoint for rule in app.url_map.iter_rules()}
    unreached = sorted(routes - walked.endpoints - {endpoint for endpoint, _form in forms})
    return walked, targets, findings, unreached


def _browsers(client, signed_in) -> dict:
    return {
        PUBLIC: client,
        SIGNED_IN: signed_in("viewer"),  # its own session: sign-out, language, team switch
        **{role: signed_in(role.value) for role in Role},
        "crawler": signed_in("admin"),
    }


# the walk grows with the app by construction (~1,000 requests with the bulk actions' pages,
# ~100 s on a busy 2-core machine): more room than the suite's 120 s
@pytest.mark.timeout(300)
def test_every_page_form_query_and_id_the_pages_reach_survives_anything(
    app, client, signed_in, teams, upstream_writes, frozen_clock, restore_sandbox
):
    """Walk a seeded team's pages as an admin (at the seed's time, so its pending receipts are
    pending), then attack every form, query parameter and object id found as the lowest role
    allowed: never a 5xx, never typed markup shown as markup, never a write accepted upstream
    for a request the dashboard refused, an id that is no id always 404. A route no page
    reaches fails until EXAMPLES has it."""
    started = time.monotonic()
    team = teams["partner"]
    spare = add_staff(app, "spare@staff.test")  # the only staff row edited
    # the webhook registration buttons show only with a public address
    app.config["PUBLIC_BASE_URL"] = "https://backoffice.example.mx"
    assert set(EXAMPLES) <= {rule.endpoint for rule in app.url_map.iter_rules()}
    browsers = _browsers(client, signed_in)
    one_finished_job(app, browsers["crawler"], team)  # a job's pages
    sync_team(app, browsers["crawler"], team)  # the index filled: the inbox's rows and verbs
    walked, targets, findings, unreached = walk_and_attack(
        app,
        browsers,
        ["/", f"/teams/{team}/", "/teams/", "/audit/", "/staff/"],
        upstream_writes,
        # one team's pages (the others' are the same screens), one staff member's
        skip=lambda url: bool(
            re.match(rf"/teams/(?!{team}/)[^/]+/.", url)
            or re.match(rf"/staff/(?!{spare}/)\d+/", url)
        ),
        forms=[(endpoint, example(team)) for endpoint, example in EXAMPLES.items()],
    )
    print(
        f"\nhostile walk: {len(walked.pages)} pages, {len(walked.endpoints)} endpoints "
        f"reached, {len(targets)} targets ({Counter(t.kind for t in targets)}), "
        f"{findings.submissions} submissions, {len(findings.server_errors)} 5xx, "
        f"{len(findings.reflections)} reflections, {len(findings.upstream_changes)} "
        f"refused-but-written, {time.monotonic() - started:.1f} s"
    )
    unexampled = [f"no page reaches {endpoint}: give it an example" for endpoint in unreached]
    problems = [*unexampled, *findings.failures()]
    assert not problems, "\n".join(problems)


def test_the_walk_finds_what_a_new_route_gets_wrong(sandbox, keys, upstream_writes):
    """A doctored app: a page linking a form whose view crashes on a number, one that shows
    what it was sent as markup, and a route no page links to — the walk reports all three."""
    app = make_app(sandbox.api_url, keys["partner_test"]["key"])

    @requires(Role.VIEWER)
    def probe_page():
        return (
            '<form method="post" action="/probe/sum"><input name="csrf_token" value="">'
            '<input type="number" name="amount" value="1"></form>'
            '<form method="post" action="/probe/echo"><input name="csrf_token" value="">'
            '<input name="note" value=""></form>'
        )

    @requires(Role.OPERATOR)
    def probe_sum():
        try:
            amount = float(request.form["amount"])
        except ValueError:
            amount = 0.0
        return str(int(amount))  # the mistake: ∞ and NaN are floats int() refuses

    @requires(Role.OPERATOR)
    def probe_echo():
        return Markup(f"<p>{request.form['note']}</p>")  # the mistake: what was sent, as HTML

    app.add_url_rule("/probe/", "probe_page", probe_page)
    app.add_url_rule("/probe/sum", "probe_sum", probe_sum, methods=["POST"])
    app.add_url_rule("/probe/echo", "probe_echo", probe_echo, methods=["POST"])
    app.add_url_rule("/probe/hidden", "probe_hidden", requires(Role.VIEWER)(lambda: "hidden"))
    roles = {PUBLIC: None, SIGNED_IN: "viewer", **{r: r.value for r in Role}, "crawler": "admin"}
    browsers = {who: app.test_client() for who in roles}
    for who, role in roles.items():
        if role is not None:
            add_staff(app, f"{who}@staff.test", role)
            assert sign_in(browsers[who], f"{who}@staff.test").status_code == 302
    try:
        walked, _targets, findings, unreached = walk_and_attack(
            app, browsers, ["/probe/"], upstream_writes
        )
    finally:
        app.extensions["gigstack"].close()
    assert {"probe_page", "probe_sum", "probe_echo"} <= walked.endpoints
    assert "probe_hidden" in unreached and "probe_echo" not in unreached
    assert any(error.startswith("probe_sum") for error in findings.server_errors)
    assert any(shown.startswith("probe_echo") for shown in findings.reflections)
