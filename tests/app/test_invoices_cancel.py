"""Cancel an invoice under each SAT motive, and each refusal: cancelling twice, a substitute
that is the invoice itself or not valid, an unknown motive, and live mode's typed folio."""

from __future__ import annotations

import re

import pytest

from tests.app.conftest import add_staff, make_app, sign_in
from tests.app.helpers import audit_rows, field_error, post_form, said, text_of

pytestmark = pytest.mark.databases


def _valid_income(stored, team_id: str, live: bool = False) -> list[dict]:
    """Valid income invoices nothing valid relates to (no complement, no credit note): the
    cancel form asks no more than the motive and the reason."""
    credited = {
        doc
        for note in stored("invoices", team_id, live=live, invoice_type="E", status="valid")
        for group in note["related_documents"]
        for doc in group["documents"]
    }
    return stored(
        "invoices",
        team_id,
        live=live,
        invoice_type="I",
        status="valid",
        test=lambda i: not i.get("payment_complements") and i["uuid"] not in credited,
    )


def _path(teams, uuid: str) -> str:
    return f"/teams/{teams['partner']}/invoices/{uuid}/cancel"


@pytest.mark.parametrize("motive", ["02", "03", "04"])
def test_each_motive_without_substitute_cancels(
    app, operator, stored, teams, motive, restore_sandbox
):
    target = _valid_income(stored, teams["partner"])[int(motive)]
    answer = post_form(
        operator,
        _path(teams, target["uuid"]),
        {"motive": motive, "reason": f"prueba del motivo {motive}"},
    )
    assert answer.status_code == 302
    after = stored.one("invoices", teams["partner"], uuid=target["uuid"])
    assert after["status"] == "cancelled" and after["cancellation_motive"] == motive
    entry = audit_rows(app, "invoice.cancel")[-1]
    assert entry.object_id == target["uuid"] and f"motive {motive}" in said(app, entry)
    page = text_of(operator.get(answer.headers["Location"]).get_data(as_text=True))
    assert "cancelada" in page.lower()


def test_each_motive_is_explained_in_plain_spanish(operator, stored, teams):
    target = _valid_income(stored, teams["partner"])[0]
    page = text_of(operator.get(_path(teams, target["uuid"])).get_data(as_text=True))
    for words in (
        "una nueva la sustituye",
        "no se volverá a facturar",
        "no se realizó",
        "factura global",
    ):
        assert words in page


def test_cancelling_twice_says_so_and_sends_nothing(
    operator, stored, teams, restore_sandbox, sandbox_requests
):
    target = _valid_income(stored, teams["partner"])[5]
    path = _path(teams, target["uuid"])
    assert post_form(operator, path, {"motive": "02", "reason": "uno"}).status_code == 302
    sandbox_requests.clear()
    again = post_form(operator, path, {"motive": "02", "reason": "dos"}, htmx="cancel-form")
    assert again.status_code == 422
    assert "ya está cancelado" in text_of(again.get_data(as_text=True))
    assert not [r for r in sandbox_requests if r.method == "DELETE"]


