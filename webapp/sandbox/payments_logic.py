"""Payments: state machine, refunds, payment methods and success automations (REFERENCE §5).

Only ``succeeded`` means money arrived and only it fires the automation. An automation that
fails to stamp never undoes the payment: it stays ``succeeded``, ``invoices`` stays empty and
``invoice.failed`` is fired (§5). Every function here runs with the store lock held.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from webapp.domain.money import round2, to_number

from . import events, invoicing, receipts_logic
from .context import Caller
from .errors import ApiError, field_error
from .keys import KeyRecord
from .receipts_logic import article
from .store import Store
from .validation import CURRENCY_RE, Checker

#: REFERENCE §5.6 / §5.8: the not-yet-collected statuses.
PAYABLE_FROM = frozenset({"pending", "requires_payment_method", "processing", "failed"})
CANCELLABLE_FROM = PAYABLE_FROM
REFUNDABLE_FROM = frozenset({"succeeded"})

PAY_LINK = "https://pay.gigstack.io/p/{id}"
#: allowed_payment_methods ids (§12.4, §13 #27); ``bank`` is an alias of ``spei``.
METHOD_IDS = ("card", "spei", "oxxo", "stripe-spei")
METHOD_ALIASES = {"bank": "spei"}
STRIPE_METHODS = frozenset({"card", "oxxo", "stripe-spei"})
#: ``99`` (por definir) is the form of a PPD invoice; a PUE CFDI or a receipt needs the real one.
TO_BE_DEFINED = "99"


def has_stripe(team: dict[str, Any]) -> bool:
    """Whether the team finished its Stripe connection (card, OXXO, Stripe SPEI need it)."""
    stripe = (team.get("integrations") or {}).get("stripe") or {}
    return bool(stripe.get("completed"))


def default_methods(team: dict[str, Any]) -> list[dict[str, str]]:
    """``spei``, plus ``card`` when the team has Stripe (§12.4)."""
    methods = [{"id": "spei"}]
    if has_stripe(team):
        methods.append({"id": "card"})
    return methods


def check_methods(
    check: Checker, value: Any, team: dict[str, Any], field: str = "allowed_payment_methods"
) -> list[dict[str, str]]:
    """Validate ``allowed_payment_methods`` (strings or ``{id}``) into ``[{id}]``, no repeats.

    Asking for a Stripe method when the team has no Stripe is a business-rule violation.
    """
    if value is None:
        return default_methods(team)
    if not isinstance(value, list):
        check.add(field, "must be a list of payment methods")
        return []
    out: list[dict[str, str]] = []
    for index, raw in enumerate(value):
        path = f"{field}[{index}]"
        method = raw.get("id") if isinstance(raw, dict) else raw
        if not isinstance(method, str):
            check.add(
                path,
                "must be a payment method id (card, spei, oxxo or stripe-spei) or an object {id}",
            )
            continue
        method = METHOD_ALIASES.get(method.strip().lower(), method.strip().lower())
        if method not in METHOD_IDS:
            check.add(
                path,
                f"'{raw if isinstance(raw, str) else raw.get('id')}' is not a "
                "payment method (card, spei, bank, oxxo or stripe-spei)",
            )
            continue
        if method in STRIPE_METHODS and not has_stripe(team):
            check.add(
                path,
                f"'{method}' needs a connected Stripe account, and this team has none",
                "business_rule_violation",
            )
            continue
        if {"id": method} not in out:
            out.append({"id": method})
    if not out and not check:
        return default_methods(team)
    return out


# building ------------------------------------------------------------------------------
def build_payment(
    store: Store,
    *,
    team_id: str,
    livemode: bool,
    owner: str,
    client: dict[str, Any],
    client_ref: dict[str, Any],
    items: list[dict[str, Any]],
    totals: dict[str, Any],
    currency: str,
    exchange_rate: float,
    automation_type: str,
    status: str,
    payment_form: str | None = None,
    allowed_payment_methods: list | None = None,
    emails: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    invoice_config: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    processor: str | None = None,
    created_at: int | None = None,
    succeeded_at: int | None = None,
    short_url: bool = False,
    ppd_invoice_id: str | None = None,
    send_email: bool = False,
) -> dict[str, Any]:
    """A Payment in output shape (not stored). ``client`` is the full client record."""
    created = store.clock.now() if created_at is None else created_at
    payment_id = store.new_id("payment_")
    if emails is None:
        emails = [client["email"]] if client.get("email") else []
    return {
        "id": payment_id,
        "status": status,
        "client": client_ref,
        "currency": currency,
        "exchange_rate": exchange_rate,
        "payment_form": payment_form,
        "subtotal": totals["subtotal"],
        "discount": totals["discount"],
        "taxes": totals["taxes"],
        "total": totals["total"],
        "items": items,
        "allowed_payment_methods": list(allowed_payment_methods or []),
        "automation_type": automation_type,
        "emails": list(emails),
        "metadata": dict(metadata or {}),
        "invoice_config": invoice_config,
        "idempotency_key": idempotency_key,
        "invoices": [],
        "receipts": [],
        "refunds": [],
        "short_url": PAY_LINK.format(id=payment_id) if short_url else None,
        "payment_processor": processor,
        "created_at": created,
        "succeeded_at": succeeded_at,
        "livemode": livemode,
        "team": team_id,
        "owner": owner,
        "from": "api",
        # private bookkeeping
        "_client": copy.deepcopy(client),
        "_ppd_invoice_id": ppd_invoice_id,
        "_send_email": send_email,
        "_cancelled_at": None,
        "_automation_done": False,
    }


# state machine -------------------------------------------------------------------------
def ensure_status(payment: dict[str, Any], allowed: frozenset[str], action: str) -> None:
    """409 ``resource_conflict`` when ``payment`` is not in one of ``allowed`` statuses."""
    if payment["status"] not in allowed:
        status = payment["status"]
        allowed_text = ", ".join(sorted(allowed))
        raise ApiError(
            "resource_conflict",
            f"{article(status)} {status} payment cannot be {action} (allowed from: {allowed_text})",
        )


def form_problem(payment_form: str | None, automation_type: str | None) -> str | None:
    """Why ``99`` (por definir) cannot back this automation, or None when it can.

    A PUE CFDI, a payment complement and a receipt all record money that arrived in a known
    way; only ``none`` (record only) lives with an undefined form.
    """
    if payment_form != TO_BE_DEFINED or automation_type in (None, "none"):
        return None
    what = {
        "pue_invoice": "a PUE invoice",
        "receipt": "a receipt",
        "ppd_invoice_and_complement": "a payment complement",
    }[automation_type]
    return (
        f"99 (por definir) cannot be used with automation_type {automation_type}: "
        f"{what} needs the real form of payment"
    )


def refundable(payment: dict[str, Any]) -> Decimal:
    """What is left to refund: total − Σ refunds."""
    done = sum((round2(r["amount"]) for r in payment["refunds"]), Decimal(0))
    return round2(payment["total"]) - done


def add_refund(
    store: Store,
    payment: dict[str, Any],
    *,
    amount: float | None,
    reason: str | None,
    external: bool,
) -> dict[str, Any]:
    """Refund ``amount`` (default the whole remainder); ``refunded`` once nothing is left."""
    ensure_status(payment, REFUNDABLE_FROM, "refunded")
    remainder = refundable(payment)
    value = remainder if amount is None else round2(amount)
    if value <= 0:
        if amount is None:
            raise field_error(
                "invalid_field_value", "amount", "nothing is left to refund on this payment"
            )
        raise field_error("invalid_field_value", "amount", "must be greater than 0")
    if value > remainder:
        raise field_error(
            "invalid_field_value",
            "amount",
            f"must not exceed the refundable remainder {remainder:.2f} {payment['currency']}",
        )
    payment["refunds"].append(
        {
            "id": store.new_id("refund_"),
            "amount": to_number(value),
            "reason": reason,
            "external_processor_refund": external,
            "created_at": store.clock.now(),
        }
    )
    if refundable(payment) <= 0:
        payment["status"] = "refunded"
    events.emit(store, payment["team"], payment["livemode"], "payment.updated", payment)
    return payment


def cancel(store: Store, payment: dict[str, Any]) -> dict[str, Any]:
    """Cancel a payment not yet collected (409 otherwise); fires ``payment.canceled``."""
    ensure_status(payment, CANCELLABLE_FROM, "cancelled")
    payment["status"] = "cancelled"
    payment["_cancelled_at"] = store.clock.now()
    events.emit(store, payment["team"], payment["livemode"], "payment.canceled", payment)
    return payment


# shared request checks -----------------------------------------------------------------
def check_currency(check: Checker, body: dict[str, Any]) -> tuple[str, float]:
    """``currency`` (ISO 4217, default MXN) and ``exchange_rate`` (1 for MXN, else > 0)."""
    currency = check.string(body, "currency")
    currency = (currency or "MXN").upper()
    if not CURRENCY_RE.match(currency):
        check.add(
            "currency",
            f"'{body.get('currency')}' is not an ISO 4217 currency code (for example MXN or USD)",
        )
        return currency, 1
    if currency == "MXN":
        check.number(body, "exchange_rate", exclusive_minimum=0)
        return currency, 1
    rate = check.number(body, "exchange_rate", exclusive_minimum=0)
    if body.get("exchange_rate") is None:
        check.add(
            "exchange_rate", f"is required when currency is {currency}", "missing_required_field"
        )
    return currency, rate or 1


def check_invoice_config(
    check: Checker, body: dict[str, Any], team_id: str, store: Store
) -> dict[str, Any] | None:
    """``invoice_config {serie, folio}``: the series must be one of the team's."""
    value = check.object(body, "invoice_config")
    if value is None:
        return None
    sub = check.nested("invoice_config")
    out: dict[str, Any] = {}
    serie = sub.string(value, "serie", max_length=25)
    if serie:
        names = {s["series"].casefold(): s["series"] for s in store.series.get(team_id) or []}
        if serie.casefold() not in names:
            sub.add("serie", f"'{serie}' is not a series of this team")
        else:
            out["serie"] = names[serie.casefold()]
    folio = sub.integer(value, "folio", minimum=1)
    if folio is not None:
        out["folio"] = folio
    return out


