"""Issue an income invoice, or a free egress one (a credit note typed by hand): client picked
as you type, items (a service fills its row, or free with the SAT key pickers), payment, use,
currency, series with its next folio, totals computed here as the API computes them, a
pre-stamp report, and one idempotency key made when the form was opened — a double click, a
retry after a timeout or a resubmitted form issue one invoice.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request, url_for

from webapp import catalogs
from webapp.api import api
from webapp.audit import Detail, enum
from webapp.audit.details import INVOICE_ISSUED
from webapp.formatting import money
from webapp.gigstack import GigstackError
from webapp.i18n import gettext as _
from webapp.sales.items import item_problems, problem_text
from webapp.sat import rules
from webapp.teams.readiness import csd_state

from . import copies
from .forms import EgressForm, InvoiceForm
from .series import credit_note_choices, series_choices

UUID_SHAPE = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
    r"[0-9A-Fa-f]{12}"
)


def prefill(form: InvoiceForm) -> None:
    """A form opened from a link: its client; (egress) the invoices it relates to; (income)
    the invoice it substitutes or duplicates, copied in (one more call: the original)."""
    form.client_id.data = (request.args.get("client_id") or "")[:64]
    if isinstance(form, EgressForm):
        form.use.data = "G02"  # gigstack's default for egress (REFERENCE §12.3)
        form.related_uuids.data = (request.args.get("related") or "")[:2000]
        return
    replaces, copy_of = (_uuid_arg(name) for name in ("replaces", "copy_of"))
    form.replaces.data = replaces
    if not (replaces or copy_of):
        return
    source = copies.original(replaces or copy_of)
    if source.failed:
        form.copy_failed = source  # the form says so, with a retry
        return
    form.copy_of.data = "" if replaces else source.value["uuid"]
    form.copy_notes = copies.copy_into(form, source.value)


def _uuid_arg(name: str) -> str:
    value = request.args.get(name) or ""
    return value.upper() if UUID_SHAPE.fullmatch(value) else ""


def report(
    form: InvoiceForm, client: dict | None, items: list[dict], team: dict
) -> tuple[list[str], list[str]]:
    """Blocking problems (the §4 stamping rules the form can check) and warnings."""
    blocking, warnings = [], list(getattr(form, "copy_notes", []))
    if client is None:
        blocking.append(_("Choose the client."))
    else:
        for field, label in (
            ("tax_id", _("RFC")),
            ("legal_name", _("legal name")),
            ("tax_system", _("tax regime")),
        ):
            if not client.get(field):
                blocking.append(_("The client has no %(what)s.", what=label))
        if not (client.get("address") or {}).get("zip"):
            blocking.append(_("The client has no fiscal postal code."))
        regime = client.get("tax_system")
        use = form.use.data
        if use and catalogs.get("cfdi_uses", use) not in catalogs.current_uses():
            blocking.append(_("%(use)s is not a CFDI use of SAT's current catalogue.", use=use))
        elif use and regime and catalogs.get("cfdi_uses", use) not in catalogs.current_uses(regime):
            blocking.append(
                _(
                    "Use %(use)s is not allowed for the client's regime %(regime)s.",
                    use=use,
                    regime=regime,
                )
            )
        if client.get("tax_id") == "XAXX010101000":
            if form.use.data != "S01":
                blocking.append(
                    _("The generic RFC XAXX010101000 takes use S01 (sin efectos fiscales).")
                )
            if (client.get("legal_name") or "").strip().upper() == "PUBLICO EN GENERAL":
                blocking.append(
                    _(
                        "An invoice to PUBLICO EN GENERAL is a global invoice (with "
                        "periodicity and months), which this form does not issue."
                    )
                )
        if not client.get("is_valid"):
            warnings.append(_("The client did not pass SAT's check: the PAC may refuse it."))
        if (client.get("efos") or {}).get("is_valid") is False:
            warnings.append(_("The client's RFC is on SAT's EFOS list."))
    if form.payment_method.data == "PUE" and form.payment_form.data == "99":
        blocking.append(_("PUE needs a real payment form, not 99 (por definir)."))
    if form.currency.data != "MXN" and not form.exchange_rate.data:
        blocking.append(_("Type the exchange rate of %(currency)s.", currency=form.currency.data))
    blocking += item_problems(items)
    blocking += [
        problem_text(problem)
        for problem in rules.document_problems({"currency": form.currency.data}, client)
    ]
    if isinstance(form, EgressForm):
        uuids = form.uuids()
        bad = [u for u in uuids if not UUID_SHAPE.fullmatch(u)]
        if bad:
            blocking.append(_("%(what)s is not an invoice UUID.", what=bad[0]))
        if uuids and not form.relationship.data:
            blocking.append(_("Choose how the related invoices are related."))
        if form.relationship.data and not uuids:
            blocking.append(_("Type the UUID of the invoice it relates to."))
        if not uuids:
            warnings.append(
                _("A credit note usually relates to the invoice it credits (relationship 01).")
            )
    sat_state = team.get("sat") or {}
    csd = csd_state(bool(sat_state.get("completed")), sat_state.get("csd_expires_at"))
    live = api().key_info.is_live
    if csd.status == "missing" and live:
        blocking.append(_("The team has no CSD: live invoices cannot be stamped."))
    elif csd.status == "expired":
        (blocking if live else warnings).append(
            _("The team's CSD has expired: upload the new one before stamping live invoices.")
        )
    elif csd.status == "expiring":
        warnings.append(
            _(
                "The team's CSD expires in %(days)s days: upload the new one soon.",
                days=csd.days_left,
            )
        )
    return blocking, warnings


def set_choices(
    form: InvoiceForm, client: dict | None, series: list[dict], team: dict[str, Any]
) -> str | None:
    """Uses allowed for the client's regime (its own preselected), payment forms (PPD: 99),
    the team's series with their next folio (egress: first the series gigstack takes when
    none is chosen, named). Returns the series' hint (egress, no credit-note series)."""
    form.use.choices = catalogs.use_choices((client or {}).get("tax_system"))
    offered = {code for code, _label in form.use.choices}
    if not form.use.data and client and client.get("use") in offered:
        form.use.data = client["use"]
    form.payment_form.choices = [
        (e["code"], f"{e['code']} — {e['name']}") for e in catalogs.entries("payment_forms")
    ]
    if form.payment_method.data == "PPD":
        form.payment_form.data = "99"  # SAT: PPD is always 99 (por definir)
    if not isinstance(form, EgressForm):
        form.series.choices = series_choices(series)
        return None
    form.series.choices, hint = credit_note_choices(team, series)
    return hint


