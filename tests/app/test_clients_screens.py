"""Clients: search and filters in the URL, CSV of every match, the detail page's panels (each
failing alone), validate, portal link shown once, stamping pending receipts, create and edit
with CFDI 4.0's rules, delete with a reason."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.app.helpers import (
    audit_rows,
    field_error,
    htmx_headers,
    input_value,
    post_form,
    read_csv,
    run_jobs,
    said,
    text_of,
    upstream_calls,
)
from tests.app.test_search import start_sync, sync_team
from webapp.clients import routes as clients_routes
from webapp.sandbox.seed import SEED_ANCHOR
from webapp.sat.rules import FOREIGN_TAX_ID, foreign_receiver
from webapp.search import lists

pytestmark = pytest.mark.databases

GOOD = {
    "legal_name": "COMERCIALIZADORA DEL BAJIO",
    "name": "Bajío",
    "tax_id": "CBA150101AB0",
    "tax_system": "601",
    "use": "G03",
    "zip": "37000",
    "email": "pagos@bajio.mx",
    "country": "MEX",
}


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/clients/"


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-client="([^"]+)">', html)


def test_list_pages_and_search_by_rfc(viewer, stored, teams):
    html = viewer.get(_base(teams)).get_data(as_text=True)
    assert len(_rows(html)) == min(25, len(stored("clients", teams["partner"])))
    found = viewer.get(
        _base(teams), query_string={"q": "XAXX010101000"}, headers=htmx_headers("clients-list")
    ).get_data(as_text=True)
    # every client with that RFC (other tests on this sandbox may have added one), nothing else
    expected = {c["id"] for c in stored("clients", teams["partner"], tax_id="XAXX010101000")}
    assert expected and set(_rows(found)) == expected
    assert "<html" not in found


def test_an_empty_list_says_none_yet_unless_a_filter_emptied_it(
    app, admin, operator, api, restore_sandbox
):
    team = api.teams.create({"legal_name": "EQUIPO RECIEN CREADO", "tax_system": "601"})
    app.extensions["team_directory"].forget()
    base = f"/teams/{team['id']}/clients/"
    nothing = operator.get(base).get_data(as_text=True)
    assert "Aún no hay clientes." in text_of(nothing) and "Ningún cliente coincide" not in nothing
    assert f'<a href="{base}new">Crear un cliente</a>' in nothing
    sync_team(app, admin, team["id"])  # the filter reads the index
    filtered = operator.get(base, query_string={"persona": "moral"}).get_data(as_text=True)
    assert "Ningún cliente coincide." in text_of(filtered)
    assert "Aún no hay clientes" not in filtered


def test_a_search_that_matches_more_than_it_shows_says_so(viewer, teams, monkeypatch):
    import webapp.clients.routes as routes

    monkeypatch.setattr(routes, "SEARCH_LIMIT", 2)
    html = viewer.get(_base(teams), query_string={"q": "a"}).get_data(as_text=True)
    assert len(_rows(html)) == 2
    assert "más clientes que los 2 mostrados" in text_of(html)


@pytest.mark.parametrize(
    ("query", "rule"),
    [
        ({"validity": "valid"}, lambda c: bool(c.get("is_valid"))),
        ({"efos": "listed"}, lambda c: (c.get("efos") or {}).get("is_valid") is False),
        ({"efos": "clear"}, lambda c: (c.get("efos") or {}).get("is_valid") is not False),
        (
            {"persona": "fisica"},
            lambda c: len(c.get("tax_id") or "") == 13 and not c["tax_id"].startswith("X"),
        ),
        ({"persona": "moral", "sort": "name"}, lambda c: len(c.get("tax_id") or "") == 12),
    ],
)
def test_filters_the_api_lacks_read_the_index_a_page_at_a_time_without_walking_gigstack(
    app, admin, viewer, stored, teams, query, rule
):
    sync_team(app, admin, teams["partner"])
    expected = {c["id"] for c in stored("clients", teams["partner"]) if rule(c)}
    seen, url, pages = [], _base(teams), 0
    while url:
        answer = viewer.get(url, query_string=query if not pages else None)
        html = answer.get_data(as_text=True)
        assert upstream_calls(answer) == 0, url  # the index, not gigstack's pages
        assert 'data-testid="clients-from-index"' in html
        assert len(_rows(html)) <= 25
        seen += _rows(html)
        found = re.search(r'<a class="button" href="([^"]+)"[^>]*>Siguiente »', html)
        url = unescape(found.group(1)) if found else None
        pages += 1
    assert expected and set(seen) == expected and len(seen) == len(expected)
    # each row links to its client
    first = seen[0]
    assert f'href="{_base(teams)}{first}"' in viewer.get(_base(teams), query_string=query).get_data(
        as_text=True
    )


def test_a_team_not_indexed_says_so_with_the_button_that_indexes_it(
    app, admin, viewer, teams, stored
):
    team = teams["partner"]
    answer = viewer.get(_base(teams), query_string={"validity": "valid"})
    html = answer.get_data(as_text=True)
    assert 'data-testid="clients-not-indexed"' in html and not _rows(html)
    assert "no están en él todavía" in text_of(html)
    assert upstream_calls(answer) <= 1  # at most the team list of the frame; no clients walk
    assert f'action="/teams/{team}/search/sync"' not in html  # a viewer cannot start it
    admin_page = admin.get(_base(teams), query_string={"validity": "valid"}).get_data(as_text=True)
    assert f'action="/teams/{team}/search/sync"' in admin_page
    answer = start_sync(admin, _base(teams) + "?validity=valid", f"/teams/{team}/search/sync")
    assert answer.status_code == 302
    run_jobs(app)
    indexed = viewer.get(_base(teams), query_string={"validity": "valid"}).get_data(as_text=True)
    valid = {c["id"] for c in stored("clients", team) if c.get("is_valid")}
    assert 'data-testid="clients-not-indexed"' not in indexed
    assert set(_rows(indexed)) <= valid and _rows(indexed)


def test_an_index_filter_counts_its_matches_up_to_a_bound_and_pages_no_further(
    app, admin, viewer, stored, teams, monkeypatch
):
    """A team of 100,000 clients does not have every match read on each page: past the
    bound the pager says "over" it, and paging stops there."""
    sync_team(app, admin, teams["partner"])
    valid = [c for c in stored("clients", teams["partner"]) if c.get("is_valid")]
    monkeypatch.setattr(clients_routes, "PAGE_SIZE", 5)
    monkeypatch.setattr(lists, "COUNTED_UP_TO", 7)  # past one page (5), under the matches
    assert len(valid) > 7 + 5

    def page(**extra: str) -> str:
        query = {"validity": "valid", **extra}
        return viewer.get(_base(teams), query_string=query).get_data(as_text=True)

    first = page()
    assert "Más de 7 en total" in text_of(first) and len(_rows(first)) == 5
    following = re.search(r'<a class="button" href="([^"]+)"[^>]*>Siguiente »', first)
    second = viewer.get(unescape(following.group(1))).get_data(as_text=True)
    assert len(_rows(second)) == 5 and not set(_rows(second)) & set(_rows(first))
    assert "Siguiente »" not in second  # rows 6–10: the bound (7) was passed
    assert _rows(page(next="900")) == _rows(page(next="7"))  # an offset past it: the bound's
    monkeypatch.setattr(lists, "COUNTED_UP_TO", len(valid))  # all counted: the exact total
    exact = text_of(page())
    assert f"{len(valid)} en total" in exact and "Más de" not in exact


def test_csv_exports_every_match_with_a_bom_and_safe_cells(
    app, viewer, sandbox, stored, teams, restore_sandbox
):
    with sandbox.store.lock:  # a client whose name a spreadsheet would run as a formula
        target = sandbox.store.all("clients", teams["partner"], False)[3]
        target["legal_name"] = "=cmd|' /C calc'!A0"
    rows = read_csv(viewer.get(_base(teams) + "export.csv"))
    assert len(rows) == len(stored("clients", teams["partner"]))  # all pages, not one
    cell = next(r["legal_name"] for r in rows if r["id"] == target["id"])
    assert cell.startswith("'=")
    only_valid = read_csv(viewer.get(_base(teams) + "export.csv?validity=valid"))
    assert only_valid and all(r["sat_check"] == "valid" for r in only_valid)


def test_an_export_whose_first_page_fails_is_an_error_page_not_a_broken_download(
    app, viewer, teams, faults
):
    faults({"rules": [{"method": "GET", "path": "/clients", "status": 503, "retry_after": 0}]})
    answer = viewer.get(_base(teams) + "export.csv")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 502 and answer.mimetype == "text/html"
    assert "No pudimos conectar con gigstack" in text_of(html)
    assert f'href="{_base(teams)}export.csv">Reintentar</a>' in html
    assert "Traceback" not in html
    assert not audit_rows(app, "client.export_csv")  # nothing was exported


@pytest.fixture
def many_clients(sandbox, teams, restore_sandbox) -> int:
    """The partner's clients past one page of the export's walk (100 a page): how many."""
    with sandbox.store.lock:
        model = sandbox.store.all("clients", teams["partner"], False)[0]
        for number in range(100):
            copy = {**model, "id": f"client_many{number:04d}", "name": f"Cliente {number}"}
            copy.pop("_seq", None)
            sandbox.store.add("clients", copy["id"], copy)
        return len(sandbox.store.all("clients", teams["partner"], False))


def test_an_export_cut_short_ends_with_a_line_that_says_so(sandbox, viewer, teams, many_clients):
    inner = sandbox.app.wsgi_app

    def second_page_fails(environ, start_response):  # the first page came, the next does not
        if environ["PATH_INFO"].endswith("/v2/clients") and "next=" in environ["QUERY_STRING"]:
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"error": "service_unavailable", "message": "down"}']
        return inner(environ, start_response)

    sandbox.app.wsgi_app = second_page_fails
    try:
        answer = viewer.get(_base(teams) + "export.csv")
        body = answer.get_data(as_text=True)
    finally:
        sandbox.app.wsgi_app = inner
    assert answer.status_code == 200 and many_clients > 100
    lines = body.strip().splitlines()
    assert len(lines) == 1 + 100 + 1  # the header, the first page, the warning
    assert (
        lines[-1]
        == "EXPORTACIÓN INCOMPLETA: la descarga se detuvo antes del final. Exporta de nuevo."
    )


def test_detail_says_what_is_wrong_and_shows_its_documents(viewer, stored, teams):
    efos = stored.one("clients", teams["partner"], tax_id="EFO150101AB7")
    html = viewer.get(f"{_base(teams)}{efos['id']}").get_data(as_text=True)
    assert "El RFC está en la lista EFOS del SAT" in html
    assert "601 — General de Ley Personas Morales" in html
    for panel in ("invoices", "payments", "receipts"):
        assert f'data-testid="panel-{panel}"' in html


def test_one_panel_failing_leaves_the_rest_of_the_page(viewer, stored, teams, faults):
    client = stored("clients", teams["partner"])[4]
    faults({"rules": [{"method": "GET", "path": "/payments", "status": 503, "retry_after": 0}]})
    answer = viewer.get(f"{_base(teams)}{client['id']}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Esta parte de la página no se pudo cargar" in text_of(html)
    assert html.count("Reintentar") == 1  # the failed panel, not the others
    assert client["tax_id"] in html


def test_validate_shows_the_fresh_result_and_is_audited(app, operator, stored, teams):
    client = stored("clients", teams["partner"])[5]
    answer = post_form(operator, f"{_base(teams)}{client['id']}/validate", htmx="client-actions")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<html" not in html
    assert "hecha: los datos fiscales" in html
    assert audit_rows(app, "client.validate")[-1].object_id == client["id"]


def test_portal_link_is_shown_once_and_audited_without_it(app, operator, stored, teams):
    client = stored("clients", teams["partner"])[6]
    answer = post_form(operator, f"{_base(teams)}{client['id']}/portal-link", htmx="client-actions")
    html = answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    link = re.search(r'value="([^"]+)" id="portal-link-value"', html).group(1)
    [entry] = audit_rows(app, "client.portal_link")
    assert link not in (entry.reason or "")
    assert link not in operator.get(f"{_base(teams)}{client['id']}").get_data(as_text=True)


def test_stamping_pending_receipts_confirms_then_starts_a_job_that_stamps_them(
    app, operator, api, teams, restore_sandbox, frozen_clock
):
    frozen_clock(SEED_ANCHOR)  # the seeded receipts are still pending then
    listed = list(api.receipts.iter(status="pending", limit=100))
    client_id = next(r["client"]["id"] for r in listed if (r.get("client") or {}).get("id"))
    pending = [r for r in listed if (r.get("client") or {}).get("id") == client_id]
    path = f"{_base(teams)}{client_id}/stamp-pending-receipts"
    confirm = operator.get(path).get_data(as_text=True)
    assert f"Timbrar {len(pending)} recibo" in confirm
    answer = post_form(operator, path, {"once": input_value(confirm, "once")})
    assert answer.status_code == 302 and "/jobs/" in answer.location
    run_jobs(app)
    page = operator.get(answer.location).get_data(as_text=True)
    assert 'data-status="finished"' in page
    for receipt in pending:
        assert api.receipts.get(receipt["id"])["status"] == "completed"
    assert said(app, audit_rows(app, "job.start")[-1]).startswith(
        "Stamping a client's pending receipts: client "
    )


def test_create_once_with_the_rules_of_cfdi_40(app, operator, stored, teams, restore_sandbox):
    once = input_value(operator.get(_base(teams) + "new").get_data(as_text=True), "once")
    first = post_form(operator, _base(teams) + "new", {**GOOD, "once": once})
    second = post_form(operator, _base(teams) + "new", {**GOOD, "once": once})
    assert first.status_code == second.status_code == 302
    made = stored("clients", teams["partner"], tax_id="CBA150101AB0")
    assert len(made) == 1 and made[0]["address"]["zip"] == "37000"
    assert first.headers["Location"] == f"{_base(teams)}{made[0]['id']}"
    assert audit_rows(app, "client.create")[-1].object_id == made[0]["id"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"tax_id": "CBA15"}, "tax_id", "Un RFC tiene 12 caracteres"),
        ({"tax_id": "CBA991332AB1"}, "tax_id", "no son una fecha real"),  # month 13, day 32
        ({"tax_id": "CBA150101AB1"}, "tax_id", "no es el dígito verificador del SAT"),
        ({"tax_system": ""}, "tax_system", "Elige el régimen fiscal"),
        ({"tax_system": "612"}, "tax_system", "El régimen 612 no es para persona moral."),
        ({"use": "D01"}, "use", "El uso D01 no se permite para el régimen 601."),
        ({"zip": "3700"}, "zip", "El código postal tiene 5 dígitos."),
        ({"zip": "00003"}, "zip", "no es un código postal del catálogo del SAT"),
        ({"legal_name": ""}, "legal_name", "Escribe la razón social como aparece en la CSF."),
        ({"email": "sin-arroba"}, "email", "Escribe un correo válido."),
        # a foreign client: its tax id in its country and its country (what the PAC requires)
        ({"tax_id": "XEXX010101000", "country": "USA"}, "foreign_tax_id", "número de registro"),
        ({"tax_id": "XEXX010101000", "foreign_tax_id": "98-7654321"}, "country", "c_Pais"),
    ],
)
def test_bad_input_is_said_on_its_field_with_no_call(
    operator, teams, sandbox_requests, changes, field, message
):
    sandbox_requests.clear()
    answer = post_form(operator, _base(teams) + "new", {**GOOD, **changes}, htmx="client-form")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert message in field_error(html, field)
    assert input_value(html, "name") == "Bajío"
    assert not [r for r in sandbox_requests if r.method == "POST"]


def test_a_regime_that_still_fits_the_rfc_typed_is_kept_the_others_dropped(operator, teams):
    def fiscal(rfc: str, regime: str, use: str) -> str:
        query = {"tax_id": rfc, "tax_system": regime, "use": use}
        return operator.get(
            _base(teams) + "new", query_string=query, headers=htmx_headers("fiscal-fields")
        ).get_data(as_text=True)

    def chosen(html: str, name: str) -> str | None:
        found = re.search(rf'id="{name}".*?<option selected value="([^"]*)"', html, re.S)
        return found and found.group(1)

    kept = fiscal("FUNK671228PH6", "612", "D01")  # 612 fits a persona física
    assert (chosen(kept, "tax_system"), chosen(kept, "use")) == ("612", "D01")
    dropped = fiscal("EKU9003173C9", "612", "D01")  # not a persona moral's regime
    assert not chosen(dropped, "tax_system")
    assert "El régimen 612 no es para persona moral." in field_error(dropped, "tax_system")
    uses = re.findall(r'<option[^>]*value="([A-Z0-9]+)"', dropped.split('id="use"')[1])
    assert "G03" in uses and "D01" not in uses  # the uses of a persona moral, not of 612


def test_only_the_cfdi_40_uses_the_regime_allows_are_offered(operator, teams):
    fragment = operator.get(
        _base(teams) + "new",
        query_string={"tax_id": "FUNK671228PH6", "tax_system": "605"},
        headers=htmx_headers("fiscal-fields"),
    ).get_data(as_text=True)
    uses = re.findall(r'<option[^>]*value="([A-Z0-9]+)"', fragment.split('id="use"')[1])
    assert "P01" not in uses and "G03" not in uses  # 605 (sueldos) takes no G03
    assert {"D01", "S01", "CN01"} <= set(uses)
    refused = post_form(operator, _base(teams) + "new", {**GOOD, "use": "P01"}, htmx="client-form")
    assert "Elige un uso de CFDI de la lista" in field_error(refused.get_data(as_text=True), "use")


def test_generic_rfc_fixes_regime_and_use(operator, teams):
    fragment = operator.get(
        _base(teams) + "new",
        query_string={"tax_id": "XAXX010101000"},
        headers=htmx_headers("fiscal-fields"),
    ).get_data(as_text=True)
    assert "<html" not in fragment
    assert re.findall(r'<option[^>]*value="(\d+)"', fragment.split('id="use"')[0]) == ["616"]
    assert "RFC genérico" in fragment
    uses = re.findall(r'<option[^>]*value="([A-Z0-9]+)"', fragment.split('id="use"')[1])
    assert set(uses) <= {"S01", "CP01"}


def test_a_generic_client_is_saved_with_its_fixed_regime_and_use(
    operator, stored, teams, restore_sandbox
):
    answer = post_form(
        operator,
        _base(teams) + "new",
        {
            **GOOD,
            "legal_name": "VENTAS MOSTRADOR",
            "tax_id": "XAXX010101000",
            "tax_system": "601",
            "use": "G03",
            "zip": "06600",
        },
    )
    assert answer.status_code == 302
    made = [
        c for c in stored("clients", teams["partner"]) if c.get("legal_name") == "VENTAS MOSTRADOR"
    ]
    assert [(c["tax_system"], c["use"]) for c in made] == [("616", "S01")]


def test_a_foreign_client_keeps_its_tax_id_where_the_pac_rules_read_it(
    api, operator, stored, teams, restore_sandbox
):
    foreign = {
        **GOOD,
        "legal_name": "NORTHWIND TRADERS",
        "tax_id": "XEXX010101000",
        "country": "USA",
        "foreign_tax_id": "98-7654321",
    }
    answer = post_form(operator, _base(teams) + "new", foreign)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    [made] = [
        c for c in stored("clients", teams["partner"]) if c.get("legal_name") == "NORTHWIND TRADERS"
    ]
    assert made["metadata"][FOREIGN_TAX_ID] == "98-7654321"
    assert made["address"]["country"] == "USA"
    assert foreign_receiver(made) == {"country": "USA", "tax_id": "98-7654321"}
    # the edit form shows it, and changing it keeps the client's other metadata
    path = f"{_base(teams)}{made['id']}/edit"
    assert input_value(operator.get(path).get_data(as_text=True), "foreign_tax_id") == "98-7654321"
    api.clients.update(
        made["id"], {"metadata": {**made["metadata"], "crm": "7"}}, team=teams["partner"]
    )
    edited = post_form(operator, path, {**foreign, "foreign_tax_id": "11-2223334"})
    assert edited.status_code == 302
    again = stored.one("clients", teams["partner"], id=made["id"])
    assert again["metadata"] == {FOREIGN_TAX_ID: "11-2223334", "crm": "7"}


def test_edit_sends_only_what_changed(
    app, operator, stored, teams, restore_sandbox, sandbox_requests
):
    client = stored.one("clients", teams["partner"], tax_id="EFO150101AB7")
    path = f"{_base(teams)}{client['id']}/edit"
    page = operator.get(path).get_data(as_text=True)
    data = {
        name: input_value(page, name) or ""
        for name in (
            "legal_name",
            "name",
            "company",
            "tax_id",
            "email",
            "bcc",
            "phone",
            "zip",
            "street",
            "exterior",
            "interior",
            "neighborhood",
            "city",
            "state",
            "country",
        )
    }
    data.update({"tax_system": client["tax_system"], "use": client["use"], "phone": "442 123 4567"})
    answer = post_form(operator, path, data)
    assert answer.status_code == 302
    assert stored.one("clients", teams["partner"], tax_id="EFO150101AB7")["phone"] == "442 123 4567"
    assert said(app, audit_rows(app, "client.update")[-1]) == "changed: phone"


@pytest.mark.parametrize("emptied", ["use", "tax_system", "tax_id", "name"])
def test_edit_cannot_empty_what_gigstack_keeps_once_set(
    operator, stored, teams, sandbox_requests, emptied
):
    client = stored.one("clients", teams["partner"], tax_id="EFO150101AB7")
    path = f"{_base(teams)}{client['id']}/edit"
    page = operator.get(path).get_data(as_text=True)
    data = {name: input_value(page, name) or "" for name in ("legal_name", "name", "tax_id", "zip")}
    data.update({"tax_system": client["tax_system"], "use": client["use"], emptied: ""})
    sandbox_requests.clear()
    answer = post_form(operator, path, data)
    assert answer.status_code == 422
    said = field_error(answer.get_data(as_text=True), emptied)
    if emptied == "tax_system":  # never saved without one, whatever gigstack keeps
        assert "Elige el régimen fiscal" in said
    else:
        assert "gigstack conserva este dato una vez capturado" in said
    assert not [r for r in sandbox_requests if r.method == "PUT"]


def test_delete_asks_a_reason_and_names_the_client(app, operator, stored, teams, restore_sandbox):
    client = stored("clients", teams["partner"])[7]
    path = f"{_base(teams)}{client['id']}/delete"
    page = operator.get(path).get_data(as_text=True)
    assert (client.get("legal_name") or client["name"]) in text_of(page)
    assert post_form(operator, path, {"reason": ""}).status_code == 422
    assert post_form(operator, path, {"reason": "duplicado"}).status_code == 302
    assert client["id"] not in {c["id"] for c in stored("clients", teams["partner"])}
    assert audit_rows(app, "client.delete")[-1].reason == "duplicado"


def test_viewers_read_only(viewer, stored, teams):
    client = stored("clients", teams["partner"])[0]
    for path in (
        _base(teams) + "new",
        f"{_base(teams)}{client['id']}/edit",
        f"{_base(teams)}{client['id']}/delete",
    ):
        assert viewer.get(path).status_code == 403
    for verb in ("validate", "portal-link", "stamp-pending-receipts"):
        assert post_form(viewer, f"{_base(teams)}{client['id']}/{verb}").status_code == 403
