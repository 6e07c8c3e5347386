"""The team directory: every team the key reaches (within the staff member's limits), tabs
with counts, search, sort, CSV, and gigstack failures as banners."""

from __future__ import annotations

import re
import socket

import pytest

from tests.app.conftest import add_staff, make_app, sign_in
from tests.app.helpers import read_csv


def test_teams_page_lists_partner_and_sub_teams(viewer, stored, teams):
    response = viewer.get("/teams/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "SANDBOX" in html
    for team_id in [teams["partner"], *teams["subs"]]:
        team = stored.team(team_id)
        assert team["tax_id"] in html
        assert team["brand"]["alias"] in html
    outsider = stored.team(teams["outsider"])
    assert outsider["tax_id"] not in html
    assert "Sin CSD" in html and "Válido" in html
    assert html.count("Equipo de la llave") == 1


def test_htmx_request_gets_only_the_rows(viewer):
    response = viewer.get("/teams/", headers={"HX-Request": "true", "HX-Target": "teams-list"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="teams-table"' in html


def test_upstream_5xx_shows_banner_with_retry(viewer, faults, app):
    app.extensions["team_directory"].forget()
    faults({"rules": [{"method": "GET", "path": "/teams", "status": 503}]})
    response = viewer.get("/teams/")
    html = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "gigstack no está disponible" in html
    assert "Reintentar" in html
    assert "Traceback" not in html


def test_refused_connection_shows_banner(keys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = make_app(f"http://127.0.0.1:{port}/v2", keys["partner_test"]["key"])
    add_staff(app, "viewer@staff.test")
    browser = app.test_client()
    assert sign_in(browser, "viewer@staff.test").status_code == 302
    response = browser.get("/teams/")
    html = response.get_data(as_text=True)
    assert response.status_code in (502, 503)
    assert "Reintentar" in html
    assert "Traceback" not in html
    app.extensions["gigstack"].close()


def test_api_key_never_rendered(viewer, keys):
    html = viewer.get("/teams/").get_data(as_text=True)
    assert keys["partner_test"]["key"] not in html


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_upstream_error_on_htmx_request_is_a_banner_fragment(viewer, faults):
    faults({"rules": [{"method": "GET", "path": "/teams", "status": 502}]})
    response = viewer.get("/teams/", headers={"HX-Request": "true", "HX-Target": "teams-list"})
    html = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "<html" not in html
    assert 'role="alert"' in html and "Reintentar" in html


# -- tabs, search, sort, CSV ---------------------------------------------------------------


def _rows(html: str) -> list[str]:
    """Team ids of the directory's rows, in order."""
    table = re.search(r'<table class="table" id="teams-table">(.*?)</table>', html, re.S)
    assert table, "no teams table"
    return re.findall(r'<div class="mono muted">(team_[^<]+)</div>', table.group(1))


def _tab_counts(html: str) -> dict[str, int]:
    return {
        label.strip(): int(count)
        for label, count in re.findall(
            r'class="tab[^"]*"[^>]*>([^<]+)<span class="tab-count">(\d+)</span>', html
        )
    }


def test_tabs_count_and_filter_the_teams(viewer, stored, teams):
    html = viewer.get("/teams/").get_data(as_text=True)
    counts = _tab_counts(html)
    reachable = [teams["partner"], *teams["subs"]]
    assert counts["Todos"] == len(reachable)
    no_csd = {t for t in reachable if not stored.team(t)["sat"]["completed"]}
    assert teams["eku"] in no_csd
    assert counts["Sin CSD"] == len(no_csd)
    missing_csd = viewer.get("/teams/?tab=missing-csd").get_data(as_text=True)
    assert set(_rows(missing_csd)) == no_csd
    assert counts["Listo para facturar"] == len(reachable) - len(no_csd)
    assert (
        set(_rows(viewer.get("/teams/?tab=ready").get_data(as_text=True)))
        == set(reachable) - no_csd
    )
    assert _rows(viewer.get("/teams/?tab=missing-fiscal").get_data(as_text=True)) == []
    # an unknown tab is "all", not an error
    assert len(_rows(viewer.get("/teams/?tab=nope").get_data(as_text=True))) == len(reachable)


def test_expiring_tab_follows_the_clock(sandbox, keys, teams, stored):
    """Move the app's clock to 20 days before the partner's CSD expires."""
    expires = stored.team(teams["partner"])["sat"]["csd_expires_at"]
    app = make_app(sandbox.api_url, keys["partner_test"]["key"], CLOCK=lambda: expires - 20 * 86400)
    try:
        add_staff(app, "clock@staff.test")
        browser = app.test_client()
        assert sign_in(browser, "clock@staff.test").status_code == 302
        html = browser.get("/teams/?tab=expiring").get_data(as_text=True)
        assert teams["partner"] in _rows(html)
        assert "Vence en 20 días" in html
        ready = browser.get("/teams/?tab=ready").get_data(as_text=True)
        assert teams["partner"] not in _rows(ready)
    finally:
        app.extensions["gigstack"].close()


@pytest.mark.parametrize("query", ["EKU9003173C9", "kemper", "ESCUELA KEMPER"])
def test_search_by_name_rfc_or_id_keeps_the_tab(viewer, teams, query):
    html = viewer.get("/teams/", query_string={"q": query, "tab": "missing-csd"}).get_data(
        as_text=True
    )
    assert _rows(html) == [teams["eku"]]
    assert 'name="tab" value="missing-csd"' in html  # kept through the next search
    by_id = viewer.get("/teams/", query_string={"q": teams["eku"]}).get_data(as_text=True)
    assert _rows(by_id) == [teams["eku"]]


@pytest.mark.parametrize(
    ("query", "rfc"),
    [("MECÁNICO", "TMH150720KL2"), ("mecanico", "TMH150720KL2"), ("CAFE", "CPC120915AB3")],
)
def test_search_sets_accents_and_case_aside_in_the_directory_and_the_switcher(
    viewer, stored, query, rfc
):
    [team] = stored.teams(tax_id=rfc)
    html = viewer.get("/teams/", query_string={"q": query}).get_data(as_text=True)
    assert _rows(html) == [team["id"]]
    options = viewer.get("/team/options", query_string={"q": query}).get_data(as_text=True)
    assert team["id"] in options


def test_sort_orders_the_rows(viewer, stored, teams):
    by_name = _rows(viewer.get("/teams/?sort=name").get_data(as_text=True))
    names = [stored.team(t)["brand"]["alias"].casefold() for t in by_name]
    assert names == sorted(names)
    newest = _rows(viewer.get("/teams/?sort=-created").get_data(as_text=True))
    created = [stored.team(t)["created_at"] for t in newest]
    assert created == sorted(created, reverse=True)
    assert _rows(viewer.get("/teams/?sort=rubbish").get_data(as_text=True))  # falls back


def test_csv_export_is_the_filtered_tab(viewer, teams):
    answer = viewer.get("/teams/export.csv?tab=missing-csd&sort=rfc")
    assert answer.mimetype == "text/csv"
    assert 'filename="teams-' in answer.headers["Content-Disposition"]
    rows = read_csv(answer)
    assert {row["id"] for row in rows} == set(
        _rows(viewer.get("/teams/?tab=missing-csd").get_data(as_text=True))
    )
    assert [row["rfc"] for row in rows] == sorted(row["rfc"] for row in rows)
    eku = next(row for row in rows if row["id"] == teams["eku"])
    assert eku["rfc"] == "EKU9003173C9" and eku["csd_status"] == "missing"


def test_csv_cells_are_formula_safe(app, admin, sandbox, teams, restore_sandbox):
    sandbox.store.teams[teams["subs"][1]]["legal_name"] = '=HYPERLINK("http://x")'
    app.extensions["team_directory"].forget()
    rows = read_csv(admin.get("/teams/export.csv"))
    cell = next(row["legal_name"] for row in rows if row["id"] == teams["subs"][1])
    assert cell.startswith("'=")


def test_each_row_opens_its_team(viewer, teams):
    html = viewer.get("/teams/").get_data(as_text=True)
    for team_id in [teams["partner"], *teams["subs"]]:
        assert f'href="/teams/{team_id}/"' in html


def test_limited_staff_see_and_export_only_their_teams(signed_in, teams):
    browser = signed_in("viewer", team_ids=[teams["eku"]])
    assert _rows(browser.get("/teams/").get_data(as_text=True)) == [teams["eku"]]
    assert [row["id"] for row in read_csv(browser.get("/teams/export.csv"))] == [teams["eku"]]


def test_create_button_only_for_operators(viewer, operator):
    assert 'href="/teams/new"' not in viewer.get("/teams/").get_data(as_text=True)
    assert 'href="/teams/new"' in operator.get("/teams/").get_data(as_text=True)