def test_motive_01_guides_issuing_the_substitute_and_comes_back(
    app, operator, api, stored, teams, restore_sandbox
):
    from tests.app.helpers import input_value

    target = next(
        inv
        for inv in _valid_income(stored, teams["partner"])
        if inv["client"].get("tax_id") not in ("XAXX010101000", "XEXX010101000")
    )
    page = operator.get(_path(teams, target["uuid"])).get_data(as_text=True)
    link = (
        f"/teams/{teams['partner']}/invoices/new?client_id={target['client']['id']}"
        f"&amp;replaces={target['uuid']}"
    )
    assert link in page
    form = operator.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert input_value(form, "replaces") == target["uuid"]
    assert target["uuid"] in text_of(form)  # the banner says what it substitutes
    item = target["items"][0]
    issued = post_form(
        operator,
        f"/teams/{teams['partner']}/invoices/new",
        {
            "idempotency_key": "substitute-1",
            "replaces": target["uuid"],
            "client_id": target["client"]["id"],
            "items-0-description": item["description"],
            "items-0-quantity": "1",
            "items-0-unit_price": "100",
            "items-0-product_key": item["product_key"],
            "items-0-unit_key": item["unit_key"],
            "items-0-iva": "0.16",
            "payment_method": "PUE",
            "payment_form": "03",
            "use": target["use"],
            "currency": "MXN",
            "action": "stamp",
        },
    )
    assert issued.status_code == 302, text_of(issued.get_data(as_text=True))[:500]
    back = issued.headers["Location"]
    assert back.startswith(_path(teams, target["uuid"])) and "motive=01" in back
    new_uuid = back.rsplit("substitute=", 1)[1]
    substitute = api.invoices.get(new_uuid, team=teams["partner"])
    assert substitute["related_documents"] == [
        {"relationship": "04", "documents": [target["uuid"]]}
    ]
    chosen = operator.get(back).get_data(as_text=True)
    assert (
        f'<option selected value="{new_uuid}"' in chosen
        or f'<option value="{new_uuid}" selected' in chosen
    )
    done = post_form(
        operator,
        _path(teams, target["uuid"]),
        {"motive": "01", "substitution_uuid": new_uuid, "reason": "datos del receptor"},
    )
    assert done.status_code == 302
    assert (
        stored.one("invoices", teams["partner"], uuid=target["uuid"])["substitution_uuid"]
        == new_uuid
    )


def test_a_substitute_that_is_the_invoice_itself_is_refused_on_its_field(operator, stored, teams):
    target = _valid_income(stored, teams["partner"])[6]
    answer = post_form(
        operator,
        _path(teams, target["uuid"]),
        {"motive": "01", "substitution_uuid": target["uuid"], "reason": "x"},
        htmx="cancel-form",
    )
    assert answer.status_code == 422
    assert field_error(answer.get_data(as_text=True), "substitution_uuid")
    assert stored.one("invoices", teams["partner"], uuid=target["uuid"])["status"] == "valid"


def test_a_substitute_that_is_not_valid_is_refused_on_its_field(operator, stored, teams):
    target = _valid_income(stored, teams["partner"])[7]
    cancelled = next(
        inv
        for inv in stored("invoices", teams["partner"])
        if inv["invoice_type"] == "I" and inv["status"] == "cancelled"
    )
    answer = post_form(
        operator,
        _path(teams, target["uuid"]),
        {"motive": "01", "substitution_uuid": cancelled["uuid"], "reason": "x"},
        htmx="cancel-form",
    )
    assert answer.status_code == 422
    assert field_error(answer.get_data(as_text=True), "substitution_uuid")
    assert stored.one("invoices", teams["partner"], uuid=target["uuid"])["status"] == "valid"


def test_an_unknown_motive_is_refused_before_sending(operator, stored, teams, sandbox_requests):
    target = _valid_income(stored, teams["partner"])[8]
    answer = post_form(
        operator, _path(teams, target["uuid"]), {"motive": "09", "reason": "x"}, htmx="cancel-form"
    )
    assert answer.status_code == 422
    assert "Elige un motivo de la lista" in field_error(answer.get_data(as_text=True), "motive")
    assert not [r for r in sandbox_requests if r.method == "DELETE"]


def _paid_by_a_valid_complement(stored, teams) -> tuple[dict, dict]:
    complement = stored.one("invoices", teams["partner"], invoice_type="P", status="valid")
    paid = complement["payment_complement"]["related_invoices"][0]["uuid"]
    return stored.one("invoices", teams["partner"], uuid=paid), complement


def test_valid_complements_are_listed_and_the_cancellation_confirmed_before_sending(
    app, operator, stored, teams, sandbox_requests, restore_sandbox
):
    invoice, complement = _paid_by_a_valid_complement(stored, teams)
    path = _path(teams, invoice["uuid"])
    page = operator.get(path, query_string={"type": "income"}).get_data(as_text=True)
    warning = re.search(r'data-testid="standing-documents">(.*?)</section>', page, re.S)
    assert warning, "no word of the valid complement"
    text = text_of(warning.group(1))
    assert "El SAT no permite cancelar" in text and "cancélalos primero" in text
    assert f"Complemento de pago {complement['series']}-{complement['folio_number']}" in text
    assert f"/invoices/{complement['uuid']}?type=payment" in warning.group(1)
    assert 'name="confirm_related"' in page
    sandbox_requests.clear()
    unconfirmed = post_form(
        operator, path, {"motive": "03", "reason": "no se realizó"}, htmx="cancel-form"
    )
    assert unconfirmed.status_code == 422
    assert "Marca la casilla" in field_error(unconfirmed.get_data(as_text=True), "confirm_related")
    assert not [r for r in sandbox_requests if r.method == "DELETE"]
    confirmed = post_form(
        operator, path, {"motive": "03", "reason": "no se realizó", "confirm_related": "y"}
    )
    assert confirmed.status_code == 302
    assert stored.one("invoices", teams["partner"], uuid=invoice["uuid"])["status"] == "cancelled"
    assert "despite 1 valid related document" in said(app, audit_rows(app, "invoice.cancel")[-1])


