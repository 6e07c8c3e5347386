"""Receipts list and detail, create, stamp (only pending) and cancel (pending or expired)."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import catalogs
from webapp.api import api
from webapp.audit import record
from webapp.audit.query import trail as audit_trail
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clients.lookup import client_or_none
from webapp.domain.money import compute_totals
from webapp.formatting import day_bound
from webapp.gigstack import GigstackError, new_idempotency_key
from webapp.gigstack.errors import Conflict, NotFound, ValidationError
from webapp.items import (
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
    list_url,
    navigate,
    page_with_status_tabs,
    render_page,
    swap_whole,
)
from webapp.parallel import gather
from webapp.teams.scoped import current_team_id, team_blueprint

from .forms import ReceiptCancelForm, ReceiptFilterForm, ReceiptForm

bp = team_blueprint("receipts", __name__, "/receipts")

PAGE_SIZE = 25
STAMP_FROM = frozenset({"pending"})  # §6.4
CANCEL_FROM = frozenset({"pending", "expired"})  # §6.5
STATUS_LABELS = {
    "pending": _l("Pending"),
    "completed": _l("Invoiced"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
}
STATUS_KINDS = {"pending": "info", "completed": "ok", "expired": "warn", "cancelled": "neutral"}


def statuses() -> list[str]:
    return [entry["code"] for entry in catalogs.entries("receipt_statuses")]


@bp.app_template_global()
def receipt_status(receipt: dict[str, Any]) -> tuple[str, str]:
    """(label, badge kind) of a receipt's status (gigstack reads a pending one past its
    ``validUntil`` as expired, §6)."""
    status = receipt.get("status") or ""
    return str(STATUS_LABELS.get(status, status or "—")), STATUS_KINDS.get(status, "neutral")


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls, at once: one page of ``GET /receipts`` and a ``limit=1`` count per
    status for the tabs."""
    form = ReceiptFilterForm(request.args)
    form.validate()
    status = form.status.data if form.status.data in statuses() else ""
    filters: dict[str, Any] = {}
    if form.client_id.data and not form.client_id.errors:
        filters["client_id"] = form.client_id.data.strip()
    if form.date_from.data and not form.date_from.errors:
        filters["created_gte"] = day_bound(form.date_from.data)
    if form.date_to.data and not form.date_to.errors:
        filters["created_lte"] = day_bound(form.date_to.data, end=True)
    cursor = request.args.get("next") or None
    client = api()
    page, tabs = page_with_status_tabs(
        partial(client.receipts.list, **filters),
        statuses(),
        status,
        lambda code: str(STATUS_LABELS.get(code, code)),
        limit=PAGE_SIZE,
        next=cursor,
    )
    links = {
        "first": list_url("next") if cursor else None,
        "next": list_url("next", page.next) if page.has_more and page.next else None,
    }
    return render_page(
        "receipts/page.html",
        "receipts/_rows.html",
        form=form,
        rows=list(page),
        total=page.total_results,
        links=links,
        tabs=tabs,
    )


def receipt_or_404(receipt_id: str) -> dict[str, Any]:
    try:
        return api().receipts.get(receipt_id)
    except (NotFound, ValidationError):
        abort(404)


def _context(receipt: dict[str, Any], **extra: Any) -> dict[str, Any]:
    trail = audit_trail("receipt", receipt["id"], current_team_id())
    return {
        "receipt": receipt,
        "trail": trail,
        "status": receipt.get("status"),
        "can_stamp": receipt.get("status") in STAMP_FROM,
        "can_cancel": receipt.get("status") in CANCEL_FROM,
        **extra,
    }


@bp.get("/<receipt_id>")
@requires(Role.VIEWER)
def show(receipt_id: str):
    """Upstream calls: ``GET /receipts/{id}``."""
    receipt = receipt_or_404(receipt_id)
    return render_page("receipts/show.html", "receipts/_detail.html", **_context(receipt))


def stamp_problem(receipt: dict[str, Any]) -> str | None:
    """Why gigstack would refuse to stamp it, when the receipt itself says so (§6.4)."""
    client = receipt.get("client") or {}
    if not client.get("id") and not client.get("tax_id"):
        return _(
            "The receipt has no client: it goes into the period's global invoice, or "
            "the buyer self-invoices it at its link."
        )
    # the receipt's copy of the client has no regime or postal code: gigstack checks those
    missing = [
        label
        for key, label in (("tax_id", _("RFC")), ("legal_name", _("legal name")))
        if not client.get(key)
    ]
    if missing:
        return _(
            "The client lacks fiscal data (%(what)s): complete it first.",
            what=", ".join(str(m) for m in missing),
        )
    return None


