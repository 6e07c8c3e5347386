"""Payments list and detail, and the state changes §5 allows: mark as paid, refund, cancel.
The buttons shown and the checks made follow :mod:`webapp.payments.states`."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from flask import request, url_for

from webapp import once
from webapp.actions import (
    NOT_FOUND_OR_REFUSED,
    Screen,
    confirmation,
    get_or_404,
    perform,
    verb_screen,
)
from webapp.api import api
from webapp.audit import Detail, details
from webapp.audit.query import trail as audit_trail
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clock import now_seconds
from webapp.formatting import MEXICO_CITY, money
from webapp.gigstack.errors import Conflict, ValidationError
from webapp.i18n import gettext as _
from webapp.i18n import lazy_gettext as _l
from webapp.invoices.lookup import document_name
from webapp.pages import render_page
from webapp.sales import context as sale
from webapp.sales.counts import recount_after_changes
from webapp.sales.lists import amount_of, back_to, created_between, tabbed_list
from webapp.teams.scoped import current_team_id, team_blueprint

from . import create, pay, states
from .forms import (
    CancelForm,
    MarkPaidForm,
    PayInvoiceForm,
    PaymentFilterForm,
    PaymentForm,
    RefundForm,
    RegisterForm,
    RequestForm,
)

bp = team_blueprint(
    "payments", __name__, "/payments", verbs=("request", "mark_paid", "refund", "cancel")
)
recount_after_changes(bp)


@bp.app_template_global()
def payment_status(payment: dict[str, Any]) -> tuple[str, str]:
    """(label, badge kind) of a payment's status, for pages outside this area."""
    return states.status_name(payment.get("status")), states.status_kind(payment.get("status"))


SORTS = {"-created": "desc", "created": "asc"}


def list_filters(form: PaymentFilterForm) -> dict[str, Any]:
    """The API's filters from the form (fields with errors are left out)."""
    found: dict[str, Any] = {}
    for name in ("client_id", "email", "tax_id", "currency"):
        field = getattr(form, name)
        value = (field.data or "").strip()
        if value and not field.errors:
            found[name] = value.upper() if name == "tax_id" else value
    return found | created_between(form)


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls: one page of ``GET /payments`` (status tab, filters, sort and cursor in
    the URL); at once with it, when no count is kept (a minute, see :mod:`webapp.sales.counts`),
    a ``limit=1`` count per status for the tabs."""
    form = PaymentFilterForm(request.args)
    form.validate()
    return tabbed_list(
        ("payments/page.html", "payments/_rows.html"),
        form,
        api().payments.list,
        list_filters(form),
        states.statuses(),
        states.status_name,
        {"sort": SORTS.get(form.sort.data or "", "desc")},
        states=states,
    )


def payment_or_404(payment_id: str) -> dict[str, Any]:
    """``GET /payments/{id}``, or the 404 page."""
    return get_or_404(api().payments.get, payment_id, missing=NOT_FOUND_OR_REFUSED)


def history(payment: dict[str, Any]) -> list[tuple[int, str]]:
    """What gigstack records of the payment's life, oldest first: created, succeeded, each
    refund (the API keeps no status history of its own)."""
    moments = [(payment.get("created_at"), _("Created"))]
    if payment.get("succeeded_at"):
        moments.append((payment["succeeded_at"], _("Paid")))
    for refund in payment.get("refunds") or []:
        moments.append(
            (
                refund.get("created_at"),
                _("Refund of %(amount)s", amount=f"{refund.get('amount'):,.2f}"),
            )
        )
    return sorted(((at, what) for at, what in moments if at), key=lambda pair: pair[0])


def _detail_context(payment: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "payment": payment,
        "states": states,
        "history": history(payment),
        "trail": audit_trail("payment", payment["id"], current_team_id()),
        **extra,
    }


@bp.get("/<payment_id>")
@requires(Role.VIEWER)
def show(payment_id: str):
    """Upstream calls: ``GET /payments/{id}``. The documents it made link to their pages."""
    payment = payment_or_404(payment_id)
    return render_page("payments/show.html", "payments/_detail.html", **_detail_context(payment))


NEW = Screen("payments/new.html", "payments/_form.html", "payment-form")


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Register a payment. Upstream calls, at once: up to 100 services, the chosen client and
    its PPD invoices with a balance (each linked to a payment on it); on save ``POST
    /payments/register`` with the key. With ``ppd_invoice_id`` (from the invoice's page, the
    REP monitor, or that link): the payment on that invoice (:func:`_pay`)."""
    if "ppd_invoice_id" in request.values:
        return _pay()
    return _create(RegisterForm(), "register", audit="payment.create")


