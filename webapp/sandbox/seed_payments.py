"""Seeded payments and receipts: every status, both modes, dated before the seed anchor.

Called by :mod:`.seed_documents` after the invoices exist. Payments that succeeded run their
automation through the same code as the API (:func:`.payments_logic.run_automation`), dated
at the moment they were paid, so their CFDI and receipts are real sandbox documents.
Deterministic for a given ``rng``; ``scale`` multiplies the volume.
"""

from __future__ import annotations

import random
from typing import Any

from webapp.domain.money import compute_totals, round2, to_number

from . import payments_logic, receipts_logic
from .invoicing import client_ref, resolve_items
from .seed_documents import billable
from .store import Store
from .validation import Checker

DAY = 86400
SPAN_DAYS = 182
# per scale unit and mode (test, live)
PAYMENTS_PARTNER = (28, 14)
PAYMENTS_SUB = (14, 7)
PAYMENTS_OUTSIDER = (7, 0)
RECEIPTS_PARTNER = (16, 8)
RECEIPTS_SUB = (8, 4)
RECEIPTS_OUTSIDER = (4, 0)
# One pass of this cycle covers every payment status (and partial refunds on "succeeded").
STATUS_CYCLE = (
    "succeeded",
    "requires_payment_method",
    "succeeded",
    "pending",
    "refunded",
    "processing",
    "succeeded",
    "failed",
    "cancelled",
    "partial_refund",
)
RECEIPT_CYCLE = (
    "completed",
    "expired",
    "pending",
    "cancelled",
    "expired",
    "completed",
    "pending",
    "expired",
)
FORMS = ("03", "03", "03", "04", "28", "01", "02")
REFUND_REASONS = ("Cliente canceló el servicio", "Cobro duplicado", "Ajuste de precio", None)


def seed_payments_and_receipts(
    store: Store, rng: random.Random, teams: list[dict[str, Any]], *, scale: int, anchor: int
) -> None:
    """Create demo payments and receipts for ``teams`` in both modes."""
    partner = next((t for t in teams if t.get("_connect")), teams[0] if teams else None)
    for team in teams:
        if team is partner:
            volumes = (PAYMENTS_PARTNER, RECEIPTS_PARTNER)
        elif partner is not None and team.get("_billing") == partner.get("_billing"):
            volumes = (PAYMENTS_SUB, RECEIPTS_SUB)
        else:
            volumes = (PAYMENTS_OUTSIDER, RECEIPTS_OUTSIDER)
        for index, livemode in enumerate((False, True)):
            seeder = _Seeder(store, rng, team, livemode, anchor)
            seeder.payments(volumes[0][index] * max(1, scale))
            seeder.receipts(volumes[1][index] * max(1, scale))


