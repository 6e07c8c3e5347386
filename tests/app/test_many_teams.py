"""With hundreds of teams (the sandbox's ``--teams``), nothing a page carries grows with them:
the frame offers the current, recent and pinned teams and a server search; the directory
counts, filters and exports from the one shared list."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from tests.app.conftest import add_staff, make_app, sign_in
from tests.app.helpers import audit_rows, home, post_form, read_csv
from webapp.auth.models import PINNED_LIMIT, Staff
from webapp.extensions import db
from webapp.sandbox.server import SandboxServer, start_sandbox
from webapp.teams.team_index import fold

EXTRA = 300
REACHED = 1 + 6 + EXTRA  # the partner key's team, its six demo sub-teams and the extra ones
DAY = 86400
OPTION = re.compile(r'<button type="submit" name="team" value="([^"]+)"')
SWITCHER = re.compile(r'<details class="menu team-switcher".*?</details>', re.S)


@pytest.fixture(scope="module")
def crowded() -> Iterator[SandboxServer]:
    server = start_sandbox(test_mode=True, teams=EXTRA)
    yield server
    server.shutdown()


@pytest.fixture
def app(crowded) -> Iterator[Flask]:
    application = make_app(crowded.api_url, crowded.key("partner_test"))
    yield application
    application.extensions["gigstack"].close()


@pytest.fixture
def reached(crowded) -> list[dict]:
    """The teams the partner key reaches, as the sandbox stores them."""
    store = crowded.store
    partner = store.teams[crowded.keys()["partner_test"]["team"]]
    return [t for t in store.teams.values() if t["_billing"] == partner["_billing"]]


def by_name(reached: list[dict], alias: str) -> dict:
    return next(team for team in reached if team["brand"]["alias"] == alias)


def switcher(html: str) -> str:
    match = SWITCHER.search(html)
    assert match, "no switcher on the page"
    return match.group(0)


def options(browser, query: str) -> str:
    answer = browser.get("/team/options", query_string={"q": query}, headers={"HX-Request": "1"})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def switch(browser, team_id: str):
    return post_form(browser, "/team", {"team": team_id, "next": "/audit/"})


# -- the frame -----------------------------------------------------------------------------


def test_a_page_carries_the_teams_used_and_pinned_never_the_list(app, admin, reached):
    html = home(admin).get_data(as_text=True)
    assert len(reached) == REACHED
    assert OPTION.findall(switcher(html)) == [reached[0]["id"]]  # the team in use
    assert len(html.encode()) < 30_000
    for team in reached[8:]:
        assert team["id"] not in html and team["brand"]["alias"] not in html
    for team in reached[10:16]:
        assert switch(admin, team["id"]).status_code == 302
    for team in reached[20:23]:
        assert post_form(admin, "/team/pin", {"team": team["id"]}).status_code == 302
    audit = admin.get("/audit/").get_data(as_text=True)
    offered = OPTION.findall(switcher(audit))
    assert len(offered) == 3 + 5  # pinned, then the last five used
    assert offered == [t["id"] for t in reached[20:23]] + [t["id"] for t in reached[15:10:-1]]
    assert len(switcher(audit).encode()) < 8_000
    assert len(audit.encode()) < 30_000


def test_a_search_finds_a_team_whatever_its_accents_and_case(admin, reached):
    bakery = by_name(reached, "Panadería Ñandú")
    for query in ["panaderia nandu", "PANADERÍA ÑANDÚ", "  Panaderia   Ñandu ", "ñandú"]:
        assert OPTION.findall(options(admin, query)) == [bakery["id"]], query
    assert OPTION.findall(options(admin, bakery["tax_id"].lower())) == [bakery["id"]]
    assert OPTION.findall(options(admin, bakery["id"])) == [bakery["id"]]
    assert "Ningún equipo coincide con “zzz-nada”." in options(admin, "zzz-nada")


def test_a_search_shows_twenty_teams_and_says_how_many_more(admin, reached):
    def haystack(team: dict) -> str:
        alias = team["brand"]["alias"]
        return fold(" ".join([alias, team["legal_name"] or "", team["tax_id"] or "", team["id"]]))

    found = [team for team in reached if "eria" in haystack(team)]
    assert len(found) > 20
    html = options(admin, "ERÍA")
    offered = OPTION.findall(html)
    assert len(offered) == 20 and set(offered) <= {team["id"] for team in found}
    assert f"{len(found) - 20} más: afina la búsqueda." in html


def test_limited_staff_search_only_their_teams(signed_in, reached):
    mine = [reached[30]["id"], reached[31]["id"]]
    browser = signed_in("operator", team_ids=mine)
    assert sorted(OPTION.findall(options(browser, "team_"))) == sorted(mine)
    assert OPTION.findall(options(browser, reached[40]["id"])) == []


# -- recent and pinned teams -----------------------------------------------------------------


def test_recent_teams_follow_switching_and_opened_team_pages(admin, reached):
    home(admin)
    assert switch(admin, reached[50]["id"]).status_code == 302
    assert admin.get(f"/teams/{reached[51]['id']}/").status_code == 200  # a pasted link
    assert switch(admin, reached[52]["id"]).status_code == 302
    assert switch(admin, reached[50]["id"]).status_code == 302  # used again: first again
    ids = [t["id"] for t in reached]
    assert OPTION.findall(options(admin, "")) == [ids[50], ids[52], ids[51], ids[0]]
    for team_id in ids[60:64]:
        assert switch(admin, team_id).status_code == 302
    assert OPTION.findall(options(admin, "")) == ids[63:59:-1] + [ids[50]]  # five at most


def test_pins_stay_with_the_staff_member_across_sign_ins(app, reached):
    add_staff(app, "pins@staff.test", "viewer")
    browser = app.test_client()
    assert sign_in(browser, "pins@staff.test").status_code == 302
    first, second = reached[70], reached[71]
    for team in (first, second):
        assert post_form(browser, "/team/pin", {"team": team["id"]}).status_code == 302
    assert post_form(browser, "/team/pin", {"team": first["id"]}).status_code == 302  # again
    assert post_form(browser, "/sign-out").status_code == 302

    again = app.test_client()
    assert sign_in(again, "pins@staff.test").status_code == 302
    frame = switcher(home(again).get_data(as_text=True))
    assert "Fijados" in frame
    assert OPTION.findall(frame)[:2] == [first["id"], second["id"]]
    assert frame.count('aria-pressed="true"') == 2

    answer = post_form(again, "/team/unpin", {"team": first["id"]}, htmx="team-options")
    assert answer.status_code == 200 and "<html" not in answer.get_data(as_text=True)
    assert OPTION.findall(answer.get_data(as_text=True))[0] == second["id"]
    with app.app_context():
        assert Staff.by_email("pins@staff.test").pinned_team_ids == [second["id"]]
    pins = audit_rows(app, "team.pin", actor="pins@staff.test")
    assert [row.object_id for row in pins] == [first["id"], second["id"]]  # the repeat: none
    [unpinned] = audit_rows(app, "team.unpin")
    assert unpinned.object_id == unpinned.team == first["id"]


def test_a_pin_keeps_the_search_and_the_menu_open(admin, reached):
    bakery = by_name(reached, "Panadería Ñandú")
    answer = post_form(
        admin, "/team/pin", {"team": bakery["id"], "q": "ñandu"}, htmx="team-options"
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert OPTION.findall(html) == [bakery["id"]]  # the search's results, now pinned
    assert 'aria-pressed="true"' in html and 'formaction="/team/unpin"' in html


def test_pins_stop_at_the_limit_and_need_the_team_in_scope(app, signed_in, reached):
    browser = signed_in("viewer", email="many@staff.test")
    for team in reached[100 : 100 + PINNED_LIMIT + 1]:
        assert post_form(browser, "/team/pin", {"team": team["id"]}).status_code == 302
    with app.app_context():
        pinned = Staff.by_email("many@staff.test").pinned_team_ids
    assert pinned == [t["id"] for t in reached[100 : 100 + PINNED_LIMIT]]
    # a full list offers no pin for other teams (only to unpin)
    html = options(browser, reached[150]["id"])
    assert OPTION.findall(html) == [reached[150]["id"]] and "team-pin" not in html

    limited = signed_in("viewer", team_ids=[reached[5]["id"]])
    refused = post_form(limited, "/team/pin", {"team": reached[6]["id"]})
    assert refused.status_code == 403
    assert post_form(limited, "/team/pin", {"team": "team_nosuchteam000"}).status_code == 403


def test_pinning_needs_csrf_and_a_sign_in(app, admin, client, reached):
    assert admin.post("/team/pin", data={"team": reached[3]["id"]}).status_code == 400
    assert client.post("/team/pin", data={"team": reached[3]["id"]}).status_code in (302, 400)
    with app.app_context():
        assert all(not staff.pinned_team_ids for staff in db.session.scalars(db.select(Staff)))


# -- the directory -------------------------------------------------------------------------


def _tab_counts(html: str) -> dict[str, int]:
    return {
        label.strip(): int(count)
        for label, count in re.findall(
            r'class="tab[^"]*"[^>]*>([^<]+)<span class="tab-count">(\d+)</span>', html
        )
    }


def _expected_counts(teams: list[dict], now: float) -> dict[str, int]:
    """The tabs worked out here from what the sandbox stores (not with the app's code)."""

    def csd(team: dict) -> str:
        sat = team["sat"]
        if not sat["completed"]:
            return "missing"
        left = sat["csd_expires_at"] - now
        return "expired" if left < 0 else "expiring" if left < 30 * DAY else "ok"

    def fiscal(team: dict) -> bool:
        return all([team["legal_name"], team["tax_id"], team["tax_system"]]) and bool(
            team["address"].get("zip")
        )

    def series(team: dict) -> bool:
        return bool(team["settings"]["default_series"].get("income"))

    return {
        "Todos": len(teams),
        "Listo para facturar": sum(1 for t in teams if fiscal(t) and csd(t) == "ok" and series(t)),
        "Sin CSD": sum(1 for t in teams if csd(t) in ("missing", "expired")),
        "CSD que vence en 30 días": sum(1 for t in teams if csd(t) == "expiring"),
        "Faltan datos fiscales": sum(1 for t in teams if not fiscal(t)),
    }


@pytest.fixture
def at_noon(crowded) -> Iterator[float]:
    """A clock for the app, fixed at noon of the sandbox's seed day (no deadline at hand)."""
    yield crowded.store.clock.now() // DAY * DAY + DAY / 2


def test_directory_counts_its_tabs_right(crowded, reached, at_noon):
    app = make_app(crowded.api_url, crowded.key("partner_test"), CLOCK=lambda: at_noon)
    try:
        add_staff(app, "counts@staff.test", "viewer")
        browser = app.test_client()
        assert sign_in(browser, "counts@staff.test").status_code == 302
        counts = _tab_counts(browser.get("/teams/").get_data(as_text=True))
        assert counts == _expected_counts(reached, at_noon)
        assert all(counts.values())  # every tab has teams: a realistic spread
        bakeries = [t for t in reached if "panaderia" in fold(t["brand"]["alias"])]
        searched = browser.get("/teams/", query_string={"q": "PANADERÍA"})
        assert _tab_counts(searched.get_data(as_text=True)) == _expected_counts(bakeries, at_noon)
        expiring = browser.get("/teams/?tab=expiring&sort=csd").get_data(as_text=True)
        shown = re.findall(r'<div class="mono muted">(team_[^<]+)</div>', expiring)
        assert len(shown) == counts["CSD que vence en 30 días"]
        deadlines = [crowded.store.teams[i]["sat"]["csd_expires_at"] for i in shown]
        assert deadlines == sorted(deadlines)
    finally:
        app.extensions["gigstack"].close()


def test_directory_tabs_follow_the_clock_past_a_csd_deadline(crowded, reached, at_noon):
    now = [at_noon]
    app = make_app(crowded.api_url, crowded.key("partner_test"), CLOCK=lambda: now[0])
    try:
        add_staff(app, "clock@staff.test", "viewer")
        browser = app.test_client()
        assert sign_in(browser, "clock@staff.test").status_code == 302
        before = _tab_counts(browser.get("/teams/").get_data(as_text=True))
        now[0] += 45 * DAY  # the same copy of the list (TTL aside), later
        app.extensions["team_directory"].ttl_seconds = 10**9
        assert sign_in(browser, "clock@staff.test").status_code == 302  # the session expired
        after = _tab_counts(browser.get("/teams/").get_data(as_text=True))
        assert after == _expected_counts(reached, now[0])
        assert after["CSD que vence en 30 días"] != before["CSD que vence en 30 días"]
    finally:
        app.extensions["gigstack"].close()


def test_directory_pages_twenty_five_rows_and_stays_small(admin):
    html = admin.get("/teams/").get_data(as_text=True)
    assert len(re.findall(r'<div class="mono muted">(team_[^<]+)</div>', html)) == 25
    assert len(html.encode()) < 60_000
    pages = -(-REACHED // 25)
    last = admin.get(f"/teams/?page={pages}").get_data(as_text=True)
    shown = re.findall(r'<div class="mono muted">(team_[^<]+)</div>', last)
    assert len(shown) == REACHED - 25 * (pages - 1)


def test_directory_csv_streams_every_row(admin, reached):
    answer = admin.get("/teams/export.csv")
    assert answer.is_streamed  # written a few hundred rows at a time, never as one string
    rows = read_csv(answer)
    assert len(rows) == REACHED
    assert {row["id"] for row in rows} == {team["id"] for team in reached}
    bakery = next(row for row in rows if row["alias"] == "Panadería Ñandú")
    assert bakery["legal_name"] == "PANADERIA ÑANDU"


def test_staff_forms_carry_the_accounts_teams_not_the_list(app, admin, reached):
    limited = add_staff(app, "limits@staff.test", "viewer", team_ids=[reached[200]["id"]])
    for path in ["/staff/new", f"/staff/{limited}/edit", "/staff/"]:
        html = admin.get(path).get_data(as_text=True)
        assert len(html.encode()) < 30_000, path
        assert sum(1 for team in reached[8:] if team["id"] in html) <= 1, path
    found = admin.get("/staff/teams?team_search=ería").get_data(as_text=True)
    assert found.count('class="pick"') == 20 and "más: afina la búsqueda." in found


# -- a user who belongs to every team ------------------------------------------------------


def test_the_owner_of_every_team_lists_this_team_first_and_counts_the_rest(app, admin, crowded):
    partner = crowded.keys()["partner_test"]["team"]
    owner = crowded.store.teams[partner]["owner"]
    teams_of_owner = [
        team
        for team in crowded.store.teams.values()
        if any(member["id"] == owner for member in team["members"])
    ]
    assert len(teams_of_owner) > EXTRA  # a member of every team
    html = admin.get(f"/teams/{partner}/users/{owner}").get_data(as_text=True)
    rows = re.findall(r'<span class="mono muted">([^<]+)</span></td>', html)
    assert rows[0] == partner and len(rows) == 20
    more = len(teams_of_owner) - 20
    assert f"Y {more} equipos más." in html
    assert len(html.encode()) < 30_000


def test_a_starting_worker_loads_the_team_list_behind_the_scenes(crowded):
    """gunicorn's post_worker_init warms it: the first pages find it at hand, not waiting."""
    application = make_app(crowded.api_url, crowded.key("partner_test"))
    try:
        directory = application.extensions["team_directory"]
        index = directory.warm().result(timeout=60)  # outside any request or app context
        assert index is not None and len(index.teams) == REACHED
        with application.app_context():
            assert directory.index_without_waiting() is index
    finally:
        application.extensions["gigstack"].close()