PAY = Screen("payments/new.html", "payments/_pay_form.html", "pay-form")


def _pay():
    """A payment on an existing PPD invoice (:mod:`.pay`): the invoice and its client's other
    open PPD invoices to switch to, the amount filled with the balance. Upstream calls, at
    once: the invoice and the client's open PPD invoices; on save ``POST /payments/register``
    (items from the invoice, ``ppd_invoice_id``, the key), which stamps the complement."""
    client_api = api()
    form = PayInvoiceForm()
    if not form.is_submitted():
        pay.prefill(form)
    invoice, listed = pay.read(client_api, form)
    pay.set_choices(form, invoice, listed)
    today = datetime.fromtimestamp(now_seconds(), MEXICO_CITY).date()
    amount = form.amount.data if form.amount.data is not None else pay.balance_of(invoice)
    context = {"form": form, "invoice": invoice, "others": listed, "kind": "invoice"}
    context["today"] = today
    context |= {
        "items": pay.items_paying(invoice, float(amount)),
        "balance": pay.balance_of(invoice),
    }
    context |= {"late": pay.dated_otherwise(form, today), "form_action": url_for("payments.new")}
    context["unpayable"] = pay.unpayable(invoice)
    if request.method == "GET" or request.form.get("action") != "save":
        return PAY.show(**context)
    valid = form.validate()  # before the checks: it resets the fields' errors
    if pay.problems(form, invoice) or not valid:
        return PAY.failed(error=_("Nothing was sent: fix what is marked."), **context)
    return sale.create(
        form,
        lambda: client_api.payments.register(pay.body(form, invoice)),
        screen=PAY,
        context=context,
        document="payment",
        audit="payment.create",
        object_id=lambda payment: payment["id"],
        detail=lambda payment: pay.audit_detail(payment, invoice),
        message=lambda payment: confirmation(
            _("Payment of %(name)s registered on %(invoice)s."),
            payment_name(payment),
            payment_url(payment),
            invoice=document_name(invoice),
        ),
        then=payment_url,
    )


@bp.route("/request", methods=["GET", "POST"], endpoint="request")
@requires(Role.OPERATOR)
def request_payment():
    """Request a payment (a link). Upstream calls, at once: up to 100 services, the chosen
    client and the team's integrations (Stripe); on save ``POST /payments/request``."""
    return _create(RequestForm(), "request", audit="payment.request")


