"""Webhooks: REFERENCE §10. Style-B envelopes (``success``, ``timestamp``) are ignored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Unpack

from ..pagination import DEFAULT_MAX_PAGES, Page
from .base import CrudResource, Item, ListParams, list_query

WebhookStatus = Literal["active", "inactive"]


class Webhooks(CrudResource):
    """``/webhooks``: list (by status), iter, get, create, update, delete."""

    path = "/webhooks"

    def list(
        self,
        status: WebhookStatus | None = None,
        *,
        team: str | None = None,
        **params: Unpack[ListParams],
    ) -> Page:
        """One page, optionally only ``active`` or ``inactive`` webhooks."""
        return self._page(self.path, list_query(params, status=status), team)

    def iter(
        self,
        status: WebhookStatus | None = None,
        *,
        team: str | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
        **params: Unpack[ListParams],
    ) -> Iterator[Item]:
        """Every webhook across pages."""
        return self._iter(self.path, list_query(params, status=status), team, max_pages)
