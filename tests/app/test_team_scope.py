"""Team scope: which teams a staff member sees and acts on, and that every API call carries
the selected one (checked against what the sandbox received and what its store holds)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from tests.app.conftest import add_staff, csrf_token, make_app, sign_in
from tests.app.helpers import home
from webapp.audit.models import AuditEntry
from webapp.auth.models import Staff
from webapp.extensions import db

OUT_OF_SCOPE = "Ese equipo no está entre los que tu cuenta puede usar."
NO_TEAM = "Tu cuenta no tiene permiso para operar en ningún equipo al que llega la llave de API."


class UpstreamLog:
    """Every request the app's API client sends, recorded on the way to the real sandbox."""

    def __init__(self, app) -> None:
        session = app.extensions["gigstack"].client.session
        real_send = session.send
        self.calls: list[tuple[str, str, dict[str, list[str]]]] = []

        def send(request, **kwargs):
            parts = urlsplit(request.url)
            self.calls.append((request.method, parts.path, parse_qs(parts.query)))
            return real_send(request, **kwargs)

        session.send = send

    def team_listings(self) -> int:
        """GET /teams calls (the list of teams, not one team's details)."""
        return sum(
            1 for method, path, _ in self.calls if method == "GET" and path.endswith("/v2/teams")
        )

    def clear(self) -> None:
        self.calls.clear()


@pytest.fixture
def upstream_log(app) -> UpstreamLog:
    return UpstreamLog(app)


def _switcher_ids(html: str) -> list[str]:
    """The teams offered by the switcher (a submit button per team)."""
    return re.findall(r'<button type="submit" name="team" value="([^"]+)"', html)


def _current_team(html: str) -> str:
    match = re.search(r'<strong data-testid="current-team">([^<]*)</strong>', html)
    assert match, "no switcher on the page"
    return match.group(1)


def _facts(html: str) -> dict[str, str]:
    block = re.search(r'<dl class="facts" data-testid="team-facts">(.*?)</dl>', html, re.S)
    assert block, "no team facts on home"
    pairs = re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", block.group(1), re.S)
    return {key: _shown(value) for key, value in pairs}


def _shown(value: str) -> str:
    """A fact's text as it reads (an id's Copy button left aside)."""
    return re.sub(r"<[^>]+>", "", re.sub(r"<button.*?</button>", "", value, flags=re.S)).strip()


def _teams_table_rfcs(html: str) -> set[str]:
    table = re.search(r'<table class="table" id="teams-table">(.*?)</table>', html, re.S)
    assert table
    return set(re.findall(r'<td class="mono">([A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3})</td>', table.group(1)))


def _switch(browser, team_id: str, next_path: str = "/", **headers: str):
    token = csrf_token(browser, "/audit/")
    return browser.post(
        "/team", headers=headers, data={"csrf_token": token, "team": team_id, "next": next_path}
    )


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


# -- the switcher --------------------------------------------------------------------------