def _create(form: PaymentForm, kind: str, **audit: Any):
    """Both payment forms: the draft, what blocks it, sent once with its idempotency key."""
    client_api = api()
    draft = sale.draft(
        form,
        partial(create.prefill, kind=kind),
        partial(create.open_ppd, client_api, form, kind),
        partial(create.has_stripe, client_api, kind),
    )
    ppd, has_stripe = draft.extras
    create.set_choices(form, kind)
    valid = form.validate() if draft.action == "save" else True  # before: it resets errors
    blocking = (
        create.problems(form, kind, draft.client, draft.items, has_stripe)
        if request.method == "POST"
        else []
    )
    draft.unknown_client((form.client_id.data or "").strip())
    context = draft.context(
        kind=kind, blocking=blocking, states=states, has_stripe=has_stripe, open_ppd=ppd
    )
    context["form_action"] = url_for("payments.new" if kind == "register" else "payments.request")
    if request.method == "GET" or draft.action != "save":
        create.quiet(form)
        return sale.show(NEW, context, draft.redrawn)
    if not valid or blocking:
        return NEW.failed(error=_("Nothing was sent: fix what is listed."), **context)
    send = client_api.payments.register if kind == "register" else client_api.payments.request
    return sale.create(
        form,
        lambda: send(create.body(form, kind, draft.client, draft.items)),
        screen=NEW,
        context=context,
        aliases=create.method_aliases,
        document="payment",
        object_type="payment",
        object_id=lambda payment: payment["id"],
        detail=partial(create.audit_detail, kind=kind),
        message=lambda payment: confirmation(
            _("Payment of %(name)s registered.")
            if kind == "register"
            else _("Payment link for %(name)s created."),
            payment_name(payment),
            payment_url(payment),
        ),
        then=payment_url,
        **audit,
    )


MARK_PAID = verb_screen("payments/_mark_paid.html", "mark_paid-form")
REFUND = verb_screen("payments/_refund.html", "refund-form")
CANCEL = verb_screen("payments/_cancel.html", "cancel-form")
TITLES = {
    "mark_paid": _l("Mark as paid"),
    "refund": _l("Refund a payment"),
    "cancel": _l("Cancel a payment"),
}


def _verb_context(verb: str, payment: dict[str, Any], form: Any, **extra: Any) -> dict[str, Any]:
    """The verb page: its title, the way back to the payment (client and status said)."""
    back = back_to(
        payment,
        url_for("payments.show", payment_id=payment["id"]),
        _("Payment of %(amount)s", amount=amount_of(payment)),
        states.status_name(payment.get("status")),
    )
    return {
        "payment": payment,
        "form": form,
        "states": states,
        "title": TITLES[verb],
        "back": back,
        **extra,
    }


def _refused_by_state(screen: Screen, payment: dict[str, Any], context: dict[str, Any]):
    """The state no longer allows the verb (changed in another tab): say so, send nothing."""
    return screen.failed(
        error=_(
            "A payment in status %(status)s cannot do this any more.",
            status=states.status_name(payment.get("status")),
        ),
        **context,
    )


def _shown(payment: dict[str, Any]) -> str:
    return url_for("payments.show", payment_id=payment["id"])


