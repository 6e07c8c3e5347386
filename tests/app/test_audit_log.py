"""The audit log: what is recorded (and when, by whom, on which team), who may read it, its
filters in the URL, htmx fragment, cursor pagination and the CSV export.

Times are controlled through ``app.config["CLOCK"]``; entries for the list tests are written
with :func:`webapp.audit.record` as the views do.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask_login import login_user

from tests.app.conftest import add_staff, csrf_token, sign_in
from tests.app.helpers import input_value, read_csv, said
from webapp.api import unscoped_api
from webapp.audit import audited, record
from webapp.audit.models import AuditEntry
from webapp.auth.models import Staff
from webapp.extensions import db
from webapp.gigstack import NotFound

pytestmark = pytest.mark.databases  # and on PostgreSQL

T0 = datetime(2026, 5, 20, 18, 0, tzinfo=UTC)  # 12:00 in Mexico City
RANGE_ERROR = "“Hasta” debe ser igual o posterior a “Desde”."

ROW = re.compile(
    r"<tr>\s*<td>(?P<when>.*?)</td>\s*<td>(?P<who>.*?)</td>\s*"
    r'<td class="team">(?P<team>.*?)</td>\s*<td class="mono">(?P<action>.*?)</td>\s*'
    r"<td>(?P<object>.*?)</td>\s*<td>(?P<outcome>.*?)</td>\s*<td>(?P<reason>.*?)</td>\s*</tr>",
    re.S,
)


# -- helpers -------------------------------------------------------------------------------


class Clock:
    """A settable "now" for the app (epoch seconds)."""

    def __init__(self, at: datetime) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, at: datetime) -> None:
        self.now = at.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(app) -> Clock:
    clock = Clock(T0)
    app.config["CLOCK"] = clock
    return clock


def _staff(app, email: str) -> Staff:
    with app.app_context():
        staff = Staff.by_email(email)
        db.session.expunge(staff)
        return staff


def write(
    app, clock: Clock, at: datetime, action: str, *, email: str | None = None, **fields
) -> int:
    """One entry as a view would record it, at ``at``; returns its id."""
    clock.set(at)
    with app.app_context():
        staff = Staff.by_email(email) if email else None
        return record(action, staff=staff, actor=None if staff else "system", **fields).id


def entries(app, **where) -> list[AuditEntry]:
    with app.app_context():
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def rows(html: str) -> list[dict[str, str]]:
    table = re.search(r'<table class="table" id="audit-table">(.*?)</table>', html, re.S)
    assert table, "no audit table"
    return [
        {k: html_lib.unescape(v.strip()) for k, v in m.groupdict().items()}
        for m in ROW.finditer(table.group(1))
    ]


def object_ids(html: str) -> list[str]:
    return [
        re.sub(r".*<span class=\"mono\">(.*?)</span>.*", r"\1", r["object"], flags=re.S)
        for r in rows(html)
    ]


def link(html: str, text: str) -> str | None:
    match = re.search(rf'<a class="button" href="([^"]+)"[^>]*>[^<]*{text}', html)
    return html_lib.unescape(match.group(1)) if match else None


# -- what is recorded ----------------------------------------------------------------------


def test_sign_in_switch_language_and_sign_out_are_recorded(app, clock, sandbox, teams):
    staff_id = add_staff(app, "ana@staff.test", "operator", name="Ana")
    browser = app.test_client()
    assert sign_in(browser, "ana@staff.test").status_code == 302
    signed_in_at = clock.now

    clock.advance(60)
    token = csrf_token(browser, "/audit/")
    target = teams["subs"][1]
    assert browser.post("/team", data={"csrf_token": token, "team": target}).status_code == 302
    clock.advance(60)
    assert (
        browser.post("/account/language", data={"csrf_token": token, "locale": "en"}).status_code
        == 302
    )
    clock.advance(60)
    assert browser.post("/sign-out", data={"csrf_token": token}).status_code == 302

    found = entries(app, staff_id=staff_id)
    assert [e.action for e in found] == [
        "auth.sign_in",
        "team.switch",
        "staff.language",
        "auth.sign_out",
    ]
    for offset, entry in enumerate(found):
        assert entry.actor == "ana@staff.test"
        assert entry.outcome == "ok" and entry.ok
        assert entry.at == datetime.fromtimestamp(signed_in_at + 60 * offset, UTC)
        assert entry.remote_addr == "127.0.0.1"
    sign_in_entry, switch, language, sign_out = found
    assert sign_in_entry.team is None
    assert (switch.team, switch.object_type, switch.object_id) == (target, "team", target)
    assert said(app, switch) == f"from {teams['partner']} to {target}"
    assert said(app, switch, "es_MX") == f"de {teams['partner']} a {target}"
    assert (language.team, language.object_type, language.object_id, said(app, language)) == (
        target,
        "staff",
        "ana@staff.test",
        "language: English",
    )
    assert sign_out.team == target


def test_failed_sign_ins_are_recorded_with_their_outcome(app, clock):
    bea = add_staff(app, "bea@staff.test")
    add_staff(app, "off@staff.test", active=False)
    browser = app.test_client()
    assert sign_in(browser, "bea@staff.test", "wrong password").status_code == 401
    assert sign_in(browser, "Nobody@Staff.test", "whatever").status_code == 401
    assert sign_in(browser, "off@staff.test").status_code == 403
    found = [(e.staff_id, e.actor, e.outcome) for e in entries(app, action="auth.sign_in")]
    # a wrong password is filed under the account it targets; an unknown email under nobody
    assert found[0] == (bea, "bea@staff.test", "invalid_credentials")
    assert found[1] == (None, "nobody@staff.test", "invalid_credentials")
    assert found[2][1:] == ("off@staff.test", "account_disabled")


def test_language_left_unchanged_is_not_recorded_twice(app, clock):
    add_staff(app, "cam@staff.test")
    browser = app.test_client()
    sign_in(browser, "cam@staff.test")
    token = csrf_token(browser, "/audit/")
    for _ in range(2):
        browser.post("/account/language", data={"csrf_token": token, "locale": "en"})
    assert len(entries(app, action="staff.language")) == 1


def test_audited_records_ok_or_the_gigstack_error_code_and_reraises(app, clock, teams):
    staff_id = add_staff(app, "dan@staff.test", "operator")
    with app.test_request_context("/clients/x", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        login_user(db.session.get(Staff, staff_id))
        client = unscoped_api().for_team(teams["partner"])

        with audited("client.read", object_type="client", team=teams["partner"]) as details:
            first = client.clients.list(limit=1).items[0]
            details["object_id"] = first["id"]

        with (
            pytest.raises(NotFound) as raised,
            audited(
                "client.read",
                object_type="client",
                object_id="client_doesnotexist",
                team=teams["partner"],
                reason="checking",
            ),
        ):
            client.clients.get("client_doesnotexist")
        assert raised.value.code == "resource_not_found"

        with pytest.raises(ZeroDivisionError), audited("client.read", team=teams["partner"]):
            _ = 1 / 0

    ok, failed = entries(app, action="client.read")  # the bug in the block left no "ok"
    assert (ok.outcome, ok.object_type, ok.object_id, ok.team) == (
        "ok",
        "client",
        first["id"],
        teams["partner"],
    )
    assert (failed.outcome, failed.object_id, failed.reason) == (
        "resource_not_found",
        "client_doesnotexist",
        "checking",
    )
    for entry in (ok, failed):
        assert entry.staff_id == staff_id and entry.actor == "dan@staff.test"
        assert entry.remote_addr == "10.1.2.3"
        assert entry.at == T0


def test_record_outside_a_request_keeps_the_actor_given(app, clock, teams):
    """The CLI records with an explicit actor and no request (no team, no address)."""
    with app.app_context():
        entry = record("staff.create", actor="cli", object_type="staff", object_id="x@y.test")
        assert (entry.staff_id, entry.actor, entry.team, entry.remote_addr) == (
            None,
            "cli",
            None,
            None,
        )


# -- who sees what -------------------------------------------------------------------------


@pytest.fixture
def three_staff(app, clock):
    """An admin, an operator and a viewer, each with two entries of their own."""
    ids = {}
    for role in ("admin", "operator", "viewer"):
        email = f"{role}@audit.test"
        ids[role] = add_staff(app, email, role)
        for n in range(2):
            write(
                app,
                clock,
                T0 + timedelta(minutes=len(ids) * 10 + n),
                "test.thing",
                email=email,
                object_type="thing",
                object_id=f"{role}-{n}",
            )
    return ids


def _browser(app, role: str):
    browser = app.test_client()
    assert sign_in(browser, f"{role}@audit.test").status_code == 302
    return browser


def test_admin_sees_everyones_entries(app, three_staff):
    html = _browser(app, "admin").get("/audit/?action=test.thing").get_data(as_text=True)
    assert sorted(object_ids(html)) == sorted(
        f"{role}-{n}" for role in ("admin", "operator", "viewer") for n in range(2)
    )
    assert 'name="staff"' in html  # the staff filter is offered to admins only
    assert "Cada cambio hecho desde el back office" in html


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_others_see_only_their_own_entries_whatever_the_url_says(app, three_staff, role):
    browser = _browser(app, role)
    html = browser.get("/audit/?action=test.thing").get_data(as_text=True)
    assert sorted(object_ids(html)) == [f"{role}-0", f"{role}-1"]
    assert 'name="staff"' not in html
    assert "Tus propios cambios hechos desde el back office." in html
    # asking for someone else's entries still shows only one's own
    for other in ("admin", "operator", "viewer"):
        query = f"/audit/?staff={three_staff[other]}&action=test.thing"
        assert sorted(object_ids(browser.get(query).get_data(as_text=True))) == [
            f"{role}-0",
            f"{role}-1",
        ]
        exported = read_csv(browser.get(f"/audit/export.csv?staff={three_staff[other]}"))
        assert {row["actor"] for row in exported} == {f"{role}@audit.test"}
    all_rows = rows(browser.get("/audit/").get_data(as_text=True))
    assert {r["who"] for r in all_rows} == {f"{role}@audit.test"}


def test_an_action_renamed_later_is_offered_and_found_under_its_new_name(app, three_staff, clock):
    """A row carrying an earlier name (a restored backup) reads as today's action."""
    write(app, clock, T0, "client.export", email="admin@audit.test", object_type="client")
    write(app, clock, T0, "client.export_csv", email="admin@audit.test", object_type="client")
    browser = _browser(app, "admin")
    page = browser.get("/audit/").get_data(as_text=True)
    assert 'value="client.export_csv"' in page and 'value="client.export"' not in page
    found = rows(browser.get("/audit/?action=client.export_csv").get_data(as_text=True))
    assert len(found) == 2


