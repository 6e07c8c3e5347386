"""A part of a page that fails alone (a panel: a client's latest documents, an invoice's
complements, a lazy report): its value, or why gigstack could not give it, with a retry.

Never an empty answer in its place: "no complement yet" for an invoice whose complements
could not be read is a wrong answer, not a partial page. The template shows a failed panel
with the ``panel_failed`` macro (``templates/_partials/macros.html``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import request

from webapp.auth.access import safe_next
from webapp.errors import ErrorView, describe_upstream_error
from webapp.gigstack import GigstackError
from webapp.pages import htmx_page_path

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Panel(Generic[T]):
    """What a panel shows: ``value``, or — ``error`` set — the failure that kept it empty."""

    value: T | None = None
    error: GigstackError | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def problem(self) -> ErrorView | None:
        """The failure as the error pages tell it (title, detail, a retry of the page)."""
        if self.error is None:
            return None
        view = describe_upstream_error(self.error)
        if view.retry_url is None:  # a form redrawn by POST: load its page again
            view.retry_url = safe_next(htmx_page_path()) or request.path
        return view


def panel(call: Callable[[], T]) -> Panel[T]:
    """``call()`` as a panel: its value, or the gigstack error it raised (logged, kept)."""
    try:
        return Panel(call())
    except GigstackError as error:
        log.warning("panel not loaded: %s (%s)", type(error).__name__, error.code)
        return Panel(error=error)