@bp.route("/<payment_id>/mark-paid", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def mark_paid(payment_id: str):
    """Upstream calls: ``GET /payments/{id}``; on confirm ``POST /payments/{id}/paid`` (the
    automation runs then; the documents it made are shown after)."""
    payment = payment_or_404(payment_id)
    form = MarkPaidForm()
    context = _verb_context("mark_paid", payment, form)
    if not form.is_submitted():
        return MARK_PAID.show(**context)
    if payment.get("status") not in states.MARK_PAID_FROM:
        return _refused_by_state(MARK_PAID, payment, context)
    return perform(
        form,
        lambda: api().payments.mark_paid(payment_id, form.payment_form.data),
        screen=MARK_PAID,
        context=context,
        audit="payment.mark_paid",
        object_id=payment_id,
        detail=Detail(details.PAYMENT_FORM, form=form.payment_form.data),
        refusals=(ValidationError, Conflict),
        refused=sale.refused_with(),
        message=lambda paid: confirmation(
            _("Payment of %(name)s marked as paid. %(documents)s"),
            payment_name(paid or payment),
            payment_url(payment),
            documents=documents_made(paid),
        ),
        then=_shown,
    )


def payment_name(payment: dict[str, Any]) -> str:
    """What a message calls a payment: its amount (a payment has no folio)."""
    return money(payment.get("total"), payment.get("currency") or "MXN") or payment.get("id", "")


def payment_url(payment: dict[str, Any]) -> str:
    return url_for("payments.show", payment_id=payment["id"])


def documents_made(payment: dict[str, Any]) -> str:
    """One sentence on what the automation made (or that it made nothing)."""
    invoices, receipts = payment.get("invoices") or [], payment.get("receipts") or []
    if not invoices and not receipts:
        return (
            _("No document was made.")
            if payment.get("automation_type") in (None, "none")
            else _(
                "The automation made no document yet (see the invoices list, or the "
                "team's webhooks for invoice.failed)."
            )
        )
    return _(
        "Documents made: %(invoices)s invoice(s), %(receipts)s receipt(s).",
        invoices=len(invoices),
        receipts=len(receipts),
    )


def _refund_check(form: Any, payment: dict[str, Any], remainder: float, context: dict):
    """Made once the form's token is claimed: the state still allows a refund, the form is
    valid and the amount is not above what is left."""
    if payment.get("status") not in states.REFUND_FROM or remainder <= 0:
        return _refused_by_state(REFUND, payment, context)
    if form.validate() and float(form.amount.data) > remainder + 0.001:
        form.amount.errors = [
            *form.amount.errors,
            _("At most %(remainder)s is left to refund.", remainder=f"{remainder:,.2f}"),
        ]
    return REFUND.failed(**context) if form.errors else None


def _refund_detail(form: Any, payment: dict[str, Any]) -> Detail:
    """The refund's amount (the reason typed follows it, as typed)."""
    amount = money(form.amount.data, payment.get("currency") or "MXN")
    return Detail(details.REFUND_OUTSIDE if form.external.data else details.REFUND, amount=amount)


@bp.route("/<payment_id>/refund", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def refund(payment_id: str):
    """Full or partial, never above the remainder, with a reason; sent once per opened form.
    Upstream calls: ``GET /payments/{id}``; on confirm ``POST /payments/{id}/refund``."""
    payment = payment_or_404(payment_id)
    remainder = states.refundable(payment)
    form = RefundForm()
    context = _verb_context("refund", payment, form, remainder=remainder)
    if not form.is_submitted():
        form.once.data = once.issue()
        form.amount.data = remainder if remainder > 0 else None
        return REFUND.show(**context)
    return perform(
        form,
        lambda: api().payments.refund(
            payment_id,
            amount=float(form.amount.data),
            reason=form.reason.data,
            external_processor_refund=form.external.data,
        ),
        screen=REFUND,
        context=context,
        validate=False,
        audit="payment.refund",
        object_id=payment_id,
        detail=_refund_detail(form, payment),
        refusals=(ValidationError, Conflict),
        refused=sale.refused_with({"external_processor_refund": "external"}),
        check=lambda: _refund_check(form, payment, remainder, context),
        message=lambda done: confirmation(
            _("Refunded %(amount)s of the payment of %(name)s; %(left)s left to refund."),
            payment_name(payment),
            payment_url(payment),
            amount=money(form.amount.data, payment.get("currency") or "MXN"),
            left=money(states.refundable(done), payment.get("currency") or "MXN"),
        ),
        then=url_for("payments.show", payment_id=payment_id),
    )


@bp.route("/<payment_id>/cancel", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def cancel(payment_id: str):
    """Only before the money arrives; a reason for the audit log. Upstream calls:
    ``GET /payments/{id}``; on confirm ``DELETE /payments/{id}``."""
    payment = payment_or_404(payment_id)
    form = CancelForm()
    context = _verb_context("cancel", payment, form)
    if not form.is_submitted():
        return CANCEL.show(**context)
    if payment.get("status") not in states.CANCEL_FROM:
        return _refused_by_state(CANCEL, payment, context)
    return sale.verb(
        form,
        lambda: api().payments.cancel(payment_id),
        screen=CANCEL,
        context=context,
        audit="payment.cancel",
        object_id=payment_id,
        message=confirmation(
            _("Payment of %(name)s cancelled."), payment_name(payment), payment_url(payment)
        ),
        then=_shown,
    )