def related_aliases(error: GigstackError) -> dict[str, str]:
    """``related_documents[0].documents[1]`` lands on the UUIDs box, ``….relationship`` on
    its picker."""
    return {
        path: "relationship" if path.endswith("relationship") else "related_uuids"
        for path in getattr(error, "field_errors", {})
        if path.startswith("related_documents")
    }


def body(form: InvoiceForm, client: dict[str, Any], items: list[dict]) -> dict[str, Any]:
    """The invoice to stamp, with the form's idempotency key: an income invoice substituting
    another relates to it (04); an egress one to the invoices typed."""
    body: dict[str, Any] = {
        "client": {"id": client["id"]},
        "items": items,
        "payment_method": form.payment_method.data,
        "payment_form": form.payment_form.data,
        "use": form.use.data,
        "currency": form.currency.data,
        "idempotency_key": form.idempotency_key.data,
    }
    if form.currency.data != "MXN":
        body["exchange_rate"] = float(form.exchange_rate.data)
    if form.series.data:
        body["series"] = form.series.data
    replaces = replaced(form)
    if replaces:
        body["related_documents"] = [{"relationship": "04", "documents": [replaces]}]
    if isinstance(form, EgressForm) and form.uuids():
        body["related_documents"] = [
            {"relationship": form.relationship.data, "documents": form.uuids()}
        ]
    return body


def replaced(form: InvoiceForm) -> str:
    """The income invoice this one substitutes ("" for none, and for an egress one)."""
    if isinstance(form, EgressForm):
        return ""
    return form.replaces.data if UUID_SHAPE.fullmatch(form.replaces.data or "") else ""


def audit_detail(invoice: dict[str, Any], kind: str) -> Detail:
    return Detail(
        INVOICE_ISSUED,
        type=enum("invoice_type", invoice.get("invoice_type") or TYPE_OF.get(kind, kind)),
        folio=f"{invoice.get('series')}-{invoice.get('folio_number')}",
        amount=money(invoice.get("total"), invoice.get("currency") or "MXN"),
    )


TYPE_OF = {"income": "I", "egress": "E", "payment": "P"}


def issued(invoice: dict[str, Any], replaces: str) -> str:
    """Where the browser goes: the invoice, or back to cancelling the one it substitutes
    (motive 01, this one chosen)."""
    if replaces:
        return url_for("invoices.cancel", uuid=replaces, motive="01", substitute=invoice["uuid"])
    return url_for("invoices.show", uuid=invoice["uuid"])
