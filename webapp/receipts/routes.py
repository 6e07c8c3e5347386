"""Receipts list and detail, create, stamp (only pending) and cancel (pending or expired)."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from webapp import catalogs
from webapp.actions import NOT_FOUND_OR_REFUSED, Screen, confirmation, get_or_404, verb_screen
from webapp.api import api
from webapp.audit import Detail
from webapp.audit.details import RECEIPT_CREATED, RECEIPT_STAMPED
from webapp.audit.query import trail as audit_trail
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.formatting import money
from webapp.i18n import gettext as _
from webapp.i18n import lazy_gettext as _l
from webapp.labels import label
from webapp.pages import render_page
from webapp.sales import context as sale
from webapp.sales.counts import recount_after_changes
from webapp.sales.lists import amount_of, back_to, created_between, tabbed_list
from webapp.teams.scoped import current_team_id, team_blueprint

from . import create
from .forms import ReceiptCancelForm, ReceiptFilterForm, ReceiptForm

bp = team_blueprint("receipts", __name__, "/receipts", verbs=("stamp", "cancel"))
recount_after_changes(bp)

STAMP_FROM = frozenset({"pending"})  # §6.4
CANCEL_FROM = frozenset({"pending", "expired"})  # §6.5
STATUS_KINDS = {"pending": "info", "completed": "ok", "expired": "warn", "cancelled": "neutral"}


def statuses() -> list[str]:
    return [entry["code"] for entry in catalogs.entries("receipt_statuses")]


@bp.app_template_global()
def receipt_status(receipt: dict[str, Any]) -> tuple[str, str]:
    """(label, badge kind) of a receipt's status (gigstack reads a pending one past its
    ``validUntil`` as expired, §6)."""
    status = receipt.get("status") or ""
    return label("receipt_status", status), STATUS_KINDS.get(status, "neutral")


def receipt_name(receipt: dict[str, Any]) -> str:
    """What a message calls a receipt: its amount (a receipt has no folio)."""
    return money(receipt.get("total"), receipt.get("currency") or "MXN") or receipt.get("id", "")


def receipt_url(receipt: dict[str, Any]) -> str:
    return url_for("receipts.show", receipt_id=receipt["id"])


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls: one page of ``GET /receipts``; at once with it, when no count is kept
    (a minute, see :mod:`webapp.sales.counts`), a ``limit=1`` count per status for the tabs."""
    form = ReceiptFilterForm(request.args)
    form.validate()
    return tabbed_list(
        ("receipts/page.html", "receipts/_rows.html"),
        form,
        api().receipts.list,
        list_filters(form),
        statuses(),
        lambda code: label("receipt_status", code),
    )


def list_filters(form: ReceiptFilterForm) -> dict[str, Any]:
    """The ``GET /receipts`` filters of a list's URL, its status tab aside."""
    filters: dict[str, Any] = created_between(form)
    if form.client_id.data and not form.client_id.errors:
        filters["client_id"] = form.client_id.data
    return filters


def receipt_or_404(receipt_id: str) -> dict[str, Any]:
    """``GET /receipts/{id}``, or the 404 page."""
    return get_or_404(api().receipts.get, receipt_id, missing=NOT_FOUND_OR_REFUSED)


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


STAMP = verb_screen("receipts/_stamp.html", "stamp-form")
CANCEL = verb_screen("receipts/_cancel.html", "cancel-form")
TITLES = {"stamp": _l("Stamp a receipt"), "cancel": _l("Cancel a receipt")}


