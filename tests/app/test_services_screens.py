"""Services: list and search, SAT key pickers from the local catalogue, the taxes editor with
the price preview, create once, edit only what changed, delete with a reason."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import (
    audit_rows,
    field_error,
    htmx_headers,
    input_value,
    post_form,
    said,
    text_of,
)
from webapp.services.forms import changed
from webapp.services.taxes import choices_from_taxes, taxes_from_choices

pytestmark = pytest.mark.databases

GOOD = {
    "description": "Asesoría fiscal mensual",
    "product_key": "84111500",
    "unit_key": "E48",
    "unit_name": "Servicio",
    "unit_price": "1500",
    "iva": "0.16",
    "iva_withheld": "",
    "isr_withheld": "",
    "ieps": "",
}


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/services/"


def test_list_and_search(viewer, stored, teams):
    html = viewer.get(_base(teams)).get_data(as_text=True)
    seeded = stored("services", teams["partner"])
    assert len(re.findall(r'data-service="', html)) == len(seeded)
    one = seeded[0]
    found = viewer.get(
        _base(teams),
        query_string={"q": one["description"].split()[0]},
        headers=htmx_headers("services-list"),
    ).get_data(as_text=True)
    assert f'data-service="{one["id"]}"' in found and "<html" not in found
    assert "/services/new" not in html  # viewers do not create


def test_product_and_unit_pickers_search_the_sat_catalogue(viewer, sandbox_requests):
    sandbox_requests.clear()
    html = viewer.get(
        "/catalogs/product-keys", query_string={"field": "product_key", "product_key": "consultor"}
    ).get_data(as_text=True)
    assert 'data-pick-target="#product_key"' in html
    assert "consultoría" in html.lower()
    units = viewer.get("/catalogs/unit-keys?field=unit_key&unit_key=E48").get_data(as_text=True)
    assert 'data-pick-value="E48"' in units
    nothing = viewer.get("/catalogs/unit-keys?field=unit_key&unit_key=zzzzqqq")
    assert "Nada del catálogo del SAT coincide" in nothing.get_data(as_text=True)
    assert viewer.get("/catalogs/unit-keys?field=%3Cx%3E&q=a").status_code == 400
    short = viewer.get("/catalogs/product-keys?field=product_key&product_key=de")
    assert "Escribe 3 letras o más" in short.get_data(as_text=True)
    tuition = viewer.get("/catalogs/product-keys?field=product_key&product_key=colegiatura")
    assert 'data-pick-value="86121500"' in tuition.get_data(as_text=True)  # SAT's similar words
    assert not [r for r in sandbox_requests if not r.is_team_listing]  # local data only


def test_price_preview_follows_the_taxes_editor(operator, teams):
    fragment = operator.get(
        _base(teams) + "new",
        query_string={
            **GOOD,
            "unit_price": "100",
            "iva_withheld": "0.106667",
            "isr_withheld": "0.1",
        },
        headers=htmx_headers("price-preview"),
    )
    text = text_of(fragment.get_data(as_text=True))
    assert "<html" not in fragment.get_data(as_text=True)
    assert "$100.00 MXN" in text and "-$4.67 MXN" in text and "$95.33 MXN" in text
    inclusive = operator.get(
        _base(teams) + "new",
        query_string={**GOOD, "unit_price": "116", "inclusive": "y"},
        headers=htmx_headers("price-preview"),
    )
    assert "$116.00 MXN" in text_of(inclusive.get_data(as_text=True))


def test_create_once_with_its_taxes(app, operator, stored, teams, restore_sandbox):
    once = input_value(operator.get(_base(teams) + "new").get_data(as_text=True), "once")
    data = {**GOOD, "once": once, "isr_withheld": "0.1", "iva_withheld": "0.106667"}
    first = post_form(operator, _base(teams) + "new", data)
    second = post_form(operator, _base(teams) + "new", data)
    assert first.status_code == second.status_code == 302
    made = [
        s
        for s in stored("services", teams["partner"])
        if s["description"] == "Asesoría fiscal mensual"
    ]
    assert len(made) == 1
    kinds = {(t["type"], t["withholding"], t["rate"]) for t in made[0]["taxes"]}
    assert kinds == {("IVA", False, 0.16), ("IVA", True, 0.106667), ("ISR", True, 0.1)}
    [entry] = audit_rows(app, "service.create")
    assert entry.object_id == made[0]["id"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("product_key", "", "Elige una clave de producto."),
        ("product_key", "99999999", "no es una clave del catálogo c_ClaveProdServ"),
        ("unit_key", "QQQ", "no es una clave del catálogo c_ClaveUnidad"),
        ("unit_price", "-5", "Escribe el precio (0 o más)."),
        ("description", "", "Escribe la descripción."),
        ("ieps", "250", "De 0 a 100."),
    ],
)
def test_bad_input_stays_local_and_is_kept(
    operator, teams, sandbox_requests, field, value, message
):
    sandbox_requests.clear()
    answer = post_form(operator, _base(teams) + "new", {**GOOD, field: value}, htmx="service-form")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and answer.headers["HX-Retarget"] == "#service-form"
    assert message in field_error(html, field)
    assert input_value(html, "description") == (
        GOOD["description"] if field != "description" else ""
    )
    assert not [r for r in sandbox_requests if r.method == "POST"]


def test_edit_sends_only_what_changed_and_keeps_taxes_it_cannot_show(
    app, operator, sandbox, stored, teams, restore_sandbox, sandbox_requests
):
    with sandbox.store.lock:  # a tax the form cannot show
        service = sandbox.store.all("services", teams["partner"], False)[0]
        service["taxes"].append(
            {
                "type": "IEPS",
                "rate": 3.5,
                "factor": "Cuota",
                "withholding": False,
                "inclusive": False,
            }
        )
    path = f"{_base(teams)}{service['id']}/edit"
    page = operator.get(path).get_data(as_text=True)
    assert "También se conservan tal como están: IEPS." in page
    data = {
        name: input_value(page, name) or ""
        for name in (
            "description",
            "sku",
            "product_key",
            "unit_key",
            "unit_name",
            "unit_price",
            "ieps",
        )
    }
    data.update({"iva": "0.16", "iva_withheld": "", "isr_withheld": ""})
    for tax in service["taxes"]:
        if tax["type"] == "ISR":
            data["isr_withheld"] = str(tax["rate"])
    data["description"] = "Nueva descripción"
    sandbox_requests.clear()
    answer = post_form(operator, path, data)
    assert answer.status_code == 302
    after = stored.one("services", teams["partner"], id=service["id"])
    assert after["description"] == "Nueva descripción"
    assert any(t["factor"] == "Cuota" for t in after["taxes"])
    [entry] = audit_rows(app, "service.update")
    assert said(app, entry) == "changed: description"


def test_delete_asks_a_reason(app, operator, stored, teams, restore_sandbox):
    service = stored("services", teams["partner"])[1]
    path = f"{_base(teams)}{service['id']}/delete"
    assert "conservan su propia copia" in operator.get(path).get_data(as_text=True)
    no_reason = post_form(operator, path, {"reason": ""})
    assert no_reason.status_code == 422
    done = post_form(operator, path, {"reason": "ya no se vende"})
    assert done.status_code == 302
    assert service["id"] not in {s["id"] for s in stored("services", teams["partner"])}
    [entry] = audit_rows(app, "service.delete")
    assert entry.reason == "ya no se vende"


def test_viewers_read_only(viewer, stored, teams):
    service = stored("services", teams["partner"])[0]
    for path in (
        _base(teams) + "new",
        f"{_base(teams)}{service['id']}/edit",
        f"{_base(teams)}{service['id']}/delete",
    ):
        assert viewer.get(path).status_code == 403
        assert post_form(viewer, path, GOOD).status_code == 403


def test_unknown_service_is_404(operator, teams):
    assert operator.get(_base(teams) + "service_nope/edit").status_code == 404


def test_taxes_editor_round_trip():
    taxes = taxes_from_choices("0.16", "0.106667", "0.1", 8.0, True)
    values, others = choices_from_taxes(taxes)
    assert others == [] and values == {
        "iva": "0.16",
        "iva_withheld": "0.106667",
        "isr_withheld": "0.1",
        "ieps": 8.0,
        "inclusive": True,
    }
    assert (
        choices_from_taxes(taxes_from_choices("exento", "", "", None, False))[0]["iva"] == "exento"
    )
    assert changed({"description": "a", "taxes": taxes}, {"description": "a", "taxes": taxes}) == {}