def test_audit_page_requires_sign_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/audit/")
    assert client.get("/audit/export.csv").status_code == 302


# -- filters -------------------------------------------------------------------------------


@pytest.fixture
def grid(app, clock, teams):
    """Entries for every (staff, team, action, day) combination, object ids naming them."""
    add_staff(app, "eva@staff.test", "admin")
    add_staff(app, "fer@staff.test", "operator")
    team_a, team_b = teams["subs"][0], teams["subs"][1]
    days = [T0 + timedelta(days=d) for d in range(3)]  # 20, 21, 22 May at noon, Mexico City
    for email in ("eva@staff.test", "fer@staff.test"):
        for team in (team_a, team_b):
            for action in ("invoice.cancel", "client.update"):
                for day in days:
                    write(
                        app,
                        clock,
                        day,
                        action,
                        email=email,
                        team=team,
                        object_type="x",
                        object_id=f"{email[:3]}|{team[-4:]}|{action}|{day.day}",
                    )
    clock.set(T0 + timedelta(days=5))
    return {"a": team_a, "b": team_b}


def test_filters_combine_and_live_in_the_url(app, grid):
    browser = app.test_client()
    assert sign_in(browser, "eva@staff.test").status_code == 302
    fer = _staff(app, "fer@staff.test")
    query = {
        "staff": str(fer.id),
        "team": grid["b"],
        "action": "invoice.cancel",
        "date_from": "2026-05-21",
        "date_to": "2026-05-22",
    }
    response = browser.get("/audit/", query_string=query)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert sorted(object_ids(html)) == [
        f"fer|{grid['b'][-4:]}|invoice.cancel|21",
        f"fer|{grid['b'][-4:]}|invoice.cancel|22",
    ]
    # the form shows the filters it applied
    assert f'<option selected value="{fer.id}">' in html
    assert input_value(html, "team") == grid["b"]
    assert '<option selected value="invoice.cancel">' in html
    assert input_value(html, "date_from") == "2026-05-21"
    assert input_value(html, "date_to") == "2026-05-22"
    # the export link carries the same filters
    export = link(html, "Exportar CSV")
    assert urlsplit(export).path == "/audit/export.csv"
    assert {k: v[0] for k, v in parse_qs(urlsplit(export).query).items()} == query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "client.update"}, 12),
        ({"team": "a"}, 12),
        ({"date_from": "2026-05-22"}, 8),
        ({"date_to": "2026-05-20"}, 8),
        ({"team": "a", "action": "client.update", "date_from": "2026-05-21"}, 4),
        ({}, 24),
    ],
)
def test_each_filter_narrows_the_list(app, grid, query, expected):
    browser = app.test_client()
    sign_in(browser, "eva@staff.test")
    if "team" in query:
        query = {**query, "team": grid[query["team"]]}
    ids = object_ids(browser.get("/audit/", query_string=query).get_data(as_text=True))
    ids = [i for i in ids if "|" in i]  # the grid's entries, not the sign-ins
    assert len(ids) == expected
    for object_id in ids:
        _who, team, action, day = object_id.split("|")
        assert query.get("action", action) == action
        assert query.get("team", team)[-4:] == team
        assert date(2026, 5, int(day)) >= date.fromisoformat(query.get("date_from", "2026-01-01"))
        assert date(2026, 5, int(day)) <= date.fromisoformat(query.get("date_to", "2026-12-31"))


