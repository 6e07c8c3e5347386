"""What a bulk action acts on: the rows ticked on a list's page (``pick``), or every row
matching the list's filters (``every``) — walked by the job page by page, never in the request.

A selection travels in the query of the confirmation page and in the hidden fields of its
form: the list (``of``), the invoice type (``kind``), the picks or ``every``, and the list's
own filters under their own names, so "back to the list" opens it as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from webapp.invoices.forms import InvoiceFilterForm
from webapp.invoices.routes import SEARCH_LIMIT, list_filters, matches, search_text
from webapp.payments.forms import PaymentFilterForm
from webapp.payments.routes import SORTS as PAYMENT_SORTS
from webapp.payments.routes import list_filters as payment_filters
from webapp.receipts.forms import ReceiptFilterForm
from webapp.receipts.routes import list_filters as receipt_filters

INVOICE_KINDS = ("income", "egress", "payment")
# the list's filters, by list: what the confirmation keeps of its URL
FILTERS = {
    "invoices": (
        "q",
        "status",
        "payment_method",
        "series",
        "client_id",
        "date_from",
        "date_to",
        "sort",
    ),
    "receipts": ("status", "client_id", "date_from", "date_to"),
    "payments": (
        "status",
        "client_id",
        "email",
        "tax_id",
        "currency",
        "date_from",
        "date_to",
        "sort",
    ),
}
LISTS = tuple(FILTERS)
LIST_ENDPOINTS = {
    ("invoices", "income"): "invoices.index",
    ("invoices", "egress"): "invoices.egress",
    ("invoices", "payment"): "invoices.payment",
    ("receipts", ""): "receipts.index",
    ("payments", ""): "payments.index",
}
MOST_PICKS = 100  # more than a page's rows: "every row matching" is the way past it
ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Selection:
    of: str
    kind: str
    picks: tuple[str, ...]
    every: bool
    query: tuple[tuple[str, str], ...]

    @property
    def empty(self) -> bool:
        return not self.picks and not self.every

    def fields(self) -> list[tuple[str, str]]:
        """The hidden fields that carry it through the confirmation's form."""
        found = [("of", self.of), ("kind", self.kind)]
        found += [("pick", pick) for pick in self.picks]
        found += [("every", "1")] if self.every else []
        return found + list(self.query)

    def list_url(self) -> str:
        """The list it came from, filtered as it was."""
        return url_for(LIST_ENDPOINTS[self.of, self.kind], **dict(self.query))

    def filters(self) -> dict[str, Any]:
        """gigstack's filters of the list's URL (``text``: the invoices' search instead)."""
        values = MultiDict(self.query)
        if self.of == "invoices":
            form = InvoiceFilterForm(formdata=values)
            form.validate()
            text = search_text(form)
            return {"text": text} if text else list_filters(form, self.kind)
        if self.of == "receipts":
            form = ReceiptFilterForm(formdata=values)
            form.validate()
            return _with_status(receipt_filters(form), form.status.data)
        form = PaymentFilterForm(formdata=values)
        form.validate()
        found = _with_status(payment_filters(form), form.status.data)
        return found | {"sort": PAYMENT_SORTS.get(form.sort.data or "", "desc")}

    def params(self) -> dict[str, Any]:
        """What the job keeps of it: the picks, or the API's filters to walk."""
        found: dict[str, Any] = {"of": self.of, "kind": self.kind}
        if self.every:
            return found | {"every": True, "filters": self.filters()}
        return found | {"picks": list(self.picks)}


def _with_status(filters: dict[str, Any], status: str | None) -> dict[str, Any]:
    return filters | ({"status": status} if status and ID.match(status) else {})


def read(values: Mapping[str, Any], of: tuple[str, ...] = LISTS) -> Selection:
    """The selection in a query or a form (anything odd left out: an id that is no id, a
    list this action does not work on falls back to the first it does)."""
    multi = values if isinstance(values, MultiDict) else MultiDict(values)
    which = multi.get("of") if multi.get("of") in of else of[0]
    kind = ""
    if which == "invoices":
        kind = multi.get("kind") if multi.get("kind") in INVOICE_KINDS else "income"
    picks = [pick for pick in multi.getlist("pick") if ID.match(pick)]
    every = multi.get("every") == "1"
    query = tuple(
        (name, value[:200]) for name in FILTERS[which] for value in multi.getlist(name)[:1] if value
    )
    return Selection(which, kind, tuple(dict.fromkeys(picks))[:MOST_PICKS], every, query)


def count(client: Any, selection: Selection) -> tuple[int, bool]:
    """How many rows the action will act on, and whether that is a lower bound (a search
    answers 100 at most). Upstream calls: none for picks; one ``limit=1`` list (or the
    search) for every row matching."""
    if not selection.every:
        return len(selection.picks), False
    filters = selection.filters()
    if selection.of == "invoices" and "text" in filters:
        found = client.invoices.search(filters["text"], limit=SEARCH_LIMIT)
        return len(found), bool(found.has_more)
    page = _list_call(client, selection.of, selection.kind)(limit=1, **filters)
    return page.total_results if page.total_results is not None else len(page), False


def _list_call(client: Any, of: str, kind: str) -> Any:
    if of == "invoices":
        return partial(client.invoices.list, kind)
    return client.receipts.list if of == "receipts" else client.payments.list


def matching(work: Any, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every row a job's "every row matching" names, walked page by page (in the job)."""
    of, kind, filters = params["of"], params.get("kind", ""), dict(params.get("filters") or {})
    client = work.client()
    if of == "invoices" and "text" in filters:
        yield from work.call(client.invoices.search, filters["text"], limit=SEARCH_LIMIT)
        return
    rows = work.walk(_list_call(client, of, kind), **filters)
    yield from (row for row in rows if of != "invoices" or matches(row, filters))
