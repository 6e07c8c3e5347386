"""Settings: grouped as the API groups them, only changed fields sent, "clear" honoured, the
API's refusals on their fields."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import audit_rows, facts, field_error, post_form, said
from webapp.teams.forms import settings_form
from webapp.teams.setting_groups import SETTINGS, changed_payload

pytestmark = pytest.mark.databases


def _form_values(html: str) -> dict[str, str]:
    """What a browser would send back untouched: every input's value, every select's choice."""
    values = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        values[name] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(
            r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body
        )
        values[name] = (chosen.group(1) or chosen.group(2)) if chosen else ""
    values.pop("csrf_token", None)
    return values


def test_groups_show_current_values(operator, stored, teams):
    html = operator.get(f"/teams/{teams['partner']}/settings").get_data(as_text=True)
    assert "Serie predeterminada" in html and "Correos" in html
    values = _form_values(html)
    assert values["default_series-income-serie"] == "A"
    assert values["use"] == stored.team(teams["partner"])["settings"]["use"]


def test_viewers_read_the_settings_as_facts_not_a_form(viewer, stored, teams):
    """Before: the form itself, disabled, with a Save button a viewer could not use."""
    answer = viewer.get(f"/teams/{teams['partner']}/settings")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "<form" not in html.split('id="main"')[-1] and "Guardar ajustes" not in html
    series = facts(html, "settings-facts-2")
    assert series["Facturas de ingreso"] == "A"
    use = stored.team(teams["partner"])["settings"]["use"]
    assert facts(html, "settings-facts-1")["Uso de CFDI predeterminado"].startswith(f"{use} — ")
    answered = facts(html, "settings-facts-3")["Factura global desactivada"]
    assert answered in {"Sí", "No", "Sin definir (valor de gigstack)"}


def test_the_default_use_offers_only_cfdi_40_uses(operator, teams):
    html = operator.get(f"/teams/{teams['partner']}/settings").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="use"[^>]*>(.*?)</select>', html, re.S).group(1)
    uses = re.findall(r'value="([A-Z0-9]+)"', select)
    assert {"G03", "D01", "CP01"} <= set(uses) and "P01" not in uses


def test_only_changed_fields_are_sent_and_audited(
    app, operator, stored, teams, restore_sandbox, sandbox_requests
):
    path = f"/teams/{teams['subs'][0]}/settings"
    values = _form_values(operator.get(path).get_data(as_text=True))
    values.update(
        {
            "invoice_pdf_notes": "Gracias por su compra",
            "emails-invoices_bcc": "conta@ejemplo.mx, dueña@ejemplo.mx",
            "invoice_per_receipt": "yes",
        }
    )
    sandbox_requests.clear()
    answer = post_form(operator, path, values)
    assert answer.status_code == 302
    settings = stored.team(teams["subs"][0])["settings"]
    assert settings["invoice_pdf_notes"] == "Gracias por su compra"
    assert settings["emails"]["invoices_bcc"] == ["conta@ejemplo.mx", "dueña@ejemplo.mx"]
    assert settings["invoice_per_receipt"] is True
    [entry] = audit_rows(app, "team.update_settings")
    assert said(app, entry) == (
        "changed: Bcc of invoice e-mails, Notes printed on the invoice PDF, One invoice per receipt"
    )
    assert [r.method for r in sandbox_requests if r.path.endswith("/settings")] == ["GET", "PUT"]


def test_clear_sends_null_or_empty_as_the_api_wants(app, teams):
    with app.test_request_context():
        current = {
            "use": "G03",
            "invoice_pdf_notes": "x",
            "global_invoice_disabled": True,
            "periodicity": {"label": "Mes", "value": "month"},
            "emails": {"invoices_bcc": ["a@b.mx"]},
        }
        data = {s.attr: "" for s in SETTINGS}
        form = settings_form(["A"], data, formdata=None)
        payload = changed_payload(form, current)
    assert payload["use"] is None and payload["periodicity"] is None
    assert payload["global_invoice_disabled"] is None
    assert payload["invoice_pdf_notes"] == ""
    assert payload["emails"] == {"invoices_bcc": []}


def test_bad_values_stay_local_and_keep_the_input(operator, teams, sandbox_requests):
    path = f"/teams/{teams['partner']}/settings"
    values = _form_values(operator.get(path).get_data(as_text=True))
    values.update(
        {
            "product_key": "123",
            "emails-payments_bcc": "no es correo",
            "eom_ppd_threshold_days": "40",
            "default_description": "Servicio mensual",
        }
    )
    sandbox_requests.clear()
    answer = post_form(operator, path, values)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "8 dígitos" in field_error(html, "product_key")
    assert "correos separados por comas" in field_error(html, "emails-payments_bcc")
    assert "De 0 a 31." in field_error(html, "eom_ppd_threshold_days")
    assert 'value="Servicio mensual"' in html
    assert not [r for r in sandbox_requests if r.method == "PUT"]


def test_viewer_may_not_save(viewer, teams):
    assert (
        post_form(
            viewer, f"/teams/{teams['partner']}/settings", {"invoice_pdf_notes": "x"}
        ).status_code
        == 403
    )
