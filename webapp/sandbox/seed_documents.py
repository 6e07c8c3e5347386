"""Seeded invoices (and, through :mod:`.seed_payments`, payments and receipts).

Every seeded CFDI is issued by :func:`.invoicing.issue_invoice` — the same rules as the API —
only dated in the past (``at=``). Events are replayed in time order (issue, pay, cancel) so
folios grow with dates and PPD balances only fall after the invoice exists. Deterministic for
a given ``rng``; ``scale`` multiplies the volume (scale 40 → 10 000+ invoices).
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from typing import Any

from webapp import catalogs
from webapp.domain.money import round2

from .store import Store

DAY = 86400
SPAN_DAYS = 182
# invoices per scale unit and mode: (test, live); the partner and its sub-teams carry most
VOLUME_PARTNER = (60, 50)
VOLUME_SUB = (25, 15)
VOLUME_OUTSIDER = (10, 5)
CARD_FORMS = ("03", "03", "03", "04", "28", "01", "02")


def seed_documents(
    store: Store, rng: random.Random, teams: list[dict[str, Any]], *, scale: int, anchor: int
) -> None:
    """Create the demo documents for ``teams``; deterministic for a given ``rng``."""
    # Imported here, not at the top: seed.py imports this module while it is still loading,
    # and seed_payments → invoicing → clients_logic import names from seed.py.
    from .seed_payments import seed_payments_and_receipts

    partner = next((t for t in teams if t.get("_connect")), teams[0])
    for team in teams:
        if team is partner:
            volume = VOLUME_PARTNER
        elif team.get("_billing") == partner.get("_billing"):
            volume = VOLUME_SUB
        else:
            volume = VOLUME_OUTSIDER
        for livemode, per_scale in zip((False, True), volume, strict=True):
            if livemode and not team["sat"]["completed"]:
                continue  # live stamping needs a CSD: these teams have only test documents
            _TeamSeeder(store, rng, team, livemode, anchor).run(per_scale * max(1, scale))
    seed_payments_and_receipts(store, rng, teams, scale=scale, anchor=anchor)


def billable(clients: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The clients seeded documents may name: valid at SAT, not in EFOS, not a generic RFC."""
    return [
        c
        for c in clients
        if c.get("is_valid")
        and c.get("efos", {}).get("is_valid")
        and c.get("tax_id") not in ("XAXX010101000", "XEXX010101000")
    ]