@bp.route("/<receipt_id>/stamp", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def stamp(receipt_id: str):
    """Only a pending receipt; the invoice made is linked after. Upstream calls:
    ``GET /receipts/{id}``; on confirm ``POST /receipts/{id}/stamp``."""
    receipt = receipt_or_404(receipt_id)
    context = _context(receipt, verb="stamp", problem=stamp_problem(receipt))
    if request.method == "GET":
        return render_page("receipts/verb.html", "receipts/_stamp.html", **context)
    if not context["can_stamp"]:
        return form_failed(
            "receipts/verb.html",
            "receipts/_stamp.html",
            "stamp-form",
            error=_(
                "Only a pending receipt can be stamped; this one is %(status)s.",
                status=receipt_status(receipt)[0],
            ),
            **context,
        )
    if context["problem"]:
        return form_failed(
            "receipts/verb.html",
            "receipts/_stamp.html",
            "stamp-form",
            error=context["problem"],
            **context,
        )
    try:
        stamped = api().receipts.stamp(receipt_id)
    except (ValidationError, Conflict) as error:
        record("receipt.stamp", object_type="receipt", object_id=receipt_id, outcome=error.code)
        return form_failed(
            "receipts/verb.html",
            "receipts/_stamp.html",
            "stamp-form",
            error=error.message,
            **context,
        )
    record(
        "receipt.stamp",
        object_type="receipt",
        object_id=receipt_id,
        reason=f"invoice {stamped.get('invoice_id')}",
    )
    flash(_("Receipt stamped: invoice %(uuid)s.", uuid=stamped.get("invoice_id") or "—"), "info")
    return navigate(url_for("receipts.show", receipt_id=receipt_id))


@bp.route("/<receipt_id>/cancel", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def cancel(receipt_id: str):
    """Pending or expired only, with a reason. Upstream calls: ``GET /receipts/{id}``; on
    confirm ``DELETE /receipts/{id}``."""
    receipt = receipt_or_404(receipt_id)
    form = ReceiptCancelForm()
    context = _context(receipt, verb="cancel", form=form)
    if not form.is_submitted():
        return render_page("receipts/verb.html", "receipts/_cancel.html", **context)
    if not context["can_cancel"]:
        return form_failed(
            "receipts/verb.html",
            "receipts/_cancel.html",
            "cancel-form",
            error=_(
                "Only a pending or expired receipt can be cancelled; this one is %(status)s.",
                status=receipt_status(receipt)[0],
            ),
            **context,
        )
    if not form.validate():
        return form_failed("receipts/verb.html", "receipts/_cancel.html", "cancel-form", **context)
    try:
        api().receipts.cancel(receipt_id)
    except (ValidationError, Conflict) as error:
        record(
            "receipt.cancel",
            object_type="receipt",
            object_id=receipt_id,
            outcome=error.code,
            reason=form.reason.data,
        )
        return form_failed(
            "receipts/verb.html",
            "receipts/_cancel.html",
            "cancel-form",
            error=error.message,
            **context,
        )
    record("receipt.cancel", object_type="receipt", object_id=receipt_id, reason=form.reason.data)
    flash(_("Receipt cancelled: it will not go into any invoice."), "info")
    return navigate(url_for("receipts.show", receipt_id=receipt_id))


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Client optional (público en general), items, payment form, period; one idempotency key
    per opened form. Upstream calls, at once: up to 100 services and the chosen client; on
    save ``POST /receipts``."""
    client_api = api()
    form = ReceiptForm()
    if not form.is_submitted():
        form.client_id.data = (request.args.get("client_id") or "")[:64]
    if not form.idempotency_key.data:
        form.idempotency_key.data = new_idempotency_key()
    action = request.form.get("action", "")
    rows_from_action(form, action)
    client_id = (form.client_id.data or "").strip()

    services, client = gather(
        lambda: list(client_api.services.list(limit=100)),
        lambda: client_or_none(client_api, client_id),
    )
    set_service_choices(form, services)
    by_id = {s["id"]: s for s in services}
    redrawn = apply_services(form, by_id)
    items = [item_payload(entry.form, by_id) for entry in form.items]
    totals = compute_totals(items)
    blocking = item_problems(items) if request.method == "POST" else []
    if client_id and client is None:
        form.client_id.errors = [_("No client with this id in the team.")]
        blocking.append(_("No client with this id in the team."))
    if form.currency.data != "MXN" and not form.exchange_rate.data:
        blocking.append(_("Type the exchange rate of %(currency)s.", currency=form.currency.data))
    context = {
        "form": form,
        "client": client,
        "totals": totals,
        "blocking": blocking,
        "item_keys": item_keys(items),
        "form_action": url_for("receipts.new"),
        "client_search": request.values.get("client_id_search", "")[:200],
    }
    if request.method == "GET" or action != "save":
        body = render_page("receipts/new.html", "receipts/_form.html", **context)
        return body, 200, (swap_whole("receipt-form") if redrawn and htmx_target() else {})
    if not form.validate() or blocking:
        return form_failed(
            "receipts/new.html",
            "receipts/_form.html",
            "receipt-form",
            error=_("Nothing was sent: fix what is listed."),
            **context,
        )
    body: dict[str, Any] = {
        "items": items,
        "currency": form.currency.data,
        "payment_form": form.payment_form.data,
        "idempotency_key": form.idempotency_key.data,
    }
    if client:
        body["client"] = {"id": client["id"]}
    if form.currency.data != "MXN":
        body["exchange_rate"] = float(form.exchange_rate.data)
    if form.periodicity.data:
        body["periodicity"] = form.periodicity.data
    try:
        receipt = client_api.receipts.create(body)
    except (ValidationError, Conflict) as error:
        record("receipt.create", object_type="receipt", outcome=error.code)
        unplaced = apply_api_errors(form, error)
        return form_failed(
            "receipts/new.html",
            "receipts/_form.html",
            "receipt-form",
            error=" ".join(unplaced) or error.message,
            **context,
        )
    except GigstackError as error:
        record("receipt.create", object_type="receipt", outcome=error.code)
        return form_failed(
            "receipts/new.html",
            "receipts/_form.html",
            "receipt-form",
            error=_(
                "gigstack did not confirm the receipt (%(why)s). Send the form again: it carries "
                "the same key, so at most one receipt is made.",
                why=error.code,
            ),
            **context,
        )
    record(
        "receipt.create",
        object_type="receipt",
        object_id=receipt["id"],
        reason=f"{receipt.get('total')} {receipt.get('currency')}",
    )
    return navigate(url_for("receipts.show", receipt_id=receipt["id"]))