def test_a_valid_credit_note_is_listed_on_the_cancel_form(operator, stored, teams):
    note = stored.one("invoices", teams["partner"], invoice_type="E", status="valid")
    credited = note["related_documents"][0]["documents"][0]
    page = operator.get(_path(teams, credited)).get_data(as_text=True)
    warning = re.search(r'data-testid="standing-documents">(.*?)</section>', page, re.S)
    assert warning and f"/invoices/{note['uuid']}?type=egress" in warning.group(1)
    assert f"Nota de crédito {note['series']}-{note['folio_number']}" in text_of(warning.group(1))


def test_nothing_related_asks_for_no_confirmation(operator, stored, teams):
    target = _valid_income(stored, teams["partner"])[0]
    page = operator.get(_path(teams, target["uuid"])).get_data(as_text=True)
    assert 'data-testid="standing-documents"' not in page and "confirm_related" not in page


@pytest.fixture
def live_operator(sandbox, keys):
    application = make_app(sandbox.api_url, keys["partner_live"]["key"])
    add_staff(application, "live@staff.test", "operator")
    browser = application.test_client()
    assert sign_in(browser, "live@staff.test").status_code == 302
    yield browser
    application.extensions["gigstack"].close()


def test_live_mode_asks_for_the_series_folio_typed(live_operator, stored, teams, restore_sandbox):
    target = _valid_income(stored, teams["partner"], live=True)[0]
    folio = f"{target['series']}-{target['folio_number']}"
    path = _path(teams, target["uuid"])
    wrong = post_form(
        live_operator,
        path,
        {"motive": "02", "reason": "x", "confirm_folio": "Z-999"},
        htmx="cancel-form",
    )
    assert wrong.status_code == 422
    assert folio in field_error(wrong.get_data(as_text=True), "confirm_folio")
    assert (
        stored.one("invoices", teams["partner"], live=True, uuid=target["uuid"])["status"]
        == "valid"
    )
    done = post_form(
        live_operator, path, {"motive": "02", "reason": "x", "confirm_folio": folio.lower()}
    )
    assert done.status_code == 302
    assert (
        stored.one("invoices", teams["partner"], live=True, uuid=target["uuid"])["status"]
        == "cancelled"
    )


@pytest.mark.parametrize("status", ["pending", "accepted", "rejected"])
def test_sats_answer_to_a_cancellation_is_said_in_words(viewer, stored, teams, sandbox, status):
    """Before: "Cancelada · accepted" on a Spanish page (the API's value as it came)."""
    invoice = stored.one("invoices", teams["partner"], invoice_type="I", status="cancelled")
    kept = sandbox.store.objects["invoices"][invoice["uuid"]]
    with sandbox.store.lock:
        kept["cancellation_status"] = status
    try:
        base = f"/teams/{teams['partner']}/invoices/"
        words = {"pending": "pendiente de que el receptor la acepte", "accepted": "aceptada"}
        words["rejected"] = "rechazada por el receptor"
        detail = text_of(viewer.get(f"{base}{invoice['uuid']}?type=income").get_data(True))
        assert f"SAT: {words[status]}" in detail and status not in detail
        rows = text_of(viewer.get(base, query_string={"status": "cancelled"}).get_data(True))
        assert words[status] in rows and f" {status} " not in f" {rows} "
    finally:
        with sandbox.store.lock:
            kept["cancellation_status"] = invoice["cancellation_status"]