def test_invalid_date_range_shows_a_message_by_the_field_and_keeps_the_input(app, grid):
    browser = app.test_client()
    sign_in(browser, "eva@staff.test")
    response = browser.get("/audit/?date_from=2026-05-22&date_to=2026-05-20")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    field = re.search(r'<div class="field has-error">\s*<label for="date_to">.*?</div>', html, re.S)
    assert field, "the “To” field is not marked as wrong"
    assert RANGE_ERROR in field.group(0)
    assert 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="date_to-errors"' in field.group(0)
    assert input_value(html, "date_from") == "2026-05-22"
    assert input_value(html, "date_to") == "2026-05-20"
    # the valid end still filters; the list is not emptied by the mistake
    ids = [i for i in object_ids(html) if "|" in i]
    assert ids and all(i.endswith("|22") for i in ids)


def test_malformed_date_is_reported_and_kept(app, grid):
    browser = app.test_client()
    sign_in(browser, "eva@staff.test")
    html = browser.get("/audit/", query_string={"date_from": "mañana"}).get_data(as_text=True)
    field = re.search(
        r'<div class="field has-error">\s*<label for="date_from">.*?</div>', html, re.S
    )
    assert field and "No es una fecha válida." in field.group(0)
    assert input_value(html, "date_from") == "mañana"
    assert len([i for i in object_ids(html) if "|" in i]) == 24


