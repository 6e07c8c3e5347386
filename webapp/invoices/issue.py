"""Issue an income invoice, or a free egress one (a credit note typed by hand): client picked
as you type, items (a service fills its row, or free with the SAT key pickers), payment, use,
currency, series with its next folio, totals computed here as the API computes them, a
pre-stamp report, and one idempotency key made when the form was opened — a double click, a
retry after a timeout or a resubmitted form issue one invoice.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from webapp import catalogs
from webapp.api import api
from webapp.audit import record
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clients.lookup import client_or_none
from webapp.forms import BackofficeForm
from webapp.gigstack import GigstackError, new_idempotency_key
from webapp.gigstack.errors import Conflict, ValidationError
from webapp.items import (
    MAX_ITEMS,
    ItemForm,
    apply_services,
    item_keys,
    item_payload,
    item_problems,
    rows_from_action,
    set_service_choices,
)
from webapp.pages import (
    apply_api_errors,
    form_failed,
    htmx_target,
    navigate,
    render_page,
    swap_whole,
)
from webapp.parallel import gather
from webapp.sandbox.money import compute_totals
from webapp.teams.details import team_details
from webapp.teams.readiness import csd_state
from webapp.teams.scoped import current_team_id

from .routes import bp

CURRENCIES = ("MXN", "USD", "EUR")
UUID_SHAPE = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
    r"[0-9A-Fa-f]{12}"
)


class InvoiceForm(BackofficeForm):
    idempotency_key = HiddenField()
    replaces = HiddenField()  # the invoice this one substitutes (motive 01, relationship 04)
    client_id = StringField(_l("Client"), validators=[Length(max=64)])
    items = FieldList(FormField(ItemForm), min_entries=1, max_entries=MAX_ITEMS)
    payment_method = SelectField(
        _l("Payment method"),
        choices=[
            SelectChoice("PUE", "PUE — Pago en una sola exhibición"),
            SelectChoice("PPD", "PPD — Pago en parcialidades o diferido"),
        ],
        default="PUE",
    )
    payment_form = SelectField(_l("Payment form"), choices=[], validate_choice=False)
    use = SelectField(_l("CFDI use"), choices=[], validate_choice=False)
    currency = SelectField(
        _l("Currency"), choices=[SelectChoice(c, c) for c in CURRENCIES], default="MXN"
    )
    exchange_rate = DecimalField(
        _l("Exchange rate"),
        places=None,
        validators=[Optional(), NumberRange(min=Decimal("0.000001"), message=_l("More than 0."))],
    )
    series = SelectField(_l("Series"), choices=[], validate_choice=False)
    confirm_live = BooleanField()


class EgressForm(InvoiceForm):
    """A free egress invoice: the same form, plus the documents it relates to."""

    relationship = SelectField(
        _l("Relationship"),
        validate_choice=False,
        default="01",
        choices=lambda: (
            [("", _l("None"))]
            + [
                (e["code"], f"{e['code']} — {e['name']}")
                for e in catalogs.entries("invoice_relationships")
                if e.get("cfdi40_valid", True)
            ]
        ),
    )
    related_uuids = TextAreaField(
        _l("Related invoices (UUIDs)"),
        validators=[Length(max=2000)],
        description=_l("One or more UUIDs, separated by commas or spaces."),
    )

    def uuids(self) -> list[str]:
        return list(
            dict.fromkeys(
                part for part in re.split(r"[\s,;]+", self.related_uuids.data or "") if part
            )
        )


def report(
    form: InvoiceForm, client: dict | None, items: list[dict], team: dict
) -> tuple[list[str], list[str]]:
    """Blocking problems (the §4 stamping rules the form can check) and warnings."""
    blocking, warnings = [], []
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
        use = catalogs.get("cfdi_uses", form.use.data or "")
        if form.use.data and regime and use and regime not in (use.get("regimes") or []):
            blocking.append(
                _(
                    "Use %(use)s is not allowed for the client's regime %(regime)s.",
                    use=form.use.data,
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


def _choices(
    form: InvoiceForm, client: dict | None, services: list[dict], series: list[dict]
) -> None:
    regime = (client or {}).get("tax_system")
    form.use.choices = [
        (e["code"], f"{e['code']} — {e['name']}")
        for e in catalogs.entries("cfdi_uses")
        if not regime or regime in (e.get("regimes") or [])
    ]
    if not form.use.data and client and client.get("use"):
        form.use.data = client["use"]
    form.payment_form.choices = [
        (e["code"], f"{e['code']} — {e['name']}") for e in catalogs.entries("payment_forms")
    ]
    if form.payment_method.data == "PPD":
        form.payment_form.data = "99"  # SAT: PPD is always 99 (por definir)
    live = api().key_info.is_live
    mode = "live" if live else "test"
    form.series.choices = [
        (
            s["series"],
            _(
                "%(series)s — next folio %(folio)s",
                series=s["series"],
                folio=f"{s['series']}-{int(s.get(mode) or 0) + 1}",
            ),
        )
        for s in series
    ]
    set_service_choices(form, services)


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Upstream calls, at once: the team (cached), its series, up to 100 services, and the
    chosen client; on stamp ``POST /invoices/income`` with the form's idempotency key."""
    return _issue("income")


