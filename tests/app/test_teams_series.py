"""Series: list with counters and next folios, create (one per double submit), edit with a
preview, a reason for lowering, gigstack's refusal on the field."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import audit_rows, field_error, htmx_headers, input_value, post_form, said

pytestmark = pytest.mark.databases


def _series(stored, team_id: str, name: str) -> dict | None:
    return next(iter(stored.series(team_id, series=name)), None)


def test_list_shows_counters_and_next_folios(viewer, stored, teams):
    html = viewer.get(f"/teams/{teams['partner']}/series/").get_data(as_text=True)
    for series in stored.series(teams["partner"]):
        assert f'data-series="{series["series"]}"' in html
        assert f"{series['series']}-{series['live'] + 1}" in html
        assert f"{series['series']}-{series['test'] + 1}" in html
    assert "/series/new" not in html  # viewers cannot create


def test_create_a_series_and_see_its_next_folio(app, operator, stored, teams, restore_sandbox):
    path = f"/teams/{teams['eku']}/series/new"
    once = input_value(operator.get(path).get_data(as_text=True), "once")
    data = {"once": once, "series": "f", "live": "0", "test": "41"}
    first = post_form(operator, path, data)
    second = post_form(operator, path, data)  # a double click
    assert first.status_code == second.status_code == 302
    assert [s["series"] for s in stored.series(teams["eku"])].count("F") == 1
    listing = operator.get(first.headers["Location"]).get_data(as_text=True)
    assert "F-42" in listing and "F-1" in listing
    [entry] = audit_rows(app, "series.create")
    assert said(app, entry) == "series F: live from 0, test from 41"


def test_a_taken_name_is_said_on_the_field(operator, teams):
    path = f"/teams/{teams['partner']}/series/new"
    answer = post_form(
        operator, path, {"once": "x1", "series": "a", "live": "0", "test": "0"}, htmx="series-form"
    )
    assert answer.status_code == 422
    assert "Ya existe una serie con este nombre." in field_error(
        answer.get_data(as_text=True), "series"
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"series": "", "live": "0", "test": "0"}, "series", "Escribe el nombre de la serie."),
        ({"series": "A|B", "live": "0", "test": "0"}, "series", "no puede contener |"),
        ({"series": "X" * 26, "live": "0", "test": "0"}, "series", "Máximo 25 caracteres."),
        ({"series": "Q", "live": "-1", "test": "0"}, "live", "número entero (0 o más)"),
        ({"series": "Q", "live": "0", "test": "uno"}, "test", "número entero (0 o más)"),
    ],
)
def test_bad_input_stays_local(operator, teams, sandbox_requests, data, field, message):
    sandbox_requests.clear()
    answer = post_form(operator, f"/teams/{teams['partner']}/series/new", data)
    assert answer.status_code == 422
    assert message in field_error(answer.get_data(as_text=True), field)
    assert not [r for r in sandbox_requests if r.method == "POST"]


def test_edit_preview_shows_the_next_folio_as_you_type(operator, stored, teams):
    series = _series(stored, teams["partner"], "A")
    path = f"/teams/{teams['partner']}/series/{series['id']}/edit"
    fragment = operator.get(
        path, query_string={"live": "99", "test": "7"}, headers=htmx_headers("series-preview")
    )
    html = fragment.get_data(as_text=True)
    assert "<html" not in html
    assert re.search(r'data-testid="next-live">A-100<', html)
    assert re.search(r'data-testid="next-test">A-8<', html)


def test_raising_needs_no_reason_and_is_audited_with_old_and_new(
    app, operator, stored, teams, restore_sandbox
):
    series = _series(stored, teams["partner"], "B")
    old = series["test"]
    path = f"/teams/{teams['partner']}/series/{series['id']}/edit"
    answer = post_form(operator, path, {"live": str(series["live"]), "test": str(old + 10)})
    assert answer.status_code == 302
    assert _series(stored, teams["partner"], "B")["test"] == old + 10
    [entry] = audit_rows(app, "series.update")
    assert said(app, entry) == f"counters: test {old} → {old + 10}"


def test_lowering_asks_for_a_reason_then_gigstack_may_refuse(app, operator, stored, teams):
    series = _series(stored, teams["partner"], "A")
    path = f"/teams/{teams['partner']}/series/{series['id']}/edit"
    data = {"live": str(series["live"]), "test": "0"}
    no_reason = post_form(operator, path, data)
    assert no_reason.status_code == 422
    assert "explica el motivo" in field_error(no_reason.get_data(as_text=True), "reason")
    refused = post_form(operator, path, {**data, "reason": "reinicio de folios"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "already issued" in field_error(html, "test")  # gigstack's words, on the field
    assert input_value(html, "test") == "0"
    assert _series(stored, teams["partner"], "A")["test"] == series["test"]
    [entry] = audit_rows(app, "series.update")
    assert entry.outcome == "business_rule_violation"
    assert said(app, entry).startswith(f"counters: test {series['test']} → 0")
    assert entry.reason == "reinicio de folios" or "reinicio de folios" in entry.reason


def test_an_unknown_series_is_404(operator, teams):
    assert operator.get(f"/teams/{teams['partner']}/series/ser_nope/edit").status_code == 404