def seed_caller(store: Store, team_id: str, livemode: bool) -> Caller:
    """A Caller for work done outside a request (the seed), acting as the team itself."""
    key = KeyRecord(name="seed", key_id="seed", team=team_id, livemode=livemode, token="")
    return Caller(key=key, team_id=team_id, store=store)


# automations ---------------------------------------------------------------------------
def current_client(store: Store, payment: dict[str, Any]) -> dict[str, Any]:
    """The payment's client as it is now (master record), else the copy kept at creation."""
    ref = payment.get("client") or {}
    master = store.get("clients", ref.get("id") or "", payment["team"], payment["livemode"])
    return master if master is not None else dict(payment.get("_client") or ref)


def automation_skipped(team: dict[str, Any], payment: dict[str, Any]) -> bool:
    """Team setting ``avoid_automations_on_currencies``: no automation for those currencies."""
    avoided = (team.get("settings") or {}).get("avoid_automations_on_currencies") or []
    return payment["currency"] in avoided


def run_automation(who: Caller, payment: dict[str, Any], *, at: int | None = None) -> None:
    """Fire the payment's ``automation_type`` now that it ``succeeded`` (REFERENCE §5).

    Created CFDI go to ``invoices``, receipts to ``receipts``. A stamping failure leaves the
    payment as it is and fires ``invoice.failed``.
    """
    kind = payment.get("automation_type") or "none"
    if payment["status"] != "succeeded" or kind == "none" or payment.get("_automation_done"):
        return
    if automation_skipped(who.team, payment):
        return
    payment["_automation_done"] = True
    client = current_client(who.store, payment)
    if kind == "receipt" or (kind == "pue_invoice" and not client.get("tax_id")):
        _automatic_receipt(who, payment, client, at)
    elif kind == "pue_invoice":
        invoice = _income_invoice(who, payment, client, at, "PUE")
        if invoice is not None:
            payment["invoices"].append(invoice["uuid"])
    elif kind == "ppd_invoice_and_complement":
        _ppd_and_complement(who, payment, client, at)


