"""The team list's index: search keys without accents or case, tabs worked out once until a
CSD deadline passes, sort orders once per sort."""

from __future__ import annotations

import pytest

from webapp.teams.team_index import TeamIndex, fold
from webapp.teams.team_list import TeamChoice

DAY = 86400
NOW = 1_790_000_000.0


def team(team_id: str, name: str, **fields) -> TeamChoice:
    complete = {
        "legal_name": name.upper(),
        "tax_id": "AAA010101AA1",
        "tax_system": "601",
        "zip": "06600",
        "default_series": "A",
    }
    return TeamChoice(id=team_id, name=name, **(complete | fields))


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Panadería Ñandú", "panaderia nandu"),
        ("  MARISCOS   LA GÜERA ", "mariscos la guera"),
        ("Óptica Visión Clara", "optica vision clara"),
        ("ÉCOLE", "ecole"),
        ("Straße", "strasse"),
        ("ＡＢＣ０１", "abc01"),  # full-width letters and digits (NFKD)
        ("", ""),
    ],
)
def test_fold_drops_accents_case_and_extra_spaces(text, folded):
    assert fold(text) == folded


def test_search_looks_in_name_legal_name_rfc_and_id():
    index = TeamIndex(
        [
            team("team_a", "Panadería Ñandú", legal_name="PANADERIA ÑANDU", tax_id="PNX290626AB1"),
            team("team_b", "Tortillería Doña Lupe", legal_name="LUPITA SA"),
            team("team_c", "Café", tax_id=""),
        ],
        "v1",
    )
    assert index.search("panaderia nandu") == [0]
    assert index.search("PANADERÍA") == [0]
    assert index.search("lupita") == [1]
    assert index.search("pnx290626") == [0]
    assert index.search("TEAM_C") == [2]
    assert index.search("ería") == [0, 1]
    assert index.search("ería", within=[1, 2]) == [1]
    assert index.search("") is None  # nothing to filter
    assert index.search("  ", within=[2]) == [2]
    assert index.search("zzz") == []


def test_lookups_by_id():
    index = TeamIndex([team("team_a", "A"), team("team_b", "B")], "v1")
    assert index.get("team_b").name == "B" and index.get("nope") is None and index.get(None) is None
    assert index.positions(["team_b", "nope", "team_a", "team_b"]) == [0, 1]
    assert index.names == {"team_a": "A", "team_b": "B"}


def test_tabs_hold_each_team_where_the_directory_shows_it():
    teams = [
        team("ready", "Ready", csd_completed=True, csd_expires_at=NOW + 400 * DAY),
        team("no_csd", "No CSD"),
        team("expired", "Expired", csd_completed=True, csd_expires_at=NOW - DAY),
        team("expiring", "Expiring", csd_completed=True, csd_expires_at=NOW + 10 * DAY),
        team("no_rfc", "No RFC", tax_id="", csd_completed=True, csd_expires_at=NOW + 90 * DAY),
        team("no_series", "No series", default_series="", csd_completed=True),
    ]
    tabs = TeamIndex(teams, "v1").tabs(NOW)
    names = {tab: sorted(teams[at].id for at in members) for tab, members in tabs.items()}
    assert names == {
        "all": sorted(t.id for t in teams),
        "ready": ["ready"],
        "missing-csd": ["expired", "no_csd"],
        "expiring": ["expiring"],
        "missing-fiscal": ["no_rfc"],
    }


def test_tabs_are_worked_out_again_only_past_a_csd_deadline():
    index = TeamIndex([team("a", "A", csd_completed=True, csd_expires_at=NOW + 31 * DAY)], "v1")
    first = index.tabs(NOW)
    assert first["ready"] == {0}
    assert index.tabs(NOW + 12 * 3600) is first  # same day, same answer: nothing redone
    assert index.tabs(NOW + DAY - 1) is first
    later = index.tabs(NOW + DAY + 1)  # 30 days before expiry passed: expiring
    assert later is not first and later["expiring"] == {0} and not later["ready"]
    assert index.tabs(NOW + 31 * DAY + 1)["missing-csd"] == {0}  # expired
    assert index.tabs(NOW)["ready"] == {0}  # a clock set back (tests) is followed too


def test_sort_orders_are_worked_out_once_per_sort():
    index = TeamIndex(
        [team("a", "Beta", created_at=2), team("b", "alfa", created_at=3), team("c", "Gama")], "v1"
    )
    by_name = index.order("name", lambda t: t.name.casefold(), False)
    assert by_name == (1, 0, 2)
    assert index.order("name", lambda t: 0, False) is by_name
    assert index.order("-created", lambda t: t.created_at or 0, True) == (1, 0, 2)