class _Seeder:
    """One team and mode."""

    def __init__(
        self, store: Store, rng: random.Random, team: dict[str, Any], livemode: bool, anchor: int
    ) -> None:
        self.store, self.rng, self.team, self.livemode, self.anchor = (
            store,
            rng,
            team,
            livemode,
            anchor,
        )
        self.who = payments_logic.seed_caller(store, team["id"], livemode)
        # Only live teams with a CSD can stamp; elsewhere automations stick to receipts.
        self.can_stamp = not livemode or bool(team["sat"]["completed"])
        clients = store.all("clients", team["id"], livemode)
        self.clients = billable(clients)
        self.services = store.all("services", team["id"], livemode)
        self.start = max(anchor - SPAN_DAYS * DAY, team["created_at"] + 2 * DAY)

    def _when(self, latest: int | None = None) -> int:
        return self.rng.randint(self.start, (latest or self.anchor) - 3600)

    def _items(self) -> list[dict[str, Any]]:
        raw = []
        for service in self.rng.sample(
            self.services, min(self.rng.choice((1, 1, 2)), len(self.services))
        ):
            item: dict[str, Any] = {"id": service["id"]}
            if service["unit_key"] in ("H87", "DAY", "HUR"):
                item["quantity"] = self.rng.choice((1, 2, 3, 5))
            raw.append(item)
        check = Checker()
        items = resolve_items(self.who, raw, check)
        check.raise_if_any()
        return items

    # ------------------------------------------------------------------ payments
    def payments(self, count: int) -> None:
        if not self.clients or not self.services:
            return
        plan = sorted((self._when(), STATUS_CYCLE[i % len(STATUS_CYCLE)]) for i in range(count))
        for created, status in plan:
            self._payment(created, status)

    def _payment(self, created: int, status: str) -> None:
        client = self.rng.choice(self.clients)
        items = self._items()
        collected = status in ("succeeded", "refunded", "partial_refund")
        requested = not collected or self.rng.random() < 0.3
        automation = (
            self._automation()
            if collected
            else self.rng.choice(("none", "none", "pue_invoice", "receipt"))
        )
        payment = payments_logic.build_payment(
            self.store,
            team_id=self.team["id"],
            livemode=self.livemode,
            owner=self.team.get("owner") or "",
            client=client,
            client_ref=client_ref(client),
            items=items,
            totals=compute_totals(items),
            currency="MXN",
            exchange_rate=1,
            automation_type=automation,
            status="requires_payment_method",
            allowed_payment_methods=[{"id": "spei"}] if requested else [],
            metadata={"source": "seed"} if self.rng.random() < 0.2 else None,
            created_at=created,
            short_url=requested,
        )
        self.store.add("payments", payment["id"], payment)
        if status in ("pending", "processing", "failed", "requires_payment_method"):
            payment["status"] = status
            return
        if status == "cancelled":
            payment["status"] = "cancelled"
            payment["_cancelled_at"] = min(
                created + self.rng.randint(1, 10) * DAY, self.anchor - 60
            )
            return
        paid_at = min(
            created + (self.rng.randint(0, 6) * DAY if requested else 0), self.anchor - 120
        )
        payment.update(
            status="succeeded",
            payment_form=self.rng.choice(FORMS),
            payment_processor="api",
            succeeded_at=paid_at,
        )
        payments_logic.run_automation(self.who, payment, at=paid_at)
        if status in ("refunded", "partial_refund"):
            share = 1 if status == "refunded" else self.rng.choice((0.25, 0.5))
            amount = round2(payment["total"]) if share == 1 else round2(payment["total"] * share)
            payment["refunds"].append(
                {
                    "id": self.store.new_id("refund_"),
                    "amount": to_number(amount),
                    "reason": self.rng.choice(REFUND_REASONS),
                    "external_processor_refund": False,
                    "created_at": min(paid_at + self.rng.randint(1, 20) * DAY, self.anchor - 60),
                }
            )
            if share == 1:
                payment["status"] = "refunded"

    def _automation(self) -> str:
        roll = self.rng.random()
        if not self.can_stamp:
            return "receipt" if roll < 0.3 else "none"
        if roll < 0.35:
            return "none"
        if roll < 0.65:
            return "pue_invoice"
        if roll < 0.85:
            return "receipt"
        return "ppd_invoice_and_complement"

    # ------------------------------------------------------------------ receipts
    def receipts(self, count: int) -> None:
        if not self.services:
            return
        for index in range(count):
            self._receipt(RECEIPT_CYCLE[index % len(RECEIPT_CYCLE)])

    def _receipt(self, status: str) -> None:
        public = not self.clients or self.rng.random() < 0.25
        client = None if public else self.rng.choice(self.clients)
        if status == "completed" and (client is None or not self.can_stamp):
            status = "expired"
        if status == "pending":
            # Created on the anchor's own morning: the period is still open at the anchor.
            created = self.anchor - self.rng.randint(1, 10) * 3600
            periodicity = self.rng.choice(("month", "month", "two_weeks"))
        else:
            created = self._when(self.anchor - 20 * DAY)
            periodicity = self.rng.choice(("month", "month", "week", "two_weeks", "day"))
        items = self._items()
        receipt = receipts_logic.build_receipt(
            self.store,
            team_id=self.team["id"],
            livemode=self.livemode,
            client=client,
            items=items,
            totals=compute_totals(items),
            currency="MXN",
            exchange_rate=1,
            periodicity=periodicity,
            payment_form=self.rng.choice(FORMS),
            metadata={"source": "seed"} if self.rng.random() < 0.2 else None,
            created=created,
        )
        receipts_logic.store_receipt(self.store, receipt, emit=False)
        if status == "completed":
            at = min(
                created + self.rng.randint(0, 3) * DAY + 3600,
                receipt["validUntil"],
                self.anchor - 60,
            )
            receipts_logic.issue_for(self.who, receipt, client, at=at)
        elif status == "cancelled":
            receipt["status"] = "cancelled"
            receipt["_cancelled_at"] = min(created + DAY, self.anchor - 60)