def _income_invoice(
    who: Caller, payment: dict[str, Any], client: dict[str, Any], at: int | None, method: str
) -> dict[str, Any] | None:
    """Stamp the income invoice of ``payment``'s automation (:func:`_attempt`): ``PUE`` with
    the payment's form, or ``PPD`` with form 99 (to be defined)."""
    form = payment["payment_form"] if method == "PUE" else TO_BE_DEFINED
    return _attempt(
        who,
        payment,
        client,
        lambda: invoicing.issue_invoice(
            who,
            invoice_type="I",
            client=client,
            items=_copy_items(who.store, payment),
            payment_form=form,
            payment_method=method,
            use=None,
            currency=payment["currency"],
            exchange_rate=payment["exchange_rate"],
            **_folio_args(payment),
            automation_type=payment["automation_type"],
            at=at,
        ),
    )


def _ppd_and_complement(
    who: Caller, payment: dict[str, Any], client: dict[str, Any], at: int | None
) -> None:
    ppd = None
    if payment.get("_ppd_invoice_id"):
        ppd = invoicing.find_invoice(who, payment["_ppd_invoice_id"], "I")
    if ppd is None:
        ppd = _income_invoice(who, payment, client, at, "PPD")
        if ppd is None:
            return
        payment["invoices"].append(ppd["uuid"])
    complement = _attempt(
        who,
        payment,
        client,
        lambda: invoicing.issue_payment_complement(
            who, payment=payment, ppd_invoice=ppd, amount=payment["total"], at=at
        ),
        kind="P",
    )
    if complement is not None:
        payment["invoices"].append(complement["uuid"])