@bp.route("/egress/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new_egress():
    """A free egress invoice. Upstream calls as :func:`new`; on stamp ``POST /invoices/egress``
    with the form's idempotency key (a credit note of one invoice: ``credit_note``)."""
    return _issue("egress")


def _related_aliases(error: GigstackError) -> dict[str, str]:
    """``related_documents[0].documents[1]`` lands on the UUIDs box, ``….relationship`` on
    its picker."""
    return {
        path: "relationship" if path.endswith("relationship") else "related_uuids"
        for path in getattr(error, "field_errors", {})
        if path.startswith("related_documents")
    }


def _issue(kind: str):
    client_api, team_id = api(), current_team_id()
    egress = kind == "egress"
    form = EgressForm() if egress else InvoiceForm()
    if not form.is_submitted():
        form.client_id.data = (request.args.get("client_id") or "")[:64]
        replaces = request.args.get("replaces") or ""
        form.replaces.data = replaces.upper() if UUID_SHAPE.fullmatch(replaces) else ""
        if egress:
            form.use.data = "G02"  # gigstack's default for egress (REFERENCE §12.3)
            form.related_uuids.data = (request.args.get("related") or "")[:2000]
    if not form.idempotency_key.data:
        form.idempotency_key.data = new_idempotency_key()
    action = request.form.get("action", "")
    rows_from_action(form, action)

    team, series, services, client = gather(
        lambda: team_details(client_api, team_id),
        lambda: client_api.teams.series(team_id),
        lambda: list(client_api.services.list(limit=100)),
        lambda: client_or_none(client_api, form.client_id.data),
    )
    _choices(form, client, services, series)
    if egress:
        form.series.choices = [("", _("The team's series for credit notes"))] + form.series.choices
    by_id = {s["id"]: s for s in services}
    redrawn = apply_services(form, by_id)
    items = [item_payload(entry.form, by_id) for entry in form.items]
    totals = compute_totals(items)
    blocking, warnings = report(form, client, items, team)
    if form.client_id.data and client is None:
        form.client_id.errors = [_("No client with this id in the team.")]
    page = "invoices/new_egress.html" if egress else "invoices/new.html"
    context = {
        "form": form,
        "client": client,
        "totals": totals,
        "blocking": blocking,
        "warnings": warnings,
        "live": client_api.key_info.is_live,
        "kind": kind,
        "form_action": url_for("invoices.new_egress" if egress else "invoices.new"),
        "client_search": request.values.get("client_id_search", "")[:200],
        "item_keys": item_keys(items),
    }
    if request.method == "GET" or action != "stamp":
        body = render_page(page, "invoices/_new_form.html", **context)
        # a service picked: its values fill the row, so the whole form comes back
        headers = swap_whole("invoice-form") if redrawn and htmx_target() else {}
        return body, 200, headers
    if not form.validate() or blocking:
        return form_failed(
            page,
            "invoices/_new_form.html",
            "invoice-form",
            error=_("Nothing was stamped: fix what the report lists."),
            **context,
        )
    if context["live"] and not form.confirm_live.data:
        form.confirm_live.errors = [_("Confirm the client and the total of this live invoice.")]
        return form_failed(page, "invoices/_new_form.html", "invoice-form", **context)
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
    replaces = form.replaces.data if UUID_SHAPE.fullmatch(form.replaces.data or "") else ""
    if replaces and not egress:
        body["related_documents"] = [{"relationship": "04", "documents": [replaces]}]
    if egress and form.uuids():
        body["related_documents"] = [
            {"relationship": form.relationship.data, "documents": form.uuids()}
        ]
    create = client_api.invoices.create_egress if egress else client_api.invoices.create_income
    try:
        invoice = create(body)
    except (ValidationError, Conflict) as error:
        record("invoice.create", object_type="invoice", outcome=error.code)
        unplaced = apply_api_errors(form, error, _related_aliases(error))
        return form_failed(
            page,
            "invoices/_new_form.html",
            "invoice-form",
            error=" ".join(unplaced) or error.message,
            **context,
        )
    except GigstackError as error:
        # a timeout or an outage: the same form (same key) can be sent again safely
        record("invoice.create", object_type="invoice", outcome=error.code)
        return form_failed(
            page,
            "invoices/_new_form.html",
            "invoice-form",
            error=_(
                "gigstack did not confirm the invoice (%(why)s). Send the "
                "form again: it carries the same key, so at most one invoice "
                "is issued.",
                why=error.code,
            ),
            **context,
        )
    record(
        "invoice.create",
        object_type="invoice",
        object_id=invoice["uuid"],
        reason=f"{invoice.get('invoice_type') or kind} "
        f"{invoice.get('series')}-{invoice.get('folio_number')} · "
        f"{invoice.get('total')} {invoice.get('currency')}",
    )
    if replaces and not egress:  # back to cancelling the replaced one, this one chosen
        return navigate(
            url_for("invoices.cancel", uuid=replaces, motive="01", substitute=invoice["uuid"])
        )
    return navigate(url_for("invoices.show", uuid=invoice["uuid"]))