class _TeamSeeder:
    """Plays one team+mode's invoicing history in time order."""

    def __init__(
        self, store: Store, rng: random.Random, team: dict[str, Any], livemode: bool, anchor: int
    ) -> None:
        from .context import Caller
        from .keys import KeyRecord

        self.store, self.rng, self.team, self.anchor = store, rng, team, anchor
        key = KeyRecord(name="seed", key_id="seed", team=team["id"], livemode=livemode, token="")
        self.who = Caller(key=key, team_id=team["id"], store=store)
        clients = store.all("clients", team["id"], livemode)
        self.public = next((c for c in clients if c.get("tax_id") == "XAXX010101000"), None)
        self.foreign = next((c for c in clients if c.get("tax_id") == "XEXX010101000"), None)
        self.clients = billable(clients)
        self.services = store.all("services", team["id"], livemode)
        self.queue: list[tuple[int, int, Callable[[int], None]]] = []
        self.order = itertools.count()
        self.issued: list[dict[str, Any]] = []

    def at(self, when: int, action: Callable[[int], None]) -> None:
        if when < self.anchor:
            heapq.heappush(self.queue, (when, next(self.order), action))

    def run(self, count: int) -> None:
        if not self.clients or not self.services:
            return
        start = max(self.anchor - SPAN_DAYS * DAY, self.team["created_at"] + 2 * DAY)
        for _ in range(count):
            self.at(self.rng.randint(start, self.anchor - 3600), self.new_invoice)
        while self.queue:
            when, _, action = heapq.heappop(self.queue)
            action(when)

    # ------------------------------------------------------------------ documents
    def _items(self, lines: int) -> list[dict[str, Any]]:
        from .invoicing import resolve_items
        from .validation import Checker

        raw = []
        for service in self.rng.sample(self.services, min(lines, len(self.services))):
            item: dict[str, Any] = {"id": service["id"]}
            if service["unit_key"] in ("H87", "DAY", "HUR"):
                item["quantity"] = self.rng.choice((1, 2, 3, 5, 10, 12))
            if self.rng.random() < 0.25:
                item["unit_price"] = round(service["unit_price"] * self.rng.uniform(0.8, 1.3), 2)
            if self.rng.random() < 0.08:
                item["discount"] = round(service["unit_price"] * 0.1, 2)
            raw.append(item)
        check = Checker()
        items = resolve_items(self.who, raw, check)
        check.raise_if_any()
        return items

    def _issue(self, when: int, **kwargs: Any) -> dict[str, Any]:
        from .invoicing import issue_invoice

        invoice = issue_invoice(self.who, at=when, **kwargs)
        self.issued.append(invoice)
        return invoice

    def new_invoice(self, when: int) -> None:
        roll = self.rng.random()
        if roll < 0.04 and self.public is not None:
            self.global_invoice(when)
            return
        if roll < 0.07 and self.foreign is not None:
            self.foreign_invoice(when)
            return
        if roll < 0.14:
            self.credit_note(when)
            return
        client = self.rng.choice(self.clients)
        ppd = roll > 0.78
        invoice = self._issue(
            when,
            invoice_type="I",
            client=client,
            items=self._items(self.rng.choice((1, 1, 2, 3))),
            payment_form=None if ppd else self.rng.choice(CARD_FORMS),
            payment_method="PPD" if ppd else "PUE",
            use=None,
            series="B" if self.rng.random() < 0.15 else None,
            metadata={"source": "seed"} if self.rng.random() < 0.1 else None,
        )
        if ppd:
            self.schedule_payments(invoice, when)
        if self.rng.random() < 0.06:
            self.at(
                when + self.rng.randint(1, 20) * DAY, lambda t, inv=invoice: self.cancel(inv, t)
            )

    def global_invoice(self, when: int) -> None:
        from datetime import UTC, datetime

        month = datetime.fromtimestamp(when, UTC)
        self._issue(
            when,
            invoice_type="I",
            client=self.public,
            items=self._items(2),
            payment_form="01",
            payment_method="PUE",
            use="S01",
            global_info={"periodicity": "04", "months": f"{month.month:02d}", "year": month.year},
        )

    def foreign_invoice(self, when: int) -> None:
        self._issue(
            when,
            invoice_type="I",
            client=self.foreign,
            items=self._items(1),
            payment_form="03",
            payment_method="PUE",
            use="S01",
            currency="USD",
            exchange_rate=round(self.rng.uniform(16.8, 18.9), 4),
        )

    def credit_note(self, when: int) -> None:
        paid = [
            inv
            for inv in self.issued[-200:]
            if inv["invoice_type"] == "I"
            and inv["status"] == "valid"
            and inv["payment_method"] == "PUE"
            and inv["currency"] == "MXN"
            and inv["client"]["tax_id"] != "XAXX010101000"
        ]
        if not paid:
            return
        origin = self.rng.choice(paid)
        client = self.store.get(
            "clients", origin["client"]["id"], self.team["id"], self.who.livemode
        )
        if client is None:
            return
        amount = float(round2(origin["subtotal"] * self.rng.choice((0.1, 0.15, 0.25, 0.5, 1))))
        from .invoicing import resolve_items
        from .validation import Checker

        check = Checker()
        items = resolve_items(
            self.who,
            [
                {
                    "description": "Bonificación sobre factura "
                    f"{origin['series']}-{origin['folio_number']}",
                    "unit_price": amount,
                    "product_key": "84111506",
                    "unit_key": "ACT",
                    "unit_name": "Actividad",
                    "taxes": [{"type": "IVA", "rate": 0.16}],
                }
            ],
            check,
        )
        check.raise_if_any()
        self._issue(
            when,
            invoice_type="E",
            client=client,
            items=items,
            payment_form=origin["payment_form"],
            payment_method="PUE",
            use="G02"
            if catalogs.use_allowed_for_regime("G02", client.get("tax_system") or "")
            else origin["use"],
            related_documents=[{"relationship": "01", "documents": [origin["uuid"]]}],
        )

    # ------------------------------------------------------------------ later events
    def schedule_payments(self, invoice: dict[str, Any], when: int) -> None:
        roll = self.rng.random()
        if roll < 0.35:
            return  # still unpaid
        parts = 1 if roll < 0.75 else self.rng.choice((2, 3))
        shares = [1 / parts] * parts
        if roll < 0.5:
            shares = [0.5]  # paid half so far
        moment = when
        for share in shares:
            moment += self.rng.randint(3, 25) * DAY
            self.at(moment, lambda t, inv=invoice, s=share: self.pay(inv, s, t))

    def pay(self, invoice: dict[str, Any], share: float, when: int) -> None:
        from .invoicing import issue_payment_complement

        if invoice["status"] != "valid" or not invoice.get("last_balance"):
            return
        amount = float(min(round2(invoice["total"] * share), round2(invoice["last_balance"])))
        if amount <= 0:
            return
        payment = {
            "id": None,
            "payment_form": self.rng.choice(("03", "03", "02", "01")),
            "currency": invoice["currency"],
            "succeeded_at": when,
        }
        issue_payment_complement(
            self.who, payment=payment, ppd_invoice=invoice, amount=amount, at=when
        )

    def cancel(self, invoice: dict[str, Any], when: int) -> None:
        from .invoicing import cancel_invoice

        if invoice["status"] != "valid" or invoice.get("payment_complements"):
            return
        if (
            self.rng.random() < 0.4
            and invoice["invoice_type"] == "I"
            and invoice["client"]["tax_id"] != "XAXX010101000"
        ):
            client = self.store.get(
                "clients", invoice["client"]["id"], self.team["id"], self.who.livemode
            )
            if client is not None:
                replacement = self._issue(
                    when,
                    invoice_type="I",
                    client=client,
                    items=[
                        {k: v for k, v in item.items() if k != "id"}
                        | {"id": self.store.new_id("item_")}
                        for item in invoice["items"]
                    ],
                    payment_form=invoice["payment_form"],
                    payment_method=invoice["payment_method"],
                    use=invoice["use"],
                    related_documents=[{"relationship": "04", "documents": [invoice["uuid"]]}],
                )
                cancel_invoice(self.who, invoice, "01", replacement["uuid"], at=when + 60)
                return
        cancel_invoice(self.who, invoice, self.rng.choice(("02", "02", "03")), None, at=when)