def _search(browser, query: str) -> list[str]:
    """The teams the switcher's search offers for ``query``."""
    answer = browser.get("/team/options", query_string={"q": query}, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    return _switcher_ids(answer.get_data(as_text=True))


def test_switcher_search_lists_exactly_the_teams_the_key_reaches(admin, stored, teams):
    html = home(admin).get_data(as_text=True)
    # the frame offers the teams used (here, the key's own, selected by default), not all
    assert _switcher_ids(html) == [teams["partner"]]
    assert _current_team(html) == stored.team(teams["partner"])["brand"]["alias"]
    assert teams["outsider"] not in html
    assert stored.team(teams["outsider"])["brand"]["alias"] not in html
    offered = _search(admin, "team_")  # every id has it
    assert len(offered) == 7 == len(set(offered))
    assert set(offered) == {teams["partner"], *teams["subs"]}


def test_switcher_without_query_offers_the_teams_used_as_a_fragment(admin, teams):
    home(admin)
    assert _switch(admin, teams["subs"][1]).status_code == 302
    response = admin.get("/team/options?q=", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "<body" not in html
    assert _switcher_ids(html) == [teams["subs"][1], teams["partner"]]  # newest first


@pytest.mark.parametrize(
    "query_of",
    [
        lambda team: team["brand"]["alias"].split()[-1].lower(),  # part of the name
        lambda team: team["tax_id"].lower(),  # RFC, any case
        lambda team: team["id"],  # id
    ],
)
def test_switcher_search_filters_by_name_rfc_or_id(admin, stored, teams, query_of):
    target = stored.team(teams["subs"][2])
    query = query_of(target)
    html = admin.get(
        "/team/options", query_string={"q": query}, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "<html" not in html
    offered = _switcher_ids(html)
    assert target["id"] in offered
    # every team offered really matches (and none of the others does)
    for team_id in [teams["partner"], *teams["subs"]]:
        team = stored.team(team_id)
        haystack = " ".join(
            [team["brand"]["alias"], team.get("legal_name") or "", team["tax_id"], team["id"]]
        ).casefold()
        assert (team_id in offered) == (query.casefold() in haystack), team_id


def test_switcher_search_with_no_match_says_so_and_never_finds_the_outsider(admin, stored, teams):
    html = admin.get("/team/options?q=zzzz-nada").get_data(as_text=True)
    assert _switcher_ids(html) == []
    assert "Ningún equipo coincide con “zzzz-nada”." in html
    outsider = stored.team(teams["outsider"])
    for query in (outsider["tax_id"], outsider["id"], outsider["brand"]["alias"]):
        assert (
            _switcher_ids(
                admin.get("/team/options", query_string={"q": query}).get_data(as_text=True)
            )
            == []
        )


def test_switcher_search_needs_sign_in(client):
    response = client.get("/team/options?q=a", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/sign-in")


# -- switching -----------------------------------------------------------------------------


def test_switching_changes_the_team_of_every_api_call(app, admin, stored, teams, upstream_log):
    partner = stored.team(teams["partner"])
    before = home(admin).get_data(as_text=True)
    assert _facts(before)["RFC"] == partner["tax_id"]

    target = stored.team(next(t for t in teams["subs"] if t != teams["eku"]))
    response = _switch(admin, target["id"], next_path="/teams/")
    assert response.status_code == 302 and response.headers["Location"] == "/teams/"

    upstream_log.clear()
    landing = admin.get("/")
    assert landing.headers["Location"] == f"/teams/{target['id']}/"
    html = admin.get(landing.headers["Location"]).get_data(as_text=True)
    facts = _facts(html)
    assert facts["RFC"] == target["tax_id"] and facts["ID del equipo"] == target["id"]
    assert _current_team(html) == target["brand"]["alias"]
    # every call the page made carried the team (the cached team list made none)
    scoped = [(m, p, q) for m, p, q in upstream_log.calls if not p.endswith("/v2/teams")]
    assert {p.rsplit("/v2", 1)[1] for _, p, _ in scoped} >= {
        f"/teams/{target['id']}",
        f"/teams/{target['id']}/series",
        "/teams/integrations",
    }
    for method, path, query in scoped:
        assert query.get("team") == [target["id"]], (method, path, query)


def test_switch_is_kept_for_the_session_and_pages_after_it(admin, stored, teams):
    target = stored.team(teams["eku"])
    assert _switch(admin, target["id"]).status_code == 302
    for path in ["/", "/teams/", "/audit/"]:
        html = admin.get(path, follow_redirects=True).get_data(as_text=True)
        assert _current_team(html) == target["brand"]["alias"]
    assert _facts(home(admin).get_data(as_text=True))["RFC"] == "EKU9003173C9"


def test_switch_from_htmx_asks_for_a_full_reload(admin, teams):
    target = teams["subs"][0]
    response = _switch(admin, target, next_path="/audit/", **{"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/audit/"
    assert _facts(home(admin).get_data(as_text=True))["ID del equipo"] == target


def test_switch_needs_csrf(admin, teams):
    response = admin.post("/team", data={"team": teams["subs"][0]})
    assert response.status_code == 400
    assert _facts(home(admin).get_data(as_text=True))["ID del equipo"] == teams["partner"]


@pytest.mark.parametrize("which", ["outsider", "unknown"])
def test_switch_to_a_team_the_key_does_not_reach_is_refused(app, admin, teams, which):
    team_id = teams["outsider"] if which == "outsider" else "team_doesnotexist00"
    response = _switch(admin, team_id)
    assert response.status_code == 403
    assert OUT_OF_SCOPE in response.get_data(as_text=True)
    assert _facts(home(admin).get_data(as_text=True))["ID del equipo"] == teams["partner"]
    [entry] = _audit(app, "team.switch")
    assert entry.outcome == "team_out_of_scope" and entry.object_id == team_id


# -- staff limited to some teams -----------------------------------------------------------


def test_limited_staff_sees_only_their_teams_everywhere(signed_in, stored, teams):
    allowed = teams["subs"][:2]
    browser = signed_in("operator", team_ids=allowed)
    overview = home(browser)
    html = overview.get_data(as_text=True)
    assert overview.status_code == 200
    assert _switcher_ids(html) == [_facts(html)["ID del equipo"]]
    assert _facts(html)["ID del equipo"] in allowed
    for team_id in [teams["partner"], *teams["subs"][2:], teams["outsider"]]:
        assert stored.team(team_id)["tax_id"] not in html

    listing = browser.get("/teams/").get_data(as_text=True)
    assert _teams_table_rfcs(listing) == {stored.team(t)["tax_id"] for t in allowed}
    assert sorted(_search(browser, "team_")) == sorted(allowed)
    # searching for a team outside the scope finds nothing
    hidden = stored.team(teams["partner"])
    assert (
        _switcher_ids(
            browser.get("/team/options", query_string={"q": hidden["tax_id"]}).get_data(
                as_text=True
            )
        )
        == []
    )


def test_limited_staff_switching_outside_scope_gets_403_and_is_audited(app, signed_in, teams):
    allowed = teams["subs"][:2]
    browser = signed_in("operator", email="limited@staff.test", team_ids=allowed)
    selected = _facts(home(browser).get_data(as_text=True))["ID del equipo"]

    response = _switch(browser, teams["partner"])
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Acceso denegado" in html and OUT_OF_SCOPE in html
    assert "Traceback" not in html
    # still on the team it had
    assert _facts(home(browser).get_data(as_text=True))["ID del equipo"] == selected

    [entry] = _audit(app, "team.switch")
    assert entry.outcome == "team_out_of_scope"
    assert entry.actor == "limited@staff.test"
    assert entry.object_type == "team" and entry.object_id == teams["partner"]

    # inside the scope it works and is audited as ok
    other = next(t for t in allowed if t != selected)
    assert _switch(browser, other).status_code == 302
    assert _facts(home(browser).get_data(as_text=True))["ID del equipo"] == other
    assert [e.outcome for e in _audit(app, "team.switch")] == ["team_out_of_scope", "ok"]


def test_session_team_no_longer_allowed_falls_back_to_an_allowed_one(app, signed_in, teams):
    first, second = teams["subs"][:2]
    browser = signed_in("viewer", email="narrowed@staff.test", team_ids=[first, second])
    assert _switch(browser, second).status_code == 302
    assert _facts(home(browser).get_data(as_text=True))["ID del equipo"] == second

    # an administrator narrows the account while its session is open
    with app.app_context():
        staff = Staff.by_email("narrowed@staff.test")
        staff.team_ids = [first]
        db.session.commit()
    html = home(browser).get_data(as_text=True)
    assert _facts(html)["ID del equipo"] == first
    assert _switcher_ids(html) == [first]
    # and the session now holds the allowed team (later pages agree without re-checking)
    with browser.session_transaction() as session:
        assert session["team"] == first


def test_staff_limited_to_no_reachable_team_gets_a_clear_403(signed_in, stored, teams):
    browser = signed_in("operator", team_ids=[teams["outsider"]])
    response = home(browser)
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<html" in html and "Acceso denegado" in html
    assert NO_TEAM in html
    assert _current_team(html) == "Sin equipo"
    assert _switcher_ids(html) == []
    assert "Tu cuenta no puede usar ningún equipo." in html
    assert stored.team(teams["outsider"])["tax_id"] not in html
    # nothing of the outsider on the teams page either
    listing = browser.get("/teams/").get_data(as_text=True)
    assert _teams_table_rfcs(listing) == set()


# -- the team list is cached ---------------------------------------------------------------


@pytest.mark.state_stores  # and cached in Redis
def test_team_list_is_fetched_once_within_the_ttl(app, admin, signed_in, teams, upstream_log):
    operator = signed_in("operator", team_ids=teams["subs"][:3])
    upstream_log.clear()
    app.extensions["team_directory"].forget()
    for browser in (admin, operator):
        for path in ["/", "/audit/", "/team/options?q=a", "/", "/no-such-page"]:
            assert browser.get(path, follow_redirects=True).status_code in (200, 404)
    assert _switch(admin, teams["subs"][0]).status_code == 302
    assert home(admin).status_code == 200
    assert upstream_log.team_listings() == 1


@pytest.mark.state_stores  # and cached in Redis
def test_team_list_is_fetched_again_after_the_ttl(sandbox, keys, teams):
    now = [1_780_000_000.0]
    app = make_app(
        sandbox.api_url, keys["partner_test"]["key"], CLOCK=lambda: now[0], TEAM_LIST_TTL_SECONDS=60
    )
    try:
        log = UpstreamLog(app)
        add_staff(app, "ttl@staff.test", "viewer")
        browser = app.test_client()
        assert sign_in(browser, "ttl@staff.test").status_code == 302
        home(browser)
        now[0] += 30
        browser.get("/audit/")
        assert log.team_listings() == 1
        now[0] += 31  # 61 s after the first listing
        html = browser.get("/audit/").get_data(as_text=True)
        # the audit log needs nothing from gigstack: it shows the copy at hand at once and
        # the list is fetched again in the background
        app.extensions["team_directory"].settle()
        assert log.team_listings() == 2
        assert _current_team(html) == "Cumbre Digital"
        assert _switcher_ids(html) == [teams["partner"]]
    finally:
        app.extensions["gigstack"].close()


@pytest.mark.state_stores  # and two processes sharing the list through Redis
def test_the_list_is_decoded_once_per_process_per_version(
    sandbox, keys, teams, store_variant, monkeypatch
):
    """Pages read a small stamp of the cached list (once a request) and decode the list
    itself only when its version is new to the process; a refresh that finds the same teams
    keeps the version."""
    from webapp import cache

    reads: list[str] = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key: reads.append(key) or real_get(key))

    def stamps() -> int:
        return sum(1 for key in reads if key.startswith("teams:") and key.endswith(":stamp"))

    def lists() -> int:
        return sum(1 for key in reads if re.fullmatch(r"teams:[^:]+:(test|live)", key))

    pages = ["/audit/", "/teams/", "/team/options?q=nube", f"/teams/{teams['subs'][0]}/", "/staff/"]
    now = [1_780_000_000.0]
    settings = {"CLOCK": lambda: now[0], "TEAM_LIST_TTL_SECONDS": 60}
    first = make_app(sandbox.api_url, keys["partner_test"]["key"], **settings)
    second = make_app(sandbox.api_url, keys["partner_test"]["key"], **settings)
    try:
        browsers = []
        for app in (first, second):
            add_staff(app, "decode@staff.test", "admin")
            browser = app.test_client()
            assert sign_in(browser, "decode@staff.test").status_code == 302
            browsers.append(browser)
        log = UpstreamLog(first)
        assert browsers[0].get("/teams/").status_code == 200  # fetches, keeps what it decoded
        reads.clear()
        for path in pages:
            assert browsers[0].get(path).status_code == 200
        assert lists() == 0 and stamps() == len(pages)  # one small read a page
        assert log.team_listings() == 1

        reads.clear()
        for path in pages * 2:
            assert browsers[1].get(path).status_code == 200
        # another process: with Redis it decodes the shared list once; with a cache of its
        # own it fetches the list (looking at the stamp once more as it takes the lead)
        shared = store_variant == "redis"
        assert lists() == (1 if shared else 0)
        assert stamps() == 2 * len(pages) + (0 if shared else 1)

        now[0] += 61  # stale: the first process refreshes it behind a page
        assert browsers[0].get("/audit/").status_code == 200
        first.extensions["team_directory"].settle()
        assert log.team_listings() == 2
        reads.clear()
        for path in pages:
            assert browsers[1].get(path).status_code == 200
        assert lists() == 0  # the same teams: the same version, nothing to decode again
        second.extensions["team_directory"].settle()
    finally:
        first.extensions["gigstack"].close()
        second.extensions["gigstack"].close()
