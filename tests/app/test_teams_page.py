"""The first page: teams visible to the key, through the client, marked SANDBOX."""

from __future__ import annotations

import socket

from tests.app.conftest import add_staff, make_app, sign_in


def test_teams_page_lists_partner_and_sub_teams(viewer, sandbox, teams):
    response = viewer.get("/teams/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "SANDBOX" in html
    for team_id in [teams["partner"], *teams["subs"]]:
        team = sandbox.store.teams[team_id]
        assert team["tax_id"] in html
        assert team["brand"]["alias"] in html
    outsider = sandbox.store.teams[teams["outsider"]]
    assert outsider["tax_id"] not in html
    assert "Sin CSD" in html and "Válido" in html
    assert html.count("Equipo de la llave") == 1


def test_htmx_request_gets_only_the_rows(viewer):
    response = viewer.get("/teams/", headers={"HX-Request": "true", "HX-Target": "teams-list"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="teams-table"' in html


def test_upstream_5xx_shows_banner_with_retry(viewer, faults):
    faults({"rules": [{"method": "GET", "path": "/teams", "status": 503}]})
    response = viewer.get("/teams/?next=")
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
