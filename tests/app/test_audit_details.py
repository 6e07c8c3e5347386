"""An audit row's detail reads in the reader's language: real flows (a client edited, a
credit note issued, a webhook registered, a job run) record it as a message and its values,
and the audit page and its CSV show it in Spanish — enums (a field, a job kind) by their
labels — or in English, never the other language; every message has its Spanish translation;
what a person typed and rows recorded before details existed are shown as stored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo

from tests.app.helpers import (
    audit_rows,
    input_value,
    one_finished_job,
    post_form,
    read_csv,
    said,
    text_of,
)
from webapp.audit import record
from webapp.audit.details import MESSAGES
from webapp.labels import LABELS

pytestmark = pytest.mark.databases

ROOT = Path(__file__).resolve().parents[2]
COMPILED = ROOT / "webapp" / "translations" / "es_MX" / "LC_MESSAGES" / "messages.mo"
VARIABLE = re.compile(r"%\(\w+\)[sd]")
ENGLISH_WORD = re.compile(r"[A-Za-z']{4,}")
# a reason typed (a deletion's), and one recorded before details existed: shown as stored
TYPED = ("duplicado", "changed: phone, email")


def english_fragments() -> set[str]:
    """The words of every detail message (its text between variables) that its Spanish
    translation does not share: seen on a Spanish page, they are English left untranslated."""
    with COMPILED.open("rb") as handle:
        spanish = read_mo(handle)
    found = set()
    for message in MESSAGES:
        translated = spanish.get(message).string
        for fragment in VARIABLE.split(message):
            for word in ENGLISH_WORD.findall(fragment):
                if word not in translated:
                    found.add(word)
    return found


def test_every_detail_message_has_its_spanish_translation():
    with COMPILED.open("rb") as handle:
        spanish = read_mo(handle)
    missing = [m for m in sorted(MESSAGES) if not (spanish.get(m) and spanish.get(m).string)]
    assert len(MESSAGES) > 40
    assert not missing, f"no Spanish for {missing} (make translations, fill messages.po)"
    for message in MESSAGES:  # the translation keeps every variable of the message
        assert sorted(VARIABLE.findall(spanish.get(message).string)) == sorted(
            VARIABLE.findall(message)
        ), message


def test_every_label_kind_a_detail_names_exists():
    """``enum("kind", …)``/``enums("kind", …)`` and ``changed_reason(…, "kind")`` anywhere in
    the app name a table of :data:`webapp.labels.LABELS`."""
    named = set()
    for path in (ROOT / "webapp").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"\benums?\(\s*\"(\w+)\"", text))
        named |= set(re.findall(r"changed_reason\([^\n]*, \"(\w+)\"\)", text))
    assert {"field", "job_kind", "setting", "role"} <= named
    assert named <= set(LABELS), sorted(named - set(LABELS))


def _reasons(html: str) -> list[str]:
    """The audit page's reason cells (the table's last column), as text."""
    return [
        text_of(cell)
        for cell in re.findall(
            r"<td>((?:(?!<td>).)*?)</td>\s*</tr>", html.split('id="audit-table"')[1], re.S
        )
    ]


def _edit_client_phone(operator, stored, teams) -> None:
    client = stored.one("clients", teams["partner"], tax_id="EFO150101AB7")
    path = f"/teams/{teams['partner']}/clients/{client['id']}/edit"
    page = operator.get(path).get_data(as_text=True)
    names = ("legal_name", "name", "company", "tax_id", "email", "bcc", "phone", "zip")
    names += ("street", "exterior", "interior", "neighborhood", "city", "state", "country")
    data = {name: input_value(page, name) or "" for name in names}
    data.update(tax_system=client["tax_system"], use=client["use"], phone="442 765 4321")
    assert post_form(operator, path, data).status_code == 302


def _issue_credit_note(operator, stored, teams) -> dict:
    invoice = stored.one(
        "invoices",
        teams["partner"],
        invoice_type="I",
        status="valid",
        test=lambda inv: len(inv["items"]) >= 1 and float(inv["items"][0]["quantity"]) >= 1,
    )
    path = f"/teams/{teams['partner']}/invoices/{invoice['uuid']}/credit-note"
    page = operator.get(path).get_data(as_text=True)
    data = {"idempotency_key": input_value(page, "idempotency_key"), "action": "issue"}
    for index, item in enumerate(invoice["items"]):
        data[f"rows-{index}-include"] = "y"
        data[f"rows-{index}-quantity"] = str(item["quantity"])
    assert post_form(operator, path, data).status_code == 302
    return invoice


def _register_webhook(operator, teams) -> None:
    path = f"/teams/{teams['partner']}/webhooks/new"
    page = operator.get(path).get_data(as_text=True)
    data = {
        "once": input_value(page, "once"),
        "url": "https://erp.example.mx/hooks/auditoria",
        "description": "ERP",
        "status": "active",
        "all_invoice": "y",
    }
    assert post_form(operator, path, data).status_code == 302


def test_details_of_real_flows_read_in_spanish_and_in_english(
    app, operator, admin, stored, teams, english, restore_sandbox
):
    """The operator acts; an admin, who reads everyone's rows, reads the log."""
    _edit_client_phone(operator, stored, teams)
    invoice = _issue_credit_note(operator, stored, teams)
    _register_webhook(operator, teams)
    one_finished_job(app, operator, teams["partner"])
    with app.app_context():  # a typed reason, and a row from before details: as stored
        for typed in TYPED:
            record("client.update", team=teams["partner"], reason=typed, actor="x@staff.test")

    html = admin.get("/audit/").get_data(as_text=True)
    reasons = _reasons(html)
    shown = "\n".join(r for r in reasons if r not in TYPED)
    assert "cambió: teléfono" in reasons
    folio = f"{invoice['series']}-{invoice['folio_number']}"
    assert any(
        r.startswith("nota de crédito ") and f" de {folio} (" in r and r.endswith(" MXN")
        for r in reasons
    )
    assert any(
        r.startswith("https://erp.example.mx/hooks/auditoria · eventos suscritos: ")
        for r in reasons
    )
    assert any(
        r.startswith("Exportación de los CFDI del mes: 2026-10: notas de crédito; Vigente")
        for r in reasons
    )
    assert any(
        r.startswith("Exportación de los CFDI del mes: bien ")
        and ", omitidos 0, fallidos 0 de " in r
        for r in reasons
    )
    left = sorted(word for word in english_fragments() if re.search(rf"\b{word}\b", shown))
    assert not left, f"English on the Spanish audit page: {left}\n{shown}"
    assert set(TYPED) <= set(reasons)

    exported = read_csv(admin.get("/audit/export.csv"))
    assert "cambió: teléfono" in [row["reason"] for row in exported]

    english(admin)
    reasons = _reasons(admin.get("/audit/").get_data(as_text=True))
    assert reasons.count("changed: phone") == 1 and "cambió: teléfono" not in reasons
    assert any(
        r.startswith("Month's CFDI export: 2026-10: credit notes; In force") for r in reasons
    )
    exported = read_csv(admin.get("/audit/export.csv"))
    assert [row["reason"] for row in exported].count("changed: phone") == 1
    [entry] = [e for e in audit_rows(app, "client.update") if e.detail]
    assert said(app, entry, "es_MX") == "cambió: teléfono" and entry.reason is None
