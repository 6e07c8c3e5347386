"""What the sale lists and pages (invoices, payments, receipts) share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import request

from webapp.actions import cursor_links
from webapp.formatting import day_bound, money
from webapp.pages import render_page, status_tabs
from webapp.parallel import submit

from .counts import tab_counts

PAGE_SIZE = 25


def amount_of(document: dict[str, Any]) -> str:
    """A sale document's total in its currency, as the pages write money."""
    return money(document.get("total"), document.get("currency") or "MXN")


def back_to(
    document: dict[str, Any], url: str, label: str, status: Any, nobody: str = ""
) -> dict[str, str]:
    """The way back from a verb's page to its document: the link, then whom it is for and its
    status (``nobody`` when it has no client)."""
    client = document.get("client") or {}
    who = client.get("legal_name") or client.get("name") or nobody
    return {"url": url, "label": label, "note": f"{who} · {status}"}


def created_between(form: Any) -> dict[str, int]:
    """The list filter's ``date_from``/``date_to`` as gigstack's ``created_gte``/``_lte``
    (whole days in Mexico City; a date with an error is left out)."""
    found: dict[str, int] = {}
    if form.date_from.data and not form.date_from.errors:
        found["created_gte"] = day_bound(form.date_from.data)
    if form.date_to.data and not form.date_to.errors:
        found["created_lte"] = day_bound(form.date_to.data, end=True)
    return found


def tabbed_list(
    templates: tuple[str, str],
    form: Any,
    list_call: Callable[..., Any],
    filters: Mapping[str, Any],
    statuses: list[str],
    label: Callable[[str], Any],
    page_args: dict[str, Any] | None = None,
    **context: Any,
):
    """One page of a list under its status tab (``form.status``), the cursor and every filter
    in the URL: the page, or for htmx its rows (``templates``: page and rows).

    Upstream calls: ``list_call(**filters)``'s page, and — in the same round, only when the
    team's counts under these filters are not kept (:mod:`.counts`) — a ``limit=1`` count per
    status for the tabs."""
    status = form.status.data if form.status.data in statuses else ""
    cursor = request.args.get("next") or None
    pending = submit(
        list_call,
        status=status or None,
        limit=PAGE_SIZE,
        next=cursor,
        **filters,
        **(page_args or {}),
    )
    counts = tab_counts(
        statuses, lambda code: list_call(status=code, limit=1, **filters).total_results, filters
    )
    page = pending.result()
    return render_page(
        *templates,
        form=form,
        rows=list(page),
        total=page.total_results,
        links=cursor_links(page, cursor),
        tabs=status_tabs(statuses, status, label, counts),
        **context,
    )