def _automatic_receipt(
    who: Caller, payment: dict[str, Any], client: dict[str, Any], at: int | None
) -> None:
    form = payment.get("payment_form")
    receipt = receipts_logic.build_receipt(
        who.store,
        team_id=payment["team"],
        livemode=payment["livemode"],
        client=client,
        items=_copy_items(who.store, payment),
        totals={k: payment[k] for k in ("subtotal", "discount", "taxes", "total")},
        currency=payment["currency"],
        exchange_rate=payment["exchange_rate"],
        periodicity=receipts_logic.default_periodicity(who.team),
        payment_form=form
        if form and form != TO_BE_DEFINED
        else receipts_logic.DEFAULT_PAYMENT_FORM,
        invoice_config=payment.get("invoice_config"),
        created=at,
        payment_id=payment["id"],
    )
    receipts_logic.store_receipt(who.store, receipt)
    payment["receipts"].append(receipt["id"])


def _copy_items(store: Store, payment: dict[str, Any]) -> list[dict[str, Any]]:
    """The payment's items for a new document (own item ids, same content)."""
    return [{**copy.deepcopy(item), "id": store.new_id("item_")} for item in payment["items"]]


def _folio_args(payment: dict[str, Any]) -> dict[str, Any]:
    config = payment.get("invoice_config") or {}
    return {"series": config.get("serie"), "folio_number": config.get("folio")}


#: Failures :func:`invoicing.issue_invoice` already reports with ``invoice.failed`` itself.
_SELF_REPORTED = frozenset({"cfdi_service_error", "external_service_error"})


def _attempt(
    who: Caller,
    payment: dict[str, Any],
    client: dict[str, Any],
    issue: Callable[[], dict[str, Any]],
    *,
    kind: str = "I",
) -> dict[str, Any] | None:
    """Run one stamping; on ApiError record it, fire ``invoice.failed`` and return None."""
    try:
        return issue()
    except ApiError as error:
        report_failure(who, error, client, payment, kind=kind)
        payment.setdefault("_automation_errors", []).append(
            {"code": error.code, "message": error.message}
        )
        return None


def report_failure(
    who: Caller,
    error: ApiError,
    client: dict[str, Any] | None,
    document: dict[str, Any],
    *,
    kind: str = "I",
) -> None:
    """``invoice.failed`` for a stamp that did not happen (unless issue_invoice fired it)."""
    if error.code in _SELF_REPORTED:
        return
    totals = {k: document.get(k, 0) for k in ("subtotal", "discount", "taxes", "total")}
    if kind == "P":
        totals = dict.fromkeys(totals, 0)
    failed = {
        "invoice_type": kind,
        "status": "failed",
        "client": invoicing.client_ref(client) if client else None,
        "currency": document.get("currency") or "MXN",
        **totals,
        "livemode": who.livemode,
        "team": who.team_id,
        "created_at": who.store.clock.now(),
        "error": {"code": error.code, "message": error.message},
    }
    who.emit("invoice.failed", failed)
