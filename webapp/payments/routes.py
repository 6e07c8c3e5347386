"""Payments list and detail, and the state changes §5 allows: mark as paid, refund, cancel.
The buttons shown and the checks made follow :mod:`webapp.payments.states`."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import abort, flash, request, url_for
from flask_babel import gettext as _

from webapp import once
from webapp.api import api
from webapp.audit import record
from webapp.audit.query import trail as audit_trail
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.formatting import day_bound
from webapp.gigstack import GigstackError
from webapp.gigstack.errors import Conflict, NotFound, ValidationError
from webapp.pages import (
    apply_api_errors,
    form_failed,
    list_url,
    navigate,
    page_with_status_tabs,
    render_page,
)
from webapp.teams.scoped import current_team_id, team_blueprint

from . import states
from .forms import CancelForm, MarkPaidForm, PaymentFilterForm, RefundForm

bp = team_blueprint("payments", __name__, "/payments")

PAGE_SIZE = 25
SORTS = {"-created": "desc", "created": "asc"}


def _filters(form: PaymentFilterForm) -> dict[str, Any]:
    """The API's filters from the form (fields with errors are left out)."""
    found: dict[str, Any] = {}
    for name in ("client_id", "email", "tax_id", "currency"):
        field = getattr(form, name)
        if field.data and not field.errors:
            found[name] = field.data.strip().upper() if name == "tax_id" else field.data.strip()
    if form.date_from.data and not form.date_from.errors:
        found["created_gte"] = day_bound(form.date_from.data)
    if form.date_to.data and not form.date_to.errors:
        found["created_lte"] = day_bound(form.date_to.data, end=True)
    return found


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls, at once: one page of ``GET /payments`` (status tab, filters, sort and
    cursor in the URL) and one ``limit=1`` count per status for the tabs' counts."""
    form = PaymentFilterForm(request.args)
    form.validate()
    status = form.status.data if form.status.data in states.statuses() else ""
    filters = _filters(form)
    cursor = request.args.get("next") or None
    client = api()
    page, tabs = page_with_status_tabs(
        partial(client.payments.list, **filters),
        states.statuses(),
        status,
        states.status_name,
        limit=PAGE_SIZE,
        next=cursor,
        sort=SORTS.get(form.sort.data or "", "desc"),
    )
    links = {
        "first": list_url("next") if cursor else None,
        "next": list_url("next", page.next) if page.has_more and page.next else None,
    }
    return render_page(
        "payments/page.html",
        "payments/_rows.html",
        form=form,
        rows=list(page),
        total=page.total_results,
        links=links,
        tabs=tabs,
        states=states,
    )


def payment_or_404(payment_id: str) -> dict[str, Any]:
    try:
        return api().payments.get(payment_id)
    except (NotFound, ValidationError):
        abort(404)


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


def _after(payment: dict[str, Any], message: str):
    flash(message, "info")
    return navigate(url_for("payments.show", payment_id=payment["id"]))


def _verb_page(
    verb: str,
    payment: dict[str, Any],
    form: Any,
    error: str | None = None,
    failed: bool = False,
    **extra: Any,
):
    context = {"payment": payment, "form": form, "verb": verb, "states": states, **extra}
    if failed:
        return form_failed(
            "payments/verb.html", f"payments/_{verb}.html", f"{verb}-form", error=error, **context
        )
    return render_page("payments/verb.html", f"payments/_{verb}.html", **context)


def _refused_by_state(verb: str, payment: dict[str, Any], form: Any):
    """The state no longer allows the verb (changed in another tab): say so, send nothing."""
    return _verb_page(
        verb,
        payment,
        form,
        failed=True,
        error=_(
            "A payment in status %(status)s cannot do this any more.",
            status=states.status_name(payment.get("status")),
        ),
    )


