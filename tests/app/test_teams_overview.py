"""The team overview: fiscal data with catalogue names, CSD, integrations, series, members and
the onboarding checklist that says what is missing before the team can stamp."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import facts, htmx_headers

pytestmark = pytest.mark.databases


def _checklist(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-check="([a-z_]+)" data-done="(yes|no)"', html))


def test_ready_team_shows_every_fact_and_a_green_checklist(viewer, stored, teams):
    team = stored.team(teams["partner"])
    html = viewer.get(f"/teams/{teams['partner']}/").get_data(as_text=True)
    shown = facts(html)
    assert shown["RFC"] == team["tax_id"] and shown["Razón social"] == team["legal_name"]
    assert shown["Régimen"] == "601 — General de Ley Personas Morales"  # catalogue name
    assert shown["Código postal"] == team["address"]["zip"]
    assert set(_checklist(html).values()) == {"yes"}
    assert "Listo para facturar" in html
    for series in stored.series(teams["partner"]):
        assert f"{series['series']}-{series['test'] + 1}" in html  # next folio per mode
    assert 'data-integration="sat"' in html and "Completada" in html


def test_team_without_csd_says_what_to_fix_and_links_there(viewer, teams):
    html = viewer.get(f"/teams/{teams['eku']}/").get_data(as_text=True)
    checklist = _checklist(html)
    assert checklist["csd"] == "no"
    assert {key for key, done in checklist.items() if done == "no"} == {"csd"}
    assert "Aún no se ha subido un CSD." in html
    assert f'href="/teams/{teams["eku"]}/csd">Corregir</a>' in html
    assert "Antes de que este equipo pueda timbrar" in html


def test_missing_fiscal_data_and_series_each_have_their_line(
    app, viewer, sandbox, teams, restore_sandbox
):
    team = sandbox.store.teams[teams["subs"][3]]
    team["tax_system"] = None
    team["address"]["zip"] = None
    sandbox.store.series[teams["subs"][3]] = []
    html = viewer.get(f"/teams/{teams['subs'][3]}/").get_data(as_text=True)
    checklist = _checklist(html)
    assert checklist["regime"] == checklist["zip"] == checklist["series"] == "no"
    assert checklist["rfc"] == checklist["csd"] == "yes"
    assert f'href="/teams/{teams["subs"][3]}/edit">Corregir</a>' in html
    assert f'href="/teams/{teams["subs"][3]}/series/">Corregir</a>' in html


def test_overview_calls_are_made_together_and_carry_the_team(app, viewer, teams, sandbox_requests):
    viewer.get("/teams/")  # the team list is at hand from here on
    sandbox_requests.clear()
    assert viewer.get(f"/teams/{teams['subs'][0]}/").status_code == 200
    paths = sorted(r.path.split("/v2", 1)[1] for r in sandbox_requests)
    assert paths == sorted(
        [f"/teams/{teams['subs'][0]}", f"/teams/{teams['subs'][0]}/series", "/teams/integrations"]
    )
    assert all(f"team={teams['subs'][0]}" in r.query for r in sandbox_requests)


def test_viewer_sees_no_change_buttons(viewer, admin, teams):
    html = viewer.get(f"/teams/{teams['eku']}/").get_data(as_text=True)
    for forbidden in ("/edit", "/delete", "/onboarding-link"):
        assert f'/teams/{teams["eku"]}{forbidden}"' not in html
    html = admin.get(f"/teams/{teams['eku']}/").get_data(as_text=True)
    for shown in ("/edit", "/delete", "/onboarding-link"):
        assert f'/teams/{teams["eku"]}{shown}"' in html


def test_upstream_5xx_is_a_banner_with_retry(viewer, teams, faults):
    faults({"rules": [{"method": "GET", "path": "/teams/*/series", "status": 503}]})
    answer = viewer.get(f"/teams/{teams['subs'][1]}/")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 502 and "Reintentar" in html and "Traceback" not in html
    fragment = viewer.get(f"/teams/{teams['subs'][1]}/", headers=htmx_headers("main"))
    assert fragment.status_code == 502 and fragment.headers["X-Backoffice-Error"]