def test_htmx_request_gets_only_the_rows(app, grid):
    browser = app.test_client()
    sign_in(browser, "eva@staff.test")
    response = browser.get(
        "/audit/?action=invoice.cancel&team=" + grid["a"],
        headers={
            "HX-Request": "true",
            "HX-Target": "audit-list",
            "HX-Current-URL": "http://localhost/audit/",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="audit-filters"' not in html
    assert 'id="audit-table"' in html
    ids = object_ids(html)
    assert len(ids) == 6 and all(f"|{grid['a'][-4:]}|invoice.cancel|" in i for i in ids)


# -- pagination ----------------------------------------------------------------------------


def test_pages_of_fifty_with_a_before_cursor_that_keeps_the_filters(app, clock):
    add_staff(app, "gus@staff.test", "admin")
    with app.app_context():
        staff = Staff.by_email("gus@staff.test")
        for n in range(130):
            clock.set(T0 + timedelta(minutes=n))
            action = "noise.other" if n % 10 == 9 else "page.item"
            record(action, staff=staff, object_type="item", object_id=f"item-{n:03d}")
    expected = [f"item-{n:03d}" for n in reversed(range(130)) if n % 10 != 9]  # 117 items
    browser = app.test_client()
    sign_in(browser, "gus@staff.test")

    seen: list[str] = []
    url = "/audit/?action=page.item"
    pages = 0
    while url:
        html = browser.get(url).get_data(as_text=True)
        pages += 1
        ids = object_ids(html)
        assert len(ids) == (50 if pages < 3 else 17)
        seen += ids
        assert (link(html, "Más recientes") is not None) == (pages > 1)
        url = link(html, "Anteriores")
        if url:
            params = parse_qs(urlsplit(url).query)
            assert params["action"] == ["page.item"] and params["before"][0].isdigit()
    assert pages == 3
    assert seen == expected  # newest first, nothing repeated, nothing skipped

    # the "Older" link also works as an htmx request (rows only)
    first = browser.get("/audit/?action=page.item").get_data(as_text=True)
    fragment = browser.get(
        link(first, "Anteriores"), headers={"HX-Request": "true", "HX-Target": "audit-list"}
    )
    assert "<html" not in fragment.get_data(as_text=True)
    assert object_ids(fragment.get_data(as_text=True)) == expected[50:100]


def test_a_bad_cursor_is_ignored(app, clock):
    add_staff(app, "hal@staff.test", "admin")
    browser = app.test_client()
    sign_in(browser, "hal@staff.test")
    response = browser.get("/audit/?before=abc")
    assert response.status_code == 200
    assert [r["action"] for r in rows(response.get_data(as_text=True))] == ["auth.sign_in"]


# -- CSV export ----------------------------------------------------------------------------


def test_csv_export_has_the_filtered_rows_safely(app, clock, teams):
    add_staff(app, "ivo@staff.test", "admin")
    tricky = {
        '=HYPERLINK("http://evil.example")': "+SUM(A1:A9)",
        "-2+3": "@cmd",
        "\tTAB": "\rCR",
        "plain": "Razón: señal ñandú",
    }
    for n, (object_id, reason) in enumerate(tricky.items()):
        write(
            app,
            clock,
            T0 + timedelta(hours=n),
            "csv.item",
            email="ivo@staff.test",
            team=teams["partner"],
            object_type="item",
            object_id=object_id,
            reason=reason,
            outcome="ok" if n else "=1+1",
        )
    write(app, clock, T0, "csv.other", email="ivo@staff.test", object_id="not-exported")
    browser = app.test_client()
    sign_in(browser, "ivo@staff.test")

    response = browser.get("/audit/export.csv?action=csv.item")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(r'filename="audit-\d{8}-\d{4}\.csv"', disposition)
    exported = read_csv(response)
    assert list(exported[0]) == [
        "id",
        "at",
        "actor",
        "team",
        "action",
        "object_type",
        "object_id",
        "outcome",
        "reason",
        "remote_addr",
    ]
    assert len(exported) == len(tricky)  # the filtered rows only
    by_reason = {row["reason"]: row for row in exported}
    assert by_reason["'+SUM(A1:A9)"]["object_id"] == '\'=HYPERLINK("http://evil.example")'
    assert by_reason["'+SUM(A1:A9)"]["outcome"] == "'=1+1"
    assert by_reason["'@cmd"]["object_id"] == "'-2+3"
    assert by_reason["'\rCR"]["object_id"] == "'\tTAB"
    assert by_reason["Razón: señal ñandú"]["object_id"] == "plain"
    for row in exported:
        assert row["action"] == "csv.item" and row["actor"] == "ivo@staff.test"
        assert row["team"] == teams["partner"]
        assert re.fullmatch(r"2026-05-2\dT\d{2}:00:00-06:00", row["at"]), row["at"]
    assert {row["at"] for row in exported} == {
        "2026-05-20T12:00:00-06:00",
        "2026-05-20T13:00:00-06:00",
        "2026-05-20T14:00:00-06:00",
        "2026-05-20T15:00:00-06:00",
    }
    # newest first, as on the page
    assert [row["at"] for row in exported] == sorted((r["at"] for r in exported), reverse=True)


def test_csv_export_uses_the_same_filters_as_the_page(app, grid):
    browser = app.test_client()
    sign_in(browser, "eva@staff.test")
    query = {
        "team": grid["a"],
        "action": "client.update",
        "date_from": "2026-05-21",
        "date_to": "2026-05-21",
    }
    page_ids = object_ids(browser.get("/audit/", query_string=query).get_data(as_text=True))
    exported = read_csv(browser.get("/audit/export.csv", query_string=query))
    assert [row["object_id"] for row in exported] == page_ids
    assert len(page_ids) == 2


# -- Mexico City days ----------------------------------------------------------------------


def test_date_filters_are_whole_mexico_city_days(app, clock):
    add_staff(app, "jo@staff.test", "admin")
    instants = {
        "27-late": datetime(2026, 5, 28, 5, 59, tzinfo=UTC),  # 27 May 23:59 in Mexico City
        "28-start": datetime(2026, 5, 28, 6, 0, tzinfo=UTC),  # 28 May 00:00
        "28-late": datetime(2026, 5, 29, 5, 30, tzinfo=UTC),  # 28 May 23:30
        "29-start": datetime(2026, 5, 29, 6, 0, tzinfo=UTC),  # 29 May 00:00
    }
    for name, at in instants.items():
        write(app, clock, at, "day.item", email="jo@staff.test", object_type="item", object_id=name)
    browser = app.test_client()
    sign_in(browser, "jo@staff.test")

    def shown(**query: str) -> list[str]:
        html = browser.get("/audit/", query_string={"action": "day.item", **query})
        return sorted(object_ids(html.get_data(as_text=True)))

    assert shown(date_from="2026-05-28", date_to="2026-05-28") == ["28-late", "28-start"]
    assert shown(date_from="2026-05-29") == ["29-start"]
    assert shown(date_to="2026-05-27") == ["27-late"]
    assert shown(date_from="2026-05-27", date_to="2026-05-29") == sorted(instants)

    html = browser.get("/audit/?action=day.item&date_from=2026-05-28&date_to=2026-05-28")
    when = dict(
        zip(
            object_ids(html.get_data(as_text=True)),
            [r["when"] for r in rows(html.get_data(as_text=True))],
            strict=True,
        )
    )
    assert when == {"28-late": "28/05/2026 23:30", "28-start": "28/05/2026 00:00"}
    exported = read_csv(
        browser.get("/audit/export.csv?action=day.item&date_from=2026-05-28&date_to=2026-05-28")
    )
    assert sorted(row["at"] for row in exported) == [
        "2026-05-28T00:00:00-06:00",
        "2026-05-28T23:30:00-06:00",
    ]


def test_filter_choices_reveal_nothing_of_what_others_did(app, clock, teams):
    """The actions offered are the declared ones and the team is typed: neither is read from
    the log, so an operator's page shows nothing of what others did (and where), and neither
    grows with the log or the number of teams."""
    add_staff(app, "kim@staff.test", "admin")
    add_staff(app, "lee@staff.test", "operator", team_ids=[teams["subs"][0]])
    write(app, clock, T0, "secret.action", email="kim@staff.test", team=teams["subs"][5])
    write(app, clock, T0, "own.action", email="lee@staff.test", team=teams["subs"][0])
    operator = app.test_client()
    sign_in(operator, "lee@staff.test")
    html = operator.get("/audit/").get_data(as_text=True)
    assert "secret.action" not in html and teams["subs"][5] not in html
    assert '<option value="invoice.cancel">' in html  # declared, whoever did it
    assert input_value(html, "team") in ("", None) and not re.search(
        r'<select[^>]*name="team"', html
    )
    admin = app.test_client()
    sign_in(admin, "kim@staff.test")
    everything = admin.get("/audit/").get_data(as_text=True)
    assert '<option value="invoice.cancel">' in everything
    assert teams["subs"][5] in everything  # the admin's rows name the team


def test_a_team_is_found_by_a_part_of_its_name_and_nothing_by_a_name_no_team_has(app, grid, teams):
    browser = app.test_client()
    sign_in(browser, "eva@staff.test")
    with app.app_context():
        listed = {team.id: team.name for team in app.extensions["team_directory"].all()}
    name = listed[grid["b"]]
    by_id = object_ids(browser.get("/audit/", query_string={"team": grid["b"]}).get_data(True))
    part = name.split()[-1].lower()
    named = [t for t, n in listed.items() if part in n.lower()]
    found = object_ids(browser.get("/audit/", query_string={"team": part}).get_data(True))
    assert set(by_id) <= set(found) and by_id
    assert {i.split("|")[1] for i in found if "|" in i} <= {t[-4:] for t in named}
    nothing = browser.get("/audit/", query_string={"team": "zzz-no-such-team"})
    assert [i for i in object_ids(nothing.get_data(as_text=True)) if "|" in i] == []


def test_page_names_the_team_next_to_its_id(app, clock, teams):
    add_staff(app, "tea@staff.test", "viewer")
    browser = app.test_client()
    assert sign_in(browser, "tea@staff.test").status_code == 302
    token = csrf_token(browser, "/audit/")
    assert (
        browser.post("/team", data={"csrf_token": token, "team": teams["subs"][0]}).status_code
        == 302
    )
    found = rows(browser.get("/audit/?action=team.switch").get_data(as_text=True))
    assert len(found) == 1
    with app.app_context():
        listed = app.extensions["team_directory"].all()
    expected = next(team.name for team in listed if team.id == teams["subs"][0])
    assert found[0]["team"].startswith(html_lib.escape(expected))
    assert found[0]["team"].endswith(f'<span class="mono muted">{teams["subs"][0]}</span>')


def test_a_bad_from_date_keeps_a_good_to_date(app, clock):
    add_staff(app, "dee@staff.test", "viewer")
    write(app, clock, datetime(2026, 5, 10, 18, tzinfo=UTC), "test.early", email="dee@staff.test")
    write(app, clock, datetime(2026, 5, 25, 18, tzinfo=UTC), "test.late", email="dee@staff.test")
    browser = app.test_client()
    assert sign_in(browser, "dee@staff.test").status_code == 302
    html = browser.get("/audit/?date_from=not-a-date&date_to=2026-05-15").get_data(as_text=True)
    actions = [row["action"] for row in rows(html)]
    assert "test.early" in actions and "test.late" not in actions
    assert 'id="date_from-errors"' in html