def _verb_context(verb: str, receipt: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The verb page: its title, the way back to the receipt (client and status said)."""
    back = back_to(
        receipt,
        url_for("receipts.show", receipt_id=receipt["id"]),
        _("Receipt of %(amount)s", amount=amount_of(receipt)),
        receipt_status(receipt)[0],
        nobody=_("Público en general"),
    )
    return _context(receipt, verb=verb, title=TITLES[verb], back=back, **extra)


NOT_STAMPABLE = _l("Only a pending receipt can be stamped; this one is %(status)s.")
NOT_CANCELLABLE = _l("Only a pending or expired receipt can be cancelled; this one is %(status)s.")


def _refused_by_state(screen: Screen, message: Any, receipt: dict[str, Any], context: dict):
    """The receipt's status no longer allows the verb (another tab): say so, send nothing."""
    return screen.failed(error=message % {"status": receipt_status(receipt)[0]}, **context)


@bp.route("/<receipt_id>/stamp", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def stamp(receipt_id: str):
    """Only a pending receipt; the invoice made is linked after. Upstream calls:
    ``GET /receipts/{id}``; on confirm ``POST /receipts/{id}/stamp``."""
    receipt = receipt_or_404(receipt_id)
    context = _verb_context("stamp", receipt, problem=stamp_problem(receipt))
    if request.method == "GET":
        return STAMP.show(**context)
    if not context["can_stamp"]:
        return _refused_by_state(STAMP, NOT_STAMPABLE, receipt, context)
    if context["problem"]:
        return STAMP.failed(error=context["problem"], **context)
    return sale.verb(
        None,
        lambda: api().receipts.stamp(receipt_id),
        screen=STAMP,
        context=context,
        validate=False,
        audit="receipt.stamp",
        object_id=receipt_id,
        detail=lambda stamped: Detail(RECEIPT_STAMPED, invoice=stamped.get("invoice_id")),
        message=confirmation(
            _("Receipt of %(name)s stamped as an invoice (linked on its page)."),
            receipt_name(receipt),
            receipt_url(receipt),
        ),
        then=url_for("receipts.show", receipt_id=receipt_id),
    )


@bp.route("/<receipt_id>/cancel", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def cancel(receipt_id: str):
    """Pending or expired only, with a reason. Upstream calls: ``GET /receipts/{id}``; on
    confirm ``DELETE /receipts/{id}``."""
    receipt = receipt_or_404(receipt_id)
    form = ReceiptCancelForm()
    context = _verb_context("cancel", receipt, form=form)
    if not form.is_submitted():
        return CANCEL.show(**context)
    if not context["can_cancel"]:
        return _refused_by_state(CANCEL, NOT_CANCELLABLE, receipt, context)
    return sale.verb(
        form,
        lambda: api().receipts.cancel(receipt_id),
        screen=CANCEL,
        context=context,
        audit="receipt.cancel",
        object_id=receipt_id,
        message=confirmation(
            _("Receipt of %(name)s cancelled: it will not go into any invoice."),
            receipt_name(receipt),
            receipt_url(receipt),
        ),
        then=url_for("receipts.show", receipt_id=receipt_id),
    )


NEW = Screen("receipts/new.html", "receipts/_form.html", "receipt-form")


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Client optional (público en general), items, payment form, period; one idempotency key
    per opened form. Upstream calls, at once: up to 100 services and the chosen client; on
    save ``POST /receipts``."""
    form = ReceiptForm()
    draft = sale.draft(form, create.prefill)
    blocking = create.problems(draft)
    context = draft.context(blocking=blocking, form_action=url_for("receipts.new"))
    if request.method == "GET" or draft.action != "save":
        return sale.show(NEW, context, draft.redrawn)
    if not form.validate() or blocking:
        return NEW.failed(error=_("Nothing was sent: fix what is listed."), **context)
    return sale.create(
        form,
        lambda: api().receipts.create(create.body(form, draft.client, draft.items)),
        screen=NEW,
        context=context,
        document="receipt",
        audit="receipt.create",
        object_type="receipt",
        object_id=lambda receipt: receipt["id"],
        detail=lambda receipt: Detail(
            RECEIPT_CREATED, amount=money(receipt.get("total"), receipt.get("currency") or "MXN")
        ),
        message=lambda receipt: confirmation(
            _("Receipt of %(name)s created."), receipt_name(receipt), receipt_url(receipt)
        ),
        then=receipt_url,
    )
