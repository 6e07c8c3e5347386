"""The team lives in the URL: links open the same team for any colleague allowed to see it,
tabs work on different teams, and a team out of reach is a 404 (the same page whether the
staff member's limits or the key's reach refuses it), recorded in the audit log."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import audit_rows, facts, post_form

pytestmark = pytest.mark.databases


def _without_tokens(html: str) -> str:
    """A page minus its CSRF tokens (signed with the time, so they differ per request)."""
    return re.sub(r'("X-CSRFToken": "|name="csrf_token" value=")[^"]+', r"\1", html)


def _url(team_id: str, rest: str = "") -> str:
    return f"/teams/{team_id}/{rest}"


def test_a_pasted_link_opens_the_same_team_for_a_colleague(signed_in, stored, teams):
    eku = stored.team(teams["eku"])
    for browser in (signed_in("viewer"), signed_in("operator", team_ids=[teams["eku"]])):
        for rest in ("", "series/", "members/", "users/", "csd", "settings"):
            answer = browser.get(_url(teams["eku"], rest))
            assert answer.status_code == 200, rest
            assert eku["tax_id"] in answer.get_data(as_text=True), rest


def test_two_tabs_work_on_two_teams_at_once(admin, stored, teams):
    first, second = teams["subs"][:2]
    one = facts(admin.get(_url(first)).get_data(as_text=True))
    two = facts(admin.get(_url(second)).get_data(as_text=True))
    again = facts(admin.get(_url(first)).get_data(as_text=True))
    assert one["RFC"] == again["RFC"] == stored.team(first)["tax_id"]
    assert two["RFC"] == stored.team(second)["tax_id"]


def test_home_goes_to_the_last_team_used_else_the_keys_own(admin, teams):
    assert admin.get("/").headers["Location"] == _url(teams["partner"])
    admin.get(_url(teams["subs"][2], "series/"))
    assert admin.get("/").headers["Location"] == _url(teams["subs"][2])


@pytest.mark.parametrize("which", ["outsider", "unknown", "garbage", "outside_limits"])
def test_a_team_out_of_reach_is_the_same_404_and_is_audited(app, signed_in, teams, which):
    browser = signed_in("admin", email="probe@staff.test", team_ids=teams["subs"][:2])
    team_id = {
        "outsider": teams["outsider"],
        "unknown": "team_doesnotexist00",
        "garbage": "team_%3Cscript%3E",
        "outside_limits": teams["partner"],
    }[which]
    for rest in ("", "series/", "users/", "csd"):
        page = browser.get(_url(team_id, rest))
        reference = browser.get(_url("team_doesnotexist99", rest))
        assert page.status_code == reference.status_code == 404
        # the same page as for a team that does not exist at all (the address asked for is
        # echoed only as the switcher's way back): nothing to probe
        asked = re.compile(r'name="next" value="/teams/[^/"]+/')
        assert asked.sub("", _without_tokens(page.get_data(as_text=True))) == asked.sub(
            "", _without_tokens(reference.get_data(as_text=True))
        )
        assert "Traceback" not in page.get_data(as_text=True)
    rows = audit_rows(app, "team.open", actor="probe@staff.test")
    assert len(rows) >= 4
    assert all(row.outcome in ("team_not_found", "team_out_of_scope") for row in rows)
    if which == "outside_limits":
        assert rows[0].outcome == "team_out_of_scope" and rows[0].object_id == teams["partner"]


def test_a_post_to_a_team_out_of_reach_changes_nothing(app, admin, stored, teams):
    before = len(stored.series(teams["outsider"]))
    answer = post_form(
        admin, _url(teams["outsider"], "series/new"), {"series": "ZZ", "live": "0", "test": "0"}
    )
    assert answer.status_code == 404
    assert len(stored.series(teams["outsider"])) == before


def test_anonymous_visitors_go_to_sign_in_and_learn_nothing_of_the_team(client, teams):
    for team_id in (teams["partner"], teams["outsider"], "team_doesnotexist00"):
        answer = client.get(_url(team_id, "series/"))
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/sign-in")


def test_the_switcher_moves_to_the_same_area_of_the_chosen_team(admin, teams):
    first, second = teams["subs"][:2]
    for here, there in [
        (_url(first, "series/"), _url(second, "series/")),
        (_url(first, "users/user_x/edit"), _url(second, "users/")),
        (_url(first, "csd"), _url(second, "csd")),
        (_url(first), _url(second)),
        ("/audit/?action=team.switch", "/audit/?action=team.switch"),
    ]:
        answer = post_form(admin, "/team", {"team": second, "next": here})
        assert answer.status_code == 302 and answer.headers["Location"] == there, here


def test_links_on_a_team_page_keep_its_team(admin, teams):
    html = admin.get(_url(teams["subs"][3])).get_data(as_text=True)
    for rest in ("series/", "members/", "users/", "csd", "settings", "edit"):
        assert f'href="{_url(teams["subs"][3], rest)}"' in html, rest