@bp.route("/<payment_id>/mark-paid", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def mark_paid(payment_id: str):
    """Upstream calls: ``GET /payments/{id}``; on confirm ``POST /payments/{id}/paid`` (the
    automation runs then; the documents it made are shown after)."""
    payment = payment_or_404(payment_id)
    form = MarkPaidForm()
    if not form.is_submitted():
        return _verb_page("mark_paid", payment, form)
    if payment.get("status") not in states.MARK_PAID_FROM:
        return _refused_by_state("mark_paid", payment, form)
    if not form.validate():
        return _verb_page("mark_paid", payment, form, failed=True)
    try:
        paid = api().payments.mark_paid(payment_id, form.payment_form.data)
    except (ValidationError, Conflict) as error:
        record("payment.mark_paid", object_type="payment", object_id=payment_id, outcome=error.code)
        unplaced = apply_api_errors(form, error)
        return _verb_page(
            "mark_paid", payment, form, failed=True, error=" ".join(unplaced) or error.message
        )
    record(
        "payment.mark_paid",
        object_type="payment",
        object_id=payment_id,
        reason=f"payment form {form.payment_form.data}",
    )
    return _after(paid, _("Payment marked as paid. %(documents)s", documents=documents_made(paid)))


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


@bp.route("/<payment_id>/refund", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def refund(payment_id: str):
    """Full or partial, never above the remainder, with a reason; sent once per opened form.
    Upstream calls: ``GET /payments/{id}``; on confirm ``POST /payments/{id}/refund``."""
    payment = payment_or_404(payment_id)
    remainder = states.refundable(payment)
    form = RefundForm()
    extra = {"remainder": remainder}
    if not form.is_submitted():
        form.once.data = once.issue()
        form.amount.data = remainder if remainder > 0 else None
        return _verb_page("refund", payment, form, **extra)
    claim = once.claim(form.once.data)
    if not claim.fresh:
        return once.repeated(claim)
    if payment.get("status") not in states.REFUND_FROM or remainder <= 0:
        once.release(form.once.data)
        return _refused_by_state("refund", payment, form)
    if form.validate() and float(form.amount.data) > remainder + 0.001:
        form.amount.errors = [
            *form.amount.errors,
            _("At most %(remainder)s is left to refund.", remainder=f"{remainder:,.2f}"),
        ]
    if form.errors:
        once.release(form.once.data)
        return _verb_page("refund", payment, form, failed=True, **extra)
    try:
        done = api().payments.refund(
            payment_id,
            amount=float(form.amount.data),
            reason=form.reason.data,
            external_processor_refund=form.external.data,
        )
    except (ValidationError, Conflict) as error:
        once.release(form.once.data)
        record(
            "payment.refund",
            object_type="payment",
            object_id=payment_id,
            outcome=error.code,
            reason=form.reason.data,
        )
        unplaced = apply_api_errors(form, error, {"external_processor_refund": "external"})
        return _verb_page(
            "refund", payment, form, failed=True, error=" ".join(unplaced) or error.message, **extra
        )
    except GigstackError:
        once.release(form.once.data)
        raise
    record(
        "payment.refund",
        object_type="payment",
        object_id=payment_id,
        reason=f"{float(form.amount.data):.2f} {payment.get('currency') or 'MXN'}"
        + (" (outside gigstack)" if form.external.data else "")
        + f": {form.reason.data}",
    )
    target = url_for("payments.show", payment_id=payment_id)
    once.done(form.once.data, target)
    flash(
        _(
            "Refunded %(amount)s; %(left)s left to refund.",
            amount=f"{float(form.amount.data):,.2f}",
            left=f"{states.refundable(done):,.2f}",
        ),
        "info",
    )
    return navigate(target)


@bp.route("/<payment_id>/cancel", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def cancel(payment_id: str):
    """Only before the money arrives; a reason for the audit log. Upstream calls:
    ``GET /payments/{id}``; on confirm ``DELETE /payments/{id}``."""
    payment = payment_or_404(payment_id)
    form = CancelForm()
    if not form.is_submitted():
        return _verb_page("cancel", payment, form)
    if payment.get("status") not in states.CANCEL_FROM:
        return _refused_by_state("cancel", payment, form)
    if not form.validate():
        return _verb_page("cancel", payment, form, failed=True)
    try:
        cancelled = api().payments.cancel(payment_id)
    except (ValidationError, Conflict) as error:
        record(
            "payment.cancel",
            object_type="payment",
            object_id=payment_id,
            outcome=error.code,
            reason=form.reason.data,
        )
        return _verb_page("cancel", payment, form, failed=True, error=error.message)
    record("payment.cancel", object_type="payment", object_id=payment_id, reason=form.reason.data)
    return _after(cancelled, _("Payment cancelled."))
