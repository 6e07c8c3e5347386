"""Issue an income invoice: client, items (from a service or free), payment, use, currency,
series with its next folio, totals computed here as the API computes them, a pre-stamp report,
and one idempotency key made when the form was opened — a double click, a retry after a
timeout or a resubmitted form issue one invoice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
)
from wtforms.validators import Length, NumberRange, Optional

from webapp import catalogs
from webapp.api import api
from webapp.audit import record
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.catalogs import sat
from webapp.forms import BackofficeForm
from webapp.gigstack import GigstackError, new_idempotency_key
from webapp.gigstack.errors import Conflict, NotFound, ValidationError
from webapp.pages import apply_api_errors, form_failed, navigate, render_page
from webapp.parallel import gather
from webapp.sandbox.money import compute_totals
from webapp.services.taxes import iva_choices, taxes_from_choices, withholding_choices
from webapp.teams.details import team_details
from webapp.teams.scoped import current_team_id

from .routes import bp

MAX_ITEMS = 50
CURRENCIES = ("MXN", "USD", "EUR")


class ItemForm(Form):
    service = SelectField(_l("From a service"), choices=[], validate_choice=False)
    description = StringField(_l("Description"), validators=[Length(max=1000)])
    quantity = DecimalField(_l("Quantity"), places=None, default=Decimal(1),
                            validators=[Optional()])
    unit_price = DecimalField(_l("Unit price"), places=None, validators=[Optional()])
    product_key = StringField(_l("Product key"), validators=[Length(max=8)])
    unit_key = StringField(_l("Unit key"), validators=[Length(max=5)])
    iva = SelectField(_l("IVA"), choices=iva_choices, default="0.16", validate_choice=False)
    iva_withheld = SelectField(_l("IVA withheld"), choices=lambda: withholding_choices("IVA"),
                               default="", validate_choice=False)
    isr_withheld = SelectField(_l("ISR withheld"), choices=lambda: withholding_choices("ISR"),
                               default="", validate_choice=False)


class InvoiceForm(BackofficeForm):
    idempotency_key = HiddenField()
    client_id = StringField(_l("Client id"), validators=[Length(max=64)])
    items = FieldList(FormField(ItemForm), min_entries=1, max_entries=MAX_ITEMS)
    payment_method = SelectField(_l("Payment method"), choices=[
        ("PUE", "PUE — Pago en una sola exhibición"),
        ("PPD", "PPD — Pago en parcialidades o diferido")], default="PUE")
    payment_form = SelectField(_l("Payment form"), choices=[], validate_choice=False)
    use = SelectField(_l("CFDI use"), choices=[], validate_choice=False)
    currency = SelectField(_l("Currency"), choices=[(c, c) for c in CURRENCIES], default="MXN")
    exchange_rate = DecimalField(_l("Exchange rate"), places=None, validators=[
        Optional(), NumberRange(min=Decimal("0.000001"), message=_l("More than 0."))])
    series = SelectField(_l("Series"), choices=[], validate_choice=False)
    confirm_live = BooleanField()


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def item_payload(item: ItemForm, services: dict[str, dict]) -> dict[str, Any]:
    """The ItemInput of one row (a service fills what the row leaves empty)."""
    service = services.get(item.service.data or "") or {}
    taxes = taxes_from_choices(item.iva.data or "", item.iva_withheld.data or "",
                               item.isr_withheld.data or "", None, False) \
        if not service or item.product_key.data else service.get("taxes") or []
    out = {"description": item.description.data or service.get("description") or "",
           "quantity": _number(item.quantity.data if item.quantity.data is not None else 1),
           "unit_price": _number(item.unit_price.data if item.unit_price.data is not None
                                 else service.get("unit_price")),
           "product_key": item.product_key.data or service.get("product_key") or "",
           "unit_key": (item.unit_key.data or service.get("unit_key") or "").upper(),
           "taxes": taxes}
    if service.get("id"):
        out["id"] = service["id"]
    return out


def report(form: InvoiceForm, client: dict | None, items: list[dict], team: dict
           ) -> tuple[list[str], list[str]]:
    """Blocking problems (the §4 stamping rules the form can check) and warnings."""
    blocking, warnings = [], []
    if client is None:
        blocking.append(_("Choose the client."))
    else:
        for field, label in (("tax_id", _("RFC")), ("legal_name", _("legal name")),
                             ("tax_system", _("tax regime"))):
            if not client.get(field):
                blocking.append(_("The client has no %(what)s.", what=label))
        if not (client.get("address") or {}).get("zip"):
            blocking.append(_("The client has no fiscal postal code."))
        regime = client.get("tax_system")
        use = catalogs.get("cfdi_uses", form.use.data or "")
        if form.use.data and regime and use and regime not in (use.get("regimes") or []):
            blocking.append(_("Use %(use)s is not allowed for the client's regime %(regime)s.",
                              use=form.use.data, regime=regime))
        if not client.get("is_valid"):
            warnings.append(_("The client did not pass SAT's check: the PAC may refuse it."))
        if (client.get("efos") or {}).get("is_valid") is False:
            warnings.append(_("The client's RFC is on SAT's EFOS list."))
    if form.payment_method.data == "PUE" and form.payment_form.data == "99":
        blocking.append(_("PUE needs a real payment form, not 99 (por definir)."))
    if form.currency.data != "MXN" and not form.exchange_rate.data:
        blocking.append(_("Type the exchange rate of %(currency)s.", currency=form.currency.data))
    for index, item in enumerate(items, start=1):
        if item["quantity"] <= 0:
            blocking.append(_("Item %(n)s: the quantity must be more than 0.", n=index))
        if not item["description"]:
            blocking.append(_("Item %(n)s: no description.", n=index))
        if sat.product_key(item["product_key"]) is None:
            blocking.append(_("Item %(n)s: %(key)s is not a SAT product key.", n=index,
                              key=item["product_key"] or "—"))
        if sat.unit_key(item["unit_key"]) is None:
            blocking.append(_("Item %(n)s: %(key)s is not a SAT unit key.", n=index,
                              key=item["unit_key"] or "—"))
    sat_state = team.get("sat") or {}
    if api().key_info.is_live and not sat_state.get("completed"):
        blocking.append(_("The team has no CSD: live invoices cannot be stamped."))
    return blocking, warnings


def _choices(form: InvoiceForm, client: dict | None, services: list[dict],
             series: list[dict]) -> None:
    regime = (client or {}).get("tax_system")
    form.use.choices = [(e["code"], f"{e['code']} — {e['name']}")
                        for e in catalogs.entries("cfdi_uses")
                        if not regime or regime in (e.get("regimes") or [])]
    if not form.use.data and client and client.get("use"):
        form.use.data = client["use"]
    form.payment_form.choices = [(e["code"], f"{e['code']} — {e['name']}")
                                 for e in catalogs.entries("payment_forms")]
    if form.payment_method.data == "PPD":
        form.payment_form.data = "99"  # SAT: PPD is always 99 (por definir)
    live = api().key_info.is_live
    mode = "live" if live else "test"
    form.series.choices = [
        (s["series"], _("%(series)s — next folio %(folio)s", series=s["series"],
                        folio=f"{s['series']}-{int(s.get(mode) or 0) + 1}"))
        for s in series]
    service_choices = [("", _("— free item —"))] + [
        (s["id"], f"{s.get('description')} · {s.get('unit_price')}") for s in services]
    for entry in form.items:
        entry.form.service.choices = service_choices


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Upstream calls, at once: the team (cached), its series, up to 100 services, and the
    chosen client; on stamp ``POST /invoices/income`` with the form's idempotency key."""
    client_api, team_id = api(), current_team_id()
    form = InvoiceForm()
    if not form.idempotency_key.data:
        form.idempotency_key.data = new_idempotency_key()
    action = request.form.get("action", "")
    if action == "add" and len(form.items) < MAX_ITEMS:
        form.items.append_entry()
    elif action.startswith("remove-") and len(form.items) > 1:
        index = action.removeprefix("remove-")
        kept = [e.data for i, e in enumerate(form.items) if str(i) != index]
        while len(form.items):
            form.items.pop_entry()
        for data in kept:
            form.items.append_entry(data)
    def client_or_none():
        if not form.client_id.data:
            return None
        try:
            return client_api.clients.get(form.client_id.data.strip())
        except (NotFound, ValidationError):
            return None

    team, series, services, client = gather(
        lambda: team_details(client_api, team_id), lambda: client_api.teams.series(team_id),
        lambda: list(client_api.services.list(limit=100)), client_or_none)
    _choices(form, client, services, series)
    by_id = {s["id"]: s for s in services}
    items = [item_payload(entry.form, by_id) for entry in form.items]
    totals = compute_totals([{**i, "taxes": i["taxes"]} for i in items])
    blocking, warnings = report(form, client, items, team)
    if form.client_id.data and client is None:
        form.client_id.errors = [_("No client with this id in the team.")]
    context = {"form": form, "client": client, "totals": totals, "blocking": blocking,
               "warnings": warnings, "live": client_api.key_info.is_live}
    if request.method == "GET" or action != "stamp":
        return render_page("invoices/new.html", "invoices/_new_form.html", **context)
    if not form.validate() or blocking:
        return form_failed("invoices/new.html", "invoices/_new_form.html", "invoice-form",
                           error=_("Nothing was stamped: fix what the report lists."), **context)
    if context["live"] and not form.confirm_live.data:
        form.confirm_live.errors = [_("Confirm the client and the total of this live invoice.")]
        return form_failed("invoices/new.html", "invoices/_new_form.html", "invoice-form",
                           **context)
    body: dict[str, Any] = {
        "client": {"id": client["id"]}, "items": items, "payment_method":
        form.payment_method.data, "payment_form": form.payment_form.data, "use": form.use.data,
        "currency": form.currency.data, "idempotency_key": form.idempotency_key.data}
    if form.currency.data != "MXN":
        body["exchange_rate"] = float(form.exchange_rate.data)
    if form.series.data:
        body["series"] = form.series.data
    try:
        invoice = client_api.invoices.create_income(body)
    except (ValidationError, Conflict) as error:
        record("invoice.create", object_type="invoice", outcome=error.code)
        unplaced = apply_api_errors(form, error)
        return form_failed("invoices/new.html", "invoices/_new_form.html", "invoice-form",
                           error=" ".join(unplaced) or error.message, **context)
    except GigstackError as error:
        # a timeout or an outage: the same form (same key) can be sent again safely
        record("invoice.create", object_type="invoice", outcome=error.code)
        return form_failed("invoices/new.html", "invoices/_new_form.html", "invoice-form",
                           error=_("gigstack did not confirm the invoice (%(why)s). Send the "
                                   "form again: it carries the same key, so at most one invoice "
                                   "is issued.", why=error.code), **context)
    record("invoice.create", object_type="invoice", object_id=invoice["uuid"],
           reason=f"{invoice.get('series')}-{invoice.get('folio_number')} · "
                  f"{invoice.get('total')} {invoice.get('currency')}")
    return navigate(url_for("invoices.show", uuid=invoice["uuid"]))
