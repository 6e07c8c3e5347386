"""Receipts: validity periods, status computed on read, creation and stamping (REFERENCE §6).

A receipt records a sale already paid whose buyer may self-invoice until ``validUntil``, the
end of the current period in Mexico City time. The stored status stays ``pending`` until an
action changes it; a pending receipt past ``validUntil`` *reads* as ``expired`` (so the clock,
not a background job, decides — tests move the clock and see the change at once).
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from . import events, invoicing
from .context import Caller
from .errors import ApiError
from .store import Store
from .validation import is_generic_rfc

MEXICO_CITY = ZoneInfo("America/Mexico_City")
PERIODICITIES = ("day", "week", "two_weeks", "month", "two_months")
DEFAULT_PERIODICITY = "month"
DEFAULT_PAYMENT_FORM = "03"
PORTAL_URL = "https://invoicing.gigstack.pro/autofactura?id={id}"
#: Statuses a receipt may be cancelled from (REFERENCE §6.5); stamped only from pending (§6.4).
CANCELLABLE_FROM = frozenset({"pending", "expired"})
STAMPABLE_FROM = frozenset({"pending"})
#: Fiscal data a receiver needs before a receipt can become its own CFDI.
FISCAL_FIELDS = (
    ("tax_id", "has no RFC (tax_id)"),
    ("legal_name", "has no legal name (legal_name)"),
    ("tax_system", "has no tax regime (tax_system)"),
    ("address.zip", "has no fiscal postal code (address.zip)"),
)


def article(word: str) -> str:
    """``A`` or ``An`` (title case) for a status word in a message: "An expired receipt…"."""
    return "An" if word[:1].lower() in "aeiou" else "A"


# validity ------------------------------------------------------------------------------
def period_end(now: int, periodicity: str) -> int:
    """Unix seconds of 23:59:59 Mexico City time on the last day of the current period.

    ``day`` today; ``week`` the coming Sunday (today when it is Sunday); ``two_weeks`` the 15th
    or the month's last day; ``month`` the month's last day; ``two_months`` the last day of the
    bimester (Jan–Feb, Mar–Apr, …).
    """
    today = dt.datetime.fromtimestamp(now, MEXICO_CITY).date()
    if periodicity == "day":
        last = today
    elif periodicity == "week":
        last = today + dt.timedelta(days=6 - today.weekday())  # weekday(): Monday 0, Sunday 6
    elif periodicity == "two_weeks":
        if today.day <= 15:
            last = today.replace(day=15)
        else:
            last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    elif periodicity == "month":
        last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    elif periodicity == "two_months":
        month = today.month + (today.month % 2)  # odd months end with the next one
        last = dt.date(today.year, month, calendar.monthrange(today.year, month)[1])
    else:
        raise ValueError(f"unknown periodicity {periodicity!r}")
    end = dt.datetime(last.year, last.month, last.day, 23, 59, 59, tzinfo=MEXICO_CITY)
    return int(end.timestamp())


def default_periodicity(team: dict[str, Any]) -> str:
    """The team's ``settings.periodicity`` (stored as ``{label, value}``), else ``month``."""
    setting = (team.get("settings") or {}).get("periodicity")
    value = setting.get("value") if isinstance(setting, dict) else setting
    return value if value in PERIODICITIES else DEFAULT_PERIODICITY


def effective_status(receipt: dict[str, Any], now: int) -> str:
    """The status a reader sees: a pending receipt past ``validUntil`` is ``expired``."""
    status = receipt["status"]
    if status == "pending" and now > receipt["validUntil"]:
        return "expired"
    return status


def view(receipt: dict[str, Any], now: int) -> dict[str, Any]:
    """The receipt as GET returns it (status computed for ``now``); the stored one is kept."""
    out = dict(receipt)
    out["status"] = effective_status(receipt, now)
    return out


# building ------------------------------------------------------------------------------
def client_ref(client: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ClientRef snapshot (REFERENCE §12.1); None = público en general."""
    return None if client is None else invoicing.client_ref(client)


def build_receipt(
    store: Store,
    *,
    team_id: str,
    livemode: bool,
    client: dict[str, Any] | None,
    items: list[dict[str, Any]],
    totals: dict[str, Any],
    currency: str,
    exchange_rate: float,
    periodicity: str,
    payment_form: str,
    metadata: dict[str, Any] | None = None,
    invoice_config: dict[str, Any] | None = None,
    created: int | None = None,
    payment_id: str | None = None,
) -> dict[str, Any]:
    """A pending Receipt from validated parts (not stored). ``client`` is the full client."""
    created = store.clock.now() if created is None else created
    receipt_id = store.new_id("receipt_")
    return {
        "id": receipt_id,
        "status": "pending",
        "client": client_ref(client),
        "items": items,
        "subtotal": totals["subtotal"],
        "discount": totals["discount"],
        "taxes": totals["taxes"],
        "total": totals["total"],
        "currency": currency,
        "exchange_rate": exchange_rate,
        "periodicity": periodicity,
        "payment_form": payment_form,
        "created": created,
        "validUntil": period_end(created, periodicity),
        "url": PORTAL_URL.format(id=receipt_id),
        "invoice_id": None,
        "invoiced_at": None,
        "metadata": dict(metadata or {}),
        "invoice_config": invoice_config,
        "livemode": livemode,
        "team": team_id,
        # private: the full client copy (stamping needs regime and zip if the master is gone)
        "_client": copy.deepcopy(client) if client is not None else None,
        "_payment": payment_id,
        "_cancelled_at": None,
    }


def store_receipt(store: Store, receipt: dict[str, Any], *, emit: bool = True) -> dict[str, Any]:
    """Store a built receipt and fire ``receipt.created``."""
    store.add("receipts", receipt["id"], receipt)
    if emit:
        events.emit(
            store,
            receipt["team"],
            receipt["livemode"],
            "receipt.created",
            view(receipt, store.clock.now()),
        )
    return receipt


# stamping ------------------------------------------------------------------------------
def receiver_of(store: Store, receipt: dict[str, Any]) -> dict[str, Any] | None:
    """The receipt's client as it is now (master record), else the copy taken at creation."""
    ref = receipt.get("client")
    if not ref:
        return None
    master = store.get("clients", ref.get("id") or "", receipt["team"], receipt["livemode"])
    return master if master is not None else receipt.get("_client")


def fiscal_gaps(client: dict[str, Any]) -> list[tuple[str, str]]:
    """``(field, problem)`` for each piece of fiscal data the client lacks to be invoiced."""
    gaps = []
    for name, problem in FISCAL_FIELDS:
        if name == "address.zip":
            value = (client.get("address") or {}).get("zip")
        else:
            value = client.get(name)
        if not value:
            gaps.append((name, problem))
    if is_generic_rfc(client.get("tax_id")):
        gaps.append(
            (
                "tax_id",
                f"has the generic RFC {client['tax_id']}: its receipts go into "
                "the period's global invoice",
            )
        )
    return gaps


def receiver_problem(client: dict[str, Any] | None, prefix: str = "client") -> ApiError | None:
    """400 business_rule_violation when a receipt cannot become the client's own CFDI."""
    if client is None:
        return ApiError(
            "business_rule_violation",
            "The receipt has no client (público en general): it can only go into "
            "the period's global invoice",
            details=[{"field": prefix, "message": "the receipt has no client"}],
        )
    gaps = fiscal_gaps(client)
    if not gaps:
        return None
    details = [
        {"field": f"{prefix}.{name}" if prefix else name, "message": f"the client {text}"}
        for name, text in gaps
    ]
    summary = "; ".join(f"the client {text}" for _, text in gaps)
    return ApiError(
        "business_rule_violation", f"The receipt cannot be invoiced: {summary}", details=details
    )


def mark_completed(
    store: Store, receipt: dict[str, Any], invoice_uuid: str, *, at: int | None = None
) -> None:
    """Record the CFDI issued for a receipt and fire ``receipt.completed``."""
    receipt["status"] = "completed"
    receipt["invoice_id"] = invoice_uuid
    receipt["invoiced_at"] = store.clock.now() if at is None else at
    events.emit(
        store,
        receipt["team"],
        receipt["livemode"],
        "receipt.completed",
        view(receipt, store.clock.now()),
    )


def cancel(store: Store, receipt: dict[str, Any]) -> dict[str, Any]:
    """Cancel a pending or expired receipt (409 otherwise) and fire ``receipt.updated``."""
    now = store.clock.now()
    status = effective_status(receipt, now)
    if status not in CANCELLABLE_FROM:
        raise ApiError(
            "resource_conflict",
            f"{article(status)} {status} receipt cannot be "
            "cancelled (only pending or expired ones)",
        )
    receipt["status"] = "cancelled"
    receipt["_cancelled_at"] = now
    events.emit(store, receipt["team"], receipt["livemode"], "receipt.updated", view(receipt, now))
    return receipt


def issue_for(
    who: Caller, receipt: dict[str, Any], client: dict[str, Any], *, at: int | None = None
) -> dict[str, Any]:
    """Stamp the receipt as the client's own PUE income CFDI and mark it ``completed``.

    Raises the stamping ApiError (and changes nothing) when SAT rules reject it. ``at`` dates
    the invoice (seed data); default now.
    """
    config = receipt.get("invoice_config") or {}
    items = [{**copy.deepcopy(item), "id": who.store.new_id("item_")} for item in receipt["items"]]
    invoice = invoicing.issue_invoice(
        who,
        invoice_type="I",
        client=client,
        items=items,
        payment_form=receipt["payment_form"],
        payment_method="PUE",
        use=None,
        currency=receipt["currency"],
        exchange_rate=receipt["exchange_rate"],
        series=config.get("serie"),
        folio_number=config.get("folio"),
        at=at,
    )
    mark_completed(who.store, receipt, invoice["uuid"], at=at)
    return invoice


def pending_of_client(
    store: Store, team_id: str, livemode: bool, client_id: str
) -> list[dict[str, Any]]:
    """The client's receipts that read ``pending`` now, oldest first."""
    now = store.clock.now()
    found = [
        r
        for r in store.all("receipts", team_id, livemode)
        if (r.get("client") or {}).get("id") == client_id and effective_status(r, now) == "pending"
    ]
    found.sort(key=lambda r: (r["created"], r["id"]))
    return found
